/* accounts.c - organisations, users, API keys and dashboard passwords (tables of migration 3).
 *
 * Data: organisations (name unique), users (name unique across the database, one organisation,
 * one role, an optional Argon2id password hash, disabled_at), api_keys (prefix unique, a 32-byte
 * hash of the whole key, created/expires/revoked times). Times are stored as UTC ISO 8601 text
 * in one fixed format, so comparing two of them as strings compares the instants.
 *
 * API keys. A key is "vg_" + 16 hex digits (8 random bytes: the public prefix) + "_" + 43
 * base64url characters (32 random bytes from randombytes_buf: the secret), 63 characters in all.
 * The prefix finds the row through its unique index; the row holds crypto_generichash (BLAKE2b,
 * 32 bytes) of the whole key text, never the key. A stolen database therefore yields no usable
 * key: 256 random bits cannot be found from their hash. A slow hash (Argon2) is not needed here,
 * unlike for passwords, because the secret is random and long rather than chosen by a person.
 *
 * Authentication: the key's form is checked, its hash computed, the row found by prefix, and the
 * stored hash compared with crypto_verify_32 (constant time). Every refusal (malformed, unknown
 * prefix, wrong secret, expired, revoked, disabled user) returns the same VG_ENOTFOUND and the
 * same message, and the hash is computed before the look-up so the malformed and unknown cases
 * do not return noticeably sooner than a wrong secret.
 *
 * Passwords: crypto_pwhash_str (Argon2id, interactive limits: 2 passes, 64 MiB). Checking the
 * password of a user who does not exist or has none verifies against a fixed dummy hash, so the
 * time taken does not tell which users exist.
 *
 * Invariants: a user is added together with its first key, in one transaction (a savepoint when
 * the caller already has a transaction open). Keys are never deleted, only revoked, so a prefix
 * is never reused and the key history stays for the audit.
 *
 * Ownership: list functions return one heap array (fixed-size entries, no inner pointers) that
 * the caller frees with vg_free. Strings passed in are borrowed for the call.
 * Thread-safety: sodium_init is thread-safe and called before any use of libsodium; everything
 * else uses the store's connection and so belongs to the thread that uses the store. */
#include "vigil/accounts.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <sodium.h>
#include <sqlite3.h>
#include <string.h>

#define HASH_LEN crypto_generichash_BYTES /* 32 */
#define PREFIX_BYTES (VG_KEY_PREFIX_LEN / 2)
#define SECRET_BYTES 32
#define SECRET_AT (3 + VG_KEY_PREFIX_LEN + 1) /* offset of the secret in a key */
#define SAVEPOINT_NAME "vg_accounts"

static const char *const role_names[VG_ROLE_COUNT] = {"admin", "analyst", "reader", "sync"};

/* A valid Argon2id string of a password nobody has, for checking the password of a user who
 * has none: the verification costs the same time as a real one. */
static const char dummy_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$OJhrUQFL0ZXvWKpyKc84TQ$"
                                 "jVaQE6c48y1Fwx5utM/DLjqFFGRsRfO+QlHMRmigwjU";

static const char bad_key_msg[] = "invalid API key";
static const char bad_password_msg[] = "wrong user name or password";

const char *vg_account_role_name(int role)
{
    return role >= 0 && role < VG_ROLE_COUNT ? role_names[role] : NULL;
}

int vg_account_role_parse(const char *name, int *role, struct vg_error *err)
{
    for (int i = 0; name && i < VG_ROLE_COUNT; i++) {
        if (strcmp(name, role_names[i]) == 0) {
            *role = i;
            return 0;
        }
    }
    return vg_error_set(err, VG_EINVAL, "unknown role '%s' (admin, analyst, reader or sync)",
                        name ? name : "");
}

void vg_account_time(time_t t, char out[VG_ACCOUNT_TIME_SIZE])
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, VG_ACCOUNT_TIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

static int crypto_ready(struct vg_error *err)
{
    if (sodium_init() < 0)
        return vg_error_set(err, VG_EIO, "cannot initialise libsodium");
    return 0;
}

/* Checks a name given for a new organisation or user. */
static int check_name(const char *what, const char *name, struct vg_error *err)
{
    if (!name || !name[0])
        return vg_error_set(err, VG_EINVAL, "the %s name is empty", what);
    size_t n = strlen(name);
    if (n > VG_ACCOUNT_NAME_MAX)
        return vg_error_set(err, VG_ETOOBIG, "the %s name is longer than %d bytes", what,
                            VG_ACCOUNT_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f)
            return vg_error_set(err, VG_EINVAL, "the %s name contains a control character", what);
    }
    return 0;
}

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    size_t n = v ? strlen(v) : 0;
    if (n >= size)
        n = size - 1;
    if (n)
        memcpy(dst, v, n);
    dst[n] = '\0';
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, struct vg_error *err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return vg_error_set(err, VG_EDB, "cannot prepare a query: %s", sqlite3_errmsg(db));
    return 0;
}

/* The id of user name in *id; VG_ENOTFOUND when there is none. */
static int find_user(sqlite3 *db, const char *name, int64_t *id, struct vg_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = prepare(db, "SELECT id FROM users WHERE name = ?1", &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE)
        rc = vg_error_set(err, VG_ENOTFOUND, "no user named '%s'", name);
    else
        rc = vg_error_set(err, VG_EDB, "cannot look up user '%s': %s", name, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

/* Opens a transaction, or a savepoint inside the caller's. */
static int tx_begin(struct vg_store *s, int *own, struct vg_error *err)
{
    *own = sqlite3_get_autocommit(vg_store_db(s)) != 0;
    return *own ? vg_store_begin(s, err) : vg_store_exec(s, "SAVEPOINT " SAVEPOINT_NAME, err);
}

static void tx_rollback(struct vg_store *s, int own)
{
    if (own)
        vg_store_rollback(s);
    else
        sqlite3_exec(vg_store_db(s), "ROLLBACK TO " SAVEPOINT_NAME "; RELEASE " SAVEPOINT_NAME,
                     NULL, NULL, NULL);
}

static int tx_commit(struct vg_store *s, int own, struct vg_error *err)
{
    int rc = own ? vg_store_commit(s, err) : vg_store_exec(s, "RELEASE " SAVEPOINT_NAME, err);
    if (rc)
        tx_rollback(s, own);
    return rc;
}

/* ---- organisations ---- */

int vg_org_add(struct vg_store *s, const char *name, time_t now, int64_t *id, struct vg_error *err)
{
    int rc = check_name("organisation", name, err);
    if (rc)
        return rc;
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    char at[VG_ACCOUNT_TIME_SIZE];
    vg_account_time(now, at);
    if ((rc =
             prepare(db, "INSERT INTO organisations (name, created_at) VALUES (?1, ?2)", &st, err)))
        return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        if (id)
            *id = sqlite3_last_insert_rowid(db);
    } else if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
        rc = vg_error_set(err, VG_EINVAL, "an organisation named '%s' already exists", name);
    } else {
        rc =
            vg_error_set(err, VG_EDB, "cannot add organisation '%s': %s", name, sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc;
}

/* Steps st to its end, filling one zeroed entry of size bytes per row with fill, and finalizes st
 * on every path. Returns 0 with one heap array of *n entries in *items (NULL when there are
 * none), else the error, naming the rows as what, with both out-parameters untouched. */
static int list_rows(sqlite3 *db, sqlite3_stmt *st, size_t size,
                     void (*fill)(void *e, sqlite3_stmt *st), const char *what, void **items,
                     size_t *n, struct vg_error *err)
{
    void *list = NULL;
    size_t count = 0, cap = 0;
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            void *p = vg_realloc(list, ncap * size);
            if (!p) {
                rc = vg_error_set(err, VG_ENOMEM, "out of memory");
                goto fail;
            }
            list = p;
            cap = ncap;
        }
        void *e = (char *)list + count * size;
        memset(e, 0, size);
        fill(e, st);
        count++;
    }
    if (step != SQLITE_DONE) {
        rc = vg_error_set(err, VG_EDB, "cannot list %s: %s", what, sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    *items = list;
    *n = count;
    return 0;
fail:
    sqlite3_finalize(st);
    vg_free(list);
    return rc;
}

/* Fills an organisation from a row of the SELECT in vg_org_list. */
static void org_row(void *e, sqlite3_stmt *st)
{
    struct vg_org *o = e;
    o->id = sqlite3_column_int64(st, 0);
    copy_text(o->name, sizeof(o->name), st, 1);
    copy_text(o->created_at, sizeof(o->created_at), st, 2);
    o->users = sqlite3_column_int64(st, 3);
}

int vg_org_list(struct vg_store *s, struct vg_org **items, size_t *n, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int rc = prepare(db,
                     "SELECT o.id, o.name, o.created_at,"
                     " (SELECT count(*) FROM users u WHERE u.org_id = o.id)"
                     " FROM organisations o ORDER BY o.name",
                     &st, err);
    if (rc)
        return rc;
    void *list;
    if ((rc = list_rows(db, st, sizeof(**items), org_row, "organisations", &list, n, err)))
        return rc;
    *items = list;
    return 0;
}

/* ---- API keys ---- */

static void hash_key(const char *key, unsigned char hash[HASH_LEN])
{
    crypto_generichash(hash, HASH_LEN, (const unsigned char *)key, strlen(key), NULL, 0);
}

/* Draws a new key into key, its prefix into prefix and its hash into hash. */
static void make_key(char key[VG_KEY_SIZE], char prefix[VG_KEY_PREFIX_LEN + 1],
                     unsigned char hash[HASH_LEN])
{
    unsigned char pre[PREFIX_BYTES], secret[SECRET_BYTES];
    randombytes_buf(pre, sizeof(pre));
    randombytes_buf(secret, sizeof(secret));
    memcpy(key, "vg_", 3);
    sodium_bin2hex(key + 3, VG_KEY_PREFIX_LEN + 1, pre, sizeof(pre));
    key[3 + VG_KEY_PREFIX_LEN] = '_';
    sodium_bin2base64(key + SECRET_AT, VG_KEY_SIZE - SECRET_AT, secret, sizeof(secret),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(secret, sizeof(secret));
    memcpy(prefix, key + 3, VG_KEY_PREFIX_LEN);
    prefix[VG_KEY_PREFIX_LEN] = '\0';
    hash_key(key, hash);
}

/* Makes a key for user_id and stores its hash. A prefix already taken (a 1 in 2^64 chance per
 * pair of keys) is simply drawn again. */
static int insert_key(sqlite3 *db, int64_t user_id, int expires_days, time_t now,
                      char key[VG_KEY_SIZE], struct vg_error *err)
{
    if (expires_days < 0 || expires_days > VG_KEY_EXPIRY_DAYS_MAX)
        return vg_error_set(err, VG_EINVAL, "the expiry must be from 1 to %d days",
                            VG_KEY_EXPIRY_DAYS_MAX);
    int rc = crypto_ready(err);
    if (rc)
        return rc;
    char created[VG_ACCOUNT_TIME_SIZE], expires[VG_ACCOUNT_TIME_SIZE];
    vg_account_time(now, created);
    vg_account_time(now + (time_t)expires_days * 86400, expires);
    sqlite3_stmt *st = NULL;
    if ((rc = prepare(db,
                      "INSERT INTO api_keys (user_id, prefix, secret_hash, created_at, expires_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5)",
                      &st, err)))
        return rc;
    char text[VG_KEY_SIZE], prefix[VG_KEY_PREFIX_LEN + 1];
    unsigned char hash[HASH_LEN];
    rc = VG_EDB;
    for (int attempt = 0; attempt < 4 && rc; attempt++) {
        make_key(text, prefix, hash);
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, user_id);
        sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, hash, HASH_LEN, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, created, -1, SQLITE_STATIC);
        if (expires_days)
            sqlite3_bind_text(st, 5, expires, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 5);
        if (sqlite3_step(st) == SQLITE_DONE)
            rc = 0;
        else if (sqlite3_extended_errcode(db) != SQLITE_CONSTRAINT_UNIQUE)
            break;
    }
    if (rc == 0)
        memcpy(key, text, VG_KEY_SIZE);
    else
        vg_error_set(err, VG_EDB, "cannot store the new API key: %s", sqlite3_errmsg(db));
    sodium_memzero(text, sizeof(text));
    sqlite3_finalize(st);
    return rc;
}

int vg_key_create(struct vg_store *s, const char *user, int expires_days, time_t now,
                  char key[VG_KEY_SIZE], struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    int64_t user_id;
    int rc = find_user(db, user, &user_id, err);
    if (rc)
        return rc;
    return insert_key(db, user_id, expires_days, now, key, err);
}

static int is_hex(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    return 1;
}

int vg_key_revoke(struct vg_store *s, const char *prefix, time_t now, int *was_revoked,
                  struct vg_error *err)
{
    if (prefix && strncmp(prefix, "vg_", 3) == 0)
        prefix += 3;
    if (!prefix || strlen(prefix) != VG_KEY_PREFIX_LEN || !is_hex(prefix, VG_KEY_PREFIX_LEN))
        return vg_error_set(err, VG_EINVAL,
                            "'%s' is not a key prefix (%d lowercase hex digits, as 'vigil key "
                            "list' shows)",
                            prefix ? prefix : "", VG_KEY_PREFIX_LEN);
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    char at[VG_ACCOUNT_TIME_SIZE];
    vg_account_time(now, at);
    int rc =
        prepare(db, "UPDATE api_keys SET revoked_at = ?2 WHERE prefix = ?1 AND revoked_at IS NULL",
                &st, err);
    if (rc)
        return rc;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = vg_error_set(err, VG_EDB, "cannot revoke key %s: %s", prefix, sqlite3_errmsg(db));
        goto done;
    }
    if (sqlite3_changes(db) == 1) {
        if (was_revoked)
            *was_revoked = 0;
        goto done;
    }
    /* Nothing changed: the key is revoked already, or does not exist. */
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = prepare(db, "SELECT 1 FROM api_keys WHERE prefix = ?1", &st, err)))
        goto done;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        if (was_revoked)
            *was_revoked = 1;
    } else if (step == SQLITE_DONE) {
        rc = vg_error_set(err, VG_ENOTFOUND, "no API key with prefix %s", prefix);
    } else {
        rc = vg_error_set(err, VG_EDB, "cannot revoke key %s: %s", prefix, sqlite3_errmsg(db));
    }
done:
    sqlite3_finalize(st);
    return rc;
}

/* Fills a key from a row of the SELECT in vg_key_list. */
static void key_row(void *e, sqlite3_stmt *st)
{
    struct vg_key_info *k = e;
    k->id = sqlite3_column_int64(st, 0);
    copy_text(k->prefix, sizeof(k->prefix), st, 1);
    copy_text(k->created_at, sizeof(k->created_at), st, 2);
    copy_text(k->expires_at, sizeof(k->expires_at), st, 3);
    copy_text(k->revoked_at, sizeof(k->revoked_at), st, 4);
}

int vg_key_list(struct vg_store *s, const char *user, struct vg_key_info **items, size_t *n,
                struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int64_t user_id;
    int rc = find_user(db, user, &user_id, err);
    if (rc)
        return rc;
    if ((rc = prepare(db,
                      "SELECT id, prefix, created_at, expires_at, revoked_at FROM api_keys"
                      " WHERE user_id = ?1 ORDER BY id",
                      &st, err)))
        return rc;
    sqlite3_bind_int64(st, 1, user_id);
    void *list;
    if ((rc = list_rows(db, st, sizeof(**items), key_row, "keys", &list, n, err)))
        return rc;
    *items = list;
    return 0;
}

/* Whether key has the form of a key: "vg_", 16 lowercase hex digits, "_", 43 base64url
 * characters, and nothing more. */
static int key_well_formed(const char *key)
{
    if (strnlen(key, VG_KEY_SIZE) != VG_KEY_LEN || strncmp(key, "vg_", 3) != 0 ||
        !is_hex(key + 3, VG_KEY_PREFIX_LEN) || key[SECRET_AT - 1] != '_')
        return 0;
    for (const char *p = key + SECRET_AT; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

int vg_key_authenticate(struct vg_store *s, const char *key, time_t now, struct vg_principal *out,
                        struct vg_error *err)
{
    int rc = crypto_ready(err);
    if (rc)
        return rc;
    /* The hash is computed whatever the key looks like, so every refusal costs about the same. */
    unsigned char hash[HASH_LEN];
    int well_formed = key && key_well_formed(key);
    hash_key(well_formed ? key : "", hash);
    if (!well_formed)
        return vg_error_set(err, VG_ENOTFOUND, "%s", bad_key_msg);

    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    if (vg_store_stmt(s,
                      "SELECT k.secret_hash, k.expires_at, k.revoked_at, u.disabled_at,"
                      " u.id, u.name, u.role, o.id, o.name"
                      " FROM api_keys k JOIN users u ON u.id = k.user_id"
                      " JOIN organisations o ON o.id = u.org_id WHERE k.prefix = ?1",
                      &st, err))
        return vg_error_set(err, VG_EDB, "cannot prepare a query: %s", sqlite3_errmsg(db));
    sqlite3_bind_text(st, 1, key + 3, VG_KEY_PREFIX_LEN, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        static const unsigned char zero[HASH_LEN];
        const void *stored = sqlite3_column_blob(st, 0);
        int stored_ok = stored && sqlite3_column_bytes(st, 0) == HASH_LEN;
        int match = crypto_verify_32(hash, stored_ok ? stored : zero) == 0 && stored_ok;
        char at[VG_ACCOUNT_TIME_SIZE];
        vg_account_time(now, at);
        const char *expires = (const char *)sqlite3_column_text(st, 1);
        int live = sqlite3_column_type(st, 2) == SQLITE_NULL &&
                   sqlite3_column_type(st, 3) == SQLITE_NULL &&
                   (!expires || strcmp(at, expires) < 0);
        int role = -1;
        vg_account_role_parse((const char *)sqlite3_column_text(st, 6), &role, NULL);
        if (match && live && role >= 0) {
            memset(out, 0, sizeof(*out));
            out->user_id = sqlite3_column_int64(st, 4);
            copy_text(out->user, sizeof(out->user), st, 5);
            out->role = role;
            out->org_id = sqlite3_column_int64(st, 7);
            copy_text(out->org, sizeof(out->org), st, 8);
        } else {
            rc = vg_error_set(err, VG_ENOTFOUND, "%s", bad_key_msg);
        }
    } else if (step == SQLITE_DONE) {
        rc = vg_error_set(err, VG_ENOTFOUND, "%s", bad_key_msg);
    } else {
        rc = vg_error_set(err, VG_EDB, "cannot check an API key: %s", sqlite3_errmsg(db));
    }
    vg_store_stmt_done(s, st);
    return rc;
}

/* ---- users ---- */

int vg_user_add(struct vg_store *s, const char *org, const char *name, int role, time_t now,
                int64_t *id, char key[VG_KEY_SIZE], struct vg_error *err)
{
    int rc = check_name("user", name, err);
    if (rc)
        return rc;
    if (!vg_account_role_name(role))
        return vg_error_set(err, VG_EINVAL, "%d is not a role", role);
    if ((rc = crypto_ready(err)))
        return rc;
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    char at[VG_ACCOUNT_TIME_SIZE];
    char newkey[VG_KEY_SIZE];
    int own;
    vg_account_time(now, at);
    if ((rc = tx_begin(s, &own, err)))
        return rc;
    /* The organisation is looked up by the insert itself: no row inserted, no such org. */
    if ((rc = prepare(db,
                      "INSERT INTO users (org_id, name, role, created_at)"
                      " SELECT id, ?2, ?3, ?4 FROM organisations WHERE name = ?1",
                      &st, err)))
        goto fail;
    sqlite3_bind_text(st, 1, org ? org : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, role_names[role], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, at, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE)
            rc = vg_error_set(err, VG_EINVAL, "a user named '%s' already exists", name);
        else
            rc = vg_error_set(err, VG_EDB, "cannot add user '%s': %s", name, sqlite3_errmsg(db));
        goto fail;
    }
    if (sqlite3_changes(db) == 0) {
        rc = vg_error_set(err, VG_ENOTFOUND, "no organisation named '%s'", org ? org : "");
        goto fail;
    }
    int64_t user_id = sqlite3_last_insert_rowid(db);
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = insert_key(db, user_id, 0, now, newkey, err)))
        goto fail;
    if ((rc = tx_commit(s, own, err))) {
        sodium_memzero(newkey, sizeof(newkey));
        return rc;
    }
    memcpy(key, newkey, VG_KEY_SIZE);
    sodium_memzero(newkey, sizeof(newkey));
    if (id)
        *id = user_id;
    return 0;
fail:
    sqlite3_finalize(st);
    tx_rollback(s, own);
    return rc;
}

/* Fills a user from a row of the SELECT in vg_user_list. */
static void user_row(void *e, sqlite3_stmt *st)
{
    struct vg_user *u = e;
    u->id = sqlite3_column_int64(st, 0);
    copy_text(u->name, sizeof(u->name), st, 1);
    u->org_id = sqlite3_column_int64(st, 2);
    copy_text(u->org, sizeof(u->org), st, 3);
    u->role = -1;
    vg_account_role_parse((const char *)sqlite3_column_text(st, 4), &u->role, NULL);
    copy_text(u->created_at, sizeof(u->created_at), st, 5);
    u->has_password = sqlite3_column_int(st, 6);
    u->disabled = sqlite3_column_int(st, 7);
    u->active_keys = sqlite3_column_int64(st, 8);
}

int vg_user_list(struct vg_store *s, const char *org, time_t now, struct vg_user **items, size_t *n,
                 struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    char at[VG_ACCOUNT_TIME_SIZE];
    int rc;
    vg_account_time(now, at);
    if (org) {
        int found = 0;
        if ((rc = prepare(db, "SELECT 1 FROM organisations WHERE name = ?1", &st, err)))
            return rc;
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_finalize(st);
        st = NULL;
        if (!found)
            return vg_error_set(err, VG_ENOTFOUND, "no organisation named '%s'", org);
    }
    if ((rc = prepare(db,
                      "SELECT u.id, u.name, o.id, o.name, u.role, u.created_at,"
                      " u.password_hash IS NOT NULL, u.disabled_at IS NOT NULL,"
                      " (SELECT count(*) FROM api_keys k WHERE k.user_id = u.id"
                      "  AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2))"
                      " FROM users u JOIN organisations o ON o.id = u.org_id"
                      " WHERE ?1 IS NULL OR o.name = ?1 ORDER BY u.name",
                      &st, err)))
        return rc;
    if (org)
        sqlite3_bind_text(st, 1, org, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, at, -1, SQLITE_STATIC);
    void *list;
    if ((rc = list_rows(db, st, sizeof(**items), user_row, "users", &list, n, err)))
        return rc;
    *items = list;
    return 0;
}

/* ---- passwords ---- */

int vg_user_set_password(struct vg_store *s, const char *user, const char *password,
                         struct vg_error *err)
{
    size_t len = password ? strnlen(password, VG_PASSWORD_MAX + 1) : 0;
    if (len > VG_PASSWORD_MAX)
        return vg_error_set(err, VG_ETOOBIG, "the password is longer than %d bytes",
                            VG_PASSWORD_MAX);
    if (len < VG_PASSWORD_MIN)
        return vg_error_set(err, VG_EINVAL, "the password is shorter than %d bytes",
                            VG_PASSWORD_MIN);
    int rc = crypto_ready(err);
    if (rc)
        return rc;
    sqlite3 *db = vg_store_db(s);
    int64_t user_id;
    if ((rc = find_user(db, user, &user_id, err)))
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return vg_error_set(err, VG_ENOMEM, "out of memory hashing the password");
    sqlite3_stmt *st = NULL;
    if ((rc = prepare(db, "UPDATE users SET password_hash = ?2 WHERE id = ?1", &st, err)))
        return rc;
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = vg_error_set(err, VG_EDB, "cannot set the password of '%s': %s", user,
                          sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

int vg_user_check_password(struct vg_store *s, const char *user, const char *password,
                           struct vg_error *err)
{
    int rc = crypto_ready(err);
    if (rc)
        return rc;
    size_t len = password ? strnlen(password, VG_PASSWORD_MAX + 1) : 0;
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    if ((rc = prepare(db, "SELECT password_hash, disabled_at IS NULL FROM users WHERE name = ?1",
                      &st, err)))
        return rc;
    sqlite3_bind_text(st, 1, user ? user : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = vg_error_set(err, VG_EDB, "cannot check a password: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return rc;
    }
    const char *stored = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int usable = stored && sqlite3_column_int(st, 1) && len <= VG_PASSWORD_MAX &&
                 strlen(stored) < crypto_pwhash_STRBYTES;
    /* The hash in a buffer of the size the function reads; the dummy when there is nothing to
     * verify against, for the same cost. */
    char hash[crypto_pwhash_STRBYTES];
    memset(hash, 0, sizeof(hash));
    memcpy(hash, usable ? stored : dummy_hash, strlen(usable ? stored : dummy_hash));
    int ok = crypto_pwhash_str_verify(hash, password ? password : "",
                                      len <= VG_PASSWORD_MAX ? len : 0) == 0;
    sqlite3_finalize(st);
    if (!ok || !usable)
        return vg_error_set(err, VG_ENOTFOUND, "%s", bad_password_msg);
    return 0;
}
