/* select.h - which incidents an analysis takes: filters on dimensions and a date range.
 *
 * A filter is a list of FIELD=VALUE conditions (the same field repeated means either value,
 * different fields must all hold; an empty VALUE means "unknown") and an inclusive date range.
 * Dates are keys YYYYMMDD with an unknown month or day as 00; a range bound given as a year or a
 * month covers the whole period. A selection is a filter applied to a cube: one bit per row. */
#ifndef VIGIL_SELECT_H
#define VIGIL_SELECT_H

#include "vigil/cube.h"
#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

#define VG_FILTER_MAX_WHERE 32

struct vg_filter {
    struct {
        enum vg_dim field;
        const char *value; /* borrowed: must outlive the filter */
    } where[VG_FILTER_MAX_WHERE];
    size_t nwhere;
    int64_t from; /* YYYYMMDD key, inclusive; 0: no lower bound */
    int64_t to;   /* YYYYMMDD key, inclusive; 0: no upper bound */
};

void vg_filter_init(struct vg_filter *f);
/* Adds a condition "FIELD=VALUE"; the string must outlive the filter. */
int vg_filter_add_where(struct vg_filter *f, const char *expr, struct vg_error *err);
/* Parses YYYY, YYYY-MM or YYYY-MM-DD (a real date) into a date key: the first day of the period
 * when end is 0, the last when end is 1. */
int vg_date_key(const char *s, int end, int64_t *key, struct vg_error *err);

struct vg_selection;

/* Applies f to every row of the cube. The cube must outlive the selection. */
int vg_selection_create(const struct vg_cube *c, const struct vg_filter *f,
                        struct vg_selection **out, struct vg_error *err);
void vg_selection_destroy(struct vg_selection *s);
/* 1 when row i is selected. */
int vg_selection_has(const struct vg_selection *s, size_t i);
/* 1 when every row is selected (no condition, no range): callers may skip the test. */
int vg_selection_all(const struct vg_selection *s);
/* Number of rows selected. */
size_t vg_selection_count(const struct vg_selection *s);

#endif
