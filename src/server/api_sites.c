/* api_sites.c - the endpoints of the key sites and their risk: the registry (GET /sites, GET
 * /sites/{id}) and the ranking and explanation of the risk (GET /risk, GET /risk/{id}).
 *
 * Access (docs/access-rules.md, "Key sites and their risk"): the registry is readable by every
 * authenticated role; the risk discloses the security gaps of a site, so only administrators and
 * analysts may read it (403 for the others), and each read states its purpose (X-Vigil-Purpose,
 * else 400), as for reports. Refusal comes before the purpose: a reader learns that risk is not
 * for it, not that it forgot a header. The server records every call in the audit log (the
 * routes have audits = 0), with the purpose when one was given.
 *
 * The computation is the library's (vigil/risk.h: vg_risk_rank, vg_risk_explain and their JSON
 * forms with VG_RISK_JSON_DETAIL), the very one behind `vigil risk`. The scale tables and the
 * table of comparable targets are loaded once, on the first risk request (pthread_once), from
 * where the command line finds them (vg_risk_data_path: $VIGIL_DATA/risk, beside the program,
 * /usr/share/vigil/risk), and then shared read-only by every worker thread: they are immutable
 * once loaded. A missing or malformed table makes every risk request a 500 that says which and
 * why, until the server is restarted with the tables in place; the registry does not need them.
 * The tables live as long as the process.
 *
 * Listing: vg_site_each walks the filtered sites in id order; the page starts after the cursor
 * and stops at limit + 1 (which says whether there is a next page). The walk begins at the first
 * site each time, so a late page of a large registry costs a pass over the ids before it: a few
 * milliseconds for the 18,000 sites of the shipped files. */
#include "http.h"

#include "vigil/risk.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SITES_LIMIT_MAX 500
#define SITES_LIMIT_DEFAULT 50
#define RISK_TOP_MAX 1000
#define RISK_TOP_DEFAULT 50
#define RISK_JSON_MAX ((size_t)16 << 20) /* bytes of a risk reply */
#define SITE_NOT_FOUND "site not found"

/* ---- the tables, loaded once ---- */

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;
static struct vg_risk_scales *tables_scales;
static struct vg_target_kinds *tables_targets;
static char tables_error[VG_ERROR_MSG_MAX + 128]; /* "" once both are loaded */

static void tables_load(void)
{
    char path[PATH_MAX], rel[64];
    struct vg_error err;
    vg_error_clear(&err);
    snprintf(rel, sizeof(rel), "risk/checklist-v%d.csv", VG_RISK_SCALES_VERSION);
    if (vg_risk_data_path(rel, path, sizeof(path))) {
        snprintf(tables_error, sizeof(tables_error),
                 "the risk scales (data/%s) are not installed: set VIGIL_DATA to the data "
                 "directory and restart the server",
                 rel);
        return;
    }
    *strrchr(path, '/') = '\0';
    if (vg_risk_scales_load(path, VG_RISK_SCALES_VERSION, &tables_scales, &err)) {
        snprintf(tables_error, sizeof(tables_error), "the risk scales cannot be loaded: %s",
                 err.message);
        return;
    }
    if (vg_risk_data_path("risk/target_kinds.csv", path, sizeof(path))) {
        snprintf(tables_error, sizeof(tables_error),
                 "the table of comparable targets (data/risk/target_kinds.csv) is not installed: "
                 "set VIGIL_DATA to the data directory and restart the server");
        return;
    }
    if (vg_target_kinds_load(path, &tables_targets, &err)) {
        snprintf(tables_error, sizeof(tables_error),
                 "the table of comparable targets cannot be loaded: %s", err.message);
        return;
    }
}

/* The tables in *opts: 0, or a 500 reply saying what is missing. */
static unsigned tables(struct call *c, struct vg_risk_opts *opts)
{
    pthread_once(&tables_once, tables_load);
    if (tables_error[0])
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, tables_error);
    opts->scales = tables_scales;
    opts->targets = tables_targets;
    return 0;
}

/* ---- parameters ---- */

/* The whole of s as a plain decimal number: an optional '-', digits, and optionally '.' and more
 * digits ("51.47", "-0.46", "10"). No '+', blank, exponent, hexadecimal, inf or nan, which strtod
 * alone would take, and no number it cannot hold (ERANGE: too large, or too small to be told
 * from 0). 0, or -1. */
static int parse_number(const char *s, double *out)
{
    const char *p = s + (*s == '-');
    size_t whole = strspn(p, "0123456789");
    if (whole == 0)
        return -1;
    p += whole;
    if (*p == '.') {
        size_t fraction = strspn(p + 1, "0123456789");
        if (fraction == 0)
            return -1;
        p += 1 + fraction;
    }
    if (*p)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno == ERANGE || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

/* kind and country, and near and km when near_ok: 0, or a 400 reply. */
static unsigned filter_params(struct call *c, struct vg_site_filter *f, int near_ok)
{
    struct vg_error err;
    const char *kind = http_param(c->p, "kind");
    vg_error_clear(&err);
    memset(f, 0, sizeof(*f));
    if (kind) {
        if (vg_site_kind_parse(kind, &f->kind, &err))
            return http_fail(c, MHD_HTTP_BAD_REQUEST, err.message);
        f->only_kind = 1;
    }
    f->country = http_param(c->p, "country");
    if (!near_ok)
        return 0;
    const char *near = http_param(c->p, "near"), *km = http_param(c->p, "km");
    if (near) {
        char lat[64];
        const char *comma = strchr(near, ',');
        size_t n = comma ? (size_t)(comma - near) : 0;
        if (!comma || n >= sizeof(lat))
            return http_fail(c, MHD_HTTP_BAD_REQUEST,
                             "near must be LAT,LON in degrees, such as 51.47,-0.46");
        memcpy(lat, near, n);
        lat[n] = '\0';
        if (parse_number(lat, &f->lat) || parse_number(comma + 1, &f->lon) || f->lat < -90 ||
            f->lat > 90 || f->lon < -180 || f->lon > 180)
            return http_fail(c, MHD_HTTP_BAD_REQUEST,
                             "near must be LAT,LON in degrees, such as 51.47,-0.46");
        f->near = 1;
        f->km = 50;
    }
    if (km) {
        if (!near)
            return http_fail(c, MHD_HTTP_BAD_REQUEST, "km goes with near=LAT,LON");
        if (parse_number(km, &f->km) || !(f->km > 0) || f->km > 20040)
            return http_fail(c, MHD_HTTP_BAD_REQUEST,
                             "km must be a distance above 0 and at most 20040");
    }
    return 0;
}

/* ---- the registry ---- */

/* One site as JSON, the fields of `vigil sites list --format json`; NULL when out of memory
 * (the store holds UTF-8 only). With near, its distance in km from (lat, lon). */
static json_t *site_json(const struct vg_site *s, int near, double lat, double lon)
{
    json_t *o = json_pack(
        "{sI ss ss? ss? ss? ss? ss? ss? ss? ss? ss? sf sf ss?}", "id", (json_int_t)s->id, "kind",
        vg_site_kind_name(s->kind), "source", s->source, "source_id", s->source_id, "name", s->name,
        "code", s->code, "iata", s->iata, "icao", s->icao, "country", s->country, "region",
        s->region, "city", s->city, "lat", s->lat, "lon", s->lon, "size", s->size);
    if (o && near &&
        json_object_set_new(o, "km",
                            json_real(round(vg_geo_km(lat, lon, s->lat, s->lon) * 1000) / 1000))) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

struct page {
    json_t *sites;
    const struct vg_site_filter *f;
    int64_t after, limit, n, last;
    int more;
};

static int on_page_site(void *ctx, const struct vg_site *s)
{
    struct page *pg = ctx;
    if (s->id <= pg->after)
        return 0;
    if (pg->n == pg->limit) {
        pg->more = 1;
        return 1; /* stop: a next page exists */
    }
    json_t *row = site_json(s, pg->f->near, pg->f->lat, pg->f->lon);
    if (!row || json_array_append_new(pg->sites, row))
        return VG_ENOMEM;
    pg->last = s->id;
    pg->n++;
    return 0;
}

/* Answers 500 for the library's failure rc: "out of memory", else what. */
static unsigned failed(struct call *c, int rc, const char *what)
{
    return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, rc == VG_ENOMEM ? "out of memory" : what);
}

unsigned api_get_sites(struct call *c)
{
    struct vg_site_filter f;
    struct page pg = {0};
    struct vg_error err;
    unsigned status;
    vg_error_clear(&err);
    if ((status = filter_params(c, &f, 1)) ||
        (status = http_int_param(c, "after", 0, INT64_MAX, 0, &pg.after)) ||
        (status = http_int_param(c, "limit", 1, SITES_LIMIT_MAX, SITES_LIMIT_DEFAULT, &pg.limit)))
        return status;
    pg.f = &f;
    if (!(pg.sites = json_array()))
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    int rc = vg_site_each(c->store, &f, on_page_site, &pg, &err);
    if (rc < 0) {
        json_decref(pg.sites);
        return failed(c, rc, "the sites could not be read");
    }
    c->body = json_pack("{so so}", "sites", pg.sites, "next",
                        pg.more ? json_integer(pg.last) : json_null());
    return c->body ? MHD_HTTP_OK : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

/* The site of the path's {id}: 0, or a reply (404 when there is no site of that id). */
static unsigned find_site(struct call *c, struct vg_site *site)
{
    struct vg_error err;
    char key[24];
    vg_error_clear(&err);
    snprintf(key, sizeof(key), "%lld", (long long)c->id);
    int rc = vg_site_find(c->store, key, site, &err);
    if (rc == VG_ENOTFOUND || rc == VG_EINVAL)
        return http_fail(c, MHD_HTTP_NOT_FOUND, SITE_NOT_FOUND);
    if (rc)
        return failed(c, rc, "the site could not be read");
    if (site->id != c->id) { /* a code that looks like a number, not the id */
        vg_site_cleanup(site);
        return http_fail(c, MHD_HTTP_NOT_FOUND, SITE_NOT_FOUND);
    }
    return 0;
}

unsigned api_get_site(struct call *c)
{
    struct vg_site site;
    unsigned status = find_site(c, &site);
    if (status)
        return status;
    c->body = site_json(&site, 0, 0, 0);
    vg_site_cleanup(&site);
    return c->body ? MHD_HTTP_OK : http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
}

/* ---- risk ---- */

/* 0 when the caller may read risk (administrator or analyst) and states a purpose; else 403 or
 * 400. */
static unsigned risk_access(struct call *c)
{
    if (c->who->role != VG_ROLE_ADMIN && c->who->role != VG_ROLE_ANALYST)
        return http_fail(c, MHD_HTTP_FORBIDDEN,
                         "the risk of key sites is for administrators and analysts");
    return http_need_purpose(c);
}

/* Hands the JSON in b over as the reply, or answers 500 for rc. */
static unsigned reply_json(struct call *c, struct vg_buf *b, int rc)
{
    if (rc) {
        vg_buf_cleanup(b);
        return http_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
                         rc == VG_ETOOBIG ? "the reply is too large: ask for fewer sites"
                                          : "out of memory");
    }
    char *text = b->data;
    b->data = NULL;
    return http_take_json(c, text, MHD_HTTP_OK);
}

unsigned api_get_risk(struct call *c)
{
    struct vg_risk_opts opts = {0};
    struct vg_risk_ranking *r = NULL;
    struct vg_error err;
    int64_t top;
    unsigned status;
    vg_error_clear(&err);
    if ((status = risk_access(c)) || (status = filter_params(c, &opts.filter, 0)) ||
        (status = http_int_param(c, "top", 1, RISK_TOP_MAX, RISK_TOP_DEFAULT, &top)) ||
        (status = tables(c, &opts)))
        return status;
    opts.top = (size_t)top;
    int rc = vg_risk_rank(c->store, &opts, &r, &err);
    if (rc)
        return failed(c, rc, "the risk could not be computed");
    struct vg_buf b;
    vg_buf_init(&b, RISK_JSON_MAX);
    rc = vg_risk_ranking_json(r, VG_RISK_JSON_DETAIL, &b);
    vg_risk_ranking_destroy(r);
    return reply_json(c, &b, rc);
}

unsigned api_get_site_risk(struct call *c)
{
    struct vg_risk_opts opts = {0};
    struct vg_risk_explanation *e = NULL;
    struct vg_site site;
    struct vg_error err;
    char key[24];
    unsigned status;
    vg_error_clear(&err);
    if ((status = risk_access(c)) || (status = tables(c, &opts)) || (status = find_site(c, &site)))
        return status;
    vg_site_cleanup(&site);
    snprintf(key, sizeof(key), "%lld", (long long)c->id);
    int rc = vg_risk_explain(c->store, &opts, key, &e, &err);
    if (rc == VG_ENOTFOUND)
        return http_fail(c, MHD_HTTP_NOT_FOUND, SITE_NOT_FOUND);
    if (rc)
        return failed(c, rc, "the risk could not be computed");
    struct vg_buf b;
    vg_buf_init(&b, RISK_JSON_MAX);
    rc = vg_risk_explanation_json(e, VG_RISK_JSON_DETAIL, &b);
    vg_risk_explanation_destroy(e);
    return reply_json(c, &b, rc);
}
