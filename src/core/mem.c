/* mem.c - allocation wrappers and capped growable buffers.
 *
 * The wrappers exist for fault injection: a test calls vg_mem_fail_after(n) and the (n+1)th
 * allocation from then on returns NULL, so error paths can be exercised one by one. The counter is
 * atomic, so the wrappers are thread-safe; the fault injection itself is meant for single-threaded
 * tests.
 *
 * struct vg_buf is a byte buffer that doubles as it grows but never past its cap: an append that
 * would pass the cap fails with VG_ETOOBIG and leaves the buffer as it was. The buffer owns data;
 * vg_buf_cleanup frees it. */
#include "vigil/mem.h"
#include "vigil/error.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = -1;

void vg_mem_fail_after(long n)
{
    atomic_store(&fail_countdown, n);
}

static int should_fail(void)
{
    long n = atomic_load(&fail_countdown);
    if (n < 0)
        return 0;
    if (n == 0)
        return 1;
    atomic_fetch_sub(&fail_countdown, 1);
    return 0;
}

void *vg_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *vg_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *vg_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void vg_free(void *p)
{
    free(p);
}

char *vg_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = vg_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

void vg_buf_init(struct vg_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->size = 0;
    b->cap = cap;
}

void vg_buf_cleanup(struct vg_buf *b)
{
    if (!b)
        return;
    vg_free(b->data);
    b->data = NULL;
    b->len = b->size = 0;
}

void vg_buf_reset(struct vg_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int vg_buf_reserve(struct vg_buf *b, size_t n)
{
    if (n > b->cap || b->len > b->cap - n)
        return VG_ETOOBIG;
    size_t need = b->len + n + 1; /* room for the terminating NUL */
    if (need <= b->size)
        return 0;
    size_t size = b->size ? b->size : 64;
    while (size < need)
        size *= 2;
    char *p = vg_realloc(b->data, size);
    if (!p)
        return VG_ENOMEM;
    b->data = p;
    b->size = size;
    return 0;
}

int vg_buf_append(struct vg_buf *b, const void *p, size_t n)
{
    int rc = vg_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int vg_buf_putc(struct vg_buf *b, char c)
{
    return vg_buf_append(b, &c, 1);
}

int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return VG_EINVAL;
    if ((size_t)n < sizeof(small))
        return vg_buf_append(b, small, (size_t)n);
    int rc = vg_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int vg_buf_json_string(struct vg_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Measure first, so the cap is checked against the real size; then write without checks. */
    size_t need = 2;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        need += c >= 0x20 && c != '"' && c != '\\'                             ? 1
                : c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' ? 2
                                                                               : 6;
    }
    int rc = vg_buf_reserve(b, need);
    if (rc)
        return rc;
    char *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '"':
            *o++ = '"';
            break;
        case '\\':
            *o++ = '\\';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\r':
            *o++ = 'r';
            break;
        case '\t':
            *o++ = 't';
            break;
        default:
            *o++ = 'u';
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    *o = '\0';
    return 0;
}
