/* threat.c - the threat a site faces: comparable incidents per year near it, shrunk toward its
 * region's rate by gamma-Poisson empirical Bayes (docs/methods/threat.md has the method in full).
 *
 * For a site s of kind k, over the years [from, to] (t = to - from + 1 years):
 *
 *   x_s = sum over incidents i within R km of s of  w_k(target_i) * K(d(s, i) / R)
 *
 * where w_k is the weight of the incident's GTD target type for kind k (data/risk/
 * target_kinds.csv; 0 for types that are not comparable) and K the distance kernel
 * (Epanechnikov 1 - u^2 by default). The sites of one pool (kind and region) share a gamma prior
 * on their rates, lambda ~ Gamma(alpha, beta); with x_s ~ Poisson(lambda_s t) the posterior mean
 * is (x_s + alpha) / (t + beta), and P(at least one incident within h years) = 1 - exp(-lambda h).
 * alpha and beta are fitted by maximum likelihood of the negative-binomial marginal of the
 * pool's counts (vg_threat_fit), after Clayton and Kaldor (1987).
 *
 * Data structure. The incidents come from the analytic cube (cube.h): year, target code and
 * coordinates, in columns. Those with coordinates, in the years, and comparable for some kind
 * are binned on a latitude-longitude grid whose cells are R/111.19 degrees on a side (so a site's
 * neighbours lie in the cells its latitude band and a longitude band widened by 1/cos(latitude)
 * touch), and stored by cell (CSR: cell start offsets, then the points of each cell together)
 * as unit vectors on the sphere: the test d < R is then the chord |a - b| < 2 sin(R / 2Re),
 * three multiplications and no trigonometry; only the incidents inside take an asin for the
 * kernel. Longitude cells wrap at the antimeridian; near the poles a site scans its whole band.
 *
 * The naive computation (opts->naive) compares every site with every incident using the
 * haversine formula (vg_geo_km): it shares no code with the index beyond the kernel, which is
 * what makes it a check.
 *
 * Threads: the sites are split in contiguous blocks among threads; each site's sum is made by one
 * thread in cell order, so the figures do not depend on the number of threads.
 *
 * Ownership: everything is freed before returning. The store is used by the calling thread only
 * (the worker threads read the grid, which is immutable once built). */
#include "vigil/csv.h"
#include "vigil/cube.h"
#include "vigil/mem.h"
#include "vigil/text.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define EARTH_KM 6371.0088
#define KM_PER_DEG (EARTH_KM * M_PI / 180.0)
#define DEFAULT_RADIUS_KM 50.0
#define MIN_POOL 20 /* fewer sites than this in a kind and region: the kind's world pool */
#define MAX_THREADS 8
#define TK_MAX_ROWS 10000
#define POOLED_BETA 1e6 /* years of prior exposure when the rates show no spread */

/* ---- the target-kind table ---- */

struct tk_row {
    enum vg_site_kind kind;
    char *target;
    double weight;
    long line; /* where the table gives it, for the message about a row listed twice */
};

struct vg_target_kinds {
    struct tk_row *rows;
    size_t n;
    char version[64];
};

void vg_target_kinds_destroy(struct vg_target_kinds *tk)
{
    if (!tk)
        return;
    for (size_t i = 0; i < tk->n; i++)
        vg_free(tk->rows[i].target);
    vg_free(tk->rows);
    vg_free(tk);
}

/* Takes the version from a comment line (raw, len bytes, not terminated) that says
 * "version: V", unless an earlier one gave it. */
static void take_version(struct vg_target_kinds *tk, const char *raw, size_t len)
{
    const char *end = raw + len;
    const char *v = memmem(raw, len, "version:", 8);
    if (!v || tk->version[0])
        return;
    v += 8;
    while (v < end && *v == ' ')
        v++;
    size_t n = 0;
    while (v + n < end && n < sizeof(tk->version) - 1 && v[n] != ' ' && v[n] != '\r' &&
           v[n] != '\n' && v[n] != '\0')
        n++;
    memcpy(tk->version, v, n);
    tk->version[n] = '\0';
}

int vg_target_kinds_parse(const char *data, size_t len, const char *name,
                          struct vg_target_kinds **out, struct vg_error *err)
{
    vg_error_clear(err);
    struct vg_csv_opts co = {',', 1 << 16, 64};
    struct vg_csv *csv = NULL;
    struct vg_target_kinds *tk = vg_calloc(1, sizeof(*tk));
    int rc = tk ? vg_csv_open_mem(data, len, &co, &csv) : VG_ENOMEM;
    if (rc) {
        vg_error_set(err, rc, "%s", vg_strerror(rc));
        goto fail;
    }
    struct vg_csv_record rec;
    int header = 0, ck = -1, ct = -1, cw = -1;
    size_t cap = 0;
    while ((rc = vg_csv_next(csv, &rec)) == 1) {
        if (rec.error) {
            /* a comment is not split into fields: commas or a stray quote in it are no error */
            const char *r = rec.raw;
            size_t rn = rec.raw_len;
            if (rn >= 3 && memcmp(r, "\xEF\xBB\xBF", 3) == 0)
                r += 3, rn -= 3;
            if (rn > 0 && r[0] == '#') {
                take_version(tk, rec.raw, rec.raw_len);
                vg_csv_resync(csv); /* a quote in a comment does not swallow the next lines */
                continue;
            }
            rc = vg_error_set(err, VG_EFORMAT, "%s", rec.error_msg ? rec.error_msg : "bad row");
            err->line = rec.line;
            goto fail;
        }
        if (rec.nfields == 0 || (rec.nfields == 1 && rec.lens[0] == 0))
            continue;
        if (rec.fields[0][0] == '#') {
            take_version(tk, rec.raw, rec.raw_len);
            vg_csv_resync(csv); /* a comment is one line, whatever quotes it holds */
            continue;
        }
        if (!header) {
            for (size_t i = 0; i < rec.nfields; i++) {
                if (strcasecmp(rec.fields[i], "site_kind") == 0)
                    ck = (int)i;
                else if (strcasecmp(rec.fields[i], "target_type") == 0)
                    ct = (int)i;
                else if (strcasecmp(rec.fields[i], "weight") == 0)
                    cw = (int)i;
            }
            if (ck < 0 || ct < 0 || cw < 0) {
                rc = vg_error_set(err, VG_EFORMAT,
                                  "the header must name the columns site_kind, target_type and "
                                  "weight");
                err->line = rec.line;
                goto fail;
            }
            header = 1;
            continue;
        }
        int maxc = ck > ct ? ck : ct;
        maxc = maxc > cw ? maxc : cw;
        if (rec.nfields <= (size_t)maxc) {
            rc = vg_error_set(err, VG_EFORMAT, "%zu fields, fewer than the header's", rec.nfields);
            err->line = rec.line;
            goto fail;
        }
        enum vg_site_kind kind;
        if ((rc = vg_site_kind_parse(rec.fields[ck], &kind, err))) {
            err->line = rec.line;
            snprintf(err->column, sizeof(err->column), "site_kind");
            goto fail;
        }
        if (!rec.fields[ct][0]) {
            rc = vg_error_set(err, VG_EFORMAT, "the target type is empty");
            err->line = rec.line;
            snprintf(err->column, sizeof(err->column), "target_type");
            goto fail;
        }
        char *end;
        errno = 0;
        double w = strtod(rec.fields[cw], &end);
        if (!vg_text_is_decimal(rec.fields[cw], 0) || *end || errno || !(w >= 0 && w <= 1)) {
            rc = vg_error_set(err, VG_EFORMAT, "the weight '%.40s' is not a number from 0 to 1",
                              rec.fields[cw]);
            err->line = rec.line;
            snprintf(err->column, sizeof(err->column), "weight");
            goto fail;
        }
        for (size_t i = 0; i < tk->n; i++) {
            if (tk->rows[i].kind != kind || strcasecmp(tk->rows[i].target, rec.fields[ct]) != 0)
                continue;
            rc = vg_error_set(err, VG_EFORMAT, "%s, %.60s: listed twice (line %ld first)",
                              vg_site_kind_name(kind), rec.fields[ct], tk->rows[i].line);
            err->line = rec.line;
            snprintf(err->column, sizeof(err->column), "target_type");
            goto fail;
        }
        if (tk->n == TK_MAX_ROWS) {
            rc = vg_error_set(err, VG_ETOOBIG, "more than %d rows", TK_MAX_ROWS);
            err->line = rec.line;
            goto fail;
        }
        if (tk->n == cap) {
            size_t ncap = cap ? 2 * cap : 16;
            struct tk_row *p = vg_realloc(tk->rows, ncap * sizeof(*p));
            if (!p) {
                rc = vg_error_set(err, VG_ENOMEM, "out of memory");
                goto fail;
            }
            tk->rows = p, cap = ncap;
        }
        tk->rows[tk->n].kind = kind;
        tk->rows[tk->n].weight = w;
        tk->rows[tk->n].line = rec.line;
        if (!(tk->rows[tk->n].target = vg_strdup(rec.fields[ct]))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        tk->n++;
    }
    if (rc < 0) {
        vg_error_set(err, rc, "%s", vg_strerror(rc));
        goto fail;
    }
    if (!header) {
        rc = vg_error_set(err, VG_EFORMAT, "no header row (site_kind,target_type,weight)");
        goto fail;
    }
    vg_csv_destroy(csv);
    *out = tk;
    return 0;
fail:
    if (err && name && !err->file[0])
        snprintf(err->file, sizeof(err->file), "%s", name);
    vg_csv_destroy(csv);
    vg_target_kinds_destroy(tk);
    return rc ? rc : VG_EFORMAT;
}

int vg_target_kinds_load(const char *path, struct vg_target_kinds **out, struct vg_error *err)
{
    vg_error_clear(err);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int rc = vg_error_set(err, VG_EIO, "cannot open: %s", strerror(errno));
        if (err)
            snprintf(err->file, sizeof(err->file), "%s", path);
        return rc;
    }
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    char chunk[4096];
    size_t got;
    int rc = 0;
    while (!rc && (got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = vg_buf_append(&b, chunk, got);
    if (!rc && ferror(f))
        rc = VG_EIO;
    fclose(f);
    if (rc) {
        vg_error_set(err, rc, "%s", vg_strerror(rc));
        if (err)
            snprintf(err->file, sizeof(err->file), "%s", path);
    } else {
        rc = vg_target_kinds_parse(b.data ? b.data : "", b.len, path, out, err);
    }
    vg_buf_cleanup(&b);
    return rc;
}

double vg_target_kinds_weight(const struct vg_target_kinds *tk, enum vg_site_kind k,
                              const char *target)
{
    if (!tk || !target)
        return 0;
    for (size_t i = 0; i < tk->n; i++)
        if (tk->rows[i].kind == k && strcasecmp(tk->rows[i].target, target) == 0)
            return tk->rows[i].weight;
    return 0;
}

const char *vg_target_kinds_version(const struct vg_target_kinds *tk)
{
    return tk ? tk->version : "";
}

/* ---- kernels ---- */

static const char *const kernel_names[] = {"epanechnikov", "gaussian", "uniform"};

const char *vg_kernel_name(enum vg_kernel k)
{
    return (unsigned)k < 3 ? kernel_names[k] : NULL;
}

int vg_kernel_parse(const char *name, enum vg_kernel *out, struct vg_error *err)
{
    for (int k = 0; k < 3; k++)
        if (name && strcasecmp(name, kernel_names[k]) == 0) {
            *out = (enum vg_kernel)k;
            return 0;
        }
    return vg_error_set(err, VG_EINVAL, "unknown kernel '%s' (epanechnikov, gaussian or uniform)",
                        name ? name : "");
}

double vg_kernel_weight(enum vg_kernel k, double d_km, double radius_km)
{
    if (!(d_km < radius_km) || !(radius_km > 0))
        return 0;
    double u = d_km / radius_km;
    switch (k) {
    case VG_KERNEL_GAUSSIAN:
        return exp(-2.0 * u * u); /* bandwidth R/2: exp(-(d/(R/2))^2 / 2) */
    case VG_KERNEL_UNIFORM:
        return 1;
    default:
        return 1 - u * u;
    }
}

/* ---- the empirical-Bayes fit ---- */

/* The score of beta for a given alpha (derivative of the log-likelihood): decreasing in beta. */
static double beta_score(const double *x, const double *t, size_t n, double alpha, double beta)
{
    double g = 0;
    for (size_t i = 0; i < n; i++)
        g += alpha / beta - (x[i] + alpha) / (beta + t[i]);
    return g;
}

/* The beta that maximises the likelihood for alpha: bisection on log beta. */
static double beta_for(const double *x, const double *t, size_t n, double alpha)
{
    double lo = -30, hi = 30;
    for (int it = 0; it < 100; it++) {
        double mid = (lo + hi) / 2;
        if (beta_score(x, t, n, alpha, exp(mid)) > 0)
            lo = mid;
        else
            hi = mid;
    }
    return exp((lo + hi) / 2);
}

/* The negative-binomial log-likelihood (without the terms free of alpha and beta). */
static double nb_loglik(const double *x, const double *t, size_t n, double alpha, double beta)
{
    double ll = 0, lga = lgamma(alpha);
    for (size_t i = 0; i < n; i++)
        ll += lgamma(x[i] + alpha) - lga + alpha * log(beta / (beta + t[i])) +
              (x[i] > 0 ? x[i] * log(t[i] / (beta + t[i])) : 0);
    return ll;
}

int vg_threat_fit(const double *x, const double *t, size_t n, double *alpha, double *beta,
                  const char **method, struct vg_error *err)
{
    double sx = 0, st = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(t[i] > 0) || !(x[i] >= 0) || !isfinite(x[i]) || !isfinite(t[i]))
            return vg_error_set(err, VG_EINVAL,
                                "count %g over exposure %g: counts must be at "
                                "least 0 and exposures above 0",
                                x[i], t[i]);
        sx += x[i], st += t[i];
    }
    if (n == 0 || st <= 0) {
        *alpha = *beta = 0;
        if (method)
            *method = "empty";
        return 0;
    }
    double m = sx / st; /* pooled rate */
    /* Method of moments: var(x_i / t_i) = v + m * mean(1 / t_i), v the variance of the rates. */
    double s2 = 0, inv_t = 0;
    for (size_t i = 0; i < n; i++) {
        double r = x[i] / t[i] - m;
        s2 += t[i] * r * r;
        inv_t += 1 / t[i];
    }
    s2 /= st;                          /* exposure-weighted variance of the raw rates */
    double v = s2 - m * n / st;        /* minus the Poisson part, m / (mean exposure) */
    if (m == 0 || !(v > 0) || n < 2) { /* no spread beyond Poisson noise: one common rate */
        *beta = POOLED_BETA;
        *alpha = m * POOLED_BETA;
        if (method)
            *method = "pooled";
        return 0;
    }
    (void)inv_t;
    double a0 = m * m / v;
    /* Maximum likelihood: golden-section search of the profile likelihood over log alpha, beta
     * maximised for each alpha. */
    double lo = log(a0) - 12, hi = log(a0) + 12;
    const double g = 0.6180339887498949;
    double c = hi - g * (hi - lo), d = lo + g * (hi - lo);
    double fc = nb_loglik(x, t, n, exp(c), beta_for(x, t, n, exp(c)));
    double fd = nb_loglik(x, t, n, exp(d), beta_for(x, t, n, exp(d)));
    for (int it = 0; it < 80 && hi - lo > 1e-7; it++) {
        if (fc >= fd) {
            hi = d, d = c, fd = fc;
            c = hi - g * (hi - lo);
            fc = nb_loglik(x, t, n, exp(c), beta_for(x, t, n, exp(c)));
        } else {
            lo = c, c = d, fc = fd;
            d = lo + g * (hi - lo);
            fd = nb_loglik(x, t, n, exp(d), beta_for(x, t, n, exp(d)));
        }
    }
    double a = exp((lo + hi) / 2), b = beta_for(x, t, n, a);
    if (!isfinite(a) || !isfinite(b) || !(a > 0) || !(b > 0) || (hi >= log(a0) + 12 - 1e-3)) {
        /* no interior maximum: the moments' estimate, or the pooled rate when it ran off */
        if (hi >= log(a0) + 12 - 1e-3) {
            *beta = POOLED_BETA;
            *alpha = m * POOLED_BETA;
            if (method)
                *method = "pooled";
        } else {
            *alpha = a0;
            *beta = m / v;
            if (method)
                *method = "moments";
        }
        return 0;
    }
    *alpha = a, *beta = b;
    if (method)
        *method = "ml";
    return 0;
}

/* ---- the grid of incidents ---- */

struct grid {
    double cell_deg;
    int nrows, ncols;
    uint32_t *start;      /* nrows * ncols + 1 offsets */
    double *ux, *uy, *uz; /* unit vectors, by cell */
    uint32_t *target;     /* target codes, by cell */
    size_t n;
};

static void grid_cleanup(struct grid *g)
{
    vg_free(g->start);
    vg_free(g->ux);
    vg_free(g->uy);
    vg_free(g->uz);
    vg_free(g->target);
    memset(g, 0, sizeof(*g));
}

static void unit_vector(double lat, double lon, double *x, double *y, double *z)
{
    double la = lat * (M_PI / 180), lo = lon * (M_PI / 180), cl = cos(la);
    *x = cl * cos(lo), *y = cl * sin(lo), *z = sin(la);
}

static int cell_row(const struct grid *g, double lat)
{
    int r = (int)floor((lat + 90) / g->cell_deg);
    return r < 0 ? 0 : r >= g->nrows ? g->nrows - 1 : r;
}

static int cell_col(const struct grid *g, double lon)
{
    int c = (int)floor((lon + 180) / g->cell_deg);
    return c < 0 ? 0 : c >= g->ncols ? g->ncols - 1 : c;
}

/* keep[i]: incident i takes part. */
static int grid_build(struct grid *g, const struct vg_cube_columns *cols, const uint8_t *keep,
                      double radius_km)
{
    memset(g, 0, sizeof(*g));
    /* cells no smaller than a tenth of a degree, and no more than 1800 x 3600 of them */
    g->cell_deg = radius_km / KM_PER_DEG;
    if (g->cell_deg < 0.1)
        g->cell_deg = 0.1;
    g->nrows = (int)ceil(180 / g->cell_deg);
    g->ncols = (int)ceil(360 / g->cell_deg);
    size_t ncells = (size_t)g->nrows * (size_t)g->ncols;
    g->start = vg_calloc(ncells + 1, sizeof(uint32_t));
    if (!g->start)
        return VG_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < cols->n; i++)
        if (keep[i]) {
            size_t c =
                (size_t)cell_row(g, cols->latitude[i]) * g->ncols + cell_col(g, cols->longitude[i]);
            g->start[c + 1]++;
            n++;
        }
    for (size_t c = 0; c < ncells; c++)
        g->start[c + 1] += g->start[c];
    g->n = n;
    g->ux = vg_malloc((n ? n : 1) * sizeof(double));
    g->uy = vg_malloc((n ? n : 1) * sizeof(double));
    g->uz = vg_malloc((n ? n : 1) * sizeof(double));
    g->target = vg_malloc((n ? n : 1) * sizeof(uint32_t));
    uint32_t *fill = vg_malloc(ncells * sizeof(uint32_t));
    if (!g->ux || !g->uy || !g->uz || !g->target || !fill) {
        vg_free(fill);
        grid_cleanup(g);
        return VG_ENOMEM;
    }
    memcpy(fill, g->start, ncells * sizeof(uint32_t));
    for (size_t i = 0; i < cols->n; i++)
        if (keep[i]) {
            size_t c =
                (size_t)cell_row(g, cols->latitude[i]) * g->ncols + cell_col(g, cols->longitude[i]);
            uint32_t j = fill[c]++;
            unit_vector(cols->latitude[i], cols->longitude[i], &g->ux[j], &g->uy[j], &g->uz[j]);
            g->target[j] = cols->code[VG_DIM_TARGET][i];
        }
    vg_free(fill);
    return 0;
}

/* ---- the computation ---- */

struct site_rec {
    struct vg_site site; /* strings owned by `strings` of the run */
    double x;
    int64_t n;
    int pool;
};

struct run {
    const struct vg_threat_opts *opts;
    double radius;
    const struct grid *grid;
    const struct vg_cube_columns *cols;
    const uint8_t *keep;
    const double *weight; /* [kind * ntargets + code] */
    uint32_t ntargets;
    struct site_rec *sites;
    size_t nsites;
    size_t begin, end; /* this thread's block */
};

static double weight_of(const struct run *r, enum vg_site_kind k, uint32_t code)
{
    return code < r->ntargets ? r->weight[(size_t)k * r->ntargets + code] : 0;
}

static void site_grid(const struct run *r, struct site_rec *s)
{
    const struct grid *g = r->grid;
    double R = r->radius, sx, sy, sz;
    double chord = 2 * sin(R / (2 * EARTH_KM)), chord2 = chord * chord;
    unit_vector(s->site.lat, s->site.lon, &sx, &sy, &sz);
    double dlat = R / KM_PER_DEG;
    int r0 = cell_row(g, s->site.lat - dlat), r1 = cell_row(g, s->site.lat + dlat);
    double maxlat = fabs(s->site.lat) + dlat;
    int all_cols = maxlat >= 89.9;
    double dlon = all_cols ? 180 : dlat / cos(maxlat * M_PI / 180);
    int span = all_cols ? g->ncols : (int)ceil(dlon / g->cell_deg) + 1;
    if (2 * span + 1 >= g->ncols)
        all_cols = 1;
    int c0 = cell_col(g, s->site.lon);
    double x = 0;
    int64_t n = 0;
    for (int row = r0; row <= r1; row++) {
        int from = all_cols ? 0 : c0 - span, to = all_cols ? g->ncols - 1 : c0 + span;
        for (int cc = from; cc <= to; cc++) {
            int col = ((cc % g->ncols) + g->ncols) % g->ncols;
            size_t cell = (size_t)row * g->ncols + col;
            for (uint32_t j = g->start[cell]; j < g->start[cell + 1]; j++) {
                double ex = g->ux[j] - sx, ey = g->uy[j] - sy, ez = g->uz[j] - sz;
                double c2 = ex * ex + ey * ey + ez * ez;
                if (c2 >= chord2)
                    continue;
                double w = weight_of(r, s->site.kind, g->target[j]);
                if (w <= 0)
                    continue;
                double d = 2 * EARTH_KM * asin(sqrt(c2) / 2);
                double k = vg_kernel_weight(r->opts->kernel, d, R);
                if (k <= 0)
                    continue;
                x += w * k;
                n++;
            }
        }
    }
    s->x = x, s->n = n;
}

static void site_naive(const struct run *r, struct site_rec *s)
{
    const struct vg_cube_columns *c = r->cols;
    double x = 0;
    int64_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!r->keep[i])
            continue;
        double w = weight_of(r, s->site.kind, c->code[VG_DIM_TARGET][i]);
        if (w <= 0)
            continue;
        double d = vg_geo_km(s->site.lat, s->site.lon, c->latitude[i], c->longitude[i]);
        double k = vg_kernel_weight(r->opts->kernel, d, r->radius);
        if (k <= 0)
            continue;
        x += w * k;
        n++;
    }
    s->x = x, s->n = n;
}

static void *worker(void *p)
{
    struct run *r = p;
    for (size_t i = r->begin; i < r->end; i++) {
        if (r->opts->naive)
            site_naive(r, &r->sites[i]);
        else
            site_grid(r, &r->sites[i]);
    }
    return NULL;
}

/* Collects the sites into an array, their strings into one buffer. */
struct collect {
    struct site_rec *sites;
    size_t n, cap;
    struct vg_buf strings;
    int64_t only_id;
};

static int collect_site(void *ctx, const struct vg_site *site)
{
    struct collect *c = ctx;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 1024;
        struct site_rec *p = vg_realloc(c->sites, ncap * sizeof(*p));
        if (!p)
            return VG_ENOMEM;
        c->sites = p, c->cap = ncap;
    }
    struct site_rec *s = &c->sites[c->n];
    memset(s, 0, sizeof(*s));
    s->site = *site;
    /* strings: stored as offsets + 1 now, turned into pointers once the buffer stops moving */
    const char **f[] = {&s->site.source, &s->site.source_id, &s->site.name,    &s->site.code,
                        &s->site.iata,   &s->site.icao,      &s->site.country, &s->site.region,
                        &s->site.city,   &s->site.size};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        if (!*f[i])
            continue;
        size_t off = c->strings.len;
        int rc = vg_buf_append(&c->strings, *f[i], strlen(*f[i]) + 1);
        if (rc)
            return rc;
        *f[i] = (const char *)(uintptr_t)(off + 1);
    }
    s->site.storage_ = NULL;
    c->n++;
    return 0;
}

static void collect_fix(struct collect *c)
{
    for (size_t k = 0; k < c->n; k++) {
        struct vg_site *s = &c->sites[k].site;
        const char **f[] = {&s->source, &s->source_id, &s->name,   &s->code, &s->iata,
                            &s->icao,   &s->country,   &s->region, &s->city, &s->size};
        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
            if (*f[i])
                *f[i] = c->strings.data + ((uintptr_t)*f[i] - 1);
    }
}

struct pool {
    char name[96];
    enum vg_site_kind kind;
    const char *region; /* NULL: the kind's world pool */
    size_t n;
    double alpha, beta;
    const char *method;
};

static int threads_default(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int vg_threat_all(struct vg_store *s, const struct vg_threat_opts *opts,
                  int (*fn)(void *ctx, const struct vg_site *site, const struct vg_threat *t),
                  void *ctx, struct vg_error *err)
{
    vg_error_clear(err);
    struct vg_cube *cube = NULL;
    struct collect col = {0};
    struct grid grid = {0};
    uint8_t *keep = NULL;
    double *weight = NULL, *xs = NULL, *ts = NULL;
    struct pool *pools = NULL;
    size_t npools = 0;
    int rc = 0;
    vg_buf_init(&col.strings, (size_t)1 << 30);

    if (!opts || !opts->targets)
        return vg_error_set(err, VG_EINVAL, "no table of target kinds");
    double radius = opts->radius_km > 0 ? opts->radius_km : DEFAULT_RADIUS_KM;
    double horizon = opts->horizon_years > 0 ? opts->horizon_years : 1;
    if (!(radius <= (double)VG_THREAT_MAX_KM) || !isfinite(horizon) || horizon > 1000)
        return vg_error_set(err, VG_EINVAL,
                            "the radius must be at most %g km and the horizon at most 1000 years",
                            (double)VG_THREAT_MAX_KM);
    if ((unsigned)opts->kernel > VG_KERNEL_UNIFORM || (unsigned)opts->pool > VG_POOL_ALL)
        return vg_error_set(err, VG_EINVAL, "unknown kernel or prior pool");

    struct vg_site_filter filter = {0};
    filter.only_kind = opts->only_kind;
    filter.kind = opts->kind;
    if ((rc = vg_site_each(s, &filter, collect_site, &col, err))) {
        if (rc == VG_ENOMEM || rc == VG_ETOOBIG)
            vg_error_set(err, rc, "out of memory");
        goto out;
    }
    collect_fix(&col);
    if (col.n == 0) {
        rc = vg_error_set(err, VG_ENOTFOUND, "no sites%s%s (import some with vigil sites import)",
                          opts->only_kind ? " of kind " : "",
                          opts->only_kind ? vg_site_kind_name(opts->kind) : "");
        goto out;
    }
    if ((rc = vg_cube_open(s, &cube, err)))
        goto out;
    const struct vg_cube_columns *cc = vg_cube_columns(cube);

    /* the years */
    int from = opts->from_year, to = opts->to_year;
    if (!from || !to) {
        int lo = 32767, hi = -32768;
        for (size_t i = 0; i < cc->n; i++) {
            lo = cc->year[i] < lo ? cc->year[i] : lo;
            hi = cc->year[i] > hi ? cc->year[i] : hi;
        }
        if (!from)
            from = lo;
        if (!to)
            to = hi;
    }
    if (cc->n == 0 || to < from) {
        rc = vg_error_set(err, VG_ENOTFOUND,
                          cc->n ? "no years between %d and %d" : "no incidents in the database",
                          from, to);
        goto out;
    }
    double t = (double)to - from + 1;

    /* weights per kind and target code */
    uint32_t ntargets = vg_cube_dict_size(cube, VG_DIM_TARGET);
    weight = vg_calloc((size_t)VG_SITE_KIND_COUNT * (ntargets ? ntargets : 1), sizeof(double));
    keep = vg_malloc(cc->n ? cc->n : 1);
    if (!weight || !keep) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    uint8_t *useful = vg_calloc(ntargets ? ntargets : 1, 1);
    if (!useful) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k < VG_SITE_KIND_COUNT; k++)
        for (uint32_t c = 0; c < ntargets; c++) {
            double w = vg_target_kinds_weight(opts->targets, (enum vg_site_kind)k,
                                              vg_cube_dict_value(cube, VG_DIM_TARGET, c));
            weight[(size_t)k * ntargets + c] = w;
            if (w > 0 && (!opts->only_kind || (int)opts->kind == k))
                useful[c] = 1;
        }
    for (size_t i = 0; i < cc->n; i++) {
        uint32_t code = cc->code[VG_DIM_TARGET][i];
        keep[i] = cc->year[i] >= from && cc->year[i] <= to && !isnan(cc->latitude[i]) &&
                  !isnan(cc->longitude[i]) && code < ntargets && useful[code];
    }
    vg_free(useful);
    if (!opts->naive && (rc = grid_build(&grid, cc, keep, radius))) {
        vg_error_set(err, rc, "out of memory");
        goto out;
    }

    /* the sums, in threads */
    int nthreads = opts->threads > 0 ? opts->threads : threads_default();
    if (nthreads > MAX_THREADS)
        nthreads = MAX_THREADS;
    if ((size_t)nthreads > col.n)
        nthreads = (int)col.n;
    struct run runs[MAX_THREADS];
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 0; i < nthreads; i++) {
        struct run *r = &runs[i];
        r->opts = opts, r->radius = radius, r->grid = &grid, r->cols = cc, r->keep = keep;
        r->weight = weight, r->ntargets = ntargets, r->sites = col.sites, r->nsites = col.n;
        r->begin = col.n * (size_t)i / (size_t)nthreads;
        r->end = col.n * (size_t)(i + 1) / (size_t)nthreads;
        if (i > 0 && pthread_create(&tids[i], NULL, worker, r) == 0)
            started[i] = 1;
    }
    worker(&runs[0]);
    for (int i = 1; i < nthreads; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            worker(&runs[i]); /* the thread could not start: do its part here */
    }

    /* the pools: kind and region, with too small ones merged into the kind's world pool */
    pools = vg_calloc(col.n + VG_SITE_KIND_COUNT + 1, sizeof(*pools));
    xs = vg_malloc(col.n * sizeof(double));
    ts = vg_malloc(col.n * sizeof(double));
    if (!pools || !xs || !ts) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto out;
    }
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < col.n; i++) {
            struct site_rec *sr = &col.sites[i];
            const char *region = opts->pool == VG_POOL_KIND_REGION ? sr->site.region : NULL;
            enum vg_site_kind kind = opts->pool == VG_POOL_ALL ? VG_SITE_OTHER : sr->site.kind;
            if (pass == 1 && region && pools[sr->pool].n < MIN_POOL)
                region = NULL; /* second pass: small pools go to the world pool */
            else if (pass == 1)
                continue;
            size_t p = 0;
            for (; p < npools; p++)
                if (pools[p].kind == kind &&
                    (pools[p].region == region ||
                     (pools[p].region && region && strcmp(pools[p].region, region) == 0)))
                    break;
            if (p == npools) {
                pools[p].kind = kind;
                pools[p].region = region;
                npools++;
            }
            if (pass == 1)
                pools[sr->pool].n--;
            sr->pool = (int)p;
            pools[p].n++;
        }
    }
    for (size_t p = 0; p < npools; p++) {
        if (pools[p].n == 0)
            continue;
        size_t m = 0;
        for (size_t i = 0; i < col.n; i++)
            if (col.sites[i].pool == (int)p)
                xs[m] = col.sites[i].x, ts[m] = t, m++;
        if ((rc = vg_threat_fit(xs, ts, m, &pools[p].alpha, &pools[p].beta, &pools[p].method, err)))
            goto out;
        snprintf(pools[p].name, sizeof(pools[p].name), "%s/%s",
                 opts->pool == VG_POOL_ALL ? "all" : vg_site_kind_name(pools[p].kind),
                 pools[p].region ? pools[p].region : "world");
    }

    for (size_t i = 0; i < col.n; i++) {
        struct site_rec *sr = &col.sites[i];
        const struct pool *pl = &pools[sr->pool];
        struct vg_threat th = {0};
        th.site_id = sr->site.id;
        th.x = sr->x;
        th.n_incidents = sr->n;
        th.t = t;
        th.rate_raw = sr->x / t;
        snprintf(th.pool, sizeof(th.pool), "%s", pl->name);
        snprintf(th.region, sizeof(th.region), "%s", pl->region ? pl->region : "world");
        snprintf(th.method, sizeof(th.method), "%s", pl->method ? pl->method : "");
        th.alpha = pl->alpha;
        th.beta = pl->beta;
        th.lambda = (sr->x + pl->alpha) / (t + pl->beta);
        th.horizon_years = horizon;
        th.p_horizon = -expm1(-th.lambda * horizon);
        if (fn && (rc = fn(ctx, &sr->site, &th)))
            goto out;
    }
out:
    vg_free(pools);
    vg_free(xs);
    vg_free(ts);
    grid_cleanup(&grid);
    vg_free(keep);
    vg_free(weight);
    vg_free(col.sites);
    vg_buf_cleanup(&col.strings);
    vg_cube_close(cube);
    return rc;
}

struct one {
    int64_t id;
    struct vg_threat *out;
    int found;
};

static int pick_one(void *ctx, const struct vg_site *site, const struct vg_threat *t)
{
    struct one *o = ctx;
    if (site->id != o->id)
        return 0;
    *o->out = *t;
    o->found = 1;
    return 1; /* stop */
}

int vg_threat_site(struct vg_store *s, const struct vg_threat_opts *opts, int64_t site_id,
                   struct vg_threat *out, struct vg_error *err)
{
    char key[32];
    snprintf(key, sizeof(key), "%lld", (long long)site_id);
    struct vg_site site;
    int rc = vg_site_find(s, key, &site, err);
    if (rc)
        return rc;
    struct vg_threat_opts o = *opts;
    o.only_kind = 1;
    o.kind = site.kind;
    vg_site_cleanup(&site);
    struct one one = {site_id, out, 0};
    rc = vg_threat_all(s, &o, pick_one, &one, err);
    if (rc == 1 && one.found)
        return 0;
    return rc ? rc : vg_error_set(err, VG_ENOTFOUND, "no site %lld", (long long)site_id);
}
