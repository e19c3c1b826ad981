/*
 * The users file (see vitals/web/users.h). Parsing walks the text line by
 * line and column by column so that a mistake can be pointed at; hashing
 * and checking are libsodium's crypto_pwhash_str and _verify, nothing of
 * our own.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vitals/web/users.h"

#define S_NAME_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@-"
#define S_ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
/* What crypto_pwhash_str writes: the Argon2 PHC string alphabet. */
#define S_HASH_CHARS S_ALNUM "$=,+/"

bool
vt_user_name_ok(const char *name)
{
	size_t len = strlen(name);
	return len >= 1 && len <= VT_USER_NAME_MAX && strchr(S_ALNUM, name[0]) != NULL &&
	       strspn(name, S_NAME_CHARS) == len;
}

const char *
vt_role_name(enum vt_web_role r)
{
	return r == VT_ROLE_NURSE ? "nurse" : "viewer";
}

int
vt_role_by_name(const char *name)
{
	if (strcmp(name, "nurse") == 0)
		return VT_ROLE_NURSE;
	if (strcmp(name, "viewer") == 0)
		return VT_ROLE_VIEWER;
	return -1;
}

void
vt_users_free(struct vt_web_users *u)
{
	if (u == NULL)
		return;
	if (u->v != NULL)
		sodium_memzero(u->v, u->n * sizeof(*u->v));
	free(u->v);
	u->v = NULL;
	u->n = 0;
}

const struct vt_web_user *
vt_users_find(const struct vt_web_users *u, const char *name)
{
	for (size_t i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return &u->v[i];
	return NULL;
}

/* One field of a line, up to ':' or the end; its length. */
static size_t
s_field(const char *p, size_t left)
{
	const char *c = memchr(p, ':', left);
	return c ? (size_t)(c - p) : left;
}

/* Check one line (no newline); fill `u`. 0, or -1 with the column and message. */
static int
s_line(const char *line, size_t len, struct vt_web_user *u, size_t *col, char *msg, size_t msglen)
{
	const char *p = line;
	size_t left = len;
	size_t n = s_field(p, left);
	*col = 1;
	if (n == 0 || n > VT_USER_NAME_MAX) {
		snprintf(msg, msglen, "a user name of 1 to %d characters is expected", VT_USER_NAME_MAX);
		return -1;
	}
	memcpy(u->name, p, n);
	u->name[n] = '\0';
	if (strlen(u->name) != n || !vt_user_name_ok(u->name)) {
		snprintf(msg, msglen, "a user name is letters, digits and . _ @ -, starting with a "
		         "letter or digit");
		return -1;
	}
	if (n == left) {
		*col = n + 1;
		snprintf(msg, msglen, "expected NAME:ROLE:HASH (vitals-web passwd writes these lines)");
		return -1;
	}
	p += n + 1;
	left -= n + 1;
	*col = (size_t)(p - line) + 1;
	n = s_field(p, left);
	char role[16];
	if (n >= sizeof(role)) {
		snprintf(msg, msglen, "unknown role (nurse, viewer)");
		return -1;
	}
	memcpy(role, p, n);
	role[n] = '\0';
	int r = strlen(role) == n ? vt_role_by_name(role) : -1;
	if (r < 0) {
		snprintf(msg, msglen, "unknown role \"%s\" (nurse, viewer)", strlen(role) == n ? role : "");
		return -1;
	}
	u->role = (enum vt_web_role)r;
	if (n == left) {
		*col = (size_t)(p - line) + n + 1;
		snprintf(msg, msglen, "expected NAME:ROLE:HASH (vitals-web passwd writes these lines)");
		return -1;
	}
	p += n + 1;
	left -= n + 1;
	*col = (size_t)(p - line) + 1;
	if (left == 0 || left >= VT_USER_HASH_MAX || strspn(p, S_HASH_CHARS) < left ||
	    strncmp(p, "$argon2", 7) != 0) {
		snprintf(msg, msglen, "expected a password hash made by vitals-web passwd "
		         "($argon2id$...)");
		return -1;
	}
	memcpy(u->hash, p, left);
	u->hash[left] = '\0';
	return 0;
}

int
vt_users_parse(const char *text, size_t len, const char *path, struct vt_web_users *out,
               char *err, size_t errlen)
{
	struct vt_web_users u = {0};
	size_t cap = 0;
	int lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		lineno++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		/* Anywhere, comments too: the file is text, and edited as such. */
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, errlen, "%s:%d:%zu: a NUL byte: this is not a users file", path, lineno,
			         (size_t)((const char *)memchr(line, '\0', n) - line) + 1);
			goto fail;
		}
		if (n == 0 || line[0] == '#')
			continue;
		struct vt_web_user one;
		size_t col;
		char msg[160];
		if (s_line(line, n, &one, &col, msg, sizeof(msg)) != 0) {
			snprintf(err, errlen, "%s:%d:%zu: %s", path, lineno, col, msg);
			goto fail;
		}
		if (vt_users_find(&u, one.name) != NULL) {
			snprintf(err, errlen, "%s:%d:1: user \"%s\" is listed twice", path, lineno, one.name);
			goto fail;
		}
		if (u.n == VT_USERS_MAX) {
			snprintf(err, errlen, "%s:%d:1: more than %d users", path, lineno, VT_USERS_MAX);
			goto fail;
		}
		if (u.n == cap) {
			cap = cap ? cap * 2 : 16;
			struct vt_web_user *v = realloc(u.v, cap * sizeof(*v));
			if (v == NULL) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			u.v = v;
		}
		u.v[u.n++] = one;
		sodium_memzero(&one, sizeof(one));
	}
	*out = u;
	return 0;
fail:
	vt_users_free(&u);
	return -1;
}

int
vt_users_load(const char *path, struct vt_web_users *out, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = malloc(VT_USERS_FILE_MAX + 1);
	size_t len = 0;
	ssize_t r = 0;
	while (buf != NULL && len <= VT_USERS_FILE_MAX &&
	       (r = read(fd, buf + len, VT_USERS_FILE_MAX + 1 - len)) > 0)
		len += (size_t)r;
	int e = errno;
	close(fd);
	int rc = -1;
	if (buf == NULL)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(e));
	else if (len > VT_USERS_FILE_MAX)
		snprintf(err, errlen, "%s: larger than %d bytes: not a users file", path,
		         VT_USERS_FILE_MAX);
	else
		rc = vt_users_parse(buf, len, path, out, err, errlen);
	free(buf);
	return rc;
}

char *
vt_users_edit(const char *text, size_t len, const char *name, enum vt_web_role role,
              const char *hash, bool *found)
{
	size_t nlen = strlen(name);
	size_t cap = len + nlen + (hash ? strlen(hash) : 0) + 32;
	char *out = malloc(cap);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	*found = false;
	char mine[VT_USER_NAME_MAX + VT_USER_HASH_MAX + 16] = "";
	if (hash != NULL)
		snprintf(mine, sizeof(mine), "%s:%s:%s\n", name, vt_role_name(role), hash);
	for (size_t pos = 0; pos < len;) {
		const char *line = text + pos;
		const char *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		pos += n + (nl != NULL);
		bool is_mine = n > nlen && line[nlen] == ':' && memcmp(line, name, nlen) == 0;
		if (is_mine && !*found) {
			*found = true;
			memcpy(out + o, mine, strlen(mine));
			o += strlen(mine);
			continue;
		}
		if (is_mine)
			continue;
		memcpy(out + o, line, n);
		o += n;
		out[o++] = '\n';
	}
	if (!*found) {
		memcpy(out + o, mine, strlen(mine));
		o += strlen(mine);
	}
	out[o] = '\0';
	return out;
}

int
vt_users_hash(const char *password, char hash[VT_USER_HASH_MAX])
{
	_Static_assert(VT_USER_HASH_MAX == crypto_pwhash_STRBYTES, "room for a pwhash string");
	if (sodium_init() < 0)
		return -1;
	return crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	                         crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

bool
vt_users_verify(const char *hash, const char *password)
{
	if (sodium_init() < 0)
		return false;
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

const char *
vt_users_dummy_hash(void)
{
	static char dummy[VT_USER_HASH_MAX];
	if (dummy[0] == '\0') {
		unsigned char junk[32];
		char pw[65];
		if (sodium_init() < 0)
			return "$argon2id$";
		randombytes_buf(junk, sizeof(junk));
		sodium_bin2hex(pw, sizeof(pw), junk, sizeof(junk));
		if (vt_users_hash(pw, dummy) != 0)
			dummy[0] = '\0';
	}
	return dummy;
}
