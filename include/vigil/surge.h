/* surge.h - surge detection on a series of counts: Poisson CUSUM, EWMA, CDC EARS C1/C2/C3.
 *
 * Each method reads a plain array of counts x[0..n-1], one per period, and tells for every period
 * it can test the count expected from the periods before, its score, the threshold the score is
 * compared with and whether that raised an alarm. The first periods, which have too little history
 * for the method, are not tested. The formulas (docs/methods/surge.md):
 *
 *   baseline   mu0_t and sd_t are the mean and the sample standard deviation (n - 1) of the
 *              `baseline` periods that end `guard` periods before t: x[t-guard-baseline] ..
 *              x[t-guard-1]. The first period tested is t = guard + baseline.
 *   CUSUM      Poisson CUSUM (Lucas 1985): m = max(mu0_t, min_mean), mu1 = m + delta sqrt(m),
 *              k = (mu1 - m) / (ln mu1 - ln m), S_t = max(0, S_{t-1} + x_t - k), S before the
 *              first period tested is 0; alarm when S_t >= h, and S is then reset to 0 (the
 *              score reported is S_t before the reset).
 *   EWMA       Z_t = lambda x_t + (1 - lambda) Z_{t-1}, Z before the first period tested is mu0
 *              of that period; alarm when Z_t > mu0_t + L s_t sqrt(lambda / (2 - lambda)
 *              (1 - (1 - lambda)^(2 i))), s_t = max(sd_t, min_sd), i = 1 at the first period
 *              tested. No reset.
 *   EARS C1    (x_t - mean) / max(sd, min_sd) over x[t-7] .. x[t-1]; alarm when > c_limit (3).
 *   EARS C2    the same over x[t-9] .. x[t-3] (a guard band of two periods).
 *   EARS C3    sum over t, t-1, t-2 of max(0, C2 - 1); alarm when > c3_limit (2).
 *
 * Everything here is pure computation on caller arrays: no allocation, thread-safe. */
#ifndef VIGIL_SURGE_H
#define VIGIL_SURGE_H

#include "vigil/error.h"

#include <stddef.h>

enum vg_surge_method {
    VG_SURGE_CUSUM,
    VG_SURGE_EWMA,
    VG_SURGE_EARS_C1,
    VG_SURGE_EARS_C2,
    VG_SURGE_EARS_C3,
    VG_SURGE_METHOD_COUNT
};

/* "cusum", "ewma", "ears-c1", "ears-c2", "ears-c3". */
const char *vg_surge_method_name(enum vg_surge_method m);
/* Parses a comma-separated list of method names, where "ears" stands for its three variants, into
 * a set of bits (1u << method), in *mask. VG_EINVAL on an unknown name. */
int vg_surge_methods_parse(const char *list, unsigned *mask, struct vg_error *err);

#define VG_SURGE_MAX_BASELINE 520
#define VG_SURGE_MAX_GUARD 520

struct vg_surge_params {
    size_t baseline; /* CUSUM, EWMA: periods in the baseline (default 8) */
    size_t guard;    /* CUSUM, EWMA: periods between the baseline and the period tested (2) */
    double delta;    /* CUSUM: shift to detect, in Poisson sds: mu1 = mu0 + delta sqrt(mu0) (2) */
    double h;        /* CUSUM: decision interval, in counts (5) */
    double min_mean; /* CUSUM: floor of mu0, so that k exists when the baseline is all 0 (0.5) */
    double lambda;   /* EWMA: weight of the newest period (0.2) */
    double L;        /* EWMA: width of the control limit, in sds of Z (3) */
    double min_sd;   /* EWMA, EARS: floor of the baseline sd (1) */
    double c_limit;  /* EARS C1, C2: alarm when the score is above (3) */
    double c3_limit; /* EARS C3: alarm when the score is above (2) */
};

void vg_surge_params_init(struct vg_surge_params *p);
/* VG_EINVAL, with the reason, when a parameter is out of its range: baseline 2..520, guard
 * 0..520, delta > 0, h > 0, min_mean > 0, 0 < lambda <= 1, L > 0, min_sd > 0, limits >= 0, all
 * finite. */
int vg_surge_params_check(const struct vg_surge_params *p, struct vg_error *err);

/* The outcome of one period. Periods not tested have tested 0, the numbers NAN and alarm 0. */
struct vg_surge_point {
    int tested;
    int alarm;
    double expected;  /* mu0_t (CUSUM, EWMA) or the mean of the EARS baseline */
    double score;     /* S_t, Z_t, C1, C2 or C3 */
    double threshold; /* h, the EWMA limit, c_limit or c3_limit */
};

/* Number of periods before the first one method m tests with parameters p. */
size_t vg_surge_history(enum vg_surge_method m, const struct vg_surge_params *p);

/* Runs method m on x[0..n-1] (counts: finite and >= 0) and fills out[0..n-1]. Returns 0, or
 * VG_EINVAL for bad parameters or a count that is negative or not finite. */
int vg_surge_run(enum vg_surge_method m, const struct vg_surge_params *p, const double *x, size_t n,
                 struct vg_surge_point *out, struct vg_error *err);

#endif
