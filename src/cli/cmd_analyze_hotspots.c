/* cmd_analyze_hotspots.c - `vigil analyze hotspots` (being written). */
#include "cli.h"

int cmd_analyze_hotspots(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    cli_fail("analyze hotspots: not available in this build");
    return CLI_ERROR;
}
