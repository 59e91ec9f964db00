/* cmd_analyze_hotspots.c - `vigil analyze hotspots`: hot and cold spots of incidents on an
 * equal-area grid (Getis-Ord Gi* with the false discovery rate), or their kernel density, as CSV,
 * GeoJSON or SVG. The library computes and writes the output into a buffer; this file parses the
 * command line, opens the store and the cube, prints the buffer and a one-line summary on stderr.
 */
#include "cli.h"
#include "vigil/hotspot.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define OUTPUT_CAP ((size_t)1 << 31)

enum format { FMT_CSV, FMT_GEOJSON, FMT_SVG };

static void help(void)
{
    puts("Usage: vigil [--db PATH] analyze hotspots [OPTIONS]\n"
         "\n"
         "Counts the incidents on a grid of square cells of equal area and names the\n"
         "hot and cold spots: cells whose neighbourhood holds significantly more (or\n"
         "fewer) incidents than the average, by the Getis-Ord Gi* statistic, with the\n"
         "Benjamini-Hochberg false discovery rate correction. With --density, computes\n"
         "a kernel density surface (quartic kernel) on the same grid instead.\n"
         "\n"
         "Options:\n"
         "  --cell-km KM               side of a cell in km (default 10)\n"
         "  --band-km KM               Gi* neighbourhood: cells whose centres lie within\n"
         "                             KM of a cell's centre (default 3 cells: 30 km\n"
         "                             with the default cell)\n"
         "  --all-cells                analyse every cell of the rectangle around the\n"
         "                             incidents, empty ones too (default: the cells that\n"
         "                             hold at least one incident)\n"
         "  --no-fdr                   classify by the raw p-values, without the FDR\n"
         "                             correction\n"
         "  --density                  output the kernel density (incidents per km2)\n"
         "                             instead of hot spots\n"
         "  --bandwidth-km KM          kernel bandwidth for --density, at least the cell\n"
         "                             side (default: the band)\n"
         "  --centre LAT,LON           centre of the projection (default: the centre of\n"
         "                             the incidents)\n"
         "  --threads N                threads for the Gi* sums, 1 to 64 (default: one per\n"
         "                             processor, at most 8)\n" CLI_FILTER_HELP
         "  --format csv|geojson|svg   output format (default csv)\n"
         "  --out FILE                 write to FILE (whole or not at all) instead of stdout\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "CSV columns: lat,lon (the cell's centre),count,neighbours,z,p (two-sided),\n"
         "fdr_p (Benjamini-Hochberg adjusted),class, where class is hot-99, hot-95,\n"
         "hot-90, not-significant, cold-90, cold-95 or cold-99 (confidence in %, from\n"
         "fdr_p, or p with --no-fdr); hottest first. With --density: lat,lon,count,density.\n"
         "Incidents without coordinates are left out and counted in the summary that\n"
         "is printed on stderr. Projection: Lambert azimuthal equal-area centred on the\n"
         "incidents. Details: docs/methods/hotspots.md.");
}

static int parse_km(const char *cmd, const char *opt, const char *s, double *out)
{
    if (cli_parse_number(s, out) || !(*out > 0))
        return cli_usage_error(cmd, "%s must be a positive number of km, not '%s'", opt, s);
    return 0;
}

static int parse_centre(const char *cmd, const char *s, struct vg_hotspot_opts *o)
{
    char *end;
    errno = 0;
    double lat = strtod(s, &end);
    if (end == s || *end != ',')
        goto bad;
    const char *q = end + 1;
    double lon = strtod(q, &end);
    if (end == q || *end || errno == ERANGE || !(lat >= -90 && lat <= 90) ||
        !(lon >= -180 && lon <= 180))
        goto bad;
    o->have_centre = 1;
    o->centre_lat = lat;
    o->centre_lon = lon;
    return 0;
bad:
    return cli_usage_error(cmd, "--centre must be LAT,LON in degrees, not '%s'", s);
}

static void summary(const struct vg_hotspot_result *r)
{
    fprintf(stderr, "vigil: %zu incident%s, %zu without coordinates left out; ", r->incidents,
            r->incidents == 1 ? "" : "s", r->unlocated);
    if (r->density) {
        fprintf(stderr, "%zu cells of %g km, bandwidth %g km, highest density %.4g per km2\n",
                r->ncells, r->cell_km, r->bandwidth_km, r->max_density);
        return;
    }
    size_t hot = r->nclass[4] + r->nclass[5] + r->nclass[6];
    size_t cold = r->nclass[0] + r->nclass[1] + r->nclass[2];
    fprintf(stderr, "%zu cells of %g km, band %g km: %zu hot, %zu cold (%s)\n", r->ncells,
            r->cell_km, r->band_km, hot, cold, r->no_fdr ? "no FDR correction" : "FDR-corrected");
}

int cmd_analyze_hotspots(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"cell-km", required_argument, NULL, 'c'},
                                             {"band-km", required_argument, NULL, 'b'},
                                             {"bandwidth-km", required_argument, NULL, 'k'},
                                             {"density", no_argument, NULL, 'd'},
                                             {"all-cells", no_argument, NULL, 'a'},
                                             {"no-fdr", no_argument, NULL, 'n'},
                                             {"centre", required_argument, NULL, 'C'},
                                             {"threads", required_argument, NULL, 't'},
                                             CLI_FILTER_OPTIONS,
                                             {"format", required_argument, NULL, 'o'},
                                             {"out", required_argument, NULL, 'O'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *cmd = "analyze hotspots", *output = NULL;
    struct vg_hotspot_opts opts;
    struct vg_filter filter;
    enum format fmt = FMT_CSV;
    int c, have_bandwidth = 0;

    vg_hotspot_opts_init(&opts);
    vg_filter_init(&filter);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (parse_km(cmd, "--cell-km", optarg, &opts.cell_km))
                return CLI_USAGE;
            break;
        case 'b':
            if (parse_km(cmd, "--band-km", optarg, &opts.band_km))
                return CLI_USAGE;
            break;
        case 'k':
            if (parse_km(cmd, "--bandwidth-km", optarg, &opts.bandwidth_km))
                return CLI_USAGE;
            have_bandwidth = 1;
            break;
        case 'd':
            opts.density = 1;
            break;
        case 'a':
            opts.all_cells = 1;
            break;
        case 'n':
            opts.no_fdr = 1;
            break;
        case 'C':
            if (parse_centre(cmd, optarg, &opts))
                return CLI_USAGE;
            break;
        case 't': {
            uint64_t t;
            if (cli_count_option(cmd, "threads", optarg, 1, 64, &t))
                return CLI_USAGE;
            opts.threads = (int)t;
            break;
        }
        case 'w':
        case 'F':
        case 'T':
            if (cli_filter_option(cmd, c, optarg, &filter))
                return CLI_USAGE;
            break;
        case 'o': {
            static const char *const formats[] = {"csv", "geojson", "svg", NULL};
            int f;
            if (cli_choice(cmd, "format", optarg, formats, &f))
                return CLI_USAGE;
            fmt = (enum format)f;
            break;
        }
        case 'O':
            output = optarg;
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
    if (have_bandwidth && !opts.density)
        return cli_usage_error(cmd, "--bandwidth-km goes with --density");
    if (opts.density && (opts.all_cells || opts.no_fdr))
        return cli_usage_error(cmd, "--all-cells and --no-fdr are for hot spots, not --density");
    if (opts.density) {
        /* The library refuses it too (VG_EINVAL); here it is a mistake on the command line. */
        double cell = opts.cell_km != 0 ? opts.cell_km : VG_HOTSPOT_DEFAULT_CELL_KM;
        double band = opts.band_km != 0 ? opts.band_km : VG_HOTSPOT_DEFAULT_BAND_CELLS * cell;
        double h = opts.bandwidth_km != 0 ? opts.bandwidth_km : band;
        if (h < cell)
            return cli_usage_error(cmd,
                                   "the bandwidth (%g km) must be at least the cell side (%g km) "
                                   "for a density surface",
                                   h, cell);
    }

    struct vg_store *store = NULL;
    struct vg_cube *cube = NULL;
    struct vg_selection *sel = NULL;
    struct vg_hotspot_result *r = NULL;
    struct vg_error err;
    struct vg_buf buf;
    struct cli_output out = {0};
    int status = CLI_ERROR, rc;

    vg_buf_init(&buf, OUTPUT_CAP);
    vg_error_clear(&err);
    if (cli_open_selection(cli, &filter, &store, &cube, &sel))
        goto done;
    if (vg_hotspot_run(cube, sel, &opts, &r, &err)) {
        cli_error(&err);
        goto done;
    }
    rc = fmt == FMT_CSV       ? vg_hotspot_write_csv(r, &buf)
         : fmt == FMT_GEOJSON ? vg_hotspot_write_geojson(r, &buf)
                              : vg_hotspot_write_svg(r, &buf);
    if (rc) {
        cli_fail("cannot make the output: %s", vg_strerror(rc));
        goto done;
    }
    if (cli_output_open(&out, output))
        goto done;
    if (buf.len)
        fwrite(buf.data, 1, buf.len, out.f);
    if (cli_output_close(&out))
        goto done;
    summary(r);
    status = CLI_OK;
done:
    cli_output_abort(&out);
    vg_buf_cleanup(&buf);
    vg_hotspot_result_destroy(r);
    cli_close_selection(store, cube, sel);
    return status;
}
