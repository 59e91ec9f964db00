/* fuzz_ingest.h - the body shared by the ingest fuzz targets (fuzz_gtd.c, fuzz_jsonl.c).
 *
 * Input layout: the first byte chooses the options, the rest is the file.
 *   bits 0-1  encoding: 0 auto, 1 UTF-8, 2 Latin-1, 3 auto
 *   bit 2     name a source for rows without a source column (opts.source = "FUZZ")
 *   bit 3     commit after every row (opts.batch_rows = 1)
 * So a seed that starts with '0' is read with auto-detection, '1' as UTF-8, '2' as Latin-1,
 * '4'-'6' the same with a source named, '8'-':' with a commit per row.
 *
 * The file is written to a memfd and ingested with vg_ingest_fd into an in-memory store, opened
 * once per process and emptied after each input (DELETE), so inputs do not see each other's rows.
 *
 * Properties checked:
 *   - every rejected row has a line between 1 and the number of lines in the file, a non-empty
 *     reason, a column name (possibly ""), and raw bytes that occur in the file as they are;
 *   - progress never reports more bytes than the file has;
 *   - the result is 0, or for delimited text a header problem (VG_EFORMAT, VG_ETOOBIG); JSON
 *     lines have no header, so every problem there is a rejected row and the result is 0;
 *   - after a complete ingest the counts add up: rows = inserted + updated + unchanged +
 *     rejected, none negative, rejected equals the number of on_reject calls, and the table holds
 *     exactly the inserted records;
 *   - the ingest leaves no transaction open;
 *   - a check of the same input (vg_ingest_opts.check, no store) gives the same result, counts
 *     the same rows and rejects the same lines in the same order: every row the database would
 *     refuse must already be refused by the conversion's own checks. */
#ifndef VIGIL_FUZZ_INGEST_H
#define VIGIL_FUZZ_INGEST_H

#include "vigil/error.h"
#include "vigil/incident.h"
#include "vigil/ingest.h"
#include "vigil/store.h"

#include "fuzz_check.h"

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_REJECT_LINES 1024 /* the first rejected lines kept, to compare the two runs */

struct fuzz_ingest_ctx {
    const uint8_t *file;
    size_t len;
    long max_line;
    int64_t rejects;
    long lines[FUZZ_REJECT_LINES];
};

static volatile unsigned char fuzz_sink;

static int fuzz_on_reject(void *ctx, const struct vg_reject *rej)
{
    struct fuzz_ingest_ctx *c = ctx;
    FUZZ_CHECK(rej->file && rej->column && rej->reason);
    FUZZ_CHECK_MSG(rej->line >= 1 && rej->line <= c->max_line,
                   "reject at line %ld, the file has %ld lines", rej->line, c->max_line);
    FUZZ_CHECK_MSG(rej->reason[0] != '\0', "line %ld: empty reason", rej->line);
    FUZZ_CHECK_MSG(rej->raw_len <= c->len, "line %ld: raw has %zu bytes, the file %zu", rej->line,
                   rej->raw_len, c->len);
    FUZZ_CHECK(rej->raw || rej->raw_len == 0);
    unsigned char acc = (unsigned char)strlen(rej->file) ^ (unsigned char)strlen(rej->column);
    for (size_t i = 0; i < rej->raw_len; i++)
        acc ^= (unsigned char)rej->raw[i];
    fuzz_sink = acc;
    FUZZ_CHECK_MSG(rej->raw_len == 0 || memmem(c->file, c->len, rej->raw, rej->raw_len),
                   "line %ld: raw (%zu bytes) does not occur in the file (reason: %s)", rej->line,
                   rej->raw_len, rej->reason);
    if (c->rejects < FUZZ_REJECT_LINES)
        c->lines[c->rejects] = rej->line;
    c->rejects++;
    return 0;
}

static void fuzz_on_progress(void *ctx, uint64_t done, uint64_t total)
{
    const struct fuzz_ingest_ctx *c = ctx;
    FUZZ_CHECK_MSG(done <= c->len && total <= c->len,
                   "progress %llu of %llu, the file has %zu bytes", (unsigned long long)done,
                   (unsigned long long)total, c->len);
}

/* The store the inputs go into, in memory. */
static struct vg_store *fuzz_open_store(void)
{
    struct vg_store *s = NULL;
    struct vg_error err;
    int rc = vg_store_open(":memory:", 0, &s, &err);
    FUZZ_CHECK_MSG(rc == 0, "cannot open an in-memory store: %s", err.message);
    return s;
}

static int fuzz_ingest(const uint8_t *data, size_t size, enum vg_ingest_format format,
                       const char *name)
{
    static const enum vg_encoding encodings[4] = {VG_ENCODING_AUTO, VG_ENCODING_UTF8,
                                                  VG_ENCODING_LATIN1, VG_ENCODING_AUTO};
    static struct vg_store *store;
    struct vg_error err;
    if (size < 1)
        return 0;
    if (!store)
        store = fuzz_open_store();
    unsigned sel = data[0];
    struct fuzz_ingest_ctx ctx = {.file = data + 1, .len = size - 1, .max_line = 1};
    for (size_t i = 0; i < ctx.len; i++)
        ctx.max_line += ctx.file[i] == '\n';

    int fd = fuzz_memfd(ctx.file, ctx.len);

    struct vg_ingest_opts opts = {
        .format = format,
        .encoding = encodings[sel & 3],
        .source = (sel & 4) ? "FUZZ" : NULL,
        .batch_rows = (sel & 8) ? 1 : 0,
        .on_reject = fuzz_on_reject,
        .on_progress = fuzz_on_progress,
        .ctx = &ctx,
    };
    struct vg_ingest_stats st = {0};
    int rc = vg_ingest_fd(store, fd, name, &opts, &st, &err);

    /* The same input checked only. */
    struct fuzz_ingest_ctx cctx = {.file = ctx.file, .len = ctx.len, .max_line = ctx.max_line};
    struct vg_ingest_opts copts = opts;
    copts.check = 1;
    copts.batch_rows = 0;
    copts.ctx = &cctx;
    struct vg_ingest_stats cst = {0};
    struct vg_error cerr;
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    int crc = vg_ingest_fd(NULL, fd, name, &copts, &cst, &cerr);
    close(fd);
    FUZZ_CHECK_MSG(crc == rc, "the ingest returned %d (%s), the check %d (%s)", rc,
                   rc ? err.message : "", crc, crc ? cerr.message : "");
    FUZZ_CHECK_MSG(cst.rows == st.rows && cst.rejected == st.rejected,
                   "the ingest read %lld rows and rejected %lld, the check %lld and %lld",
                   (long long)st.rows, (long long)st.rejected, (long long)cst.rows,
                   (long long)cst.rejected);
    FUZZ_CHECK(cst.inserted == 0 && cst.updated == 0 && cst.unchanged == 0);
    for (int64_t i = 0; i < ctx.rejects && i < FUZZ_REJECT_LINES; i++)
        FUZZ_CHECK_MSG(cctx.lines[i] == ctx.lines[i],
                       "reject %lld: the ingest's is on line %ld, the check's on line %ld",
                       (long long)i, ctx.lines[i], cctx.lines[i]);

    if (format == VG_FORMAT_JSONL)
        FUZZ_CHECK_MSG(rc == 0, "ingest returned %d: %s (line %ld)", rc, err.message, err.line);
    else
        FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT || rc == VG_ETOOBIG,
                       "ingest returned %d: %s (line %ld)", rc, err.message, err.line);
    if (rc != 0)
        FUZZ_CHECK_MSG(err.code == rc && err.message[0], "result %d, error report %d \"%s\"", rc,
                       err.code, err.message);
    FUZZ_CHECK_MSG(sqlite3_get_autocommit(vg_store_db(store)),
                   "the ingest left a transaction open (result %d: %s)", rc, err.message);
    FUZZ_CHECK_MSG(st.rejected == ctx.rejects, "%lld rejected, %lld reported",
                   (long long)st.rejected, (long long)ctx.rejects);
    if (rc == 0) {
        int64_t stored = -1;
        FUZZ_CHECK(vg_incident_count(store, &stored, &err) == 0);
        FUZZ_CHECK_MSG(st.inserted >= 0 && st.updated >= 0 && st.unchanged >= 0 &&
                           st.rows == st.inserted + st.updated + st.unchanged + st.rejected,
                       "rows %lld, inserted %lld, updated %lld, unchanged %lld, rejected %lld",
                       (long long)st.rows, (long long)st.inserted, (long long)st.updated,
                       (long long)st.unchanged, (long long)st.rejected);
        FUZZ_CHECK_MSG(stored == st.inserted, "%lld stored, %lld inserted", (long long)stored,
                       (long long)st.inserted);
    }
    vg_store_rollback(store); /* only matters when the check above would have failed */
    FUZZ_CHECK(vg_store_exec(store, "DELETE FROM incidents", &err) == 0);
    return 0;
}

#endif
