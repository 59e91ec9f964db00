/* cmd_audit.c - `vigil audit`: verify the hash chain of the audit log, list its records.
 *
 * Both sub-commands open the database read-only: looking at the log never changes it. Records
 * are written by the library as actions happen (vg_audit_append), never from the command line. */
#include "cli.h"
#include "vigil/audit.h"

#include <getopt.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("Usage: vigil [--db PATH] audit verify|list [OPTIONS]\n"
          "\n"
          "The audit log records every read, search, change, export and disclosure: who,\n"
          "when, what and why. It is append-only and hash-chained.\n"
          "\n"
          "Commands:\n"
          "  verify     check the whole chain; name the first broken record\n"
          "  list       print records, oldest first\n"
          "\n"
          "'vigil audit COMMAND --help' describes one.\n",
          f);
}

static void help_verify(void)
{
    puts("Usage: vigil [--db PATH] audit verify [OPTIONS]\n"
         "\n"
         "Checks every record of the audit log in order: that its content matches its hash,\n"
         "that it links to the hash of the record before it, and that no number is missing.\n"
         "Prints 'N records, chain intact' and the last record's hash (keep a copy of it\n"
         "elsewhere: only that copy can show that records were removed from the end), or\n"
         "names the first broken record and why.\n"
         "\n"
         "Options:\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "Exit status: 0 chain intact, 1 chain broken or database unreadable, 2 usage error.");
}

static void help_list(void)
{
    puts("Usage: vigil [--db PATH] audit list [OPTIONS]\n"
         "\n"
         "Prints the records of the audit log, oldest first, as stored (without verifying\n"
         "them: 'vigil audit verify' does that).\n"
         "\n"
         "Options:\n"
         "  --since SEQ                only records after record SEQ\n"
         "  --actor NAME               only records of this actor\n"
         "  --action ACTION            only records of this action (read, search, ...)\n"
         "  --limit N                  at most N records\n"
         "  --format table|csv|json    output format (default table); csv and json add the\n"
         "                             detail and the hashes\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "Absent fields are shown as - in tables, empty in CSV, null in JSON.");
}

/* Parses the options of a sub-command that has only --db and --help. Returns -1 to go on, else
 * the exit status. */
static int simple_options(struct cli *cli, const char *cmd, void (*help)(void), int argc,
                          char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
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
    return -1;
}

static int audit_verify(struct cli *cli, int argc, char **argv)
{
    int status = simple_options(cli, "audit verify", help_verify, argc, argv);
    if (status >= 0)
        return status;

    struct vg_store *store = NULL;
    struct vg_audit_report r;
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_open_store(cli, VG_STORE_READONLY, &store))
        return CLI_ERROR;
    if (vg_audit_verify(store, &r, &err)) {
        cli_error(&err);
        vg_store_close(store);
        return CLI_ERROR;
    }
    vg_store_close(store);
    if (r.fault == VG_AUDIT_INTACT) {
        printf("%lld record%s, chain intact\n", (long long)r.records, r.records == 1 ? "" : "s");
        if (r.last_seq > 0)
            printf("last record %lld, hash %s\n", (long long)r.last_seq, r.last_hash);
        return CLI_OK;
    }
    printf("chain broken at record %lld (%s)\n%s\n%lld record%s before it intact\n",
           (long long)r.broken_seq, vg_audit_fault_name(r.fault), r.reason, (long long)r.records,
           r.records == 1 ? "" : "s");
    return CLI_ERROR;
}

struct list_state {
    enum cli_format fmt;
    long long n;
};

static const char *dash(const char *s)
{
    return s ? s : "-";
}

static void json_field(const char *name, const char *s)
{
    printf(",\"%s\":", name);
    if (s)
        cli_json_string(stdout, s);
    else
        fputs("null", stdout);
}

static int print_record(const struct vg_audit_record *r, void *ctx)
{
    struct list_state *ls = ctx;
    if (ls->fmt == CLI_FMT_TABLE) {
        printf("%6lld  %-24s  %-16s  %-16s  %-10s  %-20s  %s\n", (long long)r->seq, dash(r->at),
               dash(r->actor), dash(r->org), dash(r->action), dash(r->object), dash(r->purpose));
    } else if (ls->fmt == CLI_FMT_CSV) {
        const char *fields[] = {r->at,      r->actor,  r->org,       r->action, r->object,
                                r->purpose, r->detail, r->prev_hash, r->hash};
        printf("%lld", (long long)r->seq);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            putchar(',');
            cli_csv_field(stdout, fields[i]);
        }
        putchar('\n');
    } else {
        printf("%s{\"seq\":%lld", ls->n ? ",\n " : "", (long long)r->seq);
        json_field("at", r->at);
        json_field("actor", r->actor);
        json_field("org", r->org);
        json_field("action", r->action);
        json_field("object", r->object);
        json_field("purpose", r->purpose);
        json_field("detail", r->detail);
        json_field("prev_hash", r->prev_hash);
        json_field("hash", r->hash);
        putchar('}');
    }
    ls->n++;
    return 0;
}

static int audit_list(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"since", required_argument, NULL, 's'},  {"actor", required_argument, NULL, 'a'},
        {"action", required_argument, NULL, 'x'}, {"limit", required_argument, NULL, 'l'},
        {"format", required_argument, NULL, 'o'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static const char cmd[] = "audit list";
    struct vg_audit_filter filter = {0};
    struct list_state ls = {CLI_FMT_TABLE, 0};
    uint64_t v;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_count_option(cmd, "since", optarg, 0, INT64_MAX, &v))
                return CLI_USAGE;
            filter.after_seq = (int64_t)v;
            break;
        case 'a':
            filter.actor = optarg;
            break;
        case 'x':
            filter.action = optarg;
            break;
        case 'l':
            if (cli_count_option(cmd, "limit", optarg, 1, INT64_MAX, &v))
                return CLI_USAGE;
            filter.limit = (int64_t)v;
            break;
        case 'o':
            if (cli_format_option(cmd, optarg, &ls.fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help_list();
            return CLI_OK;
        default:
            return cli_usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);

    struct vg_store *store = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_open_store(cli, VG_STORE_READONLY, &store))
        return CLI_ERROR;
    if (ls.fmt == CLI_FMT_TABLE)
        printf("%6s  %-24s  %-16s  %-16s  %-10s  %-20s  %s\n", "seq", "at", "actor", "org",
               "action", "object", "purpose");
    else if (ls.fmt == CLI_FMT_CSV)
        puts("seq,at,actor,org,action,object,purpose,detail,prev_hash,hash");
    else if (ls.fmt == CLI_FMT_JSON)
        putchar('[');
    int status = CLI_OK;
    if (vg_audit_list(store, &filter, print_record, &ls, &err)) {
        fflush(stdout);
        cli_error(&err);
        status = CLI_ERROR;
    }
    if (ls.fmt == CLI_FMT_JSON)
        puts("]");
    vg_store_close(store);
    return status;
}

int cmd_audit(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {
        {"verify", audit_verify}, {"list", audit_list}, {NULL, NULL}};
    return cli_subcommands(cli, "audit", subs, usage, argc, argv);
}
