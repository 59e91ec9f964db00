/* cmd_analyze_surge.c - `vigil analyze surge` (being written). */
#include "cli.h"

int cmd_analyze_surge(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    cli_fail("analyze surge: not available in this build");
    return CLI_ERROR;
}
