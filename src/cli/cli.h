/* cli.h - what the sub-commands of the `vigil` program share. */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include "vigil/vigil.h"

#include <stdint.h>
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
/* Parses a whole argument as a finite number; 0, or -1 when it is not one. */
int cli_parse_number(const char *s, double *out);
/* Parses a whole argument as a decimal whole number from lo to hi; 0, or -1. */
int cli_parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
/* Parses the value of option --opt as a whole number from lo to hi; else prints "--opt must be a
 * whole number from lo to hi, not 'arg'" for command cmd and returns CLI_USAGE. */
int cli_count_option(const char *cmd, const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                     uint64_t *out);
/* Writes v as the shortest decimal that reads back as v (up to 17 digits); a NaN or infinity
 * is written as null when json is set, else as nothing. */
void cli_put_number(FILE *f, double v, int json);
/* Finds arg among names (NULL-terminated) and sets *out to its index. When it is not there,
 * prints "unknown WHAT 'arg' (a, b or c)" for command cmd and returns CLI_USAGE; else 0. */
int cli_choice(const char *cmd, const char *what, const char *arg, const char *const *names,
               int *out);
/* The output formats most commands offer (--format table|csv|json). */
enum cli_format { CLI_FMT_TABLE, CLI_FMT_CSV, CLI_FMT_JSON };
/* Parses the value of --format into *out; else prints the problem for command cmd and returns
 * CLI_USAGE. */
int cli_format_option(const char *cmd, const char *arg, enum cli_format *out);
/* Opens the database read-only, its analytic cube, and the selection of filter: what every
 * analysis of incidents starts with. Prints the error and returns -1 on failure (whatever was
 * opened is in the out-parameters, for the caller to close). */
int cli_open_selection(const struct cli *cli, const struct vg_filter *filter,
                       struct vg_store **store, struct vg_cube **cube, struct vg_selection **sel);
/* A change made from the command line is recorded in the audit log in the same transaction as
 * the change itself: cli_change_begin, the change, then cli_change_end with whether the change
 * succeeded (it then appends the record, actor "cli:<login name>", and commits; else it rolls
 * back). Both print their errors and return 0 or -1. */
int cli_change_begin(struct vg_store *s);
int cli_change_end(struct vg_store *s, int ok, const char *action, const char *object);
/* The same for a command that makes one change: cli_change_open opens the store and begins (0,
 * or -1 after printing the error, with nothing left open); cli_change_close ends the change with
 * whether status is CLI_OK, the object formatted from fmt, closes the store and returns status,
 * or CLI_ERROR when status was CLI_OK but the change could not be recorded. */
int cli_change_open(const struct cli *cli, struct vg_store **out);
int cli_change_close(struct vg_store *s, int status, const char *action, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
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

/* Where a command writes its result: standard output, or (--out FILE) a cli_outfile. */
struct cli_output {
    FILE *f;
    const char *name; /* for messages */
    int to_file, open;
    struct cli_outfile file;
};

/* Opens the output; path NULL means standard output. Prints the error; returns 0 or -1. */
int cli_output_open(struct cli_output *o, const char *path);
/* Checks that everything was written and puts a file in place. Prints the error; returns 0 or
 * -1. */
int cli_output_close(struct cli_output *o);
/* Discards a file that was not closed; does nothing otherwise. */
void cli_output_abort(struct cli_output *o);
/* Closes the file and puts it in place; returns 0 or -1 (errno set). */
int cli_outfile_commit(struct cli_outfile *o);
/* Closes and discards the file. */
void cli_outfile_abort(struct cli_outfile *o);

/* What `vigil ingest` and `vigil sites import` share: the options --encoding and --delimiter,
 * the rejected rows, the summary, the exit status, and Ctrl-C. */

/* Parses --encoding (auto, utf-8 or utf8, latin1 or iso-8859-1, without case but auto) and
 * --delimiter (one character but '"', or 'tab'). Return 0, or CLI_USAGE after printing the
 * problem for command cmd. */
int cli_encoding_option(const char *cmd, const char *arg, enum vg_encoding *out);
int cli_delimiter_option(const char *cmd, const char *arg, char *out);

/* Set by SIGINT and SIGTERM once cli_catch_interrupt has run: the import commits what it read
 * and stops (the cancel of vg_ingest_opts and vg_sites_import_opts). */
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_interrupt(void);

#define CLI_SHOWN_REJECTS 10 /* rejected rows shown on stderr */

/* The rejected rows of an import: the first CLI_SHOWN_REJECTS on stderr, and with --rejects FILE
 * every one in FILE as a JSON line {"file","line","column","reason","raw"} (a raw row that is not
 * UTF-8 is read as Latin-1). FILE is a cli_outfile: it appears when the import ends, whole.
 * Zeroed, it is closed. */
struct cli_rejects {
    const char *path; /* FILE, or NULL */
    struct cli_outfile out;
    long shown; /* rows reported so far, on stderr or not */
};

/* Opens FILE (path NULL: none). Prints the error; returns 0 or -1. */
int cli_rejects_open(struct cli_rejects *r, const char *path);
/* An on_reject callback, ctx a struct cli_rejects: reports rej. 0, or VG_EIO when FILE cannot be
 * written. */
int cli_rejects_add(void *ctx, const struct vg_reject *rej);
/* Ends an import: puts FILE in place, says how many rejected rows were not shown, prints the
 * summary st (one JSON object with json, nothing with quiet) and, when cli_interrupted is set,
 * that the command can be run again. Returns the exit status: CLI_INTERRUPTED, else CLI_ERROR
 * when failed or FILE could not be written, else CLI_PARTIAL when rows were rejected, else
 * CLI_OK. */
int cli_import_end(struct cli_rejects *r, const struct vg_ingest_stats *st, int json, int quiet,
                   int failed);
/* The same for a check (`vigil ingest --check`): the summary counts valid and rejected rows. */
int cli_check_end(struct cli_rejects *r, const struct vg_ingest_stats *st, int json, int quiet,
                  int failed);
/* Discards FILE when cli_import_end did not put it in place; does nothing otherwise. */
void cli_rejects_abort(struct cli_rejects *r);

/* A command made of sub-commands (`vigil key create`, `vigil audit verify`, ...). */
struct cli_subcommand {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv); /* argv[0] is the sub-command */
};

/* Runs the sub-command argv[1] of command cmd from table (NULL-named entry last): none, or an
 * unknown one, prints help to stderr and is a usage error; --help prints it to stdout. */
int cli_subcommands(struct cli *cli, const char *cmd, const struct cli_subcommand *table,
                    void (*help)(FILE *f), int argc, char **argv);
/* The single argument after the options (getopt's optind), called what in messages; NULL after
 * printing a usage error for command cmd when it is missing or followed by another. */
const char *cli_one_arg(const char *cmd, const char *what, int argc, char **argv);

int cmd_ingest(struct cli *cli, int argc, char **argv);
int cmd_stats(struct cli *cli, int argc, char **argv);
int cmd_analyze(struct cli *cli, int argc, char **argv);
int cmd_org(struct cli *cli, int argc, char **argv);
int cmd_user(struct cli *cli, int argc, char **argv);
int cmd_key(struct cli *cli, int argc, char **argv);
int cmd_audit(struct cli *cli, int argc, char **argv);
int cmd_serve(struct cli *cli, int argc, char **argv);
int cmd_retention(struct cli *cli, int argc, char **argv);
int cmd_sites(struct cli *cli, int argc, char **argv);
int cmd_risk(struct cli *cli, int argc, char **argv);

/* `vigil sites assess` (cmd_sites_assess.c), run by cmd_sites; argv[0] is "assess". */
int cmd_sites_assess(struct cli *cli, int argc, char **argv);

/* Shared by `vigil risk` and `vigil sites` (cmd_risk.c). */
struct vg_risk_scales;
struct vg_risk_state;
struct vg_risk_result;
struct vg_site;
struct vg_threat;
struct vg_site_lookup;
/* When vg_site_lookup passed over other sites to find site for key (info), says which on stderr
 * as a note; else prints nothing. */
void cli_site_lookup_note(const char *key, const struct vg_site *site,
                          const struct vg_site_lookup *info);
/* Finds rel (such as "risk/checklist-v1.csv") under $VIGIL_DATA, else beside the program
 * (../data, ../../data, ../share/vigil), else /usr/share/vigil; 0 with its path, or -1. */
int cli_data_path(const char *rel, char *path, size_t n);
/* Loads the risk scales from dir, or (dir NULL) from data/risk found as cli_data_path does.
 * Prints the error; returns 0 or -1. */
int cli_risk_scales(const char *dir, struct vg_risk_scales **out);
/* Loads the stored answers and ratings of site into state and scores it with threat (NULL: no
 * estimate). Prints the error; returns 0 or -1. */
int cli_risk_score_site(struct vg_store *store, const struct vg_risk_scales *scales,
                        const struct vg_site *site, const struct vg_threat *threat,
                        struct vg_risk_state *state, struct vg_risk_result *r);
/* Prints a site's checklist with the state of each item, as a table. */
void cli_risk_print_checklist(FILE *f, const struct vg_risk_result *r);

/* The sub-commands of `vigil analyze`, one cmd_analyze_<name>.c each. argv[0] is the
 * sub-command's name. */
int cmd_analyze_trend(struct cli *cli, int argc, char **argv);
int cmd_analyze_surge(struct cli *cli, int argc, char **argv);
int cmd_analyze_gistar(struct cli *cli, int argc, char **argv);
int cmd_analyze_hotspots(struct cli *cli, int argc, char **argv);
int cmd_analyze_knox(struct cli *cli, int argc, char **argv);
int cmd_analyze_nearrepeat(struct cli *cli, int argc, char **argv);

/* Closes what cli_open_selection opened (any of them may be NULL). */
void cli_close_selection(struct vg_store *store, struct vg_cube *cube, struct vg_selection *sel);
/* Says on stderr how many of the selected incidents series s left out for want of a date precise
 * enough for period; prints nothing when none was. */
void cli_series_note(const struct vg_series *s, enum vg_period period);
/* Writes the members ,"first":P,"last":P,"selected":N,"left_out":N of a JSON object describing
 * series s (first and last are null when it has no periods). */
void cli_series_json_span(FILE *f, const struct vg_series *s);
/* Handles the Monte Carlo options of `analyze knox` and `analyze nearrepeat`, given as getopt
 * returned them: --permutations B ('p', 1 to VG_KNOX_MAX_PERMUTATIONS), --seed N ('S') and
 * --threads N ('j', 1 to 64). Returns 0, or CLI_USAGE after printing the problem for command
 * cmd. */
int cli_permutation_option(const char *cmd, int c, const char *arg, uint32_t *permutations,
                           uint64_t *seed, unsigned *threads);

/* Handles the options every analysis of incidents shares: --where FIELD=VALUE, --from DATE and
 * --to DATE, given as getopt returned them (c is 'w', 'F' or 'T'). Returns 0, or CLI_USAGE after
 * printing the problem for command cmd. */
int cli_filter_option(const char *cmd, int c, const char *arg, struct vg_filter *f);
/* The getopt_long entries of those options, to copy into a command's table. */
#define CLI_FILTER_OPTIONS                                                                         \
    {"where", required_argument, NULL, 'w'}, {"from", required_argument, NULL, 'F'},               \
    {                                                                                              \
        "to", required_argument, NULL, 'T'                                                         \
    }
#define CLI_FILTER_HELP                                                                            \
    "  --where FIELD=VALUE        keep only matching incidents; repeat the same FIELD\n"           \
    "                             for either value, different fields must all match\n"             \
    "  --from YYYY[-MM[-DD]]      first date (inclusive)\n"                                        \
    "  --to YYYY[-MM[-DD]]        last date (inclusive)\n"

#endif
