/* assess_file.c - reading a CSV file of checklist answers (the `--file` of `vigil sites
 * assess`) into the store.
 *
 * The file is read with the streaming CSV reader (csv.h: delimiter detected, byte order mark
 * skipped, CRLF taken, records and fields capped). The first record is the header: the columns
 * site, item, status, notes and date are found by name without case, the first of each name
 * winning; site, item and status are required, the others optional, every other column is
 * ignored. Each later record is one answer: its site is found with vg_site_lookup (an id or a
 * code, with the rule of sites.c), its item in the checklist of the site's kind (the scales),
 * its status parsed (met or gap), its date checked (a real day, YYYY-MM-DD; empty: opts->today),
 * its notes capped at VG_ASSESS_NOTE_MAX bytes. A record the reader could not read, or one that
 * fails a check, is rejected on its own (on_reject, with its line, column, reason and raw
 * bytes); blank lines are skipped, before the header too. Only a failure of the whole (no header,
 * a required column missing, the store or memory failing, on_reject asking to stop) ends the
 * reading early, and then the transaction is rolled back: nothing of the file is kept.
 *
 * The shape of a record is checked before its values, as ingest.c does: it must have as many
 * fields as the header. A record over several lines is a quoted field with line ends in it, which
 * only the notes may hold; when its field count is wrong, a closing quote is followed by other
 * text, or a line end sits in another column, it is most likely a stray quote that swallowed the
 * lines after it: its first line is rejected and the reader goes back (vg_csv_resync) to read the
 * others as rows of their own. The file has no encoding option: the values taken (site, item,
 * status, notes, date) must be UTF-8 without NUL bytes, or the row is rejected, since the notes
 * are given out again as JSON and a NUL would cut them short in the store.
 *
 * The checks are the ones `vigil sites assess --file` made when it parsed the file itself; the
 * parsing moved here so that a fuzz target (fuzz/fuzz_assess.c) reaches it.
 *
 * Writes: one vg_store_begin for the file (a savepoint when the caller holds a transaction, as
 * the CLI does to add its audit record), one vg_risk_answer_set per stored row.
 *
 * Ownership: everything allocated is freed before returning; the strings a vg_reject points to
 * are valid during the callback only. One store, one thread. */
#include "vigil/assess_file.h"
#include "vigil/csv.h"
#include "vigil/risk.h"
#include "vigil/sites.h"
#include "vigil/store.h"
#include "vigil/text.h"

#include "reject.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum col { C_SITE, C_ITEM, C_STATUS, C_NOTES, C_DATE, C_COUNT };
static const char *const col_names[C_COUNT] = {"site", "item", "status", "notes", "date"};

int vg_assess_date_valid(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= days[m - 1] + (m == 2 && leap);
}

struct reading {
    struct vg_store *store;
    const char *name;
    const struct vg_assess_file_opts *opts;
    struct vg_assess_file_stats *stats;
    struct vg_error *err;
};

static int reject(struct reading *rd, const struct vg_csv_record *rec, const char *column,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Counts a rejected row and reports it: 0, or the code that stops the reading. */
static int reject(struct reading *rd, const struct vg_csv_record *rec, const char *column,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rd->stats->rejected++;
    int rc = vg__reject_report(rd->opts->on_reject, rd->opts->ctx, rd->name, rec, column, rd->err,
                               fmt, ap);
    va_end(ap);
    return rc;
}

/* The column other than the notes in which the record holds a line end, or -1. */
static int line_end_column(const struct vg_csv_record *rec, const int *col)
{
    for (int c = 0; c < C_COUNT; c++)
        if (c != C_NOTES && col[c] >= 0 && (size_t)col[c] < rec->nfields &&
            memchr(rec->fields[col[c]], '\n', rec->lens[col[c]]))
            return c;
    return -1;
}

/* Checks the shape of a record read with ncols header fields: 1 when it is sound, else 0 with
 * the record rejected (*rc: 0, or the code that stops the reading). A record over several lines
 * that fails is rejected by its first line only, and the reader resumes on its second. */
static int shape_ok(struct reading *rd, struct vg_csv *csv, const struct vg_csv_record *rec,
                    const int *col, size_t ncols, int *rc)
{
    const char *nl = memchr(rec->raw, '\n', rec->raw_len);
    int bad_col = nl ? line_end_column(rec, col) : -1;
    if (rec->nfields == ncols && (!nl || (!rec->text_after_quote && bad_col < 0)))
        return 1;
    if (!nl) {
        *rc = reject(rd, rec, "", "expected %zu fields as in the header, found %zu", ncols,
                     rec->nfields);
        return 0;
    }
    /* A stray quote, most likely: reject the first line, read the others again. */
    struct vg_csv_record first = *rec;
    first.raw_len = (size_t)(nl - rec->raw);
    if (first.raw_len && first.raw[first.raw_len - 1] == '\r')
        first.raw_len--;
    if (rec->nfields != ncols)
        *rc = reject(rd, &first, "",
                     "expected %zu fields as in the header, found %zu in a quoted field spanning "
                     "lines; reading resumes on the next line",
                     ncols, rec->nfields);
    else if (rec->text_after_quote)
        *rc = reject(rd, &first, "",
                     "a quoted field spanning lines closes before other text: a stray quote; "
                     "reading resumes on the next line");
    else
        *rc = reject(rd, &first, col_names[bad_col],
                     "a quoted field spanning lines (only the notes may hold a line end): a stray "
                     "quote; reading resumes on the next line");
    vg_csv_resync(csv);
    return 0;
}

/* Takes one data record: 0 (stored or rejected), or a negative code that ends the reading. */
static int take_row(struct reading *rd, const struct vg_csv_record *rec, const int *col)
{
    const char *v[C_COUNT];
    for (int c = 0; c < C_COUNT; c++) {
        v[c] = col[c] >= 0 && (size_t)col[c] < rec->nfields ? rec->fields[col[c]] : "";
        size_t len = col[c] >= 0 && (size_t)col[c] < rec->nfields ? rec->lens[col[c]] : 0;
        if (memchr(v[c], '\0', len))
            return reject(rd, rec, col_names[c], "the text holds a NUL byte");
        if (!vg_text_is_utf8(v[c], len))
            return reject(rd, rec, col_names[c],
                          "text is not valid UTF-8 (the file must be UTF-8)");
    }
    if (!v[C_SITE][0])
        return reject(rd, rec, "site", "empty: give the site's id or code");
    struct vg_site site;
    struct vg_error e;
    int rc = vg_site_lookup(rd->store, v[C_SITE], &site, NULL, &e);
    if (rc == VG_EDB || rc == VG_ENOMEM) {
        *rd->err = e;
        return rc;
    }
    if (rc)
        return reject(rd, rec, "site", "%s", e.message);
    const char *kind = vg_site_kind_name(site.kind);
    const struct vg_risk_item *it = vg_risk_item_find(rd->opts->scales, kind, v[C_ITEM]);
    struct vg_risk_answer a = {0};
    if (!it) {
        vg_risk_item_error(rd->opts->scales, kind, v[C_ITEM], &e);
        rc = reject(rd, rec, "item", "%s", e.message);
    } else if (vg_risk_status_parse(v[C_STATUS], &a.status, &e)) {
        rc = reject(rd, rec, "status", "%s", e.message);
    } else if (v[C_DATE][0] && !vg_assess_date_valid(v[C_DATE])) {
        rc = reject(rd, rec, "date", "'%.40s' is not a date YYYY-MM-DD", v[C_DATE]);
    } else if (strlen(v[C_NOTES]) > VG_ASSESS_NOTE_MAX) {
        rc = reject(rd, rec, "notes", "longer than %d bytes", VG_ASSESS_NOTE_MAX);
    } else {
        a.item = it->name;
        a.notes = v[C_NOTES];
        a.date = v[C_DATE][0] ? v[C_DATE] : rd->opts->today;
        rc = vg_risk_answer_set(rd->store, site.id, &a, rd->opts->by, rd->err);
        if (!rc)
            rd->stats->stored++;
    }
    vg_site_cleanup(&site);
    return rc;
}

/* The header cannot be taken: err holds code and message, located in the file (at line, 0:
 * none). */
static int header_error(struct reading *rd, int code, long line, const char *msg)
{
    int rc = vg_error_set(rd->err, code, "%s", msg);
    if (rd->err) {
        snprintf(rd->err->file, sizeof(rd->err->file), "%s", rd->name);
        rd->err->line = line;
    }
    return rc;
}

/* Reads the header and every record of csv. */
static int read_all(struct reading *rd, struct vg_csv *csv)
{
    struct vg_csv_record rec;
    int col[C_COUNT] = {-1, -1, -1, -1, -1};
    int step;
    /* The header: the first record that is not blank. */
    do {
        step = vg_csv_next(csv, &rec);
    } while (step == 1 && !rec.error && rec.nfields == 1 && rec.lens[0] == 0);
    if (step < 0)
        return header_error(rd, step, 0, vg_strerror(step));
    if (step == 0)
        return header_error(rd, VG_EFORMAT, 0,
                            "empty file: expected a header line site,item,status,notes,date");
    if (rec.error)
        return header_error(rd, VG_EFORMAT, rec.line,
                            rec.error_msg ? rec.error_msg : "the header cannot be read");
    size_t ncols = rec.nfields;
    for (size_t f = 0; f < rec.nfields; f++)
        for (int c = 0; c < C_COUNT; c++)
            if (col[c] < 0 && strcasecmp(rec.fields[f], col_names[c]) == 0)
                col[c] = (int)f;
    for (int c = 0; c <= C_STATUS; c++) {
        if (col[c] < 0) {
            char msg[160];
            snprintf(msg, sizeof(msg),
                     "missing column '%s' (the columns are site, item, status, and optionally "
                     "notes, date)",
                     col_names[c]);
            return header_error(rd, VG_EFORMAT, rec.line, msg);
        }
    }
    int rc = 0;
    while (!rc && (step = vg_csv_next(csv, &rec)) == 1) {
        if (rec.error) {
            rd->stats->rows++;
            rc = reject(rd, &rec, "", "%s", rec.error_msg ? rec.error_msg : "bad row");
            continue;
        }
        if (rec.nfields == 1 && rec.lens[0] == 0)
            continue; /* a blank line */
        rd->stats->rows++;
        if (shape_ok(rd, csv, &rec, col, ncols, &rc))
            rc = take_row(rd, &rec, col);
    }
    if (!rc && step < 0) {
        vg_error_set(rd->err, step, "cannot read %s: %s", rd->name, vg_strerror(step));
        return step;
    }
    return rc;
}

/* Reads csv in a transaction, adding to stats only when it is committed. */
static int read_csv(struct vg_store *s, struct vg_csv *csv, const char *name,
                    const struct vg_assess_file_opts *opts, struct vg_assess_file_stats *stats,
                    struct vg_error *err)
{
    struct vg_assess_file_stats mine = {0, 0, 0};
    struct reading rd = {s, name, opts, &mine, err};
    int rc = vg_store_begin(s, err);
    if (rc)
        return rc;
    rc = read_all(&rd, csv);
    if (rc) {
        vg_store_rollback(s);
        return rc;
    }
    if ((rc = vg_store_commit(s, err)))
        return rc;
    stats->rows += mine.rows;
    stats->stored += mine.stored;
    stats->rejected += mine.rejected;
    return 0;
}

static int check_opts(const struct vg_assess_file_opts *opts, struct vg_error *err)
{
    if (!opts || !opts->scales || !opts->today || !vg_assess_date_valid(opts->today))
        return vg_error_set(err, VG_EINVAL, "reading answers needs the scales and today's date");
    return 0;
}

/* Reads the file from fd, or (mem set) from the len bytes at data: the two entry points. */
static int read_source(struct vg_store *s, int mem, int fd, const char *data, size_t len,
                       const char *name, const struct vg_assess_file_opts *opts,
                       struct vg_assess_file_stats *stats, struct vg_error *err)
{
    struct vg_error local;
    if (!err)
        err = &local;
    vg_error_clear(err);
    int rc = check_opts(opts, err);
    if (rc)
        return rc;
    struct vg_csv *csv = NULL;
    if ((rc = mem ? vg_csv_open_mem(data, len, NULL, &csv) : vg_csv_open_fd(fd, NULL, &csv)))
        return vg_error_set(err, rc, "%s", vg_strerror(rc));
    rc = read_csv(s, csv, name, opts, stats, err);
    vg_csv_destroy(csv);
    return rc;
}

int vg_assess_file_read_fd(struct vg_store *s, int fd, const char *name,
                           const struct vg_assess_file_opts *opts,
                           struct vg_assess_file_stats *stats, struct vg_error *err)
{
    return read_source(s, 0, fd, NULL, 0, name, opts, stats, err);
}

int vg_assess_file_read_mem(struct vg_store *s, const char *data, size_t len, const char *name,
                            const struct vg_assess_file_opts *opts,
                            struct vg_assess_file_stats *stats, struct vg_error *err)
{
    return read_source(s, 1, -1, data, len, name, opts, stats, err);
}
