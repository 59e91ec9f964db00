/* cmd_sites.c - `vigil sites`: import key sites from CSV files, list them, show one, and
 * estimate the threat each faces.
 *
 * The library (sites.h) reads the files and computes; this file parses the command line and
 * prints. An import is one change in the audit log ("sites.import", object "sites:<source>"),
 * committed in the same transaction as the rows. Rejected rows are reported as `vigil ingest`
 * reports them (cli_rejects): the first few on stderr, all of them with --rejects FILE as JSON
 * lines. `show` finds a code by the rule of vg_site_lookup and says on stderr what it passed over
 * (the other imports of the same place, the rows whose weaker code matched), as `sites assess`
 * and `risk site` do (cli_site_lookup_note).
 *
 * The threat needs the table of comparable target types (data/risk/target_kinds.csv). It is
 * found at --targets FILE, else as cli_data_path finds it: $VIGIL_DATA/risk/target_kinds.csv,
 * else beside the program (../data/risk/ from a build directory inside the source tree,
 * ../share/vigil/risk/ when installed), else /usr/share/vigil/risk/. */
#include "cli.h"
#include "vigil/sites.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void help(FILE *f)
{
    fputs("Usage: vigil [--db PATH] sites import --kind KIND [OPTIONS] FILE...\n"
          "       vigil [--db PATH] sites list [--kind KIND] [--country C]\n"
          "                                    [--near LAT,LON --km R] [--format F]\n"
          "       vigil [--db PATH] sites show SITE [--format table|json]\n"
          "       vigil [--db PATH] sites threat [SITE] [OPTIONS]\n"
          "       vigil [--db PATH] sites assess SITE [OPTIONS]\n"
          "\n"
          "The registry of key sites (airports, railway and subway stations, malls,\n"
          "venues) and the threat each faces: comparable incidents per year near it,\n"
          "shrunk toward its region's rate (empirical Bayes).\n"
          "\n"
          "Commands:\n"
          "  import   read sites from CSV files (OurAirports, OpenFlights, DB stations,\n"
          "           GTFS stops, or any CSV with a name and coordinates)\n"
          "  list     list sites, filtered by kind, country or distance\n"
          "  show     one site in full, by its id or its code (IATA, ICAO, station code)\n"
          "  threat   incidents per year expected at each site, and the probability of\n"
          "           at least one within a horizon\n"
          "  assess   record a site's security checklist and CARVER+Shock ratings\n"
          "\n"
          "Run 'vigil sites COMMAND --help' for a command's options. The method is in\n"
          "docs/methods/threat.md, the formats in docs/sites.md.\n",
          f);
}

static int parse_kind(const char *cmd, const char *arg, enum vg_site_kind *out)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_site_kind_parse(arg, out, &err))
        return cli_usage_error(cmd, "%s", err.message);
    return 0;
}

/* ---- import ---- */

static void import_help(void)
{
    puts("Usage: vigil [--db PATH] sites import --kind KIND [OPTIONS] FILE...\n"
         "\n"
         "Stores the sites of each CSV FILE ('-' reads standard input). The first row\n"
         "names the columns; they are recognised by their usual names: name (stop_name),\n"
         "latitude (latitude_deg, lat, stop_lat, GTFS Latitude), longitude, id (ident,\n"
         "stop_id), iata_code, icao_code or gps_code, station codes (ril100, stop_code),\n"
         "country (iso_country, or a country name), city (municipality) and type. Other\n"
         "columns are kept. OpenFlights airports.dat without a header is recognised.\n"
         "Importing a file again changes nothing; a changed row is updated. Rows that\n"
         "cannot be read are rejected one by one (file, line, reason); the rest are\n"
         "stored.\n"
         "\n"
         "Options:\n"
         "  --kind KIND            airport, railway, subway, mall, venue or other (required)\n"
         "  --source NAME          the source the sites are filed under (default: the\n"
         "                         file's base name); a site is (source, its id in the file)\n"
         "  --country C            the country of rows that name none (ISO alpha-2 code\n"
         "                         or English name), which gives them their GTD region\n"
         "  --encoding auto|utf-8|latin1\n"
         "                         text encoding (default auto: UTF-8, or ISO-8859-1 when\n"
         "                         the text is not UTF-8)\n"
         "  --delimiter CHAR       field delimiter: one character or 'tab' (default:\n"
         "                         detected from the header)\n"
         "  --rejects FILE         write every rejected row to FILE as JSON lines\n"
         "  --json                 print the summary as one JSON object\n"
         "  --quiet                print no summary\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help\n"
         "\n"
         "Exit status: 0 all rows stored, 3 stored with some rows rejected, 1 error,\n"
         "2 usage error, 130 interrupted (the rows read so far are stored).");
}

static int sites_import(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"kind", required_argument, NULL, 'k'},
                                             {"source", required_argument, NULL, 's'},
                                             {"encoding", required_argument, NULL, 'e'},
                                             {"country", required_argument, NULL, 'c'},
                                             {"delimiter", required_argument, NULL, 'd'},
                                             {"rejects", required_argument, NULL, 'r'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_sites_import_opts opts = {0};
    struct cli_rejects rejects = {0};
    const char *rejects_path = NULL;
    int json = 0, quiet = 0, have_kind = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (parse_kind("sites import", optarg, &opts.kind))
                return CLI_USAGE;
            have_kind = 1;
            break;
        case 's':
            if (!optarg[0])
                return cli_usage_error("sites import", "the source must not be empty");
            opts.source = optarg;
            break;
        case 'c':
            opts.country = optarg;
            break;
        case 'e':
            if (cli_encoding_option("sites import", optarg, &opts.encoding))
                return CLI_USAGE;
            break;
        case 'd':
            if (cli_delimiter_option("sites import", optarg, &opts.delimiter))
                return CLI_USAGE;
            break;
        case 'r':
            rejects_path = optarg;
            break;
        case 'j':
            json = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            import_help();
            return CLI_OK;
        default:
            return cli_usage_error("sites import", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!have_kind)
        return cli_usage_error("sites import",
                               "--kind is required (airport, railway, subway, mall, venue or "
                               "other)");
    if (optind == argc)
        return cli_usage_error("sites import", "no file given");

    struct vg_store *store = NULL;
    int status = CLI_ERROR;
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    if (cli_rejects_open(&rejects, rejects_path))
        goto done;
    opts.on_reject = cli_rejects_add;
    opts.ctx = &rejects;
    opts.cancel = &cli_interrupted;
    cli_catch_interrupt();

    struct vg_ingest_stats st = {0};
    int failed = 0;
    for (int i = optind; i < argc && !cli_interrupted; i++) {
        struct vg_error err;
        vg_error_clear(&err);
        struct vg_ingest_stats one = {0};
        if (cli_change_begin(store)) {
            failed = 1;
            break;
        }
        int rc = vg_sites_import_path(store, argv[i], &opts, &one, &err);
        if (rc && !cli_interrupted)
            cli_error(&err);
        char object[300];
        const char *base = strrchr(argv[i], '/');
        snprintf(object, sizeof(object), "sites:%s",
                 opts.source ? opts.source
                 : base      ? base + 1
                             : argv[i]);
        if (cli_change_end(store, rc == 0 || cli_interrupted, "sites.import", object) != 0) {
            failed = 1;
            continue;
        }
        if (rc && !cli_interrupted) {
            failed = 1;
            continue;
        }
        st.rows += one.rows, st.inserted += one.inserted, st.updated += one.updated;
        st.unchanged += one.unchanged, st.rejected += one.rejected;
    }
    status = cli_import_end(&rejects, &st, json, quiet, failed);
done:
    cli_rejects_abort(&rejects);
    vg_store_close(store);
    return status;
}

/* ---- list and show ---- */

static void put_text(FILE *f, const char *s, enum cli_format fmt)
{
    if (fmt == CLI_FMT_JSON) {
        if (s)
            cli_json_string(f, s);
        else
            fputs("null", f);
    } else if (fmt == CLI_FMT_CSV) {
        cli_csv_field(f, s ? s : "");
    } else {
        fputs(s ? s : "-", f);
    }
}

struct list_ctx {
    FILE *f;
    enum cli_format fmt;
    long n;
    int near;
    double lat, lon;
    int single; /* JSON: one object, not an element of an array */
};

static int list_row(void *p, const struct vg_site *s)
{
    struct list_ctx *c = p;
    FILE *f = c->f;
    if (c->fmt == CLI_FMT_JSON) {
        if (!c->single)
            fputs(c->n ? ",\n" : "[\n", f);
        fprintf(f, "{\"id\":%lld,\"kind\":\"%s\",\"source\":", (long long)s->id,
                vg_site_kind_name(s->kind));
        put_text(f, s->source, CLI_FMT_JSON);
        fputs(",\"source_id\":", f);
        put_text(f, s->source_id, CLI_FMT_JSON);
        fputs(",\"name\":", f);
        put_text(f, s->name, CLI_FMT_JSON);
        fputs(",\"code\":", f);
        put_text(f, s->code, CLI_FMT_JSON);
        fputs(",\"iata\":", f);
        put_text(f, s->iata, CLI_FMT_JSON);
        fputs(",\"icao\":", f);
        put_text(f, s->icao, CLI_FMT_JSON);
        fputs(",\"country\":", f);
        put_text(f, s->country, CLI_FMT_JSON);
        fputs(",\"region\":", f);
        put_text(f, s->region, CLI_FMT_JSON);
        fputs(",\"city\":", f);
        put_text(f, s->city, CLI_FMT_JSON);
        fputs(",\"lat\":", f);
        cli_put_number(f, s->lat, 1);
        fputs(",\"lon\":", f);
        cli_put_number(f, s->lon, 1);
        fputs(",\"size\":", f);
        put_text(f, s->size, CLI_FMT_JSON);
        if (c->near) {
            fputs(",\"km\":", f);
            cli_put_number(f, round(vg_geo_km(c->lat, c->lon, s->lat, s->lon) * 1000) / 1000, 1);
        }
        fputs("}", f);
    } else {
        const char sep = c->fmt == CLI_FMT_CSV ? ',' : '\t';
        if (c->n == 0) {
            fprintf(f, "id%ckind%ccode%cname%ccountry%cregion%clat%clon%csize%csource%s\n", sep,
                    sep, sep, sep, sep, sep, sep, sep, sep,
                    c->near ? (sep == ',' ? ",km" : "\tkm") : "");
        }
        fprintf(f, "%lld%c%s%c", (long long)s->id, sep, vg_site_kind_name(s->kind), sep);
        put_text(f, s->code, c->fmt);
        fputc(sep, f);
        put_text(f, s->name, c->fmt);
        fputc(sep, f);
        put_text(f, s->country, c->fmt);
        fputc(sep, f);
        put_text(f, s->region, c->fmt);
        fputc(sep, f);
        cli_put_number(f, s->lat, 0);
        fputc(sep, f);
        cli_put_number(f, s->lon, 0);
        fputc(sep, f);
        put_text(f, s->size, c->fmt);
        fputc(sep, f);
        put_text(f, s->source, c->fmt);
        if (c->near)
            fprintf(f, "%c%.3f", sep, vg_geo_km(c->lat, c->lon, s->lat, s->lon));
        fputc('\n', f);
    }
    c->n++;
    return 0;
}

static int parse_latlon(const char *arg, double *lat, double *lon)
{
    const char *comma = strchr(arg, ',');
    if (!comma)
        return -1;
    char a[64];
    size_t n = (size_t)(comma - arg);
    if (n == 0 || n >= sizeof(a))
        return -1;
    memcpy(a, arg, n);
    a[n] = '\0';
    if (cli_parse_number(a, lat) || cli_parse_number(comma + 1, lon))
        return -1;
    return *lat >= -90 && *lat <= 90 && *lon >= -180 && *lon <= 180 ? 0 : -1;
}

static void list_help(void)
{
    puts("Usage: vigil [--db PATH] sites list [OPTIONS]\n"
         "\n"
         "Lists the sites in the order of their ids.\n"
         "\n"
         "Options:\n"
         "  --kind KIND            only sites of this kind\n"
         "  --country C            only sites in this country (ISO alpha-2 code or name)\n"
         "  --near LAT,LON         only sites within --km of this point (degrees); the\n"
         "                         distance is then shown\n"
         "  --km R                 the distance for --near, in km (default 50)\n"
         "  --format table|csv|json\n"
         "                         output format (default table: tab-separated columns)\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help");
}

static int sites_list(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kind", required_argument, NULL, 'k'},   {"country", required_argument, NULL, 'c'},
        {"near", required_argument, NULL, 'n'},   {"km", required_argument, NULL, 'm'},
        {"format", required_argument, NULL, 'f'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    struct vg_site_filter filter = {0};
    enum cli_format fmt = CLI_FMT_TABLE;
    int c, have_km = 0;
    filter.km = 50;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (parse_kind("sites list", optarg, &filter.kind))
                return CLI_USAGE;
            filter.only_kind = 1;
            break;
        case 'c':
            filter.country = optarg;
            break;
        case 'n':
            if (parse_latlon(optarg, &filter.lat, &filter.lon))
                return cli_usage_error("sites list",
                                       "--near must be LAT,LON in degrees (such as "
                                       "51.47,-0.46), not '%s'",
                                       optarg);
            filter.near = 1;
            break;
        case 'm':
            if (cli_parse_number(optarg, &filter.km) || !(filter.km > 0) || filter.km > 20040)
                return cli_usage_error("sites list",
                                       "--km must be a distance above 0 and at most 20040, not "
                                       "'%s'",
                                       optarg);
            have_km = 1;
            break;
        case 'f':
            if (cli_format_option("sites list", optarg, &fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            list_help();
            return CLI_OK;
        default:
            return cli_usage_error("sites list", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (have_km && !filter.near)
        return cli_usage_error("sites list", "--km goes with --near LAT,LON");
    if (optind != argc)
        return cli_usage_error("sites list", "unexpected argument '%s'", argv[optind]);
    struct vg_store *store = NULL;
    if (cli_open_store(cli, VG_STORE_READONLY, &store))
        return CLI_ERROR;
    struct list_ctx ctx = {stdout, fmt, 0, filter.near, filter.lat, filter.lon, 0};
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_site_each(store, &filter, list_row, &ctx, &err);
    vg_store_close(store);
    if (rc) {
        cli_error(&err);
        return CLI_ERROR;
    }
    if (fmt == CLI_FMT_JSON)
        fputs(ctx.n ? "\n]\n" : "[]\n", stdout);
    return CLI_OK;
}

static void show_help(void)
{
    puts("Usage: vigil [--db PATH] sites show SITE [--format table|json]\n"
         "\n"
         "Shows one site. SITE is its id or its code: IATA (FRA), ICAO (EDDF) or the\n"
         "station code the file gave, in any case. An IATA or ICAO code wins over a\n"
         "station code, and one place imported from several files is the one imported\n"
         "first; a note on stderr names what was passed over. A code that still names\n"
         "several sites is refused with the list of them; give the id instead.\n"
         "\n"
         "Options:\n"
         "  --format table|json    output format (default table)\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help");
}

static int sites_show(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    static const char *const show_formats[] = {"table", "json", NULL};
    int fmt = 0, c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cli_choice("sites show", "format", optarg, show_formats, &fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            show_help();
            return CLI_OK;
        default:
            return cli_usage_error("sites show", "unknown option '%s'", argv[optind - 1]);
        }
    }
    const char *key = cli_one_arg("sites show", "SITE", argc, argv);
    if (!key)
        return CLI_USAGE;
    struct vg_store *store = NULL;
    if (cli_open_store(cli, VG_STORE_READONLY, &store))
        return CLI_ERROR;
    struct vg_site site;
    struct vg_error err;
    vg_error_clear(&err);
    struct vg_site_lookup info;
    int rc = vg_site_lookup(store, key, &site, &info, &err);
    vg_store_close(store);
    if (rc) {
        cli_error(&err);
        return CLI_ERROR;
    }
    cli_site_lookup_note(key, &site, &info);
    if (fmt == 1) {
        struct list_ctx ctx = {stdout, CLI_FMT_JSON, 0, 0, 0, 0, 1};
        list_row(&ctx, &site);
        fputs("\n", stdout);
    } else {
        const char *names[] = {"source", "source id", "name",   "code", "IATA",
                               "ICAO",   "country",   "region", "city", "size"};
        const char *vals[] = {site.source, site.source_id, site.name,   site.code, site.iata,
                              site.icao,   site.country,   site.region, site.city, site.size};
        printf("%-10s %lld\n%-10s %s\n", "id", (long long)site.id, "kind",
               vg_site_kind_name(site.kind));
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            printf("%-10s %s\n", names[i], vals[i] ? vals[i] : "-");
        printf("%-10s ", "latitude");
        cli_put_number(stdout, site.lat, 0);
        printf("\n%-10s ", "longitude");
        cli_put_number(stdout, site.lon, 0);
        fputc('\n', stdout);
    }
    vg_site_cleanup(&site);
    return CLI_OK;
}

/* ---- threat ---- */

struct threat_row {
    int64_t id;
    enum vg_site_kind kind;
    char *code, *name, *country;
    double lat, lon;
    struct vg_threat t;
};

struct threat_ctx {
    struct threat_row *rows;
    size_t n, cap;
    const char *country; /* filter, as given */
    const char *iso2;
    int64_t only_id;
    int failed;
};

static char *dup_or_null(const char *s)
{
    return s ? vg_strdup(s) : NULL;
}

static int threat_collect(void *p, const struct vg_site *s, const struct vg_threat *t)
{
    struct threat_ctx *c = p;
    if (c->only_id && s->id != c->only_id)
        return 0;
    if (c->country && (!s->country || (strcasecmp(s->country, c->country) != 0 &&
                                       !(c->iso2 && strcasecmp(s->country, c->iso2) == 0))))
        return 0;
    if (c->n == c->cap) {
        size_t ncap = c->cap ? 2 * c->cap : 1024;
        struct threat_row *r = vg_realloc(c->rows, ncap * sizeof(*r));
        if (!r)
            return VG_ENOMEM;
        c->rows = r, c->cap = ncap;
    }
    struct threat_row *r = &c->rows[c->n];
    r->id = s->id, r->kind = s->kind, r->lat = s->lat, r->lon = s->lon, r->t = *t;
    r->code = dup_or_null(s->code);
    r->name = dup_or_null(s->name);
    r->country = dup_or_null(s->country);
    c->n++;
    if ((s->code && !r->code) || !r->name || (s->country && !r->country))
        return VG_ENOMEM;
    return 0;
}

static int by_lambda(const void *a, const void *b)
{
    const struct threat_row *x = a, *y = b;
    if (x->t.lambda != y->t.lambda)
        return x->t.lambda < y->t.lambda ? 1 : -1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void threat_help(void)
{
    puts("Usage: vigil [--db PATH] sites threat [SITE] [OPTIONS]\n"
         "\n"
         "Estimates, for every site (or the one SITE, by id or code), the incidents per\n"
         "year against comparable targets near it: the GTD target types that match its\n"
         "kind (data/risk/target_kinds.csv), within --km of it, weighted by distance.\n"
         "The raw rate x / t is shrunk toward the rate of the site's pool (its kind in\n"
         "its region) by gamma-Poisson empirical Bayes: lambda = (x + alpha) / (t + beta),\n"
         "alpha and beta fitted over the pool's sites. p is the probability of at least\n"
         "one such incident within the horizon, 1 - exp(-lambda h).\n"
         "\n"
         "Options:\n"
         "  --kind KIND            only sites of this kind\n"
         "  --country C            only show sites in this country (the fit still uses\n"
         "                         the whole pool)\n"
         "  --km R                 radius in km, above 0 and at most 2000 (default 50)\n"
         "  --kernel K             distance weight: epanechnikov 1-(d/R)^2 (default),\n"
         "                         gaussian exp(-2(d/R)^2), uniform 1\n"
         "  --horizon Y            years for p, above 0 and at most 1000 (default 1)\n"
         "  --from YYYY --to YYYY  the years of incidents (default: all the data holds)\n"
         "  --pool kind-region|kind|all\n"
         "                         which sites share a prior (default kind-region; a\n"
         "                         region with fewer than 20 sites of a kind joins the\n"
         "                         kind's world pool)\n"
         "  --targets FILE         the table of comparable target types (default:\n"
         "                         data/risk/target_kinds.csv, found as docs/sites.md says)\n"
         "  --top N                the N sites of highest lambda, highest first (default:\n"
         "                         every site, in the order of their ids)\n"
         "  --threads N            threads, 1 to 8 (default: one per processor)\n"
         "  --naive                compare every site with every incident (slow; the\n"
         "                         baseline of bench/risk)\n"
         "  --format table|csv|json\n"
         "                         output format (default table)\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help\n"
         "\n"
         "Columns: id, kind, code, name, country, lat, lon, n (incidents within the\n"
         "radius), x (weighted), t (years), rate_raw, pool, alpha, beta, lambda, p,\n"
         "horizon. The method is in docs/methods/threat.md.");
}

static int year_option(const char *opt, const char *arg, int *out)
{
    uint64_t v;
    if (cli_count_option("sites threat", opt, arg, 1, 9999, &v))
        return CLI_USAGE;
    *out = (int)v;
    return 0;
}

static int sites_threat(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"kind", required_argument, NULL, 'k'},    {"country", required_argument, NULL, 'c'},
        {"km", required_argument, NULL, 'm'},      {"kernel", required_argument, NULL, 'K'},
        {"horizon", required_argument, NULL, 'H'}, {"from", required_argument, NULL, 'F'},
        {"to", required_argument, NULL, 'T'},      {"pool", required_argument, NULL, 'p'},
        {"targets", required_argument, NULL, 't'}, {"top", required_argument, NULL, 'n'},
        {"threads", required_argument, NULL, 'j'}, {"naive", no_argument, NULL, 'N'},
        {"format", required_argument, NULL, 'f'},  {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static const char *const pools[] = {"kind-region", "kind", "all", NULL};
    struct vg_threat_opts opts = {0};
    struct threat_ctx ctx = {0};
    const char *targets_path = NULL;
    enum cli_format fmt = CLI_FMT_TABLE;
    int pool = 0, c;
    uint64_t top = 0;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (parse_kind("sites threat", optarg, &opts.kind))
                return CLI_USAGE;
            opts.only_kind = 1;
            break;
        case 'c':
            ctx.country = optarg;
            break;
        case 'm':
            if (cli_parse_number(optarg, &opts.radius_km) || !(opts.radius_km > 0) ||
                opts.radius_km > VG_THREAT_MAX_KM)
                return cli_usage_error("sites threat",
                                       "--km must be above 0 and at most %d, not '%s'",
                                       VG_THREAT_MAX_KM, optarg);
            break;
        case 'K': {
            struct vg_error err;
            vg_error_clear(&err);
            if (vg_kernel_parse(optarg, &opts.kernel, &err))
                return cli_usage_error("sites threat", "%s", err.message);
            break;
        }
        case 'H':
            if (cli_parse_number(optarg, &opts.horizon_years) || !(opts.horizon_years > 0) ||
                opts.horizon_years > 1000)
                return cli_usage_error("sites threat",
                                       "--horizon must be above 0 and at most 1000 years, not "
                                       "'%s'",
                                       optarg);
            break;
        case 'F':
            if (year_option("from", optarg, &opts.from_year))
                return CLI_USAGE;
            break;
        case 'T':
            if (year_option("to", optarg, &opts.to_year))
                return CLI_USAGE;
            break;
        case 'p':
            if (cli_choice("sites threat", "pool", optarg, pools, &pool))
                return CLI_USAGE;
            opts.pool = (enum vg_prior_pool)pool;
            break;
        case 't':
            targets_path = optarg;
            break;
        case 'n':
            if (cli_count_option("sites threat", "top", optarg, 1, 100000000, &top))
                return CLI_USAGE;
            break;
        case 'j': {
            uint64_t v;
            if (cli_count_option("sites threat", "threads", optarg, 1, 8, &v))
                return CLI_USAGE;
            opts.threads = (int)v;
            break;
        }
        case 'N':
            opts.naive = 1;
            break;
        case 'f':
            if (cli_format_option("sites threat", optarg, &fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            threat_help();
            return CLI_OK;
        default:
            return cli_usage_error("sites threat", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (opts.from_year && opts.to_year && opts.to_year < opts.from_year)
        return cli_usage_error("sites threat", "--to %d is before --from %d", opts.to_year,
                               opts.from_year);
    const char *key = NULL;
    if (optind < argc)
        key = argv[optind++];
    if (optind < argc)
        return cli_usage_error("sites threat", "unexpected argument '%s'", argv[optind]);
    if (ctx.country)
        vg_country_region(ctx.country, &ctx.iso2);

    char found[2 * PATH_MAX];
    if (!targets_path) {
        if (cli_data_path("risk/target_kinds.csv", found, sizeof(found)) != 0) {
            cli_fail("cannot find data/risk/target_kinds.csv (set VIGIL_DATA to the data "
                     "directory, or give --targets FILE)");
            return CLI_ERROR;
        }
        targets_path = found;
    }
    struct vg_error err;
    vg_error_clear(&err);
    struct vg_target_kinds *tk = NULL;
    if (vg_target_kinds_load(targets_path, &tk, &err)) {
        cli_error(&err);
        return CLI_ERROR;
    }
    opts.targets = tk;
    struct vg_store *store = NULL;
    int status = CLI_ERROR;
    if (cli_open_store(cli, VG_STORE_READONLY, &store))
        goto done;
    if (key) {
        struct vg_site site;
        struct vg_site_lookup info;
        if (vg_site_lookup(store, key, &site, &info, &err)) {
            cli_error(&err);
            goto done;
        }
        cli_site_lookup_note(key, &site, &info);
        ctx.only_id = site.id;
        opts.only_kind = 1;
        opts.kind = site.kind;
        vg_site_cleanup(&site);
    }
    int rc = vg_threat_all(store, &opts, threat_collect, &ctx, &err);
    if (rc) {
        if (rc == VG_ENOMEM)
            vg_error_set(&err, rc, "out of memory");
        cli_error(&err);
        goto done;
    }
    if (top)
        qsort(ctx.rows, ctx.n, sizeof(*ctx.rows), by_lambda);
    size_t shown = top && top < ctx.n ? (size_t)top : ctx.n;
    FILE *f = stdout;
    const char sep = fmt == CLI_FMT_CSV ? ',' : '\t';
    if (fmt == CLI_FMT_JSON)
        fputs("[", f);
    else
        fprintf(f,
                "id%ckind%ccode%cname%ccountry%clat%clon%cn%cx%ct%crate_raw%cpool%calpha%cbeta%c"
                "lambda%cp%chorizon\n",
                sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep, sep);
    for (size_t i = 0; i < shown; i++) {
        const struct threat_row *r = &ctx.rows[i];
        const struct vg_threat *t = &r->t;
        if (fmt == CLI_FMT_JSON) {
            fprintf(f, "%s\n{\"id\":%lld,\"kind\":\"%s\",\"code\":", i ? "," : "", (long long)r->id,
                    vg_site_kind_name(r->kind));
            put_text(f, r->code, CLI_FMT_JSON);
            fputs(",\"name\":", f);
            put_text(f, r->name, CLI_FMT_JSON);
            fputs(",\"country\":", f);
            put_text(f, r->country, CLI_FMT_JSON);
            fputs(",\"lat\":", f);
            cli_put_number(f, r->lat, 1);
            fputs(",\"lon\":", f);
            cli_put_number(f, r->lon, 1);
            fprintf(f, ",\"n\":%lld,\"x\":", (long long)t->n_incidents);
            cli_put_number(f, t->x, 1);
            fputs(",\"t\":", f);
            cli_put_number(f, t->t, 1);
            fputs(",\"rate_raw\":", f);
            cli_put_number(f, t->rate_raw, 1);
            fputs(",\"region\":", f);
            put_text(f, t->region, CLI_FMT_JSON);
            fputs(",\"pool\":", f);
            put_text(f, t->pool, CLI_FMT_JSON);
            fputs(",\"fit\":", f);
            put_text(f, t->method, CLI_FMT_JSON);
            fputs(",\"alpha\":", f);
            cli_put_number(f, t->alpha, 1);
            fputs(",\"beta\":", f);
            cli_put_number(f, t->beta, 1);
            fputs(",\"lambda\":", f);
            cli_put_number(f, t->lambda, 1);
            fputs(",\"p\":", f);
            cli_put_number(f, t->p_horizon, 1);
            fputs(",\"horizon\":", f);
            cli_put_number(f, t->horizon_years, 1);
            fputs("}", f);
            continue;
        }
        fprintf(f, "%lld%c%s%c", (long long)r->id, sep, vg_site_kind_name(r->kind), sep);
        put_text(f, r->code, fmt);
        fputc(sep, f);
        put_text(f, r->name, fmt);
        fputc(sep, f);
        put_text(f, r->country, fmt);
        fputc(sep, f);
        if (fmt == CLI_FMT_CSV) {
            /* full precision, for programs */
            const double v1[] = {r->lat, r->lon};
            for (int k = 0; k < 2; k++) {
                cli_put_number(f, v1[k], 0);
                fputc(sep, f);
            }
            fprintf(f, "%lld%c", (long long)t->n_incidents, sep);
            const double v2[] = {t->x, t->t, t->rate_raw};
            for (int k = 0; k < 3; k++) {
                cli_put_number(f, v2[k], 0);
                fputc(sep, f);
            }
            put_text(f, t->pool, CLI_FMT_CSV);
            const double v3[] = {t->alpha, t->beta, t->lambda, t->p_horizon, t->horizon_years};
            for (int k = 0; k < 5; k++) {
                fputc(sep, f);
                cli_put_number(f, v3[k], 0);
            }
            fputc('\n', f);
        } else {
            fprintf(f, "%.4f\t%.4f\t%lld\t%.3f\t%g\t%.4f\t%s\t%.4g\t%.4g\t%.4f\t%.4f\t%g\n", r->lat,
                    r->lon, (long long)t->n_incidents, t->x, t->t, t->rate_raw, t->pool, t->alpha,
                    t->beta, t->lambda, t->p_horizon, t->horizon_years);
        }
    }
    if (fmt == CLI_FMT_JSON)
        fputs(shown ? "\n]\n" : "]\n", f);
    status = CLI_OK;
done:
    for (size_t i = 0; i < ctx.n; i++) {
        vg_free(ctx.rows[i].code);
        vg_free(ctx.rows[i].name);
        vg_free(ctx.rows[i].country);
    }
    vg_free(ctx.rows);
    vg_store_close(store);
    vg_target_kinds_destroy(tk);
    return status;
}

int cmd_sites(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {
        {"import", sites_import}, {"list", sites_list},         {"show", sites_show},
        {"threat", sites_threat}, {"assess", cmd_sites_assess}, {NULL, NULL}};
    return cli_subcommands(cli, "sites", subs, help, argc, argv);
}
