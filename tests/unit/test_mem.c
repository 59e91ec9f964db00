/* test_mem.c - allocation wrappers, fault injection and capped buffers (src/core/mem.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vigil/error.h"
#include "vigil/mem.h"

#include <jansson.h>
#include <string.h>

static void test_buf_append_and_nul(void **state)
{
    (void)state;
    struct vg_buf b;
    vg_buf_init(&b, 1000);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 1000);
    assert_int_equal(vg_buf_append(&b, "", 0), 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(vg_buf_append(&b, "abc", 3), 0);
    assert_int_equal(vg_buf_putc(&b, 'd'), 0);
    assert_int_equal(vg_buf_printf(&b, "-%d-%s", 42, "x"), 0);
    assert_int_equal(b.len, 9);
    assert_string_equal(b.data, "abcd-42-x");
    assert_true(b.size > b.len);
    /* Growth past the first allocation keeps the content. */
    for (int i = 0; i < 100; i++)
        assert_int_equal(vg_buf_putc(&b, (char)('0' + i % 10)), 0);
    assert_int_equal(b.len, 109);
    assert_memory_equal(b.data, "abcd-42-x0123456789", 19);
    assert_int_equal(b.data[109], '\0');
    vg_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    vg_buf_cleanup(&b);
    assert_null(b.data);
    vg_buf_cleanup(&b); /* twice is harmless */
    vg_buf_cleanup(NULL);
}

static void test_buf_printf_long(void **state)
{
    (void)state;
    struct vg_buf b;
    char big[1000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    vg_buf_init(&b, 4096);
    assert_int_equal(vg_buf_append(&b, "<", 1), 0);
    assert_int_equal(vg_buf_printf(&b, "%s|%s", big, big), 0);
    assert_int_equal(b.len, 1 + 999 * 2 + 1);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1000], '|');
    assert_int_equal(b.data[b.len - 1], 'q');
    assert_int_equal(b.data[b.len], '\0');
    vg_buf_cleanup(&b);
}

static void test_buf_cap(void **state)
{
    (void)state;
    struct vg_buf b;
    vg_buf_init(&b, 8);
    assert_int_equal(vg_buf_append(&b, "12345", 5), 0);
    char *data = b.data;
    size_t size = b.size;

    /* Appends that would pass the cap fail and change nothing. */
    assert_int_equal(vg_buf_append(&b, "6789", 4), VG_ETOOBIG);
    assert_int_equal(b.len, 5);
    assert_ptr_equal(b.data, data);
    assert_int_equal(b.size, size);
    assert_string_equal(b.data, "12345");
    assert_int_equal(vg_buf_printf(&b, "%s", "abcd"), VG_ETOOBIG);
    assert_string_equal(b.data, "12345");
    assert_int_equal(vg_buf_reserve(&b, 4), VG_ETOOBIG);
    assert_int_equal(vg_buf_reserve(&b, (size_t)-1), VG_ETOOBIG);
    assert_int_equal(b.len, 5);

    /* Up to the cap exactly is fine. */
    assert_int_equal(vg_buf_append(&b, "678", 3), 0);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(vg_buf_putc(&b, '9'), VG_ETOOBIG);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(vg_buf_append(&b, "", 0), 0);
    vg_buf_cleanup(&b);

    /* A long printf past the cap. */
    char big[600];
    memset(big, 'z', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    vg_buf_init(&b, 500);
    assert_int_equal(vg_buf_append(&b, "keep", 4), 0);
    assert_int_equal(vg_buf_printf(&b, "%s", big), VG_ETOOBIG);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    vg_buf_cleanup(&b);

    /* A zero cap allows nothing but the empty string. */
    vg_buf_init(&b, 0);
    assert_int_equal(vg_buf_putc(&b, 'x'), VG_ETOOBIG);
    assert_int_equal(b.len, 0);
    vg_buf_cleanup(&b);
}

/* Appends s as a JSON string and returns the buffer's text (valid until the next call). */
static const char *json_of(struct vg_buf *b, const char *s, size_t n)
{
    vg_buf_reset(b);
    assert_int_equal(vg_buf_json_string(b, s, n), 0);
    return b->data;
}

static void test_json_string(void **state)
{
    (void)state;
    struct vg_buf b;
    vg_buf_init(&b, 1 << 16);
    assert_string_equal(json_of(&b, "", 0), "\"\"");
    assert_string_equal(json_of(&b, "plain", 5), "\"plain\"");
    assert_string_equal(json_of(&b, "say \"hi\"", 8), "\"say \\\"hi\\\"\"");
    assert_string_equal(json_of(&b, "a\\b", 3), "\"a\\\\b\"");
    assert_string_equal(json_of(&b, "l1\nl2\r\tx", 8), "\"l1\\nl2\\r\\tx\"");
    assert_string_equal(json_of(&b, "\x01\x1f\b\f", 4), "\"\\u0001\\u001f\\u0008\\u000c\"");
    assert_string_equal(json_of(&b, "a\0b", 3), "\"a\\u0000b\"");
    /* Slash and DEL need no escape; UTF-8 passes through. */
    assert_string_equal(json_of(&b, "a/b\x7f", 4), "\"a/b\x7f\"");
    assert_string_equal(json_of(&b, "S\xC3\xA3o", 4), "\"S\xC3\xA3o\"");

    /* Every byte below 0x20 and the two specials round-trip through a JSON parser. */
    char all[128];
    for (int i = 0; i < 127; i++)
        all[i] = (char)(i + 1);
    all[127] = '\0';
    vg_buf_reset(&b);
    assert_int_equal(vg_buf_json_string(&b, all, 127), 0);
    json_error_t jerr;
    json_t *v = json_loadb(b.data, b.len, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("not valid JSON: %s", jerr.text);
    assert_true(json_is_string(v));
    assert_int_equal(json_string_length(v), 127);
    assert_memory_equal(json_string_value(v), all, 127);
    json_decref(v);

    /* Appends after what is there. */
    vg_buf_reset(&b);
    assert_int_equal(vg_buf_putc(&b, '['), 0);
    assert_int_equal(vg_buf_json_string(&b, "x", 1), 0);
    assert_int_equal(vg_buf_putc(&b, ']'), 0);
    assert_string_equal(b.data, "[\"x\"]");
    vg_buf_cleanup(&b);
}

static void test_json_string_cap(void **state)
{
    (void)state;
    struct vg_buf b;
    /* Past the cap: VG_ETOOBIG and the buffer unchanged. */
    vg_buf_init(&b, 12);
    assert_int_equal(vg_buf_append(&b, "{", 1), 0);
    assert_int_equal(vg_buf_json_string(&b, "0123456789abcdef", 16), VG_ETOOBIG);
    assert_int_equal(b.len, 1);
    assert_string_equal(b.data, "{");
    vg_buf_cleanup(&b);
}

static void test_json_string_fits_cap(void **state)
{
    (void)state;
    struct vg_buf b;
    /* A string whose escaped form fits the cap is written, even where six bytes for each input
     * byte (the worst case) would not fit. */
    vg_buf_init(&b, 10);
    assert_int_equal(vg_buf_json_string(&b, "hello", 5), 0);
    assert_string_equal(b.data, "\"hello\"");
    assert_int_equal(b.len, 7);
    vg_buf_cleanup(&b);

    vg_buf_init(&b, 8);
    assert_int_equal(vg_buf_append(&b, "a", 1), 0);
    assert_int_equal(vg_buf_json_string(&b, "\"x\"", 3), 0); /* "\"x\"" is 7 bytes */
    assert_string_equal(b.data, "a\"\\\"x\\\"\"");
    assert_int_equal(b.len, 8);
    vg_buf_cleanup(&b);
}

static void test_fail_after(void **state)
{
    (void)state;
    /* Two allocations succeed, then every one fails until the hook is turned off. */
    vg_mem_fail_after(2);
    void *a = vg_malloc(10);
    void *c = vg_calloc(2, 8);
    void *d = vg_malloc(10);
    void *e = vg_realloc(NULL, 10);
    void *f = vg_calloc(1, 1);
    char *g = vg_strdup("x");
    vg_mem_fail_after(-1);
    assert_non_null(a);
    assert_non_null(c);
    assert_null(d);
    assert_null(e);
    assert_null(f);
    assert_null(g);
    void *h = vg_malloc(10);
    assert_non_null(h);
    vg_free(a);
    vg_free(c);
    vg_free(h);
    vg_free(NULL);

    /* Zero allows none. */
    vg_mem_fail_after(0);
    assert_null(vg_malloc(1));
    vg_mem_fail_after(-1);

    /* A failed realloc leaves the block as it was. */
    char *p = vg_malloc(4);
    assert_non_null(p);
    memcpy(p, "abc", 4);
    vg_mem_fail_after(0);
    assert_null(vg_realloc(p, 1 << 20));
    vg_mem_fail_after(-1);
    assert_string_equal(p, "abc");
    vg_free(p);

    /* Zero-size requests give a usable pointer. */
    void *z = vg_malloc(0);
    assert_non_null(z);
    vg_free(z);
    char *s = vg_strdup("copy");
    assert_string_equal(s, "copy");
    vg_free(s);
}

static void test_buf_out_of_memory(void **state)
{
    (void)state;
    struct vg_buf b;
    vg_buf_init(&b, 1 << 20);
    assert_int_equal(vg_buf_append(&b, "start", 5), 0);
    char big[200];
    memset(big, 'b', sizeof(big));
    vg_mem_fail_after(0);
    int rc = vg_buf_append(&b, big, sizeof(big));
    int rc2 = vg_buf_json_string(&b, big, sizeof(big));
    int rc3 = vg_buf_printf(&b, "%.*s", 200, big);
    vg_mem_fail_after(-1);
    assert_int_equal(rc, VG_ENOMEM);
    assert_int_equal(rc2, VG_ENOMEM);
    assert_int_equal(rc3, VG_ENOMEM);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "start");
    /* And it works again once memory is back. */
    assert_int_equal(vg_buf_append(&b, big, sizeof(big)), 0);
    assert_int_equal(b.len, 205);
    vg_buf_cleanup(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_nul),
        cmocka_unit_test(test_buf_printf_long),
        cmocka_unit_test(test_buf_cap),
        cmocka_unit_test(test_json_string),
        cmocka_unit_test(test_json_string_cap),
        cmocka_unit_test(test_json_string_fits_cap),
        cmocka_unit_test(test_fail_after),
        cmocka_unit_test(test_buf_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
