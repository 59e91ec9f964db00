/* hash.c - 64-bit hash of a byte string.
 *
 * Sixteen bytes at a time: the two words, each mixed with a secret constant, are multiplied as
 * 64 x 64 -> 128 bits and the halves folded together (the "multiply and fold" step of the wyhash
 * family), so one multiplication digests sixteen bytes; the tail is read with overlapping loads.
 * It is not meant to resist an adversary: it tells whether a record changed and spreads
 * hash-table keys. Words are read little-endian with memcpy, so the value is the same on every
 * host. Pure function: thread-safe. */
#include "vigil/hash.h"

#include <string.h>

static const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                      k2 = 0x8ebc6af09c88c6e3ULL;

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t read32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t fold(uint64_t a, uint64_t b)
{
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t vg_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ^ fold(seed ^ k0, k1 ^ n);
    uint64_t a, b;
    if (n <= 16) {
        if (n >= 4) {
            a = (read32(p) << 32) | read32(p + ((n >> 3) << 2));
            b = (read32(p + n - 4) << 32) | read32(p + n - 4 - ((n >> 3) << 2));
        } else if (n > 0) {
            a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
            b = 0;
        } else {
            a = b = 0;
        }
    } else {
        size_t i = n;
        while (i > 16) {
            h = fold(read64(p) ^ k1, read64(p + 8) ^ h);
            p += 16;
            i -= 16;
        }
        a = read64(p + i - 16);
        b = read64(p + i - 8);
    }
    return fold(k1 ^ n, fold(a ^ k1, b ^ h ^ k2));
}
