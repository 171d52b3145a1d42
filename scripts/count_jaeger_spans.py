#!/usr/bin/env python3
"""Writes Tests/WhyslowTests/Fixtures/jaeger_counts.json: for each Jaeger JSON file among the
real fixtures in ../shared/datasets/real, the traces, spans, duplicate span ids and orphan spans
that whyslow's reader must report, counted here independently with Python's json module.

Rules mirrored from the reader: a span's trace is its traceID (or the trace object's);
the first span with a given (trace, spanID) wins and later ones are duplicates; the parent is
the first CHILD_OF reference within the same trace (else parentSpanID, else the first
FOLLOWS_FROM); a span whose parent is absent is an orphan.
"""
import glob
import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "real")
PATTERNS = [
    "crisp/test_cases/**/*.json",
    "jaeger-ui/packages/jaeger-ui/src/components/TracePage/TraceStatistics/tableValuesTestTrace/*.json",
    "jaeger-ui/packages/jaeger-ui/src/components/TracePage/TraceGraph/testTrace.json",
    "jaeger-ui/packages/jaeger-ui/src/utils/fixtures/otlp2jaeger-out.json",
    "jaeger-ui/packages/jaeger-ui/src/utils/fixtures/oltp2jaeger-multi-out.json",
    "jaeger/cmd/jaeger/internal/extension/jaegerquery/internal/fixture/otlp2jaeger-out.json",
    "jaeger/internal/uimodel/converter/v1/json/fixtures/ui_01.json",
]


def parent_of(span, trace_id):
    refs = [r for r in span.get("references") or [] if r.get("traceID", trace_id) == trace_id]
    child_of = [r["spanID"] for r in refs if r.get("refType") == "CHILD_OF"]
    follows = [r["spanID"] for r in refs if r.get("refType") == "FOLLOWS_FROM"]
    if child_of:
        return child_of[0]
    if span.get("parentSpanID"):
        return span["parentSpanID"]
    return follows[0] if follows else None


def count(path):
    doc = json.load(open(path))
    traces = doc["data"] if "data" in doc else [doc]
    seen, rows, duplicates = set(), [], 0
    for trace in traces:
        for span in trace["spans"]:
            trace_id = span.get("traceID") or trace["traceID"]
            key = (trace_id, span["spanID"])
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            rows.append((trace_id, span))
    orphans = 0
    for trace_id, span in rows:
        parent = parent_of(span, trace_id)
        if parent is not None and ((trace_id, parent) not in seen or parent == span["spanID"]):
            orphans += 1
    return {"traces": len({t for t, _ in rows}), "spans": len(rows), "duplicates": duplicates,
            "orphans": orphans}


result = {}
for pattern in PATTERNS:
    for path in sorted(glob.glob(os.path.join(ROOT, pattern), recursive=True)):
        result[os.path.relpath(path, ROOT)] = count(path)
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "WhyslowTests", "Fixtures", "jaeger_counts.json")
with open(out, "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(result), "files")
