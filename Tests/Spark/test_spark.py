#!/usr/bin/env python3
"""The Spark driver (scripts/whyslow_spark.py, local mode) against `whyslow analyze` on the same
inputs: the JSON documents record by record, numbers to 1e-9 relative, everything else equal.

    python3 Tests/Spark/test_spark.py [--traces N]     (make spark-test)

Cases: the demo, and a generated OTLP JSON Lines set of N traces (default 4,000: half fast,
half slow; a network cause, attributes, fan-out); and a malformed file, which must fail with
whyslow's message naming it. Exits 1 on the first difference.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WHYSLOW = os.path.join(ROOT, ".build", "release", "whyslow")
DRIVER = os.path.join(ROOT, "scripts", "whyslow_spark.py")


def same(a, b, where):
    """Raises AssertionError naming the first place where a and b differ."""
    if isinstance(a, float) or isinstance(b, float):
        if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
            raise AssertionError(f"{where}: {a!r} != {b!r}")
        if math.isnan(a) and math.isnan(b):
            return
        if a != b and abs(a - b) > 1e-9 * max(abs(a), abs(b), 1e-300):
            raise AssertionError(f"{where}: {a!r} != {b!r} (relative {abs(a - b) / max(abs(a), abs(b)):.2e})")
    elif isinstance(a, dict) and isinstance(b, dict):
        if sorted(a) != sorted(b):
            raise AssertionError(f"{where}: fields {sorted(a)} != {sorted(b)}")
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise AssertionError(f"{where}: {len(a)} entries != {len(b)}")
        for index, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{index}]")
    elif a != b:
        raise AssertionError(f"{where}: {a!r} != {b!r}")


def compare(name, fast, slow, folder):
    expected = os.path.join(folder, name + "-analyze.json")
    got = os.path.join(folder, name + "-spark.json")
    subprocess.run([WHYSLOW, "analyze", "--fast", fast, "--slow", slow, "--json", expected],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, DRIVER, "--fast", fast, "--slow", slow, "--json", got, "--master", "local[2]",
                    "--whyslow", WHYSLOW], check=True, stdout=subprocess.DEVNULL)
    with open(expected) as file:
        a = json.load(file)
    with open(got) as file:
        b = json.load(file)
    same({k: v for k, v in a.items() if k != "records"}, {k: v for k, v in b.items() if k != "records"}, name)
    same(len(a["records"]), len(b["records"]), f"{name}: record count")
    for index, (x, y) in enumerate(zip(a["records"], b["records"])):
        same(x, y, f"{name}: record {index} ({x.get('type')})")
    suspects = sum(1 for record in a["records"] if record.get("type") == "suspect")
    print(f"spark-test: {name}: {len(a['records'])} records ({suspects} suspects) equal to analyze's")


def split_traces(source, target):
    """The Jaeger files of `source` rewritten into `target` with each trace's spans in two files:
    the first half of every trace in one, the rest in the other (the shuffle must rejoin them)."""
    halves = ({"data": []}, {"data": []})
    for name in sorted(os.listdir(source)):
        with open(os.path.join(source, name)) as file:
            for trace in json.load(file)["data"]:
                middle = len(trace["spans"]) // 2
                for half, spans in zip(halves, (trace["spans"][:middle], trace["spans"][middle:])):
                    half["data"].append(dict(trace, spans=spans))
    os.makedirs(target)
    for index, half in enumerate(halves):
        with open(os.path.join(target, f"half-{index}.json"), "w") as file:
            json.dump(half, file)
    return target


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--traces", type=int, default=4000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        compare("demo", os.path.join(ROOT, "Datasets/demo/fast"), os.path.join(ROOT, "Datasets/demo/slow"), folder)
        generated = os.path.join(folder, "generated")
        subprocess.run([WHYSLOW, "generate", "--scenario", "network", "--format", "otlp", "--out", generated,
                        "--fast", str(args.traces // 2), "--slow", str(args.traces - args.traces // 2), "--seed", "3"],
                       check=True, stderr=subprocess.DEVNULL)
        compare(f"generated {args.traces}-trace OTLP", os.path.join(generated, "fast"), os.path.join(generated, "slow"),
                folder)
        split = split_traces(os.path.join(ROOT, "Datasets/demo/slow"), os.path.join(folder, "split"))
        compare("demo with each slow trace split over two files", os.path.join(ROOT, "Datasets/demo/fast"), split, folder)
        broken = os.path.join(folder, "broken")
        os.makedirs(broken)
        with open(os.path.join(broken, "broken.json"), "w") as file:
            file.write('{"data": [ {"traceID": "a", "spans": [}')
        run = subprocess.run([sys.executable, DRIVER, "--fast", broken, "--slow", os.path.join(ROOT, "Datasets/demo/slow"),
                              "--master", "local[2]", "--whyslow", WHYSLOW], capture_output=True, text=True)
        last = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""
        if run.returncode != 1 or "broken.json:1:" not in last or "JSON error" not in last:
            raise AssertionError(f"a malformed file: exit {run.returncode}, last line {last!r}")
        print(f"spark-test: a malformed file fails with: {last}")
        onto = os.path.join(broken, "analysis.json")
        run = subprocess.run([sys.executable, DRIVER, "--fast", broken, "--slow", os.path.join(ROOT, "Datasets/demo/slow"),
                              "--json", onto, "--whyslow", WHYSLOW], capture_output=True, text=True)
        if run.returncode != 1 or "is an input or inside one" not in run.stderr or os.path.exists(onto):
            raise AssertionError(f"an output inside an input folder: exit {run.returncode}, {run.stderr.strip()!r}")
        print("spark-test: an output inside an input folder is refused")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as error:
        sys.exit(f"spark-test: FAILED: {error}")
