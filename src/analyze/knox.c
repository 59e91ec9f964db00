/* knox.c - the Knox test of space-time interaction and the near-repeat table.
 *
 * What it does: counts pairs of events close in space and in time (knox.h), the expected count,
 * its Poisson tail, and a Monte Carlo test that shuffles the times among the events; and, over
 * bands of distance and time, the near-repeat table of observed and expected counts.
 *
 * Data structure: the pairs close in space never change when the times are shuffled, so they are
 * found once and kept as a compact list; every permutation then only recounts the time
 * condition over that list. To find them without looking at all n^2 pairs, the points go into a
 * grid of cells at least as wide as the distance: two points within the distance lie in the same
 * cell or in neighbouring ones. The points are sorted by cell (the cells in lexicographic order of
 * their integer coordinates), the runs of equal cells found, and each cell compared with itself
 * and with the 13 of its 26 neighbours that come after it in that order (the other 13 see it
 * from their side), so each pair is looked at once. Cells are three-dimensional so that one grid
 * serves both plane (z = 0) and sphere: on the sphere, the points are placed on a ball of the
 * Earth's radius and the cell is the chord of the largest distance; the haversine distance of
 * each candidate then decides.
 *
 * The list holds the pairs over the points renumbered in cell order, as two arrays pa[] and pb[]
 * (4 bytes each per pair, plus a band byte for the table), sorted by the first point. The
 * recount is one flat loop over them; renumbering in cell order keeps a point's neighbours close
 * to it in the arrays, so that loop reads the times of a permutation almost in order.
 *
 * Cells are computed as floor((v - min) / cell) with the cell 2^-16 wider than the distance, so
 * the rounding of that quotient (at most a few units in 2^-20 for the quotients below the clamp)
 * can never split two points within the distance by two cells; quotients are clamped to 2^30,
 * which is monotone and so keeps neighbours neighbours (far-flung points only share cells).
 *
 * Permutations: each permutation b has its own generator (vg_rand stream b of the seed) and
 * shuffles the times in the input order (knox.h), which are then gathered into cell order.
 * Threads take permutation numbers from an atomic counter; each writes X_b into its slot (Knox)
 * or adds its counts into its own integer sums (table), which are added up at the end. Integer
 * sums do not depend on the order of addition, so neither do the results on the thread count.
 *
 * Bounds: close in space is dx*dx + dy*dy <= D*D (planar) or haversine <= D (sphere); close in
 * time is |t1 - t2| <= T: both bounds are inclusive. The time bands of the table count whole days.
 *
 * Caps: events (VG_KNOX_MAX_EVENTS) and the pairs kept (max_pairs, since a distance too large for
 * the data makes the list grow as n^2): past them, VG_ETOOBIG. Permutations, bands and band widths
 * out of their ranges are VG_EINVAL.
 *
 * Ownership: the caller owns inputs and results; all scratch memory is freed before return.
 * Thread-safety: the functions share no state; each call may use several threads of its own. */
#include "vigil/knox.h"
#include "vigil/csv.h"
#include "vigil/cube.h"
#include "vigil/mem.h"
#include "vigil/rand.h"
#include "vigil/select.h"

#include <errno.h>
#include <float.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_THREADS 64
#define CELL_SLACK (1.0 + 0x1.0p-16)
#define CELL_LIMIT 1073741824.0 /* 2^30 */

/* ---- events ---- */

void vg_knox_events_init(struct vg_knox_events *e)
{
    memset(e, 0, sizeof(*e));
}

void vg_knox_events_cleanup(struct vg_knox_events *e)
{
    if (!e)
        return;
    vg_free(e->x);
    vg_free(e->y);
    vg_free(e->t);
    memset(e, 0, sizeof(*e));
}

int vg_knox_events_add(struct vg_knox_events *e, double x, double y, double t, struct vg_error *err)
{
    if (!isfinite(x) || !isfinite(y) || !isfinite(t))
        return vg_error_set(err, VG_EINVAL, "a coordinate or time is not a finite number");
    if (e->n == e->cap) {
        if (e->n >= VG_KNOX_MAX_EVENTS)
            return vg_error_set(err, VG_ETOOBIG, "more than %zu events", VG_KNOX_MAX_EVENTS);
        size_t cap = e->cap ? e->cap * 2 : 1024;
        if (cap > VG_KNOX_MAX_EVENTS)
            cap = VG_KNOX_MAX_EVENTS;
        double *nx = vg_realloc(e->x, cap * sizeof(double));
        if (nx)
            e->x = nx;
        double *ny = vg_realloc(e->y, cap * sizeof(double));
        if (ny)
            e->y = ny;
        double *nt = vg_realloc(e->t, cap * sizeof(double));
        if (nt)
            e->t = nt;
        if (!nx || !ny || !nt)
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        e->cap = cap;
    }
    e->x[e->n] = x;
    e->y[e->n] = y;
    e->t[e->n] = t;
    e->n++;
    return 0;
}

/* Parses a whole field as a finite number (spaces around it allowed). Returns 0, or -1 with the
 * reason in why. */
static int parse_number(const char *s, double *out, const char **why)
{
    const char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) {
        *why = "empty value: a number is needed";
        return -1;
    }
    char *end;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p) {
        *why = "not a number";
        return -1;
    }
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end) {
        *why = "not a number";
        return -1;
    }
    if (isnan(v)) {
        *why = "NaN is not allowed: a finite number is needed";
        return -1;
    }
    if (isinf(v)) {
        *why = "not a finite number (infinite or out of range)";
        return -1;
    }
    *out = v;
    return 0;
}

static int located(struct vg_error *err, int code, const char *name, long line, const char *column)
{
    if (err) {
        err->code = code;
        snprintf(err->file, sizeof(err->file), "%s", name);
        err->line = line;
        snprintf(err->column, sizeof(err->column), "%s", column ? column : "");
    }
    return code;
}

/* Trims spaces around a header name into buf; 1 when it equals want (any letter case). */
static int header_is(const char *field, const char *want)
{
    while (*field == ' ' || *field == '\t')
        field++;
    size_t n = strlen(field);
    while (n && (field[n - 1] == ' ' || field[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(field, want, n) == 0;
}

int vg_knox_read_fd(int fd, const char *name, struct vg_knox_events *e, struct vg_error *err)
{
    static const char *const names[3] = {"x", "y", "t"};
    struct vg_csv *csv = NULL;
    struct vg_csv_record rec;
    size_t col[3] = {SIZE_MAX, SIZE_MAX, SIZE_MAX}, ncols = 0;
    int rc = vg_csv_open_fd(fd, NULL, &csv);
    if (rc) {
        vg_error_set(err, rc, "%s", vg_strerror(rc));
        return located(err, rc, name, 0, NULL);
    }
    do {
        rc = vg_csv_next(csv, &rec);
    } while (rc == 1 && !rec.error && rec.nfields == 1 && rec.lens[0] == 0);
    if (rc < 0) {
        vg_error_set(err, rc, "cannot read: %s", rc == VG_EIO ? strerror(errno) : vg_strerror(rc));
        rc = located(err, rc, name, 0, NULL);
        goto done;
    }
    if (rc == 0) {
        vg_error_set(err, VG_EFORMAT, "the file is empty: a header naming x, y and t is needed");
        rc = located(err, VG_EFORMAT, name, 0, NULL);
        goto done;
    }
    if (rec.error) {
        vg_error_set(err, VG_EFORMAT, "the header cannot be read: %s", rec.error_msg);
        rc = located(err, VG_EFORMAT, name, rec.line, NULL);
        goto done;
    }
    ncols = rec.nfields;
    for (size_t i = 0; i < rec.nfields; i++)
        for (int k = 0; k < 3; k++)
            if (header_is(rec.fields[i], names[k])) {
                if (col[k] != SIZE_MAX) {
                    vg_error_set(err, VG_EFORMAT, "the header names it twice (fields %zu and %zu)",
                                 col[k] + 1, i + 1);
                    rc = located(err, VG_EFORMAT, name, rec.line, names[k]);
                    goto done;
                }
                col[k] = i;
            }
    for (int k = 0; k < 3; k++)
        if (col[k] == SIZE_MAX) {
            vg_error_set(err, VG_EFORMAT,
                         "the header has no column named %s (columns x, y and t are needed; "
                         "the header has %zu field%s)",
                         names[k], rec.nfields, rec.nfields == 1 ? "" : "s");
            rc = located(err, VG_EFORMAT, name, rec.line, NULL);
            goto done;
        }
    while ((rc = vg_csv_next(csv, &rec)) == 1) {
        if (rec.error) {
            vg_error_set(err, VG_EFORMAT, "%s", rec.error_msg);
            rc = located(err, VG_EFORMAT, name, rec.line, NULL);
            goto done;
        }
        if (rec.nfields == 1 && rec.lens[0] == 0)
            continue; /* a blank line */
        if (rec.nfields != ncols) {
            vg_error_set(err, VG_EFORMAT, "expected %zu fields as in the header, found %zu", ncols,
                         rec.nfields);
            rc = located(err, VG_EFORMAT, name, rec.line, NULL);
            goto done;
        }
        double v[3];
        for (int k = 0; k < 3; k++) {
            const char *why = NULL;
            if (parse_number(rec.fields[col[k]], &v[k], &why)) {
                if (rec.lens[col[k]] == 0)
                    vg_error_set(err, VG_EFORMAT, "%s", why);
                else
                    vg_error_set(err, VG_EFORMAT, "'%.40s%s': %s", rec.fields[col[k]],
                                 rec.lens[col[k]] > 40 ? "..." : "", why);
                rc = located(err, VG_EFORMAT, name, rec.line, names[k]);
                goto done;
            }
        }
        if ((rc = vg_knox_events_add(e, v[0], v[1], v[2], err))) {
            rc = located(err, rc, name, rec.line, NULL);
            goto done;
        }
    }
    if (rc < 0) {
        vg_error_set(err, rc, "cannot read: %s", rc == VG_EIO ? strerror(errno) : vg_strerror(rc));
        rc = located(err, rc, name, 0, NULL);
    }
done:
    vg_csv_destroy(csv);
    return rc;
}

int vg_knox_read_path(const char *path, struct vg_knox_events *e, struct vg_error *err)
{
    if (strcmp(path, "-") == 0)
        return vg_knox_read_fd(STDIN_FILENO, "<stdin>", e, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        vg_error_set(err, VG_EIO, "cannot open: %s", strerror(errno));
        return located(err, VG_EIO, path, 0, NULL);
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        vg_error_set(err, VG_EINVAL, "is a directory, not a file");
        return located(err, VG_EINVAL, path, 0, NULL);
    }
    int rc = vg_knox_read_fd(fd, path, e, err);
    close(fd);
    return rc;
}

/* ---- the Poisson tail ---- */

#define LN_SQRT_2PI 0.918938533204672741780329736406

/* log(n!) - log(sqrt(2 pi n) (n/e)^n): the error of Stirling's formula, n >= 1. */
static double stirlerr(double n)
{
    if (n <= 15.0)
        return lgamma(n + 1.0) - (n + 0.5) * log(n) + n - LN_SQRT_2PI;
    double nn = n * n;
    const double s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188;
    if (n > 500)
        return (s0 - s1 / nn) / n;
    if (n > 80)
        return (s0 - (s1 - s2 / nn) / nn) / n;
    if (n > 35)
        return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / n;
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n;
}

/* x log(x / m) + m - x, without the cancellation of that formula when x is near m (Loader). */
static double bd0(double x, double m)
{
    if (fabs(x - m) < 0.1 * (x + m)) {
        double v = (x - m) / (x + m);
        double s = (x - m) * v;
        double ej = 2 * x * v;
        v *= v;
        for (int j = 1; j < 1000; j++) {
            ej *= v;
            double s1 = s + ej / (2 * j + 1);
            if (s1 == s)
                return s1;
            s = s1;
        }
        return s;
    }
    return x * log(x / m) + m - x;
}

/* P(Y = k), Y ~ Poisson(m), m > 0, by Loader's saddle-point formula. */
static double poisson_pmf(double k, double m)
{
    if (k == 0)
        return exp(-m);
    return exp(-stirlerr(k) - bd0(k, m)) / sqrt(2 * M_PI * k);
}

double vg_knox_poisson_tail(uint64_t k, double mean)
{
    if (k == 0 || isnan(mean))
        return k == 0 ? 1.0 : NAN;
    if (mean <= 0)
        return 0.0;
    if (isinf(mean))
        return 1.0;
    double kd = (double)k;
    if (kd > mean) {
        /* Upper tail: P(k) (1 + m/(k+1) + m^2/((k+1)(k+2)) + ...), ratios below 1. */
        double term = poisson_pmf(kd, mean), sum = term;
        for (double i = kd + 1; term > sum * 1e-17; i++) {
            term *= mean / i;
            sum += term;
        }
        return sum > 1 ? 1 : sum;
    }
    /* The tail holds the mean: 1 - P(Y <= k - 1), that sum taken downwards from k - 1. */
    double term = poisson_pmf(kd - 1, mean), sum = term;
    for (double i = kd - 1; i > 0 && term > sum * 1e-17; i--) {
        term *= i / mean;
        sum += term;
    }
    return sum >= 1 ? 0 : 1 - sum;
}

/* ---- pairs close in space, on a grid ---- */

enum metric { PLANAR, SPHERE };

/* The pairs close in space over the points renumbered in cell order (see the top). */
struct pairs {
    size_t n;
    uint32_t *order;  /* position -> input index */
    uint32_t *pa;     /* the first point (position) of each pair, in increasing order */
    uint32_t *pb;     /* the second point, pb[k] > pa[k] */
    uint8_t *band;    /* SPHERE: the distance band of each pair (0 = same location) */
    size_t len, cap;  /* pairs, and room in pa, pb and band */
    size_t max;       /* cap on len */
    double threshold; /* the distance, for messages */
};

/* How pairs are tested: the points' coordinates in position order. */
struct geom {
    enum metric metric;
    double *a, *b, *c; /* PLANAR: x, y; SPHERE: latitude, longitude (radians), cos(latitude) */
    double d2;         /* PLANAR: D * D */
    double dmax;       /* SPHERE: largest distance, km */
    double band_km;    /* SPHERE: width of a band */
    uint32_t bands;    /* SPHERE: S */
};

struct cellpt {
    int32_t c[3];
    uint32_t idx;
};

struct cellrun {
    int32_t c[3];
    uint32_t begin, end;
};

static int cmp_cellpt(const void *pa, const void *pb)
{
    const struct cellpt *a = pa, *b = pb;
    for (int k = 0; k < 3; k++)
        if (a->c[k] != b->c[k])
            return a->c[k] < b->c[k] ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_cell(const int32_t *a, const int32_t *b)
{
    for (int k = 0; k < 3; k++)
        if (a[k] != b[k])
            return a[k] < b[k] ? -1 : 1;
    return 0;
}

/* The run of cell c, or NULL. */
static const struct cellrun *find_run(const struct cellrun *runs, size_t nruns, const int32_t *c)
{
    size_t lo = 0, hi = nruns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int d = cmp_cell(runs[mid].c, c);
        if (d == 0)
            return &runs[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

double vg_knox_haversine(double lat1, double lon1, double lat2, double lon2)
{
    const double rad = M_PI / 180;
    double p1 = lat1 * rad, p2 = lat2 * rad;
    double sp = sin((p2 - p1) / 2), sl = sin((lon2 - lon1) * rad / 2);
    double h = sp * sp + cos(p1) * cos(p2) * sl * sl;
    return 2 * VG_EARTH_RADIUS_KM * asin(h >= 1 ? 1 : sqrt(h));
}

/* The band of a distance d <= dmax: 0 for 0, else r with (r - 1) W < d <= r W. */
static inline uint8_t band_of(const struct geom *g, double d)
{
    if (d == 0)
        return 0;
    double q = ceil(d / g->band_km);
    uint32_t r = q < 1 ? 1 : q > g->bands ? g->bands : (uint32_t)q;
    while (r > 1 && d <= (r - 1) * g->band_km)
        r--;
    while (r < g->bands && d > r * g->band_km)
        r++;
    return (uint8_t)r;
}

/* 1 when points a and b (positions) are close; *band receives the band on the sphere. */
static inline int close_pair(const struct geom *g, uint32_t a, uint32_t b, uint8_t *band)
{
    if (g->metric == PLANAR) {
        double dx = g->a[a] - g->a[b], dy = g->b[a] - g->b[b];
        return dx * dx + dy * dy <= g->d2;
    }
    double sp = sin((g->a[b] - g->a[a]) / 2), sl = sin((g->b[b] - g->b[a]) / 2);
    double h = sp * sp + g->c[a] * g->c[b] * sl * sl;
    double d = 2 * VG_EARTH_RADIUS_KM * asin(h >= 1 ? 1 : sqrt(h));
    if (!(d <= g->dmax))
        return 0;
    *band = band_of(g, d);
    return 1;
}

static void pairs_cleanup(struct pairs *p)
{
    vg_free(p->order);
    vg_free(p->pa);
    vg_free(p->pb);
    vg_free(p->band);
    memset(p, 0, sizeof(*p));
}

static int pairs_push(struct pairs *p, int with_band, uint32_t a, uint32_t b, uint8_t band,
                      struct vg_error *err)
{
    if (p->len == p->cap) {
        if (p->len >= p->max)
            return vg_error_set(err, VG_ETOOBIG,
                                "more than %zu pairs of events lie within %g of each other: the "
                                "distance is too large for the data (or the data too dense)",
                                p->max, p->threshold);
        size_t cap = p->cap ? p->cap * 2 : 4096;
        if (cap > p->max)
            cap = p->max;
        uint32_t *pa = vg_realloc(p->pa, cap * sizeof(uint32_t));
        if (!pa)
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        p->pa = pa;
        uint32_t *pb = vg_realloc(p->pb, cap * sizeof(uint32_t));
        if (!pb)
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        p->pb = pb;
        if (with_band) {
            uint8_t *bd = vg_realloc(p->band, cap);
            if (!bd)
                return vg_error_set(err, VG_ENOMEM, "out of memory");
            p->band = bd;
        }
        p->cap = cap;
    }
    p->pa[p->len] = a;
    p->pb[p->len] = b;
    if (with_band)
        p->band[p->len] = band;
    p->len++;
    return 0;
}

/* Finds the pairs of points within the grid distance `cell` (before slack) that close_pair
 * accepts. pts[k][i] is coordinate k of input point i (pts[2] NULL for the plane). On success
 * p->order gives the renumbering and the caller fills g's arrays in that order through fill(). */
static int pairs_build(struct pairs *p, const double *const pts[3], size_t n, double cell,
                       struct geom *g,
                       void (*fill)(struct geom *, const uint32_t *, size_t, const void *),
                       const void *fill_ctx, struct vg_error *err)
{
    struct cellpt *cp = NULL;
    struct cellrun *runs = NULL;
    int rc = 0;
    int with_band = g->metric == SPHERE;

    p->n = n;
    if (!(cp = vg_malloc(n * sizeof(*cp))) || !(p->order = vg_malloc(n * sizeof(uint32_t)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    double width = cell * CELL_SLACK;
    double lo[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (!pts[k])
            continue;
        lo[k] = pts[k][0];
        for (size_t i = 1; i < n; i++)
            if (pts[k][i] < lo[k])
                lo[k] = pts[k][i];
    }
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++) {
            double q = pts[k] ? (pts[k][i] - lo[k]) / width : 0;
            if (!(q < CELL_LIMIT))
                q = CELL_LIMIT;
            cp[i].c[k] = (int32_t)q;
        }
        cp[i].idx = (uint32_t)i;
    }
    qsort(cp, n, sizeof(*cp), cmp_cellpt);
    size_t nruns = 0;
    for (size_t i = 0; i < n; i++) {
        p->order[i] = cp[i].idx;
        if (i == 0 || cmp_cell(cp[i].c, cp[i - 1].c) != 0)
            nruns++;
    }
    if (!(runs = vg_malloc(nruns * sizeof(*runs)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    nruns = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || cmp_cell(cp[i].c, cp[i - 1].c) != 0) {
            memcpy(runs[nruns].c, cp[i].c, sizeof(runs[nruns].c));
            runs[nruns].begin = (uint32_t)i;
            nruns++;
        }
        runs[nruns - 1].end = (uint32_t)(i + 1);
    }
    vg_free(cp);
    cp = NULL;
    /* A distance tiny beside the spread of the points puts many points in the clamped cells of
     * the grid's edge (CELL_LIMIT), where every pair is compared whether close or not: quadratic
     * time. Refused when the pairs within those cells pass four times the cap on close pairs.
     * (Many events at one place fill a sound cell instead: its pairs are close, and the cap on
     * close pairs answers for them.) */
    uint64_t within = 0;
    for (size_t r = 0; r < nruns; r++) {
        int clamped = 0;
        for (int k = 0; k < 3; k++)
            clamped |= runs[r].c[k] == (int32_t)CELL_LIMIT;
        uint64_t len = runs[r].end - runs[r].begin;
        if (clamped) /* a merged cell; a sound one holds close pairs the cap counts */
            within += len * (len - 1) / 2;
    }
    if (within / 4 > p->max) {
        rc = vg_error_set(err, VG_ETOOBIG,
                          "the distance %g is too small for how far apart the events are: %llu "
                          "pairs would be compared one by one; take a larger distance",
                          p->threshold, (unsigned long long)within);
        goto fail;
    }
    fill(g, p->order, n, fill_ctx);

    for (size_t r = 0; r < nruns; r++) {
        /* The 13 neighbours that follow the cell in lexicographic order. */
        const struct cellrun *nbr[13];
        int nn = 0;
        for (int dx = 0; dx <= 1; dx++)
            for (int dy = -1; dy <= 1; dy++)
                for (int dz = -1; dz <= 1; dz++) {
                    if (dx == 0 && (dy < 0 || (dy == 0 && dz <= 0)))
                        continue;
                    int32_t c[3] = {runs[r].c[0] + dx, runs[r].c[1] + dy, runs[r].c[2] + dz};
                    const struct cellrun *q = find_run(runs + r + 1, nruns - r - 1, c);
                    if (q)
                        nbr[nn++] = q;
                }
        for (uint32_t a = runs[r].begin; a < runs[r].end; a++) {
            uint8_t band = 0;
            for (uint32_t b = a + 1; b < runs[r].end; b++)
                if (close_pair(g, a, b, &band) && (rc = pairs_push(p, with_band, a, b, band, err)))
                    goto fail;
            for (int k = 0; k < nn; k++)
                for (uint32_t b = nbr[k]->begin; b < nbr[k]->end; b++)
                    if (close_pair(g, a, b, &band) &&
                        (rc = pairs_push(p, with_band, a, b, band, err)))
                        goto fail;
        }
    }
fail:
    vg_free(cp);
    vg_free(runs);
    return rc;
}

/* ---- permutations ---- */

/* Each permutation walks the whole list of pairs close in space: the two caps apart (pairs and
 * permutations) still allow 10^13 steps, hours of work. Their product is capped too. */
#define MAX_PERM_STEPS 1e11

static int work_check(size_t pairs, uint32_t permutations, struct vg_error *err)
{
    double steps = (double)pairs * (double)permutations;
    if (steps > MAX_PERM_STEPS)
        return vg_error_set(err, VG_ETOOBIG,
                            "%zu pairs close in space times %u permutations is more than %.0e "
                            "steps; take fewer permutations or a smaller distance",
                            pairs, permutations, MAX_PERM_STEPS);
    return 0;
}

static unsigned thread_count(unsigned asked, uint32_t permutations)
{
    long t = asked;
    if (t == 0) {
        t = sysconf(_SC_NPROCESSORS_ONLN);
        if (t < 1)
            t = 1;
    }
    if (t > MAX_THREADS)
        t = MAX_THREADS;
    if ((uint32_t)t > permutations)
        t = permutations ? (long)permutations : 1;
    return (unsigned)t;
}

/* Runs fn on nthreads workers (worker 0 in the calling thread); a thread that cannot be started
 * leaves its share to the others, which take permutations from the shared counter. */
static void run_workers(void *(*fn)(void *), void *workers, size_t size, unsigned nthreads)
{
    pthread_t th[MAX_THREADS];
    int started[MAX_THREADS];
    for (unsigned k = 1; k < nthreads; k++)
        started[k] = pthread_create(&th[k], NULL, fn, (char *)workers + k * size) == 0;
    fn(workers);
    for (unsigned k = 1; k < nthreads; k++)
        if (started[k])
            pthread_join(th[k], NULL);
}

/* Permutation b of the times in input order (knox.h), in place. */
static void shuffle_double(double *v, size_t n, uint64_t seed, uint64_t b)
{
    struct vg_rand r;
    vg_rand_seed_stream(&r, seed, b);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)vg_rand_below(&r, (uint64_t)i + 1);
        double tmp = v[i];
        v[i] = v[j];
        v[j] = tmp;
    }
}

static void shuffle_i32(int32_t *v, size_t n, uint64_t seed, uint64_t b)
{
    struct vg_rand r;
    vg_rand_seed_stream(&r, seed, b);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)vg_rand_below(&r, (uint64_t)i + 1);
        int32_t tmp = v[i];
        v[i] = v[j];
        v[j] = tmp;
    }
}

/* X: the pairs of the list whose times (in position order) differ by at most T. One flat loop
 * over the pairs: a loop per point would end after a handful of neighbours with a mispredicted
 * branch each time, which costs more than reading the first point of every pair. */
static uint64_t knox_count(const struct pairs *p, const double *tc, double T)
{
    uint64_t x = 0;
    const uint32_t *pa = p->pa, *pb = p->pb;
    for (size_t k = 0; k < p->len; k++)
        x += fabs(tc[pa[k]] - tc[pb[k]]) <= T;
    return x;
}

struct knox_shared {
    const struct pairs *p;
    const double *t; /* input order */
    double T;
    uint32_t permutations;
    uint64_t seed;
    uint64_t *xb;
    atomic_uint next;
};

struct knox_worker {
    struct knox_shared *sh;
    int rc;
};

static void *knox_work(void *arg)
{
    struct knox_worker *w = arg;
    struct knox_shared *sh = w->sh;
    size_t n = sh->p->n;
    double *shuf = vg_malloc(n * sizeof(double)), *tc = vg_malloc(n * sizeof(double));
    if (!shuf || !tc) {
        w->rc = VG_ENOMEM;
        goto done;
    }
    for (;;) {
        unsigned b = atomic_fetch_add(&sh->next, 1);
        if (b >= sh->permutations)
            break;
        memcpy(shuf, sh->t, n * sizeof(double));
        shuffle_double(shuf, n, sh->seed, b);
        for (size_t a = 0; a < n; a++)
            tc[a] = shuf[sh->p->order[a]];
        sh->xb[b] = knox_count(sh->p, tc, sh->T);
    }
done:
    vg_free(shuf);
    vg_free(tc);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fill_planar(struct geom *g, const uint32_t *order, size_t n, const void *ctx)
{
    const double *const *xy = ctx;
    for (size_t a = 0; a < n; a++) {
        g->a[a] = xy[0][order[a]];
        g->b[a] = xy[1][order[a]];
    }
}

void vg_knox_opts_init(struct vg_knox_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->space = NAN;
    o->time = NAN;
    o->permutations = 999;
    o->seed = 1;
}

int vg_knox_run(const double *x, const double *y, const double *t, size_t n,
                const struct vg_knox_opts *o, struct vg_knox_result *out, uint64_t *counts,
                struct vg_error *err)
{
    struct pairs p;
    struct geom g;
    double *tc = NULL, *sorted = NULL;
    uint64_t *xb = NULL;
    struct knox_worker *workers = NULL;
    int rc = 0;

    memset(&p, 0, sizeof(p));
    memset(&g, 0, sizeof(g));
    if (!(o->space > 0) || !isfinite(o->space))
        return vg_error_set(err, VG_EINVAL,
                            "the distance D must be a finite number greater than 0 (got %g)",
                            o->space);
    if (!(o->time >= 0) || !isfinite(o->time))
        return vg_error_set(err, VG_EINVAL,
                            "the time span T must be a finite number, 0 or more (got %g)", o->time);
    if (o->permutations > VG_KNOX_MAX_PERMUTATIONS)
        return vg_error_set(err, VG_EINVAL, "at most %u permutations (got %u)",
                            VG_KNOX_MAX_PERMUTATIONS, o->permutations);
    if (n < 2)
        return vg_error_set(err, VG_EINVAL, "the test needs at least two events, found %zu", n);
    if (n > VG_KNOX_MAX_EVENTS)
        return vg_error_set(err, VG_ETOOBIG, "more than %zu events", VG_KNOX_MAX_EVENTS);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]) || !isfinite(y[i]) || !isfinite(t[i]))
            return vg_error_set(err, VG_EINVAL,
                                "event %zu: a coordinate or time is not a finite number", i + 1);

    if (!(o->space * o->space >= DBL_MIN)) /* squared distances are compared */
        return vg_error_set(err, VG_EINVAL, "the distance %g is too small", o->space);
    p.max = o->max_pairs ? o->max_pairs : VG_KNOX_MAX_PAIRS_DEFAULT;
    p.threshold = o->space;
    g.metric = PLANAR;
    g.d2 = o->space * o->space;
    if (!(g.a = vg_malloc(n * sizeof(double))) || !(g.b = vg_malloc(n * sizeof(double))) ||
        !(tc = vg_malloc(n * sizeof(double))) || !(sorted = vg_malloc(n * sizeof(double)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    const double *pts[3] = {x, y, NULL};
    const double *xy[2] = {x, y};
    if ((rc = pairs_build(&p, pts, n, o->space, &g, fill_planar, xy, err)))
        goto fail;
    vg_free(g.a);
    vg_free(g.b);
    g.a = g.b = NULL;

    struct vg_knox_result r;
    memset(&r, 0, sizeof(r));
    r.events = n;
    r.pairs = (uint64_t)n * (n - 1) / 2;
    r.close_space = p.len;
    for (size_t a = 0; a < n; a++)
        tc[a] = t[p.order[a]];
    r.observed = knox_count(&p, tc, o->time);

    /* N_t: the times sorted, and for each the later ones within T (two pointers). */
    memcpy(sorted, t, n * sizeof(double));
    qsort(sorted, n, sizeof(double), cmp_double);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (j < i + 1)
            j = i + 1;
        while (j < n && sorted[j] - sorted[i] <= o->time)
            j++;
        r.close_time += j - i - 1;
    }
    r.expected = (double)r.close_space * (double)r.close_time / (double)r.pairs;
    r.p_poisson = vg_knox_poisson_tail(r.observed, r.expected);
    r.permutations = o->permutations;
    r.seed = o->seed;
    r.p_monte_carlo = NAN;
    r.perm_mean = NAN;

    if ((rc = work_check(p.len, o->permutations, err)))
        goto fail;
    if (o->permutations) {
        struct knox_shared sh;
        unsigned nthreads = thread_count(o->threads, o->permutations);
        if (!(xb = vg_malloc(o->permutations * sizeof(uint64_t))) ||
            !(workers = vg_calloc(nthreads, sizeof(*workers)))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        sh.p = &p;
        sh.t = t;
        sh.T = o->time;
        sh.permutations = o->permutations;
        sh.seed = o->seed;
        sh.xb = xb;
        atomic_init(&sh.next, 0);
        for (unsigned k = 0; k < nthreads; k++)
            workers[k].sh = &sh;
        run_workers(knox_work, workers, sizeof(*workers), nthreads);
        for (unsigned k = 0; k < nthreads; k++)
            if (workers[k].rc) {
                rc = vg_error_set(err, workers[k].rc, "%s", vg_strerror(workers[k].rc));
                goto fail;
            }
        double sum = 0;
        r.perm_min = UINT64_MAX;
        for (uint32_t b = 0; b < o->permutations; b++) {
            r.at_least += xb[b] >= r.observed;
            sum += (double)xb[b];
            if (xb[b] < r.perm_min)
                r.perm_min = xb[b];
            if (xb[b] > r.perm_max)
                r.perm_max = xb[b];
        }
        r.perm_mean = sum / o->permutations;
        r.p_monte_carlo = (double)(1 + r.at_least) / ((double)o->permutations + 1);
        if (counts)
            memcpy(counts, xb, o->permutations * sizeof(uint64_t));
    }
    *out = r;
fail:
    vg_free(workers);
    vg_free(xb);
    vg_free(tc);
    vg_free(sorted);
    vg_free(g.a);
    vg_free(g.b);
    pairs_cleanup(&p);
    return rc;
}

/* ---- the near-repeat table ---- */

void vg_knox_table_opts_init(struct vg_knox_table_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->band_km = NAN;
    o->space_bands = 5;
    o->time_bands = 5;
    o->permutations = 99;
    o->seed = 1;
}

void vg_knox_table_destroy(struct vg_knox_table *t)
{
    if (!t)
        return;
    vg_free(t->cells);
    vg_free(t);
}

struct table_shared {
    const struct pairs *p;
    const int32_t *day; /* input order */
    const uint8_t *colof;
    uint32_t maxdt, rows, cols;
    const uint64_t *col_total; /* pairs in each time band, over all pairs */
    const uint64_t *observed;  /* rows * cols */
    uint32_t permutations;
    uint64_t seed;
    atomic_uint next;
};

struct table_worker {
    struct table_shared *sh;
    uint64_t *sum, *ge; /* rows * cols each */
    int rc;
};

/* Counts the pairs of the list in each cell (rows 0..S), then the row beyond S * W as what the
 * bands of time hold over all pairs less the rest. */
static void table_count(const struct table_shared *sh, const int32_t *dc, uint64_t *cnt)
{
    const struct pairs *p = sh->p;
    uint32_t cols = sh->cols, K = cols - 1;
    memset(cnt, 0, (size_t)sh->rows * cols * sizeof(uint64_t));
    for (size_t k = 0; k < p->len; k++) {
        int64_t dt = (int64_t)dc[p->pa[k]] - dc[p->pb[k]];
        if (dt < 0)
            dt = -dt;
        uint32_t c = dt > sh->maxdt ? K : sh->colof[dt];
        cnt[(size_t)p->band[k] * cols + c]++;
    }
    uint64_t *beyond = cnt + (size_t)(sh->rows - 1) * cols;
    for (uint32_t c = 0; c < cols; c++) {
        uint64_t in = 0;
        for (uint32_t r = 0; r + 1 < sh->rows; r++)
            in += cnt[(size_t)r * cols + c];
        beyond[c] = sh->col_total[c] - in;
    }
}

static void *table_work(void *arg)
{
    struct table_worker *w = arg;
    struct table_shared *sh = w->sh;
    size_t n = sh->p->n, ncells = (size_t)sh->rows * sh->cols;
    int32_t *shuf = vg_malloc(n * sizeof(int32_t)), *dc = vg_malloc(n * sizeof(int32_t));
    uint64_t *cnt = vg_malloc(ncells * sizeof(uint64_t));
    if (!shuf || !dc || !cnt) {
        w->rc = VG_ENOMEM;
        goto done;
    }
    for (;;) {
        unsigned b = atomic_fetch_add(&sh->next, 1);
        if (b >= sh->permutations)
            break;
        memcpy(shuf, sh->day, n * sizeof(int32_t));
        shuffle_i32(shuf, n, sh->seed, b);
        for (size_t a = 0; a < n; a++)
            dc[a] = shuf[sh->p->order[a]];
        table_count(sh, dc, cnt);
        for (size_t c = 0; c < ncells; c++) {
            w->sum[c] += cnt[c];
            w->ge[c] += cnt[c] >= sh->observed[c];
        }
    }
done:
    vg_free(shuf);
    vg_free(dc);
    vg_free(cnt);
    return NULL;
}

struct sphere_ctx {
    const double *lat, *lon;
};

static void fill_sphere(struct geom *g, const uint32_t *order, size_t n, const void *ctx)
{
    const struct sphere_ctx *s = ctx;
    const double rad = M_PI / 180;
    for (size_t a = 0; a < n; a++) {
        /* One place, one pair of coordinates: the meridian 180 is -180 and a pole has longitude
         * 0, so that two events there are at distance 0, "the same location" (the haversine of
         * 10,180 and 10,-180 is 1e-12 km, not 0). */
        double la = s->lat[order[a]], lo = s->lon[order[a]];
        if (lo == 180)
            lo = -180;
        if (la == 90 || la == -90)
            lo = 0;
        g->a[a] = la * rad;
        g->b[a] = lo * rad;
        g->c[a] = cos(g->a[a]);
    }
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int vg_knox_table_create(const double *lat, const double *lon, const int32_t *day, size_t n,
                         const struct vg_knox_table_opts *o, struct vg_knox_table **out,
                         struct vg_error *err)
{
    struct pairs p;
    struct geom g;
    double *ball[3] = {NULL, NULL, NULL};
    int32_t *dc = NULL, *sorted = NULL;
    uint8_t *colof = NULL;
    uint64_t *col_total = NULL, *observed = NULL;
    struct table_worker *workers = NULL;
    struct vg_knox_table *t = NULL;
    unsigned nthreads = 0;
    int rc = 0;

    memset(&p, 0, sizeof(p));
    memset(&g, 0, sizeof(g));
    if (!(o->band_km > 0) || !isfinite(o->band_km))
        return vg_error_set(err, VG_EINVAL,
                            "the width of a distance band must be a finite number of km above 0");
    if (o->space_bands < 1 || o->space_bands > VG_KNOX_MAX_BANDS || o->time_bands < 1 ||
        o->time_bands > VG_KNOX_MAX_BANDS)
        return vg_error_set(err, VG_EINVAL, "the number of bands must be from 1 to %u",
                            VG_KNOX_MAX_BANDS);
    if (o->band_days < 1 || o->band_days > VG_KNOX_MAX_BAND_DAYS)
        return vg_error_set(err, VG_EINVAL, "the width of a time band must be from 1 to %u days",
                            VG_KNOX_MAX_BAND_DAYS);
    if (o->permutations < 1 || o->permutations > VG_KNOX_MAX_PERMUTATIONS)
        return vg_error_set(err, VG_EINVAL, "the permutations must be from 1 to %u",
                            VG_KNOX_MAX_PERMUTATIONS);
    if (n < 2)
        return vg_error_set(err, VG_EINVAL, "the table needs at least two events, found %zu", n);
    if (n > VG_KNOX_MAX_EVENTS)
        return vg_error_set(err, VG_ETOOBIG, "more than %zu events", VG_KNOX_MAX_EVENTS);
    for (size_t i = 0; i < n; i++)
        if (!(lat[i] >= -90 && lat[i] <= 90 && lon[i] >= -180 && lon[i] <= 180))
            return vg_error_set(err, VG_EINVAL,
                                "event %zu: the coordinates (%g, %g) are not a latitude in "
                                "[-90, 90] and a longitude in [-180, 180]",
                                i + 1, lat[i], lon[i]);

    uint32_t S = o->space_bands, K = o->time_bands, rows = S + 2, cols = K + 1;
    size_t ncells = (size_t)rows * cols;
    p.max = o->max_pairs ? o->max_pairs : VG_KNOX_MAX_PAIRS_DEFAULT;
    g.metric = SPHERE;
    g.band_km = o->band_km;
    g.bands = S;
    g.dmax = o->band_km * S;
    p.threshold = g.dmax;
    /* The grid: points on a ball of the Earth's radius, cells the chord of the largest distance
     * (all of the ball when that distance reaches half the circumference), with a margin for
     * the rounding of the coordinates. */
    double half = M_PI * VG_EARTH_RADIUS_KM;
    double chord = g.dmax >= half ? 2 * VG_EARTH_RADIUS_KM
                                  : 2 * VG_EARTH_RADIUS_KM * sin(g.dmax / (2 * VG_EARTH_RADIUS_KM));
    chord += 1e-9;
    for (int k = 0; k < 3; k++)
        if (!(ball[k] = vg_malloc(n * sizeof(double)))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
    for (size_t i = 0; i < n; i++) {
        double la = lat[i] * M_PI / 180, lo = lon[i] * M_PI / 180;
        ball[0][i] = VG_EARTH_RADIUS_KM * cos(la) * cos(lo);
        ball[1][i] = VG_EARTH_RADIUS_KM * cos(la) * sin(lo);
        ball[2][i] = VG_EARTH_RADIUS_KM * sin(la);
    }
    if (!(g.a = vg_malloc(n * sizeof(double))) || !(g.b = vg_malloc(n * sizeof(double))) ||
        !(g.c = vg_malloc(n * sizeof(double)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    struct sphere_ctx sc = {lat, lon};
    const double *pts[3] = {ball[0], ball[1], ball[2]};
    if ((rc = pairs_build(&p, pts, n, chord, &g, fill_sphere, &sc, err)))
        goto fail;
    for (int k = 0; k < 3; k++) {
        vg_free(ball[k]);
        ball[k] = NULL;
    }
    vg_free(g.a);
    vg_free(g.b);
    vg_free(g.c);
    g.a = g.b = g.c = NULL;
    if ((rc = work_check(p.len, o->permutations, err)))
        goto fail;

    /* Time bands: gap 0..T in column 0, then c T + 1 .. (c + 1) T in column c. */
    uint32_t T = o->band_days, maxdt = K * T;
    if (!(colof = vg_malloc((size_t)maxdt + 1)) ||
        !(col_total = vg_calloc(cols, sizeof(uint64_t))) ||
        !(observed = vg_malloc(ncells * sizeof(uint64_t))) ||
        !(dc = vg_malloc(n * sizeof(int32_t))) || !(sorted = vg_malloc(n * sizeof(int32_t)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    for (uint32_t dt = 0; dt <= maxdt; dt++)
        colof[dt] = (uint8_t)(dt == 0 ? 0 : (dt - 1) / T);

    /* Pairs in each time band over all pairs: counts of gaps <= (c + 1) T by two pointers. */
    uint64_t pairs = (uint64_t)n * (n - 1) / 2, below = 0;
    memcpy(sorted, day, n * sizeof(int32_t));
    qsort(sorted, n, sizeof(int32_t), cmp_i32);
    for (uint32_t c = 0; c < K; c++) {
        int64_t edge = (int64_t)(c + 1) * T;
        uint64_t within = 0;
        size_t j = 0;
        for (size_t i = 0; i < n; i++) {
            if (j < i + 1)
                j = i + 1;
            while (j < n && (int64_t)sorted[j] - sorted[i] <= edge)
                j++;
            within += j - i - 1;
        }
        col_total[c] = within - below;
        below = within;
    }
    col_total[K] = pairs - below;

    struct table_shared sh;
    sh.p = &p;
    sh.day = day;
    sh.colof = colof;
    sh.maxdt = maxdt;
    sh.rows = rows;
    sh.cols = cols;
    sh.col_total = col_total;
    sh.observed = observed;
    sh.permutations = o->permutations;
    sh.seed = o->seed;
    atomic_init(&sh.next, 0);
    for (size_t a = 0; a < n; a++)
        dc[a] = day[p.order[a]];
    table_count(&sh, dc, observed);

    nthreads = thread_count(o->threads, o->permutations);
    if (!(workers = vg_calloc(nthreads, sizeof(*workers)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    for (unsigned k = 0; k < nthreads; k++) {
        workers[k].sh = &sh;
        if (!(workers[k].sum = vg_calloc(ncells, sizeof(uint64_t))) ||
            !(workers[k].ge = vg_calloc(ncells, sizeof(uint64_t)))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
    }
    run_workers(table_work, workers, sizeof(*workers), nthreads);
    for (unsigned k = 0; k < nthreads; k++)
        if (workers[k].rc) {
            rc = vg_error_set(err, workers[k].rc, "%s", vg_strerror(workers[k].rc));
            goto fail;
        }

    if (!(t = vg_calloc(1, sizeof(*t))) || !(t->cells = vg_calloc(ncells, sizeof(*t->cells)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    t->rows = rows;
    t->cols = cols;
    t->band_km = o->band_km;
    t->band_days = T;
    t->permutations = o->permutations;
    t->seed = o->seed;
    t->incidents = n;
    t->selected = n;
    t->pairs = pairs;
    for (size_t c = 0; c < ncells; c++) {
        uint64_t sum = 0, ge = 0;
        for (unsigned k = 0; k < nthreads; k++) {
            sum += workers[k].sum[c];
            ge += workers[k].ge[c];
        }
        struct vg_knox_cell *cell = &t->cells[c];
        cell->observed = observed[c];
        cell->expected = (double)sum / o->permutations;
        cell->ratio = sum ? (double)observed[c] / cell->expected : NAN;
        cell->at_least = ge;
        cell->p = (double)(1 + ge) / ((double)o->permutations + 1);
    }
    *out = t;
    t = NULL;
fail:
    if (workers)
        for (unsigned k = 0; k < nthreads; k++) {
            vg_free(workers[k].sum);
            vg_free(workers[k].ge);
        }
    vg_free(workers);
    for (int k = 0; k < 3; k++)
        vg_free(ball[k]);
    vg_free(g.a);
    vg_free(g.b);
    vg_free(g.c);
    vg_free(colof);
    vg_free(col_total);
    vg_free(observed);
    vg_free(dc);
    vg_free(sorted);
    vg_knox_table_destroy(t);
    pairs_cleanup(&p);
    return rc;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar (H. Hinnant's method). */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

static int days_in_month(int y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dim[m - 1];
}

int vg_knox_nearrepeat(const struct vg_cube *c, const struct vg_selection *sel,
                       const struct vg_knox_table_opts *o, struct vg_knox_table **out,
                       struct vg_error *err)
{
    const struct vg_cube_columns *cols = vg_cube_columns(c);
    size_t cap = sel ? vg_selection_count(sel) : cols->n, n = 0;
    size_t selected = 0, no_location = 0, no_day = 0;
    double *lat = vg_malloc((cap ? cap : 1) * sizeof(double));
    double *lon = vg_malloc((cap ? cap : 1) * sizeof(double));
    int32_t *day = vg_malloc((cap ? cap : 1) * sizeof(int32_t));
    int rc = 0;
    if (!lat || !lon || !day) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < cols->n && n < cap; i++) {
        if (sel && !vg_selection_has(sel, i))
            continue;
        selected++;
        double la = cols->latitude[i], lo = cols->longitude[i];
        if (!(la >= -90 && la <= 90 && lo >= -180 && lo <= 180)) {
            no_location++;
            continue;
        }
        int y = cols->year[i], m = cols->month[i], d = cols->day[i];
        if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) {
            no_day++;
            continue;
        }
        lat[n] = la;
        lon[n] = lo;
        day[n] = days_from_civil(y, m, d);
        n++;
    }
    if (n < 2) {
        rc = vg_error_set(err, VG_EINVAL,
                          "the table needs at least two incidents with coordinates and a date "
                          "known to the day; the selection has %zu (of %zu selected, %zu have no "
                          "coordinates and %zu no date known to the day)",
                          n, selected, no_location, no_day);
        goto done;
    }
    struct vg_knox_table *t = NULL;
    if ((rc = vg_knox_table_create(lat, lon, day, n, o, &t, err)))
        goto done;
    t->selected = selected;
    t->no_location = no_location;
    t->no_day = no_day;
    *out = t;
done:
    vg_free(lat);
    vg_free(lon);
    vg_free(day);
    return rc;
}
