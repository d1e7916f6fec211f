# The two commands: `make demo` and `make test`. Everything else is a helper of those or a
# bounded long run (bench, soak, fuzz). Debian 12; installs what is missing with apt-get.
SHELL := /bin/bash
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

DEBIAN_PACKAGES := build-essential cmake pkg-config \
  libzmq3-dev cppzmq-dev capnproto libcapnp-dev libsqlitecpp-dev libsqlite3-dev sqlite3 \
  libsodium-dev libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libtomlplusplus-dev \
  nlohmann-json3-dev libcpp-httplib-dev liblemon-dev coinor-libcbc-dev mosquitto libmosquitto-dev python3 \
  chromium nodejs npm tzdata python3-nacl

.PHONY: all deps build test demo install asan bench soak fuzz clean format deb deb-deps \
  package-test

all: build

# Installs only what is missing, so a second run costs a dpkg query and nothing else.
# npm counts as present when the command exists: NodeSource's nodejs bundles it and conflicts
# with Debian's npm package.
deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(DEBIAN_PACKAGES)"

# What `make deb` and `make package-test` need besides the build (docs/operations.md).
PACKAGING_TOOLS := debhelper dpkg-dev fakeroot lintian debootstrap
deb-deps:
	@$(MAKE) --no-print-directory install-missing PACKAGES="$(PACKAGING_TOOLS)"

.PHONY: install-missing
install-missing:
	@missing=$$(for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || \
	  { [ $$p = npm ] && command -v npm >/dev/null; } || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing: $$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DSAMBAND_BENCH=OFF >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	@# The board's browser test (tests/browser): playwright-core, pinned by package-lock.json.
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	cd $(BUILD) && ctest --output-on-failure -j 2 --timeout 300

demo: build
	./tools/demo.sh $(BUILD)

# samband-agent, samband-broker and samband-tools .debs in build-packages/, with the binaries
# `make build` made (and `make test` ran); lintian fails it on any error (tools/deb.sh).
deb: build deb-deps
	BUILD=$(BUILD) JOBS=$(JOBS) ./tools/deb.sh

# Installs, runs, upgrades and purges the packages in a fresh Debian 12 root (needs root;
# tools/package_test.sh). The debootstrap root is cached in /var/cache/samband-package-test.
package-test: build deb-deps
	$(SUDO) BUILD=$(BUILD) JOBS=$(JOBS) ./tools/package_test.sh

# samband-broker, samband-agent and samband-sim into $(PREFIX)/bin (the README tour's commands).
PREFIX ?= /usr/local
install: build
	$(SUDO) cmake --install $(BUILD) --prefix $(PREFIX)

asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSAMBAND_SANITIZE=ON -DSAMBAND_BENCH=OFF >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j 2 --timeout 600

# Benchmarks build in their own directory, so `make test` never compiles them.
BENCH_BUILD ?= build-bench
bench: deps
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DSAMBAND_BENCH=ON -DSAMBAND_TESTS=OFF >/dev/null
	cmake --build $(BENCH_BUILD) -j $(JOBS)
	./bench/run.sh $(BENCH_BUILD)

soak: build
	./tools/soak.sh $(BUILD)

fuzz: deps
	./tools/fuzz.sh

format:
	clang-format -i $$(git ls-files '*.h' '*.cpp')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-packages build-deb
