#!/usr/bin/env bash
# The Spark driver's scale figures (README, "Beyond one machine"): scripts/whyslow_spark.py in
# local mode with two workers on 10 million spans (50,000 + 50,000 traces of 100 spans, the
# span-table CSVs of make bench), beside `whyslow analyze` on the same files. Prints the wall
# times, the peak memory of each kind of process (sampled every half second), the span records'
# size (what the shuffle moves) and the partial files' size. SPARK_SCALE_TRACES=N uses N + N.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-bench
mkdir -p "$out"
traces=${SPARK_SCALE_TRACES:-50000}
fast="$out/scale-fast.csv"
slow="$out/scale-slow.csv"
if [ "$traces" != 50000 ]; then fast="$out/spark-fast-$traces.csv"; slow="$out/spark-slow-$traces.csv"; fi
[ -f "$fast" ] || python3 scripts/gen_span_table.py "$fast" "$traces" 100 1
[ -f "$slow" ] || python3 scripts/gen_span_table.py "$slow" "$traces" 100 2 slow
whyslow=.build/release/whyslow

echo "== whyslow analyze, one machine"
/usr/bin/time -f "analyze: %e s wall, peak RSS %M kB" "$whyslow" analyze --fast "$fast" --slow "$slow" --top 3 \
  --json "$out/scale-analyze.json" > /dev/null

echo "== span records (the bytes the shuffle moves)"
records=0
for file in "$fast" "$slow"; do records=$((records + $("$whyslow" spans "$file" 2>/dev/null | wc -c))); done
echo "span records: $((records / 1048576)) MB for $(( $(wc -l < "$fast") + $(wc -l < "$slow") - 2 )) spans"

echo "== scripts/whyslow_spark.py --master local[2]"
peaks="$out/spark-peaks.txt"
: > "$peaks"
( while sleep 0.5; do ps -eo rss=,args= | awk '
    /pyspark\.daemon|pyspark\/daemon|pyspark.worker/ {print "python-worker", $1; next}
    /org\.apache\.spark/ {print "jvm", $1; next}
    /whyslow (spans|partial|merge)/ {print "whyslow-" $3, $1}' >> "$peaks"; done ) &
sampler=$!
rm -rf "$out/spark-partials"
/usr/bin/time -f "spark driver: %e s wall" python3 scripts/whyslow_spark.py --fast "$fast" --slow "$slow" \
  --master 'local[2]' --partitions 2 --json "$out/scale-spark.json" --keep-partials "$out/spark-partials" --top 3 > /dev/null
kill "$sampler" 2>/dev/null || true
awk '{ if ($2 > peak[$1]) peak[$1] = $2 } END { for (kind in peak) printf "peak RSS %-16s %6d MB\n", kind, peak[kind] / 1024 }' "$peaks" | sort
echo "partials: $(ls "$out/spark-partials" | wc -l) files, $(du -sm "$out/spark-partials" | cut -f1) MB"
python3 - "$out/scale-analyze.json" "$out/scale-spark.json" <<'PY'
import json, sys
a, b = (json.load(open(path))["records"] for path in sys.argv[1:3])
worst = max((abs(x[k] - y[k]) / max(abs(x[k]), abs(y[k]), 1e-300)
             for x, y in zip(a, b) for k in x if isinstance(x[k], float)), default=0.0)
print(f"analyze and Spark: {len(a)} and {len(b)} records, largest relative difference {worst:.1e}")
PY
