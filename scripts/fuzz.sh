#!/usr/bin/env bash
# Builds the libFuzzer harnesses of Tests/Fuzz (ASan + UBSan, clang from the Swift toolchain)
# and runs each for FUZZ_SECONDS (default 300), seeded from ../shared/datasets/real/ and from
# the regression inputs in Tests/Fuzz/regressions/. A crash, leak, UB report or violated
# invariant fails the run and leaves the input under .build-fuzz/findings/; copy it into
# Tests/Fuzz/regressions/<harness>/ so that `make test` replays it.
#   scripts/fuzz.sh [harness...]     harnesses: jaeger otlp otlp_lines otlp_proto zipkin csv gzip zstd metrics span_records
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-300}
real=${REAL_DATASETS:-../shared/datasets/real}
out=.build-fuzz
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(jaeger otlp otlp_lines otlp_proto zipkin csv gzip zstd metrics span_records)
mkdir -p "$out/bin" "$out/findings"
CXX=${CXX:-clang++}
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -DSIMDJSON_THREADS_ENABLED=1 -ISources/CWhyslowCore/include -ISources/CWhyslowCore)
core=(Sources/CWhyslowCore/{csv,decompress,intervals,jaeger,otlp,otlp_protobuf,parse,records,span_table,zipkin}.cpp
      "$out/otlp_traces.pb-c.o")  # the generated protobuf-c decoder, compiled as C below

first() {  # count, then paths on stdin -> the first <count> paths; reads all of stdin, so that
  # no writer upstream dies of SIGPIPE (under pipefail that would fail the run at random)
  awk -v count="$1" 'NR <= count'
}

seed() {  # harness -> corpus folder with real files of its format
  local harness=$1 corpus="$out/corpus/$1"
  mkdir -p "$corpus"
  case $harness in
    jaeger) find "$real" -name '*.json' -size -2M | sort | { xargs grep -l '"spanID"' 2>/dev/null || true; }
      # and a dozen of them written compactly, as the query API writes them (read by the fast tag path)
      find "$real" -name '*.json' -size -256k | sort | { xargs grep -l '"spanID"' 2>/dev/null || true; } | first 12 |
        while read -r file; do python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(",", ":")))' \
          "$file" > "$corpus/compact-$(echo "$file" | md5sum | cut -c1-16)" 2>/dev/null || true; done ;;
    otlp) find "$real" -name '*.json' -size -2M | sort | { xargs grep -l '"resourceSpans"' 2>/dev/null || true; } |
        while read -r file; do echo "$file"  # and each as Grafana Tempo replies: v1 "batches", v2 {"trace":...}
          tempo="$corpus/tempo-$(echo "$file" | md5sum | cut -c1-16)"
          sed 's/"resourceSpans"/"batches"/' "$file" > "$tempo-v1"; { printf '{"trace":'; cat "$file"; printf '}'; } > "$tempo-v2"
        done ;;
    otlp_lines) find "$real" \( -name '*.jsonl' -o -name '*.ndjson' \) -size -2M 2>/dev/null | sort
      # and OTLP documents squeezed to one line each, two per seed, as the file exporter writes
      find "$real" -name '*.json' -size -256k | sort | { xargs grep -l '"resourceSpans"' 2>/dev/null || true; } | first 12 |
        while read -r file; do tr -d '\n' < "$file" > "$corpus/line"; echo >> "$corpus/line"; tr -d '\n' < "$file" >> "$corpus/line"
          mv "$corpus/line" "$corpus/lines-$(echo "$file" | md5sum | cut -c1-16)"; done ;;
    otlp_proto)  # protobuf as the file exporter writes it (framed) and as Tempo serves it (one message)
      whyslow=$(ls .build/*/whyslow 2>/dev/null | first 1 || true)
      [ -n "$whyslow" ] || { echo "!! otlp_proto seeds need a built whyslow (swift build)" >&2; exit 1; }
      for scenario in slow-span attribute network; do
        "$whyslow" generate --scenario "$scenario" --fast 4 --slow 4 --format otlp-proto --out "$out/proto-$scenario" 2>/dev/null || true
        cp "$out/proto-$scenario/fast/traces-001.binpb" "$corpus/framed-$scenario"
        tail -c +5 "$out/proto-$scenario/slow/traces-001.binpb" > "$corpus/message-$scenario"  # one trace: its frame dropped
        rm -rf "$out/proto-$scenario"
      done ;;
    zipkin) find "$real/zipkin" -name '*.json' -size -2M 2>/dev/null | sort ;;
    csv|gzip|zstd) find "$real" -name '*.csv' 2>/dev/null | sort | first 12 |  # the first 64 KiB of each
        while read -r file; do head -c 65536 "$file" > "$corpus/head-$(echo "$file" | md5sum | cut -c1-16)"; done
      # and one as the OpenTelemetry ClickHouse exporter's table (date-time text, Duration in ns)
      find "$real/nezha" -name '*.csv' 2>/dev/null | sort | first 1 | while read -r file; do head -200 "$file" |
        python3 -c 'import csv, sys, datetime
rows = csv.DictReader(sys.stdin); out = csv.writer(sys.stdout)
out.writerow(["Timestamp", "TraceId", "SpanId", "ParentSpanId", "SpanName", "SpanKind", "ServiceName", "Duration", "StatusCode"])
for r in rows:
    start = int(r["StartTimeUnixNano"]); t = datetime.datetime.fromtimestamp(start // 10**9, datetime.timezone.utc)
    out.writerow([t.strftime("%Y-%m-%d %H:%M:%S") + ".%09d" % (start % 10**9), r["TraceID"], r["SpanID"], r["ParentID"],
                  r["OperationName"], "Server", r["PodName"], int(r["EndTimeUnixNano"]) - start, "Unset"])' \
          > "$corpus/clickhouse" || true; done
      if [ "$harness" != csv ]; then  # compressed: whole documents too
        find "$real/crisp" "$real/jaeger-ui" "$real/opentelemetry" -name '*.json*' -size -512k 2>/dev/null | sort | first 60
      fi ;;
    metrics) find "$real/crisp" "$real/jaeger-ui" -name '*.json' -size -512k 2>/dev/null | sort | first 60 ;;
    span_records)  # real files of every format (round trips), and their span records
      find "$real/crisp" "$real/jaeger-ui" "$real/zipkin" -name '*.json' -size -256k 2>/dev/null | sort | first 40
      whyslow=$(ls .build/*/whyslow 2>/dev/null | first 1 || true)
      if [ -n "$whyslow" ]; then
        find "$real/crisp" "$real/zipkin" -name '*.json' -size -256k 2>/dev/null | sort | first 12 |
          while read -r file; do "$whyslow" spans "$file" > "$corpus/records-$(echo "$file" | md5sum | cut -c1-16)" 2>/dev/null || true; done
      fi ;;
  esac | while read -r file; do cp "$file" "$corpus/$(echo "$file" | md5sum | cut -c1-16)"; done
  if [ -d "Tests/Fuzz/regressions/$harness" ]; then cp Tests/Fuzz/regressions/"$harness"/* "$corpus/" 2>/dev/null || true; fi
  if [ "$harness" = gzip ]; then  # the harness adds the gzip magic: seed with the rest of real gzip streams
    for file in "$corpus"/*; do gzip -c "$file" | tail -c +3 > "$file.gz-body"; rm -f "$file"; done
  fi
  if [ "$harness" = zstd ]; then  # and the zstd magic (4 bytes)
    for file in "$corpus"/*; do zstd -q -c "$file" | tail -c +5 > "$file.zst-body"; rm -f "$file"; done
  fi
}

CC=${CC:-clang}
"$CC" -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -c \
  Sources/CWhyslowCore/otlp_protobuf/otlp_traces.pb-c.c -o "$out/otlp_traces.pb-c.o"

status=0
for harness in "${harnesses[@]}"; do
  define=$(echo "FUZZ_$harness" | tr '[:lower:]' '[:upper:]')
  echo "== building $harness"
  "$CXX" "${flags[@]}" -D"$define" Tests/Fuzz/fuzz_parse.cpp "${core[@]}" -lsimdjson -lz -lzstd -lprotobuf-c -o "$out/bin/$harness" \
    > "$out/$harness.build.log" 2>&1 || { cat "$out/$harness.build.log"; exit 1; }
  seed "$harness"
  [ -n "$(ls -A "$out/corpus/$harness")" ] || { echo "!! no seeds for $harness under $real"; exit 1; }
  echo "== fuzzing $harness for ${seconds}s ($(ls "$out/corpus/$harness" | wc -l) seeds)"
  if ! "$out/bin/$harness" "$out/corpus/$harness" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=4096 \
      -timeout=20 -artifact_prefix="$out/findings/$harness-" -print_final_stats=1 2> "$out/$harness.log"; then
    echo "!! $harness found a problem; see $out/$harness.log and $out/findings/"
    tail -30 "$out/$harness.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$out/$harness.log" | tail -2
  fi
done
exit $status
