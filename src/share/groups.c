/* groups.c - sharing groups (tables sharing_groups and sharing_group_members of the schema).
 *
 * Design. One operation so far, vg_group_create: parse the JSON an administrator sends, resolve
 * the member organisations' names to ids, and write the group, its members and the audit record
 * in one transaction (BEGIN IMMEDIATE), so a group and its record stand or fall together. The
 * owning organisation is the administrator's own and is always a member of the group's audience
 * (vigil/policy.h); it is not stored as a member row unless the request names it.
 *
 * Input rules: the text is at most VG_GROUP_INPUT_MAX bytes and VG_GROUP_JSON_DEPTH_MAX deep
 * (a scan before jansson sees it); duplicate keys and unknown fields are refused; the name
 * follows docs/access-rules.md (1 to 200 bytes, no control characters, no leading or trailing
 * space); members is an array of at most VG_GROUP_MEMBERS_MAX organisation names, each existing.
 *
 * Ownership: the parsed document is freed before returning; nothing is kept. Thread-safety: as
 * the store, one thread at a time. */
#include "vigil/groups.h"
#include "vigil/audit.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int db_fail(sqlite3 *db, struct vg_error *err)
{
    return vg_error_set(err, VG_EDB, "database: %s", sqlite3_errmsg(db));
}

/* 1 when arrays and objects nest deeper than the cap, outside strings. */
static int too_deep(const char *s, size_t n)
{
    int depth = 0, in_string = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > VG_GROUP_JSON_DEPTH_MAX)
                return 1;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

static int check_name(json_t *v, const char **out, struct vg_error *err)
{
    if (!v)
        return vg_error_set(err, VG_EINVAL, "name: required");
    if (!json_is_string(v))
        return vg_error_set(err, VG_EINVAL, "name: must be a string");
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0)
        return vg_error_set(err, VG_EINVAL, "name: must not be empty");
    if (n > VG_GROUP_NAME_MAX)
        return vg_error_set(err, VG_ETOOBIG, "name: longer than %d bytes", VG_GROUP_NAME_MAX);
    if (strlen(s) != n)
        return vg_error_set(err, VG_EINVAL, "name: contains a NUL character");
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return vg_error_set(err, VG_EINVAL, "name: contains a control character");
    if (s[0] == ' ' || s[n - 1] == ' ')
        return vg_error_set(err, VG_EINVAL, "name: must not begin or end with a space");
    *out = s;
    return 0;
}

static int check_fields(json_t *root, struct vg_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "name") != 0 && strcmp(key, "members") != 0)
            return vg_error_set(err, VG_EINVAL, "\"%.64s\": unknown field", key);
    }
    json_t *m = json_object_get(root, "members");
    if (!m)
        return vg_error_set(err, VG_EINVAL, "members: required");
    if (!json_is_array(m))
        return vg_error_set(err, VG_EINVAL, "members: must be an array of organisation names");
    if (json_array_size(m) > VG_GROUP_MEMBERS_MAX)
        return vg_error_set(err, VG_ETOOBIG, "members: more than %d", VG_GROUP_MEMBERS_MAX);
    return 0;
}

/* Adds the organisations named in members to group id. */
static int add_members(sqlite3 *db, int64_t id, json_t *members, struct vg_error *err)
{
    sqlite3_stmt *find = NULL, *add = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT id FROM organisations WHERE name = ?", -1, &find, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT OR IGNORE INTO sharing_group_members (group_id, org_id) "
                           "VALUES (?, ?)",
                           -1, &add, NULL) != SQLITE_OK) {
        rc = db_fail(db, err);
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(members); i++) {
        json_t *v = json_array_get(members, i);
        const char *name = json_string_value(v);
        if (!name || strlen(name) != json_string_length(v) || !*name ||
            json_string_length(v) > VG_ACCOUNT_NAME_MAX) {
            rc = vg_error_set(err, VG_EINVAL, "members[%zu]: must be an organisation name", i);
            goto fail;
        }
        sqlite3_reset(find);
        sqlite3_bind_text(find, 1, name, -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(find);
        if (step == SQLITE_DONE) {
            rc = vg_error_set(err, VG_EINVAL, "members[%zu]: unknown organisation \"%s\"", i, name);
            goto fail;
        }
        if (step != SQLITE_ROW) {
            rc = db_fail(db, err);
            goto fail;
        }
        sqlite3_reset(add);
        sqlite3_bind_int64(add, 1, id);
        sqlite3_bind_int64(add, 2, sqlite3_column_int64(find, 0));
        if (sqlite3_step(add) != SQLITE_DONE) {
            rc = db_fail(db, err);
            goto fail;
        }
    }
fail:
    sqlite3_finalize(find);
    sqlite3_finalize(add);
    return rc;
}

/* 1 when a group of this name exists. */
static int name_taken(sqlite3 *db, const char *name, int *taken, struct vg_error *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sharing_groups WHERE name = ?", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(db, err);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return db_fail(db, err);
    *taken = step == SQLITE_ROW;
    return 0;
}

int vg_group_create(struct vg_store *s, const struct vg_principal *p, const char *json, size_t len,
                    time_t now, int64_t *id, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    json_t *root = NULL, *detail = NULL;
    char *detail_text = NULL;
    const char *name = NULL;
    char at[VG_ACCOUNT_TIME_SIZE], object[48];
    json_error_t jerr;
    int rc, taken = 0, in_tx = 0;

    if (!p || p->user_id < 1 || p->org_id < 1 || !p->user[0])
        return vg_error_set(err, VG_EINVAL, "no principal");
    if (p->role != VG_ROLE_ADMIN)
        return vg_error_set(err, VG_EPERM, "role: only administrators may create groups");
    if (!json)
        return vg_error_set(err, VG_EINVAL, "group: no JSON given");
    if (len > VG_GROUP_INPUT_MAX)
        return vg_error_set(err, VG_ETOOBIG, "group: longer than %u bytes", VG_GROUP_INPUT_MAX);
    if (too_deep(json, len))
        return vg_error_set(err, VG_ETOOBIG, "group: JSON nested deeper than %d",
                            VG_GROUP_JSON_DEPTH_MAX);
    root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return vg_error_set(err, VG_EFORMAT, "group: not JSON (line %d column %d: %s)", jerr.line,
                            jerr.column, jerr.text);
    if (!json_is_object(root)) {
        rc = vg_error_set(err, VG_EFORMAT, "group: must be a JSON object");
        goto fail;
    }
    if ((rc = check_fields(root, err)) ||
        (rc = check_name(json_object_get(root, "name"), &name, err)))
        goto fail;

    if ((rc = vg_store_begin(s, err)))
        goto fail;
    in_tx = 1;
    if ((rc = name_taken(db, name, &taken, err)))
        goto fail;
    if (taken) {
        rc = vg_error_set(err, VG_EINVAL, "name: a group \"%s\" exists", name);
        goto fail;
    }
    vg_account_time(now, at);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO sharing_groups (name, owner_org_id, created_at) VALUES "
                           "(?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(db, err);
        goto fail;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, p->org_id);
    sqlite3_bind_text(st, 3, at, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(db, err);
        goto fail;
    }
    int64_t new_id = sqlite3_last_insert_rowid(db);
    if ((rc = add_members(db, new_id, json_object_get(root, "members"), err)))
        goto fail;
    detail = json_pack("{s:s,s:O}", "name", name, "members", json_object_get(root, "members"));
    detail_text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
    if (!detail_text) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    snprintf(object, sizeof(object), "group:%lld", (long long)new_id);
    struct vg_audit_entry e = {
        .actor = p->user,
        .org = p->org,
        .action = "group-create",
        .object = object,
        .detail = detail_text,
    };
    if ((rc = vg_audit_append(s, &e, NULL, err)) || (rc = vg_store_commit(s, err)))
        goto fail;
    if (id)
        *id = new_id;
    rc = 0;
    goto done;
fail:
    if (in_tx)
        vg_store_rollback(s);
done:
    sqlite3_finalize(st);
    free(detail_text);
    json_decref(detail);
    json_decref(root);
    return rc;
}
