#!/usr/bin/env bash
# The performance figures of README "Benchmarks", on real-shaped data and beside the
# references a user would otherwise use, measured in one run on the same bytes:
#   1. two 150 MB Jaeger files with production-like tag cardinality (../shared/bench/gen_jaeger.py,
#      seeds 1 and 2);
#   2. ingest: whyslow's parse of file A to a span table against simdjson On-Demand extracting
#      the same fields (../shared/bench/simdjson_bench.cpp), warm medians, one thread; and both
#      files one at a time against two at a time;
#   3. end to end: `whyslow analyze --fast A --slow B` (wall time and peak RSS, /usr/bin/time)
#      against ../shared/bench/pipeline.py (orjson + numpy) on A plus on B;
#   4. scale: 10 million spans (50,000 + 50,000 traces of 100 spans, span-table CSV);
#   5. the staircase: 100,000 overlapping siblings in one trace.
# BENCH_SCALE=0 skips step 4 (it writes 2 GB and takes minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${SHARED_BENCH:-../shared/bench}
out=.build-bench
mkdir -p "$out"
scale=${BENCH_SCALE:-1}
unset OPENBLAS_NUM_THREADS  # whyslow picks its BLAS threads from the problem size, as for a user who sets none

swift build ${SWIFT_RELEASE:--c release --static-swift-stdlib} --product whyslow > "$out/build.log" 2>&1 || { cat "$out/build.log"; exit 1; }
(cd Benchmarks && swift build -c release --product whyslow-throughput > "../$out/build-bench.log" 2>&1) \
  || { cat "$out/build-bench.log"; exit 1; }
whyslow=.build/release/whyslow
[ -f "$out/A.json" ] || python3 "$bench/gen_jaeger.py" "$out/A.json" 150 1
[ -f "$out/B.json" ] || python3 "$bench/gen_jaeger.py" "$out/B.json" 150 2
[ -x "$out/simdjson_bench" ] || g++ -O3 -march=native -std=c++17 "$bench/simdjson_bench.cpp" -lsimdjson -o "$out/simdjson_bench"
python3 -c "import orjson, numpy" 2>/dev/null || pip install -q orjson numpy

seconds_of() { grep -o " $1=[0-9.]*" | sed -n 1p | cut -d= -f2; }
peak_of() { grep "Maximum resident set size" | awk '{print $6}'; }

echo "== ingest, one thread, warm (file A, $(du -m "$out/A.json" | cut -f1) MB)"
simdjson=$("$out/simdjson_bench" "$out/A.json" 5 | grep RESULT | grep -o "| s median=[0-9.]*" | cut -d= -f2)
ours=$(Benchmarks/.build/release/whyslow-throughput --files "$out/A.json" "$out/B.json" | tee "$out/ingest.txt" | grep whyslow-parse | seconds_of "s median")
grep whyslow-read "$out/ingest.txt"
echo "simdjson full extraction ${simdjson} s; whyslow parse to span table ${ours} s"
python3 -c "print(f'ingest share of simdjson\'s rate: {100 * $simdjson / $ours:.0f}%')"

echo "== end to end: analyze A against B (medians: whyslow of 5 runs, pipeline.py of 3 each)"
walls=()
rss=0
for run in 1 2 3 4 5; do
  /usr/bin/time -v "$whyslow" analyze --fast "$out/A.json" --slow "$out/B.json" > "$out/analyze.txt" 2> "$out/analyze.err" || true
  walls+=("$(grep "Elapsed (wall clock)" "$out/analyze.err" | awk '{print $NF}' | awk -F: '{print ($1 * 60) + $2}')")
  peak=$(peak_of < "$out/analyze.err")
  [ "$peak" -gt "$rss" ] && rss=$peak
done
wall=$(python3 -c "import statistics, sys; print(statistics.median(map(float, sys.argv[1:])))" "${walls[@]}")
grep -E "^features:" "$out/analyze.err" || true
pipeline() { python3 "$bench/pipeline.py" "$1" 3 | grep -o "stage=total s median=[0-9.]*" | cut -d= -f3; }
pa=$(pipeline "$out/A.json")
pb=$(pipeline "$out/B.json")
echo "whyslow analyze: ${wall} s (runs: ${walls[*]}), peak RSS $((rss / 1024)) MB; pipeline.py: A ${pa} s + B ${pb} s"
python3 -c "print(f'end-to-end speed-up over pipeline.py: {($pa + $pb) / $wall:.1f}x')"

if [ "$scale" != 0 ]; then
  echo "== scale: 10 million spans"
  [ -f "$out/scale-fast.csv" ] || python3 scripts/gen_span_table.py "$out/scale-fast.csv" 50000 100 1
  [ -f "$out/scale-slow.csv" ] || python3 scripts/gen_span_table.py "$out/scale-slow.csv" 50000 100 2 slow
  /usr/bin/time -v "$whyslow" analyze --fast "$out/scale-fast.csv" --slow "$out/scale-slow.csv" --top 3 > "$out/scale.txt" 2> "$out/scale.err" || true
  grep -E "^read|^answer" "$out/scale.err" "$out/scale.txt" || true
  echo "10M spans: $(grep "Elapsed (wall clock)" "$out/scale.err" | awk '{print $NF}') wall, peak RSS $(( $(peak_of < "$out/scale.err") / 1024 )) MB"
fi

echo "== the staircase: 100,000 overlapping siblings"
python3 - "$out/staircase.json" <<'PY'
import json, sys
n = 100_000
spans = [{"traceID": "1", "spanID": "r", "operationName": "root", "references": [], "startTime": 0, "duration": n * 10 + 21, "processID": "p"}]
spans += [{"traceID": "1", "spanID": f"s{i}", "operationName": "step", "startTime": i * 10, "duration": 11, "processID": "p",
           "references": [{"refType": "CHILD_OF", "traceID": "1", "spanID": "r"}]} for i in range(n)]
json.dump({"data": [{"traceID": "1", "spans": spans, "processes": {"p": {"serviceName": "svc"}}}]}, open(sys.argv[1], "w"))
PY
/usr/bin/time -f "staircase: whyslow diff (two reads, span metrics, critical path) %e s, peak RSS %M KB" \
  "$whyslow" diff "$out/staircase.json" "$out/staircase.json" > /dev/null
