/* cmd_analyze_knox.c - `vigil analyze knox` (being written). */
#include "cli.h"

int cmd_analyze_knox(struct cli *cli, int argc, char **argv)
{
    (void)cli;
    (void)argc;
    (void)argv;
    cli_fail("analyze knox: not available in this build");
    return CLI_ERROR;
}
