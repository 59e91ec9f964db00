/* accounts.h - organisations, users, API keys and dashboard passwords.
 *
 * An organisation (an agency) has users; a user has one role (admin, analyst, reader, sync) and
 * any number of API keys, and may have a password for the dashboard. An API key reads
 *
 *     vg_<prefix>_<secret>
 *
 * where prefix is 16 lowercase hex digits (8 random bytes, public: it names the key in lists and
 * in `vigil key revoke`) and secret is 43 base64url characters (32 random bytes). Only a hash of
 * the whole key is stored; the key itself is handed to the caller once, when it is made.
 *
 * Times are UTC ISO 8601 strings ("2026-05-09T14:03:00Z"). Functions that depend on the clock
 * take the current time as `now` (seconds since the epoch), so callers pass time(NULL) and tests
 * any time they like.
 *
 * Errors: 0 or a negative VG_E code, with err (when not NULL) saying why. A name already taken
 * is VG_EINVAL; an organisation, user or key that does not exist is VG_ENOTFOUND. Out-parameters
 * are untouched on failure. Lists are returned as one heap array the caller frees with vg_free.
 * The functions use the store's connection, so they share its thread (one at a time). */
#ifndef VIGIL_ACCOUNTS_H
#define VIGIL_ACCOUNTS_H

#include "vigil/error.h"

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct vg_store;

#define VG_ACCOUNT_NAME_MAX 200 /* bytes of an organisation or user name */
#define VG_ACCOUNT_TIME_SIZE 24 /* "YYYY-MM-DDTHH:MM:SSZ" and its NUL, with room */
#define VG_KEY_PREFIX_LEN 16    /* hex digits of a key's public prefix */
#define VG_KEY_LEN 63           /* characters of a whole key: "vg_" 16 "_" 43 */
#define VG_KEY_SIZE (VG_KEY_LEN + 1)
#define VG_KEY_EXPIRY_DAYS_MAX 3650
#define VG_PASSWORD_MIN 8    /* bytes */
#define VG_PASSWORD_MAX 1024 /* bytes */

enum vg_role { VG_ROLE_ADMIN, VG_ROLE_ANALYST, VG_ROLE_READER, VG_ROLE_SYNC, VG_ROLE_COUNT };

/* "admin", "analyst", "reader", "sync"; NULL for a value that is not a role. */
const char *vg_account_role_name(int role);
/* Sets *role from its name; VG_EINVAL (with the four names in err) for any other text. */
int vg_account_role_parse(const char *name, int *role, struct vg_error *err);
/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" into out (VG_ACCOUNT_TIME_SIZE bytes). */
void vg_account_time(time_t t, char out[VG_ACCOUNT_TIME_SIZE]);

struct vg_org {
    int64_t id;
    char name[VG_ACCOUNT_NAME_MAX + 1];
    char created_at[VG_ACCOUNT_TIME_SIZE];
    int64_t users; /* how many users it has */
};

/* Adds an organisation. The name is 1 to VG_ACCOUNT_NAME_MAX bytes without control characters
 * (VG_EINVAL, or VG_ETOOBIG when longer); a name already taken is VG_EINVAL. *id (may be NULL)
 * is the new organisation's id. */
int vg_org_add(struct vg_store *s, const char *name, time_t now, int64_t *id, struct vg_error *err);
/* All organisations, by name. *items (vg_free) holds *n entries; NULL when there are none. */
int vg_org_list(struct vg_store *s, struct vg_org **items, size_t *n, struct vg_error *err);

struct vg_user {
    int64_t id;
    char name[VG_ACCOUNT_NAME_MAX + 1];
    int64_t org_id;
    char org[VG_ACCOUNT_NAME_MAX + 1];
    int role; /* enum vg_role */
    char created_at[VG_ACCOUNT_TIME_SIZE];
    int has_password;
    int disabled;
    int64_t active_keys; /* neither revoked nor expired at the time of the listing */
};

/* Adds user name (rules of vg_org_add) to the organisation called org with role, and makes its
 * first API key (no expiry) into key. Both happen or neither (one transaction, or a savepoint
 * when the caller has a transaction open). An unknown organisation is VG_ENOTFOUND, a taken user
 * name VG_EINVAL. *id may be NULL. */
int vg_user_add(struct vg_store *s, const char *org, const char *name, int role, time_t now,
                int64_t *id, char key[VG_KEY_SIZE], struct vg_error *err);
/* The users of organisation org (NULL: of all), by name; VG_ENOTFOUND for an unknown org.
 * *items (vg_free) holds *n entries. */
int vg_user_list(struct vg_store *s, const char *org, time_t now, struct vg_user **items, size_t *n,
                 struct vg_error *err);

/* Sets (replaces) the dashboard password of a user: an Argon2id hash (libsodium
 * crypto_pwhash_str, interactive limits) is stored, never the password. The password is
 * VG_PASSWORD_MIN to VG_PASSWORD_MAX bytes (VG_EINVAL / VG_ETOOBIG). Unknown user: VG_ENOTFOUND. */
int vg_user_set_password(struct vg_store *s, const char *user, const char *password,
                         struct vg_error *err);
/* 0 when the password is the user's; VG_ENOTFOUND when it is not, the user does not exist, is
 * disabled or has no password, with the same message and about the same time for each. */
int vg_user_check_password(struct vg_store *s, const char *user, const char *password,
                           struct vg_error *err);

struct vg_key_info {
    int64_t id;
    char prefix[VG_KEY_PREFIX_LEN + 1];
    char created_at[VG_ACCOUNT_TIME_SIZE];
    char expires_at[VG_ACCOUNT_TIME_SIZE]; /* "" when it never expires */
    char revoked_at[VG_ACCOUNT_TIME_SIZE]; /* "" when it is not revoked */
};

/* Makes a new API key for user into key. expires_days 0 means no expiry, else the key expires
 * expires_days * 24 hours after now (1 to VG_KEY_EXPIRY_DAYS_MAX, else VG_EINVAL). Unknown user:
 * VG_ENOTFOUND. The key is not kept anywhere: the caller shows it once. */
int vg_key_create(struct vg_store *s, const char *user, int expires_days, time_t now,
                  char key[VG_KEY_SIZE], struct vg_error *err);
/* Revokes the key whose prefix is prefix (its 16 hex digits, optionally after "vg_"). A malformed
 * prefix is VG_EINVAL, an unknown one VG_ENOTFOUND. Revoking a revoked key succeeds and keeps
 * the first revocation time; *was_revoked (may be NULL) says whether it already was. */
int vg_key_revoke(struct vg_store *s, const char *prefix, time_t now, int *was_revoked,
                  struct vg_error *err);
/* The keys of user, oldest first, without their secrets (which are not stored). Unknown user:
 * VG_ENOTFOUND. *items (vg_free) holds *n entries. */
int vg_key_list(struct vg_store *s, const char *user, struct vg_key_info **items, size_t *n,
                struct vg_error *err);

/* Who a key belongs to. */
struct vg_principal {
    int64_t user_id;
    char user[VG_ACCOUNT_NAME_MAX + 1];
    int64_t org_id;
    char org[VG_ACCOUNT_NAME_MAX + 1];
    int role; /* enum vg_role */
};

/* Checks an API key at time now. 0 and *out filled when it is a key this database issued, not
 * revoked, not expired, of a user not disabled. Otherwise VG_ENOTFOUND, the same code and
 * message whatever the reason (NULL, empty, malformed, unknown prefix, wrong secret, expired,
 * revoked), so a caller cannot tell them apart. The secret is compared in constant time.
 * VG_EDB when the database fails. */
int vg_key_authenticate(struct vg_store *s, const char *key, time_t now, struct vg_principal *out,
                        struct vg_error *err);

#endif
