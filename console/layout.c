/*
 * Wrapping alarm texts and scrolling a list of entries of varying height
 * for the console (see vitals/console_layout.h). Widths are counted in
 * bytes: alarm texts are ASCII but for names a site chose, and counting a
 * UTF-8 character as more than one column only wraps a little early.
 */
#include <stdbool.h>
#include <string.h>

#include "vitals/console/layout.h"

static bool
s_continuation(unsigned char c)
{
	return (c & 0xC0) == 0x80;
}

size_t
vt_console_wrap(const char *text, size_t width, struct vt_console_span *rows, size_t max)
{
	size_t len = strlen(text), pos = 0, n = 0;
	if (width == 0)
		width = 1;
	while (pos < len && text[pos] == ' ')
		pos++;
	if (pos == len) {
		if (max > 0)
			rows[0] = (struct vt_console_span){pos, 0};
		return 1;
	}
	while (pos < len) {
		size_t end;
		if (len - pos <= width) {
			end = len;
		} else {
			/* The last space within the row, or a hard split of a long word. */
			end = pos + width;
			while (end > pos && text[end] != ' ')
				end--;
			if (end == pos) {
				end = pos + width;
				while (end > pos + 1 && s_continuation((unsigned char)text[end]))
					end--;
			}
		}
		size_t cut = end;
		while (cut > pos && text[cut - 1] == ' ')
			cut--;
		if (n < max)
			rows[n] = (struct vt_console_span){pos, cut - pos};
		n++;
		pos = end;
		while (pos < len && text[pos] == ' ')
			pos++;
	}
	return n;
}

size_t
vt_console_scroll_first(const int *heights, size_t n, size_t sel, int room)
{
	if (sel >= n)
		return 0;
	/* From the top while `sel` still ends inside the room... */
	long used = 0;
	for (size_t i = 0; i <= sel; i++)
		used += heights[i];
	if (used <= room)
		return 0;
	/* ...else the highest first entry that keeps `sel` whole at the bottom. */
	size_t first = sel;
	used = heights[sel];
	while (first > 0 && used + heights[first - 1] <= room) {
		first--;
		used += heights[first];
	}
	return first;
}
