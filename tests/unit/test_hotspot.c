/* test_hotspot.c - the equal-area projection, the grid of counts, Gi* hot spots with the FDR,
 * the quartic kernel density and the writers (src/analyze/hotspot.c).
 *
 * Incidents are placed through the inverse projection at chosen planar positions (the centre of
 * the projection given as 0, 0), so every count, neighbourhood and distance below is known by
 * construction. The projection itself is checked against an independent construction (the great
 * circle distance and bearing from the centre), known points and its equal-area property. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/cube.h"
#include "vigil/error.h"
#include "vigil/gistar.h"
#include "vigil/hotspot.h"
#include "vigil/ingest.h"
#include "vigil/mem.h"
#include "vigil/select.h"
#include "vigil/store.h"

#include <jansson.h>
#include <math.h>

#define R VG_HOTSPOT_EARTH_RADIUS_KM
#define RAD (M_PI / 180.0)

/* ---- the projection ---- */

static void test_known_points(void **state)
{
    (void)state;
    struct vg_hotspot_laea p;
    double x, y, lat, lon;
    vg_hotspot_laea_init(&p, 0, 0);
    vg_hotspot_project(&p, 0, 0, &x, &y);
    assert_true(fabs(x) < 1e-12 && fabs(y) < 1e-12);
    /* A quarter of the globe away, the projection is at R sqrt(2): 2R sin(45 deg). */
    vg_hotspot_project(&p, 0, 90, &x, &y);
    assert_true(fabs(x - R * sqrt(2.0)) < 1e-9 && fabs(y) < 1e-9);
    vg_hotspot_project(&p, 90, 0, &x, &y);
    assert_true(fabs(x) < 1e-9 && fabs(y - R * sqrt(2.0)) < 1e-9);
    vg_hotspot_project(&p, 0, -90, &x, &y);
    assert_true(fabs(x + R * sqrt(2.0)) < 1e-9 && fabs(y) < 1e-9);
    /* The antipode goes to the edge of the disc, 2R. */
    vg_hotspot_project(&p, 0, 180, &x, &y);
    assert_true(fabs(hypot(x, y) - 2 * R) < 1e-6);

    /* Against the great-circle construction: rho = 2R sin(c/2) along the bearing. */
    const double centres[][2] = {{0, 0}, {33.3, 44.4}, {-35, 150}, {60, -120}, {89, 10}};
    uint64_t s = 99;
    for (size_t c = 0; c < sizeof(centres) / sizeof(centres[0]); c++) {
        double la0 = centres[c][0], lo0 = centres[c][1];
        vg_hotspot_laea_init(&p, la0, lo0);
        for (int i = 0; i < 200; i++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double la = (double)(s >> 11) / 9007199254740992.0 * 170 - 85;
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double lo = (double)(s >> 11) / 9007199254740992.0 * 360 - 180;
            double f1 = la0 * RAD, f2 = la * RAD, dl = (lo - lo0) * RAD;
            double h = sin((f2 - f1) / 2) * sin((f2 - f1) / 2) +
                       cos(f1) * cos(f2) * sin(dl / 2) * sin(dl / 2);
            double ang = 2 * asin(sqrt(h));
            if (ang > 170 * RAD)
                continue; /* near the antipode the bearing is ill-conditioned */
            double az = atan2(sin(dl) * cos(f2), cos(f1) * sin(f2) - sin(f1) * cos(f2) * cos(dl));
            double rho = 2 * R * sin(ang / 2);
            vg_hotspot_project(&p, la, lo, &x, &y);
            if (fabs(x - rho * sin(az)) > 1e-6 || fabs(y - rho * cos(az)) > 1e-6)
                fail_msg("centre (%g, %g), point (%g, %g): (%.9f, %.9f), expected (%.9f, %.9f)",
                         la0, lo0, la, lo, x, y, rho * sin(az), rho * cos(az));
            /* And back. */
            vg_hotspot_unproject(&p, x, y, &lat, &lon);
            double dlon = fabs(lon - lo);
            if (dlon > 180)
                dlon = 360 - dlon;
            if (fabs(lat - la) > 1e-9 || dlon * cos(la * RAD) > 1e-9)
                fail_msg("round trip of (%g, %g) gave (%.12f, %.12f)", la, lo, lat, lon);
        }
    }
    /* The centre itself. */
    vg_hotspot_laea_init(&p, 12.5, -7.25);
    vg_hotspot_unproject(&p, 0, 0, &lat, &lon);
    assert_true(lat == 12.5 && lon == -7.25);
}

/* Area of the projection of the latitude-longitude rectangle, by the shoelace formula over its
 * outline sampled finely. */
static double projected_area(const struct vg_hotspot_laea *p, double la1, double la2, double lo1,
                             double lo2)
{
    enum { K = 2000 };
    double area = 0, px = 0, py = 0, fx = 0, fy = 0;
    for (int i = 0; i <= 4 * K; i++) {
        int e = i / K, k = i % K;
        double t = (double)k / K, la, lo;
        if (i == 4 * K)
            e = 0, t = 0;
        if (e == 0)
            la = la1, lo = lo1 + t * (lo2 - lo1);
        else if (e == 1)
            la = la1 + t * (la2 - la1), lo = lo2;
        else if (e == 2)
            la = la2, lo = lo2 - t * (lo2 - lo1);
        else
            la = la2 - t * (la2 - la1), lo = lo1;
        double x, y;
        vg_hotspot_project(p, la, lo, &x, &y);
        if (i == 0)
            fx = x, fy = y;
        else
            area += px * y - x * py;
        px = x, py = y;
    }
    (void)fx;
    (void)fy;
    return area / 2;
}

static void test_equal_area(void **state)
{
    (void)state;
    /* The true area of a latitude-longitude rectangle on the sphere is
     * R^2 (lon2 - lon1) (sin lat2 - sin lat1); its image must have the same area wherever it
     * lies, near the centre of the projection or far from it. So every grid cell of side s km
     * covers s^2 km^2 of ground. */
    struct vg_hotspot_laea p;
    vg_hotspot_laea_init(&p, 33.0, 44.0);
    const double rects[][4] = {{33, 34, 44, 45},     {33.0, 33.1, 44.0, 44.1}, {10, 11, -5, -4},
                               {60, 61, 100, 101.5}, {-40, -38, 120, 121},     {0, 5, 0, 5},
                               {70, 71, 40, 41}};
    for (size_t i = 0; i < sizeof(rects) / sizeof(rects[0]); i++) {
        const double *q = rects[i];
        double want = R * R * (q[3] - q[2]) * RAD * (sin(q[1] * RAD) - sin(q[0] * RAD));
        double got = projected_area(&p, q[0], q[1], q[2], q[3]);
        if (fabs(got - want) > 1e-5 * want)
            fail_msg("rectangle %zu: projected area %.6f km2, true area %.6f km2", i, got, want);
    }
}

static void test_centre(void **state)
{
    (void)state;
    double lat[] = {10, 12, 10, 12, NAN}, lon[] = {20, 20, 22, 22, 5}, la, lo;
    vg_hotspot_centre(lat, lon, 5, &la, &lo);
    assert_true(fabs(la - 11.0) < 0.01 && fabs(lo - 21.0) < 0.01);
    /* Across the antimeridian the centre is there, not at longitude 0. */
    double lat2[] = {0, 0}, lon2[] = {179, -179};
    vg_hotspot_centre(lat2, lon2, 2, &la, &lo);
    assert_true(fabs(la) < 1e-9 && fabs(fabs(lo) - 180) < 1e-9);
    /* Opposite points cancel out: (0, 0). */
    double lat3[] = {0, 0}, lon3[] = {0, 180};
    vg_hotspot_centre(lat3, lon3, 2, &la, &lo);
    assert_true(la == 0 && lo == 0);
}

/* ---- incidents placed on the grid ---- */

struct placed {
    double lat[4096], lon[4096];
    size_t n;
};

/* Adds k incidents at the planar point (x, y) km of the projection centred at (0, 0). */
static void put(struct placed *pl, double x, double y, int k)
{
    struct vg_hotspot_laea p;
    vg_hotspot_laea_init(&p, 0, 0);
    for (int i = 0; i < k; i++) {
        assert_true(pl->n < 4096);
        vg_hotspot_unproject(&p, x, y, &pl->lat[pl->n], &pl->lon[pl->n]);
        pl->n++;
    }
}

/* Adds k incidents at the centre of cell (col, row) of side s. */
static void put_cell(struct placed *pl, int col, int row, double s, int k)
{
    put(pl, (col + 0.5) * s, (row + 0.5) * s, k);
}

static struct vg_hotspot_opts opts_at_origin(double cell, double band)
{
    struct vg_hotspot_opts o;
    vg_hotspot_opts_init(&o);
    o.cell_km = cell;
    o.band_km = band;
    o.have_centre = 1;
    return o;
}

static const struct vg_hotspot_cell *find(const struct vg_hotspot_result *r, int col, int row)
{
    for (size_t i = 0; i < r->ncells; i++)
        if (r->cells[i].col == col && r->cells[i].row == row)
            return &r->cells[i];
    fail_msg("no cell (%d, %d)", col, row);
    return NULL;
}

static void test_grid_counts_and_band(void **state)
{
    (void)state;
    /* Cells (0,0) x5, (3,0) x1, (0,4) x2, (10,10) x1; band 3 cells. (3,0) is exactly 3 cells from
     * (0,0): a neighbour; (0,4) is 4 away, and 5 from (3,0): alone. Counts 5, 1, 2, 1: mean 2.25,
     * deviations 2.75, -1.25, -0.25, -1.25, S^2 = 10.75 / 4. For (0,0): W = 2, the sum of the
     * deviations 1.5, z = 1.5 / (S sqrt((4*2 - 4) / 3)) = 1.5 / sqrt(2.6875 * 4 / 3). */
    /* 0.3 / 0.1 is 2.9999999999999996 in floating point: still a band of 3 cells. */
    const double sides[][2] = {{10.0, 30.0}, {0.1, 0.3}};
    for (int k = 0; k < 2; k++) {
        double s = sides[k][0];
        struct placed *pl = calloc(1, sizeof(*pl));
        assert_non_null(pl);
        put_cell(pl, 0, 0, s, 5);
        put_cell(pl, 3, 0, s, 1);
        put_cell(pl, 0, 4, s, 2);
        put_cell(pl, 10, 10, s, 1);
        struct vg_hotspot_opts o = opts_at_origin(s, sides[k][1]);
        struct vg_hotspot_result *r = NULL;
        struct vg_error err;
        vg_error_clear(&err);
        if (vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err))
            fail_msg("%s", err.message);
        assert_int_equal(r->ncells, 4);
        assert_int_equal(r->located, 9);
        assert_int_equal(r->unlocated, 0);
        const struct vg_hotspot_cell *a = find(r, 0, 0), *b = find(r, 3, 0), *c = find(r, 0, 4);
        assert_int_equal(a->count, 5);
        assert_int_equal(b->count, 1);
        assert_int_equal(c->count, 2);
        assert_int_equal(find(r, 10, 10)->count, 1);
        assert_int_equal(a->neighbours, 2);
        assert_int_equal(b->neighbours, 2);
        assert_int_equal(c->neighbours, 1);
        double want = 1.5 / sqrt(2.6875 * 4.0 / 3.0);
        if (fabs(a->z - want) > 1e-12)
            fail_msg("side %g: z %.15f, expected %.15f", s, a->z, want);
        assert_true(fabs(a->p - vg_gistar_pvalue(want, 2)) < 1e-15);
        /* The centre of a cell, in latitude and longitude. */
        struct vg_hotspot_laea p;
        double la, lo;
        vg_hotspot_laea_init(&p, 0, 0);
        vg_hotspot_unproject(&p, 3.5 * s, 0.5 * s, &la, &lo);
        assert_true(fabs(b->lat - la) < 1e-12 && fabs(b->lon - lo) < 1e-12);
        /* Highest z first. */
        for (size_t i = 1; i < r->ncells; i++)
            assert_true(r->cells[i - 1].z >= r->cells[i].z);
        vg_hotspot_result_destroy(r);
        free(pl);
    }
}

static void test_classes_and_fdr(void **state)
{
    (void)state;
    /* A 15 x 15 field of cells with one incident each, a 3 x 3 block of 20 in the middle (hot)
     * and a 3 x 3 block of none... but cells without incidents are not analysed unless all_cells,
     * so the cold block holds 1 where the field holds 6: a field of 6, a hot block of 30, a cold
     * block of 1. */
    struct placed *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    double s = 5.0;
    for (int row = 0; row < 15; row++)
        for (int col = 0; col < 15; col++) {
            int hot = col >= 2 && col <= 4 && row >= 2 && row <= 4;
            int cold = col >= 10 && col <= 12 && row >= 10 && row <= 12;
            put_cell(pl, col, row, s, hot ? 30 : cold ? 1 : 6);
        }
    struct vg_hotspot_opts o = opts_at_origin(s, 1.5 * s); /* the 8 around and itself */
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    if (vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err))
        fail_msg("%s", err.message);
    assert_int_equal(r->ncells, 225);
    assert_int_equal(find(r, 3, 3)->cls, VG_HOTSPOT_HOT_99);
    assert_int_equal(find(r, 11, 11)->cls, VG_HOTSPOT_COLD_99);
    assert_int_equal(find(r, 3, 3)->neighbours, 9);
    assert_int_equal(find(r, 0, 0)->neighbours, 4);
    assert_int_equal(find(r, 7, 7)->cls, VG_HOTSPOT_NOT_SIGNIFICANT);
    assert_string_equal(vg_hotspot_class_name(find(r, 3, 3)->cls), "hot-99");
    assert_string_equal(vg_hotspot_class_name(VG_HOTSPOT_COLD_90), "cold-90");
    assert_string_equal(vg_hotspot_class_name(0), "not-significant");

    /* The adjusted p-values are Benjamini-Hochberg's over all cells; the classes follow them. */
    double p[225], q[225];
    for (size_t i = 0; i < r->ncells; i++)
        p[i] = r->cells[i].p;
    assert_int_equal(vg_gistar_fdr(p, r->ncells, q, &err), 0);
    size_t total = 0;
    for (int k = 0; k < 7; k++)
        total += r->nclass[k];
    assert_int_equal(total, 225);
    for (size_t i = 0; i < r->ncells; i++) {
        const struct vg_hotspot_cell *c = &r->cells[i];
        assert_true(c->q == q[i]);
        assert_true(c->q >= c->p);
        int level = c->q <= 0.01 ? 3 : c->q <= 0.05 ? 2 : c->q <= 0.10 ? 1 : 0;
        assert_int_equal(c->cls, c->z > 0 ? level : -level);
        assert_true(fabs(c->p - 2 * (0.5 * erfc(fabs(c->z) / sqrt(2)))) < 1e-15);
    }
    size_t fdr_significant = 225 - r->nclass[3];
    vg_hotspot_result_destroy(r);

    /* Without the correction, at least as many cells are significant. */
    o.no_fdr = 1;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), 0);
    assert_true(225 - r->nclass[3] >= fdr_significant);
    for (size_t i = 0; i < r->ncells; i++) {
        const struct vg_hotspot_cell *c = &r->cells[i];
        int level = c->p <= 0.01 ? 3 : c->p <= 0.05 ? 2 : c->p <= 0.10 ? 1 : 0;
        assert_int_equal(c->cls, c->z > 0 ? level : -level);
    }
    vg_hotspot_result_destroy(r);

    /* All cells: the empty cells of the rectangle are analysed too. */
    pl->n = 0;
    put_cell(pl, 0, 0, s, 3);
    put_cell(pl, 4, 2, s, 1);
    vg_hotspot_opts_init(&o);
    o = opts_at_origin(s, 1.5 * s);
    o.all_cells = 1;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), 0);
    assert_int_equal(r->ncells, 15);
    assert_int_equal(find(r, 2, 1)->count, 0);
    assert_int_equal(find(r, 0, 0)->count, 3);
    assert_int_equal(find(r, 1, 1)->neighbours, 9);
    vg_hotspot_result_destroy(r);
    free(pl);
}

static void test_unlocated_and_errors(void **state)
{
    (void)state;
    struct placed *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    put_cell(pl, 0, 0, 10, 3);
    put_cell(pl, 5, 0, 10, 1);
    /* Unknown or impossible positions are left out and counted. */
    pl->lat[pl->n] = NAN, pl->lon[pl->n++] = 10;
    pl->lat[pl->n] = 95, pl->lon[pl->n++] = 10;
    pl->lat[pl->n] = 10, pl->lon[pl->n++] = -200;
    pl->lat[pl->n] = INFINITY, pl->lon[pl->n++] = 0;
    struct vg_hotspot_opts o = opts_at_origin(10, 30);
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), 0);
    assert_int_equal(r->incidents, 8);
    assert_int_equal(r->located, 4);
    assert_int_equal(r->unlocated, 4);
    assert_int_equal(r->ncells, 2);
    vg_hotspot_result_destroy(r);
    r = NULL;

    /* Defaults: 10 km cells, a band of 3 cells, the bandwidth = the band. */
    vg_hotspot_opts_init(&o);
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), 0);
    assert_true(r->cell_km == 10 && r->band_km == 30 && r->bandwidth_km == 30);
    vg_hotspot_result_destroy(r);
    r = NULL;

    /* (0 means the default in the options; the command line refuses it.) */
    const double bad[] = {-1, -1e-300, NAN, INFINITY};
    for (int i = 0; i < 4; i++) {
        o = opts_at_origin(bad[i], 30);
        vg_error_clear(&err);
        assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_EINVAL);
        assert_non_null(strstr(err.message, "--cell-km"));
        o = opts_at_origin(10, bad[i]);
        assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_EINVAL);
        assert_non_null(strstr(err.message, "--band-km"));
        o = opts_at_origin(10, 30);
        o.density = 1;
        o.bandwidth_km = bad[i];
        assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_EINVAL);
        assert_non_null(strstr(err.message, "--bandwidth-km"));
    }
    assert_null(r);

    /* Nothing located, nothing at all. */
    o = opts_at_origin(10, 30);
    vg_error_clear(&err);
    assert_int_equal(vg_hotspot_run_points(pl->lat + 4, pl->lon + 4, 4, &o, &r, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "none of the 4 incidents"));
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, 0, &o, &r, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "no incidents"));

    /* One cell only; every cell the same count. */
    o = opts_at_origin(100, 300);
    vg_error_clear(&err);
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, 3, &o, &r, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "one cell"));
    pl->n = 0;
    put_cell(pl, 0, 0, 10, 2);
    put_cell(pl, 3, 3, 10, 2);
    o = opts_at_origin(10, 30);
    vg_error_clear(&err);
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "no variance"));
    assert_non_null(strstr(err.message, "--all-cells"));

    /* Too many cells, cells too small for the spread, a kernel too wide for the cells. */
    pl->n = 0;
    put(pl, 0, 0, 1);
    put(pl, 3000, 2000, 2);
    o = opts_at_origin(0.5, 1.5);
    o.all_cells = 1;
    vg_error_clear(&err);
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "--cell-km"));
    o = opts_at_origin(1e-9, 1e-8);
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "too small"));
    o = opts_at_origin(0.01, 30);
    o.density = 1;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "--bandwidth-km"));
    /* a bandwidth narrower than a cell, for a density surface */
    o = opts_at_origin(20, 30);
    o.density = 1;
    o.bandwidth_km = 5;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "at least the cell side"));
    assert_null(r);
    o = opts_at_origin(10, 30);
    o.have_centre = 1;
    o.centre_lat = 91;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), VG_EINVAL);
    assert_null(r);
    free(pl);
}

/* ---- density ---- */

static void test_kernel(void **state)
{
    (void)state;
    assert_true(fabs(vg_hotspot_quartic(0) - 3 / M_PI) < 1e-15);
    assert_true(fabs(vg_hotspot_quartic(0.5) - 3 / M_PI * 0.5625) < 1e-15);
    assert_true(vg_hotspot_quartic(1.0) == 0 && vg_hotspot_quartic(2.0) == 0);
    /* Two points 10 km apart, bandwidth 20, halfway: u = 0.25 for both,
     * 2 * 3/pi * (1 - 0.0625)^2 / 400 = 0.00419646822605583. */
    double x[] = {0, 10}, y[] = {0, 0};
    assert_true(fabs(vg_hotspot_kde_at(x, y, 2, 20, 5, 0) - 0.00419646822605583) < 1e-15);
    /* K integrates to 1: a sum over a fine lattice times the cell area. */
    double sum = 0;
    for (int i = -200; i <= 200; i++)
        for (int j = -200; j <= 200; j++)
            sum += vg_hotspot_quartic(hypot(i, j) / 200.0) / (200.0 * 200.0);
    assert_true(fabs(sum - 1) < 1e-4);
}

static void test_density_grid(void **state)
{
    (void)state;
    /* One incident at the centre of cell (0,0) of 10 km, bandwidth 20: the cells whose centres
     * lie closer than 20 km are the 3 x 3 around it. Hand values: 3/(pi 400) at the incident's
     * cell, 3/pi (1 - 0.25)^2 / 400 at 10 km, 3/pi (1 - 0.5)^2 / 400 at 14.14 km. */
    struct placed *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    put_cell(pl, 0, 0, 10, 1);
    struct vg_hotspot_opts o = opts_at_origin(10, 20);
    o.density = 1;
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    if (vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err))
        fail_msg("%s", err.message);
    assert_int_equal(r->density, 1);
    assert_true(r->bandwidth_km == 20);
    /* (Cells exactly 20 km away may appear with a density of rounding noise.) */
    size_t reached = 0;
    for (size_t i = 0; i < r->ncells; i++)
        reached += r->cells[i].density > 1e-15;
    assert_int_equal(reached, 9);
    assert_true(fabs(find(r, 0, 0)->density - 0.00238732414637843) < 1e-12);
    assert_true(fabs(find(r, 1, 0)->density - 0.00134286983233787) < 1e-12);
    assert_true(fabs(find(r, 0, -1)->density - 0.00134286983233787) < 1e-12);
    assert_true(fabs(find(r, -1, 1)->density - 0.000596831036594607) < 1e-12);
    assert_int_equal(find(r, 0, 0)->count, 1);
    assert_int_equal(find(r, 1, 0)->count, 0);
    assert_true(r->cells[0].col == 0 && r->cells[0].row == 0); /* highest first */
    vg_hotspot_result_destroy(r);

    /* Many incidents: every cell equals the kernel sum at its centre, and the surface times the
     * cell area adds up to the number of incidents. */
    pl->n = 0;
    uint64_t s = 7;
    double px[500], py[500];
    for (int i = 0; i < 500; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        px[i] = (double)(s >> 11) / 9007199254740992.0 * 40 - 20;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        py[i] = (double)(s >> 11) / 9007199254740992.0 * 30;
        put(pl, px[i], py[i], 1);
    }
    o = opts_at_origin(1.0, 8);
    o.density = 1;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), 0);
    double total = 0;
    for (size_t i = 0; i < r->ncells; i++) {
        const struct vg_hotspot_cell *c = &r->cells[i];
        double want = vg_hotspot_kde_at(px, py, 500, 8, c->col + 0.5, c->row + 0.5);
        if (fabs(c->density - want) > 1e-9 * (want + 1e-6))
            fail_msg("cell (%lld, %lld): %.12g, expected %.12g", (long long)c->col,
                     (long long)c->row, c->density, want);
        total += c->density;
    }
    assert_true(fabs(total - 500) < 2.5);
    vg_hotspot_result_destroy(r);
    free(pl);
}

/* ---- writers ---- */

static void test_geojson(void **state)
{
    (void)state;
    struct placed *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    for (int i = 0; i < 6; i++)
        put_cell(pl, i, i % 3, 10, i + 1);
    pl->lat[pl->n] = NAN, pl->lon[pl->n++] = 0;
    struct vg_hotspot_opts o = opts_at_origin(10, 30);
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    assert_int_equal(vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err), 0);
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_hotspot_write_geojson(r, &b), 0);
    json_error_t je;
    json_t *doc = json_loadb(b.data, b.len, 0, &je);
    if (!doc)
        fail_msg("not JSON: %s at %d", je.text, je.position);
    assert_string_equal(json_string_value(json_object_get(doc, "type")), "FeatureCollection");
    json_t *meta = json_object_get(doc, "metadata");
    assert_int_equal(json_integer_value(json_object_get(meta, "unlocated")), 1);
    assert_int_equal(json_integer_value(json_object_get(meta, "located")), 21);
    json_t *features = json_object_get(doc, "features");
    assert_int_equal(json_array_size(features), 6);
    size_t i;
    json_t *f;
    json_array_foreach(features, i, f)
    {
        assert_string_equal(json_string_value(json_object_get(f, "type")), "Feature");
        json_t *g = json_object_get(f, "geometry");
        assert_string_equal(json_string_value(json_object_get(g, "type")), "Polygon");
        json_t *ring = json_array_get(json_object_get(g, "coordinates"), 0);
        assert_int_equal(json_array_size(ring), 5);
        double area = 0;
        for (size_t k = 0; k + 1 < 5; k++) {
            json_t *a = json_array_get(ring, k), *c = json_array_get(ring, k + 1);
            area += json_real_value(json_array_get(a, 0)) * json_real_value(json_array_get(c, 1)) -
                    json_real_value(json_array_get(c, 0)) * json_real_value(json_array_get(a, 1));
        }
        assert_true(area > 0); /* counter-clockwise, as RFC 7946 asks */
        assert_true(json_equal(json_array_get(ring, 0), json_array_get(ring, 4)));
        json_t *props = json_object_get(f, "properties");
        const char *cls = json_string_value(json_object_get(props, "class"));
        assert_non_null(cls);
        assert_true(json_is_number(json_object_get(props, "z")));
        assert_true(json_is_integer(json_object_get(props, "count")));
        assert_true(json_is_number(json_object_get(props, "fdr_p")));
    }
    json_decref(doc);

    /* CSV: a header and one line per cell. */
    vg_buf_reset(&b);
    assert_int_equal(vg_hotspot_write_csv(r, &b), 0);
    assert_memory_equal(b.data, "lat,lon,count,neighbours,z,p,fdr_p,class\n", 41);
    size_t lines = 0;
    for (size_t k = 0; k < b.len; k++)
        lines += b.data[k] == '\n';
    assert_int_equal(lines, 7);

    /* SVG: one rectangle per cell, a legend with the seven classes. */
    vg_buf_reset(&b);
    assert_int_equal(vg_hotspot_write_svg(r, &b), 0);
    assert_non_null(strstr(b.data, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert_non_null(strstr(b.data, "Hot spot, 99 % confidence"));
    assert_non_null(strstr(b.data, "Cold spot, 90 % confidence"));
    assert_non_null(strstr(b.data, "1 without coordinates left out"));
    assert_non_null(strstr(b.data, "</svg>\n"));
    size_t rects = 0;
    for (const char *q = b.data; (q = strstr(q, "<rect class=\"c ")); q++)
        rects++;
    assert_int_equal(rects, 6);

    /* A cap that is too small: VG_ETOOBIG, never a cut output. */
    struct vg_buf small;
    vg_buf_init(&small, 100);
    assert_int_equal(vg_hotspot_write_svg(r, &small), VG_ETOOBIG);
    assert_int_equal(vg_hotspot_write_geojson(r, &small), VG_ETOOBIG);
    vg_buf_cleanup(&small);
    vg_hotspot_result_destroy(r);
    vg_buf_cleanup(&b);
    free(pl);
}

static void test_geojson_antimeridian(void **state)
{
    (void)state;
    /* Cells of 20 km on both sides of longitude 180 at the equator, the projection centred a
     * little west of it: one column of cells straddles the antimeridian. */
    double lat[40], lon[40];
    for (int i = 0; i < 40; i++) {
        lat[i] = (i % 4) * 0.2;
        lon[i] = i % 2 ? 179.6 + (i % 5) * 0.1 : -179.95 + (i % 3) * 0.1;
    }
    struct vg_hotspot_opts o;
    vg_hotspot_opts_init(&o);
    o.cell_km = 20;
    o.have_centre = 1;
    o.centre_lat = 0;
    o.centre_lon = 179.95;
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    if (vg_hotspot_run_points(lat, lon, 40, &o, &r, &err))
        fail_msg("%s", err.message);
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_hotspot_write_geojson(r, &b), 0);
    json_error_t je;
    json_t *doc = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(doc);
    size_t i, multi = 0;
    json_t *f;
    json_array_foreach(json_object_get(doc, "features"), i, f)
    {
        json_t *g = json_object_get(f, "geometry");
        const char *type = json_string_value(json_object_get(g, "type"));
        json_t *polys = json_object_get(g, "coordinates");
        if (strcmp(type, "MultiPolygon") == 0)
            multi++;
        else
            polys = json_pack("[O]", polys);
        size_t k;
        json_t *poly;
        json_array_foreach(polys, k, poly)
        {
            json_t *ring = json_array_get(poly, 0);
            size_t n = json_array_size(ring);
            assert_true(n >= 4);
            assert_true(json_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)));
            double lo = 999, hi = -999;
            for (size_t m = 0; m < n; m++) {
                double v = json_number_value(json_array_get(json_array_get(ring, m), 0));
                assert_true(v >= -180 && v <= 180);
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            assert_true(hi - lo < 1); /* no ring wraps around the globe */
        }
        if (strcmp(type, "MultiPolygon") != 0)
            json_decref(polys);
    }
    assert_true(multi >= 1);
    json_decref(doc);
    vg_buf_cleanup(&b);
    vg_hotspot_result_destroy(r);
}

static void test_geojson_pole(void **state)
{
    (void)state;
    /* Incidents around the North Pole, the projection centred near it: the cells holding the pole
     * (on their outline here: the centre's meridian runs along a cell edge) are caps up to 90. */
    double lat[24], lon[24];
    for (int i = 0; i < 24; i++) {
        lat[i] = 89.8 + (i % 3) * 0.05;
        lon[i] = i * 15.0 - 180;
    }
    struct vg_hotspot_opts o;
    vg_hotspot_opts_init(&o);
    o.cell_km = 20;
    o.have_centre = 1;
    o.centre_lat = 89.9;
    o.centre_lon = 0;
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    if (vg_hotspot_run_points(lat, lon, 24, &o, &r, &err))
        fail_msg("%s", err.message);
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_hotspot_write_geojson(r, &b), 0);
    json_error_t je;
    json_t *doc = json_loadb(b.data, b.len, 0, &je);
    assert_non_null(doc);
    size_t i, caps = 0;
    json_t *f;
    json_array_foreach(json_object_get(doc, "features"), i, f)
    {
        json_t *g = json_object_get(f, "geometry");
        assert_string_equal(json_string_value(json_object_get(g, "type")), "Polygon");
        json_t *ring = json_array_get(json_object_get(g, "coordinates"), 0);
        size_t n = json_array_size(ring);
        assert_true(json_equal(json_array_get(ring, 0), json_array_get(ring, n - 1)));
        double lo = 999, hi = -999, top = -90;
        for (size_t m = 0; m < n; m++) {
            json_t *pos = json_array_get(ring, m);
            double x = json_number_value(json_array_get(pos, 0));
            double y = json_number_value(json_array_get(pos, 1));
            assert_true(x >= -180 && x <= 180 && y >= -90 && y <= 90);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
            top = y > top ? y : top;
        }
        if (top == 90) {
            caps++;
            assert_true(lo == -180 && hi == 180);
        } else {
            assert_true(hi - lo <= 180);
        }
    }
    assert_true(caps >= 1);
    json_decref(doc);
    vg_buf_cleanup(&b);
    vg_hotspot_result_destroy(r);
}

/* ---- through the cube ---- */

static void test_from_cube(void **state)
{
    (void)state;
    char *dir = tu_mkdtemp();
    char db[TU_PATH_MAX], csv[TU_PATH_MAX];
    struct vg_error err;
    struct vg_store *s = NULL;
    vg_error_clear(&err);
    if (vg_store_open(tu_join(db, dir, "h.db"), 0, &s, &err))
        fail_msg("open: %s", err.message);
    tu_join(csv, dir, "h.csv");
    tu_write_str(csv, "eventid,iyear,country_txt,latitude,longitude\n"
                      "1,2014,Iraq,33.300,44.400\n"
                      "2,2014,Iraq,33.301,44.401\n"
                      "3,2015,Iraq,33.300,44.402\n"
                      "4,2015,Iraq,36.34,43.13\n"
                      "5,2015,Iraq,,\n"
                      "6,2016,Syria,36.20,37.15\n"
                      "7,2016,Iraq,35.47,44.39\n");
    struct vg_ingest_stats st = {0};
    if (vg_ingest_path(s, csv, NULL, &st, &err))
        fail_msg("ingest: %s", err.message);
    assert_int_equal(st.inserted, 7);

    struct vg_cube *cube = NULL;
    struct vg_selection *sel = NULL;
    struct vg_filter f;
    vg_filter_init(&f);
    assert_int_equal(vg_filter_add_where(&f, "country=Iraq", &err), 0);
    assert_int_equal(vg_cube_open(s, &cube, &err), 0);
    assert_int_equal(vg_selection_create(cube, &f, &sel, &err), 0);
    struct vg_hotspot_opts o;
    vg_hotspot_opts_init(&o);
    struct vg_hotspot_result *r = NULL;
    if (vg_hotspot_run(cube, sel, &o, &r, &err))
        fail_msg("%s", err.message);
    assert_int_equal(r->incidents, 6);
    assert_int_equal(r->located, 5);
    assert_int_equal(r->unlocated, 1);
    assert_int_equal(r->ncells, 3); /* Baghdad (3), Mosul, Kirkuk */
    assert_int_equal(r->cells[0].count, 3);
    assert_true(fabs(r->cells[0].lat - 33.3) < 0.1 && fabs(r->cells[0].lon - 44.4) < 0.1);
    vg_hotspot_result_destroy(r);
    vg_selection_destroy(sel);

    /* A selection with no incident. */
    vg_filter_init(&f);
    assert_int_equal(vg_filter_add_where(&f, "country=Atlantis", &err), 0);
    assert_int_equal(vg_selection_create(cube, &f, &sel, &err), 0);
    r = NULL;
    assert_int_equal(vg_hotspot_run(cube, sel, &o, &r, &err), VG_EINVAL);
    assert_null(r);
    vg_selection_destroy(sel);
    vg_cube_close(cube);
    vg_store_close(s);
    tu_rmtree(dir);
    free(dir);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    struct placed *pl = calloc(1, sizeof(*pl));
    assert_non_null(pl);
    for (int i = 0; i < 8; i++)
        put_cell(pl, i % 4, i / 4, 10, i + 1);
    for (int density = 0; density <= 1; density++) {
        int ok = 0;
        for (long n = 0; n < 200 && !ok; n++) {
            struct vg_hotspot_opts o = opts_at_origin(10, 30);
            o.density = density;
            struct vg_hotspot_result *r = NULL;
            struct vg_error err;
            vg_mem_fail_after(n);
            int rc = vg_hotspot_run_points(pl->lat, pl->lon, pl->n, &o, &r, &err);
            vg_mem_fail_after(-1);
            if (rc == 0)
                ok = 1;
            else
                assert_int_equal(rc, VG_ENOMEM);
            vg_hotspot_result_destroy(r);
        }
        assert_true(ok);
    }
    free(pl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_points),    cmocka_unit_test(test_equal_area),
        cmocka_unit_test(test_centre),          cmocka_unit_test(test_grid_counts_and_band),
        cmocka_unit_test(test_classes_and_fdr), cmocka_unit_test(test_unlocated_and_errors),
        cmocka_unit_test(test_kernel),          cmocka_unit_test(test_density_grid),
        cmocka_unit_test(test_geojson),         cmocka_unit_test(test_geojson_antimeridian),
        cmocka_unit_test(test_geojson_pole),    cmocka_unit_test(test_from_cube),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
