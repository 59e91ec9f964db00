/* series.h - incidents counted per period (year, month or ISO week), one series per group.
 *
 * A series is the incidents of a selection bucketed by the period of their date: the count, and
 * the sums of the known killed and wounded, for every period from the first to the last one that
 * holds an incident (a series has no gaps: a period without incidents is there with 0). With a
 * grouping dimension there is one series per value of it, all over the same periods. Incidents
 * whose date lacks the precision a period needs (an unknown month for months and weeks, an
 * unknown day for weeks) are left out and counted.
 *
 * Periods are numbered by an index that grows by one from a period to the next: the year itself;
 * year * 12 + month - 1 for months; for weeks, the number of ISO 8601 weeks (Monday to Sunday)
 * since the week of 1970-01-01. vg_series_period_label turns an index into "2020", "2020-03" or
 * "2020-W53". */
#ifndef VIGIL_SERIES_H
#define VIGIL_SERIES_H

#include "vigil/cube.h"
#include "vigil/error.h"
#include "vigil/select.h"
#include "vigil/stats.h"

#include <stddef.h>
#include <stdint.h>

enum vg_period { VG_PERIOD_YEAR, VG_PERIOD_MONTH, VG_PERIOD_WEEK };

/* "year", "month" or "week". */
const char *vg_period_name(enum vg_period p);
/* Looks a period up by name; VG_EINVAL (err names the valid ones) when unknown. */
int vg_period_parse(const char *name, enum vg_period *out, struct vg_error *err);

/* The ISO 8601 week of a date: its week-numbering year (which differs from the calendar year
 * near 1 January) and its week, 1 to 53. VG_EINVAL when the date is not a date. */
int vg_series_iso_week(int year, int month, int day, int *iso_year, int *week);

/* The index of the period holding a date (month and day 0 when unknown). VG_EINVAL when the date
 * lacks the precision the period needs, or is not a date. */
int vg_series_period_of(enum vg_period p, int year, int month, int day, int64_t *index);

/* Writes the label of period index ("2020", "2020-03", "2020-W53") into buf, NUL-terminated.
 * Returns 0, or VG_ETOOBIG when size is too small (16 bytes always suffice). */
int vg_series_period_label(enum vg_period p, int64_t index, char *buf, size_t size);

/* The largest number of cells (groups times periods) a series may hold; past it vg_series_build
 * fails with VG_ETOOBIG, and the caller should narrow the selection or take a longer period. */
#define VG_SERIES_MAX_CELLS ((size_t)1 << 23)

struct vg_series_query {
    enum vg_period period;
    int grouped;    /* 1: one series per value of `by` */
    enum vg_dim by; /* when grouped */
};

/* The series. Cell (g, t) of a measure is values[m][g * nperiods + t]: the number of incidents
 * of group g in period first + t, or the sum of their known killed or wounded. A sum is
 * VG_NULL_INT (incident.h) when the period has incidents and none of them has the count known; a
 * period without incidents has 0 everywhere. */
struct vg_series {
    enum vg_period period;
    int grouped;
    enum vg_dim by;
    int64_t first;   /* period index of column 0 */
    size_t nperiods; /* 0 when no incident was taken */
    size_t ngroups;  /* 1 when not grouped (0 when no incident was taken) */
    char **groups;   /* ngroups names, in the order of the values (numbers in numeric order, text
                        in byte order), unknown last as NULL; NULL names when not grouped */
    size_t other;    /* vg_series_top: how many groups the last one ("other") sums; else 0 */
    int64_t *values[VG_MEASURE_COUNT];
    int64_t selected; /* incidents of the selection */
    int64_t left_out; /* of those, the ones whose date lacks the precision of the period */
};

/* Buckets the incidents of sel (NULL: every incident of the cube) into series. The result is
 * the caller's (vg_series_destroy). VG_ETOOBIG past VG_SERIES_MAX_CELLS. */
int vg_series_build(const struct vg_cube *c, const struct vg_selection *sel,
                    const struct vg_series_query *q, struct vg_series **out, struct vg_error *err);
void vg_series_destroy(struct vg_series *s);

/* A new series holding the k groups of s with the largest totals of measure m (ties: the earlier
 * group first), in their order in s, and, when s has more groups, one last group named "other"
 * summing the rest (out->other tells how many). k >= 1. */
int vg_series_top(const struct vg_series *s, enum vg_measure m, size_t k, struct vg_series **out,
                  struct vg_error *err);

/* The change of a value from the period before: delta = cur - prev, known when both are
 * (has_delta); pct = 100 * delta / prev, known when delta is and prev is not 0 (has_pct). Pass
 * VG_NULL_INT for a value that is unknown or a period that does not exist. */
struct vg_change {
    int has_delta, has_pct;
    int64_t delta;
    double pct;
};
void vg_series_change(int64_t prev, int64_t cur, struct vg_change *out);

#endif
