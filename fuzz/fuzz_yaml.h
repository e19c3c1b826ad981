/*
 * For the fuzz targets of YAML files (fuzz_config.c, fuzz_scenario.c), which
 * make the same promises about their diagnostics: every one has a message,
 * names the file and points inside the input, and the same input gives
 * the same ones. A broken promise aborts, which libFuzzer reports.
 */
#ifndef FUZZ_YAML_H
#define FUZZ_YAML_H

#include "fuzz_check.h"
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/diag.h"

/* An upper bound for the lines of an input: every break libyaml counts
 * (CR, LF, NEL, LS, PS), CR LF counted twice. */
static inline int
fuzz_yaml_lines(const uint8_t *data, size_t size)
{
	int n = 1;
	for (size_t i = 0; i < size; i++) {
		n += data[i] == '\n' || data[i] == '\r';
		n += data[i] == 0xC2 && i + 1 < size && data[i + 1] == 0x85;
		n += data[i] == 0xE2 && i + 2 < size && data[i + 1] == 0x80 &&
		     (data[i + 2] == 0xA8 || data[i + 2] == 0xA9);
	}
	return n;
}

/*
 * Every diagnostic has a message, names `file` and points inside the input;
 * and the caret printer sees every source line (printed to /dev/null).
 */
static inline void
fuzz_yaml_check_diag(const struct vt_diag *d, const char *file, const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	if (devnull != NULL)
		vt_diag_print(d, devnull);
	int lines = fuzz_yaml_lines(data, size);
	for (size_t i = 0; i < d->count; i++) {
		const struct vt_diag_entry *e = &d->entries[i];
		fuzz_check(e->message != NULL && e->message[0] != '\0');
		fuzz_check(e->file != NULL && strcmp(e->file, file) == 0);
		fuzz_check(e->line >= 0 && e->line <= lines && e->column >= 0);
	}
}

/* Two parses of the same input said the same things at the same places. */
static inline void
fuzz_yaml_same_diag(const struct vt_diag *a, const struct vt_diag *b)
{
	fuzz_check(a->count == b->count);
	for (size_t i = 0; i < a->count; i++) {
		fuzz_check(a->entries[i].line == b->entries[i].line);
		fuzz_check(a->entries[i].column == b->entries[i].column);
		fuzz_check(strcmp(a->entries[i].message, b->entries[i].message) == 0);
	}
}

#endif
