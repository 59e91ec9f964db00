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

/* An output file that appears whole or not at all: written to an unnamed file (O_TMPFILE) in
 * the target's directory and given its name at commit, so a killed process leaves nothing behind.
 * Where the file system has no unnamed files, a temporary name is used instead. */
struct cli_outfile {
    FILE *f;
    char *path;
    char *tmp; /* the temporary name, when one is used */
};

int cli_outfile_open(struct cli_outfile *o, const char *path);
/* Closes the file and puts it in place; returns 0 or -1 (errno set). */
int cli_outfile_commit(struct cli_outfile *o);
/* Closes and discards the file. */
void cli_outfile_abort(struct cli_outfile *o);

int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);

#endif
