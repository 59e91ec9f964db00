/* cmd_risk.c - `vigil risk`: rank the key sites by risk with the reasons (rank), and explain one
 * site in full (site).
 *
 * Every score comes from vg_risk_score (include/vigil/risk.h) with the site's kind and size, its
 * checklist answers and ratings from the store (vg_risk_reader_load) and its threat (sites.h:
 * vg_threat_all for a ranking, vg_threat_site for one site). When the threat cannot be estimated
 * (no incidents with coordinates, or no table of comparable targets) every site takes its kind's
 * default threat rating, and a note on stderr says so.
 *
 * The scale tables (data/risk, version 1) are found at --scales DIR, else $VIGIL_DATA/risk, else
 * beside the program (../data/risk from a build directory in the source tree,
 * ../share/vigil/risk when installed), else /usr/share/vigil/risk: cli_risk_scales, which
 * `vigil sites assess` uses too.
 *
 * A ranking keeps one small row per site (not the whole result), so 17,000 sites take a few
 * megabytes. HTML output is one self-contained page, every text escaped. */
#include "cli.h"
#include "vigil/risk.h"
#include "vigil/sites.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SITES ((size_t)1 << 22)

enum format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

int cli_data_path(const char *rel, char *path, size_t n)
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
    return access(path, R_OK) == 0 ? 0 : -1;
}

int cli_risk_scales(const char *dir, struct vg_risk_scales **out)
{
    char path[PATH_MAX];
    struct vg_error err;
    vg_error_clear(&err);
    if (!dir) {
        char rel[64];
        snprintf(rel, sizeof(rel), "risk/checklist-v%d.csv", VG_RISK_SCALES_VERSION);
        if (cli_data_path(rel, path, sizeof(path)) != 0) {
            cli_fail("cannot find the risk scales (data/risk/%s): give --scales DIR or set "
                     "VIGIL_DATA to the data directory",
                     rel + 5);
            return -1;
        }
        *strrchr(path, '/') = '\0';
        dir = path;
    }
    if (vg_risk_scales_load(dir, VG_RISK_SCALES_VERSION, out, &err)) {
        cli_error(&err);
        return -1;
    }
    return 0;
}

/* Loads the table of comparable targets for the threat; NULL (with a note) when it is missing
 * or unreadable: the scores then use the default threat. */
static struct vg_target_kinds *load_targets(const char *path_opt)
{
    char path[PATH_MAX];
    struct vg_error err;
    vg_error_clear(&err);
    if (!path_opt) {
        if (cli_data_path("risk/target_kinds.csv", path, sizeof(path)) != 0) {
            fprintf(stderr, "vigil: note: no data/risk/target_kinds.csv: no threat estimate, "
                            "every site takes its kind's default threat\n");
            return NULL;
        }
        path_opt = path;
    }
    struct vg_target_kinds *tk = NULL;
    if (vg_target_kinds_load(path_opt, &tk, &err)) {
        cli_error(&err);
        return NULL;
    }
    return tk;
}

/* ---- one line of reasons ---- */

/* The reasons of a result in one line: the FEMA factors, largest first, and the largest gaps. */
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

/* ---- rank ---- */

struct threat_entry {
    int64_t id;
    double lambda;
};

struct rank_row {
    int64_t id;
    char *code, *name, *country, *kind;
    double dhs;
    int fema, carver;
    const char *band;
    char reasons[320];
    struct vg_risk_result *full; /* NULL: not kept */
};

struct rank_ctx {
    const struct vg_risk_scales *scales;
    struct vg_risk_reader *reader;
    struct vg_risk_state state;
    struct threat_entry *threats;
    size_t nthreats, cap_threats;
    struct rank_row *rows;
    size_t nrows, cap_rows;
    struct vg_error *err;
};

static int on_threat(void *p, const struct vg_site *site, const struct vg_threat *t)
{
    struct rank_ctx *c = p;
    if (c->nthreats == c->cap_threats) {
        size_t cap = c->cap_threats ? c->cap_threats * 2 : 1024;
        struct threat_entry *v = realloc(c->threats, cap * sizeof(*v));
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

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

static int on_site(void *p, const struct vg_site *site)
{
    struct rank_ctx *c = p;
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
    struct vg_risk_result r;
    if ((rc = vg_risk_score(c->scales, &in, &r, c->err)))
        return rc;
    if (c->nrows == c->cap_rows) {
        if (c->nrows == MAX_SITES)
            return vg_error_set(c->err, VG_ETOOBIG, "more than %zu sites", MAX_SITES);
        size_t cap = c->cap_rows ? c->cap_rows * 2 : 256;
        struct rank_row *v = realloc(c->rows, cap * sizeof(*v));
        if (!v)
            return vg_error_set(c->err, VG_ENOMEM, "out of memory");
        c->rows = v;
        c->cap_rows = cap;
    }
    struct rank_row *row = &c->rows[c->nrows++];
    memset(row, 0, sizeof(*row));
    row->id = site->id;
    row->code = dup_or_empty(site->code);
    row->name = dup_or_empty(site->name);
    row->country = dup_or_empty(site->country);
    row->kind = dup_or_empty(kind);
    row->dhs = r.dhs;
    row->fema = r.fema_score;
    row->carver = r.carver_total;
    row->band = r.fema_band; /* the scales' string */
    reasons_line(&r, row->reasons, sizeof(row->reasons));
    if (!row->code || !row->name || !row->country || !row->kind)
        return vg_error_set(c->err, VG_ENOMEM, "out of memory");
    return 0;
}

static int cmp_rows(const void *a, const void *b)
{
    const struct rank_row *x = a, *y = b;
    if (x->dhs != y->dhs)
        return x->dhs > y->dhs ? -1 : 1;
    if (x->fema != y->fema)
        return x->fema > y->fema ? -1 : 1;
    if (x->carver != y->carver)
        return x->carver > y->carver ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static void print_rank(FILE *f, const struct rank_row *rows, size_t n, enum format fmt,
                       int scales_version)
{
    static const char *const heads[] = {"rank", "id",   "code", "name",   "kind",   "country",
                                        "dhs",  "fema", "band", "carver", "reasons"};
    if (fmt == FMT_CSV) {
        for (size_t k = 0; k < 11; k++)
            fprintf(f, "%s%s", k ? "," : "", heads[k]);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
            const struct rank_row *r = &rows[i];
            fprintf(f, "%zu,%lld,", i + 1, (long long)r->id);
            cli_csv_field(f, r->code);
            fputc(',', f);
            cli_csv_field(f, r->name);
            fprintf(f, ",%s,", r->kind);
            cli_csv_field(f, r->country);
            fprintf(f, ",%.4f,%d,%s,%d,", r->dhs, r->fema, r->band, r->carver);
            cli_csv_field(f, r->reasons);
            fputc('\n', f);
        }
        return;
    }
    if (fmt == FMT_JSON) {
        fprintf(f, "{\"scales_version\":%d,\"sites\":[", scales_version);
        for (size_t i = 0; i < n; i++) {
            const struct rank_row *r = &rows[i];
            fprintf(f, "%s\n{\"rank\":%zu,\"id\":%lld,\"code\":", i ? "," : "", i + 1,
                    (long long)r->id);
            cli_json_string(f, r->code);
            fputs(",\"name\":", f);
            cli_json_string(f, r->name);
            fprintf(f, ",\"kind\":\"%s\",\"country\":", r->kind);
            cli_json_string(f, r->country);
            fputs(",\"dhs\":", f);
            cli_put_number(f, r->dhs, 1);
            fprintf(f, ",\"fema\":%d,\"band\":", r->fema);
            cli_json_string(f, r->band);
            fprintf(f, ",\"carver\":%d,\"reasons\":", r->carver);
            cli_json_string(f, r->reasons);
            fputc('}', f);
        }
        fputs("\n]}\n", f);
        return;
    }
    if (fmt == FMT_HTML) {
        fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<title>Vigil: key sites ranked by risk</title>\n<style>\n"
              "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}\n"
              "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left}\n"
              "td.n{text-align:right}.high{background:#f8d0d0}.medium{background:#fbf0c0}\n"
              ".low{background:#d8f0d8}\n</style></head><body>\n"
              "<h1>Key sites ranked by risk</h1>\n",
              f);
        fprintf(f,
                "<p>DHS risk R = T &times; V &times; C (0-1), FEMA 426 score (1-1000) and "
                "CARVER+Shock total (7-70), scales version %d. Unassessed checklist items count "
                "as gaps.</p>\n<table>\n<tr>",
                scales_version);
        for (size_t k = 0; k < 11; k++)
            fprintf(f, "<th>%s</th>", heads[k]);
        fputs("</tr>\n", f);
        for (size_t i = 0; i < n; i++) {
            const struct rank_row *r = &rows[i];
            fprintf(f, "<tr><td class=\"n\">%zu</td><td class=\"n\">%lld</td><td>", i + 1,
                    (long long)r->id);
            html_text(f, r->code);
            fputs("</td><td>", f);
            html_text(f, r->name);
            fprintf(f, "</td><td>%s</td><td>", r->kind);
            html_text(f, r->country);
            fprintf(f, "</td><td class=\"n\">%.4f</td><td class=\"n\">%d</td><td class=\"", r->dhs,
                    r->fema);
            html_text(f, r->band);
            fputs("\">", f);
            html_text(f, r->band);
            fprintf(f, "</td><td class=\"n\">%d</td><td>", r->carver);
            html_text(f, r->reasons);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n</body></html>\n", f);
        return;
    }
    /* table */
    size_t wcode = 4, wname = 4, wkind = 4, wcountry = 7, wband = 4;
    for (size_t i = 0; i < n; i++) {
        const struct rank_row *r = &rows[i];
        size_t l;
        if ((l = strlen(r->code)) > wcode)
            wcode = l;
        if ((l = strlen(r->name)) > wname)
            wname = l > 40 ? 40 : l;
        if ((l = strlen(r->kind)) > wkind)
            wkind = l;
        if ((l = strlen(r->country)) > wcountry)
            wcountry = l;
        if ((l = strlen(r->band)) > wband)
            wband = l;
    }
    fprintf(f, "%4s  %6s  %-*s  %-*s  %-*s  %-*s  %6s  %4s  %-*s  %6s  %s\n", "rank", "id",
            (int)wcode, "code", (int)wname, "name", (int)wkind, "kind", (int)wcountry, "country",
            "dhs", "fema", (int)wband, "band", "carver", "reasons");
    for (size_t i = 0; i < n; i++) {
        const struct rank_row *r = &rows[i];
        fprintf(f, "%4zu  %6lld  %-*s  %-*.*s  %-*s  %-*s  %6.4f  %4d  %-*s  %6d  %s\n", i + 1,
                (long long)r->id, (int)wcode, r->code, (int)wname, (int)wname, r->name, (int)wkind,
                r->kind, (int)wcountry, r->country, r->dhs, r->fema, (int)wband, r->band, r->carver,
                r->reasons);
    }
}

static void rank_help(void)
{
    puts("Usage: vigil [--db PATH] risk rank [--kind KIND] [--country C] [--top N]\n"
         "                                   [--format table|csv|json|html] [OPTIONS]\n"
         "\n"
         "Ranks the key sites by risk, highest first: the DHS risk R = T x V x C (0-1),\n"
         "then the FEMA 426 score (asset value x threat x vulnerability, 1-1000, with its\n"
         "band: low 1-60, medium 61-175, high 176-1000), then the CARVER+Shock total (7-70).\n"
         "The reasons column gives the FEMA factors, largest first, and the largest\n"
         "checklist gaps. Unassessed checklist items count as gaps.\n"
         "\n"
         "Options:\n"
         "  --kind KIND        only sites of KIND (airport, railway, subway, mall, venue, other)\n"
         "  --country C        only sites of country C (ISO alpha-2 code as stored)\n"
         "  --top N            only the first N sites\n"
         "  --format F         table (default), csv, json or html (one self-contained page)\n"
         "  --km R             radius of comparable incidents for the threat (default 50)\n"
         "  --scales DIR       the scale tables (default: data/risk, see docs/methods)\n"
         "  --targets FILE     comparable target types (default: data/risk/target_kinds.csv)\n"
         "  --out FILE         write to FILE (whole or not at all), not stdout\n"
         "  --db PATH          database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help             show this help\n"
         "\n"
         "The methods: docs/methods/vulnerability.md, carver-shock.md, fema426.md.");
}

static int risk_rank(struct cli *cli, int argc, char **argv)
{
    static const char *CMD = "risk rank";
    static const struct option longopts[] = {{"kind", required_argument, NULL, 'k'},
                                             {"country", required_argument, NULL, 'c'},
                                             {"top", required_argument, NULL, 'n'},
                                             {"format", required_argument, NULL, 'f'},
                                             {"km", required_argument, NULL, 'm'},
                                             {"scales", required_argument, NULL, 's'},
                                             {"targets", required_argument, NULL, 't'},
                                             {"out", required_argument, NULL, 'o'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"table", "csv", "json", "html", NULL};
    struct vg_site_filter filter = {0};
    uint64_t top = 0;
    int fmt = FMT_TABLE;
    double km = 0;
    const char *scales_dir = NULL, *targets = NULL, *out_path = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        struct vg_error e;
        vg_error_clear(&e);
        switch (c) {
        case 'k':
            if (vg_site_kind_parse(optarg, &filter.kind, &e))
                return cli_usage_error(CMD, "%s", e.message);
            filter.only_kind = 1;
            break;
        case 'c':
            filter.country = optarg;
            break;
        case 'n':
            if (cli_count_option(CMD, "top", optarg, 1, 100000000, &top))
                return CLI_USAGE;
            break;
        case 'f':
            if (cli_choice(CMD, "format", optarg, formats, &fmt))
                return CLI_USAGE;
            break;
        case 'm':
            if (cli_parse_number(optarg, &km) || km <= 0 || km > 20000)
                return cli_usage_error(CMD, "--km must be a number above 0 and at most 20000");
            break;
        case 's':
            scales_dir = optarg;
            break;
        case 't':
            targets = optarg;
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            rank_help();
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);

    struct vg_risk_scales *scales = NULL;
    struct vg_store *store = NULL;
    struct vg_target_kinds *tk = NULL;
    struct vg_error err;
    struct rank_ctx ctx;
    struct cli_output out;
    int status = CLI_ERROR, out_open = 0;
    memset(&ctx, 0, sizeof(ctx));
    vg_risk_state_init(&ctx.state);
    vg_error_clear(&err);
    ctx.err = &err;
    if (cli_risk_scales(scales_dir, &scales) || cli_open_store(cli, VG_STORE_READONLY, &store))
        goto done;
    ctx.scales = scales;
    if ((tk = load_targets(targets))) {
        struct vg_threat_opts topts = {.targets = tk, .radius_km = km};
        topts.only_kind = filter.only_kind;
        topts.kind = filter.kind;
        int rc = vg_threat_all(store, &topts, on_threat, &ctx, &err);
        if (rc == VG_ENOTFOUND) {
            fprintf(stderr, "vigil: note: %s: every site takes its kind's default threat\n",
                    err.message);
            ctx.nthreats = 0;
            vg_error_clear(&err);
        } else if (rc) {
            cli_error(&err);
            goto done;
        }
        if (ctx.nthreats)
            qsort(ctx.threats, ctx.nthreats, sizeof(*ctx.threats), cmp_threat);
    }
    if (vg_risk_reader_create(store, scales, &ctx.reader, &err) ||
        vg_site_each(store, &filter, on_site, &ctx, &err)) {
        cli_error(&err);
        goto done;
    }
    if (ctx.nrows)
        qsort(ctx.rows, ctx.nrows, sizeof(*ctx.rows), cmp_rows);
    size_t n = top && top < ctx.nrows ? (size_t)top : ctx.nrows;
    if (cli_output_open(&out, out_path))
        goto done;
    out_open = 1;
    print_rank(out.f, ctx.rows, n, (enum format)fmt, vg_risk_scales_version(scales));
    if (cli_output_close(&out))
        goto done;
    out_open = 0;
    if (!ctx.nrows)
        fprintf(stderr, "vigil: no sites%s (import some with 'vigil sites import')\n",
                filter.only_kind || filter.country ? " match" : "");
    status = CLI_OK;
done:
    if (out_open)
        cli_output_abort(&out);
    for (size_t i = 0; i < ctx.nrows; i++) {
        free(ctx.rows[i].code);
        free(ctx.rows[i].name);
        free(ctx.rows[i].country);
        free(ctx.rows[i].kind);
    }
    free(ctx.rows);
    free(ctx.threats);
    vg_risk_state_cleanup(&ctx.state);
    vg_risk_reader_destroy(ctx.reader);
    vg_target_kinds_destroy(tk);
    vg_store_close(store);
    vg_risk_scales_destroy(scales);
    return status;
}

/* ---- site ---- */

int cli_risk_score_site(struct vg_store *store, const struct vg_risk_scales *scales,
                        const struct vg_site *site, const struct vg_threat *threat,
                        struct vg_risk_state *state, struct vg_risk_result *r)
{
    struct vg_error err;
    struct vg_risk_reader *reader = NULL;
    vg_error_clear(&err);
    const char *kind = vg_site_kind_name(site->kind);
    if (vg_risk_reader_create(store, scales, &reader, &err) ||
        vg_risk_reader_load(reader, site->id, kind, state, &err)) {
        cli_error(&err);
        vg_risk_reader_destroy(reader);
        return -1;
    }
    vg_risk_reader_destroy(reader);
    struct vg_risk_input in = {.kind = kind,
                               .size = site->size,
                               .answers = state->answers,
                               .nanswers = state->nanswers,
                               .ratings = state->ratings,
                               .nratings = state->nratings,
                               .has_threat = threat != NULL,
                               .lambda = threat ? threat->lambda : 0,
                               .n_incidents = threat ? threat->n_incidents : 0};
    if (vg_risk_score(scales, &in, r, &err)) {
        cli_error(&err);
        return -1;
    }
    if (state->nstale)
        fprintf(stderr,
                "vigil: note: %zu stored answers or ratings of site %lld are not in the "
                "checklist of scales version %d and are left out\n",
                state->nstale, (long long)site->id, vg_risk_scales_version(scales));
    return 0;
}

void cli_risk_print_checklist(FILE *f, const struct vg_risk_result *r)
{
    size_t w = 4;
    for (size_t i = 0; i < r->nitems; i++)
        if (strlen(r->items[i].item->name) > w)
            w = strlen(r->items[i].item->name);
    fprintf(f, "  %-*s  %-13s  %6s  %-10s  %5s  %-10s  %s\n", (int)w, "item", "criterion", "weight",
            "status", "raise", "date", "notes");
    for (size_t i = 0; i < r->nitems; i++) {
        const struct vg_risk_item_state *st = &r->items[i];
        fprintf(f, "  %-*s  %-13s  %6g  %-10s  %5.2f  %-10s  %s\n", (int)w, st->item->name,
                vg_risk_criterion_name(st->item->criterion), st->item->weight,
                vg_risk_status_name(st->status), st->raise, st->date ? st->date : "-",
                st->notes ? st->notes : "");
    }
    fprintf(f,
            "  %zu met, %zu gaps, %zu unassessed (unassessed items count as gaps); raise: how "
            "much a gap adds to its criterion, 9 x weight / criterion weight\n",
            r->nmet, r->ngaps, r->nunassessed);
}

static void print_site_text(FILE *f, const struct vg_risk_scales *s, const struct vg_site *site,
                            const struct vg_threat *t, const char *no_threat,
                            const struct vg_risk_result *r)
{
    fprintf(f, "%s (%s, id %lld): %s, %s, size %s\n", site->name ? site->name : "?",
            site->code ? site->code : "no code", (long long)site->id, r->kind,
            site->country ? site->country : "country unknown", site->size ? site->size : "unknown");
    fprintf(f, "scales version %d; defaults of row %s\n\n", vg_risk_scales_version(s), r->size_row);

    const char *tlabel, *tdesc;
    const struct vg_risk_value *tv = &r->criteria[VG_RISK_THREAT];
    tlabel = vg_risk_scale_label(s, VG_RISK_THREAT, tv->value, &tdesc);
    fputs("Threat\n", f);
    if (t)
        fprintf(f,
                "  %.3g comparable incidents a year expected (lambda): %lld incidents within the "
                "radius, weighted x = %.3g over t = %.3g years, raw rate %.3g; prior of pool %s: "
                "alpha %.3g, beta %.3g\n"
                "  probability of at least one within a year: 1 - exp(-lambda) = %.3f\n",
                t->lambda, (long long)t->n_incidents, t->x, t->t, t->rate_raw, t->pool, t->alpha,
                t->beta, r->p_year);
    else
        fprintf(f, "  no threat estimate: %s\n", no_threat);
    fprintf(f, "  threat rating %d (%s): %s: %s\n\n", tv->value, vg_risk_source_name(tv->source),
            tlabel ? tlabel : "?", tdesc ? tdesc : "");

    fprintf(f, "CARVER+Shock: %d / 70\n", r->carver_total);
    for (int c = 0; c < VG_RISK_CARVER_COUNT; c++) {
        const struct vg_risk_value *v = &r->criteria[c];
        const char *desc, *label = vg_risk_scale_label(s, c, v->value, &desc);
        fprintf(f, "  %-15s %2d  %-9s  %s: %s\n", vg_risk_criterion_name(c), v->value,
                vg_risk_source_name(v->source), label ? label : "?", desc ? desc : "");
    }
    fputs("  reasons, largest first:\n", f);
    for (int i = 0; i < VG_RISK_CARVER_COUNT; i++)
        fprintf(f, "    %s\n", r->carver[i].text);

    const char *bdesc, *band = vg_risk_band(s, r->fema_score, &bdesc);
    const char *vdesc, *vlabel = vg_risk_fema_vulnerability_label(s, r->fema_vulnerability, &vdesc);
    const char *adesc, *alabel = vg_risk_scale_label(
                           s, VG_RISK_ASSET_VALUE, r->criteria[VG_RISK_ASSET_VALUE].value, &adesc);
    fprintf(f,
            "\nFEMA 426: asset value %d x threat %d x vulnerability %d = %d: %s (%s)\n"
            "  asset value %d (%s): %s\n  vulnerability %d: %s\n"
            "  bands: low 1-60, medium 61-175, high 176-1000\n  reasons, largest first:\n",
            r->criteria[VG_RISK_ASSET_VALUE].value, tv->value, r->fema_vulnerability, r->fema_score,
            band ? band : "?", bdesc ? bdesc : "", r->criteria[VG_RISK_ASSET_VALUE].value,
            vg_risk_source_name(r->criteria[VG_RISK_ASSET_VALUE].source), alabel ? alabel : "?",
            r->fema_vulnerability, vlabel ? vlabel : "?");
    for (int i = 0; i < 3; i++)
        fprintf(f, "    %s\n", r->fema[i].text);

    fprintf(f, "\nDHS risk: T %.3f x V %.3f x C %.3f = %.4f\n  reasons, largest first:\n", r->dhs_t,
            r->dhs_v, r->dhs_c, r->dhs);
    for (int i = 0; i < 3; i++)
        fprintf(f, "    %s\n", r->dhs_reasons[i].text);

    fprintf(f, "\nChecklist of %s sites\n", r->kind);
    cli_risk_print_checklist(f, r);
}

static void print_site_json(FILE *f, const struct vg_risk_scales *s, const struct vg_site *site,
                            const struct vg_threat *t, const struct vg_risk_result *r)
{
    fprintf(f, "{\"id\":%lld,\"code\":", (long long)site->id);
    cli_json_string(f, site->code ? site->code : "");
    fputs(",\"name\":", f);
    cli_json_string(f, site->name ? site->name : "");
    fprintf(f, ",\"kind\":\"%s\",\"size\":", r->kind);
    cli_json_string(f, site->size ? site->size : "");
    fprintf(f, ",\"scales_version\":%d,\"threat\":", vg_risk_scales_version(s));
    if (t) {
        fputs("{\"lambda\":", f);
        cli_put_number(f, t->lambda, 1);
        fprintf(f, ",\"n_incidents\":%lld,\"p_year\":", (long long)t->n_incidents);
        cli_put_number(f, r->p_year, 1);
        fputs("}", f);
    } else {
        fputs("null", f);
    }
    fputs(",\"criteria\":{", f);
    for (int c = 0; c < VG_RISK_CRITERION_COUNT; c++) {
        const struct vg_risk_value *v = &r->criteria[c];
        fprintf(f, "%s\"%s\":{\"value\":%d,\"source\":\"%s\",\"exact\":", c ? "," : "",
                vg_risk_criterion_name(c), v->value, vg_risk_source_name(v->source));
        cli_put_number(f, v->exact, 1);
        fputs("}", f);
    }
    fprintf(f, "},\"carver_total\":%d,\"fema\":{\"score\":%d,\"vulnerability\":%d,\"band\":",
            r->carver_total, r->fema_score, r->fema_vulnerability);
    cli_json_string(f, r->fema_band);
    fputs("},\"dhs\":{\"t\":", f);
    cli_put_number(f, r->dhs_t, 1);
    fputs(",\"v\":", f);
    cli_put_number(f, r->dhs_v, 1);
    fputs(",\"c\":", f);
    cli_put_number(f, r->dhs_c, 1);
    fputs(",\"r\":", f);
    cli_put_number(f, r->dhs, 1);
    fputs("},\"reasons\":{", f);
    static const char *const names[] = {"carver", "fema", "dhs"};
    const struct vg_risk_reason *lists[] = {r->carver, r->fema, r->dhs_reasons};
    const int counts[] = {VG_RISK_CARVER_COUNT, 3, 3};
    for (int l = 0; l < 3; l++) {
        fprintf(f, "%s\"%s\":[", l ? "," : "", names[l]);
        for (int i = 0; i < counts[l]; i++) {
            fprintf(f, "%s{\"factor\":", i ? "," : "");
            cli_json_string(f, lists[l][i].factor);
            fputs(",\"weight\":", f);
            cli_put_number(f, lists[l][i].weight, 1);
            fputs(",\"text\":", f);
            cli_json_string(f, lists[l][i].text);
            fputs("}", f);
        }
        fputs("]", f);
    }
    fputs("},\"checklist\":[", f);
    for (size_t i = 0; i < r->nitems; i++) {
        const struct vg_risk_item_state *st = &r->items[i];
        fprintf(f, "%s{\"item\":\"%s\",\"criterion\":\"%s\",\"weight\":", i ? "," : "",
                st->item->name, vg_risk_criterion_name(st->item->criterion));
        cli_put_number(f, st->item->weight, 1);
        fprintf(f, ",\"status\":\"%s\",\"raise\":", vg_risk_status_name(st->status));
        cli_put_number(f, st->raise, 1);
        fputs(",\"date\":", f);
        if (st->date)
            cli_json_string(f, st->date);
        else
            fputs("null", f);
        fputs(",\"notes\":", f);
        if (st->notes)
            cli_json_string(f, st->notes);
        else
            fputs("null", f);
        fputs("}", f);
    }
    fputs("]}\n", f);
}

static void site_help(void)
{
    puts("Usage: vigil [--db PATH] risk site SITE [--format text|json] [OPTIONS]\n"
         "\n"
         "Explains the risk of one site (SITE is its id or its code: IATA, ICAO, station\n"
         "code): each CARVER+Shock criterion with its value, where it came from (default\n"
         "for the kind and size, a rating, the checklist gaps) and its scale; the threat\n"
         "inputs; the FEMA 426 factors and band; the DHS product; the checklist.\n"
         "\n"
         "Options:\n"
         "  --format text|json   output format (default text)\n"
         "  --km R               radius of comparable incidents for the threat (default 50)\n"
         "  --scales DIR         the scale tables (default: data/risk)\n"
         "  --targets FILE       comparable target types (default: data/risk/target_kinds.csv)\n"
         "  --db PATH            database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help               show this help");
}

static int risk_site(struct cli *cli, int argc, char **argv)
{
    static const char *CMD = "risk site";
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"km", required_argument, NULL, 'm'},
                                             {"scales", required_argument, NULL, 's'},
                                             {"targets", required_argument, NULL, 't'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"text", "json", NULL};
    int fmt = 0, c;
    double km = 0;
    const char *scales_dir = NULL, *targets = NULL;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_choice(CMD, "format", optarg, formats, &fmt))
                return CLI_USAGE;
            break;
        case 'm':
            if (cli_parse_number(optarg, &km) || km <= 0 || km > 20000)
                return cli_usage_error(CMD, "--km must be a number above 0 and at most 20000");
            break;
        case 's':
            scales_dir = optarg;
            break;
        case 't':
            targets = optarg;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            site_help();
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *key = cli_one_arg(CMD, "site", argc, argv);
    if (!key)
        return CLI_USAGE;

    struct vg_risk_scales *scales = NULL;
    struct vg_store *store = NULL;
    struct vg_target_kinds *tk = NULL;
    struct vg_site site;
    struct vg_threat threat;
    struct vg_risk_state state;
    struct vg_risk_result *r = malloc(sizeof(*r));
    struct vg_error err;
    int status = CLI_ERROR, found = 0, has_threat = 0;
    char no_threat[VG_ERROR_MSG_MAX] = "no table of comparable targets";
    memset(&site, 0, sizeof(site));
    vg_risk_state_init(&state);
    vg_error_clear(&err);
    if (!r) {
        cli_fail("out of memory");
        goto done;
    }
    if (cli_risk_scales(scales_dir, &scales) || cli_open_store(cli, VG_STORE_READONLY, &store))
        goto done;
    if (vg_site_find(store, key, &site, &err)) {
        cli_error(&err);
        goto done;
    }
    found = 1;
    if ((tk = load_targets(targets))) {
        struct vg_threat_opts topts = {.targets = tk, .radius_km = km};
        int rc = vg_threat_site(store, &topts, site.id, &threat, &err);
        if (rc == VG_ENOTFOUND) {
            snprintf(no_threat, sizeof(no_threat), "%s", err.message);
            vg_error_clear(&err);
        } else if (rc) {
            cli_error(&err);
            goto done;
        } else {
            has_threat = 1;
        }
    }
    if (cli_risk_score_site(store, scales, &site, has_threat ? &threat : NULL, &state, r))
        goto done;
    if (fmt == 1)
        print_site_json(stdout, scales, &site, has_threat ? &threat : NULL, r);
    else
        print_site_text(stdout, scales, &site, has_threat ? &threat : NULL, no_threat, r);
    status = CLI_OK;
done:
    if (found)
        vg_site_cleanup(&site);
    free(r);
    vg_risk_state_cleanup(&state);
    vg_target_kinds_destroy(tk);
    vg_store_close(store);
    vg_risk_scales_destroy(scales);
    return status;
}

static void help(FILE *f)
{
    fputs("Usage: vigil [--db PATH] risk rank [--kind KIND] [--country C] [--top N]\n"
          "                                   [--format table|csv|json|html]\n"
          "       vigil [--db PATH] risk site SITE [--format text|json]\n"
          "\n"
          "The risk of key sites: CARVER+Shock, FEMA 426 (asset value x threat x\n"
          "vulnerability) and the DHS risk R = T x V x C, from each site's checklist\n"
          "(vigil sites assess), its ratings and its threat (vigil sites threat).\n"
          "\n"
          "Commands:\n"
          "  rank     rank the sites by risk, with the reasons\n"
          "  site     explain the risk of one site in full\n"
          "\n"
          "The methods and their scales: docs/methods/vulnerability.md, carver-shock.md,\n"
          "fema426.md; the tables: data/risk/.\n",
          f);
}

int cmd_risk(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {
        {"rank", risk_rank}, {"site", risk_site}, {NULL, NULL}};
    return cli_subcommands(cli, "risk", subs, help, argc, argv);
}
