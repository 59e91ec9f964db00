/* cli.c - helpers shared by the sub-commands: error printing, opening the store, output quoting.
 * Everything here writes to the standard streams; the library itself never does. */
#include "cli.h"

#include <stdarg.h>
#include <string.h>

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
