#!/usr/bin/env bash
# Load test of `infer` on the embedded default model with TLS and API-key auth on.
# Starts the release binary on a free loopback port, creates an infer-only key,
# and runs wrk against POST /v2/models/default/infer with one real digits row.
#
#   bench/infer.sh [DURATION] [CONNECTIONS] [THREADS]      defaults: 20s 64 2
set -euo pipefail
# The server refuses root unless told: these machines (and CI) run as root.
allow_root=$([ "$(id -u)" = 0 ] && echo --allow-root || true)
cd "$(dirname "$0")/.."
duration=${1:-20s}
connections=${2:-64}
threads=${3:-2}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
# The same build as the test suite (dev-dependencies unify features), so it is built once.
cargo build --release -q --workspace --all-targets --features warden/onnxruntime

dir=$(mktemp -d)
pid=
cleanup() {
  # Wait for the server to exit: it writes key usage on its way out.
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$dir"
}
trap cleanup EXIT

key=$(target/release/warden keys create bench --scope infer:default --state-dir "$dir/state" 2>/dev/null)
# The benchmark measures the server, not its default per-key limits.
target/release/warden serve ${allow_root:-} --listen 127.0.0.1:0 --metrics-listen off --state-dir "$dir/state" --limits-rate off --limits-daily-rows off \
  --log-level warn >"$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 1 300); do grep -q '^listening on ' "$dir/out" && break; sleep 0.1; done
url=$(sed -n 's|^listening on ||p' "$dir/out")

# The first row of the digits test split, as in the fixtures.
row=$(python3 -c 'import json; print(json.dumps(json.load(open("crates/warden/tests/fixtures/reference/digits_v1.json"))["inputs"][0]))')
printf '{"inputs":[{"name":"X","shape":[1,64],"datatype":"FP32","data":%s}]}' "$row" >"$dir/body.json"
cat >"$dir/post.lua" <<LUA
wrk.method = "POST"
local f = io.open("$dir/body.json", "r"); wrk.body = f:read("*a"); f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA

# Check one answer first, so a broken setup cannot pass as a fast one.
curl -sf --cacert "$dir/state/tls/cert.pem" -H "Authorization: Bearer $key" \
  -d @"$dir/body.json" "$url/v2/models/default/infer" >/dev/null

# wrk prints "Non-2xx or 3xx responses: N" when any answer was not 200.
echo "wrk -t$threads -c$connections -d$duration --latency -s post.lua $url/v2/models/default/infer"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$dir/post.lua" "$url/v2/models/default/infer"
