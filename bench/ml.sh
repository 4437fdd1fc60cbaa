#!/usr/bin/env bash
# Per-row latency of the scikit-learn / gradient-boosting fixtures at batch 1 and 64,
# on the tract backend (Warden's own ai.onnx.ml operators) and on onnxruntime with
# one thread, side by side in one run (criterion, crates/warden-model/benches/ml_latency.rs),
# then prints the markdown table for bench/BENCHMARKS.md.
#
# Usage: bench/ml.sh [criterion filter regex]
# Needs the onnxruntime wheel's library: WARDEN_ONNXRUNTIME_LIB, or the test
# virtualenv that scripts/compat makes (scripts/onnxruntime-lib finds it there).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${WARDEN_ONNXRUNTIME_LIB:-}" ]; then
  WARDEN_ONNXRUNTIME_LIB=$(scripts/onnxruntime-lib)
  export WARDEN_ONNXRUNTIME_LIB
fi
rm -rf target/criterion/ml
cargo bench -q -p warden-model --features onnxruntime --bench ml_latency -- "${1:-.}" >&2

python3 - <<'PY'
import glob, json, os
rows = {}
for path in glob.glob("target/criterion/ml/*/*/new/estimates.json"):
    meta = json.load(open(os.path.join(os.path.dirname(path), "benchmark.json")))
    model, backend = meta["function_id"].split("/")
    batch = int(meta["value_str"])
    median_ns = json.load(open(path))["median"]["point_estimate"]
    rows.setdefault(model, {})[(backend, batch)] = median_ns / batch / 1000.0
print("| model | tract, batch 1 | onnxruntime, batch 1 | tract, batch 64 | onnxruntime, batch 64 |")
print("|---|---|---|---|---|")
def cell(v):
    return "-" if v is None else f"{v:.2f} µs"
for model in sorted(rows):
    r = rows[model]
    print(f"| {model} | " + " | ".join(cell(r.get(k)) for k in
          [("tract", 1), ("onnxruntime", 1), ("tract", 64), ("onnxruntime", 64)]) + " |")
PY
