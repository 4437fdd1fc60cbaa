#!/usr/bin/env bash
# `warden audit --advisories` with a PyPI-sized OSV dump (N records, default 20,000,
# made by bench/make_osv_dump.py since OSV's own dump cannot be downloaded here):
# load time and peak RSS with one pin, then 100 and 10,000 pins; packages matched
# per second is the extra pins over the extra time. Wall times are hyperfine medians.
#
#   bench/deps.sh [N] [RUNS]      defaults: 20000 records, 10 runs
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20000}
runs=${2:-10}

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >&2; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >&2; }
cargo build --release -q -p warden --features warden/onnxruntime >&2

dir=target/deps-bench
python3 bench/make_osv_dump.py "$dir" "$n"
warden=$PWD/target/release/warden
cd "$dir"
for m in 1 100 10000; do
  # Exit 1 (findings) is the expected outcome.
  hyperfine -N -i -w 1 -r "$runs" --export-json "time-$m.json" \
    "$warden audit requirements-$m.txt --advisories PyPI.zip --format json" >/dev/null 2>&1
  /usr/bin/time -f "%M" -o "rss-$m" "$warden" audit "requirements-$m.txt" --advisories PyPI.zip --format json \
    >"out-$m.json" 2>/dev/null || true
done
python3 - <<'PY'
import json
rows = []
for m in (1, 100, 10000):
    t = json.load(open(f"time-{m}.json"))["results"][0]["median"]
    rss = int(open(f"rss-{m}").read().split()[-1]) / 1024
    findings = len(json.load(open(f"out-{m}.json"))["findings"])
    rows.append((m, t, rss, findings))
print("| pins | findings | wall (median) | peak RSS |")
print("|---:|---:|---:|---:|")
for m, t, rss, f in rows:
    print(f"| {m:,} | {f:,} | {t * 1000:.0f} ms | {rss:.0f} MiB |")
(m0, t0, _, _), (m1, t1, _, _) = rows[0], rows[-1]
print(f"\nload (1 pin): {t0 * 1000:.0f} ms; matching: {(m1 - m0) / (t1 - t0):,.0f} packages/s "
      f"({(t1 - t0) / (m1 - m0) * 1e6:.0f} µs a package, findings and JSON output included)")
PY
