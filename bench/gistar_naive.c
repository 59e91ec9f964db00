/* gistar_naive.c - the helper of bench/gistar: makes the input, and is the baseline.
 *
 *   gistar_naive gen N SEED BAND FILE
 *       writes N random points (x,y,value) uniform in a square whose side is chosen so that a
 *       disc of radius BAND holds 50 points on average; values are whole numbers 0..99 plus a
 *       smooth trend, so that the z-scores spread out; coordinates with 3 decimals.
 *   gistar_naive check FILE BAND OUTPUT SAMPLE SEED
 *       reads the points of FILE and the output of `vigil analyze gistar` on it, picks SAMPLE
 *       points at random and computes their Gi* the naive way: for each, a loop over all N points
 *       (all pairs, one core, no index). Compares z (to the 4 decimals vigil prints) and p, and
 *       prints: sample, mean W, seconds of the naive loop, max |dz|, max |dp|, mismatches.
 *
 * The naive computation follows PySAL's G_Local(star=True, transform='B') literally:
 * G = sum_j w_ij x_j / sum x, E = W/n, V = W (n - W) / (n - 1) / n^2 * s^2 / xbar^2,
 * z = (G - E) / sqrt(V), p = 1 - Phi(|z|). It shares no code with Vigil. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t state;

static double uniform(void)
{
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(state >> 11) / 9007199254740992.0;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int gen(long n, uint64_t seed, double band, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    state = seed;
    double side = sqrt((double)n * M_PI * band * band / 50.0);
    fprintf(f, "x,y,value\n");
    for (long i = 0; i < n; i++) {
        double x = uniform() * side, y = uniform() * side;
        int v = (int)(uniform() * 100) + (int)(50 * sin(x / side * 6.28) * cos(y / side * 6.28));
        fprintf(f, "%.3f,%.3f,%d\n", x, y, v);
    }
    if (fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

/* Reads "x,y,value" rows (after the header line); returns the count. */
static long read_points(const char *path, double **x, double **y, double **v)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[256];
    long n = 0, cap = 1 << 20;
    *x = malloc(cap * sizeof(double));
    *y = malloc(cap * sizeof(double));
    *v = malloc(cap * sizeof(double));
    if (!fgets(line, sizeof(line), f))
        return -1;
    while (fgets(line, sizeof(line), f)) {
        if (n == cap) {
            cap *= 2;
            *x = realloc(*x, cap * sizeof(double));
            *y = realloc(*y, cap * sizeof(double));
            *v = realloc(*v, cap * sizeof(double));
        }
        char *p = line;
        (*x)[n] = strtod(p, &p);
        (*y)[n] = strtod(p + 1, &p);
        (*v)[n] = strtod(p + 1, &p);
        n++;
    }
    fclose(f);
    return n;
}

/* Reads vigil's z and p columns (4th and 5th). */
static int read_output(const char *path, long n, double *z, double *p)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    char line[512];
    if (!fgets(line, sizeof(line), f) || strcmp(line, "x,y,value,z,p\n") != 0) {
        fprintf(stderr, "%s: not the output of vigil analyze gistar\n", path);
        return -1;
    }
    long i = 0;
    while (i < n && fgets(line, sizeof(line), f)) {
        char *c = line;
        for (int k = 0; k < 3 && c; k++)
            c = strchr(c, ',') ? strchr(c, ',') + 1 : NULL;
        if (!c) {
            fprintf(stderr, "%s: line %ld is short\n", path, i + 2);
            return -1;
        }
        z[i] = strtod(c, &c);
        p[i] = strtod(c + 1, NULL);
        i++;
    }
    fclose(f);
    if (i != n) {
        fprintf(stderr, "%s: %ld rows, the input has %ld\n", path, i, n);
        return -1;
    }
    return 0;
}

static int check(const char *input, double band, const char *output, long sample, uint64_t seed)
{
    double *x, *y, *v;
    long n = read_points(input, &x, &y, &v);
    if (n < 2)
        return 1;
    double *oz = malloc(n * sizeof(double)), *op = malloc(n * sizeof(double));
    if (read_output(output, n, oz, op))
        return 1;
    double sum = 0, sum2 = 0;
    for (long j = 0; j < n; j++) {
        sum += v[j];
        sum2 += v[j] * v[j];
    }
    double xbar = sum / n, s2 = sum2 / n - xbar * xbar, b2 = band * band;
    state = seed;
    double t0 = now(), maxdz = 0, maxdp = 0, wsum = 0;
    long bad = 0;
    for (long k = 0; k < sample; k++) {
        long i = (long)(uniform() * n);
        double w = 0, sw = 0;
        for (long j = 0; j < n; j++) {
            double dx = x[j] - x[i], dy = y[j] - y[i];
            if (dx * dx + dy * dy <= b2) {
                w += 1;
                sw += v[j];
            }
        }
        double g = sw / sum, e = w / n;
        double var = w * (n - w) / (n - 1) / ((double)n * n) * s2 / (xbar * xbar);
        double z = var > 0 ? (g - e) / sqrt(var) : 0.0;
        double p = 0.5 * erfc(fabs(z) / sqrt(2.0));
        double dz = fabs(z - oz[i]), dp = fabs(p - op[i]);
        maxdz = dz > maxdz ? dz : maxdz;
        maxdp = dp > maxdp ? dp : maxdp;
        /* vigil prints z with 4 decimals and p with 6 (or 4 significant digits below 0.001) */
        if (dz > 0.0000501 || dp > 0.00000051 + 0.0005 * p) {
            if (bad < 5)
                fprintf(stderr, "point %ld (line %ld): naive z %.6f p %.6g, vigil z %.4f p %.6g\n",
                        i, i + 2, z, p, oz[i], op[i]);
            bad++;
        }
        wsum += w;
    }
    double t = now() - t0;
    printf("%ld %.2f %.6f %.6f %.8f %ld\n", sample, wsum / sample, t, maxdz, maxdp, bad);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 6 && strcmp(argv[1], "gen") == 0)
        return gen(atol(argv[2]), strtoull(argv[3], NULL, 10), atof(argv[4]), argv[5]);
    if (argc == 7 && strcmp(argv[1], "check") == 0)
        return check(argv[2], atof(argv[3]), argv[4], atol(argv[5]), strtoull(argv[6], NULL, 10));
    fprintf(stderr, "usage: gistar_naive gen N SEED BAND FILE\n"
                    "       gistar_naive check FILE BAND OUTPUT SAMPLE SEED\n");
    return 2;
}
