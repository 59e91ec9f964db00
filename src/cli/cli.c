/* cli.c - helpers shared by the sub-commands: error printing, opening the store, output quoting.
 * Everything here writes to the standard streams; the library itself never does. */
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <math.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

void cli_error(const struct vg_error *err)
{
    fputs("vigil: ", stderr);
    if (err->file[0]) {
        fputs(err->file, stderr);
        if (err->line)
            fprintf(stderr, ":%ld", err->line);
        fputs(": ", stderr);
    }
    if (err->column[0])
        fprintf(stderr, "column %s: ", err->column);
    fprintf(stderr, "%s\n", err->message[0] ? err->message : vg_strerror(err->code));
}

void cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("vigil: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "vigil %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'vigil %s --help'.\n", cmd);
    return CLI_USAGE;
}

int cli_open_store(const struct cli *cli, int flags, struct vg_store **out)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_store_open(cli->db_path, flags, out, &err)) {
        cli_error(&err);
        return CLI_ERROR;
    }
    return 0;
}

int cli_choice(const char *cmd, const char *what, const char *arg, const char *const *names,
               int *out)
{
    size_t n = 0;
    for (; names[n]; n++) {
        if (strcmp(arg, names[n]) == 0) {
            *out = (int)n;
            return 0;
        }
    }
    char list[256];
    size_t len = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && len < sizeof(list); i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? " or "
                                             : ", ",
                                names[i]);
    return cli_usage_error(cmd, "unknown %s '%s' (%s)", what, arg, list);
}

int cli_format_option(const char *cmd, const char *arg, enum cli_format *out)
{
    /* In the order of enum cli_format. */
    static const char *const formats[] = {"table", "csv", "json", NULL};
    int f;
    if (cli_choice(cmd, "format", arg, formats, &f))
        return CLI_USAGE;
    *out = (enum cli_format)f;
    return 0;
}

int cli_open_selection(const struct cli *cli, const struct vg_filter *filter,
                       struct vg_store **store, struct vg_cube **cube, struct vg_selection **sel)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (cli_open_store(cli, VG_STORE_READONLY, store))
        return -1;
    if (vg_cube_open(*store, cube, &err) || vg_selection_create(*cube, filter, sel, &err)) {
        cli_error(&err);
        return -1;
    }
    return 0;
}

void cli_close_selection(struct vg_store *store, struct vg_cube *cube, struct vg_selection *sel)
{
    vg_selection_destroy(sel);
    vg_cube_close(cube);
    vg_store_close(store);
}

void cli_series_note(const struct vg_series *s, enum vg_period period)
{
    if (s->left_out)
        fprintf(stderr,
                "vigil: note: %" PRId64 " of %" PRId64 " incidents left out: their date has no "
                "%s\n",
                s->left_out, s->selected, period == VG_PERIOD_WEEK ? "month or no day" : "month");
}

void cli_series_json_span(FILE *f, const struct vg_series *s)
{
    char label[24];
    if (s->nperiods) {
        vg_series_period_label(s->period, s->first, label, sizeof(label));
        fprintf(f, ",\"first\":\"%s\"", label);
        vg_series_period_label(s->period, s->first + (int64_t)s->nperiods - 1, label,
                               sizeof(label));
        fprintf(f, ",\"last\":\"%s\"", label);
    } else {
        fputs(",\"first\":null,\"last\":null", f);
    }
    fprintf(f, ",\"selected\":%" PRId64 ",\"left_out\":%" PRId64, s->selected, s->left_out);
}

int cli_permutation_option(const char *cmd, int c, const char *arg, uint32_t *permutations,
                           uint64_t *seed, unsigned *threads)
{
    uint64_t v;
    switch (c) {
    case 'p':
        if (cli_count_option(cmd, "permutations", arg, 1, VG_KNOX_MAX_PERMUTATIONS, &v))
            return CLI_USAGE;
        *permutations = (uint32_t)v;
        return 0;
    case 'S':
        return cli_count_option(cmd, "seed", arg, 0, UINT64_MAX, seed);
    default:
        if (cli_count_option(cmd, "threads", arg, 1, 64, &v))
            return CLI_USAGE;
        *threads = (unsigned)v;
        return 0;
    }
}

int cli_parse_number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int cli_parse_count(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1; /* no sign, no blank: strtoull would take them */
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cli_count_option(const char *cmd, const char *opt, const char *arg, uint64_t lo, uint64_t hi,
                     uint64_t *out)
{
    if (cli_parse_count(arg, lo, hi, out) == 0)
        return 0;
    return cli_usage_error(cmd, "--%s must be a whole number from %llu to %llu, not '%s'", opt,
                           (unsigned long long)lo, (unsigned long long)hi, arg);
}

void cli_put_number(FILE *f, double v, int json)
{
    if (!isfinite(v)) {
        fputs(json ? "null" : "", f);
        return;
    }
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    fputs(buf, f);
}

void cli_csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    if (!s[strcspn(s, ",\"\r\n")]) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void cli_json_string(FILE *f, const char *s)
{
    struct vg_buf b;
    vg_buf_init(&b, (size_t)1 << 30);
    if (vg_buf_json_string(&b, s, strlen(s)) == 0)
        fwrite(b.data, 1, b.len, f);
    vg_buf_cleanup(&b);
}

int cli_outfile_open(struct cli_outfile *o, const char *path)
{
    memset(o, 0, sizeof(*o));
    size_t n = strlen(path);
    o->path = malloc(n + 1);
    o->tmp = malloc(n + 32);
    if (!o->path || !o->tmp)
        goto fail;
    memcpy(o->path, path, n + 1);
    /* The directory of the target, for the unnamed file. */
    char *dir = malloc(n + 2);
    if (!dir)
        goto fail;
    memcpy(dir, path, n + 1);
    char *slash = strrchr(dir, '/');
    if (!slash)
        memcpy(dir, ".", 2);
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    free(dir);
    if (fd >= 0) {
        free(o->tmp);
        o->tmp = NULL;
    } else {
        snprintf(o->tmp, n + 32, "%s.tmp%ld", path, (long)getpid());
        fd = open(o->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            goto fail;
    }
    if (!(o->f = fdopen(fd, "w"))) {
        close(fd);
        goto fail;
    }
    return 0;
fail:
    cli_outfile_abort(o);
    return -1;
}

int cli_outfile_commit(struct cli_outfile *o)
{
    int rc = -1;
    if (!o->f || fflush(o->f) != 0)
        goto done;
    if (!o->tmp) {
        char proc[64], tmp[4200];
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(o->f));
        snprintf(tmp, sizeof(tmp), "%s.tmp%ld", o->path, (long)getpid());
        unlink(tmp);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
            goto done;
        if (rename(tmp, o->path) != 0) {
            unlink(tmp);
            goto done;
        }
    } else if (rename(o->tmp, o->path) != 0) {
        goto done;
    } else {
        free(o->tmp);
        o->tmp = NULL;
    }
    rc = 0;
done:;
    int saved = errno;
    if (o->f && fclose(o->f) != 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    o->f = NULL;
    cli_outfile_abort(o);
    errno = saved;
    return rc;
}

void cli_outfile_abort(struct cli_outfile *o)
{
    if (o->f)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    free(o->path);
    memset(o, 0, sizeof(*o));
}

int cli_filter_option(const char *cmd, int c, const char *arg, struct vg_filter *f)
{
    struct vg_error err;
    int rc;
    vg_error_clear(&err);
    if (c == 'w')
        rc = vg_filter_add_where(f, arg, &err);
    else if (c == 'F')
        rc = vg_date_key(arg, 0, &f->from, &err);
    else
        rc = vg_date_key(arg, 1, &f->to, &err);
    if (rc)
        return cli_usage_error(cmd, "%s", err.message);
    if (f->from && f->to && f->from > f->to)
        return cli_usage_error(cmd, "--from is after --to");
    return 0;
}

int cli_output_open(struct cli_output *o, const char *path)
{
    memset(o, 0, sizeof(*o));
    o->f = stdout;
    o->name = "standard output";
    if (!path)
        return 0;
    if (cli_outfile_open(&o->file, path) != 0) {
        cli_fail("cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    o->f = o->file.f;
    o->name = path;
    o->to_file = o->open = 1;
    return 0;
}

int cli_output_close(struct cli_output *o)
{
    if (fflush(o->f) != 0 || ferror(o->f)) {
        cli_fail("cannot write %s: %s", o->name, strerror(errno));
        return -1;
    }
    if (o->to_file) {
        o->open = 0;
        if (cli_outfile_commit(&o->file) != 0) {
            cli_fail("cannot write %s: %s", o->name, strerror(errno));
            return -1;
        }
    }
    return 0;
}

void cli_output_abort(struct cli_output *o)
{
    if (o->open)
        cli_outfile_abort(&o->file);
    o->open = 0;
}

int cli_change_begin(struct vg_store *s)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_store_begin(s, &err)) {
        cli_error(&err);
        return -1;
    }
    return 0;
}

int cli_change_end(struct vg_store *s, int ok, const char *action, const char *object)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (!ok) {
        vg_store_rollback(s);
        return -1;
    }
    const struct passwd *pw = getpwuid(geteuid());
    char actor[128];
    snprintf(actor, sizeof(actor), "cli:%s", pw && pw->pw_name ? pw->pw_name : "unknown");
    struct vg_audit_entry e = {0};
    e.actor = actor;
    e.action = action;
    e.object = object;
    e.purpose = "administration";
    if (vg_audit_append(s, &e, NULL, &err) || vg_store_commit(s, &err)) {
        cli_error(&err);
        vg_store_rollback(s);
        return -1;
    }
    return 0;
}

int cli_change_open(const struct cli *cli, struct vg_store **out)
{
    struct vg_store *s = NULL;
    if (cli_open_store(cli, 0, &s))
        return -1;
    if (cli_change_begin(s)) {
        vg_store_close(s);
        return -1;
    }
    *out = s;
    return 0;
}

int cli_change_close(struct vg_store *s, int status, const char *action, const char *fmt, ...)
{
    char object[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(object, sizeof(object), fmt, ap);
    va_end(ap);
    if (cli_change_end(s, status == CLI_OK, action, object) && status == CLI_OK)
        status = CLI_ERROR;
    vg_store_close(s);
    return status;
}

int cli_subcommands(struct cli *cli, const char *cmd, const struct cli_subcommand *table,
                    void (*help)(FILE *f), int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return CLI_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        help(stdout);
        return CLI_OK;
    }
    for (const struct cli_subcommand *t = table; t->name; t++)
        if (strcmp(argv[1], t->name) == 0)
            return t->run(cli, argc - 1, argv + 1);
    fprintf(stderr, "vigil %s: unknown command '%s'\n", cmd, argv[1]);
    help(stderr);
    return CLI_USAGE;
}

const char *cli_one_arg(const char *cmd, const char *what, int argc, char **argv)
{
    if (optind >= argc) {
        cli_usage_error(cmd, "missing the %s", what);
        return NULL;
    }
    if (optind + 1 < argc) {
        cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
        return NULL;
    }
    return argv[optind];
}

int cli_encoding_option(const char *cmd, const char *arg, enum vg_encoding *out)
{
    if (strcmp(arg, "auto") == 0)
        *out = VG_ENCODING_AUTO;
    else if (strcasecmp(arg, "utf-8") == 0 || strcasecmp(arg, "utf8") == 0)
        *out = VG_ENCODING_UTF8;
    else if (strcasecmp(arg, "latin1") == 0 || strcasecmp(arg, "iso-8859-1") == 0)
        *out = VG_ENCODING_LATIN1;
    else
        return cli_usage_error(cmd, "unknown encoding '%s'", arg);
    return 0;
}

int cli_delimiter_option(const char *cmd, const char *arg, char *out)
{
    if (strcmp(arg, "tab") == 0 || strcmp(arg, "\\t") == 0)
        *out = '\t';
    else if (strlen(arg) == 1 && arg[0] != '"' && arg[0] != '\n')
        *out = arg[0];
    else
        return cli_usage_error(cmd, "the delimiter must be one character or 'tab'");
    return 0;
}

volatile sig_atomic_t cli_interrupted;

static void on_interrupt(int sig)
{
    (void)sig;
    cli_interrupted = 1;
}

void cli_catch_interrupt(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_rejects_open(struct cli_rejects *r, const char *path)
{
    r->path = path;
    if (path && cli_outfile_open(&r->out, path) != 0) {
        cli_fail("cannot write %s: %m", path);
        return -1;
    }
    return 0;
}

int cli_rejects_add(void *ctx, const struct vg_reject *rej)
{
    struct cli_rejects *c = ctx;
    if (c->shown < CLI_SHOWN_REJECTS)
        fprintf(stderr, "vigil: %s:%ld: %s%s%s\n", rej->file, rej->line, rej->column,
                rej->column[0] ? ": " : "", rej->reason);
    c->shown++;
    if (!c->out.f)
        return 0;
    struct vg_buf b;
    vg_buf_init(&b, (size_t)1 << 30);
    vg_buf_printf(&b, "{\"file\":");
    vg_buf_json_string(&b, rej->file, strlen(rej->file));
    vg_buf_printf(&b, ",\"line\":%ld,\"column\":", rej->line);
    vg_buf_json_string(&b, rej->column, strlen(rej->column));
    vg_buf_printf(&b, ",\"reason\":");
    vg_buf_json_string(&b, rej->reason, strlen(rej->reason));
    vg_buf_printf(&b, ",\"raw\":");
    /* The raw row may not be UTF-8 (a Latin-1 file): it is then read as Latin-1 and written as
     * UTF-8, so the line stays valid JSON and the bytes can be recovered. */
    struct vg_buf raw;
    vg_buf_init(&raw, (size_t)1 << 30);
    if (vg_text_is_utf8(rej->raw, rej->raw_len))
        vg_buf_json_string(&b, rej->raw, rej->raw_len);
    else if (vg_text_latin1_to_utf8(&raw, rej->raw, rej->raw_len) == 0)
        vg_buf_json_string(&b, raw.data, raw.len);
    vg_buf_cleanup(&raw);
    vg_buf_printf(&b, "}\n");
    int ok = b.data && fwrite(b.data, 1, b.len, c->out.f) == b.len;
    vg_buf_cleanup(&b);
    return ok ? 0 : VG_EIO;
}

/* Puts the rejects file in place and says how many rejected rows were not shown. Returns 0, or 1
 * when the file could not be written. */
static int rejects_end(struct cli_rejects *r)
{
    int failed = 0;
    if (r->out.f && cli_outfile_commit(&r->out) != 0) {
        cli_fail("cannot write %s: %m", r->path);
        failed = 1;
    }
    if (r->shown > CLI_SHOWN_REJECTS)
        fprintf(stderr, "vigil: ... %ld more rejected rows%s%s\n", r->shown - CLI_SHOWN_REJECTS,
                r->path ? ", all listed in " : " (use --rejects FILE to keep them)",
                r->path ? r->path : "");
    return failed;
}

static int import_status(const struct vg_ingest_stats *st, int failed)
{
    return failed ? CLI_ERROR : st->rejected ? CLI_PARTIAL : CLI_OK;
}

int cli_import_end(struct cli_rejects *r, const struct vg_ingest_stats *st, int json, int quiet,
                   int failed)
{
    failed |= rejects_end(r);
    if (json)
        printf("{\"rows\":%lld,\"inserted\":%lld,\"updated\":%lld,\"unchanged\":%lld,"
               "\"rejected\":%lld}\n",
               (long long)st->rows, (long long)st->inserted, (long long)st->updated,
               (long long)st->unchanged, (long long)st->rejected);
    else if (!quiet)
        printf("%lld rows: %lld inserted, %lld updated, %lld unchanged, %lld rejected\n",
               (long long)st->rows, (long long)st->inserted, (long long)st->updated,
               (long long)st->unchanged, (long long)st->rejected);
    if (cli_interrupted) {
        cli_fail("interrupted: the rows above are stored; run the same command again to finish");
        return CLI_INTERRUPTED;
    }
    return import_status(st, failed);
}

int cli_check_end(struct cli_rejects *r, const struct vg_ingest_stats *st, int json, int quiet,
                  int failed)
{
    failed |= rejects_end(r);
    long long valid = (long long)(st->rows - st->rejected);
    if (json)
        printf("{\"rows\":%lld,\"valid\":%lld,\"rejected\":%lld}\n", (long long)st->rows, valid,
               (long long)st->rejected);
    else if (!quiet)
        printf("%lld rows: %lld valid, %lld rejected (checked only: nothing was stored)\n",
               (long long)st->rows, valid, (long long)st->rejected);
    if (cli_interrupted) {
        cli_fail("interrupted: the rows above were checked, the rest were not");
        return CLI_INTERRUPTED;
    }
    return import_status(st, failed);
}

void cli_rejects_abort(struct cli_rejects *r)
{
    cli_outfile_abort(&r->out);
}
