/* cmd_analyze.c - `vigil analyze`: the analyses, one sub-command each (cmd_analyze_<name>.c). */
#include "cli.h"

#include <string.h>

static const struct {
    const char *name;
    int (*run)(struct cli *, int, char **);
    const char *summary;
} analyses[] = {
    {"trend", cmd_analyze_trend, "incidents, killed and wounded per period, with the change"},
    {"surge", cmd_analyze_surge, "periods that break the pattern (CUSUM, EWMA, EARS)"},
    {"gistar", cmd_analyze_gistar, "Getis-Ord Gi* hot and cold spots of a CSV of points"},
    {"hotspots", cmd_analyze_hotspots, "hot and cold spots of incidents on a grid, and density"},
    {"knox", cmd_analyze_knox, "Knox test of space-time clustering of a CSV of events"},
    {"nearrepeat", cmd_analyze_nearrepeat, "near-repeat table of incidents over distance and time"},
};

#define NANALYSES (sizeof(analyses) / sizeof(analyses[0]))

static void usage(FILE *f)
{
    fputs("Usage: vigil [--db PATH] analyze ANALYSIS [OPTIONS]\n\nAnalyses:\n", f);
    for (size_t i = 0; i < NANALYSES; i++)
        fprintf(f, "  %-11s %s\n", analyses[i].name, analyses[i].summary);
    fputs("\n'vigil analyze ANALYSIS --help' describes one.\n", f);
}

int cmd_analyze(struct cli *cli, int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < NANALYSES; i++)
        if (strcmp(argv[1], analyses[i].name) == 0)
            return analyses[i].run(cli, argc - 1, argv + 1);
    fprintf(stderr, "vigil analyze: unknown analysis '%s'\n", argv[1]);
    usage(stderr);
    return CLI_USAGE;
}
