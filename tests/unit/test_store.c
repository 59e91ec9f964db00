/* test_store.c - opening and migrating the database, and the incidents table
 * (src/store/store.c, src/store/incidents.c). Every test works in its own scratch directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <math.h>
#include <sqlite3.h>

struct fixture {
    char *dir;
    char db[TU_PATH_MAX];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, "vigil.db");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    tu_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static struct vg_store *open_ok(const char *path, int flags)
{
    struct vg_store *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_store_open(path, flags, &s, &err) != 0)
        fail_msg("open %s: %s", path, err.message);
    assert_non_null(s);
    return s;
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

static int64_t count(struct vg_store *s)
{
    int64_t n = -1;
    struct vg_error err;
    assert_int_equal(vg_incident_count(s, &n, &err), 0);
    return n;
}

/* ---- opening ---- */

static void test_open_creates_schema(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(access(f->db, F_OK), -1);
    struct vg_store *s = open_ok(f->db, 0);
    assert_int_equal(access(f->db, F_OK), 0);
    int version = -1;
    assert_int_equal(vg_store_version(s, &version), 0);
    assert_true(vg_store_latest_version() >= 1);
    assert_int_equal(version, vg_store_latest_version());
    char latest[16];
    snprintf(latest, sizeof(latest), "%d", vg_store_latest_version());
    assert_string_equal(query1(s, "PRAGMA user_version"), latest);
    assert_string_equal(query1(s, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'incidents'"),
                        "1");
    assert_string_equal(query1(s, "PRAGMA journal_mode"), "wal");
    assert_int_equal(count(s), 0);
    vg_store_close(s);
    vg_store_close(NULL);
}

static void test_reopen_is_idempotent(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_store *s = open_ok(f->db, 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2001, 'GTD', 'a', 1)",
                                   &err),
                     0);
    const char *schema = query1(s, "SELECT group_concat(sql, ';') FROM sqlite_master");
    char *before = strdup(schema);
    vg_store_close(s);

    for (int i = 0; i < 3; i++) {
        s = open_ok(f->db, 0);
        int version = -1;
        assert_int_equal(vg_store_version(s, &version), 0);
        assert_int_equal(version, vg_store_latest_version());
        assert_string_equal(query1(s, "SELECT group_concat(sql, ';') FROM sqlite_master"), before);
        assert_int_equal(count(s), 1);
        assert_string_equal(query1(s, "PRAGMA journal_mode"), "wal");
        vg_store_close(s);
    }
    /* Two connections at once. */
    struct vg_store *a = open_ok(f->db, 0), *b = open_ok(f->db, 0);
    assert_int_equal(count(a), 1);
    assert_int_equal(count(b), 1);
    vg_store_close(a);
    vg_store_close(b);
    free(before);
}

static void test_newer_database_refused(void **state)
{
    struct fixture *f = *state;
    int newer = vg_store_latest_version() + 1;
    sqlite3 *db = NULL;
    char sql[128];
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    snprintf(sql, sizeof(sql), "CREATE TABLE future (x); PRAGMA user_version = %d", newer);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    struct vg_store *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    assert_int_equal(vg_store_open(f->db, 0, &s, &err), VG_EDB);
    assert_null(s);
    assert_int_equal(err.code, VG_EDB);
    /* The message says what is wrong: the database is newer than this build. */
    char num[16];
    snprintf(num, sizeof(num), "%d", newer);
    if (!strstr(err.message, "newer") || !strstr(err.message, num))
        fail_msg("unclear message: %s", err.message);

    /* Nothing was changed in it. */
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), newer);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT count(*) FROM sqlite_master WHERE name = "
                                        "'incidents'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0);
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* Read-only: refused too. */
    vg_error_clear(&err);
    assert_int_equal(vg_store_open(f->db, VG_STORE_READONLY, &s, &err), VG_EDB);
    assert_null(s);
    assert_true(err.message[0] != '\0');

    /* Not even its journal mode was changed. */
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char mode[16];
    snprintf(mode, sizeof(mode), "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    assert_string_equal(mode, "delete");
}

static void test_readonly(void **state)
{
    struct fixture *f = *state;
    struct vg_store *s = NULL;
    struct vg_error err;

    /* A missing file is not created. */
    vg_error_clear(&err);
    assert_int_equal(vg_store_open(f->db, VG_STORE_READONLY, &s, &err), VG_EDB);
    assert_null(s);
    assert_int_equal(err.code, VG_EDB);
    assert_non_null(strstr(err.message, f->db));
    assert_int_equal(access(f->db, F_OK), -1);

    /* An existing database opens, reads, and refuses writes. */
    s = open_ok(f->db, 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2001, 'GTD', 'a', 1)",
                                   &err),
                     0);
    vg_store_close(s);
    s = open_ok(f->db, VG_STORE_READONLY);
    assert_int_equal(count(s), 1);
    vg_error_clear(&err);
    assert_int_equal(vg_store_exec(s, "DELETE FROM incidents", &err), VG_EDB);
    assert_true(err.message[0] != '\0');
    assert_int_equal(count(s), 1);
    vg_store_close(s);

    /* An SQLite file that is not a Vigil database is not one to read. */
    char other[TU_PATH_MAX];
    tu_join(other, f->dir, "other.db");
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(other, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    vg_error_clear(&err);
    s = NULL;
    assert_int_equal(vg_store_open(other, VG_STORE_READONLY, &s, &err), VG_EDB);
    assert_null(s);
    assert_non_null(strstr(err.message, "not a Vigil database"));
}

static void test_open_bad_paths(void **state)
{
    struct fixture *f = *state;
    struct vg_store *s = NULL;
    struct vg_error err;
    char path[TU_PATH_MAX];

    /* In a directory that does not exist. */
    vg_error_clear(&err);
    assert_int_equal(vg_store_open(tu_join(path, f->dir, "no/such/dir.db"), 0, &s, &err), VG_EDB);
    assert_null(s);
    assert_true(err.message[0] != '\0');

    /* A file that is not a database. */
    tu_join(path, f->dir, "text.db");
    tu_write_str(path, "this is not an SQLite database, just some text that is long enough to "
                       "fill a header of one hundred bytes, and then some more text.\n");
    vg_error_clear(&err);
    assert_int_equal(vg_store_open(path, 0, &s, &err), VG_EDB);
    assert_null(s);
    assert_true(err.message[0] != '\0');
}

static void test_open_out_of_memory(void **state)
{
    struct fixture *f = *state;
    struct vg_store *s = NULL;
    struct vg_error err;
    vg_error_clear(&err);
    vg_mem_fail_after(0);
    int rc = vg_store_open(f->db, 0, &s, &err);
    vg_mem_fail_after(-1);
    assert_int_equal(rc, VG_ENOMEM);
    assert_null(s);
}

static void test_exec_and_transactions(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_store *s = open_ok(f->db, 0);
    vg_error_clear(&err);
    assert_int_equal(vg_store_exec(s, "SELECT * FROM no_such_table", &err), VG_EDB);
    assert_int_equal(err.code, VG_EDB);
    assert_non_null(strstr(err.message, "no_such_table"));

    assert_int_equal(vg_store_begin(s, &err), 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2001, 'GTD', 'a', 1)",
                                   &err),
                     0);
    vg_store_rollback(s);
    assert_int_equal(count(s), 0);
    vg_store_rollback(s); /* nothing open: harmless */

    assert_int_equal(vg_store_begin(s, &err), 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2001, 'GTD', 'a', 1)",
                                   &err),
                     0);
    assert_int_equal(vg_store_commit(s, &err), 0);
    assert_int_equal(count(s), 1);
    /* No transaction to commit. */
    assert_int_equal(vg_store_commit(s, &err), VG_EDB);

    /* Inside a transaction, begin opens a savepoint: a nested change fails alone, another one
     * is kept, and the outer commit writes what is left. */
    assert_int_equal(vg_store_begin(s, &err), 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2002, 'GTD', 'b', 2)",
                                   &err),
                     0);
    assert_int_equal(vg_store_begin(s, &err), 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2003, 'GTD', 'c', 3)",
                                   &err),
                     0);
    vg_store_rollback(s); /* the savepoint only */
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(s)), 0);
    assert_int_equal(vg_store_begin(s, &err), 0);
    assert_int_equal(vg_store_exec(s,
                                   "INSERT INTO incidents (year, source, source_id, row_hash) "
                                   "VALUES (2004, 'GTD', 'd', 4)",
                                   &err),
                     0);
    assert_int_equal(vg_store_commit(s, &err), 0); /* released into the outer transaction */
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(s)), 0);
    assert_int_equal(vg_store_commit(s, &err), 0);
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(s)), 1);
    assert_int_equal(count(s), 3);
    assert_string_equal(query1(s, "SELECT group_concat(source_id, '') FROM (SELECT source_id "
                                  "FROM incidents ORDER BY source_id)"),
                        "abd");
    vg_store_close(s);
}

/* ---- incidents ---- */

static void sample_incident(struct vg_incident *inc)
{
    vg_incident_clear(inc);
    inc->source = "GTD";
    inc->source_id = "201401010001";
    inc->year = 2014;
    inc->month = 1;
    inc->day = 2;
    inc->country = "Iraq";
    inc->country_code = 95;
    inc->city = "Baghdad";
    inc->latitude = 33.3;
    inc->longitude = 44.4;
    inc->killed = 6;
    inc->summary = "A car bomb.";
    inc->extra = "{\"nperps\":3}";
    inc->extra_len = strlen(inc->extra);
    inc->hash = 0x1234567890abcdefULL;
}

static void test_incident_clear(void **state)
{
    (void)state;
    struct vg_incident inc;
    memset(&inc, 0x5a, sizeof(inc));
    vg_incident_clear(&inc);
    assert_null(inc.source);
    assert_null(inc.source_id);
    assert_null(inc.city);
    assert_null(inc.extra);
    assert_int_equal(inc.year, VG_NULL_INT);
    assert_int_equal(inc.month, VG_NULL_INT);
    assert_int_equal(inc.day, VG_NULL_INT);
    assert_int_equal(inc.killed, VG_NULL_INT);
    assert_int_equal(inc.wounded, VG_NULL_INT);
    assert_int_equal(inc.specificity, VG_NULL_INT);
    assert_int_equal(inc.attack_code, VG_NULL_INT);
    assert_true(isnan(inc.latitude));
    assert_true(isnan(inc.longitude));
}

static void test_incident_put(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_store *s = open_ok(f->db, 0);
    struct vg_incident_writer *w = NULL;
    assert_int_equal(vg_incident_writer_create(s, &w, &err), 0);
    assert_non_null(w);

    struct vg_incident inc;
    sample_incident(&inc);
    int outcome = -1;
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_INSERTED);
    assert_int_equal(count(s), 1);
    assert_string_equal(query1(s, "SELECT city || '|' || country || '|' || killed || '|' || "
                                  "month || '|' || day || '|' || extra || '|' || summary "
                                  "FROM incidents"),
                        "Baghdad|Iraq|6|1|2|{\"nperps\":3}|A car bomb.");
    /* Unknown values are NULL. */
    assert_string_equal(query1(s, "SELECT (wounded IS NULL) + (provstate IS NULL) + "
                                  "(specificity IS NULL) + (attack_code IS NULL) + "
                                  "(success IS NULL) FROM incidents"),
                        "5");

    /* The same hash again: nothing written, even when the other values differ. */
    outcome = -1;
    inc.city = "ignored";
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_UNCHANGED);
    assert_string_equal(query1(s, "SELECT city FROM incidents"), "Baghdad");

    /* Another hash: the record is updated in place. */
    inc.city = "Basra";
    inc.killed = VG_NULL_INT;
    inc.latitude = NAN;
    inc.month = 3;
    inc.extra = NULL;
    inc.extra_len = 0;
    inc.hash = 42;
    outcome = -1;
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_UPDATED);
    assert_int_equal(count(s), 1);
    assert_string_equal(query1(s, "SELECT city || '|' || month || '|' || extra || '|' || "
                                  "(killed IS NULL) || (latitude IS NULL) || row_hash "
                                  "FROM incidents"),
                        "Basra|3|{}|1142");

    /* The same id from another source is another record. */
    inc.source = "ACLED";
    outcome = -1;
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_INSERTED);
    assert_int_equal(count(s), 2);

    /* A hash with the top bit set survives the round trip and is recognised. */
    inc.hash = 0xfedcba9876543210ULL;
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_UPDATED);
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_UNCHANGED);

    vg_incident_writer_destroy(w);
    vg_incident_writer_destroy(NULL);
    vg_store_close(s);
}

static void test_incident_put_after_delete(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_store *s = open_ok(f->db, 0);
    struct vg_incident_writer *w = NULL;
    assert_int_equal(vg_incident_writer_create(s, &w, &err), 0);
    struct vg_incident inc;
    int outcome = -1;

    /* A record is stored, then removed; the next new record is reported as what it is, an
     * insert, whatever row id the table gives it. */
    sample_incident(&inc);
    inc.source_id = "first";
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_INSERTED);
    assert_int_equal(vg_store_exec(s, "DELETE FROM incidents WHERE source_id = 'first'", &err), 0);
    assert_int_equal(count(s), 0);
    inc.source_id = "second";
    outcome = -1;
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(count(s), 1);
    assert_int_equal(outcome, VG_PUT_INSERTED);
    vg_incident_writer_destroy(w);
    vg_store_close(s);
}

static void test_incident_constraints(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_store *s = open_ok(f->db, 0);
    struct vg_incident_writer *w = NULL;
    assert_int_equal(vg_incident_writer_create(s, &w, &err), 0);
    struct vg_incident inc;

    assert_int_equal(vg_store_begin(s, &err), 0);
    sample_incident(&inc);
    inc.source_id = "bad-month";
    inc.month = 13;
    int outcome = -1;
    vg_error_clear(&err);
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), VG_EINVAL);
    assert_int_equal(err.code, VG_EINVAL);
    assert_non_null(strstr(err.message, "bad-month"));

    struct {
        const char *id;
        int64_t day, killed;
        double lat;
    } bad[] = {{"bad-day", 32, 1, 0}, {"bad-killed", 1, -1, 0}, {"bad-lat", 1, 1, 90.5}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sample_incident(&inc);
        inc.source_id = bad[i].id;
        inc.day = bad[i].day;
        inc.killed = bad[i].killed;
        inc.latitude = bad[i].lat;
        assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), VG_EINVAL);
    }

    /* The transaction goes on: a good record after the bad ones is stored. */
    sample_incident(&inc);
    assert_int_equal(vg_incident_put(w, &inc, &outcome, &err), 0);
    assert_int_equal(outcome, VG_PUT_INSERTED);
    assert_int_equal(vg_store_commit(s, &err), 0);
    assert_int_equal(count(s), 1);
    assert_string_equal(query1(s, "SELECT source_id FROM incidents"), "201401010001");
    vg_incident_writer_destroy(w);
    vg_store_close(s);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_creates_schema),    T(test_reopen_is_idempotent),
        T(test_newer_database_refused), T(test_readonly),
        T(test_open_bad_paths),         T(test_open_out_of_memory),
        T(test_exec_and_transactions),  cmocka_unit_test(test_incident_clear),
        T(test_incident_put),           T(test_incident_put_after_delete),
        T(test_incident_constraints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
