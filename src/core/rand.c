/* rand.c - xoshiro256** seeded by splitmix64, with independent streams.
 *
 * Design: the whole state is the caller's struct vg_rand (four 64-bit words, never all zero:
 * splitmix64 cannot give four zero outputs in a row). xoshiro256** and splitmix64 are the
 * reference algorithms of Blackman and Vigna, written out here because no Debian library ships
 * them with a fixed, documented output; tests/unit/test_rand.c checks the reference outputs.
 *
 * Streams: stream k of a seed starts splitmix64 at splitmix64(seed) + k * C, with C an odd 64-bit
 * constant. splitmix64 walks its 2^64 states in steps of G = 0x9e3779b97f4a7c15 and each stream
 * reads four steps of it, so two streams overlap only when k1 - k2 = j * G / C (mod 2^64) for
 * some j in -3..3; those six differences all exceed 2^40, so streams numbered below 2^40 never
 * share a state, and the output mixing makes neighbouring streams unrelated.
 *
 * Bounded integers use Lemire's method: the 128-bit product of a draw and the bound, rejecting
 * the few low products that would make some results more likely, so every value in [0, bound)
 * has exactly the same chance. The rejection threshold costs a division only on the rare path.
 *
 * Thread-safety: none needed; a struct vg_rand belongs to one thread at a time. */
#include "vigil/rand.h"

uint64_t vg_rand_splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void fill(struct vg_rand *r, uint64_t sm)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = vg_rand_splitmix(&sm);
}

void vg_rand_seed(struct vg_rand *r, uint64_t seed)
{
    fill(r, seed);
}

void vg_rand_seed_stream(struct vg_rand *r, uint64_t seed, uint64_t stream)
{
    uint64_t sm = seed;
    uint64_t base = vg_rand_splitmix(&sm);
    fill(r, base + stream * 0xd1342543de82ef95ULL);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t vg_rand_next(struct vg_rand *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t vg_rand_below(struct vg_rand *r, uint64_t bound)
{
    if (bound <= 1)
        return 0;
    unsigned __int128 m = (unsigned __int128)vg_rand_next(r) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = (0 - bound) % bound; /* 2^64 mod bound */
        while (low < threshold) {
            m = (unsigned __int128)vg_rand_next(r) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double vg_rand_double(struct vg_rand *r)
{
    return (double)(vg_rand_next(r) >> 11) * 0x1.0p-53;
}
