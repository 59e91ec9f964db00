/* incidents.c - the incidents table: prepared upsert and counts.
 *
 * A writer holds one prepared statement, an INSERT ... ON CONFLICT (source, source_id) DO UPDATE
 * whose UPDATE only fires when the stored row_hash differs from the new one. So storing a record
 * again is a single index probe and no write when nothing changed. sqlite3_changes() tells whether
 * anything was written, and the last insert rowid (which an upsert's UPDATE leaves alone) whether
 * it was an insert.
 *
 * Ownership: the writer owns its statement; the record's strings are borrowed for the duration
 * of the call (bound with SQLITE_STATIC: the statement is reset before vg_incident_put returns).
 * Thread-safety: a writer belongs to the thread that uses its store. */
#include "vigil/incident.h"
#include "vigil/mem.h"
#include "vigil/store.h"

#include <math.h>
#include <sqlite3.h>
#include <string.h>

struct vg_incident_writer {
    sqlite3 *db;
    sqlite3_stmt *upsert;
};

#define COLUMNS                                                                                    \
    "year, month, day, region, country, attack, target, weapon, group_name, killed, wounded,"      \
    " success, suicide, latitude, longitude, specificity, country_code, region_code,"              \
    " attack_code, target_code, weapon_code, provstate, city, source, source_id, row_hash,"        \
    " summary, extra"

static const char upsert_sql[] =
    "INSERT INTO incidents (" COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28) "
    "ON CONFLICT (source, source_id) DO UPDATE SET year = ?1, month = ?2, day = ?3, region = ?4, "
    "country = ?5, attack = ?6, target = ?7, weapon = ?8, group_name = ?9, killed = ?10, "
    "wounded = ?11, success = ?12, suicide = ?13, latitude = ?14, longitude = ?15, "
    "specificity = ?16, country_code = ?17, region_code = ?18, attack_code = ?19, "
    "target_code = ?20, weapon_code = ?21, provstate = ?22, city = ?23, row_hash = ?26, "
    "summary = ?27, extra = ?28 WHERE row_hash <> ?26";

void vg_incident_clear(struct vg_incident *inc)
{
    memset(inc, 0, sizeof(*inc));
    inc->year = inc->month = inc->day = VG_NULL_INT;
    inc->country_code = inc->region_code = VG_NULL_INT;
    inc->latitude = inc->longitude = NAN;
    inc->specificity = VG_NULL_INT;
    inc->attack_code = inc->target_code = inc->weapon_code = VG_NULL_INT;
    inc->killed = inc->wounded = inc->success = inc->suicide = VG_NULL_INT;
}

int vg_incident_writer_create(struct vg_store *s, struct vg_incident_writer **out,
                              struct vg_error *err)
{
    struct vg_incident_writer *w = vg_calloc(1, sizeof(*w));
    if (!w)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    w->db = vg_store_db(s);
    if (sqlite3_prepare_v3(w->db, upsert_sql, -1, SQLITE_PREPARE_PERSISTENT, &w->upsert, NULL) !=
        SQLITE_OK) {
        int rc = vg_error_set(err, VG_EDB, "cannot prepare the incident upsert: %s",
                              sqlite3_errmsg(w->db));
        vg_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void vg_incident_writer_destroy(struct vg_incident_writer *w)
{
    if (!w)
        return;
    sqlite3_finalize(w->upsert);
    vg_free(w);
}

static void bind_int(sqlite3_stmt *st, int i, int64_t v)
{
    if (v == VG_NULL_INT)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, v);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_double(st, i, v);
}

int vg_incident_put(struct vg_incident_writer *w, const struct vg_incident *inc, int *outcome,
                    struct vg_error *err)
{
    sqlite3_stmt *st = w->upsert;
    /* An upsert that updates leaves the last insert rowid alone; an insert sets it to the new
     * row's id, which is never 0 (ids are chosen by SQLite, from 1 up). */
    sqlite3_set_last_insert_rowid(w->db, 0);
    bind_int(st, 1, inc->year);
    bind_int(st, 2, inc->month);
    bind_int(st, 3, inc->day);
    bind_text(st, 4, inc->region);
    bind_text(st, 5, inc->country);
    bind_text(st, 6, inc->attack);
    bind_text(st, 7, inc->target);
    bind_text(st, 8, inc->weapon);
    bind_text(st, 9, inc->group);
    bind_int(st, 10, inc->killed);
    bind_int(st, 11, inc->wounded);
    bind_int(st, 12, inc->success);
    bind_int(st, 13, inc->suicide);
    bind_real(st, 14, inc->latitude);
    bind_real(st, 15, inc->longitude);
    bind_int(st, 16, inc->specificity);
    bind_int(st, 17, inc->country_code);
    bind_int(st, 18, inc->region_code);
    bind_int(st, 19, inc->attack_code);
    bind_int(st, 20, inc->target_code);
    bind_int(st, 21, inc->weapon_code);
    bind_text(st, 22, inc->provstate);
    bind_text(st, 23, inc->city);
    bind_text(st, 24, inc->source);
    bind_text(st, 25, inc->source_id);
    sqlite3_bind_int64(st, 26, (sqlite3_int64)inc->hash);
    bind_text(st, 27, inc->summary);
    if (inc->extra)
        sqlite3_bind_text(st, 28, inc->extra, (int)inc->extra_len, SQLITE_STATIC);
    else
        sqlite3_bind_text(st, 28, "{}", 2, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_DONE) {
        if (sqlite3_changes(w->db) == 0)
            *outcome = VG_PUT_UNCHANGED;
        else
            *outcome = sqlite3_last_insert_rowid(w->db) != 0 ? VG_PUT_INSERTED : VG_PUT_UPDATED;
    } else {
        /* A violated constraint is the record's fault (VG_EINVAL); anything else the store's. */
        int code = (rc & 0xff) == SQLITE_CONSTRAINT ? VG_EINVAL : VG_EDB;
        result = vg_error_set(err, code, "cannot store incident %s: %s", inc->source_id,
                              sqlite3_errmsg(w->db));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return result;
}

int64_t vg_incident_writer_last_id(const struct vg_incident_writer *w)
{
    return sqlite3_last_insert_rowid(w->db);
}

int vg_incident_count(struct vg_store *s, int64_t *count, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int rc = VG_EDB;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM incidents", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        *count = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        vg_error_set(err, VG_EDB, "cannot count incidents: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return rc;
}

int vg_incident_mark_changed(struct vg_store *s, int rewrote, struct vg_error *err)
{
    return vg_store_exec(s,
                         rewrote ? "UPDATE meta SET value = value + 1 WHERE key IN "
                                   "('incidents_version', 'incidents_rewrites')"
                                 : "UPDATE meta SET value = value + 1 WHERE key = "
                                   "'incidents_version'",
                         err);
}

int vg_incident_version(struct vg_store *s, int64_t *version, int64_t *rewrites,
                        struct vg_error *err)
{
    sqlite3 *db = vg_store_db(s);
    sqlite3_stmt *st = NULL;
    int found = 0;
    if (sqlite3_prepare_v2(db, "SELECT key, value FROM meta WHERE key LIKE 'incidents_%'", -1, &st,
                           NULL) != SQLITE_OK)
        return vg_error_set(err, VG_EDB, "cannot read the incidents version: %s",
                            sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(st, 0);
        if (key && strcmp(key, "incidents_version") == 0)
            *version = sqlite3_column_int64(st, 1), found |= 1;
        else if (key && strcmp(key, "incidents_rewrites") == 0)
            *rewrites = sqlite3_column_int64(st, 1), found |= 2;
    }
    sqlite3_finalize(st);
    if (found != 3)
        return vg_error_set(err, VG_EDB, "the incidents version is missing from the database");
    return 0;
}
