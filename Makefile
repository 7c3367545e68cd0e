# The front door. `make run` and `make test` work on a fresh Debian 12 machine.
.PHONY: run cluster test-cluster test build lint format fuzz bench bench-settlement bench-analytics bench-cluster install clean

PREFIX ?= /usr/local

run:
	@scripts/run.sh

cluster:
	@scripts/cluster.sh run

test-cluster:
	@scripts/test-cluster.sh

test:
	@scripts/test.sh

build:
	@scripts/deps.sh
	cmake -S . -B build/dev -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build/dev -j$$(nproc)

lint:
	@scripts/lint.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

fuzz:
	@scripts/fuzz.sh

bench:
	@scripts/bench.sh

bench-settlement:
	@scripts/bench-settlement.sh

bench-analytics:
	@scripts/bench-analytics.sh

bench-cluster:
	@scripts/bench-cluster.sh

# The server, alliancectl, the reference plugins, the schema, a commented config
# (etc/allianced/allianced.conf), a sandboxed systemd unit, include/alliance/plugin.h
# and alliance-plugin.pc, under PREFIX (default /usr/local).
install:
	@scripts/deps.sh
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DALLIANCE_TESTS=OFF \
	  -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build build/release -j$$(nproc) >/dev/null
	cmake --install build/release --prefix $(PREFIX)

clean:
	rm -rf build
