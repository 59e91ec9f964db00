/* cmd_org.c - `vigil org`: add and list organisations (the agencies that share). */
#include "cli.h"
#include "vigil/accounts.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static void help(FILE *f)
{
    fputs("Usage: vigil [--db PATH] org add NAME\n"
          "       vigil [--db PATH] org list [--format table|csv|json]\n"
          "\n"
          "Organisations are the agencies that share intelligence; every user belongs to one.\n"
          "\n"
          "Commands:\n"
          "  add NAME     add an organisation (1 to 200 bytes, unique)\n"
          "  list         list the organisations with their number of users\n"
          "\n"
          "Options:\n"
          "  --format table|csv|json    output format of list (default table)\n"
          "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
          "  --help                     show this help\n"
          "\n"
          "Exit status: 0 done, 1 error (e.g. the name is taken), 2 usage error.\n",
          f);
}

/* Parses the options of `org SUB`: --db, --help and, when fmt is not NULL, --format. Returns -1
 * to go on, else the exit status (help shown, or a usage error). */
static int parse(struct cli *cli, const char *cmd, int argc, char **argv, enum cli_format *fmt)
{
    static const struct option longopts[] = {{"format", required_argument, NULL, 'o'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (!fmt)
                return cli_usage_error(cmd, "unknown option '--format'");
            if (cli_format_option(cmd, optarg, fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help(stdout);
            return CLI_OK;
        default:
            return cli_usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    return -1;
}

static int org_add(struct cli *cli, int argc, char **argv)
{
    int rc = parse(cli, "org add", argc, argv, NULL);
    if (rc >= 0)
        return rc;
    const char *name = cli_one_arg("org add", "organisation's NAME", argc, argv);
    if (!name)
        return CLI_USAGE;
    struct vg_store *store = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_change_open(cli, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_org_add(store, name, time(NULL), NULL, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else {
        printf("added organisation %s\n", name);
    }
    return cli_change_close(store, status, "create-organisation", "organisation:%s", name);
}

static void print_orgs(const struct vg_org *o, size_t n, enum cli_format fmt)
{
    if (fmt == CLI_FMT_CSV) {
        puts("name,users,created_at");
        for (size_t i = 0; i < n; i++) {
            cli_csv_field(stdout, o[i].name);
            printf(",%lld,%s\n", (long long)o[i].users, o[i].created_at);
        }
    } else if (fmt == CLI_FMT_JSON) {
        putchar('[');
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n {\"name\":" : "{\"name\":", stdout);
            cli_json_string(stdout, o[i].name);
            printf(",\"users\":%lld,\"created_at\":\"%s\"}", (long long)o[i].users,
                   o[i].created_at);
        }
        puts("]");
    } else {
        int w = 4;
        for (size_t i = 0; i < n; i++)
            if ((int)strlen(o[i].name) > w)
                w = (int)strlen(o[i].name);
        printf("%-*s  %5s  %s\n", w, "name", "users", "created_at");
        for (size_t i = 0; i < n; i++)
            printf("%-*s  %5lld  %s\n", w, o[i].name, (long long)o[i].users, o[i].created_at);
    }
}

static int org_list(struct cli *cli, int argc, char **argv)
{
    enum cli_format fmt = CLI_FMT_TABLE;
    int rc = parse(cli, "org list", argc, argv, &fmt);
    if (rc >= 0)
        return rc;
    if (optind < argc)
        return cli_usage_error("org list", "unexpected argument '%s'", argv[optind]);
    struct vg_store *store = NULL;
    struct vg_org *orgs = NULL;
    size_t n = 0;
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_org_list(store, &orgs, &n, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else {
        print_orgs(orgs, n, fmt);
    }
    vg_free(orgs);
    vg_store_close(store);
    return status;
}

int cmd_org(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {
        {"add", org_add}, {"list", org_list}, {NULL, NULL}};
    return cli_subcommands(cli, "org", subs, help, argc, argv);
}
