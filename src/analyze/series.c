/* series.c - incidents bucketed per period into series, one per group, from the analytic cube.
 *
 * Two passes over the selected rows of the cube. The first finds the first and the last period
 * that hold an incident and which groups occur, and counts the incidents whose date lacks the
 * precision of the period (they are left out of everything after). The groups that occur are
 * then given dense numbers in output order (numbers in numeric order, text in byte order,
 * unknown last), and the series are one block of cells per measure, group-major, covering every
 * period between the first and the last: so a series has no gaps by construction. The second pass
 * adds each row to its cell. Killed and wounded cells start at -1, "no known value yet", and a
 * known count replaces that with 0 before it is added; at the end a cell still at -1 becomes
 * VG_NULL_INT when it holds incidents (a sum of no known value is unknown, as in stats.c) and 0
 * when it holds none (no incident, no victim).
 *
 * Period indexes: years are themselves; months are year * 12 + month - 1; weeks are ISO 8601
 * weeks numbered from the week of Thursday 1970-01-01, so the index of a day d (days since
 * 1970-01-01) is floor((d + 3) / 7) and the week's Thursday is day 7 * index. The ISO year of a
 * week is the calendar year of its Thursday, and its number is the Thursday's day of the year,
 * less one, divided by seven, plus one. Days are counted with the proleptic Gregorian calendar
 * (days_from_civil and civil_from_days, after H. Hinnant's public-domain algorithms).
 *
 * Invariants: nperiods * ngroups <= VG_SERIES_MAX_CELLS; every value array has that many cells.
 * Ownership: a series owns its names and arrays. Thread-safety: none needed, nothing is shared;
 * several threads may build series from one open cube. */
#include "vigil/series.h"
#include "vigil/incident.h"
#include "vigil/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const period_names[] = {"year", "month", "week"};

const char *vg_period_name(enum vg_period p)
{
    return (unsigned)p <= VG_PERIOD_WEEK ? period_names[p] : "?";
}

int vg_period_parse(const char *name, enum vg_period *out, struct vg_error *err)
{
    for (int p = VG_PERIOD_YEAR; p <= VG_PERIOD_WEEK; p++) {
        if (strcmp(name, period_names[p]) == 0) {
            *out = (enum vg_period)p;
            return 0;
        }
    }
    return vg_error_set(err, VG_EINVAL, "unknown period '%s' (choose from year, month, week)",
                        name);
}

/* ---- calendar ---- */

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a valid date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int valid_date(int year, int month, int day)
{
    return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
           day <= days_in_month(year, month);
}

/* ISO year and week of week index w. */
static void week_of_index(int64_t w, int64_t *iso_year, int *week)
{
    int64_t thursday = 7 * w;
    int m, d;
    civil_from_days(thursday, iso_year, &m, &d);
    *week = (int)((thursday - days_from_civil(*iso_year, 1, 1)) / 7 + 1);
}

int vg_series_iso_week(int year, int month, int day, int *iso_year, int *week)
{
    if (!valid_date(year, month, day))
        return VG_EINVAL;
    int64_t y;
    week_of_index(floor_div(days_from_civil(year, month, day) + 3, 7), &y, week);
    *iso_year = (int)y;
    return 0;
}

int vg_series_period_of(enum vg_period p, int year, int month, int day, int64_t *index)
{
    switch (p) {
    case VG_PERIOD_YEAR:
        if (year < 1 || year > 9999)
            return VG_EINVAL;
        *index = year;
        return 0;
    case VG_PERIOD_MONTH:
        if (year < 1 || year > 9999 || month < 1 || month > 12)
            return VG_EINVAL;
        *index = (int64_t)year * 12 + month - 1;
        return 0;
    case VG_PERIOD_WEEK:
        if (!valid_date(year, month, day))
            return VG_EINVAL;
        *index = floor_div(days_from_civil(year, month, day) + 3, 7);
        return 0;
    }
    return VG_EINVAL;
}

int vg_series_period_label(enum vg_period p, int64_t index, char *buf, size_t size)
{
    int n;
    if (p == VG_PERIOD_YEAR) {
        n = snprintf(buf, size, "%lld", (long long)index);
    } else if (p == VG_PERIOD_MONTH) {
        n = snprintf(buf, size, "%04lld-%02d", (long long)floor_div(index, 12),
                     (int)(index - floor_div(index, 12) * 12) + 1);
    } else {
        int64_t y;
        int w;
        week_of_index(index, &y, &w);
        n = snprintf(buf, size, "%04lld-W%02d", (long long)y, w);
    }
    return n < 0 || (size_t)n >= size ? VG_ETOOBIG : 0;
}

/* ---- building ---- */

#define YEAR_MIN 1800
#define YEAR_CARD 401

/* How the grouping dimension maps a row to a key below card (unknown = card - 1 where a value
 * can be unknown). */
struct grouping {
    enum vg_dim dim;
    int grouped;
    uint32_t card;
    uint32_t n; /* text dimensions: dictionary size (key n = unknown) */
    const uint32_t *code;
};

static inline uint32_t group_key(const struct grouping *g, const struct vg_cube_columns *c,
                                 size_t i)
{
    if (!g->grouped)
        return 0;
    if (g->dim == VG_DIM_YEAR) {
        int v = c->year[i] - YEAR_MIN;
        return v < 0 ? 0 : v >= YEAR_CARD ? YEAR_CARD - 1 : (uint32_t)v;
    }
    if (g->dim == VG_DIM_MONTH)
        return c->month[i] >= 1 && c->month[i] <= 12 ? (uint32_t)(c->month[i] - 1) : 12;
    uint32_t k = g->code[i];
    return k < g->n ? k : g->n;
}

static inline int row_period(enum vg_period p, const struct vg_cube_columns *c, size_t i,
                             int64_t *idx)
{
    return vg_series_period_of(p, c->year[i], c->month[i], c->day[i], idx);
}

struct named {
    const char *name;
    uint32_t key;
};

static int cmp_named(const void *a, const void *b)
{
    const struct named *x = a, *y = b;
    return strcmp(x->name, y->name);
}

void vg_series_destroy(struct vg_series *s)
{
    if (!s)
        return;
    if (s->groups)
        for (size_t g = 0; g < s->ngroups; g++)
            vg_free(s->groups[g]);
    vg_free(s->groups);
    for (int m = 0; m < VG_MEASURE_COUNT; m++)
        vg_free(s->values[m]);
    vg_free(s);
}

/* Allocates the arrays of s for its ngroups and nperiods: names NULL, counts 0, sums -1. */
static int series_alloc(struct vg_series *s, struct vg_error *err)
{
    size_t cells = s->ngroups * s->nperiods;
    if (s->ngroups && !(s->groups = vg_calloc(s->ngroups, sizeof(char *))))
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    for (int m = 0; m < VG_MEASURE_COUNT && cells; m++) {
        if (!(s->values[m] = vg_malloc(cells * sizeof(int64_t))))
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        for (size_t k = 0; k < cells; k++)
            s->values[m][k] = m == VG_MEASURE_INCIDENTS ? 0 : -1;
    }
    return 0;
}

/* Turns the -1 ("no known value yet") of the sums into VG_NULL_INT or 0. */
static void series_finish(struct vg_series *s)
{
    size_t cells = s->ngroups * s->nperiods;
    for (int m = VG_MEASURE_KILLED; m < VG_MEASURE_COUNT; m++)
        for (size_t k = 0; k < cells; k++)
            if (s->values[m][k] < 0)
                s->values[m][k] = s->values[VG_MEASURE_INCIDENTS][k] ? VG_NULL_INT : 0;
}

int vg_series_build(const struct vg_cube *c, const struct vg_selection *sel,
                    const struct vg_series_query *q, struct vg_series **out, struct vg_error *err)
{
    const struct vg_cube_columns *cols = vg_cube_columns(c);
    struct vg_series *s = NULL;
    uint8_t *present = NULL;
    uint32_t *slot = NULL; /* key -> dense group number */
    struct named *names = NULL;
    int rc = 0;

    if ((unsigned)q->period > VG_PERIOD_WEEK)
        return vg_error_set(err, VG_EINVAL, "unknown period");
    if (q->grouped && (unsigned)q->by >= VG_DIM_COUNT)
        return vg_error_set(err, VG_EINVAL, "unknown dimension");

    struct grouping g = {q->by, q->grouped, 1, 0, NULL};
    if (g.grouped) {
        if (g.dim == VG_DIM_YEAR) {
            g.card = YEAR_CARD;
        } else if (g.dim == VG_DIM_MONTH) {
            g.card = 13;
        } else {
            g.n = vg_cube_dict_size(c, g.dim);
            g.card = g.n + 1;
            g.code = cols->code[g.dim];
        }
    }
    if (!(s = vg_calloc(1, sizeof(*s))) || !(present = vg_calloc(g.card, 1)) ||
        !(slot = vg_malloc((size_t)g.card * sizeof(uint32_t)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    s->period = q->period;
    s->grouped = q->grouped;
    s->by = q->by;

    /* Pass 1: the range of periods, the groups, the incidents left out. */
    int all = !sel || vg_selection_all(sel);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < cols->n; i++) {
        int64_t t;
        if (!all && !vg_selection_has(sel, i))
            continue;
        s->selected++;
        if (row_period(q->period, cols, i, &t)) {
            s->left_out++;
            continue;
        }
        if (t < lo)
            lo = t;
        if (t > hi)
            hi = t;
        present[group_key(&g, cols, i)] = 1;
    }
    if (lo > hi) { /* nothing to count */
        *out = s;
        s = NULL;
        goto fail;
    }

    /* Dense group numbers in output order. */
    size_t ngroups = 0;
    uint32_t unknown_key = UINT32_MAX;
    if (g.grouped && g.dim != VG_DIM_YEAR)
        unknown_key = g.card - 1;
    if (g.grouped && g.code) {
        if (!(names = vg_malloc((size_t)g.card * sizeof(struct named)))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        size_t nn = 0;
        for (uint32_t k = 0; k < g.n; k++)
            if (present[k])
                names[nn++] = (struct named){vg_cube_dict_value(c, g.dim, k), k};
        qsort(names, nn, sizeof(*names), cmp_named);
        for (size_t j = 0; j < nn; j++)
            slot[names[j].key] = (uint32_t)ngroups++;
    } else {
        for (uint32_t k = 0; k < g.card; k++)
            if (present[k] && k != unknown_key)
                slot[k] = (uint32_t)ngroups++;
    }
    if (unknown_key != UINT32_MAX && present[unknown_key])
        slot[unknown_key] = (uint32_t)ngroups++;

    uint64_t nperiods = (uint64_t)(hi - lo) + 1;
    if (nperiods > VG_SERIES_MAX_CELLS / ngroups) {
        rc = vg_error_set(err, VG_ETOOBIG,
                          "%zu series of %llu %ss is more than %zu cells: narrow the selection "
                          "or take a longer period",
                          ngroups, (unsigned long long)nperiods, vg_period_name(q->period),
                          VG_SERIES_MAX_CELLS);
        goto fail;
    }
    s->first = lo;
    s->nperiods = (size_t)nperiods;
    s->ngroups = ngroups;
    if ((rc = series_alloc(s, err)))
        goto fail;
    if (g.grouped) {
        for (uint32_t k = 0; k < g.card; k++) {
            if (!present[k] || k == unknown_key)
                continue;
            char num[16];
            const char *text = num;
            if (g.code)
                text = vg_cube_dict_value(c, g.dim, k);
            else
                snprintf(num, sizeof(num), "%d",
                         g.dim == VG_DIM_YEAR ? (int)k + YEAR_MIN : (int)k + 1);
            if (!(s->groups[slot[k]] = vg_strdup(text))) {
                rc = vg_error_set(err, VG_ENOMEM, "out of memory");
                goto fail;
            }
        }
    }

    /* Pass 2: add each row to its cell. */
    int64_t *count = s->values[VG_MEASURE_INCIDENTS];
    int64_t *killed = s->values[VG_MEASURE_KILLED];
    int64_t *wounded = s->values[VG_MEASURE_WOUNDED];
    for (size_t i = 0; i < cols->n; i++) {
        int64_t t;
        if ((!all && !vg_selection_has(sel, i)) || row_period(q->period, cols, i, &t))
            continue;
        size_t cell = (size_t)slot[group_key(&g, cols, i)] * s->nperiods + (size_t)(t - lo);
        count[cell]++;
        if (cols->killed[i] >= 0) {
            if (killed[cell] < 0)
                killed[cell] = 0;
            killed[cell] += cols->killed[i];
        }
        if (cols->wounded[i] >= 0) {
            if (wounded[cell] < 0)
                wounded[cell] = 0;
            wounded[cell] += cols->wounded[i];
        }
    }
    series_finish(s);
    *out = s;
    s = NULL;
fail:
    vg_free(names);
    vg_free(slot);
    vg_free(present);
    vg_series_destroy(s);
    return rc;
}

/* ---- top groups ---- */

struct ranked {
    int64_t total;
    size_t group;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->total != y->total)
        return x->total > y->total ? -1 : 1;
    return (x->group > y->group) - (x->group < y->group);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* Adds the sum v of a cell with n incidents to the sum cell *dst, where -1 means "nothing
 * known": a cell without incidents knows nothing, its 0 is no known value. */
static void add_sum(int64_t *dst, int64_t v, int64_t n)
{
    if (v == VG_NULL_INT || n == 0)
        return;
    if (*dst < 0)
        *dst = 0;
    *dst += v;
}

int vg_series_top(const struct vg_series *s, enum vg_measure m, size_t k, struct vg_series **out,
                  struct vg_error *err)
{
    struct vg_series *r = NULL;
    struct ranked *rank = NULL;
    size_t *keep = NULL;
    int rc = 0;

    if (k == 0 || (unsigned)m >= VG_MEASURE_COUNT)
        return vg_error_set(err, VG_EINVAL, "the number of groups to keep must be at least 1");
    if (!(r = vg_calloc(1, sizeof(*r)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    r->period = s->period;
    r->grouped = s->grouped;
    r->by = s->by;
    r->first = s->first;
    r->nperiods = s->nperiods;
    r->selected = s->selected;
    r->left_out = s->left_out;
    size_t nkeep = s->ngroups < k ? s->ngroups : k;
    r->other = s->ngroups - nkeep;
    r->ngroups = nkeep + (r->other ? 1 : 0);
    if (s->ngroups && (!(rank = vg_malloc(s->ngroups * sizeof(*rank))) ||
                       !(keep = vg_malloc(s->ngroups * sizeof(size_t))))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t g = 0; g < s->ngroups; g++) {
        rank[g].group = g;
        rank[g].total = 0;
        for (size_t t = 0; t < s->nperiods; t++) {
            int64_t v = s->values[m][g * s->nperiods + t];
            if (v != VG_NULL_INT)
                rank[g].total += v;
        }
    }
    if (s->ngroups)
        qsort(rank, s->ngroups, sizeof(*rank), cmp_ranked);
    for (size_t j = 0; j < nkeep; j++)
        keep[j] = rank[j].group;
    if (nkeep)
        qsort(keep, nkeep, sizeof(size_t), cmp_size);
    if ((rc = series_alloc(r, err)))
        goto fail;
    for (size_t j = 0; j < s->ngroups; j++) {
        size_t from = j < nkeep ? keep[j] : rank[j].group;
        size_t to = j < nkeep ? j : nkeep;
        if (j < nkeep && s->groups && s->groups[from] &&
            !(r->groups[to] = vg_strdup(s->groups[from]))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        for (size_t t = 0; t < s->nperiods; t++) {
            size_t a = from * s->nperiods + t, b = to * r->nperiods + t;
            int64_t n = s->values[VG_MEASURE_INCIDENTS][a];
            r->values[VG_MEASURE_INCIDENTS][b] += n;
            add_sum(&r->values[VG_MEASURE_KILLED][b], s->values[VG_MEASURE_KILLED][a], n);
            add_sum(&r->values[VG_MEASURE_WOUNDED][b], s->values[VG_MEASURE_WOUNDED][a], n);
        }
    }
    if (r->other && !(r->groups[nkeep] = vg_strdup("other"))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    if (r->ngroups && r->nperiods)
        series_finish(r);
    *out = r;
    r = NULL;
fail:
    vg_free(rank);
    vg_free(keep);
    vg_series_destroy(r);
    return rc;
}

void vg_series_change(int64_t prev, int64_t cur, struct vg_change *out)
{
    memset(out, 0, sizeof(*out));
    if (prev == VG_NULL_INT || cur == VG_NULL_INT)
        return;
    out->has_delta = 1;
    out->delta = cur - prev;
    if (prev != 0) {
        out->has_pct = 1;
        out->pct = 100.0 * (double)out->delta / (double)prev;
    }
}
