/* test_retention.c - the retention of reports (vg_report_retention in src/share/reports.c), as
 * `vigil retention run` uses it: which reports are due, listing versus purging, the audit record
 * of every decision, a walk stopped by its callback, and refused arguments. Every test works on
 * an in-memory store with two organisations, Police (analyst ana) and Partner (analyst pat),
 * whose reports are made with vg_report_create. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/accounts.h"
#include "vigil/audit.h"
#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/reports.h"
#include "vigil/store.h"

#include <sqlite3.h>

#define T0 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define ACTOR "cli:tester"

enum { ANA, PAT, NUSERS };

struct fixture {
    struct vg_store *s;
    struct vg_principal u[NUSERS];
};

static int setup(void **state)
{
    static const char *const orgs[NUSERS] = {"Police", "Partner"};
    static const char *const names[NUSERS] = {"ana", "pat"};
    struct fixture *f = calloc(1, sizeof(*f));
    struct vg_error err;
    if (!f)
        return -1;
    if (vg_store_open(":memory:", 0, &f->s, &err) != 0)
        fail_msg("open: %s", err.message);
    for (int i = 0; i < NUSERS; i++) {
        char key[VG_KEY_SIZE];
        if (vg_org_add(f->s, orgs[i], T0, NULL, &err) ||
            vg_user_add(f->s, orgs[i], names[i], VG_ROLE_ANALYST, T0, NULL, key, &err) ||
            vg_key_authenticate(f->s, key, T0, &f->u[i], &err))
            fail_msg("%s: %s", names[i], err.message);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    vg_store_close(f->s);
    free(f);
    return 0;
}

/* A report by user who with review date due (NULL: none) and one person indicator when due is
 * set (a record about a person carries a review date). */
static int64_t make(struct fixture *f, int who, const char *due)
{
    char json[512];
    struct vg_error err;
    int64_t id = 0;
    if (due)
        snprintf(json, sizeof(json),
                 "{\"title\":\"due %s\",\"tlp\":\"TLP:AMBER\",\"distribution\":\"organisation\","
                 "\"review_due\":\"%s\",\"indicators\":[{\"type\":\"person\",\"value\":\"X\","
                 "\"subject_category\":\"witness\"},{\"type\":\"phone\",\"value\":\"+32 1\"}]}",
                 due, due);
    else
        snprintf(json, sizeof(json),
                 "{\"title\":\"no review\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}");
    if (vg_report_create(f->s, &f->u[who], json, strlen(json), T0, &id, &err) != 0)
        fail_msg("create: %s", err.message);
    return id;
}

static long count_sql(struct vg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long n = -1;
    if (sqlite3_prepare_v2(vg_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(vg_store_db(s)));
    if (sqlite3_step(st) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The records of one action, one line each: "actor|org|object|purpose|detail\n". */
struct records {
    char text[2048];
    long n;
};

static int add_record(const struct vg_audit_record *r, void *ctx)
{
    struct records *out = ctx;
    size_t len = strlen(out->text);
    snprintf(out->text + len, sizeof(out->text) - len, "%s|%s|%s|%s|%s\n", r->actor,
             r->org ? r->org : "", r->object ? r->object : "", r->purpose ? r->purpose : "",
             r->detail ? r->detail : "");
    out->n++;
    return 0;
}

static void records_of(struct vg_store *s, const char *action, struct records *out)
{
    struct vg_audit_filter flt = {.action = action};
    struct vg_error err;
    memset(out, 0, sizeof(*out));
    assert_int_equal(vg_audit_list(s, &flt, add_record, out, &err), 0);
}

static void assert_chain_intact(struct vg_store *s)
{
    struct vg_audit_report rep;
    struct vg_error err;
    assert_int_equal(vg_audit_verify(s, &rep, &err), 0);
    assert_int_equal(rep.fault, VG_AUDIT_INTACT);
}

/* What the callback saw: "id org review_due;" per report, and an optional stop. */
struct seen {
    char text[512];
    int calls;
    int stop_at; /* return 7 on this call (1-based); 0: never */
};

static int on_due(const struct vg_report_due *d, void *ctx)
{
    struct seen *sn = ctx;
    size_t len = strlen(sn->text);
    sn->calls++;
    snprintf(sn->text + len, sizeof(sn->text) - len, "%lld %s %s;", (long long)d->id, d->org,
             d->review_due);
    return sn->calls == sn->stop_at ? 7 : 0;
}

/* Listing names the reports whose review date is before today, in id order, across
 * organisations; it deletes nothing and records one "retention-list" per report. */
static void test_list(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t past = make(f, ANA, "2026-03-01");
    make(f, ANA, "2026-06-01"); /* due today: not yet past */
    make(f, ANA, "2027-01-01");
    make(f, ANA, NULL);
    int64_t other = make(f, PAT, "2025-12-31");
    struct seen sn = {0};
    int64_t n = -1;
    assert_int_equal(vg_report_retention(f->s, ACTOR, "2026-06-01", 0, on_due, &sn, &n, &err), 0);
    assert_int_equal(n, 2);
    char want[256];
    snprintf(want, sizeof(want), "%lld Police 2026-03-01;%lld Partner 2025-12-31;", (long long)past,
             (long long)other);
    assert_string_equal(sn.text, want);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 5);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators"), 8);

    struct records rec;
    records_of(f->s, "retention-list", &rec);
    snprintf(want, sizeof(want),
             ACTOR "|Police|report:%lld|review date passed|{\"review_due\":\"2026-03-01\"}\n" ACTOR
                   "|Partner|report:%lld|review date passed|{\"review_due\":\"2025-12-31\"}\n",
             (long long)past, (long long)other);
    assert_string_equal(rec.text, want);
    records_of(f->s, "retention-purge", &rec);
    assert_int_equal(rec.n, 0);

    /* A listing without a callback or a count is the same walk. */
    assert_int_equal(vg_report_retention(f->s, ACTOR, "2026-06-01", 0, NULL, NULL, NULL, &err), 0);
    records_of(f->s, "retention-list", &rec);
    assert_int_equal(rec.n, 4);
    assert_chain_intact(f->s);
}

/* Applying deletes the due reports with their indicators, records one "retention-purge" each,
 * and leaves the others readable; a second run finds nothing. */
static void test_apply(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t a = make(f, ANA, "2026-01-15");
    int64_t b = make(f, PAT, "2026-05-31");
    int64_t keep = make(f, ANA, "2026-06-01");
    int64_t none = make(f, ANA, NULL);
    int64_t n = -1;
    assert_int_equal(vg_report_retention(f->s, ACTOR, "2026-06-01", 1, NULL, NULL, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 2);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators"), 2);

    char *json = NULL;
    assert_int_equal(vg_report_get(f->s, &f->u[ANA], a, "check", &json, &err), VG_ENOTFOUND);
    assert_null(json);
    assert_int_equal(vg_report_get(f->s, &f->u[PAT], b, "check", &json, &err), VG_ENOTFOUND);
    assert_int_equal(vg_report_get(f->s, &f->u[ANA], keep, "check", &json, &err), 0);
    vg_free(json);
    json = NULL;
    assert_int_equal(vg_report_get(f->s, &f->u[ANA], none, "check", &json, &err), 0);
    vg_free(json);

    struct records rec;
    char want[256];
    records_of(f->s, "retention-purge", &rec);
    snprintf(want, sizeof(want),
             ACTOR "|Police|report:%lld|review date passed|{\"review_due\":\"2026-01-15\"}\n" ACTOR
                   "|Partner|report:%lld|review date passed|{\"review_due\":\"2026-05-31\"}\n",
             (long long)a, (long long)b);
    assert_string_equal(rec.text, want);
    records_of(f->s, "retention-list", &rec);
    assert_int_equal(rec.n, 0);

    n = -1;
    assert_int_equal(vg_report_retention(f->s, ACTOR, "2026-06-01", 1, NULL, NULL, &n, &err), 0);
    assert_int_equal(n, 0);
    records_of(f->s, "retention-purge", &rec);
    assert_int_equal(rec.n, 2);
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(f->s)), 1);
    assert_chain_intact(f->s);
}

/* A callback that returns non-zero stops the walk before that report is purged or recorded. */
static void test_stop(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t first = make(f, ANA, "2026-01-01");
    int64_t second = make(f, ANA, "2026-01-02");
    make(f, ANA, "2026-01-03");
    struct seen sn = {.stop_at = 2};
    int64_t n = -1;
    assert_int_equal(vg_report_retention(f->s, ACTOR, "2026-02-01", 1, on_due, &sn, &n, &err), 7);
    assert_int_equal(n, 1);
    assert_int_equal(sn.calls, 2);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 2);
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM reports WHERE id IN (%lld, %lld)",
             (long long)first, (long long)second);
    assert_int_equal(count_sql(f->s, sql), 1); /* first purged, second kept */
    struct records rec;
    records_of(f->s, "retention-purge", &rec);
    assert_int_equal(rec.n, 1);
    assert_int_equal(sqlite3_get_autocommit(vg_store_db(f->s)), 1);
    assert_chain_intact(f->s);
}

/* An actor and a real date are required; a refused run touches nothing and records nothing. */
static void test_refused(void **state)
{
    struct fixture *f = *state;
    static const char *const bad_days[] = {"2026-13-01", "2026-02-30", "2026-6-1",
                                           "",           "tomorrow",   "2026-06-01x"};
    struct vg_error err;
    make(f, ANA, "2026-01-01");
    int64_t n = -1;
    for (size_t i = 0; i < sizeof(bad_days) / sizeof(bad_days[0]); i++) {
        vg_error_clear(&err);
        assert_int_equal(vg_report_retention(f->s, ACTOR, bad_days[i], 1, NULL, NULL, &n, &err),
                         VG_EINVAL);
        assert_true(err.message[0] != '\0');
    }
    assert_int_equal(vg_report_retention(f->s, ACTOR, NULL, 1, NULL, NULL, &n, &err), VG_EINVAL);
    assert_int_equal(vg_report_retention(f->s, NULL, "2026-06-01", 1, NULL, NULL, &n, &err),
                     VG_EINVAL);
    assert_int_equal(vg_report_retention(f->s, "", "2026-06-01", 1, NULL, NULL, &n, &err),
                     VG_EINVAL);
    assert_int_equal(n, -1); /* untouched */
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 1);
    struct records rec;
    records_of(f->s, "retention-purge", &rec);
    assert_int_equal(rec.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
