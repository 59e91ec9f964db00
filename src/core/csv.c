/* csv.c - streaming reader of delimited text.
 *
 * Data structure: one input buffer `buf` holding the unconsumed bytes [start, end). A record is
 * parsed from `start`; when the parse runs off the end of the data before the record is complete,
 * the unconsumed tail is moved to the front, more input is read, and the record is parsed again
 * from its beginning (records straddle a chunk boundary rarely, so the re-parse costs little and
 * keeps the parser free of saved state). Field bytes are copied, unquoted, into `out`, each
 * followed by a NUL, so the raw record in `buf` stays intact for reject reports.
 *
 * The buffer starts at 256 KiB and doubles when one record fills it, up to max_record plus one
 * read chunk, so small inputs cost little memory and long records still fit.
 *
 * Caps: a record longer than max_record bytes, or with more than max_fields fields, becomes an
 * error record. Recovery after an error is line-based: the reader reports the record's first line
 * and resumes at the next line, so a stray quote costs one line, not the rest of the file.
 *
 * Invariants: start <= end <= size; `line` is the physical line number of the byte at `start`.
 * Ownership: the reader owns buf, out and the field arrays; the fd or memory block is the
 * caller's. Not thread-safe: one reader per thread. */
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/mem.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)        /* room to read beyond the longest record */
#define FIRST_SIZE (256u << 10) /* the buffer starts here and grows for long records */

enum { PARSE_DONE, PARSE_MORE, PARSE_ERROR };

struct vg_csv {
    int fd;          /* -1 when reading from memory */
    const char *mem; /* memory source */
    size_t mem_len, mem_pos;
    char *buf;
    size_t size, start, end;
    int eof;       /* no more input after end */
    int skip_line; /* discard input up to the next newline (error recovery) */
    int started;   /* delimiter detected, BOM and sep= line handled */
    char delim;
    size_t max_record, max_fields;
    long line;
    uint64_t consumed; /* bytes before `start` already handed out */
    size_t last_start; /* where the record last returned began, for vg_csv_resync */
    size_t last_used;  /* its length; 0 when there is nothing to resync */
    long last_line;
    int text_after_quote;       /* the record being parsed has text after a closing quote */
    unsigned char special[256]; /* bytes that end an unquoted run: delimiter, CR, LF */
    char *out;                  /* unquoted field bytes, NUL after each */
    size_t out_size;
    size_t max_size; /* the buffer never grows past max_record + CHUNK */
    size_t *offs;    /* field start offsets into out */
    char **fields;
    size_t *lens;
    size_t nfields;
    const char *err_msg;
};

static int open_common(const struct vg_csv_opts *opts, struct vg_csv **out)
{
    struct vg_csv *r = vg_calloc(1, sizeof(*r));
    if (!r)
        return VG_ENOMEM;
    r->delim = opts ? opts->delimiter : 0;
    r->max_record = opts && opts->max_record ? opts->max_record : VG_CSV_MAX_RECORD_DEFAULT;
    r->max_fields = opts && opts->max_fields ? opts->max_fields : VG_CSV_MAX_FIELDS_DEFAULT;
    r->max_size = r->max_record + CHUNK;
    r->size = FIRST_SIZE < r->max_size ? FIRST_SIZE : r->max_size;
    r->buf = vg_malloc(r->size);
    /* Each input byte yields at most one output byte, plus a NUL per field. */
    r->out_size = r->size + r->max_fields + 2;
    r->out = vg_malloc(r->out_size);
    r->offs = vg_malloc(r->max_fields * sizeof(*r->offs));
    r->fields = vg_malloc(r->max_fields * sizeof(*r->fields));
    r->lens = vg_malloc(r->max_fields * sizeof(*r->lens));
    if (!r->buf || !r->out || !r->offs || !r->fields || !r->lens) {
        vg_csv_destroy(r);
        return VG_ENOMEM;
    }
    r->line = 1;
    r->fd = -1;
    *out = r;
    return 0;
}

int vg_csv_open_fd(int fd, const struct vg_csv_opts *opts, struct vg_csv **out)
{
    int rc = open_common(opts, out);
    if (rc == 0)
        (*out)->fd = fd;
    return rc;
}

int vg_csv_open_mem(const void *data, size_t len, const struct vg_csv_opts *opts,
                    struct vg_csv **out)
{
    int rc = open_common(opts, out);
    if (rc == 0) {
        (*out)->mem = data;
        (*out)->mem_len = len;
    }
    return rc;
}

void vg_csv_destroy(struct vg_csv *r)
{
    if (!r)
        return;
    vg_free(r->buf);
    vg_free(r->out);
    vg_free(r->offs);
    vg_free(r->fields);
    vg_free(r->lens);
    vg_free(r);
}

char vg_csv_delimiter(const struct vg_csv *r)
{
    return r->delim;
}

uint64_t vg_csv_offset(const struct vg_csv *r)
{
    return r->consumed;
}

/* Moves the unconsumed bytes to the front, grows the buffer when they fill it, and reads more.
 * Returns 0 (possibly setting eof), VG_EIO or VG_ENOMEM. */
static int fill(struct vg_csv *r)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->size && r->size < r->max_size) {
        /* A record longer than the buffer: double it (and the field bytes with it). */
        size_t size = r->size * 2 < r->max_size ? r->size * 2 : r->max_size;
        char *buf = vg_realloc(r->buf, size);
        if (!buf)
            return VG_ENOMEM;
        r->buf = buf;
        char *out = vg_realloc(r->out, size + r->max_fields + 2);
        if (!out)
            return VG_ENOMEM;
        r->out = out;
        r->size = size;
        r->out_size = size + r->max_fields + 2;
    }
    while (!r->eof && r->end < r->size) {
        size_t want = r->size - r->end;
        if (r->fd < 0) {
            size_t left = r->mem_len - r->mem_pos;
            size_t n = left < want ? left : want;
            memcpy(r->buf + r->end, r->mem + r->mem_pos, n);
            r->mem_pos += n;
            r->end += n;
            if (r->mem_pos == r->mem_len)
                r->eof = 1;
            return 0;
        }
        ssize_t n = read(r->fd, r->buf + r->end, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return VG_EIO;
        }
        if (n == 0)
            r->eof = 1;
        r->end += (size_t)n;
        return 0;
    }
    return 0;
}

static void consume(struct vg_csv *r, size_t n, long lines)
{
    r->start += n;
    r->consumed += n;
    r->line += lines;
}

static void set_special(struct vg_csv *r)
{
    memset(r->special, 0, sizeof(r->special));
    r->special[(unsigned char)r->delim] = 1;
    r->special['\n'] = 1;
    r->special['\r'] = 1;
}

/* Detects the delimiter and skips a byte order mark and a `sep=X` line, reading until the first
 * line with content (or the whole input, if shorter) is in the buffer. */
static int start_input(struct vg_csv *r)
{
    for (;;) { /* until the first line with content is in the buffer */
        const char *b = r->buf + r->start, *e = r->buf + r->end;
        if (e - b >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0)
            b += 3;
        while (b < e && (*b == '\n' || *b == '\r'))
            b++;
        if (memchr(b, '\n', (size_t)(e - b)) || r->eof || r->end - r->start >= r->max_record)
            break;
        int rc = fill(r);
        if (rc)
            return rc;
    }
    const char *p = r->buf + r->start;
    size_t n = r->end - r->start;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
        consume(r, 3, 0);
        p += 3;
        n -= 3;
    }
    /* Blank lines before the first line with content tell nothing about the delimiter: look past
     * them (they stay in the input, as records of one empty field). */
    size_t skip = 0;
    long blank = 0;
    while (skip < n && (p[skip] == '\n' || p[skip] == '\r'))
        blank += p[skip++] == '\n';
    const char *q = p + skip;
    const char *nl = memchr(q, '\n', n - skip);
    size_t line_len = nl ? (size_t)(nl - q) : n - skip;
    size_t content = line_len;
    if (content > 0 && q[content - 1] == '\r')
        content--;
    if (content == 5 && (strncmp(q, "sep=", 4) == 0 || strncmp(q, "SEP=", 4) == 0)) {
        if (!r->delim)
            r->delim = q[4];
        consume(r, skip + (nl ? line_len + 1 : line_len), blank + 1);
    } else if (!r->delim) {
        size_t comma = 0, semi = 0, tab = 0;
        int quoted = 0;
        for (size_t i = 0; i < content; i++) {
            char c = q[i];
            if (c == '"')
                quoted = !quoted;
            else if (!quoted)
                comma += c == ',', semi += c == ';', tab += c == '\t';
        }
        r->delim = ',';
        if (semi > comma && semi >= tab)
            r->delim = ';';
        else if (tab > comma && tab > semi)
            r->delim = '\t';
    }
    set_special(r);
    r->started = 1;
    return 0;
}

static int add_field(struct vg_csv *r, size_t off, size_t len)
{
    if (r->nfields == r->max_fields) {
        r->err_msg = "too many fields in the record";
        return -1;
    }
    r->offs[r->nfields] = off;
    r->lens[r->nfields] = len;
    r->nfields++;
    return 0;
}

/* Parses one record from start. On PARSE_DONE, *used is the record's length including its line
 * end, *raw_len its length without, *lines the newlines it spans. */
static int parse(struct vg_csv *r, size_t *used, size_t *raw_len, long *lines)
{
    const char *base = r->buf + r->start;
    const char *p = base, *end = r->buf + r->end;
    const unsigned char *special = r->special;
    char *o = r->out;
    long nl = 0;

    r->nfields = 0;
    r->err_msg = NULL;
    r->text_after_quote = 0;
    for (;;) {
        char *fstart = o;
        if (p < end && *p == '"') {
            p++;
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                const char *stop = q ? q : end;
                for (const char *s = p; (s = memchr(s, '\n', (size_t)(stop - s))); s++)
                    nl++;
                memcpy(o, p, (size_t)(stop - p));
                o += stop - p;
                if (!q) {
                    if (r->eof) {
                        r->err_msg = "quoted field is never closed";
                        return PARSE_ERROR;
                    }
                    return PARSE_MORE;
                }
                p = q + 1;
                if (p == end && !r->eof)
                    return PARSE_MORE;
                if (p < end && *p == '"') { /* doubled quote */
                    *o++ = '"';
                    p++;
                    continue;
                }
                if (p < end && !special[(unsigned char)*p])
                    r->text_after_quote = 1;
                break;
            }
        }
        /* Unquoted run (the whole field, or text after a closing quote: kept as it is). A CR
         * not followed by LF is data, and the run goes on after it. */
        char c;
        for (;;) {
            while (p < end && !special[(unsigned char)*p])
                *o++ = *p++;
            if (p == end) {
                if (!r->eof)
                    return PARSE_MORE;
                if (add_field(r, (size_t)(fstart - r->out), (size_t)(o - fstart)))
                    return PARSE_ERROR;
                *o++ = '\0';
                *used = *raw_len = (size_t)(p - base);
                *lines = nl;
                return PARSE_DONE;
            }
            c = *p;
            if (c != '\r')
                break;
            if (p + 1 == end && !r->eof)
                return PARSE_MORE;
            if (p + 1 < end && p[1] == '\n') {
                if (add_field(r, (size_t)(fstart - r->out), (size_t)(o - fstart)))
                    return PARSE_ERROR;
                *o++ = '\0';
                *raw_len = (size_t)(p - base);
                *used = *raw_len + 2;
                *lines = nl + 1;
                return PARSE_DONE;
            }
            *o++ = *p++;
        }
        if (add_field(r, (size_t)(fstart - r->out), (size_t)(o - fstart)))
            return PARSE_ERROR;
        *o++ = '\0';
        if (c == '\n') {
            *raw_len = (size_t)(p - base);
            *used = *raw_len + 1;
            *lines = nl + 1;
            return PARSE_DONE;
        }
        p++; /* delimiter: next field */
        if (p == end && r->eof) {
            /* A record ending in a delimiter has an empty last field. */
            if (add_field(r, (size_t)(o - r->out), 0))
                return PARSE_ERROR;
            *o++ = '\0';
            *used = *raw_len = (size_t)(p - base);
            *lines = nl;
            return PARSE_DONE;
        }
    }
}

/* Error recovery: report the record's first line and resume after it. */
static void error_record(struct vg_csv *r, struct vg_csv_record *rec, int code, const char *msg)
{
    const char *base = r->buf + r->start;
    size_t avail = r->end - r->start;
    const char *nl = memchr(base, '\n', avail);
    size_t len = nl ? (size_t)(nl - base) : avail;
    size_t raw = len > 0 && base[len - 1] == '\r' ? len - 1 : len;
    rec->nfields = 0;
    rec->line = r->line;
    rec->raw = base;
    rec->raw_len = raw;
    rec->error = code;
    rec->error_msg = msg;
    if (nl) {
        consume(r, len + 1, 1);
    } else {
        consume(r, len, 1);
        r->skip_line = !r->eof;
    }
}

int vg_csv_next(struct vg_csv *r, struct vg_csv_record *rec)
{
    int rc;
    memset(rec, 0, sizeof(*rec));
    r->last_used = 0;
    if (!r->started && (rc = start_input(r)))
        return rc;
    for (;;) {
        if (r->skip_line) {
            char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
            if (nl) {
                consume(r, (size_t)(nl - (r->buf + r->start)) + 1, 0);
                r->skip_line = 0;
            } else {
                consume(r, r->end - r->start, 0);
                if (r->eof)
                    return 0;
                if ((rc = fill(r)))
                    return rc;
                continue;
            }
        }
        if (r->start == r->end) {
            if (r->eof)
                return 0;
            if ((rc = fill(r)))
                return rc;
            continue;
        }
        size_t used = 0, raw_len = 0;
        long lines = 0;
        int st = parse(r, &used, &raw_len, &lines);
        if (st == PARSE_MORE) {
            if (r->end - r->start > r->max_record) {
                error_record(r, rec, VG_ETOOBIG, "record is longer than the limit");
                return 1;
            }
            if ((rc = fill(r)))
                return rc;
            continue;
        }
        if (st == PARSE_ERROR) {
            error_record(r, rec, r->nfields == r->max_fields ? VG_ETOOBIG : VG_EFORMAT, r->err_msg);
            return 1;
        }
        if (used > r->max_record) {
            error_record(r, rec, VG_ETOOBIG, "record is longer than the limit");
            return 1;
        }
        for (size_t i = 0; i < r->nfields; i++)
            r->fields[i] = r->out + r->offs[i];
        rec->nfields = r->nfields;
        rec->fields = r->fields;
        rec->lens = r->lens;
        rec->line = r->line;
        rec->raw = r->buf + r->start;
        rec->raw_len = raw_len;
        rec->text_after_quote = r->text_after_quote;
        r->last_start = r->start;
        r->last_used = used;
        r->last_line = r->line;
        consume(r, used, lines);
        return 1;
    }
}

int vg_csv_resync(struct vg_csv *r)
{
    if (!r->last_used)
        return 0;
    const char *base = r->buf + r->last_start;
    const char *nl = memchr(base, '\n', r->last_used);
    if (!nl || (size_t)(nl - base) + 1 >= r->last_used)
        return 0; /* the record is one line: nothing to go back to */
    size_t first = (size_t)(nl - base) + 1;
    r->consumed -= r->last_used - first;
    r->start = r->last_start + first;
    r->line = r->last_line + 1;
    r->last_used = 0;
    return 1;
}
