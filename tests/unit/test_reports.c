/* test_reports.c - intelligence reports (src/share/reports.c): validation, access, audit,
 * listing, changes, correlation and retention. Every test works on its own database with three
 * organisations: Police (users ana the author, adm an admin, rea a reader, syn a sync account),
 * Partner (pat, in the sharing group Benelux that Police owns) and Other (oth, in no group). */
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
#include "vigil/events.h"
#include "vigil/reports.h"
#include "vigil/store.h"

#include <jansson.h>
#include <sqlite3.h>

#define T0 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */

enum { ANA, ADM, REA, SYN, PAT, OTH, NUSERS };

struct fixture {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
    struct vg_principal u[NUSERS];
};

static void exec(struct vg_store *s, const char *sql)
{
    struct vg_error err;
    if (vg_store_exec(s, sql, &err) != 0)
        fail_msg("%s: %s", sql, err.message);
}

static int setup(void **state)
{
    static const struct {
        const char *org, *name;
        int role;
    } users[NUSERS] = {
        {"Police", "ana", VG_ROLE_ANALYST},  {"Police", "adm", VG_ROLE_ADMIN},
        {"Police", "rea", VG_ROLE_READER},   {"Police", "syn", VG_ROLE_SYNC},
        {"Partner", "pat", VG_ROLE_ANALYST}, {"Other", "oth", VG_ROLE_ADMIN},
    };
    struct fixture *f = calloc(1, sizeof(*f));
    struct vg_error err;
    if (!f)
        return -1;
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, "vigil.db");
    if (vg_store_open(f->db, 0, &f->s, &err) != 0)
        fail_msg("open: %s", err.message);
    const char *orgs[] = {"Police", "Partner", "Other"};
    for (int i = 0; i < 3; i++)
        if (vg_org_add(f->s, orgs[i], T0, NULL, &err) != 0)
            fail_msg("org: %s", err.message);
    for (int i = 0; i < NUSERS; i++) {
        char key[VG_KEY_SIZE];
        if (vg_user_add(f->s, users[i].org, users[i].name, users[i].role, T0, NULL, key, &err) ||
            vg_key_authenticate(f->s, key, T0, &f->u[i], &err))
            fail_msg("user %s: %s", users[i].name, err.message);
    }
    exec(f->s, "INSERT INTO sharing_groups (name, owner_org_id, created_at) SELECT 'Benelux', id, "
               "'2026-01-01T00:00:00Z' FROM organisations WHERE name = 'Police';"
               "INSERT INTO sharing_group_members SELECT g.id, o.id FROM sharing_groups g, "
               "organisations o WHERE g.name = 'Benelux' AND o.name = 'Partner';");
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

static int64_t create_as(struct fixture *f, int who, const char *json)
{
    struct vg_error err;
    int64_t id = 0;
    if (vg_report_create(f->s, &f->u[who], json, strlen(json), T0, &id, &err) != 0)
        fail_msg("create %s: %s", json, err.message);
    return id;
}

/* A report with the given TLP and distribution, recipients when RED. */
static int64_t make(struct fixture *f, const char *tlp, const char *dist, const char *extra)
{
    char json[2048];
    snprintf(json, sizeof(json), "{\"title\":\"t %s %s\",\"tlp\":\"%s\",\"distribution\":\"%s\"%s}",
             tlp, dist, tlp, dist, extra ? extra : "");
    return create_as(f, ANA, json);
}

static int can_get(struct fixture *f, int who, int64_t id)
{
    struct vg_error err;
    char *json = NULL;
    int rc = vg_report_get(f->s, &f->u[who], id, "test", &json, &err);
    if (rc == 0) {
        assert_non_null(json);
        vg_free(json);
        return 1;
    }
    assert_int_equal(rc, VG_ENOTFOUND);
    assert_string_equal(err.message, "report not found");
    return 0;
}

static long count_sql(struct vg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(vg_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s", sql);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void assert_chain_intact(struct vg_store *s)
{
    struct vg_audit_report rep;
    struct vg_error err;
    assert_int_equal(vg_audit_verify(s, &rep, &err), 0);
    assert_int_equal(rep.fault, VG_AUDIT_INTACT);
}

/* ---- create ---- */

static void test_create_validation(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *json;
        int code;
        const char *field;
    } bad[] = {
        {"[]", VG_EFORMAT, "object"},
        {"{\"title\":", VG_EFORMAT, "not JSON"},
        {"{\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}", VG_EINVAL, "title"},
        {"{\"title\":\"\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}", VG_EINVAL,
         "title"},
        {"{\"title\":5,\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}", VG_EINVAL, "title"},
        {"{\"title\":\"x\",\"tlp\":\"green\",\"distribution\":\"community\"}", VG_EINVAL, "tlp"},
        {"{\"title\":\"x\",\"distribution\":\"community\"}", VG_EINVAL, "tlp"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"everyone\"}", VG_EINVAL,
         "distribution"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"group:Nowhere\"}", VG_EINVAL,
         "distribution"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"source_reliability\":\"G\"}",
         VG_EINVAL, "source_reliability"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"info_credibility\":7}",
         VG_EINVAL, "info_credibility"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"info_credibility\":\"2\"}",
         VG_EINVAL, "info_credibility"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"statement\":\"rumour\"}",
         VG_EINVAL, "statement"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"review_due\":\"2026-02-30\"}",
         VG_EINVAL, "review_due"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:RED\",\"distribution\":\"community\"}", VG_EINVAL,
         "recipients"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"recipients\":[\"pat\"]}",
         VG_EINVAL, "recipients"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:RED\",\"distribution\":\"community\","
         "\"recipients\":[\"nobody\"]}",
         VG_EINVAL, "recipients[0]"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"ethnicity\":\"x\"}",
         VG_EINVAL, "\"ethnicity\": unknown field"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"indicators\":[{\"type\":\"person\",\"value\":\"J. Doe\"}]}",
         VG_EINVAL, "indicators[0].subject_category"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"indicators\":[{\"type\":\"person\",\"value\":\"J\",\"subject_category\":\"suspect\"}]}",
         VG_EINVAL, "review_due"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"indicators\":[{\"type\":\"person\",\"value\":\"J\",\"subject_category\":\"enemy\"}]}",
         VG_EINVAL, "indicators[0].subject_category"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"indicators\":[{\"type\":\"ip\",\"value\":\"1.2.3.4\"}]}",
         VG_EINVAL, "indicators[0].type"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"indicators\":[{\"type\":\"phone\",\"value\":\"call me\"}]}",
         VG_EINVAL, "indicators[0].value"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
         "\"indicators\":[{\"type\":\"ipv4\",\"value\":\"1.2.3.4\",\"religion\":\"x\"}]}",
         VG_EINVAL, "indicators[0].\"religion\": unknown field"},
        {"{\"title\":\"a\\u0000b\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}",
         VG_EFORMAT, "not JSON"}, /* jansson refuses \u0000 */
        {"{\"title\":\"x\",\"title\":\"y\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}",
         VG_EFORMAT, "not JSON"},
        {"{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\",\"body\":"
         "[[[[[[[[[[1]]]]]]]]]]}",
         VG_ETOOBIG, "deeper"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct vg_error err;
        vg_error_clear(&err);
        int64_t id = -7;
        int rc =
            vg_report_create(f->s, &f->u[ANA], bad[i].json, strlen(bad[i].json), T0, &id, &err);
        if (rc != bad[i].code || !strstr(err.message, bad[i].field))
            fail_msg("case %zu: rc %d message \"%s\", wanted %d naming %s", i, rc, err.message,
                     bad[i].code, bad[i].field);
        assert_int_equal(id, -7);
    }
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 0);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM audit_log"), 0);
}

static void test_create_caps(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    size_t n = VG_REPORT_BODY_MAX + 200;
    char *json = malloc(n);
    assert_non_null(json);
    /* title of 501 bytes */
    int len = snprintf(json, n,
                       "{\"title\":\"%0501d\",\"tlp\":\"TLP:GREEN\",\"distribution\":"
                       "\"community\"}",
                       0);
    assert_int_equal(vg_report_create(f->s, &f->u[ANA], json, (size_t)len, T0, NULL, &err),
                     VG_ETOOBIG);
    assert_non_null(strstr(err.message, "title"));
    /* body of 1 MiB + 1 */
    size_t off = (size_t)snprintf(json, n,
                                  "{\"title\":\"x\",\"tlp\":\"TLP:GREEN\","
                                  "\"distribution\":\"community\",\"body\":\"");
    memset(json + off, 'b', VG_REPORT_BODY_MAX + 1);
    off += VG_REPORT_BODY_MAX + 1;
    memcpy(json + off, "\"}", 3);
    assert_int_equal(vg_report_create(f->s, &f->u[ANA], json, off + 2, T0, NULL, &err), VG_ETOOBIG);
    assert_non_null(strstr(err.message, "body"));
    /* 1,001 indicators */
    json_t *o = json_pack("{s:s,s:s,s:s,s:[]}", "title", "x", "tlp", "TLP:GREEN", "distribution",
                          "community", "indicators");
    json_t *arr = json_object_get(o, "indicators");
    for (int i = 0; i <= VG_REPORT_INDICATORS_MAX; i++)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "type", "ipv4", "value", "1.2.3.4"));
    char *text = json_dumps(o, 0);
    assert_int_equal(vg_report_create(f->s, &f->u[ANA], text, strlen(text), T0, NULL, &err),
                     VG_ETOOBIG);
    assert_non_null(strstr(err.message, "indicators"));
    free(text);
    json_decref(o);
    free(json);
}

static void test_create_roles(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    const char *json = "{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}";
    assert_int_equal(vg_report_create(f->s, &f->u[REA], json, strlen(json), T0, NULL, &err),
                     VG_EPERM);
    assert_non_null(strstr(err.message, "reader"));
    assert_int_equal(vg_report_create(f->s, &f->u[SYN], json, strlen(json), T0, NULL, &err),
                     VG_EPERM);
    assert_true(create_as(f, ADM, json) > 0);
    assert_true(create_as(f, ANA, json) > 0);
    assert_false(vg_report_role_may_write(VG_ROLE_READER));
    /* the group must hold the author's organisation: Other is not in Benelux */
    const char *g = "{\"title\":\"x\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"group:Benelux\"}";
    assert_int_equal(vg_report_create(f->s, &f->u[OTH], g, strlen(g), T0, NULL, &err), VG_EINVAL);
    assert_true(create_as(f, PAT, g) > 0); /* a member may */
}

static void test_get_round_trip(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t id = create_as(
        f, ANA,
        "{\"title\":\"Van rented\",\"body\":\"Seen twice\",\"tlp\":\"TLP:AMBER\","
        "\"distribution\":\"group:Benelux\",\"source_reliability\":\"B\",\"info_credibility\":2,"
        "\"statement\":\"assessment\",\"review_due\":\"2027-01-31\",\"indicators\":["
        "{\"type\":\"phone\",\"value\":\" +32 (470) 12-34-56 \",\"subject_category\":\"suspect\"},"
        "{\"type\":\"person\",\"value\":\"J.  Doe\",\"subject_category\":\"contact\"}]}");
    char *text = NULL;
    assert_int_equal(vg_report_get(f->s, &f->u[PAT], id, "case 12", &text, &err), 0);
    json_error_t jerr;
    json_t *o = json_loads(text, 0, &jerr);
    vg_free(text);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), id);
    assert_string_equal(json_string_value(json_object_get(o, "title")), "Van rented");
    assert_string_equal(json_string_value(json_object_get(o, "distribution")), "group:Benelux");
    assert_string_equal(json_string_value(json_object_get(o, "author")), "ana");
    assert_string_equal(json_string_value(json_object_get(o, "org")), "Police");
    assert_string_equal(json_string_value(json_object_get(o, "created_at")),
                        "2026-01-01T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(o, "info_credibility")), 2);
    json_t *inds = json_object_get(o, "indicators");
    assert_int_equal(json_array_size(inds), 2);
    json_t *i0 = json_array_get(inds, 0);
    assert_true(json_integer_value(json_object_get(i0, "id")) > 0);
    assert_string_equal(json_string_value(json_object_get(i0, "value")), " +32 (470) 12-34-56 ");
    assert_string_equal(json_string_value(json_object_get(i0, "subject_category")), "suspect");
    json_decref(o);
    assert_int_equal(
        count_sql(f->s, "SELECT count(*) FROM indicators WHERE normalized = '+32470123456'"), 1);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators WHERE normalized = 'j. doe'"),
                     1);
}

static void test_normalize(void **state)
{
    (void)state;
    char out[64];
    struct vg_error err;
    assert_int_equal(vg_report_normalize("domain", "  Example.COM. ", out, sizeof(out), &err), 0);
    assert_string_equal(out, "example.com");
    assert_int_equal(vg_report_normalize("other", "a \t\n B   c", out, sizeof(out), &err), 0);
    assert_string_equal(out, "a b c");
    assert_int_equal(vg_report_normalize("phone", "0032 470-12", out, sizeof(out), &err), 0);
    assert_string_equal(out, "003247012");
    assert_int_equal(vg_report_normalize("phone", "+", out, sizeof(out), &err), VG_EINVAL);
    assert_int_equal(vg_report_normalize("ipv4", "   ", out, sizeof(out), &err), VG_EINVAL);
    assert_int_equal(vg_report_normalize("ip", "1", out, sizeof(out), &err), VG_EINVAL);
}

/* ---- access ---- */

static void test_access_matrix(void **state)
{
    struct fixture *f = *state;
    /*                 ANA ADM REA SYN PAT OTH  for each report */
    static const struct {
        const char *tlp, *dist, *extra;
        int read[NUSERS];
    } cases[] = {
        {"TLP:CLEAR", "community", NULL, {1, 1, 1, 1, 1, 1}},
        {"TLP:GREEN", "organisation", NULL, {1, 1, 1, 1, 0, 0}},
        {"TLP:GREEN", "group:Benelux", NULL, {1, 1, 1, 1, 1, 0}},
        {"TLP:AMBER", "community", NULL, {1, 1, 1, 1, 0, 0}},
        {"TLP:AMBER", "group:Benelux", NULL, {1, 1, 1, 1, 1, 0}},
        {"TLP:AMBER+STRICT", "group:Benelux", NULL, {1, 1, 1, 1, 0, 0}},
        {"TLP:RED", "group:Benelux", ",\"recipients\":[\"pat\",\"oth\"]", {1, 0, 0, 0, 1, 0}},
        {"TLP:RED", "organisation", ",\"recipients\":[\"rea\",\"rea\"]", {1, 0, 1, 0, 0, 0}},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        int64_t id = make(f, cases[c].tlp, cases[c].dist, cases[c].extra);
        for (int u = 0; u < NUSERS; u++)
            if (can_get(f, u, id) != cases[c].read[u])
                fail_msg("%s %s: user %s read %d", cases[c].tlp, cases[c].dist, f->u[u].user,
                         !cases[c].read[u]);
    }
    /* a report that does not exist answers exactly like one that may not be read */
    assert_int_equal(can_get(f, ANA, 999999), 0);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM report_recipients r JOIN users u ON "
                                     "u.id = r.user_id WHERE u.name = 'rea'"),
                     1);
}

static int count_action(const struct vg_audit_record *r, void *ctx)
{
    long *n = ctx;
    (*n)++;
    (void)r;
    return 0;
}

static long audit_count(struct vg_store *s, const char *action)
{
    struct vg_audit_filter flt = {.action = action};
    struct vg_error err;
    long n = 0;
    assert_int_equal(vg_audit_list(s, &flt, count_action, &n, &err), 0);
    return n;
}

static int last_read(const struct vg_audit_record *r, void *ctx)
{
    char *out = ctx;
    snprintf(out, 512, "%s|%s|%s|%s|%s", r->actor, r->org ? r->org : "", r->object ? r->object : "",
             r->purpose ? r->purpose : "", r->detail ? r->detail : "");
    return 0;
}

static void test_purpose_and_audit(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t id = make(f, "TLP:GREEN", "community", NULL);
    char *text = (char *)&err;
    assert_int_equal(vg_report_get(f->s, &f->u[PAT], id, NULL, &text, &err), VG_EINVAL);
    assert_string_equal(err.message, "a purpose is required");
    assert_int_equal(vg_report_get(f->s, &f->u[PAT], id, "", &text, &err), VG_EINVAL);
    assert_ptr_equal(text, (char *)&err);
    assert_int_equal(audit_count(f->s, "create"), 1);
    assert_int_equal(audit_count(f->s, "read"), 0);
    assert_int_equal(vg_report_get(f->s, &f->u[PAT], id, "case 7", &text, &err), 0);
    vg_free(text);
    assert_int_equal(can_get(f, OTH, make(f, "TLP:GREEN", "organisation", NULL)), 0);
    assert_int_equal(audit_count(f->s, "read"), 1); /* a refused read gives nothing to record */
    char line[512];
    struct vg_audit_filter flt = {.action = "read"};
    assert_int_equal(vg_audit_list(f->s, &flt, last_read, line, &err), 0);
    char want[256];
    snprintf(want, sizeof(want), "pat|Partner|report:%lld|case 7|{\"grant\":\"community\"}",
             (long long)id);
    assert_string_equal(line, want);
    struct vg_report_query q = {.purpose = "review"};
    assert_int_equal(vg_report_list(f->s, &f->u[PAT], &q, &text, &err), 0);
    vg_free(text);
    q.purpose = NULL;
    assert_int_equal(vg_report_list(f->s, &f->u[PAT], &q, &text, &err), VG_EINVAL);
    assert_int_equal(audit_count(f->s, "search"), 1);
    assert_chain_intact(f->s);
}

/* ---- list ---- */

static json_t *list_as(struct fixture *f, int who, struct vg_report_query q)
{
    struct vg_error err;
    char *text = NULL;
    q.purpose = "test";
    if (vg_report_list(f->s, &f->u[who], &q, &text, &err) != 0)
        fail_msg("list: %s", err.message);
    json_t *o = json_loads(text, 0, NULL);
    vg_free(text);
    assert_non_null(o);
    return o;
}

static void test_list(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t ids[7];
    for (int i = 0; i < 7; i++) /* odd ones are Police-only */
        ids[i] = make(f, i % 2 ? "TLP:AMBER" : "TLP:GREEN", i % 2 ? "organisation" : "community",
                      i == 4 ? ",\"body\":\"A white VAN near the port\"" : NULL);
    int64_t theirs = create_as(
        f, PAT, "{\"title\":\"Partner van\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\"}");

    /* pagination as Other: readable are ids 0, 2, 4, 6 and Partner's */
    struct vg_report_query q = {.limit = 2};
    int64_t seen[8];
    size_t nseen = 0;
    for (int page = 0; page < 5; page++) {
        json_t *o = list_as(f, OTH, q);
        json_t *arr = json_object_get(o, "reports");
        for (size_t i = 0; i < json_array_size(arr); i++)
            seen[nseen++] = json_integer_value(json_object_get(json_array_get(arr, i), "id"));
        json_t *next = json_object_get(o, "next");
        int more = json_is_integer(next);
        q.after_id = more ? json_integer_value(next) : 0;
        json_decref(o);
        if (!more)
            break;
    }
    assert_int_equal(nseen, 5);
    assert_int_equal(seen[0], ids[0]);
    assert_int_equal(seen[1], ids[2]);
    assert_int_equal(seen[2], ids[4]);
    assert_int_equal(seen[3], ids[6]);
    assert_int_equal(seen[4], theirs);

    /* filters */
    json_t *o = list_as(f, ANA, (struct vg_report_query){.text = "van"});
    assert_int_equal(json_array_size(json_object_get(o, "reports")), 2); /* body and title */
    json_decref(o);

    /* full text: every word must be there, as a word or its start; case and accents do not
     * matter; quotes and query syntax are only text, and a word without letters or digits
     * asks for nothing */
    int64_t accented = create_as(f, ANA,
                                 "{\"title\":\"Fourgonnette volée\",\"body\":\"Vue près "
                                 "du \\\"Café\\\" (quai) AND NOT port\",\"tlp\":"
                                 "\"TLP:GREEN\",\"distribution\":\"community\"}");
    static const struct {
        const char *text;
        size_t n;
    } searches[] = {
        {"VOLEE", 1},      {"fourgon", 1}, {"cafe quai", 1}, {"cafe van", 0},
        {"white port", 1}, {"ort", 0},     {"\"Café\"", 1},  {"AND NOT", 1},
        {"(quai) *:", 1},  {"NEAR(", 1},   {"  ", 9},        {"\"", 9},
    };
    for (size_t i = 0; i < sizeof(searches) / sizeof(searches[0]); i++) {
        o = list_as(f, ANA, (struct vg_report_query){.text = searches[i].text});
        json_t *arr = json_object_get(o, "reports");
        if (json_array_size(arr) != searches[i].n)
            fail_msg("search '%s': %zu reports, expected %zu", searches[i].text,
                     json_array_size(arr), searches[i].n);
        /* the white van's body has "near" and "port" */
        int van =
            strcmp(searches[i].text, "white port") == 0 || strcmp(searches[i].text, "NEAR(") == 0;
        if (searches[i].n == 1 && !van)
            assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "id")),
                             accented);
        json_decref(o);
    }
    o = list_as(f, ANA, (struct vg_report_query){.tlp = "TLP:AMBER"});
    assert_int_equal(json_array_size(json_object_get(o, "reports")), 3);
    assert_true(json_is_null(json_object_get(o, "next")));
    json_decref(o);
    o = list_as(f, OTH, (struct vg_report_query){.tlp = "TLP:AMBER"});
    assert_int_equal(json_array_size(json_object_get(o, "reports")), 0);
    json_decref(o);
    o = list_as(f, ANA, (struct vg_report_query){.org = "Partner"});
    assert_int_equal(json_array_size(json_object_get(o, "reports")), 1);
    json_decref(o);

    char *text = NULL;
    struct vg_report_query bad = {.limit = VG_REPORT_LIST_MAX + 1, .purpose = "x"};
    assert_int_equal(vg_report_list(f->s, &f->u[ANA], &bad, &text, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "limit"));
    bad = (struct vg_report_query){.tlp = "amber", .purpose = "x"};
    assert_int_equal(vg_report_list(f->s, &f->u[ANA], &bad, &text, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "tlp"));
    assert_null(text);
    assert_chain_intact(f->s);
}

/* ---- update and delete ---- */

static void test_update_delete(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    const char *upd = "{\"title\":\"new\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
                      "\"indicators\":[{\"type\":\"email\",\"value\":\"A@B.org\"}]}";
    size_t n = strlen(upd);
    int64_t id = make(f, "TLP:GREEN", "group:Benelux", NULL);
    /* Partner can read it but is not the author nor of the owning organisation */
    assert_int_equal(vg_report_update(f->s, &f->u[PAT], id, upd, n, NULL, T0, &err), VG_EPERM);
    assert_int_equal(vg_report_delete(f->s, &f->u[PAT], id, NULL, &err), VG_EPERM);
    /* Other cannot read it: not found */
    assert_int_equal(vg_report_update(f->s, &f->u[OTH], id, upd, n, NULL, T0, &err), VG_ENOTFOUND);
    assert_string_equal(err.message, "report not found");
    assert_int_equal(vg_report_delete(f->s, &f->u[OTH], id, NULL, &err), VG_ENOTFOUND);
    /* a reader of the owning organisation may not */
    assert_int_equal(vg_report_update(f->s, &f->u[REA], id, upd, n, NULL, T0, &err), VG_EPERM);
    /* an admin of the owning organisation may, and the author */
    assert_int_equal(vg_report_update(f->s, &f->u[ADM], id, upd, n, "fix", T0 + 60, &err), 0);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators WHERE normalized = "
                                     "'a@b.org'"),
                     1);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports WHERE title = 'new' AND "
                                     "updated_at = '2026-01-01T00:01:00Z' AND created_at = "
                                     "'2026-01-01T00:00:00Z'"),
                     1);
    assert_int_equal(vg_report_update(f->s, &f->u[ANA], id, upd, n, NULL, T0, &err), 0);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators"), 1);
    /* a bad update changes nothing */
    assert_int_equal(vg_report_update(f->s, &f->u[ANA], id, "{\"title\":\"\"}", 12, NULL, T0, &err),
                     VG_EINVAL);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports WHERE title = 'new'"), 1);
    assert_int_equal(audit_count(f->s, "update"), 2);
    /* TLP:RED of Police not naming adm: adm cannot read, so cannot delete */
    int64_t red = make(f, "TLP:RED", "organisation", ",\"recipients\":[\"rea\"]");
    assert_int_equal(vg_report_delete(f->s, &f->u[ADM], red, NULL, &err), VG_ENOTFOUND);
    assert_int_equal(vg_report_delete(f->s, &f->u[ADM], id, "obsolete", &err), 0);
    assert_int_equal(can_get(f, ANA, id), 0);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators"), 0);
    assert_int_equal(audit_count(f->s, "delete"), 1);
    assert_chain_intact(f->s);
}

/* ---- correlation ---- */

static json_t *correlate(struct fixture *f, int who, int64_t id, int cap)
{
    struct vg_error err;
    char *text = NULL;
    int rc = vg_report_correlations(f->s, &f->u[who], id, cap, "link", &text, &err);
    if (rc != 0)
        fail_msg("correlate: %s", err.message);
    json_t *o = json_loads(text, 0, NULL);
    vg_free(text);
    json_t *arr = json_incref(json_object_get(o, "correlations"));
    json_decref(o);
    return arr;
}

static void test_correlations(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    const char *ind = ",\"indicators\":[{\"type\":\"phone\",\"value\":\"+32 470 1\"},"
                      "{\"type\":\"domain\",\"value\":\"Evil.example\"}]";
    int64_t a = make(f, "TLP:GREEN", "community", ind);
    int64_t b = make(f, "TLP:GREEN", "group:Benelux",
                     ",\"indicators\":[{\"type\":\"phone\",\"value\":\"+324701\"}]");
    int64_t c = create_as(f, OTH,
                          "{\"title\":\"c\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
                          "\"indicators\":[{\"type\":\"domain\",\"value\":\"evil.EXAMPLE.\"}]}");
    json_t *arr = correlate(f, ANA, a, 0); /* ana reads all three */
    assert_int_equal(json_array_size(arr), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "other_report")),
                     b);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 1), "other_report")),
                     c);
    json_decref(arr);
    arr = correlate(f, OTH, a, 0); /* oth cannot read b */
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "other_report")),
                     c);
    json_decref(arr);
    char *text = NULL;
    assert_int_equal(vg_report_correlations(f->s, &f->u[OTH], b, 0, "link", &text, &err),
                     VG_ENOTFOUND);
    assert_int_equal(vg_report_correlations(f->s, &f->u[ANA], a, 0, NULL, &text, &err), VG_EINVAL);

    /* the cap: the domain is in 2 reports, over a cap of 1; shown to admins only */
    arr = correlate(f, ANA, a, 1);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);
    assert_int_equal(vg_report_overlinked_values(f->s, &f->u[ANA], 1, &text, &err), VG_EPERM);
    assert_int_equal(vg_report_overlinked_values(f->s, &f->u[ADM], 1, &text, &err), 0);
    assert_non_null(strstr(text, "\"normalized\":\"evil.example\",\"reports\":2"));
    assert_non_null(strstr(text, "\"normalized\":\"+324701\""));
    vg_free(text);

    /* the exclusion */
    assert_int_equal(vg_report_exclusion_add(f->s, &f->u[ANA], "phone", "+324701", NULL, T0, &err),
                     VG_EPERM);
    assert_int_equal(
        vg_report_exclusion_add(f->s, &f->u[ADM], "phone", " +32 470 1 ", "hotline", T0, &err), 0);
    assert_int_equal(
        vg_report_exclusion_add(f->s, &f->u[ADM], "phone", "+324701", "again", T0, &err), 0);
    arr = correlate(f, ANA, a, 0);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "other_report")),
                     c);
    json_decref(arr);
    assert_int_equal(vg_report_overlinked_values(f->s, &f->u[ADM], 1, &text, &err), 0);
    assert_null(strstr(text, "+324701"));
    vg_free(text);
    assert_int_equal(audit_count(f->s, "correlate"), 4);
    assert_int_equal(audit_count(f->s, "exclude"), 2);
    assert_chain_intact(f->s);
}

/* The cap and the list of overlinked values count the reports the principal may read, and no
 * other: otherwise a partner could learn whether a report it may not see holds a value, by
 * filling reports of its own with it until the cap tips. */
static void test_correlation_cap_counts_readable_reports(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char *text = NULL;
    const char *hidden = ",\"indicators\":[{\"type\":\"phone\",\"value\":\"+32 499 9\"}]";
    int64_t r1 = make(f, "TLP:AMBER+STRICT", "organisation", hidden); /* Police only */
    const char *open = "{\"title\":\"p\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
                       "\"indicators\":[{\"type\":\"phone\",\"value\":\"+324999\"}]}";
    int64_t p1 = create_as(f, PAT, open), p2 = create_as(f, PAT, open);
    /* Partner reads p1 and p2 only: 2 holders, within a cap of 2, so they correlate */
    json_t *arr = correlate(f, PAT, p1, 2);
    assert_int_equal(json_array_size(arr), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(arr, 0), "other_report")),
                     p2);
    json_decref(arr);
    /* Police reads all three: past the cap of 2 for it */
    arr = correlate(f, ANA, r1, 2);
    assert_int_equal(json_array_size(arr), 0);
    json_decref(arr);

    /* a value held by Police's restricted reports only */
    make(f, "TLP:AMBER+STRICT", "organisation",
         ",\"indicators\":[{\"type\":\"phone\",\"value\":\"+32 499 8\"}]");
    make(f, "TLP:AMBER+STRICT", "organisation",
         ",\"indicators\":[{\"type\":\"phone\",\"value\":\"+32 499 8\"}]");
    assert_int_equal(vg_report_overlinked_values(f->s, &f->u[OTH], 1, &text, &err), 0);
    assert_non_null(strstr(text, "\"normalized\":\"+324999\",\"reports\":2"));
    assert_null(strstr(text, "+324998"));
    vg_free(text);
    assert_int_equal(vg_report_overlinked_values(f->s, &f->u[ADM], 1, &text, &err), 0);
    assert_non_null(strstr(text, "\"normalized\":\"+324999\",\"reports\":3"));
    assert_non_null(strstr(text, "\"normalized\":\"+324998\",\"reports\":2"));
    vg_free(text);

    /* The order is that of the readable counts too: three readable holders of +324997 come
     * before the two of +324999, whatever Police's restricted reports add to the latter. */
    make(f, "TLP:AMBER+STRICT", "organisation",
         ",\"indicators\":[{\"type\":\"phone\",\"value\":\"+32 499 9\"}]");
    const char *three = "{\"title\":\"q\",\"tlp\":\"TLP:GREEN\",\"distribution\":\"community\","
                        "\"indicators\":[{\"type\":\"phone\",\"value\":\"+324997\"}]}";
    for (int i = 0; i < 3; i++)
        create_as(f, PAT, three);
    assert_int_equal(vg_report_overlinked_values(f->s, &f->u[OTH], 1, &text, &err), 0);
    const char *a = strstr(text, "\"+324997\",\"reports\":3");
    const char *b = strstr(text, "\"+324999\",\"reports\":2");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    vg_free(text);
}

/* A listing's audit record names the reports it gave out, and only those. */
static void test_list_record_names_reports(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t a = make(f, "TLP:GREEN", "community", NULL);
    make(f, "TLP:AMBER+STRICT", "organisation", NULL); /* Police only */
    int64_t c = make(f, "TLP:CLEAR", "all", NULL);
    json_t *o = list_as(f, PAT, (struct vg_report_query){0});
    assert_int_equal(json_array_size(json_object_get(o, "reports")), 2);
    json_decref(o);
    struct vg_audit_filter flt = {.action = "search"};
    char last[512] = "";
    assert_int_equal(vg_audit_list(f->s, &flt, last_read, last, &err), 0);
    char want[64];
    snprintf(want, sizeof(want), "\"ids\":[%lld,%lld]", (long long)a, (long long)c);
    if (!strstr(last, want))
        fail_msg("the search record '%s' lacks %s", last, want);
}

/* An id is never given twice: after the last report is deleted, the next one gets a new id, so
 * that "report:N" in the audit log and the event stream names one report. */
static void test_ids_not_reused(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t a = make(f, "TLP:GREEN", "community", NULL);
    int64_t b = make(f, "TLP:GREEN", "community", NULL);
    assert_int_equal(b, a + 1);
    assert_int_equal(vg_report_delete(f->s, &f->u[ANA], b, "test", &err), 0);
    int64_t c = make(f, "TLP:GREEN", "community", NULL);
    assert_int_equal(c, b + 1);
    assert_int_equal(vg_report_delete(f->s, &f->u[ANA], c, "test", &err), 0);
    assert_int_equal(vg_report_delete(f->s, &f->u[ANA], a, "test", &err), 0);
    assert_int_equal(make(f, "TLP:GREEN", "community", NULL), c + 1); /* even from an empty table */
}

/* ---- retention ---- */

static int collect_due(const struct vg_report_due *d, void *ctx)
{
    int64_t *ids = ctx;
    ids[++ids[0]] = d->id;
    return 0;
}

static void test_retention(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t old = make(f, "TLP:GREEN", "community",
                       ",\"review_due\":\"2026-03-01\",\"indicators\":[{\"type\":\"person\","
                       "\"value\":\"X\",\"subject_category\":\"witness\"}]");
    int64_t today = make(f, "TLP:GREEN", "community", ",\"review_due\":\"2026-06-01\"");
    make(f, "TLP:GREEN", "community", ",\"review_due\":\"2027-01-01\"");
    make(f, "TLP:GREEN", "community", NULL);
    int64_t ids[8] = {0};
    int64_t n = -1;
    assert_int_equal(vg_report_retention(f->s, "root", "2026-06-01", 0, collect_due, ids, &n, &err),
                     0);
    assert_int_equal(n, 1); /* due today is not yet past */
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], old);
    assert_int_equal(audit_count(f->s, "retention-list"), 1);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 4);
    memset(ids, 0, sizeof(ids));
    assert_int_equal(vg_report_retention(f->s, "root", "2026-06-02", 1, collect_due, ids, &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(ids[2], today);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM reports"), 2);
    assert_int_equal(count_sql(f->s, "SELECT count(*) FROM indicators"), 0);
    assert_int_equal(audit_count(f->s, "retention-purge"), 2);
    assert_int_equal(vg_report_retention(f->s, "root", "2026-13-01", 0, NULL, NULL, &n, &err),
                     VG_EINVAL);
    assert_chain_intact(f->s);
}

/* The events table: every creation and change of a report, in order, whoever made it. */
static void test_events(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_event ev[4];
    int64_t newest = -1;
    int n = -1;
    assert_int_equal(vg_events_newest(f->s, &newest, &err), 0);
    assert_int_equal(newest, 0);
    assert_int_equal(vg_events_after(f->s, 0, ev, 4, &n, &err), 0);
    assert_int_equal(n, 0);

    int64_t a = make(f, "TLP:GREEN", "community", NULL);
    int64_t b = make(f, "TLP:AMBER", "organisation", NULL);
    static const char change[] = "{\"title\":\"t changed\",\"tlp\":\"TLP:GREEN\","
                                 "\"distribution\":\"community\"}";
    assert_int_equal(
        vg_report_update(f->s, &f->u[ANA], a, change, sizeof(change) - 1, "fix", T0 + 60, &err), 0);
    assert_int_equal(vg_events_newest(f->s, &newest, &err), 0);
    assert_int_equal(newest, 3);
    assert_int_equal(vg_events_after(f->s, 0, ev, 4, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(ev[0].report_id, a);
    assert_string_equal(ev[0].kind, "report.created");
    assert_int_equal(ev[1].report_id, b);
    assert_string_equal(ev[1].kind, "report.created");
    assert_int_equal(ev[2].report_id, a);
    assert_string_equal(ev[2].kind, "report.updated");
    assert_true(ev[0].id < ev[1].id && ev[1].id < ev[2].id);
    assert_int_equal(strlen(ev[0].at), 20); /* YYYY-MM-DDTHH:MM:SSZ */
    /* after a position, and at most max */
    assert_int_equal(vg_events_after(f->s, ev[0].id, ev, 1, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ev[0].report_id, b);
    assert_int_equal(vg_events_after(f->s, newest, ev, 4, &n, &err), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_roles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_round_trip, setup, teardown),
        cmocka_unit_test(test_normalize),
        cmocka_unit_test_setup_teardown(test_access_matrix, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purpose_and_audit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correlations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ids_not_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_record_names_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_correlation_cap_counts_readable_reports, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
