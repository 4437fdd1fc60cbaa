"""Reference values for Warden's Shapiro-Wilk W (crates/warden-guard/src/extraction/normality.rs).

Draws samples of several shapes and sizes with a fixed seed and records scipy's W for each,
so the Rust implementation is checked against the reference one. Needs numpy and scipy:

    python3 -m venv target/redact-venv && target/redact-venv/bin/pip install scipy
    target/redact-venv/bin/python scripts/make_shapiro_vectors.py
"""
import json
import os

import numpy as np
from scipy import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "warden-guard", "tests", "fixtures", "shapiro.json")

rng = np.random.default_rng(7)
cases = []
for n in [3, 4, 5, 6, 7, 10, 11, 20, 50, 100, 257, 1000, 4096]:
    for shape in ["normal", "uniform", "exponential", "bimodal"]:
        if shape == "normal":
            x = rng.normal(5.0, 2.0, n)
        elif shape == "uniform":
            x = rng.uniform(0.0, 1.0, n)
        elif shape == "exponential":
            x = rng.exponential(1.0, n)
        else:
            x = np.concatenate([rng.normal(0.0, 1.0, n // 2), rng.normal(8.0, 1.0, n - n // 2)])
        w = stats.shapiro(x).statistic
        cases.append({"shape": shape, "n": n, "w": float(w), "x": [round(float(v), 12) for v in x]})

os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"scipy": __import__("scipy").__version__, "cases": cases}, f)
print(f"wrote {len(cases)} cases to {OUT}")
