#!/bin/bash
# The nurse of `make demo`'s chair-4: a baseline rule (the blood-pressure
# surge) needs the infusion's phases, which no monitor sends; at the bedside
# the nurse sets them at the console. This sets BED's phases at the phase
# marks of the scenario its emulator plays (vitals-emulate --phases), at the
# emulator's speed, on every pass of its loop, with vitalsctl, as "demo".
# scripts/demo.sh starts it once the daemon is up, with the moment the
# emulator started; a mark that fell due before that is set at once if it is
# the latest one due. A command the daemon refuses is written to standard
# error (demo.log) and the next mark comes as planned.
#
# usage: scripts/demo-phases.sh BUILD_DIR CONTROL BED SCENARIO SPEED START_US
#        (START_US: the emulator's start, $EPOCHREALTIME in microseconds)
set -eu

build=$1 control=$2 bed=$3 scenario=$4 speed=$5 start_us=$6

# The marks: "SECONDS PHASE [KG [DOSE]]", one a line.
marks=()
while read -r arg; do
	arg=${arg#--phase "$bed"@}
	IFS=: read -r phase kg dose <<<"${arg#*=}"
	marks+=("${arg%%=*} $phase ${kg:-} ${dose:-}")
done < <("$build/vitals-emulate" --scenario "$scenario" --phases "$bed")
if [ ${#marks[@]} -eq 0 ]; then
	echo "demo: $scenario has no phase marks; $bed's phases are not set" >&2
	exit 0
fi
# One pass of the emulator's loop: the scenario's length (its last row + 1 s).
last=$("$build/vitals-emulate" --scenario "$scenario" --csv - | tail -n 1)
pass_s=$((${last%%,*} + 1))

# Microseconds from the emulator's start to scenario second S of pass P.
due_us() {
	awk -v s="$1" -v p="$2" -v len="$pass_s" -v x="$speed" \
		'BEGIN { printf "%.0f\n", (p * len + s) * 1e6 / x }'
}

set_phase() {
	local phase=$1 kg=$2 dose=$3 args=()
	[ -n "$kg" ] && args+=(--weight "$kg")
	[ -n "$dose" ] && args+=(--dose "$dose")
	"$build/vitalsctl" --connect "$control" --by demo phase "$bed" "$phase" "${args[@]}" \
		>/dev/null || echo "demo: could not set $bed's phase to $phase" >&2
}

# Stopped (the demo ends), it leaves no sleep behind: the sleep is a child
# that the kernel also ends if this script is killed outright.
sleeper=
trap '[ -z "$sleeper" ] || kill "$sleeper" 2>/dev/null; exit 0' TERM INT HUP
pause_us() {
	setpriv --pdeathsig TERM -- sleep "$(printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)))" &
	sleeper=$!
	wait "$sleeper" || true
	sleeper=
}

for ((pass = 0; ; pass++)); do
	for ((i = 0; i < ${#marks[@]}; i++)); do
		read -r at phase kg dose <<<"${marks[$i]}"
		now_us=$((${EPOCHREALTIME/./} - start_us))
		wait_us=$(($(due_us "$at" "$pass") - now_us))
		if [ "$wait_us" -lt 0 ] && [ $((i + 1)) -lt ${#marks[@]} ]; then
			read -r next _ <<<"${marks[$((i + 1))]}"
			# Past, and so is the next one: this phase is over already.
			[ $(($(due_us "$next" "$pass") - now_us)) -lt 0 ] && continue
		fi
		[ "$wait_us" -gt 0 ] && pause_us "$wait_us"
		set_phase "$phase" "$kg" "$dose"
	done
done
