/* cmd_analyze_nearrepeat.c - `vigil analyze nearrepeat`: the near-repeat table of the incidents
 * (Ratcliffe's Near Repeat Calculator) over bands of distance and time, as a table, CSV or JSON.
 * The computation is vg_knox_nearrepeat (knox.h) over the cube and the selection the filters
 * make; this file parses the command line and prints. */
#include "cli.h"
#include "vigil/knox.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmd = "analyze nearrepeat";

static void help(void)
{
    puts("Usage: vigil [--db PATH] analyze nearrepeat --space-km W --days T [OPTIONS]\n"
         "\n"
         "Near-repeat table of incidents (as the Near Repeat Calculator): for each band\n"
         "of distance and of time, the pairs of incidents observed in it, the pairs\n"
         "expected when the dates are shuffled among the incidents (the mean over the\n"
         "permutations), their ratio and its Monte Carlo p-value.\n"
         "\n"
         "Rows: same location (distance 0), then S bands of W km, (0,W], (W,2W], ...,\n"
         "and the pairs beyond S*W. Columns: T days each in whole days, 0..T, T+1..2T,\n"
         "..., and the pairs beyond K*T. Distances are great-circle (haversine, Earth\n"
         "radius 6371.0088 km). Incidents without coordinates or without a date known\n"
         "to the day are left out and counted.\n"
         "\n"
         "Options:\n"
         "  --space-km W               width of a distance band, km (> 0)\n"
         "  --space-bands S            number of distance bands, 1 to 100 (default 5)\n"
         "  --days T                   width of a time band, whole days, 1 to 36525\n"
         "  --time-bands K             number of time bands, 1 to 100 (default 5)\n"
         "  --permutations B           permutations of the dates, 1 to 100000 (default 99)\n"
         "  --seed N                   seed of the permutations (default 1)\n"
         "  --threads N                threads, 1 to 64 (default: one per processor, at\n"
         "                             most one per permutation); the result does not\n"
         "                             depend on it\n" CLI_FILTER_HELP
         "  --format table|csv|json    output format (default table)\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "See docs/methods/nearrepeat.md.");
}

/* The label of row r: "same location", "0-1 km", "> 5 km". */
static void row_label(const struct vg_knox_table *t, uint32_t r, char *buf, size_t n)
{
    uint32_t S = t->rows - 2;
    if (r == 0)
        snprintf(buf, n, "same location");
    else if (r <= S)
        snprintf(buf, n, "%g-%g km", (r - 1) * t->band_km, r * t->band_km);
    else
        snprintf(buf, n, "> %g km", S * t->band_km);
}

/* The first and last day of column c (last = -1 for the column beyond). */
static void col_days(const struct vg_knox_table *t, uint32_t c, long *from, long *to)
{
    uint32_t K = t->cols - 1;
    *from = c == 0 ? 0 : (long)c * t->band_days + 1;
    *to = c < K ? (long)(c + 1) * t->band_days : -1;
}

static void col_label(const struct vg_knox_table *t, uint32_t c, char *buf, size_t n)
{
    long from, to;
    col_days(t, c, &from, &to);
    if (to < 0)
        snprintf(buf, n, "> %ld days", from - 1);
    else
        snprintf(buf, n, "%ld-%ld days", from, to);
}

enum what { RATIO, OBSERVED, EXPECTED, PVALUE };

static void print_block(const struct vg_knox_table *t, enum what w, const char *title)
{
    char label[64];
    int rw = 13, cw = 12; /* widths of the row labels and of the columns */
    for (uint32_t r = 0; r < t->rows; r++) {
        row_label(t, r, label, sizeof(label));
        if ((int)strlen(label) > rw)
            rw = (int)strlen(label);
    }
    for (uint32_t c = 0; c < t->cols; c++) {
        col_label(t, c, label, sizeof(label));
        if ((int)strlen(label) > cw)
            cw = (int)strlen(label);
    }
    printf("\n%s\n%-*s", title, rw, "");
    for (uint32_t c = 0; c < t->cols; c++) {
        col_label(t, c, label, sizeof(label));
        printf("  %*s", cw, label);
    }
    putchar('\n');
    for (uint32_t r = 0; r < t->rows; r++) {
        row_label(t, r, label, sizeof(label));
        printf("%-*s", rw, label);
        for (uint32_t c = 0; c < t->cols; c++) {
            const struct vg_knox_cell *x = &t->cells[(size_t)r * t->cols + c];
            char v[48];
            switch (w) {
            case RATIO:
                if (isnan(x->ratio))
                    snprintf(v, sizeof(v), "-  ");
                else
                    snprintf(v, sizeof(v), "%.2f%s", x->ratio,
                             x->p <= 0.01   ? "**"
                             : x->p <= 0.05 ? "* "
                                            : "  ");
                break;
            case OBSERVED:
                snprintf(v, sizeof(v), "%llu", (unsigned long long)x->observed);
                break;
            case EXPECTED:
                snprintf(v, sizeof(v), "%.2f", x->expected);
                break;
            case PVALUE:
                snprintf(v, sizeof(v), "%.3f", x->p);
                break;
            }
            printf("  %*s", cw, v);
        }
        putchar('\n');
    }
}

static void print_table(const struct vg_knox_table *t)
{
    printf("Near-repeat table of %zu incidents (%zu selected: %zu without coordinates, %zu "
           "without a date known to the day)\n",
           t->incidents, t->selected, t->no_location, t->no_day);
    printf("%llu pairs; distance bands of %g km, time bands of %u days; expected: mean of %u "
           "permutations of the dates (seed %llu)\n",
           (unsigned long long)t->pairs, t->band_km, t->band_days, t->permutations,
           (unsigned long long)t->seed);
    print_block(t, RATIO, "Observed / expected (Knox ratio); * p <= 0.05, ** p <= 0.01");
    print_block(t, OBSERVED, "Observed pairs");
    print_block(t, EXPECTED, "Expected pairs (mean over the permutations)");
    print_block(t, PVALUE,
                "Monte Carlo p-values, (1 + permutations reaching the observed) / "
                "(permutations + 1)");
}

static void print_cells(const struct vg_knox_table *t, int json)
{
    uint32_t S = t->rows - 2;
    char label[64];
    if (!json)
        puts("distance,distance_from_km,distance_to_km,time,time_from_days,time_to_days,"
             "observed,expected,ratio,p_value");
    for (uint32_t r = 0; r < t->rows; r++)
        for (uint32_t c = 0; c < t->cols; c++) {
            const struct vg_knox_cell *x = &t->cells[(size_t)r * t->cols + c];
            double dfrom = r == 0 ? 0 : (r - 1) * t->band_km;
            double dto = r == 0 ? 0 : r <= S ? r * t->band_km : NAN;
            long from, to;
            col_days(t, c, &from, &to);
            if (json) {
                fputs(r || c ? ",\n  {\"distance\":" : "\n  {\"distance\":", stdout);
                row_label(t, r, label, sizeof(label));
                cli_json_string(stdout, label);
                fputs(",\"distance_from_km\":", stdout);
                cli_put_number(stdout, dfrom, 1);
                fputs(",\"distance_to_km\":", stdout);
                cli_put_number(stdout, dto, 1);
                fputs(",\"time\":", stdout);
                col_label(t, c, label, sizeof(label));
                cli_json_string(stdout, label);
                printf(",\"time_from_days\":%ld,\"time_to_days\":", from);
                if (to < 0)
                    fputs("null", stdout);
                else
                    printf("%ld", to);
                printf(",\"observed\":%llu,\"expected\":", (unsigned long long)x->observed);
                cli_put_number(stdout, x->expected, 1);
                fputs(",\"ratio\":", stdout);
                cli_put_number(stdout, x->ratio, 1);
                fputs(",\"p_value\":", stdout);
                cli_put_number(stdout, x->p, 1);
                putchar('}');
            } else {
                row_label(t, r, label, sizeof(label));
                cli_csv_field(stdout, label);
                putchar(',');
                cli_put_number(stdout, dfrom, 0);
                putchar(',');
                cli_put_number(stdout, dto, 0);
                putchar(',');
                col_label(t, c, label, sizeof(label));
                cli_csv_field(stdout, label);
                printf(",%ld,", from);
                if (to >= 0)
                    printf("%ld", to);
                printf(",%llu,", (unsigned long long)x->observed);
                cli_put_number(stdout, x->expected, 0);
                putchar(',');
                cli_put_number(stdout, x->ratio, 0);
                putchar(',');
                cli_put_number(stdout, x->p, 0);
                putchar('\n');
            }
        }
}

static void print_json(const struct vg_knox_table *t)
{
    printf("{\"incidents\":%zu,\"selected\":%zu,\"no_location\":%zu,\"no_day\":%zu,"
           "\"pairs\":%llu,\"band_km\":",
           t->incidents, t->selected, t->no_location, t->no_day, (unsigned long long)t->pairs);
    cli_put_number(stdout, t->band_km, 1);
    printf(",\"space_bands\":%u,\"band_days\":%u,\"time_bands\":%u,\"permutations\":%u,"
           "\"seed\":%llu,\"cells\":[",
           t->rows - 2, t->band_days, t->cols - 1, t->permutations, (unsigned long long)t->seed);
    print_cells(t, 1);
    puts("]}");
}

int cmd_analyze_nearrepeat(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"space-km", required_argument, NULL, 'k'},
                                             {"space-bands", required_argument, NULL, 's'},
                                             {"days", required_argument, NULL, 'd'},
                                             {"time-bands", required_argument, NULL, 'b'},
                                             {"permutations", required_argument, NULL, 'p'},
                                             {"seed", required_argument, NULL, 'S'},
                                             {"threads", required_argument, NULL, 'j'},
                                             CLI_FILTER_OPTIONS,
                                             {"format", required_argument, NULL, 'o'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_knox_table_opts o;
    struct vg_filter filter;
    enum cli_format fmt = CLI_FMT_TABLE;
    int have_km = 0, have_days = 0, c;
    uint64_t v;

    vg_knox_table_opts_init(&o);
    vg_filter_init(&filter);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (cli_parse_number(optarg, &o.band_km) || !(o.band_km > 0))
                return cli_usage_error(cmd, "--space-km must be a number greater than 0, not '%s'",
                                       optarg);
            have_km = 1;
            break;
        case 's':
        case 'b':
            if (cli_count_option(cmd, c == 's' ? "space-bands" : "time-bands", optarg, 1,
                                 VG_KNOX_MAX_BANDS, &v))
                return CLI_USAGE;
            if (c == 's')
                o.space_bands = (uint32_t)v;
            else
                o.time_bands = (uint32_t)v;
            break;
        case 'd':
            if (cli_count_option(cmd, "days", optarg, 1, VG_KNOX_MAX_BAND_DAYS, &v))
                return CLI_USAGE;
            o.band_days = (uint32_t)v;
            have_days = 1;
            break;
        case 'p':
        case 'S':
        case 'j':
            if (cli_permutation_option(cmd, c, optarg, &o.permutations, &o.seed, &o.threads))
                return CLI_USAGE;
            break;
        case 'w':
        case 'F':
        case 'T':
            if (cli_filter_option(cmd, c, optarg, &filter))
                return CLI_USAGE;
            break;
        case 'o':
            if (cli_format_option(cmd, optarg, &fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help();
            return CLI_OK;
        default:
            return cli_usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!have_km)
        return cli_usage_error(cmd, "--space-km W is required");
    if (!have_days)
        return cli_usage_error(cmd, "--days T is required");

    struct vg_store *store = NULL;
    struct vg_cube *cube = NULL;
    struct vg_selection *sel = NULL;
    struct vg_knox_table *t = NULL;
    struct vg_error err;
    int status = CLI_ERROR;
    vg_error_clear(&err);
    if (cli_open_selection(cli, &filter, &store, &cube, &sel))
        goto done;
    if (vg_knox_nearrepeat(cube, sel, &o, &t, &err)) {
        cli_error(&err);
        goto done;
    }
    if (fmt == CLI_FMT_CSV)
        print_cells(t, 0);
    else if (fmt == CLI_FMT_JSON)
        print_json(t);
    else
        print_table(t);
    status = CLI_OK;
done:
    vg_knox_table_destroy(t);
    cli_close_selection(store, cube, sel);
    return status;
}
