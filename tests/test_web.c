/*
 * The web station's pure parts, one by one: the users file (every mistake
 * pointed at, a real Argon2id hash checked), `vitals-web passwd` editing
 * it, the Cookie header and form bodies a hostile client sends, the
 * origin check, sessions (fixation, expiry, eviction, CSRF tokens), the
 * login rate limit, and the view the page is sent (a snapshot, then only
 * what changed, hostile strings kept as data, a blood pressure with the
 * age of its measurement).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/console/model.h"
#include "vitals/web/ratelimit.h"
#include "vitals/web/request.h"
#include "vitals/web/sessions.h"
#include "vitals/web/users.h"
#include "vitals/web/view.h"

/* ---- the users file ------------------------------------------------------------------- */

#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

Test(web_users, a_good_file)
{
	const char *text = "# the station's users\n\nanna:nurse:" HASH "\r\nwall-2:viewer:" HASH "\n"
	                   "b.o@ward_3:nurse:" HASH;
	struct vt_web_users u;
	char err[256];
	cr_assert_eq(vt_users_parse(text, strlen(text), "users", &u, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(u.n, 3);
	cr_expect_str_eq(u.v[0].name, "anna");
	cr_expect_eq(u.v[0].role, VT_ROLE_NURSE);
	cr_expect_str_eq(u.v[0].hash, HASH, "the CR of a CRLF line is not part of the hash");
	cr_expect_eq(vt_users_find(&u, "wall-2")->role, VT_ROLE_VIEWER);
	cr_expect_not_null(vt_users_find(&u, "b.o@ward_3"));
	cr_expect_null(vt_users_find(&u, "Anna"), "names are exact");
	vt_users_free(&u);
	cr_expect_null(u.v);
}

Test(web_users, every_mistake_is_pointed_at)
{
	static const struct {
		const char *text, *want;
		size_t nul; /* bytes after the text's end that belong to it (a NUL and more) */
	} cases[] = {
	    {"anna:nurse\n", "users:1:11: expected NAME:ROLE:HASH", 0},
	    {"anna\n", "users:1:5: expected NAME:ROLE:HASH", 0},
	    {"\n\nanna:doctor:" HASH "\n", "users:3:6: unknown role \"doctor\"", 0},
	    {"an na:nurse:" HASH, "users:1:1: a user name is letters", 0},
	    {"-anna:nurse:" HASH, "users:1:1: a user name is letters", 0},
	    {":nurse:" HASH, "users:1:1: a user name of 1 to 63", 0},
	    {"anna:nurse:secret", "users:1:12: expected a password hash", 0},
	    {"anna:nurse:$argon2id$a:b", "users:1:12: expected a password hash", 0},
	    {"anna:nurse:" HASH "\nanna:viewer:" HASH, "users:2:1: user \"anna\" is listed twice", 0},
	    {"anna:nurse:" HASH "\nbob:nurse:" HASH "\0x", "users:2:81: a NUL byte", 2},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vt_web_users u = {0};
		char err[256] = "";
		size_t len = strlen(cases[i].text) + cases[i].nul;
		cr_expect_eq(vt_users_parse(cases[i].text, len, "users", &u, err, sizeof(err)), -1,
		             "case %zu accepted", i);
		cr_expect(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0,
		          "case %zu: \"%s\", expected \"%s...\"", i, err, cases[i].want);
		cr_expect_eq(u.n, 0, "a bad file gives no users at all");
	}
	char name[80];
	memset(name, 'a', 64);
	name[64] = '\0';
	cr_expect(!vt_user_name_ok(name), "64 bytes is one too many for the daemon's by");
	name[63] = '\0';
	cr_expect(vt_user_name_ok(name));
}

Test(web_users, a_real_hash_checks_the_password_and_passwd_edits_the_file)
{
	char hash[VT_USER_HASH_MAX];
	cr_assert_eq(vt_users_hash("correct horse", hash), 0);
	cr_expect_eq(strncmp(hash, "$argon2id$", 10), 0, "Argon2id, by libsodium: %s", hash);
	cr_expect(vt_users_verify(hash, "correct horse"));
	cr_expect(!vt_users_verify(hash, "correct hors"));
	cr_expect(!vt_users_verify(hash, ""));
	cr_expect(!vt_users_verify(vt_users_dummy_hash(), "correct horse"));

	/* Add, replace in place, delete: comments and other users stay. */
	const char *text = "# users\nanna:nurse:" HASH "\nbob:viewer:" HASH "\n";
	bool found;
	char *added = vt_users_edit(text, strlen(text), "anna.b", VT_ROLE_VIEWER, hash, &found);
	cr_assert_not_null(added);
	cr_expect(!found, "anna.b is new, though anna is there");
	struct vt_web_users u;
	char err[256];
	cr_assert_eq(vt_users_parse(added, strlen(added), "users", &u, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(u.n, 3);
	cr_expect(vt_users_verify(vt_users_find(&u, "anna.b")->hash, "correct horse"));
	vt_users_free(&u);
	char *changed = vt_users_edit(added, strlen(added), "anna", VT_ROLE_VIEWER, hash, &found);
	cr_expect(found);
	cr_expect(strncmp(changed, "# users\nanna:viewer:$argon2id$", 30) == 0, "in its place:\n%s", changed);
	char *gone = vt_users_edit(changed, strlen(changed), "bob", VT_ROLE_NURSE, NULL, &found);
	cr_expect(found);
	cr_expect_null(strstr(gone, "bob:"));
	cr_expect_not_null(strstr(gone, "# users\n"));
	free(added);
	free(changed);
	free(gone);
}

/* ---- requests ------------------------------------------------------------------------ */

Test(web_request, cookies)
{
	char v[80];
	cr_expect_eq(vt_web_cookie("a=1; vitals-session=abc123; b=2", "vitals-session", v, sizeof(v)), 1);
	cr_expect_str_eq(v, "abc123");
	cr_expect_eq(vt_web_cookie("vitals-session=\"q\"", "vitals-session", v, sizeof(v)), 1);
	cr_expect_str_eq(v, "q");
	cr_expect_eq(vt_web_cookie("xvitals-session=1; vitals-sessionx=2", "vitals-session", v, sizeof(v)),
	             0, "only the exact name");
	cr_expect_eq(vt_web_cookie("", "vitals-session", v, sizeof(v)), 0);
	cr_expect_eq(vt_web_cookie("vitals-session=a; vitals-session=b", "vitals-session", v, sizeof(v)),
	             -1, "twice: planted by a sibling domain, refused");
	cr_expect_eq(vt_web_cookie("vitals-session=a b", "vitals-session", v, sizeof(v)), -1);
	cr_expect_eq(vt_web_cookie("vitals-session=a;b=\\", "vitals-session", v, sizeof(v)), 1);
	cr_expect_eq(vt_web_cookie("vitals-session=abcdef", "vitals-session", v, 4), -1, "too long");
}

Test(web_request, form_bodies)
{
	char v[64];
	const char *b = "user=anna+b&password=p%40ss%20w%C3%B6rd&empty=&flag";
	cr_expect_eq(vt_web_form(b, strlen(b), "user", v, sizeof(v)), 1);
	cr_expect_str_eq(v, "anna b");
	cr_expect_eq(vt_web_form(b, strlen(b), "password", v, sizeof(v)), 1);
	cr_expect_str_eq(v, "p@ss w\xc3\xb6rd");
	cr_expect_eq(vt_web_form(b, strlen(b), "empty", v, sizeof(v)), 1);
	cr_expect_str_eq(v, "");
	cr_expect_eq(vt_web_form(b, strlen(b), "flag", v, sizeof(v)), 1);
	cr_expect_eq(vt_web_form(b, strlen(b), "nope", v, sizeof(v)), 0);
	static const char *const bad[] = {"id=%4", "id=%zz", "id=%00", "id=a&id=b", "id=%C3",
	                                  "id=%ED%A0%80", "%zz=1&id=2", "id=%C0%AF"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(vt_web_form(bad[i], strlen(bad[i]), "id", v, sizeof(v)), -1, "%s accepted",
		             bad[i]);
	cr_expect_eq(vt_web_form("id=0123456789", 13, "id", v, 8), -1, "too long for the field");
	static const char *const fields[] = {"bed", "phase", NULL};
	char why[100];
	cr_expect(vt_web_form_check("bed=c&phase=infusion", 20, fields, why, sizeof(why)));
	cr_expect(!vt_web_form_check("bed=c&by=mallory", 16, fields, why, sizeof(why)),
	          "a \"by\" from the browser is refused, never passed on");
	cr_expect_str_eq(why, "unknown field \"by\"");
	cr_expect(!vt_web_form_check("bed=c&bed=d", 11, fields, why, sizeof(why)));
	cr_expect_str_eq(why, "\"bed\" given twice");
}

Test(web_request, origins)
{
	cr_expect(vt_web_origin_ok("http://127.0.0.1:8080", "127.0.0.1:8080", false, NULL));
	cr_expect(!vt_web_origin_ok("http://127.0.0.1:8081", "127.0.0.1:8080", false, NULL));
	cr_expect(!vt_web_origin_ok("https://127.0.0.1:8080", "127.0.0.1:8080", false, NULL));
	cr_expect(!vt_web_origin_ok("http://evil.example", "127.0.0.1:8080", false, NULL));
	cr_expect(!vt_web_origin_ok("null", "127.0.0.1:8080", false, NULL));
	cr_expect(!vt_web_origin_ok("http://127.0.0.1:8080", NULL, false, NULL));
	cr_expect(vt_web_origin_ok("https://station.example.org", "127.0.0.1:8080", false,
	                           "https://station.example.org"), "behind a proxy: as configured");
	cr_expect(!vt_web_origin_ok("https://127.0.0.1:8080", "127.0.0.1:8080", true,
	                            "https://station.example.org"));
}

/* ---- sessions ------------------------------------------------------------------------ */

static void
s_random(uint8_t r[2 * VT_SESSION_TOKEN_BYTES], int seed)
{
	for (int i = 0; i < 2 * VT_SESSION_TOKEN_BYTES; i++)
		r[i] = (uint8_t)(seed * 31 + i * 7);
}

Test(web_sessions, fixation_expiry_eviction_and_tokens)
{
	struct vt_sessions *s = vt_sessions_new(2, 1000, 5000);
	uint8_t r[2 * VT_SESSION_TOKEN_BYTES];
	s_random(r, 1);
	const struct vt_web_session *a = vt_sessions_create(s, "anna", VT_ROLE_NURSE, r, 0, NULL);
	cr_assert_not_null(a);
	char id[VT_SESSION_TOKEN_HEX], csrf[VT_SESSION_TOKEN_HEX];
	snprintf(id, sizeof(id), "%s", a->id);
	snprintf(csrf, sizeof(csrf), "%s", a->csrf);
	cr_expect_eq(strlen(id), 64);
	cr_expect_str_neq(id, csrf, "the token is not the id");
	cr_expect_not_null(vt_sessions_find(s, id, 500));
	cr_expect(vt_sessions_csrf_ok(vt_sessions_find(s, id, 600), csrf));
	cr_expect(!vt_sessions_csrf_ok(vt_sessions_find(s, id, 700), id));
	cr_expect(!vt_sessions_csrf_ok(vt_sessions_find(s, id, 800), ""));
	char wrong[VT_SESSION_TOKEN_HEX];
	snprintf(wrong, sizeof(wrong), "%s", id);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
	cr_expect_null(vt_sessions_find(s, wrong, 900));
	cr_expect_null(vt_sessions_find(s, "", 900));
	/* Idle for the idle limit: gone; used within it: kept, up to the absolute limit. */
	for (int64_t t = 1500; t < 5000; t += 900)
		cr_expect_not_null(vt_sessions_find(s, id, t), "in use at %lld", (long long)t);
	cr_expect_null(vt_sessions_find(s, id, 5000), "a shift's end ends it whatever");
	/* A new login is a new id, whatever the browser came with. */
	s_random(r, 2);
	a = vt_sessions_create(s, "anna", VT_ROLE_NURSE, r, 6000, NULL);
	cr_expect_str_neq(a->id, id);
	snprintf(id, sizeof(id), "%s", a->id);
	/* Full: the one unused longest makes room. */
	s_random(r, 3);
	const struct vt_web_session *b = vt_sessions_create(s, "bob", VT_ROLE_VIEWER, r, 6100, NULL);
	char bid[VT_SESSION_TOKEN_HEX];
	snprintf(bid, sizeof(bid), "%s", b->id);
	vt_sessions_find(s, id, 6200);
	bool evicted;
	s_random(r, 4);
	vt_sessions_create(s, "carl", VT_ROLE_NURSE, r, 6300, &evicted);
	cr_expect(evicted);
	cr_expect_eq(vt_sessions_count(s), 2);
	cr_expect_null(vt_sessions_find(s, bid, 6400), "bob's was used longest ago");
	cr_expect_not_null(vt_sessions_find(s, id, 6400));
	/* The users file lost anna: her session ends; logout ends carl's. */
	struct vt_web_users users = {0};
	char err[128];
	const char *text = "carl:viewer:" HASH "\n";
	cr_assert_eq(vt_users_parse(text, strlen(text), "u", &users, err, sizeof(err)), 0);
	cr_expect_eq(vt_sessions_revise(s, &users), 1);
	cr_expect_null(vt_sessions_find(s, id, 6500));
	vt_users_free(&users);
	cr_expect_eq(vt_sessions_count(s), 1);
	vt_sessions_free(&s);
	cr_expect_null(s);
}

/* ---- rate limit ---------------------------------------------------------------------- */

Test(web_ratelimit, five_tries_then_one_every_refill)
{
	struct vt_ratelimit *r = vt_ratelimit_new(3, 5, 30000);
	int64_t wait = 0;
	bool locked = false;
	for (int i = 0; i < 5; i++) {
		cr_expect(vt_ratelimit_allow(r, "ip:10.0.0.9", i, &wait), "try %d", i + 1);
		locked = vt_ratelimit_fail(r, "ip:10.0.0.9", i);
	}
	cr_expect(locked, "the fifth failure empties the bucket (one log line)");
	cr_expect(!vt_ratelimit_allow(r, "ip:10.0.0.9", 10, &wait));
	cr_expect(wait > 29000 && wait <= 30000, "wait %lld ms", (long long)wait);
	cr_expect(vt_ratelimit_allow(r, "ip:10.0.0.8", 10, NULL), "others are not held up");
	cr_expect(vt_ratelimit_allow(r, "ip:10.0.0.9", 30010, NULL), "one more after the refill");
	vt_ratelimit_fail(r, "ip:10.0.0.9", 30010);
	cr_expect(!vt_ratelimit_allow(r, "ip:10.0.0.9", 30020, NULL));
	cr_expect_eq(vt_ratelimit_refused(r), 2);
	vt_ratelimit_forget(r, "ip:10.0.0.9");
	cr_expect(vt_ratelimit_allow(r, "ip:10.0.0.9", 30030, NULL), "a success forgets");
	/* A full table keeps counting: keys come and go, none gets extra tries. */
	for (int i = 0; i < 10; i++) {
		char key[32];
		snprintf(key, sizeof(key), "ip:10.1.0.%d", i);
		vt_ratelimit_fail(r, key, 40000 + i);
	}
	cr_expect_eq(vt_ratelimit_evicted(r), 7);
	vt_ratelimit_free(&r);
	cr_expect_null(r);
}

/* ---- the view ------------------------------------------------------------------------ */

#define T0 1795255200000LL

static void
s_feed(struct vt_console *m, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cr_assert_eq(vt_console_message(m, buf, strlen(buf), 0), 1, "%s", buf);
}

static json_t *
s_parse(char *text)
{
	cr_assert_not_null(text);
	json_error_t e;
	json_t *o = json_loads(text, 0, &e);
	cr_assert_not_null(o, "not JSON (%s): %s", e.text, text);
	cr_expect_null(strchr(text, '\n'), "an SSE data line holds no newline");
	free(text);
	return o;
}

Test(web_view, a_snapshot_then_only_what_changed)
{
	struct vt_console *m = vt_console_new(0);
	char t[VT_TIME_BUFSZ];
	s_feed(m, "{\"v\":1,\"type\":\"vitals\",\"seq\":1,\"time\":\"%s\",\"instance\":\"A\",\"bed\":\"chair-1\","
	          "\"values\":{\"spo2\":97,\"pr\":71,\"pi\":null},\"flags\":[\"low-perfusion\"]}",
	       vt_time_format(T0, t));
	s_feed(m, "{\"v\":1,\"type\":\"vitals\",\"seq\":2,\"time\":\"%s\",\"instance\":\"A\",\"bed\":\"chair-2\","
	          "\"values\":{\"spo2\":99},\"flags\":[]}", vt_time_format(T0, t));
	struct vt_view *v = vt_view_new();
	struct vt_view_extra x = {.problem = "", .publish = "tcp://127.0.0.1:5556"};
	json_t *first = s_parse(vt_view_update(v, m, 0, &x));
	cr_expect_eq(json_integer_value(json_object_get(first, "n")), 1);
	cr_expect_eq(json_array_size(json_object_get(first, "beds")), 2);
	json_t *b1 = json_array_get(json_object_get(first, "beds"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(b1, "name")), "chair-1");
	json_t *spo2 = json_array_get(json_object_get(b1, "values"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(spo2, "label")), "SpO2");
	cr_expect_str_eq(json_string_value(json_object_get(spo2, "text")), "97");
	json_t *pi = json_array_get(json_object_get(b1, "values"), 2);
	cr_expect(json_is_null(json_object_get(pi, "value")), "no value is null, never 0");
	cr_expect_str_eq(json_string_value(json_object_get(pi, "text")), "---");
	cr_expect_eq(json_integer_value(json_object_get(b1, "vitals_time")), T0);
	cr_expect_not_null(json_object_get(json_object_get(first, "trends"), "chair-1"));
	json_decref(first);

	/* Nothing new: the station only (it carries the clock), numbered one more. */
	json_t *idle = s_parse(vt_view_update(v, m, 0, &x));
	cr_expect_eq(json_integer_value(json_object_get(idle, "n")), 2);
	cr_expect_not_null(json_object_get(idle, "station"));
	cr_expect_null(json_object_get(idle, "beds"));
	cr_expect_null(json_object_get(idle, "alerts"));
	cr_expect_null(json_object_get(idle, "trends"));
	json_decref(idle);

	/* An alarm on chair-2 with a hostile text: chair-2, the alerts, history. Kept as data. */
	s_feed(m, "{\"v\":1,\"type\":\"alert\",\"seq\":3,\"time\":\"%s\",\"instance\":\"A\",\"bed\":\"chair-2\","
	          "\"id\":\"chair-2/spo2-low/1\",\"event\":\"raised\",\"rule\":\"spo2-low\",\"kind\":"
	          "\"physiological\",\"priority\":\"high\",\"parameter\":\"spo2\",\"value\":85,\"limit\":90,"
	          "\"onset\":\"%s\",\"acknowledged\":false,\"silenced_until\":null,"
	          "\"text\":\"<img src=x onerror=alert(1)>\\u2028\\\"</script>\"}",
	       vt_time_format(T0, t), vt_time_format(T0, t));
	json_t *up = s_parse(vt_view_update(v, m, 0, &x));
	cr_expect_eq(json_array_size(json_object_get(up, "beds")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(up, "beds"), 0),
	                                                   "alarm")), "high");
	json_t *a = json_array_get(json_object_get(up, "alerts"), 0);
	cr_expect_str_eq(json_string_value(json_object_get(a, "text")),
	                 "<img src=x onerror=alert(1)>\xe2\x80\xa8\"</script>");
	cr_expect(json_is_true(json_object_get(a, "sounding")));
	cr_expect_eq(json_array_size(json_object_get(up, "history")), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(up, "station"), "sounding")),
	                 "high");
	json_decref(up);

	/* A snapshot for a new page has everything, and changes nothing for the others. */
	json_t *snap = s_parse(vt_view_snapshot(v, m, 0, &x));
	cr_expect_str_eq(json_string_value(json_object_get(snap, "kind")), "snapshot");
	cr_expect_eq(json_integer_value(json_object_get(snap, "n")), 3, "numbered as the last update");
	cr_expect_eq(json_array_size(json_object_get(snap, "beds")), 2);
	cr_expect_eq(json_array_size(json_object_get(snap, "history")), 1);
	json_decref(snap);
	json_t *after = s_parse(vt_view_update(v, m, 0, &x));
	cr_expect_eq(json_integer_value(json_object_get(after, "n")), 4);
	cr_expect_null(json_object_get(after, "beds"));
	cr_expect_null(json_object_get(after, "history"));
	json_decref(after);
	vt_view_free(&v);
	cr_expect_null(v);
	vt_console_free(&m);
}

/* The value named `name` of a bed object, or NULL. */
static json_t *
s_value_named(json_t *bed, const char *name)
{
	json_t *v;
	size_t i;
	json_array_foreach(json_object_get(bed, "values"), i, v)
	if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
		return v;
	return NULL;
}

/*
 * A blood pressure is sent with its own age: the message is of now, the
 * cuff reading of 12 minutes ago, and the page is told "12 min ago" (the
 * console's words) and the reading's time, never the message's. When the
 * daemon stops giving it (nibp_stale_after), the page is told the last
 * reading, no longer current, its age still growing; a continuous value
 * has no age of its own.
 */
Test(web_view, a_blood_pressure_carries_the_age_of_its_measurement)
{
	struct vt_console *m = vt_console_new(0);
	char t[VT_TIME_BUFSZ], at[VT_TIME_BUFSZ];
	int64_t measured = T0 - 12 * 60000;
	s_feed(m, "{\"v\":1,\"type\":\"vitals\",\"seq\":1,\"time\":\"%s\",\"instance\":\"A\",\"bed\":\"chair-4\","
	          "\"values\":{\"spo2\":97,\"nibp_sys\":128,\"nibp_dia\":84,\"nibp_map\":100,\"temp\":36.9},"
	          "\"measured\":{\"nibp_sys\":\"%s\",\"nibp_dia\":\"%s\",\"nibp_map\":\"%s\",\"temp\":\"%s\"},"
	          "\"age_s\":{\"nibp_sys\":720,\"nibp_dia\":720,\"nibp_map\":720,\"temp\":720},\"flags\":[]}",
	       vt_time_format(T0, t), vt_time_format(measured, at), at, at, at);
	struct vt_view *v = vt_view_new();
	json_t *up = s_parse(vt_view_update(v, m, 0, NULL));
	json_t *bed = json_array_get(json_object_get(up, "beds"), 0);
	cr_expect_eq(json_integer_value(json_object_get(bed, "vitals_time")), T0, "the message: now");
	json_t *nibp = json_object_get(bed, "nibp");
	cr_assert(json_is_object(nibp), "the bed has no nibp");
	cr_expect_str_eq(json_string_value(json_object_get(nibp, "text")), "128/84 (100)");
	cr_expect_str_eq(json_string_value(json_object_get(nibp, "age")), "12 min ago");
	cr_expect_eq(json_integer_value(json_object_get(nibp, "measured")), measured);
	cr_expect(json_is_true(json_object_get(nibp, "current")));
	/* Each spot value has its own, in the values too; a continuous one none. */
	json_t *temp = json_object_get(s_value_named(bed, "temp"), "spot");
	cr_expect_str_eq(json_string_value(json_object_get(temp, "age")), "12 min ago");
	cr_expect_eq(json_integer_value(json_object_get(temp, "measured")), measured);
	cr_expect(json_is_null(json_object_get(s_value_named(bed, "spo2"), "spot")));
	json_decref(up);

	/* Eight minutes later the daemon no longer gives it. */
	s_feed(m, "{\"v\":1,\"type\":\"vitals\",\"seq\":2,\"time\":\"%s\",\"instance\":\"A\",\"bed\":\"chair-4\","
	          "\"values\":{\"spo2\":97,\"nibp_sys\":null,\"nibp_dia\":null,\"nibp_map\":null,\"temp\":null},"
	          "\"flags\":[]}", vt_time_format(T0 + 8 * 60000, t));
	up = s_parse(vt_view_update(v, m, 0, NULL));
	bed = json_array_get(json_object_get(up, "beds"), 0);
	nibp = json_object_get(bed, "nibp");
	cr_expect(json_is_false(json_object_get(nibp, "current")), "no longer current");
	cr_expect_str_eq(json_string_value(json_object_get(nibp, "text")), "128/84 (100)", "the last one");
	cr_expect_str_eq(json_string_value(json_object_get(nibp, "age")), "20 min ago");
	cr_expect(json_is_null(json_object_get(s_value_named(bed, "nibp_sys"), "value")));
	temp = json_object_get(s_value_named(bed, "temp"), "spot");
	cr_expect(json_is_false(json_object_get(temp, "current")));
	cr_expect_str_eq(json_string_value(json_object_get(temp, "text")), "36.9");
	json_decref(up);
	vt_view_free(&v);
	vt_console_free(&m);
}

Test(web_view, a_text_cut_inside_a_character_is_still_sent)
{
	struct vt_console *m = vt_console_new(0);
	/* 255 bytes fit the model's alert text: a 2-byte character at 254 is cut in half. */
	char text[400];
	memset(text, 'a', 254);
	snprintf(text + 254, sizeof(text) - 254, "\xc3\xa9\xc3\xa9");
	char t[VT_TIME_BUFSZ];
	s_feed(m, "{\"v\":1,\"type\":\"alert\",\"seq\":1,\"time\":\"%s\",\"instance\":\"A\",\"bed\":\"c\","
	          "\"id\":\"c/r/1\",\"event\":\"raised\",\"rule\":\"r\",\"kind\":\"technical\",\"priority\":"
	          "\"low\",\"onset\":\"%s\",\"acknowledged\":false,\"text\":\"%s\"}",
	       vt_time_format(T0, t), vt_time_format(T0, t), text);
	struct vt_view *v = vt_view_new();
	json_t *up = s_parse(vt_view_update(v, m, 0, NULL));
	const char *sent = json_string_value(json_object_get(json_array_get(json_object_get(up, "alerts"), 0), "text"));
	cr_assert_not_null(sent);
	cr_expect_eq(strlen(sent), 254, "the half character goes, the rest stays");
	json_decref(up);
	vt_view_free(&v);
	vt_console_free(&m);
}
