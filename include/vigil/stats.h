/* stats.h - counts and sums of incidents grouped by dimensions.
 *
 * A query names up to VG_STATS_MAX_DIMS dimensions to group by, the measures to compute, filters
 * (FIELD=VALUE: the same field given twice means either value, different fields must all hold)
 * and a date range. The result is a table ordered by the dimensions, unknown values last. */
#ifndef VIGIL_STATS_H
#define VIGIL_STATS_H

#include "vigil/cube.h"
#include "vigil/error.h"
#include "vigil/select.h"

#include <stddef.h>
#include <stdint.h>

struct vg_store;

enum vg_measure { VG_MEASURE_INCIDENTS, VG_MEASURE_KILLED, VG_MEASURE_WOUNDED, VG_MEASURE_COUNT };

#define VG_STATS_MAX_DIMS 8

struct vg_stats_query {
    enum vg_dim dims[VG_STATS_MAX_DIMS];
    size_t ndims;
    enum vg_measure measures[VG_MEASURE_COUNT];
    size_t nmeasures;
    struct vg_filter filter; /* which incidents count */
};

/* The name of a measure ("incidents", "killed", "wounded"). */
const char *vg_measure_name(enum vg_measure m);

void vg_stats_query_init(struct vg_stats_query *q);
/* Parses "year,region" into q->dims (replacing them). */
int vg_stats_set_dims(struct vg_stats_query *q, const char *list, struct vg_error *err);
/* Parses "incidents,killed" into q->measures (replacing them). */
int vg_stats_set_measures(struct vg_stats_query *q, const char *list, struct vg_error *err);

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
