/*
 * Fitting alarms onto a console of any width. A nurse must be able to read
 * the whole of an alarm's text ("HR 131 bpm above 120 bpm (baseline 92 bpm)
 * for 30 s"), not the first two dozen characters of it, whatever the size of
 * the terminal at the station; so on a narrow screen an alarm's text wraps
 * onto further rows instead of being cut, and the list scrolls by alarms of
 * varying height. Pure (no curses), so the rules are tested without one.
 */
#ifndef VITALS_CONSOLE_LAYOUT_H
#define VITALS_CONSOLE_LAYOUT_H

#include <stddef.h>

/* Rows of text one alarm may take on a narrow screen; more is cut with "...". */
#define VT_CONSOLE_WRAP_MAX 4

/* One row of wrapped text: `len` bytes of the text from `off`. */
struct vt_console_span {
	size_t off, len;
};

/*
 * Break `text` into rows at most `width` bytes wide (width >= 1), at spaces
 * where it can (the spaces at a break are dropped), splitting a word longer
 * than a row (never inside a UTF-8 sequence unless one is wider than the
 * row). Fills at most `max` spans and returns how many rows the whole text
 * needs, so a result above `max` says the text did not fit. An empty text is
 * one empty row.
 */
size_t vt_console_wrap(const char *text, size_t width, struct vt_console_span *rows, size_t max);

/*
 * Which of `n` list entries, `heights[i]` rows each, to draw first in `room`
 * rows so that entry `sel` is whole on the screen, given that the list
 * starts at its top unless it must scroll (sel >= n: nothing selected, 0).
 * When `sel` alone is taller than `room`, it is first.
 */
size_t vt_console_scroll_first(const int *heights, size_t n, size_t sel, int room);

#endif
