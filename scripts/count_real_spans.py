#!/usr/bin/env python3
"""Writes Tests/WhyslowTests/Fixtures/real_counts.json: for every trace file among the real
fixtures in ../shared/datasets/real, what whyslow's reader must report (format, traces, spans,
duplicate ids, Zipkin shared spans split, orphans, spans without timing, skipped records),
counted here independently with Python's json and csv modules.

Rules mirrored from the reader:
- Jaeger: a span's trace is its traceID (or its trace object's); the parent is the first
  CHILD_OF reference within the trace, else parentSpanID, else the first FOLLOWS_FROM.
- OTLP: ids are hex (lower-cased) or base64 (decoded to hex); spans without a trace or span id
  are skipped; spans without a start time, or ending before they start, lack timing.
- Zipkin: spans without timestamp or duration lack timing.
- CSV (Nezha): `root` or empty parent means none.
- Linking: the first (trace, span id) wins; a client and a server half sharing an id are split
  (the server becomes the client's child, and the shared id's other children move under the
  server); any other repeat is a duplicate; a span whose parent is absent is an orphan.
Files that are not traces (ground-truth lists, trace-id lists, licences) are not listed.
"""
import base64
import csv
import glob
import json
import os

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "datasets", "real")
REJECTED = {
    # Jaeger's internal domain model (RFC 3339 times, "5000ns" durations): rejected with an error.
    "jaeger/internal/uimodel/converter/v1/json/fixtures/domain_01.json",
}


def hex_id(value):
    if value == "":
        return ""
    if all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    if len(value) in (12, 24) and value.endswith("="):
        return base64.b64decode(value).hex()
    return value


def jaeger_rows(doc):
    if isinstance(doc, list):
        traces = [t for t in doc if "spans" in t]
        loose = [s for s in doc if "spanID" in s]
        if loose:
            traces.append({"spans": loose, "processes": {}})
    elif "data" in doc:
        traces = doc["data"] if isinstance(doc["data"], list) else [doc["data"]]
    else:
        traces = [doc]
    rows, no_timing = [], 0
    for trace in traces:
        for span in trace["spans"]:
            if "startTime" not in span or "duration" not in span:
                no_timing += 1
                continue
            trace_id = span.get("traceID") or trace["traceID"]
            refs = [r for r in span.get("references") or []
                    if not r.get("traceID") or r["traceID"] == trace_id]
            child_of = [r["spanID"] for r in refs if r.get("refType") == "CHILD_OF"]
            follows = [r["spanID"] for r in refs if r.get("refType") == "FOLLOWS_FROM"]
            parent = child_of[0] if child_of else span.get("parentSpanID") or (follows[0] if follows else "")
            kind = next((t["value"] for t in span.get("tags") or [] if t["key"] == "span.kind"), "")
            rows.append({"trace": trace_id, "span": span["spanID"], "parent": parent, "kind": kind.upper()})
    return rows, no_timing, 0


OTLP_KINDS = {2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}


def otlp_rows(docs):
    rows, no_timing, skipped = [], 0, 0
    for doc in docs:
        doc = doc.get("result", doc)
        for resource in doc["resourceSpans"]:
            for scope in resource.get("scopeSpans", []) + resource.get("instrumentationLibrarySpans", []):
                for span in scope.get("spans", []):
                    trace, span_id = hex_id(span.get("traceId", "")), hex_id(span.get("spanId", ""))
                    if not trace or not span_id:
                        skipped += 1
                        continue
                    start, end = int(span.get("startTimeUnixNano", 0)), int(span.get("endTimeUnixNano", 0))
                    if start <= 0 or end < start:
                        no_timing += 1
                        continue
                    kind = span.get("kind", 0)
                    kind = OTLP_KINDS.get(kind, "") if isinstance(kind, int) else kind.replace("SPAN_KIND_", "")
                    rows.append({"trace": trace, "span": span_id,
                                 "parent": hex_id(span.get("parentSpanId", "")), "kind": kind})
    return rows, no_timing, skipped


def zipkin_rows(doc):
    items = [doc] if isinstance(doc, dict) else doc
    spans = [s for item in items for s in (item if isinstance(item, list) else [item])]
    rows, no_timing = [], 0
    for span in spans:
        if "timestamp" not in span or "duration" not in span:
            no_timing += 1
            continue
        rows.append({"trace": span["traceId"].lower(), "span": span["id"].lower(),
                     "parent": span.get("parentId", "").lower(), "kind": span.get("kind", "")})
    return rows, no_timing, 0


def csv_rows(path):
    rows = []
    with open(path, newline="") as f:
        for record in csv.DictReader(f):
            parent = record["ParentID"]
            rows.append({"trace": record["TraceID"], "span": record["SpanID"],
                         "parent": "" if parent in ("", "root") else parent, "kind": ""})
    return rows, 0, 0


def link(rows):
    first, kept, duplicates, shared, server_of = {}, [], 0, 0, {}
    for row in rows:
        key = (row["trace"], row["span"])
        if key not in first:
            first[key] = row
            kept.append(row)
            continue
        other = first[key]
        if {other["kind"], row["kind"]} == {"CLIENT", "SERVER"} and key not in server_of:
            server = other if other["kind"] == "SERVER" else row
            client = row if server is other else other
            server["span"], server["parent"] = key[1] + "#server", key[1]
            first[key], first[(key[0], server["span"])] = client, server
            server_of[key] = server["span"]
            shared += 1
            kept.append(row)
        else:
            duplicates += 1
    for row in kept:
        moved = server_of.get((row["trace"], row["parent"]))
        if row["parent"] and moved and moved != row["span"]:
            row["parent"] = moved
    ids = {(row["trace"], row["span"]) for row in kept}
    orphans = sum(1 for row in kept if row["parent"] and
                  ((row["trace"], row["parent"]) not in ids or row["parent"] == row["span"]))
    return {"traces": len({row["trace"] for row in kept}), "spans": len(kept),
            "duplicate_spans": duplicates, "shared_spans_split": shared, "orphan_spans": orphans}


def count(path):
    if path.endswith(".csv"):
        fmt, (rows, no_timing, skipped) = "csv", csv_rows(path)
    elif path.endswith(".jsonl"):
        fmt = "otlp"
        rows, no_timing, skipped = otlp_rows([json.loads(line) for line in open(path) if line.strip()])
    else:
        doc = json.load(open(path))
        text = json.dumps(doc)
        if "resourceSpans" in text:
            fmt, (rows, no_timing, skipped) = "otlp", otlp_rows([doc])
        elif '"spanID"' in text or '"traceID"' in text:
            fmt, (rows, no_timing, skipped) = "jaeger", jaeger_rows(doc)
        else:
            fmt, (rows, no_timing, skipped) = "zipkin", zipkin_rows(doc)
    result = {"format": fmt, "spans_without_timing": no_timing, "skipped_records": skipped}
    result.update(link(rows))
    return result


paths = sorted(glob.glob(os.path.join(ROOT, "**", "*.json"), recursive=True)
               + glob.glob(os.path.join(ROOT, "**", "*.jsonl"), recursive=True)
               + glob.glob(os.path.join(ROOT, "nezha", "**", "trace", "*_trace.csv"), recursive=True))
result = {}
for path in paths:
    relative = os.path.relpath(path, ROOT)
    if relative in REJECTED or "fault_list" in relative or "root_cause" in relative:
        continue
    result[relative] = count(path)
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "WhyslowTests", "Fixtures", "real_counts.json")
with open(out, "w") as f:
    json.dump(result, f, indent=1, sort_keys=True)
    f.write("\n")
print(len(result), "files,", sum(r["spans"] for r in result.values()), "spans")
