#!/bin/bash
# `make demo`: the whole product on one machine, without hardware. Three
# emulated monitors play real recordings out of pseudo-terminals, one per
# protocol family, faster than real time; vitalsd reads them with
# config/demo.yaml and a console shows their vitals and alarms. Ctrl-C (or
# SIGTERM to this script) stops every process it started and removes the
# pty links. What each chair shows and why it alarms: docs/demo.md.
#
# usage: scripts/demo.sh [BUILD_DIR]    (VT_DEMO_SPEED=10 sets the speed)
set -eu

build=${1:-build}
speed=${VT_DEMO_SPEED:-10}
cd "$(dirname "$0")/.."
root=$(pwd)
case $build in /*) ;; *) build=$root/$build ;; esac

# config/demo.yaml names these: the links, the record_dir and the endpoints.
dir=/tmp/vitalsd-demo
config=config/demo.yaml
publish=tcp://127.0.0.1:5556
control=tcp://127.0.0.1:5557
chairs="chair-1 chair-2 chair-3"

for prog in vitalsd vitals-emulate vitals-console; do
	if [ ! -x "$build/$prog" ]; then
		echo "demo: $build/$prog is missing; build it first (make demo does)" >&2
		exit 1
	fi
done

# One demo at a time: the links and the ports are fixed. The lock is held
# by every process started below (they inherit the descriptor), so even
# processes left over from a demo that was killed hard keep it.
mkdir -p "$dir"
exec 9<"$dir"
if ! flock -n 9; then
	echo "demo: another demo is running (it holds the lock on $dir);" \
		"stop it first (Ctrl-C in its terminal)" >&2
	exit 1
fi
for chair in $chairs; do
	if [ -e "$dir/$chair" ] && [ ! -L "$dir/$chair" ]; then
		echo "demo: $dir/$chair exists and is not a link; remove it first" >&2
		exit 1
	fi
done
rm -rf "$dir/record"
rm -f "$dir"/*.log

# The console gets the terminal's standard input (for its keys).
exec 3<&0

pids=()
names=()

# Stop everything this script started, politely, then firmly, and reap it.
stopping=0
# shellcheck disable=SC2317  # called from the traps
cleanup() {
	[ "$stopping" -eq 1 ] && return
	stopping=1
	trap '' INT TERM
	local i j pid
	# The console first, the emulators last: nothing reports the others going.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[$i]}
		kill -TERM "$pid" 2>/dev/null || continue
		for ((j = 0; j < 50; j++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	# The emulators remove their links; not if they were killed.
	for chair in $chairs; do
		[ -L "$dir/$chair" ] && rm -f "$dir/$chair"
	done
	return 0
}
trap 'cleanup; echo "demo: stopped"; exit 0' INT TERM
trap cleanup EXIT

start() {
	local name=$1
	shift
	"$@" &
	pids+=("$!")
	names+=("$name")
}

# chair-1: a volunteer of the UW hypoxia study (Masimo numerics) sent as a
# Nonin DF#7; chair-2: a BIDMC ICU patient's tachycardia as a Masimo;
# chair-3: a BIDMC ICU patient hovering at 84-87 % as a Nellcor N-560.
emulate() {
	local chair=$1 protocol=$2 recording=$3
	start "$chair emulator" "$build/vitals-emulate" --protocol "$protocol" --pty "$dir/$chair" \
		--speed "$speed" --loop "data/recordings/$recording" >"$dir/$chair.log" 2>&1
}
emulate chair-1 nonin-df7 uw-100006-masimo.csv
emulate chair-2 masimo-ascii bidmc-21.csv
emulate chair-3 nellcor-ascii bidmc-32.csv

# Wait (up to 5 s) for the links, so the daemon finds its monitors at once.
for ((i = 0; i < 50; i++)); do
	ready=1
	for chair in $chairs; do
		[ -L "$dir/$chair" ] || ready=0
	done
	[ "$ready" -eq 1 ] && break
	sleep 0.1
done
if [ "$ready" -ne 1 ]; then
	echo "demo: the emulators did not create their links; see $dir/chair-*.log" >&2
	exit 1
fi

start vitalsd "$build/vitalsd" -c "$config" 2>"$dir/vitalsd.log"
daemon=${pids[-1]}
# It says "started" once its sockets are bound; it exits at once if it cannot bind.
for ((i = 0; i < 100; i++)); do
	grep -q ' started' "$dir/vitalsd.log" && break
	if ! kill -0 "$daemon" 2>/dev/null; then
		echo "demo: vitalsd could not start (another vitalsd on $publish?):" >&2
		sed 's/^/  /' "$dir/vitalsd.log" >&2
		exit 1
	fi
	sleep 0.1
done

cat <<EOF
vitalsd demo: three emulated monitors play real recordings at ${speed}x real time.
  chair-1  Nonin DF#7    UW hypoxia study, volunteer 100006: a deep desaturation
  chair-2  Masimo Rad-8  BIDMC ICU patient 21: sinus tachycardia, pulse 105-139
  chair-3  Nellcor N-560 BIDMC ICU patient 32: SpO2 84-87 %, below the alarm limit
Alarm delays are real seconds (config/demo.yaml), so the first alarms come within
about 15-30 s; the recordings loop until you stop the demo.
Logs: $dir/*.log   Recordings: $dir/record/
Stop with Ctrl-C (or q in the full-screen console).

EOF

# Full screen on a terminal if the console has it; one line per event otherwise.
console=("$build/vitals-console" --connect "$publish")
if "$build/vitals-console" --help 2>&1 | grep -q -- '--control'; then
	console+=(--control "$control")
fi
if [ ! -t 1 ]; then
	console+=(--plain)
fi
# (Its own redirection: a background job's default standard input is /dev/null.)
"${console[@]}" <&3 &
pids+=("$!")
names+=(console)

# Until the console is closed or something stops by itself.
while :; do
	gone=
	wait -n -p gone "${pids[@]}" || true
	[ -n "$gone" ] && break
done
for i in "${!pids[@]}"; do
	if [ "${pids[$i]}" = "$gone" ]; then
		name=${names[$i]}
	fi
done
if [ "$name" = console ]; then
	exit 0
fi
echo "demo: the $name stopped unexpectedly; see $dir/*.log" >&2
exit 1
