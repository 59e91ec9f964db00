/* hash.h - a fast non-cryptographic 64-bit hash, for change detection and hash tables. */
#ifndef VIGIL_HASH_H
#define VIGIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hashes n bytes with a seed; the same bytes and seed give the same value on every platform. */
uint64_t vg_hash64(const void *data, size_t n, uint64_t seed);

#endif
