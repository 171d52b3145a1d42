# The two commands of the README's quick start, and their helpers.
# Both install missing Debian packages first (scripts/install-deps.sh).

SWIFT ?= swift
# Release builds link the Swift runtime in: a faster start and no calls into it through the PLT
# (analyze of the 150 MB pair 0.98x the wall time), and a binary that Spark executors can run.
RELEASE = -c release --static-swift-stdlib
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: demo test fuzz bench spark-test eval-significance deps build clean

## demo: build a release whyslow, analyze Datasets/demo, write ./suspects.csv
demo: deps
	$(SWIFT) build $(RELEASE) --product whyslow
	.build/release/whyslow analyze --fast Datasets/demo/fast --slow Datasets/demo/slow --csv suspects.csv

## test: run the whole test suite (installs headless Chromium for the report test)
test: deps
	@scripts/install-deps.sh test
	scripts/generate-otlp-protobuf.sh --check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## fuzz: libFuzzer harnesses of the native core with ASan + UBSan, FUZZ_SECONDS each (300)
FUZZ_SECONDS ?= 300
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

## spark-test: the Spark driver in local mode against analyze (installs Java and PySpark)
SPARK_TRACES ?= 4000
spark-test: deps
	@scripts/install-deps.sh spark
	$(SWIFT) build $(RELEASE) --product whyslow
	python3 Tests/Spark/test_spark.py --traces $(SPARK_TRACES)

## eval-significance: A/A splits of real fault-free minutes and interval coverage on generated cases
NEZHA ?= ../shared/datasets/real/nezha
eval-significance: deps
	$(SWIFT) build $(RELEASE) --product whyslow
	.build/release/whyslow eval --null $(NEZHA)/construct_data/2023-01-30/trace/11_39_trace.csv \
	  --null $(NEZHA)/construct_data/2022-08-23/trace/17_00_trace.csv
	.build/release/whyslow eval --coverage 600

## bench: the performance figures on real-shaped data beside simdjson and pipeline.py
bench: deps
	SWIFT_RELEASE="$(RELEASE)" scripts/bench.sh

deps:
	@scripts/install-deps.sh

build: deps
	$(SWIFT) build $(RELEASE) --product whyslow

clean:
	rm -rf .build suspects.csv
