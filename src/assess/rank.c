/* rank.c - key sites ranked by risk, one site explained in full, and their JSON forms: the one
 * computation behind `vigil risk rank|site` and the server's /api/v1/risk.
 *
 * A ranking is three passes. (1) The threat of every site of the kinds asked for (vg_threat_all:
 * the prior of each pool is fitted over all its sites, so a ranking of one country uses the same
 * estimates as a ranking of the world); the (id, lambda) pairs are kept in an array sorted by id.
 * (2) vg_site_each over the filter: each site's answers and ratings through one
 * vg_risk_reader (its statements prepared once), vg_risk_score with the site's lambda found by
 * binary search, and one small row kept (struct vg_risk_ranked: the scores and a line of
 * reasons, not the whole vg_risk_result of some 20 kB), its three strings in one allocation.
 * (3) The rows sorted (vg_risk_compare's order, then id, so the order is total) and cut at top.
 * 17,000 sites take about 7 MB while ranking.
 *
 * No threat estimate is not an error: with no table of comparable targets, or no incidents with
 * coordinates in the store (VG_ENOTFOUND from the threat), every site takes its kind's default
 * threat rating and the ranking's threat_note says why, for the caller to show.
 *
 * The JSON forms are written by hand into a vg_buf so that they are byte for byte what the
 * command line printed before the server shared them: numbers in the shortest of %.15g-%.17g
 * that reads back the same, null for NaN; strings escaped by vg_buf_json_string.
 *
 * Ownership: a ranking or an explanation owns everything it points at except the scales (and the
 * bands, labels and item names that are the scales' strings); the scales must outlive it.
 * Thread-safety: the functions share nothing; a store is used by one thread at a time. */
#include "vigil/risk.h"

#include "vigil/sites.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RANK_MAX_SITES ((size_t)1 << 22) /* rows of one ranking */

int vg_risk_data_path(const char *rel, char *path, size_t n)
{
    const char *env = getenv("VIGIL_DATA");
    if (env && env[0]) {
        snprintf(path, n, "%s/%s", env, rel);
        if (access(path, R_OK) == 0)
            return 0;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const dirs[] = {"../data", "../../data", "../share/vigil"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
            snprintf(path, n, "%s/%s/%s", exe, dirs[i], rel);
            if (access(path, R_OK) == 0)
                return 0;
        }
    }
    snprintf(path, n, "/usr/share/vigil/%s", rel);
    return access(path, R_OK) == 0 ? 0 : VG_ENOTFOUND;
}

int vg_risk_score_site(struct vg_store *st, const struct vg_risk_scales *s,
                       const struct vg_site *site, const struct vg_threat *threat,
                       struct vg_risk_state *state, struct vg_risk_result *result,
                       struct vg_error *err)
{
    struct vg_risk_reader *reader = NULL;
    const char *kind = vg_site_kind_name(site->kind);
    int rc = vg_risk_reader_create(st, s, &reader, err);
    if (!rc)
        rc = vg_risk_reader_load(reader, site->id, kind, state, err);
    vg_risk_reader_destroy(reader);
    if (rc)
        return rc;
    struct vg_risk_input in = {.kind = kind,
                               .size = site->size,
                               .answers = state->answers,
                               .nanswers = state->nanswers,
                               .ratings = state->ratings,
                               .nratings = state->nratings,
                               .has_threat = threat != NULL,
                               .lambda = threat ? threat->lambda : 0,
                               .n_incidents = threat ? threat->n_incidents : 0};
    return vg_risk_score(s, &in, result, err);
}

/* ---- the reasons of a ranked site, in one line ---- */

/* The FEMA factors, largest first, with the threat's source and the largest gaps. */
static void reasons_line(const struct vg_risk_result *r, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < 3 && len < size; i++) {
        const struct vg_risk_reason *f = &r->fema[i];
        len +=
            (size_t)snprintf(buf + len, size - len, "%s%s %g", i ? "; " : "", f->factor, f->weight);
        if (len >= size)
            break;
        if (strcmp(f->factor, "threat") == 0) {
            const struct vg_risk_value *t = &r->criteria[VG_RISK_THREAT];
            if (t->source == VG_RISK_FROM_THREAT)
                len += (size_t)snprintf(buf + len, size - len, " (p %.2f a year)", r->p_year);
            else
                len += (size_t)snprintf(buf + len, size - len, " (%s)",
                                        vg_risk_source_name(t->source));
        } else if (strcmp(f->factor, "vulnerability") == 0 && r->ngap_order) {
            len += (size_t)snprintf(buf + len, size - len, " (gaps:");
            for (size_t k = 0; k < r->ngap_order && k < 3 && len < size; k++)
                len += (size_t)snprintf(buf + len, size - len, "%s %s", k ? "," : "",
                                        r->items[r->gap_order[k]].item->name);
            if (r->ngap_order > 3 && len < size)
                len += (size_t)snprintf(buf + len, size - len, " +%zu", r->ngap_order - 3);
            if (len < size)
                len += (size_t)snprintf(buf + len, size - len, ")");
        } else if (strcmp(f->factor, "asset_value") == 0) {
            len += (size_t)snprintf(buf + len, size - len, " (%s)",
                                    vg_risk_source_name(r->criteria[VG_RISK_ASSET_VALUE].source));
        }
    }
}

/* ---- ranking ---- */

struct threat_entry {
    int64_t id;
    double lambda;
};

struct rank_ctx {
    const struct vg_risk_scales *scales;
    struct vg_risk_reader *reader;
    struct vg_risk_state state;
    struct vg_risk_result result;
    struct threat_entry *threats;
    size_t nthreats, cap_threats;
    struct vg_risk_ranking *out;
    size_t cap_rows;
    struct vg_error *err;
};

static int on_threat(void *p, const struct vg_site *site, const struct vg_threat *t)
{
    struct rank_ctx *c = p;
    if (c->nthreats == c->cap_threats) {
        size_t cap = c->cap_threats ? c->cap_threats * 2 : 1024;
        if (cap > RANK_MAX_SITES)
            return vg_error_set(c->err, VG_ETOOBIG, "more than %zu sites", RANK_MAX_SITES);
        struct threat_entry *v = vg_realloc(c->threats, cap * sizeof(*v));
        if (!v)
            return vg_error_set(c->err, VG_ENOMEM, "out of memory");
        c->threats = v;
        c->cap_threats = cap;
    }
    c->threats[c->nthreats++] = (struct threat_entry){site->id, t->lambda};
    return 0;
}

static int cmp_threat(const void *a, const void *b)
{
    const struct threat_entry *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static const struct threat_entry *find_threat(const struct rank_ctx *c, int64_t id)
{
    struct threat_entry key = {id, 0};
    return c->nthreats ? bsearch(&key, c->threats, c->nthreats, sizeof(key), cmp_threat) : NULL;
}

/* The row's three strings in one allocation: code, name, country, each NUL-terminated. */
static int row_strings(struct vg_risk_ranked *row, const struct vg_site *site)
{
    const char *code = site->code ? site->code : "", *name = site->name ? site->name : "",
               *country = site->country ? site->country : "";
    size_t lc = strlen(code) + 1, ln = strlen(name) + 1, ly = strlen(country) + 1;
    char *s = vg_malloc(lc + ln + ly);
    if (!s)
        return VG_ENOMEM;
    memcpy(s, code, lc);
    memcpy(s + lc, name, ln);
    memcpy(s + lc + ln, country, ly);
    row->code = s;
    row->name = s + lc;
    row->country = s + lc + ln;
    return 0;
}

static int on_site(void *p, const struct vg_site *site)
{
    struct rank_ctx *c = p;
    struct vg_risk_ranking *out = c->out;
    const char *kind = vg_site_kind_name(site->kind);
    int rc = vg_risk_reader_load(c->reader, site->id, kind, &c->state, c->err);
    if (rc)
        return rc;
    const struct threat_entry *t = find_threat(c, site->id);
    struct vg_risk_input in = {.kind = kind,
                               .size = site->size,
                               .answers = c->state.answers,
                               .nanswers = c->state.nanswers,
                               .ratings = c->state.ratings,
                               .nratings = c->state.nratings,
                               .has_threat = t != NULL,
                               .lambda = t ? t->lambda : 0};
    struct vg_risk_result *r = &c->result;
    if ((rc = vg_risk_score(c->scales, &in, r, c->err)))
        return rc;
    out->nstale += c->state.nstale;
    if (out->n == c->cap_rows) {
        if (out->n == RANK_MAX_SITES)
            return vg_error_set(c->err, VG_ETOOBIG, "more than %zu sites", RANK_MAX_SITES);
        size_t cap = c->cap_rows ? c->cap_rows * 2 : 256;
        struct vg_risk_ranked *v = vg_realloc(out->rows, cap * sizeof(*v));
        if (!v)
            return vg_error_set(c->err, VG_ENOMEM, "out of memory");
        out->rows = v;
        c->cap_rows = cap;
    }
    struct vg_risk_ranked *row = &out->rows[out->n];
    memset(row, 0, sizeof(*row));
    if (row_strings(row, site))
        return vg_error_set(c->err, VG_ENOMEM, "out of memory");
    out->n++;
    row->id = site->id;
    row->kind = kind;
    row->dhs = r->dhs;
    row->fema = r->fema_score;
    row->band = r->fema_band;
    row->carver = r->carver_total;
    row->has_threat = t != NULL;
    row->lambda = t ? t->lambda : NAN;
    row->p_year = r->p_year;
    reasons_line(r, row->reasons, sizeof(row->reasons));
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    const struct vg_risk_ranked *x = a, *y = b;
    if (x->dhs != y->dhs)
        return x->dhs > y->dhs ? -1 : 1;
    if (x->fema != y->fema)
        return x->fema > y->fema ? -1 : 1;
    if (x->carver != y->carver)
        return x->carver > y->carver ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

void vg_risk_ranking_destroy(struct vg_risk_ranking *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        vg_free((char *)r->rows[i].code);
    vg_free(r->rows);
    vg_free(r);
}

int vg_risk_rank(struct vg_store *st, const struct vg_risk_opts *opts, struct vg_risk_ranking **out,
                 struct vg_error *err)
{
    struct rank_ctx ctx;
    int rc;
    memset(&ctx, 0, sizeof(ctx));
    vg_risk_state_init(&ctx.state);
    ctx.scales = opts->scales;
    ctx.err = err;
    if (!opts->scales)
        return vg_error_set(err, VG_EINVAL, "no risk scales given");
    if (!(ctx.out = vg_calloc(1, sizeof(*ctx.out)))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    ctx.out->scales_version = vg_risk_scales_version(opts->scales);
    snprintf(ctx.out->threat_note, sizeof(ctx.out->threat_note), "no table of comparable targets");
    if (opts->targets) {
        struct vg_threat_opts topts = {.targets = opts->targets,
                                       .radius_km = opts->radius_km,
                                       .only_kind = opts->filter.only_kind,
                                       .kind = opts->filter.kind};
        rc = vg_threat_all(st, &topts, on_threat, &ctx, err);
        if (rc == VG_ENOTFOUND) {
            snprintf(ctx.out->threat_note, sizeof(ctx.out->threat_note), "%s", err->message);
            vg_error_clear(err);
            ctx.nthreats = 0;
        } else if (rc) {
            goto fail;
        } else {
            ctx.out->has_threat = 1;
            ctx.out->threat_note[0] = '\0';
        }
        if (ctx.nthreats)
            qsort(ctx.threats, ctx.nthreats, sizeof(*ctx.threats), cmp_threat);
    }
    if ((rc = vg_risk_reader_create(st, opts->scales, &ctx.reader, err)) ||
        (rc = vg_site_each(st, &opts->filter, on_site, &ctx, err)))
        goto fail;
    struct vg_risk_ranking *r = ctx.out;
    if (r->n)
        qsort(r->rows, r->n, sizeof(*r->rows), cmp_rows);
    r->nsites = r->n;
    if (opts->top && opts->top < r->n) {
        for (size_t i = opts->top; i < r->n; i++)
            vg_free((char *)r->rows[i].code);
        r->n = opts->top;
    }
    vg_free(ctx.threats);
    vg_risk_state_cleanup(&ctx.state);
    vg_risk_reader_destroy(ctx.reader);
    *out = r;
    return 0;

fail:
    vg_free(ctx.threats);
    vg_risk_state_cleanup(&ctx.state);
    vg_risk_reader_destroy(ctx.reader);
    vg_risk_ranking_destroy(ctx.out);
    return rc;
}

/* ---- one site ---- */

void vg_risk_explanation_destroy(struct vg_risk_explanation *e)
{
    if (!e)
        return;
    vg_site_cleanup(&e->site);
    vg_risk_state_cleanup(&e->state);
    vg_free(e);
}

int vg_risk_explain(struct vg_store *st, const struct vg_risk_opts *opts, const char *key,
                    struct vg_risk_explanation **out, struct vg_error *err)
{
    int rc;
    if (!opts->scales)
        return vg_error_set(err, VG_EINVAL, "no risk scales given");
    struct vg_risk_explanation *e = vg_calloc(1, sizeof(*e));
    if (!e)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    vg_risk_state_init(&e->state);
    e->scales = opts->scales;
    snprintf(e->threat_note, sizeof(e->threat_note), "no table of comparable targets");
    if ((rc = vg_site_find(st, key, &e->site, err)))
        goto fail;
    if (opts->targets) {
        struct vg_threat_opts topts = {.targets = opts->targets, .radius_km = opts->radius_km};
        rc = vg_threat_site(st, &topts, e->site.id, &e->threat, err);
        if (rc == VG_ENOTFOUND) {
            snprintf(e->threat_note, sizeof(e->threat_note), "%s", err->message);
            vg_error_clear(err);
        } else if (rc) {
            goto fail;
        } else {
            e->has_threat = 1;
            e->threat_note[0] = '\0';
        }
    }
    if ((rc = vg_risk_score_site(st, opts->scales, &e->site, e->has_threat ? &e->threat : NULL,
                                 &e->state, &e->result, err)))
        goto fail;
    *out = e;
    return 0;

fail:
    vg_risk_explanation_destroy(e);
    return rc;
}

/* ---- JSON ---- */

/* The shortest of %.15g to %.17g that reads back as v; null for NaN and infinities. */
static int put_number(struct vg_buf *b, double v)
{
    if (!isfinite(v))
        return vg_buf_printf(b, "null");
    char text[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(text, sizeof(text), "%.*g", prec, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return vg_buf_printf(b, "%s", text);
}

static int put_string(struct vg_buf *b, const char *s)
{
    return vg_buf_json_string(b, s, strlen(s));
}

/* A string, or null for NULL. */
static int put_text(struct vg_buf *b, const char *s)
{
    return s ? put_string(b, s) : vg_buf_printf(b, "null");
}

int vg_risk_ranking_json(const struct vg_risk_ranking *r, unsigned flags, struct vg_buf *out)
{
    int rc = vg_buf_printf(out, "{\"scales_version\":%d,\"sites\":[", r->scales_version);
    for (size_t i = 0; !rc && i < r->n; i++) {
        const struct vg_risk_ranked *w = &r->rows[i];
        if ((rc = vg_buf_printf(out, "%s\n{\"rank\":%zu,\"id\":%lld,\"code\":", i ? "," : "", i + 1,
                                (long long)w->id)) ||
            (rc = put_string(out, w->code)) || (rc = vg_buf_printf(out, ",\"name\":")) ||
            (rc = put_string(out, w->name)) ||
            (rc = vg_buf_printf(out, ",\"kind\":\"%s\",\"country\":", w->kind)) ||
            (rc = put_string(out, w->country)) || (rc = vg_buf_printf(out, ",\"dhs\":")) ||
            (rc = put_number(out, w->dhs)) ||
            (rc = vg_buf_printf(out, ",\"fema\":%d,\"band\":", w->fema)) ||
            (rc = put_string(out, w->band)) ||
            (rc = vg_buf_printf(out, ",\"carver\":%d,\"reasons\":", w->carver)) ||
            (rc = put_string(out, w->reasons)))
            break;
        if (flags & VG_RISK_JSON_DETAIL) {
            if ((rc = vg_buf_printf(out, ",\"lambda\":")) ||
                (rc = put_number(out, w->has_threat ? w->lambda : NAN)) ||
                (rc = vg_buf_printf(out, ",\"p_year\":")) ||
                (rc = put_number(out, w->has_threat ? w->p_year : NAN)))
                break;
        }
        rc = vg_buf_putc(out, '}');
    }
    if (!rc)
        rc = vg_buf_printf(out, "\n]");
    if (!rc && (flags & VG_RISK_JSON_DETAIL)) {
        if (!(rc = vg_buf_printf(out, ",\"total\":%zu,\"threat_note\":", r->nsites)))
            rc = put_text(out, r->has_threat ? NULL : r->threat_note);
    }
    if (!rc)
        rc = vg_buf_printf(out, "}\n");
    return rc;
}

/* The inputs of the threat estimate (detail only). */
static int threat_detail(struct vg_buf *b, const struct vg_threat *t)
{
    int rc;
    if ((rc = vg_buf_printf(b, ",\"x\":")) || (rc = put_number(b, t->x)) ||
        (rc = vg_buf_printf(b, ",\"t\":")) || (rc = put_number(b, t->t)) ||
        (rc = vg_buf_printf(b, ",\"rate_raw\":")) || (rc = put_number(b, t->rate_raw)) ||
        (rc = vg_buf_printf(b, ",\"pool\":")) || (rc = put_string(b, t->pool)) ||
        (rc = vg_buf_printf(b, ",\"method\":")) || (rc = put_string(b, t->method)) ||
        (rc = vg_buf_printf(b, ",\"alpha\":")) || (rc = put_number(b, t->alpha)) ||
        (rc = vg_buf_printf(b, ",\"beta\":")) || (rc = put_number(b, t->beta)))
        return rc;
    return 0;
}

static int reason_lists(struct vg_buf *b, const struct vg_risk_result *r)
{
    static const char *const names[] = {"carver", "fema", "dhs"};
    const struct vg_risk_reason *lists[] = {r->carver, r->fema, r->dhs_reasons};
    const int counts[] = {VG_RISK_CARVER_COUNT, 3, 3};
    int rc = vg_buf_printf(b, "},\"reasons\":{");
    for (int l = 0; !rc && l < 3; l++) {
        rc = vg_buf_printf(b, "%s\"%s\":[", l ? "," : "", names[l]);
        for (int i = 0; !rc && i < counts[l]; i++) {
            if ((rc = vg_buf_printf(b, "%s{\"factor\":", i ? "," : "")) ||
                (rc = put_string(b, lists[l][i].factor)) ||
                (rc = vg_buf_printf(b, ",\"weight\":")) ||
                (rc = put_number(b, lists[l][i].weight)) || (rc = vg_buf_printf(b, ",\"text\":")) ||
                (rc = put_string(b, lists[l][i].text)))
                break;
            rc = vg_buf_putc(b, '}');
        }
        if (!rc)
            rc = vg_buf_putc(b, ']');
    }
    return rc;
}

static int checklist(struct vg_buf *b, const struct vg_risk_result *r)
{
    int rc = vg_buf_printf(b, "},\"checklist\":[");
    for (size_t i = 0; !rc && i < r->nitems; i++) {
        const struct vg_risk_item_state *st = &r->items[i];
        if ((rc = vg_buf_printf(b, "%s{\"item\":", i ? "," : "")) ||
            (rc = put_string(b, st->item->name)) ||
            (rc = vg_buf_printf(b, ",\"criterion\":\"%s\",\"weight\":",
                                vg_risk_criterion_name(st->item->criterion))) ||
            (rc = put_number(b, st->item->weight)) ||
            (rc = vg_buf_printf(
                 b, ",\"status\":\"%s\",\"raise\":", vg_risk_status_name(st->status))) ||
            (rc = put_number(b, st->raise)) || (rc = vg_buf_printf(b, ",\"date\":")) ||
            (rc = put_text(b, st->date)) || (rc = vg_buf_printf(b, ",\"notes\":")) ||
            (rc = put_text(b, st->notes)))
            break;
        rc = vg_buf_putc(b, '}');
    }
    return rc ? rc : vg_buf_putc(b, ']');
}

int vg_risk_explanation_json(const struct vg_risk_explanation *e, unsigned flags,
                             struct vg_buf *out)
{
    const struct vg_site *site = &e->site;
    const struct vg_risk_result *r = &e->result;
    const struct vg_risk_scales *s = e->scales;
    int detail = (flags & VG_RISK_JSON_DETAIL) != 0, rc;
    if ((rc = vg_buf_printf(out, "{\"id\":%lld,\"code\":", (long long)site->id)) ||
        (rc = put_string(out, site->code ? site->code : "")) ||
        (rc = vg_buf_printf(out, ",\"name\":")) ||
        (rc = put_string(out, site->name ? site->name : "")) ||
        (rc = vg_buf_printf(out, ",\"kind\":\"%s\",\"size\":", r->kind)) ||
        (rc = put_string(out, site->size ? site->size : "")))
        return rc;
    if (detail &&
        ((rc = vg_buf_printf(out, ",\"country\":")) || (rc = put_text(out, site->country)) ||
         (rc = vg_buf_printf(out, ",\"region\":")) || (rc = put_text(out, site->region)) ||
         (rc = vg_buf_printf(out, ",\"lat\":")) || (rc = put_number(out, site->lat)) ||
         (rc = vg_buf_printf(out, ",\"lon\":")) || (rc = put_number(out, site->lon))))
        return rc;
    if ((rc = vg_buf_printf(out, ",\"scales_version\":%d,\"threat\":", vg_risk_scales_version(s))))
        return rc;
    if (e->has_threat) {
        if ((rc = vg_buf_printf(out, "{\"lambda\":")) || (rc = put_number(out, e->threat.lambda)) ||
            (rc = vg_buf_printf(
                 out, ",\"n_incidents\":%lld,\"p_year\":", (long long)e->threat.n_incidents)) ||
            (rc = put_number(out, r->p_year)) ||
            (detail && (rc = threat_detail(out, &e->threat))) || (rc = vg_buf_putc(out, '}')))
            return rc;
    } else if ((rc = vg_buf_printf(out, "null"))) {
        return rc;
    }
    if (detail && ((rc = vg_buf_printf(out, ",\"threat_note\":")) ||
                   (rc = put_text(out, e->has_threat ? NULL : e->threat_note))))
        return rc;
    if ((rc = vg_buf_printf(out, ",\"criteria\":{")))
        return rc;
    for (int c = 0; c < VG_RISK_CRITERION_COUNT; c++) {
        const struct vg_risk_value *v = &r->criteria[c];
        if ((rc = vg_buf_printf(
                 out, "%s\"%s\":{\"value\":%d,\"source\":\"%s\",\"exact\":", c ? "," : "",
                 vg_risk_criterion_name(c), v->value, vg_risk_source_name(v->source))) ||
            (rc = put_number(out, v->exact)))
            return rc;
        if (detail && ((rc = vg_buf_printf(out, ",\"label\":")) ||
                       (rc = put_text(out, vg_risk_scale_label(s, c, v->value, NULL)))))
            return rc;
        if ((rc = vg_buf_putc(out, '}')))
            return rc;
    }
    if ((rc = vg_buf_printf(out,
                            "},\"carver_total\":%d,\"fema\":{\"score\":%d,\"vulnerability\":%d,"
                            "\"band\":",
                            r->carver_total, r->fema_score, r->fema_vulnerability)) ||
        (rc = put_string(out, r->fema_band)) || (rc = vg_buf_printf(out, "},\"dhs\":{\"t\":")) ||
        (rc = put_number(out, r->dhs_t)) || (rc = vg_buf_printf(out, ",\"v\":")) ||
        (rc = put_number(out, r->dhs_v)) || (rc = vg_buf_printf(out, ",\"c\":")) ||
        (rc = put_number(out, r->dhs_c)) || (rc = vg_buf_printf(out, ",\"r\":")) ||
        (rc = put_number(out, r->dhs)) || (rc = reason_lists(out, r)) || (rc = checklist(out, r)))
        return rc;
    return vg_buf_printf(out, "}\n");
}
