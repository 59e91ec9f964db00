/* audit.c - the audit log: appending hash-chained records, verifying the chain, listing records.
 *
 * Data structure: the table audit_log (store migration 3), one row per record, seq 1, 2, 3, ...
 * with no gap. Triggers refuse UPDATE and DELETE, so through SQL the log only grows; the hash
 * chain is what catches changes made around the triggers (someone with the database file).
 *
 * The hash of record n is BLAKE2b-256 (libsodium crypto_generichash, no key) over an encoding
 * that cannot be read two ways:
 *
 *     "vigil-audit-v1"                    14 bytes, the version of this encoding
 *     seq                                 8 bytes, big-endian
 *     at, actor, org, action, object,     each: 0x00 when NULL, else 0x01, the length in bytes
 *     purpose, detail                     (4 bytes, big-endian) and the bytes (no terminator)
 *     prev_hash                           32 bytes: the hash of record n-1, zeros for record 1
 *
 * Lengths make every boundary explicit, the marker byte tells NULL from "", and seq and prev_hash
 * tie the record to its place, so an altered, removed, inserted or reordered record changes a
 * hash that the next record or the record itself no longer matches. The encoding is fed to the
 * hash piece by piece (crypto_generichash_update): nothing is copied.
 *
 * Invariants, kept by vg_audit_append: record n's prev_hash is record n-1's hash; record n is
 * inserted in the same transaction that read record n-1, and the transaction is BEGIN IMMEDIATE
 * (or the caller's, see audit.h), so two writers cannot both extend the same head; seq is the
 * primary key, so even a writer that got the rule wrong fails instead of forking the chain.
 *
 * vg_audit_verify reads the records in seq order with one statement (one consistent snapshot)
 * and keeps only the previous hash: constant memory, whatever the length of the log. What it
 * cannot see: records removed from the end (the chain that is left is intact). Only a copy of the
 * last hash kept elsewhere catches that; the report gives the last seq and hash for the purpose.
 *
 * Ownership: entries are borrowed for the call; records given to a list callback live until the
 * callback returns. Thread-safety: as the store, one thread per connection; any number of
 * connections, in threads or processes, may append to the same database. */
#include "vigil/audit.h"
#include "vigil/store.h"
#include "vigil/text.h"

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define TAG "vigil-audit-v1"
#define NFIELDS 7 /* at, actor, org, action, object, purpose, detail */

static const char *const field_names[NFIELDS] = {"at",     "actor",   "org",   "action",
                                                 "object", "purpose", "detail"};
static const size_t field_caps[NFIELDS] = {
    VG_AUDIT_AT_MAX,     VG_AUDIT_NAME_MAX,    VG_AUDIT_NAME_MAX,  VG_AUDIT_NAME_MAX,
    VG_AUDIT_OBJECT_MAX, VG_AUDIT_PURPOSE_MAX, VG_AUDIT_DETAIL_MAX};

/* The text fields of a record: NULL means absent. */
struct fields {
    const char *p[NFIELDS];
    size_t n[NFIELDS];
};

static void put_be(unsigned char *out, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--) {
        out[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

/* The record hash, as the design comment describes it. */
static void record_hash(int64_t seq, const struct fields *f, const unsigned char *prev,
                        unsigned char *out)
{
    crypto_generichash_state st;
    unsigned char num[8];
    crypto_generichash_init(&st, NULL, 0, VG_AUDIT_HASH_SIZE);
    crypto_generichash_update(&st, (const unsigned char *)TAG, sizeof(TAG) - 1);
    put_be(num, (uint64_t)seq, 8);
    crypto_generichash_update(&st, num, 8);
    for (int i = 0; i < NFIELDS; i++) {
        unsigned char head[5] = {0};
        if (!f->p[i]) {
            crypto_generichash_update(&st, head, 1);
            continue;
        }
        head[0] = 1;
        put_be(head + 1, (uint64_t)f->n[i], 4);
        crypto_generichash_update(&st, head, 5);
        crypto_generichash_update(&st, (const unsigned char *)f->p[i], f->n[i]);
    }
    crypto_generichash_update(&st, prev, VG_AUDIT_HASH_SIZE);
    crypto_generichash_final(&st, out, VG_AUDIT_HASH_SIZE);
}

static int sodium_ready(struct vg_error *err)
{
    if (sodium_init() < 0)
        return vg_error_set(err, VG_EINVAL, "cannot initialise libsodium");
    return 0;
}

/* Digits of s[0..n) as a number, or -1 when one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* 1 when s is YYYY-MM-DDTHH:MM:SS[.fraction]Z with every part in range. */
static int valid_time(const char *s, size_t n)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (n < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return 0;
    int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
    int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
    if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour < 0 ||
        hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
        return 0;
    if (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return 0;
    size_t i = 19;
    if (s[i] == '.') {
        size_t start = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start || i - start > 9)
            return 0;
    }
    return i + 1 == n && s[i] == 'Z';
}

/* The current UTC time with milliseconds, e.g. 2026-05-09T12:34:56.789Z. */
static void now_utc(char *out, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    /* The fields are bounded (a year of at most 4 digits is what gmtime gives for any time this
     * program will see), so the result fits in 25 bytes; a longer year would be cut, never
     * overflow. */
    int year = tm.tm_year + 1900;
    if (year < 0 || year > 9999)
        year = 9999;
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year % 10000, (tm.tm_mon + 1) % 100,
             tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100,
             (int)(ts.tv_nsec / 1000000) % 1000);
}

/* Checks an entry and fills f from it (at already chosen). */
static int check_entry(const struct vg_audit_entry *e, const char *at, struct fields *f,
                       struct vg_error *err)
{
    f->p[0] = at;
    f->p[1] = e->actor;
    f->p[2] = e->org;
    f->p[3] = e->action;
    f->p[4] = e->object;
    f->p[5] = e->purpose;
    f->p[6] = e->detail;
    for (int i = 0; i < NFIELDS; i++) {
        f->n[i] = 0;
        if (!f->p[i])
            continue;
        f->n[i] = strnlen(f->p[i], field_caps[i] + 1);
        if (f->n[i] > field_caps[i])
            return vg_error_set(err, VG_ETOOBIG, "the audit %s is longer than %zu bytes",
                                field_names[i], field_caps[i]);
        if (!vg_text_is_utf8(f->p[i], f->n[i]))
            return vg_error_set(err, VG_EFORMAT, "the audit %s is not UTF-8", field_names[i]);
    }
    if (!e->actor || !e->actor[0])
        return vg_error_set(err, VG_EINVAL, "an audit record needs an actor");
    if (!e->action || !e->action[0])
        return vg_error_set(err, VG_EINVAL, "an audit record needs an action");
    if (!valid_time(f->p[0], f->n[0]))
        return vg_error_set(err, VG_EINVAL,
                            "the audit time '%s' is not UTC ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)",
                            f->p[0]);
    if (e->detail) {
        json_error_t jerr;
        json_t *j = json_loadb(e->detail, f->n[6], JSON_REJECT_DUPLICATES, &jerr);
        int parsed = j != NULL, is_object = json_is_object(j);
        json_decref(j);
        if (!is_object)
            return vg_error_set(err, VG_EFORMAT, "the audit detail is not a JSON object%s%s",
                                parsed ? "" : ": ", parsed ? "" : jerr.text);
    }
    return 0;
}

static int db_fail(sqlite3 *db, struct vg_error *err, const char *what)
{
    return vg_error_set(err, VG_EDB, "%s: %s", what, sqlite3_errmsg(db));
}

static void bind_field(sqlite3_stmt *st, int i, const char *p, size_t n)
{
    if (p)
        sqlite3_bind_text(st, i, p, (int)n, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static const char head_sql[] = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
static const char insert_sql[] =
    "INSERT INTO audit_log (seq, at, actor, org, action, object, purpose, detail, prev_hash, "
    "hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/* Reads the chain head: the last seq (0 when the log is empty) and its hash (zeros then). */
static int read_head(struct vg_store *s, int64_t *seq, unsigned char *hash, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (vg_store_stmt(s, head_sql, &st, err))
        return db_fail(db, err, "cannot read the audit log");
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *seq = sqlite3_column_int64(st, 0);
        if (sqlite3_column_type(st, 1) != SQLITE_BLOB ||
            sqlite3_column_bytes(st, 1) != VG_AUDIT_HASH_SIZE || *seq < 1 || *seq == INT64_MAX) {
            rc = vg_error_set(err, VG_EFORMAT,
                              "the last audit record (%lld) is damaged; run 'vigil audit verify'",
                              (long long)*seq);
            goto done;
        }
        memcpy(hash, sqlite3_column_blob(st, 1), VG_AUDIT_HASH_SIZE);
    } else if (step == SQLITE_DONE) {
        *seq = 0;
        memset(hash, 0, VG_AUDIT_HASH_SIZE);
    } else {
        rc = db_fail(db, err, "cannot read the audit log");
    }
done:
    vg_store_stmt_done(s, st);
    return rc;
}

void vg_audit_set_sink(struct vg_store *s, const struct vg_audit_sink *sink)
{
    struct vg_audit_sink *slot = vg_store_audit_sink(s);
    if (sink)
        *slot = *sink;
    else
        memset(slot, 0, sizeof(*slot));
}

int vg_audit_deferred(struct vg_store *s)
{
    return vg_store_audit_sink(s)->take != NULL;
}

int vg_audit_append(struct vg_store *s, const struct vg_audit_entry *e, int64_t *seq,
                    struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *ins = NULL;
    struct fields f;
    char now[VG_AUDIT_AT_MAX];
    unsigned char prev[VG_AUDIT_HASH_SIZE], hash[VG_AUDIT_HASH_SIZE];
    int64_t last = 0;
    int own = 0, rc;

    if (!e)
        return vg_error_set(err, VG_EINVAL, "no audit entry");
    if ((rc = sodium_ready(err)))
        return rc;
    if (!e->at)
        now_utc(now, sizeof(now));
    if ((rc = check_entry(e, e->at ? e->at : now, &f, err)))
        return rc;

    /* A record that goes with a change stays in the change's transaction; the others go to
     * the sink, when the connection has one. */
    const struct vg_audit_sink *sink = vg_store_audit_sink(s);
    if (sink->take && sqlite3_txn_state(db, "main") != SQLITE_TXN_WRITE) {
        struct vg_audit_entry copy = *e;
        copy.at = f.p[0];
        return sink->take(sink->ctx, &copy, err);
    }
    if (sqlite3_get_autocommit(db)) {
        if ((rc = vg_store_begin(s, err)))
            return rc;
        own = 1;
    }
    if ((rc = read_head(s, &last, prev, err)))
        goto fail;
    record_hash(last + 1, &f, prev, hash);
    if (vg_store_stmt(s, insert_sql, &ins, err)) {
        rc = db_fail(db, err, "cannot write the audit log");
        goto fail;
    }
    sqlite3_bind_int64(ins, 1, last + 1);
    for (int i = 0; i < NFIELDS; i++)
        bind_field(ins, 2 + i, f.p[i], f.n[i]);
    sqlite3_bind_blob(ins, 9, prev, VG_AUDIT_HASH_SIZE, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 10, hash, VG_AUDIT_HASH_SIZE, SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE) {
        rc = db_fail(db, err, "cannot write the audit log");
        goto fail;
    }
    vg_store_stmt_done(s, ins);
    ins = NULL;
    if (own && (rc = vg_store_commit(s, err)))
        goto fail;
    if (seq)
        *seq = last + 1;
    return 0;
fail:
    vg_store_stmt_done(s, ins);
    if (own)
        vg_store_rollback(s);
    return rc;
}

const char *vg_audit_fault_name(int fault)
{
    switch (fault) {
    case VG_AUDIT_INTACT:
        return "intact";
    case VG_AUDIT_HASH_MISMATCH:
        return "hash mismatch";
    case VG_AUDIT_LINK_BROKEN:
        return "broken link";
    case VG_AUDIT_GAP:
        return "gap";
    case VG_AUDIT_FIRST_MISSING:
        return "first record missing";
    case VG_AUDIT_MALFORMED:
        return "malformed record";
    default:
        return "unknown fault";
    }
}

#define SELECT_COLUMNS                                                                             \
    "SELECT seq, at, actor, org, action, object, purpose, detail, prev_hash, hash FROM audit_log "

static void broken(struct vg_audit_report *r, int fault, int64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void broken(struct vg_audit_report *r, int fault, int64_t seq, const char *fmt, ...)
{
    va_list ap;
    r->fault = fault;
    r->broken_seq = seq;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
    va_end(ap);
}

/* Checks the column types of the current row: which column is wrong, or NULL. */
static const char *bad_column(sqlite3_stmt *st)
{
    for (int i = 0; i < NFIELDS; i++) {
        int t = sqlite3_column_type(st, 1 + i);
        int required = i == 0 || i == 1 || i == 3; /* at, actor, action */
        if (t != SQLITE_TEXT && !(t == SQLITE_NULL && !required))
            return field_names[i];
    }
    if (sqlite3_column_type(st, 8) != SQLITE_BLOB ||
        sqlite3_column_bytes(st, 8) != VG_AUDIT_HASH_SIZE)
        return "prev_hash";
    if (sqlite3_column_type(st, 9) != SQLITE_BLOB ||
        sqlite3_column_bytes(st, 9) != VG_AUDIT_HASH_SIZE)
        return "hash";
    return NULL;
}

int vg_audit_verify(struct vg_store *s, struct vg_audit_report *report, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct vg_audit_report r;
    unsigned char prev[VG_AUDIT_HASH_SIZE] = {0}, hash[VG_AUDIT_HASH_SIZE];
    int rc;

    memset(&r, 0, sizeof(r));
    if ((rc = sodium_ready(err)))
        return rc;
    if (sqlite3_prepare_v2(db, SELECT_COLUMNS "ORDER BY seq", -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot read the audit log");
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t seq = sqlite3_column_int64(st, 0), expected = r.last_seq + 1;
        if (seq < expected) {
            broken(&r, VG_AUDIT_MALFORMED, seq, "record %lld: seq numbers start at 1",
                   (long long)seq);
            break;
        }
        if (seq > expected) {
            if (expected == 1)
                broken(&r, VG_AUDIT_FIRST_MISSING, 1,
                       "record 1 is missing: the log starts at record %lld", (long long)seq);
            else if (seq == expected + 1)
                broken(&r, VG_AUDIT_GAP, expected,
                       "record %lld is missing: record %lld follows record %lld",
                       (long long)expected, (long long)seq, (long long)r.last_seq);
            else
                broken(&r, VG_AUDIT_GAP, expected,
                       "records %lld to %lld are missing: record %lld follows record %lld",
                       (long long)expected, (long long)(seq - 1), (long long)seq,
                       (long long)r.last_seq);
            break;
        }
        const char *bad = bad_column(st);
        if (bad) {
            broken(&r, VG_AUDIT_MALFORMED, seq, "record %lld: its %s has the wrong type or size",
                   (long long)seq, bad);
            break;
        }
        if (memcmp(sqlite3_column_blob(st, 8), prev, VG_AUDIT_HASH_SIZE) != 0) {
            if (seq == 1)
                broken(&r, VG_AUDIT_LINK_BROKEN, seq,
                       "record 1: its prev_hash is not zeros, as the first record's must be");
            else
                broken(&r, VG_AUDIT_LINK_BROKEN, seq,
                       "record %lld: its prev_hash is not the hash of record %lld", (long long)seq,
                       (long long)r.last_seq);
            break;
        }
        struct fields f;
        for (int i = 0; i < NFIELDS; i++) {
            f.p[i] = (const char *)sqlite3_column_text(st, 1 + i);
            f.n[i] = (size_t)sqlite3_column_bytes(st, 1 + i);
        }
        record_hash(seq, &f, prev, hash);
        if (memcmp(sqlite3_column_blob(st, 9), hash, VG_AUDIT_HASH_SIZE) != 0) {
            broken(&r, VG_AUDIT_HASH_MISMATCH, seq,
                   "record %lld: its content does not match its hash (altered)", (long long)seq);
            break;
        }
        memcpy(prev, hash, VG_AUDIT_HASH_SIZE);
        r.last_seq = seq;
        r.records++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = db_fail(db, err, "cannot read the audit log");
        sqlite3_finalize(st);
        return rc;
    }
    sqlite3_finalize(st);
    if (r.last_seq > 0)
        sodium_bin2hex(r.last_hash, sizeof(r.last_hash), prev, VG_AUDIT_HASH_SIZE);
    *report = r;
    return 0;
}

/* A blob column as hexadecimal; "" when it is not a hash-sized blob. */
static void column_hex(sqlite3_stmt *st, int col, char *out)
{
    out[0] = '\0';
    if (sqlite3_column_type(st, col) == SQLITE_BLOB &&
        sqlite3_column_bytes(st, col) == VG_AUDIT_HASH_SIZE)
        sodium_bin2hex(out, VG_AUDIT_HEX_SIZE, sqlite3_column_blob(st, col), VG_AUDIT_HASH_SIZE);
}

int vg_audit_list(struct vg_store *s, const struct vg_audit_filter *f,
                  int (*fn)(const struct vg_audit_record *r, void *ctx), void *ctx,
                  struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct vg_audit_filter all = {0};
    int rc = 0, step;

    if (!f)
        f = &all;
    if (f->after_seq < 0 || f->limit < 0)
        return vg_error_set(err, VG_EINVAL, "the audit filter has a negative seq or limit");
    if (sqlite3_prepare_v2(db,
                           SELECT_COLUMNS "WHERE seq > ?1 AND (?2 IS NULL OR actor = ?2) "
                                          "AND (?3 IS NULL OR action = ?3) "
                                          "AND (?5 IS NULL OR org = ?5) ORDER BY seq LIMIT ?4",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err, "cannot read the audit log");
    sqlite3_bind_int64(st, 1, f->after_seq);
    bind_field(st, 2, f->actor, f->actor ? strlen(f->actor) : 0);
    bind_field(st, 3, f->action, f->action ? strlen(f->action) : 0);
    sqlite3_bind_int64(st, 4, f->limit > 0 ? f->limit : -1);
    bind_field(st, 5, f->org, f->org ? strlen(f->org) : 0);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct vg_audit_record rec;
        const char **text[NFIELDS] = {&rec.at,     &rec.actor,   &rec.org,   &rec.action,
                                      &rec.object, &rec.purpose, &rec.detail};
        rec.seq = sqlite3_column_int64(st, 0);
        for (int i = 0; i < NFIELDS; i++)
            *text[i] = (const char *)sqlite3_column_text(st, 1 + i);
        column_hex(st, 8, rec.prev_hash);
        column_hex(st, 9, rec.hash);
        if ((rc = fn(&rec, ctx)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(db, err, "cannot read the audit log");
    sqlite3_finalize(st);
    return rc;
}
