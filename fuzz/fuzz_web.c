/*
 * libFuzzer target for what the web station parses itself from hostile
 * hands (vitals/web/request.h, vitals/web/users.h): the Cookie header, form
 * bodies, the Origin check, and the users file with `vitals-web passwd`'s
 * edit of it. The first byte chooses; the rest is the input. The fuzzer
 * stops on a crash, a sanitizer report, or a broken promise:
 *   - a cookie value found is terminated, fits, and is cookie-octets only;
 *   - a form value found is terminated, fits, holds no NUL and is valid
 *     UTF-8; a body whose check passes gives every allowed key at most once;
 *   - a users file that parses names valid users with known roles and
 *     Argon2 hashes, none twice; setting a user in it keeps it parseable,
 *     with that user, and removing the user again leaves the others.
 */
#include "fuzz_check.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/web/request.h"
#include "vitals/web/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

static bool
s_utf8_ok(const unsigned char *s)
{
	while (*s) {
		size_t n = *s < 0x80 ? 1 : *s >= 0xF0 ? 4 : *s >= 0xE0 ? 3 : *s >= 0xC2 ? 2 : 0;
		if (n == 0)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((s[i] & 0xC0) != 0x80)
				return false;
		s += n;
	}
	return true;
}

static void
s_cookie(const char *text)
{
	char out[80];
	int rc = vt_web_cookie(text, "vitals-session", out, sizeof(out));
	fuzz_check(rc >= -1 && rc <= 1);
	if (rc == 1) {
		fuzz_check(strnlen(out, sizeof(out)) < sizeof(out));
		for (const char *p = out; *p; p++)
			fuzz_check(*p > 0x20 && *p < 0x7F && *p != '"' && *p != ',' && *p != ';' && *p != '\\');
	}
	vt_web_origin_ok(text, "127.0.0.1:8080", false, NULL);
	vt_web_origin_ok(text, text, true, NULL);
}

static void
s_form(const char *body, size_t len)
{
	static const char *const keys[] = {"id", "bed", "phase", "user", "password", NULL};
	char why[128];
	bool fine = vt_web_form_check(body, len, keys, why, sizeof(why));
	fuzz_check(strnlen(why, sizeof(why)) < sizeof(why));
	for (size_t k = 0; keys[k] != NULL; k++) {
		char out[64];
		int rc = vt_web_form(body, len, keys[k], out, sizeof(out));
		fuzz_check(rc >= -1 && rc <= 1);
		if (rc == 1) {
			fuzz_check(strnlen(out, sizeof(out)) < sizeof(out));
			fuzz_check(s_utf8_ok((const unsigned char *)out));
		}
		/* A well-formed body never has a key twice: a value that fits is found. */
		if (fine && rc == -1) {
			char big[VT_WEB_FORM_MAX + 1];
			fuzz_check(vt_web_form(body, len, keys[k], big, sizeof(big)) == 1);
		}
	}
}

static void
s_users(const char *text, size_t len)
{
	struct vt_web_users u;
	char err[512];
	if (vt_users_parse(text, len, "users", &u, err, sizeof(err)) != 0) {
		fuzz_check(strncmp(err, "users:", 6) == 0);
		return;
	}
	for (size_t i = 0; i < u.n; i++) {
		fuzz_check(vt_user_name_ok(u.v[i].name));
		fuzz_check(u.v[i].role == VT_ROLE_NURSE || u.v[i].role == VT_ROLE_VIEWER);
		fuzz_check(strncmp(u.v[i].hash, "$argon2", 7) == 0);
		fuzz_check(vt_users_find(&u, u.v[i].name) == &u.v[i]);
	}
	bool found;
	char *edited = vt_users_edit(text, len, "fuzz-nurse", VT_ROLE_NURSE, HASH, &found);
	fuzz_check(edited != NULL);
	fuzz_check(found == (vt_users_find(&u, "fuzz-nurse") != NULL));
	struct vt_web_users e;
	fuzz_check(vt_users_parse(edited, strlen(edited), "users", &e, err, sizeof(err)) == 0);
	fuzz_check(vt_users_find(&e, "fuzz-nurse") != NULL);
	fuzz_check(e.n == u.n + !found);
	char *removed = vt_users_edit(edited, strlen(edited), "fuzz-nurse", VT_ROLE_NURSE, NULL, &found);
	struct vt_web_users r;
	fuzz_check(found && removed != NULL);
	fuzz_check(vt_users_parse(removed, strlen(removed), "users", &r, err, sizeof(err)) == 0);
	fuzz_check(vt_users_find(&r, "fuzz-nurse") == NULL);
	fuzz_check(r.n == e.n - 1);
	vt_users_free(&r);
	vt_users_free(&e);
	free(removed);
	free(edited);
	vt_users_free(&u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 64 * 1024)
		return 0;
	char *text = malloc(size);
	fuzz_check(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		s_cookie(text);
		break;
	case 1:
		s_form(text, size - 1);
		break;
	default:
		s_users(text, size - 1);
		break;
	}
	free(text);
	return 0;
}
