# The two commands of the README's quick start, and their helpers.
# Both install missing Debian packages first (scripts/install-deps.sh).

SWIFT ?= swift
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test deps build clean

## demo: build a release whyslow, analyze Datasets/demo, write ./suspects.csv
demo: deps
	$(SWIFT) build -c release --product whyslow
	.build/release/whyslow analyze --fast Datasets/demo/fast --slow Datasets/demo/slow --csv suspects.csv

## test: run the whole test suite
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build -c release --product whyslow

clean:
	rm -rf .build suspects.csv
