/* reject.c - the report of a rejected row, shared by the site import (sites.c) and the reader of
 * checklist answers (assess_file.c): the reason formatted once, the row's line, column and raw
 * bytes handed to the caller's callback, and the callback's refusal turned into the error that
 * stops the reading. Stateless; thread-safe as far as the callback is. */
#include "reject.h"

#include <stdio.h>

int vg__reject_report(int (*on_reject)(void *ctx, const struct vg_reject *rej), void *ctx,
                      const char *file, const struct vg_csv_record *rec, const char *column,
                      struct vg_error *err, const char *fmt, va_list ap)
{
    if (!on_reject)
        return 0;
    char reason[VG_ERROR_MSG_MAX];
    vsnprintf(reason, sizeof(reason), fmt, ap);
    struct vg_reject r = {file, rec->line, column ? column : "", reason, rec->raw, rec->raw_len};
    int rc = on_reject(ctx, &r);
    if (rc)
        return vg_error_set(err, rc < 0 ? rc : VG_EINVAL, "stopped at a rejected row");
    return 0;
}
