/*
 * The test support library: what the tests (tests/test_*.c), the fault
 * tests (tests/faults/) and the benchmarks (bench/) share to run the real
 * programs beside them. Include this header; every name is vt_rig_*. No
 * hardware and no network: monitors are ptys or loopback TCP, every socket
 * is on 127.0.0.1, and nothing outlives a test, however it ends.
 *
 *   run.h         where things are (vt_rig_build, vt_rig_root), the clock
 *                 (vt_rig_now_ms), files (vt_rig_slurp, vt_rig_write_file),
 *                 free ports, and a program run to its end (vt_rig_run)
 *   reaper.h      nothing outlives a test: processes, tmux servers and
 *                 directories are guarded by a reaper process
 *                 (vt_rig_guard_*, vt_rig_tmpdir, vt_rig_rmtree)
 *   child.h       processes beside the test (vt_rig_spawn, vt_rig_stop;
 *                 struct vt_rig_child with its stdout read line by line)
 *   pty.h         monitors' cables on ptys, pulled and plugged back in
 *   daemon.h      a live vitalsd from monitors and rules as YAML text
 *                 (vt_rig_daemon_start), and the one-monitor bed
 *   data.h        what tests play: the project's scenarios as CSV files
 *                 (vt_rig_scenario_csv), and real recordings and device
 *                 captures from outside the tree (vt_rig_recording,
 *                 vt_rig_capture, read as hex by vt_rig_hexdump), the test
 *                 skipped, by name, without them
 *   emulator.h    vitals-emulate on a pty or a TCP port (vt_rig_emulate)
 *   zmq_client.h  a subscriber (vt_rig_sub, vt_rig_wait_msg) and control
 *                 requests (vt_rig_request)
 *   hl7.h         HL7 senders: python3-hl7 (vt_rig_hl7_send) and a plain
 *                 MLLP connection (vt_rig_mllp_*)
 *   tmux.h        a real terminal on a private tmux server (vt_rig_tmux)
 *   station.h     the console model on a daemon's real sockets, as
 *                 vitals-console drives it (vt_rig_station)
 *   accounts.h    /proc accounts of a process and benchmark figures
 *   driver_feed.h feeding a driver a byte stream split every way
 *   driver_talk.h a driver that speaks first and the emulator's device for
 *                 it, talking in process on a virtual clock
 *
 * A test against a live daemon:
 *
 *   struct vt_rig_bed bed;        // /tmp/vt-mine-*, chair-1 on a pty
 *   cr_assert_eq(vt_rig_bed_open(&bed, "mine", "masimo-ascii", NULL, false), 0);
 *   struct vt_rig_daemon d;       // up when this returns
 *   cr_assert_eq(vt_rig_daemon_start(&d, bed.dir, "heartbeat: 1s\n", bed.monitors,
 *                                    "  - {name: low, parameter: spo2, below: 90}\n"), 0);
 *   void *sub = vt_rig_sub(d.pub, "", 0);
 *   vt_rig_pty_masimo(&bed.pty, 85, 97);  // feed until the subscription is through
 *   cr_assert(vt_rig_wait_msg(sub, "alert.", "\"raised\"", 20000));
 *   char *reply = vt_rig_request(d.ctl, "{\"cmd\":\"snapshot\"}", 5000);
 *   ...
 *   zmq_close(sub);
 *   cr_assert_eq(vt_rig_daemon_stop(&d), 0);
 *   vt_rig_bed_close(&bed);
 *
 * and an emulator instead of writing device bytes by hand:
 *
 *   struct vt_rig_child emu;
 *   const char *args[] = {"--protocol", "nonin-df7", "--pty", link, "--speed", "4",
 *                         "--loop", vt_rig_scenario_csv("tests/data/scenarios/emulator.yaml"), NULL};
 *   cr_assert_eq(vt_rig_emulate(&emu, log, args, 20000), 0);   // emu.line: /dev/pts/N
 *   ...
 *   vt_rig_child_stop(&emu, SIGTERM, 10000);
 *
 * Waits are polls against generous deadlines for an event, never fixed
 * sleeps. A crashed test leaves nothing behind: what the library starts or
 * makes is guarded by the reaper at once; a test that starts something by
 * other means (a tmux server, a forked supervisor) guards it itself.
 */
#ifndef VT_RIG_SUPPORT_H
#define VT_RIG_SUPPORT_H

#include "accounts.h"
#include "child.h"
#include "daemon.h"
#include "data.h"
#include "driver_feed.h"
#include "driver_talk.h"
#include "emulator.h"
#include "hl7.h"
#include "pty.h"
#include "reaper.h"
#include "run.h"
#include "station.h"
#include "tmux.h"
#include "zmq_client.h"

#endif
