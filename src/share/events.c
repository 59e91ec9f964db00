/* events.c - reading the events of reports (the table events, filled by triggers on reports).
 *
 * Both reads use the connection's cached statements and give them back before returning, so a
 * caller may run other statements on the same connection while it works through the events it
 * got (the live stream renders each one with vg_report_get). Thread-safety: as the store, one
 * thread per connection. */
#include "vigil/events.h"
#include "vigil/store.h"

#include <sqlite3.h>
#include <stdio.h>

static int db_fail(struct vg_store *s, struct vg_error *err)
{
    return vg_error_set(err, VG_EDB, "cannot read the events: %s", sqlite3_errmsg(vg_store_db(s)));
}

int vg_events_newest(struct vg_store *s, int64_t *id, struct vg_error *err)
{
    static const char sql[] = "SELECT coalesce(max(id), 0) FROM events";
    sqlite3_stmt *q;
    if (vg_store_stmt(s, sql, &q, err))
        return db_fail(s, err);
    int ok = sqlite3_step(q) == SQLITE_ROW;
    *id = ok ? sqlite3_column_int64(q, 0) : 0;
    vg_store_stmt_done(s, q);
    return ok ? 0 : db_fail(s, err);
}

int vg_events_after(struct vg_store *s, int64_t after, struct vg_event *out, int max, int *n,
                    struct vg_error *err)
{
    static const char sql[] =
        "SELECT id, kind, report_id, at FROM events WHERE id > ? ORDER BY id LIMIT ?";
    sqlite3_stmt *q;
    *n = 0;
    if (vg_store_stmt(s, sql, &q, err))
        return db_fail(s, err);
    sqlite3_bind_int64(q, 1, after);
    sqlite3_bind_int(q, 2, max);
    int step;
    while (*n < max && (step = sqlite3_step(q)) == SQLITE_ROW) {
        struct vg_event *e = &out[(*n)++];
        const char *kind = (const char *)sqlite3_column_text(q, 1);
        const char *at = (const char *)sqlite3_column_text(q, 3);
        e->id = sqlite3_column_int64(q, 0);
        e->report_id = sqlite3_column_int64(q, 2);
        snprintf(e->kind, sizeof(e->kind), "%s", kind ? kind : "");
        snprintf(e->at, sizeof(e->at), "%s", at ? at : "");
    }
    int rc = *n < max && step != SQLITE_DONE ? db_fail(s, err) : 0;
    vg_store_stmt_done(s, q);
    return rc;
}
