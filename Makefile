# squall: `make run` and `make test` are the two commands; both install what is missing first.
SHELL := /bin/bash
JOBS ?= 2
FUZZ_SECONDS ?= 20
RUN_DIR ?= build/run

.PHONY: all setup build run test test-dev test-asan test-tsan bench fuzz format clean

all: build

setup:
	@bash tools/setup.sh

build: setup
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)

# The main job on embedded defaults (see README): the 3am storm correlated by `squall replay`,
# scored against its ground truth beside the group_by baselines.
run: build
	@bash tools/run_main.sh build/release/tools/squall/squall $(RUN_DIR)

test: setup test-dev test-asan

test-dev:
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)
	@ctest --preset dev

test-asan:
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --preset asan

test-tsan: setup
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan

bench: build
	@bash bench/run.sh build/release

fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@bash tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.h' '*.cc' | xargs clang-format -i

clean:
	rm -rf build
