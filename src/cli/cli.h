/* cli.h - what the sub-commands of the `vigil` program share. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include "vigil/vigil.h"

#include <stdio.h>

/* Exit statuses of every command. */
enum {
    CLI_OK = 0,
    CLI_ERROR = 1,   /* the command could not do its job */
    CLI_USAGE = 2,   /* the command line is wrong */
    CLI_PARTIAL = 3, /* done, but some input was rejected */
    CLI_INTERRUPTED = 130
};

struct cli {
    const char *db_path; /* --db, else $VIGIL_DB, else ./vigil.db */
};

/* Prints "vigil: [file:line: ][column: ]message" to stderr. */
void cli_error(const struct vg_error *err);
/* Prints "vigil: " and a message to stderr. */
void cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage error and the hint to run `vigil CMD --help`; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens the store at cli->db_path, printing the error on failure. */
int cli_open_store(const struct cli *cli, int flags, struct vg_store **out);
/* Writes s as a CSV field (quoted when needed). */
void cli_csv_field(FILE *f, const char *s);
/* Writes s as a JSON string. */
void cli_json_string(FILE *f, const char *s);

int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);

#endif
