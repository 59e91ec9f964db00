/* fuzz_check.h - the assertion the fuzz targets use for the properties they check.
 *
 * A failed check prints where and what, then aborts: libFuzzer reports an abort as a crash and
 * keeps the input, and the corpus replay in the normal test run fails on it. Checks are not
 * compiled out (no NDEBUG dependence), because finding a broken property is their whole job. */
#ifndef VIGIL_FUZZ_CHECK_H
#define VIGIL_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);               \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* The same with a printf-style explanation of the values involved. */
#define FUZZ_CHECK_MSG(cond, ...)                                                                  \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A descriptor reading the n bytes of data from the start, as a file would (a memfd). */
static inline int fuzz_memfd(const uint8_t *data, size_t n)
{
    int fd = memfd_create("vigil-fuzz", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    for (size_t at = 0; at < n;) {
        ssize_t w = write(fd, data + at, n - at);
        FUZZ_CHECK(w > 0);
        at += (size_t)w;
    }
    FUZZ_CHECK(lseek(fd, 0, SEEK_SET) == 0);
    return fd;
}

#endif
