/* fuzz_points.c - libFuzzer target for the reader of point files (x, y, value) of `vigil analyze
 * gistar` (vg_gistar_points_read in src/analyze/gistar.c, over src/core/csv.c).
 *
 * The input is the file, written to a memfd. Checked: the reader returns 0 or VG_EFORMAT /
 * VG_ETOOBIG / VG_ENOMEM / VG_EIO; on success every point is finite; on a format error the
 * message names a line within the file; the points read are never more than the file's lines. */
#include "fuzz_check.h"

#include "vigil/error.h"
#include "vigil/gistar.h"

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

    struct vg_gistar_points e;
    struct vg_error err;
    vg_error_clear(&err);
    vg_gistar_points_init(&e);
    int rc = vg_gistar_points_read(&e, fd, "fuzz.csv", &err);
    FUZZ_CHECK_MSG(rc == 0 || rc == VG_EFORMAT || rc == VG_ETOOBIG || rc == VG_ENOMEM ||
                       rc == VG_EIO,
                   "rc %d", rc);
    FUZZ_CHECK((long)e.n <= lines);
    for (size_t i = 0; i < e.n; i++)
        FUZZ_CHECK(isfinite(e.x[i]) && isfinite(e.y[i]) && isfinite(e.value[i]));
    if (rc == VG_EFORMAT)
        FUZZ_CHECK_MSG(err.line >= 0 && err.line <= lines, "line %ld of %ld", err.line, lines);
    vg_gistar_points_cleanup(&e);
    close(fd);
    return 0;
}
