/* assess_file.h - the CSV file of checklist answers that `vigil sites assess --file` reads.
 *
 * The file has a header line naming its columns (any order, case-insensitive, others ignored):
 * site (an id or a code, found as vg_site_find finds it), item (an item of the checklist of the
 * site's kind, risk.h), status (met or gap), and optionally notes and date (YYYY-MM-DD). Each
 * row is one answer, recorded with vg_risk_answer_set. A row that cannot be taken (a number of
 * fields other than the header's, a value that is not UTF-8 or holds a NUL byte, an unknown site
 * or item, a bad status or date, notes past VG_ASSESS_NOTE_MAX) is rejected on its own, with its
 * line, column and reason, as `vigil ingest` rejects rows; the others are stored. A record over
 * several lines that looks like a stray quote (the wrong field count, text after a closing quote,
 * or a line end outside the notes) is rejected by its first line, and the lines after it are
 * read again as rows. Blank lines are skipped, before the header too. */
#ifndef VIGIL_ASSESS_FILE_H
#define VIGIL_ASSESS_FILE_H

#include "vigil/error.h"
#include "vigil/ingest.h"

#include <stddef.h>

struct vg_store;
struct vg_risk_scales;

#define VG_ASSESS_NOTE_MAX 2000 /* bytes of the notes of one answer */

struct vg_assess_file_opts {
    const struct vg_risk_scales *scales; /* required: the checklists items are looked up in */
    const char *by;                      /* who assessed, stored with each answer; may be NULL */
    const char *today;                   /* required: the date of rows without one, YYYY-MM-DD */
    /* Called for every rejected row (may be NULL); a non-zero return stops the reading with
     * that code (VG_EINVAL when it is positive). */
    int (*on_reject)(void *ctx, const struct vg_reject *rej);
    void *ctx;
};

struct vg_assess_file_stats {
    long rows; /* rows read, blank lines not counted */
    long stored, rejected;
};

/* Reads the answers of the CSV text read from fd (not closed; name stands for it in messages)
 * into the store and adds to *stats. Returns 0 when the whole file was read (rows may have been
 * rejected), or a negative code: VG_EFORMAT for a file without a header or a required column
 * (err names the file and line), VG_EIO, VG_ENOMEM, VG_EDB, or the on_reject callback's code.
 * The answers are written in one transaction (a savepoint inside the caller's when it holds
 * one): on failure none of them is kept. */
int vg_assess_file_read_fd(struct vg_store *s, int fd, const char *name,
                           const struct vg_assess_file_opts *opts,
                           struct vg_assess_file_stats *stats, struct vg_error *err);
/* The same from memory. */
int vg_assess_file_read_mem(struct vg_store *s, const char *data, size_t len, const char *name,
                            const struct vg_assess_file_opts *opts,
                            struct vg_assess_file_stats *stats, struct vg_error *err);

/* 1 when s is a date YYYY-MM-DD naming a real day of the year 1900 or later, else 0. */
int vg_assess_date_valid(const char *s);

#endif
