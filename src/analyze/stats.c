/* stats.c - grouped counts and sums of incidents, answered from the analytic cube.
 *
 * Each grouping dimension maps a row to a small index: year - 1800, month - 1, or the rank of a
 * text value in sorted order, unknown always last. The indexes of a row's dimensions combine, in
 * mixed radix, into one cell number whose order is the order of the output, so walking the cells
 * in order yields the rows sorted by the dimensions with no sort. When the cells are few enough
 * (DENSE_MAX) they are a plain array and, on large data, two threads each fill their own array
 * over half the rows before the arrays are added up; otherwise an open-addressing table holds the
 * cells that occur and its keys are sorted at the end. Filters become tables of accepted indexes
 * or codes: the same field repeated means either value, different fields must all match.
 * Unknown casualty counts are left out of the sums rather than taken as zero, and a sum over no
 * known value is unknown (VG_NULL_INT), as in SQL.
 *
 * Date keys: a date is the integer YYYYMMDD with unknown month or day as 00; a range bound is
 * inclusive, the upper one filled with 99s, so "--to 2014" takes every date of 2014, known to the
 * day or not.
 *
 * Ownership: the result owns its key strings and arrays. Thread-safety: one store per thread. */
#include "vigil/stats.h"
#include "vigil/cube.h"
#include "vigil/hash.h"
#include "vigil/incident.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const measure_names[VG_MEASURE_COUNT] = {"incidents", "killed", "wounded"};

const char *vg_measure_name(enum vg_measure m)
{
    return (unsigned)m < VG_MEASURE_COUNT ? measure_names[m] : "?";
}

void vg_stats_query_init(struct vg_stats_query *q)
{
    memset(q, 0, sizeof(*q));
    vg_filter_init(&q->filter);
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

/* ---- aggregation over the cube ---- */

#define YEAR_MIN 1800
#define YEAR_CARD 401 /* 1800 .. 2200, the years an ingest accepts */
#define DENSE_MAX (1u << 22)
#define PARALLEL_MIN 1000000

/* How one dimension turns a row into an index: year - 1800, month - 1 (12 = unknown), or the rank
 * of a text value in sorted order (n = unknown, so unknown sorts last). */
struct dimx {
    enum vg_dim dim;
    uint64_t card;
    const uint32_t *code;  /* text dimensions */
    const uint32_t *rank;  /* code -> rank, n + 1 entries (the last for unknown) */
    const uint32_t *order; /* rank -> code */
    uint32_t n;
};

struct acc {
    int64_t v[VG_MEASURE_COUNT];     /* incidents, killed, wounded */
    int64_t known[VG_MEASURE_COUNT]; /* how many rows gave a value (all do for incidents) */
};

struct plan {
    const struct vg_cube_columns *cols;
    struct dimx dims[VG_STATS_MAX_DIMS];
    size_t ndims;
    const struct vg_selection *sel;
    uint64_t cells; /* product of the cardinalities */
};

static inline uint32_t year_index(int16_t y)
{
    int v = y - YEAR_MIN;
    return v < 0 ? 0 : v >= YEAR_CARD ? YEAR_CARD - 1 : (uint32_t)v;
}

static inline uint32_t month_index(int8_t m)
{
    return m >= 1 && m <= 12 ? (uint32_t)(m - 1) : 12;
}

static inline uint32_t text_code(const uint32_t *code, uint32_t n, size_t i)
{
    uint32_t c = code[i];
    return c < n ? c : n;
}

static inline int keep_row(const struct plan *p, size_t i)
{
    return vg_selection_has(p->sel, i);
}

static inline uint64_t cell_of(const struct plan *p, size_t i)
{
    uint64_t k = 0;
    for (size_t d = 0; d < p->ndims; d++) {
        const struct dimx *x = &p->dims[d];
        uint32_t idx = x->dim == VG_DIM_YEAR    ? year_index(p->cols->year[i])
                       : x->dim == VG_DIM_MONTH ? month_index(p->cols->month[i])
                                                : x->rank[text_code(x->code, x->n, i)];
        k = k * x->card + idx;
    }
    return k;
}

static inline void add_to(struct acc *a, const struct vg_cube_columns *c, size_t i)
{
    a->v[VG_MEASURE_INCIDENTS]++;
    a->known[VG_MEASURE_INCIDENTS]++;
    if (c->killed[i] >= 0) {
        a->v[VG_MEASURE_KILLED] += c->killed[i];
        a->known[VG_MEASURE_KILLED]++;
    }
    if (c->wounded[i] >= 0) {
        a->v[VG_MEASURE_WOUNDED] += c->wounded[i];
        a->known[VG_MEASURE_WOUNDED]++;
    }
}

struct dense_job {
    const struct plan *p;
    size_t lo, hi;
    struct acc *cells;
};

static void *dense_run(void *arg)
{
    struct dense_job *j = arg;
    for (size_t i = j->lo; i < j->hi; i++)
        if (keep_row(j->p, i))
            add_to(&j->cells[cell_of(j->p, i)], j->p->cols, i);
    return NULL;
}

/* Open-addressing table of cells, for groupings too sparse for a dense array. */
struct sparse {
    uint64_t *keys; /* key + 1, 0 = empty */
    struct acc *accs;
    size_t cap, n;
};

static int sparse_slot(struct sparse *t, uint64_t key, size_t *slot)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        uint64_t *keys = vg_calloc(cap, sizeof(uint64_t));
        struct acc *accs = vg_calloc(cap, sizeof(struct acc));
        if (!keys || !accs) {
            vg_free(keys);
            vg_free(accs);
            return VG_ENOMEM;
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->keys[i])
                continue;
            size_t j = (size_t)vg_hash64(&t->keys[i], 8, 0) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = t->keys[i];
            accs[j] = t->accs[i];
        }
        vg_free(t->keys);
        vg_free(t->accs);
        t->keys = keys;
        t->accs = accs;
        t->cap = cap;
    }
    uint64_t stored = key + 1;
    size_t j = (size_t)vg_hash64(&stored, 8, 0) & (t->cap - 1);
    while (t->keys[j] && t->keys[j] != stored)
        j = (j + 1) & (t->cap - 1);
    if (!t->keys[j]) {
        t->keys[j] = stored;
        t->n++;
    }
    *slot = j;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Appends the row of cell key to the result: decodes each dimension's index into its text. */
static int emit(struct vg_stats_result *r, size_t *cap, const struct plan *p,
                const struct vg_cube *cube, uint64_t key, const struct acc *a)
{
    if (r->nrows == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        char **keys = vg_realloc(r->keys, ncap * (r->ndims ? r->ndims : 1) * sizeof(char *));
        if (keys)
            r->keys = keys;
        int64_t *vals = vg_realloc(r->values, ncap * r->nmeasures * sizeof(int64_t));
        if (vals)
            r->values = vals;
        if (!keys || !vals)
            return VG_ENOMEM;
        *cap = ncap;
    }
    char **out = r->keys + r->nrows * r->ndims;
    for (size_t d = p->ndims; d-- > 0;) {
        const struct dimx *x = &p->dims[d];
        uint64_t idx = key % x->card;
        key /= x->card;
        char num[16];
        const char *text = NULL;
        if (x->dim == VG_DIM_YEAR) {
            snprintf(num, sizeof(num), "%d", (int)idx + YEAR_MIN);
            text = num;
        } else if (x->dim == VG_DIM_MONTH) {
            if (idx < 12) {
                snprintf(num, sizeof(num), "%d", (int)idx + 1);
                text = num;
            }
        } else if (idx < x->n) {
            text = vg_cube_dict_value(cube, x->dim, x->order[idx]);
        }
        out[d] = NULL;
        if (text && !(out[d] = vg_strdup(text))) {
            for (size_t k = d + 1; k < p->ndims; k++)
                vg_free(out[k]);
            return VG_ENOMEM;
        }
    }
    for (size_t m = 0; m < r->nmeasures; m++)
        r->values[r->nrows * r->nmeasures + m] =
            a->known[r->measures[m]] || r->measures[m] == VG_MEASURE_INCIDENTS
                ? a->v[r->measures[m]]
                : VG_NULL_INT; /* a sum of no known values is unknown, not 0 */
    r->nrows++;
    return 0;
}

static const struct vg_cube *sort_cube; /* qsort has no context argument */
static enum vg_dim sort_dim;

static int cmp_codes(const void *a, const void *b)
{
    return strcmp(vg_cube_dict_value(sort_cube, sort_dim, *(const uint32_t *)a),
                  vg_cube_dict_value(sort_cube, sort_dim, *(const uint32_t *)b));
}

static void plan_cleanup(struct plan *p)
{
    for (size_t d = 0; d < p->ndims; d++) {
        vg_free((void *)p->dims[d].rank);
        vg_free((void *)p->dims[d].order);
    }
}

static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int plan_init(struct plan *p, const struct vg_cube *cube, const struct vg_stats_query *q,
                     const struct vg_selection *sel, struct vg_error *err)
{
    memset(p, 0, sizeof(*p));
    p->sel = sel;
    p->cols = vg_cube_columns(cube);
    p->cells = 1;
    for (size_t d = 0; d < q->ndims; d++) {
        struct dimx *x = &p->dims[p->ndims++];
        x->dim = q->dims[d];
        if (x->dim == VG_DIM_YEAR) {
            x->card = YEAR_CARD;
        } else if (x->dim == VG_DIM_MONTH) {
            x->card = 13;
        } else {
            x->n = vg_cube_dict_size(cube, x->dim);
            x->card = (uint64_t)x->n + 1;
            x->code = p->cols->code[x->dim];
            uint32_t *order = vg_malloc(((size_t)x->n + 1) * sizeof(uint32_t));
            uint32_t *rank = vg_malloc(((size_t)x->n + 1) * sizeof(uint32_t));
            x->order = order;
            x->rank = rank;
            if (!order || !rank)
                return vg_error_set(err, VG_ENOMEM, "out of memory");
            for (uint32_t i = 0; i < x->n; i++)
                order[i] = i;
            pthread_mutex_lock(&sort_lock);
            sort_cube = cube;
            sort_dim = x->dim;
            qsort(order, x->n, sizeof(uint32_t), cmp_codes);
            pthread_mutex_unlock(&sort_lock);
            for (uint32_t i = 0; i < x->n; i++)
                rank[order[i]] = i;
            rank[x->n] = x->n;
        }
        if (p->cells > UINT64_MAX / x->card)
            return vg_error_set(err, VG_ETOOBIG, "too many combinations of dimension values");
        p->cells *= x->card;
    }
    return 0;
}

int vg_stats_run(struct vg_store *s, const struct vg_stats_query *q, struct vg_stats_result **out,
                 struct vg_error *err)
{
    struct vg_cube *cube = NULL;
    struct vg_selection *sel = NULL;
    struct vg_stats_result *r = NULL;
    struct acc *dense[2] = {NULL, NULL};
    struct sparse sp = {0};
    uint64_t *keys = NULL;
    struct plan p;
    size_t cap = 0;
    int rc;

    memset(&p, 0, sizeof(p));
    if ((rc = vg_cube_open(s, &cube, err)))
        return rc;
    if ((rc = vg_selection_create(cube, &q->filter, &sel, err)) ||
        (rc = plan_init(&p, cube, q, sel, err)))
        goto fail;
    if (!(r = vg_calloc(1, sizeof(*r)))) {
        rc = VG_ENOMEM;
        goto fail;
    }
    r->ndims = q->ndims;
    r->nmeasures = q->nmeasures;
    memcpy(r->dims, q->dims, sizeof(q->dims));
    memcpy(r->measures, q->measures, sizeof(q->measures));
    size_t n = p.cols->n;

    if (p.cells <= DENSE_MAX) {
        int threads = n >= PARALLEL_MIN ? 2 : 1;
        for (int t = 0; t < threads; t++)
            if (!(dense[t] = vg_calloc((size_t)p.cells, sizeof(struct acc)))) {
                rc = VG_ENOMEM;
                goto fail;
            }
        struct dense_job jobs[2] = {{&p, 0, threads == 2 ? n / 2 : n, dense[0]},
                                    {&p, n / 2, n, dense[1]}};
        pthread_t th;
        int spawned = threads == 2 && pthread_create(&th, NULL, dense_run, &jobs[1]) == 0;
        if (threads == 2 && !spawned)
            jobs[0].hi = n; /* no second thread: do it all here */
        dense_run(&jobs[0]);
        if (spawned) {
            pthread_join(th, NULL);
            for (uint64_t k = 0; k < p.cells; k++)
                for (int m = 0; m < VG_MEASURE_COUNT; m++) {
                    dense[0][k].v[m] += dense[1][k].v[m];
                    dense[0][k].known[m] += dense[1][k].known[m];
                }
        }
        for (uint64_t k = 0; k < p.cells; k++)
            if (dense[0][k].v[VG_MEASURE_INCIDENTS] &&
                (rc = emit(r, &cap, &p, cube, k, &dense[0][k])))
                goto fail;
    } else {
        for (size_t i = 0; i < n; i++) {
            size_t slot;
            if (!keep_row(&p, i))
                continue;
            if ((rc = sparse_slot(&sp, cell_of(&p, i), &slot)))
                goto fail;
            add_to(&sp.accs[slot], p.cols, i);
        }
        if (sp.n && !(keys = vg_malloc(sp.n * sizeof(uint64_t)))) {
            rc = VG_ENOMEM;
            goto fail;
        }
        size_t nk = 0;
        for (size_t i = 0; i < sp.cap; i++)
            if (sp.keys[i])
                keys[nk++] = sp.keys[i] - 1;
        qsort(keys, nk, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < nk; i++) {
            size_t slot;
            sparse_slot(&sp, keys[i], &slot); /* present: finds it, never grows */
            if ((rc = emit(r, &cap, &p, cube, keys[i], &sp.accs[slot])))
                goto fail;
        }
    }
    if (r->ndims == 0 && r->nrows == 0) { /* the total of nothing is one row of zeros */
        struct acc zero;
        memset(&zero, 0, sizeof(zero));
        if ((rc = emit(r, &cap, &p, cube, 0, &zero)))
            goto fail;
    }
    *out = r;
    r = NULL;
    rc = 0;
fail:
    if (rc == VG_ENOMEM)
        vg_error_set(err, rc, "out of memory");
    vg_free(keys);
    vg_free(sp.keys);
    vg_free(sp.accs);
    vg_free(dense[0]);
    vg_free(dense[1]);
    plan_cleanup(&p);
    vg_selection_destroy(sel);
    vg_stats_result_destroy(r);
    vg_cube_close(cube);
    return rc;
}
