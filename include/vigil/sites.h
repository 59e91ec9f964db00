/* sites.h - the registry of key sites (airports, railway and subway stations, malls, venues) and
 * the threat each faces: incidents per year against comparable targets near it, shrunk toward
 * its region's rate by gamma-Poisson empirical Bayes.
 *
 * Sites come from CSV files (vg_sites_import_*): whatever columns a file has are recognised by
 * their usual names (name, code or iata/icao, latitude/longitude and their variants, country);
 * the rest are kept as JSON in `extra`. The identity of a site is (source, source_id): importing
 * the same file again changes nothing, a changed row is updated.
 *
 * The threat of a site (vg_threat_*) is computed from the incidents in the store's analytic cube
 * (cube.h). docs/methods/threat.md gives the method, the formulas and a worked example. */
#ifndef VIGIL_SITES_H
#define VIGIL_SITES_H

#include "vigil/error.h"
#include "vigil/ingest.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct vg_store;

enum vg_site_kind {
    VG_SITE_AIRPORT,
    VG_SITE_RAILWAY,
    VG_SITE_SUBWAY,
    VG_SITE_MALL,
    VG_SITE_VENUE,
    VG_SITE_OTHER,
    VG_SITE_KIND_COUNT
};

/* "airport", "railway", ...; NULL for a value out of range. */
const char *vg_site_kind_name(enum vg_site_kind k);
/* Looks a kind up by name (case-insensitive); 0 or VG_EINVAL (err lists the kinds). */
int vg_site_kind_parse(const char *name, enum vg_site_kind *out, struct vg_error *err);

/* One site as stored. Text fields are NULL when unknown. In a callback the strings belong to the
 * caller of the callback and are valid during the call only; from vg_site_find they belong to
 * the struct until vg_site_cleanup. */
struct vg_site {
    int64_t id;
    enum vg_site_kind kind;
    const char *source, *source_id;
    const char *name;
    const char *code; /* IATA, else ICAO, else the code the file gives */
    const char *iata, *icao;
    const char *country; /* ISO 3166-1 alpha-2 where known, else the file's text */
    const char *region;  /* GTD region name derived from the country, NULL when unknown */
    const char *city;
    double lat, lon;  /* degrees, WGS 84 */
    const char *size; /* large_airport, medium_airport, station category, ... */
    char *storage_;   /* private: the strings of a vg_site_find result */
};

/* Frees what vg_site_find put in site (not site itself). site may be NULL. */
void vg_site_cleanup(struct vg_site *site);

/* Finds one site by its id (a decimal number) or its code: a code matches the code, IATA or ICAO
 * column case-insensitively. When a code matches several sites the rule of vg_site_lookup picks
 * one (the same airport imported from two files is one place) or none. Returns 0 and fills *out
 * (release with vg_site_cleanup), VG_ENOTFOUND when nothing matches, VG_EINVAL when the code
 * stays ambiguous (the message lists the candidates with their ids, so the user can pick one). */
int vg_site_find(struct vg_store *s, const char *key, struct vg_site *out, struct vg_error *err);

/* How a key matched a site; a higher value is a stronger match. */
enum vg_site_match {
    VG_SITE_MATCH_NONE,
    VG_SITE_MATCH_CODE,      /* the generic code column only (a DS100 or GTFS station code) */
    VG_SITE_MATCH_IATA_ICAO, /* the IATA or the ICAO column */
    VG_SITE_MATCH_ID         /* the key was the site's id */
};

/* Best matches no farther apart than this (km, great circle), of one kind and each from a
 * different file, are one place imported several times (docs/sites.md, "Finding a site"). */
#define VG_SITE_SAME_KM 3.0
/* Rows a code is compared over; a code matching more stays ambiguous. */
#define VG_SITE_LOOKUP_MAX 256
/* Entries of each list of struct vg_site_lookup (the counts go on beyond it). */
#define VG_SITE_LOOKUP_REFS 8

/* Another row a key matched, beside the site vg_site_lookup returned. */
struct vg_site_ref {
    int64_t id;
    enum vg_site_kind kind;
    enum vg_site_match match;
    double km;        /* great-circle distance from the site returned */
    char name[128];   /* truncated when longer */
    char source[128]; /* the file it was imported from */
};

/* What vg_site_lookup found besides the site it returned. */
struct vg_site_lookup {
    enum vg_site_match match; /* how the key matched the site returned */
    size_t nsame;             /* other imports of the same place (higher ids, other files) */
    struct vg_site_ref same[VG_SITE_LOOKUP_REFS];   /* the first min(nsame, REFS) of them */
    size_t nweaker;                                 /* rows matched on a weaker column only */
    struct vg_site_ref weaker[VG_SITE_LOOKUP_REFS]; /* the first min(nweaker, REFS) of them */
};

/* vg_site_find, telling the caller what else the key matched (info may be NULL). The rule, for a
 * key that is not an id: only the strongest matches count (the IATA or ICAO column above the
 * generic code column, so "FRA" is the airport, not the station Raunheim whose DS100 code it
 * also is); one of them is the site; several are one place when they are of one kind, come from
 * different files and lie within VG_SITE_SAME_KM of each other, and then the one imported first
 * (lowest id) is the site and the others are listed in info->same; otherwise the key is
 * ambiguous (VG_EINVAL, the message lists the strongest matches). info->weaker lists the rows
 * passed over. On failure *info is zeroed. */
int vg_site_lookup(struct vg_store *s, const char *key, struct vg_site *out,
                   struct vg_site_lookup *info, struct vg_error *err);

/* A one-line note for the user about what vg_site_lookup passed over, written into buf (size n,
 * always terminated), such as "also imported as id 5547 from airports_openflights.csv (0.8 km
 * away); also the code of id 16139 Raunheim (railway)". Returns the length written (less than n),
 * 0 when there is nothing to say (buf is then ""). */
size_t vg_site_lookup_note(const struct vg_site_lookup *info, char *buf, size_t n);

/* Which sites vg_site_each visits. Zeroed: all of them. */
struct vg_site_filter {
    int only_kind; /* 1: only sites of `kind`; 0: every kind */
    enum vg_site_kind kind;
    const char *country; /* ISO alpha-2 or the country as stored, case-insensitive; NULL: any */
    int near;            /* 1: only sites within km of (lat, lon) (great-circle distance) */
    double lat, lon, km;
};

/* Calls fn for every site that passes filter (NULL: all), in the order of their ids. A non-zero
 * return of fn stops the walk and is returned. */
int vg_site_each(struct vg_store *s, const struct vg_site_filter *filter,
                 int (*fn)(void *ctx, const struct vg_site *site), void *ctx, struct vg_error *err);

/* Number of sites that pass filter (NULL: all; `near` is ignored). */
int vg_site_count(struct vg_store *s, const struct vg_site_filter *filter, int64_t *count,
                  struct vg_error *err);

/* ---- import ---- */

struct vg_sites_import_opts {
    enum vg_site_kind kind;
    const char *source;        /* NULL: the file's base name */
    enum vg_encoding encoding; /* AUTO: UTF-8 unless the text is not UTF-8, then Latin-1 */
    char delimiter;            /* 0: detect */
    const char *country;       /* country of the rows that name none (ISO alpha-2 or name) */
    /* Called for every rejected row; a non-zero return stops the import with that code. */
    int (*on_reject)(void *ctx, const struct vg_reject *rej);
    void *ctx;
    volatile sig_atomic_t *cancel; /* when set: commit what was read and stop (VG_EINVAL) */
};

/* Imports the sites of the CSV file at path ("-": standard input) and adds its counts to
 * *stats. Returns 0 when the whole file was read (rows may have been rejected), or a negative
 * code when it could not be (err says where and why; nothing of the file is stored: a file of
 * sites is small and goes in one transaction). A row is rejected on its own (on_reject) when it
 * cannot be taken: a number of fields other than the header's, text that is not UTF-8 or holds a
 * NUL byte, a name or coordinates missing or wrong, an id repeated. A record over several lines
 * that looks like a stray quote (the wrong field count, text after a closing quote, or a line
 * end in a column with a role) is rejected by its first line, and the lines after it are read
 * again as rows. */
int vg_sites_import_path(struct vg_store *s, const char *path,
                         const struct vg_sites_import_opts *opts, struct vg_ingest_stats *stats,
                         struct vg_error *err);
/* The same from memory; name stands for the file in messages and is the default source. */
int vg_sites_import_mem(struct vg_store *s, const char *data, size_t len, const char *name,
                        const struct vg_sites_import_opts *opts, struct vg_ingest_stats *stats,
                        struct vg_error *err);

/* The GTD region of a country, given as ISO 3166-1 alpha-2 or by name (the names the GTD and
 * OpenFlights use, case-insensitive): NULL when unknown. *iso2 (if not NULL) is set to the
 * country's alpha-2 code, or NULL. The strings are static. */
const char *vg_country_region(const char *country, const char **iso2);

/* Great-circle distance in km between two points in degrees (haversine, R = 6371.0088 km). */
double vg_geo_km(double lat1, double lon1, double lat2, double lon2);

/* ---- threat ---- */

/* Which GTD target types count as attacks on comparable targets, per site kind: the table
 * data/risk/target_kinds.csv (columns site_kind, target_type, weight). */
struct vg_target_kinds;

/* Read the table from the file at path, or from data (len bytes, name for messages). Comment
 * lines start with '#'; the first that says "version: V" gives the version. Each kind and target
 * type (case-insensitive) may be listed once. Returns 0 and *out (release with
 * vg_target_kinds_destroy), or VG_EFORMAT (a bad header or row, a weight outside 0-1, a pair
 * listed twice), VG_EINVAL (an unknown kind), VG_ETOOBIG, VG_EIO, VG_ENOMEM with err saying
 * where. */
int vg_target_kinds_load(const char *path, struct vg_target_kinds **out, struct vg_error *err);
int vg_target_kinds_parse(const char *data, size_t len, const char *name,
                          struct vg_target_kinds **out, struct vg_error *err);
void vg_target_kinds_destroy(struct vg_target_kinds *tk);
/* The weight of target type `target` for sites of kind k (0 when it does not count). */
double vg_target_kinds_weight(const struct vg_target_kinds *tk, enum vg_site_kind k,
                              const char *target);
/* The version the table declares (its `# version:` line), or "" when none. */
const char *vg_target_kinds_version(const struct vg_target_kinds *tk);

/* Distance kernels: weight of an incident at distance d from a site, for a radius R. */
enum vg_kernel {
    VG_KERNEL_EPANECHNIKOV, /* 1 - (d/R)^2 for d < R, else 0 (the default) */
    VG_KERNEL_GAUSSIAN,     /* exp(-(d/(R/2))^2 / 2) for d < R, else 0: bandwidth R/2 */
    VG_KERNEL_UNIFORM       /* 1 for d < R, else 0: a plain count */
};
const char *vg_kernel_name(enum vg_kernel k);
int vg_kernel_parse(const char *name, enum vg_kernel *out, struct vg_error *err);
double vg_kernel_weight(enum vg_kernel k, double d_km, double radius_km);

/* How the prior is pooled: the sites of one kind in one region share (alpha, beta). */
enum vg_prior_pool {
    VG_POOL_KIND_REGION, /* kind and region (the default); a group with too few sites falls back
                          * to the kind's world-wide pool */
    VG_POOL_KIND,        /* kind, world-wide */
    VG_POOL_ALL          /* every site together */
};

#define VG_THREAT_MAX_KM 2000 /* the largest radius of comparable incidents */

struct vg_threat_opts {
    const struct vg_target_kinds *targets; /* required */
    double radius_km;                      /* 0: 50; at most VG_THREAT_MAX_KM */
    enum vg_kernel kernel;                 /* default Epanechnikov */
    double horizon_years;                  /* 0: 1 */
    int from_year, to_year;                /* 0: the first / last year of the incidents */
    enum vg_prior_pool pool;
    int only_kind; /* 1: only sites of `kind` are computed and reported; 0: every kind */
    enum vg_site_kind kind;
    int threads; /* 0: one per processor, at most 8 */
    int naive;   /* 1: compare every incident with every site (the baseline) */
};

/* The threat of one site. */
struct vg_threat {
    int64_t site_id;
    double x;            /* kernel-weighted count of comparable incidents within the radius */
    int64_t n_incidents; /* unweighted count of them */
    double t;            /* years observed */
    double rate_raw;     /* x / t */
    char region[64];     /* the GTD region of the prior's pool, or "world" */
    char pool[96];       /* the prior's pool: "airport/Western Europe", "airport/world", ... */
    char method[16];     /* how its alpha and beta were fitted (see vg_threat_fit) */
    double alpha, beta;  /* the gamma prior of that pool */
    double lambda;       /* posterior mean incidents per year, (x + alpha) / (t + beta) */
    double horizon_years;
    double p_horizon; /* 1 - exp(-lambda * horizon) */
};

/* Computes the threat of every site (only those of opts->kind when only_kind is set) and calls fn
 * for each in the order of their ids with the site and its threat (both valid during the call). A
 * non-zero return of fn stops and is returned. The prior is fitted over the sites of each pool.
 * Fails with VG_ENOTFOUND when the store has no incidents with coordinates in the years asked for.
 */
int vg_threat_all(struct vg_store *s, const struct vg_threat_opts *opts,
                  int (*fn)(void *ctx, const struct vg_site *site, const struct vg_threat *t),
                  void *ctx, struct vg_error *err);

/* The threat of one site (its prior is still fitted over its pool). */
int vg_threat_site(struct vg_store *s, const struct vg_threat_opts *opts, int64_t site_id,
                   struct vg_threat *out, struct vg_error *err);

/* The empirical-Bayes fit on its own: counts x[i] (may be fractional) over exposures t[i] > 0,
 * assumed x ~ Poisson(lambda t), lambda ~ Gamma(alpha, rate beta). Fits alpha and beta by
 * maximising the negative-binomial marginal likelihood (method of moments as the start and as
 * the fall-back). When the counts show no more spread than Poisson noise, the rates are taken
 * as equal: beta is made large (alpha / beta = the pooled rate, alpha = 1e6 * that rate) so
 * every site gets the pooled rate. *method (may be NULL) says which was used: "ml", "moments",
 * "pooled" or "empty" (n == 0 or no exposure: alpha = beta = 0). */
int vg_threat_fit(const double *x, const double *t, size_t n, double *alpha, double *beta,
                  const char **method, struct vg_error *err);

#endif
