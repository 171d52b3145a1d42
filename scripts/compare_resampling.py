#!/usr/bin/env python3
"""The Poisson bootstrap (whyslow's default, mergeable across shards) beside the multinomial
one it replaced, on the same data: interval widths, and how often an interval misses the truth.

    python3 scripts/compare_resampling.py [--seeds N]     (make compare-resampling)

  * control cases (no cause; `whyslow generate --scenario control`, N seeds, 200 + 200 traces):
    every suspect's true contribution is 0, so a 95% interval should miss 0 for about 5% of
    them (suspects of one case are correlated: read it as a rough rate);
  * slow-span cases (a 30 ms cause, N seeds): the culprit's interval width under each scheme;
  * the demo: the answer's interval under each scheme.
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WHYSLOW = os.path.join(ROOT, ".build", "release", "whyslow")
SCHEMES = ("poisson", "multinomial")


def suspects(fast, slow, scheme, folder):
    out = os.path.join(folder, "analysis.json")
    subprocess.run([WHYSLOW, "analyze", "--fast", fast, "--slow", slow, "--resampling", scheme, "--json", out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as file:
        return [r for r in json.load(file)["records"] if r["type"] == "suspect"]


def generated(scenario, seed, folder):
    out = os.path.join(folder, f"{scenario}-{seed}")
    subprocess.run([WHYSLOW, "generate", "--scenario", scenario, "--seed", str(seed), "--out", out],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return os.path.join(out, "fast"), os.path.join(out, "slow")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    seeds = range(1, parser.parse_args().seeds + 1)
    with tempfile.TemporaryDirectory() as folder:
        missed = {scheme: [0, 0] for scheme in SCHEMES}
        for seed in seeds:
            fast, slow = generated("control", seed, folder)
            for scheme in SCHEMES:
                for s in suspects(fast, slow, scheme, folder):
                    missed[scheme][0] += not (s["ci_low_ms"] <= 0 <= s["ci_high_ms"])
                    missed[scheme][1] += 1
        widths = {scheme: [] for scheme in SCHEMES}
        for seed in seeds:
            fast, slow = generated("slow-span", seed, folder)
            for scheme in SCHEMES:
                top = suspects(fast, slow, scheme, folder)[0]
                widths[scheme].append(top["ci_high_ms"] - top["ci_low_ms"])
        demo = {scheme: suspects(os.path.join(ROOT, "Datasets/demo/fast"), os.path.join(ROOT, "Datasets/demo/slow"),
                                 scheme, folder)[0] for scheme in SCHEMES}
    print(f"{'':34} {'poisson':>16} {'multinomial':>16}")
    print(f"{'control: intervals missing 0':34} " + " ".join(
        f"{missed[s][0]}/{missed[s][1]} = {100 * missed[s][0] / max(missed[s][1], 1):.1f}%".rjust(16) for s in SCHEMES))
    print(f"{'slow-span: median culprit width':34} " + " ".join(f"{statistics.median(widths[s]):.2f} ms".rjust(16) for s in SCHEMES))
    ratios = [p / m for p, m in zip(widths["poisson"], widths["multinomial"])]
    print(f"{'slow-span: width ratio p/m':34} median {statistics.median(ratios):.3f}, "
          f"range {min(ratios):.3f} to {max(ratios):.3f} over {len(ratios)} seeds")
    print(f"{'demo: answer interval':34} " + " ".join(
        f"[{demo[s]['ci_low_ms']:.1f}, {demo[s]['ci_high_ms']:.1f}] ms".rjust(16) for s in SCHEMES))


if __name__ == "__main__":
    main()
