/* csv.h - a streaming reader of delimited text (RFC 4180 and the dialects found in the wild).
 *
 * The reader takes its input from a file descriptor or a memory block, one record at a time,
 * never holding more than one record plus one read chunk. It finds the delimiter itself (a first
 * line `sep=X`, else the most frequent of `,` `;` and tab in the first line), skips a UTF-8 byte
 * order mark, accepts LF and CRLF line ends, quoted fields with doubled quotes and embedded line
 * ends, and tells for every record the physical line it starts on and its raw bytes. */
#ifndef VIGIL_CSV_H
#define VIGIL_CSV_H

#include <stddef.h>
#include <stdint.h>

#define VG_CSV_MAX_RECORD_DEFAULT (4u << 20) /* bytes in one record */
#define VG_CSV_MAX_FIELDS_DEFAULT 4096u      /* fields in one record */

struct vg_csv;

struct vg_csv_opts {
    char delimiter;    /* 0: detect from the first line */
    size_t max_record; /* 0: VG_CSV_MAX_RECORD_DEFAULT */
    size_t max_fields; /* 0: VG_CSV_MAX_FIELDS_DEFAULT */
};

/* One record. Everything it points to belongs to the reader and stays valid until the next call
 * to vg_csv_next or vg_csv_destroy. Fields are unquoted and NUL-terminated. */
struct vg_csv_record {
    size_t nfields;
    char **fields;
    size_t *lens;
    long line;       /* physical line (1-based) the record starts on */
    const char *raw; /* the record as it stands in the input, without its line end */
    size_t raw_len;
    int error;             /* 0, or VG_EFORMAT / VG_ETOOBIG when the record could not be split */
    int text_after_quote;  /* a closing quote was followed by text (kept as it is): a sign of a
                            * stray quote when the record spans lines */
    const char *error_msg; /* what was wrong, when error != 0 (then nfields is 0) */
};

/* Reads from fd (not closed by the reader). opts may be NULL. */
int vg_csv_open_fd(int fd, const struct vg_csv_opts *opts, struct vg_csv **out);
/* Reads from a caller-owned memory block that must outlive the reader. */
int vg_csv_open_mem(const void *data, size_t len, const struct vg_csv_opts *opts,
                    struct vg_csv **out);
void vg_csv_destroy(struct vg_csv *r);

/* Reads the next record into rec. Returns 1 when a record (possibly an error record) was read,
 * 0 at the end of the input, VG_EIO when reading failed, VG_ENOMEM. */
int vg_csv_next(struct vg_csv *r, struct vg_csv_record *rec);

/* Goes back into the record just returned by vg_csv_next: reading resumes on its second physical
 * line. For a record that turned out to be damaged (a stray quote that swallowed the lines after
 * it), this recovers the rows that followed. Returns 1 when it went back, 0 when the record was a
 * single line (or there is no record to go back into). */
int vg_csv_resync(struct vg_csv *r);

/* The delimiter in use (known after the first vg_csv_next). */
char vg_csv_delimiter(const struct vg_csv *r);
/* Bytes of input consumed so far. */
uint64_t vg_csv_offset(const struct vg_csv *r);

#endif
