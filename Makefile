# The entry points a newcomer types. Each installs what is missing (scripts/deps.sh), then
# drives meson; all real build logic lives in meson.build.
#
#   make          build build/tracetape
#   make demo     record the bundled example and print its latency report
#   make test     build, then run every test (unit + e2e), then the unit suite under ASan+UBSan
#   make bench    run the benchmarks and write bench/RESULTS.md
#   make fuzz     build the libFuzzer targets (build-fuzz/)

BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
MESON_TEST_OPTS ?=

.PHONY: all build deps demo test test-unit test-asan bench fuzz clean

all: build

build:
	@scripts/deps.sh build
	@test -f $(BUILD)/build.ninja || meson setup $(BUILD)
	@ninja -C $(BUILD)

demo:
	@scripts/deps.sh demo
	@$(MAKE) --no-print-directory build
	@scripts/demo.sh $(BUILD)

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory build
	meson test -C $(BUILD) --print-errorlogs $(MESON_TEST_OPTS)
	@$(MAKE) --no-print-directory test-asan

# The unit suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	@test -f $(ASAN_BUILD)/build.ninja || \
		meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -De2e=disabled
	@ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C $(ASAN_BUILD) --suite unit --print-errorlogs

test-unit: build
	meson test -C $(BUILD) --suite unit --print-errorlogs

bench:
	@scripts/deps.sh bench
	@$(MAKE) --no-print-directory build
	bench/run.sh $(BUILD)

fuzz:
	@scripts/deps.sh build
	@test -f $(FUZZ_BUILD)/build.ninja || \
		CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -De2e=disabled
	@ninja -C $(FUZZ_BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
