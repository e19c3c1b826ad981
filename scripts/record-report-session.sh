#!/bin/bash
# Records tests/data/report/chair-1.vsr, the session the report tests read:
# the real daemon reading an emulated Masimo that plays the made-up patient
# of tests/data/report/infusion.csv, while a nurse (this script) sets the
# phases, acknowledges every alarm a few seconds after it appears and pauses
# the audio once. It takes six minutes of real time. Run it only on purpose
# (a change to the recording format, or a new session wanted), then review
# the new file and regenerate the report's golden page: make goldens-report.
#
# usage: scripts/record-report-session.sh [BUILD_DIR]
set -eu

build=${1:-build}
cd "$(dirname "$0")/.."
root=$(pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
data=tests/data/report
config=$data/report.yaml
# report.yaml names these.
dir=/tmp/vt-report-record
control=tcp://127.0.0.1:5597

for prog in vitalsd vitals-emulate vitalsctl; do
	[ -x "$build/$prog" ] || { echo "record: build $build/$prog first" >&2; exit 1; }
done
rm -rf "$dir"
mkdir -p "$dir/record"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# The patient: 6 minutes; the sensor slips off at 225 s, the cable is out at 320 s.
"$build/vitals-emulate" --protocol masimo-ascii --pty "$dir/chair-1" \
	--sensor-off-at 225s --sensor-off-for 8s --unplug-at 320s --unplug-for 6s \
	"$data/infusion.csv" >"$dir/emulator.log" 2>&1 &
pids+=("$!")
for ((i = 0; i < 50; i++)); do [ -L "$dir/chair-1" ] && break; sleep 0.1; done
"$build/vitalsd" -c "$config" 2>"$dir/vitalsd.log" &
pids+=("$!")
daemon=$!
for ((i = 0; i < 100; i++)); do grep -q ' started' "$dir/vitalsd.log" && break; sleep 0.1; done

ctl() { "$build/vitalsctl" --connect "$control" "$@" >/dev/null; }
start=$(date +%s%N)
elapsed() { echo $((($(date +%s%N) - start) / 1000000)); }

declare -A seen acked
silenced=0
phase_at=(500 60000 240000 355000)
phases=("baseline --weight 72" "infusion --weight 72 --dose 0.5" "recovery" "ended")
next=0
echo "recording for six minutes into $dir/record ..."
while [ "$(elapsed)" -lt 358000 ]; do
	now=$(elapsed)
	if [ $next -lt 4 ] && [ "$now" -ge "${phase_at[$next]}" ]; then
		# shellcheck disable=SC2086  # the phase and its options
		ctl phase chair-1 ${phases[$next]} --by nurse-a
		echo "  $((now / 1000)) s: phase ${phases[$next]}"
		next=$((next + 1))
	fi
	# The unacknowledged alarms, one id a line.
	ids=$("$build/vitalsctl" --connect "$control" --json snapshot | python3 -c '
import json, sys
for a in json.load(sys.stdin).get("alerts", []):
    if not a.get("acknowledged"):
        print(a["id"])')
	for id in $ids; do
		[ -n "${seen[$id]:-}" ] || seen[$id]=$now
		if [ -z "${acked[$id]:-}" ] && [ $((now - seen[$id])) -ge 3000 ]; then
			ctl ack "$id" --by station-2 && acked[$id]=1 && echo "  $((now / 1000)) s: ack $id"
		fi
		case $id in chair-1/pr-high/*)
			if [ $silenced -eq 0 ]; then
				ctl silence chair-1 30s --by station-2
				silenced=1
				echo "  $((now / 1000)) s: audio paused 30 s"
			fi
		esac
	done
	sleep 0.5
done
kill -TERM "$daemon"
wait "$daemon" || true
files=("$dir"/record/chair-1/*.vsr)
if [ "${#files[@]}" -ne 1 ]; then
	echo "record: ${#files[@]} files (the run crossed UTC midnight?); run it again" >&2
	exit 1
fi
cp "${files[0]}" "$data/chair-1.vsr"
echo "wrote $data/chair-1.vsr ($(wc -c <"$data/chair-1.vsr") bytes); review it, then make goldens-report"
