/* error.h - error codes and located error reports of libvigil.
 *
 * Every function that can fail returns 0 or a negative VG_E* code. Where a caller must show a
 * user *where* outside input went wrong, the function also fills a struct vg_error. */
#ifndef VIGIL_ERROR_H
#define VIGIL_ERROR_H

#include <stddef.h>

enum {
    VG_OK = 0,
    VG_ENOMEM = -1,    /* an allocation failed */
    VG_EINVAL = -2,    /* an argument or a value is not acceptable */
    VG_EIO = -3,       /* reading or writing a file failed */
    VG_ETOOBIG = -4,   /* outside input passed one of the caps */
    VG_EFORMAT = -5,   /* outside input is not in the expected format */
    VG_EDB = -6,       /* the database refused an operation */
    VG_ENOTFOUND = -7, /* the thing asked for does not exist */
    VG_EPERM = -8      /* the caller may see the thing but not do this with it */
};

#define VG_ERROR_MSG_MAX 512

/* A located error: what went wrong (code, message) and where (file, line, column), all optional.
 * line and column are 1-based; 0 means "not known". column names a field when the input is
 * tabular. */
struct vg_error {
    int code;
    char message[VG_ERROR_MSG_MAX];
    char file[256];
    char column[64];
    long line;
};

/* Describes a VG_E* code in a short English phrase. Never returns NULL. */
const char *vg_strerror(int code);

/* Clears an error report. err may be NULL. */
void vg_error_clear(struct vg_error *err);

/* Fills err (if not NULL) with code and a printf-style message; returns code, so a function can
 * write `return vg_error_set(err, VG_EINVAL, "...")`. */
int vg_error_set(struct vg_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
