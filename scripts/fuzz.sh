#!/bin/sh
# Build and run every libFuzzer target, fuzz/fuzz_*.c, for SECONDS each.
#
#   VT_FUZZ_PKGS="..." scripts/fuzz.sh BUILD_DIR SECONDS [TARGET ...]
#
# make fuzz and make fuzz-smoke call it (make fuzz FUZZ_TARGETS=... for some).
#
# Without TARGETs every target runs, one after the other (one fuzzer at a
# time: the machines it runs on are shared).
#
# BUILD_DIR/libvitals*.a must be built with clang and
# -fsanitize=fuzzer-no-link,address,undefined (`make fuzz` does that, then
# calls this). Each target is linked against it and the project's libraries.
# Seeds live in fuzz/corpus/TARGET/ (committed, small, valid inputs); what a
# run discovers goes to fuzz/corpus-tmp/TARGET/ (not committed) and is kept
# there for the next run. A crash, a sanitizer report, a hang (> 10 s on one
# input) or running out of memory fails the script; the input that did it is
# left in BUILD_DIR/fuzz/ and the tail of the log is printed.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 BUILD_DIR SECONDS [TARGET ...]" >&2
	exit 2
fi
build=$1
secs=$2
shift 2
only="$*"
cd "$(dirname "$0")/.."

# The hub's, the HL7 bridge's, the web station's, the report's, the station's and the
# emulator's libraries before the daemon's, which they use.
lib="$build/libvitals-hub.a $build/libvitals-hl7.a $build/libvitals-web.a $build/libvitals-report.a $build/libvitals-console.a $build/libvitals-emulator.a $build/libvitals.a"
for l in $lib; do
	if [ ! -f "$l" ]; then
		echo "fuzz: $l is missing (run: make fuzz)" >&2
		exit 1
	fi
done
# The packages come from the Makefile (its PKGS and WEB_PKGS), so a library
# the project starts using is linked here too without a second list.
pkgs=${VT_FUZZ_PKGS:-}
if [ -z "$pkgs" ]; then
	echo "fuzz: VT_FUZZ_PKGS is not set (run: make fuzz or make fuzz-smoke)" >&2
	exit 1
fi
# shellcheck disable=SC2086
cflags=$(pkg-config --cflags $pkgs)
# shellcheck disable=SC2086
libs=$(pkg-config --libs $pkgs)

# UBSan reports are failures too, not warnings.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"

mkdir -p "$build/fuzz"
failed=0
found=0
for src in fuzz/fuzz_*.c; do
	[ -e "$src" ] || continue
	found=1
	name=$(basename "$src" .c)
	if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then
		continue
	fi
	bin="$build/fuzz/$name"
	log="$build/fuzz/$name.log"
	echo "== $name: building"
	# shellcheck disable=SC2086
	if ! clang -std=c11 -D_GNU_SOURCE -O1 -g -Wall -Wextra \
		-fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer \
		-Iinclude $cflags -o "$bin" "$src" $lib $libs -lm; then
		echo "== $name: build FAILED"
		failed=1
		continue
	fi
	seeds="fuzz/corpus/$name"
	work="fuzz/corpus-tmp/$name"
	mkdir -p "$seeds" "$work"
	echo "== $name: fuzzing for ${secs}s (log: $log)"
	start=$(date +%s)
	if "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/$name-" "$work" "$seeds" >"$log" 2>&1; then
		result=ok
	else
		result=FAILED
		failed=1
	fi
	end=$(date +%s)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
	corpus=$(find "$work" -type f | wc -l)
	echo "== $name: $result after $((end - start))s, ${execs:-?} executions, coverage ${cov:-?}, corpus $corpus"
	if [ "$result" != ok ]; then
		tail -n 60 "$log"
	fi
done
if [ "$found" -eq 0 ]; then
	echo "fuzz: no fuzz/fuzz_*.c targets" >&2
fi
exit "$failed"
