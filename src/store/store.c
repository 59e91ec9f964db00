/* store.c - opening the SQLite database and migrating its schema.
 *
 * The schema lives here as an ordered list of migrations; PRAGMA user_version records how many
 * have been applied. Opening a database applies the missing ones, each in its own transaction, so
 * a database is always at a version this code knows. A database newer than this build is refused
 * rather than guessed at.
 *
 * Connection settings: WAL journal (readers do not block the writer, and a killed writer leaves
 * the last committed state), synchronous=NORMAL (safe against a killed process; a power loss may
 * lose the last transactions but never corrupts), foreign keys on, a busy time-out so a second
 * process waits instead of failing at once.
 *
 * Ownership: struct vg_store owns its sqlite3 connection. Thread-safety: one thread at a time. */
#include "vigil/store.h"
#include "vigil/audit.h"
#include "vigil/mem.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Statements kept prepared by a connection, found by the address of their SQL text. */
#define STMT_CACHE 32

struct vg_store {
    sqlite3 *db;
    struct vg_audit_sink sink; /* held for the audit layer; fn NULL: none */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } stmts[STMT_CACHE];
    int nstmts;
    int nested; /* savepoints opened by vg_store_begin inside a transaction */
};

/* Migration N (1-based) is migrations[N-1]. Append only: never edit a migration that shipped. */
static const char *const migrations[] = {
    /* 1: incidents */
    "CREATE TABLE incidents ("
    "  id INTEGER PRIMARY KEY,"
    "  year INTEGER NOT NULL,"
    "  month INTEGER CHECK (month BETWEEN 1 AND 12),"
    "  day INTEGER CHECK (day BETWEEN 1 AND 31),"
    "  region TEXT, country TEXT, attack TEXT, target TEXT, weapon TEXT, group_name TEXT,"
    "  killed INTEGER CHECK (killed >= 0), wounded INTEGER CHECK (wounded >= 0),"
    "  success INTEGER, suicide INTEGER,"
    "  latitude REAL CHECK (latitude BETWEEN -90 AND 90),"
    "  longitude REAL CHECK (longitude BETWEEN -180 AND 180),"
    "  specificity INTEGER,"
    "  country_code INTEGER, region_code INTEGER,"
    "  attack_code INTEGER, target_code INTEGER, weapon_code INTEGER,"
    "  provstate TEXT, city TEXT,"
    "  source TEXT NOT NULL, source_id TEXT NOT NULL,"
    "  row_hash INTEGER NOT NULL,"
    "  summary TEXT,"
    "  extra TEXT NOT NULL DEFAULT '{}',"
    "  UNIQUE (source, source_id)"
    ");",
    /* 2: counters that tell derived data (the analytic cube) whether it is still current */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta VALUES ('incidents_version', 0), ('incidents_rewrites', 0);",
    /* 3: organisations, users, API keys, sharing groups, and the audit log */
    "CREATE TABLE organisations ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  org_id INTEGER NOT NULL REFERENCES organisations (id),"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'reader', 'sync')),"
    "  password_hash TEXT," /* Argon2id string (libsodium crypto_pwhash_str); NULL: no password */
    "  created_at TEXT NOT NULL,"
    "  disabled_at TEXT"
    ");"
    "CREATE TABLE api_keys ("
    "  id INTEGER PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users (id),"
    "  prefix TEXT NOT NULL UNIQUE," /* the key's public first part, to find it */
    "  secret_hash BLOB NOT NULL,"   /* hash of the whole key; the key itself is never stored */
    "  created_at TEXT NOT NULL,"
    "  expires_at TEXT," /* NULL: no expiry */
    "  revoked_at TEXT"
    ");"
    "CREATE TABLE sharing_groups ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),"
    "  owner_org_id INTEGER NOT NULL REFERENCES organisations (id),"
    "  created_at TEXT NOT NULL"
    ");"
    "CREATE TABLE sharing_group_members ("
    "  group_id INTEGER NOT NULL REFERENCES sharing_groups (id),"
    "  org_id INTEGER NOT NULL REFERENCES organisations (id),"
    "  PRIMARY KEY (group_id, org_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE audit_log ("
    "  seq INTEGER PRIMARY KEY," /* 1, 2, 3, ... with no gap */
    "  at TEXT NOT NULL,"        /* UTC, ISO 8601 */
    "  actor TEXT NOT NULL,"     /* user name, or the command-line user */
    "  org TEXT,"
    "  action TEXT NOT NULL,"    /* read, search, create, update, delete, export, disclose, ... */
    "  object TEXT,"             /* what was acted on, e.g. report:42 */
    "  purpose TEXT,"            /* why, as the actor stated it */
    "  detail TEXT,"             /* JSON object */
    "  prev_hash BLOB NOT NULL," /* hash of the record before (32 zero bytes for the first) */
    "  hash BLOB NOT NULL"       /* hash of this record's fields and prev_hash */
    ");"
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;",
    /* 4: intelligence reports ("clues"), their recipients and indicators */
    "CREATE TABLE reports ("
    "  id INTEGER PRIMARY KEY,"
    "  title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 500),"
    "  body TEXT NOT NULL DEFAULT '',"
    "  author_id INTEGER NOT NULL REFERENCES users (id),"
    "  org_id INTEGER NOT NULL REFERENCES organisations (id)," /* the owning organisation */
    "  tlp TEXT NOT NULL CHECK (tlp IN ('TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', "
    "'TLP:AMBER+STRICT', 'TLP:RED')),"
    "  distribution TEXT NOT NULL CHECK (distribution IN ('organisation', 'group', "
    "'community', 'all')),"
    "  group_id INTEGER REFERENCES sharing_groups (id)," /* set when distribution = 'group' */
    "  source_reliability TEXT CHECK (source_reliability IN ('A', 'B', 'C', 'D', 'E', 'F')),"
    "  info_credibility INTEGER CHECK (info_credibility BETWEEN 1 AND 6),"
    "  statement TEXT CHECK (statement IN ('fact', 'assessment')),"
    "  review_due TEXT," /* after this date: re-justify or purge */
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL,"
    "  CHECK ((distribution = 'group') = (group_id IS NOT NULL))"
    ");"
    "CREATE INDEX reports_org ON reports (org_id);"
    "CREATE INDEX reports_review ON reports (review_due);"
    "CREATE TABLE report_recipients ("
    "  report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
    "  user_id INTEGER NOT NULL REFERENCES users (id),"
    "  PRIMARY KEY (report_id, user_id)"
    ") WITHOUT ROWID;"
    "CREATE TABLE indicators ("
    "  id INTEGER PRIMARY KEY,"
    "  report_id INTEGER NOT NULL REFERENCES reports (id) ON DELETE CASCADE,"
    "  type TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 64),"
    "  value TEXT NOT NULL CHECK (length(value) BETWEEN 1 AND 4096),"
    "  normalized TEXT NOT NULL," /* the value as correlation compares it */
    "  subject_category TEXT CHECK (subject_category IN ('suspect', 'convicted', 'victim', "
    "'witness', 'contact')),"
    "  CHECK (type <> 'person' OR subject_category IS NOT NULL)"
    ");"
    "CREATE INDEX indicators_report ON indicators (report_id);"
    "CREATE INDEX indicators_value ON indicators (type, normalized);"
    "CREATE TABLE correlation_exclusions (" /* values an administrator keeps from correlating */
    "  type TEXT NOT NULL,"
    "  normalized TEXT NOT NULL,"
    "  reason TEXT,"
    "  created_at TEXT NOT NULL,"
    "  PRIMARY KEY (type, normalized)"
    ") WITHOUT ROWID;",
    /* 5: full-text search of reports, and the events that the live stream delivers */
    "CREATE VIRTUAL TABLE report_text USING fts5(title, body, content='reports', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2');"
    "INSERT INTO report_text (report_text) VALUES ('rebuild');"
    "CREATE TRIGGER reports_text_insert AFTER INSERT ON reports BEGIN "
    "INSERT INTO report_text (rowid, title, body) VALUES (new.id, new.title, new.body); END;"
    "CREATE TRIGGER reports_text_delete AFTER DELETE ON reports BEGIN "
    "INSERT INTO report_text (report_text, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END;"
    "CREATE TRIGGER reports_text_update AFTER UPDATE OF title, body ON reports BEGIN "
    "INSERT INTO report_text (report_text, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body);"
    "INSERT INTO report_text (rowid, title, body) VALUES (new.id, new.title, new.body); END;"
    "CREATE TABLE events (" /* AUTOINCREMENT: an id is never reused (Last-Event-ID) */
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    "  kind TEXT NOT NULL CHECK (kind IN ('report.created', 'report.updated')),"
    "  report_id INTEGER NOT NULL"
    ");"
    "CREATE TRIGGER reports_event_insert AFTER INSERT ON reports BEGIN "
    "INSERT INTO events (kind, report_id) VALUES ('report.created', new.id); END;"
    "CREATE TRIGGER reports_event_update AFTER UPDATE ON reports BEGIN "
    "INSERT INTO events (kind, report_id) VALUES ('report.updated', new.id); END;",
    /* 6: key sites, their security assessments (checklist items met or a gap) and their
     * CARVER+Shock ratings */
    "CREATE TABLE sites ("
    "  id INTEGER PRIMARY KEY,"
    "  kind TEXT NOT NULL CHECK (kind IN ('airport', 'railway', 'subway', 'mall', 'venue', "
    "'other')),"
    "  source TEXT NOT NULL,"    /* the file's base name, or --source */
    "  source_id TEXT NOT NULL," /* the row's own id or code in its file */
    "  name TEXT NOT NULL,"
    "  code TEXT," /* IATA, else ICAO, else the station code the file gives */
    "  iata TEXT, icao TEXT,"
    "  country TEXT," /* ISO 3166-1 alpha-2 where known, else as the file names it */
    "  region TEXT,"  /* GTD region, derived from the country */
    "  city TEXT,"
    "  lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),"
    "  lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),"
    "  size TEXT,"  /* large_airport, medium_airport, station category, ... */
    "  extra TEXT," /* the file's other columns, as a JSON object */
    "  row_hash INTEGER NOT NULL DEFAULT 0," /* content hash, for change detection */
    "  UNIQUE (source, source_id)"
    ");"
    "CREATE INDEX sites_kind ON sites (kind);"
    "CREATE INDEX sites_code ON sites (code COLLATE NOCASE);"
    "CREATE INDEX sites_iata ON sites (iata COLLATE NOCASE);"
    "CREATE INDEX sites_icao ON sites (icao COLLATE NOCASE);"
    "CREATE TABLE site_assessments ("
    "  site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,"
    "  item TEXT NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('met', 'gap')),"
    "  notes TEXT,"
    "  assessed_on TEXT NOT NULL,"
    "  assessed_by TEXT,"
    "  PRIMARY KEY (site_id, item)"
    ") WITHOUT ROWID;"
    "CREATE TABLE site_ratings ("
    "  site_id INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,"
    "  criterion TEXT NOT NULL,"
    "  value INTEGER NOT NULL CHECK (value BETWEEN 1 AND 10),"
    "  notes TEXT,"
    "  rated_on TEXT NOT NULL,"
    "  PRIMARY KEY (site_id, criterion)"
    ") WITHOUT ROWID;",
    /* 7: the last report id given, so that an id is never given twice: reports.id alone would
     * give the id of a deleted last report to the next one, and "report:42" in the audit log
     * and the event stream would then name two reports (vg_report_create); */
    "INSERT INTO meta VALUES ('reports_last_id', coalesce((SELECT max(id) FROM reports), 0));"
    /* and the identity of the database, a random number, which the analytic cube records: a cube
     * file of another database put beside it is then not taken for its own */
    "INSERT INTO meta VALUES ('database_id', random() & 9223372036854775807);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int vg_store_latest_version(void)
{
    return NMIGRATIONS;
}

static int db_error(struct vg_store *s, struct vg_error *err, const char *what)
{
    return vg_error_set(err, VG_EDB, "%s: %s", what, s && s->db ? sqlite3_errmsg(s->db) : "?");
}

int vg_store_exec(struct vg_store *s, const char *sql, struct vg_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        vg_error_set(err, VG_EDB, "%s", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return VG_EDB;
    }
    return 0;
}

/* Runs a cached statement that returns no rows. */
static int run_cached(struct vg_store *s, const char *sql, struct vg_error *err)
{
    sqlite3_stmt *st;
    int rc = vg_store_stmt(s, sql, &st, err);
    if (rc)
        return rc;
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(s->db));
    vg_store_stmt_done(s, st);
    return rc;
}

static const char begin_sql[] = "BEGIN IMMEDIATE", begin_read_sql[] = "BEGIN",
                  commit_sql[] = "COMMIT", savepoint_sql[] = "SAVEPOINT vg_nested",
                  release_sql[] = "RELEASE vg_nested", rollback_sql[] = "ROLLBACK";

int vg_store_begin(struct vg_store *s, struct vg_error *err)
{
    if (sqlite3_get_autocommit(s->db))
        return run_cached(s, begin_sql, err);
    int rc = run_cached(s, savepoint_sql, err);
    if (!rc)
        s->nested++;
    return rc;
}

int vg_store_begin_read(struct vg_store *s, struct vg_error *err)
{
    return run_cached(s, begin_read_sql, err);
}

int vg_store_commit(struct vg_store *s, struct vg_error *err)
{
    if (!s->nested)
        return run_cached(s, commit_sql, err);
    int rc = run_cached(s, release_sql, err);
    if (!rc)
        s->nested--;
    return rc;
}

void vg_store_rollback(struct vg_store *s)
{
    if (!s || sqlite3_get_autocommit(s->db)) {
        if (s)
            s->nested = 0; /* SQLite ended the transaction itself (an error that rolls back) */
        return;
    }
    if (s->nested) {
        sqlite3_exec(s->db, "ROLLBACK TO vg_nested; RELEASE vg_nested", NULL, NULL, NULL);
        s->nested--;
    } else {
        struct vg_error err;
        if (run_cached(s, rollback_sql, &err))
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

/* Sets the journal mode; returns 0 when the database is in that mode afterwards. */
static int set_journal_mode(struct vg_store *s, const char *mode)
{
    char sql[64];
    sqlite3_stmt *st = NULL;
    int rc = VG_EDB;
    /* Already in that mode (the usual case): changing it would take a lock that busy writers may
     * hold, so it is only asked when needed. */
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *now = (const char *)sqlite3_column_text(st, 0);
        rc = now && strcasecmp(now, mode) == 0 ? 0 : VG_EDB;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == 0)
        return 0;
    snprintf(sql, sizeof(sql), "PRAGMA journal_mode=%s", mode);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *now = (const char *)sqlite3_column_text(st, 0);
        if (now && strcasecmp(now, mode) == 0)
            rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

int vg_store_bulk_begin(struct vg_store *s)
{
    /* Leaving WAL needs an exclusive lock: it fails at once (no busy wait) when others read. */
    sqlite3_busy_timeout(s->db, 0);
    int rc = set_journal_mode(s, "DELETE");
    sqlite3_busy_timeout(s->db, 10000);
    if (rc)
        set_journal_mode(s, "WAL");
    return rc;
}

void vg_store_bulk_end(struct vg_store *s)
{
    set_journal_mode(s, "WAL");
}

int vg_store_version(struct vg_store *s, int *version)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return VG_EDB;
    int rc = VG_EDB;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *version = sqlite3_column_int(st, 0);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

static int migrate(struct vg_store *s, struct vg_error *err)
{
    int version;
    if (vg_store_version(s, &version))
        return db_error(s, err, "cannot read the schema version");
    if (version > NMIGRATIONS)
        return vg_error_set(err, VG_EDB,
                            "the database is at schema version %d, newer than this build (%d)",
                            version, NMIGRATIONS);
    for (int v = version; v < NMIGRATIONS; v++) {
        char pragma[64];
        int rc = vg_store_begin(s, err);
        if (rc)
            return rc;
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
        if ((rc = vg_store_exec(s, migrations[v], err)) || (rc = vg_store_exec(s, pragma, err)) ||
            (rc = vg_store_commit(s, err))) {
            vg_store_rollback(s);
            return rc;
        }
    }
    return 0;
}

/* Process-wide settings, made once before SQLite's first use: no memory statistics (they take a
 * global mutex on every allocation, which serialises the server's threads). */
static void configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int vg_store_open(const char *path, int flags, struct vg_store **out, struct vg_error *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, configure);
    struct vg_store *s = vg_calloc(1, sizeof(*s));
    if (!s)
        return vg_error_set(err, VG_ENOMEM, "out of memory");
    int oflags = (flags & VG_STORE_READONLY) ? SQLITE_OPEN_READONLY
                                             : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int rc;
    if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        rc = vg_error_set(err, VG_EDB, "cannot open database %s: %s", path,
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    sqlite3_extended_result_codes(s->db, 1);
    /* A database newer than this build is refused before anything in it is changed. */
    int version = 0;
    if (vg_store_version(s, &version) == 0 && version > NMIGRATIONS) {
        rc = vg_error_set(err, VG_EDB,
                          "the database is at schema version %d, newer than this build (%d)",
                          version, NMIGRATIONS);
        goto fail;
    }
    /* A new database gets 16 KiB pages: incident rows are a few hundred bytes and large pages cut
     * the B-tree work of an ingest by about a fifth. Only possible before the first write. */
    if (!(flags & VG_STORE_READONLY) && (rc = vg_store_exec(s, "PRAGMA page_size=16384", err)))
        goto fail;
    int in_memory = strcmp(path, ":memory:") == 0 || path[0] == '\0';
    if (!(flags & VG_STORE_READONLY) && !in_memory && set_journal_mode(s, "WAL")) {
        rc = vg_error_set(err, VG_EDB, "cannot put database %s in WAL mode: %s", path,
                          sqlite3_errmsg(s->db));
        goto fail;
    }
    if ((rc = vg_store_exec(s,
                            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY",
                            err)))
        goto fail;
    if (flags & VG_STORE_READONLY) {
        if (vg_store_version(s, &version) || version != NMIGRATIONS) {
            rc = vg_error_set(err, VG_EDB,
                              "database %s is not a Vigil database at schema version %d", path,
                              NMIGRATIONS);
            goto fail;
        }
    } else if ((rc = migrate(s, err))) {
        goto fail;
    }
    *out = s;
    return 0;
fail:
    vg_store_close(s);
    return rc;
}

void vg_store_close(struct vg_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nstmts; i++)
        sqlite3_finalize(s->stmts[i].st);
    sqlite3_close_v2(s->db);
    vg_free(s);
}

struct sqlite3 *vg_store_db(struct vg_store *s)
{
    return s->db;
}

struct vg_audit_sink *vg_store_audit_sink(struct vg_store *s)
{
    return &s->sink;
}

int vg_store_stmt(struct vg_store *s, const char *sql, struct sqlite3_stmt **out,
                  struct vg_error *err)
{
    for (int i = 0; i < s->nstmts; i++)
        if (s->stmts[i].sql == sql) {
            sqlite3_reset(s->stmts[i].st);
            sqlite3_clear_bindings(s->stmts[i].st);
            *out = s->stmts[i].st;
            return 0;
        }
    sqlite3_stmt *st = NULL;
    unsigned flags = s->nstmts < STMT_CACHE ? SQLITE_PREPARE_PERSISTENT : 0;
    if (sqlite3_prepare_v3(s->db, sql, -1, flags, &st, NULL) != SQLITE_OK) {
        vg_error_set(err, VG_EDB, "%s", sqlite3_errmsg(s->db));
        return VG_EDB;
    }
    if (s->nstmts < STMT_CACHE) {
        s->stmts[s->nstmts].sql = sql;
        s->stmts[s->nstmts].st = st;
        s->nstmts++;
    }
    *out = st;
    return 0;
}

void vg_store_stmt_done(struct vg_store *s, struct sqlite3_stmt *st)
{
    if (!st)
        return;
    for (int i = 0; i < s->nstmts; i++)
        if (s->stmts[i].st == st) {
            sqlite3_reset(st);
            return;
        }
    sqlite3_finalize(st);
}
