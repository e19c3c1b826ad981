#!/bin/sh
# Rewrite the golden replay files from tests/golden/cases.txt. Run it on
# purpose (make goldens) after a change that is meant to alter the output,
# then review `git diff tests/golden` line by line before committing.
set -eu
vitalsd=${1:-build/vitalsd}
cd "$(dirname "$0")/.."
grep -v '^#' tests/golden/cases.txt | grep -v '^[[:space:]]*$' | while read -r name config specs; do
	# shellcheck disable=SC2086
	"$vitalsd" -c "$config" --clock-start 2026-11-21T09:00:00Z --replay $specs \
		>"tests/golden/$name.jsonl.tmp"
	mv "tests/golden/$name.jsonl.tmp" "tests/golden/$name.jsonl"
	echo "wrote tests/golden/$name.jsonl ($(wc -l <"tests/golden/$name.jsonl") lines)"
done
