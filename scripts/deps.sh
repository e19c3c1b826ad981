#!/bin/sh
# Make sure the Debian packages vitalsd builds and tests with are installed.
# `make demo` and `make check` call this first, so a fresh Debian machine
# needs nothing else. As root it installs what is missing; otherwise it
# prints the exact apt-get line and fails.
set -eu

# Everything the build, the tests and the demo use, one package a line.
# systemd (systemd-analyze, -sysusers, -tmpfiles), procps (/bin/kill, the
# unit's ExecReload), groff-base and libseccomp-dev (the unit's system call
# filter rebuilt around the daemon) are for the tests of the unit file, the
# install tree and the man pages; a container has none of them. tmux is the
# terminal the console's full-screen tests type into and read back. python3
# runs scripts/layering.py, the include-direction check; python3-hl7 is the
# independent HL7 client of the MLLP tests (tests/hl7_send.py) and the parser of
# the interface engine the bridge's tests send to (tests/hl7_listen.py). util-linux has
# setpriv, which ties the demo's processes to the demo script. dpkg-dev,
# debhelper, fakeroot and lintian build and check the Debian packages
# (make deb, and the packaging test in make check).
# nettle-dev hashes the configuration (its SHA-256 goes into every recording).
# vitals-report draws with libcairo2-dev in DejaVu (fonts-dejavu-core, found
# with libfontconfig-dev); the report's tests read its PDF back with
# poppler-utils (pdfinfo, pdftotext, pdftoppm).
# libmicrohttpd-dev (with GnuTLS) and libsodium-dev are the web station's
# HTTP server and password hashing; chromium, nodejs and npm run its browser
# test (puppeteer-core, pinned in tests/web/package-lock.json, installed from
# the npm registry below), curl its TLS test.
packages="
gcc
make
pkg-config
libserialport-dev
libzmq3-dev
libyaml-dev
libjansson-dev
libsystemd-dev
zlib1g-dev
nettle-dev
libcairo2-dev
libfontconfig-dev
fonts-dejavu-core
poppler-utils
libncurses-dev
libcriterion-dev
systemd
procps
groff-base
libseccomp-dev
tmux
python3
python3-hl7
util-linux
dpkg-dev
debhelper
fakeroot
lintian
libmicrohttpd-dev
libsodium-dev
chromium
nodejs
curl
"
# npm: Debian's package, unless the machine's Node.js brings its own.
command -v npm >/dev/null 2>&1 || packages="$packages npm"
case "${1:-}" in
--fuzz) packages="$packages clang libclang-rt-dev" ;;
--systemd) packages="$packages systemd" ;;
esac

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
# The browser test's client, from the npm registry exactly as locked. A copy
# of the lock it was installed from stays beside it: while the lock is the
# same, nothing is fetched again.
s_node_modules() {
	web=$(dirname "$0")/../tests/web
	command -v npm >/dev/null 2>&1 || return 0
	if cmp -s "$web/package-lock.json" "$web/node_modules/.installed-from.json" 2>/dev/null; then
		return 0
	fi
	echo "Installing the browser test's client (npm ci in tests/web)" >&2
	(cd "$web" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error &&
		cp package-lock.json node_modules/.installed-from.json)
}

if [ -z "$missing" ]; then
	s_node_modules
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "vitalsd needs these Debian packages:$missing" >&2
	echo "Install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "Installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq $missing
s_node_modules
