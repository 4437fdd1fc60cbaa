#!/usr/bin/env bash
# The extraction attack simulator against real Warden servers (crates/warden/tests/attacks.rs,
# the ignored `report` test): equation solving and label-only retraining against a logistic
# regression, synthetic queries against an MLP from one identity and from five identities on
# one address, and 10,000 benign queries. Then the cost of one PRADA observation.
#
#   bench/extraction.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo nextest --version >/dev/null 2>&1 || cargo install cargo-nextest --locked
cargo nextest run --release -E 'binary(attacks) & test(report)' --run-ignored ignored-only --no-capture 2>&1 |
  grep '^REPORT' | sed 's/^REPORT //'
echo
cargo run --release -q -p warden-guard --example prada_bench
