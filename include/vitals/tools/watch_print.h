/*
 * How `vitalsctl watch` shows a port's line: one row per piece of the
 * daemon's watch reply (docs/protocol.md, watch), for people or as JSON
 * Lines.
 */
#ifndef VITALS_TOOLS_WATCH_PRINT_H
#define VITALS_TOOLS_WATCH_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Print the pieces of one watch reply to `out`: a row each (or, with
 * `json`, each piece's object on a line). *next becomes the number of the
 * last piece printed, for the next request's "after". The number of pieces
 * printed, or -1 if the reply is not a watch reply.
 */
int vt_watch_print(const char *reply, FILE *out, bool json, uint64_t *next);

#endif
