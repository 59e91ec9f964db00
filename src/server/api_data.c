/* api_data.c - the endpoints over the incidents and the audit log: health, incidents (keyset
 * pagination over the store), statistics (the analytic cube, as `vigil stats`) and the audit log
 * for administrators. */
#include "http.h"

#include "vigil/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vigil/audit.h"
#include "vigil/incident.h"
#include "vigil/stats.h"

#include <sqlite3.h>

unsigned api_get_health(struct call *c)
{
    c->body = json_pack("{ss}", "status", "ok");
    return MHD_HTTP_OK;
}

/* A column of the current row as JSON; NULL when out of memory or the text is not UTF-8. */
static json_t *column_json(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER:
        return json_integer(sqlite3_column_int64(st, i));
    case SQLITE_FLOAT:
        return json_real(sqlite3_column_double(st, i));
    case SQLITE_NULL:
        return json_null();
    default:
        return json_stringn((const char *)sqlite3_column_text(st, i),
                            (size_t)sqlite3_column_bytes(st, i));
    }
}

/* Incidents by id, after the cursor, matching the filter: plain SQL with bound parameters. */
unsigned api_get_incidents(struct call *c)
{
    static const char *const column[VG_DIM_COUNT] = {
        [VG_DIM_YEAR] = "year",     [VG_DIM_MONTH] = "month",      [VG_DIM_COUNTRY] = "country",
        [VG_DIM_REGION] = "region", [VG_DIM_ATTACK] = "attack",    [VG_DIM_TARGET] = "target",
        [VG_DIM_WEAPON] = "weapon", [VG_DIM_GROUP] = "group_name", [VG_DIM_SOURCE] = "source"};
    struct vg_filter f;
    int64_t after, limit;
    unsigned status;
    if ((status = http_filter_params(c, &f)) ||
        (status = http_int_param(c, "after", 0, INT64_MAX, 0, &after)) ||
        (status = http_int_param(c, "limit", 1, 1000, 100, &limit)))
        return status;

    struct vg_buf sql;
    sqlite3_stmt *st = NULL;
    json_t *rows = json_array();
    int64_t last = 0, n = 0;
    int more = 0, rc = rows ? 0 : VG_ENOMEM;
    const int extra_col = 22; /* the index of extra, the last column selected */
    vg_buf_init(&sql, 16384);
    if (!rc)
        rc = vg_buf_printf(&sql, "SELECT id, source, source_id, year, month, day, country, "
                                 "region, provstate, city, latitude, longitude, specificity, "
                                 "attack, target, weapon, group_name AS \"group\", killed, "
                                 "wounded, success, suicide, summary, extra FROM incidents "
                                 "WHERE id > ?");
    for (int d = 0; !rc && d < VG_DIM_COUNT; d++) {
        int first = 1;
        for (size_t i = 0; !rc && i < f.nwhere; i++) {
            if ((int)f.where[i].field != d)
                continue;
            rc = vg_buf_printf(&sql, "%s%s %s", first ? " AND (" : " OR ", column[d],
                               *f.where[i].value ? "= ?" : "IS NULL");
            first = 0;
        }
        if (!rc && !first)
            rc = vg_buf_putc(&sql, ')');
    }
    if (!rc && f.from)
        rc = vg_buf_printf(&sql, " AND year * 10000 + coalesce(month, 0) * 100 + "
                                 "coalesce(day, 0) >= ?");
    if (!rc && f.to)
        rc = vg_buf_printf(&sql, " AND year * 10000 + coalesce(month, 0) * 100 + "
                                 "coalesce(day, 0) <= ?");
    if (!rc)
        rc = vg_buf_printf(&sql, " ORDER BY id LIMIT ?");
    if (!rc && sqlite3_prepare_v2(vg_store_db(c->store), sql.data, -1, &st, NULL) != SQLITE_OK)
        rc = VG_EDB;
    if (!rc) {
        int k = 1;
        sqlite3_bind_int64(st, k++, after);
        for (int d = 0; d < VG_DIM_COUNT; d++)
            for (size_t i = 0; i < f.nwhere; i++)
                if ((int)f.where[i].field == d && *f.where[i].value)
                    sqlite3_bind_text(st, k++, f.where[i].value, -1, SQLITE_STATIC);
        if (f.from)
            sqlite3_bind_int64(st, k++, f.from);
        if (f.to)
            sqlite3_bind_int64(st, k++, f.to);
        sqlite3_bind_int64(st, k, limit + 1);
    }
    while (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = VG_EDB;
            break;
        }
        if (n == limit) {
            more = 1;
            break;
        }
        json_t *row = json_object();
        for (int i = 0; row && i < extra_col; i++) {
            json_t *v = column_json(st, i);
            if (!v || json_object_set_new(row, sqlite3_column_name(st, i), v)) {
                json_decref(row);
                row = NULL;
            }
        }
        /* extra is stored as JSON text and given out as a nested object. The store writes only
         * objects there, but a row whose text does not parse as one (an older or hand-edited
         * database) loses the field rather than failing the whole page: the other fields are
         * still worth having. Running out of memory while parsing looks the same, which is
         * accepted: jansson does not tell the two apart. */
        if (row && sqlite3_column_type(st, extra_col) == SQLITE_TEXT) {
            json_t *extra = json_loadb((const char *)sqlite3_column_text(st, extra_col),
                                       (size_t)sqlite3_column_bytes(st, extra_col), 0, NULL);
            if (json_is_object(extra)) {
                if (json_object_set_new(row, "extra", extra)) {
                    json_decref(row);
                    row = NULL;
                }
            } else {
                json_decref(extra);
            }
        }
        if (!row || json_array_append_new(rows, row)) {
            rc = VG_ENOMEM;
            break;
        }
        last = sqlite3_column_int64(st, 0);
        n++;
    }
    sqlite3_finalize(st);
    vg_buf_cleanup(&sql);
    if (rc) {
        json_decref(rows);
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the incidents could not be read");
    }
    c->body =
        json_pack("{so so}", "incidents", rows, "next", more ? json_integer(last) : json_null());
    return MHD_HTTP_OK;
}

/* Grouped counts, as `vigil stats --format json` gives them. */
unsigned api_get_stats(struct call *c)
{
    struct vg_stats_query q;
    struct vg_stats_result *r = NULL;
    struct vg_error err;
    const char *by = http_param(c->p, "by"), *measure = http_param(c->p, "measure");
    unsigned status;
    vg_error_clear(&err);
    vg_stats_query_init(&q);
    if ((status = http_filter_params(c, &q.filter)))
        return status;
    if ((by && vg_stats_set_dims(&q, by, &err)) ||
        (measure && vg_stats_set_measures(&q, measure, &err)))
        return http_fail(c, MHD_HTTP_BAD_REQUEST, err.message);
    int rc = vg_stats_run(c->store, &q, &r, &err);
    if (rc == VG_EINVAL)
        return http_fail(c, MHD_HTTP_BAD_REQUEST, err.message);
    if (rc)
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the statistics could not be computed");
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < r->nrows; i++) {
        json_t *row = json_object();
        for (size_t d = 0; row && d < r->ndims; d++) {
            const char *k = r->keys[i * r->ndims + d];
            json_t *v = !k                              ? json_null()
                        : vg_dim_is_numeric(r->dims[d]) ? json_integer(strtoll(k, NULL, 10))
                                                        : json_string(k);
            if (!v || json_object_set_new(row, vg_dim_name(r->dims[d]), v)) {
                json_decref(row);
                row = NULL;
            }
        }
        for (size_t m = 0; row && m < r->nmeasures; m++) {
            int64_t v = r->values[i * r->nmeasures + m];
            if (json_object_set_new(row, vg_measure_name(r->measures[m]),
                                    v == VG_NULL_INT ? json_null() : json_integer(v))) {
                json_decref(row);
                row = NULL;
            }
        }
        if (!row || json_array_append_new(rows, row)) {
            json_decref(rows);
            rows = NULL;
        }
    }
    vg_stats_result_destroy(r);
    if (!rows)
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    c->body = json_pack("{so}", "rows", rows);
    return MHD_HTTP_OK;
}

struct audit_page {
    json_t *records;
    int64_t n, limit, last;
    int more;
};

static json_t *text_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int on_audit_record(const struct vg_audit_record *r, void *ctx)
{
    struct audit_page *pg = ctx;
    if (pg->n == pg->limit) {
        pg->more = 1;
        return 1;
    }
    json_t *detail = r->detail ? json_loads(r->detail, 0, NULL) : json_null();
    if (!detail)
        detail = json_string(r->detail);
    json_t *rec = json_pack("{sI so so so so so so so ss ss}", "seq", (json_int_t)r->seq, "at",
                            text_or_null(r->at), "actor", text_or_null(r->actor), "org",
                            text_or_null(r->org), "action", text_or_null(r->action), "object",
                            text_or_null(r->object), "purpose", text_or_null(r->purpose), "detail",
                            detail, "prev_hash", r->prev_hash, "hash", r->hash);
    if (!rec || json_array_append_new(pg->records, rec))
        return VG_ENOMEM;
    pg->last = r->seq;
    pg->n++;
    return 0;
}

/* The audit log, oldest first, for administrators: the records of their own organisation only
 * (another organisation's records would tell of its reports, readers and searches). The host's
 * operator reads the whole log with `vigil audit list`. */
unsigned api_get_audit(struct call *c)
{
    struct vg_audit_filter f = {0};
    struct audit_page pg = {0};
    struct vg_error err;
    unsigned status;
    if ((status = http_int_param(c, "since", 0, INT64_MAX, 0, &f.after_seq)) ||
        (status = http_int_param(c, "limit", 1, 1000, 100, &pg.limit)))
        return status;
    f.actor = http_param(c->p, "actor");
    f.action = http_param(c->p, "action");
    f.org = c->who->org;
    f.limit = pg.limit + 1;
    if (!(pg.records = json_array()))
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    int rc = vg_audit_list(c->store, &f, on_audit_record, &pg, &err);
    if (rc < 0) {
        json_decref(pg.records);
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the audit log could not be read");
    }
    c->body = json_pack("{so so}", "records", pg.records, "next",
                        pg.more ? json_integer(pg.last) : json_null());
    return MHD_HTTP_OK;
}
