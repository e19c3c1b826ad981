/*
 * The rows of `vitalsctl watch` (include/vitals/tools/watch_print.h): the
 * time, what the driver did, how many bytes, the bytes (text quoted, binary
 * in hex, one frame to a row), and what was decoded or why it was not.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "vitals/base/timefmt.h"
#include "vitals/console/client.h"
#include "vitals/tools/watch_print.h"

int
vt_watch_print(const char *reply, FILE *out, bool json, uint64_t *next)
{
	json_t *o = json_loads(reply, 0, NULL);
	json_t *events = json_object_get(o, "events");
	if (!json_is_array(events)) {
		json_decref(o);
		return -1;
	}
	bool text = json_is_true(json_object_get(o, "text"));
	json_int_t missed = json_integer_value(json_object_get(o, "missed"));
	if (missed > 0 && !json)
		fprintf(out, "... %lld pieces came and went before they could be shown\n",
		        (long long)missed);
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e) {
		*next = (uint64_t)json_integer_value(json_object_get(e, "n"));
		if (json) {
			char *line = json_dumps(e, JSON_COMPACT | JSON_PRESERVE_ORDER);
			fprintf(out, "%s\n", line ? line : "{}");
			free(line);
		} else {
			int64_t t = 0;
			char clock[24];
			vt_time_parse(json_string_value(json_object_get(e, "time")), &t);
			/* Local time to the millisecond: frames come faster than seconds. */
			vt_client_clock(t, clock, sizeof(clock));
			snprintf(clock + strlen(clock), sizeof(clock) - strlen(clock), ".%03d",
			         (int)(t % 1000));
			const char *kind = json_string_value(json_object_get(e, "kind"));
			const char *bytes = json_string_value(json_object_get(e, "bytes"));
			const char *say = json_string_value(json_object_get(e, "decoded"));
			const char *why = json_string_value(json_object_get(e, "why"));
			const char *note = json_string_value(json_object_get(e, "text"));
			json_int_t len = json_integer_value(json_object_get(e, "length"));
			size_t shown = bytes == NULL ? 0 : text ? strlen(bytes) : (strlen(bytes) + 1) / 3;
			fprintf(out, "%s  %-9s", clock, kind ? kind : "?");
			if (bytes == NULL) {
				fprintf(out, "  %s\n", note ? note : "");
				continue;
			}
			fprintf(out, "  %4lld B  %s%s%s", (long long)len, text ? "\"" : "", bytes,
			        text ? "\"" : "");
			if (!text && (json_int_t)shown < len)
				fprintf(out, " ... (+%lld)", (long long)(len - (json_int_t)shown));
			if (say != NULL)
				fprintf(out, "  -> %s\n", say);
			else
				fprintf(out, "  (%s)\n", why ? why : "");
		}
	}
	fflush(out);
	json_decref(o);
	return (int)i;
}
