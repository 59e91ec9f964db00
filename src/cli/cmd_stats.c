/* cmd_stats.c - `vigil stats`: grouped counts of incidents as a table, CSV or JSON. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void help(void)
{
    puts("Usage: vigil [--db PATH] stats --by DIM[,DIM...] [OPTIONS]\n"
         "\n"
         "Counts incidents and sums the known killed and wounded, grouped by dimensions.\n"
         "\n"
         "Dimensions: year, month, country, region, attack, target, weapon, group, source\n"
         "\n"
         "Options:\n"
         "  --by DIM[,DIM...]          dimensions to group by (none: one total row)\n"
         "  --measure M[,M...]         incidents, killed, wounded (default: "
         "incidents)\n" CLI_FILTER_HELP
         "  --format table|csv|json    output format (default table)\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "Unknown values are shown as (unknown) in tables, empty in CSV, null in JSON;\n"
         "killed and wounded add up the known values only, and are unknown for a group\n"
         "where no value is known.");
}

static void print_table(const struct vg_stats_result *r)
{
    size_t ncols = r->ndims + r->nmeasures;
    size_t width[VG_STATS_MAX_DIMS + VG_MEASURE_COUNT];
    for (size_t c = 0; c < ncols; c++)
        width[c] = strlen(c < r->ndims ? vg_dim_name(r->dims[c])
                                       : vg_measure_name(r->measures[c - r->ndims]));
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t c = 0; c < r->ndims; c++) {
            const char *k = r->keys[i * r->ndims + c];
            size_t n = k ? strlen(k) : 9;
            if (n > width[c])
                width[c] = n;
        }
        for (size_t m = 0; m < r->nmeasures; m++) {
            char num[32];
            size_t n = (size_t)snprintf(num, sizeof(num), "%lld",
                                        (long long)r->values[i * r->nmeasures + m]);
            if (r->values[i * r->nmeasures + m] == VG_NULL_INT)
                n = 9;
            if (n > width[r->ndims + m])
                width[r->ndims + m] = n;
        }
    }
    for (size_t c = 0; c < ncols; c++) {
        const char *name =
            c < r->ndims ? vg_dim_name(r->dims[c]) : vg_measure_name(r->measures[c - r->ndims]);
        printf(c < r->ndims ? "%s%-*s" : "%s%*s", c ? "  " : "", (int)width[c], name);
    }
    putchar('\n');
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t c = 0; c < r->ndims; c++) {
            const char *k = r->keys[i * r->ndims + c];
            printf("%s%-*s", c ? "  " : "", (int)width[c], k ? k : "(unknown)");
        }
        for (size_t m = 0; m < r->nmeasures; m++) {
            int64_t v = r->values[i * r->nmeasures + m];
            if (v == VG_NULL_INT)
                printf("%s%*s", r->ndims + m ? "  " : "", (int)width[r->ndims + m], "(unknown)");
            else
                printf("%s%*lld", r->ndims + m ? "  " : "", (int)width[r->ndims + m], (long long)v);
        }
        putchar('\n');
    }
}

static void print_csv(const struct vg_stats_result *r)
{
    for (size_t c = 0; c < r->ndims; c++)
        printf("%s%s", c ? "," : "", vg_dim_name(r->dims[c]));
    for (size_t m = 0; m < r->nmeasures; m++)
        printf("%s%s", r->ndims + m ? "," : "", vg_measure_name(r->measures[m]));
    putchar('\n');
    for (size_t i = 0; i < r->nrows; i++) {
        for (size_t c = 0; c < r->ndims; c++) {
            if (c)
                putchar(',');
            cli_csv_field(stdout, r->keys[i * r->ndims + c]);
        }
        for (size_t m = 0; m < r->nmeasures; m++) {
            int64_t v = r->values[i * r->nmeasures + m];
            fputs(r->ndims + m ? "," : "", stdout);
            if (v != VG_NULL_INT)
                printf("%lld", (long long)v);
        }
        putchar('\n');
    }
}

static void print_json(const struct vg_stats_result *r)
{
    putchar('[');
    for (size_t i = 0; i < r->nrows; i++) {
        printf("%s{", i ? ",\n " : "");
        for (size_t c = 0; c < r->ndims; c++) {
            const char *k = r->keys[i * r->ndims + c];
            printf("%s\"%s\":", c ? "," : "", vg_dim_name(r->dims[c]));
            if (!k)
                fputs("null", stdout);
            else if (r->dims[c] == VG_DIM_YEAR || r->dims[c] == VG_DIM_MONTH)
                fputs(k, stdout);
            else
                cli_json_string(stdout, k);
        }
        for (size_t m = 0; m < r->nmeasures; m++) {
            int64_t v = r->values[i * r->nmeasures + m];
            printf("%s\"%s\":", r->ndims + m ? "," : "", vg_measure_name(r->measures[m]));
            if (v == VG_NULL_INT)
                fputs("null", stdout);
            else
                printf("%lld", (long long)v);
        }
        putchar('}');
    }
    puts("]");
}

int cmd_stats(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"by", required_argument, NULL, 'b'},
                                             {"measure", required_argument, NULL, 'm'},
                                             CLI_FILTER_OPTIONS,
                                             {"format", required_argument, NULL, 'o'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_stats_query q;
    struct vg_error err;
    enum cli_format fmt = CLI_FMT_TABLE;
    int c;

    vg_stats_query_init(&q);
    vg_error_clear(&err);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'b':
            rc = vg_stats_set_dims(&q, optarg, &err);
            break;
        case 'm':
            rc = vg_stats_set_measures(&q, optarg, &err);
            break;
        case 'w':
        case 'F':
        case 'T':
            if (cli_filter_option("stats", c, optarg, &q.filter))
                return CLI_USAGE;
            break;
        case 'o':
            if (cli_format_option("stats", optarg, &fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help();
            return CLI_OK;
        default:
            return cli_usage_error("stats", "unknown option or missing value: '%s'",
                                   argv[optind - 1]);
        }
        if (rc)
            return cli_usage_error("stats", "%s", err.message);
    }
    if (optind < argc)
        return cli_usage_error("stats", "unexpected argument '%s'", argv[optind]);

    struct vg_store *store = NULL;
    struct vg_stats_result *r = NULL;
    if (cli_open_store(cli, VG_STORE_READONLY, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_stats_run(store, &q, &r, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else if (fmt == CLI_FMT_CSV) {
        print_csv(r);
    } else if (fmt == CLI_FMT_JSON) {
        print_json(r);
    } else {
        print_table(r);
    }
    vg_stats_result_destroy(r);
    vg_store_close(store);
    return status;
}
