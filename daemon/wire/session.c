/*
 * Reading session recordings back (the format is in docs/recording.md).
 * Replay trusts what this returns, so everything is checked here: the
 * header must name the bed, port, protocol, speed, start and version, and
 * a format this reader knows; every event line must parse (the station
 * events of format 2 must be JSON objects); times must not go backwards. Problems are
 * reported as FILE:LINE:COLUMN like the configuration's, because the
 * person reading them may have edited the file by hand.
 *
 * One exception is deliberate: a last line without its newline is what a
 * machine crash in the middle of a write leaves, so it ends the file
 * quietly instead of being an error.
 *
 * Files are read a line at a time (a recording can be large); memory
 * input, for the tests and the fuzzer, goes through the same parser.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/base/timefmt.h"
#include "vitals/wire/session.h"
#include "vitals/wire/zfile.h"

#define S_MAGIC      "# vitalsd session recording"
#define S_MAX_DIGITS 15   /* offsets up to 10^15 ms, about 31,000 years */
#define S_MAX_BAUD   10000000

/* Header keys the reader knows: the first K_REQUIRED are required. */
enum { K_VERSION, K_BED, K_PORT, K_PROTOCOL, K_BAUD, K_START, K_REQUIRED,
       K_FORMAT = K_REQUIRED, K_CONFIG, K_CONFIG_SHA256, K_COUNT };
static const char *const s_keys[K_COUNT] = {"version", "bed", "port", "protocol", "baud",
                                            "start", "format", "config", "config-sha256"};

static const char *const s_words[VT_REC_EVENT_COUNT] = {
    "open", "data", "lost", "close", "control", "alert", "session", "config", "sent", "gap"};

struct vt_session_reader {
	char *name;               /* file name in diagnostics */
	FILE *fp;                 /* the file, or NULL when reading memory */
	char *mem;                /* the bytes, when reading memory (ours) */
	size_t mem_len, mem_pos;  /* their length, and where the next line starts */
	char *gl_buf;             /* getline's buffer */
	size_t gl_cap;            /* its size */
	char *line;               /* the current line, NUL-terminated, no line end */
	size_t len;               /* its length (a NUL inside means a bad line) */
	int lineno;               /* its number, from 1 */
	bool held;                /* `line` is an event the header scan read ahead */
	bool ended;               /* no more lines */
	char *values[K_COUNT];    /* header values, NULL until seen */
	int key_line[K_COUNT];    /* where each was given, for duplicates */
	struct vt_rec_info info;  /* views of values[] */
	int64_t start;            /* the header's start, ms since the epoch */
	int64_t last_off;         /* the latest good offset ... */
	int last_line;            /* ... and its line, to name it when time goes back */
	uint8_t *data;            /* decoded bytes of the current data line */
	size_t data_cap;          /* its size */
};

/*
 * The next line into s->line. 1; 0 at the end, including a last line with
 * no newline (a write cut short); -1 on a read error, with a diagnostic.
 */
static int
s_line(struct vt_session_reader *s, struct vt_diag *diag)
{
	if (s->ended)
		return 0;
	size_t n;
	if (s->fp != NULL) {
		errno = 0;
		ssize_t r = getline(&s->gl_buf, &s->gl_cap, s->fp);
		if (r < 0 && ferror(s->fp)) {
			vt_diag_add(diag, s->name, s->lineno + 1, 0, NULL, "cannot read: %s",
			            strerror(errno ? errno : EIO));
			s->ended = true;
			return -1;
		}
		if (r <= 0 || s->gl_buf[r - 1] != '\n') {
			s->ended = true;
			return 0;
		}
		s->line = s->gl_buf;
		n = (size_t)r - 1;
	} else {
		char *start = s->mem + s->mem_pos;
		char *nl = memchr(start, '\n', s->mem_len - s->mem_pos);
		if (nl == NULL) {
			s->ended = true;
			return 0;
		}
		s->line = start;
		n = (size_t)(nl - start);
		s->mem_pos += n + 1;
	}
	if (n > 0 && s->line[n - 1] == '\r')
		n--; /* a file that went through a Windows editor */
	s->line[n] = '\0';
	s->len = n;
	s->lineno++;
	return 1;
}

/* A diagnostic on the current line. */
#define S_BAD(s, diag, col, ...) \
	vt_diag_add((diag), (s)->name, (s)->lineno, (col), (s)->line, __VA_ARGS__)

/* A NUL byte inside the line: its column, or 0 if there is none. */
static int
s_nul_column(const struct vt_session_reader *s)
{
	size_t n = strlen(s->line);
	return n == s->len ? 0 : (int)n + 1;
}

/* One "# key: value" header line; other "#" lines are comments. false if bad. */
static bool
s_header_line(struct vt_session_reader *s, struct vt_diag *diag)
{
	int nul = s_nul_column(s);
	if (nul) {
		S_BAD(s, diag, nul, "NUL byte in the header");
		return false;
	}
	const char *p = s->line + 1;
	if (*p != ' ')
		return true;
	const char *key = ++p;
	while ((*p >= 'a' && *p <= 'z') || *p == '_' || *p == '-' ||
	       (p > key && isdigit((unsigned char)*p)))
		p++;
	if (p == key || *p != ':')
		return true;
	size_t klen = (size_t)(p - key);
	int k = 0;
	while (k < K_COUNT && !(strlen(s_keys[k]) == klen && memcmp(s_keys[k], key, klen) == 0))
		k++;
	if (k == K_COUNT)
		return true; /* a field a later version added: keep reading */
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	int col = (int)(p - s->line) + 1;
	size_t vlen = strlen(p);
	while (vlen > 0 && (p[vlen - 1] == ' ' || p[vlen - 1] == '\t'))
		vlen--;
	if (s->key_line[k] != 0) {
		S_BAD(s, diag, 3, "'%s' given twice (first on line %d)", s_keys[k], s->key_line[k]);
		return false;
	}
	s->key_line[k] = s->lineno; /* even if bad: one message per problem */
	if (vlen == 0) {
		S_BAD(s, diag, col, "'%s' is empty", s_keys[k]);
		return false;
	}
	char *v = strndup(p, vlen);
	if (v == NULL) {
		S_BAD(s, diag, col, "out of memory");
		return false;
	}
	if (k == K_BAUD) {
		char *end;
		errno = 0;
		long b = strtol(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno || b < 1 || b > S_MAX_BAUD) {
			S_BAD(s, diag, col, "baud must be a line speed such as 9600, found '%s'", v);
			free(v);
			return false;
		}
		s->info.baud = (int)b;
	} else if (k == K_FORMAT) {
		char *end;
		errno = 0;
		long f = strtol(v, &end, 10);
		if (!isdigit((unsigned char)v[0]) || *end != '\0' || errno || f < 1) {
			S_BAD(s, diag, col, "format must be a number such as %d, found '%s'",
			      VT_SESSION_FORMAT, v);
			free(v);
			return false;
		}
		if (f > VT_SESSION_FORMAT) {
			S_BAD(s, diag, col, "written in format %ld by a newer vitalsd; this one reads "
			      "formats 1 to %d", f, VT_SESSION_FORMAT);
			free(v);
			return false;
		}
		s->info.format = (int)f;
	} else if (k == K_START && vt_time_parse(v, &s->start) != 0) {
		S_BAD(s, diag, col, "start must be an RFC 3339 time such as 2026-11-21T10:00:00.000Z, "
		                    "found '%s'", v);
		free(v);
		return false;
	}
	s->values[k] = v;
	return true;
}

/* Read the magic line and the header, up to (and holding) the first event. */
static bool
s_header(struct vt_session_reader *s, struct vt_diag *diag)
{
	int rc = s_line(s, diag);
	if (rc < 0)
		return false;
	if (rc == 0 || strcmp(s->line, S_MAGIC) != 0 || s->len != strlen(S_MAGIC)) {
		vt_diag_add(diag, s->name, 1, 1, rc > 0 ? s->line : NULL,
		            "not a vitalsd session recording: the first line must be '%s'", S_MAGIC);
		return false;
	}
	bool ok = true;
	while ((rc = s_line(s, diag)) > 0) {
		if (s->line[0] == '#')
			ok &= s_header_line(s, diag);
		else if (s->len > 0) {
			s->held = true;
			break;
		}
	}
	if (rc < 0)
		return false;
	for (int k = 0; k < K_REQUIRED; k++) {
		if (s->key_line[k] != 0)
			continue; /* present (if bad, already reported) */
		ok = false;
		if (s->held)
			S_BAD(s, diag, 1, "the header has no '%s:' line before the first event",
			      s_keys[k]);
		else
			vt_diag_add(diag, s->name, s->lineno, 0, NULL,
			            "the file ends inside its header: no '%s:' line", s_keys[k]);
	}
	s->info.bed = s->values[K_BED];
	s->info.port = s->values[K_PORT];
	s->info.protocol = s->values[K_PROTOCOL];
	s->info.version = s->values[K_VERSION];
	s->info.config = s->values[K_CONFIG];
	s->info.config_sha256 = s->values[K_CONFIG_SHA256];
	if (s->info.format == 0)
		s->info.format = 1; /* written before the format had a number */
	return ok;
}

static struct vt_session_reader *
s_new(const char *name)
{
	struct vt_session_reader *s = calloc(1, sizeof(*s));
	if (s != NULL && (s->name = strdup(name ? name : "-")) == NULL) {
		free(s);
		s = NULL;
	}
	return s;
}

static struct vt_session_reader *
s_open(struct vt_session_reader *s, struct vt_diag *diag)
{
	if (!s_header(s, diag))
		vt_session_close(&s);
	return s;
}

struct vt_session_reader *
vt_session_open(const char *path, struct vt_diag *diag)
{
	struct vt_session_reader *s = s_new(path);
	if (s == NULL) {
		vt_diag_add(diag, path, 0, 0, NULL, "out of memory");
		return NULL;
	}
	s->fp = vt_zfile_open(path); /* plain, or gzip after vitals-archive */
	if (s->fp == NULL) {
		vt_diag_add(diag, path, 0, 0, NULL, "cannot read: %s", strerror(errno));
		vt_session_close(&s);
		return NULL;
	}
	return s_open(s, diag);
}

struct vt_session_reader *
vt_session_open_mem(const char *name, const void *bytes, size_t len, struct vt_diag *diag)
{
	struct vt_session_reader *s = s_new(name);
	/* One spare byte, so that empty input still gets a buffer of its own. */
	if (s == NULL || (s->mem = malloc(len + 1)) == NULL) {
		vt_diag_add(diag, name, 0, 0, NULL, "out of memory");
		vt_session_close(&s);
		return NULL;
	}
	if (len > 0)
		memcpy(s->mem, bytes, len);
	s->mem_len = len;
	return s_open(s, diag);
}

int
vt_session_detect_mem(const void *bytes, size_t len)
{
	size_t m = strlen(S_MAGIC);
	const char *b = bytes;
	return len > m && memcmp(b, S_MAGIC, m) == 0 &&
	       (b[m] == '\n' || (b[m] == '\r' && len > m + 1 && b[m + 1] == '\n'));
}

int
vt_session_detect(const char *path)
{
	FILE *fp = vt_zfile_open(path);
	if (fp == NULL)
		return 0;
	char first[sizeof(S_MAGIC) + 2];
	bool yes = fgets(first, sizeof(first), fp) != NULL &&
	           (strcmp(first, S_MAGIC "\n") == 0 || strcmp(first, S_MAGIC "\r\n") == 0);
	fclose(fp);
	return yes;
}

const struct vt_rec_info *
vt_session_info(const struct vt_session_reader *s)
{
	return &s->info;
}

int64_t
vt_session_start(const struct vt_session_reader *s)
{
	return s->start;
}

static int
s_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Room for `need` bytes of an event's data in s->data; 0, or -1 with a diagnostic. */
static int
s_room(struct vt_session_reader *s, size_t need, struct vt_diag *diag)
{
	if (need <= s->data_cap)
		return 0;
	uint8_t *d = realloc(s->data, need);
	if (d == NULL) {
		S_BAD(s, diag, 0, "out of memory");
		return -1;
	}
	s->data = d;
	s->data_cap = need;
	return 0;
}

/* Decode the hex at `p` (bytes in pairs, blanks between pairs) into s->data. */
static int
s_hex(struct vt_session_reader *s, const char *p, size_t *n, struct vt_diag *diag)
{
	if (s_room(s, strlen(p) / 2 + 1, diag) != 0)
		return -1;
	*n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		int hi = s_hexval(p[0]), lo = hi < 0 ? -1 : s_hexval(p[1]);
		int col = (int)(p - s->line) + 1 + (hi >= 0);
		if (hi < 0 || lo < 0) {
			char c = hi < 0 ? p[0] : p[1];
			if (hi >= 0 && (c == '\0' || c == ' ' || c == '\t'))
				S_BAD(s, diag, col - 1, "a byte needs two hex digits");
			else if (isprint((unsigned char)c))
				S_BAD(s, diag, col, "'%c' is not a hex digit", c);
			else
				S_BAD(s, diag, col, "byte 0x%02x is not a hex digit", (unsigned char)c);
			return -1;
		}
		s->data[(*n)++] = (uint8_t)(hi << 4 | lo);
		p += 2;
	}
	if (*n == 0) {
		S_BAD(s, diag, (int)s->len + 1, "a data line needs at least one byte of hex");
		return -1;
	}
	return 0;
}

/* Decode the escaped text at `p` (a `text` line, format 3) into s->data. */
static int
s_text(struct vt_session_reader *s, const char *p, size_t *n, struct vt_diag *diag)
{
	if (s_room(s, strlen(p) + 1, diag) != 0)
		return -1;
	*n = 0;
	for (; *p != '\0'; p++) {
		if (*p != '\\') {
			s->data[(*n)++] = (uint8_t)*p;
			continue;
		}
		int col = (int)(p - s->line) + 1;
		char c = p[1];
		if (c == 'r' || c == 'n' || c == 't' || c == '\\') {
			s->data[(*n)++] = c == 'r' ? '\r' : c == 'n' ? '\n' : c == 't' ? '\t' : '\\';
			p++;
		} else if (c == 'x' && s_hexval(p[2]) >= 0 && s_hexval(p[3]) >= 0) {
			s->data[(*n)++] = (uint8_t)(s_hexval(p[2]) << 4 | s_hexval(p[3]));
			p += 3;
		} else {
			S_BAD(s, diag, col, "unknown escape in text: expected \\r, \\n, \\t, \\\\ or "
			      "\\xNN");
			return -1;
		}
	}
	if (*n == 0) {
		S_BAD(s, diag, (int)s->len + 1, "a text line needs at least one byte");
		return -1;
	}
	return 0;
}

/* The argument of a station event must be one JSON object; 0, or -1 with a diagnostic. */
static int
s_json_object(struct vt_session_reader *s, const char *p, size_t n, struct vt_diag *diag)
{
	json_error_t e;
	json_t *o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &e);
	int col = (int)(p - s->line) + 1;
	if (o == NULL)
		S_BAD(s, diag, col + (e.position > 0 ? e.position - 1 : 0), "not JSON: %s", e.text);
	else if (!json_is_object(o))
		S_BAD(s, diag, col, "expected a JSON object");
	int rc = json_is_object(o) ? 0 : -1;
	json_decref(o);
	return rc;
}

int
vt_session_format_header(char *out, size_t cap, const struct vt_rec_info *info, int64_t start_ms)
{
	char when[VT_TIME_BUFSZ];
	return snprintf(out, cap,
	                S_MAGIC "\n"
	                "# format: %d\n"
	                "# version: %s\n"
	                "# bed: %s\n"
	                "# port: %s\n"
	                "# protocol: %s\n"
	                "# baud: %d\n"
	                "# start: %s\n",
	                VT_SESSION_FORMAT, info->version, info->bed, info->port, info->protocol,
	                info->baud, vt_time_format(start_ms, when));
}

size_t
vt_session_hex(char *out, const uint8_t *bytes, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t used = 0;
	for (size_t i = 0; i < n && i < VT_SESSION_BYTES_PER_LINE; i++) {
		if (i % 4 == 0)
			out[used++] = ' ';
		out[used++] = hex[bytes[i] >> 4];
		out[used++] = hex[bytes[i] & 15];
	}
	out[used] = '\0';
	return used;
}

const char *
vt_rec_event_name(enum vt_rec_event ev)
{
	return (unsigned)ev < VT_REC_EVENT_COUNT ? s_words[ev] : "?";
}

/* Parse the current line as an event. 1, or -1 with a diagnostic. */
static int
s_event(struct vt_session_reader *s, int64_t *t_ms, enum vt_rec_event *ev, const uint8_t **data,
        size_t *len, struct vt_diag *diag)
{
	const char *l = s->line;
	int nul = s_nul_column(s);
	if (nul) {
		S_BAD(s, diag, nul, "NUL byte in an event line");
		return -1;
	}
	if (!isdigit((unsigned char)l[0])) {
		S_BAD(s, diag, 1, "expected an event: MILLISECONDS open|data HEX|lost REASON|close|"
		      "control JSON|alert JSON|session JSON|config JSON|sent HEX|gap TEXT");
		return -1;
	}
	int64_t off = 0;
	size_t i = 0;
	for (; isdigit((unsigned char)l[i]); i++) {
		if (i == S_MAX_DIGITS) {
			S_BAD(s, diag, 1, "time offset too large");
			return -1;
		}
		off = off * 10 + (l[i] - '0');
	}
	if (l[i] != ' ' && l[i] != '\t') {
		S_BAD(s, diag, (int)i + 1, "expected a space and an event after the time");
		return -1;
	}
	while (l[i] == ' ' || l[i] == '\t')
		i++;
	size_t w = i;
	while (isalpha((unsigned char)l[i]))
		i++;
	int k = 0;
	/* `text` is data in another spelling: a text protocol's bytes, escaped (format 3). */
	bool text = i - w == 4 && memcmp(l + w, "text", 4) == 0;
	while (!text && k < VT_REC_EVENT_COUNT &&
	       !(strlen(s_words[k]) == i - w && memcmp(s_words[k], l + w, i - w) == 0))
		k++;
	if (text)
		k = VT_REC_DATA;
	if (k == VT_REC_EVENT_COUNT || (l[i] != '\0' && l[i] != ' ' && l[i] != '\t')) {
		size_t e = w;
		while (l[e] != '\0' && l[e] != ' ' && l[e] != '\t')
			e++;
		S_BAD(s, diag, (int)w + 1, "unknown event '%.*s' (expected open, data, lost, close, "
		      "control, alert, session, config, sent or gap)", (int)(e - w), l + w);
		return -1;
	}
	if (k == VT_REC_GAP && s->info.format < 4) {
		S_BAD(s, diag, (int)w + 1, "a 'gap' event in a format-%d recording (gap lines are "
		      "format 4)", s->info.format);
		return -1;
	}
	if (text && s->info.format < 3) {
		S_BAD(s, diag, (int)w + 1, "a 'text' event in a format-%d recording (text lines are "
		      "format 3)", s->info.format);
		return -1;
	}
	if (VT_REC_IS_JSON(k) && s->info.format < 2) {
		S_BAD(s, diag, (int)w + 1, "a '%s' event in a format-1 recording (the header has no "
		      "'format: 2' line)", s_words[k]);
		return -1;
	}
	while (l[i] == ' ' || l[i] == '\t')
		i++;
	if (off < s->last_off) {
		S_BAD(s, diag, 1, "time goes backwards: %lld ms after %lld ms on line %d",
		      (long long)off, (long long)s->last_off, s->last_line);
		return -1;
	}
	*ev = (enum vt_rec_event)k;
	if (text) {
		/* Blanks after the word separate; blanks in the text are escaped at its ends. */
		if (s_text(s, l + i, len, diag) != 0)
			return -1;
		*data = s->data;
	} else if (VT_REC_IS_BYTES(*ev)) {
		if (s_hex(s, l + i, len, diag) != 0)
			return -1;
		*data = s->data;
	} else {
		*data = (const uint8_t *)(l + i);
		*len = s->len - i;
		if (VT_REC_IS_JSON(*ev) && s_json_object(s, l + i, *len, diag) != 0)
			return -1;
	}
	s->last_off = off;
	s->last_line = s->lineno;
	*t_ms = s->start + off;
	return 1;
}

int
vt_session_next(struct vt_session_reader *s, int64_t *t_ms, enum vt_rec_event *ev,
                const uint8_t **data, size_t *len, struct vt_diag *diag)
{
	*data = NULL;
	*len = 0;
	for (;;) {
		if (s->held)
			s->held = false;
		else {
			int rc = s_line(s, diag);
			if (rc <= 0)
				return rc;
		}
		if (s->len == 0 || s->line[0] == '#')
			continue; /* blank lines and comments are for people */
		return s_event(s, t_ms, ev, data, len, diag);
	}
}

int
vt_session_line(const struct vt_session_reader *s)
{
	return s->lineno;
}

void
vt_session_close(struct vt_session_reader **sp)
{
	struct vt_session_reader *s = *sp;
	if (s == NULL)
		return;
	if (s->fp != NULL)
		fclose(s->fp);
	for (int k = 0; k < K_COUNT; k++)
		free(s->values[k]);
	free(s->name);
	free(s->mem);
	free(s->gl_buf);
	free(s->data);
	free(s);
	*sp = NULL;
}
