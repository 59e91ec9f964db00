/* reject.h - internal: how the readers of the assess module (sites.c, assess_file.c) report a
 * rejected row. */
#ifndef VIGIL_ASSESS_REJECT_H
#define VIGIL_ASSESS_REJECT_H

#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/ingest.h"

#include <stdarg.h>

/* Reports the row rec of file to on_reject (when not NULL), with column (NULL: the whole row) and
 * the reason made from fmt and ap. Returns 0, or, when on_reject returns non-zero, that code
 * (VG_EINVAL for a positive one) with err saying the reading stopped at a rejected row. The
 * caller counts the row. */
int vg__reject_report(int (*on_reject)(void *ctx, const struct vg_reject *rej), void *ctx,
                      const char *file, const struct vg_csv_record *rec, const char *column,
                      struct vg_error *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 7, 0)));

#endif
