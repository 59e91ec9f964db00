/* knox_helper.c - input and baseline for bench/knox.
 *
 *   knox_helper gen N SEED          writes N clustered events as CSV (x,y,t) to standard output
 *   knox_helper naive FILE D T P    the naive Knox test: P passes over all n(n-1)/2 pairs, the
 *                                   first on the times as read (X, N_s, N_t), the others on
 *                                   shuffled times (what each Monte Carlo permutation costs);
 *                                   prints one JSON object with the counts and the timings
 *
 * The events of `gen` lie in a 50 km square (coordinates in metres) over three years (t in whole
 * days): half uniform in space and time, half around 500 hot spots (normal, 250 m standard
 * deviation), each hot spot active in five episodes of three weeks, so that there are many pairs
 * close in space and more of them close in time than chance gives. The generator is splitmix64,
 * so a seed gives the same file everywhere.
 *
 * The naive method is the textbook one a user would write first: a double loop over all pairs
 * testing dx*dx + dy*dy <= D*D and |dt| <= T, the same tests as `vigil analyze knox`, compiled
 * with the same optimisation. It is a baseline for the timing and a check of the counts. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t sm_state;

static uint64_t next64(void)
{
    uint64_t z = (sm_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform(void)
{
    return (double)(next64() >> 11) * 0x1.0p-53;
}

static double normal(void)
{
    double u = uniform(), v = uniform();
    return sqrt(-2 * log(u > 0 ? u : 1e-300)) * cos(2 * M_PI * v);
}

static int gen(long n, uint64_t seed)
{
    enum { SPOTS = 500, EPISODES = 5 };
    static double sx[SPOTS], sy[SPOTS], st[SPOTS][EPISODES];
    sm_state = seed;
    for (int k = 0; k < SPOTS; k++) {
        sx[k] = uniform() * 50000;
        sy[k] = uniform() * 50000;
        for (int e = 0; e < EPISODES; e++)
            st[k][e] = floor(uniform() * 1075);
    }
    puts("x,y,t");
    for (long i = 0; i < n; i++) {
        double x, y, t;
        if (next64() & 1) {
            x = uniform() * 50000;
            y = uniform() * 50000;
            t = floor(uniform() * 1096);
        } else {
            int k = (int)(next64() % SPOTS);
            x = sx[k] + 250 * normal();
            y = sy[k] + 250 * normal();
            t = st[k][next64() % EPISODES] + (double)(next64() % 21);
        }
        printf("%.2f,%.2f,%.0f\n", x, y, t);
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int naive(const char *path, double D, double T, int passes)
{
    double t0 = now();
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return 1;
    }
    size_t n = 0, cap = 1 << 16;
    double *x = malloc(cap * sizeof(double)), *y = malloc(cap * sizeof(double)),
           *t = malloc(cap * sizeof(double));
    char line[256];
    if (!x || !y || !t || !fgets(line, sizeof(line), f) || strncmp(line, "x,y,t", 5) != 0) {
        fprintf(stderr, "%s: expected the header x,y,t\n", path);
        return 1;
    }
    while (fgets(line, sizeof(line), f)) {
        if (n == cap) {
            cap *= 2;
            x = realloc(x, cap * sizeof(double));
            y = realloc(y, cap * sizeof(double));
            t = realloc(t, cap * sizeof(double));
            if (!x || !y || !t)
                return 1;
        }
        char *p = line;
        x[n] = strtod(p, &p);
        y[n] = strtod(p + 1, &p);
        t[n] = strtod(p + 1, &p);
        n++;
    }
    fclose(f);
    double read_s = now() - t0;
    double D2 = D * D;
    printf("{\"events\":%zu,\"read_seconds\":%.6f,\"passes\":[", n, read_s);
    sm_state = 12345;
    for (int pass = 0; pass < passes; pass++) {
        double t1 = now();
        if (pass > 0) /* a permutation: shuffle the times (Fisher-Yates) */
            for (size_t i = n - 1; i > 0; i--) {
                size_t j = (size_t)(next64() % (i + 1));
                double tmp = t[i];
                t[i] = t[j];
                t[j] = tmp;
            }
        uint64_t ns = 0, nt = 0, xx = 0;
        for (size_t i = 0; i < n; i++) {
            double xi = x[i], yi = y[i], ti = t[i];
            uint64_t cs = 0, ct = 0, cx = 0;
            for (size_t j = i + 1; j < n; j++) {
                double dx = xi - x[j], dy = yi - y[j];
                int s = dx * dx + dy * dy <= D2;
                int c = fabs(ti - t[j]) <= T;
                cs += s;
                ct += c;
                cx += s & c;
            }
            ns += cs;
            nt += ct;
            xx += cx;
        }
        double secs = now() - t1;
        printf("%s{\"seconds\":%.6f,\"pairs\":%llu,\"close_space\":%llu,\"close_time\":%llu,"
               "\"observed\":%llu}",
               pass ? "," : "", secs, (unsigned long long)n * (n - 1) / 2, (unsigned long long)ns,
               (unsigned long long)nt, (unsigned long long)xx);
        fflush(stdout);
    }
    puts("]}");
    free(x);
    free(y);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "gen") == 0)
        return gen(strtol(argv[2], NULL, 10), strtoull(argv[3], NULL, 10));
    if (argc == 6 && strcmp(argv[1], "naive") == 0)
        return naive(argv[2], strtod(argv[3], NULL), strtod(argv[4], NULL),
                     (int)strtol(argv[5], NULL, 10));
    fputs("usage: knox_helper gen N SEED | knox_helper naive FILE D T PASSES\n", stderr);
    return 2;
}
