#!/usr/bin/env python3
"""Writes Datasets/seed-inference/: the two-trace question people ask a chatbot, with known answers.

An ML inference request: root `gateway inference-span` (tags downstream.status_code,
otel.status_code) with two children, `preprocess preprocess-request` (log event "File saved")
and then `inference inference-service-post` (log event "Inference completed"). Times in µs.

- fast.json            the reference: 250 ms.
- slow-preprocess.json preprocess-request works 400 ms longer; "File saved" moves 400 ms later
                       within its span; inference-service-post starts 400 ms later. Answer: +400 ms
                       self-time of preprocess-request.
- slow-wait.json       800 ms of idle time before inference-service-post starts. Answer: +800 ms
                       waiting before inference-service-post, inside inference-span.
- slow-error.json      inference-service-post takes 500 ms longer and fails: otel.status_code
                       OK -> ERROR on it and the root, downstream.status_code 200 -> 503 on the
                       root, "Inference completed" 500 ms later. Answer: +500 ms self-time of
                       inference-service-post, with the status changes.
- batch/fast/, batch/slow/: 50 + 50 traces with lognormal noise; every slow trace waits
  300 ms (median) before inference-service-post. Answer for `analyze`: the gateway's
  inference-span, explained by the wait before inference-service-post.
The same seed writes byte-identical files."""
import json
import os
import random

root = os.path.join(os.path.dirname(__file__), "..", "Datasets", "seed-inference")
T0 = 1_700_000_000_000_000  # µs


def trace(trace_id, preprocess_extra=0, wait_extra=0, inference_extra=0, failed=False, jitter=None):
    j = jitter or (lambda x: x)
    start = T0
    pre_start = start + j(5_000)
    pre_work = j(100_000) + preprocess_extra
    saved_at = pre_start + j(80_000) + preprocess_extra
    pre_end = pre_start + pre_work
    inf_start = pre_end + j(5_000) + wait_extra
    inf_work = j(135_000) + inference_extra
    completed_at = inf_start + j(120_000) + inference_extra
    inf_end = inf_start + inf_work
    end = inf_end + j(5_000)
    status = "ERROR" if failed else "OK"

    def tag(key, value, kind="string"):
        return {"key": key, "type": kind, "value": value}

    def log(at, event):
        return {"timestamp": at, "fields": [tag("event", event)]}

    spans = [
        {"traceID": trace_id, "spanID": trace_id[-8:] + "00000001", "operationName": "inference-span",
         "references": [], "startTime": start, "duration": end - start, "processID": "p1",
         "tags": [tag("span.kind", "server"), tag("downstream.status_code", 503 if failed else 200, "int64"),
                  tag("otel.status_code", status)] + ([tag("error", True, "bool")] if failed else []), "logs": []},
        {"traceID": trace_id, "spanID": trace_id[-8:] + "00000002", "operationName": "preprocess-request",
         "references": [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": trace_id[-8:] + "00000001"}],
         "startTime": pre_start, "duration": pre_end - pre_start, "processID": "p2",
         "tags": [tag("span.kind", "server")], "logs": [log(saved_at, "File saved")]},
        {"traceID": trace_id, "spanID": trace_id[-8:] + "00000003", "operationName": "inference-service-post",
         "references": [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": trace_id[-8:] + "00000001"}],
         "startTime": inf_start, "duration": inf_end - inf_start, "processID": "p3",
         "tags": [tag("span.kind", "server"), tag("otel.status_code", status)] + ([tag("error", True, "bool")] if failed else []),
         "logs": [log(completed_at, "Inference completed")]},
    ]
    return {"traceID": trace_id, "spans": spans,
            "processes": {"p1": {"serviceName": "gateway"}, "p2": {"serviceName": "preprocess"},
                          "p3": {"serviceName": "inference"}}}


def write(path, traces):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"data": traces}, f, indent=1, sort_keys=True)
        f.write("\n")


write(os.path.join(root, "fast.json"), [trace("0000000000000000000000000000f001")])
write(os.path.join(root, "slow-preprocess.json"), [trace("0000000000000000000000000000a001", preprocess_extra=400_000)])
write(os.path.join(root, "slow-wait.json"), [trace("0000000000000000000000000000a002", wait_extra=800_000)])
write(os.path.join(root, "slow-error.json"), [trace("0000000000000000000000000000a003", inference_extra=500_000, failed=True)])

rng = random.Random(7)
jitter = lambda x: int(x * rng.lognormvariate(0, 0.15))
write(os.path.join(root, "batch", "fast", "traces.json"),
      [trace("%032x" % (0x1000 + i), jitter=jitter) for i in range(50)])
write(os.path.join(root, "batch", "slow", "traces.json"),
      [trace("%032x" % (0x2000 + i), wait_extra=int(300_000 * rng.lognormvariate(0, 0.2)), jitter=jitter) for i in range(50)])
print("wrote", root)
