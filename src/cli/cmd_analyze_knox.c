/* cmd_analyze_knox.c - `vigil analyze knox`: the Knox test of space-time interaction on a CSV of
 * events (columns x, y, t), as a table, CSV or JSON. The computation is vg_knox_run (knox.h);
 * this file parses the command line, reads the file and prints. */
#include "cli.h"
#include "vigil/knox.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const cmd = "analyze knox";

static void help(void)
{
    puts("Usage: vigil analyze knox --events FILE --space D --time T [OPTIONS]\n"
         "\n"
         "Knox test of space-time interaction: do events close in space also tend to\n"
         "be close in time? Counts the pairs of events close in both (X) and compares\n"
         "it with what independence of place and time gives, E = N_s * N_t / N.\n"
         "\n"
         "The file is CSV with a header naming the columns x, y (planar coordinates,\n"
         "any unit) and t (time in days); other columns are ignored.\n"
         "\n"
         "Options:\n"
         "  --events FILE              the events ('-' for standard input)\n"
         "  --space D                  close in space: distance <= D (D > 0, same unit\n"
         "                             as x and y; the bound is inclusive)\n"
         "  --time T                   close in time: |t1 - t2| <= T days (T >= 0;\n"
         "                             inclusive, so T = 0 means the same time)\n"
         "  --permutations B           Monte Carlo permutations of the times, 1 to 100000\n"
         "                             (default 999)\n"
         "  --seed N                   seed of the permutations, 0 to 2^64-1 (default 1);\n"
         "                             the same seed gives the same result everywhere\n"
         "  --threads N                threads for the permutations, 1 to 64 (default: one\n"
         "                             per processor, at most one per permutation); the\n"
         "                             result does not depend on it\n"
         "  --format table|csv|json    output format (default table)\n"
         "  --help                     show this help\n"
         "\n"
         "Output: N pairs, N_s close in space, N_t close in time, the observed X, the\n"
         "expected E, X/E, the Poisson p-value P(Y >= X) for Y ~ Poisson(E), and the\n"
         "Monte Carlo p-value (1 + #{X_b >= X}) / (B + 1) over B shuffles of the times.\n"
         "See docs/methods/knox.md.");
}

static void print_table(const struct vg_knox_result *r, double D, double T)
{
    printf("Knox test of %zu events: close in space, distance <= %g; close in time, "
           "|dt| <= %g days\n\n",
           r->events, D, T);
    printf("  %-30s %20llu\n", "pairs N", (unsigned long long)r->pairs);
    printf("  %-30s %20llu\n", "close in space N_s", (unsigned long long)r->close_space);
    printf("  %-30s %20llu\n", "close in time N_t", (unsigned long long)r->close_time);
    printf("  %-30s %20llu\n", "observed X (close in both)", (unsigned long long)r->observed);
    printf("  %-30s %20.4f\n", "expected E = N_s N_t / N", r->expected);
    if (r->expected > 0)
        printf("  %-30s %20.4f\n", "ratio X / E", (double)r->observed / r->expected);
    else
        printf("  %-30s %20s\n", "ratio X / E", "-");
    printf("  %-30s %20.6g\n", "p-value, Poisson P(Y >= X)", r->p_poisson);
    printf("  %-30s %20.6g\n", "p-value, Monte Carlo", r->p_monte_carlo);
    printf("\nMonte Carlo: %u permutations of the times, seed %llu; %llu reached X;\n"
           "X over the permutations: mean %.2f, from %llu to %llu.\n",
           r->permutations, (unsigned long long)r->seed, (unsigned long long)r->at_least,
           r->perm_mean, (unsigned long long)r->perm_min, (unsigned long long)r->perm_max);
}

static void print_csv(const struct vg_knox_result *r, double D, double T)
{
    puts("events,space,time,pairs,close_space,close_time,observed,expected,ratio,p_poisson,"
         "p_monte_carlo,permutations,seed,at_least,permutation_mean,permutation_min,"
         "permutation_max");
    printf("%zu,", r->events);
    cli_put_number(stdout, D, 0);
    putchar(',');
    cli_put_number(stdout, T, 0);
    printf(",%llu,%llu,%llu,%llu,", (unsigned long long)r->pairs,
           (unsigned long long)r->close_space, (unsigned long long)r->close_time,
           (unsigned long long)r->observed);
    cli_put_number(stdout, r->expected, 0);
    putchar(',');
    cli_put_number(stdout, r->expected > 0 ? (double)r->observed / r->expected : NAN, 0);
    putchar(',');
    cli_put_number(stdout, r->p_poisson, 0);
    putchar(',');
    cli_put_number(stdout, r->p_monte_carlo, 0);
    printf(",%u,%llu,%llu,", r->permutations, (unsigned long long)r->seed,
           (unsigned long long)r->at_least);
    cli_put_number(stdout, r->perm_mean, 0);
    printf(",%llu,%llu\n", (unsigned long long)r->perm_min, (unsigned long long)r->perm_max);
}

static void print_json(const struct vg_knox_result *r, double D, double T)
{
    printf("{\"observed\":%llu,\"expected\":", (unsigned long long)r->observed);
    cli_put_number(stdout, r->expected, 1);
    fputs(",\"p_poisson\":", stdout);
    cli_put_number(stdout, r->p_poisson, 1);
    fputs(",\"p_monte_carlo\":", stdout);
    cli_put_number(stdout, r->p_monte_carlo, 1);
    fputs(",\"ratio\":", stdout);
    cli_put_number(stdout, r->expected > 0 ? (double)r->observed / r->expected : NAN, 1);
    printf(",\"events\":%zu,\"space\":", r->events);
    cli_put_number(stdout, D, 1);
    fputs(",\"time\":", stdout);
    cli_put_number(stdout, T, 1);
    printf(",\"pairs\":%llu,\"close_space\":%llu,\"close_time\":%llu,\"permutations\":%u,"
           "\"seed\":%llu,\"at_least\":%llu,\"permutation_mean\":",
           (unsigned long long)r->pairs, (unsigned long long)r->close_space,
           (unsigned long long)r->close_time, r->permutations, (unsigned long long)r->seed,
           (unsigned long long)r->at_least);
    cli_put_number(stdout, r->perm_mean, 1);
    printf(",\"permutation_min\":%llu,\"permutation_max\":%llu}\n", (unsigned long long)r->perm_min,
           (unsigned long long)r->perm_max);
}

int cmd_analyze_knox(struct cli *cli, int argc, char **argv)
{
    static const struct option longopts[] = {{"events", required_argument, NULL, 'e'},
                                             {"space", required_argument, NULL, 's'},
                                             {"time", required_argument, NULL, 't'},
                                             {"permutations", required_argument, NULL, 'p'},
                                             {"seed", required_argument, NULL, 'S'},
                                             {"threads", required_argument, NULL, 'j'},
                                             {"format", required_argument, NULL, 'o'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    struct vg_knox_opts o;
    enum cli_format fmt = CLI_FMT_TABLE;
    const char *path = NULL;
    int have_space = 0, have_time = 0, c;

    (void)cli;
    vg_knox_opts_init(&o);
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            path = optarg;
            break;
        case 's':
            if (cli_parse_number(optarg, &o.space) || !(o.space > 0))
                return cli_usage_error(cmd, "--space must be a number greater than 0, not '%s'",
                                       optarg);
            have_space = 1;
            break;
        case 't':
            if (cli_parse_number(optarg, &o.time) || !(o.time >= 0))
                return cli_usage_error(cmd, "--time must be a number of days, 0 or more, not '%s'",
                                       optarg);
            have_time = 1;
            break;
        case 'p':
        case 'S':
        case 'j':
            if (cli_permutation_option(cmd, c, optarg, &o.permutations, &o.seed, &o.threads))
                return CLI_USAGE;
            break;
        case 'o':
            if (cli_format_option(cmd, optarg, &fmt))
                return CLI_USAGE;
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
    if (!path)
        return cli_usage_error(cmd, "--events FILE is required");
    if (!have_space)
        return cli_usage_error(cmd, "--space D is required");
    if (!have_time)
        return cli_usage_error(cmd, "--time T is required");

    struct vg_knox_events ev;
    struct vg_knox_result r;
    struct vg_error err;
    int status = CLI_OK;
    vg_error_clear(&err);
    vg_knox_events_init(&ev);
    if (vg_knox_read_path(path, &ev, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else if (ev.n < 2) {
        cli_fail("%s: the Knox test needs at least two events, the file has %s", path,
                 ev.n ? "one" : "none (a header and no rows)");
        status = CLI_ERROR;
    } else if (vg_knox_run(ev.x, ev.y, ev.t, ev.n, &o, &r, NULL, &err)) {
        cli_error(&err);
        status = CLI_ERROR;
    } else if (fmt == CLI_FMT_CSV) {
        print_csv(&r, o.space, o.time);
    } else if (fmt == CLI_FMT_JSON) {
        print_json(&r, o.space, o.time);
    } else {
        print_table(&r, o.space, o.time);
    }
    vg_knox_events_cleanup(&ev);
    return status;
}
