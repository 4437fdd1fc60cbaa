#!/usr/bin/env bash
# The extraction attack simulator against real Warden servers (crates/warden/tests/attacks.rs,
# the ignored `report` test): equation solving and label-only retraining against a logistic
# regression, synthetic queries against an MLP from one identity and from five identities on
# one address, and 10,000 benign queries; with a reference sample (the off-manifold
# signal), uniform, Gaussian and Knockoff-style attackers against 10,000 held-back real
# digits from ten clients. Then the cost of one PRADA observation and of one
# off-manifold judgement.
#
#   bench/extraction.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --locked
cargo nextest run --release -E 'binary(attacks) & (test(report) | test(reference_report))' --run-ignored ignored-only --no-capture 2>&1 |
  grep '^REPORT' | sed 's/^REPORT //'
echo
cargo run --release -q -p warden-guard --example prada_bench
echo
cargo run --release -q -p warden-guard --example manifold_bench
