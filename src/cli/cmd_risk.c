/* cmd_risk.c - `vigil risk`: rank the key sites by risk with the reasons (rank), and explain one
 * site in full (site).
 *
 * The computation is the library's (include/vigil/risk.h): vg_risk_rank ranks the sites with the
 * reasons, vg_risk_explain explains one, and their JSON forms are vg_risk_ranking_json and
 * vg_risk_explanation_json, the very ones the server's /api/v1/risk gives. This file reads the
 * options, finds the tables, prints the other formats and the notes. When the threat cannot be
 * estimated (no incidents with coordinates, or no table of comparable targets) every site takes
 * its kind's default threat rating, and a note on stderr says so.
 *
 * The scale tables (data/risk, version 1) are found at --scales DIR, else $VIGIL_DATA/risk, else
 * beside the program (../data/risk from a build directory in the source tree,
 * ../share/vigil/risk when installed), else /usr/share/vigil/risk: cli_risk_scales, which
 * `vigil sites assess` uses too.
 *
 * HTML output is one self-contained page, every text escaped. */
#include "cli.h"
#include "vigil/risk.h"
#include "vigil/sites.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_HTML };

int cli_data_path(const char *rel, char *path, size_t n)
{
    return vg_risk_data_path(rel, path, n) ? -1 : 0;
}

void cli_site_lookup_note(const char *key, const struct vg_site *site,
                          const struct vg_site_lookup *info)
{
    char note[VG_ERROR_MSG_MAX];
    if (vg_site_lookup_note(info, note, sizeof(note)))
        fprintf(stderr, "vigil: note: %s is site %lld, %s (%s); %s\n", key, (long long)site->id,
                site->name, site->source, note);
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

/* Prints the ranking in fmt; 0, or -1 (said) when the JSON cannot be made. */
static int print_rank(FILE *f, const struct vg_risk_ranking *rank, enum format fmt)
{
    const struct vg_risk_ranked *rows = rank->rows;
    size_t n = rank->n;
    static const char *const heads[] = {"rank", "id",   "code", "name",   "kind",   "country",
                                        "dhs",  "fema", "band", "carver", "reasons"};
    if (fmt == FMT_CSV) {
        for (size_t k = 0; k < 11; k++)
            fprintf(f, "%s%s", k ? "," : "", heads[k]);
        fputc('\n', f);
        for (size_t i = 0; i < n; i++) {
            const struct vg_risk_ranked *r = &rows[i];
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
        return 0;
    }
    if (fmt == FMT_JSON) {
        struct vg_buf b;
        vg_buf_init(&b, (size_t)1 << 30);
        int rc = vg_risk_ranking_json(rank, 0, &b);
        if (!rc)
            fwrite(b.data, 1, b.len, f);
        vg_buf_cleanup(&b);
        if (rc)
            cli_fail("cannot write the ranking as JSON: %s", vg_strerror(rc));
        return rc ? -1 : 0;
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
                rank->scales_version);
        for (size_t k = 0; k < 11; k++)
            fprintf(f, "<th>%s</th>", heads[k]);
        fputs("</tr>\n", f);
        for (size_t i = 0; i < n; i++) {
            const struct vg_risk_ranked *r = &rows[i];
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
        return 0;
    }
    /* table */
    size_t wcode = 4, wname = 4, wkind = 4, wcountry = 7, wband = 4;
    for (size_t i = 0; i < n; i++) {
        const struct vg_risk_ranked *r = &rows[i];
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
        const struct vg_risk_ranked *r = &rows[i];
        fprintf(f, "%4zu  %6lld  %-*s  %-*.*s  %-*s  %-*s  %6.4f  %4d  %-*s  %6d  %s\n", i + 1,
                (long long)r->id, (int)wcode, r->code, (int)wname, (int)wname, r->name, (int)wkind,
                r->kind, (int)wcountry, r->country, r->dhs, r->fema, (int)wband, r->band, r->carver,
                r->reasons);
    }
    return 0;
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
         "  --km R             radius of comparable incidents for the threat, above 0\n"
         "                     and at most 2000 (default 50)\n"
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
            if (cli_parse_number(optarg, &km) || !(km > 0) || km > VG_THREAT_MAX_KM)
                return cli_usage_error(CMD, "--km must be a number above 0 and at most %d",
                                       VG_THREAT_MAX_KM);
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
    struct vg_risk_ranking *rank = NULL;
    struct vg_error err;
    struct cli_output out;
    int status = CLI_ERROR, out_open = 0;
    vg_error_clear(&err);
    if (cli_risk_scales(scales_dir, &scales) || cli_open_store(cli, VG_STORE_READONLY, &store))
        goto done;
    tk = load_targets(targets);
    struct vg_risk_opts opts = {
        .scales = scales, .targets = tk, .radius_km = km, .filter = filter, .top = (size_t)top};
    if (vg_risk_rank(store, &opts, &rank, &err)) {
        cli_error(&err);
        goto done;
    }
    if (tk && !rank->has_threat)
        fprintf(stderr, "vigil: note: %s: every site takes its kind's default threat\n",
                rank->threat_note);
    if (cli_output_open(&out, out_path))
        goto done;
    out_open = 1;
    if (print_rank(out.f, rank, (enum format)fmt))
        goto done;
    if (cli_output_close(&out))
        goto done;
    out_open = 0;
    if (!rank->nsites)
        fprintf(stderr, "vigil: no sites%s (import some with 'vigil sites import')\n",
                filter.only_kind || filter.country ? " match" : "");
    status = CLI_OK;
done:
    if (out_open)
        cli_output_abort(&out);
    vg_risk_ranking_destroy(rank);
    vg_target_kinds_destroy(tk);
    vg_store_close(store);
    vg_risk_scales_destroy(scales);
    return status;
}

/* ---- site ---- */

static void note_stale(const struct vg_risk_state *state, const struct vg_site *site,
                       const struct vg_risk_scales *scales)
{
    if (state->nstale)
        fprintf(stderr,
                "vigil: note: %zu stored answers or ratings of site %lld are not in the "
                "checklist of scales version %d and are left out\n",
                state->nstale, (long long)site->id, vg_risk_scales_version(scales));
}

int cli_risk_score_site(struct vg_store *store, const struct vg_risk_scales *scales,
                        const struct vg_site *site, const struct vg_threat *threat,
                        struct vg_risk_state *state, struct vg_risk_result *r)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_risk_score_site(store, scales, site, threat, state, r, &err)) {
        cli_error(&err);
        return -1;
    }
    note_stale(state, site, scales);
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
    if (t && strcmp(t->method, "pooled") == 0)
        /* The pool's rates vary no more than chance would make them: every site of the pool
         * gets the pool's common rate (alpha / beta), which is what beta's large value says. */
        fprintf(f,
                "  %.3g comparable incidents a year expected (lambda): %lld incidents within the "
                "radius, weighted x = %.3g over t = %.3g years, raw rate %.3g; the sites of pool "
                "%s vary no more than chance, so each gets the pool's common rate %.3g a year "
                "(alpha %.3g, beta %.3g)\n"
                "  probability of at least one within a year: 1 - exp(-lambda) = %.3f\n",
                t->lambda, (long long)t->n_incidents, t->x, t->t, t->rate_raw, t->pool,
                t->beta > 0 ? t->alpha / t->beta : 0.0, t->alpha, t->beta, r->p_year);
    else if (t)
        fprintf(f,
                "  %.3g comparable incidents a year expected (lambda): %lld incidents within the "
                "radius, weighted x = %.3g over t = %.3g years, raw rate %.3g; prior of pool %s: "
                "alpha %.3g, beta %.3g (%s)\n"
                "  probability of at least one within a year: 1 - exp(-lambda) = %.3f\n",
                t->lambda, (long long)t->n_incidents, t->x, t->t, t->rate_raw, t->pool, t->alpha,
                t->beta, t->method, r->p_year);
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
         "  --km R               radius of comparable incidents for the threat, above 0\n"
         "                       and at most 2000 (default 50)\n"
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
            if (cli_parse_number(optarg, &km) || !(km > 0) || km > VG_THREAT_MAX_KM)
                return cli_usage_error(CMD, "--km must be a number above 0 and at most %d",
                                       VG_THREAT_MAX_KM);
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
    struct vg_risk_explanation *ex = NULL;
    struct vg_error err;
    struct vg_buf json;
    int status = CLI_ERROR;
    vg_error_clear(&err);
    vg_buf_init(&json, (size_t)1 << 24);
    if (cli_risk_scales(scales_dir, &scales) || cli_open_store(cli, VG_STORE_READONLY, &store))
        goto done;
    /* The site first: an unknown one is said before any note about the tables. */
    struct vg_site site;
    struct vg_site_lookup info;
    if (vg_site_lookup(store, key, &site, &info, &err)) {
        cli_error(&err);
        goto done;
    }
    cli_site_lookup_note(key, &site, &info);
    vg_site_cleanup(&site);
    tk = load_targets(targets);
    struct vg_risk_opts opts = {.scales = scales, .targets = tk, .radius_km = km};
    if (vg_risk_explain(store, &opts, key, &ex, &err)) {
        cli_error(&err);
        goto done;
    }
    note_stale(&ex->state, &ex->site, scales);
    if (fmt == 1) {
        int rc = vg_risk_explanation_json(ex, 0, &json);
        if (rc) {
            cli_fail("cannot write the explanation as JSON: %s", vg_strerror(rc));
            goto done;
        }
        fwrite(json.data, 1, json.len, stdout);
    } else {
        print_site_text(stdout, scales, &ex->site, ex->has_threat ? &ex->threat : NULL,
                        ex->threat_note, &ex->result);
    }
    status = CLI_OK;
done:
    vg_buf_cleanup(&json);
    vg_risk_explanation_destroy(ex);
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
