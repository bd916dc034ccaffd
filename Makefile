# The two commands the README starts with: `make demo` and `make test`. Both install what is
# missing (scripts/bootstrap) and build first.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc)

.PHONY: all bootstrap build build-asan demo test test-release test-asan bench clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j$(JOBS)

build-asan: bootstrap
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTATTLE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j$(JOBS)

# The demo capture breaches its policy on purpose: exit status 4 is its expected ending.
demo: build
	$(BUILD)/tattle audit demo/demo.pcapng --app-map demo/devices.txt --policy demo/policy.toml; \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -eq 4 ]
	@$(BUILD)/tattle audit -q demo/demo.pcapng --app-map demo/devices.txt --json $(BUILD)/demo.json
	$(BUILD)/tattle blocklist $(BUILD)/demo.json --jurisdiction CN --registrable --format dnsmasq

# Every test twice: in the release build, then under ASan+UBSan.
test: test-release test-asan

test-release: build
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j$(JOBS)

bench: bootstrap
	@scripts/bootstrap --bench
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DTATTLE_BENCH=ON
	cmake --build $(BUILD) -j$(JOBS)
	bench/run

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
