# The front door. `make run` and `make test` work on a fresh Debian 12 machine.
.PHONY: run test build lint format fuzz clean

run:
	@scripts/run.sh

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

clean:
	rm -rf build
