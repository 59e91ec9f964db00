/* fuzz_events.c - libFuzzer target for the reader of event files (x, y, t) of `vigil analyze
 * knox` (vg_knox_read_fd in src/analyze/knox.c, over src/core/csv.c).
 *
 * The input is the file, written to a memfd. Checked: the reader returns 0 or VG_EFORMAT /
 * VG_ETOOBIG / VG_ENOMEM; on success every event is finite; on a format error the message names
 * a line within the file; the events read are never more than the file's lines. */
#include "fuzz_check.h"

#include "vigil/error.h"
#include "vigil/knox.h"

#include <math.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    long lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';

    struct vg_knox_events e;
    struct vg_error err;
    vg_error_clear(&err);
    vg_knox_events_init(&e);
    int rc = vg_knox_read_fd(fd, "fuzz.csv", &e, &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT || rc == VG_ETOOBIG || rc == VG_ENOMEM ||
                       rc == VG_EIO,
                   "rc %d", rc);
    FUZZ_CHECK((long)e.n <= lines);
    for (size_t i = 0; i < e.n; i++)
        FUZZ_CHECK(isfinite(e.x[i]) && isfinite(e.y[i]) && isfinite(e.t[i]));
    if (rc == VG_EFORMAT)
        FUZZ_CHECK_MSG(err.line >= 0 && err.line <= lines, "line %ld of %ld", err.line, lines);
    vg_knox_events_cleanup(&e);
    close(fd);
    return 0;
}
