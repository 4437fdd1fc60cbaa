#!/usr/bin/env bash
# The redactor on the labelled corpus in bench/redact/: recall and precision per
# kind, whether each raw value is gone from the output, and throughput on one core.
# Presidio's numbers on the same corpus come from bench/redact/presidio_eval.py.
#
#   bench/redact.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -q -p warden-observe --example redact_bench -- bench/redact/corpus.jsonl
