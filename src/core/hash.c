/* hash.c - 64-bit hash of a byte string.
 *
 * Eight bytes at a time, each word multiplied into the state and folded (a multiply-xorshift
 * construction in the spirit of the murmur family), then a final avalanche. It is not meant to
 * resist an adversary: it only tells whether a record changed and spreads hash-table keys.
 * Words are read little-endian with memcpy, so the value is the same on every host. Pure
 * function: thread-safe. */
#include "vigil/hash.h"

#include <string.h>

static inline uint64_t read64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t vg_hash64(const void *data, size_t n, uint64_t seed)
{
    const unsigned char *p = data;
    const uint64_t m = 0x9e3779b97f4a7c15ULL;
    uint64_t h = seed ^ (n * m);
    while (n >= 8) {
        h = (h ^ mix(read64(p))) * m;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t tail = 0;
        for (size_t i = 0; i < n; i++)
            tail |= (uint64_t)p[i] << (8 * i);
        h = (h ^ mix(tail ^ 0x100000000000000ULL * n)) * m;
    }
    return mix(h);
}
