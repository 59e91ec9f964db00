/* risk_store.c - the checklist answers and ratings of sites in the store: tables
 * site_assessments (site_id, item, status 'met'|'gap', notes, assessed_on, assessed_by) and
 * site_ratings (site_id, criterion, value 1-10, notes, rated_on), both of migration 6.
 *
 * Writes are upserts keyed on (site, item) and (site, criterion): the newest answer replaces the
 * older one, the audit log (written by the caller in the same transaction) keeps the history.
 * The item names are not checked here, since the checklist belongs to the scales in use; the
 * callers check them with vg_risk_item_find.
 *
 * Reading goes through a struct vg_risk_reader, which keeps its two prepared statements for as
 * many sites as the caller reads (vigil risk rank reads every site). A loaded struct
 * vg_risk_state holds its text in one growable buffer: the strings are appended there as offsets,
 * and the pointers are set once every row is in (a buffer that grows may move). Rows whose item
 * is not in the kind's checklist (answers made under an older version of the scales) or whose
 * criterion is unknown are left out and counted as stale, so that scoring never fails on what an
 * older version stored.
 *
 * A reader belongs to one store and is used by one thread at a time, as the store is. */
#include "risk_internal.h"

#include "vigil/store.h"

#include <sqlite3.h>
#include <string.h>

#define STATE_TEXT_MAX ((size_t)1 << 20) /* bytes of text in one site's state */

static int db_error(sqlite3 *db, struct vg_error *err)
{
    return vg_error_set(err, VG_EDB, "database: %s", sqlite3_errmsg(db));
}

int vg_risk_answer_set(struct vg_store *st, int64_t site_id, const struct vg_risk_answer *a,
                       const char *by, struct vg_error *err)
{
    sqlite3 *db = vg_store_db(st);
    sqlite3_stmt *stmt = NULL;
    if (a->status != VG_RISK_MET && a->status != VG_RISK_GAP)
        return vg_error_set(err, VG_EINVAL, "the status must be met or gap");
    if (!a->date || !a->date[0])
        return vg_error_set(err, VG_EINVAL, "an answer needs its date");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO site_assessments (site_id, item, status, notes, "
                           "assessed_on, assessed_by) VALUES (?, ?, ?, ?, ?, ?) "
                           "ON CONFLICT (site_id, item) DO UPDATE SET status = excluded.status, "
                           "notes = excluded.notes, assessed_on = excluded.assessed_on, "
                           "assessed_by = excluded.assessed_by",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(db, err);
    sqlite3_bind_int64(stmt, 1, site_id);
    sqlite3_bind_text(stmt, 2, a->item, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 3, vg_risk_status_name(a->status), -1, SQLITE_STATIC);
    if (a->notes && a->notes[0])
        sqlite3_bind_text(stmt, 4, a->notes, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, a->date, -1, SQLITE_TRANSIENT);
    if (by && by[0])
        sqlite3_bind_text(stmt, 6, by, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_error(db, err);
    sqlite3_finalize(stmt);
    return rc;
}

int vg_risk_rating_set(struct vg_store *st, int64_t site_id, const struct vg_risk_rating *r,
                       struct vg_error *err)
{
    sqlite3 *db = vg_store_db(st);
    sqlite3_stmt *stmt = NULL;
    if ((unsigned)r->criterion >= VG_RISK_CRITERION_COUNT || r->value < 1 || r->value > 10)
        return vg_error_set(err, VG_EINVAL, "a rating is a criterion and a value of 1 to 10");
    if (!r->date || !r->date[0])
        return vg_error_set(err, VG_EINVAL, "a rating needs its date");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO site_ratings (site_id, criterion, value, notes, rated_on) "
                           "VALUES (?, ?, ?, ?, ?) ON CONFLICT (site_id, criterion) DO UPDATE SET "
                           "value = excluded.value, notes = excluded.notes, "
                           "rated_on = excluded.rated_on",
                           -1, &stmt, NULL) != SQLITE_OK)
        return db_error(db, err);
    sqlite3_bind_int64(stmt, 1, site_id);
    sqlite3_bind_text(stmt, 2, vg_risk_criterion_name(r->criterion), -1, SQLITE_STATIC);
    sqlite3_bind_int(stmt, 3, r->value);
    if (r->notes && r->notes[0])
        sqlite3_bind_text(stmt, 4, r->notes, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(stmt, 5, r->date, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_error(db, err);
    sqlite3_finalize(stmt);
    return rc;
}

int vg_risk_rating_clear(struct vg_store *st, int64_t site_id, enum vg_risk_criterion c,
                         struct vg_error *err)
{
    sqlite3 *db = vg_store_db(st);
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM site_ratings WHERE site_id = ? AND criterion = ?", -1,
                           &stmt, NULL) != SQLITE_OK)
        return db_error(db, err);
    sqlite3_bind_int64(stmt, 1, site_id);
    sqlite3_bind_text(stmt, 2, vg_risk_criterion_name(c), -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt) == SQLITE_DONE ? 0 : db_error(db, err);
    sqlite3_finalize(stmt);
    return rc;
}

struct vg_risk_reader {
    sqlite3 *db;
    const struct vg_risk_scales *scales;
    sqlite3_stmt *answers, *ratings;
};

int vg_risk_reader_create(struct vg_store *st, const struct vg_risk_scales *s,
                          struct vg_risk_reader **out, struct vg_error *err)
{
    struct vg_risk_reader *r = vg_calloc(1, sizeof(*r));
    if (!r)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    r->db = vg_store_db(st);
    r->scales = s;
    if (sqlite3_prepare_v2(r->db,
                           "SELECT item, status, notes, assessed_on FROM site_assessments "
                           "WHERE site_id = ? ORDER BY item",
                           -1, &r->answers, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "SELECT criterion, value, notes, rated_on FROM site_ratings "
                           "WHERE site_id = ? ORDER BY criterion",
                           -1, &r->ratings, NULL) != SQLITE_OK) {
        int rc = db_error(r->db, err);
        vg_risk_reader_destroy(r);
        return rc;
    }
    *out = r;
    return 0;
}

void vg_risk_reader_destroy(struct vg_risk_reader *r)
{
    if (!r)
        return;
    sqlite3_finalize(r->answers);
    sqlite3_finalize(r->ratings);
    vg_free(r);
}

void vg_risk_state_init(struct vg_risk_state *state)
{
    memset(state, 0, sizeof(*state));
    vg_buf_init(&state->strings_, STATE_TEXT_MAX);
}

void vg_risk_state_cleanup(struct vg_risk_state *state)
{
    if (!state)
        return;
    vg_buf_cleanup(&state->strings_);
    memset(state, 0, sizeof(*state));
}

/* Appends column col of stmt (NULL stays NULL: offset SIZE_MAX) and returns its offset. */
static int keep(struct vg_risk_state *state, sqlite3_stmt *stmt, int col, size_t *off)
{
    const unsigned char *v = sqlite3_column_text(stmt, col);
    if (!v) {
        *off = SIZE_MAX;
        return 0;
    }
    size_t n = (size_t)sqlite3_column_bytes(stmt, col);
    *off = state->strings_.len;
    int rc = vg_buf_append(&state->strings_, v, n);
    return rc ? rc : vg_buf_putc(&state->strings_, '\0');
}

static const char *at(const struct vg_risk_state *state, size_t off)
{
    return off == SIZE_MAX ? NULL : state->strings_.data + off;
}

int vg_risk_reader_load(struct vg_risk_reader *r, int64_t site_id, const char *kind,
                        struct vg_risk_state *state, struct vg_error *err)
{
    /* Offsets of each answer's item, notes and date, and each rating's notes and date. */
    size_t aoff[VG_RISK_MAX_ITEMS][3], roff[VG_RISK_CRITERION_COUNT][2];
    int rc = 0, step;
    vg_buf_reset(&state->strings_);
    state->nanswers = state->nstale = state->nratings = 0;

    sqlite3_reset(r->answers);
    sqlite3_bind_int64(r->answers, 1, site_id);
    while (!rc && (step = sqlite3_step(r->answers)) == SQLITE_ROW) {
        const char *item = (const char *)sqlite3_column_text(r->answers, 0);
        const char *status = (const char *)sqlite3_column_text(r->answers, 1);
        enum vg_risk_status st;
        const struct vg_risk_item *it = item ? vg_risk_item_find(r->scales, kind, item) : NULL;
        if (!it || !status || vg_risk_status_parse(status, &st, NULL) ||
            state->nanswers == VG_RISK_MAX_ITEMS) {
            state->nstale++;
            continue;
        }
        struct vg_risk_answer *a = &state->answers[state->nanswers];
        a->item = it->name; /* the scales' spelling */
        a->status = st;
        size_t *o = aoff[state->nanswers++];
        if ((rc = keep(state, r->answers, 2, &o[1])) || (rc = keep(state, r->answers, 3, &o[2])))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(r->db, err);
    sqlite3_reset(r->answers);

    sqlite3_reset(r->ratings);
    sqlite3_bind_int64(r->ratings, 1, site_id);
    while (!rc && (step = sqlite3_step(r->ratings)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(r->ratings, 0);
        int value = sqlite3_column_int(r->ratings, 1);
        enum vg_risk_criterion c;
        if (!name || vg_risk_criterion_parse(name, &c, NULL) || value < 1 || value > 10 ||
            state->nratings == VG_RISK_CRITERION_COUNT) {
            state->nstale++;
            continue;
        }
        struct vg_risk_rating *rt = &state->ratings[state->nratings];
        rt->criterion = c;
        rt->value = value;
        size_t *o = roff[state->nratings++];
        if ((rc = keep(state, r->ratings, 2, &o[0])) || (rc = keep(state, r->ratings, 3, &o[1])))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = db_error(r->db, err);
    sqlite3_reset(r->ratings);

    if (rc == VG_ENOMEM || rc == VG_ETOOBIG)
        rc = vg_error_set(err, rc,
                          rc == VG_ENOMEM ? "out of memory" : "the notes of site %lld pass 1 MiB",
                          (long long)site_id);
    if (rc) {
        state->nanswers = state->nratings = 0;
        return rc;
    }
    for (size_t i = 0; i < state->nanswers; i++) {
        state->answers[i].notes = at(state, aoff[i][1]);
        state->answers[i].date = at(state, aoff[i][2]);
    }
    for (size_t i = 0; i < state->nratings; i++) {
        state->ratings[i].notes = at(state, roff[i][0]);
        state->ratings[i].date = at(state, roff[i][1]);
    }
    return 0;
}
