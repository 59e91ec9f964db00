/* surge.c - surge detection on one series of counts: Poisson CUSUM, EWMA and CDC EARS C1/C2/C3.
 *
 * The methods answer one question for each period: is the count higher than the recent past
 * makes likely? They all compare period t with a baseline of periods before it, so they adapt to
 * a slow trend, and differ in how they weigh the evidence:
 *
 * - Poisson CUSUM (J. M. Lucas, "Counted data CUSUM's", Technometrics 27, 1985) accumulates the
 *   excess of each count over a reference value k lying between the in-control mean mu0 and the
 *   out-of-control mean mu1 it is tuned to detect: k = (mu1 - mu0) / (ln mu1 - ln mu0) is the
 *   value at which the likelihoods of the two Poisson means are equal, and S_t = max(0, S_{t-1}
 *   + x_t - k) is the log-likelihood ratio statistic scaled by 1 / ln(mu1 / mu0). mu0 is taken
 *   from a moving baseline (`baseline` periods ending `guard` periods before t: the guard keeps
 *   the start of a surge out of its own baseline) and floored at min_mean, since k has no value
 *   at mu0 = 0; mu1 = mu0 + delta sqrt(mu0), a shift of delta Poisson standard deviations. An
 *   alarm (S_t >= h) resets S to 0, so that a lasting surge raises an alarm again each time it
 *   accumulates h more, instead of every period after the first.
 * - EWMA (S. W. Roberts 1959; the limits of Lucas and Saccucci 1990): Z_t = lambda x_t +
 *   (1 - lambda) Z_{t-1}, started at the mu0 of the first period tested, with the exact
 *   time-varying limit mu0 + L sigma sqrt(lambda / (2 - lambda) (1 - (1 - lambda)^(2i))), i
 *   counting the periods tested. mu0 and sigma come from the same moving baseline as CUSUM's;
 *   sigma is floored at min_sd, as a baseline of equal counts has sd 0 and the limit would be
 *   mu0 itself. Z is not reset: the alarm lasts as long as Z stays above the limit.
 * - EARS C1, C2, C3 (L. Hutwagner et al., "The bioterrorism preparedness and response Early
 *   Aberration Reporting System (EARS)", J. Urban Health 80, 2003): a standardised difference
 *   from the mean of the 7 periods before (C1), or of the 7 periods before a guard band of 2
 *   (C2), and C3, the sum of max(0, C2 - 1) over the period and the two before it. The sd is the
 *   sample sd floored at min_sd, as the R package `surveillance` does with its minSigma (whose
 *   default, 0, lets a baseline of equal counts divide by zero; ours is 1, one incident).
 *
 * Periods with too little history (vg_surge_history) are marked not tested. The sums are
 * recomputed per period (O(n * baseline)); baselines are short, so that costs nothing worth a
 * running sum's rounding drift. No allocation; thread-safe. */
#include "vigil/surge.h"

#include <math.h>
#include <string.h>

static const char *const method_names[VG_SURGE_METHOD_COUNT] = {"cusum", "ewma", "ears-c1",
                                                                "ears-c2", "ears-c3"};

#define EARS_BASELINE 7
#define EARS_GUARD 2

const char *vg_surge_method_name(enum vg_surge_method m)
{
    return (unsigned)m < VG_SURGE_METHOD_COUNT ? method_names[m] : "?";
}

int vg_surge_methods_parse(const char *list, unsigned *mask, struct vg_error *err)
{
    unsigned set = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        unsigned bits = 0;
        if (n == 4 && memcmp(p, "ears", 4) == 0)
            bits = 1u << VG_SURGE_EARS_C1 | 1u << VG_SURGE_EARS_C2 | 1u << VG_SURGE_EARS_C3;
        for (int m = 0; m < VG_SURGE_METHOD_COUNT && !bits; m++)
            if (strlen(method_names[m]) == n && memcmp(p, method_names[m], n) == 0)
                bits = 1u << m;
        if (!bits)
            return vg_error_set(err, VG_EINVAL,
                                "unknown method '%.*s' (choose from cusum, ewma, ears, ears-c1, "
                                "ears-c2, ears-c3)",
                                (int)(n > 40 ? 40 : n), p);
        set |= bits;
        if (!comma)
            break;
        p = comma + 1;
    }
    *mask = set;
    return 0;
}

void vg_surge_params_init(struct vg_surge_params *p)
{
    p->baseline = 8;
    p->guard = 2;
    p->delta = 2;
    p->h = 5;
    p->min_mean = 0.5;
    p->lambda = 0.2;
    p->L = 3;
    p->min_sd = 1;
    p->c_limit = 3;
    p->c3_limit = 2;
}

int vg_surge_params_check(const struct vg_surge_params *p, struct vg_error *err)
{
    if (p->baseline < 2 || p->baseline > VG_SURGE_MAX_BASELINE)
        return vg_error_set(err, VG_EINVAL, "the baseline must be 2 to %d periods",
                            VG_SURGE_MAX_BASELINE);
    if (p->guard > VG_SURGE_MAX_GUARD)
        return vg_error_set(err, VG_EINVAL, "the guard must be 0 to %d periods",
                            VG_SURGE_MAX_GUARD);
    /* The upper bounds keep every score and threshold finite (a count of incidents is far
     * below them); !(x > 0) also refuses NaN. */
    if (!(p->delta > 0) || p->delta > 100)
        return vg_error_set(err, VG_EINVAL, "delta must be above 0 and at most 100");
    if (!(p->h > 0) || p->h > 1e6)
        return vg_error_set(err, VG_EINVAL, "h must be above 0 and at most 1000000");
    if (!(p->min_mean > 0) || p->min_mean > 1e9)
        return vg_error_set(err, VG_EINVAL,
                            "the minimum mean must be above 0 and at most 1000000000");
    if (!(p->lambda > 0) || p->lambda > 1)
        return vg_error_set(err, VG_EINVAL, "lambda must be above 0 and at most 1");
    if (!(p->L > 0) || p->L > 100)
        return vg_error_set(err, VG_EINVAL, "L must be above 0 and at most 100");
    if (!(p->min_sd > 0) || p->min_sd > 1e9)
        return vg_error_set(err, VG_EINVAL,
                            "the minimum sd must be above 0 and at most 1000000000");
    if (!(p->c_limit >= 0) || p->c_limit > 1e6 || !(p->c3_limit >= 0) || p->c3_limit > 1e6)
        return vg_error_set(err, VG_EINVAL, "the EARS limits must be from 0 to 1000000");
    return 0;
}

size_t vg_surge_history(enum vg_surge_method m, const struct vg_surge_params *p)
{
    switch (m) {
    case VG_SURGE_CUSUM:
    case VG_SURGE_EWMA:
        return p->baseline + p->guard;
    case VG_SURGE_EARS_C1:
        return EARS_BASELINE;
    case VG_SURGE_EARS_C2:
        return EARS_BASELINE + EARS_GUARD;
    case VG_SURGE_EARS_C3:
        return EARS_BASELINE + EARS_GUARD + 2;
    default:
        return 0;
    }
}

/* Mean and sample sd of x[lo .. lo+n-1], n >= 2. */
static void mean_sd(const double *x, size_t lo, size_t n, double *mean, double *sd)
{
    double sum = 0, ss = 0;
    for (size_t i = lo; i < lo + n; i++)
        sum += x[i];
    double m = sum / (double)n;
    for (size_t i = lo; i < lo + n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    *sd = sqrt(ss / (double)(n - 1));
}

static void cusum(const struct vg_surge_params *p, const double *x, size_t n,
                  struct vg_surge_point *out)
{
    double s = 0;
    for (size_t t = p->baseline + p->guard; t < n; t++) {
        double mu0, sd;
        mean_sd(x, t - p->guard - p->baseline, p->baseline, &mu0, &sd);
        double m = mu0 > p->min_mean ? mu0 : p->min_mean;
        /* k = (mu1 - mu0) / ln(mu1 / mu0) with mu1 = mu0 + d: written with log1p, which keeps
         * it exact when d is small beside mu0 (then k tends to mu0). */
        double d = p->delta * sqrt(m);
        double k = d / m > 0 ? d / log1p(d / m) : m;
        s = s + x[t] - k;
        if (s < 0)
            s = 0;
        struct vg_surge_point *o = &out[t];
        o->tested = 1;
        o->expected = mu0;
        o->score = s;
        o->threshold = p->h;
        o->alarm = s >= p->h;
        if (o->alarm)
            s = 0;
    }
}

static void ewma(const struct vg_surge_params *p, const double *x, size_t n,
                 struct vg_surge_point *out)
{
    double z = 0, decay = 1; /* decay = (1 - lambda)^(2i) */
    double keep = (1 - p->lambda) * (1 - p->lambda);
    size_t first = p->baseline + p->guard;
    for (size_t t = first; t < n; t++) {
        double mu0, sd;
        mean_sd(x, t - p->guard - p->baseline, p->baseline, &mu0, &sd);
        if (t == first)
            z = mu0;
        z = p->lambda * x[t] + (1 - p->lambda) * z;
        decay *= keep;
        double sigma = sd > p->min_sd ? sd : p->min_sd;
        double limit = mu0 + p->L * sigma * sqrt(p->lambda / (2 - p->lambda) * (1 - decay));
        struct vg_surge_point *o = &out[t];
        o->tested = 1;
        o->expected = mu0;
        o->score = z;
        o->threshold = limit;
        o->alarm = z > limit;
    }
}

/* The EARS score of x[t] against the 7 periods ending `guard` periods before t. */
static double ears_score(const struct vg_surge_params *p, const double *x, size_t t, size_t guard,
                         double *mean)
{
    double sd;
    mean_sd(x, t - guard - EARS_BASELINE, EARS_BASELINE, mean, &sd);
    return (x[t] - *mean) / (sd > p->min_sd ? sd : p->min_sd);
}

static void ears(enum vg_surge_method m, const struct vg_surge_params *p, const double *x, size_t n,
                 struct vg_surge_point *out)
{
    for (size_t t = vg_surge_history(m, p); t < n; t++) {
        struct vg_surge_point *o = &out[t];
        double mean;
        o->tested = 1;
        if (m == VG_SURGE_EARS_C1) {
            o->score = ears_score(p, x, t, 0, &mean);
            o->threshold = p->c_limit;
        } else if (m == VG_SURGE_EARS_C2) {
            o->score = ears_score(p, x, t, EARS_GUARD, &mean);
            o->threshold = p->c_limit;
        } else {
            double sum = 0, unused;
            for (size_t j = t - 2; j < t; j++) {
                double c2 = ears_score(p, x, j, EARS_GUARD, &unused);
                sum += c2 > 1 ? c2 - 1 : 0;
            }
            double c2 = ears_score(p, x, t, EARS_GUARD, &mean);
            o->score = sum + (c2 > 1 ? c2 - 1 : 0);
            o->threshold = p->c3_limit;
        }
        o->expected = mean;
        o->alarm = o->score > o->threshold;
    }
}

int vg_surge_run(enum vg_surge_method m, const struct vg_surge_params *p, const double *x, size_t n,
                 struct vg_surge_point *out, struct vg_error *err)
{
    int rc;
    if ((unsigned)m >= VG_SURGE_METHOD_COUNT)
        return vg_error_set(err, VG_EINVAL, "unknown method");
    if ((rc = vg_surge_params_check(p, err)))
        return rc;
    for (size_t t = 0; t < n; t++)
        if (!isfinite(x[t]) || x[t] < 0)
            return vg_error_set(err, VG_EINVAL, "count %zu is not a number of at least 0", t);
    for (size_t t = 0; t < n; t++) {
        out[t].tested = 0;
        out[t].alarm = 0;
        out[t].expected = out[t].score = out[t].threshold = NAN;
    }
    if (m == VG_SURGE_CUSUM)
        cusum(p, x, n, out);
    else if (m == VG_SURGE_EWMA)
        ewma(p, x, n, out);
    else
        ears(m, p, x, n, out);
    return 0;
}
