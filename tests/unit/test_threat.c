/* test_threat.c - threat estimation: the empirical-Bayes fit on simulated data whose true rates
 * are known (rates drawn from a gamma, counts from Poisson, with the seeded generator), the guard
 * when counts show no spread, the kernels, the table of target kinds, and threat values of
 * hand-built sites and incidents computed by hand, by the grid and by the naive scan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/ingest.h"
#include "vigil/rand.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- simulation ---- */

static double normal(struct vg_rand *r)
{
    double u1 = vg_rand_double(r), u2 = vg_rand_double(r);
    return sqrt(-2 * log(1 - u1)) * cos(2 * M_PI * u2);
}

/* Gamma(shape a, rate b) by Marsaglia and Tsang (2000), with the boost for a < 1. */
static double gamma_draw(struct vg_rand *r, double a, double b)
{
    if (a < 1)
        return gamma_draw(r, a + 1, b) * pow(1 - vg_rand_double(r), 1 / a);
    double d = a - 1.0 / 3, c = 1 / sqrt(9 * d);
    for (;;) {
        double x = normal(r), v = 1 + c * x;
        if (v <= 0)
            continue;
        v = v * v * v;
        double u = 1 - vg_rand_double(r);
        if (log(u) < 0.5 * x * x + d - d * v + d * log(v))
            return d * v / b;
    }
}

/* Poisson(mu) by multiplying uniforms (mu is small here). */
static double poisson_draw(struct vg_rand *r, double mu)
{
    double l = exp(-mu), p = 1;
    int k = 0;
    do {
        k++;
        p *= vg_rand_double(r);
    } while (p > l);
    return k - 1;
}

/* Fits n sites with rates from Gamma(alpha, beta) observed for t years; checks the fit and that
 * the squared error of the shrunk rates is at most max_ratio times that of the raw rates (in
 * theory about (mean / (t + beta)) / (mean / t) = t / (t + beta)). */
static void fit_case(double alpha, double beta, double t, size_t n, uint64_t seed, double max_ratio)
{
    struct vg_rand r;
    vg_rand_seed(&r, seed);
    double *x = malloc(n * sizeof(double)), *ts = malloc(n * sizeof(double));
    double *lam = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        lam[i] = gamma_draw(&r, alpha, beta);
        ts[i] = t;
        x[i] = poisson_draw(&r, lam[i] * t);
    }
    double a = 0, b = 0;
    const char *method = "";
    struct vg_error err;
    int rc = vg_threat_fit(x, ts, n, &a, &b, &method, &err);
    double se_raw = 0, se_eb = 0;
    for (size_t i = 0; !rc && i < n; i++) {
        double raw = x[i] / t, eb = (x[i] + a) / (t + b);
        se_raw += (raw - lam[i]) * (raw - lam[i]);
        se_eb += (eb - lam[i]) * (eb - lam[i]);
    }
    free(x);
    free(ts);
    free(lam);
    assert_int_equal(rc, 0);
    assert_string_equal(method, "ml");
    /* the prior mean alpha/beta to within 5%, the shape to within 20% */
    if (fabs(a / b - alpha / beta) > 0.05 * alpha / beta || fabs(a - alpha) > 0.2 * alpha)
        fail_msg("fitted alpha %g beta %g, true %g %g", a, b, alpha, beta);
    /* shrinkage lowers the error against the true rates */
    if (!(se_eb < max_ratio * se_raw))
        fail_msg("squared error: raw %g, shrunk %g", se_raw, se_eb);
}

static void test_fit_recovers_prior(void **state)
{
    (void)state;
    fit_case(2, 4, 10, 5000, 7, 0.8);     /* mean 0.5 per year, moderate spread (0.71) */
    fit_case(0.5, 2, 20, 5000, 11, 0.97); /* mean 0.25, wide spread, many zeros (0.91) */
    fit_case(8, 16, 5, 8000, 13, 0.4);    /* mean 0.5, narrow spread (0.24) */
}

static void test_fit_guards(void **state)
{
    (void)state;
    double a, b;
    const char *m;
    struct vg_error err;
    /* equal counts: no spread beyond Poisson, every site gets the pooled rate */
    double x[] = {3, 3, 3, 3}, t[] = {10, 10, 10, 10};
    assert_int_equal(vg_threat_fit(x, t, 4, &a, &b, &m, &err), 0);
    assert_string_equal(m, "pooled");
    assert_true(fabs((x[0] + a) / (t[0] + b) - 0.3) < 1e-5);
    /* all zero */
    double z[] = {0, 0, 0};
    assert_int_equal(vg_threat_fit(z, t, 3, &a, &b, &m, &err), 0);
    assert_string_equal(m, "pooled");
    assert_true(a == 0);
    /* nothing */
    assert_int_equal(vg_threat_fit(x, t, 0, &a, &b, &m, &err), 0);
    assert_string_equal(m, "empty");
    /* bad input */
    double bad[] = {-1};
    assert_int_equal(vg_threat_fit(bad, t, 1, &a, &b, &m, &err), VG_EINVAL);
    double zero_t[] = {0};
    assert_int_equal(vg_threat_fit(x, zero_t, 1, &a, &b, &m, &err), VG_EINVAL);
}

static void test_kernels(void **state)
{
    (void)state;
    assert_true(vg_kernel_weight(VG_KERNEL_EPANECHNIKOV, 25, 50) == 0.75);
    assert_true(vg_kernel_weight(VG_KERNEL_EPANECHNIKOV, 0, 50) == 1);
    assert_true(vg_kernel_weight(VG_KERNEL_EPANECHNIKOV, 50, 50) == 0);
    assert_true(vg_kernel_weight(VG_KERNEL_UNIFORM, 49.9, 50) == 1);
    assert_true(vg_kernel_weight(VG_KERNEL_UNIFORM, 50.1, 50) == 0);
    assert_true(fabs(vg_kernel_weight(VG_KERNEL_GAUSSIAN, 25, 50) - exp(-0.5)) < 1e-15);
    enum vg_kernel k;
    struct vg_error err;
    assert_int_equal(vg_kernel_parse("Gaussian", &k, &err), 0);
    assert_int_equal(k, VG_KERNEL_GAUSSIAN);
    assert_int_equal(vg_kernel_parse("box", &k, &err), VG_EINVAL);
}

static void test_target_kinds(void **state)
{
    (void)state;
    char path[TU_PATH_MAX];
    tu_data_path(path, "VG_SAMPLE_DATA", "../risk/target_kinds.csv");
    struct vg_target_kinds *tk = NULL;
    struct vg_error err;
    assert_int_equal(vg_target_kinds_load(path, &tk, &err), 0);
    assert_string_equal(vg_target_kinds_version(tk), "1");
    assert_true(vg_target_kinds_weight(tk, VG_SITE_AIRPORT, "Airports & Aircraft") == 1);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_AIRPORT, "airports & aircraft") == 1);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_AIRPORT, "Transportation") == 0);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_SUBWAY, "Transportation") == 1);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_MALL, "Business") == 1);
    vg_target_kinds_destroy(tk);
    const char *bad = "site_kind,target_type,weight\nharbour,Maritime,1\n";
    assert_int_equal(vg_target_kinds_parse(bad, strlen(bad), "b.csv", &tk, &err), VG_EINVAL);
    assert_int_equal(err.line, 2);
    const char *bad2 = "site_kind,target_type,weight\nairport,X,2\n";
    assert_int_equal(vg_target_kinds_parse(bad2, strlen(bad2), "b.csv", &tk, &err), VG_EFORMAT);
    const char *bad3 = "kind,target\n";
    assert_int_equal(vg_target_kinds_parse(bad3, strlen(bad3), "b.csv", &tk, &err), VG_EFORMAT);
    /* a kind and type listed twice, whatever the case, is refused (fuzz_targets found it) */
    const char *twice = "site_kind,target_type,weight\nmall,Business,1\nmall,business,0.5\n";
    assert_int_equal(vg_target_kinds_parse(twice, strlen(twice), "b.csv", &tk, &err), VG_EFORMAT);
    assert_int_equal(err.line, 3);
    assert_string_equal(err.message, "mall, business: listed twice (line 2 first)");
    /* the version comes from the comment line only, not from a row after it */
    const char *later = "# by hand\nsite_kind,target_type,weight,why\nmall,Business,1,version: 9\n";
    assert_int_equal(vg_target_kinds_parse(later, strlen(later), "b.csv", &tk, &err), 0);
    assert_string_equal(vg_target_kinds_version(tk), "");
    vg_target_kinds_destroy(tk);
    /* a quote in a comment does not take the lines after it into the comment */
    const char *quoted = "# reviewed,\"see codebook\nsite_kind,target_type,weight\n"
                         "airport,Airports & Aircraft,1\nmall,Business,0.5\n";
    assert_int_equal(vg_target_kinds_parse(quoted, strlen(quoted), "b.csv", &tk, &err), 0);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_AIRPORT, "Airports & Aircraft") == 1);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_MALL, "Business") == 0.5);
    vg_target_kinds_destroy(tk);
    /* a weight is a plain decimal number: no hexadecimal, no spaces, no sign */
    static const char *const weights[] = {"0x1p-1", " 0.5", "0.5 ", "+0.5", "-0", "nan", "", "."};
    for (size_t i = 0; i < sizeof(weights) / sizeof(weights[0]); i++) {
        char text[128];
        snprintf(text, sizeof(text), "site_kind,target_type,weight\nmall,Business,%s\n",
                 weights[i]);
        if (vg_target_kinds_parse(text, strlen(text), "b.csv", &tk, &err) != VG_EFORMAT)
            fail_msg("weight '%s' was taken", weights[i]);
        assert_int_equal(err.line, 2);
        assert_string_equal(err.column, "weight");
    }
    const char *fine = "site_kind,target_type,weight\nmall,Business,.5\nvenue,Business,1e-1\n";
    assert_int_equal(vg_target_kinds_parse(fine, strlen(fine), "b.csv", &tk, &err), 0);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_MALL, "Business") == 0.5);
    assert_true(vg_target_kinds_weight(tk, VG_SITE_VENUE, "Business") == 0.1);
    vg_target_kinds_destroy(tk);
    /* an empty target type is refused */
    const char *empty = "site_kind,target_type,weight\nmall,,1\n";
    assert_int_equal(vg_target_kinds_parse(empty, strlen(empty), "b.csv", &tk, &err), VG_EFORMAT);
    assert_string_equal(err.column, "target_type");
}

/* ---- hand-built sites and incidents ---- */

struct fx {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
    struct vg_target_kinds *tk;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct vg_error err;
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, "t.db");
    if (vg_store_open(f->db, 0, &f->s, &err) != 0)
        return -1;
    const char *tk = "# version: test\nsite_kind,target_type,weight\n"
                     "airport,Airports & Aircraft,1\nrailway,Transportation,1\n"
                     "railway,Business,0.5\n";
    if (vg_target_kinds_parse(tk, strlen(tk), "tk.csv", &f->tk, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    vg_target_kinds_destroy(f->tk);
    vg_store_close(f->s);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

#define KM_PER_DEG (6371.0088 * M_PI / 180.0)

/* Incidents north of (0, 0) at the given distances (along a meridian, so exact great-circle
 * distances), years 2000-2009. */
static void hand_data(struct fx *f)
{
    char csv[TU_PATH_MAX];
    char text[4096];
    int n = snprintf(text, sizeof(text),
                     "eventid,iyear,imonth,iday,latitude,longitude,targtype1_txt\n"
                     "1,2000,1,1,%.17g,0,Airports & Aircraft\n"      /* 25 km: 0.75 */
                     "2,2003,1,1,%.17g,0,Airports & Aircraft\n"      /* 10 km: 0.96 */
                     "3,2005,1,1,%.17g,0,Airports & Aircraft\n"      /* 60 km: outside */
                     "4,2009,1,1,%.17g,0,Transportation\n"           /* 25 km, not airport */
                     "5,2009,1,1,%.17g,0,Business\n"                 /* 20 km: rail 0.5 * 0.84 */
                     "6,2004,1,1,,,Airports & Aircraft\n"            /* no coordinates */
                     "7,2009,1,1,%.17g,179.9,Airports & Aircraft\n", /* near site C */
                     25 / KM_PER_DEG, 10 / KM_PER_DEG, 60 / KM_PER_DEG, 25 / KM_PER_DEG,
                     20 / KM_PER_DEG, 0.0);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    tu_write_str(tu_join(csv, f->dir, "inc.csv"), text);
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    if (vg_ingest_path(f->s, csv, NULL, &st, &err) != 0 || st.rejected)
        fail_msg("ingest: %s", err.message);
    /* A and B at the origin (airport, railway); C across the antimeridian from incident 7,
     * 0.2 degrees of longitude away on the equator: 22.24 km */
    const char *sites = "id,name,lat,lon,country\n"
                        "A,Origin Airport,0,0,\n"
                        "C,Dateline Airport,0,-179.9,\n";
    const char *rail = "id,name,lat,lon\nB,Origin Station,0,0\n";
    struct vg_sites_import_opts o = {0};
    o.kind = VG_SITE_AIRPORT;
    assert_int_equal(vg_sites_import_mem(f->s, sites, strlen(sites), "a.csv", &o, &st, &err), 0);
    o.kind = VG_SITE_RAILWAY;
    assert_int_equal(vg_sites_import_mem(f->s, rail, strlen(rail), "r.csv", &o, &st, &err), 0);
}

struct got {
    struct vg_threat t[8];
    int n;
};

static int collect(void *ctx, const struct vg_site *s, const struct vg_threat *t)
{
    struct got *g = ctx;
    assert_true(s->id == t->site_id);
    if (g->n < 8)
        g->t[g->n] = *t;
    g->n++;
    return 0;
}

static void check_hand_values(struct fx *f, int naive)
{
    struct vg_threat_opts o = {0};
    o.targets = f->tk;
    o.naive = naive;
    struct got g = {0};
    struct vg_error err;
    if (vg_threat_all(f->s, &o, collect, &g, &err) != 0)
        fail_msg("threat: %s", err.message);
    assert_int_equal(g.n, 3);
    /* sites in id order: A (1), C (2), B (3) */
    const struct vg_threat *a = &g.t[0], *c = &g.t[1], *b = &g.t[2];
    assert_true(a->t == 10); /* 2000-2009 */
    assert_int_equal(a->n_incidents, 2);
    assert_true(fabs(a->x - (0.75 + 0.96)) < 1e-9);
    double dc = 0.2 * KM_PER_DEG, wc = 1 - (dc / 50) * (dc / 50);
    assert_int_equal(c->n_incidents, 1);
    assert_true(fabs(c->x - wc) < 1e-9);
    assert_int_equal(b->n_incidents, 2);
    assert_true(fabs(b->x - (0.75 + 0.5 * 0.84)) < 1e-9);
    /* the two airports share the pool airport/world (no country, so no region) */
    assert_string_equal(a->pool, "airport/world");
    assert_string_equal(a->region, "world");
    assert_true(a->alpha == c->alpha && a->beta == c->beta);
    /* the posterior and the probability follow the formulas */
    for (int i = 0; i < 3; i++) {
        const struct vg_threat *t = &g.t[i];
        assert_true(fabs(t->lambda - (t->x + t->alpha) / (t->t + t->beta)) < 1e-15);
        assert_true(fabs(t->p_horizon - (1 - exp(-t->lambda))) < 1e-15);
        assert_true(fabs(t->rate_raw - t->x / 10) < 1e-15);
    }
    /* the airport pool by hand: x = 1.71 and 0.9555 over 10 years each; the spread is below
     * Poisson noise (var of the rates 0.00142 < mean rate / t 0.01333): the pooled rate */
    assert_string_equal(a->method, "pooled");
    double pooled = (a->x + c->x) / 20;
    assert_true(fabs(a->lambda - pooled) < 1e-5 && fabs(c->lambda - pooled) < 1e-5);
}

static void test_hand_values(void **state)
{
    struct fx *f = *state;
    hand_data(f);
    check_hand_values(f, 0);
    check_hand_values(f, 1);

    /* one site, a horizon of 5 years, the uniform kernel, years 2003-2009 */
    struct vg_threat_opts o = {0};
    o.targets = f->tk;
    o.horizon_years = 5;
    o.kernel = VG_KERNEL_UNIFORM;
    o.from_year = 2003;
    o.to_year = 2009;
    struct vg_threat t;
    struct vg_error err;
    assert_int_equal(vg_threat_site(f->s, &o, 1, &t, &err), 0);
    assert_true(t.t == 7);
    assert_int_equal(t.n_incidents, 1); /* the 10 km one of 2003 */
    assert_true(t.x == 1);
    assert_true(fabs(t.p_horizon - (1 - exp(-5 * t.lambda))) < 1e-15);
    /* a radius of 5 km: nothing near A */
    o.radius_km = 5;
    assert_int_equal(vg_threat_site(f->s, &o, 1, &t, &err), 0);
    assert_int_equal(t.n_incidents, 0);
    assert_int_equal(vg_threat_site(f->s, &o, 99, &t, &err), VG_ENOTFOUND);
    o.radius_km = 5000;
    assert_int_equal(vg_threat_site(f->s, &o, 1, &t, &err), VG_EINVAL);
}

struct many {
    double x[300], lambda[300];
    int64_t n[300];
    int k;
};

static int collect_many(void *ctx, const struct vg_site *s, const struct vg_threat *t)
{
    (void)s;
    struct many *g = ctx;
    if (g->k < 300) {
        g->x[g->k] = t->x;
        g->n[g->k] = t->n_incidents;
        g->lambda[g->k] = t->lambda;
    }
    g->k++;
    return 0;
}

/* Grid and naive scan agree on random sites and incidents all over the globe, poles and
 * antimeridian included. */
static void test_grid_matches_naive(void **state)
{
    struct fx *f = *state;
    struct vg_rand r;
    vg_rand_seed(&r, 42);
    char csv[TU_PATH_MAX];
    FILE *fp = fopen(tu_join(csv, f->dir, "rand.csv"), "w");
    assert_non_null(fp);
    fprintf(fp, "eventid,iyear,imonth,iday,latitude,longitude,targtype1_txt\n");
    for (int i = 0; i < 4000; i++) {
        /* half clustered near a few centres, half anywhere */
        double lat, lon;
        if (i % 2) {
            lat = asin(2 * vg_rand_double(&r) - 1) * 180 / M_PI;
            lon = 360 * vg_rand_double(&r) - 180;
        } else {
            static const double c[][2] = {{89.5, 0}, {0, 179.95}, {51.5, -0.1}, {-33.9, 151.2}};
            int k = (int)vg_rand_below(&r, 4);
            lat = c[k][0] + (vg_rand_double(&r) - 0.5);
            lon = c[k][1] + (vg_rand_double(&r) - 0.5) * 2;
            lat = lat > 90 ? 90 : lat;
            lon = lon > 180 ? lon - 360 : lon;
        }
        fprintf(fp, "%d,%d,1,1,%.6f,%.6f,%s\n", i, 2000 + (int)vg_rand_below(&r, 10), lat, lon,
                vg_rand_below(&r, 2) ? "Airports & Aircraft" : "Transportation");
    }
    fclose(fp);
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    assert_int_equal(vg_ingest_path(f->s, csv, NULL, &st, &err), 0);
    fp = fopen(tu_join(csv, f->dir, "sites.csv"), "w");
    fprintf(fp, "id,name,lat,lon\n");
    for (int i = 0; i < 300; i++) {
        double lat = i < 150 ? 90 * (2 * vg_rand_double(&r) - 1)
                             : (i % 2 ? 89 + vg_rand_double(&r) : 51.5 + vg_rand_double(&r));
        double lon = i % 3 ? 360 * vg_rand_double(&r) - 180 : 179.5 + vg_rand_double(&r) / 2;
        fprintf(fp, "s%d,Site %d,%.6f,%.6f\n", i, i, lat, lon);
    }
    fclose(fp);
    struct vg_sites_import_opts o = {0};
    o.kind = VG_SITE_AIRPORT;
    assert_int_equal(vg_sites_import_path(f->s, csv, &o, &st, &err), 0);
    for (int kern = 0; kern < 3; kern++) {
        struct many g[2];
        for (int naive = 0; naive < 2; naive++) {
            struct vg_threat_opts to = {0};
            to.targets = f->tk;
            to.naive = naive;
            to.kernel = (enum vg_kernel)kern;
            to.radius_km = 120;
            memset(&g[naive], 0, sizeof(g[naive]));
            assert_int_equal(vg_threat_all(f->s, &to, collect_many, &g[naive], &err), 0);
        }
        assert_int_equal(g[0].k, 300);
        assert_int_equal(g[1].k, 300);
        int64_t total = 0;
        for (int i = 0; i < 300; i++) {
            assert_int_equal(g[0].n[i], g[1].n[i]);
            assert_true(fabs(g[0].x[i] - g[1].x[i]) <= 1e-9 * (1 + g[1].x[i]));
            assert_true(fabs(g[0].lambda[i] - g[1].lambda[i]) <= 1e-9 * (1 + g[1].lambda[i]));
            total += g[0].n[i];
        }
        assert_true(total > 300); /* the test has incidents near the sites to find */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_recovers_prior),
        cmocka_unit_test(test_fit_guards),
        cmocka_unit_test(test_kernels),
        cmocka_unit_test(test_target_kinds),
        cmocka_unit_test_setup_teardown(test_hand_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grid_matches_naive, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
