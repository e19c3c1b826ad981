#!/bin/sh
# Run test programs with every vitalsd they start under valgrind (memcheck).
#
#   scripts/valgrind.sh [TEST ...]     (default: the end-to-end tests)
#
# A TEST is a program in build/tests/ or build/faults/ (make check-faults
# builds those), e.g. `scripts/valgrind.sh fault_reload fault_control`.
#
# The tests find the daemon through VT_BUILD, so no test changes: a
# directory of links to build/ stands in for it, with `vitalsd` replaced
# by a wrapper that execs valgrind on the real one (same pid, so signals and
# waits behave as before). Invalid reads or writes, uses of uninitialised
# memory and definite or indirect leaks make the daemon exit 99, which the
# tests see as a failure; each daemon's report is kept in LOGDIR (printed
# at the end) and summed up. Needs `make` first and valgrind installed.
# Slow (20-50x): not part of CI; the results are in docs/fuzzing.md.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
build="$root/build"
if [ ! -x "$build/vitalsd" ]; then
	echo "valgrind.sh: build/vitalsd is missing (run: make)" >&2
	exit 1
fi
if ! command -v valgrind >/dev/null; then
	echo "valgrind.sh: valgrind is not installed (apt-get install valgrind)" >&2
	exit 1
fi
tests=${*:-"test_replay test_golden test_reload test_live test_vitalsctl test_curve"}

wrap=$(mktemp -d /tmp/vt-valgrind-XXXXXX)
logs="$wrap/logs"
mkdir -p "$logs"
for f in "$build"/*; do
	ln -s "$f" "$wrap/"
done
rm "$wrap/vitalsd"
cat >"$wrap/vitalsd" <<EOF
#!/bin/sh
exec valgrind --quiet --error-exitcode=99 --leak-check=full \\
	--errors-for-leak-kinds=definite,indirect --track-fds=no \\
	--log-file="$logs/vitalsd.%p.log" "$build/vitalsd" "\$@"
EOF
chmod +x "$wrap/vitalsd"

failed=0
for t in $tests; do
	prog="$build/tests/$t"
	[ -x "$prog" ] || prog="$build/faults/$t"
	echo "== $t (daemon under valgrind)"
	if ! VT_BUILD="$wrap" VT_ROOT="$root" "$prog" --jobs 1; then
		failed=1
		echo "FAILED: $t"
	fi
done
runs=$(find "$logs" -name 'vitalsd.*.log' | wc -l)
dirty=$(find "$logs" -name 'vitalsd.*.log' -size +0 | wc -l)
echo "valgrind: $runs daemon runs, $dirty with a report (logs in $logs)"
for f in $(find "$logs" -name 'vitalsd.*.log' -size +0); do
	echo "--- $f"
	head -n 40 "$f"
done
[ "$failed" -eq 0 ] && [ "$dirty" -eq 0 ]
