/* main.c - the `vigil` program: global options, then one sub-command per cmd_<name>.c.
 *
 * The CLI calls only the public API in include/vigil/. Exit statuses are the same for every
 * command (cli.h): 0 done, 1 failed, 2 wrong usage, 3 done with some input rejected, 130
 * interrupted. */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(struct cli *, int, char **);
    const char *summary;
} commands[] = {
    {"ingest", cmd_ingest, "take incident files (GTD layout, JSON lines) into the database"},
    {"stats", cmd_stats, "count incidents, killed and wounded, grouped by dimensions"},
    {"analyze", cmd_analyze, "trends, surges, hotspots and near-repeat patterns"},
    {"org", cmd_org, "organisations: add, list"},
    {"user", cmd_user, "users of an organisation: add (prints an API key), list, password"},
    {"key", cmd_key, "API keys: create, list, revoke"},
    {"audit", cmd_audit, "the audit log: verify its hash chain, list records"},
    {"sites", cmd_sites, "key sites: import, list, show, assess, and the threat each faces"},
    {"risk", cmd_risk, "key sites ranked by risk (CARVER+Shock, FEMA 426), or one explained"},
    {"retention", cmd_retention,
     "reports past their review date: run (list, or purge with --apply)"},
    {"serve", cmd_serve, "the HTTP API for partner agencies (JSON, API keys, TLS)"},
};

static void usage(FILE *f)
{
    fputs("Usage: vigil [--db PATH] COMMAND [OPTIONS] [ARGS]\n"
          "\n"
          "Vigil collects incident records and intelligence, analyses them and shares them\n"
          "under access rules.\n"
          "\n"
          "Commands:\n",
          f);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n"
          "Global options:\n"
          "  --db PATH    database file (default: $VIGIL_DB, else ./vigil.db)\n"
          "  --help       show this help; 'vigil COMMAND --help' shows a command's\n"
          "  --version    print the version\n"
          "\n"
          "Exit status: 0 done, 1 error, 2 usage error, 3 done with some input rejected,\n"
          "130 interrupted.\n",
          f);
}

int main(int argc, char **argv)
{
    struct cli cli = {0};
    const char *env = getenv("VIGIL_DB");
    cli.db_path = env && *env ? env : "vigil.db";

    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return CLI_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("vigil %s\n", VIGIL_VERSION);
            return CLI_OK;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            cli.db_path = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            cli.db_path = argv[i] + 5;
        } else {
            fprintf(stderr, "vigil: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return CLI_USAGE;
        }
    }
    if (i == argc) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[i], "help") == 0) {
        /* `vigil help COMMAND [SUB-COMMAND]` is `vigil COMMAND [SUB-COMMAND] --help`. */
        if (i + 1 == argc) {
            usage(stdout);
            return CLI_OK;
        }
        int n = argc - i - 1 < 2 ? argc - i - 1 : 2;
        char *args[] = {argv[i + 1], n > 1 ? argv[i + 2] : "--help", "--help", NULL};
        for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++)
            if (strcmp(commands[c].name, argv[i + 1]) == 0)
                return commands[c].run(&cli, n + 1, args);
        fprintf(stderr, "vigil: unknown command '%s'\n", argv[i + 1]);
        usage(stderr);
        return CLI_USAGE;
    }
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
        if (strcmp(commands[c].name, argv[i]) == 0) {
            int status = commands[c].run(&cli, argc - i, argv + i);
            /* Output that could not be written (a full disk, a closed pipe) is a failure, said
             * here unless the command has already failed (and said why). */
            if ((fflush(stdout) != 0 || ferror(stdout)) && status != CLI_ERROR) {
                fprintf(stderr, "vigil: cannot write standard output: %s\n", strerror(errno));
                return CLI_ERROR;
            }
            return status;
        }
    }
    fprintf(stderr, "vigil: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return CLI_USAGE;
}
