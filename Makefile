# edgent: the user's entry point. `make demo` sets everything up and runs the main job;
# `make test` sets everything up and runs the test suite.

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
LOAD_SECONDS ?= 60
LOAD_CONNS ?= 64
PREFIX     ?= /usr/local
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

# Debian 12 packages the build, the tests and the demo need.
DEB_PACKAGES := build-essential cmake ninja-build git pkg-config \
  libcli11-dev libopencv-dev nlohmann-json3-dev libboost-dev libfmt-dev libgtest-dev \
  libtorch-dev libonnx-dev libprotobuf-dev protobuf-compiler zlib1g-dev libzstd-dev \
  libssl-dev dataset-fashion-mnist iproute2 gnuplot-nox clang libclang-rt-14-dev jq \
  python3-jsonschema haproxy

# The device side alone, built on the device (a Raspberry Pi OS / Debian arm64 board):
# `make build DEVICE_ONLY=1` (edgent-infer and edgent-profile, no libtorch, training or edge server).
DEB_PACKAGES_DEVICE := build-essential cmake ninja-build git pkg-config \
  libcli11-dev libopencv-dev nlohmann-json3-dev libboost-dev libfmt-dev libgtest-dev \
  libonnx-dev libprotobuf-dev protobuf-compiler zlib1g-dev libzstd-dev libssl-dev

# Cross-building the device side for aarch64 on this machine (`make device-arm64`): Debian's cross
# compiler, qemu-user to run the results, and the :arm64 libraries (multiarch, beside the native
# ones). The narrowest OpenCV packages on purpose: libopencv-imgcodecs:arm64 and libopencv-dev:arm64
# would remove the native OpenCV; libonnx-dev:arm64 clashes with the native libonnx-dev, so only
# the aarch64 ONNX libraries come in (headers from the native package, cmake/find_onnx.cmake).
DEB_PACKAGES_ARM64 := g++-aarch64-linux-gnu qemu-user libcli11-dev nlohmann-json3-dev libonnx-dev \
  libopencv-dnn-dev:arm64 libopencv-imgproc-dev:arm64 libprotobuf-dev:arm64 libfmt-dev:arm64 \
  libboost-dev:arm64 zlib1g-dev:arm64 libzstd-dev:arm64 libssl-dev:arm64 libgtest-dev:arm64 \
  libonnx1:arm64 time
ARM64_BUILD ?= build-arm64

# What `make bench-overhead` adds for its peer (PyTorch, pickle over TCP); not needed by the
# build, the tests or the demo.
DEB_PACKAGES_BENCH := python3-torch
OVERHEAD_ROUNDS ?= 5
OVERHEAD_COUNT ?= 300

DEVICE_ONLY ?=
ifneq ($(DEVICE_ONLY),)
  BUILD := build-device
  DEB_PACKAGES := $(DEB_PACKAGES_DEVICE)
  CMAKE_ARGS += -DEDGENT_DEVICE_ONLY=ON
endif

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build test test-asan fuzz fuzz-smoke load demo model accuracy cascades install clean \
  deps-bench bench-overhead bench-serve bench-plan deps-arm64 device-arm64 test-arm64 time-arm64

# $(call install_missing,PACKAGES,LOG,APT_OPTIONS): installs those of PACKAGES that dpkg does
# not list as installed (quiet when all are), apt's output in LOG, shown when it fails.
install_missing = missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "edgent: installing Debian packages:" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $(3) \
	    $$missing > $(2) 2>&1 || { tail -n 30 $(2); exit 1; }; \
	fi

all: build

## deps: install the Debian packages that are missing (quiet when all are present)
deps:
	@$(call install_missing,$(DEB_PACKAGES),/tmp/edgent-apt.log,)

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_ARGS)

## deps-arm64: the cross toolchain, qemu-user and the :arm64 libraries (adds the arm64 architecture
## to dpkg first); never removes a native package: apt-get refuses instead
deps-arm64: deps
	@dpkg --print-foreign-architectures | grep -qx arm64 || { \
	  echo "edgent: adding the arm64 architecture to dpkg"; \
	  $(SUDO) dpkg --add-architecture arm64 && $(SUDO) apt-get update -qq; }
	@$(call install_missing,$(DEB_PACKAGES_ARM64),/tmp/edgent-apt-arm64.log,--no-remove)

$(ARM64_BUILD)/build.ninja:
	cmake -S . -B $(ARM64_BUILD) -G Ninja -DCMAKE_TOOLCHAIN_FILE=$(abspath cmake/aarch64-linux-gnu.cmake) \
	  -DEDGENT_DEVICE_ONLY=ON -DEDGENT_EDGE_BIN_DIR=$(abspath $(BUILD))/cmd $(CMAKE_ARGS)

## device-arm64: cross-build the device tools (edgent-infer, edgent-profile) for aarch64 in
## $(ARM64_BUILD)/cmd; run them here with qemu-aarch64 -L /usr/aarch64-linux-gnu
device-arm64: deps-arm64 $(ARM64_BUILD)/build.ninja
	cmake --build $(ARM64_BUILD) -j $(JOBS) --target edgent-infer edgent-profile

## test-arm64: the device test subset (label "device": wire format, split equality against the
## native edgent-serve, device-runner fallback, the tools' --help) built for aarch64, under qemu
test-arm64: deps-arm64 $(BUILD)/build.ninja $(ARM64_BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target edgent-serve
	cmake --build $(ARM64_BUILD) -j $(JOBS)
	ctest --test-dir $(ARM64_BUILD) -L device --output-on-failure -j $(JOBS)

## time-arm64: what test-arm64 adds to CI once the packages are in: a clean cross-build with
## ccache off (in $(ARM64_BUILD)-timing, removed first), then the device tests under qemu, timed
time-arm64: deps-arm64 $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target edgent-serve
	rm -rf $(ARM64_BUILD)-timing
	cmake -S . -B $(ARM64_BUILD)-timing -G Ninja -DCMAKE_TOOLCHAIN_FILE=$(abspath cmake/aarch64-linux-gnu.cmake) \
	  -DEDGENT_DEVICE_ONLY=ON -DEDGENT_EDGE_BIN_DIR=$(abspath $(BUILD))/cmd > /dev/null
	CCACHE_DISABLE=1 /usr/bin/time -f "clean cross-build: wall %e s, user %U s, sys %S s" \
	  cmake --build $(ARM64_BUILD)-timing -j $(JOBS) > /dev/null
	/usr/bin/time -f "device tests under qemu: wall %e s, user %U s, sys %S s" \
	  ctest --test-dir $(ARM64_BUILD)-timing -L device -j $(JOBS) --output-on-failure
	rm -rf $(ARM64_BUILD)-timing

## build: configure and compile everything
build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

## test: deps + build + the whole test suite
test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

## test-asan: the same suite built with AddressSanitizer and UndefinedBehaviorSanitizer
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DEDGENT_SANITIZE=ON \
	  -DEDGENT_WITH_TORCH=OFF $(CMAKE_ARGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

## fuzz: build the libFuzzer targets (tests/fuzz/*_fuzz.cpp) with clang in $(FUZZ_BUILD), the
## library instrumented, and run each for FUZZ_SECONDS; prints executions, corpus and crashes
fuzz: deps
	cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DEDGENT_WITH_TORCH=OFF -DEDGENT_FUZZ=ON $(CMAKE_ARGS)
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_targets
	tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

## fuzz-smoke: the same, bounded for CI (.ci/run passes a short FUZZ_SECONDS)
fuzz-smoke: fuzz

## load: edgent-serve under LOAD_CONNS keep-alive closed-loop connections for LOAD_SECONDS s,
## edge-only cut then a middle cut: req/s, errors, p50/p95/p99, server RSS growth (fails on
## any real error or RSS growth >= 10%)
load: build
	$(BUILD)/bench/edgent_load --serve $(BUILD)/cmd/edgent-serve \
	  --model models/branchy-alexnet-fmnist.json --data /usr/share/datasets/fashion-mnist \
	  --conns $(LOAD_CONNS) --seconds $(LOAD_SECONDS) --threads 2 --max-inflight 32

## deps-bench: the packages the benchmarks' peers need (PyTorch for bench-overhead's peer)
deps-bench: deps
	@$(call install_missing,$(DEB_PACKAGES_BENCH),/tmp/edgent-apt-bench.log,)

## bench-overhead: per-request runtime overhead on loopback, unshaped, through edgent-infer and
## edgent-serve (end-to-end - device compute - edge compute, medians): the fixed figure (3 KB
## tensor) and the per-MB one (600 KB), beside a PyTorch pickle-over-TCP peer, OVERHEAD_ROUNDS
## interleaved rounds of OVERHEAD_COUNT requests (bench/overhead_bench.sh)
bench-overhead: deps-bench $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target edgent-serve edgent-infer overhead_model
	bench/overhead_bench.sh $(BUILD) $(OVERHEAD_ROUNDS) $(OVERHEAD_COUNT)

## bench-serve: edge-serve throughput at the edge-only cut against the plain forward loop it
## wraps (bench/serve_bench.cpp): the ratio per CPU-second (target >= 0.9), medians of 3 rounds
bench-serve: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target serve_bench
	$(BUILD)/bench/serve_bench --model models/branchy-alexnet-fmnist.json

## bench-plan: what planning costs per request (bench/plan_bench.sh): the fixed-exit search and
## the cascade search over the default model's table, beside the exhaustive search, us per call
bench-plan: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target plan_bench edgent-profile edgent-fit
	bench/plan_bench.sh $(BUILD)

## model: train the default branchy AlexNet into models/ (seeded; run time in models/README.md)
model: build
	$(BUILD)/cmd/edgent-train --data /usr/share/datasets/fashion-mnist --epochs 5 --seed 1 \
	  --threads 1 -o models/branchy-alexnet-fmnist.json

## accuracy: the default model's accuracy table for every (exit, cut, codec) (models/README.md)
accuracy: build
	$(BUILD)/cmd/edgent-eval --model models/branchy-alexnet-fmnist.json \
	  --data /usr/share/datasets/fashion-mnist --threads 1 \
	  -o models/branchy-alexnet-fmnist.accuracy.json

## cascades: the default model's cascade table: accuracy and exit distribution of every exit set
## and threshold (models/README.md)
cascades: build
	$(BUILD)/cmd/edgent-eval --model models/branchy-alexnet-fmnist.json \
	  --data /usr/share/datasets/fashion-mnist --limit 0 --threads 1 --cascades \
	  -o models/branchy-alexnet-fmnist.cascade.json

## demo: the main job (experiments/demo.sh): a device 20x slower than this core, a link replaying
## a real trace scaled into 50 kbit/s-1.5 Mbit/s, three deadlines, Edgent against its baselines
## and an oracle; builds only the tools it runs (not edgent-train, not the test suite)
demo: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS) --target demo_tools
	BIN=$(abspath $(BUILD))/cmd experiments/demo.sh

## experiments: the paper's experiments on the netns/tbf testbed, with plots (root; experiments/Makefile)
.PHONY: experiments
experiments: build
	$(MAKE) -C experiments all BIN=$(abspath $(BUILD))/cmd

## install: binaries and man pages under PREFIX
install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(ARM64_BUILD)
