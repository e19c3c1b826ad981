/*
 * The one way a fuzz target says a promise broke: it names the file, the
 * line and the condition, then aborts, so libFuzzer keeps the input and
 * whoever reads the log knows which promise it was without a debugger.
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

static inline void
fuzz_broken(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: broken promise: %s\n", file, line, what);
	abort();
}

#define fuzz_check(ok) ((ok) ? (void)0 : fuzz_broken(__FILE__, __LINE__, #ok))

#endif
