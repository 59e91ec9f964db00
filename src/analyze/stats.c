/* stats.c - grouped counts and sums over the incidents table.
 *
 * A query becomes one SQL statement: SELECT the dimension columns, count(*), sum(killed),
 * sum(wounded) FROM incidents WHERE <filters> GROUP BY the dimensions ORDER BY them (unknown
 * values last). Filter values are bound, never pasted into the SQL; the only text spliced in comes
 * from the fixed column table below. sum() skips NULLs, so unknown casualty counts are left out
 * of the sums rather than taken as zero.
 *
 * Date keys: a date is the integer YYYYMMDD with unknown month or day as 00; a range bound is
 * inclusive, the upper one filled with 99s, so "--to 2014" takes every date of 2014, known to the
 * day or not.
 *
 * Ownership: the result owns its key strings and arrays. Thread-safety: one store per thread. */
#include "vigil/stats.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    const char *column;
    int numeric;
} dim_table[VG_DIM_COUNT] = {
    [VG_DIM_YEAR] = {"year", "year", 1},        [VG_DIM_MONTH] = {"month", "month", 1},
    [VG_DIM_COUNTRY] = {"country", "country", 0}, [VG_DIM_REGION] = {"region", "region", 0},
    [VG_DIM_ATTACK] = {"attack", "attack", 0},  [VG_DIM_TARGET] = {"target", "target", 0},
    [VG_DIM_WEAPON] = {"weapon", "weapon", 0},  [VG_DIM_GROUP] = {"group", "group_name", 0},
    [VG_DIM_SOURCE] = {"source", "source", 0},
};

static const char *const measure_names[VG_MEASURE_COUNT] = {"incidents", "killed", "wounded"};
static const char *const measure_sql[VG_MEASURE_COUNT] = {"count(*)", "sum(killed)",
                                                         "sum(wounded)"};

const char *vg_dim_name(enum vg_dim d)
{
    return (unsigned)d < VG_DIM_COUNT ? dim_table[d].name : "?";
}

const char *vg_measure_name(enum vg_measure m)
{
    return (unsigned)m < VG_MEASURE_COUNT ? measure_names[m] : "?";
}

int vg_dim_parse(const char *name, enum vg_dim *out, struct vg_error *err)
{
    for (int d = 0; d < VG_DIM_COUNT; d++) {
        if (strcmp(name, dim_table[d].name) == 0) {
            *out = (enum vg_dim)d;
            return 0;
        }
    }
    return vg_error_set(err, VG_EINVAL,
                        "unknown dimension '%s' (choose from year, month, country, region, "
                        "attack, target, weapon, group, source)",
                        name);
}

void vg_stats_query_init(struct vg_stats_query *q)
{
    memset(q, 0, sizeof(*q));
    q->measures[0] = VG_MEASURE_INCIDENTS;
    q->nmeasures = 1;
}

/* Calls fn on each comma-separated item of list (items copied into a bounded buffer). */
static int each_item(const char *list, int (*fn)(void *, const char *, struct vg_error *),
                     void *ctx, struct vg_error *err)
{
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        char item[64];
        if (n == 0)
            return vg_error_set(err, VG_EINVAL, "empty item in the list '%s'", list);
        if (n >= sizeof(item))
            return vg_error_set(err, VG_EINVAL, "'%.*s...' is not a known name", 20, p);
        memcpy(item, p, n);
        item[n] = '\0';
        int rc = fn(ctx, item, err);
        if (rc)
            return rc;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int add_dim(void *ctx, const char *name, struct vg_error *err)
{
    struct vg_stats_query *q = ctx;
    enum vg_dim d = VG_DIM_YEAR;
    int rc = vg_dim_parse(name, &d, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < q->ndims; i++)
        if (q->dims[i] == d)
            return vg_error_set(err, VG_EINVAL, "dimension '%s' is given twice", name);
    if (q->ndims == VG_STATS_MAX_DIMS)
        return vg_error_set(err, VG_EINVAL, "at most %d dimensions", VG_STATS_MAX_DIMS);
    q->dims[q->ndims++] = d;
    return 0;
}

static int add_measure(void *ctx, const char *name, struct vg_error *err)
{
    struct vg_stats_query *q = ctx;
    for (int m = 0; m < VG_MEASURE_COUNT; m++) {
        if (strcmp(name, measure_names[m]) == 0) {
            for (size_t i = 0; i < q->nmeasures; i++)
                if (q->measures[i] == (enum vg_measure)m)
                    return vg_error_set(err, VG_EINVAL, "measure '%s' is given twice", name);
            q->measures[q->nmeasures++] = (enum vg_measure)m;
            return 0;
        }
    }
    return vg_error_set(err, VG_EINVAL,
                        "unknown measure '%s' (choose from incidents, killed, wounded)", name);
}

int vg_stats_set_dims(struct vg_stats_query *q, const char *list, struct vg_error *err)
{
    q->ndims = 0;
    return each_item(list, add_dim, q, err);
}

int vg_stats_set_measures(struct vg_stats_query *q, const char *list, struct vg_error *err)
{
    q->nmeasures = 0;
    return each_item(list, add_measure, q, err);
}

int vg_stats_add_where(struct vg_stats_query *q, const char *expr, struct vg_error *err)
{
    const char *eq = strchr(expr, '=');
    char field[64];
    if (!eq || eq == expr)
        return vg_error_set(err, VG_EINVAL, "filter '%s' is not FIELD=VALUE", expr);
    size_t n = (size_t)(eq - expr);
    if (n >= sizeof(field))
        return vg_error_set(err, VG_EINVAL, "filter '%s' names no known field", expr);
    memcpy(field, expr, n);
    field[n] = '\0';
    enum vg_dim d = VG_DIM_YEAR;
    int rc = vg_dim_parse(field, &d, err);
    if (rc)
        return rc;
    if (dim_table[d].numeric) {
        char *end;
        strtol(eq + 1, &end, 10);
        if (eq[1] == '\0' || *end != '\0')
            return vg_error_set(err, VG_EINVAL, "filter '%s': %s must be a whole number", expr,
                                field);
    }
    if (q->nwhere == VG_STATS_MAX_WHERE)
        return vg_error_set(err, VG_EINVAL, "at most %d filters", VG_STATS_MAX_WHERE);
    q->where[q->nwhere].field = d;
    q->where[q->nwhere].value = eq + 1;
    q->nwhere++;
    return 0;
}

int vg_stats_parse_date(const char *s, int end, int64_t *key, struct vg_error *err)
{
    int y = 0, m = 0, d = 0;
    char tail;
    int n = sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail);
    size_t len = strlen(s);
    int ok = (n == 1 && len == 4) || (n == 2 && len == 7) || (n == 3 && len == 10);
    if (!ok || y < 1 || m < 0 || m > 12 || d < 0 || d > 31 || (n >= 2 && m == 0) ||
        (n == 3 && d == 0))
        return vg_error_set(err, VG_EINVAL, "'%s' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
                            s);
    if (n < 2)
        m = end ? 99 : 0;
    if (n < 3)
        d = end ? 99 : 0;
    *key = (int64_t)y * 10000 + m * 100 + d;
    return 0;
}

void vg_stats_result_destroy(struct vg_stats_result *r)
{
    if (!r)
        return;
    if (r->keys)
        for (size_t i = 0; i < r->nrows * r->ndims; i++)
            vg_free(r->keys[i]);
    vg_free(r->keys);
    vg_free(r->values);
    vg_free(r);
}

static int build_sql(const struct vg_stats_query *q, struct vg_buf *sql)
{
    int rc = vg_buf_append(sql, "SELECT ", 7);
    for (size_t i = 0; i < q->ndims && !rc; i++)
        rc = vg_buf_printf(sql, "%s, ", dim_table[q->dims[i]].column);
    for (size_t i = 0; i < q->nmeasures && !rc; i++)
        rc = vg_buf_printf(sql, "%s%s", i ? ", " : "", measure_sql[q->measures[i]]);
    if (!rc)
        rc = vg_buf_printf(sql, " FROM incidents WHERE 1");
    /* Filters on the same field are OR-ed, different fields AND-ed. */
    int param = 1;
    for (int d = 0; d < VG_DIM_COUNT && !rc; d++) {
        int first = 1;
        for (size_t i = 0; i < q->nwhere && !rc; i++) {
            if (q->where[i].field != (enum vg_dim)d)
                continue;
            rc = vg_buf_printf(sql, "%s%s = ?%d", first ? " AND (" : " OR ",
                               dim_table[d].column, param++);
            first = 0;
        }
        if (!first && !rc)
            rc = vg_buf_putc(sql, ')');
    }
    const char *key = "(year * 10000 + coalesce(month, 0) * 100 + coalesce(day, 0))";
    if (q->from && !rc)
        rc = vg_buf_printf(sql, " AND %s >= %lld", key, (long long)q->from);
    if (q->to && !rc)
        rc = vg_buf_printf(sql, " AND %s <= %lld", key, (long long)q->to);
    if (q->ndims && !rc) {
        rc = vg_buf_append(sql, " GROUP BY ", 10);
        for (size_t i = 0; i < q->ndims && !rc; i++)
            rc = vg_buf_printf(sql, "%s%zu", i ? ", " : "", i + 1);
        rc = rc ? rc : vg_buf_append(sql, " ORDER BY ", 10);
        for (size_t i = 0; i < q->ndims && !rc; i++)
            rc = vg_buf_printf(sql, "%s%zu IS NULL, %zu", i ? ", " : "", i + 1, i + 1);
    }
    return rc;
}

int vg_stats_run(struct vg_store *s, const struct vg_stats_query *q,
                 struct vg_stats_result **out, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct vg_buf sql;
    struct vg_stats_result *r = NULL;
    size_t cap = 0;
    int rc;

    vg_buf_init(&sql, 1u << 16);
    if ((rc = build_sql(q, &sql)))
        goto fail;
    if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        rc = vg_error_set(err, VG_EDB, "statistics query failed: %s", sqlite3_errmsg(db));
        goto fail;
    }
    int param = 1;
    for (int d = 0; d < VG_DIM_COUNT; d++)
        for (size_t i = 0; i < q->nwhere; i++)
            if (q->where[i].field == (enum vg_dim)d) {
                if (dim_table[d].numeric)
                    sqlite3_bind_int64(st, param++, strtoll(q->where[i].value, NULL, 10));
                else
                    sqlite3_bind_text(st, param++, q->where[i].value, -1, SQLITE_STATIC);
            }
    if (!(r = vg_calloc(1, sizeof(*r)))) {
        rc = VG_ENOMEM;
        goto fail;
    }
    r->ndims = q->ndims;
    r->nmeasures = q->nmeasures;
    memcpy(r->dims, q->dims, sizeof(q->dims));
    memcpy(r->measures, q->measures, sizeof(q->measures));
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (r->nrows == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            char **keys = vg_realloc(r->keys, ncap * (r->ndims ? r->ndims : 1) * sizeof(char *));
            if (keys)
                r->keys = keys;
            int64_t *vals = vg_realloc(r->values, ncap * r->nmeasures * sizeof(int64_t));
            if (vals)
                r->values = vals;
            if (!keys || !vals) {
                rc = VG_ENOMEM;
                goto fail;
            }
            cap = ncap;
        }
        char **keys = r->keys + r->nrows * r->ndims;
        for (size_t i = 0; i < r->ndims; i++) {
            const unsigned char *t = sqlite3_column_text(st, (int)i);
            keys[i] = t ? vg_strdup((const char *)t) : NULL;
            if (t && !keys[i]) {
                for (size_t k = 0; k < i; k++)
                    vg_free(keys[k]);
                rc = VG_ENOMEM;
                goto fail;
            }
        }
        for (size_t i = 0; i < r->nmeasures; i++)
            r->values[r->nrows * r->nmeasures + i] =
                sqlite3_column_int64(st, (int)(r->ndims + i));
        r->nrows++;
    }
    if (step != SQLITE_DONE) {
        rc = vg_error_set(err, VG_EDB, "statistics query failed: %s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    vg_buf_cleanup(&sql);
    *out = r;
    return 0;
fail:
    if (rc == VG_ENOMEM || rc == VG_ETOOBIG)
        vg_error_set(err, rc, "%s", vg_strerror(rc));
    sqlite3_finalize(st);
    vg_buf_cleanup(&sql);
    vg_stats_result_destroy(r);
    return rc;
}
