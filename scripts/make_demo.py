#!/usr/bin/env python3
"""Writes Datasets/demo: a fast and a slow batch of Jaeger JSON checkout traces.

The known cause: in the slow batch the payment database query (`payment-db` /
`SELECT payments`) takes about 60 ms longer. A red herring rides along: the
confirmation e-mail (`email-service` / `SendConfirmation`), an asynchronous
FOLLOWS_FROM child that runs after the response is sent, takes about 120 ms
longer, more than the real cause, but never delays the request. A correct
analysis ranks the database query first and gives the e-mail next to nothing.

Deterministic: the same seed writes byte-identical files.
Usage: python3 scripts/make_demo.py [--seed 7] [--traces 60] [--out Datasets/demo]
"""

import argparse
import json
import os
import random

PROCESSES = {
    "p1": "frontend",
    "p2": "cart-service",
    "p3": "redis",
    "p4": "pricing-service",
    "p5": "recommendation-service",
    "p6": "payment-service",
    "p7": "payment-db",
    "p8": "email-service",
}
SERVICE_PROCESS = {service: pid for pid, service in PROCESSES.items()}


class TraceBuilder:
    """Collects the spans of one trace; times are integer microseconds."""

    def __init__(self, trace_id):
        self.trace_id = trace_id
        self.spans = []

    def span(self, service, operation, start, duration, parent=None, ref="CHILD_OF", kind="server"):
        span_id = "%016x" % (int(self.trace_id[-8:], 16) * 64 + len(self.spans) + 1)
        references = []
        if parent is not None:
            references.append({"refType": ref, "traceID": self.trace_id, "spanID": parent})
        self.spans.append({
            "traceID": self.trace_id,
            "spanID": span_id,
            "operationName": operation,
            "references": references,
            "startTime": start,
            "duration": duration,
            "tags": [{"key": "span.kind", "type": "string", "value": kind}],
            "logs": [],
            "processID": SERVICE_PROCESS[service],
            "warnings": None,
        })
        return span_id

    def trace(self):
        return {
            "traceID": self.trace_id,
            "spans": self.spans,
            "processes": {pid: {"serviceName": name, "tags": []} for pid, name in PROCESSES.items()},
            "warnings": None,
        }


def jitter(rng, millis):
    """A lognormal duration in microseconds with median `millis` milliseconds."""
    return max(1, int(round(millis * 1000 * rng.lognormvariate(0, 0.25))))


def checkout_trace(rng, trace_id, start, slow):
    b = TraceBuilder(trace_id)
    # The root's duration is known only at the end; reserve its slot first.
    root = b.span("frontend", "GET /checkout", start, 0)
    cursor = start + jitter(rng, 1)

    cart_time = jitter(rng, 8)
    cart = b.span("cart-service", "GetCart", cursor, cart_time, root)
    b.span("redis", "GET", cursor + jitter(rng, 1), jitter(rng, 2), cart, kind="client")
    cursor += cart_time + jitter(rng, 0.5)

    # Parallel fan-out: the request waits for the longer of the two.
    pricing_time, recommend_time = jitter(rng, 30), jitter(rng, 12)
    b.span("pricing-service", "Quote", cursor, pricing_time, root)
    b.span("recommendation-service", "Recommend", cursor, recommend_time, root)
    cursor += max(pricing_time, recommend_time) + jitter(rng, 0.5)

    query_time = jitter(rng, 15 + (60 if slow else 0))  # the known cause
    query_offset = jitter(rng, 2)
    payment_time = query_offset + query_time + jitter(rng, 1)
    payment = b.span("payment-service", "Charge", cursor, payment_time, root)
    b.span("payment-db", "SELECT payments", cursor + query_offset, query_time, payment, kind="client")
    cursor += payment_time

    # Asynchronous e-mail after the charge: slower in the slow batch, but off the request path.
    b.span("email-service", "SendConfirmation", cursor, jitter(rng, 20 + (120 if slow else 0)), root,
           ref="FOLLOWS_FROM", kind="consumer")
    cursor += jitter(rng, 1)
    b.spans[0]["duration"] = cursor - start
    return b.trace()


def write_batch(rng, folder, count, slow, first_id):
    os.makedirs(folder, exist_ok=True)
    traces = []
    for i in range(count):
        trace_id = "%032x" % (first_id + i)
        # One trace a second; the slow minute right after the fast one, as a user would take them.
        start = 1_700_000_000_000_000 + i * 1_000_000 + (60_000_000 if slow else 0)
        traces.append(checkout_trace(rng, trace_id, start, slow))
    # Two files per batch, to show that a directory is read whole.
    half = count // 2
    for name, chunk in (("traces-1.json", traces[:half]), ("traces-2.json", traces[half:])):
        with open(os.path.join(folder, name), "w") as out:
            json.dump({"data": chunk, "total": 0, "limit": 0, "offset": 0, "errors": None}, out, indent=1)
            out.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--traces", type=int, default=60, help="traces per batch")
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "Datasets", "demo"))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    write_batch(rng, os.path.join(args.out, "fast"), args.traces, False, 0x1000)
    write_batch(rng, os.path.join(args.out, "slow"), args.traces, True, 0x2000)


if __name__ == "__main__":
    main()
