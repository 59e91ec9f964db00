/* knox.h - space-time interaction of events: the Knox test and the near-repeat table.
 *
 * Two events form a pair; a pair is close in space when the events lie within a distance of each
 * other and close in time when their times differ by at most a span. The Knox statistic X counts
 * the pairs close in both. If where events happen has nothing to do with when, X is about
 * E = N_s * N_t / N (N all pairs, N_s those close in space, N_t those close in time); an X above
 * E means events that are near in space tend to be near in time too ("near repeats").
 *
 * Significance is told two ways: the Poisson approximation P(Y >= X), Y ~ Poisson(E), and a
 * Monte Carlo test that shuffles the times among the events B times, seeded, and counts how
 * often the shuffled X reaches the observed one: p = (1 + #{X_b >= X}) / (B + 1).
 *
 * The near-repeat table (Ratcliffe's Near Repeat Calculator) splits distance and time into bands
 * and gives, for each cell of bands, the observed count of pairs, the count expected when times
 * are shuffled (the mean over the permutations), their ratio and the Monte Carlo p-value.
 *
 * Shuffles are reproducible: permutation b (0-based) uses the stream (seed, b) of vg_rand
 * (rand.h) and is the Fisher-Yates shuffle of the times in the input order: for i from n - 1 down
 * to 1, j = vg_rand_below(r, i + 1) and times i and j are swapped. The results do not depend on
 * the number of threads. */
#ifndef VIGIL_KNOX_H
#define VIGIL_KNOX_H

#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>

struct vg_cube;
struct vg_selection;

#define VG_KNOX_MAX_EVENTS ((size_t)1 << 25)           /* events in one test (33,554,432) */
#define VG_KNOX_MAX_PERMUTATIONS 100000u               /* permutations in one test */
#define VG_KNOX_MAX_PAIRS_DEFAULT ((size_t)100000000u) /* pairs close in space kept (9 B each) */
#define VG_KNOX_MAX_BANDS 100u                         /* bands of distance, and of time */
#define VG_KNOX_MAX_BAND_DAYS 36525u                   /* width of one time band, in days */
#define VG_EARTH_RADIUS_KM 6371.0088                   /* mean Earth radius (IUGG) */

/* ---- events of a Knox test ---- */

/* Events as three growable columns: planar coordinates x, y and time t (days). */
struct vg_knox_events {
    size_t n, cap;
    double *x, *y, *t;
};

void vg_knox_events_init(struct vg_knox_events *e);
void vg_knox_events_cleanup(struct vg_knox_events *e);
/* Appends one event. VG_EINVAL when a value is not finite, VG_ETOOBIG past VG_KNOX_MAX_EVENTS,
 * VG_ENOMEM. */
int vg_knox_events_add(struct vg_knox_events *e, double x, double y, double t,
                       struct vg_error *err);

/* Reads events from CSV (csv.h): a header naming the columns x, y and t (found by name, in any
 * order and letter case; other columns are ignored), then one event per row. Blank lines are
 * skipped. Every value must be a finite number; a row with another number of fields than the
 * header, an empty or non-numeric value, NaN or an infinity is an error (VG_EFORMAT) naming the
 * file (name), the line and the column. Appends to e; on failure e holds the rows before the
 * bad one. */
int vg_knox_read_fd(int fd, const char *name, struct vg_knox_events *e, struct vg_error *err);
/* The same from a file path ("-" for standard input). */
int vg_knox_read_path(const char *path, struct vg_knox_events *e, struct vg_error *err);

/* ---- the Knox test ---- */

struct vg_knox_opts {
    double space;          /* D > 0: a pair is close in space when its distance is <= D */
    double time;           /* T >= 0: a pair is close in time when |t1 - t2| <= T */
    uint32_t permutations; /* B, at most VG_KNOX_MAX_PERMUTATIONS; 0: no Monte Carlo test */
    uint64_t seed;         /* seed of the permutations */
    unsigned threads;      /* threads for the permutations; 0: one per online processor */
    size_t max_pairs;      /* cap on the pairs close in space; 0: VG_KNOX_MAX_PAIRS_DEFAULT */
};

/* Defaults: no D or T (they must be set), 999 permutations, seed 1, threads and cap 0. */
void vg_knox_opts_init(struct vg_knox_opts *o);

struct vg_knox_result {
    size_t events;         /* n */
    uint64_t pairs;        /* N = n(n-1)/2 */
    uint64_t close_space;  /* N_s */
    uint64_t close_time;   /* N_t */
    uint64_t observed;     /* X */
    double expected;       /* E = N_s * N_t / N */
    double p_poisson;      /* P(Y >= X), Y ~ Poisson(E) */
    uint32_t permutations; /* B */
    uint64_t seed;
    uint64_t at_least;    /* #{b : X_b >= X} */
    double p_monte_carlo; /* (1 + at_least) / (B + 1); NAN when B = 0 */
    double perm_mean;     /* mean of the X_b; NAN when B = 0 */
    uint64_t perm_min, perm_max;
};

/* Runs the test on n events given as columns (x, y planar, t in days). Distances are Euclidean:
 * a pair is close in space when dx*dx + dy*dy <= D*D in double arithmetic, so a pair exactly D
 * apart counts; close in time when fabs(t1 - t2) <= T. counts, when not NULL, receives X_b for
 * each permutation b (B entries). Errors: VG_EINVAL (fewer than two events, a value not finite,
 * D <= 0, T < 0, too many permutations), VG_ETOOBIG (more events than VG_KNOX_MAX_EVENTS, or
 * more pairs close in space than the cap: D is too large for the data), VG_ENOMEM. */
int vg_knox_run(const double *x, const double *y, const double *t, size_t n,
                const struct vg_knox_opts *o, struct vg_knox_result *out, uint64_t *counts,
                struct vg_error *err);

/* P(Y >= k) for Y ~ Poisson(mean): 1 for k = 0; computed from Loader's saddle-point form of the
 * probability of k (or k - 1) and a summation of the tail on the side where it is small, so the
 * result keeps its relative accuracy deep in the upper tail and for large means. */
double vg_knox_poisson_tail(uint64_t k, double mean);

/* ---- the near-repeat table ---- */

struct vg_knox_table_opts {
    double band_km;        /* width of a distance band, km (> 0) */
    uint32_t space_bands;  /* S: bands of distance, 1..VG_KNOX_MAX_BANDS */
    uint32_t band_days;    /* width of a time band, days, 1..VG_KNOX_MAX_BAND_DAYS */
    uint32_t time_bands;   /* K: bands of time, 1..VG_KNOX_MAX_BANDS */
    uint32_t permutations; /* B, 1..VG_KNOX_MAX_PERMUTATIONS */
    uint64_t seed;
    unsigned threads; /* 0: one per online processor */
    size_t max_pairs; /* cap on the pairs within S * band_km; 0: VG_KNOX_MAX_PAIRS_DEFAULT */
};

/* Defaults: 5 distance bands and 5 time bands (the widths must be set), 99 permutations,
 * seed 1. */
void vg_knox_table_opts_init(struct vg_knox_table_opts *o);

struct vg_knox_cell {
    uint64_t observed; /* pairs in the cell */
    double expected;   /* mean count over the permutations */
    double ratio;      /* observed / expected; NAN when expected is 0 */
    uint64_t at_least; /* permutations whose count reached the observed one */
    double p;          /* (1 + at_least) / (B + 1) */
};

/* The table: rows are distance bands, columns time bands, cells row by row.
 * Row 0 is "same location" (distance 0); row r in 1..S holds distances in
 * ((r - 1) * W, r * W] km; row S + 1 those beyond S * W. Column c in 0..K-1 holds time gaps
 * (whole days) from c * T + 1 to (c + 1) * T, the first from 0; column K those beyond K * T. */
struct vg_knox_table {
    uint32_t rows, cols; /* S + 2, K + 1 */
    double band_km;
    uint32_t band_days;
    uint32_t permutations;
    uint64_t seed;
    size_t incidents; /* events in the table (n) */
    uint64_t pairs;   /* n(n-1)/2: the sum of the observed counts */
    /* Filled by vg_knox_nearrepeat: incidents selected, and left out for lack of coordinates
     * (unknown, or outside [-90, 90] x [-180, 180]) or of a date known to the day. */
    size_t selected, no_location, no_day;
    struct vg_knox_cell *cells; /* rows * cols */
};

/* Builds the table for n events at (lat[i], lon[i]) degrees on day day[i] (any day count, e.g.
 * days since 1970-01-01). Distances are great-circle distances by the haversine formula on a
 * sphere of radius VG_EARTH_RADIUS_KM. Errors: VG_EINVAL (a bad option, fewer than two events, a
 * coordinate not finite or out of range), VG_ETOOBIG (the cap on events or pairs), VG_ENOMEM. */
int vg_knox_table_create(const double *lat, const double *lon, const int32_t *day, size_t n,
                         const struct vg_knox_table_opts *o, struct vg_knox_table **out,
                         struct vg_error *err);

/* The table of the incidents that sel selects from cube c, leaving out (and counting) those
 * without coordinates or without a date known to the day. */
int vg_knox_nearrepeat(const struct vg_cube *c, const struct vg_selection *sel,
                       const struct vg_knox_table_opts *o, struct vg_knox_table **out,
                       struct vg_error *err);

void vg_knox_table_destroy(struct vg_knox_table *t);

/* Great-circle distance in km between two points given in degrees (haversine formula, radius
 * VG_EARTH_RADIUS_KM). */
double vg_knox_haversine(double lat1, double lon1, double lat2, double lon2);

#endif
