#!/bin/sh
# `make goldens-report`: redraw the report's golden trend page from the
# recorded test session (tests/data/report/chair-1.vsr). Run it only when a
# change to the drawing is meant, then look at the new image and review the
# change before committing it. tests/test_report.c draws the page with the
# same arguments and compares it with this image (docs/report.md).
#
# usage: scripts/regen-report-golden.sh BUILD_DIR
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/vt-report-golden-XXXXXX)
trap 'rm -rf "$out"' EXIT
"$build/vitals-report" -c tests/data/report/report.yaml tests/data/report/chair-1.vsr \
	--utc --interval 1m --png "$out/page" >/dev/null
cp "$out/page-2.png" tests/golden/report/trends.png
echo "wrote tests/golden/report/trends.png; look at it, then git diff --stat tests/golden/report"
