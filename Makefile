# A thin driver over CMake and scripts/. On a fresh Debian 12 machine (as
# root, or with sudo):
#   make demo   install packages, fetch models, build, upscale a sample clip
#               and check the output against the validator's gates
#   make test   the same setup, then a sanitizer build and all tests (CI)
# Other targets: deps models samples test-tools build test-build format clean help.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

BUILD_DIR ?= build
TEST_BUILD_DIR ?= build-test
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS ?= 2
SAMPLES_DIR ?= $(or $(VSR_SAMPLES_DIR),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vsr/samples)
DEMO_IN ?= $(SAMPLES_DIR)/sample.mp4
DEMO_OUT ?= demo-out.mp4
FORMAT_DIRS := $(wildcard src tests bench)

.PHONY: help deps models samples test-tools build test-build demo test format clean

help:
	@sed -n '1,/^$$/p' Makefile | sed -n 's/^# \{0,1\}//p'

deps:
	scripts/install-deps.sh

models:
	scripts/fetch-models.sh

samples:
	scripts/make-samples.sh

# Tools only the tests use (s3rver, pinned by tests/s3rver/package-lock.json).
test-tools:
	scripts/fetch-test-tools.sh

# Release build of vsr into $(BUILD_DIR)/.
build:
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD_DIR) -j $(JOBS)

# Debug + AddressSanitizer/UBSan build into $(TEST_BUILD_DIR)/ (what CI tests).
test-build:
	cmake -S . -B $(TEST_BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVSR_SANITIZE=ON
	cmake --build $(TEST_BUILD_DIR) -j $(JOBS)

# Steps run in order through sub-makes, so `make -j demo` keeps the order.
demo:
	$(MAKE) --no-print-directory deps
	$(MAKE) --no-print-directory models
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory samples
	@echo "demo: $(BUILD_DIR)/vsr upscale -i $(DEMO_IN) -o $(DEMO_OUT) --task SD2HD -v  (default model)"
	$(BUILD_DIR)/vsr upscale -i "$(DEMO_IN)" -o "$(DEMO_OUT)" --task SD2HD -v
	$(BUILD_DIR)/vsr check "$(DEMO_OUT)" --input "$(DEMO_IN)" --task SD2HD
	@echo "demo: wrote $(DEMO_OUT)"

test:
	$(MAKE) --no-print-directory deps
	$(MAKE) --no-print-directory models
	$(MAKE) --no-print-directory samples
	$(MAKE) --no-print-directory test-tools
	$(MAKE) --no-print-directory test-build
	ctest --test-dir $(TEST_BUILD_DIR) --output-on-failure -j $(CTEST_JOBS)

format:
	@command -v clang-format >/dev/null || { echo "format: clang-format not found (apt-get install clang-format)" >&2; exit 1; }
	find $(FORMAT_DIRS) -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) -print0 | \
	    xargs -0 -r clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(TEST_BUILD_DIR) $(DEMO_OUT)
