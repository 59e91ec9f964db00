/* cmd_analyze_nearrepeat.c - `vigil analyze nearrepeat` (being written). */
#include "cli.h"

int cmd_analyze_nearrepeat(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    cli_fail("analyze nearrepeat: not available in this build");
    return CLI_ERROR;
}
