"""Benign traffic for the extraction tests and benchmark: every image of scikit-learn's
bundled digits dataset (1,797 rows of 64 pixel values 0-16) with its label, in a fixed
shuffled order. Writes crates/warden/tests/fixtures/digits_samples.json.

    target/redact-venv/bin/pip install scikit-learn
    target/redact-venv/bin/python scripts/make_digits_samples.py
"""
import json
import os

import numpy as np
from sklearn.datasets import load_digits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "warden", "tests", "fixtures", "digits_samples.json")

digits = load_digits()
order = np.random.default_rng(7).permutation(len(digits.target))
with open(OUT, "w") as f:
    json.dump({"X": digits.data[order].astype(int).tolist(), "y": digits.target[order].astype(int).tolist()}, f, separators=(",", ":"))
print(f"wrote {len(order)} samples to {OUT}")
