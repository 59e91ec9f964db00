/* test_ingest.c - taking incident files into the store (src/collect/ingest.c and the writer it
 * uses). Files are written into a scratch directory, ingested into scratch databases, and the
 * counts, the rejected rows and the stored rows are checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/ingest.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <sqlite3.h>

/* ---- scaffolding ---- */

struct reject {
    char file[TU_PATH_MAX];
    long line;
    char column[64];
    char reason[256];
    char *raw;
    size_t raw_len;
};

struct rejects {
    size_t n;
    struct reject v[64];
    int stop_with; /* returned from the callback */
};

static int on_reject(void *ctx, const struct vg_reject *r)
{
    struct rejects *rs = ctx;
    if (rs->n < sizeof(rs->v) / sizeof(rs->v[0])) {
        struct reject *c = &rs->v[rs->n];
        snprintf(c->file, sizeof(c->file), "%s", r->file);
        c->line = r->line;
        snprintf(c->column, sizeof(c->column), "%s", r->column);
        snprintf(c->reason, sizeof(c->reason), "%s", r->reason);
        c->raw = malloc(r->raw_len + 1);
        if (c->raw) {
            memcpy(c->raw, r->raw, r->raw_len);
            c->raw[r->raw_len] = '\0';
        }
        c->raw_len = r->raw_len;
    }
    rs->n++;
    return rs->stop_with;
}

static void rejects_free(struct rejects *rs)
{
    for (size_t i = 0; i < rs->n && i < sizeof(rs->v) / sizeof(rs->v[0]); i++)
        free(rs->v[i].raw);
    rs->n = 0;
}

struct fixture {
    char *dir;
    struct vg_store *store;
    char db[TU_PATH_MAX];
};

static struct vg_store *open_db(const char *path)
{
    struct vg_store *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_store_open(path, 0, &s, &err) != 0)
        fail_msg("open %s: %s", path, err.message);
    return s;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->dir = tu_mkdtemp();
    f->store = open_db(tu_join(f->db, f->dir, "vigil.db"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vg_store_close(f->store);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Ingests path with the options given (rejects collected into rs when not NULL); fails the
 * test when the ingest fails. */
static struct vg_ingest_stats ingest_ok(struct vg_store *s, const char *path,
                                        struct vg_ingest_opts *opts, struct rejects *rs)
{
    struct vg_ingest_opts local = {0};
    if (!opts)
        opts = &local;
    if (rs) {
        opts->on_reject = on_reject;
        opts->ctx = rs;
    }
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    vg_error_clear(&err);
    int rc = vg_ingest_path(s, path, opts, &st, &err);
    if (rc)
        fail_msg("ingest %s: %s (%s:%ld)", path, err.message, err.file, err.line);
    return st;
}

static void expect_stats(struct vg_ingest_stats st, int64_t rows, int64_t inserted, int64_t updated,
                         int64_t unchanged, int64_t rejected)
{
    if (st.rows != rows || st.inserted != inserted || st.updated != updated ||
        st.unchanged != unchanged || st.rejected != rejected)
        fail_msg("rows %lld inserted %lld updated %lld unchanged %lld rejected %lld; expected "
                 "%lld %lld %lld %lld %lld",
                 (long long)st.rows, (long long)st.inserted, (long long)st.updated,
                 (long long)st.unchanged, (long long)st.rejected, (long long)rows,
                 (long long)inserted, (long long)updated, (long long)unchanged,
                 (long long)rejected);
}

/* The rows of a query as text: fields joined by '|', rows ended by '\n', NULL as "NULL". The
 * caller frees the result. */
static char *query(struct vg_store *s, const char *sql)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    size_t cap = 4096, len = 0;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            if (!v)
                v = "NULL";
            size_t need = len + strlen(v) + 3;
            if (need > cap) {
                while (cap < need)
                    cap *= 2;
                out = realloc(out, cap);
                assert_non_null(out);
            }
            len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "|" : "", v);
        }
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
    return out;
}

static void expect_query(struct vg_store *s, const char *sql, const char *want)
{
    char *got = query(s, sql);
    if (strcmp(got, want) != 0)
        fail_msg("%s\n got: [%s]\nwant: [%s]", sql, got, want);
    free(got);
}

static int64_t count(struct vg_store *s)
{
    int64_t n = -1;
    struct vg_error err;
    assert_int_equal(vg_incident_count(s, &n, &err), 0);
    return n;
}

/* ---- a damaged file ---- */

/* Eleven data rows; six cannot be stored. Line numbers in the comments. */
static const char damaged_csv[] =
    "eventid,iyear,imonth,iday,country_txt,city,latitude,longitude,nkill,summary,notes\n" /* 1 */
    "1001,2014,1,5,Iraq,S\xC3\xA3o Paulo,33.3,44.4,3,Car bomb,alpha\n"                    /* 2 */
    "1002,2014,2,30,Iraq,Mosul,36.3,43.1,1,Impossible date,beta\n"                        /* 3 */
    "1003,2015,3,1,Syria,Aleppo,36.2,37.1,2,\"A summary that\n"                           /* 4 */
    "spans two lines, with a comma\",gamma\n"                                             /* 5 */
    "1004,2015,3,2,Syria,Homs,91,36.7,0,Bad latitude,delta\n"                             /* 6 */
    "1005,2015,3,3,Syria,Idlib,35.9,36.6,abc,Bad killed,epsilon\n"                        /* 7 */
    "1006,2016,4,4,Iraq,Basra,30.5,47.8\n"                                                /* 8 */
    "1007,2016,4,5,Iraq,Kirkuk,35.5,44.4,-9,\"Unknown \"\"killed\"\"\",zeta\n"            /* 9 */
    "1008,2016,4,6,Iraq,Erbil,36.2,44.0,1,x,eta,one too many\n"                           /* 10 */
    "\n"                                                                                  /* 11 */
    "1009,2017,5,7,Iraq,Najaf,32.0,44.3,,\"Last\n"                                        /* 12 */
    "row\",theta\n"                                                                       /* 13 */
    "1010,2017,5,8,Iraq,Ba\xEDji,32,44,1,x,bad text\n"                                    /* 14 */
    "1011,2017,5,8,Iraq,\"Oops,32,44,1,x,iota\n"                                          /* 15 */
    "1012,2017,5,9,Iraq,Kufa,32.0,44.4,0,plain,kappa\n";                                  /* 16 */

static const struct {
    long line;
    const char *column;
    const char *raw_start;
} damaged_rejects[] = {
    {3, "iday", "1002,2014,2,30,"},
    {6, "latitude", "1004,"},
    {7, "nkill", "1005,"},
    {8, "", "1006,"},
    {10, "", "1008,"},
    {14, "city", "1010,"},
    {15, "", "1011,2017,5,8,Iraq,\"Oops"},
};
#define DAMAGED_REJECTS (sizeof(damaged_rejects) / sizeof(damaged_rejects[0]))

static void check_damaged_rejects(const struct rejects *rs, const char *path)
{
    assert_int_equal(rs->n, DAMAGED_REJECTS);
    for (size_t i = 0; i < DAMAGED_REJECTS; i++) {
        const struct reject *r = &rs->v[i];
        if (r->line != damaged_rejects[i].line || strcmp(r->column, damaged_rejects[i].column))
            fail_msg("reject %zu: line %ld column '%s' (%s); expected line %ld column '%s'", i,
                     r->line, r->column, r->reason, damaged_rejects[i].line,
                     damaged_rejects[i].column);
        assert_string_equal(r->file, path);
        assert_true(r->reason[0] != '\0');
        assert_non_null(r->raw);
        const char *want = damaged_rejects[i].raw_start;
        if (r->raw_len < strlen(want) || memcmp(r->raw, want, strlen(want)) != 0)
            fail_msg("reject %zu: raw row is '%s'", i, r->raw);
        /* The raw row is the line as it stands, without its line end. */
        assert_null(memchr(r->raw, '\n', r->raw_len));
        assert_true(r->raw_len == 0 || r->raw[r->raw_len - 1] != '\r');
    }
    assert_non_null(strstr(rs->v[3].reason, "11"));  /* expected 11 fields ... */
    assert_non_null(strstr(rs->v[2].reason, "abc")); /* the bad value */
    assert_non_null(strstr(rs->v[0].reason, "2014-02-30"));
}

static const char damaged_good[] =
    "1001|2014|1|5|Iraq|S\xC3\xA3o Paulo|33.3|44.4|3|Car bomb|{\"notes\":\"alpha\"}\n"
    "1003|2015|3|1|Syria|Aleppo|36.2|37.1|2|A summary that\nspans two lines, with a "
    "comma|{\"notes\":\"gamma\"}\n"
    "1007|2016|4|5|Iraq|Kirkuk|35.5|44.4|NULL|Unknown \"killed\"|{\"notes\":\"zeta\"}\n"
    "1009|2017|5|7|Iraq|Najaf|32.0|44.3|NULL|Last\nrow|{\"notes\":\"theta\"}\n"
    "1012|2017|5|9|Iraq|Kufa|32.0|44.4|0|plain|{\"notes\":\"kappa\"}\n";

#define DAMAGED_SQL                                                                                \
    "SELECT source_id, year, month, day, country, city, latitude, longitude, killed, summary, "    \
    "extra FROM incidents ORDER BY source_id"

static void test_damaged_rows(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "damaged.csv"), damaged_csv);

    struct rejects rs = {0};
    struct vg_ingest_stats st = ingest_ok(f->store, path, NULL, &rs);
    expect_stats(st, 12, 5, 0, 0, 7);
    check_damaged_rejects(&rs, path);
    rejects_free(&rs);
    expect_query(f->store, DAMAGED_SQL, damaged_good);
    expect_query(f->store, "SELECT DISTINCT source FROM incidents", "GTD\n");

    /* Again: nothing new, the same rows rejected. */
    st = ingest_ok(f->store, path, NULL, &rs);
    expect_stats(st, 12, 0, 0, 5, 7);
    check_damaged_rejects(&rs, path);
    rejects_free(&rs);
    expect_query(f->store, DAMAGED_SQL, damaged_good);
}

/* A check reads and rejects exactly as an ingest does, needs no store, and stores nothing. */
static void test_check_stores_nothing(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "damaged.csv"), damaged_csv);

    struct vg_ingest_opts opts = {.check = 1};
    struct rejects rs = {0};
    struct vg_ingest_stats st = ingest_ok(NULL, path, &opts, &rs);
    expect_stats(st, 12, 0, 0, 0, 7);
    check_damaged_rejects(&rs, path);
    rejects_free(&rs);

    /* With a store at hand, it is left alone. */
    opts = (struct vg_ingest_opts){.check = 1};
    st = ingest_ok(f->store, path, &opts, &rs);
    expect_stats(st, 12, 0, 0, 0, 7);
    rejects_free(&rs);
    assert_int_equal(count(f->store), 0);

    /* JSON lines too. */
    tu_write_str(path,
                 "{\"eventid\":\"j1\",\"iyear\":2015}\n{\"eventid\":\"j2\",\"iyear\":\"x\"}\n");
    opts = (struct vg_ingest_opts){.check = 1, .format = VG_FORMAT_JSONL};
    st = ingest_ok(NULL, path, &opts, &rs);
    expect_stats(st, 2, 0, 0, 0, 1);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.v[0].line, 2);
    rejects_free(&rs);
}

static void test_damaged_rows_crlf(void **state)
{
    struct fixture *f = *state;
    /* The same file with CR LF line ends: the same rejects on the same lines. */
    char path[TU_PATH_MAX];
    size_t n = strlen(damaged_csv);
    char *crlf = malloc(2 * n + 1), *o = crlf;
    assert_non_null(crlf);
    for (size_t i = 0; i < n; i++) {
        if (damaged_csv[i] == '\n')
            *o++ = '\r';
        *o++ = damaged_csv[i];
    }
    tu_write_file(tu_join(path, f->dir, "damaged_crlf.csv"), crlf, (size_t)(o - crlf));
    free(crlf);
    struct rejects rs = {0};
    struct vg_ingest_stats st = ingest_ok(f->store, path, NULL, &rs);
    expect_stats(st, 12, 5, 0, 0, 7);
    check_damaged_rejects(&rs, path);
    rejects_free(&rs);
    /* Line ends inside quoted fields are kept as they are in the file. */
    expect_query(f->store, "SELECT summary FROM incidents WHERE source_id = '1009'",
                 "Last\r\nrow\n");
    expect_query(f->store,
                 "SELECT city, notes FROM (SELECT city, json_extract(extra, '$.notes') "
                 "AS notes, source_id FROM incidents) ORDER BY source_id",
                 "S\xC3\xA3o Paulo|alpha\nAleppo|gamma\nKirkuk|zeta\nNajaf|theta\nKufa|kappa\n");
}

static void test_changed_row_is_updated(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_join(path, f->dir, "three.csv");
    tu_write_str(path, "eventid,iyear,imonth,iday,city,nkill,notes\n"
                       "1,2014,1,1,A,1,x\n"
                       "2,2014,1,2,B,2,y\n"
                       "3,2014,1,3,C,3,z\n");
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 3, 3, 0, 0, 0);

    /* One mapped value changed, one extra value changed, one row the same, one row new. */
    tu_write_str(path, "eventid,iyear,imonth,iday,city,nkill,notes\n"
                       "1,2014,1,1,A,5,x\n"
                       "2,2014,1,2,B,2,changed\n"
                       "3,2014,1,3,C,3,z\n"
                       "4,2014,1,4,D,,w\n");
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 4, 1, 2, 1, 0);
    expect_query(f->store,
                 "SELECT source_id, city, killed, extra FROM incidents ORDER BY source_id",
                 "1|A|5|{\"notes\":\"x\"}\n2|B|2|{\"notes\":\"changed\"}\n3|C|3|{\"notes\":\"z\"}\n"
                 "4|D|NULL|{\"notes\":\"w\"}\n");
    assert_int_equal(count(f->store), 4);

    /* A column that disappears from the file: its values go (the record is what the file says). */
    tu_write_str(path, "eventid,iyear,imonth,iday,city,nkill\n"
                       "1,2014,1,1,A,5\n");
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 1, 0, 1, 0, 0);
    expect_query(f->store, "SELECT extra FROM incidents WHERE source_id = '1'", "{}\n");
}

static void test_duplicate_ids_in_one_file(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_join(path, f->dir, "dups.csv");
    /* The later row of the same event wins, as if the rows were stored one after the other. */
    tu_write_str(path, "eventid,iyear,city\n"
                       "9,2014,first\n"
                       "8,2014,other\n"
                       "9,2014,second\n"
                       "9,2014,third\n");
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 4, 2, 2, 0, 0);
    expect_query(f->store, "SELECT source_id, city FROM incidents ORDER BY source_id",
                 "8|other\n9|third\n");
}

/* ---- encodings ---- */

/* The text a UTF-8 string becomes when written in ISO-8859-1 by a tool that puts '?' for the
 * characters Latin-1 lacks (as the Latin-1 fixture was made). */
static void utf8_to_latin1_view(const char *s, char *out, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t o = 0;
    while (*p && o + 3 < cap) {
        uint32_t cp;
        int n;
        if (*p < 0x80)
            cp = *p, n = 1;
        else if ((*p & 0xE0) == 0xC0)
            cp = *p & 0x1F, n = 2;
        else if ((*p & 0xF0) == 0xE0)
            cp = *p & 0x0F, n = 3;
        else
            cp = *p & 0x07, n = 4;
        for (int k = 1; k < n; k++)
            cp = (cp << 6) | (p[k] & 0x3F);
        p += n;
        if (cp < 0x80) {
            out[o++] = (char)cp;
        } else if (cp <= 0xFF) { /* back to UTF-8, as the ingest stores it */
            out[o++] = (char)(0xC0 | (cp >> 6));
            out[o++] = (char)(0x80 | (cp & 0x3F));
        } else {
            out[o++] = '?';
        }
    }
    out[o] = '\0';
}

static void test_latin1_same_as_utf8(void **state)
{
    struct fixture *f = *state;
    char utf8[TU_PATH_MAX], latin1[TU_PATH_MAX], db2[TU_PATH_MAX];
    tu_data_path(utf8, "VG_TEST_DATA", "gtd_400_utf8.csv");
    tu_data_path(latin1, "VG_TEST_DATA", "gtd_400_latin1.csv");

    expect_stats(ingest_ok(f->store, utf8, NULL, NULL), 400, 400, 0, 0, 0);
    struct vg_store *s2 = open_db(tu_join(db2, f->dir, "latin1.db"));
    expect_stats(ingest_ok(s2, latin1, NULL, NULL), 400, 400, 0, 0, 0);

    const char *sql = "SELECT source_id, city, summary FROM incidents ORDER BY source_id";
    sqlite3_stmt *a = NULL, *b = NULL;
    assert_int_equal(sqlite3_prepare_v2(vg_store_db(f->store), sql, -1, &a, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(vg_store_db(s2), sql, -1, &b, NULL), SQLITE_OK);
    size_t rows = 0, accented = 0, outside = 0;
    static char view[1 << 16];
    for (;;) {
        int ra = sqlite3_step(a), rb = sqlite3_step(b);
        assert_int_equal(ra, rb);
        if (ra != SQLITE_ROW)
            break;
        rows++;
        assert_string_equal((const char *)sqlite3_column_text(a, 0),
                            (const char *)sqlite3_column_text(b, 0));
        for (int col = 1; col <= 2; col++) {
            const char *u = (const char *)sqlite3_column_text(a, col);
            const char *l = (const char *)sqlite3_column_text(b, col);
            if (!u || !l) {
                assert_true(u == l);
                continue;
            }
            if (strcmp(u, l) == 0) {
                for (const char *p = u; *p; p++)
                    if ((unsigned char)*p >= 0x80) {
                        accented++;
                        break;
                    }
                continue;
            }
            /* Only characters Latin-1 cannot hold may differ, each one as a '?'. */
            utf8_to_latin1_view(u, view, sizeof(view));
            if (strcmp(view, l) != 0)
                fail_msg("row %s column %d: utf-8 '%s', latin-1 '%s'",
                         (const char *)sqlite3_column_text(a, 0), col, u, l);
            outside++;
        }
    }
    sqlite3_finalize(a);
    sqlite3_finalize(b);
    assert_int_equal(rows, 400);
    /* The comparison is about something: many accented values came through identical. */
    assert_true(accented >= 50);
    assert_true(outside <= 6);

    /* Naming the encoding gives the same as detecting it. */
    char db3[TU_PATH_MAX];
    struct vg_store *s3 = open_db(tu_join(db3, f->dir, "latin1b.db"));
    struct vg_ingest_opts opts = {.encoding = VG_ENCODING_LATIN1};
    expect_stats(ingest_ok(s3, latin1, &opts, NULL), 400, 400, 0, 0, 0);
    char *x = query(s2, "SELECT source_id, city, summary, extra FROM incidents ORDER BY 1");
    char *y = query(s3, "SELECT source_id, city, summary, extra FROM incidents ORDER BY 1");
    assert_string_equal(x, y);
    free(x);
    free(y);
    vg_store_close(s3);
    vg_store_close(s2);
}

static void test_utf8_forced_rejects_latin1(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_join(path, f->dir, "latin1.csv");
    tu_write_str(path, "eventid,iyear,city\n"
                       "1,2014,S\xE3o Paulo\n"
                       "2,2014,Plain\n"
                       "3,2014,B\xE9ja\xEF"
                       "a\n");
    struct rejects rs = {0};
    struct vg_ingest_opts opts = {.encoding = VG_ENCODING_UTF8};
    expect_stats(ingest_ok(f->store, path, &opts, &rs), 3, 1, 0, 0, 2);
    assert_int_equal(rs.n, 2);
    assert_int_equal(rs.v[0].line, 2);
    assert_string_equal(rs.v[0].column, "city");
    assert_int_equal(rs.v[1].line, 4);
    rejects_free(&rs);

    /* Detected: the whole file is Latin-1. */
    char db2[TU_PATH_MAX];
    struct vg_store *s2 = open_db(tu_join(db2, f->dir, "auto.db"));
    expect_stats(ingest_ok(s2, path, NULL, NULL), 3, 3, 0, 0, 0);
    expect_query(s2, "SELECT city FROM incidents ORDER BY source_id",
                 "S\xC3\xA3o Paulo\nPlain\nB\xC3\xA9ja\xC3\xAF"
                 "a\n");
    vg_store_close(s2);
}

/* ---- the bundled sample ---- */

static void test_sample_data(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_data_path(path, "VG_SAMPLE_DATA", "drone_gtd_acled_20260509.csv");
    struct rejects rs = {0};
    struct vg_ingest_stats st = ingest_ok(f->store, path, NULL, &rs);
    if (rs.n)
        fail_msg("line %ld rejected: %s: %s", rs.v[0].line, rs.v[0].column, rs.v[0].reason);
    expect_stats(st, 1524, 1524, 0, 0, 0);
    assert_int_equal(count(f->store), 1524);
    expect_query(f->store, "SELECT source, count(*) FROM incidents GROUP BY source ORDER BY 1",
                 "ACLED|1033\nGTD|491\n");
    /* Its first record, field by field (N/A is unknown, the source is the adatforras column). */
    expect_query(f->store,
                 "SELECT year, month, day, country, region, city, killed, wounded, source, "
                 "json_extract(extra, '$.adatforras') FROM incidents WHERE source_id = "
                 "'201202240001'",
                 "2012|2|24|Pakistan|South Asia|Kotwali|6|6|GTD|NULL\n");
    /* Every record keeps the columns it had no field for. */
    expect_query(f->store, "SELECT count(*) FROM incidents WHERE extra = '{}'", "0\n");

    /* Again: all unchanged. */
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 1524, 0, 0, 1524, 0);
}

/* ---- JSON lines ---- */

static void test_jsonl(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_join(path, f->dir, "events.jsonl");
    tu_write_str(path, "{\"eventid\":\"j1\",\"iyear\":2014,\"imonth\":3,\"iday\":4,\"country_txt\":"
                       "\"Iraq\",\"latitude\":33.5,\"nkill\":2,\"notes\":\"a\",\"flag\":true,"
                       "\"nothing\":null}\n"                                              /* 1 */
                       "{\"eventid\":\"j2\",\"iyear\":2015,\"nkill\":-9}\r\n"             /* 2 */
                       "not json\n"                                                       /* 3 */
                       "{\"eventid\":\"j3\",\"iyear\":2015,\"nested\":{\"a\":1}}\n"       /* 4 */
                       "[1,2]\n"                                                          /* 5 */
                       "   \n"                                                            /* 6 */
                       "{\"iyear\":2015}\n"                                               /* 7 */
                       "{\"eventid\":\"j4\",\"iyear\":2015,\"imonth\":2,\"iday\":30}\n"   /* 8 */
                       "{\"eventid\":5,\"iyear\":2016.0,\"summary\":\"x\\ny \\u00e9\"}"); /* 9 */
    struct rejects rs = {0};
    struct vg_ingest_stats st = ingest_ok(f->store, path, NULL, &rs);
    expect_stats(st, 8, 3, 0, 0, 5);
    assert_int_equal(rs.n, 5);
    const long lines[] = {3, 4, 5, 7, 8};
    const char *cols[] = {"", "nested", "", "", "iday"};
    for (size_t i = 0; i < 5; i++) {
        if (rs.v[i].line != lines[i] || strcmp(rs.v[i].column, cols[i]))
            fail_msg("reject %zu: line %ld column '%s' (%s)", i, rs.v[i].line, rs.v[i].column,
                     rs.v[i].reason);
        assert_string_equal(rs.v[i].file, path);
    }
    assert_string_equal(rs.v[0].raw, "not json");
    assert_string_equal(rs.v[2].raw, "[1,2]");
    assert_non_null(strstr(rs.v[3].reason, "eventid"));
    rejects_free(&rs);
    expect_query(f->store,
                 "SELECT source_id, year, month, day, country, latitude, killed, summary, extra "
                 "FROM incidents ORDER BY source_id",
                 "5|2016|NULL|NULL|NULL|NULL|NULL|x\ny \xC3\xA9|{}\n"
                 "j1|2014|3|4|Iraq|33.5|2|NULL|{\"notes\":\"a\",\"flag\":1}\n"
                 "j2|2015|NULL|NULL|NULL|NULL|NULL|NULL|{}\n");

    /* Again: unchanged. */
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 8, 0, 0, 3, 5);

    /* The format can be named for a file whose name does not tell it. */
    char other[TU_PATH_MAX];
    tu_join(other, f->dir, "events.txt");
    tu_write_str(other, "{\"eventid\":\"t1\",\"iyear\":2020}\n");
    struct vg_ingest_opts opts = {.format = VG_FORMAT_JSONL, .source = "PARTNER"};
    expect_stats(ingest_ok(f->store, other, &opts, NULL), 1, 1, 0, 0, 0);
    expect_query(f->store, "SELECT source FROM incidents WHERE source_id = 't1'", "PARTNER\n");
}

/* ---- edges ---- */

static void test_jsonl_fractions(void **state)
{
    struct fixture *f = *state;
    /* A fraction in a column without a field is kept as the source wrote it. */
    char reals[TU_PATH_MAX];
    tu_write_str(tu_join(reals, f->dir, "reals.ndjson"),
                 "{\"eventid\":\"r1\",\"iyear\":2019,\"ratio\":0.1,\"big\":12345.678}\n");
    expect_stats(ingest_ok(f->store, reals, NULL, NULL), 1, 1, 0, 0, 0);
    expect_query(f->store,
                 "SELECT json_extract(extra, '$.ratio') || ' ' || json_extract(extra, '$.big') "
                 "FROM incidents WHERE source_id = 'r1'",
                 "0.1 12345.678\n");
}

static void test_empty_and_header_only(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    struct vg_ingest_stats st = {0};
    struct vg_error err;

    /* An empty file has no header: it is not a GTD file. */
    tu_write_str(tu_join(path, f->dir, "empty.csv"), "");
    vg_error_clear(&err);
    assert_int_equal(vg_ingest_path(f->store, path, NULL, &st, &err), VG_EFORMAT);
    assert_int_equal(err.code, VG_EFORMAT);
    assert_non_null(strstr(err.message, "empty"));
    assert_string_equal(err.file, path);
    expect_stats(st, 0, 0, 0, 0, 0);

    /* A header and nothing else (and blank lines) is a file with no rows. */
    tu_write_str(path, "eventid,iyear,city\r\n\r\n\n");
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 0, 0, 0, 0, 0);
    assert_int_equal(count(f->store), 0);

    /* An empty JSON-lines file has no rows either. */
    tu_write_str(tu_join(path, f->dir, "empty.jsonl"), "");
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 0, 0, 0, 0, 0);
}

static void test_blank_lines_before_header(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    /* Blank lines before the header are skipped, and the delimiter is the header's. */
    tu_write_str(tu_join(path, f->dir, "blank_first.csv"),
                 "\n\r\neventid;iyear;city\n1;2014;A,B\n");
    struct rejects rs = {0};
    expect_stats(ingest_ok(f->store, path, NULL, &rs), 1, 1, 0, 0, 0);
    rejects_free(&rs);
    expect_query(f->store, "SELECT source_id, year, city FROM incidents", "1|2014|A,B\n");
}

static void test_no_eventid_column(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "noid.csv"), "sep=;\nid;iyear;city\n1;2014;A\n");
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_ingest_path(f->store, path, NULL, &st, &err), VG_EFORMAT);
    assert_non_null(strstr(err.message, "eventid"));
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    assert_int_equal(count(f->store), 0);

    /* Missing files and directories are errors that say so. */
    vg_error_clear(&err);
    assert_int_equal(
        vg_ingest_path(f->store, tu_join(path, f->dir, "missing.csv"), NULL, &st, &err), VG_EIO);
    assert_string_equal(err.file, path);
    vg_error_clear(&err);
    assert_int_equal(vg_ingest_path(f->store, f->dir, NULL, &st, &err), VG_EINVAL);
    expect_stats(st, 0, 0, 0, 0, 0);
}

static void test_batch_rows_small(void **state)
{
    struct fixture *f = *state;
    char damaged[TU_PATH_MAX], fixture400[TU_PATH_MAX], db2[TU_PATH_MAX];
    tu_write_str(tu_join(damaged, f->dir, "damaged.csv"), damaged_csv);
    tu_data_path(fixture400, "VG_TEST_DATA", "gtd_400_utf8.csv");

    struct vg_store *s2 = open_db(tu_join(db2, f->dir, "batch7.db"));
    struct vg_ingest_opts opts = {.batch_rows = 7};
    struct rejects ra = {0}, rb = {0};
    struct vg_ingest_stats a = ingest_ok(f->store, damaged, NULL, &ra);
    struct vg_ingest_stats b = ingest_ok(s2, damaged, &opts, &rb);
    expect_stats(a, 12, 5, 0, 0, 7);
    expect_stats(b, 12, 5, 0, 0, 7);
    check_damaged_rejects(&rb, damaged);
    rejects_free(&ra);
    rejects_free(&rb);
    expect_stats(ingest_ok(f->store, fixture400, NULL, NULL), 400, 400, 0, 0, 0);
    opts = (struct vg_ingest_opts){.batch_rows = 7};
    expect_stats(ingest_ok(s2, fixture400, &opts, NULL), 400, 400, 0, 0, 0);
    opts = (struct vg_ingest_opts){.batch_rows = 7};
    expect_stats(ingest_ok(s2, fixture400, &opts, NULL), 400, 0, 0, 400, 0);

    const char *sql = "SELECT source, source_id, year, month, day, region, country, attack, "
                      "target, weapon, group_name, killed, wounded, success, suicide, latitude, "
                      "longitude, specificity, country_code, region_code, attack_code, "
                      "target_code, weapon_code, provstate, city, row_hash, summary, extra "
                      "FROM incidents ORDER BY source, source_id";
    char *x = query(f->store, sql), *y = query(s2, sql);
    assert_string_equal(x, y);
    free(x);
    free(y);
    assert_int_equal(count(s2), 405);
    vg_store_close(s2);
}

static void test_stats_add_up(void **state)
{
    struct fixture *f = *state;
    char p1[TU_PATH_MAX], p2[TU_PATH_MAX];
    tu_write_str(tu_join(p1, f->dir, "a.csv"), "eventid,iyear\n1,2014\n2,2014\n");
    tu_write_str(tu_join(p2, f->dir, "b.csv"), "eventid,iyear\n2,2014\n3,2014\nx,year\n");
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    assert_int_equal(vg_ingest_path(f->store, p1, NULL, &st, &err), 0);
    assert_int_equal(vg_ingest_path(f->store, p2, NULL, &st, &err), 0);
    expect_stats(st, 5, 3, 0, 1, 1);
}

static void test_reject_callback_stops(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "damaged.csv"), damaged_csv);
    struct rejects rs = {.stop_with = VG_EFORMAT};
    struct vg_ingest_opts opts = {.on_reject = on_reject, .ctx = &rs};
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_ingest_path(f->store, path, &opts, &st, &err), VG_EFORMAT);
    assert_int_equal(rs.n, 1);
    assert_int_equal(rs.v[0].line, 3);
    rejects_free(&rs);
    /* What was read before the stop is kept. */
    expect_query(f->store, "SELECT source_id FROM incidents", "1001\n");
}

static void test_cancel(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "rows.csv"), "eventid,iyear\n1,2014\n2,2014\n");
    volatile sig_atomic_t cancel = 1;
    struct vg_ingest_opts opts = {.cancel = &cancel};
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_ingest_path(f->store, path, &opts, &st, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "interrupted"));
    assert_true(count(f->store) < 2);
}

/* Ingests path with each allocation in turn failing (the first, the second, ...) until a run
 * succeeds. Every failed run must end with VG_ENOMEM, never a crash or a leak, and then pass
 * after_failure (when not NULL). The counts of the run that succeeded go to *ok. Returns how many
 * runs failed. */
static int ingest_failing_each(struct fixture *f, const char *path,
                               void (*after_failure)(struct fixture *f), struct vg_ingest_stats *ok)
{
    int failures = 0;
    for (long n = 0; n < 400; n++) {
        struct vg_ingest_stats st = {0};
        struct vg_error err;
        vg_error_clear(&err);
        vg_mem_fail_after(n);
        int rc = vg_ingest_path(f->store, path, NULL, &st, &err);
        vg_mem_fail_after(-1);
        if (rc == 0) {
            *ok = st;
            return failures;
        }
        if (rc != VG_ENOMEM)
            fail_msg("allocation %ld failed: %s (%d)", n, err.message, rc);
        failures++;
        if (after_failure)
            after_failure(f);
    }
    fail_msg("no run succeeded with up to 400 allocations");
    return failures;
}

/* What a failed run stored is a subset of the good rows of damaged_csv. */
static void only_good_rows(struct fixture *f)
{
    char *ids = query(f->store, "SELECT group_concat(source_id) FROM incidents WHERE "
                                "source_id NOT IN ('1001','1003','1007','1009','1012')");
    assert_string_equal(ids, "NULL\n");
    free(ids);
}

static void test_out_of_memory(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "damaged.csv"), damaged_csv);
    /* Finally a run with memory to spare stores the good rows, all of them. */
    struct vg_ingest_stats st;
    assert_true(ingest_failing_each(f, path, only_good_rows, &st) > 3);
    st = ingest_ok(f->store, path, NULL, NULL);
    assert_int_equal(st.rows, 12);
    assert_int_equal(st.rejected, 7);
    assert_int_equal(count(f->store), 5);
}

static void test_out_of_memory_jsonl(void **state)
{
    struct fixture *f = *state;
    char path[TU_PATH_MAX];
    tu_write_str(tu_join(path, f->dir, "oom.jsonl"),
                 "{\"eventid\":\"m1\",\"iyear\":2015,\"city\":\"Mosul\"}\n"
                 "{\"eventid\":\"m2\",\"iyear\":\"x\"}\n"
                 "{\"eventid\":\"m3\",\"iyear\":2016,\"summary\":\"A longer line than "
                 "the others, with a summary\"}\n");
    /* The run that gets its memory reads the whole file as it is (3 rows, the bad one rejected):
     * a failed allocation before it never dropped part of a line. */
    struct vg_ingest_stats st;
    assert_true(ingest_failing_each(f, path, NULL, &st) > 2);
    assert_int_equal(st.rows, 3);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(vg_store_exec(f->store, "DELETE FROM incidents", NULL), 0);
    expect_stats(ingest_ok(f->store, path, NULL, NULL), 3, 2, 0, 0, 1);
    expect_query(f->store, "SELECT source_id, year FROM incidents ORDER BY source_id",
                 "m1|2015\nm3|2016\n");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_damaged_rows),
        T(test_damaged_rows_crlf),
        T(test_check_stores_nothing),
        T(test_changed_row_is_updated),
        T(test_duplicate_ids_in_one_file),
        T(test_latin1_same_as_utf8),
        T(test_utf8_forced_rejects_latin1),
        T(test_sample_data),
        T(test_jsonl),
        T(test_jsonl_fractions),
        T(test_empty_and_header_only),
        T(test_blank_lines_before_header),
        T(test_no_eventid_column),
        T(test_batch_rows_small),
        T(test_stats_add_up),
        T(test_reject_callback_stops),
        T(test_cancel),
        T(test_out_of_memory),
        T(test_out_of_memory_jsonl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
