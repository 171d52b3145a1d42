#!/usr/bin/env python3
"""Writes a span-table CSV of TRACES traces of SPANS spans each, streaming (constant memory):
the 10-million-span scale case (`make bench`). Each trace is a root `api GET /x` whose children
call down a tree of 8 services (fan-out 3, sequential calls); with `slow`, every `db query`
span is 40% slower. Columns: trace_id,span_id,parent_id,service,operation,start_us,duration_us.
Usage: gen_span_table.py OUT TRACES SPANS SEED [slow]"""
import random
import sys

out, traces, spans = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 1)
slow = len(sys.argv) > 5 and sys.argv[5] == "slow"
base = 1 if slow else 0  # trace ids of the two batches differ
services = ["api", "auth", "cart", "catalog", "pricing", "payment", "db", "cache"]
with open(out, "w", buffering=1 << 22) as f:
    f.write("trace_id,span_id,parent_id,service,operation,start_us,duration_us\n")
    for t in range(traces):
        tid = "%08x%024x" % (base, t + 1)
        starts = [0] * spans
        durations = [0] * spans
        # Durations bottom-up: leaves first, a parent covers its children plus its own work.
        for s in range(spans - 1, -1, -1):
            service = services[s % len(services)]
            own = rng.lognormvariate(0, 0.3) * (1.4 if slow and service == "db" else 1.0)
            children = [c for c in (3 * s + 1, 3 * s + 2, 3 * s + 3) if c < spans]
            durations[s] = int(1000 * own) + sum(durations[c] for c in children) + 5
        for s in range(spans):
            children = [c for c in (3 * s + 1, 3 * s + 2, 3 * s + 3) if c < spans]
            at = starts[s] + 2
            for c in children:  # sequential children
                starts[c] = at
                at += durations[c]
        rows = []
        for s in range(spans):
            service = services[s % len(services)]
            operation = "db query" if service == "db" else "GET /x" if s == 0 else f"{service} call {s % 5}"
            parent = "" if s == 0 else "%016x" % ((s - 1) // 3 + 1)
            rows.append(f"{tid},{s + 1:016x},{parent},{service},{operation},{1_700_000_000_000_000 + t * 10_000 + starts[s]},{durations[s]}\n")
        f.write("".join(rows))
