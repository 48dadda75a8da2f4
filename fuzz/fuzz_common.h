/*
 * fuzz_common.h — what every fuzz target shares: FUZZ_CHECK (a property violation traps, so
 * libFuzzer reports it and a replay run fails), a tiny deterministic RNG seeded from the input
 * (chunk sizes), and the entry point declaration. Each target is one .c file that defines
 * LLVMFuzzerTestOneInput; tests/test_fuzz_replay_*.c include it and replay the corpus.
 */
#ifndef MW_FUZZ_COMMON_H
#define MW_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mw.h"

#define FUZZ_CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

/* An error must always come with a message. */
#define FUZZ_CHECK_ERROR(st) FUZZ_CHECK((st) == MW_OK || mw_last_error()[0] != '\0')

static inline uint32_t fuzz_hash(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u ^ (uint32_t)size;
    for (size_t i = 0; i < size && i < 64; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

static inline uint32_t fuzz_next(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
