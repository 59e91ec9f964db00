/* error.c - error codes and located error reports.
 *
 * Codes are small negative integers (error.h); vg_strerror maps them to fixed text. A struct
 * vg_error is plain caller-owned storage: filling it never allocates, so reporting works even
 * when memory has run out. Thread-safe: no shared state. */
#include "vigil/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vg_strerror(int code)
{
    switch (code) {
    case VG_OK:
        return "success";
    case VG_ENOMEM:
        return "out of memory";
    case VG_EINVAL:
        return "invalid argument";
    case VG_EIO:
        return "input/output error";
    case VG_ETOOBIG:
        return "input too large";
    case VG_EFORMAT:
        return "malformed input";
    case VG_EDB:
        return "database error";
    case VG_ENOTFOUND:
        return "not found";
    case VG_EPERM:
        return "not permitted";
    default:
        return "unknown error";
    }
}

void vg_error_clear(struct vg_error *err)
{
    if (err)
        memset(err, 0, sizeof(*err));
}

int vg_error_set(struct vg_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return code;
}
