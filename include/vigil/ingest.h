/* ingest.h - taking incident files into the store.
 *
 * An ingest reads a file in one of the supported formats, turns each row into a struct
 * vg_incident, and upserts it. Rows that cannot be read are reported one by one through the
 * on_reject callback (file, line, column, reason, raw bytes) and the others are stored: a damaged
 * file loses only its damaged rows. Work is committed in batches, so a killed ingest leaves the
 * rows of its committed batches, and running it again completes it. */
#ifndef VIGIL_INGEST_H
#define VIGIL_INGEST_H

#include "vigil/error.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

struct vg_store;
struct vg_incident;

enum vg_ingest_format {
    VG_FORMAT_AUTO = 0, /* JSON lines for names ending in .jsonl or .ndjson, else GTD */
    VG_FORMAT_GTD,      /* delimited text with GTD column names */
    VG_FORMAT_JSONL     /* one JSON object per line, keys are GTD column names */
};

enum vg_encoding {
    VG_ENCODING_AUTO = 0, /* UTF-8 unless the first non-ASCII text is not UTF-8: then Latin-1 */
    VG_ENCODING_UTF8,
    VG_ENCODING_LATIN1
};

/* A row that was not stored. Valid during the callback only. */
struct vg_reject {
    const char *file;
    long line;          /* physical line the row starts on */
    const char *column; /* the column at fault, or "" when the whole row is */
    const char *reason;
    const char *raw; /* the row as it stands in the file */
    size_t raw_len;
};

struct vg_ingest_opts {
    enum vg_ingest_format format;
    enum vg_encoding encoding;
    char delimiter;     /* 0: detect */
    const char *source; /* source of rows without a source column; NULL: "GTD" */
    long batch_rows;    /* most rows per transaction; 0: as many as a batch holds */
    /* Non-zero: read, convert and check every row as an ingest would, reject what cannot be read,
     * and store nothing (the store may be NULL). The counts then have rows and rejected only. A
     * row the database itself would refuse (a broken table constraint, which the conversion's
     * own checks make rare) is found only by a real ingest. */
    int check;
    /* Called for every rejected row; a non-zero return stops the ingest with that code. */
    int (*on_reject)(void *ctx, const struct vg_reject *rej);
    /* Called for every row inserted (not for updated ones), once its transaction is committed,
     * in the order of the row ids, with the id and the stored record (valid during the call).
     * A non-zero return is ignored: this only observes. Called in the ingesting thread. */
    void (*on_inserted)(void *ctx, int64_t id, const struct vg_incident *inc);
    /* Called now and then with the bytes read so far and the input size (0 when unknown). */
    void (*on_progress)(void *ctx, uint64_t done, uint64_t total);
    void *ctx;
    /* When not NULL and set to non-zero (from a signal handler, say), the ingest commits what it
     * has and stops with VG_EINTR-like code VG_EINVAL and the message "interrupted". */
    volatile sig_atomic_t *cancel;
};

struct vg_ingest_stats {
    int64_t rows;      /* data rows read, rejected ones included */
    int64_t inserted;  /* new records */
    int64_t updated;   /* records whose content changed */
    int64_t unchanged; /* records already stored as they are */
    int64_t rejected;  /* rows not stored */
};

/* Ingests the file at path ("-" is standard input) and adds its counts to *stats. Returns 0 when
 * the whole input was read (rows may have been rejected: see stats->rejected), or a negative code
 * when the input could not be read to its end (err says where and why; the batches committed so
 * far stay). */
int vg_ingest_path(struct vg_store *s, const char *path, const struct vg_ingest_opts *opts,
                   struct vg_ingest_stats *stats, struct vg_error *err);

/* The same from an open descriptor; name is used in messages and reject reports. */
int vg_ingest_fd(struct vg_store *s, int fd, const char *name, const struct vg_ingest_opts *opts,
                 struct vg_ingest_stats *stats, struct vg_error *err);

#endif
