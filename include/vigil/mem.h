/* mem.h - allocation entry points and growable byte buffers with caps.
 *
 * All of libvigil allocates through vg_malloc/vg_realloc/vg_free so that tests can make the Nth
 * allocation fail (vg_mem_fail_after) and check that every error path cleans up. */
#ifndef VIGIL_MEM_H
#define VIGIL_MEM_H

#include <stddef.h>

void *vg_malloc(size_t n);
void *vg_calloc(size_t count, size_t size);
void *vg_realloc(void *p, size_t n);
void vg_free(void *p);
/* Returns a heap copy of s (NUL-terminated), or NULL when out of memory. */
char *vg_strdup(const char *s);

/* Test hook: after n more successful allocations, every allocation fails; n < 0 disables it. */
void vg_mem_fail_after(long n);

/* A growable byte buffer that never grows past cap. Always NUL-terminated when len > 0 or after
 * any append, so data can be used as a C string. */
struct vg_buf {
    char *data;
    size_t len;
    size_t size; /* allocated bytes */
    size_t cap;  /* largest len allowed */
};

void vg_buf_init(struct vg_buf *b, size_t cap);
void vg_buf_cleanup(struct vg_buf *b);
/* Empties the buffer, keeping its memory. */
void vg_buf_reset(struct vg_buf *b);
/* Makes room for n more bytes. Returns 0, VG_ENOMEM, or VG_ETOOBIG when len + n > cap. */
int vg_buf_reserve(struct vg_buf *b, size_t n);
int vg_buf_append(struct vg_buf *b, const void *p, size_t n);
int vg_buf_putc(struct vg_buf *b, char c);
int vg_buf_printf(struct vg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes), escaping as RFC 8259 requires. s must be
 * valid UTF-8. */
int vg_buf_json_string(struct vg_buf *b, const char *s, size_t n);

#endif
