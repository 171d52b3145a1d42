#!/usr/bin/env bash
# Generates the protobuf-c decoder of the OTLP trace messages whyslow reads
# (Sources/CWhyslowCore/otlp_protobuf/otlp_traces.proto -> otlp_traces.pb-c.{c,h}) with protoc-c
# from Debian's protobuf-c-compiler. The generated files are committed, so that SwiftPM builds
# without protoc-c; `scripts/generate-otlp-protobuf.sh --check` (run by make test) fails when
# they are not what the .proto generates.
set -euo pipefail
cd "$(dirname "$0")/../Sources/CWhyslowCore/otlp_protobuf"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
protoc-c --c_out="$out" otlp_traces.proto
if [ "${1:-}" = --check ]; then
  for file in otlp_traces.pb-c.c otlp_traces.pb-c.h; do
    cmp -s "$out/$file" "$file" || { echo "$file is stale: run scripts/generate-otlp-protobuf.sh" >&2; exit 1; }
  done
else
  cp "$out"/otlp_traces.pb-c.c "$out"/otlp_traces.pb-c.h .
fi
