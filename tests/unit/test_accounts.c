/* test_accounts.c - organisations, users, API keys and passwords (src/share/accounts.c).
 * Every test works on its own database in its own scratch directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include "vigil/accounts.h"
#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <ctype.h>
#include <sqlite3.h>

#define T0 ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define DAY ((time_t)86400)

struct fixture {
    char *dir;
    char db[TU_PATH_MAX];
    struct vg_store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->dir = tu_mkdtemp();
    tu_join(f->db, f->dir, "vigil.db");
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_store_open(f->db, 0, &f->s, &err) != 0)
        fail_msg("open %s: %s", f->db, err.message);
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

static long query_int(struct vg_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long v = -1;
    if (sqlite3_prepare_v2(vg_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(vg_store_db(s)));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void add_org(struct vg_store *s, const char *name)
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_org_add(s, name, T0, NULL, &err) != 0)
        fail_msg("org add %s: %s", name, err.message);
}

static void add_user(struct vg_store *s, const char *org, const char *name, int role,
                     char key[VG_KEY_SIZE])
{
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_user_add(s, org, name, role, T0, NULL, key, &err) != 0)
        fail_msg("user add %s: %s", name, err.message);
}

/* ---- organisations ---- */

static void test_org_round_trip(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    int64_t id1 = 0, id2 = 0;
    assert_int_equal(vg_org_add(f->s, "Police Nationale", T0, &id1, &err), 0);
    assert_int_equal(vg_org_add(f->s, "Bundeskriminalamt", T0 + 60, &id2, &err), 0);
    assert_true(id1 > 0 && id2 > 0 && id1 != id2);

    char key[VG_KEY_SIZE];
    add_user(f->s, "Police Nationale", "claire", VG_ROLE_ANALYST, key);

    struct vg_org *orgs = NULL;
    size_t n = 0;
    assert_int_equal(vg_org_list(f->s, &orgs, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(orgs[0].name, "Bundeskriminalamt"); /* by name */
    assert_int_equal(orgs[0].id, id2);
    assert_string_equal(orgs[0].created_at, "2026-01-01T00:01:00Z");
    assert_int_equal(orgs[0].users, 0);
    assert_string_equal(orgs[1].name, "Police Nationale");
    assert_string_equal(orgs[1].created_at, "2026-01-01T00:00:00Z");
    assert_int_equal(orgs[1].users, 1);
    vg_free(orgs);
}

static void test_org_list_empty(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    struct vg_org *orgs = (struct vg_org *)&err; /* must be replaced */
    size_t n = 99;
    assert_int_equal(vg_org_list(f->s, &orgs, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_null(orgs);
}

static void test_org_names_refused(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    add_org(f->s, "Europol");
    vg_error_clear(&err);
    int64_t id = -5;
    assert_int_equal(vg_org_add(f->s, "Europol", T0, &id, &err), VG_EINVAL);
    assert_non_null(strstr(err.message, "already exists"));
    assert_non_null(strstr(err.message, "Europol"));
    assert_int_equal(id, -5);
    assert_int_equal(vg_org_add(f->s, "", T0, NULL, &err), VG_EINVAL);
    assert_int_equal(vg_org_add(f->s, NULL, T0, NULL, &err), VG_EINVAL);
    assert_int_equal(vg_org_add(f->s, "tab\there", T0, NULL, &err), VG_EINVAL);
    char longname[VG_ACCOUNT_NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(vg_org_add(f->s, longname, T0, NULL, &err), VG_ETOOBIG);
    longname[VG_ACCOUNT_NAME_MAX] = '\0'; /* exactly the cap */
    assert_int_equal(vg_org_add(f->s, longname, T0, NULL, &err), 0);
    assert_int_equal(query_int(f->s, "SELECT count(*) FROM organisations"), 2);
}

static void test_org_list_out_of_memory(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    add_org(f->s, "A");
    struct vg_org *orgs = NULL;
    size_t n = 0;
    vg_mem_fail_after(0);
    int rc = vg_org_list(f->s, &orgs, &n, &err);
    vg_mem_fail_after(-1);
    assert_int_equal(rc, VG_ENOMEM);
    assert_null(orgs);
}

/* ---- users ---- */

static void test_user_round_trip(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char k1[VG_KEY_SIZE], k2[VG_KEY_SIZE];
    add_org(f->s, "Agency A");
    add_org(f->s, "Agency B");
    int64_t id = 0;
    assert_int_equal(vg_user_add(f->s, "Agency A", "zoe", VG_ROLE_ADMIN, T0, &id, k1, &err), 0);
    assert_true(id > 0);
    add_user(f->s, "Agency B", "bob", VG_ROLE_SYNC, k2);
    assert_int_equal(strlen(k1), VG_KEY_LEN);
    assert_memory_equal(k1, "vg_", 3);
    assert_string_not_equal(k1, k2);

    struct vg_user *users = NULL;
    size_t n = 0;
    assert_int_equal(vg_user_list(f->s, NULL, T0, &users, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(users[0].name, "bob");
    assert_string_equal(users[0].org, "Agency B");
    assert_int_equal(users[0].role, VG_ROLE_SYNC);
    assert_string_equal(users[1].name, "zoe");
    assert_int_equal(users[1].id, id);
    assert_string_equal(users[1].org, "Agency A");
    assert_int_equal(users[1].role, VG_ROLE_ADMIN);
    assert_string_equal(users[1].created_at, "2026-01-01T00:00:00Z");
    assert_int_equal(users[1].active_keys, 1);
    assert_int_equal(users[1].has_password, 0);
    assert_int_equal(users[1].disabled, 0);
    vg_free(users);

    /* Only one organisation's users. */
    assert_int_equal(vg_user_list(f->s, "Agency A", T0, &users, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(users[0].name, "zoe");
    vg_free(users);
    users = NULL;
    assert_int_equal(vg_user_list(f->s, "Agency Z", T0, &users, &n, &err), VG_ENOTFOUND);
    assert_null(users);

    /* The first key works and names the user. */
    struct vg_principal p;
    assert_int_equal(vg_key_authenticate(f->s, k1, T0, &p, &err), 0);
    assert_string_equal(p.user, "zoe");
    assert_string_equal(p.org, "Agency A");
    assert_int_equal(p.role, VG_ROLE_ADMIN);
    assert_int_equal(p.user_id, id);
}

static void test_user_refused(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char key[VG_KEY_SIZE] = "untouched";
    add_org(f->s, "Agency A");
    add_user(f->s, "Agency A", "ann", VG_ROLE_READER, key);

    memcpy(key, "untouched", 10);
    vg_error_clear(&err);
    assert_int_equal(vg_user_add(f->s, "Agency A", "ann", VG_ROLE_ANALYST, T0, NULL, key, &err),
                     VG_EINVAL);
    assert_non_null(strstr(err.message, "already exists"));
    assert_non_null(strstr(err.message, "ann"));
    assert_string_equal(key, "untouched");

    vg_error_clear(&err);
    assert_int_equal(vg_user_add(f->s, "Nowhere", "ben", VG_ROLE_ANALYST, T0, NULL, key, &err),
                     VG_ENOTFOUND);
    assert_non_null(strstr(err.message, "no organisation named 'Nowhere'"));
    assert_int_equal(vg_user_add(f->s, NULL, "ben", VG_ROLE_ANALYST, T0, NULL, key, &err),
                     VG_ENOTFOUND);
    assert_int_equal(vg_user_add(f->s, "Agency A", "", VG_ROLE_ANALYST, T0, NULL, key, &err),
                     VG_EINVAL);
    assert_int_equal(vg_user_add(f->s, "Agency A", "ben", -1, T0, NULL, key, &err), VG_EINVAL);
    assert_int_equal(vg_user_add(f->s, "Agency A", "ben", VG_ROLE_COUNT, T0, NULL, key, &err),
                     VG_EINVAL);
    assert_string_equal(key, "untouched");
    /* Nothing half-made: one user, one key. */
    assert_int_equal(query_int(f->s, "SELECT count(*) FROM users"), 1);
    assert_int_equal(query_int(f->s, "SELECT count(*) FROM api_keys"), 1);
}

static void test_roles(void **state)
{
    (void)state;
    static const char *const names[] = {"admin", "analyst", "reader", "sync"};
    struct vg_error err;
    for (int i = 0; i < 4; i++) {
        int role = -1;
        assert_int_equal(vg_account_role_parse(names[i], &role, &err), 0);
        assert_int_equal(role, i);
        assert_string_equal(vg_account_role_name(i), names[i]);
    }
    static const char *const bad[] = {"", "Admin", "root", "superuser", "admin ", "analysts"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int role = 7;
        vg_error_clear(&err);
        assert_int_equal(vg_account_role_parse(bad[i], &role, &err), VG_EINVAL);
        assert_int_equal(role, 7);
        assert_non_null(strstr(err.message, "admin, analyst, reader or sync"));
    }
    assert_int_equal(vg_account_role_parse(NULL, &(int){0}, &err), VG_EINVAL);
    assert_null(vg_account_role_name(-1));
    assert_null(vg_account_role_name(VG_ROLE_COUNT));
}

static void test_schema_refuses_other_roles(void **state)
{
    /* The table's CHECK agrees with the four roles: a fifth cannot be written behind our back. */
    struct fixture *f = *state;
    add_org(f->s, "A");
    assert_int_not_equal(sqlite3_exec(vg_store_db(f->s),
                                      "INSERT INTO users (org_id, name, role, created_at)"
                                      " VALUES (1, 'x', 'root', '2026-01-01T00:00:00Z')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
}

static void test_user_add_inside_transaction(void **state)
{
    /* With the caller's transaction open, a failed add undoes only itself. */
    struct fixture *f = *state;
    struct vg_error err;
    char key[VG_KEY_SIZE];
    assert_int_equal(vg_store_begin(f->s, &err), 0);
    add_org(f->s, "A");
    add_user(f->s, "A", "u1", VG_ROLE_READER, key);
    assert_int_equal(vg_user_add(f->s, "A", "u1", VG_ROLE_READER, T0, NULL, key, &err), VG_EINVAL);
    add_user(f->s, "A", "u2", VG_ROLE_READER, key);
    assert_int_equal(vg_store_commit(f->s, &err), 0);
    assert_int_equal(query_int(f->s, "SELECT count(*) FROM users"), 2);
    assert_int_equal(query_int(f->s, "SELECT count(*) FROM api_keys"), 2);
}

/* ---- keys ---- */

static void refused(struct vg_store *s, const char *key, time_t now, const char *why)
{
    struct vg_principal p;
    struct vg_error err;
    memset(&p, 0x5a, sizeof(p));
    vg_error_clear(&err);
    int rc = vg_key_authenticate(s, key, now, &p, &err);
    if (rc != VG_ENOTFOUND)
        fail_msg("%s: expected VG_ENOTFOUND, got %d", why, rc);
    if (strcmp(err.message, "invalid API key") != 0)
        fail_msg("%s: the message tells the reason: %s", why, err.message);
    assert_int_equal(p.user_id, 0x5a5a5a5a5a5a5a5a); /* untouched */
}

static void accepted(struct vg_store *s, const char *key, time_t now, const char *user)
{
    struct vg_principal p;
    struct vg_error err;
    vg_error_clear(&err);
    if (vg_key_authenticate(s, key, now, &p, &err) != 0)
        fail_msg("key of %s refused: %s", user, err.message);
    assert_string_equal(p.user, user);
}

static void test_authenticate(void **state)
{
    struct fixture *f = *state;
    char key[VG_KEY_SIZE], other[VG_KEY_SIZE], bad[VG_KEY_SIZE + 8];
    add_org(f->s, "A");
    add_user(f->s, "A", "alice", VG_ROLE_ANALYST, key);
    add_user(f->s, "A", "bob", VG_ROLE_READER, other);
    accepted(f->s, key, T0, "alice");
    accepted(f->s, other, T0 + 3650 * DAY, "bob"); /* no expiry */

    memcpy(bad, key, VG_KEY_SIZE);
    bad[VG_KEY_LEN - 1] = bad[VG_KEY_LEN - 1] == 'A' ? 'B' : 'A';
    refused(f->s, bad, T0, "the last character changed");

    memcpy(bad, key, VG_KEY_SIZE);
    bad[3] = bad[3] == '0' ? '1' : '0';
    refused(f->s, bad, T0, "another prefix");

    /* alice's prefix with bob's secret */
    memcpy(bad, key, VG_KEY_SIZE);
    memcpy(bad + 20, other + 20, VG_KEY_LEN - 20);
    refused(f->s, bad, T0, "a secret of another key");

    snprintf(bad, sizeof(bad), "%sA", key);
    refused(f->s, bad, T0, "one character more");
    memcpy(bad, key, VG_KEY_SIZE);
    bad[VG_KEY_LEN - 1] = '\0';
    refused(f->s, bad, T0, "one character less");
    memcpy(bad, key, VG_KEY_SIZE);
    bad[5] = (char)toupper((unsigned char)bad[5]) == bad[5] ? 'A' : 'F';
    refused(f->s, bad, T0, "an upper-case prefix");
    memcpy(bad, key, VG_KEY_SIZE);
    bad[30] = '+';
    refused(f->s, bad, T0, "a character outside base64url");
    memcpy(bad, key, VG_KEY_SIZE);
    bad[1] = 'x';
    refused(f->s, bad, T0, "another scheme");

    refused(f->s, "", T0, "an empty string");
    refused(f->s, NULL, T0, "no key");
    refused(f->s, "garbage", T0, "garbage");
    refused(f->s, "vg_0000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", T0,
            "a well-formed key never issued");
    refused(f->s, "' OR 1=1 --", T0, "SQL");
    accepted(f->s, key, T0, "alice"); /* none of that harmed the key */
}

static void test_key_expiry(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char first[VG_KEY_SIZE], key[VG_KEY_SIZE];
    add_org(f->s, "A");
    add_user(f->s, "A", "carol", VG_ROLE_ANALYST, first);
    assert_int_equal(vg_key_create(f->s, "carol", 2, T0, key, &err), 0);
    accepted(f->s, key, T0, "carol");
    accepted(f->s, key, T0 + 2 * DAY - 1, "carol");
    refused(f->s, key, T0 + 2 * DAY, "expired at its expiry time");
    refused(f->s, key, T0 + 30 * DAY, "expired long ago");
    accepted(f->s, first, T0 + 30 * DAY, "carol");

    struct vg_key_info *keys = NULL;
    size_t n = 0;
    assert_int_equal(vg_key_list(f->s, "carol", &keys, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].expires_at, "");
    assert_string_equal(keys[1].created_at, "2026-01-01T00:00:00Z");
    assert_string_equal(keys[1].expires_at, "2026-01-03T00:00:00Z");
    assert_memory_equal(keys[1].prefix, key + 3, VG_KEY_PREFIX_LEN);
    vg_free(keys);

    struct vg_user *users = NULL;
    assert_int_equal(vg_user_list(f->s, NULL, T0 + 3 * DAY, &users, &n, &err), 0);
    assert_int_equal(users[0].active_keys, 1); /* the expired one is not counted */
    vg_free(users);

    assert_int_equal(vg_key_create(f->s, "carol", -1, T0, key, &err), VG_EINVAL);
    assert_int_equal(vg_key_create(f->s, "carol", VG_KEY_EXPIRY_DAYS_MAX + 1, T0, key, &err),
                     VG_EINVAL);
    assert_int_equal(vg_key_create(f->s, "nobody", 0, T0, key, &err), VG_ENOTFOUND);
    assert_int_equal(query_int(f->s, "SELECT count(*) FROM api_keys"), 2);
}

static void test_key_revoke(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char k1[VG_KEY_SIZE], k2[VG_KEY_SIZE], prefix[VG_KEY_PREFIX_LEN + 1];
    add_org(f->s, "A");
    add_user(f->s, "A", "dan", VG_ROLE_ANALYST, k1);
    assert_int_equal(vg_key_create(f->s, "dan", 0, T0, k2, &err), 0);
    memcpy(prefix, k1 + 3, VG_KEY_PREFIX_LEN);
    prefix[VG_KEY_PREFIX_LEN] = '\0';

    int was = -1;
    assert_int_equal(vg_key_revoke(f->s, prefix, T0 + 10, &was, &err), 0);
    assert_int_equal(was, 0);
    refused(f->s, k1, T0 + 11, "a revoked key");
    accepted(f->s, k2, T0 + 11, "dan"); /* the other key lives on */
    assert_int_equal(vg_key_revoke(f->s, prefix, T0 + 20, &was, &err), 0);
    assert_int_equal(was, 1);

    struct vg_key_info *keys = NULL;
    size_t n = 0;
    assert_int_equal(vg_key_list(f->s, "dan", &keys, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].prefix, prefix);
    assert_string_equal(keys[0].revoked_at, "2026-01-01T00:00:10Z"); /* the first time kept */
    assert_string_equal(keys[1].revoked_at, "");
    vg_free(keys);

    /* "vg_" before the prefix is accepted too. */
    char with_vg[VG_KEY_PREFIX_LEN + 4];
    snprintf(with_vg, sizeof(with_vg), "vg_%.16s", k2 + 3);
    assert_int_equal(vg_key_revoke(f->s, with_vg, T0 + 30, NULL, &err), 0);
    refused(f->s, k2, T0 + 31, "the second revoked key");

    vg_error_clear(&err);
    assert_int_equal(vg_key_revoke(f->s, "0123456789abcdef", T0, NULL, &err), VG_ENOTFOUND);
    assert_non_null(strstr(err.message, "0123456789abcdef"));
    assert_int_equal(vg_key_revoke(f->s, "0123", T0, NULL, &err), VG_EINVAL);
    assert_int_equal(vg_key_revoke(f->s, "0123456789ABCDEF", T0, NULL, &err), VG_EINVAL);
    assert_int_equal(vg_key_revoke(f->s, "x' OR '1'='1", T0, NULL, &err), VG_EINVAL);
    assert_int_equal(vg_key_revoke(f->s, NULL, T0, NULL, &err), VG_EINVAL);
    assert_int_equal(vg_key_list(f->s, "nobody", &keys, &n, &err), VG_ENOTFOUND);
}

static void test_disabled_user(void **state)
{
    struct fixture *f = *state;
    char key[VG_KEY_SIZE];
    add_org(f->s, "A");
    add_user(f->s, "A", "eve", VG_ROLE_ANALYST, key);
    accepted(f->s, key, T0, "eve");
    assert_int_equal(sqlite3_exec(vg_store_db(f->s),
                                  "UPDATE users SET disabled_at = '2026-01-01T00:00:00Z'", NULL,
                                  NULL, NULL),
                     SQLITE_OK);
    refused(f->s, key, T0, "the key of a disabled user");
}

/* Whether needle occurs in the n bytes at hay. */
static int contains(const void *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    return n >= m && memmem(hay, n, needle, m) != NULL;
}

static void scan_file(const char *path, const char *needle, const char *what)
{
    if (access(path, F_OK) != 0)
        return;
    size_t n = 0;
    char *data = tu_read_file(path, &n);
    if (contains(data, n, needle))
        fail_msg("%s found in %s", what, path);
    free(data);
}

static void test_secret_not_stored(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char keys[3][VG_KEY_SIZE];
    add_org(f->s, "A");
    add_user(f->s, "A", "frank", VG_ROLE_ANALYST, keys[0]);
    assert_int_equal(vg_key_create(f->s, "frank", 0, T0, keys[1], &err), 0);
    assert_int_equal(vg_key_create(f->s, "frank", 5, T0, keys[2], &err), 0);

    /* Every column of every api_keys row, as text and as bytes. */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(vg_store_db(f->s), "SELECT * FROM api_keys", -1, &st, NULL),
                     SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        rows++;
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const void *v = sqlite3_column_blob(st, c);
            size_t n = (size_t)sqlite3_column_bytes(st, c);
            for (int k = 0; k < 3; k++) {
                assert_false(contains(v, n, keys[k]));
                assert_false(contains(v, n, keys[k] + 20)); /* the secret alone */
            }
        }
        assert_int_equal(sqlite3_column_bytes(st, 3), 32); /* secret_hash */
    }
    sqlite3_finalize(st);
    assert_int_equal(rows, 3);

    /* And nowhere in the files, the WAL included, before and after a checkpoint. */
    char wal[TU_PATH_MAX + 8];
    snprintf(wal, sizeof(wal), "%s-wal", f->db);
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < 3; k++) {
            scan_file(f->db, keys[k], "a key");
            scan_file(f->db, keys[k] + 20, "a key's secret");
            scan_file(wal, keys[k], "a key");
            scan_file(wal, keys[k] + 20, "a key's secret");
        }
        vg_store_close(f->s);
        f->s = NULL;
        assert_int_equal(vg_store_open(f->db, 0, &f->s, &err), 0);
    }
    accepted(f->s, keys[2], T0, "frank"); /* the scans looked at a database that works */
}

/* ---- passwords ---- */

static void test_passwords(void **state)
{
    struct fixture *f = *state;
    struct vg_error err;
    char key[VG_KEY_SIZE];
    add_org(f->s, "A");
    add_user(f->s, "A", "gina", VG_ROLE_ADMIN, key);
    add_user(f->s, "A", "hal", VG_ROLE_READER, key);

    vg_error_clear(&err);
    assert_int_equal(vg_user_check_password(f->s, "gina", "correct horse", &err), VG_ENOTFOUND);
    char nopw[VG_ERROR_MSG_MAX];
    snprintf(nopw, sizeof(nopw), "%s", err.message);

    assert_int_equal(vg_user_set_password(f->s, "gina", "correct horse", &err), 0);
    assert_int_equal(vg_user_check_password(f->s, "gina", "correct horse", &err), 0);
    vg_error_clear(&err);
    assert_int_equal(vg_user_check_password(f->s, "gina", "correct hors", &err), VG_ENOTFOUND);
    assert_string_equal(err.message, nopw); /* wrong password and no password look alike */
    assert_int_equal(vg_user_check_password(f->s, "gina", "Correct horse", &err), VG_ENOTFOUND);
    assert_int_equal(vg_user_check_password(f->s, "gina", "", &err), VG_ENOTFOUND);
    assert_int_equal(vg_user_check_password(f->s, "gina", NULL, &err), VG_ENOTFOUND);
    assert_int_equal(vg_user_check_password(f->s, "hal", "correct horse", &err), VG_ENOTFOUND);
    vg_error_clear(&err);
    assert_int_equal(vg_user_check_password(f->s, "nobody", "correct horse", &err), VG_ENOTFOUND);
    assert_string_equal(err.message, nopw);

    /* What is stored is an Argon2id string, not the password. */
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(vg_store_db(f->s),
                                        "SELECT password_hash FROM users WHERE name = 'gina'", -1,
                                        &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *hash = (const char *)sqlite3_column_text(st, 0);
    assert_non_null(hash);
    assert_memory_equal(hash, "$argon2id$", 10);
    assert_null(strstr(hash, "correct horse"));
    sqlite3_finalize(st);

    /* A new password replaces the old. */
    assert_int_equal(vg_user_set_password(f->s, "gina", "battery staple", &err), 0);
    assert_int_equal(vg_user_check_password(f->s, "gina", "battery staple", &err), 0);
    assert_int_equal(vg_user_check_password(f->s, "gina", "correct horse", &err), VG_ENOTFOUND);

    assert_int_equal(vg_user_set_password(f->s, "gina", "short", &err), VG_EINVAL);
    assert_int_equal(vg_user_set_password(f->s, "nobody", "long enough", &err), VG_ENOTFOUND);
    char *huge = malloc(VG_PASSWORD_MAX + 2);
    assert_non_null(huge);
    memset(huge, 'p', VG_PASSWORD_MAX + 1);
    huge[VG_PASSWORD_MAX + 1] = '\0';
    assert_int_equal(vg_user_set_password(f->s, "gina", huge, &err), VG_ETOOBIG);
    assert_int_equal(vg_user_check_password(f->s, "gina", huge, &err), VG_ENOTFOUND);
    free(huge);

    /* A disabled user's password no longer works. */
    assert_int_equal(sqlite3_exec(vg_store_db(f->s),
                                  "UPDATE users SET disabled_at = '2026-01-02T00:00:00Z'"
                                  " WHERE name = 'gina'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(vg_user_check_password(f->s, "gina", "battery staple", &err), VG_ENOTFOUND);
}

static void test_time_format(void **state)
{
    (void)state;
    char out[VG_ACCOUNT_TIME_SIZE];
    vg_account_time(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    vg_account_time(T0 + 3 * DAY + 3661, out);
    assert_string_equal(out, "2026-01-04T01:01:01Z");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_org_round_trip),
        T(test_org_list_empty),
        T(test_org_names_refused),
        T(test_org_list_out_of_memory),
        T(test_user_round_trip),
        T(test_user_refused),
        cmocka_unit_test(test_roles),
        T(test_schema_refuses_other_roles),
        T(test_user_add_inside_transaction),
        T(test_authenticate),
        T(test_key_expiry),
        T(test_key_revoke),
        T(test_disabled_user),
        T(test_secret_not_stored),
        T(test_passwords),
        cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
