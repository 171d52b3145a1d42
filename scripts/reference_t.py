#!/usr/bin/env python3
"""Writes Tests/WhyslowTests/Fixtures/t_reference.json: values computed once with scipy, the
independent reference for whyslow's Student t (StudentT) and its Welch test of a suspect.

- tails: P(|T| >= t) = 2 * scipy.stats.t.sf(t, df) over whole and fractional degrees of
  freedom (Welch-Satterthwaite gives fractions), far into the tail;
- quantiles: scipy.stats.t.ppf(0.975, df);
- welch: two samples of a span's duration (ms, to the microsecond), and
  scipy.stats.ttest_ind(slow, fast, equal_var=False): the statistic, p-value, degrees of freedom
  and the 95% confidence interval of mean(slow) - mean(fast).
"""
import json
import os

import numpy as np
from scipy import stats

tails = []
for df in [1, 2, 3.5, 4, 7.25, 10, 29.9, 100, 1000.5, 1e6]:
    for t in [0, 0.3, 1, 1.96, 2.5, 4, 8, 15, 40]:
        tails.append({"t": t, "df": df, "p": float(2 * stats.t.sf(t, df))})
quantiles = [{"df": df, "q": 0.975, "t": float(stats.t.ppf(0.975, df))} for df in [1, 2, 3.5, 9, 29.9, 120, 1e5]]

rng = np.random.default_rng(20)
fast = np.round(rng.lognormal(np.log(5.0), 0.3, 12), 3)
slow = np.round(rng.lognormal(np.log(7.0), 0.5, 9), 3)
result = stats.ttest_ind(slow, fast, equal_var=False)
low, high = result.confidence_interval(0.95)
welch = {
    "fast": [float(x) for x in fast], "slow": [float(x) for x in slow],
    "difference": float(slow.mean() - fast.mean()), "statistic": float(result.statistic),
    "p_value": float(result.pvalue), "df": float(result.df), "ci_low": float(low), "ci_high": float(high),
}
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "WhyslowTests", "Fixtures", "t_reference.json")
with open(out, "w") as f:
    json.dump({"tails": tails, "quantiles": quantiles, "welch": welch}, f, indent=1)
    f.write("\n")
