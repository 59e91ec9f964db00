/* ingest.c - reading incident files into the store.
 *
 * The flow for one file: open it, read the header (delimited text) or each object's keys (JSON
 * lines), map the columns (gtd.c), then for every row: split it, check its field count, bring its
 * text to UTF-8, convert it, and upsert it. Rows that fail any step go to the caller's on_reject
 * with their line and the column at fault; the rest are stored.
 *
 * Transactions: rows are written by a second thread (writer.c) in batches, one transaction each.
 * A process killed in the middle loses at most the two batches not yet committed (the journal keeps
 * the database consistent); since every write is an upsert keyed on (source, source_id), running
 * the same ingest again stores the rest and leaves the committed rows as they are. Large inputs are
 * written in the store's bulk mode (vg_store_bulk_begin), which halves the bytes written.
 *
 * Counts: the store tells for each upsert whether it inserted, updated or left the row as it was;
 * rows read and rejected are counted here.
 *
 * A check (vg_ingest_opts.check) runs the same reading and conversion with no writer and no store.
 *
 * Encoding: with VG_ENCODING_AUTO the first row holding a byte above 0x7F decides: UTF-8 when its
 * text is well-formed UTF-8, else ISO-8859-1 for the whole file. In UTF-8 a row with malformed
 * text is rejected; in Latin-1 every byte is converted.
 *
 * Ownership: everything allocated here is freed before returning. Not thread-safe with respect to
 * the store: one ingest per store at a time. */
#include "vigil/ingest.h"
#include "vigil/csv.h"
#include "vigil/incident.h"
#include "vigil/mem.h"
#include "vigil/store.h"
#include "vigil/text.h"

#include "gtd.h"
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Inputs at least this large are written in the store's bulk mode. */
#define BULK_BYTES (32u << 20)
#define PROGRESS_STEP (4u << 20)
#define JSONL_MAX_LINE (4u << 20)

struct ingest {
    struct vg_store *store;
    const char *name;
    const struct vg_ingest_opts *opts;
    struct vg_ingest_stats *stats; /* this file's counts */
    struct vg_error *err;
    struct vg__writer *writer;
    struct vg__gtd_row row;
    struct vg_buf conv; /* text converted to UTF-8 */
    enum vg_encoding enc;
    uint64_t total, next_progress;
};

static int do_reject(struct ingest *in, long line, const char *column, const char *reason,
                     const char *raw, size_t raw_len)
{
    in->stats->rejected++;
    if (!in->opts->on_reject)
        return 0;
    struct vg_reject rej = {in->name, line, column ? column : "", reason, raw, raw_len};
    int rc = in->opts->on_reject(in->opts->ctx, &rej);
    if (rc)
        return vg_error_set(in->err, rc < 0 ? rc : VG_EINVAL, "stopped after a rejected row");
    return 0;
}

static int progress(struct ingest *in, uint64_t done)
{
    if (in->opts->on_progress && done >= in->next_progress) {
        in->opts->on_progress(in->opts->ctx, done, in->total);
        in->next_progress = done + PROGRESS_STEP;
    }
    if (in->opts->cancel && *in->opts->cancel)
        return vg_error_set(in->err, VG_EINVAL, "interrupted");
    return 0;
}

/* Brings the n fields to UTF-8. Returns 0, 1 when the row must be rejected (*bad is the field),
 * or a negative code. */
static int to_utf8(struct ingest *in, char **f, size_t *lens, size_t n, const char *raw,
                   size_t raw_len, size_t *bad)
{
    if (vg_text_is_ascii(raw, raw_len))
        return 0;
    if (in->enc == VG_ENCODING_AUTO) {
        in->enc = VG_ENCODING_UTF8;
        for (size_t i = 0; i < n; i++)
            if (!vg_text_is_utf8(f[i], lens[i]))
                in->enc = VG_ENCODING_LATIN1;
    }
    if (in->enc == VG_ENCODING_UTF8) {
        for (size_t i = 0; i < n; i++) {
            if (!vg_text_is_utf8(f[i], lens[i])) {
                *bad = i;
                return 1;
            }
        }
        return 0;
    }
    /* Latin-1: convert every field into conv, then point the fields there. */
    size_t offs[n > 0 ? n : 1];
    vg_buf_reset(&in->conv);
    for (size_t i = 0; i < n; i++) {
        int rc;
        offs[i] = in->conv.len;
        if ((rc = vg_text_latin1_to_utf8(&in->conv, f[i], lens[i])) ||
            (rc = vg_buf_putc(&in->conv, '\0')))
            return rc;
        lens[i] = in->conv.len - offs[i] - 1;
    }
    for (size_t i = 0; i < n; i++)
        f[i] = in->conv.data + offs[i];
    return 0;
}

/* Converts and stores one row of values. Returns 0 (stored or rejected) or a negative code. */
static int take_row(struct ingest *in, const struct vg__gtd_map *map, char **f, size_t *lens,
                    size_t n, long line, const char *raw, size_t raw_len)
{
    int rc =
        vg__gtd_convert(map, f, lens, n, in->opts->source ? in->opts->source : "GTD", &in->row);
    if (rc == VG_EFORMAT)
        return do_reject(in, line, in->row.bad_column, in->row.reason, raw, raw_len);
    if (rc == VG_ETOOBIG)
        return do_reject(in, line, "", "the row's extra columns are too large", raw, raw_len);
    if (rc)
        return vg_error_set(in->err, rc, "%s", vg_strerror(rc));
    if (!in->writer) /* a check: nothing is stored */
        rc = vg__writer_row_fits(&in->row.inc) ? 0 : VG_ETOOBIG;
    else
        rc = vg__writer_add(in->writer, &in->row.inc, line, in->err);
    if (rc == VG_ETOOBIG)
        return do_reject(in, line, "", "the row is too large to store", raw, raw_len);
    return rc;
}

/* Reports a failure of the CSV reader: a failed read (errno says why), or another code. */
static void read_error(struct ingest *in, int rc)
{
    if (rc == VG_EIO)
        vg_error_set(in->err, rc, "cannot read: %s", strerror(errno));
    else
        vg_error_set(in->err, rc, "cannot read: %s", vg_strerror(rc));
}

static int ingest_csv(struct ingest *in, int fd)
{
    struct vg_csv_opts copts = {.delimiter = in->opts->delimiter};
    struct vg_csv *csv = NULL;
    struct vg__gtd_map *map = NULL;
    struct vg_csv_record rec;
    int rc = vg_csv_open_fd(fd, &copts, &csv);
    if (rc)
        return vg_error_set(in->err, rc, "%s", vg_strerror(rc));

    /* The header: the first record that is not blank. */
    do {
        rc = vg_csv_next(csv, &rec);
    } while (rc == 1 && !rec.error && rec.nfields == 1 && rec.lens[0] == 0);
    if (rc < 0) {
        read_error(in, rc);
        goto done;
    }
    if (rc == 0) {
        rc = vg_error_set(in->err, VG_EFORMAT, "the file is empty: no header line");
        goto done;
    }
    if (rec.error) {
        rc = vg_error_set(in->err, VG_EFORMAT, "the header cannot be read: %s", rec.error_msg);
        in->err->line = rec.line;
        goto done;
    }
    size_t hdr_bad = 0;
    if ((rc = to_utf8(in, rec.fields, rec.lens, rec.nfields, rec.raw, rec.raw_len, &hdr_bad))) {
        if (rc > 0)
            rc = vg_error_set(in->err, VG_EFORMAT, "column %zu of the header is not UTF-8",
                              hdr_bad + 1);
        goto done;
    }
    if ((rc = vg__gtd_map_create(rec.fields, rec.lens, rec.nfields, &map, in->err))) {
        in->err->line = rec.line;
        goto done;
    }
    size_t ncols = vg__gtd_map_columns(map);

    while ((rc = vg_csv_next(csv, &rec)) == 1) {
        if ((rc = progress(in, vg_csv_offset(csv))))
            goto done;
        if (rec.error) {
            in->stats->rows++;
            if ((rc = do_reject(in, rec.line, "", rec.error_msg, rec.raw, rec.raw_len)))
                goto done;
            continue;
        }
        if (rec.nfields == 1 && rec.lens[0] == 0)
            continue; /* a blank line is not a row */
        in->stats->rows++;
        const char *nl = memchr(rec.raw, '\n', rec.raw_len);
        if (rec.nfields != ncols || (nl && rec.text_after_quote)) {
            char why[160];
            size_t raw_len = rec.raw_len;
            long line = rec.line;
            if (nl) {
                /* A record over several lines with the wrong field count is most likely a stray
                 * quote that swallowed the lines after it: reject its first line only and read
                 * the others again as rows of their own. */
                raw_len = (size_t)(nl - rec.raw);
                if (raw_len && rec.raw[raw_len - 1] == '\r')
                    raw_len--;
                if (rec.nfields != ncols)
                    snprintf(why, sizeof(why),
                             "expected %zu fields as in the header, found %zu in a quoted field "
                             "spanning lines; reading resumes on the next line",
                             ncols, rec.nfields);
                else
                    snprintf(why, sizeof(why),
                             "a quoted field spanning lines closes before other text: a stray "
                             "quote; reading resumes on the next line");
            } else {
                snprintf(why, sizeof(why), "expected %zu fields as in the header, found %zu", ncols,
                         rec.nfields);
            }
            if ((rc = do_reject(in, line, "", why, rec.raw, raw_len)))
                goto done;
            if (nl)
                vg_csv_resync(csv);
            continue;
        }
        size_t bad = 0;
        if (memchr(rec.raw, '\0', rec.raw_len)) {
            if ((rc =
                     do_reject(in, rec.line, "", "the row holds a NUL byte", rec.raw, rec.raw_len)))
                goto done;
            continue;
        }
        rc = to_utf8(in, rec.fields, rec.lens, rec.nfields, rec.raw, rec.raw_len, &bad);
        if (rc > 0) {
            if ((rc = do_reject(in, rec.line, vg__gtd_map_name(map, bad), "text is not valid UTF-8",
                                rec.raw, rec.raw_len)))
                goto done;
            continue;
        }
        if (rc < 0 || (rc = take_row(in, map, rec.fields, rec.lens, rec.nfields, rec.line, rec.raw,
                                     rec.raw_len)))
            goto done;
    }
    if (rc < 0)
        read_error(in, rc);
done:
    if (in->err && in->err->code && !in->err->file[0])
        snprintf(in->err->file, sizeof(in->err->file), "%s", in->name);
    vg__gtd_map_destroy(map);
    vg_csv_destroy(csv);
    return rc;
}

/* ---- JSON lines ---- */

/* Turns one JSON object into parallel arrays of names and values (text). Returns 0, or a reason
 * the line cannot be taken in *why. */
static int json_to_fields(json_t *obj, struct vg_buf *text, char ***names, char ***vals,
                          size_t **nlens, size_t **vlens, size_t *n, const char **why)
{
    size_t count = json_object_size(obj), i = 0;
    const char *key;
    json_t *v;
    *names = vg_calloc(count, sizeof(char *));
    *vals = vg_calloc(count, sizeof(char *));
    *nlens = vg_calloc(count, sizeof(size_t));
    *vlens = vg_calloc(count, sizeof(size_t));
    size_t *voff = vg_calloc(count, sizeof(size_t));
    if (!*names || !*vals || !*nlens || !*vlens || !voff) {
        vg_free(voff);
        return VG_ENOMEM;
    }
    vg_buf_reset(text);
    json_object_foreach(obj, key, v)
    {
        int rc = 0;
        voff[i] = text->len;
        switch (json_typeof(v)) {
        case JSON_STRING:
            rc = vg_buf_append(text, json_string_value(v), json_string_length(v));
            break;
        case JSON_INTEGER:
            rc = vg_buf_printf(text, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
            break;
        case JSON_REAL: { /* the shortest text that reads back as the same number */
            char num[32];
            double x = json_real_value(v);
            for (int prec = 15; prec <= 17; prec++) {
                snprintf(num, sizeof(num), "%.*g", prec, x);
                if (strtod(num, NULL) == x)
                    break;
            }
            rc = vg_buf_append(text, num, strlen(num));
            break;
        }
        case JSON_TRUE:
            rc = vg_buf_putc(text, '1');
            break;
        case JSON_FALSE:
            rc = vg_buf_putc(text, '0');
            break;
        case JSON_NULL:
            break;
        default:
            vg_free(voff);
            *why = key;
            return 1;
        }
        if (!rc)
            rc = vg_buf_putc(text, '\0');
        if (rc) {
            vg_free(voff);
            return rc;
        }
        (*vlens)[i] = text->len - voff[i] - 1;
        (*names)[i] = (char *)key;
        (*nlens)[i] = strlen(key);
        i++;
    }
    for (size_t k = 0; k < i; k++)
        (*vals)[k] = text->data + voff[k];
    *n = i;
    vg_free(voff);
    return 0;
}

static int ingest_jsonl(struct ingest *in, int fd)
{
    struct vg_buf line, text;
    char chunk[65536];
    size_t pos = 0, have = 0;
    long lineno = 0;
    uint64_t offset = 0;
    int rc = 0, eof = 0;
    vg_buf_init(&line, JSONL_MAX_LINE);
    vg_buf_init(&text, JSONL_MAX_LINE * 2);

    for (;;) {
        /* Assemble one line. */
        vg_buf_reset(&line);
        int too_long = 0, got = 0;
        for (;;) {
            if (pos == have) {
                if (eof)
                    break;
                ssize_t r = read(fd, chunk, sizeof(chunk));
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0) {
                    rc = vg_error_set(in->err, VG_EIO, "cannot read: %s", strerror(errno));
                    goto done;
                }
                if (r == 0) {
                    eof = 1;
                    break;
                }
                have = (size_t)r;
                pos = 0;
            }
            got = 1;
            char *nl = memchr(chunk + pos, '\n', have - pos);
            size_t take = nl ? (size_t)(nl - (chunk + pos)) : have - pos;
            if (!too_long) {
                int arc = vg_buf_append(&line, chunk + pos, take);
                if (arc == VG_ETOOBIG) {
                    too_long = 1;
                } else if (arc) {
                    rc = vg_error_set(in->err, arc, "%s", vg_strerror(arc));
                    goto done;
                }
            }
            pos += take + (nl ? 1 : 0);
            offset += take + (nl ? 1 : 0);
            if (nl)
                break;
        }
        if (!got && eof)
            break;
        lineno++;
        if ((rc = progress(in, offset)))
            goto done;
        size_t len = line.len;
        if (len && line.data[len - 1] == '\r')
            line.data[--len] = '\0';
        if (too_long) {
            in->stats->rows++;
            if ((rc = do_reject(in, lineno, "", "line is longer than the limit", line.data,
                                line.len)))
                goto done;
            continue;
        }
        size_t sp = 0;
        while (sp < len && (line.data[sp] == ' ' || line.data[sp] == '\t'))
            sp++;
        if (sp == len)
            continue;
        in->stats->rows++;
        json_error_t jerr;
        json_t *obj = json_loadb(line.data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!obj || !json_is_object(obj)) {
            char why[240];
            if (obj)
                snprintf(why, sizeof(why), "the line is not a JSON object");
            else
                snprintf(why, sizeof(why), "invalid JSON at column %d: %s", jerr.column, jerr.text);
            json_decref(obj);
            if ((rc = do_reject(in, lineno, "", why, line.data, len)))
                goto done;
            continue;
        }
        char **names = NULL, **vals = NULL;
        size_t *nlens = NULL, *vlens = NULL, n = 0;
        const char *why = NULL;
        struct vg__gtd_map *map = NULL;
        struct vg_error merr;
        vg_error_clear(&merr);
        rc = json_to_fields(obj, &text, &names, &vals, &nlens, &vlens, &n, &why);
        if (rc == 1) {
            rc = do_reject(in, lineno, why, "nested objects and arrays are not accepted", line.data,
                           len);
        } else if (rc == 0 && (rc = vg__gtd_map_create(names, nlens, n, &map, &merr)) != 0) {
            rc = rc == VG_EFORMAT || rc == VG_ETOOBIG
                     ? do_reject(in, lineno, "",
                                 rc == VG_EFORMAT ? "the object has no eventid or no year (iyear "
                                                    "or year)"
                                                  : merr.message,
                                 line.data, len)
                     : vg_error_set(in->err, rc, "%s", merr.message);
        } else if (rc == 0) {
            rc = take_row(in, map, vals, vlens, n, lineno, line.data, len);
        } else {
            vg_error_set(in->err, rc, "%s", vg_strerror(rc));
        }
        vg__gtd_map_destroy(map);
        vg_free(names);
        vg_free(vals);
        vg_free(nlens);
        vg_free(vlens);
        json_decref(obj);
        if (rc)
            goto done;
    }
done:
    if (rc && in->err && !in->err->file[0]) {
        snprintf(in->err->file, sizeof(in->err->file), "%s", in->name);
        if (!in->err->line)
            in->err->line = lineno;
    }
    vg_buf_cleanup(&line);
    vg_buf_cleanup(&text);
    return rc;
}

static int is_jsonl(const char *name)
{
    size_t n = strlen(name);
    return (n > 6 && strcmp(name + n - 6, ".jsonl") == 0) ||
           (n > 7 && strcmp(name + n - 7, ".ndjson") == 0);
}

static void on_inserted(void *ctx, int64_t id, const struct vg_incident *inc)
{
    struct ingest *in = ctx;
    in->opts->on_inserted(in->opts->ctx, id, inc);
}

static int on_write_fail(void *ctx, long line, const char *reason)
{
    struct ingest *in = ctx;
    return do_reject(in, line, "", reason, "", 0);
}

int vg_ingest_fd(struct vg_store *s, int fd, const char *name, const struct vg_ingest_opts *opts,
                 struct vg_ingest_stats *stats, struct vg_error *err)
{
    static const struct vg_ingest_opts defaults;
    struct ingest in;
    struct vg_ingest_stats mine = {0};
    struct vg_error local, werr;
    int rc, bulk = 0;

    if (!err)
        err = &local;
    vg_error_clear(err);
    vg_error_clear(&werr);
    memset(&in, 0, sizeof(in));
    in.store = s;
    in.name = name;
    in.opts = opts ? opts : &defaults;
    in.stats = &mine;
    in.err = err;
    in.enc = in.opts->encoding;
    vg__gtd_row_init(&in.row);
    vg_buf_init(&in.conv, 2 * VG_CSV_MAX_RECORD_DEFAULT + VG_CSV_MAX_FIELDS_DEFAULT);
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
        in.total = (uint64_t)sb.st_size;

    if (in.opts->check)
        goto read; /* no writer: rows are converted and counted, not stored */
    if (in.total >= BULK_BYTES)
        bulk = vg_store_bulk_begin(s) == 0;
    if ((rc = vg__writer_start(s, in.opts->batch_rows, on_write_fail,
                               in.opts->on_inserted ? on_inserted : NULL, &in, &in.writer, err)))
        goto done;
read:
    if (in.opts->format == VG_FORMAT_JSONL || (in.opts->format == VG_FORMAT_AUTO && is_jsonl(name)))
        rc = ingest_jsonl(&in, fd);
    else
        rc = ingest_csv(&in, fd);
    /* Keep what was read well, even when the input broke off. */
    int wrc = vg__writer_finish(in.writer, &mine.inserted, &mine.updated, &werr);
    in.writer = NULL;
    if (wrc && !rc) {
        *err = werr;
        rc = wrc;
    }
    if (!rc && in.opts->on_progress && in.total)
        in.opts->on_progress(in.opts->ctx, in.total, in.total);
    if (!rc && !in.opts->check)
        mine.unchanged = mine.rows - mine.rejected - mine.inserted - mine.updated;
done:
    if (bulk)
        vg_store_bulk_end(s);
    stats->rows += mine.rows;
    stats->inserted += mine.inserted;
    stats->updated += mine.updated;
    stats->unchanged += mine.unchanged;
    stats->rejected += mine.rejected;
    vg__gtd_row_cleanup(&in.row);
    vg_buf_cleanup(&in.conv);
    return rc;
}

int vg_ingest_path(struct vg_store *s, const char *path, const struct vg_ingest_opts *opts,
                   struct vg_ingest_stats *stats, struct vg_error *err)
{
    vg_error_clear(err);
    if (strcmp(path, "-") == 0)
        return vg_ingest_fd(s, STDIN_FILENO, "<stdin>", opts, stats, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = vg_error_set(err, VG_EIO, "cannot open: %s", strerror(errno));
        if (err)
            snprintf(err->file, sizeof(err->file), "%s", path);
        return rc;
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        int rc = vg_error_set(err, VG_EINVAL, "is a directory, not a file");
        if (err)
            snprintf(err->file, sizeof(err->file), "%s", path);
        return rc;
    }
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    int rc = vg_ingest_fd(s, fd, path, opts, stats, err);
    close(fd);
    return rc;
}
