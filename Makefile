# The entry points a newcomer types. Each installs what is missing (scripts/deps.sh), then
# drives meson; all real build logic lives in meson.build.
#
#   make          build build/tracetape
#   make demo     record the bundled example and print its latency report
#   make test     build, then run every test (unit + e2e), then both suites again under
#                 ASan+UBSan, then the analyzer-only build (no recorder: what a machine without
#                 the BPF toolchain builds) and its tests, then every fuzz target for 20 s
#   make test-kernels  build, then run check and the e2e tests marked `kernels` inside Debian's
#                 6.1, 6.12 and 5.10 kernels under qemu (tests/vm/, cache in /var/cache/tracetape-vm)
#   make install  install the binary, the SDK header and tracetape.pc, the SQLite extension, man
#                 pages and bash completion under PREFIX (default /usr/local; DESTDIR too)
#   make bench    run the benchmarks and write bench/RESULTS.md
#   make fuzz     build the libFuzzer targets (build-fuzz/; libFuzzer is in the test group)
#   make fuzz-run SECONDS=N  build them, make their seed corpora, run each for N seconds (60)

BUILD ?= build
ASAN_BUILD ?= build-asan
ANA_BUILD ?= build-analyzer
FUZZ_BUILD ?= build-fuzz
SECONDS ?= 60
FUZZ_CI_SECONDS ?= 20
MESON_TEST_OPTS ?=

PREFIX ?= /usr/local

.PHONY: all build deps demo install test test-unit test-asan test-analyzer-only test-kernels bench fuzz fuzz-run clean

all: build

build:
	@scripts/deps.sh build
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD)
	@ninja -C $(BUILD)

install: build
	@meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	@meson install -C $(BUILD) $(if $(DESTDIR),--destdir $(DESTDIR))

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)

# The e2e suite runs whatever configured $(BUILD) before: `make demo` or `make` may have
# configured it before pytest was installed, and meson decides at configure time whether the e2e
# suite exists (tests/meson.build). So the suite is required here (e2e=enabled: without pytest,
# configuring fails and says why), $(BUILD) is reconfigured when it was set up otherwise, and the
# summary fails when no e2e test ran. It prints how many tests ran: meson's, cmocka's, pytest's.
E2E_OPTION = meson introspect $(1) --buildoptions | /usr/bin/python3 -c \
	'import json, sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "e2e"][0])'

test:
	@scripts/deps.sh test
	@if [ ! -f $(BUILD)/build.ninja ]; then meson setup $(BUILD) -De2e=enabled; \
	elif [ "$$($(call E2E_OPTION,$(BUILD)))" != enabled ]; then \
		echo "make test: $(BUILD)/ was configured with e2e=$$($(call E2E_OPTION,$(BUILD))): reconfiguring with e2e=enabled"; \
		meson configure $(BUILD) -De2e=enabled; fi
	@$(MAKE) --no-print-directory build
	@rc=0; meson test -C $(BUILD) --print-errorlogs $(MESON_TEST_OPTS) || rc=$$?; \
	/usr/bin/python3 tests/summary.py $(BUILD) $(if $(MESON_TEST_OPTS),,--require e2e) || rc=1; \
	exit $$rc
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory test-analyzer-only
	@$(MAKE) --no-print-directory fuzz-run SECONDS=$(FUZZ_CI_SECONDS)

# The unit and e2e suites again, built with AddressSanitizer and UndefinedBehaviorSanitizer. In
# the e2e suite a sanitizer report (leaks included) in any tracetape process fails the test
# (tests/e2e/conftest.py); the tests that cannot run under ASan are deselected there, each with
# its reason. Less repetition (RELIABILITY.md says what it leaves out): ASAN_E2E_ENV's exactness
# seeds and soak seconds.
ASAN_E2E_ENV ?= TT_EXACTGEN_COUNT=10 TT_SOAK_SECONDS=30

test-asan:
	@scripts/deps.sh test
	@if [ ! -f $(ASAN_BUILD)/build.ninja ]; then \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -De2e=enabled; \
	elif [ "$$($(call E2E_OPTION,$(ASAN_BUILD)))" != enabled ]; then \
		meson configure $(ASAN_BUILD) -De2e=enabled; fi
	@ninja -C $(ASAN_BUILD)
	@rc=0; ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		$(ASAN_E2E_ENV) meson test -C $(ASAN_BUILD) --print-errorlogs || rc=$$?; \
	/usr/bin/python3 tests/summary.py $(ASAN_BUILD) --require unit --require e2e || rc=1; \
	exit $$rc

# tracetape built without the recorder (-Drecorder=disabled), as on a machine without clang,
# bpftool or BTF: it must build, and its unit tests and the analyzer's e2e files must pass.
test-analyzer-only:
	@test -f $(ANA_BUILD)/build.ninja || meson setup $(ANA_BUILD) -Drecorder=disabled -De2e=enabled
	@ninja -C $(ANA_BUILD)
	@rc=0; meson test -C $(ANA_BUILD) --print-errorlogs || rc=$$?; \
	/usr/bin/python3 tests/summary.py $(ANA_BUILD) --require e2e || rc=1; \
	exit $$rc

# Inside Debian 12's 6.1, Debian 13's 6.12 and Debian 11's 5.10 kernels, under qemu without KVM:
# tracetape check and the e2e tests marked `kernels`; 5.10 must be refused (tests/vm/matrix.sh).
test-kernels:
	@scripts/deps.sh kernels
	@$(MAKE) --no-print-directory build
	tests/vm/matrix.sh $(BUILD)

test-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD)

fuzz:
	@scripts/deps.sh test
	@test -f $(FUZZ_BUILD)/build.ninja || \
		CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -De2e=disabled
	@ninja -C $(FUZZ_BUILD)

# Every fuzz target for SECONDS each, one after the other, niced (tests/fuzz/run.sh): fails when
# one crashes, leaks, hangs or runs out of memory. The seeds from real files (Debian's binaries'
# notes, Go programs built here, tracefs) are made once per build directory. `make test` runs
# this with FUZZ_CI_SECONDS (20). FUZZING.md has the long run's figures.
fuzz-run: fuzz
	@test -f $(FUZZ_BUILD)/fuzz-corpus/.made || { \
		tests/fuzz/make-corpus.sh $(FUZZ_BUILD) $(FUZZ_BUILD)/fuzz-corpus && \
		touch $(FUZZ_BUILD)/fuzz-corpus/.made; }
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(SECONDS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(ANA_BUILD) $(FUZZ_BUILD)
