/* test_surge.c - surge detection (src/analyze/surge.c) on small series written here.
 *
 * Every expected figure is worked out by hand in the comment above its check: the series are
 * chosen so that the baselines have round means and standard deviations (a baseline such as
 * 0 2 0 2 0 2 1 has mean 1 and sample sd sqrt(6 / 6) = 1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/surge.h"

#include <math.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define EPS 1e-9

static void near(double got, double want, const char *what, size_t t)
{
    if (!(fabs(got - want) <= EPS * (1 + fabs(want))))
        fail_msg("%s at t=%zu: got %.12g, expected %.12g", what, t, got, want);
}

static void run(enum vg_surge_method m, const struct vg_surge_params *p, const double *x, size_t n,
                struct vg_surge_point *out)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_surge_run(m, p, x, n, out, &err) != 0)
        fail_msg("%s: %s", vg_surge_method_name(m), err.message);
}

static void test_defaults(void **state)
{
    (void)state;
    struct vg_surge_params p;
    vg_surge_params_init(&p);
    assert_int_equal(p.baseline, 8);
    assert_int_equal(p.guard, 2);
    near(p.delta, 2, "delta", 0);
    near(p.h, 5, "h", 0);
    near(p.min_mean, 0.5, "min_mean", 0);
    near(p.lambda, 0.2, "lambda", 0);
    near(p.L, 3, "L", 0);
    near(p.min_sd, 1, "min_sd", 0);
    near(p.c_limit, 3, "c_limit", 0);
    near(p.c3_limit, 2, "c3_limit", 0);
    assert_int_equal(vg_surge_params_check(&p, NULL), 0);
    assert_int_equal(vg_surge_history(VG_SURGE_CUSUM, &p), 10);
    assert_int_equal(vg_surge_history(VG_SURGE_EWMA, &p), 10);
    assert_int_equal(vg_surge_history(VG_SURGE_EARS_C1, &p), 7);
    assert_int_equal(vg_surge_history(VG_SURGE_EARS_C2, &p), 9);
    assert_int_equal(vg_surge_history(VG_SURGE_EARS_C3, &p), 11);
}

static void test_cusum_step(void **state)
{
    (void)state;
    /* A step from 4 to 9. baseline 4, guard 2: the baseline of t is x[t-6] .. x[t-3], so t = 6
     * is the first period tested.
     *   t = 6, 7, 8: baseline 4 4 4 4, mu0 = 4, mu1 = 4 + 2 sqrt(4) = 8,
     *                k = (8 - 4) / (ln 8 - ln 4) = 4 / ln 2 = 5.770780163555854
     *   t = 6: S = 0 + 9 - k        = 3.229219836444146   < 5
     *   t = 7: S = 3.2292 + 9 - k   = 6.458439672888292  >= 5: alarm, S restarts at 0
     *   t = 8: S = 0 + 9 - k        = 3.229219836444146   < 5
     *   t = 9: baseline 4 4 4 9, mu0 = 5.25, mu1 = 5.25 + 2 sqrt(5.25) = 9.832576,
     *          k = 4.582576 / ln(9.832576 / 5.25) = 7.303225495538457,
     *          S = max(0, 3.2292 + 4 - 7.3032) = 0 */
    const double x[] = {4, 4, 4, 4, 4, 4, 9, 9, 9, 4};
    struct vg_surge_params p;
    struct vg_surge_point out[N(x)];
    vg_surge_params_init(&p);
    p.baseline = 4;
    p.guard = 2;
    run(VG_SURGE_CUSUM, &p, x, N(x), out);
    for (size_t t = 0; t < 6; t++) {
        assert_int_equal(out[t].tested, 0);
        assert_int_equal(out[t].alarm, 0);
        assert_true(isnan(out[t].score));
    }
    const double k = 4 / log(2);
    const double score[] = {9 - k, 2 * (9 - k), 9 - k, 0};
    const int alarm[] = {0, 1, 0, 0};
    const double expected[] = {4, 4, 4, 5.25};
    for (size_t t = 6; t < N(x); t++) {
        assert_int_equal(out[t].tested, 1);
        near(out[t].score, score[t - 6], "S", t);
        near(out[t].expected, expected[t - 6], "mu0", t);
        near(out[t].threshold, 5, "h", t);
        assert_int_equal(out[t].alarm, alarm[t - 6]);
    }
    near(out[6].score, 3.229219836444146, "S", 6);
    near(out[7].score, 6.458439672888292, "S", 7);

    /* h = 7: no alarm at t = 7 (6.458 < 7), so S goes on: t = 8: 6.4584 + 9 - k = 9.687659
     * >= 7, alarm and reset; t = 9: max(0, 0 + 4 - 7.3032) = 0. */
    p.h = 7;
    run(VG_SURGE_CUSUM, &p, x, N(x), out);
    assert_int_equal(out[7].alarm, 0);
    near(out[8].score, 3 * (9 - k), "S", 8);
    assert_int_equal(out[8].alarm, 1);
    near(out[9].score, 0, "S", 9);

    /* A shift too small to tell from mu0 (delta 1e-20): k is mu0 itself, not 0/0, so the
     * scores stay numbers: S = 9 - 4 = 5 at t = 6 (an alarm at h = 5), and so on. */
    p.h = 5;
    p.delta = 1e-20;
    run(VG_SURGE_CUSUM, &p, x, N(x), out);
    for (size_t t = 6; t < N(x); t++)
        assert_true(isfinite(out[t].score));
    near(out[6].score, 5, "S", 6);
    assert_int_equal(out[6].alarm, 1);
    near(out[7].score, 5, "S", 7);
}

static void test_cusum_zero_baseline(void **state)
{
    (void)state;
    /* A baseline of zeros: mu0 = 0 is floored at min_mean = 0.5 so that k exists.
     *   t = 4: baseline 0 0 0 0, m = 0.5, mu1 = 0.5 + 2 sqrt(0.5) = 1.914214,
     *          k = 1.414214 / ln(3.828427) = 1.053453983105896, S = 3 - k = 1.946546016894104
     *   t = 5: baseline 0 0 0 3, mu0 = 0.75, mu1 = 0.75 + 2 sqrt(0.75) = 2.482051,
     *          k = 1.732051 / ln(3.309401) = 1.447274595228084, S = 1.9465 + 3 - k = 3.499271
     *   t = 6: baseline 0 0 3 3, mu0 = 1.5, mu1 = 1.5 + 2 sqrt(1.5) = 3.949490,
     *          k = 2.449490 / ln(2.632993) = 2.530147601067472, S = 3.4993 + 0 - k = 0.969124 */
    const double x[] = {0, 0, 0, 0, 3, 3, 0};
    struct vg_surge_params p;
    struct vg_surge_point out[N(x)];
    vg_surge_params_init(&p);
    p.baseline = 4;
    p.guard = 0;
    run(VG_SURGE_CUSUM, &p, x, N(x), out);
    near(out[4].expected, 0, "mu0", 4);
    near(out[4].score, 1.9465460168941036, "S", 4);
    near(out[5].expected, 0.75, "mu0", 5);
    near(out[5].score, 3.4992714216660192, "S", 5);
    near(out[6].expected, 1.5, "mu0", 6);
    near(out[6].score, 0.9691238205985471, "S", 6);
    for (size_t t = 4; t < N(x); t++)
        assert_int_equal(out[t].alarm, 0);
}

static void test_ewma_limits(void **state)
{
    (void)state;
    /* A flat baseline of 5: sd 0 is floored at min_sd = 1, and Z stays at 5. The limit is
     * 5 + 3 * 1 * sqrt(0.2 / 1.8 * (1 - 0.8^(2i))):
     *   i = 1: sqrt(0.111111 * 0.36)     = 0.2        -> 5.6
     *   i = 2: sqrt(0.111111 * 0.5904)   = 0.256125   -> 5.768374908491942
     *   i = 3: sqrt(0.111111 * 0.737856) = 0.286329   -> 5.858985448072318
     * and tends to 5 + 3 sqrt(1/9) = 6. */
    const double x[] = {5, 5, 5, 5, 5, 5, 5};
    struct vg_surge_params p;
    struct vg_surge_point out[N(x)];
    vg_surge_params_init(&p);
    p.baseline = 4;
    p.guard = 0;
    run(VG_SURGE_EWMA, &p, x, N(x), out);
    assert_int_equal(out[3].tested, 0);
    near(out[4].threshold, 5.6, "limit", 4);
    near(out[5].threshold, 5.768374908491942, "limit", 5);
    near(out[6].threshold, 5.858985448072318, "limit", 6);
    for (size_t t = 4; t < N(x); t++) {
        near(out[t].score, 5, "Z", t);
        near(out[t].expected, 5, "mu0", t);
        assert_int_equal(out[t].alarm, 0);
    }

    /* The limits approach 6 over a long flat series. */
    double flat[60];
    struct vg_surge_point pts[60];
    for (size_t t = 0; t < N(flat); t++)
        flat[t] = 5;
    run(VG_SURGE_EWMA, &p, flat, N(flat), pts);
    assert_true(fabs(pts[59].threshold - 6) < 1e-9);
}

static void test_ewma_jump(void **state)
{
    (void)state;
    /* Baseline 2 4 2 4: mean 3, sd sqrt(4 / 3) = 1.154701.
     *   t = 4 (i = 1): Z = 0.2 * 8 + 0.8 * 3 = 4.0; limit = 3 + 3 * 1.154701 * 0.2 = 3.692820:
     *                  alarm.
     *   t = 5 (i = 2): baseline 4 2 4 8, mean 4.5, sd sqrt(19 / 3) = 2.516611;
     *                  Z = 0.2 * 3 + 0.8 * 4 = 3.8; limit = 4.5 + 3 * 2.516611 * 0.256125
     *                  = 6.433701: no alarm. */
    const double x[] = {2, 4, 2, 4, 8, 3};
    struct vg_surge_params p;
    struct vg_surge_point out[N(x)];
    vg_surge_params_init(&p);
    p.baseline = 4;
    p.guard = 0;
    run(VG_SURGE_EWMA, &p, x, N(x), out);
    near(out[4].score, 4.0, "Z", 4);
    near(out[4].threshold, 3.6928203230275507, "limit", 4);
    assert_int_equal(out[4].alarm, 1);
    near(out[5].expected, 4.5, "mu0", 5);
    near(out[5].score, 3.8, "Z", 5);
    near(out[5].threshold, 6.433701114443491, "limit", 5);
    assert_int_equal(out[5].alarm, 0);
}

static void test_ears(void **state)
{
    (void)state;
    /* x =      0 2 0 2 0 2 1 0 2 5 6 1   (t = 0 .. 11)
     * C1 over x[t-7] .. x[t-1]:
     *   t = 7: 0 2 0 2 0 2 1, mean 1, sd 1: (0 - 1) / 1 = -1
     *   t = 8: 2 0 2 0 2 1 0, mean 1, sd 1: (2 - 1) / 1 =  1
     *   t = 9: 0 2 0 2 1 0 2, mean 1, sd 1: (5 - 1) / 1 =  4 > 3: alarm
     *   t = 10: 2 0 2 1 0 2 5, mean 12/7 = 1.714286, sum of squares 17.428571, sd
     *           sqrt(17.428571 / 6) = 1.704336: (6 - 1.714286) / 1.704336 = 2.514594
     * C2 over x[t-9] .. x[t-3]:
     *   t = 9:  0 2 0 2 0 2 1, mean 1, sd 1: (5 - 1) / 1 = 4 > 3: alarm
     *   t = 10: 2 0 2 0 2 1 0, mean 1, sd 1: (6 - 1) / 1 = 5 > 3: alarm
     *   t = 11: 0 2 0 2 1 0 2, mean 1, sd 1: (1 - 1) / 1 = 0
     * C3 at t = 11: max(0, 4 - 1) + max(0, 5 - 1) + max(0, 0 - 1) = 3 + 4 + 0 = 7 > 2: alarm */
    const double x[] = {0, 2, 0, 2, 0, 2, 1, 0, 2, 5, 6, 1};
    struct vg_surge_params p;
    struct vg_surge_point c1[N(x)], c2[N(x)], c3[N(x)];
    vg_surge_params_init(&p);
    run(VG_SURGE_EARS_C1, &p, x, N(x), c1);
    run(VG_SURGE_EARS_C2, &p, x, N(x), c2);
    run(VG_SURGE_EARS_C3, &p, x, N(x), c3);

    assert_int_equal(c1[6].tested, 0);
    near(c1[7].score, -1, "C1", 7);
    near(c1[8].score, 1, "C1", 8);
    near(c1[9].score, 4, "C1", 9);
    near(c1[10].score, 2.5145944030220067, "C1", 10);
    near(c1[10].expected, 12.0 / 7, "C1 mean", 10);
    assert_int_equal(c1[9].alarm, 1);
    assert_int_equal(c1[10].alarm, 0);
    near(c1[9].threshold, 3, "C1 limit", 9);

    assert_int_equal(c2[8].tested, 0);
    near(c2[9].score, 4, "C2", 9);
    near(c2[10].score, 5, "C2", 10);
    near(c2[11].score, 0, "C2", 11);
    near(c2[11].expected, 1, "C2 mean", 11);
    assert_int_equal(c2[9].alarm, 1);
    assert_int_equal(c2[10].alarm, 1);
    assert_int_equal(c2[11].alarm, 0);

    for (size_t t = 0; t < 11; t++)
        assert_int_equal(c3[t].tested, 0);
    near(c3[11].score, 7, "C3", 11);
    near(c3[11].threshold, 2, "C3 limit", 11);
    assert_int_equal(c3[11].alarm, 1);
}

static void test_ears_c3_accumulates(void **state)
{
    (void)state;
    /* Three periods of C2 = 2 each, none an alarm of C2 (2 <= 3), add up in C3:
     * x = 0 2 0 2 0 2 1 0 2 3 3 3; the baselines of t = 9, 10, 11 all have mean 1 and sd 1, so
     * C2 = (3 - 1) / 1 = 2 each, and C3 at t = 11 = 1 + 1 + 1 = 3 > 2: alarm. */
    const double x[] = {0, 2, 0, 2, 0, 2, 1, 0, 2, 3, 3, 3};
    struct vg_surge_params p;
    struct vg_surge_point c2[N(x)], c3[N(x)];
    vg_surge_params_init(&p);
    run(VG_SURGE_EARS_C2, &p, x, N(x), c2);
    run(VG_SURGE_EARS_C3, &p, x, N(x), c3);
    for (size_t t = 9; t < 12; t++) {
        near(c2[t].score, 2, "C2", t);
        assert_int_equal(c2[t].alarm, 0);
    }
    near(c3[11].score, 3, "C3", 11);
    assert_int_equal(c3[11].alarm, 1);
}

static void test_ears_flat_baseline(void **state)
{
    (void)state;
    /* Seven periods of 3: sd 0, floored at min_sd. With min_sd 1: C1 = (7 - 3) / 1 = 4, alarm;
     * with min_sd 2: (7 - 3) / 2 = 2, none; a repeat of the same count scores 0, not 0 / 0. */
    const double x[] = {3, 3, 3, 3, 3, 3, 3, 7};
    const double same[] = {3, 3, 3, 3, 3, 3, 3, 3};
    struct vg_surge_params p;
    struct vg_surge_point out[N(x)];
    vg_surge_params_init(&p);
    run(VG_SURGE_EARS_C1, &p, x, N(x), out);
    near(out[7].score, 4, "C1", 7);
    assert_int_equal(out[7].alarm, 1);
    p.min_sd = 2;
    run(VG_SURGE_EARS_C1, &p, x, N(x), out);
    near(out[7].score, 2, "C1", 7);
    assert_int_equal(out[7].alarm, 0);
    run(VG_SURGE_EARS_C1, &p, same, N(same), out);
    near(out[7].score, 0, "C1", 7);
    assert_false(isnan(out[7].score));
}

static void test_short_series(void **state)
{
    (void)state;
    /* Fewer periods than the history a method needs: nothing is tested, nothing fails. */
    const double x[] = {1, 2, 3};
    struct vg_surge_params p;
    struct vg_surge_point out[N(x)];
    vg_surge_params_init(&p);
    for (int m = 0; m < VG_SURGE_METHOD_COUNT; m++) {
        run((enum vg_surge_method)m, &p, x, N(x), out);
        for (size_t t = 0; t < N(x); t++) {
            assert_int_equal(out[t].tested, 0);
            assert_int_equal(out[t].alarm, 0);
        }
        run((enum vg_surge_method)m, &p, x, 0, out);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    struct vg_surge_params p;
    struct vg_error err;
    const double x[] = {1, 2, 3};
    const double neg[] = {1, -1, 3};
    const double nan_[] = {1, NAN, 3};
    struct vg_surge_point out[3];

#define BAD(field, value)                                                                          \
    do {                                                                                           \
        vg_surge_params_init(&p);                                                                  \
        p.field = value;                                                                           \
        vg_error_clear(&err);                                                                      \
        assert_int_equal(vg_surge_params_check(&p, &err), VG_EINVAL);                              \
        assert_true(err.message[0] != '\0');                                                       \
        assert_int_equal(vg_surge_run(VG_SURGE_CUSUM, &p, x, 3, out, &err), VG_EINVAL);            \
    } while (0)
    BAD(h, 0);
    BAD(h, -1);
    BAD(h, NAN);
    BAD(h, INFINITY);
    BAD(delta, 0);
    BAD(min_mean, 0);
    BAD(lambda, 0);
    BAD(lambda, 1.5);
    BAD(L, 0);
    BAD(min_sd, 0);
    BAD(min_sd, -1);
    BAD(baseline, 1);
    BAD(baseline, 0);
    BAD(baseline, VG_SURGE_MAX_BASELINE + 1);
    BAD(guard, VG_SURGE_MAX_GUARD + 1);
    BAD(c_limit, -1);
    BAD(c3_limit, NAN);
    /* upper bounds, which keep every score and threshold finite */
    BAD(delta, 101);
    BAD(delta, 1e300);
    BAD(h, 2e6);
    BAD(min_mean, 1e300);
    BAD(L, 1e308);
    BAD(min_sd, 1e10);
    BAD(c_limit, 1e7);
#undef BAD

    vg_surge_params_init(&p);
    p.lambda = 1; /* allowed: Z is then the count itself */
    assert_int_equal(vg_surge_params_check(&p, NULL), 0);
    vg_error_clear(&err);
    assert_int_equal(vg_surge_run(VG_SURGE_EWMA, &p, neg, 3, out, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "count 1"));
    assert_int_equal(vg_surge_run(VG_SURGE_EARS_C1, &p, nan_, 3, out, &err), VG_EINVAL);
    assert_int_equal(vg_surge_run(VG_SURGE_METHOD_COUNT, &p, x, 3, out, &err), VG_EINVAL);
}

static void test_method_names(void **state)
{
    (void)state;
    unsigned mask = 0;
    struct vg_error err;
    assert_int_equal(vg_surge_methods_parse("cusum", &mask, &err), 0);
    assert_int_equal(mask, 1u << VG_SURGE_CUSUM);
    assert_int_equal(vg_surge_methods_parse("ears", &mask, &err), 0);
    assert_int_equal(mask,
                     1u << VG_SURGE_EARS_C1 | 1u << VG_SURGE_EARS_C2 | 1u << VG_SURGE_EARS_C3);
    assert_int_equal(vg_surge_methods_parse("ewma,ears-c2", &mask, &err), 0);
    assert_int_equal(mask, 1u << VG_SURGE_EWMA | 1u << VG_SURGE_EARS_C2);
    assert_int_equal(vg_surge_methods_parse("ears-c3,ears-c3", &mask, &err), 0);
    assert_int_equal(mask, 1u << VG_SURGE_EARS_C3);

    const char *bad[] = {"", "farrington", "cusum,", ",ewma", "CUSUM", "ears-c4", "ear"};
    for (size_t i = 0; i < N(bad); i++) {
        mask = 12345;
        vg_error_clear(&err);
        if (vg_surge_methods_parse(bad[i], &mask, &err) != VG_EINVAL)
            fail_msg("'%s' accepted as a method", bad[i]);
        assert_int_equal(mask, 12345);
        assert_non_null(strstr(err.message, "unknown method"));
    }
    assert_string_equal(vg_surge_method_name(VG_SURGE_EARS_C2), "ears-c2");
    assert_string_equal(vg_surge_method_name(VG_SURGE_METHOD_COUNT), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cusum_step),
        cmocka_unit_test(test_cusum_zero_baseline),
        cmocka_unit_test(test_ewma_limits),
        cmocka_unit_test(test_ewma_jump),
        cmocka_unit_test(test_ears),
        cmocka_unit_test(test_ears_c3_accumulates),
        cmocka_unit_test(test_ears_flat_baseline),
        cmocka_unit_test(test_short_series),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_method_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
