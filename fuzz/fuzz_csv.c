/* fuzz_csv.c - libFuzzer target for the delimited-text reader (src/core/csv.c).
 *
 * Input layout: the first byte chooses the options, the rest is the text to read.
 *   bits 0-1  delimiter: 0 detect, 1 ',', 2 ';', 3 tab
 *   bits 2-4  caps: 0 the defaults, 1-7 a small max_record / max_fields pair, so that the
 *             "record is longer than the limit" and "too many fields" paths are reached
 *   bits 5-7  slice length for the second reading (see below)
 *
 * Every input is read twice, in lock step: once from memory (vg_csv_open_mem), where the reader
 * sees the whole input at once, and once from a descriptor (vg_csv_open_fd) on a SOCK_SEQPACKET
 * socket pair holding the input as short messages, so that each read() returns one slice and
 * records straddle the reader's buffer refills. The records of the two readings must agree.
 *
 * Properties checked on every record:
 *   - the line numbers increase, and never pass the number of lines in the input;
 *   - raw is the record's bytes as they stand in the input, ending where the reader's offset is
 *     (up to a line end of 0-2 bytes);
 *   - a good record has at least one field, every field is NUL-terminated at its length, and the
 *     fields are no longer together than raw (unquoting only removes bytes);
 *   - a good record without a quote byte in raw is exactly its fields joined by the delimiter;
 *   - an error record has no fields and a message;
 *   - the memory and descriptor readings give the same records (error records: the same line;
 *     the descriptor reading may show a shorter raw, since it holds less of the line);
 *   - vg_csv_resync, called as the ingest calls it (on a record with text after a closing quote
 *     or another field count than the first record), goes back exactly when the record spans
 *     lines, and both readings then go on alike;
 *   - the reader ends, having handed out at most one record per input byte plus one. */
#include "vigil/csv.h"
#include "vigil/error.h"

#include "fuzz_check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
    size_t max_record, max_fields;
} caps[8] = {{0, 0}, {8, 2}, {16, 3}, {32, 4}, {64, 8}, {128, 16}, {512, 64}, {2048, 512}};

static const size_t slices[8] = {1, 2, 3, 5, 8, 13, 64, 4096};

#define MAX_MESSAGES 64

static volatile unsigned char sink; /* keeps the byte reads from being optimised away */

/* Reads every byte of the record, so the sanitizers see any that lie outside their block. */
static void touch(const struct vg_csv_record *rec)
{
    unsigned char acc = 0;
    for (size_t i = 0; i < rec->raw_len; i++)
        acc ^= (unsigned char)rec->raw[i];
    for (size_t f = 0; f < rec->nfields; f++)
        for (size_t i = 0; i <= rec->lens[f]; i++)
            acc ^= (unsigned char)rec->fields[f][i];
    if (rec->error_msg)
        acc ^= (unsigned char)rec->error_msg[strlen(rec->error_msg) / 2];
    sink = acc;
}

/* raw must be the input bytes that end at the reader's offset, less a line end of 0-2 bytes. */
static int raw_in_place(const uint8_t *in, size_t len, uint64_t offset,
                        const struct vg_csv_record *rec)
{
    FUZZ_CHECK_MSG(offset <= len, "offset %llu, input %zu bytes", (unsigned long long)offset, len);
    for (size_t k = 0; k <= 2; k++) {
        if (rec->raw_len + k > offset)
            break;
        const uint8_t *at = in + offset - k - rec->raw_len;
        if (rec->raw_len == 0 || memcmp(at, rec->raw, rec->raw_len) == 0)
            return 1;
    }
    return 0;
}

static void check_record(const struct vg_csv_record *rec, char delim, const uint8_t *in, size_t len,
                         uint64_t offset, long max_line)
{
    touch(rec);
    FUZZ_CHECK_MSG(rec->line >= 1 && rec->line <= max_line, "line %ld of at most %ld", rec->line,
                   max_line);
    FUZZ_CHECK(rec->raw_len <= len);
    FUZZ_CHECK_MSG(raw_in_place(in, len, offset, rec),
                   "line %ld: raw (%zu bytes) is not the input before offset %llu", rec->line,
                   rec->raw_len, (unsigned long long)offset);
    if (rec->error) {
        FUZZ_CHECK(rec->error == VG_EFORMAT || rec->error == VG_ETOOBIG);
        FUZZ_CHECK(rec->nfields == 0 && rec->error_msg && rec->error_msg[0]);
        return;
    }
    FUZZ_CHECK(rec->nfields >= 1 && rec->fields && rec->lens);
    size_t total = rec->nfields - 1;
    for (size_t f = 0; f < rec->nfields; f++) {
        FUZZ_CHECK(rec->fields[f][rec->lens[f]] == '\0');
        total += rec->lens[f];
    }
    FUZZ_CHECK_MSG(total <= rec->raw_len, "line %ld: fields hold %zu bytes, raw only %zu",
                   rec->line, total, rec->raw_len);
    if (memchr(rec->raw, '"', rec->raw_len))
        return;
    /* No quotes: splitting at the delimiter is all there is to it. */
    size_t pos = 0;
    for (size_t f = 0; f < rec->nfields; f++) {
        if (f > 0) {
            FUZZ_CHECK_MSG(pos < rec->raw_len && rec->raw[pos] == delim,
                           "line %ld: no delimiter after field %zu", rec->line, f);
            pos++;
        }
        FUZZ_CHECK_MSG(pos + rec->lens[f] <= rec->raw_len &&
                           memcmp(rec->raw + pos, rec->fields[f], rec->lens[f]) == 0,
                       "line %ld: field %zu (%zu bytes) is not the raw text at byte %zu", rec->line,
                       f + 1, rec->lens[f], pos);
        pos += rec->lens[f];
    }
    FUZZ_CHECK_MSG(pos == rec->raw_len,
                   "line %ld: the fields joined by the delimiter make %zu bytes, raw has %zu",
                   rec->line, pos, rec->raw_len);
}

static void check_same(const struct vg_csv_record *m, const struct vg_csv_record *d)
{
    FUZZ_CHECK_MSG(!m->error == !d->error,
                   "line %ld/%ld: error %d from memory, %d from a descriptor", m->line, d->line,
                   m->error, d->error);
    FUZZ_CHECK_MSG(m->line == d->line, "line %ld from memory, %ld from a descriptor", m->line,
                   d->line);
    if (m->error) {
        FUZZ_CHECK(d->raw_len <= m->raw_len && memcmp(m->raw, d->raw, d->raw_len) == 0);
        return;
    }
    FUZZ_CHECK(m->raw_len == d->raw_len && memcmp(m->raw, d->raw, m->raw_len) == 0);
    FUZZ_CHECK(m->text_after_quote == d->text_after_quote);
    FUZZ_CHECK_MSG(m->nfields == d->nfields,
                   "line %ld: %zu fields from memory, %zu from a descriptor", m->line, m->nfields,
                   d->nfields);
    for (size_t f = 0; f < m->nfields; f++)
        FUZZ_CHECK(m->lens[f] == d->lens[f] && memcmp(m->fields[f], d->fields[f], m->lens[f]) == 0);
}

/* A socket pair whose reading end returns the input `slice` bytes at a time. Returns the reading
 * end, or -1 when the input does not fit in a few messages (the second reading is then skipped). */
static int sliced_fd(const uint8_t *in, size_t len, size_t slice)
{
    int sv[2];
    if (len == 0)
        return -1; /* an empty message would read as the end of the input */
    if (slice < (len + MAX_MESSAGES - 1) / MAX_MESSAGES)
        slice = (len + MAX_MESSAGES - 1) / MAX_MESSAGES;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -1;
    if (fcntl(sv[1], F_SETFL, O_NONBLOCK) != 0)
        goto fail;
    for (size_t at = 0; at < len; at += slice) {
        size_t n = len - at < slice ? len - at : slice;
        if (write(sv[1], in + at, n) != (ssize_t)n)
            goto fail; /* the socket's buffer is full: skip rather than block */
    }
    close(sv[1]);
    return sv[0];
fail:
    close(sv[0]);
    close(sv[1]);
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char delims[4] = {0, ',', ';', '\t'};
    if (size < 1)
        return 0;
    unsigned sel = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1;
    struct vg_csv_opts opts = {.delimiter = delims[sel & 3],
                               .max_record = caps[(sel >> 2) & 7].max_record,
                               .max_fields = caps[(sel >> 2) & 7].max_fields};
    size_t max_record = opts.max_record ? opts.max_record : VG_CSV_MAX_RECORD_DEFAULT;
    long max_line = 1;
    for (size_t i = 0; i < len; i++)
        max_line += in[i] == '\n';

    struct vg_csv *mem = NULL, *fdr = NULL;
    FUZZ_CHECK(vg_csv_open_mem(in, len, &opts, &mem) == 0);

    /* The descriptor reading finds the delimiter from what it holds of the first line with
     * content (after a byte order mark and blank lines): compare only when that holds the whole
     * line, as it always does from memory, i.e. when the line ends within max_record bytes. */
    int fd = -1;
    const uint8_t *first = in, *end = in + len;
    if (len >= 3 && memcmp(in, "\xEF\xBB\xBF", 3) == 0)
        first += 3;
    while (first < end && (*first == '\n' || *first == '\r'))
        first++;
    const uint8_t *nl = memchr(first, '\n', (size_t)(end - first));
    if (nl ? (size_t)(nl - in) < max_record : len < max_record)
        fd = sliced_fd(in, len, slices[(sel >> 5) & 7]);
    if (fd >= 0)
        FUZZ_CHECK(vg_csv_open_fd(fd, &opts, &fdr) == 0);

    struct vg_csv_record rm, rd;
    long last_line = 0;
    size_t count = 0, header_fields = 0;
    for (;;) {
        int rc = vg_csv_next(mem, &rm);
        FUZZ_CHECK_MSG(rc == 0 || rc == 1, "vg_csv_next returned %d", rc);
        char delim = vg_csv_delimiter(mem);
        FUZZ_CHECK(!opts.delimiter || delim == opts.delimiter);
        if (fdr) {
            int rc2 = vg_csv_next(fdr, &rd);
            FUZZ_CHECK_MSG(rc2 == rc, "vg_csv_next returned %d from memory, %d from a descriptor",
                           rc, rc2);
            FUZZ_CHECK_MSG(vg_csv_delimiter(fdr) == delim,
                           "delimiter 0x%02x from memory, 0x%02x from a descriptor",
                           (unsigned char)delim, (unsigned char)vg_csv_delimiter(fdr));
        }
        if (rc == 0)
            break;
        FUZZ_CHECK_MSG(++count <= len + 1, "%zu records from %zu bytes", count, len);
        check_record(&rm, delim, in, len, vg_csv_offset(mem), max_line);
        FUZZ_CHECK_MSG(rm.line > last_line, "record at line %ld after one at line %ld", rm.line,
                       last_line);
        last_line = rm.line;
        if (fdr) {
            check_record(&rd, delim, in, len, vg_csv_offset(fdr), max_line);
            check_same(&rm, &rd);
            /* After an error record the descriptor reading may still have the rest of the
             * line to skip; after a good one both stand at the next record. */
            FUZZ_CHECK(rm.error || vg_csv_offset(fdr) == vg_csv_offset(mem));
        }
        if (rm.error)
            continue;
        if (!header_fields)
            header_fields = rm.nfields;
        /* As the ingest does with a record that looks damaged: go back to its second line. */
        if (rm.text_after_quote || rm.nfields != header_fields) {
            int spans = memchr(rm.raw, '\n', rm.raw_len) != NULL;
            int back = vg_csv_resync(mem);
            FUZZ_CHECK_MSG(back == spans, "line %ld: resync returned %d for a record %s", rm.line,
                           back, spans ? "of several lines" : "of one line");
            if (fdr) {
                FUZZ_CHECK(vg_csv_resync(fdr) == back);
                FUZZ_CHECK(vg_csv_offset(fdr) == vg_csv_offset(mem));
            }
        }
    }
    FUZZ_CHECK(vg_csv_offset(mem) <= len);
    vg_csv_destroy(fdr);
    vg_csv_destroy(mem);
    if (fd >= 0)
        close(fd);
    return 0;
}
