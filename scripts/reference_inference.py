#!/usr/bin/env python3
"""Writes Tests/WhyslowTests/Fixtures/inference_reference.json: values computed once with
statsmodels 0.15 and numpy, the independent reference for whyslow's HC3 fit, Benjamini-Hochberg
q-values and GCV penalty choice.

- OLS with an intercept on 60 rows and 3 columns with heteroskedastic, skewed errors:
  statsmodels OLS(...).fit(cov_type="HC3") params, bse and pvalues (normal distribution).
- q-values of 12 p-values: statsmodels.stats.multitest.multipletests(method="fdr_bh").
- GCV over whyslow's grid (60 values from 1e-6·n to 1e3·n, log-spaced) on the standardized
  design: the minimizing penalty and the GCV scores, with numpy's SVD (an independent route to
  the same quantity: whyslow uses an eigendecomposition of the Gram matrix).
"""
import json
import os

import numpy as np
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests

rng = np.random.default_rng(7)
n = 60
X = np.column_stack([rng.normal(10, 2, n), rng.lognormal(1, 0.5, n), rng.uniform(0, 5, n)])
y = 3 + 0.8 * X[:, 0] - 1.2 * X[:, 1] + 0.1 * X[:, 2] + rng.normal(0, 1, n) * (0.2 + X[:, 1])
fit = sm.OLS(y, sm.add_constant(X)).fit(cov_type="HC3")

p_values = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216, 0.222, 0.251]
q_values = multipletests(p_values, method="fdr_bh")[1]

# GCV on a design with more noise columns, so the minimum is interior.
m = 80
G = rng.normal(0, 1, (m, 12))
g = G[:, 0] * 2 + G[:, 1] + rng.normal(0, 3, m)
Z = (G - G.mean(axis=0)) / G.std(axis=0)
gc = g - g.mean()
U, s, Vt = np.linalg.svd(Z, full_matrices=False)
grid = m * 10 ** (-6 + 9 * np.arange(60) / 59)
scores = []
for lam in grid:
    shrink = s**2 / (s**2 + lam)
    fitted = U @ (shrink * (U.T @ gc))
    rss = np.sum((gc - fitted) ** 2)
    df = shrink.sum()
    scores.append(m * rss / (m - df) ** 2)
best = int(np.argmin(scores))

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "WhyslowTests", "Fixtures", "inference_reference.json")
with open(out, "w") as f:
    json.dump({
        "generator": "scripts/reference_inference.py", "statsmodels": sm.__version__ if hasattr(sm, "__version__") else "0.15",
        "ols": {"rows": n, "columns": 3, "design_column_major": X.T.reshape(-1).tolist(), "response": y.tolist(),
                "params": fit.params.tolist(), "bse": fit.bse.tolist(), "pvalues": fit.pvalues.tolist()},
        "bh": {"pvalues": p_values, "qvalues": q_values.tolist()},
        "gcv": {"rows": m, "columns": 12, "design_column_major": G.T.reshape(-1).tolist(), "response": g.tolist(),
                "penalty": float(grid[best]), "scores": [float(x) for x in scores]},
    }, f, indent=1)
    f.write("\n")
print("ols params", fit.params, "\nbse", fit.bse, "\ngcv best", best, grid[best])
