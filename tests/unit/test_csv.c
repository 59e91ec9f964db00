/* test_csv.c - the streaming reader of delimited text (src/core/csv.c).
 *
 * Most cases read from memory and copy every record out, then compare fields, line numbers and
 * raw bytes with what the input says. The chunk-boundary cases place the hard spots of the
 * grammar (a CR LF pair, a doubled quote, a closing quote, an embedded line end) exactly where the
 * reader's first read ends, and feed a large input through a pipe. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/mem.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#define CHUNK (1u << 20) /* the reader's read size beyond max_record */

/* A record copied out of the reader. */
struct rec {
    long line;
    int error;
    size_t nfields;
    char **fields;
    size_t *lens;
    char *raw;
    size_t raw_len;
};

struct recs {
    struct rec *v;
    size_t n, cap;
    char delim;
    uint64_t offset;
};

static char *memdup0(const char *p, size_t n)
{
    char *d = malloc(n + 1);
    assert_non_null(d);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

static void recs_free(struct recs *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        for (size_t k = 0; k < rs->v[i].nfields; k++)
            free(rs->v[i].fields[k]);
        free(rs->v[i].fields);
        free(rs->v[i].lens);
        free(rs->v[i].raw);
    }
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}

/* Reads every record of an open reader; fails the test on a negative return. */
static void drain(struct vg_csv *r, struct recs *rs)
{
    struct vg_csv_record rec;
    int rc;
    memset(rs, 0, sizeof(*rs));
    while ((rc = vg_csv_next(r, &rec)) == 1) {
        if (rs->n == rs->cap) {
            rs->cap = rs->cap ? rs->cap * 2 : 16;
            rs->v = realloc(rs->v, rs->cap * sizeof(*rs->v));
            assert_non_null(rs->v);
        }
        struct rec *c = &rs->v[rs->n++];
        c->line = rec.line;
        c->error = rec.error;
        c->nfields = rec.nfields;
        c->fields = calloc(rec.nfields ? rec.nfields : 1, sizeof(char *));
        c->lens = calloc(rec.nfields ? rec.nfields : 1, sizeof(size_t));
        assert_non_null(c->fields);
        assert_non_null(c->lens);
        for (size_t k = 0; k < rec.nfields; k++) {
            /* Fields are NUL-terminated at their length. */
            assert_int_equal(rec.fields[k][rec.lens[k]], '\0');
            c->fields[k] = memdup0(rec.fields[k], rec.lens[k]);
            c->lens[k] = rec.lens[k];
        }
        c->raw = memdup0(rec.raw, rec.raw_len);
        c->raw_len = rec.raw_len;
        if (rec.error)
            assert_non_null(rec.error_msg);
    }
    assert_int_equal(rc, 0);
    /* The end stays the end. */
    assert_int_equal(vg_csv_next(r, &rec), 0);
    rs->delim = vg_csv_delimiter(r);
    rs->offset = vg_csv_offset(r);
}

static void read_mem(const char *data, size_t len, const struct vg_csv_opts *opts, struct recs *rs)
{
    struct vg_csv *r = NULL;
    assert_int_equal(vg_csv_open_mem(data, len, opts, &r), 0);
    assert_non_null(r);
    drain(r, rs);
    vg_csv_destroy(r);
}

static void read_str(const char *data, const struct vg_csv_opts *opts, struct recs *rs)
{
    read_mem(data, strlen(data), opts, rs);
}

/* Checks that record i is a good record on `line` with exactly the given fields. */
static void expect_rec(const struct recs *rs, size_t i, long line, size_t n, ...)
{
    if (i >= rs->n)
        fail_msg("record %zu expected, only %zu read", i, rs->n);
    const struct rec *c = &rs->v[i];
    assert_int_equal(c->error, 0);
    assert_int_equal(c->line, line);
    assert_int_equal(c->nfields, n);
    va_list ap;
    va_start(ap, n);
    for (size_t k = 0; k < n; k++) {
        const char *want = va_arg(ap, const char *);
        assert_int_equal(c->lens[k], strlen(want));
        assert_string_equal(c->fields[k], want);
    }
    va_end(ap);
}

static void expect_raw(const struct recs *rs, size_t i, const char *raw)
{
    assert_true(i < rs->n);
    assert_int_equal(rs->v[i].raw_len, strlen(raw));
    assert_memory_equal(rs->v[i].raw, raw, strlen(raw));
}

/* ---- delimiters ---- */

static void test_delimiter_comma(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a,b,c\n1,2,3\n", NULL, &rs);
    assert_int_equal(rs.delim, ',');
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 1, 3, "a", "b", "c");
    expect_rec(&rs, 1, 2, 3, "1", "2", "3");
    recs_free(&rs);
}

static void test_delimiter_semicolon(void **state)
{
    (void)state;
    struct recs rs;
    /* Commas appear in the data, but the header has more semicolons. */
    read_str("a;b;c\n1,5;2;x,y\n", NULL, &rs);
    assert_int_equal(rs.delim, ';');
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 1, 3, "a", "b", "c");
    expect_rec(&rs, 1, 2, 3, "1,5", "2", "x,y");
    recs_free(&rs);
}

static void test_delimiter_tab(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a\tb\tc,d\n1\t2\t3;4\n", NULL, &rs);
    assert_int_equal(rs.delim, '\t');
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 1, 3, "a", "b", "c,d");
    expect_rec(&rs, 1, 2, 3, "1", "2", "3;4");
    recs_free(&rs);
}

static void test_delimiter_ignores_quoted(void **state)
{
    (void)state;
    struct recs rs;
    /* Three semicolons inside quotes, two commas outside: the delimiter is the comma. */
    read_str("\"x;y;z;w\",b,c\n1,2,3\n", NULL, &rs);
    assert_int_equal(rs.delim, ',');
    expect_rec(&rs, 0, 1, 3, "x;y;z;w", "b", "c");
    recs_free(&rs);
}

static void test_delimiter_sep_line(void **state)
{
    (void)state;
    struct recs rs;
    /* The sep= line names the delimiter even when the header has more commas, and is not a
     * record; line numbers still count it. */
    read_str("sep=;\na,b,c;d\n1;2\n", NULL, &rs);
    assert_int_equal(rs.delim, ';');
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 2, 2, "a,b,c", "d");
    expect_rec(&rs, 1, 3, 2, "1", "2");
    recs_free(&rs);

    read_str("sep=|\r\nx|y\r\n", NULL, &rs);
    assert_int_equal(rs.delim, '|');
    assert_int_equal(rs.n, 1);
    expect_rec(&rs, 0, 2, 2, "x", "y");
    recs_free(&rs);

    read_str("SEP=\t\nx\ty\n", NULL, &rs);
    assert_int_equal(rs.delim, '\t');
    expect_rec(&rs, 0, 2, 2, "x", "y");
    recs_free(&rs);
}

static void test_delimiter_given(void **state)
{
    (void)state;
    struct recs rs;
    struct vg_csv_opts opts = {.delimiter = ';'};
    read_str("a,b,c\n1,2;3\n", &opts, &rs);
    assert_int_equal(rs.delim, ';');
    expect_rec(&rs, 0, 1, 1, "a,b,c");
    expect_rec(&rs, 1, 2, 2, "1,2", "3");
    recs_free(&rs);
}

/* ---- byte order mark, line ends ---- */

static void test_bom(void **state)
{
    (void)state;
    struct recs rs;
    read_str("\xEF\xBB\xBF"
             "a;b\n1;2\n",
             NULL, &rs);
    assert_int_equal(rs.delim, ';');
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 1, 2, "a", "b");
    expect_raw(&rs, 0, "a;b");
    expect_rec(&rs, 1, 2, 2, "1", "2");
    recs_free(&rs);

    /* A BOM before a sep= line. */
    read_str("\xEF\xBB\xBFsep=;\r\neventid;year\r\n1;2014\r\n", NULL, &rs);
    assert_int_equal(rs.delim, ';');
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 2, 2, "eventid", "year");
    expect_rec(&rs, 1, 3, 2, "1", "2014");
    recs_free(&rs);
}

static void test_crlf_and_lf(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a,b\r\n1,2\n3,4\r\n\"5\",\"6\"\r\n", NULL, &rs);
    assert_int_equal(rs.n, 4);
    expect_rec(&rs, 0, 1, 2, "a", "b");
    expect_raw(&rs, 0, "a,b");
    expect_rec(&rs, 1, 2, 2, "1", "2");
    expect_raw(&rs, 1, "1,2");
    expect_rec(&rs, 2, 3, 2, "3", "4");
    expect_raw(&rs, 2, "3,4");
    expect_rec(&rs, 3, 4, 2, "5", "6");
    expect_raw(&rs, 3, "\"5\",\"6\"");
    recs_free(&rs);
}

static void test_lone_cr_is_data(void **state)
{
    (void)state;
    struct recs rs;
    /* A CR not followed by LF is part of the field, it neither ends nor splits it. */
    read_str("a\rb,c\nd,e\n", NULL, &rs);
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 0, 1, 2, "a\rb", "c");
    expect_rec(&rs, 1, 2, 2, "d", "e");
    recs_free(&rs);
}

static void test_blank_lines(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a,b\n\n1,2\n", NULL, &rs);
    assert_int_equal(rs.n, 3);
    expect_rec(&rs, 0, 1, 2, "a", "b");
    expect_rec(&rs, 1, 2, 1, "");
    expect_rec(&rs, 2, 3, 2, "1", "2");
    recs_free(&rs);
}

/* ---- quoting ---- */

static void test_quoted_fields(void **state)
{
    (void)state;
    struct recs rs;
    const char *in = "id,text,note\n"
                     "1,\"Kabul, Afghanistan\",\"he said \"\"stop\"\"\"\n"
                     "2,\"\",\"\"\"\"\n"
                     "3,\"ab\"cd,plain \"quote\" inside\n";
    read_str(in, NULL, &rs);
    assert_int_equal(rs.n, 4);
    expect_rec(&rs, 1, 2, 3, "1", "Kabul, Afghanistan", "he said \"stop\"");
    expect_raw(&rs, 1, "1,\"Kabul, Afghanistan\",\"he said \"\"stop\"\"\"");
    expect_rec(&rs, 2, 3, 3, "2", "", "\"");
    /* Text after a closing quote is kept; a quote inside an unquoted field is data. */
    expect_rec(&rs, 3, 4, 3, "3", "abcd", "plain \"quote\" inside");
    recs_free(&rs);
}

static void test_multiline_records(void **state)
{
    (void)state;
    struct recs rs;
    const char *in = "id,summary,n\n"                    /* line 1 */
                     "1,\"first line\nsecond line\",5\n" /* lines 2-3 */
                     "2,\"a\r\nb\n\nc\",6\r\n"           /* lines 4-7 */
                     "3,plain,7\n";                      /* line 8 */
    read_str(in, NULL, &rs);
    assert_int_equal(rs.n, 4);
    expect_rec(&rs, 0, 1, 3, "id", "summary", "n");
    expect_rec(&rs, 1, 2, 3, "1", "first line\nsecond line", "5");
    expect_raw(&rs, 1, "1,\"first line\nsecond line\",5");
    expect_rec(&rs, 2, 4, 3, "2", "a\r\nb\n\nc", "6");
    expect_raw(&rs, 2, "2,\"a\r\nb\n\nc\",6");
    expect_rec(&rs, 3, 8, 3, "3", "plain", "7");
    expect_raw(&rs, 3, "3,plain,7");
    assert_int_equal(rs.offset, strlen(in));
    recs_free(&rs);
}

static void test_unclosed_quote_costs_one_line(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a,b\n1,\"oops\n2,x\n3,y\n", NULL, &rs);
    assert_int_equal(rs.n, 4);
    expect_rec(&rs, 0, 1, 2, "a", "b");
    assert_int_equal(rs.v[1].error, VG_EFORMAT);
    assert_int_equal(rs.v[1].line, 2);
    assert_int_equal(rs.v[1].nfields, 0);
    expect_raw(&rs, 1, "1,\"oops");
    expect_rec(&rs, 2, 3, 2, "2", "x");
    expect_rec(&rs, 3, 4, 2, "3", "y");
    recs_free(&rs);

    /* On the last line, without a line end. */
    read_str("a,b\r\n1,2\r\n3,\"x", NULL, &rs);
    assert_int_equal(rs.n, 3);
    expect_rec(&rs, 1, 2, 2, "1", "2");
    assert_int_equal(rs.v[2].error, VG_EFORMAT);
    assert_int_equal(rs.v[2].line, 3);
    expect_raw(&rs, 2, "3,\"x");
    recs_free(&rs);
}

/* ---- caps ---- */

static void test_record_too_long(void **state)
{
    (void)state;
    struct recs rs;
    struct vg_csv_opts opts = {.max_record = 16};
    const char *in = "a,b\n"
                     "1,0123456789abcdefghij\n"
                     "2,ok\r\n"
                     "3,\"0123456789\n0123456789\"\n"
                     "4,end\n";
    read_str(in, &opts, &rs);
    assert_int_equal(rs.n, 6);
    expect_rec(&rs, 0, 1, 2, "a", "b");
    assert_int_equal(rs.v[1].error, VG_ETOOBIG);
    assert_int_equal(rs.v[1].line, 2);
    assert_int_equal(rs.v[1].nfields, 0);
    expect_raw(&rs, 1, "1,0123456789abcdefghij");
    expect_rec(&rs, 2, 3, 2, "2", "ok");
    /* A long multi-line record: its first line is reported, reading resumes on the next. */
    assert_int_equal(rs.v[3].error, VG_ETOOBIG);
    assert_int_equal(rs.v[3].line, 4);
    /* The second physical line of the long record is read as what it is. */
    assert_int_equal(rs.v[4].line, 5);
    expect_rec(&rs, 5, 6, 2, "4", "end");
    recs_free(&rs);
}

static void test_record_longer_than_buffer(void **state)
{
    (void)state;
    /* A line longer than the whole read buffer (max_record + one chunk): the reader reports it,
     * skips the rest of that line, and goes on. */
    struct vg_csv_opts opts = {.max_record = 64};
    size_t big = CHUNK + 4096;
    const char *head = "a,b\n";
    const char *tail = "\n1,2\n";
    size_t len = strlen(head) + big + strlen(tail);
    char *in = malloc(len);
    assert_non_null(in);
    memcpy(in, head, strlen(head));
    memset(in + strlen(head), 'x', big);
    in[strlen(head)] = '9';
    in[strlen(head) + 1] = ',';
    memcpy(in + strlen(head) + big, tail, strlen(tail));
    struct recs rs;
    read_mem(in, len, &opts, &rs);
    assert_int_equal(rs.n, 3);
    expect_rec(&rs, 0, 1, 2, "a", "b");
    assert_int_equal(rs.v[1].error, VG_ETOOBIG);
    assert_int_equal(rs.v[1].line, 2);
    assert_true(rs.v[1].raw_len >= 64);
    assert_memory_equal(rs.v[1].raw, "9,xx", 4);
    expect_rec(&rs, 2, 3, 2, "1", "2");
    assert_int_equal(rs.offset, len);
    recs_free(&rs);
    free(in);
}

static void test_too_many_fields(void **state)
{
    (void)state;
    struct recs rs;
    struct vg_csv_opts opts = {.max_fields = 3};
    read_str("a,b,c\n1,2,3,4\n5,6,7\n8,9,10,\n11,\"x\ny\",12\n", &opts, &rs);
    assert_int_equal(rs.n, 5);
    expect_rec(&rs, 0, 1, 3, "a", "b", "c");
    assert_int_equal(rs.v[1].error, VG_ETOOBIG);
    assert_int_equal(rs.v[1].line, 2);
    assert_int_equal(rs.v[1].nfields, 0);
    expect_raw(&rs, 1, "1,2,3,4");
    expect_rec(&rs, 2, 3, 3, "5", "6", "7");
    /* A trailing delimiter makes a fourth, empty field: too many as well. */
    assert_int_equal(rs.v[3].error, VG_ETOOBIG);
    assert_int_equal(rs.v[3].line, 4);
    expect_rec(&rs, 4, 5, 3, "11", "x\ny", "12");
    recs_free(&rs);
}

/* ---- edges of the input ---- */

static void test_empty_input(void **state)
{
    (void)state;
    struct recs rs;
    read_mem("", 0, NULL, &rs);
    assert_int_equal(rs.n, 0);
    assert_int_equal(rs.offset, 0);
    recs_free(&rs);

    /* A BOM alone is empty too. */
    read_str("\xEF\xBB\xBF", NULL, &rs);
    assert_int_equal(rs.n, 0);
    recs_free(&rs);
}

static void test_no_final_newline(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a,b\n1,2", NULL, &rs);
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 1, 2, 2, "1", "2");
    expect_raw(&rs, 1, "1,2");
    assert_int_equal(rs.offset, 7);
    recs_free(&rs);

    read_str("a,b\n1,\"two\nlines\"", NULL, &rs);
    assert_int_equal(rs.n, 2);
    expect_rec(&rs, 1, 2, 2, "1", "two\nlines");
    recs_free(&rs);
}

static void test_trailing_delimiter(void **state)
{
    (void)state;
    struct recs rs;
    read_str("a,b,\n1,2,\r\n3,4,", NULL, &rs);
    assert_int_equal(rs.n, 3);
    expect_rec(&rs, 0, 1, 3, "a", "b", "");
    expect_rec(&rs, 1, 2, 3, "1", "2", "");
    expect_rec(&rs, 2, 3, 3, "3", "4", "");
    expect_raw(&rs, 2, "3,4,");
    recs_free(&rs);
}

/* ---- chunk boundaries ---- */

/* Builds an input where `tricky` starts at byte `at` (preceded by filler records a,b), followed
 * by "end,1\n". Returns the number of filler records. */
static size_t build_at(char *out, size_t at, const char *tricky, size_t *len)
{
    size_t pos = 0, nfill = 0;
    /* A first line of adjustable length (at most 40 bytes) brings the rest to a multiple of 4. */
    size_t pad = at % 4;
    if (pad) {
        const char *p = pad == 1 ? "\n" : pad == 2 ? "p\n" : "p,\n";
        memcpy(out, p, pad);
        pos = pad;
        nfill++;
    }
    while (pos < at) {
        memcpy(out + pos, "a,b\n", 4);
        pos += 4;
        nfill++;
    }
    assert_int_equal(pos, at);
    memcpy(out + pos, tricky, strlen(tricky));
    pos += strlen(tricky);
    memcpy(out + pos, "end,1\n", 6);
    pos += 6;
    *len = pos;
    return nfill;
}

static void check_boundary(const char *tricky, size_t split, size_t n, const char *f0,
                           const char *f1, long lines)
{
    /* With max_record 64 the buffer holds 64 + CHUNK bytes: the first read ends there. */
    struct vg_csv_opts opts = {.max_record = 64, .delimiter = ','};
    size_t edge = 64 + CHUNK;
    char *in = malloc(edge + 256);
    assert_non_null(in);
    size_t len;
    size_t nfill = build_at(in, edge - split, tricky, &len);
    struct recs rs;
    read_mem(in, len, &opts, &rs);
    assert_int_equal(rs.n, nfill + 2);
    long line = (long)nfill + 1;
    if (n == 2)
        expect_rec(&rs, nfill, line, 2, f0, f1);
    else
        expect_rec(&rs, nfill, line, 1, f0);
    expect_rec(&rs, nfill + 1, line + lines, 2, "end", "1");
    assert_int_equal(rs.offset, len);
    recs_free(&rs);
    free(in);
}

static void test_chunk_boundary_mem(void **state)
{
    (void)state;
    /* CR | LF */
    check_boundary("x,y\r\n", 4, 2, "x", "y", 1);
    /* "" split between its two quotes */
    check_boundary("\"a\"\"b\",c\n", 3, 2, "a\"b", "c", 1);
    /* closing quote | delimiter */
    check_boundary("\"ab\",c\n", 4, 2, "ab", "c", 1);
    /* closing quote | line end */
    check_boundary("x,\"ab\"\n", 6, 2, "x", "ab", 1);
    /* delimiter | line end (trailing empty field) */
    check_boundary("x,\n", 2, 2, "x", "", 1);
    /* inside a quoted line end: CR | LF */
    check_boundary("\"a\r\nb\",c\n", 3, 2, "a\r\nb", "c", 2);
    /* embedded LF | rest */
    check_boundary("\"a\nb\",c\n", 3, 2, "a\nb", "c", 2);
    /* opening quote | rest */
    check_boundary("\"abc\",d\n", 1, 2, "abc", "d", 1);
    /* a record that fills the rest of the buffer exactly */
    check_boundary("xyz,uvw\n", 8, 2, "xyz", "uvw", 1);
}

struct writer {
    int fd;
    const char *data;
    size_t len;
    size_t first; /* bytes of the first write */
    int failed;
};

static void *write_all(void *p)
{
    struct writer *w = p;
    size_t off = 0;
    while (off < w->len) {
        size_t want = off == 0 ? w->first : w->len - off;
        ssize_t n = write(w->fd, w->data + off, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            w->failed = 1;
            break;
        }
        off += (size_t)n;
    }
    close(w->fd);
    return NULL;
}

struct expected {
    char *id, *text, *n;
};

static void test_pipe_large_input(void **state)
{
    (void)state;
    /* About 3 MiB of records of varied shape, the header with a BOM and a sep= line. */
    size_t cap = 4u << 20, len = 0, nrec = 0, reccap = 8192;
    char *in = malloc(cap);
    struct expected *want = calloc(reccap, sizeof(*want));
    long *lines = calloc(reccap, sizeof(long));
    size_t *starts = calloc(reccap, sizeof(size_t));
    assert_non_null(in);
    assert_non_null(want);
    assert_non_null(lines);
    assert_non_null(starts);
    len += (size_t)snprintf(in, cap, "\xEF\xBB\xBFsep=;\r\nid;text;n\r\n");
    long line = 3;
    while (len < (3u << 20)) {
        assert_true(nrec < reccap);
        char id[32], text[1200];
        size_t k = nrec;
        snprintf(id, sizeof(id), "%zu", k);
        /* text: a run of letters whose length varies, with a quote, a delimiter or line ends
         * mixed in depending on k. */
        size_t tl = 100 + (k * 37) % 900, t = 0;
        for (size_t i = 0; i < tl; i++)
            text[t++] = (char)('a' + (i + k) % 26);
        int kind = (int)(k % 5);
        if (kind == 1)
            memcpy(text + t, "; with \"quotes\"", 15), t += 15;
        else if (kind == 2)
            memcpy(text + t, "\nsecond\nthird", 13), t += 13;
        else if (kind == 3)
            memcpy(text + t, "\r\ncrlf", 6), t += 6;
        text[t] = '\0';
        want[nrec].id = strdup(id);
        want[nrec].text = strdup(text);
        char nbuf[32];
        snprintf(nbuf, sizeof(nbuf), "%zu", k * 3);
        want[nrec].n = strdup(nbuf);
        starts[nrec] = len;
        lines[nrec] = line;
        /* Write the record: the text quoted when it needs to be, doubled quotes. */
        len += (size_t)snprintf(in + len, cap - len, "%s;", id);
        if (kind == 0 || kind == 4) {
            memcpy(in + len, text, t);
            len += t;
        } else {
            in[len++] = '"';
            for (size_t i = 0; i < t; i++) {
                if (text[i] == '"')
                    in[len++] = '"';
                in[len++] = text[i];
                if (text[i] == '\n')
                    line++;
            }
            in[len++] = '"';
        }
        len += (size_t)snprintf(in + len, cap - len, ";%s%s", nbuf, k % 2 ? "\r\n" : "\n");
        line++;
        nrec++;
    }
    /* Some record straddles the first megabyte. */
    size_t straddle = 0;
    for (size_t i = 0; i + 1 < nrec; i++)
        if (starts[i] < CHUNK && starts[i + 1] > CHUNK)
            straddle++;
    assert_int_equal(straddle, 1);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    (void)fcntl(fds[1], F_SETPIPE_SZ, (int)CHUNK); /* best effort: fewer, larger reads */
    struct writer w = {fds[1], in, len, CHUNK, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, write_all, &w), 0);

    struct vg_csv *r = NULL;
    assert_int_equal(vg_csv_open_fd(fds[0], NULL, &r), 0);
    struct recs rs;
    drain(r, &rs);
    vg_csv_destroy(r);
    pthread_join(th, NULL);
    close(fds[0]);
    assert_int_equal(w.failed, 0);

    assert_int_equal(rs.delim, ';');
    assert_int_equal(rs.offset, len);
    assert_int_equal(rs.n, nrec + 1);
    expect_rec(&rs, 0, 2, 3, "id", "text", "n");
    for (size_t i = 0; i < nrec; i++) {
        expect_rec(&rs, i + 1, lines[i], 3, want[i].id, want[i].text, want[i].n);
        /* The raw bytes are the record as written, without its line end. */
        size_t end = i + 1 < nrec ? starts[i + 1] : len;
        size_t rl = end - starts[i] - (i % 2 ? 2 : 1);
        assert_int_equal(rs.v[i + 1].raw_len, rl);
        assert_memory_equal(rs.v[i + 1].raw, in + starts[i], rl);
    }
    recs_free(&rs);
    for (size_t i = 0; i < nrec; i++) {
        free(want[i].id);
        free(want[i].text);
        free(want[i].n);
    }
    free(want);
    free(lines);
    free(starts);
    free(in);
}

static void test_fd_read_error(void **state)
{
    (void)state;
    /* A descriptor that cannot be read: VG_EIO, not a crash and not an empty input. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct vg_csv *r = NULL;
    /* The write end of a pipe is not readable. */
    assert_int_equal(vg_csv_open_fd(fds[1], NULL, &r), 0);
    struct vg_csv_record rec;
    assert_int_equal(vg_csv_next(r, &rec), VG_EIO);
    vg_csv_destroy(r);
    close(fds[0]);
    close(fds[1]);
}

static void test_open_out_of_memory(void **state)
{
    (void)state;
    /* Each allocation of the reader may fail: the open reports VG_ENOMEM and leaks nothing
     * (the sanitizer's leak check sees to the second part). */
    int failures = 0, opened = 0;
    for (long n = 0; n < 16 && !opened; n++) {
        struct vg_csv *r = NULL;
        vg_mem_fail_after(n);
        int rc = vg_csv_open_mem("a,b\n", 4, NULL, &r);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            assert_non_null(r);
            struct recs rs;
            drain(r, &rs);
            assert_int_equal(rs.n, 1);
            recs_free(&rs);
            vg_csv_destroy(r);
            opened = 1;
            continue;
        }
        assert_int_equal(rc, VG_ENOMEM);
        assert_null(r);
        failures++;
    }
    assert_true(opened); /* enough allocations allowed, the open succeeds */
    assert_true(failures >= 2);
    vg_csv_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delimiter_comma),
        cmocka_unit_test(test_delimiter_semicolon),
        cmocka_unit_test(test_delimiter_tab),
        cmocka_unit_test(test_delimiter_ignores_quoted),
        cmocka_unit_test(test_delimiter_sep_line),
        cmocka_unit_test(test_delimiter_given),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_crlf_and_lf),
        cmocka_unit_test(test_lone_cr_is_data),
        cmocka_unit_test(test_blank_lines),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_multiline_records),
        cmocka_unit_test(test_unclosed_quote_costs_one_line),
        cmocka_unit_test(test_record_too_long),
        cmocka_unit_test(test_record_longer_than_buffer),
        cmocka_unit_test(test_too_many_fields),
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_no_final_newline),
        cmocka_unit_test(test_trailing_delimiter),
        cmocka_unit_test(test_chunk_boundary_mem),
        cmocka_unit_test(test_pipe_large_input),
        cmocka_unit_test(test_fd_read_error),
        cmocka_unit_test(test_open_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
