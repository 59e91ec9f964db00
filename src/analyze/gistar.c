/* gistar.c - Getis-Ord Gi* over points with a binary distance band; Benjamini-Hochberg FDR.
 *
 * The statistic (gistar.h has the formula) needs, for every point, only W_i (how many points lie
 * within the band, itself included) and the sum of their values. vg_gistar_run centres the
 * values on their mean first, so that the numerator sum_j w_ij (x_j - xbar) carries no
 * cancellation, and takes the standard deviation in two passes for the same reason.
 *
 * Neighbour search. The points are binned on a grid of square cells whose side is the band D
 * (made wider by one part in 2^20, so that rounding in the cell arithmetic can never put two
 * points at distance exactly D two cells apart): the neighbours of a point lie in its own cell or
 * in one of the eight around it. Cells are numbered row by row, key = cy * nx + cx; the points are
 * sorted by key (an LSD radix sort of (key, index) pairs) and their coordinates and values copied
 * in that order, so a cell's points, and the three cells of one row of a 3x3 block, are each one
 * contiguous run of memory. For every occupied cell three binary searches over the sorted cell
 * keys give the three runs to scan, and every point of the cell is tested against them. Cell
 * coordinates are clamped to [0, 2^24): the clamp is monotone and never stretches a distance, so
 * points within D still fall in neighbouring cells; an extent vastly wider than D costs at worst
 * crowded cells, never a wrong answer. The work (points times candidates, summed over the cells)
 * is counted before the scan and capped, so a band wider than the data fails at once.
 *
 * Threads: cells are handed out in blocks through an atomic counter; every point's sums are made
 * by the one thread that owns its cell, in sorted order, so the result does not depend on the
 * number of threads.
 *
 * Reading points: the streaming CSV reader (csv.h), one record at a time; columns are found by
 * name in the header. Numbers are parsed strictly (sign, digits, point, exponent: no hexadecimal,
 * no inf or nan, no trailing text); the common case, a decimal significand of at most 2^53 and a
 * power of ten within 10^22, is computed as that integer times or divided by that power of ten
 * (both exact in a double, so the one rounding is the correct one), the rest by strtod. The text of
 * the three numbers is kept so that output can repeat them as given.
 *
 * Ownership: struct vg_gistar_points owns its arrays; every other function writes into arrays
 * the caller owns. Thread-safety: the functions may run in several threads at once; the only
 * shared state is the comparator's array for qsort of a crowded cell, guarded by a mutex. */
#include "vigil/gistar.h"
#include "vigil/csv.h"
#include "vigil/mem.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CELL_MAX (((uint64_t)1 << 24) - 1)
#define CELL_WIDEN (1.0 + 1.0 / (1 << 20))
#define BLOCK_CELLS 32
#define MAX_THREADS 64
#define DEFAULT_THREADS_MAX 8
#define PARALLEL_MIN_PAIRS 200000
#define RADIX_BITS 11

/* ---- reading points ---- */

void vg_gistar_points_init(struct vg_gistar_points *p)
{
    memset(p, 0, sizeof(*p));
}

void vg_gistar_points_cleanup(struct vg_gistar_points *p)
{
    if (!p)
        return;
    vg_free(p->x);
    vg_free(p->y);
    vg_free(p->value);
    vg_free(p->text);
    vg_free(p->text_off);
    memset(p, 0, sizeof(*p));
}

/* Fills err with a located message; returns code. */
static int located(struct vg_error *err, int code, const char *file, long line, const char *column,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int located(struct vg_error *err, int code, const char *file, long line, const char *column,
                   const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    snprintf(err->file, sizeof(err->file), "%s", file ? file : "");
    snprintf(err->column, sizeof(err->column), "%s", column ? column : "");
    err->line = line;
    return code;
}

static const double pow10_exact[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

enum num_status { NUM_OK, NUM_SYNTAX, NUM_NONFINITE, NUM_RANGE };

/* Parses the whole of s[0..n) as a decimal number. */
static enum num_status parse_number(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    char c0 = i < n ? (char)(s[i] | 0x20) : 0;
    if ((c0 == 'i' || c0 == 'n') &&
        (strcasecmp(s + i, "inf") == 0 || strcasecmp(s + i, "infinity") == 0 ||
         strcasecmp(s + i, "nan") == 0))
        return NUM_NONFINITE; /* s is NUL-terminated at n */
    uint64_t mant = 0;
    int digits = 0, any = 0, exp10 = 0, exact = 1;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
        if (mant == 0 && s[i] == '0')
            continue;
        if (digits < 19)
            mant = mant * 10 + (uint64_t)(s[i] - '0'), digits++;
        else
            exact = 0, exp10++;
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = 1) {
            if (mant == 0 && s[i] == '0') {
                exp10--;
                continue;
            }
            if (digits < 19)
                mant = mant * 10 + (uint64_t)(s[i] - '0'), digits++, exp10--;
            else
                exact = 0;
        }
    }
    if (!any)
        return NUM_SYNTAX;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0, e = 0, edigits = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, edigits++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        if (!edigits)
            return NUM_SYNTAX;
        exp10 += eneg ? -e : e;
    }
    if (i != n)
        return NUM_SYNTAX;
    double v;
    if (mant == 0) {
        v = 0.0;
    } else if (exact && mant <= ((uint64_t)1 << 53) && exp10 >= -22 && exp10 <= 22) {
        v = exp10 < 0 ? (double)mant / pow10_exact[-exp10] : (double)mant * pow10_exact[exp10];
    } else {
        char tmp[VG_GISTAR_MAX_NUMBER + 1];
        memcpy(tmp, s, n); /* n <= VG_GISTAR_MAX_NUMBER, checked by the caller */
        tmp[n] = '\0';
        errno = 0;
        v = strtod(tmp, NULL);
        if (errno == ERANGE && isinf(v))
            return NUM_RANGE;
        v = fabs(v); /* the sign is applied below */
    }
    *out = neg ? -v : v;
    return NUM_OK;
}

static int grow_points(struct vg_gistar_points *p)
{
    size_t cap = p->cap ? p->cap * 2 : 4096;
    if (cap > VG_GISTAR_MAX_POINTS)
        cap = VG_GISTAR_MAX_POINTS;
    double *x = vg_realloc(p->x, cap * sizeof(double));
    if (x)
        p->x = x;
    double *y = vg_realloc(p->y, cap * sizeof(double));
    if (y)
        p->y = y;
    double *v = vg_realloc(p->value, cap * sizeof(double));
    if (v)
        p->value = v;
    size_t *off = vg_realloc(p->text_off, (cap + 1) * sizeof(size_t));
    if (off)
        p->text_off = off;
    if (!x || !y || !v || !off)
        return VG_ENOMEM;
    p->cap = cap;
    return 0;
}

static int add_text(struct vg_gistar_points *p, const char *s, size_t n)
{
    if (p->text_len + n + 1 > p->text_cap) {
        size_t cap = p->text_cap ? p->text_cap * 2 : 65536;
        while (cap < p->text_len + n + 1)
            cap *= 2;
        char *t = vg_realloc(p->text, cap);
        if (!t)
            return VG_ENOMEM;
        p->text = t;
        p->text_cap = cap;
    }
    memcpy(p->text + p->text_len, s, n);
    p->text_len += n;
    return 0;
}

static void trim(const char **s, size_t *n)
{
    if (*n && (unsigned char)(*s)[0] > ' ' && (unsigned char)(*s)[*n - 1] > ' ')
        return; /* the usual case: nothing to trim */
    while (*n && isspace((unsigned char)**s))
        (*s)++, (*n)--;
    while (*n && isspace((unsigned char)(*s)[*n - 1]))
        (*n)--;
}

static const char *const wanted[3] = {"x", "y", "value"};

int vg_gistar_points_read(struct vg_gistar_points *p, int fd, const char *name,
                          struct vg_error *err)
{
    struct vg_csv *r = NULL;
    struct vg_csv_record rec;
    size_t col[3];
    int have[3] = {0, 0, 0};
    int rc;

    if (!name)
        name = "(input)";
    if (p->n)
        return located(err, VG_EINVAL, name, 0, NULL, "the points are not empty");
    if ((rc = vg_csv_open_fd(fd, NULL, &r)))
        return located(err, rc, name, 0, NULL, "%s", vg_strerror(rc));

    /* The header: the first line that is not blank. */
    for (;;) {
        rc = vg_csv_next(r, &rec);
        if (rc < 0) {
            located(err, rc, name, 0, NULL, "%s",
                    rc == VG_EIO ? "cannot read the file" : vg_strerror(rc));
            goto fail;
        }
        if (rc == 0) {
            rc = located(err, VG_EFORMAT, name, 0, NULL,
                         "the file is empty: expected a header line naming the columns x, y and "
                         "value");
            goto fail;
        }
        if (rec.error) {
            rc = located(err, VG_EFORMAT, name, rec.line, NULL, "%s", rec.error_msg);
            goto fail;
        }
        if (!(rec.nfields == 1 && rec.lens[0] == 0))
            break;
    }
    long header_line = rec.line;
    size_t header_fields = rec.nfields;
    for (size_t f = 0; f < rec.nfields; f++) {
        const char *s = rec.fields[f];
        size_t n = rec.lens[f];
        trim(&s, &n);
        for (int k = 0; k < 3; k++) {
            if (n != strlen(wanted[k]) || strncasecmp(s, wanted[k], n) != 0)
                continue;
            if (have[k]) {
                rc = located(err, VG_EFORMAT, name, header_line, wanted[k],
                             "the header names this column twice (fields %zu and %zu)", col[k] + 1,
                             f + 1);
                goto fail;
            }
            have[k] = 1;
            col[k] = f;
        }
    }
    for (int k = 0; k < 3; k++) {
        if (have[k])
            continue;
        char seen[200];
        size_t len = 0;
        seen[0] = '\0';
        for (size_t f = 0; f < rec.nfields && len + 1 < sizeof(seen); f++)
            len += (size_t)snprintf(seen + len, sizeof(seen) - len, "%s%.40s", f ? ", " : "",
                                    rec.fields[f]);
        if (len >= sizeof(seen))
            memcpy(seen + sizeof(seen) - 4, "...", 4);
        rc = located(err, VG_EFORMAT, name, header_line, wanted[k],
                     "no such column in the header (it has: %s); the header must name the "
                     "columns x, y and value",
                     seen);
        goto fail;
    }
    char delim = vg_csv_delimiter(r);
    for (;;) {
        rc = vg_csv_next(r, &rec);
        if (rc < 0) {
            located(err, rc, name, 0, NULL, "%s",
                    rc == VG_EIO ? "cannot read the file" : vg_strerror(rc));
            goto fail;
        }
        if (rc == 0)
            break;
        if (rec.error) {
            rc = located(err, rec.error == VG_ETOOBIG ? VG_ETOOBIG : VG_EFORMAT, name, rec.line,
                         NULL, "%s", rec.error_msg);
            goto fail;
        }
        if (rec.nfields == 1 && rec.lens[0] == 0)
            continue; /* blank line */
        if (p->n == VG_GISTAR_MAX_POINTS) {
            rc = located(err, VG_ETOOBIG, name, rec.line, NULL,
                         "more than %zu points: the most one computation takes",
                         (size_t)VG_GISTAR_MAX_POINTS);
            goto fail;
        }
        if (p->n == p->cap && (rc = grow_points(p)))
            goto fail;
        double v[3];
        size_t mark = p->text_len;
        for (int k = 0; k < 3; k++) {
            if (col[k] >= rec.nfields) {
                rc = located(err, VG_EFORMAT, name, rec.line, wanted[k],
                             "missing: the line has %zu fields, the header %zu", rec.nfields,
                             header_fields);
                goto fail;
            }
            const char *s = rec.fields[col[k]];
            size_t n = rec.lens[col[k]];
            trim(&s, &n);
            if (n == 0) {
                rc = located(err, VG_EFORMAT, name, rec.line, wanted[k], "empty value");
                goto fail;
            }
            if (n > VG_GISTAR_MAX_NUMBER) {
                rc = located(err, VG_ETOOBIG, name, rec.line, wanted[k],
                             "a number of %zu characters (at most %d)", n, VG_GISTAR_MAX_NUMBER);
                goto fail;
            }
            char buf[VG_GISTAR_MAX_NUMBER + 1];
            memcpy(buf, s, n);
            buf[n] = '\0';
            /* A decimal comma, in a file whose delimiter is not the comma. */
            char *comma = delim != ',' ? strchr(buf, ',') : NULL;
            if (comma && !strchr(buf, '.') && !strchr(comma + 1, ','))
                *comma = '.';
            switch (parse_number(buf, n, &v[k])) {
            case NUM_OK:
                break;
            case NUM_NONFINITE:
                rc = located(err, VG_EFORMAT, name, rec.line, wanted[k],
                             "not a finite number: '%s'", buf);
                goto fail;
            case NUM_RANGE:
                rc = located(err, VG_EFORMAT, name, rec.line, wanted[k],
                             "out of the range of a double: '%s'", buf);
                goto fail;
            default:
                rc = located(err, VG_EFORMAT, name, rec.line, wanted[k], "not a number: '%.40s'",
                             buf);
                goto fail;
            }
            if ((k && (rc = add_text(p, ",", 1))) || (rc = add_text(p, buf, n)))
                goto fail;
        }
        p->x[p->n] = v[0];
        p->y[p->n] = v[1];
        p->value[p->n] = v[2];
        p->text_off[p->n] = mark;
        p->n++;
        p->text_off[p->n] = p->text_len;
    }
    if (p->n == 0) {
        rc =
            located(err, VG_EFORMAT, name, 0, NULL, "no points: the file has a header but no rows");
        goto fail;
    }
    vg_csv_destroy(r);
    return 0;
fail:
    if (rc == VG_ENOMEM)
        located(err, rc, name, 0, NULL, "out of memory");
    vg_csv_destroy(r);
    return rc;
}

/* ---- the grid of cells ---- */

struct grid {
    size_t n, ncells;
    uint64_t nx, ny;
    uint64_t *cellkey;   /* ncells keys, ascending */
    uint32_t *cellstart; /* ncells + 1 offsets into the sorted points */
    uint32_t *order;     /* sorted position -> original index */
    double *x, *y, *v;   /* the points in sorted order */
    double d2;
};

static void grid_cleanup(struct grid *g)
{
    vg_free(g->cellkey);
    vg_free(g->cellstart);
    vg_free(g->order);
    vg_free(g->x);
    vg_free(g->y);
    vg_free(g->v);
    memset(g, 0, sizeof(*g));
}

static inline uint64_t cell_of(double v, double lo, double side)
{
    double t = floor((v - lo) / side);
    return t >= (double)CELL_MAX ? CELL_MAX : (uint64_t)t;
}

/* Sorts n (key, index) pairs by key (keys below 2^bits), stably, in place. */
static int radix_sort(uint64_t *key, uint32_t *idx, size_t n, int bits)
{
    uint64_t *k2 = vg_malloc(n * sizeof(uint64_t));
    uint32_t *i2 = vg_malloc(n * sizeof(uint32_t));
    size_t *count = vg_malloc(((size_t)1 << RADIX_BITS) * sizeof(size_t));
    if (!k2 || !i2 || !count) {
        vg_free(k2);
        vg_free(i2);
        vg_free(count);
        return VG_ENOMEM;
    }
    uint64_t *ka = key, *kb = k2;
    uint32_t *ia = idx, *ib = i2;
    const size_t buckets = (size_t)1 << RADIX_BITS;
    for (int shift = 0; shift < bits; shift += RADIX_BITS) {
        memset(count, 0, buckets * sizeof(size_t));
        for (size_t i = 0; i < n; i++)
            count[(ka[i] >> shift) & (buckets - 1)]++;
        size_t sum = 0;
        for (size_t b = 0; b < buckets; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            size_t to = count[(ka[i] >> shift) & (buckets - 1)]++;
            kb[to] = ka[i];
            ib[to] = ia[i];
        }
        uint64_t *kt = ka;
        ka = kb;
        kb = kt;
        uint32_t *it = ia;
        ia = ib;
        ib = it;
    }
    if (ka != key) {
        memcpy(key, ka, n * sizeof(uint64_t));
        memcpy(idx, ia, n * sizeof(uint32_t));
    }
    vg_free(k2);
    vg_free(i2);
    vg_free(count);
    return 0;
}

static const double *sort_x; /* qsort has no context argument; guarded by sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int cmp_by_x(const void *a, const void *b)
{
    double x = sort_x[*(const uint32_t *)a], y = sort_x[*(const uint32_t *)b];
    return (x > y) - (x < y);
}

/* Sorts the points [a, b) of one cell by x: insertion sort for the usual few, qsort of a
 * permutation for a crowded cell. */
static int sort_cell(struct grid *g, uint32_t a, uint32_t b)
{
    double *x = g->x, *y = g->y, *v = g->v;
    uint32_t *o = g->order;
    if (b - a <= 48) {
        for (uint32_t i = a + 1; i < b; i++) {
            double xi = x[i], yi = y[i], vi = v[i];
            uint32_t oi = o[i], j = i;
            for (; j > a && x[j - 1] > xi; j--) {
                x[j] = x[j - 1];
                y[j] = y[j - 1];
                v[j] = v[j - 1];
                o[j] = o[j - 1];
            }
            x[j] = xi;
            y[j] = yi;
            v[j] = vi;
            o[j] = oi;
        }
        return 0;
    }
    size_t m = b - a;
    uint32_t *perm = vg_malloc(m * sizeof(uint32_t));
    double *tmp = vg_malloc(m * sizeof(double));
    uint32_t *otmp = vg_malloc(m * sizeof(uint32_t));
    if (!perm || !tmp || !otmp) {
        vg_free(perm);
        vg_free(tmp);
        vg_free(otmp);
        return VG_ENOMEM;
    }
    for (size_t i = 0; i < m; i++)
        perm[i] = (uint32_t)i;
    pthread_mutex_lock(&sort_lock);
    sort_x = x + a;
    qsort(perm, m, sizeof(uint32_t), cmp_by_x);
    pthread_mutex_unlock(&sort_lock);
    double *cols[3] = {x, y, v};
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < m; i++)
            tmp[i] = cols[c][a + perm[i]];
        memcpy(cols[c] + a, tmp, m * sizeof(double));
    }
    for (size_t i = 0; i < m; i++)
        otmp[i] = o[a + perm[i]];
    memcpy(o + a, otmp, m * sizeof(uint32_t));
    vg_free(perm);
    vg_free(tmp);
    vg_free(otmp);
    return 0;
}

static int grid_build(struct grid *g, const double *x, const double *y, const double *v, size_t n,
                      double band)
{
    uint64_t *key = NULL;
    int rc = VG_ENOMEM;
    memset(g, 0, sizeof(*g));
    g->n = n;
    g->d2 = band * band;
    double side = band * CELL_WIDEN;
    double xmin = x[0], xmax = x[0], ymin = y[0], ymax = y[0];
    for (size_t i = 1; i < n; i++) {
        xmin = x[i] < xmin ? x[i] : xmin;
        xmax = x[i] > xmax ? x[i] : xmax;
        ymin = y[i] < ymin ? y[i] : ymin;
        ymax = y[i] > ymax ? y[i] : ymax;
    }
    g->nx = cell_of(xmax, xmin, side) + 1;
    g->ny = cell_of(ymax, ymin, side) + 1;
    if (!(key = vg_malloc(n * sizeof(uint64_t))) || !(g->order = vg_malloc(n * sizeof(uint32_t))))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        key[i] = cell_of(y[i], ymin, side) * g->nx + cell_of(x[i], xmin, side);
        g->order[i] = (uint32_t)i;
    }
    int bits = 0;
    for (uint64_t top = g->nx * g->ny - 1; top; top >>= 1)
        bits++;
    if ((rc = radix_sort(key, g->order, n, bits)))
        goto fail;
    rc = VG_ENOMEM;
    size_t ncells = 0;
    for (size_t i = 0; i < n; i++)
        ncells += i == 0 || key[i] != key[i - 1];
    g->ncells = ncells;
    if (!(g->cellkey = vg_malloc(ncells * sizeof(uint64_t))) ||
        !(g->cellstart = vg_malloc((ncells + 1) * sizeof(uint32_t))) ||
        !(g->x = vg_malloc(n * sizeof(double))) || !(g->y = vg_malloc(n * sizeof(double))) ||
        !(g->v = vg_malloc(n * sizeof(double))))
        goto fail;
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || key[i] != key[i - 1]) {
            g->cellkey[c] = key[i];
            g->cellstart[c++] = (uint32_t)i;
        }
        uint32_t o = g->order[i];
        g->x[i] = x[o];
        g->y[i] = y[o];
        g->v[i] = v ? v[o] : 0.0;
    }
    g->cellstart[ncells] = (uint32_t)n;
    vg_free(key);
    key = NULL;
    for (size_t k = 0; k < ncells; k++)
        if ((rc = sort_cell(g, g->cellstart[k], g->cellstart[k + 1])))
            goto fail;
    return 0;
fail:
    vg_free(key);
    grid_cleanup(g);
    return rc;
}

/* The first cell index whose key is >= k. */
static size_t lower_bound(const uint64_t *keys, size_t n, uint64_t k)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The runs of sorted points in the 3x3 block of cell c: up to three [start, end) pairs. */
static int block_runs(const struct grid *g, size_t c, uint32_t runs[3][2])
{
    uint64_t key = g->cellkey[c];
    uint64_t cx = key % g->nx, cy = key / g->nx;
    uint64_t x0 = cx ? cx - 1 : cx, x1 = cx + 1 < g->nx ? cx + 1 : cx;
    int nr = 0;
    for (int dy = -1; dy <= 1; dy++) {
        if ((dy < 0 && cy == 0) || (dy > 0 && cy + 1 >= g->ny))
            continue;
        uint64_t row = cy + (uint64_t)(int64_t)dy;
        size_t a = lower_bound(g->cellkey, g->ncells, row * g->nx + x0);
        size_t b = lower_bound(g->cellkey, g->ncells, row * g->nx + x1 + 1);
        if (a < b) {
            runs[nr][0] = g->cellstart[a];
            runs[nr][1] = g->cellstart[b];
            nr++;
        }
    }
    return nr;
}

struct scan_job {
    const struct grid *g;
    const uint32_t (*runs)[3][2]; /* per cell: the runs of its 3x3 block, empty ones [0, 0) */
    atomic_size_t *next;
    uint32_t *count;
    double *sum;
};

/* Two lanes of doubles and the matching comparison masks (GCC and clang vector extensions: one
 * SSE2 register on x86-64, whatever the target has elsewhere). */
typedef double vd2 __attribute__((vector_size(16)));
typedef long long vl2 __attribute__((vector_size(16)));

/* Counts the points m in [lo, hi) with (x_m - xi)^2 + (y_m - yi)^2 <= d2 and adds up their v,
 * four at a time in two pairs of lanes. */
static inline void sum_run(const double *gx, const double *gy, const double *gv, uint32_t lo,
                           uint32_t hi, double xi, double yi, double d2, uint32_t *count,
                           double *sum)
{
    const vd2 vxi = {xi, xi}, vyi = {yi, yi}, vr2 = {d2, d2};
    vd2 s0 = {0, 0}, s1 = {0, 0};
    vl2 c0 = {0, 0}, c1 = {0, 0};
    uint32_t m = lo;
    for (; m + 4 <= hi; m += 4) {
        vd2 xa, xb, ya, yb, va, vb;
        memcpy(&xa, gx + m, 16);
        memcpy(&xb, gx + m + 2, 16);
        memcpy(&ya, gy + m, 16);
        memcpy(&yb, gy + m + 2, 16);
        memcpy(&va, gv + m, 16);
        memcpy(&vb, gv + m + 2, 16);
        vd2 dxa = xa - vxi, dya = ya - vyi, dxb = xb - vxi, dyb = yb - vyi;
        vl2 ina = dxa * dxa + dya * dya <= vr2; /* -1 where within the band */
        vl2 inb = dxb * dxb + dyb * dyb <= vr2;
        c0 -= ina;
        c1 -= inb;
        s0 += (vd2)((vl2)va & ina);
        s1 += (vd2)((vl2)vb & inb);
    }
    vd2 sv = s0 + s1;
    vl2 cv = c0 + c1;
    double s = sv[0] + sv[1];
    uint32_t c = (uint32_t)(cv[0] + cv[1]);
    for (; m < hi; m++) {
        double dx = gx[m] - xi, dy = gy[m] - yi;
        if (dx * dx + dy * dy <= d2) {
            c++;
            s += gv[m];
        }
    }
    *count += c;
    *sum += s;
}

/* Scans blocks of cells until none is left. The points of a cell are sorted by x, and so is each
 * run of three cells of a row; for the points of a cell in increasing x, each run is narrowed to
 * a window [lo, hi) of points whose dx alone does not exceed the band, and the windows only move
 * forward. The test that narrows is the same floating-point expression as the full test, so a
 * point left out of a window would have failed the full test. */
static void *scan(void *arg)
{
    struct scan_job *j = arg;
    const struct grid *g = j->g;
    const double *gx = g->x, *gy = g->y, *gv = g->v;
    const double d2 = g->d2;
    for (;;) {
        size_t c0 = atomic_fetch_add(j->next, BLOCK_CELLS);
        if (c0 >= g->ncells)
            break;
        size_t c1 = c0 + BLOCK_CELLS < g->ncells ? c0 + BLOCK_CELLS : g->ncells;
        for (size_t c = c0; c < c1; c++) {
            const uint32_t(*runs)[2] = j->runs[c];
            uint32_t lo[3], hi[3];
            int nr = 3;
            for (int r = 0; r < nr; r++)
                lo[r] = hi[r] = runs[r][0];
            for (uint32_t i = g->cellstart[c]; i < g->cellstart[c + 1]; i++) {
                double xi = gx[i], yi = gy[i], s = 0.0;
                uint32_t k = 0;
                for (int r = 0; r < nr; r++) {
                    uint32_t end = runs[r][1];
                    double dx;
                    while (lo[r] < end && (dx = gx[lo[r]] - xi) < 0 && dx * dx > d2)
                        lo[r]++;
                    if (hi[r] < lo[r])
                        hi[r] = lo[r];
                    while (hi[r] < end && ((dx = gx[hi[r]] - xi) <= 0 || dx * dx <= d2))
                        hi[r]++;
                    sum_run(gx, gy, gv, lo[r], hi[r], xi, yi, d2, &k, &s);
                }
                j->count[g->order[i]] = k;
                j->sum[g->order[i]] = s;
            }
        }
    }
    return NULL;
}

static int machine_threads(const struct vg_gistar_opts *opts)
{
    long t = opts && opts->threads > 0 ? opts->threads : sysconf(_SC_NPROCESSORS_ONLN);
    long most = opts && opts->threads > 0 ? MAX_THREADS : DEFAULT_THREADS_MAX;
    return t < 1 ? 1 : t > most ? (int)most : (int)t;
}

static int check_input(const double *x, const double *y, const double *value, size_t n, double band,
                       struct vg_error *err)
{
    if (n > VG_GISTAR_MAX_POINTS)
        return vg_error_set(err, VG_EINVAL, "%zu points: at most %zu are taken", n,
                            (size_t)VG_GISTAR_MAX_POINTS);
    if (!(band > 0) || !isfinite(band))
        return vg_error_set(err, VG_EINVAL, "the distance band must be a positive number, not %g",
                            band);
    if (!(band * band >= DBL_MIN)) /* squared distances are compared */
        return vg_error_set(err, VG_EINVAL, "the distance band %g is too small", band);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return vg_error_set(err, VG_EINVAL,
                                "point %zu: its coordinates (%g, %g) are not finite", i, x[i],
                                y[i]);
        if (value && !isfinite(value[i]))
            return vg_error_set(err, VG_EINVAL, "point %zu: its value %g is not finite", i,
                                value[i]);
    }
    return 0;
}

int vg_gistar_band_sums(const double *x, const double *y, const double *value, size_t n,
                        double band, const struct vg_gistar_opts *opts, uint32_t *count,
                        double *sum, struct vg_error *err)
{
    struct grid g;
    int rc;
    if ((rc = check_input(x, y, value, n, band, err)))
        return rc;
    if (n == 0)
        return 0;
    if ((rc = grid_build(&g, x, y, value, n, band)))
        return vg_error_set(err, rc, "out of memory");

    uint32_t(*runs)[3][2] = vg_calloc(g.ncells, sizeof(*runs));
    if (!runs) {
        grid_cleanup(&g);
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    }
    uint64_t pairs = 0,
             cap = opts && opts->max_pairs ? opts->max_pairs : VG_GISTAR_MAX_PAIRS_DEFAULT;
    for (size_t c = 0; c < g.ncells; c++) {
        int nr = block_runs(&g, c, runs[c]);
        uint64_t cand = 0;
        for (int r = 0; r < nr; r++)
            cand += runs[c][r][1] - runs[c][r][0];
        pairs += cand * (g.cellstart[c + 1] - g.cellstart[c]);
    }
    if (pairs > cap) {
        vg_free(runs);
        rc = vg_error_set(err, VG_ETOOBIG,
                          "the band %g is too wide for these points: %.0f candidate neighbours "
                          "per point on average, %llu pairs in all (at most %llu); choose a "
                          "narrower band",
                          band, (double)pairs / (double)n, (unsigned long long)pairs,
                          (unsigned long long)cap);
        grid_cleanup(&g);
        return rc;
    }

    atomic_size_t next;
    atomic_init(&next, 0);
    int threads = pairs < PARALLEL_MIN_PAIRS ? 1 : machine_threads(opts);
    struct scan_job job = {&g, (const uint32_t(*)[3][2])runs, &next, count, sum};
    pthread_t th[MAX_THREADS];
    int started = 0;
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&th[started], NULL, scan, &job) != 0)
            break; /* fewer threads: the work is shared by those that run */
        started++;
    }
    scan(&job);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
    vg_free(runs);
    grid_cleanup(&g);
    return 0;
}

/* ---- the statistic ---- */

double vg_gistar_pvalue(double z, int sides)
{
    double one = 0.5 * erfc(fabs(z) / sqrt(2.0));
    return sides == 2 ? 2.0 * one : one;
}

int vg_gistar_run(const double *x, const double *y, const double *value, size_t n, double band,
                  const struct vg_gistar_opts *opts, double *z, double *p, uint32_t *neighbours,
                  struct vg_error *err)
{
    double *centred = NULL, *sum = NULL;
    uint32_t *count = NULL;
    int rc;

    if ((rc = check_input(x, y, value, n, band, err)))
        return rc;
    if (n < 2)
        return vg_error_set(err, VG_EINVAL, "Gi* needs at least 2 points, got %zu", n);
    double lo = value[0], hi = value[0], total = 0.0;
    for (size_t i = 0; i < n; i++) {
        lo = value[i] < lo ? value[i] : lo;
        hi = value[i] > hi ? value[i] : hi;
        total += value[i];
    }
    if (lo == hi)
        return vg_error_set(err, VG_EINVAL,
                            "all %zu values are %g: with no variance Gi* is undefined", n, lo);
    if (!(centred = vg_malloc(n * sizeof(double))) || !(sum = vg_malloc(n * sizeof(double))) ||
        !(count = vg_malloc(n * sizeof(uint32_t)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    double mean = total / (double)n, m2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        centred[i] = value[i] - mean;
        m2 += centred[i] * centred[i];
    }
    double s = sqrt(m2 / (double)n);
    if (!(s > 0) || !isfinite(s)) {
        rc = vg_error_set(err, VG_EINVAL, "the values' variance cannot be computed (%g)", s);
        goto done;
    }
    if ((rc = vg_gistar_band_sums(x, y, centred, n, band, opts, count, sum, err)))
        goto done;
    double nd = (double)n;
    for (size_t i = 0; i < n; i++) {
        double w = count[i];
        double zi = 0.0;
        if (count[i] < n)
            zi = sum[i] / (s * sqrt(w * (nd - w) / (nd - 1.0)));
        z[i] = zi;
        p[i] = vg_gistar_pvalue(zi, 1);
        if (neighbours)
            neighbours[i] = count[i];
    }
done:
    vg_free(centred);
    vg_free(sum);
    vg_free(count);
    return rc;
}

/* ---- false discovery rate ---- */

struct ranked {
    double p;
    size_t i;
};

static int cmp_ranked(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

int vg_gistar_fdr(const double *p, size_t n, double *q, struct vg_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (!(p[i] >= 0.0 && p[i] <= 1.0))
            return vg_error_set(err, VG_EINVAL, "p-value %zu is %g, not in [0, 1]", i, p[i]);
    if (n == 0)
        return 0;
    struct ranked *r = vg_malloc(n * sizeof(*r));
    if (!r)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        r[i].p = p[i];
        r[i].i = i;
    }
    qsort(r, n, sizeof(*r), cmp_ranked);
    double m = 1.0;
    for (size_t k = n; k-- > 0;) {
        double v = r[k].p * (double)n / (double)(k + 1);
        if (v < m)
            m = v;
        q[r[k].i] = m;
    }
    vg_free(r);
    return 0;
}
