/* reports.c - intelligence reports ("clues") on top of the tables of schema migration 4.
 *
 * What it does. Turns the JSON of the API into rows of reports, report_recipients and indicators
 * and back, and puts the access policy (vg_policy_can_read) in front of every read: get, list,
 * correlations, update and delete all load a report's access fields (struct access: author,
 * owner, TLP, distribution, group, recipients, and the group's member organisations) and ask the
 * policy. A report the principal may not read answers exactly as one that does not exist
 * (VG_ENOTFOUND, "report not found"), so ids cannot be probed.
 *
 * Input rules (the parser, parse_report):
 *   - The text is at most VG_REPORT_INPUT_MAX bytes and VG_REPORT_JSON_DEPTH_MAX deep (checked
 *     by a scan before jansson sees it); duplicate keys and unknown fields are refused. There is
 *     therefore no way to store a field for ethnicity, religion, political opinion, health or any
 *     other special category: the schema has no column and the parser no key for them.
 *   - title 1..500 bytes, body 0..1 MiB, tlp a TLP 2.0 label, distribution as
 *     vg_policy_parse_distribution; a group must exist and have the author's organisation as
 *     owner or member (otherwise "unknown sharing group", whether or not it exists).
 *   - source_reliability "A".."F", info_credibility 1..6, statement "fact"|"assessment",
 *     review_due a real date YYYY-MM-DD: all optional, except that review_due is required when
 *     an indicator is of type person (records about persons carry a review date).
 *   - recipients: names of enabled users, required and non-empty for TLP:RED and refused for any
 *     other marking (they would grant nothing there, and a list that grants nothing misleads).
 *     Duplicates count once.
 *   - indicators: at most 1,000 of {"type","value","subject_category"}; type from a fixed list
 *     (types[] below); subject_category one of suspect, convicted, victim, witness, contact,
 *     required for type person and allowed for any type that concerns a person.
 *   - Strings must not contain NUL (\u0000).
 *
 * Normalisation for correlation (vg_report_normalize): every type trims the value, lower-cases
 * ASCII letters and collapses runs of white space to one space. On top of that: phone keeps only
 * the digits and a leading "+" (so "+32 (470) 12-34-56" is "+32470123456"); domain and email drop
 * a trailing dot. Letters outside ASCII are compared as written (no Unicode case folding).
 *
 * Audit: create, update and delete are written in one transaction (BEGIN IMMEDIATE) with their
 * audit record, so a change and its record stand or fall together. A read (get, correlations) or
 * a search appends its record after the data has been gathered and gives nothing out unless the
 * record was written. Actor and org of a record are the principal's user and organisation
 * names; the object is "report:ID".
 *
 * Listing walks the reports in id order from the cursor, filtered in SQL by TLP, organisation and
 * text, and asks the policy for each; a principal who can read few of many reports makes it walk
 * far. Correlation joins on the (type, normalized) index; a value in more than the cap of reports
 * (a public resolver, a hotline) is left out of correlation, and vg_report_overlinked_values
 * shows such values to administrators so they can exclude them for good.
 *
 * Ownership: JSON given out is a vg_malloc'd copy of jansson's output. Thread-safety: as the
 * store, one thread at a time. */
#include "vigil/reports.h"
#include "vigil/audit.h"
#include "vigil/mem.h"
#include "vigil/policy.h"
#include "vigil/store.h"

#include <ctype.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const types[] = {
    "ipv4",    "ipv6",    "domain",   "url",          "email",    "phone", "person",
    "account", "vehicle", "location", "organisation", "document", "hash",  "other",
};
#define NTYPES (sizeof(types) / sizeof(types[0]))
#define TYPE_LIST                                                                                  \
    "ipv4, ipv6, domain, url, email, phone, person, account, vehicle, location, organisation, "    \
    "document, hash, other"

static const char *const categories[] = {"suspect", "convicted", "victim", "witness", "contact"};

#define NOT_FOUND "report not found"

/* ---- small helpers ---- */

static int db_fail(sqlite3 *db, struct vg_error *err)
{
    return vg_error_set(err, VG_EDB, "database: %s", sqlite3_errmsg(db));
}

static int in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, list[i]) == 0)
            return 1;
    return 0;
}

int vg_report_role_may_write(int role)
{
    return role == VG_ROLE_ADMIN || role == VG_ROLE_ANALYST;
}

static int valid_principal(const struct vg_principal *p)
{
    return p && p->user_id > 0 && p->org_id > 0 && p->user[0];
}

/* Hands over jansson's text as a vg_malloc'd string. Consumes j. */
static int dump_json(json_t *j, char **out, struct vg_error *err)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    char *copy = text ? vg_strdup(text) : NULL;
    free(text);
    if (!copy)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    *out = copy;
    return 0;
}

/* Reads that are audited write too: they run in one IMMEDIATE transaction, taken before the
 * first read, so that the audit record's write never has to upgrade a read snapshot (which SQLite
 * refuses at once, without waiting, when another writer committed in between). When the store
 * defers its audit records (vg_audit_set_sink), a read writes nothing here, and a plain read
 * transaction gives the consistent snapshot without taking the write lock. A caller already in a
 * transaction keeps it. */
static int txn_begin(struct vg_store *s, int *own, struct vg_error *err)
{
    *own = sqlite3_get_autocommit(vg_store_db(s)) != 0;
    if (!*own)
        return 0;
    return vg_audit_deferred(s) ? vg_store_begin_read(s, err) : vg_store_begin(s, err);
}

static int txn_end(struct vg_store *s, int own, int rc, struct vg_error *err)
{
    if (!own)
        return rc;
    if (rc) {
        vg_store_rollback(s);
        return rc;
    }
    if ((rc = vg_store_commit(s, err)))
        vg_store_rollback(s);
    return rc;
}

static int record(struct vg_store *s, const char *actor, const char *org, const char *action,
                  int64_t id, const char *purpose, const char *detail, struct vg_error *err)
{
    char object[48];
    snprintf(object, sizeof(object), "report:%lld", (long long)id);
    struct vg_audit_entry e = {
        .actor = actor,
        .org = org,
        .action = action,
        .object = id > 0 ? object : NULL,
        .purpose = purpose,
        .detail = detail,
    };
    return vg_audit_append(s, &e, NULL, err);
}

static int check_purpose(const char *purpose, struct vg_error *err)
{
    if (!purpose || !purpose[0])
        return vg_error_set(err, VG_EINVAL, "a purpose is required");
    return 0;
}

/* ---- normalisation ---- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

int vg_report_normalize(const char *type, const char *value, char *out, size_t size,
                        struct vg_error *err)
{
    if (!type || !in_list(type, types, NTYPES))
        return vg_error_set(err, VG_EINVAL, "type: unknown indicator type (one of " TYPE_LIST ")");
    if (!value || !out || size == 0)
        return vg_error_set(err, VG_EINVAL, "value: missing");
    size_t n = 0, len = strlen(value);
    if (len > VG_REPORT_VALUE_MAX)
        return vg_error_set(err, VG_ETOOBIG, "value: longer than %d bytes", VG_REPORT_VALUE_MAX);
    if (size < len + 1)
        return vg_error_set(err, VG_EINVAL, "value: output buffer too small");
    if (strcmp(type, "phone") == 0) {
        const char *p = value;
        while (is_space((unsigned char)*p))
            p++;
        if (*p == '+')
            out[n++] = '+';
        for (; *p; p++)
            if (*p >= '0' && *p <= '9')
                out[n++] = *p;
        out[n] = '\0';
        if (n == 0 || (n == 1 && out[0] == '+'))
            return vg_error_set(err, VG_EINVAL, "value: a phone number needs digits");
        return 0;
    }
    int pending_space = 0;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (is_space(*p)) {
            pending_space = n > 0;
            continue;
        }
        if (pending_space)
            out[n++] = ' ';
        pending_space = 0;
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    }
    if ((strcmp(type, "domain") == 0 || strcmp(type, "email") == 0) && n > 0 && out[n - 1] == '.')
        n--;
    out[n] = '\0';
    if (n == 0)
        return vg_error_set(err, VG_EINVAL, "value: empty");
    return 0;
}

/* ---- access ---- */

struct access {
    int64_t author_id, org_id, group_id;
    enum vg_tlp tlp;
    enum vg_distribution dist;
    int64_t *recipients;
    size_t nrecipients;
    int64_t *members;
    size_t nmembers;
};

static void access_cleanup(struct access *a)
{
    vg_free(a->recipients);
    vg_free(a->members);
    memset(a, 0, sizeof(*a));
}

/* Runs sql (one int64 parameter) and collects the first column of every row. */
static int load_ids(struct vg_store *s, const char *sql, int64_t param, int64_t **ids, size_t *n,
                    struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = 0, step;
    if (vg_store_stmt(s, sql, &st, err))
        return db_fail(db, err);
    sqlite3_bind_int64(st, 1, param);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            int64_t *grown = vg_realloc(*ids, ncap * sizeof(**ids));
            if (!grown) {
                rc = vg_error_set(err, VG_ENOMEM, "out of memory");
                goto fail;
            }
            *ids = grown;
            cap = ncap;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE)
        rc = db_fail(db, err);
fail:
    vg_store_stmt_done(s, st);
    return rc;
}

/* Loads the access fields of report id; VG_ENOTFOUND when there is no such report. */
static int access_load(struct vg_store *s, int64_t id, struct access *a, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int rc;
    memset(a, 0, sizeof(*a));
    if (vg_store_stmt(s,
                      "SELECT author_id, org_id, tlp, distribution, group_id FROM reports "
                      "WHERE id = ?",
                      &st, err))
        return db_fail(db, err);
    sqlite3_bind_int64(st, 1, id);
    int step = sqlite3_step(st);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? vg_error_set(err, VG_ENOTFOUND, NOT_FOUND) : db_fail(db, err);
        goto fail;
    }
    a->author_id = sqlite3_column_int64(st, 0);
    a->org_id = sqlite3_column_int64(st, 1);
    a->group_id = sqlite3_column_int64(st, 4);
    const char *tlp = (const char *)sqlite3_column_text(st, 2);
    const char *dist = (const char *)sqlite3_column_text(st, 3);
    a->tlp = VG_TLP_COUNT; /* unknown stored values make the policy deny */
    a->dist = VG_DIST_COUNT;
    for (int t = 0; t < VG_TLP_COUNT; t++)
        if (tlp && strcmp(tlp, vg_tlp_name((enum vg_tlp)t)) == 0)
            a->tlp = (enum vg_tlp)t;
    for (int d = 0; d < VG_DIST_COUNT; d++)
        if (dist && strcmp(dist, vg_policy_distribution_name((enum vg_distribution)d)) == 0)
            a->dist = (enum vg_distribution)d;
    vg_store_stmt_done(s, st);
    st = NULL;
    if ((rc = load_ids(s, "SELECT user_id FROM report_recipients WHERE report_id = ?", id,
                       &a->recipients, &a->nrecipients, err)))
        goto fail;
    if (a->group_id > 0 &&
        (rc = load_ids(s, "SELECT org_id FROM sharing_group_members WHERE group_id = ?",
                       a->group_id, &a->members, &a->nmembers, err)))
        goto fail;
    return 0;
fail:
    vg_store_stmt_done(s, st);
    access_cleanup(a);
    return rc;
}

/* The report as the access policy sees it. */
static void policy_view(const struct access *a, struct vg_report_access *r,
                        struct vg_group_members *m)
{
    *r = (struct vg_report_access){
        .author_user_id = a->author_id,
        .owner_org_id = a->org_id,
        .tlp = a->tlp,
        .distribution = a->dist,
        .group_id = a->group_id,
        .recipient_ids = a->recipients,
        .nrecipients = a->nrecipients,
    };
    *m = (struct vg_group_members){
        .group_id = a->group_id, .org_ids = a->members, .count = a->nmembers};
}

static int access_readable(const struct vg_principal *p, const struct access *a)
{
    struct vg_report_access r;
    struct vg_group_members m;
    policy_view(a, &r, &m);
    return vg_policy_can_read(p, &r, &m);
}

/* Loads report id for principal p: 0 when it exists and p may read it, VG_ENOTFOUND (one
 * message) otherwise. On success the caller cleans a up. */
static int load_readable(struct vg_store *s, const struct vg_principal *p, int64_t id,
                         struct access *a, struct vg_error *err)
{
    int rc = access_load(s, id, a, err);
    if (rc)
        return rc;
    if (!access_readable(p, a)) {
        access_cleanup(a);
        return vg_error_set(err, VG_ENOTFOUND, NOT_FOUND);
    }
    return 0;
}

static const char *explain(const struct vg_principal *p, const struct access *a)
{
    struct vg_report_access r;
    struct vg_group_members m;
    policy_view(a, &r, &m);
    return vg_policy_explain(p, &r, &m);
}

/* ---- parsing ---- */

struct draft_indicator {
    const char *type, *value, *category;
    char *normalized;
};

struct draft {
    json_t *root;
    const char *title, *body, *reliability, *statement, *review_due;
    enum vg_tlp tlp;
    enum vg_distribution dist;
    int64_t group_id;
    int credibility; /* 0: not given */
    int64_t *recipients;
    size_t nrecipients;
    struct draft_indicator *ind;
    size_t nind;
};

static void draft_cleanup(struct draft *d)
{
    for (size_t i = 0; i < d->nind; i++)
        vg_free(d->ind[i].normalized);
    vg_free(d->ind);
    vg_free(d->recipients);
    json_decref(d->root);
    memset(d, 0, sizeof(*d));
}

/* Nesting depth of arrays and objects, outside strings; stops counting past the cap. */
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
            if (++depth > VG_REPORT_JSON_DEPTH_MAX)
                return 1;
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

/* A string member: absent (NULL, unless required), or a string without NUL of at most max
 * bytes, non-empty when required. name is the field as the error names it. */
static int get_string(json_t *obj, const char *key, const char *name, int required, size_t max,
                      const char **out, struct vg_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required)
            return vg_error_set(err, VG_EINVAL, "%s: required", name);
        return 0;
    }
    if (!json_is_string(v))
        return vg_error_set(err, VG_EINVAL, "%s: must be a string", name);
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (strlen(s) != len)
        return vg_error_set(err, VG_EINVAL, "%s: contains a NUL character", name);
    if (len > max)
        return vg_error_set(err, VG_ETOOBIG, "%s: longer than %zu bytes", name, max);
    if (required && len == 0)
        return vg_error_set(err, VG_EINVAL, "%s: must not be empty", name);
    *out = s;
    return 0;
}

static int only_known_fields(json_t *obj, const char *const *known, size_t n, const char *where,
                             struct vg_error *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if (!in_list(key, known, n))
            return vg_error_set(err, VG_EINVAL, "%s\"%.64s\": unknown field", where, key);
    }
    return 0;
}

static int valid_date(const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return !(m == 2 && d == 29 && !leap);
}

static int parse_group(sqlite3 *db, const struct vg_principal *p, const char *name, int64_t *id,
                       struct vg_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc;
    if (sqlite3_prepare_v2(db,
                           "SELECT g.id FROM sharing_groups g WHERE g.name = ?1 AND "
                           "(g.owner_org_id = ?2 OR EXISTS (SELECT 1 FROM sharing_group_members "
                           "m WHERE m.group_id = g.id AND m.org_id = ?2))",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(db, err);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, p->org_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (step == SQLITE_DONE) {
        rc = vg_error_set(err, VG_EINVAL,
                          "distribution: unknown sharing group \"%.200s\" (or your organisation "
                          "is not in it)",
                          name);
    } else {
        rc = db_fail(db, err);
    }
    sqlite3_finalize(st);
    return rc;
}

static int parse_recipients(sqlite3 *db, json_t *arr, struct draft *d, struct vg_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (!json_is_array(arr))
        return vg_error_set(err, VG_EINVAL, "recipients: must be an array of user names");
    size_t n = json_array_size(arr);
    if (n > VG_REPORT_RECIPIENTS_MAX)
        return vg_error_set(err, VG_ETOOBIG, "recipients: more than %d", VG_REPORT_RECIPIENTS_MAX);
    if (n == 0)
        return 0;
    d->recipients = vg_calloc(n, sizeof(*d->recipients));
    if (!d->recipients)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    if (sqlite3_prepare_v2(db, "SELECT id FROM users WHERE name = ? AND disabled_at IS NULL", -1,
                           &st, NULL) != SQLITE_OK)
        return db_fail(db, err);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(arr, i);
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
            json_string_length(v) == 0 || json_string_length(v) > VG_ACCOUNT_NAME_MAX) {
            rc = vg_error_set(err, VG_EINVAL, "recipients[%zu]: must be a user name", i);
            goto fail;
        }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, json_string_value(v), -1, SQLITE_TRANSIENT);
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            rc = vg_error_set(err, VG_EINVAL, "recipients[%zu]: unknown user \"%s\"", i,
                              json_string_value(v));
            goto fail;
        }
        if (step != SQLITE_ROW) {
            rc = db_fail(db, err);
            goto fail;
        }
        int64_t uid = sqlite3_column_int64(st, 0);
        size_t k = 0;
        while (k < d->nrecipients && d->recipients[k] != uid)
            k++;
        if (k == d->nrecipients)
            d->recipients[d->nrecipients++] = uid;
    }
fail:
    sqlite3_finalize(st);
    return rc;
}

static int parse_indicators(json_t *arr, struct draft *d, int *has_person, struct vg_error *err)
{
    static const char *const known[] = {"type", "value", "subject_category"};
    if (!json_is_array(arr))
        return vg_error_set(err, VG_EINVAL, "indicators: must be an array");
    size_t n = json_array_size(arr);
    if (n > VG_REPORT_INDICATORS_MAX)
        return vg_error_set(err, VG_ETOOBIG, "indicators: more than %d", VG_REPORT_INDICATORS_MAX);
    if (n == 0)
        return 0;
    d->ind = vg_calloc(n, sizeof(*d->ind));
    if (!d->ind)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(arr, i);
        struct draft_indicator *x = &d->ind[i];
        char name[64];
        int rc;
        if (!json_is_object(o))
            return vg_error_set(err, VG_EINVAL, "indicators[%zu]: must be an object", i);
        snprintf(name, sizeof(name), "indicators[%zu].", i);
        if ((rc = only_known_fields(o, known, 3, name, err)))
            return rc;
        snprintf(name, sizeof(name), "indicators[%zu].type", i);
        if ((rc = get_string(o, "type", name, 1, VG_REPORT_TYPE_MAX, &x->type, err)))
            return rc;
        if (!in_list(x->type, types, NTYPES))
            return vg_error_set(err, VG_EINVAL, "%s: unknown type \"%s\" (one of " TYPE_LIST ")",
                                name, x->type);
        snprintf(name, sizeof(name), "indicators[%zu].subject_category", i);
        if ((rc = get_string(o, "subject_category", name, 0, 64, &x->category, err)))
            return rc;
        if (x->category && !in_list(x->category, categories, 5))
            return vg_error_set(err, VG_EINVAL,
                                "%s: must be one of suspect, convicted, victim, witness, contact",
                                name);
        if (strcmp(x->type, "person") == 0) {
            if (!x->category)
                return vg_error_set(err, VG_EINVAL,
                                    "%s: required for a person (suspect, convicted, victim, "
                                    "witness or contact)",
                                    name);
            *has_person = 1;
        }
        snprintf(name, sizeof(name), "indicators[%zu].value", i);
        if ((rc = get_string(o, "value", name, 1, VG_REPORT_VALUE_MAX, &x->value, err)))
            return rc;
        x->normalized = vg_malloc(strlen(x->value) + 1);
        if (!x->normalized)
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        d->nind++;
        struct vg_error sub;
        if ((rc =
                 vg_report_normalize(x->type, x->value, x->normalized, strlen(x->value) + 1, &sub)))
            return vg_error_set(err, rc, "%s: %s", name, sub.message);
    }
    return 0;
}

/* Parses and checks the JSON of a report written by p into d (which the caller cleans up). */
static int parse_report(sqlite3 *db, const struct vg_principal *p, const char *json, size_t len,
                        struct draft *d, struct vg_error *err)
{
    static const char *const known[] = {
        "title",     "body",       "tlp",        "distribution", "source_reliability",
        "statement", "review_due", "recipients", "indicators",   "info_credibility",
    };
    json_error_t jerr;
    const char *s, *group_name = NULL;
    int rc, has_person = 0;
    memset(d, 0, sizeof(*d));
    if (!json)
        return vg_error_set(err, VG_EINVAL, "report: no JSON given");
    if (len > VG_REPORT_INPUT_MAX)
        return vg_error_set(err, VG_ETOOBIG, "report: longer than %u bytes", VG_REPORT_INPUT_MAX);
    if (too_deep(json, len))
        return vg_error_set(err, VG_ETOOBIG, "report: JSON nested deeper than %d",
                            VG_REPORT_JSON_DEPTH_MAX);
    d->root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!d->root)
        return vg_error_set(err, VG_EFORMAT, "report: not JSON (line %d column %d: %s)", jerr.line,
                            jerr.column, jerr.text);
    if (!json_is_object(d->root))
        return vg_error_set(err, VG_EFORMAT, "report: must be a JSON object");
    if ((rc = only_known_fields(d->root, known, sizeof(known) / sizeof(known[0]), "", err)))
        return rc;
    if ((rc = get_string(d->root, "title", "title", 1, VG_REPORT_TITLE_MAX, &d->title, err)) ||
        (rc = get_string(d->root, "body", "body", 0, VG_REPORT_BODY_MAX, &d->body, err)))
        return rc;
    if ((rc = get_string(d->root, "tlp", "tlp", 1, 32, &s, err)))
        return rc;
    struct vg_error sub;
    vg_error_clear(&sub);
    if ((rc = vg_tlp_parse(s, &d->tlp, &sub)))
        return vg_error_set(err, rc, "tlp: %s", sub.message);
    if ((rc = get_string(d->root, "distribution", "distribution", 1, VG_POLICY_GROUP_NAME_MAX + 16,
                         &s, err)))
        return rc;
    if ((rc = vg_policy_parse_distribution(s, &d->dist, &group_name, &sub)))
        return vg_error_set(err, rc, "distribution: %s", sub.message);
    if (d->dist == VG_DIST_GROUP && (rc = parse_group(db, p, group_name, &d->group_id, err)))
        return rc;
    if ((rc = get_string(d->root, "source_reliability", "source_reliability", 0, 1, &d->reliability,
                         err)))
        return rc;
    if (d->reliability && (d->reliability[0] < 'A' || d->reliability[0] > 'F'))
        return vg_error_set(err, VG_EINVAL, "source_reliability: must be one of A, B, C, D, E, F");
    json_t *cred = json_object_get(d->root, "info_credibility");
    if (cred && !json_is_null(cred)) {
        if (!json_is_integer(cred) || json_integer_value(cred) < 1 || json_integer_value(cred) > 6)
            return vg_error_set(err, VG_EINVAL, "info_credibility: must be an integer 1 to 6");
        d->credibility = (int)json_integer_value(cred);
    }
    if ((rc = get_string(d->root, "statement", "statement", 0, 16, &d->statement, err)))
        return rc;
    if (d->statement && strcmp(d->statement, "fact") != 0 &&
        strcmp(d->statement, "assessment") != 0)
        return vg_error_set(err, VG_EINVAL, "statement: must be \"fact\" or \"assessment\"");
    if ((rc = get_string(d->root, "review_due", "review_due", 0, 16, &d->review_due, err)))
        return rc;
    if (d->review_due && !valid_date(d->review_due))
        return vg_error_set(err, VG_EINVAL, "review_due: must be a date YYYY-MM-DD");
    json_t *rec = json_object_get(d->root, "recipients");
    if (rec && !json_is_null(rec) && (rc = parse_recipients(db, rec, d, err)))
        return rc;
    if (d->tlp == VG_TLP_RED && d->nrecipients == 0)
        return vg_error_set(err, VG_EINVAL, "recipients: required for TLP:RED (at least one)");
    if (d->tlp != VG_TLP_RED && d->nrecipients > 0)
        return vg_error_set(err, VG_EINVAL,
                            "recipients: only for TLP:RED (they grant nothing under %s)",
                            vg_tlp_name(d->tlp));
    json_t *ind = json_object_get(d->root, "indicators");
    if (ind && !json_is_null(ind) && (rc = parse_indicators(ind, d, &has_person, err)))
        return rc;
    if (has_person && !d->review_due)
        return vg_error_set(err, VG_EINVAL, "review_due: required when an indicator is a person");
    return 0;
}

/* ---- writing ---- */

static void bind_opt_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

/* Writes the recipients and indicators of d for report id (the old ones are deleted first). */
static int write_children(sqlite3 *db, int64_t id, const struct draft *d, struct vg_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    char sql[128];
    static const char *const clear[] = {"report_recipients", "indicators"};
    for (int t = 0; t < 2; t++) {
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE report_id = ?", clear[t]);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            return db_fail(db, err);
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto db;
        sqlite3_finalize(st);
        st = NULL;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO report_recipients (report_id, user_id) VALUES (?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto db;
    for (size_t i = 0; i < d->nrecipients; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, d->recipients[i]);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto db;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO indicators (report_id, type, value, normalized, "
                           "subject_category) VALUES (?, ?, ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        goto db;
    for (size_t i = 0; i < d->nind; i++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, d->ind[i].type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, d->ind[i].value, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, d->ind[i].normalized, -1, SQLITE_TRANSIENT);
        bind_opt_text(st, 5, d->ind[i].category);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto db;
    }
    goto done;
db:
    rc = db_fail(db, err);
done:
    sqlite3_finalize(st);
    return rc;
}

/* Binds the fields of d shared by INSERT and UPDATE to parameters 1..9. */
static void bind_fields(sqlite3_stmt *st, const struct draft *d)
{
    sqlite3_bind_text(st, 1, d->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, d->body ? d->body : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, vg_tlp_name(d->tlp), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, vg_policy_distribution_name(d->dist), -1, SQLITE_STATIC);
    if (d->dist == VG_DIST_GROUP)
        sqlite3_bind_int64(st, 5, d->group_id);
    else
        sqlite3_bind_null(st, 5);
    bind_opt_text(st, 6, d->reliability);
    if (d->credibility)
        sqlite3_bind_int(st, 7, d->credibility);
    else
        sqlite3_bind_null(st, 7);
    bind_opt_text(st, 8, d->statement);
    bind_opt_text(st, 9, d->review_due);
}

int vg_report_create(struct vg_store *s, const struct vg_principal *p, const char *json, size_t len,
                     time_t now, int64_t *id, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct draft d;
    char at[VG_ACCOUNT_TIME_SIZE];
    int rc, began = 0;
    memset(&d, 0, sizeof(d));
    if (!valid_principal(p))
        return vg_error_set(err, VG_EINVAL, "no principal");
    if (!vg_report_role_may_write(p->role))
        return vg_error_set(err, VG_EPERM, "role: a %s may not create reports",
                            vg_account_role_name(p->role) ? vg_account_role_name(p->role) : "?");
    if ((rc = parse_report(db, p, json, len, &d, err)))
        goto fail;
    vg_account_time(now, at);
    if ((rc = vg_store_begin(s, err)))
        goto fail;
    began = 1;
    /* The id: one past the last ever given (meta 'reports_last_id'), never a deleted report's. */
    int64_t new_id = 0;
    if (sqlite3_prepare_v2(db,
                           "UPDATE meta SET value = max(value, coalesce((SELECT max(id) FROM "
                           "reports), 0)) + 1 WHERE key = 'reports_last_id' RETURNING value",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        goto db;
    new_id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO reports (title, body, tlp, distribution, group_id, "
                           "source_reliability, info_credibility, statement, review_due, "
                           "author_id, org_id, created_at, updated_at, id) VALUES (?1, ?2, ?3, "
                           "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
                           -1, &st, NULL) != SQLITE_OK)
        goto db;
    bind_fields(st, &d);
    sqlite3_bind_int64(st, 10, p->user_id);
    sqlite3_bind_int64(st, 11, p->org_id);
    sqlite3_bind_text(st, 12, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 13, new_id);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto db;
    if ((rc = write_children(db, new_id, &d, err)) ||
        (rc = record(s, p->user, p->org, "create", new_id, NULL, NULL, err)) ||
        (rc = vg_store_commit(s, err)))
        goto fail;
    if (id)
        *id = new_id;
    sqlite3_finalize(st);
    draft_cleanup(&d);
    return 0;
db:
    rc = db_fail(db, err);
fail:
    sqlite3_finalize(st);
    if (began)
        vg_store_rollback(s);
    draft_cleanup(&d);
    return rc;
}

/* 1 when p may change report a (which p can read). */
static int may_change(const struct vg_principal *p, const struct access *a)
{
    return vg_report_role_may_write(p->role) &&
           (a->author_id == p->user_id || a->org_id == p->org_id);
}

/* Opens the transaction of a change to report id and checks that p may make it: the report is
 * readable (else VG_ENOTFOUND, as if it did not exist) and p its author or an admin or analyst of
 * its owning organisation (else VG_EPERM). *began says whether the transaction was opened: on
 * failure the caller rolls it back then. */
static int begin_change(struct vg_store *s, const struct vg_principal *p, int64_t id,
                        const char *verb, struct access *a, int *began, struct vg_error *err)
{
    *began = 0;
    if (!valid_principal(p))
        return vg_error_set(err, VG_EINVAL, "no principal");
    int rc = vg_store_begin(s, err);
    if (rc)
        return rc;
    *began = 1;
    if ((rc = load_readable(s, p, id, a, err)))
        return rc;
    if (!may_change(p, a))
        return vg_error_set(err, VG_EPERM,
                            "only the author or an admin or analyst of the owning organisation "
                            "may %s report %lld",
                            verb, (long long)id);
    return 0;
}

int vg_report_update(struct vg_store *s, const struct vg_principal *p, int64_t id, const char *json,
                     size_t len, const char *purpose, time_t now, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct draft d;
    struct access a;
    char at[VG_ACCOUNT_TIME_SIZE];
    int rc, began;
    memset(&d, 0, sizeof(d));
    memset(&a, 0, sizeof(a));
    if ((rc = begin_change(s, p, id, "change", &a, &began, err)))
        goto fail;
    if ((rc = parse_report(db, p, json, len, &d, err)))
        goto fail;
    vg_account_time(now, at);
    if (sqlite3_prepare_v2(db,
                           "UPDATE reports SET title = ?1, body = ?2, tlp = ?3, distribution = "
                           "?4, group_id = ?5, source_reliability = ?6, info_credibility = ?7, "
                           "statement = ?8, review_due = ?9, updated_at = ?10 WHERE id = ?11",
                           -1, &st, NULL) != SQLITE_OK)
        goto db;
    bind_fields(st, &d);
    sqlite3_bind_text(st, 10, at, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto db;
    if ((rc = write_children(db, id, &d, err)) ||
        (rc = record(s, p->user, p->org, "update", id, purpose, NULL, err)) ||
        (rc = vg_store_commit(s, err)))
        goto fail;
    sqlite3_finalize(st);
    access_cleanup(&a);
    draft_cleanup(&d);
    return 0;
db:
    rc = db_fail(db, err);
fail:
    sqlite3_finalize(st);
    if (began)
        vg_store_rollback(s);
    access_cleanup(&a);
    draft_cleanup(&d);
    return rc;
}

static int delete_rows(sqlite3 *db, int64_t id, struct vg_error *err)
{
    static const char *const sql[] = {
        "DELETE FROM report_recipients WHERE report_id = ?",
        "DELETE FROM indicators WHERE report_id = ?",
        "DELETE FROM reports WHERE id = ?",
    };
    for (int i = 0; i < 3; i++) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK)
            return db_fail(db, err);
        sqlite3_bind_int64(st, 1, id);
        int step = sqlite3_step(st);
        sqlite3_finalize(st);
        if (step != SQLITE_DONE)
            return db_fail(db, err);
    }
    return 0;
}

int vg_report_delete(struct vg_store *s, const struct vg_principal *p, int64_t id,
                     const char *purpose, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    struct access a;
    int rc, began;
    memset(&a, 0, sizeof(a));
    if ((rc = begin_change(s, p, id, "delete", &a, &began, err)))
        goto fail;
    if ((rc = delete_rows(db, id, err)) ||
        (rc = record(s, p->user, p->org, "delete", id, purpose, NULL, err)) ||
        (rc = vg_store_commit(s, err)))
        goto fail;
    access_cleanup(&a);
    return 0;
fail:
    if (began)
        vg_store_rollback(s);
    access_cleanup(&a);
    return rc;
}

/* ---- reading ---- */

static json_t *col_text(sqlite3_stmt *st, int i)
{
    const char *v = (const char *)sqlite3_column_text(st, i);
    return v ? json_string(v) : json_null();
}

/* The distribution as the API writes it: "group:<name>" for a group. */
static json_t *col_distribution(sqlite3_stmt *st, int dist_col, int group_col)
{
    const char *dist = (const char *)sqlite3_column_text(st, dist_col);
    const char *group = (const char *)sqlite3_column_text(st, group_col);
    if (dist && group && strcmp(dist, "group") == 0) {
        size_t n = strlen(group) + 7;
        char *s = vg_malloc(n);
        if (!s)
            return NULL;
        snprintf(s, n, "group:%s", group);
        json_t *j = json_string(s);
        vg_free(s);
        return j;
    }
    return col_text(st, dist_col);
}

/* Adds the rows of sql (bound to id) to arr: one string per row, or an object via fn. */
static int add_names(struct vg_store *s, const char *sql, int64_t id, json_t *arr,
                     struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int step, rc = 0;
    if (vg_store_stmt(s, sql, &st, err))
        return db_fail(db, err);
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (json_array_append_new(arr, col_text(st, 0))) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            break;
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(db, err);
    vg_store_stmt_done(s, st);
    return rc;
}

static int add_indicators(struct vg_store *s, int64_t id, json_t *arr, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int step, rc = 0;
    if (vg_store_stmt(s,
                      "SELECT id, type, value, subject_category FROM indicators WHERE "
                      "report_id = ? ORDER BY id",
                      &st, err))
        return db_fail(db, err);
    sqlite3_bind_int64(st, 1, id);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_pack("{s:I,s:o,s:o,s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                              "type", col_text(st, 1), "value", col_text(st, 2), "subject_category",
                              col_text(st, 3));
        if (!o || json_array_append_new(arr, o)) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            break;
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_fail(db, err);
    vg_store_stmt_done(s, st);
    return rc;
}

static json_t *detail_grant(const char *grant)
{
    return json_pack("{s:s}", "grant", grant);
}

static int report_get_locked(struct vg_store *s, const struct vg_principal *p, int64_t id,
                             const char *purpose, char **json, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    struct access a;
    json_t *o = NULL, *recipients = NULL, *inds = NULL;
    char *detail = NULL;
    int rc;
    memset(&a, 0, sizeof(a));
    if (!valid_principal(p))
        return vg_error_set(err, VG_EINVAL, "no principal");
    if ((rc = check_purpose(purpose, err)))
        return rc;
    if ((rc = load_readable(s, p, id, &a, err)))
        return rc;
    if (vg_store_stmt(s,
                      "SELECT r.title, r.body, r.tlp, r.distribution, g.name, "
                      "r.source_reliability, r.info_credibility, r.statement, r.review_due, "
                      "u.name, o.name, r.created_at, r.updated_at FROM reports r "
                      "JOIN users u ON u.id = r.author_id JOIN organisations o ON o.id = "
                      "r.org_id LEFT JOIN sharing_groups g ON g.id = r.group_id "
                      "WHERE r.id = ?",
                      &st, err))
        goto db;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto db;
    recipients = json_array();
    inds = json_array();
    o = json_pack(
        "{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)id, "title",
        col_text(st, 0), "body", col_text(st, 1), "tlp", col_text(st, 2), "distribution",
        col_distribution(st, 3, 4), "source_reliability", col_text(st, 5), "info_credibility",
        sqlite3_column_type(st, 6) == SQLITE_NULL ? json_null()
                                                  : json_integer(sqlite3_column_int(st, 6)),
        "statement", col_text(st, 7), "review_due", col_text(st, 8), "author", col_text(st, 9),
        "org", col_text(st, 10), "created_at", col_text(st, 11), "updated_at", col_text(st, 12));
    if (!o || !recipients || !inds || json_object_set(o, "recipients", recipients) ||
        json_object_set(o, "indicators", inds)) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = add_names(s,
                        "SELECT u.name FROM report_recipients r JOIN users u ON u.id = "
                        "r.user_id WHERE r.report_id = ? ORDER BY u.name",
                        id, recipients, err)) ||
        (rc = add_indicators(s, id, inds, err)))
        goto fail;
    rc = dump_json(detail_grant(explain(p, &a)), &detail, err);
    if (rc || (rc = record(s, p->user, p->org, "read", id, purpose, detail, err)))
        goto fail;
    rc = dump_json(o, json, err);
    o = NULL;
    goto done;
db:
    rc = db_fail(db, err);
fail:
done:
    json_decref(o);
    json_decref(recipients);
    json_decref(inds);
    vg_free(detail);
    vg_store_stmt_done(s, st);
    access_cleanup(&a);
    return rc;
}

/* The FTS5 query of a search text: every word a quoted prefix ("word"*, quotes doubled), all
 * required, so that no character of the text is read as query syntax. A word without a letter
 * or digit is left out (the tokenizer would make an empty phrase of it). *out is NULL when the
 * text has no word (any report matches). */
static int match_expression(const char *text, char **out, struct vg_error *err)
{
    struct vg_buf b;
    vg_buf_init(&b, 4 * VG_REPORT_QUERY_MAX + 16);
    *out = NULL;
    for (const char *p = text; *p;) {
        while (*p && is_space((unsigned char)*p))
            p++;
        if (!*p)
            break;
        const char *end = p;
        int wordy = 0; /* the tokenizer keeps something of it */
        for (; *end && !is_space((unsigned char)*end); end++)
            wordy = wordy || isalnum((unsigned char)*end) || (unsigned char)*end >= 0x80;
        if (!wordy) {
            p = end;
            continue;
        }
        int bad = vg_buf_printf(&b, "%s\"", b.len ? " " : "");
        for (; p < end; p++)
            bad = bad || (*p == '"' ? vg_buf_append(&b, "\"\"", 2) : vg_buf_putc(&b, *p));
        if (bad || vg_buf_append(&b, "\"*", 2)) {
            vg_buf_cleanup(&b);
            return vg_error_set(err, VG_ENOMEM, "out of memory");
        }
    }
    *out = b.len ? b.data : NULL;
    if (!b.len)
        vg_buf_cleanup(&b);
    return 0;
}

static int report_list_locked(struct vg_store *s, const struct vg_principal *p,
                              const struct vg_report_query *q, char **json, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    json_t *list = NULL, *out = NULL, *det = NULL;
    char *detail = NULL, *match = NULL;
    int rc, step, limit;
    int64_t last = 0, next = 0;
    enum vg_tlp tlp = VG_TLP_CLEAR;
    if (!valid_principal(p) || !q)
        return vg_error_set(err, VG_EINVAL, "no principal or query");
    if ((rc = check_purpose(q->purpose, err)))
        return rc;
    limit = q->limit ? q->limit : VG_REPORT_LIST_DEFAULT;
    if (limit < 1 || limit > VG_REPORT_LIST_MAX)
        return vg_error_set(err, VG_EINVAL, "limit: must be 1 to %d", VG_REPORT_LIST_MAX);
    if (q->after_id < 0)
        return vg_error_set(err, VG_EINVAL, "after: must not be negative");
    if (q->text && strlen(q->text) > VG_REPORT_QUERY_MAX)
        return vg_error_set(err, VG_ETOOBIG, "query: longer than %d bytes", VG_REPORT_QUERY_MAX);
    struct vg_error sub;
    vg_error_clear(&sub);
    if (q->tlp && (rc = vg_tlp_parse(q->tlp, &tlp, &sub)))
        return vg_error_set(err, rc, "tlp: %s", sub.message);
    if (!(list = json_array()))
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    if (sqlite3_prepare_v2(
            db,
            "SELECT r.id, r.title, r.tlp, r.distribution, g.name, o.name, u.name, r.created_at, "
            "r.updated_at, r.review_due FROM reports r JOIN organisations o ON o.id = r.org_id "
            "JOIN users u ON u.id = r.author_id LEFT JOIN sharing_groups g ON g.id = r.group_id "
            "WHERE r.id > ?1 AND (?2 IS NULL OR r.tlp = ?2) AND (?3 IS NULL OR o.name = ?3) AND "
            "(?4 IS NULL OR r.id IN (SELECT rowid FROM report_text WHERE report_text MATCH ?4)) "
            "ORDER BY r.id",
            -1, &st, NULL) != SQLITE_OK)
        goto db;
    sqlite3_bind_int64(st, 1, q->after_id);
    bind_opt_text(st, 2, q->tlp ? vg_tlp_name(tlp) : NULL);
    bind_opt_text(st, 3, q->org);
    if (q->text && (rc = match_expression(q->text, &match, err)))
        goto fail;
    bind_opt_text(st, 4, match);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        struct access a;
        rc = access_load(s, id, &a, err);
        if (rc == VG_ENOTFOUND)
            continue;
        if (rc)
            goto fail;
        int ok = access_readable(p, &a);
        access_cleanup(&a);
        if (!ok)
            continue;
        if (json_array_size(list) == (size_t)limit) {
            next = last;
            break;
        }
        json_t *o = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)id,
                              "title", col_text(st, 1), "tlp", col_text(st, 2), "distribution",
                              col_distribution(st, 3, 4), "org", col_text(st, 5), "author",
                              col_text(st, 6), "created_at", col_text(st, 7), "updated_at",
                              col_text(st, 8), "review_due", col_text(st, 9));
        if (!o || json_array_append_new(list, o)) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        last = id;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        goto db;
    /* The record names the reports given out (their ids; at most VG_REPORT_LIST_MAX), so that
     * the log can answer who saw a report in a listing. */
    json_t *ids = json_array();
    for (size_t i = 0; ids && i < json_array_size(list); i++)
        if (json_array_append(ids, json_object_get(json_array_get(list, i), "id"))) {
            json_decref(ids);
            ids = NULL;
        }
    if (!ids) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    det = json_pack("{s:o,s:o,s:o,s:I,s:i,s:I,s:o}", "query",
                    q->text ? json_string(q->text) : json_null(), "tlp",
                    q->tlp ? json_string(vg_tlp_name(tlp)) : json_null(), "org",
                    q->org ? json_string(q->org) : json_null(), "after", (json_int_t)q->after_id,
                    "limit", limit, "returned", (json_int_t)json_array_size(list), "ids", ids);
    if ((rc = dump_json(det, &detail, err)) ||
        (rc = record(s, p->user, p->org, "search", 0, q->purpose, detail, err)))
        goto fail;
    out = json_pack("{s:O,s:o}", "reports", list, "next",
                    next ? json_integer((json_int_t)next) : json_null());
    rc = dump_json(out, json, err);
    goto done;
db:
    rc = db_fail(db, err);
fail:
done:
    json_decref(list);
    vg_free(detail);
    vg_free(match);
    sqlite3_finalize(st);
    return rc;
}

/* ---- correlation ---- */

static int resolve_cap(int cap)
{
    return cap > 0 ? cap : VG_REPORT_CORRELATION_CAP;
}

static int report_correlations_locked(struct vg_store *s, const struct vg_principal *p, int64_t id,
                                      int cap, const char *purpose, char **json,
                                      struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *mine = NULL, *others = NULL;
    struct access a;
    json_t *list = NULL;
    char *detail = NULL;
    int rc, step;
    memset(&a, 0, sizeof(a));
    if (!valid_principal(p))
        return vg_error_set(err, VG_EINVAL, "no principal");
    if ((rc = check_purpose(purpose, err)))
        return rc;
    if ((rc = load_readable(s, p, id, &a, err)))
        return rc;
    access_cleanup(&a);
    if (!(list = json_array())) {
        rc = vg_error_set(err, VG_ENOMEM, "out of memory");
        goto fail;
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT i.id, i.type, i.normalized FROM indicators i WHERE "
                           "i.report_id = ? AND NOT EXISTS (SELECT 1 FROM correlation_exclusions "
                           "x WHERE x.type = i.type AND x.normalized = i.normalized) ORDER BY i.id",
                           -1, &mine, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT id, report_id FROM indicators WHERE type = ? AND normalized = "
                           "? AND report_id <> ? ORDER BY report_id, id",
                           -1, &others, NULL) != SQLITE_OK)
        goto db;
    sqlite3_bind_int64(mine, 1, id);
    while ((step = sqlite3_step(mine)) == SQLITE_ROW) {
        int64_t ind = sqlite3_column_int64(mine, 0);
        const char *type = (const char *)sqlite3_column_text(mine, 1);
        const char *norm = (const char *)sqlite3_column_text(mine, 2);
        /* The value is overlinked when more than cap reports the principal may read hold it
         * (this one included): counted over readable reports only, so that the cap tells
         * nothing of reports the principal may not see. The scan stops past the cap. */
        json_t *found = json_array();
        if (!found) {
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        int64_t readable = 1, last = 0, last_ok = 0;
        sqlite3_reset(others);
        sqlite3_bind_text(others, 1, type, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(others, 2, norm, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(others, 3, id);
        int ostep = SQLITE_DONE;
        while (readable <= resolve_cap(cap) && (ostep = sqlite3_step(others)) == SQLITE_ROW) {
            int64_t other_ind = sqlite3_column_int64(others, 0);
            int64_t other = sqlite3_column_int64(others, 1);
            if (other != last) { /* rows come by report: decide each report once */
                last = other;
                rc = load_readable(s, p, other, &a, err);
                if (rc && rc != VG_ENOTFOUND) {
                    json_decref(found);
                    goto fail;
                }
                last_ok = rc == 0;
                if (last_ok) {
                    access_cleanup(&a);
                    readable++;
                }
                vg_error_clear(err);
                rc = 0;
            }
            if (!last_ok)
                continue;
            json_t *o = json_pack("{s:I,s:s,s:I,s:I}", "indicator", (json_int_t)ind, "type", type,
                                  "other_report", (json_int_t)other, "other_indicator",
                                  (json_int_t)other_ind);
            if (!o || json_array_append_new(found, o)) {
                json_decref(found);
                rc = vg_error_set(err, VG_ENOMEM, "out of memory");
                goto fail;
            }
        }
        if (readable <= resolve_cap(cap) && ostep != SQLITE_DONE) {
            json_decref(found);
            goto db;
        }
        if (readable <= resolve_cap(cap) && json_array_extend(list, found)) {
            json_decref(found);
            rc = vg_error_set(err, VG_ENOMEM, "out of memory");
            goto fail;
        }
        json_decref(found);
    }
    if (step != SQLITE_DONE)
        goto db;
    vg_error_clear(err);
    if ((rc = dump_json(json_pack("{s:I}", "correlations", (json_int_t)json_array_size(list)),
                        &detail, err)) ||
        (rc = record(s, p->user, p->org, "correlate", id, purpose, detail, err)))
        goto fail;
    rc = dump_json(json_pack("{s:O}", "correlations", list), json, err);
    goto done;
db:
    rc = db_fail(db, err);
fail:
done:
    json_decref(list);
    vg_free(detail);
    sqlite3_finalize(mine);
    sqlite3_finalize(others);
    return rc;
}

static int require_admin(const struct vg_principal *p, const char *what, struct vg_error *err)
{
    if (!valid_principal(p))
        return vg_error_set(err, VG_EINVAL, "no principal");
    if (p->role != VG_ROLE_ADMIN)
        return vg_error_set(err, VG_EPERM, "role: only an admin may %s", what);
    return 0;
}

/* The number of reports the principal may read among those that hold (type, normalized). */
static int readable_holders(struct vg_store *s, const struct vg_principal *p, sqlite3_stmt *holders,
                            const char *type, const char *norm, int64_t *n, struct vg_error *err)
{
    struct access a;
    int rc = 0, step;
    memset(&a, 0, sizeof(a));
    *n = 0;
    sqlite3_reset(holders);
    sqlite3_bind_text(holders, 1, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(holders, 2, norm, -1, SQLITE_TRANSIENT);
    while ((step = sqlite3_step(holders)) == SQLITE_ROW) {
        rc = load_readable(s, p, sqlite3_column_int64(holders, 0), &a, err);
        if (rc == VG_ENOTFOUND) {
            vg_error_clear(err);
            rc = 0;
            continue;
        }
        if (rc)
            return rc;
        access_cleanup(&a);
        (*n)++;
    }
    return step == SQLITE_DONE ? 0 : db_fail(vg_store_db(s), err);
}

/* One value of the overlinked list: its type and normalised text, and its readable holders. */
struct overlinked {
    char *type, *norm;
    int64_t n;
};

static int cmp_overlinked(const void *pa, const void *pb)
{
    const struct overlinked *a = pa, *b = pb;
    if (a->n != b->n)
        return a->n > b->n ? -1 : 1;
    int c = strcmp(a->type, b->type);
    return c ? c : strcmp(a->norm, b->norm);
}

#define OVERLINKED_MAX 1000 /* values listed at most */

static int report_overlinked_values_locked(struct vg_store *s, const struct vg_principal *p,
                                           int cap, char **json, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL, *holders = NULL;
    struct overlinked *vals = NULL;
    size_t nvals = 0, capv = 0;
    json_t *list = NULL;
    char *detail = NULL;
    int rc, step;
    if ((rc = require_admin(p, "see overlinked values", err)))
        return rc;
    /* The candidates: values held by more than cap reports in all. Each is then counted over the
     * reports the administrator may read, and listed only when those pass the cap, ordered and
     * cut by those counts: neither the list nor its order tells anything of reports the
     * administrator may not see. */
    if (sqlite3_prepare_v2(db,
                           "SELECT i.type, i.normalized FROM indicators i WHERE NOT EXISTS "
                           "(SELECT 1 FROM correlation_exclusions x WHERE x.type = i.type AND "
                           "x.normalized = i.normalized) GROUP BY i.type, i.normalized HAVING "
                           "count(DISTINCT i.report_id) > ?",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT DISTINCT report_id FROM indicators WHERE type = ? AND "
                           "normalized = ? ORDER BY report_id",
                           -1, &holders, NULL) != SQLITE_OK)
        goto db;
    sqlite3_bind_int(st, 1, resolve_cap(cap));
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *type = (const char *)sqlite3_column_text(st, 0);
        const char *norm = (const char *)sqlite3_column_text(st, 1);
        int64_t n;
        if ((rc = readable_holders(s, p, holders, type, norm, &n, err)))
            goto fail;
        if (n <= resolve_cap(cap))
            continue;
        if (nvals == capv) {
            size_t c2 = capv ? 2 * capv : 64;
            struct overlinked *v = vg_realloc(vals, c2 * sizeof(*v));
            if (!v)
                goto nomem;
            vals = v;
            capv = c2;
        }
        vals[nvals].type = vg_strdup(type);
        vals[nvals].norm = vg_strdup(norm);
        vals[nvals].n = n;
        nvals++;
        if (!vals[nvals - 1].type || !vals[nvals - 1].norm)
            goto nomem;
    }
    if (step != SQLITE_DONE)
        goto db;
    if (nvals)
        qsort(vals, nvals, sizeof(*vals), cmp_overlinked);
    if (!(list = json_array()))
        goto nomem;
    for (size_t i = 0; i < nvals && i < OVERLINKED_MAX; i++) {
        json_t *o = json_pack("{s:s,s:s,s:I}", "type", vals[i].type, "normalized", vals[i].norm,
                              "reports", (json_int_t)vals[i].n);
        if (!o || json_array_append_new(list, o))
            goto nomem;
    }
    if ((rc = dump_json(json_pack("{s:I}", "values", (json_int_t)json_array_size(list)), &detail,
                        err)) ||
        (rc = record(s, p->user, p->org, "overlinked", 0, NULL, detail, err)))
        goto fail;
    rc = dump_json(json_pack("{s:O}", "values", list), json, err);
    goto done;
nomem:
    rc = vg_error_set(err, VG_ENOMEM, "out of memory");
    goto fail;
db:
    rc = db_fail(db, err);
fail:
done:
    for (size_t i = 0; i < nvals; i++) {
        vg_free(vals[i].type);
        vg_free(vals[i].norm);
    }
    vg_free(vals);
    json_decref(list);
    vg_free(detail);
    sqlite3_finalize(st);
    sqlite3_finalize(holders);
    return rc;
}

int vg_report_exclusion_add(struct vg_store *s, const struct vg_principal *p, const char *type,
                            const char *value, const char *reason, time_t now, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    char *norm = NULL, *detail = NULL;
    char at[VG_ACCOUNT_TIME_SIZE];
    int rc, began = 0;
    if ((rc = require_admin(p, "exclude values from correlation", err)))
        return rc;
    if (!value)
        return vg_error_set(err, VG_EINVAL, "value: required");
    if (reason && strlen(reason) > VG_AUDIT_PURPOSE_MAX)
        return vg_error_set(err, VG_ETOOBIG, "reason: longer than %d bytes", VG_AUDIT_PURPOSE_MAX);
    size_t size = strlen(value) + 1;
    if (!(norm = vg_malloc(size)))
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    if ((rc = vg_report_normalize(type, value, norm, size, err)))
        goto fail;
    if ((rc = dump_json(json_pack("{s:s,s:s}", "type", type, "normalized", norm), &detail, err)))
        goto fail;
    vg_account_time(now, at);
    if ((rc = vg_store_begin(s, err)))
        goto fail;
    began = 1;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO correlation_exclusions (type, normalized, reason, "
                           "created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           -1, &st, NULL) != SQLITE_OK)
        goto db;
    sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, norm, -1, SQLITE_TRANSIENT);
    bind_opt_text(st, 3, reason);
    sqlite3_bind_text(st, 4, at, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        goto db;
    if ((rc = record(s, p->user, p->org, "exclude", 0, reason, detail, err)) ||
        (rc = vg_store_commit(s, err)))
        goto fail;
    goto done;
db:
    rc = db_fail(db, err);
fail:
    if (began)
        vg_store_rollback(s);
done:
    sqlite3_finalize(st);
    vg_free(norm);
    vg_free(detail);
    return rc;
}

/* ---- retention ---- */

#define RETENTION_BATCH 256

struct due_row {
    int64_t id;
    char org[VG_ACCOUNT_NAME_MAX + 1];
    char review_due[VG_REPORT_DATE_SIZE];
};

static int retention_one(struct vg_store *s, const char *actor, const struct due_row *r, int apply,
                         struct vg_error *err)
{
    char detail[96];
    int rc;
    snprintf(detail, sizeof(detail), "{\"review_due\":\"%s\"}", r->review_due);
    if (!apply)
        return record(s, actor, r->org, "retention-list", r->id, "review date passed", detail, err);
    if ((rc = vg_store_begin(s, err)))
        return rc;
    if ((rc = delete_rows(vg_store_db(s), r->id, err)) ||
        (rc = record(s, actor, r->org, "retention-purge", r->id, "review date passed", detail,
                     err)) ||
        (rc = vg_store_commit(s, err))) {
        vg_store_rollback(s);
        return rc;
    }
    return 0;
}

int vg_report_retention(struct vg_store *s, const char *actor, const char *today, int apply,
                        int (*fn)(const struct vg_report_due *due, void *ctx), void *ctx,
                        int64_t *count, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    struct due_row *rows = NULL;
    int64_t after = 0, done_count = 0;
    int rc = 0;
    if (!actor || !actor[0])
        return vg_error_set(err, VG_EINVAL, "actor: required");
    if (!today || !valid_date(today))
        return vg_error_set(err, VG_EINVAL, "today: must be a date YYYY-MM-DD");
    if (!(rows = vg_calloc(RETENTION_BATCH, sizeof(*rows))))
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    for (;;) {
        sqlite3_stmt *st = NULL;
        size_t n = 0;
        int step;
        if (sqlite3_prepare_v2(db,
                               "SELECT r.id, o.name, r.review_due FROM reports r JOIN "
                               "organisations o ON o.id = r.org_id WHERE r.review_due < ?1 AND "
                               "r.id > ?2 ORDER BY r.id LIMIT ?3",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = db_fail(db, err);
            goto fail;
        }
        sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int(st, 3, RETENTION_BATCH);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            const char *org = (const char *)sqlite3_column_text(st, 1);
            const char *due = (const char *)sqlite3_column_text(st, 2);
            rows[n].id = sqlite3_column_int64(st, 0);
            snprintf(rows[n].org, sizeof(rows[n].org), "%s", org ? org : "");
            snprintf(rows[n].review_due, sizeof(rows[n].review_due), "%s", due ? due : "");
            n++;
        }
        sqlite3_finalize(st);
        if (step != SQLITE_DONE) {
            rc = db_fail(db, err);
            goto fail;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            struct vg_report_due due = {
                .id = rows[i].id, .org = rows[i].org, .review_due = rows[i].review_due};
            if (fn && (rc = fn(&due, ctx)))
                goto fail;
            if ((rc = retention_one(s, actor, &rows[i], apply, err)))
                goto fail;
            done_count++;
        }
        after = rows[n - 1].id;
    }
fail:
    if (count)
        *count = done_count;
    vg_free(rows);
    return rc;
}

int vg_report_get(struct vg_store *s, const struct vg_principal *p, int64_t id, const char *purpose,
                  char **json, struct vg_error *err)
{
    int own;
    int rc = txn_begin(s, &own, err);
    if (rc)
        return rc;
    return txn_end(s, own, report_get_locked(s, p, id, purpose, json, err), err);
}

int vg_report_list(struct vg_store *s, const struct vg_principal *p,
                   const struct vg_report_query *q, char **json, struct vg_error *err)
{
    int own;
    int rc = txn_begin(s, &own, err);
    if (rc)
        return rc;
    return txn_end(s, own, report_list_locked(s, p, q, json, err), err);
}

int vg_report_correlations(struct vg_store *s, const struct vg_principal *p, int64_t id, int cap,
                           const char *purpose, char **json, struct vg_error *err)
{
    int own;
    int rc = txn_begin(s, &own, err);
    if (rc)
        return rc;
    return txn_end(s, own, report_correlations_locked(s, p, id, cap, purpose, json, err), err);
}

int vg_report_overlinked_values(struct vg_store *s, const struct vg_principal *p, int cap,
                                char **json, struct vg_error *err)
{
    int own;
    int rc = txn_begin(s, &own, err);
    if (rc)
        return rc;
    return txn_end(s, own, report_overlinked_values_locked(s, p, cap, json, err), err);
}
