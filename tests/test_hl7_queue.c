/*
 * Tests of the HL7 bridge's queue on disk (vitals/hl7/queue.h): messages
 * come back in order with the same number and control id after the queue
 * is reopened (a restart), the bound drops observations first and keeps a
 * reserve for alarm reports, the state file round-trips, the records of
 * messages the state did not yet account for are found again (a crash
 * between the two), and a file that cannot be read or a message refused is
 * set aside, never lost and never blocking the rest.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/hl7/queue.h"

static char s_dir[128];

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_tmpdir(s_dir, sizeof(s_dir), "hl7q"), 0);
}

static void
s_teardown(void)
{
	vt_rig_rmtree(s_dir);
}

TestSuite(queue, .init = s_setup, .fini = s_teardown);

static struct vt_queue *
s_open(size_t max)
{
	char err[256], path[256];
	snprintf(path, sizeof(path), "%s/q", s_dir);
	struct vt_queue *q = vt_queue_open(path, max, err, sizeof(err));
	cr_assert_not_null(q, "%s", err);
	return q;
}

/* Queue "message N" as the queue's next message. */
static int
s_push(struct vt_queue *q, const char *record, bool alarm)
{
	char msg[64];
	snprintf(msg, sizeof(msg), "MSH|message %llu\r", (unsigned long long)vt_queue_next_number(q));
	return vt_queue_push(q, msg, strlen(msg), record, alarm);
}

/* The head's number and text, which must be "message N". */
static uint64_t
s_head(struct vt_queue *q, char *id, size_t idlen)
{
	const char *msg, *control;
	size_t len;
	uint64_t n;
	cr_assert_eq(vt_queue_head(q, &msg, &len, &n, &control), 0);
	char want[64];
	snprintf(want, sizeof(want), "MSH|message %llu\r", (unsigned long long)n);
	cr_expect_eq(len, strlen(want));
	cr_expect_str_eq(msg, want);
	if (id != NULL)
		snprintf(id, idlen, "%s", control);
	return n;
}

static void
s_records(void *ctx, const char *record)
{
	char *acc = ctx;
	strcat(acc, record);
	strcat(acc, ";");
}

Test(queue, messages_survive_a_restart_in_order_with_their_identity)
{
	struct vt_queue *q = s_open(100);
	cr_expect_eq(vt_queue_next_number(q), 1);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(s_push(q, NULL, false), 0);
	cr_expect_eq(vt_queue_length(q), 5);
	char id1[VT_QUEUE_ID_MAX], again[VT_QUEUE_ID_MAX];
	cr_expect_eq(s_head(q, id1, sizeof(id1)), 1);
	cr_expect_eq(strlen(id1), 10, "%s: 8 hex digits, '-', the number", id1);
	cr_expect_str_eq(id1 + 8, "-1");
	vt_queue_pop(q);
	cr_expect_eq(s_head(q, NULL, 0), 2);
	cr_assert_eq(vt_queue_save(q, "[]"), 0);
	vt_queue_free(&q);
	cr_expect_null(q);

	q = s_open(100);
	cr_expect_eq(vt_queue_length(q), 4);
	cr_expect_eq(s_head(q, again, sizeof(again)), 2, "the oldest not acknowledged");
	cr_expect_eq(strncmp(again, id1, 9), 0, "the same queue id: %s, %s", again, id1);
	cr_expect_str_eq(again + 8, "-2");
	cr_expect_eq(vt_queue_next_number(q), 6, "numbers go on");
	for (uint64_t want = 2; want <= 5; want++) {
		cr_expect_eq(s_head(q, NULL, 0), want);
		vt_queue_pop(q);
	}
	cr_expect_eq(vt_queue_length(q), 0);
	const char *m, *c;
	size_t len;
	uint64_t n;
	cr_expect_eq(vt_queue_head(q, &m, &len, &n, &c), 1, "empty");
	cr_expect_eq(vt_queue_counts(q)->sent, 4);
	/* Empty and restarted: numbers still go on (the state keeps them). */
	cr_assert_eq(vt_queue_save(q, "[]"), 0);
	vt_queue_free(&q);
	q = s_open(100);
	cr_expect_eq(vt_queue_next_number(q), 6);
	vt_queue_free(&q);
}

Test(queue, the_bound_drops_observations_first)
{
	struct vt_queue *q = s_open(10);
	for (int i = 0; i < 10; i++)
		cr_assert_eq(s_push(q, NULL, false), 0);
	cr_expect_eq(s_push(q, NULL, false), 1, "an observation beyond the bound");
	cr_expect_eq(s_push(q, NULL, false), 1);
	/* Alarm reports: a tenth more (and one). */
	cr_expect_eq(s_push(q, "{}", true), 0);
	cr_expect_eq(s_push(q, "{}", true), 0);
	cr_expect_eq(s_push(q, "{}", true), 1, "beyond the reserve");
	const struct vt_queue_counts *c = vt_queue_counts(q);
	cr_expect_eq(c->dropped_obs, 2);
	cr_expect_eq(c->dropped_alarms, 1);
	cr_expect_eq(c->queued, 12);
	cr_expect_eq(vt_queue_length(q), 12);
	cr_expect_eq(vt_queue_next_number(q), 13, "a dropped message takes no number");
	for (int i = 0; i < 3; i++)
		vt_queue_pop(q);
	cr_expect_eq(s_push(q, NULL, false), 0, "under the bound again");
	vt_queue_free(&q);
}

Test(queue, state_and_the_records_it_did_not_account_for)
{
	struct vt_queue *q = s_open(100);
	cr_expect_null(vt_queue_saved_alarms(q), "a new queue has no alarms to take back");
	cr_assert_eq(s_push(q, "{\"id\":\"a\"}", true), 0);
	cr_assert_eq(s_push(q, NULL, false), 0);
	cr_assert_eq(vt_queue_save(q, "[{\"id\":\"a\"}]"), 0);
	/* Queued after the state, then a crash: no save. */
	cr_assert_eq(s_push(q, "{\"id\":\"b\"}", true), 0);
	cr_assert_eq(s_push(q, NULL, false), 0);
	cr_assert_eq(s_push(q, "{\"id\":\"c\",\"ended\":true}", true), 0);
	vt_queue_free(&q);

	q = s_open(100);
	cr_expect_str_eq(vt_queue_saved_alarms(q), "[{\"id\":\"a\"}]");
	char acc[512] = "";
	vt_queue_pending(q, s_records, acc);
	cr_expect_str_eq(acc, "{\"id\":\"b\"};{\"id\":\"c\",\"ended\":true};");
	cr_expect_eq(vt_queue_next_number(q), 6, "from the files, past the state's");
	vt_queue_free(&q);

	char path[256];
	snprintf(path, sizeof(path), "%s/q/state.json", s_dir);
	cr_assert_eq(vt_rig_write_file(s_dir, "q/state.json", "{\"next\":\"x\"}", NULL, 0), 0);
	char err[256];
	snprintf(path, sizeof(path), "%s/q", s_dir);
	cr_expect_null(vt_queue_open(path, 100, err, sizeof(err)));
	cr_expect(strstr(err, "state.json") != NULL, "%s", err);
}

Test(queue, what_cannot_be_read_or_is_refused_is_set_aside)
{
	struct vt_queue *q = s_open(100);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(s_push(q, NULL, false), 0);
	vt_queue_reject(q);
	cr_expect_eq(s_head(q, NULL, 0), 2);
	char path[256];
	snprintf(path, sizeof(path), "%s/q/rejected/00000000000000000001.hl7", s_dir);
	cr_expect(vt_rig_file_has(path, "MSH|message 1", 0), "kept in rejected/");
	/* Message 3's file is damaged (no record line). */
	snprintf(path, sizeof(path), "%s/q/00000000000000000003.hl7", s_dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("garbage", f);
	fclose(f);
	vt_queue_pop(q);
	const char *m, *c;
	size_t len;
	uint64_t n;
	cr_expect_eq(vt_queue_head(q, &m, &len, &n, &c), -1);
	cr_expect_eq(vt_queue_length(q), 0);
	cr_expect_eq(vt_queue_counts(q)->rejected, 2);
	vt_queue_free(&q);
	/* A directory that cannot be written is refused at open. */
	char err[256];
	cr_expect_null(vt_queue_open("/proc/vt-no-such-queue", 10, err, sizeof(err)));
	cr_expect_neq(err[0], '\0');
}
