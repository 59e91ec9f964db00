/* cmd_analyze_surge.c - `vigil analyze surge`: weeks or months whose count of incidents breaks
 * the pattern of the periods before, by Poisson CUSUM, EWMA or CDC EARS C1/C2/C3.
 *
 * The series come from vg_series_build (one per group with --by) and each method runs on each
 * series through vg_surge_run (include/vigil/surge.h). The alarms (or, with --all, every period
 * tested) are gathered, ordered by period, then group, then method, and printed. */
#include "cli.h"
#include "vigil/series.h"
#include "vigil/surge.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CMD "analyze surge"
#define MAX_ROWS ((size_t)1 << 22) /* rows gathered for printing */

static void help(void)
{
    puts("Usage: vigil [--db PATH] analyze surge --period week|month [OPTIONS]\n"
         "\n"
         "Finds the weeks or months whose number of incidents is higher than the periods\n"
         "before make likely, one series per value of --by, and lists the alarms: group\n"
         "(with --by), period, method, observed count, expected count, score and threshold.\n"
         "\n"
         "Options:\n"
         "  --period week|month        the period (weeks are ISO 8601 weeks)\n"
         "  --by DIM                   one series per value of DIM: year, month, country,\n"
         "                             region, attack, target, weapon, group, source\n"
         "  --method M[,M...]          cusum, ewma, ears (= ears-c1,ears-c2,ears-c3),\n"
         "                             ears-c1, ears-c2, ears-c3 (default cusum)\n" CLI_FILTER_HELP
         "  --format table|csv|json    output format (default table)\n"
         "  --all                      list every period tested, with its alarm, not only\n"
         "                             the alarms\n"
         "  --out FILE                 write to FILE (whole or not at all), not stdout\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "Method parameters (docs/methods/surge.md gives the formulas):\n"
         "  --baseline N    CUSUM, EWMA: periods in the baseline, 2 to 520 (default 8)\n"
         "  --guard N       CUSUM, EWMA: periods between the baseline and the period\n"
         "                  tested, 0 to 520 (default 2)\n"
         "  --delta D       CUSUM: shift to detect, mu1 = mu0 + D sqrt(mu0), above 0 and\n"
         "                  at most 100 (default 2)\n"
         "  --h H           CUSUM: alarm when S >= H, then S restarts at 0; at most 1e6\n"
         "                  (default 5)\n"
         "  --min-mean M    CUSUM: mu0 is taken as at least M, at most 1e9 (default 0.5)\n"
         "  --lambda X      EWMA: weight of the newest period, 0 < X <= 1 (default 0.2)\n"
         "  --L X           EWMA: limit at mu0 + X sigma_Z, at most 100 (default 3)\n"
         "  --min-sd S      EWMA, EARS: the baseline sd is taken as at least S, at most\n"
         "                  1e9 (default 1)\n"
         "  EARS uses the 7 periods before (C1) or before a 2-period guard band (C2, C3);\n"
         "  C1 and C2 alarm above 3, C3 above 2.\n"
         "\n"
         "The first periods, whose history is too short for a method (baseline + guard for\n"
         "CUSUM and EWMA, 7, 9 and 11 for C1, C2 and C3), are not tested. Incidents\n"
         "whose date has no month (or no day, for weeks) are left out; a note on stderr\n"
         "tells how many (in JSON, the field left_out).");
}

struct row {
    size_t t, g;
    int method;
    double observed;
    struct vg_surge_point pt;
};

static int cmp_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->g != y->g)
        return x->g < y->g ? -1 : 1;
    return (x->method > y->method) - (x->method < y->method);
}

struct result {
    const struct vg_series *s;
    struct row *rows;
    size_t n, cap;
    int all;
};

static int add_row(struct result *r, const struct row *row)
{
    if (r->n == r->cap) {
        if (r->n == MAX_ROWS)
            return VG_ETOOBIG;
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct row *rows = realloc(r->rows, cap * sizeof(*rows));
        if (!rows)
            return VG_ENOMEM;
        r->rows = rows;
        r->cap = cap;
    }
    r->rows[r->n++] = *row;
    return 0;
}

/* Runs every method of mask on every series of s. */
static int detect(struct result *r, unsigned mask, const struct vg_surge_params *p,
                  struct vg_error *err)
{
    const struct vg_series *s = r->s;
    size_t n = s->nperiods;
    double *x = malloc((n ? n : 1) * sizeof(double));
    struct vg_surge_point *pts = malloc((n ? n : 1) * sizeof(*pts));
    int rc = 0;
    if (!x || !pts) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t g = 0; g < s->ngroups && !rc; g++) {
        for (size_t t = 0; t < n; t++)
            x[t] = (double)s->values[VG_MEASURE_INCIDENTS][g * n + t];
        for (int m = 0; m < VG_SURGE_METHOD_COUNT && !rc; m++) {
            if (!(mask & 1u << m))
                continue;
            if ((rc = vg_surge_run((enum vg_surge_method)m, p, x, n, pts, err)))
                break;
            for (size_t t = 0; t < n && !rc; t++) {
                if (!pts[t].tested || (!r->all && !pts[t].alarm))
                    continue;
                struct row row = {t, g, m, x[t], pts[t]};
                if ((rc = add_row(r, &row)) == VG_ETOOBIG)
                    rc = vg_error_set(err, rc,
                                      "more than %zu rows: narrow the selection or the methods",
                                      MAX_ROWS);
                else if (rc)
                    rc = vg_error_set(err, rc, "out of memory");
            }
        }
    }
    if (!rc && r->n)
        qsort(r->rows, r->n, sizeof(*r->rows), cmp_rows);
done:
    free(x);
    free(pts);
    return rc;
}

static const char *group_name(const struct vg_series *s, size_t g)
{
    return s->groups ? s->groups[g] : NULL;
}

static void print_table(FILE *f, const struct result *r)
{
    const struct vg_series *s = r->s;
    static const char *const heads[] = {"observed", "expected", "score", "threshold"};
    size_t wg = s->grouped ? strlen(vg_dim_name(s->by)) : 0, wp = strlen("period"),
           wm = strlen("method"), w[4];
    char cells[4][32], label[24];
    for (int k = 0; k < 4; k++)
        w[k] = strlen(heads[k]);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            if (s->grouped)
                fprintf(f, "%-*s  ", (int)wg, vg_dim_name(s->by));
            fprintf(f, "%-*s  %-*s", (int)wp, "period", (int)wm, "method");
            for (int k = 0; k < 4; k++)
                fprintf(f, "  %*s", (int)w[k], heads[k]);
            fputs(r->all ? "  alarm\n" : "\n", f);
        }
        for (size_t i = 0; i < r->n; i++) {
            const struct row *row = &r->rows[i];
            const char *name = group_name(s, row->g);
            const char *method = vg_surge_method_name((enum vg_surge_method)row->method);
            vg_series_period_label(s->period, s->first + (int64_t)row->t, label, sizeof(label));
            snprintf(cells[0], sizeof(cells[0]), "%.0f", row->observed);
            snprintf(cells[1], sizeof(cells[1]), "%.2f", row->pt.expected);
            snprintf(cells[2], sizeof(cells[2]), "%.2f", row->pt.score);
            snprintf(cells[3], sizeof(cells[3]), "%.2f", row->pt.threshold);
            if (pass == 0) {
                size_t n = name ? strlen(name) : strlen("(unknown)");
                if (s->grouped && n > wg)
                    wg = n;
                if (strlen(label) > wp)
                    wp = strlen(label);
                if (strlen(method) > wm)
                    wm = strlen(method);
                for (int k = 0; k < 4; k++)
                    if (strlen(cells[k]) > w[k])
                        w[k] = strlen(cells[k]);
                continue;
            }
            if (s->grouped)
                fprintf(f, "%-*s  ", (int)wg, name ? name : "(unknown)");
            fprintf(f, "%-*s  %-*s", (int)wp, label, (int)wm, method);
            for (int k = 0; k < 4; k++)
                fprintf(f, "  %*s", (int)w[k], cells[k]);
            if (r->all)
                fprintf(f, "  %5s", row->pt.alarm ? "yes" : "no");
            fputc('\n', f);
        }
    }
}

static void print_csv(FILE *f, const struct result *r)
{
    const struct vg_series *s = r->s;
    char label[24];
    if (s->grouped)
        fprintf(f, "%s,", vg_dim_name(s->by));
    fprintf(f, "period,method,observed,expected,score,threshold%s\n", r->all ? ",alarm" : "");
    for (size_t i = 0; i < r->n; i++) {
        const struct row *row = &r->rows[i];
        vg_series_period_label(s->period, s->first + (int64_t)row->t, label, sizeof(label));
        if (s->grouped) {
            cli_csv_field(f, group_name(s, row->g));
            fputc(',', f);
        }
        fprintf(f, "%s,%s,%.0f,%.6g,%.6g,%.6g", label,
                vg_surge_method_name((enum vg_surge_method)row->method), row->observed,
                row->pt.expected, row->pt.score, row->pt.threshold);
        if (r->all)
            fprintf(f, ",%d", row->pt.alarm);
        fputc('\n', f);
    }
}

static void print_json(FILE *f, const struct result *r, unsigned mask,
                       const struct vg_surge_params *p)
{
    const struct vg_series *s = r->s;
    char label[24];
    fprintf(f, "{\"period\":\"%s\",\"by\":", vg_period_name(s->period));
    if (s->grouped)
        fprintf(f, "\"%s\"", vg_dim_name(s->by));
    else
        fputs("null", f);
    fputs(",\"methods\":[", f);
    for (int m = 0, n = 0; m < VG_SURGE_METHOD_COUNT; m++)
        if (mask & 1u << m)
            fprintf(f, "%s\"%s\"", n++ ? "," : "", vg_surge_method_name((enum vg_surge_method)m));
    fprintf(f,
            "],\"parameters\":{\"baseline\":%zu,\"guard\":%zu,\"delta\":%.6g,\"h\":%.6g,"
            "\"min_mean\":%.6g,\"lambda\":%.6g,\"L\":%.6g,\"min_sd\":%.6g,\"c_limit\":%.6g,"
            "\"c3_limit\":%.6g}",
            p->baseline, p->guard, p->delta, p->h, p->min_mean, p->lambda, p->L, p->min_sd,
            p->c_limit, p->c3_limit);
    cli_series_json_span(f, s);
    fprintf(f, ",\"%s\":[", r->all ? "points" : "alarms");
    for (size_t i = 0; i < r->n; i++) {
        const struct row *row = &r->rows[i];
        vg_series_period_label(s->period, s->first + (int64_t)row->t, label, sizeof(label));
        fprintf(f, "%s{\"period\":\"%s\"", i ? ",\n " : "\n ", label);
        if (s->grouped) {
            const char *name = group_name(s, row->g);
            fprintf(f, ",\"%s\":", vg_dim_name(s->by));
            if (!name)
                fputs("null", f);
            else if (vg_dim_is_numeric(s->by))
                fputs(name, f);
            else
                cli_json_string(f, name);
        }
        fprintf(f,
                ",\"method\":\"%s\",\"observed\":%.0f,\"expected\":%.6g,\"score\":%.6g,"
                "\"threshold\":%.6g",
                vg_surge_method_name((enum vg_surge_method)row->method), row->observed,
                row->pt.expected, row->pt.score, row->pt.threshold);
        if (r->all)
            fprintf(f, ",\"alarm\":%s", row->pt.alarm ? "true" : "false");
        fputc('}', f);
    }
    fputs(r->n ? "\n]}\n" : "]}\n", f);
}

/* ---- options ---- */

static int parse_real(const char *opt, const char *arg, double *out)
{
    if (cli_parse_number(arg, out))
        return cli_usage_error(CMD, "--%s needs a number, not '%s'", opt, arg);
    return 0;
}

static int parse_count(const char *opt, const char *arg, size_t *out)
{
    uint64_t v;
    if (cli_parse_count(arg, 0, 1000000, &v))
        return cli_usage_error(CMD, "--%s needs a whole number of periods, not '%s'", opt, arg);
    *out = (size_t)v;
    return 0;
}

int cmd_analyze_surge(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"period", required_argument, NULL, 'p'}, {"by", required_argument, NULL, 'b'},
        {"method", required_argument, NULL, 'm'}, CLI_FILTER_OPTIONS,
        {"format", required_argument, NULL, 'o'}, {"all", no_argument, NULL, 'a'},
        {"out", required_argument, NULL, 'O'},    {"baseline", required_argument, NULL, 'B'},
        {"guard", required_argument, NULL, 'G'},  {"delta", required_argument, NULL, 'd'},
        {"h", required_argument, NULL, 'H'},      {"min-mean", required_argument, NULL, 'M'},
        {"lambda", required_argument, NULL, 'l'}, {"L", required_argument, NULL, 'L'},
        {"min-sd", required_argument, NULL, 'S'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    struct vg_series_query q;
    struct vg_filter filter;
    struct vg_surge_params params;
    struct vg_error err;
    enum cli_format fmt = CLI_FMT_TABLE;
    unsigned mask = 1u << VG_SURGE_CUSUM;
    const char *out_path = NULL;
    int have_period = 0, all = 0, c, rc = 0;

    memset(&q, 0, sizeof(q));
    vg_filter_init(&filter);
    vg_surge_params_init(&params);
    vg_error_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (vg_period_parse(optarg, &q.period, &err))
                return cli_usage_error(CMD, "%s", err.message);
            if (q.period == VG_PERIOD_YEAR)
                return cli_usage_error(CMD, "the period must be week or month, not year");
            have_period = 1;
            break;
        case 'b':
            if (vg_dim_parse(optarg, &q.by, &err))
                return cli_usage_error(CMD, "%s", err.message);
            q.grouped = 1;
            break;
        case 'm':
            if (vg_surge_methods_parse(optarg, &mask, &err))
                return cli_usage_error(CMD, "%s", err.message);
            break;
        case 'w':
        case 'F':
        case 'T':
            if (cli_filter_option(CMD, c, optarg, &filter))
                return CLI_USAGE;
            break;
        case 'o':
            if (cli_format_option(CMD, optarg, &fmt))
                return CLI_USAGE;
            break;
        case 'a':
            all = 1;
            break;
        case 'O':
            if (!optarg[0])
                return cli_usage_error(CMD, "--out needs a file name");
            out_path = optarg;
            break;
        case 'B':
            rc = parse_count("baseline", optarg, &params.baseline);
            break;
        case 'G':
            rc = parse_count("guard", optarg, &params.guard);
            break;
        case 'd':
            rc = parse_real("delta", optarg, &params.delta);
            break;
        case 'H':
            rc = parse_real("h", optarg, &params.h);
            break;
        case 'M':
            rc = parse_real("min-mean", optarg, &params.min_mean);
            break;
        case 'l':
            rc = parse_real("lambda", optarg, &params.lambda);
            break;
        case 'L':
            rc = parse_real("L", optarg, &params.L);
            break;
        case 'S':
            rc = parse_real("min-sd", optarg, &params.min_sd);
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help();
            return CLI_OK;
        default:
            return cli_usage_error(CMD, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
        if (rc)
            return CLI_USAGE;
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!have_period)
        return cli_usage_error(CMD, "--period is required (week or month)");
    if (vg_surge_params_check(&params, &err))
        return cli_usage_error(CMD, "%s", err.message);

    struct vg_store *store = NULL;
    struct vg_cube *cube = NULL;
    struct vg_selection *sel = NULL;
    struct vg_series *s = NULL;
    struct result res;
    struct cli_output out = {0};
    int status = CLI_ERROR;
    memset(&res, 0, sizeof(res));
    memset(&out, 0, sizeof(out));
    res.all = all;

    if (cli_open_selection(cli, &filter, &store, &cube, &sel))
        goto done;
    if (vg_series_build(cube, sel, &q, &s, &err)) {
        cli_error(&err);
        goto done;
    }
    res.s = s;
    if (detect(&res, mask, &params, &err)) {
        cli_error(&err);
        goto done;
    }
    cli_series_note(s, q.period);

    if (cli_output_open(&out, out_path))
        goto done;
    FILE *f = out.f;
    if (fmt == CLI_FMT_TABLE)
        print_table(f, &res);
    else if (fmt == CLI_FMT_CSV)
        print_csv(f, &res);
    else
        print_json(f, &res, mask, &params);
    if (cli_output_close(&out))
        goto done;
    status = CLI_OK;
done:
    cli_output_abort(&out);
    free(res.rows);
    vg_series_destroy(s);
    cli_close_selection(store, cube, sel);
    return status;
}
