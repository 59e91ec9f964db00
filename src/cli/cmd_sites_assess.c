/* cmd_sites_assess.c - `vigil sites assess`: record a site's security checklist (each item met
 * or a gap, with notes and date) and its ratings, from the command line or a CSV file, and show
 * the checklist with its state and the scores it leads to.
 *
 * The checklist of each kind of site is in the scale tables (data/risk/checklist-v1.csv, loaded
 * by cli_risk_scales); an item that is not in the site's checklist is refused with the list of
 * the valid ones. Items never assessed are shown as "unassessed" and count as gaps.
 *
 * The changes of one command are one transaction with one record in the audit log
 * ("site.assess", object "site:<id>", or "sites:<file>" for --file). A file is read by the
 * library (assess_file.h): rows that cannot be taken (unknown site or item, bad status or date)
 * are rejected one by one with their line, as `vigil ingest` rejects rows, the first ten shown
 * here, and the others are stored; the exit status is then 3. */
#include "cli.h"
#include "vigil/assess_file.h"
#include "vigil/risk.h"
#include "vigil/sites.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "sites assess"
#define MAX_CHANGES 256

struct change {
    int rate; /* 0: a checklist answer, 1: a rating */
    char *name;
    enum vg_risk_status status;
    enum vg_risk_criterion criterion;
    int value;
    const char *note, *date;
};

static void help(void)
{
    puts("Usage: vigil [--db PATH] sites assess SITE [--set ITEM=met|gap [--note TEXT]\n"
         "                                    [--date YYYY-MM-DD]]... [--rate CRITERION=N\n"
         "                                    [--note TEXT]]... [--unrate CRITERION]...\n"
         "       vigil [--db PATH] sites assess --file CSV\n"
         "\n"
         "Records the security checklist of a site (SITE is its id or its code) and shows\n"
         "it: each item of the checklist of the site's kind with its state (met, gap, or\n"
         "unassessed, which counts as a gap), weight, date and notes, and the scores that\n"
         "follow (docs/methods/vulnerability.md). Without --set, --rate or --unrate it\n"
         "only shows.\n"
         "\n"
         "Options:\n"
         "  --set ITEM=met|gap     record an item of the checklist (repeatable); an unknown\n"
         "                         item is an error that lists the valid ones\n"
         "  --note TEXT            notes of the --set or --rate just before\n"
         "  --date YYYY-MM-DD      date of the --set or --rate just before (default today)\n"
         "  --rate CRITERION=N     rate the site 1-10 on a criterion, overriding its default\n"
         "                         or checklist value: criticality, accessibility,\n"
         "                         recuperability, vulnerability, effect, recognizability,\n"
         "                         shock, asset_value, threat (repeatable)\n"
         "  --unrate CRITERION     remove a rating: the default or derived value applies\n"
         "  --file CSV             record answers from a CSV file with the columns site,\n"
         "                         item, status (met or gap), and optionally notes, date\n"
         "  --by NAME              who assessed (default: cli:<login name>)\n"
         "  --format table|json    output of the checklist (default table)\n"
         "  --scales DIR           the scale tables (default: data/risk)\n"
         "  --db PATH              database (default: $VIGIL_DB, else ./vigil.db)\n"
         "  --help                 show this help\n"
         "\n"
         "Exit status: 0 done, 1 error, 2 usage error (such as an unknown item), 3 done\n"
         "with some rows of the file rejected.");
}

static void today(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, n, "%Y-%m-%d", &tm);
}

static void default_by(char *buf, size_t n)
{
    const struct passwd *pw = getpwuid(geteuid());
    snprintf(buf, n, "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
}

/* Shows the checklist and the scores of site as stored. */
static int show(struct vg_store *store, const struct vg_risk_scales *scales,
                const struct vg_site *site, int json)
{
    struct vg_risk_state state;
    struct vg_risk_result *r = malloc(sizeof(*r));
    int rc = -1;
    vg_risk_state_init(&state);
    if (!r) {
        cli_fail("out of memory");
        goto done;
    }
    /* The threat is `vigil risk site`'s business: here the scores use the default threat or a
     * rating of it, which the output says. */
    if (cli_risk_score_site(store, scales, site, NULL, &state, r))
        goto done;
    if (json) {
        printf("{\"id\":%lld,\"kind\":\"%s\",\"items\":[", (long long)site->id, r->kind);
        for (size_t i = 0; i < r->nitems; i++) {
            const struct vg_risk_item_state *st = &r->items[i];
            printf("%s{\"item\":\"%s\",\"criterion\":\"%s\",\"weight\":", i ? "," : "",
                   st->item->name, vg_risk_criterion_name(st->item->criterion));
            cli_put_number(stdout, st->item->weight, 1);
            printf(",\"status\":\"%s\",\"counts_as_gap\":%s,\"date\":",
                   vg_risk_status_name(st->status), st->status == VG_RISK_MET ? "false" : "true");
            if (st->date)
                cli_json_string(stdout, st->date);
            else
                fputs("null", stdout);
            fputs(",\"notes\":", stdout);
            if (st->notes)
                cli_json_string(stdout, st->notes);
            else
                fputs("null", stdout);
            fputs(",\"title\":", stdout);
            cli_json_string(stdout, st->item->title);
            fputs("}", stdout);
        }
        printf("],\"met\":%zu,\"gaps\":%zu,\"unassessed\":%zu,\"accessibility\":%d,"
               "\"vulnerability\":%d,\"fema_vulnerability\":%d,\"carver_total\":%d}\n",
               r->nmet, r->ngaps, r->nunassessed, r->criteria[VG_RISK_ACCESSIBILITY].value,
               r->criteria[VG_RISK_VULNERABILITY].value, r->fema_vulnerability, r->carver_total);
    } else {
        printf("%s (%s, id %lld): %s site, checklist of scales version %d\n",
               site->name ? site->name : "?", site->code ? site->code : "no code",
               (long long)site->id, r->kind, vg_risk_scales_version(scales));
        cli_risk_print_checklist(stdout, r);
        printf("accessibility %d (%s), vulnerability %d (%s), FEMA vulnerability %d, "
               "CARVER+Shock %d / 70\n",
               r->criteria[VG_RISK_ACCESSIBILITY].value,
               vg_risk_source_name(r->criteria[VG_RISK_ACCESSIBILITY].source),
               r->criteria[VG_RISK_VULNERABILITY].value,
               vg_risk_source_name(r->criteria[VG_RISK_VULNERABILITY].source),
               r->fema_vulnerability, r->carver_total);
        for (size_t i = 0; i < state.nratings; i++)
            printf("rated: %s %d%s%s (%s)\n", vg_risk_criterion_name(state.ratings[i].criterion),
                   state.ratings[i].value, state.ratings[i].notes ? ": " : "",
                   state.ratings[i].notes ? state.ratings[i].notes : "",
                   state.ratings[i].date ? state.ratings[i].date : "");
        printf("'vigil risk site %lld' explains the scores with the threat.\n",
               (long long)site->id);
    }
    rc = 0;
done:
    free(r);
    vg_risk_state_cleanup(&state);
    return rc;
}

/* ---- from a file ---- */

/* Records the answers of the file at path ("-": standard input); the parsing and the checks of
 * each row are vg_assess_file_read_fd's (assess_file.h). */
static int from_file(struct vg_store *store, const struct vg_risk_scales *scales, const char *path,
                     const char *by, struct vg_assess_file_stats *st)
{
    int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cli_fail("cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char day[16];
    struct cli_rejects shown = {0}; /* the first rejected rows on stderr, no file */
    today(day, sizeof(day));
    struct vg_assess_file_opts opts = {scales, by, day, cli_rejects_add, &shown};
    struct vg_error err;
    int rc = vg_assess_file_read_fd(store, fd, path, &opts, st, &err);
    if (rc)
        cli_error(&err);
    if (fd > 0)
        close(fd);
    return rc ? -1 : 0;
}

/* ---- the command ---- */

static int add_change(struct change *changes, size_t *n, int rate, const char *arg,
                      struct vg_error *err)
{
    if (*n == MAX_CHANGES)
        return cli_usage_error(CMD, "at most %d --set and --rate in one command", MAX_CHANGES);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return cli_usage_error(CMD, "--%s takes %s, not '%s'", rate ? "rate" : "set",
                               rate ? "CRITERION=N" : "ITEM=met|gap", arg);
    struct change *c = &changes[*n];
    memset(c, 0, sizeof(*c));
    c->rate = rate;
    if (!(c->name = strndup(arg, (size_t)(eq - arg))))
        return cli_usage_error(CMD, "out of memory");
    (*n)++;
    if (rate) {
        uint64_t v;
        if (vg_risk_criterion_parse(c->name, &c->criterion, err))
            return cli_usage_error(CMD, "%s", err->message);
        if (cli_parse_count(eq + 1, 1, 10, &v))
            return cli_usage_error(CMD, "a rating is a whole number from 1 to 10, not '%s'",
                                   eq + 1);
        c->value = (int)v;
    } else if (vg_risk_status_parse(eq + 1, &c->status, err)) {
        return cli_usage_error(CMD, "--set %s: %s", c->name, err->message);
    }
    return 0;
}

int cmd_sites_assess(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 'S'},    {"rate", required_argument, NULL, 'R'},
        {"unrate", required_argument, NULL, 'U'}, {"note", required_argument, NULL, 'n'},
        {"date", required_argument, NULL, 'd'},   {"file", required_argument, NULL, 'F'},
        {"by", required_argument, NULL, 'b'},     {"format", required_argument, NULL, 'f'},
        {"scales", required_argument, NULL, 's'}, {"db", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    static const char *const formats[] = {"table", "json", NULL};
    struct change changes[MAX_CHANGES];
    enum vg_risk_criterion unrate[VG_RISK_CRITERION_COUNT];
    size_t nchanges = 0, nunrate = 0;
    const char *file = NULL, *scales_dir = NULL;
    char by[128], day[16], object[64];
    int fmt = 0, c, status = CLI_USAGE;
    struct vg_error err;
    vg_error_clear(&err);
    default_by(by, sizeof(by));
    today(day, sizeof(day));
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'S':
        case 'R':
            if (add_change(changes, &nchanges, c == 'R', optarg, &err))
                goto done;
            break;
        case 'U':
            if (vg_risk_criterion_parse(optarg, &unrate[nunrate], &err)) {
                cli_usage_error(CMD, "%s", err.message);
                goto done;
            }
            if (nunrate < VG_RISK_CRITERION_COUNT - 1)
                nunrate++;
            break;
        case 'n':
        case 'd':
            if (!nchanges) {
                cli_usage_error(CMD, "--%s belongs after the --set or --rate it is about",
                                c == 'n' ? "note" : "date");
                goto done;
            }
            if (c == 'd' && !vg_assess_date_valid(optarg)) {
                cli_usage_error(CMD, "--date must be a date YYYY-MM-DD, not '%s'", optarg);
                goto done;
            }
            if (c == 'n' && strlen(optarg) > VG_ASSESS_NOTE_MAX) {
                cli_usage_error(CMD, "--note is longer than %d bytes", VG_ASSESS_NOTE_MAX);
                goto done;
            }
            *(c == 'n' ? &changes[nchanges - 1].note : &changes[nchanges - 1].date) = optarg;
            break;
        case 'F':
            file = optarg;
            break;
        case 'b':
            snprintf(by, sizeof(by), "%s", optarg);
            break;
        case 'f':
            if (cli_choice(CMD, "format", optarg, formats, &fmt))
                goto done;
            break;
        case 's':
            scales_dir = optarg;
            break;
        case 'D':
            cli->db_path = optarg;
            break;
        case 'h':
            help();
            status = CLI_OK;
            goto done;
        default:
            cli_usage_error(CMD, "unknown option '%s'", argv[optind - 1]);
            goto done;
        }
    }
    if (file && (nchanges || nunrate || optind < argc)) {
        cli_usage_error(CMD, "--file takes no SITE, --set, --rate or --unrate");
        goto done;
    }
    const char *key = file ? NULL : cli_one_arg(CMD, "site", argc, argv);
    if (!file && !key)
        goto done;

    status = CLI_ERROR;
    struct vg_risk_scales *scales = NULL;
    struct vg_store *store = NULL;
    struct vg_site site;
    int found = 0, writes = file || nchanges || nunrate;
    memset(&site, 0, sizeof(site));
    if (cli_risk_scales(scales_dir, &scales) ||
        cli_open_store(cli, writes ? 0 : VG_STORE_READONLY, &store))
        goto close;
    if (file) {
        struct vg_assess_file_stats st = {0, 0, 0};
        if (cli_change_begin(store))
            goto close;
        int ok = from_file(store, scales, file, by, &st) == 0;
        const char *base = strrchr(file, '/');
        snprintf(object, sizeof(object), "sites:%s", base ? base + 1 : file);
        if (cli_change_end(store, ok, "site.assess", object))
            goto close;
        if (st.rejected > CLI_SHOWN_REJECTS)
            fprintf(stderr, "vigil: ... %ld more rejected rows\n", st.rejected - CLI_SHOWN_REJECTS);
        printf("%ld rows: %ld stored, %ld rejected\n", st.rows, st.stored, st.rejected);
        status = st.rejected ? CLI_PARTIAL : CLI_OK;
        goto close;
    }
    struct vg_site_lookup info;
    if (vg_site_lookup(store, key, &site, &info, &err)) {
        cli_error(&err);
        goto close;
    }
    found = 1;
    cli_site_lookup_note(key, &site, &info);
    const char *kind = vg_site_kind_name(site.kind);
    for (size_t i = 0; i < nchanges; i++) {
        if (changes[i].rate || vg_risk_item_find(scales, kind, changes[i].name))
            continue;
        vg_risk_item_error(scales, kind, changes[i].name, &err);
        status = cli_usage_error(CMD, "%s", err.message);
        goto close;
    }
    if (writes) {
        if (cli_change_begin(store))
            goto close;
        int ok = 1;
        for (size_t i = 0; i < nchanges && ok; i++) {
            const struct change *ch = &changes[i];
            if (ch->rate) {
                struct vg_risk_rating r = {ch->criterion, ch->value, ch->note,
                                           ch->date ? ch->date : day};
                ok = vg_risk_rating_set(store, site.id, &r, &err) == 0;
            } else {
                const struct vg_risk_item *it = vg_risk_item_find(scales, kind, ch->name);
                struct vg_risk_answer a = {it->name, ch->status, ch->note,
                                           ch->date ? ch->date : day};
                ok = vg_risk_answer_set(store, site.id, &a, by, &err) == 0;
            }
        }
        for (size_t i = 0; i < nunrate && ok; i++)
            ok = vg_risk_rating_clear(store, site.id, unrate[i], &err) == 0;
        if (!ok)
            cli_error(&err);
        snprintf(object, sizeof(object), "site:%lld", (long long)site.id);
        if (cli_change_end(store, ok, "site.assess", object))
            goto close;
    }
    if (show(store, scales, &site, fmt == 1))
        goto close;
    status = CLI_OK;
close:
    if (found)
        vg_site_cleanup(&site);
    vg_store_close(store);
    vg_risk_scales_destroy(scales);
done:
    for (size_t i = 0; i < nchanges; i++)
        free(changes[i].name);
    return status;
}
