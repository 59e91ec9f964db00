/* cmd_analyze_trend.c - `vigil analyze trend` (being written). */
#include "cli.h"

int cmd_analyze_trend(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    cli_fail("analyze trend: not available in this build");
    return CLI_ERROR;
}
