/* cmd_user.c - `vigil user`: add users (each with a first API key), list them, set a password. */
#include "cli.h"
#include "vigil/accounts.h"

#include <getopt.h>
#include <string.h>
#include <time.h>

static const char *const role_choices[] = {"admin", "analyst", "reader", "sync", NULL};

static void help(FILE *f)
{
    fputs("Usage: vigil [--db PATH] user add --org NAME --role ROLE USER\n"
          "       vigil [--db PATH] user list [--org NAME] [--format table|csv|json]\n"
          "       vigil [--db PATH] user password USER < FILE\n"
          "\n"
          "Users belong to one organisation and have one role:\n"
          "  admin      manages organisations, users and keys\n"
          "  analyst    reads and writes intelligence\n"
          "  reader     reads intelligence\n"
          "  sync       another Vigil server that exchanges intelligence (TAXII)\n"
          "\n"
          "Commands:\n"
          "  add USER        add a user and print its first API key, shown only once\n"
          "  list            list the users, with their number of usable keys\n"
          "  password USER   set the dashboard password to the first line of standard input\n"
          "                  (8 to 1024 bytes; only an Argon2id hash of it is stored)\n"
          "\n"
          "Options:\n"
          "  --org NAME                 the user's organisation (add), or only its users (list)\n"
          "  --role ROLE                admin, analyst, reader or sync (add)\n"
          "  --format table|csv|json    output format of list (default table)\n"
          "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
          "  --help                     show this help\n"
          "\n"
          "Exit status: 0 done, 1 error (e.g. unknown organisation, name taken), 2 usage error.\n",
          f);
}

struct opts {
    const char *org;
    int role; /* -1: not given */
    enum cli_format fmt;
};

/* Parses the options of `user SUB`; allowed says which of --org, --role, --format it takes.
 * Returns -1 to go on, else the exit status. */
static int parse(struct cli *cli, const char *cmd, const char *allowed, int argc, char **argv,
                 struct opts *o)
{
    static const struct option longopts[] = {
        {"org", required_argument, NULL, 'g'},    {"role", required_argument, NULL, 'r'},
        {"format", required_argument, NULL, 'o'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    int c;
    o->org = NULL;
    o->role = -1;
    o->fmt = CLI_FMT_TABLE;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if ((c == 'g' || c == 'r' || c == 'o') && !strchr(allowed, c))
            return cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
        switch (c) {
        case 'g':
            o->org = optarg;
            break;
        case 'r':
            if (cli_choice(cmd, "role", optarg, role_choices, &o->role))
                return CLI_USAGE;
            break;
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

static int user_add(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse(cli, "user add", "gr", argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (!o.org)
        return cli_usage_error("user add", "missing --org NAME");
    if (o.role < 0)
        return cli_usage_error("user add", "missing --role (admin, analyst, reader or sync)");
    const char *name = cli_one_arg("user add", "USER name", argc, argv);
    if (!name)
        return CLI_USAGE;
    struct vg_store *store = NULL;
    struct vg_error err;
    char key[VG_KEY_SIZE];
    vg_error_clear(&err);
    if (cli_change_open(cli, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_user_add(store, o.org, name, o.role, time(NULL), NULL, key, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else {
        printf("%s\n", key);
        printf("This is the API key of %s (%s, %s). It is shown only once: keep it now.\n", name,
               o.org, vg_account_role_name(o.role));
        memset(key, 0, sizeof(key));
    }
    return cli_change_close(store, status, "create-user", "user:%s", name);
}

static void print_users(const struct vg_user *u, size_t n, enum cli_format fmt)
{
    if (fmt == CLI_FMT_CSV) {
        puts("name,org,role,keys,password,created_at");
        for (size_t i = 0; i < n; i++) {
            cli_csv_field(stdout, u[i].name);
            putchar(',');
            cli_csv_field(stdout, u[i].org);
            printf(",%s,%lld,%s,%s\n", vg_account_role_name(u[i].role), (long long)u[i].active_keys,
                   u[i].has_password ? "yes" : "no", u[i].created_at);
        }
    } else if (fmt == CLI_FMT_JSON) {
        putchar('[');
        for (size_t i = 0; i < n; i++) {
            fputs(i ? ",\n {\"name\":" : "{\"name\":", stdout);
            cli_json_string(stdout, u[i].name);
            fputs(",\"org\":", stdout);
            cli_json_string(stdout, u[i].org);
            printf(",\"role\":\"%s\",\"keys\":%lld,\"password\":%s,\"created_at\":\"%s\"}",
                   vg_account_role_name(u[i].role), (long long)u[i].active_keys,
                   u[i].has_password ? "true" : "false", u[i].created_at);
        }
        puts("]");
    } else {
        int wn = 4, wo = 3;
        for (size_t i = 0; i < n; i++) {
            if ((int)strlen(u[i].name) > wn)
                wn = (int)strlen(u[i].name);
            if ((int)strlen(u[i].org) > wo)
                wo = (int)strlen(u[i].org);
        }
        printf("%-*s  %-*s  %-7s  %4s  %-8s  %s\n", wn, "name", wo, "org", "role", "keys",
               "password", "created_at");
        for (size_t i = 0; i < n; i++)
            printf("%-*s  %-*s  %-7s  %4lld  %-8s  %s\n", wn, u[i].name, wo, u[i].org,
                   vg_account_role_name(u[i].role), (long long)u[i].active_keys,
                   u[i].has_password ? "yes" : "no", u[i].created_at);
    }
}

static int user_list(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse(cli, "user list", "go", argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (optind < argc)
        return cli_usage_error("user list", "unexpected argument '%s'", argv[optind]);
    struct vg_store *store = NULL;
    struct vg_user *users = NULL;
    size_t n = 0;
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;
    int status = CLI_OK;
    if (vg_user_list(store, o.org, time(NULL), &users, &n, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else {
        print_users(users, n, o.fmt);
    }
    vg_free(users);
    vg_store_close(store);
    return status;
}

static int user_password(struct cli *cli, int argc, char **argv)
{
    struct opts o;
    int rc = parse(cli, "user password", "", argc, argv, &o);
    if (rc >= 0)
        return rc;
    const char *name = cli_one_arg("user password", "USER name", argc, argv);
    if (!name)
        return CLI_USAGE;
    char line[VG_PASSWORD_MAX + 3];
    if (!fgets(line, sizeof(line), stdin)) {
        cli_fail("user password: no password on standard input");
        return CLI_ERROR;
    }
    size_t len = strlen(line);
    int whole = len > 0 && line[len - 1] == '\n';
    if (whole)
        line[--len] = '\0';
    if (len > 0 && line[len - 1] == '\r')
        line[--len] = '\0';
    if (!whole && !feof(stdin)) {
        memset(line, 0, sizeof(line));
        cli_fail("user password: the password is longer than %d bytes", VG_PASSWORD_MAX);
        return CLI_ERROR;
    }
    struct vg_store *store = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    int status = CLI_OK;
    if (cli_open_store(cli, 0, &store) || cli_change_begin(store)) {
        status = CLI_ERROR;
    } else {
        char object[300];
        snprintf(object, sizeof(object), "user:%s", name);
        int ok = vg_user_set_password(store, name, line, &err) == 0;
        if (!ok)
            cli_error(&err);
        if (cli_change_end(store, ok, "set-password", object) || !ok)
            status = CLI_ERROR;
        else
            printf("password of %s set\n", name);
    }
    memset(line, 0, sizeof(line));
    vg_store_close(store);
    return status;
}

int cmd_user(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {
        {"add", user_add}, {"list", user_list}, {"password", user_password}, {NULL, NULL}};
    return cli_subcommands(cli, "user", subs, help, argc, argv);
}
