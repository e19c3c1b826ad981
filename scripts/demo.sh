#!/bin/bash
# `make demo`: the whole product on one machine, without hardware. Three
# emulated pulse oximeters play the project's scenarios (or, given DATA_DIR,
# real recordings from it) out of pseudo-terminals, one per protocol family,
# and a multiparameter monitor plays a ketamine blood-pressure surge, its
# infusion phases set as a nurse would (scripts/demo-phases.sh), all faster
# than real time; vitalsd reads them with config/demo.yaml and a console
# shows their vitals and alarms. Every
# process it starts ends with it: on Ctrl-C, SIGTERM or SIGHUP (its terminal
# or tmux session closed) it stops them and removes the pty links, and if
# the script itself is killed outright (SIGKILL) the kernel sends each of
# them SIGTERM (they are started with a parent-death signal). An emulator
# that stops is a chair in comm-lost, not the end of the demo. What each
# chair shows and why it alarms: docs/demo.md.
#
# usage: scripts/demo.sh [BUILD_DIR [DATA_DIR]]    (VT_DEMO_SPEED=10 sets the speed;
#        VT_DEMO_DIR and VT_DEMO_PORT move the links and the two ports, so a
#        second demo, or a test, can run beside the first)
set -eu

build=${1:-build}
data=${2:-}
speed=${VT_DEMO_SPEED:-10}
cd "$(dirname "$0")/.."
root=$(pwd)
case $build in /*) ;; *) build=$root/$build ;; esac
if [ -n "$data" ]; then
	case $data in /*) ;; *) data=$root/$data ;; esac
	for f in uw-100006-masimo.csv bidmc-21.csv bidmc-32.csv; do
		if [ ! -r "$data/recordings/$f" ]; then
			echo "demo: $data/recordings/$f is missing: DATA names the folder of the public" \
				"data sets (README.md, Real recordings)" >&2
			exit 1
		fi
	done
fi

# config/demo.yaml names these: the links, the record_dir and the endpoints.
dir=${VT_DEMO_DIR:-/tmp/vitalsd-demo}
port=${VT_DEMO_PORT:-5556}
config=config/demo.yaml
publish=tcp://127.0.0.1:$port
control=tcp://127.0.0.1:$((port + 1))
chairs="chair-1 chair-2 chair-3 chair-4"

for prog in vitalsd vitals-emulate vitals-console; do
	if [ ! -x "$build/$prog" ]; then
		echo "demo: $build/$prog is missing; build it first (make demo does)" >&2
		exit 1
	fi
done

# The processes that hold the lock on $dir, as "PID 123 (vitalsd), ...".
lock_holders() {
	local fd pid target out=
	target=$(readlink -f "$dir")
	for fd in /proc/[0-9]*/fd/*; do
		[ "$(readlink "$fd" 2>/dev/null)" = "$target" ] || continue
		pid=${fd#/proc/}
		pid=${pid%%/*}
		[ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] || continue
		case " $out " in *" $pid "*) continue ;; esac
		out+="${out:+, }PID $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo gone))"
	done
	echo "${out:-a process that has just exited}"
}

# One demo at a time per directory and ports. The lock is held by every
# process started below (they inherit the descriptor), so a process left
# over from a demo that ended badly keeps it, and is named here.
mkdir -p "$dir"
exec 9<"$dir"
if ! flock -n 9; then
	echo "demo: another demo is running: the lock on $dir is held by $(lock_holders 9<&-);" \
		"stop it first (Ctrl-C in its terminal, or kill the PID)" >&2
	exit 1
fi
# Somewhere else than the default: the same configuration, moved there.
if [ "$dir" != /tmp/vitalsd-demo ] || [ "$port" != 5556 ]; then
	sed -e "s|/tmp/vitalsd-demo|$dir|g" -e "s|127\.0\.0\.1:5556|127.0.0.1:$port|" \
		-e "s|127\.0\.0\.1:5557|127.0.0.1:$((port + 1))|" "$config" >"$dir/demo.yaml"
	config=$dir/demo.yaml
fi
for chair in $chairs; do
	if [ -e "$dir/$chair" ] && [ ! -L "$dir/$chair" ]; then
		echo "demo: $dir/$chair exists and is not a link; remove it first" >&2
		exit 1
	fi
done
rm -rf "$dir/record" "$dir/reports"
rm -f "$dir"/*.log
mkdir -p "$dir/reports"

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
	# Whatever fails from here on (a terminal that is gone) must not stop the cleanup.
	set +e
	trap '' INT TERM HUP
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
	reports
	return 0
}

# The infusion record of each chair's session, once the daemon has closed
# its recordings: the whole run, its table at 5 minutes of the patients'
# time (30 s at 10x). Said on the terminal if there is one.
# shellcheck disable=SC2317  # called from cleanup
reports() {
	[ -n "${demo_start:-}" ] && [ -x "$build/vitals-report" ] || return 0
	local chair files made= interval=$((300 / speed))
	[ "$interval" -ge 10 ] || interval=10
	for chair in $chairs; do
		files=("$dir/record/$chair"/*.vsr)
		[ -e "${files[0]}" ] || continue
		if "$build/vitals-report" -c "$config" --from "$demo_start" --interval "${interval}s" \
			-o "$dir/reports/$chair.pdf" --png "$dir/reports/$chair" --csv "$dir/reports/$chair.csv" \
			"${files[@]}" >/dev/null 2>>"$dir/demo.log"; then
			made+=" $chair"
		else
			echo "demo: no report of $chair; see $dir/demo.log" >>"$dir/demo.log"
		fi
	done
	[ -n "$made" ] && echo "demo: the infusion record of each chair's session is in $dir/reports/" \
		"(chair-N.pdf, chair-N-*.png pages, chair-N.csv)" 2>/dev/null
	return 0
}
trap 'cleanup; echo "demo: stopped" 2>/dev/null; exit 0' INT TERM HUP
trap cleanup EXIT

# Each process gets SIGTERM from the kernel if this script dies, however it dies.
start() {
	local name=$1
	shift
	setpriv --pdeathsig TERM -- "$@" &
	pids+=("$!")
	names+=("$name")
}

# One chair: its protocol, and what it plays (a scenario, or a recording).
emulate() {
	local chair=$1 protocol=$2
	shift 2
	start "$chair emulator" "$build/vitals-emulate" --protocol "$protocol" --pty "$dir/$chair" \
		--speed "$speed" --loop "$@" >"$dir/$chair.log" 2>&1
}
if [ -z "$data" ]; then
	# chair-1: a desaturation as a Nonin DF#7; chair-2: a bradycardia as a
	# Masimo; chair-3: a well patient and a lot of artefacts as a Nellcor N-560.
	emulate chair-1 nonin-df7 --scenario scenarios/desaturation.yaml
	emulate chair-2 masimo-ascii --scenario scenarios/bradycardia.yaml
	emulate chair-3 nellcor-ascii --scenario scenarios/artefacts.yaml
	playing="the project's scenarios (scenarios/)"
	chair1="scenarios/desaturation.yaml: SpO2 97 % to 83 % and back"
	chair2="scenarios/bradycardia.yaml: a vasovagal pulse of 42"
	chair3="scenarios/artefacts.yaml: probe off, motion, cold hands"
else
	# chair-1: a volunteer of the UW hypoxia study (Masimo numerics) sent as a
	# Nonin DF#7; chair-2: a BIDMC ICU patient's tachycardia as a Masimo;
	# chair-3: a BIDMC ICU patient hovering at 84-87 % as a Nellcor N-560.
	emulate chair-1 nonin-df7 "$data/recordings/uw-100006-masimo.csv"
	emulate chair-2 masimo-ascii "$data/recordings/bidmc-21.csv"
	emulate chair-3 nellcor-ascii "$data/recordings/bidmc-32.csv"
	playing="real recordings from $data"
	chair1="UW hypoxia study, volunteer 100006: a deep desaturation"
	chair2="BIDMC ICU patient 21: sinus tachycardia, pulse 105-139"
	chair3="BIDMC ICU patient 32: SpO2 84-87 %, below the alarm limit"
fi
# chair-4, either way: a Philips IntelliVue (answering vitalsd's association
# and polls) plays a ketamine infusion whose blood pressure surges; no
# recording has one. Its phases follow the scenario's marks from now on.
chair4_scenario=scenarios/ketamine-bp-surge.yaml
chair4_start_us=${EPOCHREALTIME/./}
emulate chair-4 philips-mib --scenario "$chair4_scenario"

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

demo_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
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

# chair-4's nurse: its infusion phases at the scenario's marks (baseline
# for 8 minutes of its time, then the infusion, recovery and end).
start "chair-4 phases" scripts/demo-phases.sh "$build" "$control" chair-4 "$chair4_scenario" \
	"$speed" "$chair4_start_us" 2>>"$dir/demo.log"

# The web station beside the console, on loopback, with a demo login: port
# 8080, or the one after control when VT_DEMO_PORT moved the others. One that
# cannot start leaves the demo running.
if [ "$port" = 5556 ]; then web=127.0.0.1:8080; else web=127.0.0.1:$((port + 2)); fi
web_line="Web station: not built"
if [ -x "$build/vitals-web" ]; then
	rm -f "$dir/web-users"
	echo demo-nurse | "$build/vitals-web" passwd "$dir/web-users" nurse 2>/dev/null
	start web "$build/vitals-web" --listen "$web" --connect "$publish" --control "$control" \
		--users "$dir/web-users" --reports "$dir/reports" 2>"$dir/vitals-web.log"
	web_line="Web station: could not start; see $dir/vitals-web.log"
	for ((i = 0; i < 50; i++)); do
		if grep -q ' serving ' "$dir/vitals-web.log"; then
			web_line="Web station: http://$web/  (log in as nurse, password demo-nurse)"
			break
		fi
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.1
	done
fi

cat <<EOF
vitalsd demo: four emulated monitors play $playing at ${speed}x real time.
  chair-1  Nonin DF#7    $chair1
  chair-2  Masimo Rad-8  $chair2
  chair-3  Nellcor N-560 $chair3
  chair-4  IntelliVue    $chair4_scenario: ketamine, blood pressure +35 %
Alarm delays are real seconds (config/demo.yaml), so the first alarms come within
about 15-30 s; chair-4's cuff measures every 3 min of its time, and its blood-pressure
alarm comes about $((960 / speed)) s in. The patients loop until you stop the demo.
$web_line
Logs: $dir/*.log   Recordings: $dir/record/
Reports: $dir/reports/ (each chair's infusion record, written when the demo stops)
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
setpriv --pdeathsig TERM -- "${console[@]}" <&3 &
pids+=("$!")
names+=(console)

# Until the console is closed or the daemon stops. An emulator that stops
# leaves its chair in comm-lost, as an unplugged monitor would; that is
# written to $dir/demo.log (the terminal belongs to the console).
declare -A ended=()
while :; do
	running=()
	for pid in "${pids[@]}"; do
		[ -n "${ended[$pid]:-}" ] || running+=("$pid")
	done
	gone=
	wait -n -p gone "${running[@]}" || true
	[ -n "$gone" ] || continue
	ended[$gone]=1
	for i in "${!pids[@]}"; do
		[ "${pids[$i]}" = "$gone" ] && name=${names[$i]}
	done
	case $name in
	console) exit 0 ;;
	*emulator)
		echo "demo: the $name stopped; ${name% emulator} shows comm-lost (see $dir/${name% emulator}.log)" \
			>>"$dir/demo.log"
		;;
	web) echo "demo: the web station stopped; see $dir/vitals-web.log" >>"$dir/demo.log" ;;
	*phases) echo "demo: the $name script stopped; nobody sets chair-4's phases" >>"$dir/demo.log" ;;
	*)
		echo "demo: the $name stopped unexpectedly; see $dir/*.log" >&2
		exit 1
		;;
	esac
done
