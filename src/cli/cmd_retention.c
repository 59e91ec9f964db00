/* cmd_retention.c - `vigil retention run`: the reports past their review date, listed or (with
 * --apply) purged.
 *
 * The library walks the reports (vg_report_retention) and records every decision in the audit
 * log itself: "retention-list" for a report listed, "retention-purge" for one deleted, in the
 * same transaction as the deletion. This command only chooses the day, prints the reports and
 * names the actor ("cli:<login name>", as cli_change_end does). Listing writes audit records
 * too, so the database is opened for writing; it must exist already (a retention run on a
 * database that is not there is a mistake, not a reason to create one).
 *
 * Output is streamed (the table's header comes with its first row). The library calls back before
 * it records or purges a report, so a row is held back until the next call (or the end of the walk)
 * shows that its report was dealt with: after a failure the output names exactly the reports that
 * were listed or purged. */
#include "cli.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("Usage: vigil [--db PATH] retention run [OPTIONS]\n"
          "\n"
          "Reports carry a review date. Once it has passed and nobody has re-justified the\n"
          "report, it is due for deletion.\n"
          "\n"
          "Commands:\n"
          "  run        list the reports past their review date; purge them with --apply\n"
          "\n"
          "'vigil retention run --help' describes it.\n",
          f);
}

static void help_run(void)
{
    puts("Usage: vigil [--db PATH] retention run [OPTIONS]\n"
         "\n"
         "Lists the reports whose review date is before today (UTC) and that nobody has\n"
         "re-justified, by id. With --apply, deletes each of them with its recipients and\n"
         "indicators. Every report listed or purged is recorded in the audit log (actions\n"
         "retention-list and retention-purge, actor cli:<login name>).\n"
         "\n"
         "Options:\n"
         "  --apply                    purge the reports instead of only listing them\n"
         "  --today YYYY-MM-DD         the day to judge by (default: today, UTC)\n"
         "  --format table|csv|json    output format (default table)\n"
         "  --db PATH                  database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                     show this help\n"
         "\n"
         "Exit status: 0 done (also when nothing is due), 1 the database is missing or a\n"
         "report could not be listed or purged (those before it were), 2 usage error.");
}

/* 1 when s is a real date YYYY-MM-DD (Gregorian calendar). */
static int valid_date(const char *s)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

struct run_state {
    enum cli_format fmt;
    const char *action; /* "due" or "purged", the action column */
    long long printed;
    int pending; /* a row is held back in the fields below */
    long long id;
    char org[VG_ACCOUNT_NAME_MAX + 1];
    char review_due[VG_REPORT_DATE_SIZE];
};

static void print_row(struct run_state *st)
{
    if (st->fmt == CLI_FMT_TABLE) {
        if (st->printed == 0)
            printf("%8s  %-10s  %-6s  %s\n", "id", "review_due", "action", "org");
        printf("%8lld  %-10s  %-6s  %s\n", st->id, st->review_due, st->action, st->org);
    } else if (st->fmt == CLI_FMT_CSV) {
        printf("%lld,", st->id);
        cli_csv_field(stdout, st->org);
        printf(",%s,%s\n", st->review_due, st->action);
    } else {
        printf("%s{\"id\":%lld,\"org\":", st->printed ? ",\n " : "", st->id);
        cli_json_string(stdout, st->org);
        printf(",\"review_due\":\"%s\",\"action\":\"%s\"}", st->review_due, st->action);
    }
    st->printed++;
    st->pending = 0;
}

/* Called before the report is recorded or purged: the row before it was dealt with. */
static int on_due(const struct vg_report_due *due, void *ctx)
{
    struct run_state *st = ctx;
    if (st->pending)
        print_row(st);
    st->id = (long long)due->id;
    snprintf(st->org, sizeof(st->org), "%s", due->org ? due->org : "");
    snprintf(st->review_due, sizeof(st->review_due), "%s", due->review_due ? due->review_due : "");
    st->pending = 1;
    return 0;
}

static int retention_run(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"apply", no_argument, NULL, 'a'},        {"today", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'o'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static const char cmd[] = "retention run";
    struct run_state st = {.fmt = CLI_FMT_TABLE, .action = "due"};
    const char *today_arg = NULL;
    int apply = 0, c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            apply = 1;
            break;
        case 't':
            if (!valid_date(optarg))
                return cli_usage_error(cmd, "--today must be a date YYYY-MM-DD, not '%s'", optarg);
            today_arg = optarg;
            break;
        case 'o':
            if (cli_format_option(cmd, optarg, &st.fmt))
                return CLI_USAGE;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help_run();
            return CLI_OK;
        default:
            return cli_usage_error(cmd, "unknown option or missing value: '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (apply)
        st.action = "purged";

    char today[VG_REPORT_DATE_SIZE];
    if (today_arg) {
        snprintf(today, sizeof(today), "%s", today_arg);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm) || strftime(today, sizeof(today), "%Y-%m-%d", &tm) != 10) {
            cli_fail("%s: cannot tell today's date", cmd);
            return CLI_ERROR;
        }
    }

    struct stat sb;
    if (stat(cli->db_path, &sb) != 0) {
        cli_fail("database %s does not exist (a retention run never creates one)", cli->db_path);
        return CLI_ERROR;
    }
    struct vg_store *store = NULL;
    if (cli_open_store(cli, 0, &store))
        return CLI_ERROR;

    const struct passwd *pw = getpwuid(geteuid());
    char actor[128];
    snprintf(actor, sizeof(actor), "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");

    if (st.fmt == CLI_FMT_CSV)
        puts("id,org,review_due,action");
    else if (st.fmt == CLI_FMT_JSON)
        putchar('[');
    struct vg_error err;
    vg_error_clear(&err);
    int64_t count = 0;
    int rc = vg_report_retention(store, actor, today, apply, on_due, &st, &count, &err);
    if (rc == 0 && st.pending)
        print_row(&st);
    if (st.fmt == CLI_FMT_JSON)
        puts("]");
    if (st.fmt == CLI_FMT_TABLE && rc == 0) {
        if (count == 0)
            printf("nothing to purge: no report has a review date before %s\n", today);
        else if (apply)
            printf("%lld report%s purged (review date before %s)\n", (long long)count,
                   count == 1 ? "" : "s", today);
        else
            printf("%lld report%s past the review date (before %s); run with --apply to purge\n",
                   (long long)count, count == 1 ? "" : "s", today);
    }
    fflush(stdout);
    if (rc) {
        cli_error(&err);
        if (apply)
            cli_fail("%lld report%s purged before the failure", (long long)count,
                     count == 1 ? "" : "s");
    }
    vg_store_close(store);
    return rc ? CLI_ERROR : CLI_OK;
}

int cmd_retention(struct cli *cli, int argc, char **argv)
{
    static const struct cli_subcommand subs[] = {{"run", retention_run}, {NULL, NULL}};
    return cli_subcommands(cli, "retention", subs, usage, argc, argv);
}
