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
# runs scripts/layering.py, the include-direction check. util-linux has
# setpriv, which ties the demo's processes to the demo script. dpkg-dev,
# debhelper, fakeroot and lintian build and check the Debian packages
# (make deb, and the packaging test in make check).
# nettle-dev hashes the configuration (its SHA-256 goes into every recording).
# vitals-report draws with libcairo2-dev in DejaVu (fonts-dejavu-core, found
# with libfontconfig-dev); the report's tests read its PDF back with
# poppler-utils (pdfinfo, pdftotext, pdftoppm).
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
util-linux
dpkg-dev
debhelper
fakeroot
lintian
"
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
[ -z "$missing" ] && exit 0

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
