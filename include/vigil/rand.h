/* rand.h - a seeded pseudo-random generator that gives the same numbers on every machine.
 *
 * The generator is xoshiro256** (Blackman and Vigna, 2018): 256 bits of state, period 2^256 - 1,
 * fast and statistically sound for simulation; it is not for secrets (use libsodium for those).
 * Its state is filled from a 64-bit seed by splitmix64, as its authors recommend. A computation
 * that draws in parallel gives each independent task its own stream, seeded from the pair
 * (seed, stream), so what it draws does not depend on which thread runs the task or how many
 * threads there are. Everything is integer arithmetic, so the numbers are the same on every
 * platform and compiler. */
#ifndef VIGIL_RAND_H
#define VIGIL_RAND_H

#include <stdint.h>

/* The state of one generator: plain caller storage, no clean-up. One thread at a time. */
struct vg_rand {
    uint64_t s[4];
};

/* One step of splitmix64: advances *state by 0x9e3779b97f4a7c15 and returns the mixed value. */
uint64_t vg_rand_splitmix(uint64_t *state);

/* Seeds r: its four words are the first four outputs of splitmix64 started at seed. */
void vg_rand_seed(struct vg_rand *r, uint64_t seed);

/* Seeds r for stream number `stream` of seed: splitmix64 is started at
 * splitmix64(seed) + stream * 0xd1342543de82ef95 and its first four outputs are the state.
 * Distinct streams of one seed start far apart in splitmix64's sequence. */
void vg_rand_seed_stream(struct vg_rand *r, uint64_t seed, uint64_t stream);

/* The next 64 random bits (xoshiro256**). */
uint64_t vg_rand_next(struct vg_rand *r);

/* A uniform integer in [0, bound), without bias (Lemire's multiply-and-reject method on 64-bit
 * draws). bound must be at least 1. */
uint64_t vg_rand_below(struct vg_rand *r, uint64_t bound);

/* A uniform double in [0, 1): the top 53 bits of one draw, times 2^-53. */
double vg_rand_double(struct vg_rand *r);

#endif
