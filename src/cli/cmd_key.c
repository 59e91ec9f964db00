/* cmd_key.c - `vigil key`: create, revoke and list the API keys of users. */
#include "cli.h"
#include "vigil/accounts.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static void help(FILE *f)
{
    fputs("Usage: vigil [--db PATH] key create USER [--expires-days N]\n"
          "       vigil [--db PATH] key revoke PREFIX\n"
          "       vigil [--db PATH] key list USER [--format table|csv|json]\n"
          "\n"
          "An API key reads vg_PREFIX_SECRET. The prefix names the key in lists and in\n"
          "revoke; the whole key is shown once, when it is created, and only its hash is\n"
          "stored, so a lost key cannot be shown again: revoke it and create another.\n"
          "\n"
          "Commands:\n"
          "  create USER     create a key for USER and print it, shown only once\n"
          "  revoke PREFIX   revoke a key at once (its 16 hex digits, as list shows them)\n"
          "  list USER       list USER's keys: prefix, created, expires, revoked, status\n"
          "\n"
          "Options:\n"
          "  --expires-days N           the key expires N days from now, 1 to 3650 (create;\n"
          "                             default: never)\n"
          "  --format table|csv|json    output format of list (default table)\n"
          "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
          "  --help                     show this help\n"
          "\n"
          "Exit status: 0 done, 1 error (e.g. unknown user or prefix), 2 usage error.\n",
          f);
}

struct opts {
    int expires_days;
    enum cli_format fmt;
};

/* Parses the options of `key SUB`; allowed says which of --expires-days ('e') and --format
 * ('o') it takes. Returns -1 to go on, else the exit status. */
static int parse(struct cli *cli, const char *cmd, const char *allowed, int argc, char **argv,
                 struct opts *o)
{
    static const struct option longopts[] = {{"expires-days", required_argument, NULL, 'e'},
                                             {"format", required_argument, NULL, 'o'},
                                             {"db", required_argument, NULL, 'D'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    o->expires_days = 0;
    o->fmt = CLI_FMT_TABLE;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if ((c == 'e' || c == 'o') && !strchr(allowed, c))
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        switch (c) {
        case 'e': {
            uint64_t days;
            if (cli_count_option(cmd, "expires-days", optarg, 1, VG_KEY_EXPIRY_DAYS_MAX, &days))
                return CLI_USAGE;
            o->expires_days = (int)days;
            break;
        }
        case 'o':
            if (cli_format_option(cmd, optarg, &o->fmt))
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

static int key_create(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse(cli, "key create", "e", argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *user = cli_one_arg("key create", "USER name", argc, argv);
    if (!user)
        return CLI_USAGE;
    struct vg_store *store = NULL;
    struct vg_error err;
    char key[VG_KEY_SIZE];
    vg_error_clear(&err);
    if (cli_change_open(cli, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_key_create(store, user, o.expires_days, time(NULL), key, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else {
        printf("%s\n", key);
        if (o.expires_days)
            printf("This is a new API key of %s, valid for %d days. It is shown only once: keep "
                   "it now.\n",
                   user, o.expires_days);
        else
            printf("This is a new API key of %s. It is shown only once: keep it now.\n", user);
        memset(key, 0, sizeof(key));
    }
    return cli_change_close(store, status, "create-key", "user:%s", user);
}

static int key_revoke(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse(cli, "key revoke", "", argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *prefix = cli_one_arg("key revoke", "key PREFIX", argc, argv);
    if (!prefix)
        return CLI_USAGE;
    struct vg_store *store = NULL;
    struct vg_error err;
    int was_revoked = 0;
    vg_error_clear(&err);
    if (cli_change_open(cli, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_key_revoke(store, prefix, time(NULL), &was_revoked, &err)) {
        cli_error(&err);
        status = err.code == VG_EINVAL ? CLI_USAGE : CLI_ERROR;
    } else {
        printf(was_revoked ? "key %s was already revoked\n" : "key %s revoked\n", prefix);
    }
    return cli_change_close(store, status, "revoke-key", "key:%s", prefix);
}

static const char *key_status(const struct vg_key_info *k, const char *now)
{
    if (k->revoked_at[0])
        return "revoked";
    if (k->expires_at[0] && strcmp(now, k->expires_at) >= 0)
        return "expired";
    return "active";
}

static void print_keys(const struct vg_key_info *k, size_t n, enum cli_format fmt)
{
    char now[VG_ACCOUNT_TIME_SIZE];
    vg_account_time(time(NULL), now);
    if (fmt == CLI_FMT_CSV) {
        puts("prefix,created_at,expires_at,revoked_at,status");
        for (size_t i = 0; i < n; i++)
            printf("%s,%s,%s,%s,%s\n", k[i].prefix, k[i].created_at, k[i].expires_at,
                   k[i].revoked_at, key_status(&k[i], now));
    } else if (fmt == CLI_FMT_JSON) {
        putchar('[');
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"prefix\":\"%s\",\"created_at\":\"%s\",\"expires_at\":", i ? ",\n " : "",
                   k[i].prefix, k[i].created_at);
            if (k[i].expires_at[0])
                printf("\"%s\"", k[i].expires_at);
            else
                fputs("null", stdout);
            fputs(",\"revoked_at\":", stdout);
            if (k[i].revoked_at[0])
                printf("\"%s\"", k[i].revoked_at);
            else
                fputs("null", stdout);
            printf(",\"status\":\"%s\"}", key_status(&k[i], now));
        }
        puts("]");
    } else {
        printf("%-16s  %-20s  %-20s  %-20s  %s\n", "prefix", "created_at", "expires_at",
               "revoked_at", "status");
        for (size_t i = 0; i < n; i++)
            printf("%-16s  %-20s  %-20s  %-20s  %s\n", k[i].prefix, k[i].created_at,
                   k[i].expires_at[0] ? k[i].expires_at : "never",
                   k[i].revoked_at[0] ? k[i].revoked_at : "-", key_status(&k[i], now));
    }
}

static int key_list(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse(cli, "key list", "o", argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *user = cli_one_arg("key list", "USER name", argc, argv);
    if (!user)
        return CLI_USAGE;
    struct vg_store *store = NULL;
    struct vg_key_info *keys = NULL;
    size_t n = 0;
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_key_list(store, user, &keys, &n, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else {
        print_keys(keys, n, o.fmt);
    }
    vg_free(keys);
    vg_store_close(store);
    return status;
}

int cmd_key(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {
        {"create", key_create}, {"revoke", key_revoke}, {"list", key_list}, {NULL, NULL}};
    return cli_subcommands(cli, "key", subs, help, argc, argv);
}
