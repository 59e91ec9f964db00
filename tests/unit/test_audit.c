/* test_audit.c - the audit log (src/share/audit.c): appending, the hash chain and its encoding,
 * verification of a log altered behind the triggers' back, listing, and concurrent writers.
 * Every test works on its own database in its own scratch directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/audit.h"
#include "vigil/error.h"
#include "vigil/store.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>

struct fixture {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
};

static struct vg_store *open_ok(const char *path)
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
    tu_join(f->db, f->dir, "vigil.db");
    f->s = open_ok(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vg_store_close(f->s);
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void exec_ok(struct vg_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(vg_store_db(s), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg ? msg : "?");
}

/* What someone with the database file can do: remove the triggers, then change the table. */
static void tamper(struct vg_store *s, const char *sql)
{
    exec_ok(s, "DROP TRIGGER IF EXISTS audit_log_no_update;"
               "DROP TRIGGER IF EXISTS audit_log_no_delete");
    exec_ok(s, sql);
}

/* The first column of the first row of a query, as text (a static buffer) or NULL. */
static const char *query1(struct vg_store *s, const char *sql)
{
    static char out[1024];
    sqlite3_stmt *st = NULL;
    const char *res = NULL;
    if (sqlite3_prepare_v2(vg_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(vg_store_db(s)));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        snprintf(out, sizeof(out), "%s", (const char *)sqlite3_column_text(st, 0));
        res = out;
    }
    sqlite3_finalize(st);
    return res;
}

static int64_t append_ok(struct vg_store *s, const struct vg_audit_entry *e)
{
    int64_t seq = -1;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_audit_append(s, e, &seq, &err) != 0)
        fail_msg("append: %s", err.message);
    return seq;
}

/* Appends n records of varied content (record i at 10:00:i, UTC): absent and present optional
 * fields, a detail. */
static void fill(struct vg_store *s, int n)
{
    static const char *const actions[] = {"read", "search", "export", "disclose", "update"};
    for (int i = 1; i <= n; i++) {
        char at[32], actor[32], object[32], detail[64];
        snprintf(at, sizeof(at), "2026-05-09T10:00:%02dZ", i % 60);
        snprintf(actor, sizeof(actor), "analyst%d", i % 3);
        snprintf(object, sizeof(object), "report:%d", i);
        snprintf(detail, sizeof(detail), "{\"rows\": %d}", i * 10);
        struct vg_audit_entry e = {
            .at = at,
            .actor = actor,
            .org = i % 2 ? "Agency A" : NULL,
            .action = actions[(i - 1) % 5],
            .object = object,
            .purpose = i % 2 ? "case 2026-17" : "",
            .detail = i % 3 ? detail : NULL,
        };
        assert_int_equal(append_ok(s, &e), i);
    }
}

static struct vg_audit_report verify_ok(struct vg_store *s)
{
    struct vg_audit_report r;
    struct vg_error err;
    vg_error_clear(&err);
    memset(&r, 0xab, sizeof(r));
    if (vg_audit_verify(s, &r, &err) != 0)
        fail_msg("verify: %s", err.message);
    return r;
}

static void expect_broken(struct vg_store *s, int fault, int64_t seq, int64_t intact)
{
    struct vg_audit_report r = verify_ok(s);
    if (r.fault != fault || r.broken_seq != seq || r.records != intact)
        fail_msg("expected %s at %lld after %lld intact; got %s at %lld after %lld (%s)",
                 vg_audit_fault_name(fault), (long long)seq, (long long)intact,
                 vg_audit_fault_name(r.fault), (long long)r.broken_seq, (long long)r.records,
                 r.reason);
    char name[32];
    snprintf(name, sizeof(name), "%lld", (long long)seq);
    assert_non_null(strstr(r.reason, name)); /* the sentence names the record */
}

/* ---- the intact chain ---- */

static void test_empty_log_is_intact(void **state)
{
    struct fixture *f = *state;
    struct vg_audit_report r = verify_ok(f->s);
    assert_int_equal(r.fault, VG_AUDIT_INTACT);
    assert_int_equal(r.records, 0);
    assert_int_equal(r.broken_seq, 0);
    assert_int_equal(r.last_seq, 0);
    assert_string_equal(r.reason, "");
    assert_string_equal(r.last_hash, "");
}

static void test_append_and_verify(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 7);
    struct vg_audit_report r = verify_ok(f->s);
    assert_int_equal(r.fault, VG_AUDIT_INTACT);
    assert_int_equal(r.records, 7);
    assert_int_equal(r.last_seq, 7);
    assert_string_equal(r.last_hash, query1(f->s, "SELECT lower(hex(hash)) FROM audit_log "
                                                  "WHERE seq = 7"));
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log"), "7");
    /* NULL stays NULL and "" stays "". */
    assert_null(query1(f->s, "SELECT org FROM audit_log WHERE seq = 2"));
    assert_string_equal(query1(f->s, "SELECT typeof(purpose) || length(purpose) FROM audit_log "
                                     "WHERE seq = 2"),
                        "text0");
}

static void test_chain_links(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 3);
    assert_string_equal(
        query1(f->s, "SELECT prev_hash = zeroblob(32) FROM audit_log WHERE seq = 1"), "1");
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log a JOIN audit_log b "
                                     "ON b.seq = a.seq + 1 WHERE b.prev_hash = a.hash"),
                        "2");
    assert_string_equal(query1(f->s, "SELECT count(DISTINCT hash) FROM audit_log"), "3");
}

static void test_time_filled_and_kept(void **state)
{
    struct fixture *f = *state;
    struct vg_audit_entry e = {.actor = "a", .action = "read"};
    append_ok(f->s, &e);
    const char *at = query1(f->s, "SELECT at FROM audit_log WHERE seq = 1");
    assert_non_null(at);
    assert_int_equal(strlen(at), 24); /* 2026-05-09T12:34:56.789Z */
    assert_int_equal(at[10], 'T');
    assert_int_equal(at[23], 'Z');
    e.at = "2024-02-29T23:59:60Z";
    append_ok(f->s, &e);
    assert_string_equal(query1(f->s, "SELECT at FROM audit_log WHERE seq = 2"), e.at);
    e.at = "2024-01-01T00:00:00.123456789Z";
    append_ok(f->s, &e);
    assert_int_equal(verify_ok(f->s).records, 3);
}

/* The hash of a record built here by hand, byte by byte, from the encoding that
 * docs/internals/share.md gives: BLAKE2b-256 of the tag, seq (8 bytes, big-endian), each field
 * (0x00 when NULL, else 0x01, a 4-byte big-endian length and the bytes) and prev_hash. */
static void hash_by_hand(int64_t seq, const char *const fields[7], const unsigned char *prev,
                         char hex[65])
{
    unsigned char buf[1024], out[32];
    size_t n = 14;
    memcpy(buf, "vigil-audit-v1", 14);
    for (int i = 7; i >= 0; i--)
        buf[n++] = (unsigned char)((uint64_t)seq >> (8 * i));
    for (int i = 0; i < 7; i++) {
        if (!fields[i]) {
            buf[n++] = 0;
            continue;
        }
        size_t len = strlen(fields[i]);
        assert_true(len < 256);
        buf[n++] = 1;
        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = 0;
        buf[n++] = (unsigned char)len;
        memcpy(buf + n, fields[i], len);
        n += len;
    }
    memcpy(buf + n, prev, 32);
    n += 32;
    assert_true(sodium_init() >= 0);
    crypto_generichash(out, 32, buf, n, NULL, 0);
    sodium_bin2hex(hex, 65, out, 32);
}

/* The stored hash is the documented one, for a record with a NULL, an empty and a present
 * field, and for the record after it. */
static void test_hash_encoding(void **state)
{
    struct fixture *f = *state;
    struct vg_audit_entry e = {.at = "2026-05-09T10:00:00Z",
                               .actor = "alice",
                               .org = NULL,
                               .action = "read",
                               .object = "report:42",
                               .purpose = "",
                               .detail = "{\"q\":1}"};
    append_ok(f->s, &e);
    const char *fields[] = {e.at, e.actor, e.org, e.action, e.object, e.purpose, e.detail};
    unsigned char prev[32] = {0};
    char hex[65];
    hash_by_hand(1, fields, prev, hex);
    assert_string_equal(query1(f->s, "SELECT lower(hex(hash)) FROM audit_log WHERE seq = 1"), hex);

    e.org = "Agency A";
    append_ok(f->s, &e);
    fields[2] = e.org;
    assert_int_equal(sodium_hex2bin(prev, 32, hex, 64, NULL, NULL, NULL), 0);
    hash_by_hand(2, fields, prev, hex);
    assert_string_equal(query1(f->s, "SELECT lower(hex(hash)) FROM audit_log WHERE seq = 2"), hex);
}

/* Two databases with the same record but for one field: the hashes differ. */
static const char *hash_of(const char *dir, const char *name, const struct vg_audit_entry *e)
{
    static char hex[2][65];
    static int which;
    char path[TU_PATH_MAX];
    struct vg_store *s = open_ok(tu_join(path, dir, name));
    append_ok(s, e);
    which ^= 1;
    snprintf(hex[which], sizeof(hex[which]), "%s",
             query1(s, "SELECT lower(hex(hash)) FROM audit_log WHERE seq = 1"));
    vg_store_close(s);
    return hex[which];
}

static void test_null_differs_from_empty(void **state)
{
    struct fixture *f = *state;
    struct vg_audit_entry e = {.at = "2026-05-09T10:00:00Z", .actor = "alice", .action = "read"};
    const char *with_null = hash_of(f->dir, "a.db", &e);
    e.org = "";
    const char *with_empty = hash_of(f->dir, "b.db", &e);
    assert_string_not_equal(with_null, with_empty);
    /* Boundaries count: "ab" + "c" is not "a" + "bc". */
    e.org = NULL;
    e.object = "ab";
    e.purpose = "c";
    const char *one = hash_of(f->dir, "c.db", &e);
    e.object = "a";
    e.purpose = "bc";
    const char *other = hash_of(f->dir, "d.db", &e);
    assert_string_not_equal(one, other);
}

/* ---- what the database itself refuses ---- */

static void test_triggers_refuse_update_and_delete(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 3);
    sqlite3 *db = vg_store_db(f->s);
    assert_int_not_equal(
        sqlite3_exec(db, "UPDATE audit_log SET actor = 'x' WHERE seq = 2", NULL, NULL, NULL),
        SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log WHERE seq = 3", NULL, NULL, NULL),
                         SQLITE_OK);
    assert_non_null(strstr(sqlite3_errmsg(db), "append-only"));
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit_log", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(verify_ok(f->s).records, 3);
    assert_int_equal(verify_ok(f->s).fault, VG_AUDIT_INTACT);
}

/* ---- tampering behind the triggers' back: verify names the first broken record ---- */

/* For record k of 1, 3 and 6 (first, middle, last) of a fresh log of 6: UPDATE audit_log SET
 * `set` WHERE seq = k, then verify must report fault at k with k - 1 records intact. */
static void tamper_each(void **state, const char *set, int fault)
{
    struct fixture *f = *state;
    static const int ks[] = {1, 3, 6};
    for (size_t i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
        char path[TU_PATH_MAX], name[32], sql[512];
        snprintf(name, sizeof(name), "t%zu.db", i);
        struct vg_store *s = open_ok(tu_join(path, f->dir, name));
        fill(s, 6);
        snprintf(sql, sizeof(sql), "UPDATE audit_log SET %s WHERE seq = %d", set, ks[i]);
        tamper(s, sql);
        expect_broken(s, fault, ks[i], ks[i] - 1);
        vg_store_close(s);
    }
}

static void test_altered_actor(void **state)
{
    tamper_each(state, "actor = 'nobody'", VG_AUDIT_HASH_MISMATCH);
}

static void test_altered_time(void **state)
{
    tamper_each(state, "at = '2000-01-01T00:00:00Z'", VG_AUDIT_HASH_MISMATCH);
}

static void test_altered_purpose_one_byte(void **state)
{
    tamper_each(state, "purpose = purpose || ' '", VG_AUDIT_HASH_MISMATCH);
}

static void test_null_made_empty(void **state)
{
    /* An absent field made "" and nothing else changed: the hash tells them apart. In fill(),
     * record 3 has no detail, record 6 neither org nor detail. */
    struct fixture *f = *state;
    static const struct {
        int seq;
        const char *column;
    } cases[] = {{3, "detail"}, {6, "org"}, {6, "detail"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char path[TU_PATH_MAX], name[32], sql[256];
        snprintf(name, sizeof(name), "n%zu.db", i);
        struct vg_store *s = open_ok(tu_join(path, f->dir, name));
        fill(s, 6);
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM audit_log WHERE seq = %d AND %s IS NULL",
                 cases[i].seq, cases[i].column);
        assert_string_equal(query1(s, sql), "1"); /* the field is absent before */
        snprintf(sql, sizeof(sql), "UPDATE audit_log SET %s = '' WHERE seq = %d", cases[i].column,
                 cases[i].seq);
        tamper(s, sql);
        assert_int_equal(sqlite3_changes(vg_store_db(s)), 1);
        expect_broken(s, VG_AUDIT_HASH_MISMATCH, cases[i].seq, cases[i].seq - 1);
        vg_store_close(s);
    }
}

static void test_altered_hash(void **state)
{
    tamper_each(state, "hash = randomblob(32)", VG_AUDIT_HASH_MISMATCH);
}

static void test_altered_prev_hash(void **state)
{
    tamper_each(state, "prev_hash = randomblob(32)", VG_AUDIT_LINK_BROKEN);
}

static void test_malformed_hash(void **state)
{
    tamper_each(state, "hash = x'0011'", VG_AUDIT_MALFORMED);
}

static void test_altered_type(void **state)
{
    tamper_each(state, "actor = x'6e6f'", VG_AUDIT_MALFORMED); /* a BLOB */
}

/* A record changed and given the right hash of its new content (the encoding is public): the
 * record itself passes, the next one no longer links to it. */
static void test_rehashed_record_breaks_next_link(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 5);
    /* Record 3 as fill wrote it, with another actor. */
    const char *fields[] = {"2026-05-09T10:00:03Z", "nobody", "Agency A", "export", "report:3",
                            "case 2026-17",         NULL};
    unsigned char prev[32];
    char hex[65], sql[256];
    const char *h2 = query1(f->s, "SELECT lower(hex(hash)) FROM audit_log WHERE seq = 2");
    assert_int_equal(sodium_hex2bin(prev, 32, h2, 64, NULL, NULL, NULL), 0);
    hash_by_hand(3, fields, prev, hex);
    snprintf(sql, sizeof(sql), "UPDATE audit_log SET actor = 'nobody', hash = x'%s' WHERE seq = 3",
             hex);
    tamper(f->s, sql);
    expect_broken(f->s, VG_AUDIT_LINK_BROKEN, 4, 3);
    assert_non_null(strstr(verify_ok(f->s).reason, "not the hash of record 3"));
}

static void test_deleted_record(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 6);
    tamper(f->s, "DELETE FROM audit_log WHERE seq = 4");
    expect_broken(f->s, VG_AUDIT_GAP, 4, 3);
    assert_non_null(strstr(verify_ok(f->s).reason, "record 4 is missing"));
}

static void test_deleted_records(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 6);
    tamper(f->s, "DELETE FROM audit_log WHERE seq IN (2, 3, 4)");
    expect_broken(f->s, VG_AUDIT_GAP, 2, 1);
    assert_non_null(strstr(verify_ok(f->s).reason, "records 2 to 4 are missing"));
}

static void test_deleted_first_record(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 4);
    tamper(f->s, "DELETE FROM audit_log WHERE seq = 1");
    expect_broken(f->s, VG_AUDIT_FIRST_MISSING, 1, 0);
}

static void test_deleted_then_renumbered(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 5);
    tamper(f->s, "DELETE FROM audit_log WHERE seq = 2; UPDATE audit_log SET seq = seq - 1 "
                 "WHERE seq > 2");
    expect_broken(f->s, VG_AUDIT_LINK_BROKEN, 2, 1);
}

static void test_reordered(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 6);
    tamper(f->s, "UPDATE audit_log SET seq = -3 WHERE seq = 3;"
                 "UPDATE audit_log SET seq = 3 WHERE seq = 4;"
                 "UPDATE audit_log SET seq = 4 WHERE seq = -3");
    expect_broken(f->s, VG_AUDIT_LINK_BROKEN, 3, 2);
}

static void test_seq_zero(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 2);
    exec_ok(f->s, "INSERT INTO audit_log SELECT 0, at, actor, org, action, object, purpose, "
                  "detail, prev_hash, hash FROM audit_log WHERE seq = 1");
    expect_broken(f->s, VG_AUDIT_MALFORMED, 0, 0);
}

/* Inserting is what the triggers allow: a forged record at the end must not pass. */
static void test_forged_record_appended_by_sql(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 4);
    exec_ok(f->s, "INSERT INTO audit_log SELECT 5, at, 'forger', org, action, object, purpose, "
                  "detail, hash, randomblob(32) FROM audit_log WHERE seq = 4");
    expect_broken(f->s, VG_AUDIT_HASH_MISMATCH, 5, 4);
}

/* What the chain cannot see, and the documentation says so: a removed tail. */
static void test_truncated_tail_is_not_detected(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 5);
    char anchor[VG_AUDIT_HEX_SIZE];
    memcpy(anchor, verify_ok(f->s).last_hash, sizeof(anchor));
    tamper(f->s, "DELETE FROM audit_log WHERE seq > 3");
    struct vg_audit_report r = verify_ok(f->s);
    assert_int_equal(r.fault, VG_AUDIT_INTACT);
    assert_int_equal(r.records, 3);
    assert_int_equal(r.last_seq, 3);
    assert_string_not_equal(r.last_hash, anchor); /* only the kept anchor shows it */
}

static void test_damaged_head_blocks_append(void **state)
{
    struct fixture *f = *state;
    fill(f->s, 2);
    tamper(f->s, "UPDATE audit_log SET hash = x'00' WHERE seq = 2");
    struct vg_audit_entry e = {.actor = "a", .action = "read"};
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_audit_append(f->s, &e, NULL, &err), VG_EFORMAT);
    assert_non_null(strstr(err.message, "damaged"));
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log"), "2");
}

/* ---- refused entries ---- */

static void expect_refused(struct vg_store *s, const struct vg_audit_entry *e, int code,
                           const char *words)
{
    struct vg_error err;
    int64_t seq = 77;
    vg_error_clear(&err);
    assert_int_equal(vg_audit_append(s, e, &seq, &err), code);
    assert_int_equal(seq, 77);
    if (!strstr(err.message, words))
        fail_msg("expected '%s' in '%s'", words, err.message);
}

static void test_refused_entries(void **state)
{
    struct fixture *f = *state;
    struct vg_audit_entry e = {.actor = "a", .action = "read"};
    char big[VG_AUDIT_PURPOSE_MAX + 2];

    expect_refused(f->s, NULL, VG_EINVAL, "no audit entry");
    e.actor = NULL;
    expect_refused(f->s, &e, VG_EINVAL, "actor");
    e.actor = "";
    expect_refused(f->s, &e, VG_EINVAL, "actor");
    e.actor = "a";
    e.action = "";
    expect_refused(f->s, &e, VG_EINVAL, "action");
    e.action = "read";
    static const char *const bad_times[] = {"2026-05-09 10:00:00Z",      "2026-05-09T10:00:00",
                                            "2026-02-30T10:00:00Z",      "2025-02-29T10:00:00Z",
                                            "2026-05-09T24:00:00Z",      "2026-05-09T10:00:00.Z",
                                            "2026-05-09T10:00:00+02:00", "yesterday"};
    for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
        e.at = bad_times[i];
        expect_refused(f->s, &e, VG_EINVAL, "ISO 8601");
    }
    e.at = NULL;
    e.detail = "{\"a\": ";
    expect_refused(f->s, &e, VG_EFORMAT, "not a JSON object");
    e.detail = "[1, 2]";
    expect_refused(f->s, &e, VG_EFORMAT, "not a JSON object");
    e.detail = NULL;
    e.object = "report:\xff";
    expect_refused(f->s, &e, VG_EFORMAT, "object is not UTF-8");
    e.object = NULL;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    e.purpose = big; /* one byte past the cap */
    expect_refused(f->s, &e, VG_ETOOBIG, "purpose is longer than 4096 bytes");
    char name[VG_AUDIT_NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    e.purpose = NULL;
    e.actor = name;
    expect_refused(f->s, &e, VG_ETOOBIG, "actor is longer than 200 bytes");
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log"), "0");

    /* Exactly at the caps is accepted. */
    big[VG_AUDIT_PURPOSE_MAX] = '\0';
    name[VG_AUDIT_NAME_MAX] = '\0';
    e.purpose = big;
    assert_int_equal(append_ok(f->s, &e), 1);
    assert_int_equal(verify_ok(f->s).records, 1);
}

/* ---- transactions ---- */

static void test_joins_callers_transaction(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_audit_entry e = {.actor = "a", .action = "update", .object = "site:1"};
    vg_error_clear(&err);

    assert_int_equal(vg_store_begin(f->s, &err), 0);
    assert_int_equal(append_ok(f->s, &e), 1);
    assert_int_equal(append_ok(f->s, &e), 2);
    vg_store_rollback(f->s); /* the action failed: its records go with it */
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log"), "0");

    assert_int_equal(vg_store_begin(f->s, &err), 0);
    assert_int_equal(append_ok(f->s, &e), 1);
    /* A refused entry inside the caller's transaction leaves the transaction open. */
    struct vg_audit_entry bad = {.actor = "a", .action = ""};
    assert_int_equal(vg_audit_append(f->s, &bad, NULL, &err), VG_EINVAL);
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(f->s)), 0);
    assert_int_equal(vg_store_commit(f->s, &err), 0);
    assert_int_equal(append_ok(f->s, &e), 2); /* its own transaction again */
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(f->s)), 1);
    assert_int_equal(verify_ok(f->s).records, 2);
}

/* ---- deferred records (a sink) ---- */

struct taken {
    char actions[4][16];
    char at[4][VG_AUDIT_AT_MAX];
    int n;
    int refuse; /* the code take returns */
};

static int take(void *ctx, const struct vg_audit_entry *e, struct vg_error *err)
{
    struct taken *t = ctx;
    if (t->refuse)
        return vg_error_set(err, t->refuse, "refused");
    assert_true(t->n < 4);
    snprintf(t->actions[t->n], sizeof(t->actions[0]), "%s", e->action);
    assert_non_null(e->at); /* stamped before it is handed over */
    snprintf(t->at[t->n], sizeof(t->at[0]), "%s", e->at);
    t->n++;
    return 0;
}

static void test_sink_takes_reads_not_changes(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct taken t = {0};
    struct vg_audit_sink sink = {.take = take, .ctx = &t};
    struct vg_audit_entry e = {.actor = "a", .action = "read", .object = "report:1"};
    vg_error_clear(&err);

    assert_int_equal(vg_audit_deferred(f->s), 0);
    vg_audit_set_sink(f->s, &sink);
    assert_int_equal(vg_audit_deferred(f->s), 1);
    /* Outside any transaction, and inside a read transaction: to the sink, not the log. */
    assert_int_equal(vg_audit_append(f->s, &e, NULL, &err), 0);
    assert_int_equal(vg_store_begin_read(f->s, &err), 0);
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log"), "0");
    e.action = "search";
    assert_int_equal(vg_audit_append(f->s, &e, NULL, &err), 0);
    assert_int_equal(vg_store_commit(f->s, &err), 0);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.actions[0], "read");
    assert_string_equal(t.actions[1], "search");
    assert_int_equal(strlen(t.at[0]), 24); /* YYYY-MM-DDTHH:MM:SS.mmmZ */
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log"), "0");

    /* In a transaction that writes: the record stays with the change. */
    assert_int_equal(vg_store_begin(f->s, &err), 0);
    e.action = "update";
    assert_int_equal(append_ok(f->s, &e), 1);
    assert_int_equal(vg_store_commit(f->s, &err), 0);
    assert_int_equal(t.n, 2);

    /* Entries are checked before the sink sees them, and its refusal is the caller's. */
    struct vg_audit_entry bad = {.actor = "a", .action = ""};
    assert_int_equal(vg_audit_append(f->s, &bad, NULL, &err), VG_EINVAL);
    assert_int_equal(t.n, 2);
    t.refuse = VG_ENOMEM;
    assert_int_equal(vg_audit_append(f->s, &e, NULL, &err), VG_ENOMEM);

    /* Without the sink, records go to the log again. */
    vg_audit_set_sink(f->s, NULL);
    assert_int_equal(vg_audit_deferred(f->s), 0);
    assert_int_equal(append_ok(f->s, &e), 2);
    assert_int_equal(verify_ok(f->s).records, 2);
}

/* ---- listing ---- */

struct collected {
    int64_t seqs[32];
    int n, stop_after;
    int nulls_ok;
};

static int collect(const struct vg_audit_record *r, void *ctx)
{
    struct collected *c = ctx;
    if (c->n < 32)
        c->seqs[c->n++] = r->seq;
    if (strlen(r->hash) != 64 || strlen(r->prev_hash) != 64 || !r->at || !r->actor)
        c->nulls_ok = 0;
    if (r->seq == 1 && strspn(r->prev_hash, "0") != 64)
        c->nulls_ok = 0;
    if (r->seq == 2 && r->org != NULL)
        c->nulls_ok = 0;
    return c->stop_after && c->n == c->stop_after ? 42 : 0;
}

static void test_list(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct collected c;
    fill(f->s, 10); /* actors analyst1, analyst2, analyst0, ...; actions cycle every 5 */

    memset(&c, 0, sizeof(c));
    c.nulls_ok = 1;
    assert_int_equal(vg_audit_list(f->s, NULL, collect, &c, &err), 0);
    assert_int_equal(c.n, 10);
    assert_int_equal(c.nulls_ok, 1);
    for (int i = 0; i < 10; i++)
        assert_int_equal(c.seqs[i], i + 1);

    struct vg_audit_filter flt = {.after_seq = 4, .actor = "analyst1"};
    memset(&c, 0, sizeof(c));
    assert_int_equal(vg_audit_list(f->s, &flt, collect, &c, &err), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.seqs[0], 7);
    assert_int_equal(c.seqs[1], 10);

    flt = (struct vg_audit_filter){.action = "export", .limit = 1};
    memset(&c, 0, sizeof(c));
    assert_int_equal(vg_audit_list(f->s, &flt, collect, &c, &err), 0);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.seqs[0], 3);

    memset(&c, 0, sizeof(c));
    c.stop_after = 3;
    assert_int_equal(vg_audit_list(f->s, NULL, collect, &c, &err), 42);
    assert_int_equal(c.n, 3);

    flt = (struct vg_audit_filter){.limit = -1};
    assert_int_equal(vg_audit_list(f->s, &flt, collect, &c, &err), VG_EINVAL);
}

/* ---- concurrent writers ---- */

#define PER_WRITER 200

struct writer {
    const char *path, *name;
    int failures;
    int64_t last;
    int ordered;
};

static void *write_many(void *arg)
{
    struct writer *w = arg;
    struct vg_store *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    w->ordered = 1;
    if (vg_store_open(w->path, 0, &s, &err) != 0) {
        w->failures = PER_WRITER;
        return NULL;
    }
    for (int i = 0; i < PER_WRITER; i++) {
        struct vg_audit_entry e = {.actor = w->name, .action = "read", .object = "report:1"};
        int64_t seq = 0;
        if (vg_audit_append(s, &e, &seq, &err) != 0) {
            w->failures++;
            continue;
        }
        if (seq <= w->last)
            w->ordered = 0;
        w->last = seq;
    }
    vg_store_close(s);
    return NULL;
}

static void test_concurrent_writers_keep_one_chain(void **state)
{
    struct fixture *f = *state;
    struct writer w[2] = {{.path = f->db, .name = "writer-a"}, {.path = f->db, .name = "writer-b"}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, write_many, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].ordered, 1);
    }
    struct vg_audit_report r = verify_ok(f->s);
    assert_int_equal(r.fault, VG_AUDIT_INTACT);
    assert_int_equal(r.records, 2 * PER_WRITER);
    assert_int_equal(r.last_seq, 2 * PER_WRITER);
    assert_string_equal(query1(f->s, "SELECT count(*) FROM audit_log WHERE actor = 'writer-a'"),
                        "200");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_log_is_intact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_and_verify, setup, teardown),
        cmocka_unit_test_setup_teardown(test_chain_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_filled_and_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hash_encoding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_differs_from_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_triggers_refuse_update_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_actor, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_purpose_one_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_made_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_prev_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_hash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_altered_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rehashed_record_breaks_next_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_first_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_then_renumbered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reordered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_record_appended_by_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_tail_is_not_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_head_blocks_append, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_joins_callers_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sink_takes_reads_not_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers_keep_one_chain, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
