/*
 * What the tests play. The project's own data is its scenarios (always
 * there), played into numerics CSV files on demand. Real recordings are
 * other people's data, which the project does not carry: they are read
 * from $VITALS_DATA, by default ../shared/data beside the checkout, and a
 * test that needs them is skipped where they are not, with one line that
 * says which variable to set. The same goes for the bytes real devices
 * sent: $VITALS_CAPTURES, by default ../shared/captures.
 */
#ifndef VT_RIG_DATA_H
#define VT_RIG_DATA_H

#include <stddef.h>
#include <stdint.h>

/* The folder of real recordings, or NULL if it is not there. */
const char *vt_rig_data_dir(void);

/* "DIR/rel" in that folder; skips the calling test if the folder is not there. */
const char *vt_rig_recording(const char *rel);

/* The capture `name` there; skips the calling test if it is not there. */
const char *vt_rig_capture(const char *name);

/*
 * The bytes of a hex dump at `path` into b: hex pairs, a Wireshark dump's
 * 4-digit offset columns skipped, and whatever follows the pairs on a line.
 * How many; fails the calling test if the file cannot be read or holds
 * more than `cap` bytes.
 */
size_t vt_rig_hexdump(const char *path, uint8_t *b, size_t cap);

/*
 * The scenario at `rel` (from the repository root) played by vitals-emulate
 * into a numerics CSV under $VT_BUILD/scenarios/; its path, in a static
 * buffer rotated among 8 callers. Fails the calling test if it cannot.
 */
const char *vt_rig_scenario_csv(const char *rel);

/*
 * The same scenario as the emulated monitor of `protocol` sends it, written
 * as a session recording (vitals-emulate --session) whose clock starts at
 * `start` (RFC 3339), for `vitalsd --replay` through the bed's driver.
 */
const char *vt_rig_scenario_session(const char *rel, const char *protocol, const char *start);

#endif
