/* stats.h - counts and sums of incidents grouped by dimensions.
 *
 * A query names up to VG_STATS_MAX_DIMS dimensions to group by, the measures to compute, filters
 * (FIELD=VALUE: the same field given twice means either value, different fields must all hold)
 * and a date range. The result is a table ordered by the dimensions, unknown values last. */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

struct vg_store;

enum vg_dim {
    VG_DIM_YEAR,
    VG_DIM_MONTH,
    VG_DIM_COUNTRY,
    VG_DIM_REGION,
    VG_DIM_ATTACK,
    VG_DIM_TARGET,
    VG_DIM_WEAPON,
    VG_DIM_GROUP,
    VG_DIM_SOURCE,
    VG_DIM_COUNT
};

enum vg_measure { VG_MEASURE_INCIDENTS, VG_MEASURE_KILLED, VG_MEASURE_WOUNDED, VG_MEASURE_COUNT };

#define VG_STATS_MAX_DIMS 8
#define VG_STATS_MAX_WHERE 32

struct vg_stats_query {
    enum vg_dim dims[VG_STATS_MAX_DIMS];
    size_t ndims;
    enum vg_measure measures[VG_MEASURE_COUNT];
    size_t nmeasures;
    struct {
        enum vg_dim field;
        const char *value; /* borrowed */
    } where[VG_STATS_MAX_WHERE];
    size_t nwhere;
    int64_t from; /* YYYYMMDD key, inclusive; 0: no lower bound */
    int64_t to;   /* YYYYMMDD key, inclusive; 0: no upper bound */
};

/* The name of a dimension or measure ("year", "killed", ...). */
const char *vg_dim_name(enum vg_dim d);
const char *vg_measure_name(enum vg_measure m);
/* Looks a name up; returns 0 or VG_EINVAL (err lists the valid names). */
int vg_dim_parse(const char *name, enum vg_dim *out, struct vg_error *err);

void vg_stats_query_init(struct vg_stats_query *q);
/* Parses "year,region" into q->dims (replacing them). */
int vg_stats_set_dims(struct vg_stats_query *q, const char *list, struct vg_error *err);
/* Parses "incidents,killed" into q->measures (replacing them). */
int vg_stats_set_measures(struct vg_stats_query *q, const char *list, struct vg_error *err);
/* Adds a filter "FIELD=VALUE"; the string must outlive the query. */
int vg_stats_add_where(struct vg_stats_query *q, const char *expr, struct vg_error *err);
/* Parses YYYY, YYYY-MM or YYYY-MM-DD into a date key: the first day of the period when end is 0,
 * the last when end is 1. */
int vg_stats_parse_date(const char *s, int end, int64_t *key, struct vg_error *err);

struct vg_stats_result {
    size_t nrows, ndims, nmeasures;
    enum vg_dim dims[VG_STATS_MAX_DIMS];
    enum vg_measure measures[VG_MEASURE_COUNT];
    char **keys;     /* nrows * ndims, row-major; NULL for an unknown value */
    int64_t *values; /* nrows * nmeasures; VG_NULL_INT (incident.h) for a sum of no known value */
};

int vg_stats_run(struct vg_store *s, const struct vg_stats_query *q, struct vg_stats_result **out,
                 struct vg_error *err);
void vg_stats_result_destroy(struct vg_stats_result *r);

#endif
