/* cmd_ingest.c - `vigil ingest`: take incident files into the database.
 *
 * Rejected rows go to stderr (the first few) and, with --rejects FILE, all of them to FILE as
 * JSON lines {"file","line","column","reason","raw"}. FILE appears when the ingest ends, whole
 * (cli_outfile), never half-written; cli_rejects does this for `vigil sites import` too. A progress
 * bar is drawn on stderr when it is a terminal. Ctrl-C commits the rows read so far and stops;
 * running the same command again completes the ingest. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ingest_ctx {
    struct cli_rejects rejects;
    struct vg_cube_appender *cube; /* keeps the analytic cube current as rows are stored */
    int bar;                       /* draw a progress bar */
    int bar_drawn;
    const char *file;
};

static int on_reject(void *p, const struct vg_reject *r)
{
    struct ingest_ctx *c = p;
    if (c->bar_drawn && c->rejects.shown < CLI_SHOWN_REJECTS)
        fputs("\r\033[K", stderr), c->bar_drawn = 0;
    return cli_rejects_add(&c->rejects, r);
}

static void on_inserted(void *p, int64_t id, const struct vg_incident *inc)
{
    struct ingest_ctx *c = p;
    vg_cube_appender_add(c->cube, id, inc); /* a failure: the cube is built from the table */
}

static void on_progress(void *p, uint64_t done, uint64_t total)
{
    struct ingest_ctx *c = p;
    if (!c->bar || !total)
        return;
    int width = 40, filled = (int)((double)done / (double)total * width);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r%s [%s] %3d%% %llu MiB", c->file, bar, (int)(100.0 * done / total),
            (unsigned long long)(done >> 20));
    c->bar_drawn = 1;
    if (done >= total) {
        fputs("\r\033[K", stderr);
        c->bar_drawn = 0;
    }
}

static void help(void)
{
    puts("Usage: vigil [--db PATH] ingest [OPTIONS] FILE...\n"
         "\n"
         "Stores the incidents of each FILE ('-' reads standard input). Rows already stored\n"
         "(same source and event id) are updated when they changed and left alone when not.\n"
         "Rows that cannot be read are rejected one by one; every other row is stored.\n"
         "\n"
         "Options:\n"
         "  --format gtd|jsonl     input format (default: jsonl for *.jsonl and *.ndjson,\n"
         "                         else gtd: delimited text with GTD column names; csv is\n"
         "                         another name for gtd)\n"
         "  --encoding auto|utf-8|latin1\n"
         "                         text encoding of delimited text (default auto: UTF-8,\n"
         "                         or ISO-8859-1 when the text is not UTF-8; utf8 and\n"
         "                         iso-8859-1 are accepted too); JSON lines are UTF-8\n"
         "  --delimiter CHAR       field delimiter: any one character but '\"', or 'tab'\n"
         "                         (default: detected from a sep= line or the header)\n"
         "  --source NAME          source of rows without a source column (default GTD)\n"
         "  --rejects FILE         write every rejected row to FILE as JSON lines\n"
         "  --batch-rows N         commit at least every N rows, 1 to 65536 (default:\n"
         "                         65536, fewer when the rows are large; smaller makes\n"
         "                         progress visible to other readers sooner)\n"
         "  --check                read and check every row as an ingest would, report\n"
         "                         the rejected ones, and store nothing (no database is\n"
         "                         opened or made); the summary counts valid rows\n"
         "  --json                 print the summary as one JSON object\n"
         "  --quiet                print no summary and no progress\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help\n"
         "\n"
         "Exit status: 0 all rows stored (with --check: all valid), 3 stored with some\n"
         "rows rejected, 1 error, 2 usage error, 130 interrupted (the rows read so far\n"
         "are stored).");
}

int cmd_ingest(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"encoding", required_argument, NULL, 'e'},
                                             {"delimiter", required_argument, NULL, 'd'},
                                             {"source", required_argument, NULL, 's'},
                                             {"rejects", required_argument, NULL, 'r'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"batch-rows", required_argument, NULL, 'b'},
                                             {"check", no_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_ingest_opts opts = {0};
    struct ingest_ctx ctx = {0};
    const char *rejects_path = NULL;
    int json = 0, quiet = 0, c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "gtd") == 0 || strcmp(optarg, "csv") == 0)
                opts.format = VG_FORMAT_GTD;
            else if (strcmp(optarg, "jsonl") == 0)
                opts.format = VG_FORMAT_JSONL;
            else
                return cli_usage_error("ingest", "unknown format '%s' (gtd or jsonl)", optarg);
            break;
        case 'e':
            if (cli_encoding_option("ingest", optarg, &opts.encoding))
                return CLI_USAGE;
            break;
        case 'd':
            if (cli_delimiter_option("ingest", optarg, &opts.delimiter))
                return CLI_USAGE;
            break;
        case 's':
            opts.source = optarg;
            break;
        case 'b': {
            uint64_t v;
            if (cli_count_option("ingest", "batch-rows", optarg, 1, 65536, &v))
                return CLI_USAGE;
            opts.batch_rows = (long)v;
            break;
        }
        case 'r':
            rejects_path = optarg;
            break;
        case 'c':
            opts.check = 1;
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
            help();
            return CLI_OK;
        default:
            return cli_usage_error("ingest", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind == argc)
        return cli_usage_error("ingest", "no file given");

    struct vg_store *store = NULL;
    int status = CLI_ERROR;
    if (!opts.check && cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    if (cli_rejects_open(&ctx.rejects, rejects_path))
        goto done;
    ctx.bar = !quiet && isatty(STDERR_FILENO);
    struct vg_error cerr;
    vg_error_clear(&cerr);
    if (store && vg_cube_appender_create(store, &ctx.cube, &cerr)) {
        cli_error(&cerr);
        goto done;
    }
    if (ctx.cube)
        opts.on_inserted = on_inserted;
    opts.on_reject = on_reject;
    opts.on_progress = on_progress;
    opts.ctx = &ctx;
    opts.cancel = &cli_interrupted;
    cli_catch_interrupt();

    struct vg_ingest_stats st = {0};
    int failed = 0;
    for (int i = optind; i < argc && !cli_interrupted; i++) {
        struct vg_error err;
        ctx.file = argv[i];
        if (vg_ingest_path(store, argv[i], &opts, &st, &err)) {
            if (ctx.bar_drawn)
                fputs("\r\033[K", stderr), ctx.bar_drawn = 0;
            cli_error(&err);
            failed = 1;
        }
    }
    if (ctx.cube) {
        /* Bring the analytic cube up to date now, so the next query does not wait for it. */
        struct vg_error err;
        vg_error_clear(&err);
        if (vg_cube_appender_finish(ctx.cube, store, NULL, &err)) {
            cli_error(&err);
            failed = 1;
        }
        ctx.cube = NULL;
    }
    status = opts.check ? cli_check_end(&ctx.rejects, &st, json, quiet, failed)
                        : cli_import_end(&ctx.rejects, &st, json, quiet, failed);
done:
    cli_rejects_abort(&ctx.rejects);
    vg_cube_appender_destroy(ctx.cube);
    vg_store_close(store);
    return status;
}
