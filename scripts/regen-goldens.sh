#!/bin/sh
# Rewrite the golden replay files from tests/golden/cases.txt, and the polled
# drivers' golden transcripts (tests/golden/drivers/). Run it on
# purpose (make goldens) after a change that is meant to alter the output,
# then review `git diff tests/golden` line by line before committing.
#
# A scenario (BED=FILE.yaml) is played into a CSV first and its phase marks
# are added; BED=PROTOCOL:FILE.yaml is played by that protocol's emulated
# monitor into a session recording instead. $VITALS_DATA/ is the folder of
# real recordings (default ../shared/data beside the checkout),
# $VITALS_CAPTURES/ that of device captures (default ../shared/captures).
# Without a folder, the files of its cases are left as they are.
#
# usage: scripts/regen-goldens.sh [BUILD_DIR]
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
case $build in /*) ;; *) build=$(pwd)/$build ;; esac
data=${VITALS_DATA:-../shared/data}
case $data in /*) ;; *) data=$(pwd)/$data ;; esac
captures=${VITALS_CAPTURES:-../shared/captures}
case $captures in /*) ;; *) captures=$(pwd)/$captures ;; esac
start=2026-11-21T09:00:00Z
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2016  # $VITALS_DATA is literal text in the case list
grep -v '^#' tests/golden/cases.txt | grep -v '^[[:space:]]*$' | while read -r name config specs; do
	case $specs in
	*'$VITALS_DATA/'*)
		if [ ! -d "$data" ]; then
			echo "kept tests/golden/$name.jsonl: no real recordings at $data (set VITALS_DATA)"
			continue
		fi
		;;
	*'$VITALS_CAPTURES/'*)
		if [ ! -d "$captures" ]; then
			echo "kept tests/golden/$name.jsonl: no device captures at $captures (set VITALS_CAPTURES)"
			continue
		fi
		;;
	esac
	args=
	for spec in $specs; do
		case $spec in
		*=*:*.yaml)
			bed=${spec%%=*}
			protocol=${spec#*=}
			protocol=${protocol%%:*}
			scenario=${spec#*:}
			"$build/vitals-emulate" --scenario "$scenario" --protocol "$protocol" \
				--start-time "$start" --session "$tmp/$bed.vsr"
			args="$args $bed=$tmp/$bed.vsr $("$build/vitals-emulate" --scenario "$scenario" --phases "$bed")"
			;;
		*=*.yaml)
			bed=${spec%%=*}
			scenario=${spec#*=}
			"$build/vitals-emulate" --scenario "$scenario" --csv "$tmp/$bed.csv"
			args="$args $bed=$tmp/$bed.csv $("$build/vitals-emulate" --scenario "$scenario" --phases "$bed")"
			;;
		*'$VITALS_DATA/'*)
			args="$args ${spec%%\$VITALS_DATA/*}$data/${spec#*\$VITALS_DATA/}"
			;;
		*'$VITALS_CAPTURES/'*)
			args="$args ${spec%%\$VITALS_CAPTURES/*}$captures/${spec#*\$VITALS_CAPTURES/}"
			;;
		*)
			args="$args $spec"
			;;
		esac
	done
	# shellcheck disable=SC2086
	"$build/vitalsd" -c "$config" --clock-start "$start" --replay $args \
		>"tests/golden/$name.jsonl.tmp"
	mv "tests/golden/$name.jsonl.tmp" "tests/golden/$name.jsonl"
	echo "wrote tests/golden/$name.jsonl ($(wc -l <"tests/golden/$name.jsonl") lines)"
done

# The HL7 messages vitals-hl7 makes of two of them (tests/test_hl7_encode.c).
for name in depth-desaturation artefacts; do
	"$build/vitals-hl7" -c tests/data/hl7/bridge.yaml --replay "tests/golden/$name.jsonl" \
		>"tests/golden/hl7/$name.hl7.tmp"
	mv "tests/golden/hl7/$name.hl7.tmp" "tests/golden/hl7/$name.hl7"
	echo "wrote tests/golden/hl7/$name.hl7 ($(grep -c '^MSH' "tests/golden/hl7/$name.hl7") messages)"
done

# The polled drivers' sessions with the emulated monitors (tests/test_driver_golden.c).
VT_BUILD=$build VT_ROOT=$(pwd) VT_GOLDEN_WRITE=1 "$build/tests/test_driver_golden" --jobs 1 \
	2>/dev/null | grep '^wrote '
