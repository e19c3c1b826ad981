/*
 * HL7 senders for tests of vitalsd's MLLP listeners: Debian's python3-hl7
 * as an independent client (tests/hl7_send.py: it parses each message before
 * sending and each acknowledgement it gets back), and a plain connection
 * for what no client library sends (a batch in one frame, a frame in
 * pieces). Every socket is on 127.0.0.1.
 */
#ifndef VT_RIG_HL7_H
#define VT_RIG_HL7_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Send the messages of `files` (NULL-ended) to `addr` ("127.0.0.1:PORT")
 * with tests/hl7_send.py, one line per message into out:
 * "SENT-ID ACK-CODE ACKED-ID". Fails the calling test if the client fails.
 */
void vt_rig_hl7_send(const char *addr, char *out, size_t len, const char *const *files);

/* A connection to `addr` ("127.0.0.1:PORT"); fails the calling test if none. */
int vt_rig_mllp_connect(const char *addr);

/* Write all `n` bytes (fails the calling test if it cannot). */
void vt_rig_mllp_write(int fd, const void *bytes, size_t n);

/*
 * The message of the next MLLP frame from fd (without VT, FS and CR) into
 * buf, NUL-terminated and cut to fit: its length, or -1 if none came within
 * timeout_ms or the connection closed.
 */
ssize_t vt_rig_mllp_read(int fd, char *buf, size_t cap, int timeout_ms);

#endif
