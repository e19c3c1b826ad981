/*
 * Escaping text that came from outside (a control request's `by`, a
 * device's model string, a bed name in a file header) before it reaches a
 * log line or a text file. A newline in such text would start a forged log
 * line (and a "<0>" after it a forged priority); a terminal escape would
 * rewrite what an administrator sees with `journalctl` or `less`. So every
 * byte that is not printable ASCII or part of valid, printable UTF-8 is
 * written as \n, \r, \t or \xNN, and a backslash as \\, which keeps the
 * result on one line and makes it unambiguous. Pure.
 */
#ifndef VITALS_ESCAPE_H
#define VITALS_ESCAPE_H

#include <stddef.h>

/* Bytes vt_escape may write for `len` input bytes, the NUL included. */
#define VT_ESCAPE_SIZE(len) ((len) * 4 + 1)

/*
 * Escape in[0..len) into out (outlen bytes, NUL-terminated). What does not
 * fit is cut at a whole escape. Returns the length written.
 */
size_t vt_escape(char *out, size_t outlen, const char *in, size_t len);

#endif
