#!/bin/bash
# Run the test programs, PARALLEL at a time, and add their Criterion
# summaries up into one closing line (make check, make check-asan).
#
#   scripts/run-tests.sh PARALLEL TEST...
#
# Most of the suite's time is spent waiting (a daemon's heartbeats, an
# outage of a minute, a browser starting), not computing, so two programs
# side by side on 2 cores take about half the time of one after the other;
# each program runs its own tests two at a time as well (--jobs 2). The
# programs named first start first: the Makefile puts the longest there.
# Each program's output is printed whole when it ends, never interleaved;
# a failure's assertions are repeated at the end, where a log's tail shows
# them.
set -u

if [ $# -lt 1 ]; then
	echo "usage: $0 PARALLEL TEST..." >&2
	exit 2
fi
parallel=$1
shift
[ "$parallel" -ge 1 ] 2>/dev/null || parallel=1

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
log=$dir/all.log
: >"$log"
declare -A name_of index_of start_of
n=0
failed=0
running=0

# Print a finished program's output and note whether it passed.
finish() {
	local pid=$1 rc=$2 t=${name_of[$1]} out=$dir/${index_of[$1]}.out
	echo "== $t ($(($(date +%s) - ${start_of[$1]})) s)"
	cat "$out"
	cat "$out" >>"$log"
	if [ "$rc" -ne 0 ]; then
		failed=1
		echo "FAILED: $t" >>"$log"
	fi
	running=$((running - 1))
}

reap_one() {
	local pid
	wait -n -p pid
	local rc=$?
	finish "$pid" "$rc"
}

for t in "$@"; do
	while [ "$running" -ge "$parallel" ]; do
		reap_one
	done
	n=$((n + 1))
	"$t" --jobs 2 >"$dir/$n.out" 2>&1 &
	pid=$!
	name_of[$pid]=$t
	index_of[$pid]=$n
	start_of[$pid]=$(date +%s)
	running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
	reap_one
done

passed=$(sed -n 's/.*Passing: \([0-9]*\).*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
fails=$(sed -n 's/.*Failing: \([0-9]*\) | Crashing: \([0-9]*\).*/\1 \2/p' "$log" |
	awk '{s += $1 + $2} END {print s + 0}')
if [ "$failed" -ne 0 ]; then
	echo "== what failed"
	awk '/Assertion Failed/ { n = 4 } /ERROR: [A-Za-z]+Sanitizer|runtime error:/ { n = 6 }
		/\[FAIL\]|CRASH|Timeout|Warning! |SUMMARY: / { n = n > 1 ? n : 1 }
		n > 0 { print; n-- }' "$log" | head -80
	grep '^FAILED: ' "$log"
fi
progs=$(grep -c '^FAILED: ' "$log")
skipped=$(grep -c '^\[SKIP\] ' "$log")
msg="check: $passed passed, $fails failed"
[ "$skipped" -eq 0 ] || msg="$msg, $skipped skipped (see [SKIP] above)"
[ "$progs" -eq 0 ] || msg="$msg, $progs program(s) exited with an error"
echo "$msg"
[ "$failed" -eq 0 ]
