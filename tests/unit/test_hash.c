/* test_hash.c - the 64-bit content hash (src/core/hash.c).
 *
 * The hash of a stored incident is kept in the database (row_hash) and compared on the next
 * ingest, so its values must never change between builds or hosts: the known values below were
 * computed once and are pinned. A change to the function must come with a migration that
 * recomputes the stored hashes, and with new values here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vigil/hash.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *text;
    uint64_t seed0;    /* seed 0 */
    uint64_t seed5647; /* seed 0x5647 */
} known[] = {
    {"", 0x47ff0d37d1086103ULL, 0x1b60a61560af844eULL},
    {"a", 0xd10aa3ef5c3314afULL, 0xa4725c8d812613daULL},
    {"abc", 0x956c02ae7b79c50bULL, 0x6bfaea7776706106ULL},
    {"abcd", 0x9c8ceaebca60bbd6ULL, 0x61b3456a7b50a034ULL},
    {"12345678", 0x37bec48937379c29ULL, 0xac082ca8bf64c27fULL},
    {"123456789", 0x0dedde25ce3f8049ULL, 0x5ae1c568523b5db5ULL},
    {"0123456789abcdef", 0x93727484b1986d5bULL, 0x8273ae73ef995e61ULL},
    {"0123456789abcdefg", 0x635b011212478a3eULL, 0x1a18c965f6d094f3ULL},
    {"The quick brown fox jumps over the lazy dog", 0x94f35b385728c232ULL, 0xaa75fabba56503daULL},
};

static void test_known_values(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        size_t n = strlen(known[i].text);
        uint64_t h0 = vg_hash64(known[i].text, n, 0);
        uint64_t h1 = vg_hash64(known[i].text, n, 0x5647);
        if (h0 != known[i].seed0 || h1 != known[i].seed5647)
            fail_msg("hash of \"%s\" changed: 0x%016llx, 0x%016llx (pinned 0x%016llx, 0x%016llx)",
                     known[i].text, (unsigned long long)h0, (unsigned long long)h1,
                     (unsigned long long)known[i].seed0, (unsigned long long)known[i].seed5647);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Fails when two of the n values are equal. */
static void all_distinct(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (v[i] == v[i - 1])
            fail_msg("two inputs share the hash 0x%016llx", (unsigned long long)v[i]);
}

static void test_seeds_differ(void **state)
{
    (void)state;
    uint64_t v[64];
    for (uint64_t s = 0; s < 64; s++)
        v[s] = vg_hash64("same input", 10, s);
    all_distinct(v, 64);
    uint64_t e[64];
    for (uint64_t s = 0; s < 64; s++)
        e[s] = vg_hash64("", 0, s * 0x9e3779b97f4a7c15ULL);
    all_distinct(e, 64);
}

static void test_tail_lengths(void **state)
{
    (void)state;
    /* Every prefix length 0..48 (all the tail cases of 0..16 and beyond a block) gives its own
     * value, also for inputs made of zero bytes, where only the length tells them apart. */
    unsigned char text[48], zeros[48] = {0};
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)('A' + i);
    uint64_t v[2 * 49];
    for (size_t n = 0; n <= 48; n++) {
        v[n] = vg_hash64(text, n, 7);
        v[49 + n] = vg_hash64(zeros, n, 7);
    }
    /* A zero-byte input and a text input of length 0 are the same input. */
    assert_true(v[0] == v[49]);
    v[49] = ~v[0];
    all_distinct(v, 2 * 49);
}

static void test_every_byte_counts(void **state)
{
    (void)state;
    /* For each length 1..40, changing any one byte (by one bit, or to another value) changes the
     * hash; collect all the values and check none repeats. */
    unsigned char buf[40];
    size_t cap = 40 * 40 * 2 + 40, k = 0;
    uint64_t *v = malloc(cap * sizeof(*v));
    assert_non_null(v);
    for (size_t n = 1; n <= 40; n++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (unsigned char)(i * 31 + 7);
        uint64_t base = vg_hash64(buf, n, 1);
        v[k++] = base;
        for (size_t i = 0; i < n; i++) {
            buf[i] ^= 0x01;
            uint64_t h = vg_hash64(buf, n, 1);
            assert_true(h != base);
            v[k++] = h;
            buf[i] ^= 0x81;
            h = vg_hash64(buf, n, 1);
            assert_true(h != base);
            v[k++] = h;
            buf[i] ^= 0x80;
        }
        assert_true(vg_hash64(buf, n, 1) == base);
    }
    all_distinct(v, k);
    free(v);
}

static void test_reads_only_n_bytes(void **state)
{
    (void)state;
    /* The bytes after n do not matter, and neither does the address (alignment). */
    unsigned char a[80], b[80];
    for (size_t n = 0; n <= 40; n++) {
        for (size_t off = 0; off < 8; off++) {
            memset(a, 0x11, sizeof(a));
            memset(b, 0xEE, sizeof(b));
            for (size_t i = 0; i < n; i++)
                a[i] = b[off + i] = (unsigned char)(i + 1);
            assert_true(vg_hash64(a, n, 99) == vg_hash64(b + off, n, 99));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),       cmocka_unit_test(test_seeds_differ),
        cmocka_unit_test(test_tail_lengths),       cmocka_unit_test(test_every_byte_counts),
        cmocka_unit_test(test_reads_only_n_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
