/*
 * libyaml document walking for the configuration loader and the
 * emulator's scenario reader: positions, errors, node helpers and the
 * key-table walk. config.c holds the tables and the rules of the file;
 * this file knows YAML and nothing about monitors, alarms or patients.
 *
 * Why the document API: every node keeps its start mark, so an error can
 * point at the exact key or value. Why collect errors instead of printing
 * them: the checks run in table order and cross-checks run at the end, yet
 * the administrator should read the errors in file order; they are sorted
 * by position when the parse closes. Why claim nodes: libyaml resolves an
 * alias to the very node it names, so a hostile file could make a naive
 * walk visit one node millions of times; a node is walked once at most.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vitals/base/timefmt.h"
#include "vitals/config/yaml.h"

/* The longest source line copied into a diagnostic. */
#define S_SOURCE_MAX 512

static const char s_bom[] = "\xEF\xBB\xBF";

/* ---- errors -------------------------------------------------------- */

static void
s_verror(struct vt_cy *c, int line, int column, const char *fmt, va_list ap)
{
	if (c->n_errors >= VT_CY_MAX_KEPT) {
		c->dropped++;
		return;
	}
	if (c->n_errors == c->cap_errors) {
		size_t cap = c->cap_errors ? c->cap_errors * 2 : 16;
		struct vt_cy_error *e = realloc(c->errors, cap * sizeof(*e));
		if (e == NULL) {
			c->oom = true;
			return;
		}
		c->errors = e;
		c->cap_errors = cap;
	}
	struct vt_cy_error *e = &c->errors[c->n_errors];
	if (vasprintf(&e->msg, fmt, ap) < 0) {
		c->oom = true;
		return;
	}
	e->line = line;
	e->column = column;
	e->order = c->n_errors++;
}

void
vt_cy_error_mark(struct vt_cy *c, yaml_mark_t at, const char *fmt, ...)
{
	int line = at.line < 1000000000 ? (int)at.line + 1 : 1000000000;
	int column = at.column < 1000000000 ? (int)at.column + 1 : 1000000000;
	va_list ap;
	va_start(ap, fmt);
	s_verror(c, line, column, fmt, ap);
	va_end(ap);
}

void
vt_cy_error(struct vt_cy *c, const yaml_node_t *at, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		c->oom = true;
		msg = NULL;
	}
	va_end(ap);
	if (msg == NULL)
		return;
	yaml_mark_t m = {0, 0, 0};
	if (at != NULL)
		m = at->start_mark;
	vt_cy_error_mark(c, m, "%s", msg);
	free(msg);
}

void
vt_cy_oom(struct vt_cy *c)
{
	c->oom = true;
}

char *
vt_cy_strdup(struct vt_cy *c, const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		c->oom = true;
	return d;
}

void *
vt_cy_calloc(struct vt_cy *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		c->oom = true;
	return p;
}

bool
vt_cy_failed(const struct vt_cy *c)
{
	return c->n_errors > 0 || c->dropped > 0 || c->oom;
}

/* ---- positions and source lines -------------------------------------- */

/*
 * Length of the line break at text[i], or 0. These are the breaks libyaml
 * counts lines by: CR LF, CR, LF, NEL, LS and PS.
 */
static size_t
s_break_len(const char *text, size_t len, size_t i)
{
	const unsigned char *t = (const unsigned char *)text;
	if (t[i] == '\r')
		return i + 1 < len && t[i + 1] == '\n' ? 2 : 1;
	if (t[i] == '\n')
		return 1;
	if (t[i] == 0xC2 && i + 1 < len && t[i + 1] == 0x85)
		return 2;
	if (t[i] == 0xE2 && i + 2 < len && t[i + 1] == 0x80 && (t[i + 2] == 0xA8 || t[i + 2] == 0xA9))
		return 3;
	return 0;
}

/* Byte offset of the end of the line starting at `start` (its break, or len). */
static size_t
s_line_end(const char *text, size_t len, size_t start)
{
	size_t i = start;
	while (i < len && s_break_len(text, len, i) == 0)
		i++;
	return i;
}

/* A copy of text[start, end) fit for a diagnostic, or NULL. */
static char *
s_source_copy(const char *text, size_t start, size_t end)
{
	size_t n = end - start;
	if (n > S_SOURCE_MAX) {
		n = S_SOURCE_MAX;
		/* Do not cut a UTF-8 sequence in half. */
		while (n > 0 && ((unsigned char)text[start + n] & 0xC0) == 0x80)
			n--;
	}
	return strndup(text + start, n);
}

/* Byte offset of character `column` (0-based) of the line at `start`. */
static size_t
s_column_offset(const char *text, size_t len, size_t start, size_t column)
{
	size_t end = s_line_end(text, len, start), i = start;
	for (size_t col = 0; col < column && i < end; col++) {
		i++;
		while (i < end && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	return i;
}

/* Byte offset of the start of line `line` (0-based), or len if there is none. */
static size_t
s_line_start(const char *text, size_t len, size_t line)
{
	size_t i = 0;
	for (size_t l = 0; l < line && i < len; l++) {
		i = s_line_end(text, len, i);
		if (i < len)
			i += s_break_len(text, len, i);
	}
	return i;
}

static int
s_error_cmp(const void *a, const void *b)
{
	const struct vt_cy_error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Sort the errors by position and hand them to diag with their lines. */
static void
s_emit(struct vt_cy *c, struct vt_diag *diag)
{
	if (c->n_errors > 1)
		qsort(c->errors, c->n_errors, sizeof(*c->errors), s_error_cmp);
	size_t shown = c->n_errors < VT_CY_MAX_SHOWN ? c->n_errors : VT_CY_MAX_SHOWN;
	/* One forward scan finds every line, since the errors are sorted. */
	size_t pos = 0;
	int line = 1;
	for (size_t i = 0; i < shown; i++) {
		const struct vt_cy_error *e = &c->errors[i];
		while (line < e->line && pos < c->len) {
			pos = s_line_end(c->text, c->len, pos);
			if (pos < c->len)
				pos += s_break_len(c->text, c->len, pos);
			line++;
		}
		char *src = NULL;
		if (line == e->line && pos < c->len)
			src = s_source_copy(c->text, pos, s_line_end(c->text, c->len, pos));
		vt_diag_add(diag, c->file, e->line, e->column, src, "%s", e->msg);
		free(src);
	}
	size_t hidden = c->n_errors - shown + c->dropped;
	if (hidden > 0)
		vt_diag_add(diag, c->file, 0, 0, NULL, "%zu more error%s not shown", hidden,
		            hidden == 1 ? "" : "s");
	if (c->oom)
		vt_diag_add(diag, c->file, 0, 0, NULL, "out of memory while reading the file");
}

/* ---- opening a document ------------------------------------------------ */

/*
 * libyaml reports the end of the stream on the line after the last one;
 * point at the end of the last line instead, which an editor can show.
 */
static void
s_clamp_to_text(const struct vt_cy *c, yaml_mark_t *m)
{
	size_t lines = 0, last = 0; /* lines an editor shows; start of the last one */
	for (size_t i = 0; i < c->len;) {
		size_t br = s_break_len(c->text, c->len, i);
		if (br == 0) {
			i++;
			continue;
		}
		lines++;
		i += br;
		last = i;
	}
	if (last < c->len)
		lines++; /* a last line without a line break */
	else if (lines > 0)
		last = s_line_start(c->text, c->len, lines - 1);
	if (m->line < lines)
		return;
	if (lines == 0) {
		m->line = m->column = 0;
		return;
	}
	m->line = lines - 1;
	m->column = 0;
	for (size_t i = last, end = s_line_end(c->text, c->len, last); i < end; i++)
		m->column += ((unsigned char)c->text[i] & 0xC0) != 0x80;
}

/* Record libyaml's complaint with the position it gives. */
static void
s_syntax_error(struct vt_cy *c, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR) {
		c->oom = true;
		return;
	}
	yaml_mark_t m = p->problem_mark;
	if (p->error == YAML_READER_ERROR) {
		/* The reader gives a byte offset only; find its line and column. */
		size_t off = p->problem_offset < c->len ? p->problem_offset : c->len;
		m.line = 0;
		m.column = 0;
		for (size_t i = 0; i < off;) {
			size_t br = s_break_len(c->text, c->len, i);
			if (br > 0) {
				m.line++;
				m.column = 0;
				i += br;
				continue;
			}
			if (((unsigned char)c->text[i] & 0xC0) != 0x80)
				m.column++;
			i++;
		}
		s_clamp_to_text(c, &m);
		if (p->problem_value != -1)
			vt_cy_error_mark(c, m, "syntax error: %s (0x%X); the file must be UTF-8 text",
			                 p->problem ? p->problem : "unreadable text",
			                 (unsigned)p->problem_value);
		else
			vt_cy_error_mark(c, m, "syntax error: %s; the file must be UTF-8 text",
			                 p->problem ? p->problem : "unreadable text");
		return;
	}
	s_clamp_to_text(c, &m);
	size_t at = s_column_offset(c->text, c->len, s_line_start(c->text, c->len, m.line),
	                            m.column);
	if (at < c->len && c->text[at] == '\t') {
		vt_cy_error_mark(c, m, "syntax error: found a tab; YAML indents with spaces, not tabs");
		return;
	}
	const char *problem = p->problem ? p->problem : "malformed YAML";
	/* libyaml's words for a key indented differently from its neighbours. */
	const char *hint = "";
	if (strstr(problem, "expected key") || strstr(problem, "expected <block end>") ||
	    strstr(problem, "expected '-'"))
		hint = "; check the indentation";
	else if (strstr(problem, "mapping values are not allowed"))
		hint = "; check the indentation, or quote a value that contains \": \"";
	yaml_mark_t cm = p->context_mark;
	s_clamp_to_text(c, &cm);
	if (p->context == NULL)
		vt_cy_error_mark(c, m, "syntax error: %s%s", problem, hint);
	else if (cm.line == m.line && cm.column == m.column)
		vt_cy_error_mark(c, m, "syntax error: %s (%s)%s", problem, p->context, hint);
	else
		vt_cy_error_mark(c, m, "syntax error: %s (%s that starts at line %zu, column %zu)%s",
		                 problem, p->context, cm.line + 1, cm.column + 1, hint);
}

/*
 * Anchors and aliases have no use in a file of a few dozen keys and make
 * errors point at the wrong place; reject each one where it is written.
 * The document API forgets where aliases were, so the events are replayed.
 */
static void
s_reject_anchors(struct vt_cy *c)
{
	if (memchr(c->text, '&', c->len) == NULL && memchr(c->text, '*', c->len) == NULL)
		return;
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		c->oom = true;
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	for (bool done = false; !done;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev))
			break;
		const yaml_char_t *anchor = NULL;
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			vt_cy_error_mark(c, ev.start_mark,
			                 "aliases (*%.40s) are not supported; write the value out in full",
			                 (const char *)ev.data.alias.anchor);
			break;
		case YAML_SCALAR_EVENT:
			anchor = ev.data.scalar.anchor;
			break;
		case YAML_SEQUENCE_START_EVENT:
			anchor = ev.data.sequence_start.anchor;
			break;
		case YAML_MAPPING_START_EVENT:
			anchor = ev.data.mapping_start.anchor;
			break;
		case YAML_DOCUMENT_END_EVENT:
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		if (anchor != NULL)
			vt_cy_error_mark(c, ev.start_mark,
			                 "anchors (&%.40s) are not supported; write the value out in full",
			                 (const char *)anchor);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

/*
 * libyaml's scanner does work proportional to the flow nesting depth for
 * every token, so "[[[[..." costs quadratic time. No configuration nests
 * more than three levels; refuse deep flow nesting before libyaml sees it.
 * Quotes and comments are skipped roughly, which is all a bound needs.
 */
static int
s_check_flow_depth(struct vt_cy *c)
{
	const char *t = c->text;
	size_t depth = 0;
	yaml_mark_t m = {0, 0, 0};
	char quote = 0, prev = '\n';
	for (size_t i = 0; i < c->len; i++) {
		char ch = t[i];
		size_t br = s_break_len(t, c->len, i);
		if (br > 0) {
			m.line++;
			m.column = 0;
			i += br - 1;
			prev = '\n';
			if (quote == '#')
				quote = 0;
			continue;
		}
		if (((unsigned char)ch & 0xC0) != 0x80)
			m.column++;
		if (quote == '#') {
			continue;
		} else if (quote == '"') {
			if (ch == '\\' && i + 1 < c->len && t[i + 1] != '\n' && t[i + 1] != '\r')
				i++, m.column++;
			else if (ch == '"')
				quote = 0;
		} else if (quote == '\'') {
			if (ch == '\'')
				quote = 0;
		} else if (ch == '#' && (prev == ' ' || prev == '\t' || prev == '\n')) {
			quote = '#';
		} else if ((ch == '"' || ch == '\'') && strchr(" \t\n[{,:-", prev) != NULL) {
			quote = ch;
		} else if (ch == '[' || ch == '{') {
			if (++depth > VT_CY_MAX_DEPTH) {
				m.column--;
				vt_cy_error_mark(c, m, "syntax error: lists and mappings nested more than %d "
				                 "deep", VT_CY_MAX_DEPTH);
				return -1;
			}
		} else if ((ch == ']' || ch == '}') && depth > 0) {
			depth--;
		}
		prev = ch;
	}
	return 0;
}

int
vt_cy_open(struct vt_cy *c, const char *file, const char *text, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->file = file;
	c->text = text ? text : "";
	c->len = text ? len : 0;
	/*
	 * A byte-order mark is not part of the first line as editors show it,
	 * and libyaml would count it as a column; leave it out of everything.
	 */
	if (c->len >= 3 && memcmp(c->text, s_bom, 3) == 0) {
		c->text += 3;
		c->len -= 3;
	}
	if (s_check_flow_depth(c) != 0)
		return -1;
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		c->oom = true;
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)c->text, c->len);
	/* Decide the encoding ourselves: source lines are shown as UTF-8 bytes. */
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	if (!yaml_parser_load(&p, &c->doc)) {
		s_syntax_error(c, &p);
		yaml_parser_delete(&p);
		return -1;
	}
	c->loaded = true;
	c->n_nodes = (size_t)(c->doc.nodes.top - c->doc.nodes.start);
	c->claimed = vt_cy_calloc(c, c->n_nodes, 1);
	if (c->claimed == NULL) {
		yaml_parser_delete(&p);
		return -1;
	}
	/* One file, one document: a second one would be silently ignored. */
	yaml_document_t next;
	if (!yaml_parser_load(&p, &next)) {
		s_syntax_error(c, &p);
	} else {
		if (yaml_document_get_root_node(&next) != NULL)
			vt_cy_error_mark(c, next.start_mark,
			                 "the file holds one YAML document; this is a second one");
		yaml_document_delete(&next);
	}
	yaml_parser_delete(&p);
	s_reject_anchors(c);
	return 0;
}

void
vt_cy_close(struct vt_cy *c, struct vt_diag *diag)
{
	if (diag != NULL)
		s_emit(c, diag);
	for (size_t i = 0; i < c->n_errors; i++)
		free(c->errors[i].msg);
	free(c->errors);
	free(c->claimed);
	if (c->loaded)
		yaml_document_delete(&c->doc);
	memset(c, 0, sizeof(*c));
}

const yaml_node_t *
vt_cy_root(struct vt_cy *c)
{
	return c->loaded ? yaml_document_get_root_node(&c->doc) : NULL;
}

/* ---- nodes ------------------------------------------------------------- */

bool
vt_cy_claim(struct vt_cy *c, const yaml_node_t *n)
{
	if (!c->loaded || n < c->doc.nodes.start || n >= c->doc.nodes.top)
		return true; /* a synthetic node (a default): never shared */
	size_t i = (size_t)(n - c->doc.nodes.start);
	if (c->claimed[i])
		return false;
	c->claimed[i] = 1;
	return true;
}

bool
vt_cy_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	       strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

const char *
vt_cy_quote(const char *s, char *buf, size_t len)
{
	/* Leave room for the quotes, an ellipsis and the terminator. */
	size_t o = 0, limit = len > 8 ? len - 8 : 0;
	buf[o++] = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[5];
		size_t n;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			n = 2;
		} else if (*p < 0x20 || *p == 0x7F) {
			snprintf(esc, sizeof(esc), "\\x%02X", *p);
			n = 4;
		} else {
			/* A whole UTF-8 sequence at once, so it is never cut. */
			n = 1;
			while (p[n] != 0 && (p[n] & 0xC0) == 0x80 && n < 4)
				n++;
			memcpy(esc, p, n);
			p += n - 1;
		}
		if (o + n > limit) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *
vt_cy_describe(const yaml_node_t *n, char *buf, size_t len)
{
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		if (vt_cy_is_null(n))
			return "an empty value";
		if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
			return "text with a NUL character";
		return vt_cy_quote((const char *)n->data.scalar.value, buf, len);
	default:
		return "nothing";
	}
}

const char *
vt_cy_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

const char *
vt_cy_scalar(struct vt_cy *c, const char *path, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_SCALAR_NODE && !vt_cy_is_null(n) &&
	    strlen((const char *)n->data.scalar.value) == n->data.scalar.length)
		return (const char *)n->data.scalar.value;
	char q[VT_CY_QUOTE_MAX];
	vt_cy_error(c, n, "%s: expected %s, got %s", path, what, vt_cy_describe(n, q, sizeof(q)));
	return NULL;
}

size_t
vt_cy_count(const yaml_node_t *seq)
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

const yaml_node_t *
vt_cy_item(struct vt_cy *c, const yaml_node_t *seq, size_t i)
{
	const yaml_node_t *n = yaml_document_get_node(&c->doc, seq->data.sequence.items.start[i]);
	if (n == NULL || !vt_cy_claim(c, n))
		return NULL;
	return n;
}

const char *
vt_cy_path(char *buf, size_t len, const char *path, const char *key)
{
	snprintf(buf, len, "%s%s%s", path, *path ? "." : "", key);
	return buf;
}

const char *
vt_cy_path_index(char *buf, size_t len, const char *path, size_t i)
{
	snprintf(buf, len, "%s[%zu]", path, i);
	return buf;
}

int
vt_cy_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO put in the file's place must not wait for
	 * a writer (a reload would never end); only a regular file is read. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	int err = 0;
	if (fd < 0)
		err = errno;
	else if (fstat(fd, &st) != 0)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = EISDIR;
	else if (!S_ISREG(st.st_mode))
		err = VT_CY_NOT_REGULAR;
	/* One byte more than allowed, to tell "at the limit" from "over it". */
	if (err == 0 && (*buf = malloc(max + 1)) == NULL)
		err = ENOMEM;
	while (err == 0 && *len < max + 1) {
		ssize_t n = read(fd, *buf + *len, max + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = errno;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (err == 0 && *len > max)
		err = EFBIG;
	if (err != 0) {
		free(*buf);
		*buf = NULL;
		*len = 0;
	}
	return err;
}

char *
vt_cy_load(const char *path, size_t max, const char *what, struct vt_diag *diag, size_t *len)
{
	char *buf = NULL;
	int err = vt_cy_read_file(path, max, &buf, len);
	if (err == VT_CY_NOT_REGULAR)
		vt_diag_add(diag, path, 0, 0, NULL, "not a regular file (a FIFO, a device or a socket); "
		            "%s is read from a regular file only", what);
	else if (err == EFBIG)
		vt_diag_add(diag, path, 0, 0, NULL, "too large (more than %zu bytes); %s is at most %zu "
		            "bytes", max, what, max);
	else if (err != 0)
		vt_diag_add(diag, path, 0, 0, NULL, "cannot read: %s", strerror(err));
	return buf;
}
