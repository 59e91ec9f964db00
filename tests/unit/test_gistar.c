/* test_gistar.c - Getis-Ord Gi*, the grid neighbour search, the FDR procedure and the points
 * reader (src/analyze/gistar.c).
 *
 * Reference values: the PySAL test vector (esda's G_Local with binary weights and star=True on
 * six points, band 15), a four-point case worked by hand below, a Benjamini-Hochberg example worked
 * by hand, and a brute-force all-pairs search on random point sets for the grid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/gistar.h"
#include "vigil/mem.h"

#include <math.h>

/* Rounds to 4 decimals, as the figures are published. */
static double r4(double v)
{
    return round(v * 1e4) / 1e4;
}

static void test_pysal_vector(void **state)
{
    (void)state;
    const double x[] = {10, 20, 40, 15, 30, 30}, y[] = {10, 10, 10, 20, 20, 30};
    const double v[] = {2, 3, 3.2, 5, 8, 7};
    const double want[] = {-1.3973, -0.2892, 0.6506, -0.2892, 1.2345, 2.0242};
    /* Full precision, from esda's docstring: lg_star.Zs. */
    const double full[] = {-1.39727626, -0.28917762, 0.65064964,
                           -0.28917762, 1.23452088,  2.02424331};
    /* (15,20)-(30,20) lies at exactly 15: a neighbour. */
    const uint32_t nb_want[] = {3, 4, 2, 4, 5, 2};
    double z[6], p[6];
    uint32_t nb[6];
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_gistar_run(x, y, v, 6, 15.0, NULL, z, p, nb, &err), 0);
    for (int i = 0; i < 6; i++) {
        if (r4(z[i]) != want[i])
            fail_msg("point %d: z %.6f, expected %.4f", i, z[i], want[i]);
        assert_true(fabs(z[i] - full[i]) < 1e-8);
        assert_int_equal(nb[i], nb_want[i]);
        /* One-sided normal p, as PySAL's p_norm = norm.sf(|z|). */
        assert_true(fabs(p[i] - 0.5 * erfc(fabs(z[i]) / sqrt(2.0))) < 1e-15);
    }
    assert_true(fabs(p[0] - 0.081165) < 1e-6);
    assert_true(fabs(p[5] - 0.021473) < 1e-6);
    /* neighbours may be NULL; one thread gives the same. */
    double z1[6], p1[6];
    struct vg_gistar_opts one = {1, 0};
    assert_int_equal(vg_gistar_run(x, y, v, 6, 15.0, &one, z1, p1, NULL, &err), 0);
    assert_memory_equal(z, z1, sizeof(z));
}

static void test_hand_checked(void **state)
{
    (void)state;
    /* Four points on a line at 0, 1, 2 and 10, values 1, 2, 3, 10, band 1.5. Mean 4, deviations
     * -3, -2, -1, 6, sum of squares 50, S^2 = 50 / 4 = 12.5. Neighbours (itself included):
     *   point 0: {0, 1}, W = 2, sum of deviations -5; (nW - W^2)/(n-1) = 4/3
     *            z = -5 / sqrt(12.5 * 4/3) = -5 / sqrt(50/3) = -sqrt(1.5)
     *   point 1: {0, 1, 2}, W = 3, -6; (12 - 9)/3 = 1: z = -6 / sqrt(12.5) = -sqrt(2.88)
     *   point 2: {1, 2}, W = 2, -3: z = -3 / sqrt(50/3) = -sqrt(0.54)
     *   point 3: {3}, W = 1, 6; (4 - 1)/3 = 1: z = 6 / sqrt(12.5) = sqrt(2.88) */
    const double x[] = {0, 1, 2, 10}, y[] = {0, 0, 0, 0}, v[] = {1, 2, 3, 10};
    const double want[] = {-sqrt(1.5), -sqrt(2.88), -sqrt(0.54), sqrt(2.88)};
    double z[4], p[4];
    uint32_t nb[4];
    struct vg_error err;
    assert_int_equal(vg_gistar_run(x, y, v, 4, 1.5, NULL, z, p, nb, &err), 0);
    for (int i = 0; i < 4; i++)
        if (fabs(z[i] - want[i]) > 1e-12)
            fail_msg("point %d: z %.15f, expected %.15f", i, z[i], want[i]);
    assert_int_equal(nb[0], 2);
    assert_int_equal(nb[1], 3);
    assert_int_equal(nb[3], 1);

    /* A band that takes every point: W = n, no variance of the statistic, z = 0, p = 0.5. */
    assert_int_equal(vg_gistar_run(x, y, v, 4, 100.0, NULL, z, p, nb, &err), 0);
    for (int i = 0; i < 4; i++) {
        assert_true(z[i] == 0.0);
        assert_true(p[i] == 0.5);
        assert_int_equal(nb[i], 4);
    }
}

static void test_pvalue(void **state)
{
    (void)state;
    assert_true(fabs(vg_gistar_pvalue(1.959963984540054, 2) - 0.05) < 1e-12);
    assert_true(fabs(vg_gistar_pvalue(-1.959963984540054, 2) - 0.05) < 1e-12);
    assert_true(fabs(vg_gistar_pvalue(1.6448536269514722, 1) - 0.05) < 1e-12);
    assert_true(fabs(vg_gistar_pvalue(2.5758293035489004, 2) - 0.01) < 1e-12);
    assert_true(vg_gistar_pvalue(0.0, 1) == 0.5);
    assert_true(vg_gistar_pvalue(0.0, 2) == 1.0);
    assert_true(vg_gistar_pvalue(40.0, 2) >= 0.0);
}

/* ---- the grid against all pairs ---- */

static uint64_t rng_state;

static double rnd(void)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}

static void brute_force(const double *x, const double *y, const double *v, size_t n, double band,
                        uint32_t *count, double *sum)
{
    for (size_t i = 0; i < n; i++) {
        count[i] = 0;
        sum[i] = 0;
        for (size_t j = 0; j < n; j++) {
            double dx = x[j] - x[i], dy = y[j] - y[i];
            if (dx * dx + dy * dy <= band * band) {
                count[i]++;
                sum[i] += v[j];
            }
        }
    }
}

static void check_against_brute_force(const double *x, const double *y, const double *v, size_t n,
                                      double band, const char *what)
{
    uint32_t *c1 = malloc(n * sizeof(uint32_t)), *c2 = malloc(n * sizeof(uint32_t));
    uint32_t *c3 = malloc(n * sizeof(uint32_t));
    double *s1 = malloc(n * sizeof(double)), *s2 = malloc(n * sizeof(double));
    double *s3 = malloc(n * sizeof(double));
    assert_non_null(c1);
    assert_non_null(c2);
    assert_non_null(c3);
    assert_non_null(s1);
    assert_non_null(s2);
    assert_non_null(s3);
    struct vg_error err;
    vg_error_clear(&err);
    brute_force(x, y, v, n, band, c1, s1);
    struct vg_gistar_opts two = {2, 0}, one = {1, 0};
    if (vg_gistar_band_sums(x, y, v, n, band, &two, c2, s2, &err))
        fail_msg("%s: %s", what, err.message);
    assert_int_equal(vg_gistar_band_sums(x, y, v, n, band, &one, c3, s3, &err), 0);
    for (size_t i = 0; i < n; i++) {
        if (c1[i] != c2[i])
            fail_msg("%s: point %zu (%.17g, %.17g): %u neighbours, brute force %u", what, i, x[i],
                     y[i], c2[i], c1[i]);
        if (fabs(s1[i] - s2[i]) > 1e-9 * (1 + fabs(s1[i])))
            fail_msg("%s: point %zu: sum %.17g, brute force %.17g", what, i, s2[i], s1[i]);
    }
    /* The same figures whatever the number of threads, to the last bit. */
    assert_memory_equal(c2, c3, n * sizeof(uint32_t));
    assert_memory_equal(s2, s3, n * sizeof(double));
    free(c1);
    free(c2);
    free(c3);
    free(s1);
    free(s2);
    free(s3);
}

static void test_grid_vs_brute_force(void **state)
{
    (void)state;
    enum { N = 3000 };
    double *x = malloc(N * sizeof(double)), *y = malloc(N * sizeof(double));
    double *v = malloc(N * sizeof(double));
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(v);
    rng_state = 12345;

    /* Uniform points, bands from a fraction of the spacing to the whole extent. */
    for (int i = 0; i < N; i++) {
        x[i] = rnd() * 1000 - 500;
        y[i] = rnd() * 1000 + 1e6; /* far from the origin */
        v[i] = rnd() * 10;
    }
    const double bands[] = {0.5, 7.3, 25, 100, 2000};
    for (size_t b = 0; b < sizeof(bands) / sizeof(bands[0]); b++)
        check_against_brute_force(x, y, v, N, bands[b], "uniform");

    /* Clusters with duplicated points. */
    for (int i = 0; i < N; i++) {
        int c = i % 7;
        x[i] = c * 40 + (i % 3 == 0 ? 0 : rnd() * 5);
        y[i] = c * 13 + (i % 3 == 0 ? 0 : rnd() * 5);
    }
    check_against_brute_force(x, y, v, N, 4.0, "clusters");

    /* An integer lattice: many pairs at exactly the band, which are neighbours. */
    for (int i = 0; i < N; i++) {
        x[i] = i % 60;
        y[i] = i / 60;
    }
    check_against_brute_force(x, y, v, N, 1.0, "lattice, band 1");
    check_against_brute_force(x, y, v, N, 5.0, "lattice, band 5");
    /* A band that is not exact in binary, on a lattice of its own multiples. */
    for (int i = 0; i < N; i++) {
        x[i] = (i % 60) * 0.1;
        y[i] = (i / 60) * 0.1;
    }
    check_against_brute_force(x, y, v, N, 0.1, "lattice of 0.1");
    check_against_brute_force(x, y, v, N, 0.3, "lattice of 0.1, band 0.3");

    /* An extent vastly wider than the band: cell coordinates are clamped. */
    for (int i = 0; i < N; i++) {
        x[i] = (i % 2 ? 1e12 : 0) + rnd() * 10;
        y[i] = rnd() * 10 - (i % 5 == 0 ? 1e15 : 0);
    }
    check_against_brute_force(x, y, v, N, 1e-3, "huge extent, tiny band");
    check_against_brute_force(x, y, v, N, 2.0, "huge extent");

    /* Pairs at exactly the band whose cell numbers, computed in floating point from the
     * smallest coordinate, come out two apart: the cells must be a little wider than the band. */
    const double edge[3][4] = {
        {0.1, -273.55707600483515, 3547.642923995165, 3547.742923995165},
        {0.2, -2695.052366231132, 4676.747633768868, 4676.9476337688675},
        {1.0 / 3, -815.1792769660842, 28604.154056367246, 28604.48738970058}};
    for (int e = 0; e < 3; e++) {
        double ex[3] = {edge[e][1], edge[e][2], edge[e][3]}, ey[3] = {0, 0, 0};
        double ev[3] = {1, 2, 3};
        check_against_brute_force(ex, ey, ev, 3, edge[e][0], "rounding at the cell edge");
        check_against_brute_force(ey, ex, ev, 3, edge[e][0], "rounding at the cell edge, in y");
    }

    /* Negative coordinates on a line, and a single point. */
    for (int i = 0; i < N; i++) {
        x[i] = -rnd() * 100;
        y[i] = -3;
    }
    check_against_brute_force(x, y, v, N, 0.25, "a line");
    check_against_brute_force(x, y, v, 1, 1.0, "one point");
    free(x);
    free(y);
    free(v);
}

static void test_bad_input(void **state)
{
    (void)state;
    double x[] = {0, 1, 2}, y[] = {0, 0, 0}, v[] = {1, 2, 3}, z[3], p[3];
    uint32_t c[3];
    double s[3];
    struct vg_error err;

    vg_error_clear(&err);
    assert_int_equal(vg_gistar_run(x, y, v, 1, 1.0, NULL, z, p, NULL, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "at least 2 points"));

    /* 1e-170: its square is 0, which would make every pair a neighbour of none but itself */
    const double bands[] = {0.0, -1.0, NAN, INFINITY, 1e-170};
    for (size_t b = 0; b < 5; b++) {
        vg_error_clear(&err);
        assert_int_equal(vg_gistar_run(x, y, v, 3, bands[b], NULL, z, p, NULL, &err), VG_EINVAL);
        assert_non_null(strstr(err.message, "band"));
        assert_int_equal(vg_gistar_band_sums(x, y, v, 3, bands[b], NULL, c, s, &err), VG_EINVAL);
    }

    double same[] = {4, 4, 4};
    vg_error_clear(&err);
    assert_int_equal(vg_gistar_run(x, y, same, 3, 1.0, NULL, z, p, NULL, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "variance"));

    double badx[] = {0, NAN, 2};
    vg_error_clear(&err);
    assert_int_equal(vg_gistar_run(badx, y, v, 3, 1.0, NULL, z, p, NULL, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "point 1"));
    double bady[] = {0, 0, INFINITY};
    assert_int_equal(vg_gistar_run(x, bady, v, 3, 1.0, NULL, z, p, NULL, &err), VG_EINVAL);
    double badv[] = {0, -INFINITY, 1};
    assert_int_equal(vg_gistar_run(x, y, badv, 3, 1.0, NULL, z, p, NULL, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "value"));

    /* The cap on the work: a band that takes every pair of many points. */
    struct vg_gistar_opts capped = {1, 4};
    vg_error_clear(&err);
    assert_int_equal(vg_gistar_run(x, y, v, 3, 10.0, &capped, z, p, NULL, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "too wide"));
}

static void test_out_of_memory(void **state)
{
    (void)state;
    const double x[] = {10, 20, 40, 15, 30, 30}, y[] = {10, 10, 10, 20, 20, 30};
    const double v[] = {2, 3, 3.2, 5, 8, 7};
    double z[6], p[6];
    struct vg_error err;
    int ok = 0;
    for (long n = 0; n < 100 && !ok; n++) {
        vg_mem_fail_after(n);
        int rc = vg_gistar_run(x, y, v, 6, 15.0, NULL, z, p, NULL, &err);
        vg_mem_fail_after(-1);
        if (rc == 0)
            ok = 1;
        else
            assert_int_equal(rc, VG_ENOMEM);
    }
    assert_true(ok);
    assert_true(r4(z[5]) == 2.0242);
}

/* ---- false discovery rate ---- */

static void test_fdr_hand_worked(void **state)
{
    (void)state;
    /* Ten p-values, Benjamini-Hochberg at 5 %: sorted, with the bounds k * 0.05 / 10:
     *   k:     1      2      3      4      5      6      7      8     9     10
     *   p(k):  0.001  0.005  0.010  0.025  0.030  0.035  0.040  0.20  0.50  0.70
     *   bound: 0.005  0.010  0.015  0.020  0.025  0.030  0.035  0.040 0.045 0.050
     * The largest k with p(k) <= bound is 3: the three smallest are rejected.
     * Adjusted: n p(k) / k = 0.01, 0.025, 0.0333, 0.0625, 0.06, 0.0583, 0.0571, 0.25, 0.5556,
     * 0.7, then the running minimum from the top: 0.01, 0.025, 0.0333, 0.0571, 0.0571, 0.0571,
     * 0.0571, 0.25, 0.5556, 0.7. Given out of order: */
    const double p[10] = {0.20, 0.035, 0.001, 0.70, 0.025, 0.010, 0.50, 0.040, 0.005, 0.030};
    const double want[10] = {0.25,    0.4 / 7, 0.01,    0.70,  0.4 / 7,
                             0.1 / 3, 5.0 / 9, 0.4 / 7, 0.025, 0.4 / 7};
    double q[10];
    struct vg_error err;
    assert_int_equal(vg_gistar_fdr(p, 10, q, &err), 0);
    int rejected = 0;
    for (int i = 0; i < 10; i++) {
        if (fabs(q[i] - want[i]) > 1e-12)
            fail_msg("p %.3f: adjusted %.6f, expected %.6f", p[i], q[i], want[i]);
        rejected += q[i] <= 0.05;
    }
    assert_int_equal(rejected, 3);

    /* Step-up, not step-down: p(2) fails its bound, yet p(5) passes and takes all five along.
     *   p(k):  0.005 0.025 0.028 0.045 0.048, bounds 0.01 0.02 0.03 0.04 0.05 (n = 5)
     *   adjusted: 0.025, 0.04667, 0.04667, 0.048, 0.048: all five at 5 %, none at 1 %. */
    const double p2[5] = {0.048, 0.005, 0.045, 0.025, 0.028};
    const double want2[5] = {0.048, 0.025, 0.048, 0.14 / 3, 0.14 / 3};
    double q2[5];
    assert_int_equal(vg_gistar_fdr(p2, 5, q2, &err), 0);
    for (int i = 0; i < 5; i++) {
        if (fabs(q2[i] - want2[i]) > 1e-12)
            fail_msg("p %.3f: adjusted %.6f, expected %.6f", p2[i], q2[i], want2[i]);
        assert_true(q2[i] <= 0.05);
        assert_true(q2[i] > 0.01);
    }

    /* Ties share their adjusted value; in place works; nothing adjusts above 1. */
    double t[4] = {0.5, 0.5, 0.9, 1.0};
    assert_int_equal(vg_gistar_fdr(t, 4, t, &err), 0);
    assert_true(t[0] == 1.0 * 0.5 * 4 / 2 && t[1] == t[0]);
    assert_true(t[2] == 1.0 && t[3] == 1.0);
    assert_int_equal(vg_gistar_fdr(t, 0, t, &err), 0);

    const double bad[3] = {0.1, 1.5, 0.2}, nan[2] = {NAN, 0.1};
    vg_error_clear(&err);
    assert_int_equal(vg_gistar_fdr(bad, 3, q, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "p-value 1"));
    assert_int_equal(vg_gistar_fdr(nan, 2, q, &err), VG_EINVAL);
}

/* ---- reading points ---- */

struct read_result {
    int rc;
    struct vg_error err;
    struct vg_gistar_points pts;
};

static void read_text(const char *text, struct read_result *r)
{
    char *dir = tu_mkdtemp(), path[TU_PATH_MAX];
    tu_join(path, dir, "points.csv");
    tu_write_str(path, text);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    vg_error_clear(&r->err);
    vg_gistar_points_init(&r->pts);
    r->rc = vg_gistar_points_read(&r->pts, fd, "points.csv", &r->err);
    close(fd);
    tu_rmtree(dir);
    free(dir);
}

static void expect_error(const char *text, int code, long line, const char *column,
                         const char *needle)
{
    struct read_result r;
    read_text(text, &r);
    if (r.rc != code)
        fail_msg("expected error %d, got %d (%s) for:\n%s", code, r.rc, r.err.message, text);
    assert_string_equal(r.err.file, "points.csv");
    if (r.err.line != line)
        fail_msg("error at line %ld, expected %ld: %s", r.err.line, line, r.err.message);
    assert_string_equal(r.err.column, column);
    if (!strstr(r.err.message, needle))
        fail_msg("message '%s' does not say '%s'", r.err.message, needle);
    vg_gistar_points_cleanup(&r.pts);
}

static void test_read_points(void **state)
{
    (void)state;
    struct read_result r;
    /* Columns in any order among others, case and blanks in the header ignored, blank lines,
     * CRLF, signs, exponents, a quoted field. */
    read_text("\xEF\xBB\xBFid, Value ,name,Y,X\r\n"
              "1,2,a,10,10\r\n"
              "\r\n"
              "2,\"3\",b,1e1,+20\r\n"
              "3,-3.25,c,.5,4.\r\n"
              "4,0.000000000000000000000000001,d,-0,1234567890123456789012345\r\n",
              &r);
    if (r.rc)
        fail_msg("%s", r.err.message);
    assert_int_equal(r.pts.n, 4);
    assert_true(r.pts.x[0] == 10 && r.pts.y[0] == 10 && r.pts.value[0] == 2);
    assert_true(r.pts.x[1] == 20 && r.pts.y[1] == 10 && r.pts.value[1] == 3);
    assert_true(r.pts.x[2] == 4 && r.pts.y[2] == 0.5 && r.pts.value[2] == -3.25);
    assert_true(r.pts.value[3] == 1e-27 && r.pts.x[3] == 1234567890123456789012345.0);
    /* The text, in the order x, y, value, as the file gave it. */
    const char *t = r.pts.text + r.pts.text_off[1];
    assert_int_equal(r.pts.text_off[2] - r.pts.text_off[1], strlen("+20,1e1,3"));
    assert_memory_equal(t, "+20,1e1,3", strlen("+20,1e1,3"));
    vg_gistar_points_cleanup(&r.pts);

    /* Semicolons, with decimal commas. */
    read_text("x;y;value\n1,5;2,25;3\n", &r);
    assert_int_equal(r.rc, 0);
    assert_true(r.pts.x[0] == 1.5 && r.pts.y[0] == 2.25 && r.pts.value[0] == 3);
    assert_memory_equal(r.pts.text, "1.5,2.25,3", 10);
    vg_gistar_points_cleanup(&r.pts);

    /* Numbers are read exactly as strtod reads them (correctly rounded). */
    const char *nums[] = {"0.1",
                          "3.2",
                          "123.456789",
                          "9007199254740993",
                          "1e22",
                          "1e23",
                          "2.2250738585072014e-308",
                          "0.3e-5",
                          "-17.75",
                          "4.35000001",
                          "98765.4321e-3",
                          "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        char text[200];
        snprintf(text, sizeof(text), "x,y,value\n%s,0,1\n", nums[i]);
        read_text(text, &r);
        assert_int_equal(r.rc, 0);
        if (r.pts.x[0] != strtod(nums[i], NULL))
            fail_msg("%s read as %.17g", nums[i], r.pts.x[0]);
        vg_gistar_points_cleanup(&r.pts);
    }
}

static void test_read_errors(void **state)
{
    (void)state;
    expect_error("", VG_EFORMAT, 0, "", "empty");
    expect_error("\n\n", VG_EFORMAT, 0, "", "empty");
    expect_error("x,y,value\n", VG_EFORMAT, 0, "", "no points");
    expect_error("x,y,value\n\n\n", VG_EFORMAT, 0, "", "no points");
    expect_error("x,y,val\n1,2,3\n", VG_EFORMAT, 1, "value", "no such column");
    expect_error("lat,lon,value\n1,2,3\n", VG_EFORMAT, 1, "x", "(it has: lat, lon, value)");
    expect_error("x,y,value,X\n1,2,3,4\n", VG_EFORMAT, 1, "x", "twice");
    expect_error("x,y,value\n1,2,3\n4,5,abc\n", VG_EFORMAT, 3, "value", "not a number: 'abc'");
    expect_error("x,y,value\n1,2,3\n4,,6\n", VG_EFORMAT, 3, "y", "empty");
    expect_error("x,y,value\n1,2,3\n4,5\n", VG_EFORMAT, 3, "value", "missing");
    expect_error("x,y,value\nnan,2,3\n", VG_EFORMAT, 2, "x", "not a finite number");
    expect_error("x,y,value\n1,-inf,3\n", VG_EFORMAT, 2, "y", "not a finite number");
    expect_error("x,y,value\n1,2,Infinity\n", VG_EFORMAT, 2, "value", "not a finite number");
    expect_error("x,y,value\n1,2,1e999\n", VG_EFORMAT, 2, "value", "out of the range");
    expect_error("x,y,value\n0x10,2,3\n", VG_EFORMAT, 2, "x", "not a number");
    expect_error("x,y,value\n1 2,2,3\n", VG_EFORMAT, 2, "x", "not a number");
    expect_error("x,y,value\n1,2,3e\n", VG_EFORMAT, 2, "value", "not a number");
    expect_error("x,y,value\n1,2,.\n", VG_EFORMAT, 2, "value", "not a number");
    expect_error("x,y,value\n1,2,\"3\n", VG_EFORMAT, 2, "", "never closed");
    char big[200];
    snprintf(big, sizeof(big), "x,y,value\n1,2,%070d\n", 5);
    expect_error(big, VG_ETOOBIG, 2, "value", "70 characters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pysal_vector),    cmocka_unit_test(test_hand_checked),
        cmocka_unit_test(test_pvalue),          cmocka_unit_test(test_grid_vs_brute_force),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_fdr_hand_worked), cmocka_unit_test(test_read_points),
        cmocka_unit_test(test_read_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
