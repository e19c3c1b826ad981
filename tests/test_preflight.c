/*
 * `vitalsd -n` says OK only for a file the daemon starts with: CURVE key
 * files that are missing or malformed, and an ipc:// endpoint on a file
 * that is not a socket (which ZeroMQ would delete), are errors at their
 * line and column, for -n and at start alike (78, never a start that fails
 * later with 69), and the file named by the endpoint is left alone.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "support/support.h"
#include "vitals/io/curve.h"

static char dir[64];

static void
s_setup(void)
{
	cr_assert_eq(vt_rig_tmpdir(dir, sizeof(dir), "preflight"), 0);
}

static void
s_teardown(void)
{
	vt_rig_rmtree(dir);
}

TestSuite(preflight, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* dir/vitalsd.yaml with these top-level lines after publish; its path. */
static const char *
s_config(const char *publish, const char *extra)
{
	static char path[128];
	char text[2048];
	snprintf(text, sizeof(text), "publish: %s\n%smonitors: []\nrules: []\n", publish,
	         extra ? extra : "");
	cr_assert_eq(vt_rig_write_file(dir, "vitalsd.yaml", text, path, sizeof(path)), 0);
	return path;
}

/* vitalsd -c path [-n]: its status, output in r. */
static int
s_vitalsd(const char *path, bool check, struct vt_rig_output *r)
{
	char *argv[] = {(char *)vt_rig_build("vitalsd"), "-c", (char *)path, check ? "-n" : NULL,
	                NULL};
	return vt_rig_run(argv, r);
}

static void
s_keygen(const char *name)
{
	char prefix[128], err[256];
	snprintf(prefix, sizeof(prefix), "%s/%s", dir, name);
	cr_assert_eq(vt_curve_keygen(prefix, err, sizeof(err)), 0, "%s", err);
}

Test(preflight, a_missing_curve_key_is_an_error_at_its_line)
{
	char clients[96], extra[512];
	snprintf(clients, sizeof(clients), "%s/clients", dir);
	cr_assert_eq(mkdir(clients, 0700), 0);
	snprintf(extra, sizeof(extra), "curve:\n  secret_key: %s/nonexistent.key\n  clients: %s\n",
	         dir, clients);
	const char *path = s_config("tcp://127.0.0.1:1", extra);
	struct vt_rig_output r;
	cr_expect_eq(s_vitalsd(path, true, &r), 78, "-n: %s%s", r.out, r.err);
	char want[320];
	snprintf(want, sizeof(want), "%s:3:15: curve.secret_key: ", path);
	cr_expect(strstr(r.err, want) != NULL, "expected \"%s\" in: %s", want, r.err);
	cr_expect(strstr(r.out, "configuration OK") == NULL);
	vt_rig_output_free(&r);
	/* The daemon refuses it the same way, as a configuration error (not 69). */
	cr_expect_eq(s_vitalsd(path, false, &r), 78, "start: %s", r.err);
	cr_expect(strstr(r.err, "curve.secret_key") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
}

Test(preflight, a_malformed_client_key_is_an_error_at_its_line)
{
	s_keygen("server");
	char clients[96], extra[512], bad[160];
	snprintf(clients, sizeof(clients), "%s/clients", dir);
	cr_assert_eq(mkdir(clients, 0700), 0);
	snprintf(bad, sizeof(bad), "%s/console.pub", clients);
	FILE *fp = fopen(bad, "w");
	cr_assert_not_null(fp);
	fputs("public-key = \"not a key\"\n", fp);
	fclose(fp);
	snprintf(extra, sizeof(extra), "curve:\n  secret_key: %s/server.key\n  clients: %s\n", dir,
	         clients);
	const char *path = s_config("tcp://127.0.0.1:1", extra);
	struct vt_rig_output r;
	cr_expect_eq(s_vitalsd(path, true, &r), 78, "-n: %s%s", r.out, r.err);
	char want[320];
	snprintf(want, sizeof(want), "%s:4:12: curve.clients: %s", path, bad);
	cr_expect(strstr(r.err, want) != NULL, "expected \"%s\" in: %s", want, r.err);
	vt_rig_output_free(&r);
}

Test(preflight, an_ipc_endpoint_on_a_file_is_refused_and_the_file_kept)
{
	char victim[96], endpoint[128];
	snprintf(victim, sizeof(victim), "%s/patients.db", dir);
	FILE *fp = fopen(victim, "w");
	cr_assert_not_null(fp);
	fputs("precious\n", fp);
	fclose(fp);
	snprintf(endpoint, sizeof(endpoint), "ipc://%s", victim);
	const char *path = s_config(endpoint, NULL);
	struct vt_rig_output r;
	cr_expect_eq(s_vitalsd(path, true, &r), 78, "-n: %s%s", r.out, r.err);
	char want[320];
	snprintf(want, sizeof(want), "%s:1:10: publish: %s exists and is not a socket", path, victim);
	cr_expect(strstr(r.err, want) != NULL, "expected \"%s\" in: %s", want, r.err);
	vt_rig_output_free(&r);
	cr_expect_eq(s_vitalsd(path, false, &r), 78, "start: %s", r.err);
	vt_rig_output_free(&r);
	char *text = vt_rig_slurp(victim, NULL);
	cr_expect(text != NULL && strcmp(text, "precious\n") == 0, "the file was touched");
	free(text);
}

Test(preflight, an_ipc_socket_another_process_listens_on_is_not_taken)
{
	char sock_path[96], endpoint[128];
	snprintf(sock_path, sizeof(sock_path), "%s/pub.sock", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	snprintf(endpoint, sizeof(endpoint), "ipc://%s", sock_path);
	const char *path = s_config(endpoint, NULL);
	struct vt_rig_output r;
	/* -n is run beside the daemon it checks: a warning. Starting would steal it: an error. */
	cr_expect_eq(s_vitalsd(path, true, &r), 0, "-n: %s%s", r.out, r.err);
	cr_expect(strstr(r.err, "warning: publish: a process") != NULL, "%s", r.err);
	vt_rig_output_free(&r);
	cr_expect_eq(s_vitalsd(path, false, &r), 78, "start: %s", r.err);
	vt_rig_output_free(&r);
	struct stat st;
	cr_expect_eq(stat(sock_path, &st), 0, "the listening socket was removed");
	close(fd);
	/* Nobody listens any more: a stale socket is fine, ZeroMQ replaces it. */
	cr_expect_eq(s_vitalsd(path, true, &r), 0, "-n on a stale socket: %s", r.err);
	vt_rig_output_free(&r);
}
