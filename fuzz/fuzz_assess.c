/* fuzz_assess.c - libFuzzer target for the answers file of `vigil sites assess --file`
 * (vg_assess_file_read_mem in src/assess/assess_file.c, over src/core/csv.c, the site lookup of
 * src/assess/sites.c and the answers of src/assess/risk_store.c).
 *
 * The input is the file. It is read into a store opened once per process in memory, holding a
 * few sites that make the lookup rule work: the airport AAA in two files 100 m apart (ids 1, 2),
 * a station whose code is also AAA (3), a station BBB (4), and two airports CCC 50 km apart
 * (5, 6: ambiguous). The scales are the real tables of data/risk (VG_RISK_DIR, given by
 * fuzz/CMakeLists.txt). The answers are deleted after each input.
 *
 * Properties checked:
 *   - the result is 0, or VG_EFORMAT for a file refused as a whole (no header, a required column
 *     missing), with the error naming the file; then no answer is stored;
 *   - every rejected row has a line between 2 and the number of lines, a column among "", site,
 *     item, status, notes, date, a reason, and raw bytes that occur in the input as they are;
 *   - the counts add up: rows = stored + rejected, rejected = the on_reject calls, and the table
 *     holds between 1 and `stored` answers when something was stored (a row may replace an
 *     earlier answer of the same site and item), none otherwise;
 *   - no transaction is left open. */
#include "vigil/assess_file.h"
#include "vigil/error.h"
#include "vigil/risk.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include "fuzz_check.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#ifndef VG_RISK_DIR
#error "VG_RISK_DIR must name data/risk (fuzz/CMakeLists.txt defines it)"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
    const uint8_t *file;
    size_t len;
    long max_line;
    long rejects;
};

static int on_reject(void *p, const struct vg_reject *rej)
{
    static const char *const columns[] = {"", "site", "item", "status", "notes", "date"};
    struct ctx *c = p;
    FUZZ_CHECK(rej->file && rej->column && rej->reason);
    FUZZ_CHECK_MSG(rej->line >= 2 && rej->line <= c->max_line,
                   "reject at line %ld, the file has %ld lines", rej->line, c->max_line);
    FUZZ_CHECK_MSG(rej->reason[0] != '\0', "line %ld: empty reason", rej->line);
    int known = 0;
    for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
        known |= strcmp(rej->column, columns[i]) == 0;
    FUZZ_CHECK_MSG(known, "line %ld: column '%s'", rej->line, rej->column);
    FUZZ_CHECK(rej->raw || rej->raw_len == 0);
    FUZZ_CHECK_MSG(rej->raw_len == 0 || memmem(c->file, c->len, rej->raw, rej->raw_len),
                   "line %ld: raw does not occur in the file (reason: %s)", rej->line, rej->reason);
    c->rejects++;
    return 0;
}

static int64_t count(struct vg_store *s, const char *sql)
{
    sqlite3_stmt *st;
    FUZZ_CHECK(sqlite3_prepare_v2(vg_store_db(s), sql, -1, &st, NULL) == SQLITE_OK);
    FUZZ_CHECK(sqlite3_step(st) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void add_sites(struct vg_store *s, const char *name, enum vg_site_kind kind,
                      const char *text)
{
    struct vg_sites_import_opts o = {0};
    o.kind = kind;
    struct vg_ingest_stats st = {0};
    struct vg_error err;
    int rc = vg_sites_import_mem(s, text, strlen(text), name, &o, &st, &err);
    FUZZ_CHECK_MSG(rc == 0 && st.inserted == st.rows, "sites %s: %s", name, err.message);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vg_store *store;
    static struct vg_risk_scales *scales;
    struct vg_error err;
    if (!store) {
        int rc = vg_store_open(":memory:", 0, &store, &err);
        FUZZ_CHECK_MSG(rc == 0, "cannot open an in-memory store: %s", err.message);
        rc = vg_risk_scales_load(VG_RISK_DIR, VG_RISK_SCALES_VERSION, &scales, &err);
        FUZZ_CHECK_MSG(rc == 0, "the scales of %s: %s", VG_RISK_DIR, err.message);
        add_sites(store, "a.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Aport,50,8,AAA\n");
        add_sites(store, "b.csv", VG_SITE_AIRPORT, "id,name,lat,lon,iata\n1,Aport,50.001,8,AAA\n");
        add_sites(store, "c.csv", VG_SITE_RAILWAY,
                  "id,name,lat,lon,ds100\n1,Astation,51,9,AAA\n2,Bstation,52,9,BBB\n");
        add_sites(store, "d.csv", VG_SITE_AIRPORT,
                  "id,name,lat,lon,iata\n1,Cone,10,10,CCC\n2,Ctwo,10.45,10,CCC\n");
    }
    struct ctx c = {.file = data, .len = size, .max_line = 1};
    for (size_t i = 0; i < size; i++)
        c.max_line += data[i] == '\n';
    struct vg_assess_file_opts opts = {scales, "fuzz", "2026-01-15", on_reject, &c};
    struct vg_assess_file_stats st = {0, 0, 0};
    vg_error_clear(&err);
    int rc = vg_assess_file_read_mem(store, (const char *)data, size, "fuzz.csv", &opts, &st, &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT, "read: %d %s", rc, err.message);
    FUZZ_CHECK(sqlite3_get_autocommit(vg_store_db(store)));
    int64_t stored = count(store, "SELECT count(*) FROM site_assessments");
    if (rc == 0) {
        FUZZ_CHECK_MSG(st.rows == st.stored + st.rejected, "%ld rows, %ld stored, %ld rejected",
                       st.rows, st.stored, st.rejected);
        FUZZ_CHECK(st.rejected == c.rejects);
        FUZZ_CHECK_MSG(st.stored ? stored >= 1 && stored <= st.stored : stored == 0,
                       "%ld stored, %lld in the table", st.stored, (long long)stored);
        FUZZ_CHECK(st.rows < c.max_line);
    } else {
        FUZZ_CHECK(err.code == rc && err.message[0] && strcmp(err.file, "fuzz.csv") == 0);
        FUZZ_CHECK(st.rows == 0 && st.stored == 0 && st.rejected == 0 && stored == 0);
    }
    FUZZ_CHECK(vg_store_exec(store, "DELETE FROM site_assessments", &err) == 0);
    return 0;
}
