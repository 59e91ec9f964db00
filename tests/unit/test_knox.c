/* test_knox.c - the Knox test and the near-repeat table (src/analyze/knox.c).
 *
 * The counts are checked against brute force over all pairs on random data, with coordinates on
 * an integer grid so that pairs lie exactly at the distance and the time span (the bounds are
 * inclusive); a small example is worked by hand; the Poisson tail is checked against values
 * computed to 60 digits with Python's decimal module (exact sums of the Poisson terms); the
 * Monte Carlo test against a brute-force recount of every permutation made as knox.h defines it,
 * and for independence of the thread count. The near-repeat table is checked cell by cell
 * against brute force with the haversine distance. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/knox.h"
#include "vigil/mem.h"
#include "vigil/rand.h"

#include <math.h>

/* ---- brute force ---- */

struct brute {
    uint64_t x, ns, nt;
};

static struct brute brute_knox(const double *x, const double *y, const double *t, size_t n,
                               double D, double T)
{
    struct brute b = {0, 0, 0};
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            double dx = x[i] - x[j], dy = y[i] - y[j];
            int s = dx * dx + dy * dy <= D * D;
            int c = fabs(t[i] - t[j]) <= T;
            b.ns += s;
            b.nt += c;
            b.x += s && c;
        }
    return b;
}

/* Permutation b of the times as knox.h defines it: Fisher-Yates in input order, stream b. */
static void shuffle(double *v, size_t n, uint64_t seed, uint64_t b)
{
    struct vg_rand r;
    vg_rand_seed_stream(&r, seed, b);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)vg_rand_below(&r, i + 1);
        double tmp = v[i];
        v[i] = v[j];
        v[j] = tmp;
    }
}

static struct vg_knox_opts opts(double D, double T, uint32_t B, uint64_t seed, unsigned threads)
{
    struct vg_knox_opts o;
    vg_knox_opts_init(&o);
    o.space = D;
    o.time = T;
    o.permutations = B;
    o.seed = seed;
    o.threads = threads;
    return o;
}

static void same_result(const struct vg_knox_result *a, const struct vg_knox_result *b)
{
    assert_int_equal(a->events, b->events);
    assert_int_equal(a->pairs, b->pairs);
    assert_int_equal(a->close_space, b->close_space);
    assert_int_equal(a->close_time, b->close_time);
    assert_int_equal(a->observed, b->observed);
    assert_true(a->expected == b->expected);
    assert_true(a->p_poisson == b->p_poisson);
    assert_int_equal(a->permutations, b->permutations);
    assert_int_equal(a->seed, b->seed);
    assert_int_equal(a->at_least, b->at_least);
    assert_true(a->p_monte_carlo == b->p_monte_carlo ||
                (isnan(a->p_monte_carlo) && isnan(b->p_monte_carlo)));
    assert_true(a->perm_mean == b->perm_mean || (isnan(a->perm_mean) && isnan(b->perm_mean)));
    assert_int_equal(a->perm_min, b->perm_min);
    assert_int_equal(a->perm_max, b->perm_max);
}

static void run_ok(const double *x, const double *y, const double *t, size_t n,
                   const struct vg_knox_opts *o, struct vg_knox_result *r, uint64_t *counts)
{
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_knox_run(x, y, t, n, o, r, counts, &err);
    if (rc)
        fail_msg("vg_knox_run: %d %s", rc, err.message);
}

/* ---- a hand-worked example ---- */

static void test_hand_example(void **state)
{
    (void)state;
    /* Five events, D = 1, T = 2:
     *
     *   event  x  y   t        pairs close in space (distance <= 1):
     *     A    0  0   0          A-B: distance 1 (exactly D: counts)
     *     B    1  0   1          C-D: distance 1
     *     C    0  3   2        every other pair is at least 3 apart.  N_s = 2
     *     D    0  4  10
     *     E    5  5   3        pairs close in time (|dt| <= 2):
     *                            A-B 1, A-C 2 (exactly T: counts), B-C 1, B-E 2, C-E 1.  N_t = 5
     *
     *   N = 5 * 4 / 2 = 10 pairs.  Close in both: A-B only (C-D is 8 days apart).  X = 1
     *   E = N_s * N_t / N = 2 * 5 / 10 = 1
     *   P(Y >= 1 | Poisson(1)) = 1 - P(Y = 0) = 1 - e^-1 = 0.63212055882855767 */
    const double x[] = {0, 1, 0, 0, 5}, y[] = {0, 0, 3, 4, 5}, t[] = {0, 1, 2, 10, 3};
    struct vg_knox_opts o = opts(1, 2, 0, 1, 1);
    struct vg_knox_result r;
    run_ok(x, y, t, 5, &o, &r, NULL);
    assert_int_equal(r.events, 5);
    assert_int_equal(r.pairs, 10);
    assert_int_equal(r.close_space, 2);
    assert_int_equal(r.close_time, 5);
    assert_int_equal(r.observed, 1);
    assert_true(r.expected == 1.0);
    assert_true(fabs(r.p_poisson - 0.63212055882855767) < 1e-15);
    assert_true(isnan(r.p_monte_carlo));

    /* T = 0: close in time means the same time; no two events share one. */
    o = opts(1, 0, 0, 1, 1);
    run_ok(x, y, t, 5, &o, &r, NULL);
    assert_int_equal(r.close_time, 0);
    assert_int_equal(r.observed, 0);
    assert_true(r.expected == 0.0);
    assert_true(r.p_poisson == 1.0); /* P(Y >= 0) */
}

/* ---- against brute force ---- */

static void check_against_brute(const double *x, const double *y, const double *t, size_t n,
                                double D, double T)
{
    struct brute b = brute_knox(x, y, t, n, D, T);
    struct vg_knox_opts o = opts(D, T, 0, 1, 1);
    struct vg_knox_result r;
    run_ok(x, y, t, n, &o, &r, NULL);
    if (r.close_space != b.ns || r.close_time != b.nt || r.observed != b.x)
        fail_msg("n %zu D %g T %g: got N_s %llu N_t %llu X %llu, brute force %llu %llu %llu", n, D,
                 T, (unsigned long long)r.close_space, (unsigned long long)r.close_time,
                 (unsigned long long)r.observed, (unsigned long long)b.ns, (unsigned long long)b.nt,
                 (unsigned long long)b.x);
    assert_int_equal(r.pairs, (uint64_t)n * (n - 1) / 2);
    double e = (double)b.ns * (double)b.nt / ((double)n * (n - 1) / 2);
    assert_true(fabs(r.expected - e) <= 1e-12 * (e > 1 ? e : 1));
}

static void test_brute_force_integer_grid(void **state)
{
    (void)state;
    enum { N = 700 };
    static double x[N], y[N], t[N];
    struct vg_rand r;
    vg_rand_seed(&r, 2024);
    for (size_t i = 0; i < N; i++) {
        /* Integer coordinates on a 60 x 60 grid and integer days: many pairs lie exactly at
         * distances 1, 5 (3-4-5), sqrt(50) and at exactly T days. */
        x[i] = (double)vg_rand_below(&r, 60);
        y[i] = (double)vg_rand_below(&r, 60);
        t[i] = (double)vg_rand_below(&r, 200);
    }
    const double Ds[] = {1, 2, 5, sqrt(50), 7.5, 30, 100};
    const double Ts[] = {0, 1, 3, 10.5, 50, 250};
    for (size_t i = 0; i < sizeof(Ds) / sizeof(Ds[0]); i++)
        for (size_t j = 0; j < sizeof(Ts) / sizeof(Ts[0]); j++)
            check_against_brute(x, y, t, N, Ds[i], Ts[j]);
}

static void test_brute_force_real_values(void **state)
{
    (void)state;
    enum { N = 900 };
    static double x[N], y[N], t[N];
    struct vg_rand r;
    vg_rand_seed(&r, 77);
    for (size_t i = 0; i < N; i++) {
        if (i % 3 == 0) { /* a third in tight clusters, some on the same spot */
            double cx = (double)(i % 7) * 100, cy = (double)(i % 5) * 100;
            x[i] = cx + (i % 9 == 0 ? 0 : vg_rand_double(&r) * 4 - 2);
            y[i] = cy + (i % 9 == 0 ? 0 : vg_rand_double(&r) * 4 - 2);
        } else {
            x[i] = vg_rand_double(&r) * 1000 - 500;
            y[i] = vg_rand_double(&r) * 1e3;
        }
        t[i] = vg_rand_double(&r) * 365.25 - 100;
    }
    const double Ds[] = {0.5, 3, 25, 0.001, 2000};
    const double Ts[] = {0, 0.25, 7, 30, 1000};
    for (size_t i = 0; i < sizeof(Ds) / sizeof(Ds[0]); i++)
        for (size_t j = 0; j < sizeof(Ts) / sizeof(Ts[0]); j++)
            check_against_brute(x, y, t, N, Ds[i], Ts[j]);
}

static void test_brute_force_extremes(void **state)
{
    (void)state;
    /* All events on one spot at one time: every pair is close. */
    double x[50], y[50], t[50];
    for (size_t i = 0; i < 50; i++)
        x[i] = y[i] = t[i] = 3;
    check_against_brute(x, y, t, 50, 1, 0);
    /* Coordinates far apart in magnitude: cells far beyond the clamp. */
    const double bx[] = {-1e300, 1e300, 0, 1e-300, 5e15, 5e15 + 1, 1e12, -1e12};
    const double by[] = {0, 0, 0, 0, 3, 3, 1e12, 1e12};
    const double bt[] = {0, 0, 0, 0, 1, 2, 3, 4};
    check_against_brute(bx, by, bt, 8, 1, 1);
    check_against_brute(bx, by, bt, 8, 1e-150, 10);
    check_against_brute(bx, by, bt, 8, 3e12, 10);
    /* Two events. */
    check_against_brute(bx + 4, by + 4, bt + 4, 2, 1, 1);
}

/* ---- the Poisson tail ---- */

static void test_poisson_tail(void **state)
{
    (void)state;
    static const struct {
        uint64_t k;
        double mean, want;
    } cases[] = {
        /* P(Y >= 5 | 2) = 1 - e^-2 (1 + 2 + 2 + 4/3 + 2/3) = 1 - 7 e^-2 */
        {5, 2, 0.05265301734371116},
        {1, 0.5, 0.39346934028736658},
        {3, 3, 0.57680991887315647},
        {10, 1, 1.1142547833872067e-07},
        {50, 5, 2.1810592140784887e-32},
        {100, 100, 0.5132987982791487},
        {1100, 1000, 0.00096263040586655718},
        {900, 1000, 0.99937740221572491},
        {101000, 100000, 0.000799801041554541},
        {102000, 100000, 1.4634507837249213e-10},
        {10005000, 10000000, 0.056950256797463301},
        {9995000, 10000000, 0.94310395992032026},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        double got = vg_knox_poisson_tail(cases[i].k, cases[i].mean);
        double rel = fabs(got - cases[i].want) / cases[i].want;
        if (rel > 1e-11)
            fail_msg("P(Y >= %llu | %g) = %.17g, expected %.17g (relative error %g)",
                     (unsigned long long)cases[i].k, cases[i].mean, got, cases[i].want, rel);
    }
    /* The value the issue names, to its six digits. */
    assert_true(fabs(vg_knox_poisson_tail(5, 2) - 0.052653) < 5e-7);
    assert_true(vg_knox_poisson_tail(0, 7) == 1.0);
    assert_true(vg_knox_poisson_tail(0, 0) == 1.0);
    assert_true(vg_knox_poisson_tail(1, 0) == 0.0);
    assert_true(vg_knox_poisson_tail(3, INFINITY) == 1.0);
    /* Deep in the upper tail the value underflows to 0, never to a negative or NaN. */
    double tiny = vg_knox_poisson_tail(118749, 17261.1236);
    assert_true(tiny >= 0 && tiny < 1e-300);
    /* Monotone in k. */
    double prev = 1;
    for (uint64_t k = 0; k < 3000; k += 7) {
        double p = vg_knox_poisson_tail(k, 1500);
        assert_true(p <= prev);
        prev = p;
    }
}

/* ---- Monte Carlo ---- */

enum { MC_N = 400, MC_B = 60 };

static void mc_data(double *x, double *y, double *t)
{
    struct vg_rand r;
    vg_rand_seed(&r, 31337);
    for (size_t i = 0; i < MC_N; i++) {
        /* Near repeats: the first half in pairs close in both space and time. */
        if (i < MC_N / 2 && i % 2 == 1) {
            x[i] = x[i - 1] + vg_rand_double(&r);
            y[i] = y[i - 1] + vg_rand_double(&r);
            t[i] = t[i - 1] + (double)vg_rand_below(&r, 3);
        } else {
            x[i] = vg_rand_double(&r) * 100;
            y[i] = vg_rand_double(&r) * 100;
            t[i] = (double)vg_rand_below(&r, 365);
        }
    }
}

static void test_monte_carlo_brute_force(void **state)
{
    (void)state;
    static double x[MC_N], y[MC_N], t[MC_N], tb[MC_N];
    uint64_t counts[MC_B];
    mc_data(x, y, t);
    struct vg_knox_opts o = opts(3, 2, MC_B, 42, 2);
    struct vg_knox_result r;
    run_ok(x, y, t, MC_N, &o, &r, counts);
    struct brute b = brute_knox(x, y, t, MC_N, 3, 2);
    assert_int_equal(r.observed, b.x);
    uint64_t at_least = 0, lo = UINT64_MAX, hi = 0;
    double sum = 0;
    for (uint64_t k = 0; k < MC_B; k++) {
        memcpy(tb, t, sizeof(t));
        shuffle(tb, MC_N, 42, k);
        struct brute bk = brute_knox(x, y, tb, MC_N, 3, 2);
        if (counts[k] != bk.x)
            fail_msg("permutation %llu: X_b %llu, brute force %llu", (unsigned long long)k,
                     (unsigned long long)counts[k], (unsigned long long)bk.x);
        assert_int_equal(bk.ns, b.ns); /* space is not shuffled */
        assert_int_equal(bk.nt, b.nt); /* nor the set of time gaps */
        at_least += bk.x >= b.x;
        sum += (double)bk.x;
        lo = bk.x < lo ? bk.x : lo;
        hi = bk.x > hi ? bk.x : hi;
    }
    assert_int_equal(r.at_least, at_least);
    assert_true(r.p_monte_carlo == (double)(1 + at_least) / (MC_B + 1));
    assert_true(fabs(r.perm_mean - sum / MC_B) < 1e-9);
    assert_int_equal(r.perm_min, lo);
    assert_int_equal(r.perm_max, hi);
    /* The planted near repeats: X well above E, both p-values small. */
    assert_true((double)r.observed > 2 * r.expected);
    assert_true(r.p_monte_carlo == 1.0 / (MC_B + 1));
    assert_true(r.p_poisson < 1e-6);
}

static void test_monte_carlo_reproducible(void **state)
{
    (void)state;
    static double x[MC_N], y[MC_N], t[MC_N];
    uint64_t c1[MC_B], c2[MC_B];
    mc_data(x, y, t);
    /* No near repeats in the second half alone: a p-value away from the floor. */
    const double *hx = x + MC_N / 2, *hy = y + MC_N / 2, *ht = t + MC_N / 2;
    size_t hn = MC_N / 2;
    struct vg_knox_result ref, r;
    struct vg_knox_opts o = opts(10, 20, MC_B, 7, 1);
    run_ok(hx, hy, ht, hn, &o, &ref, c1);
    assert_true(ref.p_monte_carlo > 1.0 / (MC_B + 1));
    for (unsigned threads = 1; threads <= 8; threads++) {
        o = opts(10, 20, MC_B, 7, threads);
        run_ok(hx, hy, ht, hn, &o, &r, c2);
        assert_memory_equal(c1, c2, sizeof(c1));
        same_result(&ref, &r);
    }
    /* threads 0: as many as there are processors; same result. */
    o = opts(10, 20, MC_B, 7, 0);
    run_ok(hx, hy, ht, hn, &o, &r, c2);
    same_result(&ref, &r);
    /* Another seed: other permutations. */
    o = opts(10, 20, MC_B, 8, 2);
    run_ok(hx, hy, ht, hn, &o, &r, c2);
    assert_true(memcmp(c1, c2, sizeof(c1)) != 0);
    assert_int_equal(r.observed, ref.observed);
    assert_true(r.expected == ref.expected);
}

/* ---- bad input to the library ---- */

static void expect_run_error(const double *x, const double *y, const double *t, size_t n,
                             const struct vg_knox_opts *o, int code, const char *needle)
{
    struct vg_error err;
    struct vg_knox_result r;
    memset(&r, 0x5a, sizeof(r));
    struct vg_knox_result before;
    memcpy(&before, &r, sizeof(r));
    vg_error_clear(&err);
    int rc = vg_knox_run(x, y, t, n, o, &r, NULL, &err);
    if (rc != code)
        fail_msg("expected error %d, got %d (%s)", code, rc, err.message);
    if (!strstr(err.message, needle))
        fail_msg("message \"%s\" does not name \"%s\"", err.message, needle);
    assert_memory_equal(&r, &before, sizeof(r)); /* untouched on failure */
}

static void test_run_errors(void **state)
{
    (void)state;
    const double x[] = {0, 1, 2}, y[] = {0, 0, 0}, t[] = {0, 1, 2};
    struct vg_knox_opts o = opts(1, 1, 10, 1, 1);
    expect_run_error(x, y, t, 0, &o, VG_EINVAL, "at least two events, found 0");
    expect_run_error(x, y, t, 1, &o, VG_EINVAL, "at least two events, found 1");
    o = opts(0, 1, 10, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "distance D");
    o = opts(-2, 1, 10, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "distance D");
    o = opts(NAN, 1, 10, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "distance D");
    o = opts(INFINITY, 1, 10, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "distance D");
    o = opts(1, -1, 10, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "time span T");
    o = opts(1, NAN, 10, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "time span T");
    o = opts(1, 1, VG_KNOX_MAX_PERMUTATIONS + 1, 1, 1);
    expect_run_error(x, y, t, 3, &o, VG_EINVAL, "permutations");
    const double bad[] = {0, NAN, 2}, inf[] = {0, 1, -INFINITY};
    o = opts(1, 1, 10, 1, 1);
    expect_run_error(bad, y, t, 3, &o, VG_EINVAL, "event 2");
    expect_run_error(x, y, inf, 3, &o, VG_EINVAL, "event 3");
    /* The cap on pairs close in space: three points, all within 5, cap 2. */
    o = opts(5, 1, 10, 1, 1);
    o.max_pairs = 2;
    expect_run_error(x, y, t, 3, &o, VG_ETOOBIG, "more than 2 pairs");
    o.max_pairs = 3;
    struct vg_knox_result r;
    run_ok(x, y, t, 3, &o, &r, NULL);
    assert_int_equal(r.close_space, 3);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    static double x[MC_N], y[MC_N], t[MC_N];
    mc_data(x, y, t);
    struct vg_knox_opts o = opts(3, 2, 5, 1, 1);
    struct vg_knox_result ref, r;
    run_ok(x, y, t, MC_N, &o, &ref, NULL);
    int succeeded = 0;
    for (long k = 0; k < 40 && !succeeded; k++) {
        struct vg_error err;
        vg_error_clear(&err);
        vg_mem_fail_after(k);
        int rc = vg_knox_run(x, y, t, MC_N, &o, &r, NULL, &err);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            same_result(&r, &ref);
        } else {
            assert_int_equal(rc, VG_ENOMEM);
        }
    }
    assert_true(succeeded);
}

static void test_allocation_failures_table_and_read(void **state)
{
    (void)state;
    const double lat[] = {0, 0, 0, 0, 0.01, 1}, lon[] = {0, 0, 0.001, 1, 0, 1};
    const int32_t day[] = {0, 0, 3, 8, 20, 40};
    struct vg_knox_table_opts o;
    vg_knox_table_opts_init(&o);
    o.band_km = 1;
    o.band_days = 7;
    o.permutations = 5;
    o.threads = 2;
    int succeeded = 0;
    for (long k = 0; k < 60 && !succeeded; k++) {
        struct vg_knox_table *t = NULL;
        struct vg_error err;
        vg_error_clear(&err);
        vg_mem_fail_after(k);
        int rc = vg_knox_table_create(lat, lon, day, 6, &o, &t, &err);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            assert_int_equal(t->pairs, 15);
        } else {
            assert_int_equal(rc, VG_ENOMEM);
            assert_null(t);
        }
        vg_knox_table_destroy(t);
    }
    assert_true(succeeded);

    char *dir = tu_mkdtemp();
    char path[TU_PATH_MAX];
    tu_join(path, dir, "events.csv");
    tu_write_str(path, "x,y,t\n1,2,3\n4,5,6\n7,8,9\n");
    succeeded = 0;
    for (long k = 0; k < 40 && !succeeded; k++) {
        struct vg_knox_events e;
        struct vg_error err;
        vg_knox_events_init(&e);
        vg_error_clear(&err);
        vg_mem_fail_after(k);
        int rc = vg_knox_read_path(path, &e, &err);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            succeeded = 1;
            assert_int_equal(e.n, 3);
        } else {
            assert_int_equal(rc, VG_ENOMEM);
        }
        vg_knox_events_cleanup(&e);
    }
    assert_true(succeeded);
    tu_rmtree(dir);
    free(dir);
}

/* ---- reading CSV ---- */

struct tmp {
    char *dir;
    char path[TU_PATH_MAX];
};

static const char *write_csv(struct tmp *tm, const char *text)
{
    tu_join(tm->path, tm->dir, "events.csv");
    tu_write_str(tm->path, text);
    return tm->path;
}

static void expect_read_error(struct tmp *tm, const char *text, long line, const char *column,
                              const char *needle)
{
    struct vg_knox_events e;
    struct vg_error err;
    vg_knox_events_init(&e);
    vg_error_clear(&err);
    const char *path = write_csv(tm, text);
    int rc = vg_knox_read_path(path, &e, &err);
    vg_knox_events_cleanup(&e);
    if (rc != VG_EFORMAT)
        fail_msg("reading \"%s\": expected VG_EFORMAT, got %d (%s)", text, rc, err.message);
    assert_string_equal(err.file, path);
    if (err.line != line)
        fail_msg("reading \"%s\": error on line %ld, expected %ld (%s)", text, err.line, line,
                 err.message);
    assert_string_equal(err.column, column);
    if (!strstr(err.message, needle))
        fail_msg("reading \"%s\": message \"%s\" does not name \"%s\"", text, err.message, needle);
}

static void test_read_csv(void **state)
{
    (void)state;
    struct tmp tm;
    tm.dir = tu_mkdtemp();
    struct vg_knox_events e;
    struct vg_error err;
    vg_error_clear(&err);

    /* Columns by name, any order and case, others ignored; blank lines skipped. */
    vg_knox_events_init(&e);
    const char *path = write_csv(&tm, "id,T, Y ,note,X\n1,10,2.5,\"a, b\",-1\n\n2,11.5,3,,1e3\n");
    assert_int_equal(vg_knox_read_path(path, &e, &err), 0);
    assert_int_equal(e.n, 2);
    assert_true(e.x[0] == -1 && e.y[0] == 2.5 && e.t[0] == 10);
    assert_true(e.x[1] == 1000 && e.y[1] == 3 && e.t[1] == 11.5);
    vg_knox_events_cleanup(&e);

    /* A header alone is zero events (the caller decides that is too few). */
    vg_knox_events_init(&e);
    path = write_csv(&tm, "x,y,t\n");
    assert_int_equal(vg_knox_read_path(path, &e, &err), 0);
    assert_int_equal(e.n, 0);
    vg_knox_events_cleanup(&e);

    expect_read_error(&tm, "", 0, "", "empty");
    expect_read_error(&tm, "x,y,time\n1,2,3\n", 1, "", "no column named t");
    expect_read_error(&tm, "a;b\n", 1, "", "no column named x");
    expect_read_error(&tm, "x,y,t,x\n1,2,3,4\n", 1, "x", "twice");
    expect_read_error(&tm, "x,y,t\n1,2,3\n4,abc,6\n", 3, "y", "'abc': not a number");
    expect_read_error(&tm, "x,y,t\n1,2,\n", 2, "t", "empty value");
    expect_read_error(&tm, "x,y,t\n1,2,3\n1,2,3x\n", 3, "t", "not a number");
    expect_read_error(&tm, "x,y,t\nnan,2,3\n", 2, "x", "NaN");
    expect_read_error(&tm, "x,y,t\n1,2,NaN\n", 2, "t", "NaN");
    expect_read_error(&tm, "x,y,t\n1,inf,3\n", 2, "y", "not a finite number");
    expect_read_error(&tm, "x,y,t\n1,2,-Infinity\n", 2, "t", "not a finite number");
    expect_read_error(&tm, "x,y,t\n1e999,2,3\n", 2, "x", "not a finite number");
    expect_read_error(&tm, "x,y,t\n1,2,3\n1,2\n", 3, "", "expected 3 fields");
    expect_read_error(&tm, "x,y,t\n1,2,3,4\n", 2, "", "expected 3 fields");

    /* A file that cannot be opened: VG_EIO naming it. */
    vg_knox_events_init(&e);
    char missing[TU_PATH_MAX];
    tu_join(missing, tm.dir, "missing.csv");
    assert_int_equal(vg_knox_read_path(missing, &e, &err), VG_EIO);
    assert_string_equal(err.file, missing);
    assert_int_equal(vg_knox_read_path(tm.dir, &e, &err), VG_EINVAL);
    vg_knox_events_cleanup(&e);

    /* Adding events: only finite values. */
    vg_knox_events_init(&e);
    assert_int_equal(vg_knox_events_add(&e, 1, 2, 3, &err), 0);
    assert_int_equal(vg_knox_events_add(&e, NAN, 2, 3, &err), VG_EINVAL);
    assert_int_equal(e.n, 1);
    vg_knox_events_cleanup(&e);
    vg_knox_events_cleanup(NULL);

    tu_rmtree(tm.dir);
    free(tm.dir);
}

/* ---- the near-repeat table ---- */

static void test_haversine(void **state)
{
    (void)state;
    const double deg = M_PI / 180 * VG_EARTH_RADIUS_KM; /* one degree of a great circle */
    assert_true(fabs(vg_knox_haversine(0, 0, 0, 1) - deg) < 1e-9);
    assert_true(fabs(vg_knox_haversine(10, 20, 11, 20) - deg) < 1e-9);
    assert_true(fabs(vg_knox_haversine(0, 179.5, 0, -179.5) - deg) < 1e-9);
    assert_true(fabs(vg_knox_haversine(90, 0, -90, 0) - M_PI * VG_EARTH_RADIUS_KM) < 1e-9);
    assert_true(vg_knox_haversine(33.3, 44.4, 33.3, 44.4) == 0);
    /* At 60 degrees north a degree of longitude is about half a degree of latitude. */
    double d = vg_knox_haversine(60, 0, 60, 1);
    assert_true(d > 0.499 * deg && d < 0.501 * deg);
}

static struct vg_knox_table *table_ok(const double *lat, const double *lon, const int32_t *day,
                                      size_t n, const struct vg_knox_table_opts *o)
{
    struct vg_knox_table *t = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_knox_table_create(lat, lon, day, n, o, &t, &err);
    if (rc)
        fail_msg("vg_knox_table_create: %d %s", rc, err.message);
    return t;
}

/* The cell of a pair by brute force: row from the haversine distance, column from the days. */
static size_t brute_cell(double d, int64_t dt, const struct vg_knox_table_opts *o)
{
    uint32_t S = o->space_bands, K = o->time_bands, row, col;
    if (d == 0)
        row = 0;
    else if (d > S * o->band_km)
        row = S + 1;
    else
        for (row = 1; d > row * o->band_km; row++)
            ;
    if (dt < 0)
        dt = -dt;
    if (dt > (int64_t)K * o->band_days)
        col = K;
    else
        for (col = 0; dt > (int64_t)(col + 1) * o->band_days; col++)
            ;
    return (size_t)row * (K + 1) + col;
}

static void test_table_against_brute_force(void **state)
{
    (void)state;
    enum { N = 300 };
    static double lat[N], lon[N];
    static int32_t day[N], dayb[N];
    struct vg_rand r;
    vg_rand_seed(&r, 5);
    for (size_t i = 0; i < N; i++) {
        if (i % 10 == 0 && i) { /* some on the same spot as the one before */
            lat[i] = lat[i - 1];
            lon[i] = lon[i - 1];
        } else {
            lat[i] = 33.2 + vg_rand_double(&r) * 0.1;
            lon[i] = 44.3 + vg_rand_double(&r) * 0.1;
        }
        day[i] = 15000 + (int32_t)vg_rand_below(&r, 120);
    }
    lat[N - 1] = -89.99; /* far away, near a pole */
    lon[N - 1] = 179.99;
    struct vg_knox_table_opts o;
    vg_knox_table_opts_init(&o);
    o.band_km = 1;
    o.space_bands = 4;
    o.band_days = 7;
    o.time_bands = 3;
    o.permutations = 20;
    o.seed = 99;
    o.threads = 2;
    struct vg_knox_table *t = table_ok(lat, lon, day, N, &o);
    assert_int_equal(t->rows, 6);
    assert_int_equal(t->cols, 4);
    assert_int_equal(t->pairs, N * (N - 1) / 2);
    size_t ncells = 24;
    uint64_t obs[24] = {0}, sum[24] = {0}, ge[24] = {0}, total = 0;
    for (size_t i = 0; i < N; i++)
        for (size_t j = i + 1; j < N; j++)
            obs[brute_cell(vg_knox_haversine(lat[i], lon[i], lat[j], lon[j]),
                           (int64_t)day[i] - day[j], &o)]++;
    for (size_t c = 0; c < ncells; c++) {
        if (t->cells[c].observed != obs[c])
            fail_msg("cell %zu: observed %llu, brute force %llu", c,
                     (unsigned long long)t->cells[c].observed, (unsigned long long)obs[c]);
        total += obs[c];
    }
    assert_int_equal(total, t->pairs);
    assert_true(obs[0] > 0); /* the same-location row is not empty */
    /* The expected counts: the brute-force mean over the permutations defined in knox.h. */
    for (uint32_t b = 0; b < o.permutations; b++) {
        struct vg_rand g;
        memcpy(dayb, day, sizeof(day));
        vg_rand_seed_stream(&g, o.seed, b);
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t)vg_rand_below(&g, i + 1);
            int32_t tmp = dayb[i];
            dayb[i] = dayb[j];
            dayb[j] = tmp;
        }
        uint64_t cnt[24] = {0};
        for (size_t i = 0; i < N; i++)
            for (size_t j = i + 1; j < N; j++)
                cnt[brute_cell(vg_knox_haversine(lat[i], lon[i], lat[j], lon[j]),
                               (int64_t)dayb[i] - dayb[j], &o)]++;
        for (size_t c = 0; c < ncells; c++) {
            sum[c] += cnt[c];
            ge[c] += cnt[c] >= obs[c];
        }
    }
    for (size_t c = 0; c < ncells; c++) {
        const struct vg_knox_cell *x = &t->cells[c];
        assert_true(fabs(x->expected - (double)sum[c] / o.permutations) < 1e-9);
        assert_int_equal(x->at_least, ge[c]);
        assert_true(x->p == (double)(1 + ge[c]) / (o.permutations + 1));
        if (sum[c])
            assert_true(fabs(x->ratio - obs[c] / x->expected) < 1e-12);
        else
            assert_true(isnan(x->ratio));
    }
    /* Thread count does not matter. */
    for (unsigned th = 1; th <= 4; th++) {
        o.threads = th;
        struct vg_knox_table *u = table_ok(lat, lon, day, N, &o);
        assert_memory_equal(u->cells, t->cells, ncells * sizeof(*t->cells));
        vg_knox_table_destroy(u);
    }
    vg_knox_table_destroy(t);
    vg_knox_table_destroy(NULL);
}

/* Table options: bands of W km (S of them) and of T days (K of them), B permutations, one
 * thread. */
static struct vg_knox_table_opts table_opts(double W, uint32_t S, uint32_t T, uint32_t K,
                                            uint32_t B)
{
    struct vg_knox_table_opts o;
    vg_knox_table_opts_init(&o);
    o.band_km = W;
    o.space_bands = S;
    o.band_days = T;
    o.time_bands = K;
    o.permutations = B;
    o.threads = 1;
    return o;
}

static void test_table_hand_example(void **state)
{
    (void)state;
    /* Four incidents on the equator, a degree of longitude = 111.195 km:
     *   A (0, 0)      day 0       A-B: same location, 0 days      -> same location, 0-7 days
     *   B (0, 0)      day 0       A-C, B-C: 0.001 deg = 0.111 km, 3 days -> 0-1 km, 0-7 days
     *   C (0, 0.001)  day 3       A-D, B-D: 111 km, 8 days       -> beyond 2 km, 8-14 days
     *   D (0, 1)      day 8       C-D: 111 km, 5 days            -> beyond 2 km, 0-7 days
     * With W = 1 km, S = 2, T = 7 days, K = 2. */
    const double lat[] = {0, 0, 0, 0}, lon[] = {0, 0, 0.001, 1};
    const int32_t day[] = {0, 0, 3, 8};
    struct vg_knox_table_opts o = table_opts(1, 2, 7, 2, 30);
    struct vg_knox_table *t = table_ok(lat, lon, day, 4, &o);
    static const uint64_t want[4][3] = {
        {1, 0, 0}, /* same location */
        {2, 0, 0}, /* 0-1 km */
        {0, 0, 0}, /* 1-2 km */
        {1, 2, 0}, /* beyond 2 km */
    };
    for (uint32_t r = 0; r < 4; r++)
        for (uint32_t c = 0; c < 3; c++)
            assert_int_equal(t->cells[r * 3 + c].observed, want[r][c]);
    /* Shuffling the days moves no incident, so every permutation keeps each row's total: each
     * row's expected counts add up to its observed total, and all of them to the 6 pairs. */
    double all = 0;
    for (uint32_t r = 0; r < 4; r++) {
        double row = 0;
        uint64_t obs = 0;
        for (uint32_t c = 0; c < 3; c++) {
            row += t->cells[r * 3 + c].expected;
            obs += t->cells[r * 3 + c].observed;
        }
        assert_true(fabs(row - (double)obs) < 1e-9);
        all += row;
    }
    assert_true(fabs(all - 6) < 1e-9);
    vg_knox_table_destroy(t);
}

static void test_table_antimeridian_and_poles(void **state)
{
    (void)state;
    /* The same place written two ways: 10,180 and 10,-180; the north pole at longitudes 0 and
     * 120; the south pole at -45 and 180. Each pair is "the same location", not 0-1 km. */
    const double lat[] = {10, 10, 90, 90, -90, -90}, lon[] = {180, -180, 0, 120, -45, 180};
    const int32_t day[] = {0, 0, 0, 0, 0, 0};
    struct vg_knox_table_opts o = table_opts(1, 1, 1, 1, 9);
    struct vg_knox_table *t = table_ok(lat, lon, day, 6, &o);
    /* rows: same location, 0-1 km, beyond; columns: 0-1 day, beyond */
    assert_int_equal(t->cells[0 * 2 + 0].observed, 3);
    assert_int_equal(t->cells[1 * 2 + 0].observed, 0);
    assert_int_equal(t->cells[2 * 2 + 0].observed, 12);
    vg_knox_table_destroy(t);
}

static void test_distance_too_small_for_the_spread(void **state)
{
    (void)state;
    /* 3,000 events spread over 1,000,000 units and a distance of 1e-9: the grid would need 10^15
     * cells a side, its edge cells are merged, and all 4.5 million pairs in them would be
     * compared one by one. With a cap of 1,000 close pairs that is refused at once. */
    enum { N3 = 3000 };
    static double x[N3], y[N3], t[N3];
    for (int i = 0; i < N3; i++)
        x[i] = i * (1e6 / N3), y[i] = 0, t[i] = i;
    struct vg_knox_opts o;
    vg_knox_opts_init(&o);
    o.space = 1e-9;
    o.time = 1;
    o.permutations = 9;
    o.max_pairs = 1000;
    struct vg_knox_result r;
    struct vg_error err;
    vg_error_clear(&err);
    int krc = vg_knox_run(x, y, t, N3, &o, &r, NULL, &err);
    if (krc != VG_ETOOBIG)
        fail_msg("run: %d %s", krc, err.message);
    assert_non_null(strstr(err.message, "too small for how far apart the events are"));
    /* Events all at one spot fill one sound cell: their pairs are close, and past the cap the
     * message says the distance is too large for them, not too small. */
    static double same[N3];
    int same_rc = vg_knox_run(same, same, t, N3, &o, &r, NULL, &err);
    assert_int_equal(same_rc, VG_ETOOBIG);
    assert_null(strstr(err.message, "too small"));
    assert_non_null(strstr(err.message, "1000 pairs"));
    /* The same events with a distance that suits them: no pair is close, and it runs. */
    o.space = 1;
    assert_int_equal(vg_knox_run(x, y, t, N3, &o, &r, NULL, &err), 0);
    assert_int_equal(r.close_space, 0);
    /* A distance whose square is not a normal number: refused (1.5e-170 apart would be close). */
    o.space = 1e-170;
    assert_int_equal(vg_knox_run(x, y, t, 3, &o, &r, NULL, &err), VG_EINVAL);
    /* On the sphere: a band of a millionth of a millimetre for 100 events across the globe. */
    enum { NS = 100 };
    double lat[NS], lon[NS];
    int32_t day[NS];
    for (int i = 0; i < NS; i++)
        lat[i] = -80 + 1.6 * i, lon[i] = -179 + 3.58 * i, day[i] = i;
    struct vg_knox_table_opts to = table_opts(1e-12, 1, 1, 1, 9);
    to.max_pairs = 10;
    struct vg_knox_table *tab = NULL;
    int trc = vg_knox_table_create(lat, lon, day, NS, &to, &tab, &err);
    if (trc != VG_ETOOBIG)
        fail_msg("table: %d %s", trc, err.message);
    assert_null(tab);
}

static void test_permutation_work_capped(void **state)
{
    (void)state;
    /* 2,000 events at one spot: 1,999,000 pairs close in space, each within both caps; with
     * 100,000 permutations that is 2e11 steps, refused before any is taken. */
    enum { NW = 2000 };
    static double x[NW], y[NW], t[NW];
    static double lat[NW], lon[NW];
    static int32_t day[NW];
    for (int i = 0; i < NW; i++)
        x[i] = y[i] = lat[i] = lon[i] = 0, t[i] = day[i] = i % 50;
    struct vg_knox_opts o;
    vg_knox_opts_init(&o);
    o.space = 1;
    o.time = 1;
    o.permutations = VG_KNOX_MAX_PERMUTATIONS;
    struct vg_knox_result r;
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_knox_run(x, y, t, NW, &o, &r, NULL, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "1999000 pairs close in space times 100000 permutations"));
    struct vg_knox_table_opts to = table_opts(1, 1, 1, 1, VG_KNOX_MAX_PERMUTATIONS);
    struct vg_knox_table *tab = NULL;
    assert_int_equal(vg_knox_table_create(lat, lon, day, NW, &to, &tab, &err), VG_ETOOBIG);
    assert_null(tab);
    /* 9 permutations of the same: 1.8e7 steps, fine */
    o.permutations = 9;
    o.threads = 1;
    assert_int_equal(vg_knox_run(x, y, t, NW, &o, &r, NULL, &err), 0);
    assert_int_equal(r.close_space, 1999000);
}

static void test_table_errors(void **state)
{
    (void)state;
    const double lat[] = {0, 1, 95}, lon[] = {0, 1, 0};
    const int32_t day[] = {0, 1, 2};
    struct vg_knox_table_opts o;
    struct vg_knox_table *t = NULL;
    struct vg_error err;
    vg_error_clear(&err);
#define BAD(field, value, code, needle)                                                            \
    do {                                                                                           \
        vg_knox_table_opts_init(&o);                                                               \
        o.band_km = 1;                                                                             \
        o.band_days = 7;                                                                           \
        o.field = value;                                                                           \
        assert_int_equal(vg_knox_table_create(lat, lon, day, 2, &o, &t, &err), code);              \
        assert_null(t);                                                                            \
        assert_non_null(strstr(err.message, needle));                                              \
    } while (0)
    BAD(band_km, 0, VG_EINVAL, "distance band");
    BAD(band_km, -1, VG_EINVAL, "distance band");
    BAD(band_km, NAN, VG_EINVAL, "distance band");
    BAD(space_bands, 0, VG_EINVAL, "bands");
    BAD(time_bands, VG_KNOX_MAX_BANDS + 1, VG_EINVAL, "bands");
    BAD(band_days, 0, VG_EINVAL, "time band");
    BAD(permutations, 0, VG_EINVAL, "permutations");
#undef BAD
    vg_knox_table_destroy(t);
    t = NULL;
    vg_knox_table_opts_init(&o);
    o.band_km = 1;
    o.band_days = 7;
    assert_int_equal(vg_knox_table_create(lat, lon, day, 1, &o, &t, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "at least two events"));
    assert_int_equal(vg_knox_table_create(lat, lon, day, 3, &o, &t, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "event 3"));
    /* The cap on pairs. */
    const double same[] = {1, 1, 1};
    o.max_pairs = 2;
    assert_int_equal(vg_knox_table_create(same, same, day, 3, &o, &t, &err), VG_ETOOBIG);
    assert_null(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_example),
        cmocka_unit_test(test_brute_force_integer_grid),
        cmocka_unit_test(test_brute_force_real_values),
        cmocka_unit_test(test_brute_force_extremes),
        cmocka_unit_test(test_poisson_tail),
        cmocka_unit_test(test_monte_carlo_brute_force),
        cmocka_unit_test(test_monte_carlo_reproducible),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_allocation_failures_table_and_read),
        cmocka_unit_test(test_read_csv),
        cmocka_unit_test(test_haversine),
        cmocka_unit_test(test_table_against_brute_force),
        cmocka_unit_test(test_table_hand_example),
        cmocka_unit_test(test_table_antimeridian_and_poles),
        cmocka_unit_test(test_distance_too_small_for_the_spread),
        cmocka_unit_test(test_permutation_work_capped),
        cmocka_unit_test(test_table_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
