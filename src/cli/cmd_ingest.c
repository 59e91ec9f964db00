/* cmd_ingest.c - `vigil ingest`: take incident files into the database.
 *
 * Rejected rows go to stderr (the first few) and, with --rejects FILE, all of them to FILE as
 * JSON lines {"file","line","column","reason","raw"}. FILE appears when the ingest ends, whole
 * (cli_outfile), never half-written. A progress bar is drawn on
 * stderr when it is a terminal. Ctrl-C commits the rows read so far and stops; running the same
 * command again completes the ingest. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHOWN_REJECTS 10

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

struct ingest_ctx {
    FILE *rejects;
    struct vg_cube_appender *cube; /* keeps the analytic cube current as rows are stored */
    long shown;
    int bar; /* draw a progress bar */
    int bar_drawn;
    const char *file;
};

static int on_reject(void *p, const struct vg_reject *r)
{
    struct ingest_ctx *c = p;
    if (c->shown < SHOWN_REJECTS) {
        if (c->bar_drawn)
            fputs("\r\033[K", stderr), c->bar_drawn = 0;
        fprintf(stderr, "vigil: %s:%ld: %s%s%s\n", r->file, r->line, r->column,
                r->column[0] ? ": " : "", r->reason);
    }
    c->shown++;
    if (c->rejects) {
        struct vg_buf b;
        vg_buf_init(&b, (size_t)1 << 30);
        vg_buf_printf(&b, "{\"file\":");
        vg_buf_json_string(&b, r->file, strlen(r->file));
        vg_buf_printf(&b, ",\"line\":%ld,\"column\":", r->line);
        vg_buf_json_string(&b, r->column, strlen(r->column));
        vg_buf_printf(&b, ",\"reason\":");
        vg_buf_json_string(&b, r->reason, strlen(r->reason));
        vg_buf_printf(&b, ",\"raw\":");
        /* The raw row may not be UTF-8 (a Latin-1 file): it is then read as Latin-1 and written
         * as UTF-8, so the line stays valid JSON and the bytes can be recovered. */
        struct vg_buf raw;
        vg_buf_init(&raw, (size_t)1 << 30);
        if (vg_text_is_utf8(r->raw, r->raw_len))
            vg_buf_json_string(&b, r->raw, r->raw_len);
        else if (vg_text_latin1_to_utf8(&raw, r->raw, r->raw_len) == 0)
            vg_buf_json_string(&b, raw.data, raw.len);
        vg_buf_cleanup(&raw);
        vg_buf_printf(&b, "}\n");
        int ok = b.data && fwrite(b.data, 1, b.len, c->rejects) == b.len;
        vg_buf_cleanup(&b);
        if (!ok)
            return VG_EIO;
    }
    return 0;
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
         "  --json                 print the summary as one JSON object\n"
         "  --quiet                print no summary and no progress\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help\n"
         "\n"
         "Exit status: 0 all rows stored, 3 stored with some rows rejected, 1 error,\n"
         "2 usage error, 130 interrupted (the rows read so far are stored).");
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
            if (strcmp(optarg, "auto") == 0)
                opts.encoding = VG_ENCODING_AUTO;
            else if (strcasecmp(optarg, "utf-8") == 0 || strcasecmp(optarg, "utf8") == 0)
                opts.encoding = VG_ENCODING_UTF8;
            else if (strcasecmp(optarg, "latin1") == 0 || strcasecmp(optarg, "iso-8859-1") == 0)
                opts.encoding = VG_ENCODING_LATIN1;
            else
                return cli_usage_error("ingest", "unknown encoding '%s'", optarg);
            break;
        case 'd':
            if (strcmp(optarg, "tab") == 0 || strcmp(optarg, "\\t") == 0)
                opts.delimiter = '\t';
            else if (strlen(optarg) == 1 && optarg[0] != '"' && optarg[0] != '\n')
                opts.delimiter = optarg[0];
            else
                return cli_usage_error("ingest", "the delimiter must be one character or 'tab'");
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
    struct cli_outfile out = {0};
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    if (rejects_path) {
        if (cli_outfile_open(&out, rejects_path) != 0) {
            cli_fail("cannot write %s: %m", rejects_path);
            goto done;
        }
        ctx.rejects = out.f;
    }
    ctx.bar = !quiet && isatty(STDERR_FILENO);
    struct vg_error cerr;
    vg_error_clear(&cerr);
    if (vg_cube_appender_create(store, &ctx.cube, &cerr)) {
        cli_error(&cerr);
        goto done;
    }
    opts.on_inserted = on_inserted;
    opts.on_reject = on_reject;
    opts.on_progress = on_progress;
    opts.ctx = &ctx;
    opts.cancel = &interrupted;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct vg_ingest_stats st = {0};
    int failed = 0;
    for (int i = optind; i < argc && !interrupted; i++) {
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
    if (ctx.rejects) {
        ctx.rejects = NULL;
        if (cli_outfile_commit(&out) != 0) {
            cli_fail("cannot write %s: %m", rejects_path);
            failed = 1;
        }
    }
    if (ctx.shown > SHOWN_REJECTS)
        fprintf(stderr, "vigil: ... %ld more rejected rows%s%s\n", ctx.shown - SHOWN_REJECTS,
                rejects_path ? ", all listed in " : " (use --rejects FILE to keep them)",
                rejects_path ? rejects_path : "");
    if (json)
        printf("{\"rows\":%lld,\"inserted\":%lld,\"updated\":%lld,\"unchanged\":%lld,"
               "\"rejected\":%lld}\n",
               (long long)st.rows, (long long)st.inserted, (long long)st.updated,
               (long long)st.unchanged, (long long)st.rejected);
    else if (!quiet)
        printf("%lld rows: %lld inserted, %lld updated, %lld unchanged, %lld rejected\n",
               (long long)st.rows, (long long)st.inserted, (long long)st.updated,
               (long long)st.unchanged, (long long)st.rejected);
    if (interrupted) {
        cli_fail("interrupted: the rows above are stored; run the same command again to finish");
        status = CLI_INTERRUPTED;
    } else {
        status = failed ? CLI_ERROR : st.rejected ? CLI_PARTIAL : CLI_OK;
    }
done:
    cli_outfile_abort(&out);
    vg_cube_appender_destroy(ctx.cube);
    vg_store_close(store);
    return status;
}
