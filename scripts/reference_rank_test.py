#!/usr/bin/env python3
"""Writes Tests/WhyslowTests/Fixtures/rank_test_reference.json: p-values computed once with scipy,
the independent reference for whyslow's van Elteren rank test (vanElterenPValue).

- One stratum with ties (zeros, as keys absent from traces give): scipy.stats.mannwhitneyu,
  two-sided, method="asymptotic", use_continuity=False (the tie-corrected normal approximation).
- Two strata: van Elteren's statistic written out from scipy's rankdata (midranks) and tiecorrect:
  T = sum (U - n1 n2 / 2) / (N + 1), var = sum n1 n2 / 12 ((N + 1) - sum(t^3 - t)/(N (N - 1))) / (N + 1)^2,
  p = 2 (1 - Phi(|T| / sqrt(var))) with scipy.stats.norm.
"""
import json
import os

import numpy as np
from scipy import stats

rng = np.random.default_rng(11)


def sample(n, present, shift):
    values = np.round(rng.lognormal(1.0, 0.8, n) + shift, 1)
    values[rng.uniform(size=n) > present] = 0.0
    return values


one = {"fast": sample(40, 0.6, 0).tolist(), "slow": sample(55, 0.7, 2.5).tolist()}
mw = stats.mannwhitneyu(one["slow"], one["fast"], alternative="two-sided", method="asymptotic", use_continuity=False)

strata = [{"fast": sample(30, 0.5, 0).tolist(), "slow": sample(25, 0.5, 0.8).tolist()},
          {"fast": sample(12, 0.8, 0).tolist(), "slow": sample(20, 0.7, 0.4).tolist()}]
t, v = 0.0, 0.0
for s in strata:
    pooled = np.array(s["fast"] + s["slow"])
    ranks = stats.rankdata(pooled)
    n1, n2, n = len(s["fast"]), len(s["slow"]), len(pooled)
    u = ranks[n1:].sum() - n2 * (n2 + 1) / 2
    _, counts = np.unique(pooled, return_counts=True)
    ties = float(((counts ** 3) - counts).sum())
    t += (u - n1 * n2 / 2) / (n + 1)
    v += n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))) / (n + 1) ** 2
p_two = 2 * stats.norm.sf(abs(t) / np.sqrt(v))

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "WhyslowTests", "Fixtures", "rank_test_reference.json")
with open(out, "w") as f:
    json.dump({"generator": "scripts/reference_rank_test.py", "scipy": stats.__name__ and __import__("scipy").__version__,
               "one_stratum": {**one, "p_value": float(mw.pvalue)},
               "two_strata": {"strata": strata, "p_value": float(p_two)}}, f, indent=1)
    f.write("\n")
print("one stratum p", mw.pvalue, "two strata p", p_two)
