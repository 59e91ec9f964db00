/* api_reports.c - the endpoints of reports, groups, correlation exclusions and the event stream.
 * The library decides (vigil/reports.h, vigil/groups.h): it applies the access policy, records
 * the access and gives the JSON; a handler passes the request on and turns the outcome into a
 * status. */
#include "http.h"

#include "vigil/events.h"
#include "vigil/groups.h"
#include "vigil/reports.h"
#include "vigil/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 201 {"id":ID}: what a POST that made something answers. */
static unsigned reply_created(struct call *c, int64_t id)
{
    c->body = json_pack("{sI}", "id", (json_int_t)id);
    return c->body ? MHD_HTTP_CREATED
                   : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

unsigned api_post_report(struct call *c)
{
    struct vg_error err;
    int64_t id = 0;
    vg_error_clear(&err);
    if (!vg_report_role_may_write(c->who->role))
        return http_fail(c, MHD_HTTP_FORBIDDEN, "this role may not write reports");
    int rc = vg_report_create(c->store, c->who, c->data, c->data_len, time(NULL), &id, &err);
    if (rc)
        return http_report_error(c, rc, &err);
    return reply_created(c, id);
}

unsigned api_get_report(struct call *c)
{
    struct vg_error err;
    char *text = NULL;
    unsigned status;
    vg_error_clear(&err);
    if ((status = http_need_purpose(c)))
        return status;
    int rc = vg_report_get(c->store, c->who, c->id, c->purpose, &text, &err);
    return rc ? http_report_error(c, rc, &err) : http_take_json(c, text, MHD_HTTP_OK);
}

unsigned api_get_reports(struct call *c)
{
    struct vg_report_query q = {0};
    struct vg_error err;
    char *text = NULL;
    int64_t limit;
    unsigned status;
    vg_error_clear(&err);
    if ((status = http_need_purpose(c)) ||
        (status = http_int_param(c, "after", 0, INT64_MAX, 0, &q.after_id)) ||
        (status =
             http_int_param(c, "limit", 1, VG_REPORT_LIST_MAX, VG_REPORT_LIST_DEFAULT, &limit)))
        return status;
    q.limit = (int)limit;
    q.text = http_param(c->p, "q");
    q.tlp = http_param(c->p, "tlp");
    q.org = http_param(c->p, "org");
    q.purpose = c->purpose;
    int rc = vg_report_list(c->store, c->who, &q, &text, &err);
    return rc ? http_report_error(c, rc, &err) : http_take_json(c, text, MHD_HTTP_OK);
}

unsigned api_put_report(struct call *c)
{
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_report_update(c->store, c->who, c->id, c->data, c->data_len, c->purpose, time(NULL),
                              &err);
    if (rc)
        return http_report_error(c, rc, &err);
    c->body = json_pack("{sI}", "id", (json_int_t)c->id);
    return c->body ? MHD_HTTP_OK : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

unsigned api_delete_report(struct call *c)
{
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_report_delete(c->store, c->who, c->id, c->purpose, &err);
    if (rc)
        return http_report_error(c, rc, &err);
    c->body = json_pack("{sIsb}", "id", (json_int_t)c->id, "deleted", 1);
    return c->body ? MHD_HTTP_OK : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

unsigned api_get_correlations(struct call *c)
{
    struct vg_error err;
    char *text = NULL;
    unsigned status;
    vg_error_clear(&err);
    if ((status = http_need_purpose(c)))
        return status;
    int rc = vg_report_correlations(c->store, c->who, c->id, 0, c->purpose, &text, &err);
    return rc ? http_report_error(c, rc, &err) : http_take_json(c, text, MHD_HTTP_OK);
}

/* GET /events: checks the request; run_request answers with the stream once it is recorded. */
unsigned api_get_events(struct call *c)
{
    unsigned status;
    if ((status = http_need_purpose(c)))
        return status;
    const char *last = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Last-Event-ID");
    if (last && http_param(c->p, "after"))
        return http_fail(c, MHD_HTTP_BAD_REQUEST, "give Last-Event-ID or after, not both");
    if (last) {
        if (http_parse_int(last, 0, INT64_MAX, &c->events_after))
            return http_fail(c, MHD_HTTP_BAD_REQUEST, "Last-Event-ID must be an event id");
    } else if (http_param(c->p, "after")) {
        if ((status = http_int_param(c, "after", 0, INT64_MAX, 0, &c->events_after)))
            return status;
    } else {
        /* Only what happens from now on. */
        struct vg_error err;
        if (vg_events_newest(c->store, &c->events_after, &err))
            return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the database is not available");
    }
    c->events = 1;
    return MHD_HTTP_OK;
}

unsigned api_post_group(struct call *c)
{
    struct vg_error err;
    int64_t id = 0;
    vg_error_clear(&err);
    int rc = vg_group_create(c->store, c->who, c->data, c->data_len, time(NULL), &id, &err);
    if (rc)
        return http_report_error(c, rc, &err);
    return reply_created(c, id);
}

/* GET /correlations/overlinked (administrators): the values that stopped correlating. */
unsigned api_get_overlinked(struct call *c)
{
    struct vg_error err;
    char *text = NULL;
    int64_t cap;
    unsigned status;
    vg_error_clear(&err);
    if ((status = http_int_param(c, "cap", 1, 1000000, VG_REPORT_CORRELATION_CAP, &cap)))
        return status;
    int rc = vg_report_overlinked_values(c->store, c->who, (int)cap, &text, &err);
    return rc ? http_report_error(c, rc, &err) : http_take_json(c, text, MHD_HTTP_OK);
}

/* A string member of obj, or NULL when absent or null; *bad is set when it has another type. */
static const char *member_text(json_t *obj, const char *name, int *bad)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v))
        *bad = 1;
    return json_string_value(v);
}

/* POST /correlations/exclusions (administrators): {"type":..,"value":..,"reason":..} keeps a
 * value from correlating. */
unsigned api_post_exclusion(struct call *c)
{
    struct vg_error err;
    json_error_t jerr;
    vg_error_clear(&err);
    json_t *o = json_loadb(c->data, c->data_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return http_fail(c, MHD_HTTP_BAD_REQUEST,
                         "the body must be a JSON object {\"type\", \"value\", \"reason\"}");
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v)
    {
        if (strcmp(key, "type") && strcmp(key, "value") && strcmp(key, "reason")) {
            json_decref(o);
            return http_fail(c, MHD_HTTP_BAD_REQUEST,
                             "unknown field (type, value and reason are known)");
        }
    }
    int bad = 0;
    const char *type = member_text(o, "type", &bad), *value = member_text(o, "value", &bad);
    const char *reason = member_text(o, "reason", &bad);
    unsigned status;
    if (bad || !type || !value)
        status = http_fail(c, MHD_HTTP_BAD_REQUEST,
                           "type and value are required strings, "
                           "reason a string if given");
    else if (vg_report_exclusion_add(c->store, c->who, type, value, reason, time(NULL), &err))
        status = http_report_error(c, err.code, &err);
    else if (!(c->body = json_pack("{sssssb}", "type", type, "value", value, "excluded", 1)))
        status = http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    else
        status = MHD_HTTP_CREATED;
    json_decref(o);
    return status;
}
