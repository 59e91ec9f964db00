/* store.h - the SQLite database: opening, schema migrations, transactions.
 *
 * One struct vg_store is one connection. The database is in WAL mode; the schema is brought to
 * the newest version on open (migrations are numbered and applied in order, each in its own
 * transaction). A store is used by one thread at a time. */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include "vigil/error.h"

struct sqlite3;
struct sqlite3_stmt;
struct vg_store;
struct vg_audit_sink;

enum {
    VG_STORE_READONLY = 1 /* open an existing database for reading only, no migrations */
};

/* Opens (creating if needed) the database at path and migrates it. On failure *out is untouched
 * and err says why. */
int vg_store_open(const char *path, int flags, struct vg_store **out, struct vg_error *err);
void vg_store_close(struct vg_store *s);

/* The schema version the database is at, and the newest this build knows. */
int vg_store_version(struct vg_store *s, int *version);
int vg_store_latest_version(void);

/* The underlying connection, for modules above the store that run their own queries. */
struct sqlite3 *vg_store_db(struct vg_store *s);

/* A statement for sql kept prepared by the connection: sql must be a string that lives as long
 * as the store (a literal), as it is found again by its address. The statement comes reset, with
 * no bindings. Give it back with vg_store_stmt_done as soon as its rows are read (a statement
 * left stepping holds its read snapshot); never finalize it. Past the cache's size, the statement
 * is prepared afresh and vg_store_stmt_done finalizes it. */
int vg_store_stmt(struct vg_store *s, const char *sql, struct sqlite3_stmt **out,
                  struct vg_error *err);
/* Resets a statement from vg_store_stmt (finalizes it when it was not cached). Accepts NULL. */
void vg_store_stmt_done(struct vg_store *s, struct sqlite3_stmt *st);

/* The connection's audit sink (vigil/audit.h): kept here, used by the audit layer alone. */
struct vg_audit_sink *vg_store_audit_sink(struct vg_store *s);

/* Runs SQL that returns no rows; on failure err holds SQLite's message. */
int vg_store_exec(struct vg_store *s, const char *sql, struct vg_error *err);
/* BEGIN IMMEDIATE: a transaction that will write, taking the write lock at once. Inside a
 * transaction already open, a savepoint instead, which vg_store_commit releases and
 * vg_store_rollback undoes alone: a change made by a library function can so run inside a
 * caller's larger transaction (the server commits many changes at once) and still fail alone.
 * Every successful vg_store_begin is ended by exactly one commit or rollback. */
int vg_store_begin(struct vg_store *s, struct vg_error *err);
/* BEGIN: a transaction that reads one consistent snapshot. */
int vg_store_begin_read(struct vg_store *s, struct vg_error *err);
int vg_store_commit(struct vg_store *s, struct vg_error *err);
/* Rolls back the innermost open transaction or savepoint, if any. Never fails. */
void vg_store_rollback(struct vg_store *s);

/* Bulk mode, for writing much data at once: the database leaves WAL for a rollback journal, in
 * which pages added at the end of the file are written once instead of twice, and crash safety is
 * kept (a killed writer's last transaction is rolled back by the next opener). It needs the
 * database to itself: when another connection has it open, vg_store_bulk_begin returns VG_EDB
 * and nothing changes, and the caller simply goes on in WAL mode. vg_store_bulk_end returns to
 * WAL. */
int vg_store_bulk_begin(struct vg_store *s);
void vg_store_bulk_end(struct vg_store *s);

#endif
