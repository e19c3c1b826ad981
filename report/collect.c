/*
 * The two passes that fill an infusion record (vitals/report/collect.h).
 *
 * First the files are read as text: the header (who recorded, with which
 * configuration, the lowest format), the station events, and the port
 * going away (where the trends break). Then the recorded bytes go through
 * vt_replay_run_sink, the daemon's replay: every reading the alarm engine
 * judged becomes a sample, and its messages give what a format-1 recording
 * does not say (its alarms, the session's baseline and dose).
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "vitals/replay.h"
#include "vitals/report/collect.h"
#include "vitals/wire/session.h"

/* Header and station events of one file into the record. 0, or -1 (reported). */
static int
s_station(struct vt_record *r, const char *path, bool first, FILE *err)
{
	struct vt_diag diag = {0};
	struct vt_session_reader *sr = vt_session_open(path, &diag);
	int rc = sr == NULL ? -1 : 0;
	if (sr != NULL) {
		const struct vt_rec_info *info = vt_session_info(sr);
		if (first) {
			snprintf(r->port, sizeof(r->port), "%s", info->port);
			snprintf(r->protocol, sizeof(r->protocol), "%s", info->protocol);
			snprintf(r->version, sizeof(r->version), "%s", info->version ? info->version : "");
		}
		if (info->config_sha256 != NULL && strcmp(info->config_sha256, r->config_sha256) != 0) {
			if (r->config_sha256[0] != '\0')
				r->config_changes++;
			snprintf(r->config_sha256, sizeof(r->config_sha256), "%s", info->config_sha256);
			snprintf(r->config_path, sizeof(r->config_path), "%s",
			         info->config ? info->config : "");
		}
		if (info->format < r->format)
			r->format = info->format;
		int64_t t;
		enum vt_rec_event ev;
		const uint8_t *data;
		size_t len;
		int got;
		while ((got = vt_session_next(sr, &t, &ev, &data, &len, &diag)) != 0) {
			if (got < 0)
				rc = -1;
			else if (ev == VT_REC_LOST || ev == VT_REC_CLOSE)
				vt_record_gap(r, t);
			else if (VT_REC_IS_JSON(ev))
				vt_record_station(r, ev, t, (const char *)data, len);
		}
		vt_session_close(&sr);
	}
	vt_diag_print(&diag, err);
	vt_diag_clear(&diag);
	return rc;
}

static void
s_reading(void *ctx, int bed, int64_t t, const struct vt_reading *rd)
{
	vt_record_reading(ctx, t, rd);
}

static void
s_message(void *ctx, const char *topic, const char *json, size_t len)
{
	vt_record_replayed(ctx, json, len);
}

/* A YAML string: double-quoted, with the characters YAML needs escaped. */
static void
s_yaml_string(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(fp, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

/* A configuration of the one bed, from the recording: its driver, no rules. */
static struct vt_config *
s_bare_config(const struct vt_record *r, FILE *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	if (fp == NULL)
		return NULL;
	fprintf(fp, "publish: tcp://127.0.0.1:1\nmonitors:\n  - bed: ");
	s_yaml_string(fp, r->bed);
	fprintf(fp, "\n    port: /dev/null\n    protocol: ");
	s_yaml_string(fp, r->protocol);
	fprintf(fp, "\n    stale_after: %lldms\n", (long long)r->gap_ms);
	fclose(fp);
	struct vt_diag diag = {0};
	struct vt_config *cfg = vt_config_parse("(the recording's header)", text, len, &diag);
	vt_diag_print(&diag, err);
	vt_diag_clear(&diag);
	free(text);
	return cfg;
}

int
vt_report_collect(struct vt_record *r, const struct vt_config *cfg,
                  const struct vt_find_file *const *files, size_t n, FILE *err)
{
	int code = 0;
	for (size_t i = 0; i < n; i++)
		if (s_station(r, files[i]->path, i == 0, err) != 0)
			code = EX_DATAERR;
	if (code != 0 || n == 0)
		return code;
	r->alarms_replayed = r->format < 2;

	struct vt_config *bare = NULL;
	if (cfg == NULL || vt_config_bed_index(cfg, r->bed) < 0) {
		if ((bare = s_bare_config(r, err)) == NULL)
			return EX_DATAERR;
		cfg = bare;
	}
	char **specs = calloc(n, sizeof(*specs));
	for (size_t i = 0; specs != NULL && i < n; i++)
		if (asprintf(&specs[i], "%s=%s", r->bed, files[i]->path) < 0)
			specs[i] = NULL, code = EX_OSERR;
	if (specs == NULL)
		code = EX_OSERR;
	if (code == 0) {
		const struct vt_replay_sink sink = {.message = s_message, .reading = s_reading, .ctx = r};
		code = vt_replay_run_sink(cfg, specs, n, NULL, 0, NULL, &sink, err);
	}
	for (size_t i = 0; specs != NULL && i < n; i++)
		free(specs[i]);
	free(specs);
	vt_config_free(&bare);
	vt_record_trim(r);
	return code;
}
