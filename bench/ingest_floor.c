/* ingest_floor.c - what SQLite alone needs to write the incidents table, for bench/ingest.
 *
 * Usage: ingest_floor VIGIL_DB OUT_DB upsert|least
 *
 * Reads every row of the incidents table of VIGIL_DB (a database `vigil ingest` made) into memory,
 * then times writing them into OUT_DB, a new database with the same table, in one of two ways:
 *
 *   upsert  what `vigil ingest` asks of SQLite: the table with its unique (source, source_id)
 *           index, Vigil's INSERT ... ON CONFLICT DO UPDATE, a transaction per 65,536 rows,
 *           rollback journal, synchronous=NORMAL, 16 KiB pages;
 *   least   the least SQLite can do to hold the same rows: no index at all, plain INSERT, one
 *           transaction, no journal, synchronous=OFF (not crash-safe: a bound, not a way to run).
 *
 * Nothing is parsed and nothing converted: the values are bound from memory, as they were stored.
 * Prints one line, "ROWS SECONDS", the seconds taken by the writing alone (from the first insert
 * to the end of the last commit). Exit status 0, or 1 with a message on stderr.
 *
 * The columns are taken from VIGIL_DB's own table in its order, so the figure follows the schema
 * of the vigil that made it. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 65536

struct value {
    int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_NULL */
    int len;
    union {
        sqlite3_int64 i;
        double d;
        char *s;
    } u;
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void die(const char *what, sqlite3 *db)
{
    fprintf(stderr, "ingest_floor: %s%s%s\n", what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "ingest_floor: %s: %s\n", sql, msg ? msg : "?");
        exit(1);
    }
}

/* Appends to buf (of size cap) at *len; dies when it does not fit. */
static void put(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n + 1 > cap) {
        fprintf(stderr, "ingest_floor: statement too long\n");
        exit(1);
    }
    memcpy(buf + *len, s, n + 1);
    *len += n;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[3], "upsert") != 0 && strcmp(argv[3], "least") != 0)) {
        fprintf(stderr, "usage: ingest_floor VIGIL_DB OUT_DB upsert|least\n");
        return 1;
    }
    int upsert = strcmp(argv[3], "upsert") == 0;
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

    /* The table as vigil made it, and every row of it. */
    sqlite3 *src;
    if (sqlite3_open_v2(argv[1], &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("cannot open the vigil database", src);
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(src,
                           "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = "
                           "'incidents'",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_step(q) != SQLITE_ROW)
        die("no incidents table in the vigil database", src);
    char *create = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    if (sqlite3_prepare_v2(src, "SELECT * FROM incidents ORDER BY id", -1, &q, NULL) != SQLITE_OK)
        die("cannot read the incidents", src);
    int ncol = sqlite3_column_count(q);
    size_t cap = 1 << 20, n = 0;
    struct value *v = malloc(cap * (size_t)ncol * sizeof(*v));
    if (!v)
        die("out of memory", NULL);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (n == cap) {
            cap *= 2;
            if (!(v = realloc(v, cap * (size_t)ncol * sizeof(*v))))
                die("out of memory", NULL);
        }
        for (int c = 0; c < ncol; c++) {
            struct value *x = &v[n * (size_t)ncol + (size_t)c];
            x->type = sqlite3_column_type(q, c);
            if (x->type == SQLITE_INTEGER) {
                x->u.i = sqlite3_column_int64(q, c);
            } else if (x->type == SQLITE_FLOAT) {
                x->u.d = sqlite3_column_double(q, c);
            } else if (x->type == SQLITE_TEXT || x->type == SQLITE_BLOB) {
                x->type = SQLITE_TEXT;
                x->len = sqlite3_column_bytes(q, c);
                if (!(x->u.s = malloc((size_t)x->len + 1)))
                    die("out of memory", NULL);
                memcpy(x->u.s, sqlite3_column_text(q, c), (size_t)x->len + 1);
            }
        }
        n++;
    }
    if (rc != SQLITE_DONE)
        die("cannot read the incidents", src);

    /* The statement: every column but the id (SQLite chooses it, as for vigil). */
    char sql[8192], names[4096];
    size_t sl = 0, nl = 0;
    names[0] = '\0';
    for (int c = 1; c < ncol; c++) {
        if (c > 1)
            put(names, sizeof(names), &nl, ", ");
        put(names, sizeof(names), &nl, sqlite3_column_name(q, c));
    }
    sql[0] = '\0';
    put(sql, sizeof(sql), &sl, "INSERT INTO incidents (");
    put(sql, sizeof(sql), &sl, names);
    put(sql, sizeof(sql), &sl, ") VALUES (");
    for (int c = 1; c < ncol; c++) {
        char p[16];
        snprintf(p, sizeof(p), "%s?%d", c > 1 ? ", " : "", c);
        put(sql, sizeof(sql), &sl, p);
    }
    put(sql, sizeof(sql), &sl, ")");
    if (upsert) {
        put(sql, sizeof(sql), &sl, " ON CONFLICT (source, source_id) DO UPDATE SET ");
        int first = 1;
        for (int c = 1; c < ncol; c++) {
            const char *name = sqlite3_column_name(q, c);
            if (strcmp(name, "source") == 0 || strcmp(name, "source_id") == 0)
                continue;
            char p[128];
            snprintf(p, sizeof(p), "%s%s = ?%d", first ? "" : ", ", name, c);
            put(sql, sizeof(sql), &sl, p);
            first = 0;
        }
        int hash_col = 0;
        for (int c = 1; c < ncol; c++)
            if (strcmp(sqlite3_column_name(q, c), "row_hash") == 0)
                hash_col = c;
        if (!hash_col)
            die("the incidents table has no row_hash column", NULL);
        char p[64];
        snprintf(p, sizeof(p), " WHERE row_hash <> ?%d", hash_col);
        put(sql, sizeof(sql), &sl, p);
    }
    sqlite3_finalize(q);

    /* The new database. */
    remove(argv[2]);
    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK)
        die("cannot make the new database", db);
    exec(db, "PRAGMA page_size=16384");
    exec(db, upsert ? "PRAGMA journal_mode=DELETE" : "PRAGMA journal_mode=OFF");
    exec(db, upsert ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF");
    exec(db, "PRAGMA cache_size=-65536");
    exec(db, create);
    if (upsert) {
        /* The indexes vigil made (a table constraint's index comes with the table itself). */
        sqlite3_stmt *ix;
        if (sqlite3_prepare_v2(src, "SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                                    "tbl_name = 'incidents' AND sql IS NOT NULL",
                               -1, &ix, NULL) != SQLITE_OK)
            die("cannot list the indexes of the vigil database", src);
        while ((rc = sqlite3_step(ix)) == SQLITE_ROW)
            exec(db, (const char *)sqlite3_column_text(ix, 0));
        if (rc != SQLITE_DONE)
            die("cannot list the indexes of the vigil database", src);
        sqlite3_finalize(ix);
    } else {
        /* A table constraint makes an index that cannot be dropped: the table is made again
         * without it (from the comma before the constraint to its end). */
        static const char constraint[] = "UNIQUE (source, source_id)";
        char *u = strstr(create, constraint);
        if (u) {
            char *from = u;
            while (from > create && from[-1] != ',')
                from--;
            if (from == create)
                die("cannot read the table's definition", NULL);
            from--;
            exec(db, "DROP TABLE incidents");
            memmove(from, u + strlen(constraint), strlen(u + strlen(constraint)) + 1);
            exec(db, create);
        }
        sqlite3_stmt *ix;
        if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'", -1,
                               &ix, NULL) != SQLITE_OK ||
            sqlite3_step(ix) != SQLITE_ROW)
            die("cannot list the indexes", db);
        if (sqlite3_column_int(ix, 0) != 0)
            die("the table still has an index", NULL);
        sqlite3_finalize(ix);
    }
    sqlite3_close(src);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        die("cannot prepare the insert", db);

    double t0 = now();
    exec(db, "BEGIN");
    for (size_t r = 0; r < n; r++) {
        for (int c = 1; c < ncol; c++) {
            const struct value *x = &v[r * (size_t)ncol + (size_t)c];
            switch (x->type) {
            case SQLITE_INTEGER:
                sqlite3_bind_int64(st, c, x->u.i);
                break;
            case SQLITE_FLOAT:
                sqlite3_bind_double(st, c, x->u.d);
                break;
            case SQLITE_TEXT:
                sqlite3_bind_text(st, c, x->u.s, x->len, SQLITE_STATIC);
                break;
            default:
                sqlite3_bind_null(st, c);
            }
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            die("cannot insert", db);
        sqlite3_reset(st);
        if (upsert && (r + 1) % BATCH == 0) {
            exec(db, "COMMIT");
            exec(db, "BEGIN");
        }
    }
    exec(db, "COMMIT");
    double t1 = now();
    sqlite3_finalize(st);
    if (sqlite3_close(db) != SQLITE_OK)
        die("cannot close the new database", db);
    printf("%zu %.3f\n", n, t1 - t0);
    return 0;
}
