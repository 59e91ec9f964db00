/* risk_naive.c - the baseline of bench/risk: the threat of a sample of sites, computed the naive
 * way (every site against every incident, haversine, one core, no index), checked against the
 * output of `vigil sites threat --format csv`.
 *
 *   risk_naive INCIDENTS TARGETS THREAT SAMPLE SEED RADIUS_KM
 *
 * INCIDENTS: lines "lat|lon|year|target" (sqlite3 -separator '|' from the incidents table).
 * TARGETS:   data/risk/target_kinds.csv (lines starting with '#' skipped; site_kind,target_type,
 *            weight first).
 * THREAT:    vigil's CSV (id,kind,code,name,country,lat,lon,n,x,t,rate_raw,pool,alpha,beta,
 *            lambda,p,horizon).
 * Picks SAMPLE rows of THREAT at random (seeded), computes for each n (incidents of a comparable
 * target type within RADIUS km) and x (sum of weight * (1 - (d/R)^2), Epanechnikov) over all
 * incidents, then lambda = (x + alpha) / (t + beta) with vigil's alpha and beta (fitted over all
 * sites, which a sample cannot redo) and p = 1 - exp(-lambda * horizon). Prints one line:
 * "sample S seconds T mismatches M max_rel_x E" and the first mismatches on stderr. It shares no
 * code with Vigil. */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define R_EARTH 6371.0088

struct rule {
    char kind[16];
    char target[64];
    double weight;
};
static struct rule rules[256];
static int nrules;

static char **targets; /* distinct target names of incidents */
static int ntargets;

static int target_id(const char *s)
{
    for (int i = 0; i < ntargets; i++)
        if (strcmp(targets[i], s) == 0)
            return i;
    targets = realloc(targets, (size_t)(ntargets + 1) * sizeof(char *));
    targets[ntargets] = strdup(s);
    return ntargets++;
}

static double weight(const char *kind, int target)
{
    for (int i = 0; i < nrules; i++)
        if (strcmp(rules[i].kind, kind) == 0 && strcasecmp(rules[i].target, targets[target]) == 0)
            return rules[i].weight;
    return 0;
}

/* Splits one CSV line (quotes, doubled quotes) into at most max fields, in place. */
static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        char *out = p;
        f[n++] = p;
        if (*p == '"') {
            char *q = p + 1;
            for (;;) {
                if (*q == '"' && q[1] == '"')
                    *out++ = '"', q += 2;
                else if (*q == '"' || !*q)
                    break;
                else
                    *out++ = *q++;
            }
            if (*q == '"')
                q++;
            p = q;
        } else {
            while (*p && *p != ',')
                *out++ = *p++;
        }
        int more = *p == ',';
        *out = '\0';
        if (!more)
            break;
        p++;
    }
    return n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double haversine(double lat1, double lon1, double lat2, double lon2)
{
    double r = M_PI / 180, dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * R_EARTH * asin(sqrt(a > 1 ? 1 : a));
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: risk_naive INCIDENTS TARGETS THREAT SAMPLE SEED RADIUS_KM\n");
        return 2;
    }
    int sample = atoi(argv[4]);
    uint64_t state = strtoull(argv[5], NULL, 10) * 2654435761u + 1;
    double radius = strtod(argv[6], NULL);
    char *line = NULL;
    size_t cap = 0;

    FILE *f = fopen(argv[2], "r");
    if (!f)
        return perror(argv[2]), 2;
    int header = 0;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        if (!header++)
            continue;
        char *fl[8];
        if (split_csv(line, fl, 8) < 3 || nrules == 256)
            continue;
        snprintf(rules[nrules].kind, sizeof(rules[0].kind), "%s", fl[0]);
        snprintf(rules[nrules].target, sizeof(rules[0].target), "%s", fl[1]);
        rules[nrules++].weight = strtod(fl[2], NULL);
    }
    fclose(f);

    size_t ni = 0, icap = 1 << 20;
    double *ilat = malloc(icap * sizeof(double)), *ilon = malloc(icap * sizeof(double));
    int *itarget = malloc(icap * sizeof(int));
    f = fopen(argv[1], "r");
    if (!f)
        return perror(argv[1]), 2;
    while (getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        char *a = strtok(line, "|"), *b = strtok(NULL, "|"), *c = strtok(NULL, "|"),
             *d = strtok(NULL, "|");
        if (!a || !b || !c || !d)
            continue;
        if (ni == icap) {
            icap *= 2;
            ilat = realloc(ilat, icap * sizeof(double));
            ilon = realloc(ilon, icap * sizeof(double));
            itarget = realloc(itarget, icap * sizeof(int));
        }
        ilat[ni] = strtod(a, NULL);
        ilon[ni] = strtod(b, NULL);
        itarget[ni] = target_id(d);
        ni++;
    }
    fclose(f);

    /* the threat rows */
    char **rows = NULL;
    size_t nrows = 0;
    f = fopen(argv[3], "r");
    if (!f)
        return perror(argv[3]), 2;
    header = 0;
    while (getline(&line, &cap, f) > 0) {
        if (!header++)
            continue;
        rows = realloc(rows, (nrows + 1) * sizeof(char *));
        rows[nrows++] = strdup(line);
    }
    fclose(f);
    if (sample > (int)nrows)
        sample = (int)nrows;

    double elapsed = 0, max_rel = 0;
    int bad = 0;
    for (int s = 0; s < sample; s++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t pick = (size_t)((state >> 33) % nrows);
        char *copy = strdup(rows[pick]);
        copy[strcspn(copy, "\r\n")] = '\0';
        char *fl[20];
        if (split_csv(copy, fl, 20) != 17) {
            fprintf(stderr, "cannot read threat row: %s", rows[pick]);
            return 1;
        }
        const char *kind = fl[1];
        double lat = strtod(fl[5], NULL), lon = strtod(fl[6], NULL);
        long n_v = atol(fl[7]);
        double x_v = strtod(fl[8], NULL), t = strtod(fl[9], NULL);
        double alpha = strtod(fl[12], NULL), beta = strtod(fl[13], NULL);
        double lambda_v = strtod(fl[14], NULL), p_v = strtod(fl[15], NULL);
        double horizon = strtod(fl[16], NULL);
        double w_of[4096];
        for (int k = 0; k < ntargets && k < 4096; k++)
            w_of[k] = weight(kind, k);
        double t0 = now(), x = 0;
        long n = 0;
        for (size_t i = 0; i < ni; i++) {
            double w = w_of[itarget[i]];
            if (w <= 0)
                continue;
            double d = haversine(lat, lon, ilat[i], ilon[i]);
            if (d < radius) {
                double u = d / radius;
                x += w * (1 - u * u);
                n++;
            }
        }
        elapsed += now() - t0;
        double lambda = (x + alpha) / (t + beta), p = 1 - exp(-lambda * horizon);
        double rel = fabs(x - x_v) / (x_v > 1 ? x_v : 1);
        if (rel > max_rel)
            max_rel = rel;
        if (n != n_v || rel > 1e-9 ||
            fabs(lambda - lambda_v) > 1e-9 * (lambda_v > 1 ? lambda_v : 1) ||
            fabs(p - p_v) > 1e-9) {
            if (bad < 10)
                fprintf(stderr,
                        "site %s: naive n %ld x %.12g lambda %.12g p %.12g; vigil n %ld x %.12g "
                        "lambda %.12g p %.12g\n",
                        fl[0], n, x, lambda, p, n_v, x_v, lambda_v, p_v);
            bad++;
        }
        free(copy);
    }
    printf("sample %d seconds %.6f mismatches %d max_rel_x %.3g incidents %zu sites %zu\n", sample,
           elapsed, bad, max_rel, ni, nrows);
    return 0;
}
