/* risk.h - the risk of a key site: its security checklist (vulnerability and gaps), CARVER+Shock,
 * FEMA 426 (asset value x threat x vulnerability) and the DHS risk R = T x V x C.
 *
 * The scales are data, not code: five CSV tables shipped in data/risk/ and loaded at run time
 * (vg_risk_scales_load), their version in their file names (checklist-v1.csv, carver-v1.csv,
 * defaults-v1.csv, fema426-v1.csv, threat-v1.csv). data/risk/README.md describes the columns.
 *
 * Scoring is pure: vg_risk_score takes a site's kind and size, its checklist answers, its
 * ratings and its threat, all as plain values, and fills a struct vg_risk_result with every score
 * and the reasons behind it (largest first). Reading and writing the answers and ratings kept in
 * the store (tables site_assessments and site_ratings) is a thin layer beside it
 * (vg_risk_answer_set, vg_risk_rating_set, vg_risk_state_load).
 *
 * docs/methods/vulnerability.md, carver-shock.md and fema426.md give the methods with a worked
 * example each. */
#ifndef VIGIL_RISK_H
#define VIGIL_RISK_H

#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/sites.h"

#include <stddef.h>
#include <stdint.h>

struct vg_store;

#define VG_RISK_SCALES_VERSION 1 /* the version vg_risk_scales_load reads by default */
#define VG_RISK_MAX_ITEMS 64     /* checklist items of one kind of site */
#define VG_RISK_MAX_ROWS 4096    /* rows of one scale table */
#define VG_RISK_TEXT_MAX 1024    /* bytes of a title, a description or a note */

/* The criteria a site is rated on: the seven of CARVER+Shock, then FEMA 426's asset value and
 * threat rating (FEMA's vulnerability rating comes from the checklist alone). */
enum vg_risk_criterion {
    VG_RISK_CRITICALITY,
    VG_RISK_ACCESSIBILITY,
    VG_RISK_RECUPERABILITY,
    VG_RISK_VULNERABILITY,
    VG_RISK_EFFECT,
    VG_RISK_RECOGNIZABILITY,
    VG_RISK_SHOCK,
    VG_RISK_ASSET_VALUE,
    VG_RISK_THREAT,
    VG_RISK_CRITERION_COUNT
};
#define VG_RISK_CARVER_COUNT 7 /* the first seven criteria */

/* "criticality", ..., "asset_value", "threat"; "?" out of range. */
const char *vg_risk_criterion_name(enum vg_risk_criterion c);
/* Looks a criterion up by name (case-insensitive); 0, or VG_EINVAL with err listing the names. */
int vg_risk_criterion_parse(const char *name, enum vg_risk_criterion *out, struct vg_error *err);

/* The state of one checklist item at one site. An item never assessed counts as a gap: a site is
 * not taken to be protected until someone has checked that it is. */
enum vg_risk_status { VG_RISK_UNASSESSED, VG_RISK_MET, VG_RISK_GAP };

/* "unassessed", "met", "gap". */
const char *vg_risk_status_name(enum vg_risk_status st);
/* "met" or "gap" (case-insensitive); 0, or VG_EINVAL. */
int vg_risk_status_parse(const char *name, enum vg_risk_status *out, struct vg_error *err);

/* ---- scales ---- */

/* The loaded tables. Immutable once loaded, so it may be shared by threads. */
struct vg_risk_scales;

/* One checklist item of the scales. Strings belong to the scales. */
struct vg_risk_item {
    const char *kind; /* "airport", ..., or "*" for every kind */
    const char *name;
    enum vg_risk_criterion criterion; /* VG_RISK_ACCESSIBILITY or VG_RISK_VULNERABILITY */
    double weight;                    /* > 0 */
    const char *title, *description;
};

/* Loads the five tables of `version` from dir (dir/checklist-v<version>.csv and so on) and checks
 * them together. On failure err names the file and line and says what is wrong. */
int vg_risk_scales_load(const char *dir, int version, struct vg_risk_scales **out,
                        struct vg_error *err);
/* The same step by step, for tables that are not files: create, parse each table (name is the
 * file name, whose part before the first '-' or '.' says which table it is: checklist, carver,
 * defaults, fema426 or threat), then finish, which checks that every table came and that they
 * fit together. A table given twice is an error. */
int vg_risk_scales_create(int version, struct vg_risk_scales **out);
int vg_risk_scales_parse(struct vg_risk_scales *s, const char *name, const void *data, size_t len,
                         struct vg_error *err);
int vg_risk_scales_finish(struct vg_risk_scales *s, struct vg_error *err);
void vg_risk_scales_destroy(struct vg_risk_scales *s);
int vg_risk_scales_version(const struct vg_risk_scales *s);

/* The checklist of a kind ("airport", ...): the items for every kind, then the kind's own, in
 * the order of the table. Returns their number (0 for an unknown kind); *items points at an array
 * of that many pointers, owned by the scales. */
size_t vg_risk_checklist(const struct vg_risk_scales *s, const char *kind,
                         const struct vg_risk_item *const **items);
/* The item `name` of kind's checklist (case-insensitive), or NULL. */
const struct vg_risk_item *vg_risk_item_find(const struct vg_risk_scales *s, const char *kind,
                                             const char *name);
/* Fills err with "unknown item 'name' for a KIND site (valid: a, b, ...)"; returns VG_EINVAL. */
int vg_risk_item_error(const struct vg_risk_scales *s, const char *kind, const char *name,
                       struct vg_error *err);

/* The label and description of value on a scale: a CARVER+Shock criterion (carver table), or for
 * VG_RISK_ASSET_VALUE / VG_RISK_THREAT the FEMA 426 scale. NULL when the tables have none. */
const char *vg_risk_scale_label(const struct vg_risk_scales *s, enum vg_risk_criterion c, int value,
                                const char **description);
/* The same for FEMA 426's vulnerability rating and its risk bands (value 1-1000). */
const char *vg_risk_fema_vulnerability_label(const struct vg_risk_scales *s, int value,
                                             const char **description);
const char *vg_risk_band(const struct vg_risk_scales *s, int fema_score, const char **description);

/* ---- scoring ---- */

/* One checklist answer. */
struct vg_risk_answer {
    const char *item;
    enum vg_risk_status status; /* VG_RISK_MET or VG_RISK_GAP */
    const char *notes, *date;   /* may be NULL */
};

/* One rating that overrides a criterion's default or derived value. */
struct vg_risk_rating {
    enum vg_risk_criterion criterion;
    int value; /* 1-10 */
    const char *notes, *date;
};

/* Everything vg_risk_score needs to know about a site. The pointers are borrowed. */
struct vg_risk_input {
    const char *kind; /* "airport", "railway", "subway", "mall", "venue" or "other" */
    const char *size; /* as stored ("large_airport", ...); NULL or unknown: the kind's "*" row */
    const struct vg_risk_answer *answers;
    size_t nanswers; /* at most one per item */
    const struct vg_risk_rating *ratings;
    size_t nratings;     /* at most one per criterion */
    int has_threat;      /* 1 when lambda is an estimate (sites.h, struct vg_threat) */
    double lambda;       /* incidents per year against comparable targets near the site */
    int64_t n_incidents; /* shown only */
};

/* Where a criterion's value came from. */
enum vg_risk_source {
    VG_RISK_FROM_DEFAULT,   /* the defaults table, for the kind and size */
    VG_RISK_FROM_RATING,    /* a rating of the site (site_ratings) */
    VG_RISK_FROM_CHECKLIST, /* the weighted share of gaps in the checklist */
    VG_RISK_FROM_THREAT     /* the threat estimate through the threat table */
};
const char *vg_risk_source_name(enum vg_risk_source src);

struct vg_risk_value {
    int value; /* 1-10 */
    enum vg_risk_source source;
    double exact;      /* before rounding, for derived values; else value */
    const char *notes; /* of the rating, when source is a rating */
};

/* One checklist item's state at the site. */
struct vg_risk_item_state {
    const struct vg_risk_item *item;
    enum vg_risk_status status;
    double raise;             /* how much it raises its criterion: 9 w / W for a gap, else 0 */
    const char *notes, *date; /* of the answer, borrowed from the input */
};

/* One factor behind a score, and how much it weighs in it (what the list is ordered by). */
struct vg_risk_reason {
    char factor[32];
    double weight;
    char text[256];
};

struct vg_risk_result {
    const char *kind;
    const char *size_row; /* the size whose defaults were used, "*" for the kind's own */
    struct vg_risk_value criteria[VG_RISK_CRITERION_COUNT];

    size_t nitems; /* the kind's checklist, in table order */
    struct vg_risk_item_state items[VG_RISK_MAX_ITEMS];
    size_t nmet, ngaps, nunassessed;
    /* Weighted share of gaps (unassessed counted), 0-1: of the accessibility items, of the
     * vulnerability items, of all. */
    double gap_share_access, gap_share_vuln, gap_share_all;

    int carver_total; /* 7-70 */

    double p_year;          /* 1 - exp(-lambda), NaN without a threat estimate */
    int fema_vulnerability; /* 1 + 9 gap_share_all, rounded */
    int fema_score;         /* asset value x threat x vulnerability, 1-1000 */
    const char *fema_band;  /* "low", "medium", "high" (from the table) */

    /* DHS: T = p_year (the threat rating / 10 when it was rated or not estimated), V = FEMA
     * vulnerability / 10, C = (criticality + recuperability + effect + shock) / 40. */
    double dhs_t, dhs_v, dhs_c, dhs;

    /* Reasons, largest first (ties in the order of the criteria). */
    struct vg_risk_reason carver[VG_RISK_CARVER_COUNT];
    struct vg_risk_reason fema[3];
    struct vg_risk_reason dhs_reasons[3];
    /* The gaps (unassessed items too), largest raise first: indexes into items. */
    size_t ngap_order;
    size_t gap_order[VG_RISK_MAX_ITEMS];
};

/* Scores a site. Fails with VG_EINVAL (err says why) on an unknown kind, an answer naming an
 * item not in the kind's checklist (err lists the valid ones), an item answered twice, or a
 * rating outside 1-10. Allocates nothing; out borrows strings from s and in. */
int vg_risk_score(const struct vg_risk_scales *s, const struct vg_risk_input *in,
                  struct vg_risk_result *out, struct vg_error *err);

/* The order sites are ranked in: DHS risk, then FEMA score, then CARVER total (all descending).
 * Returns < 0 when a ranks above b, > 0 when below, 0 when they tie. */
int vg_risk_compare(const struct vg_risk_result *a, const struct vg_risk_result *b);

/* ---- the store ---- */

/* Records an answer for item at a site (replacing an earlier one). date "YYYY-MM-DD", by may be
 * NULL. The item is not checked here: check it with vg_risk_item_find first. */
int vg_risk_answer_set(struct vg_store *st, int64_t site_id, const struct vg_risk_answer *a,
                       const char *by, struct vg_error *err);
/* Records a rating (replacing an earlier one of the same criterion). */
int vg_risk_rating_set(struct vg_store *st, int64_t site_id, const struct vg_risk_rating *r,
                       struct vg_error *err);
/* Removes the rating of a criterion, if any (the default or derived value applies again). */
int vg_risk_rating_clear(struct vg_store *st, int64_t site_id, enum vg_risk_criterion c,
                         struct vg_error *err);

/* The answers and ratings of one site as stored, ready to go into a struct vg_risk_input.
 * Answers whose item is not in the checklist of the scales in use (an older version's) are left
 * out and counted in nstale. */
struct vg_risk_state {
    struct vg_risk_answer answers[VG_RISK_MAX_ITEMS];
    size_t nanswers, nstale;
    struct vg_risk_rating ratings[VG_RISK_CRITERION_COUNT];
    size_t nratings;
    struct vg_buf strings_; /* private: the text the pointers above point into */
};

/* A reader of states, holding its prepared statements: for one site or many in a row. */
struct vg_risk_reader;
int vg_risk_reader_create(struct vg_store *st, const struct vg_risk_scales *s,
                          struct vg_risk_reader **out, struct vg_error *err);
void vg_risk_reader_destroy(struct vg_risk_reader *r);
/* Loads the state of site_id (of kind `kind`) into *state, replacing what it held. The strings
 * of the state stay valid until the next load into it or vg_risk_state_cleanup. */
int vg_risk_reader_load(struct vg_risk_reader *r, int64_t site_id, const char *kind,
                        struct vg_risk_state *state, struct vg_error *err);
void vg_risk_state_init(struct vg_risk_state *state);
void vg_risk_state_cleanup(struct vg_risk_state *state);

/* ---- ranking and explanation (rank.c) ---- */

/* Finds rel (such as "risk/checklist-v1.csv") where the shipped tables are: under $VIGIL_DATA,
 * else beside the program (../data, ../../data from a build directory in the source tree,
 * ../share/vigil when installed), else /usr/share/vigil. Writes the path into path (n bytes):
 * 0, or VG_ENOTFOUND (path then holds the last place looked at). */
int vg_risk_data_path(const char *rel, char *path, size_t n);

/* The answers and ratings of site from the store, scored with its threat (NULL: none
 * estimated, the kind's default threat applies). state holds the strings result borrows. */
int vg_risk_score_site(struct vg_store *st, const struct vg_risk_scales *s,
                       const struct vg_site *site, const struct vg_threat *threat,
                       struct vg_risk_state *state, struct vg_risk_result *result,
                       struct vg_error *err);

/* What a ranking or an explanation is computed with. Pointers are borrowed. */
struct vg_risk_opts {
    const struct vg_risk_scales *scales;   /* required */
    const struct vg_target_kinds *targets; /* NULL: no threat estimate, every site takes its
                                            * kind's default threat rating */
    double radius_km;                      /* of comparable incidents; 0: 50 */
    struct vg_site_filter filter;          /* which sites are ranked (vg_risk_rank only); its
                                            * kind also limits the threat computation */
    size_t top;                            /* vg_risk_rank keeps the first top sites; 0: all */
};

/* One site of a ranking. Strings are "" when unknown and belong to the ranking, band to the
 * scales. */
struct vg_risk_ranked {
    int64_t id;
    const char *code, *name, *country, *kind;
    double dhs;       /* R = T x V x C, 0-1 */
    int fema;         /* 1-1000 */
    const char *band; /* of the FEMA score */
    int carver;       /* 7-70 */
    int has_threat;   /* lambda and p_year are an estimate */
    double lambda, p_year;
    /* The FEMA factors, largest first, with the threat's source and the largest gaps:
     * "vulnerability 10 (gaps: perimeter, cctv, patrols +9); asset_value 9 (default); ..." */
    char reasons[320];
};

/* Sites ranked by risk: the order of vg_risk_compare, then by id. */
struct vg_risk_ranking {
    struct vg_risk_ranked *rows;
    size_t n;      /* rows kept (at most opts->top) */
    size_t nsites; /* sites that passed the filter */
    int scales_version;
    int has_threat; /* the threat was estimated (else every site took its default) */
    char threat_note[VG_ERROR_MSG_MAX]; /* why not, when has_threat is 0 */
    size_t nstale; /* stored answers or ratings left out as not in the scales in use */
};

/* Ranks the sites of opts->filter: the threat of every site (vg_threat_all, the prior fitted
 * over all sites of the kinds asked for, whatever the country), each site's answers and ratings,
 * vg_risk_score, then the order. When the store has no incidents to estimate the threat from
 * (vg_threat_all says VG_ENOTFOUND), every site takes its kind's default threat and threat_note
 * says why. No site passing the filter is not an error (n = 0). Release with
 * vg_risk_ranking_destroy. Memory: one small row per site, not the whole result. */
int vg_risk_rank(struct vg_store *st, const struct vg_risk_opts *opts, struct vg_risk_ranking **out,
                 struct vg_error *err);
void vg_risk_ranking_destroy(struct vg_risk_ranking *r);

/* One site explained in full. Owns its site, state and strings; result borrows from them and
 * from the scales, which must outlive it. */
struct vg_risk_explanation {
    struct vg_site site;
    int has_threat;
    struct vg_threat threat;            /* when has_threat */
    char threat_note[VG_ERROR_MSG_MAX]; /* why there is no estimate, when has_threat is 0 */
    struct vg_risk_state state;
    struct vg_risk_result result;
    const struct vg_risk_scales *scales;
};

/* Explains the site key (its id in decimal or its code, as vg_site_find): VG_ENOTFOUND when no
 * site matches, VG_EINVAL when a code matches several (err lists them). Release with
 * vg_risk_explanation_destroy. */
int vg_risk_explain(struct vg_store *st, const struct vg_risk_opts *opts, const char *key,
                    struct vg_risk_explanation **out, struct vg_error *err);
void vg_risk_explanation_destroy(struct vg_risk_explanation *e);

/* JSON forms, appended to out. Without flags they are what `vigil risk rank|site --format json`
 * print: a ranking {"scales_version":N,"sites":[{rank,id,code,name,kind,country,dhs,fema,band,
 * carver,reasons},...]}, an explanation {id,code,name,kind,size,scales_version,threat,criteria,
 * carver_total,fema,dhs,reasons,checklist}. VG_RISK_JSON_DETAIL adds what the API gives besides:
 * for a ranking "total" (nsites), "threat_note" (null when the threat was estimated) and each
 * site's "lambda" and "p_year" (null without an estimate); for an explanation the site's
 * country, region, lat and lon, the threat's inputs (x, t, rate_raw, pool, method, alpha, beta),
 * "threat_note", and each criterion's scale label. Returns 0, VG_ENOMEM or VG_ETOOBIG. */
#define VG_RISK_JSON_DETAIL 1u
int vg_risk_ranking_json(const struct vg_risk_ranking *r, unsigned flags, struct vg_buf *out);
int vg_risk_explanation_json(const struct vg_risk_explanation *e, unsigned flags,
                             struct vg_buf *out);

#endif
