/*
 * libFuzzer target for the control request parser: the only code that
 * reads what any client on the control socket sends, and docs/protocol.md says
 * nothing a client sends can stop the daemon. Each input is one request
 * body; the fuzzer stops on a crash, a sanitizer report (the error buffer
 * is allocated to its exact size, so one byte too many is caught), or a
 * broken promise:
 *   - a parse succeeds or fails with a message, deterministically;
 *   - a request that parsed is complete and in range: a known command,
 *     terminated strings, the members its command requires, durations,
 *     phases, weights and doses inside their documented bounds;
 *   - the error reply built from any message is valid JSON with ok:false
 *     and that message (or its ASCII-safe form);
 *   - a tiny error buffer still holds a terminated, truncated message.
 */
#include "fuzz_check.h"
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vitals/wire/control_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
s_check_string(const char *s, size_t cap, bool required)
{
	size_t n = strnlen(s, cap);
	fuzz_check(n < cap);
	fuzz_check(!required || n > 0);
}

static void
s_check_request(const struct vt_control_req *req)
{
	s_check_string(req->id, sizeof(req->id), req->cmd == VT_CMD_ACK);
	s_check_string(req->bed, sizeof(req->bed),
	               req->cmd == VT_CMD_SILENCE || req->cmd == VT_CMD_PHASE);
	s_check_string(req->by, sizeof(req->by), false);
	switch (req->cmd) {
	case VT_CMD_PING:
	case VT_CMD_SNAPSHOT:
	case VT_CMD_RELOAD:
	case VT_CMD_ACK:
		break;
	case VT_CMD_SILENCE:
		fuzz_check(req->duration_ms > 0 && req->duration_ms <= 3600000);
		break;
	case VT_CMD_PHASE:
		fuzz_check((int)req->phase >= 0 && req->phase < VT_PHASE_COUNT);
		fuzz_check(isnan(req->weight_kg) || (req->weight_kg >= 1 && req->weight_kg <= 500));
		fuzz_check(isnan(req->dose_mg_per_kg_h) ||
		        (req->dose_mg_per_kg_h >= 0 && req->dose_mg_per_kg_h <= 20));
		break;
	default:
		fuzz_check(0);
	}
}

/* The reply a client gets for `message`: {"ok":false,"error":"..."}, nothing else. */
static void
s_check_error_reply(const char *message)
{
	char *reply = vt_control_error_reply(message);
	fuzz_check(reply != NULL);
	json_error_t je;
	json_t *o = json_loads(reply, JSON_REJECT_DUPLICATES, &je);
	fuzz_check(o != NULL && json_is_object(o) && json_object_size(o) == 2);
	fuzz_check(json_is_false(json_object_get(o, "ok")));
	json_t *e = json_object_get(o, "error");
	fuzz_check(json_is_string(e));
	/* The message itself, or its ASCII-safe form when it was not UTF-8. */
	const char *got = json_string_value(e);
	bool same = strcmp(got, message) == 0;
	bool safe = strlen(got) == strlen(message) || strlen(got) == 511;
	for (size_t i = 0; !same && got[i]; i++)
		safe = safe && (unsigned char)got[i] < 0x80;
	fuzz_check(same || safe);
	json_decref(o);
	free(reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	struct vt_control_req a, b;
	char *err = malloc(512), *err2 = malloc(512);
	fuzz_check(err != NULL && err2 != NULL);
	int rc = vt_control_parse(body, size, &a, err, 512);
	fuzz_check(rc == 0 || rc == -1);
	if (size > VT_CONTROL_MAX_REQUEST)
		fuzz_check(rc == -1);
	if (rc == 0) {
		s_check_request(&a);
	} else {
		fuzz_check(memchr(err, '\0', 512) != NULL && err[0] != '\0');
		s_check_error_reply(err);
	}

	/* Deterministic: the same bytes, the same request or the same message. */
	int rc2 = vt_control_parse(body, size, &b, err2, 512);
	fuzz_check(rc2 == rc);
	if (rc == 0)
		fuzz_check(memcmp(&a, &b, sizeof(a)) == 0);
	else
		fuzz_check(strcmp(err, err2) == 0);

	/* A buffer of 8 bytes: truncated, terminated, never overrun. */
	char *small = malloc(8);
	fuzz_check(small != NULL);
	fuzz_check(vt_control_parse(body, size, &b, small, 8) == rc);
	if (rc != 0)
		fuzz_check(memchr(small, '\0', 8) != NULL && strncmp(small, err, strlen(small)) == 0);
	free(small);
	free(err);
	free(err2);
	return 0;
}
