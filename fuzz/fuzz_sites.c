/* fuzz_sites.c - libFuzzer target for the import of site files (src/assess/sites.c, over
 * src/core/csv.c and the store).
 *
 * Input layout: the first byte chooses the options, the rest is the file.
 *   bits 0-1  encoding: 0 auto, 1 UTF-8, 2 Latin-1, 3 auto
 *   bits 2-4  site kind (modulo 6)
 * The file is imported into an in-memory store (opened once per process, emptied after each
 * input), then imported again.
 *
 * Properties checked:
 *   - the result is 0, or a problem of the file as a whole (VG_EFORMAT, VG_ETOOBIG);
 *   - every rejected row has a line between 1 and the number of lines, a non-empty reason, and
 *     raw bytes that occur in the file as they are;
 *   - the counts add up: rows = inserted + updated + unchanged + rejected, rejected equals the
 *     number of on_reject calls, and the table holds exactly the inserted sites;
 *   - the second import changes nothing (every stored row unchanged, the same rows rejected);
 *   - no transaction is left open. */
#include "vigil/error.h"
#include "vigil/sites.h"
#include "vigil/store.h"

#include "fuzz_check.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
    const uint8_t *file;
    size_t len;
    long max_line;
    int64_t rejects;
};

static int on_reject(void *p, const struct vg_reject *rej)
{
    struct ctx *c = p;
    FUZZ_CHECK(rej->file && rej->column && rej->reason);
    FUZZ_CHECK_MSG(rej->line >= 1 && rej->line <= c->max_line,
                   "reject at line %ld, the file has %ld lines", rej->line, c->max_line);
    FUZZ_CHECK_MSG(rej->reason[0] != '\0', "line %ld: empty reason", rej->line);
    FUZZ_CHECK(rej->raw || rej->raw_len == 0);
    FUZZ_CHECK_MSG(rej->raw_len == 0 || memmem(c->file, c->len, rej->raw, rej->raw_len),
                   "line %ld: raw does not occur in the file (reason: %s)", rej->line, rej->reason);
    c->rejects++;
    return 0;
}

static int64_t count_sites(struct vg_store *s)
{
    sqlite3_stmt *st;
    FUZZ_CHECK(sqlite3_prepare_v2(vg_store_db(s), "SELECT count(*) FROM sites", -1, &st, NULL) ==
               SQLITE_OK);
    FUZZ_CHECK(sqlite3_step(st) == SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum vg_encoding encodings[4] = {VG_ENCODING_AUTO, VG_ENCODING_UTF8,
                                                  VG_ENCODING_LATIN1, VG_ENCODING_AUTO};
    static struct vg_store *store;
    struct vg_error err;
    if (size < 1)
        return 0;
    if (!store) {
        int rc = vg_store_open(":memory:", 0, &store, &err);
        FUZZ_CHECK_MSG(rc == 0, "cannot open an in-memory store: %s", err.message);
    }
    struct ctx c = {.file = data + 1, .len = size - 1, .max_line = 1};
    for (size_t i = 0; i < c.len; i++)
        c.max_line += c.file[i] == '\n';
    struct vg_sites_import_opts opts = {0};
    opts.encoding = encodings[data[0] & 3];
    opts.kind = (enum vg_site_kind)((data[0] >> 2 & 7) % VG_SITE_KIND_COUNT);
    opts.on_reject = on_reject;
    opts.ctx = &c;
    struct vg_ingest_stats st = {0};
    int rc = vg_sites_import_mem(store, (const char *)c.file, c.len, "fuzz.csv", &opts, &st, &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT || rc == VG_ETOOBIG, "import: %d %s", rc,
                   err.message);
    FUZZ_CHECK(sqlite3_get_autocommit(vg_store_db(store)));
    if (rc == 0) {
        FUZZ_CHECK(st.rows == st.inserted + st.updated + st.unchanged + st.rejected);
        FUZZ_CHECK(st.updated == 0 && st.unchanged == 0);
        FUZZ_CHECK(st.rejected == c.rejects);
        FUZZ_CHECK(count_sites(store) == st.inserted);
        struct vg_ingest_stats again = {0};
        c.rejects = 0;
        rc = vg_sites_import_mem(store, (const char *)c.file, c.len, "fuzz.csv", &opts, &again,
                                 &err);
        FUZZ_CHECK_MSG(rc == 0, "second import: %s", err.message);
        FUZZ_CHECK_MSG(again.unchanged == st.inserted && again.inserted == 0 &&
                           again.updated == 0 && again.rejected == st.rejected,
                       "second import: %lld inserted %lld updated %lld unchanged %lld rejected",
                       (long long)again.inserted, (long long)again.updated,
                       (long long)again.unchanged, (long long)again.rejected);
    } else {
        FUZZ_CHECK(count_sites(store) == 0);
    }
    FUZZ_CHECK(vg_store_exec(store, "DELETE FROM sites", &err) == 0);
    return 0;
}
