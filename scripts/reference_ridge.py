#!/usr/bin/env python3
"""Writes Tests/WhyslowTests/Fixtures/ridge_reference.json: ridge and OLS fits computed once
with numpy, the independent reference for whyslow's RidgeRegression.

The design has 40 rows and 4 columns: two noisy columns, one nearly collinear with the first,
and one constant column (which the fit must drop). For each penalty λ the reference solves
the standardized normal equations (Z = (X − x̄)/s with population s) in numpy, and for λ = 0
also the plain least-squares problem with an intercept column via numpy.linalg.lstsq (SVD),
a second route that must agree with the first.
"""
import json
import os

import numpy as np

rng = np.random.default_rng(20261122)
n = 40
x1 = rng.lognormal(2.0, 0.4, n)
x2 = rng.normal(10.0, 3.0, n)
x3 = 0.5 * x1 + rng.normal(0.0, 0.05, n)  # nearly collinear with x1
x4 = np.full(n, 7.0)                       # constant: dropped
X = np.column_stack([x1, x2, x3, x4])
y = 5.0 + 1.5 * x1 - 0.7 * x2 + 2.0 * x3 + rng.normal(0.0, 0.5, n)

cases = []
for penalty in [0.0, 0.5, 5.0]:
    kept = [0, 1, 2]
    Xk = X[:, kept]
    mean = Xk.mean(axis=0)
    sd = Xk.std(axis=0)  # population standard deviation
    Z = (Xk - mean) / sd
    gamma = np.linalg.solve(Z.T @ Z + penalty * np.eye(len(kept)), Z.T @ (y - y.mean()))
    beta = np.zeros(X.shape[1])
    beta[kept] = gamma / sd
    intercept = y.mean() - beta @ X.mean(axis=0)
    if penalty == 0.0:
        A = np.column_stack([np.ones(n), Xk])
        ols, *_ = np.linalg.lstsq(A, y, rcond=None)
        assert np.allclose(ols[1:], beta[kept], rtol=1e-10) and np.isclose(ols[0], intercept, rtol=1e-10)
    cases.append({"penalty": penalty, "intercept": intercept, "coefficients": beta.tolist(),
                  "dropped": [3]})

out = os.path.join(os.path.dirname(__file__), "..", "Tests", "WhyslowTests", "Fixtures",
                   "ridge_reference.json")
with open(out, "w") as f:
    json.dump({"generator": "scripts/reference_ridge.py", "numpy": np.__version__,
               "rows": n, "columns": X.shape[1],
               "design_column_major": X.T.reshape(-1).tolist(), "response": y.tolist(),
               "cases": cases}, f, indent=1)
    f.write("\n")
