/* api_reports.c - the endpoints of reports, groups and the event stream. The library decides
 * (vigil/reports.h, vigil/groups.h): it applies the access policy, records the access and gives
 * the JSON; a handler passes the request on and turns the outcome into a status. */
#include "http.h"

#include "vigil/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vigil/events.h"
#include "vigil/groups.h"
#include "vigil/reports.h"

#include <time.h>

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
    c->body = json_pack("{sI}", "id", (json_int_t)id);
    return c->body ? MHD_HTTP_CREATED
                   : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
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
    c->body = json_pack("{sI}", "id", (json_int_t)id);
    return c->body ? MHD_HTTP_CREATED
                   : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}
