/*
 * libFuzzer target for the session reader, the one parser in the daemon
 * that reads files people may have edited by hand. Each input is read as a
 * recording twice, from memory and from a file (a memfd), and the fuzzer
 * stops on any crash, sanitizer report, or broken promise:
 *   - an open reader has every header field, and a plausible baud rate;
 *   - events come in time order, never before the start, with a known
 *     kind, and a data event has at least one byte;
 *   - every diagnostic has a message and a position inside the input;
 *   - reading from a file and from memory gives the same events and the
 *     same diagnostics.
 */
#include "fuzz_check.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vitals/wire/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
s_mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL; /* FNV-1a */
	return h;
}

/* Read everything `s` yields, check it, and fold it into a digest. */
static uint64_t
s_drain(struct vt_session_reader *s, struct vt_diag *diag, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	if (s == NULL)
		return h;
	const struct vt_rec_info *info = vt_session_info(s);
	fuzz_check(info->bed && info->port && info->protocol);
	fuzz_check(info->baud >= 1 && info->baud <= 10000000);
	int64_t start = vt_session_start(s), last = start;
	int rc;
	int64_t t;
	enum vt_rec_event ev;
	const uint8_t *bytes;
	size_t len;
	/* Each call consumes at least one line, so this ends; the bound is a
	 * guard against a reader that stops making progress. */
	for (size_t calls = 0; (rc = vt_session_next(s, &t, &ev, &bytes, &len, diag)) != 0; calls++) {
		fuzz_check(calls <= size);
		h = s_mix(h, &rc, sizeof(rc));
		if (rc < 0)
			continue;
		fuzz_check(rc == 1);
		fuzz_check(t >= last && t >= start);
		fuzz_check(ev >= VT_REC_OPEN && ev < VT_REC_EVENT_COUNT);
		fuzz_check(ev != VT_REC_DATA || (bytes != NULL && len > 0));
		fuzz_check(len == 0 || bytes != NULL);
		fuzz_check(len <= size);
		last = t;
		h = s_mix(h, &t, sizeof(t));
		h = s_mix(h, &ev, sizeof(ev));
		h = s_mix(h, &len, sizeof(len));
		if (len > 0)
			h = s_mix(h, bytes, len);
	}
	return h;
}

static uint64_t
s_diag_digest(const struct vt_diag *d, size_t size)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < d->count; i++) {
		const struct vt_diag_entry *e = &d->entries[i];
		fuzz_check(e->message != NULL && e->message[0] != '\0');
		fuzz_check(e->line >= 0 && (size_t)e->line <= size + 1);
		fuzz_check(e->column >= 0 && (size_t)e->column <= size + 1);
		h = s_mix(h, &e->line, sizeof(e->line));
		h = s_mix(h, &e->column, sizeof(e->column));
		h = s_mix(h, e->message, strlen(e->message));
	}
	return h;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vt_diag dm = {0}, df = {0};
	struct vt_session_reader *s = vt_session_open_mem("fuzz.vsr", data, size, &dm);
	int opened_mem = s != NULL;
	uint64_t hm = s_drain(s, &dm, size);
	vt_session_close(&s);

	int fd = memfd_create("fuzz.vsr", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t w = write(fd, data + off, size - off);
		fuzz_check(w > 0);
		off += (size_t)w;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	s = vt_session_open(path, &df);
	fuzz_check((s != NULL) == opened_mem);
	uint64_t hf = s_drain(s, &df, size);
	vt_session_close(&s);
	close(fd);

	fuzz_check(hm == hf);
	fuzz_check(dm.count == df.count);
	fuzz_check(s_diag_digest(&dm, size) == s_diag_digest(&df, size));
	vt_diag_clear(&dm);
	vt_diag_clear(&df);
	return 0;
}
