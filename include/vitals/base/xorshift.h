/*
 * xorshift64* (Vigna 2016): the one pseudo-random generator of the project,
 * for the emulator's line noise, the fault tests' garbage and the
 * benchmarks' synthetic patients. Small, fast and the same sequence on every
 * machine for the same seed, which is what makes a failing fault run
 * repeatable; not for anything that needs unpredictability.
 */
#ifndef VITALS_XORSHIFT_H
#define VITALS_XORSHIFT_H

#include <stdint.h>

/* The next 64 bits from `state`, which must not be 0. */
static inline uint64_t
vt_xorshift64s(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(0x2545F4914F6CDD1D);
}

#endif
