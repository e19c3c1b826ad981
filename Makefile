# vitalsd — build, test, demo.
#
#   make            build the daemon, the tools and the test programs
#   make demo       four emulated monitors playing the shipped scenarios, the
#                   daemon, and a console (installs missing packages first);
#                   DATA=DIR plays the real recordings in DIR instead
#   make check      every test (installs missing packages first)
#   make check-asan the suite under AddressSanitizer + UBSan
#   make check-faults  the daemon under faults (kills, unplugs, floods; long)
#   make fuzz       libFuzzer targets (clang); FUZZ_SECONDS per target
#   make fuzz-smoke every libFuzzer target for 30 s (CI)
#   make bench      benchmark programs that print figures
#   make goldens    regenerate the golden replay files, the polled drivers'
#                   transcripts and the report's golden trend page (review
#                   the diff!); make goldens-report: the page alone
#   make install    programs, units, sysusers/tmpfiles/udev files, man pages and
#                   the sample configuration (PREFIX=/usr/local, DESTDIR=)
#
# Every module under daemon/ goes into one static library; each program
# links it. A new module or test is a new file: nothing to list here.

SHELL    := /bin/bash
BUILD    ?= build
CC       ?= gcc
PKGS     := libserialport libzmq yaml-0.1 jansson libsystemd zlib nettle
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# The web station alone serves HTTP and hashes passwords: only it (and the
# tests) link these.
WEB_PKGS  := libmicrohttpd libsodium
WEB_CFLAGS = $(shell pkg-config --cflags $(WEB_PKGS) 2>/dev/null)
WEB_LIBS   = $(shell pkg-config --libs $(WEB_PKGS) 2>/dev/null) -lpthread

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-unused-parameter
CFLAGS   ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)
LDLIBS   += $(PKG_LIBS) -lm

ifeq ($(SAN),1)
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# The daemon's modules (daemon/ and its part folders, docs/architecture.md)
# make libvitals.a; the emulator's, the station's and the tools' libraries
# are beside it. A program is any vitals*.c in emulator/, console/, tools/,
# report/, web/, hub/ or hl7/; vitalsd is daemon/main.c and links the daemon's
# library alone.
LIB_SRC   := $(filter-out daemon/main.c,$(wildcard daemon/*.c daemon/*/*.c))
LIB       := $(BUILD)/libvitals.a
EMU_SRC   := $(filter-out emulator/vitals%.c,$(wildcard emulator/*.c))
EMU_LIB   := $(BUILD)/libvitals-emulator.a
CON_SRC   := $(filter-out console/vitals%.c,$(wildcard console/*.c))
CON_LIB   := $(BUILD)/libvitals-console.a
TOOL_SRC  := $(filter-out tools/vitals%.c,$(wildcard tools/*.c))
TOOL_LIB  := $(BUILD)/libvitals-tools.a
# The infusion record (report/) draws with cairo: its library and what links it.
REPORT_SRC  := $(filter-out report/vitals%.c,$(wildcard report/*.c))
REPORT_LIB  := $(BUILD)/libvitals-report.a
REPORT_LIBS  = $(shell pkg-config --libs cairo fontconfig 2>/dev/null)
REPORT_CFLAGS = $(shell pkg-config --cflags cairo fontconfig 2>/dev/null)
# web/: the web station's modules, and its page (web/static/*) built into a
# C file by scripts/embed-assets.py.
WEB_SRC   := $(filter-out web/vitals%.c,$(wildcard web/*.c))
WEB_ASSETS := $(wildcard web/static/*)
WEB_LIB   := $(BUILD)/libvitals-web.a
# hub/: vitals-hub, the station's one endpoint for several daemons.
HUB_SRC   := $(filter-out hub/vitals%.c,$(wildcard hub/*.c))
HUB_LIB   := $(BUILD)/libvitals-hub.a
# hl7/: vitals-hl7, the bridge to a hospital's HL7 interface engine.
HL7_SRC   := $(filter-out hl7/vitals%.c,$(wildcard hl7/*.c))
HL7_LIB   := $(BUILD)/libvitals-hl7.a
ALL_LIBS  := $(HUB_LIB) $(HL7_LIB) $(TOOL_LIB) $(REPORT_LIB) $(CON_LIB) $(EMU_LIB) $(LIB)
PROG_SRC  := $(wildcard emulator/vitals*.c console/vitals*.c tools/vitals*.c report/vitals*.c \
             web/vitals*.c hub/vitals*.c hl7/vitals*.c)
TOOLS     := $(foreach p,$(PROG_SRC),$(BUILD)/$(basename $(notdir $(p))))
PROGRAMS  := $(BUILD)/vitalsd $(TOOLS)
TEST_SRC  := $(wildcard tests/test_*.c)
TESTS     := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCHES   := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/bench_*.c))
# Tests, benchmarks and fault tests share one support library in
# tests/support/ (a live daemon, emulators, subscribers, ptys, /proc
# accounts, driver feeding, where the programs are).
SUPPORT_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/support/*.c))

.PHONY: all programs deb deb-quick deps check check-run check-asan check-faults check-faults-run demo fuzz fuzz-lib fuzz-smoke bench goldens \
        clean install

all: $(PROGRAMS) $(TESTS)

# The programs alone (what a package needs; the tests need Criterion).
programs: $(PROGRAMS)

deps:
	@scripts/deps.sh

# -MMD: each object also depends on the headers it includes, wherever they are.
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

$(LIB): $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
$(EMU_LIB): $(EMU_SRC:%.c=$(BUILD)/obj/%.o)
$(CON_LIB): $(CON_SRC:%.c=$(BUILD)/obj/%.o)
$(TOOL_LIB): $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
$(REPORT_LIB): $(REPORT_SRC:%.c=$(BUILD)/obj/%.o)
$(HUB_LIB): $(HUB_SRC:%.c=$(BUILD)/obj/%.o)
$(HL7_LIB): $(HL7_SRC:%.c=$(BUILD)/obj/%.o)
$(BUILD)/obj/report/%.o $(BUILD)/obj/tests/%.o: override CFLAGS += $(REPORT_CFLAGS)
$(WEB_LIB): $(WEB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/web/assets.o
$(ALL_LIBS) $(WEB_LIB):
	@rm -f $@
	ar rcs $@ $^

# The commit a build comes from, for `vitalsd -V`: rewritten only when it
# changes, so an unchanged tree does not relink. Outside a git checkout
# (a source tarball) VT_GIT_ID says it, or it is "unknown".
GIT_ID = $(shell git -C $(CURDIR) describe --always --dirty --abbrev=12 2>/dev/null || \
	echo "$${VT_GIT_ID:-unknown}")
$(BUILD)/gen/git_id.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define VT_GIT_ID "$(GIT_ID)"' >$@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv $@.new $@
$(BUILD)/obj/daemon/main.o: $(BUILD)/gen/git_id.h
$(BUILD)/obj/daemon/main.o: override CFLAGS += -I$(BUILD)/gen
.PHONY: FORCE

$(BUILD)/vitalsd: $(BUILD)/obj/daemon/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/vitals-console: $(BUILD)/obj/console/vitals-console.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs ncursesw)

$(BUILD)/vitals-emulate: $(BUILD)/obj/emulator/vitals-emulate.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/vitals-report: $(BUILD)/obj/report/vitals-report.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(REPORT_LIBS)

$(BUILD)/obj/web/%.o $(BUILD)/obj/tests/%.o $(BUILD)/obj/fuzz/%.o: override CFLAGS += $(WEB_CFLAGS)

$(BUILD)/gen/web/assets.c: $(WEB_ASSETS) scripts/embed-assets.py
	@mkdir -p $(dir $@)
	python3 scripts/embed-assets.py $@ $(WEB_ASSETS)

$(BUILD)/obj/web/assets.o: $(BUILD)/gen/web/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/vitals-web: $(BUILD)/obj/web/vitals-web.o $(WEB_LIB) $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(WEB_LIBS)

$(BUILD)/vitals-hub: $(BUILD)/obj/hub/vitals-hub.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread

$(BUILD)/vitals-hl7: $(BUILD)/obj/hl7/vitals-hl7.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/vitals%: $(BUILD)/obj/tools/vitals%.o $(ALL_LIBS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(SUPPORT_OBJ) $(WEB_LIB) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(REPORT_LIBS) $(WEB_LIBS) -lcriterion -lutil -lpthread

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(SUPPORT_OBJ) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion -lutil -lpthread

# The builds behind check, check-asan, check-faults, demo and fuzz use every
# core; the tests themselves run one program at a time.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# The tests find the programs and the shared data through the environment.
TEST_ENV = VT_BUILD=$(abspath $(BUILD)) VT_ROOT=$(CURDIR) \
           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

# Fault tests (tests/faults/fault_*.c, one Criterion program each): long,
# so not part of `make check`. VT_FAULT_CYCLES sets the unplug/replug
# cycles (default 1000; docs/fuzzing.md).
FAULT_SRC := $(wildcard tests/faults/fault_*.c)
FAULTS    := $(FAULT_SRC:tests/faults/%.c=$(BUILD)/faults/%)

$(BUILD)/faults/%: $(BUILD)/obj/tests/faults/%.o $(SUPPORT_OBJ) $(ALL_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion -lutil -lpthread

check-faults: deps
	@$(MAKE) --no-print-directory -j$(JOBS) check-faults-run

# One program at a time, one test at a time: they measure the daemon.
check-faults-run: $(PROGRAMS) $(FAULTS)
	@failed=0; for t in $(FAULTS); do \
		echo "== $$t"; start=$$(date +%s); \
		$(TEST_ENV) $$t --jobs 1 --verbose=0 || { failed=1; echo "FAILED: $$t"; }; \
		echo "== $$t: $$(( $$(date +%s) - start )) s"; \
	done; [ $$failed -eq 0 ]

check: deps
	@$(MAKE) --no-print-directory -j$(JOBS) check-run

# The test programs, CHECK_PARALLEL at a time (scripts/run-tests.sh), the
# longest first so the others fill in beside them; their Criterion summaries
# are added up into one closing line.
CHECK_PARALLEL ?= 2
CHECK_FIRST := test_live test_hl7_bridge test_web_browser test_demo test_package test_emulate
CHECK_ORDER  = $(foreach t,$(CHECK_FIRST),$(filter $(BUILD)/tests/$(t),$(TESTS))) \
               $(filter-out $(CHECK_FIRST:%=$(BUILD)/tests/%),$(TESTS))
check-run: $(PROGRAMS) $(TESTS)
	@env $(TEST_ENV) scripts/run-tests.sh $(CHECK_PARALLEL) $(CHECK_ORDER)

check-asan: deps
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build-asan SAN=1 CFLAGS="-O1 -g" check-run

demo: deps
	@$(MAKE) --no-print-directory -j$(JOBS) $(PROGRAMS)
	@scripts/demo.sh $(BUILD) $(DATA)

bench: $(PROGRAMS) $(BENCHES)
	@for b in $(BENCHES); do echo "== $$b"; $(TEST_ENV) $$b || exit 1; done

goldens: $(BUILD)/vitalsd $(BUILD)/vitals-emulate $(BUILD)/vitals-hl7 $(BUILD)/tests/test_driver_golden \
         goldens-report
	@scripts/regen-goldens.sh $(BUILD)

# The report's golden trend page (tests/golden/report/trends.png).
goldens-report: $(BUILD)/vitals-report
	@scripts/regen-report-golden.sh $(BUILD)

# libFuzzer needs clang; the library is rebuilt with coverage instrumentation.
# `make fuzz` runs every target (or those in FUZZ_TARGETS) FUZZ_SECONDS;
# `make fuzz-smoke` (CI) runs every target FUZZ_SMOKE_SECONDS whatever
# FUZZ_SECONDS says.
FUZZ_SECONDS ?= 30
FUZZ_SMOKE_SECONDS ?= 30
FUZZ_TARGETS ?=
FUZZ_FLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
fuzz-lib: deps
	@scripts/deps.sh --fuzz
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build-fuzz CC=clang CFLAGS="-O1 -g $(FUZZ_FLAGS)" \
		build-fuzz/libvitals.a build-fuzz/libvitals-emulator.a build-fuzz/libvitals-console.a \
		build-fuzz/libvitals-report.a build-fuzz/libvitals-web.a build-fuzz/libvitals-hub.a \
		build-fuzz/libvitals-hl7.a

fuzz: fuzz-lib
	@VT_FUZZ_PKGS="$(PKGS) $(WEB_PKGS)" scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-lib
	@VT_FUZZ_PKGS="$(PKGS) $(WEB_PKGS)" scripts/fuzz.sh build-fuzz $(FUZZ_SMOKE_SECONDS)

# Installation: PREFIX for the programs, the man pages and the files systemd
# and udev read from their lib directories (they search both /usr/lib and
# /usr/local/lib); DESTDIR to stage into a package tree. The configuration
# always lives in /etc/vitalsd (the unit's ConfigurationDirectory); an
# existing vitalsd.yaml is never overwritten: the new sample goes beside it
# as vitalsd.yaml.dist. Nothing is started or enabled: the commands to do
# that are printed at the end (docs/operations.md).
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSLIBDIR ?= $(PREFIX)/lib
UNITDIR   ?= $(SYSLIBDIR)/systemd/system
CONFDIR   := /etc/vitalsd
MAN_PAGES := $(wildcard man/*.[1-8])

# What install builds first; empty to install programs built elsewhere as they are.
INSTALL_DEPS ?= $(PROGRAMS)
install: $(INSTALL_DEPS)
	@if [ -e $(DESTDIR)$(CONFDIR)/vitalsd.yaml ] && \
	    ! $(BUILD)/vitalsd -c $(DESTDIR)$(CONFDIR)/vitalsd.yaml -n >/dev/null; then \
		echo "make install: the new vitalsd rejects $(DESTDIR)$(CONFDIR)/vitalsd.yaml" \
			"(errors above); nothing was installed. Make the file suit the new version" \
			"(docs/operations.md, upgrading) and run make install again." >&2; \
		exit 1; \
	fi
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSLIBDIR)/sysusers.d $(DESTDIR)$(SYSLIBDIR)/tmpfiles.d \
		$(DESTDIR)$(SYSLIBDIR)/udev/rules.d $(DESTDIR)$(CONFDIR) $(DESTDIR)/etc/default
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	install -m 0755 $(BUILD)/vitalsd $(DESTDIR)$(SBINDIR)/
	sed 's|/usr/sbin/vitalsd|$(SBINDIR)/vitalsd|g' systemd/vitalsd.service \
		>$(DESTDIR)$(UNITDIR)/vitalsd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vitalsd.service
	sed 's|/usr/bin/vitals-archive|$(BINDIR)/vitals-archive|g' systemd/vitalsd-archive.service \
		>$(DESTDIR)$(UNITDIR)/vitalsd-archive.service
	install -m 0644 systemd/vitalsd-archive.timer $(DESTDIR)$(UNITDIR)/
	sed 's|/usr/bin/vitals-hub|$(BINDIR)/vitals-hub|g' systemd/vitals-hub.service \
		>$(DESTDIR)$(UNITDIR)/vitals-hub.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vitals-hub.service
	sed 's|/usr/bin/vitals-hl7|$(BINDIR)/vitals-hl7|g' systemd/vitals-hl7.service \
		>$(DESTDIR)$(UNITDIR)/vitals-hl7.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vitals-hl7.service
	sed 's|/usr/bin/vitals-web|$(BINDIR)/vitals-web|g' systemd/vitals-web.service \
		>$(DESTDIR)$(UNITDIR)/vitals-web.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/vitals-web.service
	install -m 0644 systemd/vitalsd.sysusers $(DESTDIR)$(SYSLIBDIR)/sysusers.d/vitalsd.conf
	install -m 0644 systemd/vitals-web.sysusers $(DESTDIR)$(SYSLIBDIR)/sysusers.d/vitals-web.conf
	install -m 0644 systemd/vitalsd.tmpfiles $(DESTDIR)$(SYSLIBDIR)/tmpfiles.d/vitalsd.conf
	install -m 0644 systemd/99-vitalsd-monitors.rules $(DESTDIR)$(SYSLIBDIR)/udev/rules.d/
	@for m in $(MAN_PAGES); do \
		echo "install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}"; \
		install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/} || exit 1; \
	done
	@if [ -e $(DESTDIR)$(CONFDIR)/vitalsd.yaml ]; then \
		echo "install -m 0644 config/vitalsd.yaml $(DESTDIR)$(CONFDIR)/vitalsd.yaml.dist"; \
		install -m 0644 config/vitalsd.yaml $(DESTDIR)$(CONFDIR)/vitalsd.yaml.dist; \
		echo "kept $(DESTDIR)$(CONFDIR)/vitalsd.yaml; the new sample is vitalsd.yaml.dist"; \
	else \
		echo "install -m 0644 config/vitalsd.yaml $(DESTDIR)$(CONFDIR)/vitalsd.yaml"; \
		install -m 0644 config/vitalsd.yaml $(DESTDIR)$(CONFDIR)/vitalsd.yaml; \
	fi
	@[ -e $(DESTDIR)/etc/default/vitalsd ] || \
		install -m 0644 systemd/vitalsd.default $(DESTDIR)/etc/default/vitalsd
	@[ -e $(DESTDIR)/etc/default/vitals-web ] || \
		install -m 0644 systemd/vitals-web.default $(DESTDIR)/etc/default/vitals-web
	@if [ -z "$(DESTDIR)" ]; then \
		echo "installed; to create the user and start the service:"; \
		echo "  systemd-sysusers && systemd-tmpfiles --create vitalsd.conf"; \
		echo "  udevadm control --reload && systemctl daemon-reload"; \
		echo "  $(SBINDIR)/vitalsd -c $(CONFDIR)/vitalsd.yaml -n && systemctl enable --now vitalsd"; \
		echo "the web station (docs/web.md): a users file first, then"; \
		echo "  $(BINDIR)/vitals-web passwd $(CONFDIR)/web-users NAME"; \
		echo "  chown root:vitals-web $(CONFDIR)/web-users && chmod 0640 $(CONFDIR)/web-users"; \
		echo "  systemctl enable --now vitals-web"; \
	fi

# Removes what install put in place except the configuration and the
# recordings in /var/lib/vitalsd, which belong to the clinic.
.PHONY: uninstall
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(TOOLS))) $(DESTDIR)$(SBINDIR)/vitalsd
	rm -f $(DESTDIR)$(UNITDIR)/vitalsd.service $(DESTDIR)$(SYSLIBDIR)/sysusers.d/vitalsd.conf \
		$(DESTDIR)$(UNITDIR)/vitalsd-archive.service $(DESTDIR)$(UNITDIR)/vitalsd-archive.timer \
		$(DESTDIR)$(UNITDIR)/vitals-hub.service \
		$(DESTDIR)$(UNITDIR)/vitals-hl7.service \
		$(DESTDIR)$(UNITDIR)/vitals-web.service $(DESTDIR)$(SYSLIBDIR)/sysusers.d/vitals-web.conf \
		$(DESTDIR)$(SYSLIBDIR)/tmpfiles.d/vitalsd.conf \
		$(DESTDIR)$(SYSLIBDIR)/udev/rules.d/99-vitalsd-monitors.rules
	rm -f $(foreach m,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(m)))/$(notdir $(m)))
	rm -f $(DESTDIR)$(CONFDIR)/vitalsd.yaml.dist

# Debian packages (debian/, docs/operations.md): built with
# dpkg-buildpackage -us -uc from a copy of the tree's files (tracked and
# untracked, not ignored) in build/deb/src, so the tree stays clean and the
# .deb files land in build/deb/; lintian then reports errors as failures.
# Rebuilt only when a file of the tree changed.
#
# `make deb-quick` packages the programs of $(BUILD) as they are (binary
# packages only, no compiling, no lintian) into $(BUILD)/deb-quick: what
# the packaging test in make check installs and inspects, in seconds.
DEB_DIR   := build/deb
DEB_FILES := $(shell git ls-files --cached --others --exclude-standard 2>/dev/null)
# Copy the tree's files (tracked and untracked, not ignored) into $(1)/src.
DEB_COPY = rm -rf $(1) && mkdir -p $(1)/src && \
	git ls-files -z --cached --others --exclude-standard | \
	xargs -0 sh -c 'for f; do [ -e "$$f" ] && printf "%s\0" "$$f"; done' _ | \
	tar --null -T - -cf - | tar -xf - -C $(1)/src
deb: $(DEB_DIR)/stamp
$(DEB_DIR)/stamp: $(filter-out build/%,$(wildcard $(DEB_FILES)))
	@scripts/deps.sh
	$(call DEB_COPY,$(DEB_DIR))
	cd $(DEB_DIR)/src && VT_GIT_ID=$(GIT_ID) dpkg-buildpackage -us -uc >../build.log 2>&1 || \
		{ tail -40 ../build.log; exit 1; }
	lintian --fail-on error $(DEB_DIR)/*.changes
	@ls $(DEB_DIR)/*.deb && touch $@

deb-quick: $(PROGRAMS)
	$(call DEB_COPY,$(BUILD)/deb-quick)
	cd $(BUILD)/deb-quick/src && VT_PREBUILT=$(abspath $(BUILD)) \
		DEB_BUILD_OPTIONS=noautodbgsym dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -40 ../build.log; exit 1; }

clean:
	rm -rf build build-asan build-fuzz

# Keep object files between runs (they are intermediates of chained rules).
.SECONDARY:
