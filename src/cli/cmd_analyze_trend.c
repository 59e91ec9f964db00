/* cmd_analyze_trend.c - `vigil analyze trend`: incidents, killed and wounded per year, month or
 * ISO week, with the change from the period before, as a table, CSV, JSON or an SVG line chart.
 *
 * The counting is vg_series_build's (include/vigil/series.h); this file parses the command line,
 * prints, and says on stderr how many incidents were left out for lack of a month or a day. */
#include "cli.h"
#include "vigil/series.h"
#include "vigil/svg.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CMD "analyze trend"
#define TOP_DEFAULT 8
#define SVG_CAP ((size_t)64 << 20)

enum format { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_SVG };

static void help(void)
{
    puts("Usage: vigil [--db PATH] analyze trend --period year|month|week [OPTIONS]\n"
         "\n"
         "Counts incidents and sums the known killed and wounded per period, with the\n"
         "change from the period before: the difference, and the percentage of the value\n"
         "before (none when that is 0, or for the first period).\n"
         "\n"
         "Options:\n"
         "  --period year|month|week   the period; weeks are ISO 8601 weeks (2020-W53),\n"
         "                             Monday to Sunday, of the ISO week-numbering year\n"
         "  --by DIM                   one series per value of DIM: year, month, country,\n"
         "                             region, attack, target, weapon, group, "
         "source\n" CLI_FILTER_HELP
         "  --format table|csv|json|svg  output format (default table); svg draws a line\n"
         "                             chart of one measure\n"
         "  --measure M                what the chart shows and ranks the series by:\n"
         "                             incidents, killed or wounded (default incidents)\n"
         "  --top N                    the chart draws the N series of largest total and\n"
         "                             sums the rest as \"other\" (1 to 15, default 8)\n"
         "  --out FILE                 write to FILE (whole or not at all), not stdout\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "Every period from the first to the last one holding a selected incident is\n"
         "listed, with 0 when it has none. Incidents whose date has no month (for months\n"
         "and weeks) or no day (for weeks) are left out; a note on stderr tells how many\n"
         "(in JSON, the field left_out). Killed and wounded add up the known values only,\n"
         "and are unknown for a period whose incidents all have them unknown.\n"
         "\n"
         "Columns: [DIM,] period, then for each of incidents, killed and wounded: the\n"
         "value, its change (_change) and its change in percent (_pct). Unknown values\n"
         "and changes are empty in CSV, null in JSON, (unknown) and - in tables.");
}

/* ---- the rows ---- */

static const char *const measure_cols[VG_MEASURE_COUNT] = {"incidents", "killed", "wounded"};

static int64_t cell(const struct vg_series *s, int m, size_t g, size_t t)
{
    return s->values[m][g * s->nperiods + t];
}

static void change_of(const struct vg_series *s, int m, size_t g, size_t t, struct vg_change *c)
{
    vg_series_change(t ? cell(s, m, g, t - 1) : VG_NULL_INT, cell(s, m, g, t), c);
    if (c->has_pct && fabs(c->pct) < 0.005)
        c->pct = 0; /* no "-0.00" */
}

/* The text of the group column of group g in CSV and tables (NULL: unknown). */
static const char *group_name(const struct vg_series *s, size_t g)
{
    return s->groups ? s->groups[g] : NULL;
}

/* Cells of one row as table text. */
struct row_text {
    char period[24];
    char v[VG_MEASURE_COUNT][3][32]; /* value, change, percent */
};

static void table_row(const struct vg_series *s, size_t g, size_t t, struct row_text *r)
{
    vg_series_period_label(s->period, s->first + (int64_t)t, r->period, sizeof(r->period));
    for (int m = 0; m < VG_MEASURE_COUNT; m++) {
        int64_t v = cell(s, m, g, t);
        struct vg_change c;
        change_of(s, m, g, t, &c);
        if (v == VG_NULL_INT)
            snprintf(r->v[m][0], sizeof(r->v[m][0]), "(unknown)");
        else
            snprintf(r->v[m][0], sizeof(r->v[m][0]), "%" PRId64, v);
        if (c.has_delta)
            snprintf(r->v[m][1], sizeof(r->v[m][1]), c.delta ? "%+" PRId64 : "0", c.delta);
        else
            snprintf(r->v[m][1], sizeof(r->v[m][1]), "-");
        if (c.has_pct && fabs(c.pct) < 0.05)
            snprintf(r->v[m][2], sizeof(r->v[m][2]), "0.0%%");
        else if (c.has_pct)
            snprintf(r->v[m][2], sizeof(r->v[m][2]), "%+.1f%%", c.pct);
        else
            snprintf(r->v[m][2], sizeof(r->v[m][2]), "-");
    }
}

static void print_table(FILE *f, const struct vg_series *s)
{
    static const char *const heads[3] = {NULL, "chg", "pct"};
    size_t wg = s->grouped ? strlen(vg_dim_name(s->by)) : 0, wp = strlen("period");
    size_t w[VG_MEASURE_COUNT][3];
    struct row_text r;
    for (int m = 0; m < VG_MEASURE_COUNT; m++)
        for (int k = 0; k < 3; k++)
            w[m][k] = strlen(k ? heads[k] : measure_cols[m]);
    for (size_t g = 0; g < s->ngroups; g++) {
        const char *name = group_name(s, g);
        size_t n = name ? strlen(name) : strlen("(unknown)");
        if (s->grouped && n > wg)
            wg = n;
        for (size_t t = 0; t < s->nperiods; t++) {
            table_row(s, g, t, &r);
            if (strlen(r.period) > wp)
                wp = strlen(r.period);
            for (int m = 0; m < VG_MEASURE_COUNT; m++)
                for (int k = 0; k < 3; k++)
                    if (strlen(r.v[m][k]) > w[m][k])
                        w[m][k] = strlen(r.v[m][k]);
        }
    }
    if (s->grouped)
        fprintf(f, "%-*s  ", (int)wg, vg_dim_name(s->by));
    fprintf(f, "%-*s", (int)wp, "period");
    for (int m = 0; m < VG_MEASURE_COUNT; m++)
        for (int k = 0; k < 3; k++)
            fprintf(f, "  %*s", (int)w[m][k], k ? heads[k] : measure_cols[m]);
    fputc('\n', f);
    for (size_t g = 0; g < s->ngroups; g++) {
        const char *name = group_name(s, g);
        for (size_t t = 0; t < s->nperiods; t++) {
            table_row(s, g, t, &r);
            if (s->grouped)
                fprintf(f, "%-*s  ", (int)wg, name ? name : "(unknown)");
            fprintf(f, "%-*s", (int)wp, r.period);
            for (int m = 0; m < VG_MEASURE_COUNT; m++)
                for (int k = 0; k < 3; k++)
                    fprintf(f, "  %*s", (int)w[m][k], r.v[m][k]);
            fputc('\n', f);
        }
    }
}

static void print_csv(FILE *f, const struct vg_series *s)
{
    if (s->grouped)
        fprintf(f, "%s,", vg_dim_name(s->by));
    fputs("period", f);
    for (int m = 0; m < VG_MEASURE_COUNT; m++)
        fprintf(f, ",%s,%s_change,%s_pct", measure_cols[m], measure_cols[m], measure_cols[m]);
    fputc('\n', f);
    for (size_t g = 0; g < s->ngroups; g++) {
        for (size_t t = 0; t < s->nperiods; t++) {
            char label[24];
            vg_series_period_label(s->period, s->first + (int64_t)t, label, sizeof(label));
            if (s->grouped) {
                cli_csv_field(f, group_name(s, g));
                fputc(',', f);
            }
            fputs(label, f);
            for (int m = 0; m < VG_MEASURE_COUNT; m++) {
                int64_t v = cell(s, m, g, t);
                struct vg_change c;
                change_of(s, m, g, t, &c);
                fputc(',', f);
                if (v != VG_NULL_INT)
                    fprintf(f, "%" PRId64, v);
                fputc(',', f);
                if (c.has_delta)
                    fprintf(f, "%" PRId64, c.delta);
                fputc(',', f);
                if (c.has_pct)
                    fprintf(f, "%.2f", c.pct);
            }
            fputc('\n', f);
        }
    }
}

static void json_group(FILE *f, const struct vg_series *s, size_t g)
{
    const char *name = group_name(s, g);
    if (!name)
        fputs("null", f);
    else if (vg_dim_is_numeric(s->by))
        fputs(name, f);
    else
        cli_json_string(f, name);
}

static void print_json(FILE *f, const struct vg_series *s)
{
    char label[24];
    fprintf(f, "{\"period\":\"%s\",\"by\":", vg_period_name(s->period));
    if (s->grouped)
        fprintf(f, "\"%s\"", vg_dim_name(s->by));
    else
        fputs("null", f);
    cli_series_json_span(f, s);
    fputs(",\"rows\":[", f);
    int first = 1;
    for (size_t g = 0; g < s->ngroups; g++) {
        for (size_t t = 0; t < s->nperiods; t++) {
            vg_series_period_label(s->period, s->first + (int64_t)t, label, sizeof(label));
            fprintf(f, "%s{", first ? "\n " : ",\n ");
            first = 0;
            if (s->grouped) {
                fprintf(f, "\"%s\":", vg_dim_name(s->by));
                json_group(f, s, g);
                fputc(',', f);
            }
            fprintf(f, "\"period\":\"%s\"", label);
            for (int m = 0; m < VG_MEASURE_COUNT; m++) {
                int64_t v = cell(s, m, g, t);
                struct vg_change c;
                change_of(s, m, g, t, &c);
                fprintf(f, ",\"%s\":", measure_cols[m]);
                if (v == VG_NULL_INT)
                    fputs("null", f);
                else
                    fprintf(f, "%" PRId64, v);
                fprintf(f, ",\"%s_change\":", measure_cols[m]);
                if (c.has_delta)
                    fprintf(f, "%" PRId64, c.delta);
                else
                    fputs("null", f);
                fprintf(f, ",\"%s_pct\":", measure_cols[m]);
                if (c.has_pct)
                    fprintf(f, "%.2f", c.pct);
                else
                    fputs("null", f);
            }
            fputc('}', f);
        }
    }
    fputs(first ? "]}\n" : "\n]}\n", f);
}

/* ---- the chart ---- */

/* Builds the chart of measure m (the top groups) into b. */
static int render_svg(struct vg_buf *b, const struct vg_series *all, enum vg_measure m, size_t top,
                      const struct vg_filter *filter, struct vg_error *err)
{
    struct vg_series *s = NULL;
    double *y = NULL;
    char *labels = NULL;
    const char **label_ptrs = NULL;
    size_t *pos = NULL;
    struct vg_svg_line lines[VG_SVG_MAX_LINES];
    char names[VG_SVG_MAX_LINES][96];
    char title[512];
    int rc;

    if ((rc = vg_series_top(all, m, top, &s, err)))
        return rc;
    if (s->nperiods > VG_SVG_MAX_POINTS) {
        rc = vg_error_set(err, VG_ETOOBIG,
                          "%zu %ss are too many for a chart (at most %d): narrow the dates or "
                          "take a longer period",
                          s->nperiods, vg_period_name(s->period), VG_SVG_MAX_POINTS);
        goto done;
    }
    size_t np = s->nperiods, nl = s->ngroups;
    if ((np &&
         (!(y = malloc(np * nl * sizeof(double))) || !(labels = malloc(np * 24)) ||
          !(label_ptrs = malloc(np * sizeof(char *))) || !(pos = malloc(np * sizeof(size_t)))))) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t t = 0; t < np; t++) {
        vg_series_period_label(s->period, s->first + (int64_t)t, labels + t * 24, 24);
        label_ptrs[t] = labels + t * 24;
        if (s->period == VG_PERIOD_WEEK) { /* "YYYY-Www": W53 shares the place of W52 */
            char *w;
            long year = strtol(label_ptrs[t], &w, 10);
            long week = strtol(w + 2, NULL, 10);
            pos[t] = (size_t)(year * 52 + (week > 52 ? 52 : week) - 1);
        }
    }
    for (size_t g = 0; g < nl; g++) {
        for (size_t t = 0; t < np; t++) {
            int64_t v = cell(s, m, g, t);
            y[g * np + t] = v == VG_NULL_INT ? NAN : (double)v;
        }
        if (!s->grouped)
            snprintf(names[g], sizeof(names[g]), "%s",
                     m == VG_MEASURE_INCIDENTS ? "incidents"
                     : m == VG_MEASURE_KILLED  ? "killed"
                                               : "wounded");
        else if (s->other && g == nl - 1)
            snprintf(names[g], sizeof(names[g]), "other (%zu %s)", s->other,
                     s->other == 1 ? "value" : "values");
        lines[g].name = !s->grouped || (s->other && g == nl - 1) ? names[g] : s->groups[g];
        lines[g].y = np ? y + g * np : NULL;
    }

    /* Title: what, per what, by what, over which periods, for which incidents. */
    size_t len =
        (size_t)snprintf(title, sizeof(title), "%s per %s",
                         m == VG_MEASURE_INCIDENTS ? "Incidents"
                         : m == VG_MEASURE_KILLED  ? "Killed"
                                                   : "Wounded",
                         s->period == VG_PERIOD_WEEK ? "ISO week" : vg_period_name(s->period));
    if (s->grouped && len < sizeof(title))
        len += (size_t)snprintf(title + len, sizeof(title) - len, " by %s", vg_dim_name(s->by));
    if (np && len < sizeof(title))
        len += (size_t)snprintf(title + len, sizeof(title) - len, ", %s to %s", label_ptrs[0],
                                label_ptrs[np - 1]);
    for (size_t i = 0; i < filter->nwhere && len < sizeof(title); i++)
        len += (size_t)snprintf(title + len, sizeof(title) - len, "%s%s=%s", i ? ", " : " (",
                                vg_dim_name(filter->where[i].field), filter->where[i].value);
    if (filter->nwhere && len < sizeof(title))
        snprintf(title + len, sizeof(title) - len, ")");

    struct vg_svg_chart chart;
    memset(&chart, 0, sizeof(chart));
    chart.title = title;
    chart.x_title = s->period == VG_PERIOD_WEEK ? "ISO week" : vg_period_name(s->period);
    chart.y_title = m == VG_MEASURE_INCIDENTS ? "incidents"
                    : m == VG_MEASURE_KILLED  ? "killed (known)"
                                              : "wounded (known)";
    chart.x_labels = label_ptrs;
    chart.npoints = np;
    chart.lines = lines;
    chart.nlines = nl;
    chart.y_integer = 1;
    chart.empty_note = "no incident matches";
    if (s->period == VG_PERIOD_MONTH) {
        chart.x_cycle = 12;
        chart.x_phase = (size_t)(s->first % 12);
    } else if (s->period == VG_PERIOD_WEEK) {
        chart.x_cycle = 52;
        chart.x_pos = pos;
    } else {
        chart.x_phase = (size_t)s->first;
    }
    rc = vg_svg_render(b, &chart, err);
done:
    free(y);
    free(labels);
    free(label_ptrs);
    free(pos);
    vg_series_destroy(s);
    return rc;
}

/* ---- the command ---- */

static int parse_top(const char *arg, size_t *top)
{
    uint64_t v;
    if (cli_parse_count(arg, 1, VG_SVG_MAX_LINES - 1, &v))
        return cli_usage_error(CMD, "--top must be a whole number from 1 to %d, not '%s'",
                               VG_SVG_MAX_LINES - 1, arg);
    *top = (size_t)v;
    return 0;
}

int cmd_analyze_trend(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"period", required_argument, NULL, 'p'},
                                             {"by", required_argument, NULL, 'b'},
                                             CLI_FILTER_OPTIONS,
                                             {"format", required_argument, NULL, 'o'},
                                             {"measure", required_argument, NULL, 'm'},
                                             {"top", required_argument, NULL, 'n'},
                                             {"out", required_argument, NULL, 'O'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_series_query q;
    struct vg_filter filter;
    struct vg_error err;
    enum format fmt = FMT_TABLE;
    enum vg_measure measure = VG_MEASURE_INCIDENTS;
    size_t top = TOP_DEFAULT;
    const char *out_path = NULL;
    int have_period = 0, c;

    memset(&q, 0, sizeof(q));
    vg_filter_init(&filter);
    vg_error_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (vg_period_parse(optarg, &q.period, &err))
                return cli_usage_error(CMD, "%s", err.message);
            have_period = 1;
            break;
        case 'b':
            if (vg_dim_parse(optarg, &q.by, &err))
                return cli_usage_error(CMD, "%s", err.message);
            q.grouped = 1;
            break;
        case 'w':
        case 'F':
        case 'T':
            if (cli_filter_option(CMD, c, optarg, &filter))
                return CLI_USAGE;
            break;
        case 'o': {
            static const char *const formats[] = {"table", "csv", "json", "svg", NULL};
            int f;
            if (cli_choice(CMD, "format", optarg, formats, &f))
                return CLI_USAGE;
            fmt = (enum format)f;
            break;
        }
        case 'm': {
            /* In the order of enum vg_measure. */
            static const char *const measures[] = {"incidents", "killed", "wounded", NULL};
            int m;
            if (cli_choice(CMD, "measure", optarg, measures, &m))
                return CLI_USAGE;
            measure = (enum vg_measure)m;
            break;
        }
        case 'n':
            if (parse_top(optarg, &top))
                return CLI_USAGE;
            break;
        case 'O':
            if (!optarg[0])
                return cli_usage_error(CMD, "--out needs a file name");
            out_path = optarg;
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
    }
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    if (!have_period)
        return cli_usage_error(CMD, "--period is required (year, month or week)");

    struct vg_store *store = NULL;
    struct vg_cube *cube = NULL;
    struct vg_selection *sel = NULL;
    struct vg_series *s = NULL;
    struct vg_buf svg;
    struct cli_output out = {0};
    int status = CLI_ERROR;
    vg_buf_init(&svg, SVG_CAP);
    memset(&out, 0, sizeof(out));

    if (cli_open_selection(cli, &filter, &store, &cube, &sel))
        goto done;
    if (vg_series_build(cube, sel, &q, &s, &err) ||
        (fmt == FMT_SVG && render_svg(&svg, s, measure, top, &filter, &err))) {
        cli_error(&err);
        goto done;
    }
    cli_series_note(s, q.period);

    if (cli_output_open(&out, out_path))
        goto done;
    FILE *f = out.f;
    if (fmt == FMT_TABLE)
        print_table(f, s);
    else if (fmt == FMT_CSV)
        print_csv(f, s);
    else if (fmt == FMT_JSON)
        print_json(f, s);
    else
        fwrite(svg.data, 1, svg.len, f);
    if (cli_output_close(&out))
        goto done;
    status = CLI_OK;
done:
    cli_output_abort(&out);
    vg_buf_cleanup(&svg);
    vg_series_destroy(s);
    cli_close_selection(store, cube, sel);
    return status;
}
