/* test_text.c - UTF-8 validation and Latin-1 conversion (src/core/text.c).
 *
 * The validator is checked against the table of well-formed byte sequences (Unicode chapter 3,
 * table 3-7) at each edge of each row, and against the classic ill-formed inputs: overlongs,
 * surrogates, code points above U+10FFFF, stray continuation bytes and truncated sequences. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vigil/error.h"
#include "vigil/mem.h"
#include "vigil/text.h"

#include <string.h>

static int utf8(const char *s)
{
    return vg_text_is_utf8(s, strlen(s));
}

static void test_ascii(void **state)
{
    (void)state;
    assert_true(vg_text_is_ascii("", 0));
    assert_true(vg_text_is_ascii("plain text, 0123456789 ~\x7f", 26));
    /* A high byte at every position of a word and in the tail. */
    char buf[40];
    for (size_t pos = 0; pos < sizeof(buf); pos++) {
        memset(buf, 'a', sizeof(buf));
        buf[pos] = (char)0x80;
        assert_false(vg_text_is_ascii(buf, sizeof(buf)));
        /* Bytes beyond n are not looked at. */
        assert_true(vg_text_is_ascii(buf, pos));
    }
}

static void test_utf8_well_formed(void **state)
{
    (void)state;
    assert_true(vg_text_is_utf8("", 0));
    assert_true(utf8("S\xC3\xA3o Paulo"));   /* São Paulo */
    assert_true(utf8("\xE2\x82\xAC"));       /* U+20AC euro */
    assert_true(utf8("\xF0\x9F\x92\xA3"));   /* U+1F4A3 */
    assert_true(vg_text_is_utf8("a\0b", 3)); /* NUL is a character */
    /* The edges of every row of table 3-7. */
    assert_true(utf8("\x7F"));
    assert_true(utf8("\xC2\x80"));         /* U+0080 */
    assert_true(utf8("\xDF\xBF"));         /* U+07FF */
    assert_true(utf8("\xE0\xA0\x80"));     /* U+0800 */
    assert_true(utf8("\xE0\xBF\xBF"));     /* U+0FFF */
    assert_true(utf8("\xE1\x80\x80"));     /* U+1000 */
    assert_true(utf8("\xEC\xBF\xBF"));     /* U+CFFF */
    assert_true(utf8("\xED\x80\x80"));     /* U+D000 */
    assert_true(utf8("\xED\x9F\xBF"));     /* U+D7FF */
    assert_true(utf8("\xEE\x80\x80"));     /* U+E000 */
    assert_true(utf8("\xEF\xBF\xBF"));     /* U+FFFF */
    assert_true(utf8("\xF0\x90\x80\x80")); /* U+10000 */
    assert_true(utf8("\xF3\xBF\xBF\xBF")); /* U+FFFFF */
    assert_true(utf8("\xF4\x80\x80\x80")); /* U+100000 */
    assert_true(utf8("\xF4\x8F\xBF\xBF")); /* U+10FFFF */
    assert_true(utf8("\xEF\xBB\xBFtext")); /* a BOM is a character */
}

static void test_utf8_overlong(void **state)
{
    (void)state;
    assert_false(utf8("\xC0\x80")); /* NUL in two bytes */
    assert_false(utf8("\xC0\xAF")); /* '/' */
    assert_false(utf8("\xC1\xBF")); /* U+007F */
    assert_false(utf8("\xE0\x80\x80"));
    assert_false(utf8("\xE0\x9F\xBF")); /* U+07FF in three bytes */
    assert_false(utf8("\xF0\x80\x80\x80"));
    assert_false(utf8("\xF0\x8F\xBF\xBF")); /* U+FFFF in four bytes */
    assert_false(utf8("\xF8\x88\x80\x80\x80"));
    assert_false(utf8("\xFC\x84\x80\x80\x80\x80"));
}

static void test_utf8_surrogates(void **state)
{
    (void)state;
    assert_false(utf8("\xED\xA0\x80")); /* U+D800 */
    assert_false(utf8("\xED\xAD\xBF")); /* U+DB7F */
    assert_false(utf8("\xED\xB0\x80")); /* U+DC00 */
    assert_false(utf8("\xED\xBF\xBF")); /* U+DFFF */
    /* A surrogate pair encoded as two three-byte sequences (CESU-8) is not UTF-8. */
    assert_false(utf8("\xED\xA0\xBD\xED\xB2\xA3"));
}

static void test_utf8_beyond_max(void **state)
{
    (void)state;
    assert_false(utf8("\xF4\x90\x80\x80")); /* U+110000 */
    assert_false(utf8("\xF4\xBF\xBF\xBF"));
    assert_false(utf8("\xF5\x80\x80\x80"));
    assert_false(utf8("\xF7\xBF\xBF\xBF"));
    assert_false(utf8("\xFE"));
    assert_false(utf8("\xFF"));
}

static void test_utf8_truncated_and_stray(void **state)
{
    (void)state;
    /* Every proper prefix of a multi-byte sequence, at the end of the input. */
    const char *seqs[] = {"\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x92\xA3", "\xF4\x8F\xBF\xBF"};
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        size_t n = strlen(seqs[i]);
        char buf[16];
        assert_true(vg_text_is_utf8(seqs[i], n));
        for (size_t k = 1; k < n; k++) {
            assert_false(vg_text_is_utf8(seqs[i], k));
            /* ... and followed by ASCII instead of continuation bytes. */
            memcpy(buf, seqs[i], k);
            buf[k] = 'x';
            assert_false(vg_text_is_utf8(buf, k + 1));
        }
        /* The length given is what counts, not a NUL. */
        memcpy(buf, seqs[i], n);
        memcpy(buf + n, "ok", 3);
        assert_true(vg_text_is_utf8(buf, n + 2));
        assert_false(vg_text_is_utf8(buf, n - 1));
    }
    assert_false(utf8("\x80")); /* a lone continuation byte */
    assert_false(utf8("abc\xBF"));
    assert_false(utf8("\xC3\xA9\xA9")); /* one continuation too many */
    assert_false(utf8("\xE2\x82\xAC\x82"));
    assert_false(utf8("\xE2\xC3\xA9")); /* a new lead byte inside a sequence */
    /* Latin-1 text is not UTF-8. */
    assert_false(utf8("S\xE3o Paulo"));
    assert_false(utf8("B\xE9ja\xEF"
                      "a"));
}

static void test_latin1_to_utf8(void **state)
{
    (void)state;
    struct vg_buf b;
    vg_buf_init(&b, 1024);
    assert_int_equal(vg_text_latin1_to_utf8(&b, "S\xE3o Paulo", 9), 0);
    assert_string_equal(b.data, "S\xC3\xA3o Paulo");
    assert_int_equal(b.len, 10);
    assert_true(vg_text_is_utf8(b.data, b.len));
    /* Appends to what is there. */
    assert_int_equal(vg_text_latin1_to_utf8(&b, ", \xD1u\xF1oa", 7), 0);
    assert_string_equal(b.data, "S\xC3\xA3o Paulo, \xC3\x91u\xC3\xB1oa");
    vg_buf_cleanup(&b);

    /* Every byte value: ASCII stays, 0x80..0xFF become the two-byte form of the same code
     * point. */
    vg_buf_init(&b, 1024);
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    assert_int_equal(vg_text_latin1_to_utf8(&b, all, 256), 0);
    assert_int_equal(b.len, 128 + 2 * 128);
    for (int i = 0; i < 128; i++)
        assert_int_equal((unsigned char)b.data[i], i);
    for (int i = 128; i < 256; i++) {
        unsigned char hi = (unsigned char)b.data[128 + 2 * (i - 128)];
        unsigned char lo = (unsigned char)b.data[128 + 2 * (i - 128) + 1];
        assert_int_equal(hi, 0xC0 | (i >> 6));
        assert_int_equal(lo, 0x80 | (i & 0x3F));
        assert_int_equal(((hi & 0x1F) << 6) | (lo & 0x3F), i);
    }
    assert_true(vg_text_is_utf8(b.data, b.len));
    assert_int_equal(b.data[b.len], '\0');
    vg_buf_cleanup(&b);

    /* Nothing to convert still leaves a valid empty string. */
    vg_buf_init(&b, 16);
    assert_int_equal(vg_text_latin1_to_utf8(&b, "", 0), 0);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    vg_buf_cleanup(&b);
}

static void test_latin1_cap(void **state)
{
    (void)state;
    struct vg_buf b;
    /* The result must fit the cap: "\xE9\xE9\xE9" becomes 6 bytes. */
    vg_buf_init(&b, 8);
    assert_int_equal(vg_buf_append(&b, "ab", 2), 0);
    assert_int_equal(vg_text_latin1_to_utf8(&b, "\xE9\xE9\xE9\xE9", 4), VG_ETOOBIG);
    /* A failed conversion leaves the buffer as it was. */
    assert_int_equal(b.len, 2);
    assert_string_equal(b.data, "ab");
    assert_int_equal(vg_text_latin1_to_utf8(&b, "\xE9\xE9\xE9", 3), 0);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "ab\xC3\xA9\xC3\xA9\xC3\xA9");
    vg_buf_cleanup(&b);
}

static void test_latin1_ascii_fits_cap(void **state)
{
    (void)state;
    struct vg_buf b;
    /* ASCII text that fits the cap is converted even when twice its length would not fit. */
    vg_buf_init(&b, 10);
    assert_int_equal(vg_text_latin1_to_utf8(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");
    vg_buf_cleanup(&b);
}

static void test_utf8_prefix(void **state)
{
    (void)state;
    const char *s = "ab\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"; /* a b é € 😀: 1 1 2 3 4 bytes */
    size_t n = strlen(s);
    assert_int_equal(vg_text_utf8_prefix(s, n, 100), n);
    assert_int_equal(vg_text_utf8_prefix(s, n, n), n);
    assert_int_equal(vg_text_utf8_prefix(s, n, 2), 2);
    assert_int_equal(vg_text_utf8_prefix(s, n, 3), 2); /* inside é */
    assert_int_equal(vg_text_utf8_prefix(s, n, 4), 4);
    assert_int_equal(vg_text_utf8_prefix(s, n, 5), 4); /* inside € */
    assert_int_equal(vg_text_utf8_prefix(s, n, 6), 4);
    assert_int_equal(vg_text_utf8_prefix(s, n, 7), 7);
    assert_int_equal(vg_text_utf8_prefix(s, n, 10), 7); /* inside the emoji */
    assert_int_equal(vg_text_utf8_prefix(s, n, 0), 0);
    /* Every prefix it gives of well-formed text is well-formed. */
    for (size_t max = 0; max <= n; max++)
        assert_true(vg_text_is_utf8(s, vg_text_utf8_prefix(s, n, max)));
}

static void test_decimal(void **state)
{
    (void)state;
    static const char *const yes[] = {"0", "12", "0.5", ".5", "5.", "1e3", "1E-3", "2.5e+10"};
    static const char *const no[] = {"",    ".",   "-",  "+1",  " 1",    "1 ",  "0x10", "0x1p-1",
                                     "inf", "nan", "1e", "1e+", "1.2.3", "1,5", "--1",  "e3"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        if (!vg_text_is_decimal(yes[i], 0) || !vg_text_is_decimal(yes[i], 1))
            fail_msg("'%s' should be a decimal number", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        if (vg_text_is_decimal(no[i], 0) || vg_text_is_decimal(no[i], 1))
            fail_msg("'%s' should not be a decimal number", no[i]);
    assert_true(vg_text_is_decimal("-1.5", 1));
    assert_false(vg_text_is_decimal("-1.5", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ascii),
        cmocka_unit_test(test_utf8_well_formed),
        cmocka_unit_test(test_utf8_overlong),
        cmocka_unit_test(test_utf8_surrogates),
        cmocka_unit_test(test_utf8_beyond_max),
        cmocka_unit_test(test_utf8_truncated_and_stray),
        cmocka_unit_test(test_latin1_to_utf8),
        cmocka_unit_test(test_latin1_cap),
        cmocka_unit_test(test_latin1_ascii_fits_cap),
        cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_decimal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
