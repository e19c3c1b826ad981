/*
 * Who may use the web station: a file of users, one a line,
 *
 *   # comment
 *   anna:nurse:$argon2id$v=19$m=65536,t=2,p=1$...
 *   wall-2:viewer:$argon2id$v=19$m=65536,t=2,p=1$...
 *
 * with a password hash made by libsodium's crypto_pwhash_str (Argon2id),
 * never the password. `nurse` may acknowledge, pause audio and set phases;
 * `viewer` only watches (a wall screen). `vitals-web passwd` writes the
 * file; the server reads it at start and on SIGHUP. The parser is pure and
 * strict: every mistake is reported as FILE:LINE:COLUMN, and a file with
 * one is not used at all.
 */
#ifndef VITALS_WEB_USERS_H
#define VITALS_WEB_USERS_H

#include <stdbool.h>
#include <stddef.h>

/* A user name: it is the `by` of the daemon's events, which allows 63 bytes. */
#define VT_USER_NAME_MAX 63
/* Room for a crypto_pwhash_str string and its NUL (crypto_pwhash_STRBYTES). */
#define VT_USER_HASH_MAX 128
/* A password a person can type; longer is refused before hashing. */
#define VT_USER_PASSWORD_MIN 8
#define VT_USER_PASSWORD_MAX 256
/* The file, and users in it. */
#define VT_USERS_FILE_MAX (1024 * 1024)
#define VT_USERS_MAX 1000

enum vt_web_role {
	VT_ROLE_VIEWER, /* watches */
	VT_ROLE_NURSE   /* watches and acts */
};

struct vt_web_user {
	char name[VT_USER_NAME_MAX + 1];
	enum vt_web_role role;
	char hash[VT_USER_HASH_MAX];
};

struct vt_web_users {
	struct vt_web_user *v;
	size_t n;
};

/* Letters, digits and . _ @ -, starting with a letter or digit, 1..63 bytes. */
bool vt_user_name_ok(const char *name);
/* "nurse" / "viewer" and back; -1 for an unknown role name. */
const char *vt_role_name(enum vt_web_role r);
int vt_role_by_name(const char *name);

/*
 * Parse the text of a users file named `path` (for messages). 0, or -1
 * with "PATH:LINE:COLUMN: message" in err and *out untouched.
 */
int vt_users_parse(const char *text, size_t len, const char *path, struct vt_web_users *out,
                   char *err, size_t errlen);
/* Read and parse the file. 0, or -1 with err. */
int vt_users_load(const char *path, struct vt_web_users *out, char *err, size_t errlen);
void vt_users_free(struct vt_web_users *u);
const struct vt_web_user *vt_users_find(const struct vt_web_users *u, const char *name);

/*
 * The text of a users file with user `name` set to `role` and `hash`
 * (added at the end, or its line replaced in place), or removed when hash
 * is NULL; comments and other lines are kept. malloc'd; NULL when out of
 * memory. *found tells whether the user was there before.
 */
char *vt_users_edit(const char *text, size_t len, const char *name, enum vt_web_role role,
                    const char *hash, bool *found);

/* Hash a password with crypto_pwhash_str (Argon2id, the library's interactive limits). 0 or -1. */
int vt_users_hash(const char *password, char hash[VT_USER_HASH_MAX]);
/* Does `password` match `hash`? (crypto_pwhash_str_verify; slow on purpose.) */
bool vt_users_verify(const char *hash, const char *password);
/*
 * A hash of a password nobody has: checked against when the user does not
 * exist, so that an unknown name takes as long to refuse as a wrong
 * password. Made once.
 */
const char *vt_users_dummy_hash(void);

#endif
