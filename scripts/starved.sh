#!/bin/bash
# Run a command on a starved machine, to find tests that only pass when the
# scheduler is kind. A CI container with a CPU quota freezes every process
# in it for part of each period; two busy loops beside the command make
# sure the quota is used up. The command and the loops share a cgroup
# limited to QUOTA_MS of CPU in each PERIOD_MS (default 120 of 300 ms, so
# a process may be frozen ~180 ms at a time).
#
#   scripts/starved.sh make check-run
#   QUOTA_MS=60 scripts/starved.sh build/tests/test_live
#
# Needs root (it makes a cgroup), cgroup v1's cpu controller or cgroup v2.
set -u
QUOTA_MS=${QUOTA_MS:-120}
PERIOD_MS=${PERIOD_MS:-300}
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }

if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	root=/sys/fs/cgroup
	cg=$root/vt-starved-$$
	mkdir "$cg" || exit 1
	echo "$((QUOTA_MS * 1000)) $((PERIOD_MS * 1000))" >"$cg/cpu.max" || { rmdir "$cg"; exit 1; }
elif [ -d /sys/fs/cgroup/cpu ]; then
	root=/sys/fs/cgroup/cpu
	cg=$root/vt-starved-$$
	mkdir "$cg" || exit 1
	echo $((PERIOD_MS * 1000)) >"$cg/cpu.cfs_period_us" &&
		echo $((QUOTA_MS * 1000)) >"$cg/cpu.cfs_quota_us" || { rmdir "$cg"; exit 1; }
else
	echo "$0: no cgroup cpu controller here" >&2
	exit 1
fi

echo $$ >"$cg/cgroup.procs"
busy=()
for _ in 1 2; do
	sh -c 'while :; do :; done' &
	busy+=($!)
done
trap 'kill "${busy[@]}" 2>/dev/null' EXIT

"$@"
status=$?

kill "${busy[@]}" 2>/dev/null
wait "${busy[@]}" 2>/dev/null
echo $$ >"$root/cgroup.procs"
rmdir "$cg" 2>/dev/null
exit $status
