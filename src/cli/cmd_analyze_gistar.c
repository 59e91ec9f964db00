/* cmd_analyze_gistar.c - `vigil analyze gistar` (being written). */
#include "cli.h"

int cmd_analyze_gistar(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    cli_fail("analyze gistar: not available in this build");
    return CLI_ERROR;
}
