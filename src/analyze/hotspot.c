/* hotspot.c - hot and cold spots of incidents on an equal-area grid, and their kernel density.
 *
 * Flow: the latitudes and longitudes of the selected incidents -> the centre of the projection
 * (the mean direction of the points on the sphere, unless given) -> planar x, y in km by the
 * Lambert azimuthal equal-area projection (Snyder, Map Projections: A Working Manual, 1987,
 * eq. 24-2 to 24-4 and 20-14 to 20-18, spherical form) -> grid cells (col, row) = floor(x / side),
 * floor(y / side), numbered in a box around the incidents as key = (row - row0) * ncols + (col -
 * col0) -> either
 *   Gi*: the keys sorted, runs of equal keys give the occupied cells and their counts (or, with
 *        all_cells, a dense array of every cell of the box); vg_gistar_run on the cells with
 *        (col, row) as coordinates, so that distances between centres are exact multiples of the
 *        side, and the band in cells (band / side, widened by one part in 10^9 so that a band of
 *        exactly k sides takes the centres k sides away despite rounding); two-sided p-values, the
 *        Benjamini-Hochberg adjustment, classes; or
 *   density: every incident adds its kernel to the centres of the cells within the bandwidth,
 *        accumulated in an open-addressing table of cells (only the cells the kernels reach
 *        exist, so a surface over scattered incidents does not pay for the empty box).
 * Cells are then sorted for output (highest z or density first, ties in grid order).
 *
 * Caps: at most VG_HOTSPOT_MAX_CELLS cells in a result, VG_HOTSPOT_MAX_INCIDENTS incidents, a
 * kernel window of at most KDE_MAX_WINDOW cells; a grid box too large for a 62-bit key fails.
 * Each fails with VG_ETOOBIG and says which option to change.
 *
 * Writers append to a struct vg_buf (with its cap); CSV, GeoJSON and SVG use only numbers that
 * this file formats, so no text from the data reaches them.
 *
 * Ownership: a result owns its cells. Thread-safety: no shared state. */
#include "vigil/hotspot.h"
#include "vigil/cube.h"
#include "vigil/gistar.h"
#include "vigil/hash.h"
#include "vigil/select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG (M_PI / 180.0)
#define R_KM VG_HOTSPOT_EARTH_RADIUS_KM
#define KEY_SPAN ((uint64_t)1 << 62)
#define KDE_MAX_WINDOW 1000000.0 /* cells one kernel may cover */
#define KDE_MAX_WORK 4.0e9       /* incident-cell pairs one density may take */
#define BAND_WIDEN (1.0 + 1e-9)

/* ---- the projection ---- */

void vg_hotspot_laea_init(struct vg_hotspot_laea *p, double lat0, double lon0)
{
    p->lat0 = lat0;
    p->lon0 = lon0;
    p->sin_lat0 = sin(lat0 * DEG);
    p->cos_lat0 = cos(lat0 * DEG);
}

void vg_hotspot_project(const struct vg_hotspot_laea *p, double lat, double lon, double *x,
                        double *y)
{
    double phi = lat * DEG, dlam = (lon - p->lon0) * DEG;
    double sp = sin(phi), cp = cos(phi), cl = cos(dlam), sl = sin(dlam);
    double cosc = p->sin_lat0 * sp + p->cos_lat0 * cp * cl;
    if (1.0 + cosc < 1e-15) { /* the antipode of the centre */
        *x = 0.0;
        *y = -2.0 * R_KM;
        return;
    }
    double k = sqrt(2.0 / (1.0 + cosc));
    *x = R_KM * k * cp * sl;
    *y = R_KM * k * (p->cos_lat0 * sp - p->sin_lat0 * cp * cl);
}

void vg_hotspot_unproject(const struct vg_hotspot_laea *p, double x, double y, double *lat,
                          double *lon)
{
    double rho = hypot(x, y);
    if (rho < 1e-12) {
        *lat = p->lat0;
        *lon = p->lon0;
        return;
    }
    double s = rho / (2.0 * R_KM);
    double c = 2.0 * asin(s > 1.0 ? 1.0 : s);
    double sc = sin(c), cc = cos(c);
    double a = cc * p->sin_lat0 + y * sc * p->cos_lat0 / rho;
    *lat = asin(a > 1.0 ? 1.0 : a < -1.0 ? -1.0 : a) / DEG;
    double l = p->lon0 + atan2(x * sc, rho * p->cos_lat0 * cc - y * p->sin_lat0 * sc) / DEG;
    l = fmod(l + 180.0, 360.0);
    if (l < 0)
        l += 360.0;
    *lon = l - 180.0;
}

static int usable(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 &&
           lon <= 180.0;
}

void vg_hotspot_centre(const double *lat, const double *lon, size_t n, double *lat0, double *lon0)
{
    double sx = 0, sy = 0, sz = 0;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        if (!usable(lat[i], lon[i]))
            continue;
        double phi = lat[i] * DEG, lam = lon[i] * DEG;
        sx += cos(phi) * cos(lam);
        sy += cos(phi) * sin(lam);
        sz += sin(phi);
        used++;
    }
    double norm = sqrt(sx * sx + sy * sy + sz * sz);
    if (used == 0 || norm < 1e-9 * (double)used) {
        *lat0 = 0.0;
        *lon0 = 0.0;
        return;
    }
    *lat0 = atan2(sz, hypot(sx, sy)) / DEG;
    *lon0 = hypot(sx, sy) < 1e-15 ? 0.0 : atan2(sy, sx) / DEG;
}

/* ---- the kernel ---- */

double vg_hotspot_quartic(double u)
{
    if (!(u >= 0.0) || u >= 1.0)
        return 0.0;
    double t = 1.0 - u * u;
    return 3.0 / M_PI * t * t;
}

double vg_hotspot_kde_at(const double *x, const double *y, size_t n, double h, double px, double py)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += vg_hotspot_quartic(hypot(px - x[i], py - y[i]) / h);
    return s / (h * h);
}

/* ---- classes ---- */

static const char *const class_names[7] = {"cold-99", "cold-95", "cold-90", "not-significant",
                                           "hot-90",  "hot-95",  "hot-99"};

const char *vg_hotspot_class_name(int cls)
{
    return cls >= -3 && cls <= 3 ? class_names[cls + 3] : "?";
}

static int classify(double z, double pv)
{
    int level = pv <= 0.01 ? 3 : pv <= 0.05 ? 2 : pv <= 0.10 ? 1 : 0;
    return z > 0 ? level : z < 0 ? -level : 0;
}

void vg_hotspot_opts_init(struct vg_hotspot_opts *o)
{
    memset(o, 0, sizeof(*o));
}

void vg_hotspot_result_destroy(struct vg_hotspot_result *r)
{
    if (!r)
        return;
    vg_free(r->cells);
    vg_free(r);
}

/* ---- the grid ---- */

/* The box of cells around the projected points. */
struct box {
    int64_t col0, row0;
    uint64_t ncols, nrows;
};

static int make_box(struct box *b, const double *x, const double *y, size_t n, double side,
                    double margin, struct vg_error *err)
{
    double xmin = x[0], xmax = x[0], ymin = y[0], ymax = y[0];
    for (size_t i = 1; i < n; i++) {
        xmin = x[i] < xmin ? x[i] : xmin;
        xmax = x[i] > xmax ? x[i] : xmax;
        ymin = y[i] < ymin ? y[i] : ymin;
        ymax = y[i] > ymax ? y[i] : ymax;
    }
    double c0 = floor((xmin - margin) / side), c1 = floor((xmax + margin) / side);
    double r0 = floor((ymin - margin) / side), r1 = floor((ymax + margin) / side);
    double cols = c1 - c0 + 1, rows = r1 - r0 + 1;
    if (!(cols * rows < (double)KEY_SPAN))
        return vg_error_set(err, VG_ETOOBIG,
                            "cells of %g km are too small for incidents spread over %.0f by "
                            "%.0f km; choose a larger cell",
                            side, xmax - xmin, ymax - ymin);
    b->col0 = (int64_t)c0;
    b->row0 = (int64_t)r0;
    b->ncols = (uint64_t)cols;
    b->nrows = (uint64_t)rows;
    return 0;
}

static inline uint64_t key_of(const struct box *b, double x, double y, double side)
{
    int64_t col = (int64_t)floor(x / side) - b->col0, row = (int64_t)floor(y / side) - b->row0;
    /* floor of a value inside the box: always within it; clamp against rounding at the edge */
    if (col < 0)
        col = 0;
    if (row < 0)
        row = 0;
    if ((uint64_t)col >= b->ncols)
        col = (int64_t)b->ncols - 1;
    if ((uint64_t)row >= b->nrows)
        row = (int64_t)b->nrows - 1;
    return (uint64_t)row * b->ncols + (uint64_t)col;
}

static void cell_place(struct vg_hotspot_cell *c, const struct box *b, uint64_t key,
                       const struct vg_hotspot_laea *proj, double side)
{
    memset(c, 0, sizeof(*c));
    c->col = b->col0 + (int64_t)(key % b->ncols);
    c->row = b->row0 + (int64_t)(key / b->ncols);
    vg_hotspot_unproject(proj, ((double)c->col + 0.5) * side, ((double)c->row + 0.5) * side,
                         &c->lat, &c->lon);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_by_z(const void *a, const void *b)
{
    const struct vg_hotspot_cell *x = a, *y = b;
    if (x->z != y->z)
        return x->z > y->z ? -1 : 1;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->col > y->col) - (x->col < y->col);
}

static int cmp_by_density(const void *a, const void *b)
{
    const struct vg_hotspot_cell *x = a, *y = b;
    if (x->density != y->density)
        return x->density > y->density ? -1 : 1;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return (x->col > y->col) - (x->col < y->col);
}

static int too_many_cells(struct vg_error *err, double cells, const char *what)
{
    return vg_error_set(err, VG_ETOOBIG,
                        "%s would have %.0f cells, more than the %zu allowed; choose a larger "
                        "--cell-km or a narrower selection",
                        what, cells, (size_t)VG_HOTSPOT_MAX_CELLS);
}

/* Gi* over the cells: fills r->cells. */
static int run_gistar(struct vg_hotspot_result *r, const double *x, const double *y, size_t n,
                      const struct vg_hotspot_opts *o, struct vg_error *err)
{
    double side = r->cell_km;
    struct box b;
    uint64_t *keys = NULL;
    uint32_t *dense = NULL;
    double *gx = NULL, *gy = NULL, *gv = NULL, *z = NULL, *p = NULL;
    uint32_t *nb = NULL;
    size_t ncells = 0;
    int rc;

    if ((rc = make_box(&b, x, y, n, side, 0.0, err)))
        return rc;
    if (r->all_cells && (double)b.ncols * (double)b.nrows > (double)VG_HOTSPOT_MAX_CELLS)
        return too_many_cells(err, (double)b.ncols * (double)b.nrows, "the rectangle of cells");
    if (!(keys = vg_malloc(n * sizeof(uint64_t))))
        goto nomem;
    for (size_t i = 0; i < n; i++)
        keys[i] = key_of(&b, x[i], y[i], side);
    if (r->all_cells) {
        ncells = (size_t)(b.ncols * b.nrows);
        if (!(dense = vg_calloc(ncells, sizeof(uint32_t))))
            goto nomem;
        for (size_t i = 0; i < n; i++)
            dense[keys[i]]++;
    } else {
        qsort(keys, n, sizeof(uint64_t), cmp_u64);
        for (size_t i = 0; i < n; i++)
            ncells += i == 0 || keys[i] != keys[i - 1];
        if (ncells > VG_HOTSPOT_MAX_CELLS) {
            rc = too_many_cells(err, (double)ncells, "the grid");
            goto done;
        }
    }
    if (!(r->cells = vg_calloc(ncells, sizeof(struct vg_hotspot_cell))) ||
        !(gx = vg_malloc(ncells * sizeof(double))) || !(gy = vg_malloc(ncells * sizeof(double))) ||
        !(gv = vg_malloc(ncells * sizeof(double))) || !(z = vg_malloc(ncells * sizeof(double))) ||
        !(p = vg_malloc(ncells * sizeof(double))) || !(nb = vg_malloc(ncells * sizeof(uint32_t))))
        goto nomem;
    r->ncells = ncells;
    if (r->all_cells) {
        for (size_t k = 0; k < ncells; k++) {
            cell_place(&r->cells[k], &b, k, &r->proj, side);
            r->cells[k].count = dense[k];
        }
    } else {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (i == 0 || keys[i] != keys[i - 1])
                cell_place(&r->cells[k++], &b, keys[i], &r->proj, side);
            r->cells[k - 1].count++;
        }
    }
    uint32_t lo = r->cells[0].count, hi = lo;
    for (size_t k = 0; k < ncells; k++) {
        struct vg_hotspot_cell *c = &r->cells[k];
        lo = c->count < lo ? c->count : lo;
        hi = c->count > hi ? c->count : hi;
        gx[k] = (double)c->col;
        gy[k] = (double)c->row;
        gv[k] = (double)c->count;
    }
    if (ncells < 2) {
        rc = vg_error_set(err, VG_EINVAL,
                          "all %zu located incidents fall in one cell of %g km: Gi* needs at least "
                          "2 cells; choose a smaller --cell-km",
                          n, side);
        goto done;
    }
    if (lo == hi) {
        rc = vg_error_set(err, VG_EINVAL,
                          "every one of the %zu cells holds %u incident%s: with no variance Gi* "
                          "is undefined; choose a larger --cell-km%s",
                          ncells, lo, lo == 1 ? "" : "s",
                          r->all_cells ? "" : " or analyse the empty cells too (--all-cells)");
        goto done;
    }
    struct vg_gistar_opts go = {o->threads, 0};
    if ((rc = vg_gistar_run(gx, gy, gv, ncells, r->band_km / side * BAND_WIDEN, &go, z, p, nb,
                            err))) {
        if (rc == VG_ETOOBIG)
            vg_error_set(err, rc,
                         "a band of %g km reaches too many of the %zu cells of %g km; choose a "
                         "smaller --band-km",
                         r->band_km, ncells, side);
        goto done;
    }
    for (size_t k = 0; k < ncells; k++)
        p[k] = vg_gistar_pvalue(z[k], 2);
    if ((rc = vg_gistar_fdr(p, ncells, gv, err))) /* gv now holds the adjusted p-values */
        goto done;
    for (size_t k = 0; k < ncells; k++) {
        struct vg_hotspot_cell *c = &r->cells[k];
        c->z = z[k];
        c->p = p[k];
        c->q = gv[k];
        c->neighbours = nb[k];
        c->cls = classify(c->z, r->no_fdr ? c->p : c->q);
        r->nclass[c->cls + 3]++;
    }
    qsort(r->cells, ncells, sizeof(struct vg_hotspot_cell), cmp_by_z);
    rc = 0;
    goto done;
nomem:
    rc = vg_error_set(err, VG_ENOMEM, "out of memory");
done:
    vg_free(keys);
    vg_free(dense);
    vg_free(gx);
    vg_free(gy);
    vg_free(gv);
    vg_free(z);
    vg_free(p);
    vg_free(nb);
    return rc;
}

/* An open-addressing table of cells (key + 1, 0 = empty) with their density and count. */
struct table {
    uint64_t *keys;
    double *dens;
    uint32_t *count;
    size_t cap, n;
};

static int table_slot(struct table *t, uint64_t key, size_t *slot, struct vg_error *err)
{
    if ((t->n + 1) * 2 > t->cap) {
        if (t->n + 1 > VG_HOTSPOT_MAX_CELLS)
            return too_many_cells(err, (double)t->n + 1, "the density surface");
        size_t cap = t->cap ? t->cap * 2 : 4096;
        uint64_t *keys = vg_calloc(cap, sizeof(uint64_t));
        double *dens = vg_calloc(cap, sizeof(double));
        uint32_t *count = vg_calloc(cap, sizeof(uint32_t));
        if (!keys || !dens || !count) {
            vg_free(keys);
            vg_free(dens);
            vg_free(count);
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->keys[i])
                continue;
            size_t j = (size_t)vg_hash64(&t->keys[i], 8, 0) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = t->keys[i];
            dens[j] = t->dens[i];
            count[j] = t->count[i];
        }
        vg_free(t->keys);
        vg_free(t->dens);
        vg_free(t->count);
        t->keys = keys;
        t->dens = dens;
        t->count = count;
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

/* The kernel density surface: fills r->cells. */
static int run_density(struct vg_hotspot_result *r, const double *x, const double *y, size_t n,
                       struct vg_error *err)
{
    double side = r->cell_km, h = r->bandwidth_km;
    struct table t = {0};
    struct box b;
    int rc;

    double span = 2.0 * h / side + 2.0;
    if (span * span > KDE_MAX_WINDOW)
        return vg_error_set(err, VG_ETOOBIG,
                            "a kernel of bandwidth %g km covers about %.0f cells of %g km (at "
                            "most %.0f); choose a larger --cell-km or a smaller --bandwidth-km",
                            h, span * span, side, KDE_MAX_WINDOW);
    if (span * span * (double)n > KDE_MAX_WORK)
        return vg_error_set(err, VG_ETOOBIG,
                            "%zu incidents with kernels of about %.0f cells each are too much "
                            "work; choose a larger --cell-km or a smaller --bandwidth-km",
                            n, span * span);
    if ((rc = make_box(&b, x, y, n, side, h, err)))
        return rc;
    double inv_h2 = 1.0 / (h * h);
    for (size_t i = 0; i < n; i++) {
        size_t slot;
        if ((rc = table_slot(&t, key_of(&b, x[i], y[i], side), &slot, err)))
            goto done;
        t.count[slot]++;
        int64_t c0 = (int64_t)floor((x[i] - h) / side), c1 = (int64_t)floor((x[i] + h) / side);
        int64_t r0 = (int64_t)floor((y[i] - h) / side), r1 = (int64_t)floor((y[i] + h) / side);
        for (int64_t row = r0; row <= r1; row++) {
            double dy = ((double)row + 0.5) * side - y[i];
            for (int64_t col = c0; col <= c1; col++) {
                double dx = ((double)col + 0.5) * side - x[i];
                double k = vg_hotspot_quartic(sqrt(dx * dx + dy * dy) / h);
                if (k <= 0.0)
                    continue;
                uint64_t key = (uint64_t)(row - b.row0) * b.ncols + (uint64_t)(col - b.col0);
                if ((rc = table_slot(&t, key, &slot, err)))
                    goto done;
                t.dens[slot] += k * inv_h2;
            }
        }
    }
    if (!(r->cells = vg_calloc(t.n ? t.n : 1, sizeof(struct vg_hotspot_cell)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < t.cap; i++) {
        if (!t.keys[i])
            continue;
        struct vg_hotspot_cell *c = &r->cells[r->ncells++];
        cell_place(c, &b, t.keys[i] - 1, &r->proj, side);
        c->count = t.count[i];
        c->density = t.dens[i];
        if (c->density > r->max_density)
            r->max_density = c->density;
    }
    qsort(r->cells, r->ncells, sizeof(struct vg_hotspot_cell), cmp_by_density);
    rc = 0;
done:
    vg_free(t.keys);
    vg_free(t.dens);
    vg_free(t.count);
    return rc;
}

/* Distances must be positive and at most VG_HOTSPOT_MAX_KM: beyond a quarter of the Earth's
 * circumference the equal-area projection folds distant cells onto one another. */
static int check_km(double v, const char *option, struct vg_error *err)
{
    if (!(v > 0) || !isfinite(v))
        return vg_error_set(err, VG_EINVAL, "%s must be a positive number of km, not %g", option,
                            v);
    if (v > VG_HOTSPOT_MAX_KM)
        return vg_error_set(err, VG_EINVAL, "%s must be at most %g km, not %g", option,
                            VG_HOTSPOT_MAX_KM, v);
    return 0;
}

int vg_hotspot_run_points(const double *lat, const double *lon, size_t n,
                          const struct vg_hotspot_opts *o, struct vg_hotspot_result **out,
                          struct vg_error *err)
{
    struct vg_hotspot_opts def;
    struct vg_hotspot_result *r = NULL;
    double *x = NULL, *y = NULL;
    int rc;

    if (!o) {
        vg_hotspot_opts_init(&def);
        o = &def;
    }
    if (n > VG_HOTSPOT_MAX_INCIDENTS)
        return vg_error_set(err, VG_ETOOBIG, "%zu incidents: at most %zu are taken", n,
                            (size_t)VG_HOTSPOT_MAX_INCIDENTS);
    if (!(r = vg_calloc(1, sizeof(*r))))
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    r->density = o->density != 0;
    r->all_cells = o->all_cells != 0;
    r->no_fdr = o->no_fdr != 0;
    r->cell_km = o->cell_km != 0 ? o->cell_km : VG_HOTSPOT_DEFAULT_CELL_KM;
    r->band_km = o->band_km != 0 ? o->band_km : VG_HOTSPOT_DEFAULT_BAND_CELLS * r->cell_km;
    r->bandwidth_km = o->bandwidth_km != 0 ? o->bandwidth_km : r->band_km;
    if ((rc = check_km(r->cell_km, "the cell side (--cell-km)", err)) ||
        (rc = check_km(r->band_km, "the distance band (--band-km)", err)) ||
        (rc = check_km(r->bandwidth_km, "the bandwidth (--bandwidth-km)", err)))
        goto fail;
    /* The kernel is evaluated at cell centres: narrower than a cell, an incident's mass on the
     * grid ranges from 0 (no centre within h) to several units. From one cell side up it stays
     * within 5% of one incident (1.5% from two sides): docs/methods/hotspots.md. */
    if (r->density && r->bandwidth_km < r->cell_km) {
        rc = vg_error_set(err, VG_EINVAL,
                          "the bandwidth (%g km) must be at least the cell side (%g km) for a "
                          "density surface; choose a larger --bandwidth-km or a smaller --cell-km",
                          r->bandwidth_km, r->cell_km);
        goto fail;
    }
    if (o->have_centre && !usable(o->centre_lat, o->centre_lon)) {
        rc = vg_error_set(err, VG_EINVAL,
                          "the centre (%g, %g) is not a latitude in [-90, 90] and a longitude "
                          "in [-180, 180]",
                          o->centre_lat, o->centre_lon);
        goto fail;
    }
    r->incidents = n;
    for (size_t i = 0; i < n; i++)
        r->located += usable(lat[i], lon[i]);
    r->unlocated = n - r->located;
    if (r->located == 0) {
        rc = vg_error_set(err, VG_EINVAL,
                          n ? "none of the %zu incidents has a latitude and longitude"
                            : "no incidents to analyse (%zu selected)",
                          n);
        goto fail;
    }
    double lat0 = o->centre_lat, lon0 = o->centre_lon;
    if (!o->have_centre)
        vg_hotspot_centre(lat, lon, n, &lat0, &lon0);
    vg_hotspot_laea_init(&r->proj, lat0, lon0);
    if (!(x = vg_malloc(r->located * sizeof(double))) ||
        !(y = vg_malloc(r->located * sizeof(double)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(lat[i], lon[i])) {
            vg_hotspot_project(&r->proj, lat[i], lon[i], &x[m], &y[m]);
            m++;
        }
    rc = r->density ? run_density(r, x, y, m, err) : run_gistar(r, x, y, m, o, err);
    if (rc)
        goto fail;
    vg_free(x);
    vg_free(y);
    *out = r;
    return 0;
fail:
    vg_free(x);
    vg_free(y);
    vg_hotspot_result_destroy(r);
    return rc;
}

int vg_hotspot_run(const struct vg_cube *c, const struct vg_selection *sel,
                   const struct vg_hotspot_opts *o, struct vg_hotspot_result **out,
                   struct vg_error *err)
{
    const struct vg_cube_columns *cols = vg_cube_columns(c);
    size_t n = vg_selection_count(sel);
    if (n > VG_HOTSPOT_MAX_INCIDENTS)
        return vg_error_set(err, VG_ETOOBIG, "%zu incidents selected: at most %zu are taken", n,
                            (size_t)VG_HOTSPOT_MAX_INCIDENTS);
    double *lat = vg_malloc((n ? n : 1) * sizeof(double));
    double *lon = vg_malloc((n ? n : 1) * sizeof(double));
    if (!lat || !lon) {
        vg_free(lat);
        vg_free(lon);
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    }
    size_t m = 0;
    int all = vg_selection_all(sel);
    for (size_t i = 0; i < cols->n && m < n; i++)
        if (all || vg_selection_has(sel, i)) {
            lat[m] = cols->latitude[i];
            lon[m] = cols->longitude[i];
            m++;
        }
    int rc = vg_hotspot_run_points(lat, lon, m, o, out, err);
    vg_free(lat);
    vg_free(lon);
    return rc;
}

/* ---- writers ---- */

static int put_p(struct vg_buf *b, double p)
{
    return p >= 1e-3 || p == 0 ? vg_buf_printf(b, "%.6f", p) : vg_buf_printf(b, "%.3e", p);
}

/* z with four decimals, never "-0.0000". */
static int put_z(struct vg_buf *b, double z)
{
    return vg_buf_printf(b, "%.4f", fabs(z) < 0.00005 ? 0.0 : z);
}

int vg_hotspot_write_csv(const struct vg_hotspot_result *r, struct vg_buf *b)
{
    int rc = vg_buf_printf(b, r->density ? "lat,lon,count,density\n"
                                         : "lat,lon,count,neighbours,z,p,fdr_p,class\n");
    for (size_t i = 0; !rc && i < r->ncells; i++) {
        const struct vg_hotspot_cell *c = &r->cells[i];
        if (r->density) {
            rc = vg_buf_printf(b, "%.6f,%.6f,%u,%.6g\n", c->lat, c->lon, c->count, c->density);
            continue;
        }
        if ((rc = vg_buf_printf(b, "%.6f,%.6f,%u,%u,", c->lat, c->lon, c->count, c->neighbours)) ||
            (rc = put_z(b, c->z)) || (rc = vg_buf_putc(b, ',')) || (rc = put_p(b, c->p)) ||
            (rc = vg_buf_putc(b, ',')) || (rc = put_p(b, c->q)))
            break;
        rc = vg_buf_printf(b, ",%s\n", vg_hotspot_class_name(c->cls));
    }
    return rc;
}

/* One ring of positions (longitude, latitude), closed (first = last). */
struct ring {
    double lon[12], lat[12];
    int n;
};

/* Clips ring a to the side lon <= 180 (keep_west) or lon >= 180 of the antimeridian. */
static void clip_ring(const struct ring *a, int keep_west, struct ring *out)
{
    out->n = 0;
    for (int i = 0; i + 1 < a->n; i++) {
        double l1 = a->lon[i], l2 = a->lon[i + 1];
        int in1 = keep_west ? l1 <= 180.0 : l1 >= 180.0;
        int in2 = keep_west ? l2 <= 180.0 : l2 >= 180.0;
        if (in1) {
            out->lon[out->n] = l1;
            out->lat[out->n++] = a->lat[i];
        }
        if (in1 != in2) {
            double t = (180.0 - l1) / (l2 - l1);
            out->lon[out->n] = 180.0;
            out->lat[out->n++] = a->lat[i] + t * (a->lat[i + 1] - a->lat[i]);
        }
    }
    if (out->n) {
        out->lon[out->n] = out->lon[0];
        out->lat[out->n++] = out->lat[0];
    }
}

static int put_ring(struct vg_buf *b, const struct ring *g, double shift)
{
    int rc = vg_buf_putc(b, '[');
    for (int i = 0; !rc && i < g->n; i++)
        rc = vg_buf_printf(b, "%s[%.6f,%.6f]", i ? "," : "", g->lon[i] + shift, g->lat[i]);
    return rc ? rc : vg_buf_putc(b, ']');
}

static int put_geometry(struct vg_buf *b, const struct vg_hotspot_result *r,
                        const struct vg_hotspot_cell *c)
{
    double s = r->cell_km, x0 = (double)c->col * s, y0 = (double)c->row * s;
    const double cx[5] = {x0, x0 + s, x0 + s, x0, x0}, cy[5] = {y0, y0, y0 + s, y0 + s, y0};
    struct ring g = {.n = 5};
    double lo = 1e9, hi = -1e9, latmin = 90, latmax = -90;
    for (int i = 0; i < 5; i++) {
        vg_hotspot_unproject(&r->proj, cx[i], cy[i], &g.lat[i], &g.lon[i]);
        lo = g.lon[i] < lo ? g.lon[i] : lo;
        hi = g.lon[i] > hi ? g.lon[i] : hi;
        latmin = g.lat[i] < latmin ? g.lat[i] : latmin;
        latmax = g.lat[i] > latmax ? g.lat[i] : latmax;
    }
    /* A pole inside the cell (or on its outline): its ring in longitude and latitude is a cap
     * around the pole. */
    for (int pole = -1; pole <= 1; pole += 2) {
        double px, py;
        vg_hotspot_project(&r->proj, 90.0 * pole, 0.0, &px, &py);
        if (px >= x0 && px <= x0 + s && py >= y0 && py <= y0 + s) {
            double edge = pole > 0 ? latmin : latmax;
            return vg_buf_printf(b,
                                 "{\"type\":\"Polygon\",\"coordinates\":[[[-180,%.6f],[180,%.6f],"
                                 "[180,%d],[-180,%d],[-180,%.6f]]]}",
                                 edge, edge, 90 * pole, 90 * pole, edge);
        }
    }
    int rc;
    if (hi - lo <= 180.0) {
        if ((rc = vg_buf_printf(b, "{\"type\":\"Polygon\",\"coordinates\":[")) ||
            (rc = put_ring(b, &g, 0.0)))
            return rc;
        return vg_buf_printf(b, "]}");
    }
    /* Across the antimeridian: make the longitudes continuous, then cut at 180 (a cell that only
     * touches it is kept whole, on its side). */
    double wmax = -1e9, wmin = 1e9;
    for (int i = 0; i < 5; i++) {
        if (g.lon[i] < 0)
            g.lon[i] += 360.0;
        wmax = g.lon[i] > wmax ? g.lon[i] : wmax;
        wmin = g.lon[i] < wmin ? g.lon[i] : wmin;
    }
    if (wmax <= 180.0 || wmin >= 180.0) {
        if ((rc = vg_buf_printf(b, "{\"type\":\"Polygon\",\"coordinates\":[")) ||
            (rc = put_ring(b, &g, wmax <= 180.0 ? 0.0 : -360.0)))
            return rc;
        return vg_buf_printf(b, "]}");
    }
    struct ring west, east;
    clip_ring(&g, 1, &west);
    clip_ring(&g, 0, &east);
    if ((rc = vg_buf_printf(b, "{\"type\":\"MultiPolygon\",\"coordinates\":[[")) ||
        (rc = put_ring(b, &west, 0.0)) || (rc = vg_buf_printf(b, "],[")) ||
        (rc = put_ring(b, &east, -360.0)))
        return rc;
    return vg_buf_printf(b, "]]}");
}

int vg_hotspot_write_geojson(const struct vg_hotspot_result *r, struct vg_buf *b)
{
    int rc = vg_buf_printf(
        b,
        "{\"type\":\"FeatureCollection\",\"metadata\":{\"analysis\":\"%s\",\"projection\":"
        "\"Lambert azimuthal equal-area\",\"centre\":[%.6f,%.6f],\"earth_radius_km\":%.4f,"
        "\"cell_km\":%.6g,",
        r->density ? "density" : "gistar", r->proj.lon0, r->proj.lat0, R_KM, r->cell_km);
    if (!rc && r->density)
        rc = vg_buf_printf(b,
                           "\"bandwidth_km\":%.6g,\"kernel\":\"quartic\",\"unit\":\"incidents "
                           "per km2\",",
                           r->bandwidth_km);
    if (!rc && !r->density) {
        rc = vg_buf_printf(b, "\"band_km\":%.6g,\"cells\":\"%s\",\"fdr\":%s,\"classes\":{",
                           r->band_km, r->all_cells ? "all" : "occupied",
                           r->no_fdr ? "false" : "true");
        for (int k = 6; !rc && k >= 0; k--)
            rc = vg_buf_printf(b, "%s\"%s\":%zu", k == 6 ? "" : ",", class_names[k], r->nclass[k]);
        if (!rc)
            rc = vg_buf_printf(b, "},");
    }
    if (!rc)
        rc = vg_buf_printf(b,
                           "\"incidents\":%zu,\"located\":%zu,\"unlocated\":%zu,\"cells_"
                           "out\":%zu},\"features\":[",
                           r->incidents, r->located, r->unlocated, r->ncells);
    for (size_t i = 0; !rc && i < r->ncells; i++) {
        const struct vg_hotspot_cell *c = &r->cells[i];
        if ((rc = vg_buf_printf(b, "%s\n{\"type\":\"Feature\",\"geometry\":", i ? "," : "")) ||
            (rc = put_geometry(b, r, c)))
            break;
        rc = vg_buf_printf(b,
                           ",\"properties\":{\"row\":%lld,\"col\":%lld,\"lat\":%.6f,\"lon\":%.6f,"
                           "\"count\":%u",
                           (long long)c->row, (long long)c->col, c->lat, c->lon, c->count);
        if (!rc && r->density)
            rc = vg_buf_printf(b, ",\"density\":%.6g}}", c->density);
        else if (!rc) {
            if ((rc = vg_buf_printf(b, ",\"neighbours\":%u,\"z\":", c->neighbours)) ||
                (rc = put_z(b, c->z)) || (rc = vg_buf_printf(b, ",\"p\":")) ||
                (rc = put_p(b, c->p)) || (rc = vg_buf_printf(b, ",\"fdr_p\":")) ||
                (rc = put_p(b, c->q)))
                break;
            rc = vg_buf_printf(b, ",\"class\":\"%s\"}}", vg_hotspot_class_name(c->cls));
        }
    }
    return rc ? rc : vg_buf_printf(b, "\n]}\n");
}

/* ---- SVG ---- */

static const char *const class_fill[7] = {"#2166ac", "#67a9cf", "#d1e5f0", "#c8c8c8",
                                          "#fddbc7", "#ef8a62", "#b2182b"};
static const char *const class_label[7] = {
    "Cold spot, 99 % confidence", "Cold spot, 95 % confidence",
    "Cold spot, 90 % confidence", "Not significant",
    "Hot spot, 90 % confidence",  "Hot spot, 95 % confidence",
    "Hot spot, 99 % confidence"};
/* Density classes: upper bounds as fractions of the highest density, and their colours. */
static const double density_break[6] = {0.05, 0.15, 0.30, 0.50, 0.75, 1.0};
static const char *const density_fill[6] = {"#ffffb2", "#fed976", "#feb24c",
                                            "#fd8d3c", "#f03b20", "#bd0026"};

static int density_class(double d, double max)
{
    for (int k = 0; k < 5; k++)
        if (d <= density_break[k] * max)
            return k;
    return 5;
}

#define SVG_MAP 760.0
#define SVG_LEFT 20.0
#define SVG_TOP 70.0
#define SVG_LEGEND 300.0
#define SVG_MIN_CELL 3.0

int vg_hotspot_write_svg(const struct vg_hotspot_result *r, struct vg_buf *b)
{
    int64_t c0 = 0, c1 = 0, r0 = 0, r1 = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        const struct vg_hotspot_cell *c = &r->cells[i];
        if (i == 0 || c->col < c0)
            c0 = c->col;
        if (i == 0 || c->col > c1)
            c1 = c->col;
        if (i == 0 || c->row < r0)
            r0 = c->row;
        if (i == 0 || c->row > r1)
            r1 = c->row;
    }
    double s = r->cell_km, wkm = (double)(c1 - c0 + 1) * s, hkm = (double)(r1 - r0 + 1) * s;
    double scale = SVG_MAP / (wkm > hkm ? wkm : hkm); /* px per km */
    double mw = wkm * scale, mh = hkm * scale, cw = s * scale;
    double width = SVG_LEFT + mw + 20 + SVG_LEGEND, height = SVG_TOP + (mh > 330 ? mh : 330) + 60;
    int rc = vg_buf_printf(
        b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 "
        "%.0f %.0f\" font-family=\"sans-serif\" font-size=\"13\">\n<style>rect.c{stroke:none}",
        width, height, width, height);
    for (int k = 0; !rc && k < 7; k++)
        rc = vg_buf_printf(b, " .k%d{fill:%s}", k,
                           r->density ? density_fill[k < 6 ? k : 5] : class_fill[k]);
    if (!rc)
        rc = vg_buf_printf(b,
                           "</style>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                           "<text x=\"%.0f\" y=\"28\" font-size=\"18\" font-weight=\"bold\">%s"
                           "</text>\n",
                           SVG_LEFT,
                           r->density ? "Density of incidents (quartic kernel)"
                                      : "Hot and cold spots of incidents (Getis-Ord Gi*)");
    if (!rc && r->density)
        rc = vg_buf_printf(b,
                           "<text x=\"%.0f\" y=\"50\">Cells of %g km, bandwidth %g km; %zu "
                           "incidents, %zu without coordinates left out</text>\n",
                           SVG_LEFT, r->cell_km, r->bandwidth_km, r->located + r->unlocated,
                           r->unlocated);
    else if (!rc)
        rc = vg_buf_printf(b,
                           "<text x=\"%.0f\" y=\"50\">Cells of %g km, band %g km, %s cells, %s; "
                           "%zu incidents, %zu without coordinates left out</text>\n",
                           SVG_LEFT, r->cell_km, r->band_km, r->all_cells ? "all" : "occupied",
                           r->no_fdr ? "no FDR correction" : "FDR-corrected",
                           r->located + r->unlocated, r->unlocated);
    if (!rc)
        rc = vg_buf_printf(b,
                           "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                           "fill=\"none\" stroke=\"#999\"/>\n<g shape-rendering=\"crispEdges\">\n",
                           SVG_LEFT, SVG_TOP, mw, mh);
    /* Cells are drawn from the least to the most remarkable (not significant first, the most
     * significant last; the lowest density first), so that what matters is on top. */
    for (size_t j = 0; !rc && j < (r->density ? r->ncells : 4 * r->ncells); j++) {
        size_t i = r->density ? r->ncells - 1 - j : j % r->ncells;
        const struct vg_hotspot_cell *c = &r->cells[i];
        if (!r->density && abs(c->cls) != (int)(j / r->ncells))
            continue;
        /* A cell is drawn at least SVG_MIN_CELL px wide, so that small cells stay visible, and
         * a little wider than it is, so that no hairline of background shows between cells. */
        double dw = cw < SVG_MIN_CELL ? SVG_MIN_CELL : cw + 0.4, pad = (dw - cw) / 2;
        double px = SVG_LEFT + (double)(c->col - c0) * cw - pad;
        double py = SVG_TOP + (double)(r1 - c->row) * cw - pad;
        int k = r->density ? density_class(c->density, r->max_density) : c->cls + 3;
        rc = vg_buf_printf(b,
                           "<rect class=\"c k%d\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                           "height=\"%.2f\"><title>%.4f, %.4f: %u incident%s",
                           k, px, py, dw, dw, c->lat, c->lon, c->count, c->count == 1 ? "" : "s");
        if (!rc && r->density)
            rc = vg_buf_printf(b, ", %.4g per km2</title></rect>\n", c->density);
        else if (!rc)
            rc = vg_buf_printf(b, ", z %.2f, %s</title></rect>\n", c->z,
                               vg_hotspot_class_name(c->cls));
    }
    if (!rc)
        rc = vg_buf_printf(b, "</g>\n");
    /* The legend. */
    double lx = SVG_LEFT + mw + 30, ly = SVG_TOP;
    if (!rc)
        rc = vg_buf_printf(b, "<text x=\"%.2f\" y=\"%.2f\" font-weight=\"bold\">%s</text>\n", lx,
                           ly + 4, r->density ? "Incidents per km2" : "Cells");
    for (int k = 0; !rc && k < (r->density ? 6 : 7); k++) {
        int idx = r->density ? 5 - k : 6 - k;
        double y = ly + 20 + 24 * k;
        rc = vg_buf_printf(b,
                           "<rect class=\"k%d\" x=\"%.2f\" y=\"%.2f\" width=\"18\" height=\"18\" "
                           "stroke=\"#666\"/>",
                           idx, lx, y);
        if (!rc && r->density)
            rc = vg_buf_printf(b, "<text x=\"%.2f\" y=\"%.2f\">%.3g to %.3g</text>\n", lx + 26,
                               y + 14, idx ? density_break[idx - 1] * r->max_density : 0.0,
                               density_break[idx] * r->max_density);
        else if (!rc)
            rc = vg_buf_printf(b, "<text x=\"%.2f\" y=\"%.2f\">%s (%zu)</text>\n", lx + 26, y + 14,
                               class_label[idx], r->nclass[idx]);
    }
    /* A scale bar of a round length near a fifth of the map. */
    double want = wkm / 5, len = pow(10.0, floor(log10(want)));
    if (want / len >= 5)
        len *= 5;
    else if (want / len >= 2)
        len *= 2;
    double by = SVG_TOP + mh + 30;
    if (!rc)
        rc = vg_buf_printf(b,
                           "<path d=\"M%.2f %.2fh%.2f\" stroke=\"black\" stroke-width=\"3\"/>"
                           "<text x=\"%.2f\" y=\"%.2f\">%g km</text>\n",
                           SVG_LEFT, by, len * scale, SVG_LEFT + len * scale + 8, by + 5, len);
    if (!rc)
        rc = vg_buf_printf(b,
                           "<text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" fill=\"#555\">Lambert "
                           "azimuthal equal-area, centred at %.4f, %.4f; north is up at the "
                           "centre</text>\n</svg>\n",
                           SVG_LEFT, by + 25, r->proj.lat0, r->proj.lon0);
    return rc;
}
