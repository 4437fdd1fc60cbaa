#!/usr/bin/env bash
# `warden scan` against picklescan and modelscan (both from PyPI) on large model files:
# wall time of the whole process (median of hyperfine runs), throughput (file size / median),
# peak RSS (/usr/bin/time), and each tool's exit code and verdict. Prints a markdown table.
#
#   bench/scan.sh [RUNS]     RUNS: timed runs per command; default 5, or 3 for a command
#                            whose first run took more than 15 s
#
# Inputs come from bench/make_scan_inputs.py into target/scan-bench/ (kept between runs;
# delete the folder to make them again); the scanners go to a virtualenv in
# target/scan-bench-venv; each tool's output of its first run is in target/scan-bench/logs/.
# Before a command is timed, the file is read once into the page cache and the command is
# run once under /usr/bin/time (its peak RSS, exit code and output come from that run).
set -euo pipefail
cd "$(dirname "$0")/.."
runs_arg=${1:-}
dir=target/scan-bench
venv=target/scan-bench-venv
logs=$dir/logs

apt_install() {
  [ -n "${apt_updated:-}" ] || { apt-get update -qq >&2; apt_updated=1; }
  apt-get install -y -qq "$@" >&2
}
command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time

cargo build --release -q -p warden --features warden/onnxruntime >&2
warden=target/release/warden

[ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2 || echo "note: could not create $venv" >&2
for pkg in picklescan modelscan; do
  if [ ! -x "$venv/bin/$pkg" ] && ! "$venv/bin/pip" install -q "$pkg" >&2; then
    echo "note: $pkg could not be installed; its rows say so" >&2
  fi
done

python3 bench/make_scan_inputs.py "$dir" >&2
mkdir -p "$logs"

version() {
  "$venv/bin/python" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$1" 2>/dev/null || echo "not installed"
}

# The last non-empty line of a tool's output, for a failure.
last_line() {
  grep -v '^[[:space:]]*$' "$1" | tail -n1 | tr '|' '/' | cut -c1-120 || true
}

# What a tool's exit code and output say about a file (its first run's output in $1).
verdict() {
  local tool=$1 rc=$2 out=$3
  case $tool in
    warden)
      # "  critical WS001  imports os.system ..." lines, counted by severity and rule.
      local found
      found=$({ grep -E '^ +(critical|high|medium|low) +WS[0-9]+ ' "$out" || true; } | awk '{print $1 " " $2}' | sort | uniq -c |
        awk '{printf "%s%s %s %s", (NR > 1 ? ", " : ""), $1, $2, $3}')
      case $rc in
        0) echo "exit 0: clean${found:+ (below --fail-on: $found)}" ;;
        1) echo "exit 1: findings: $found" ;;
        *) echo "exit $rc: error: $(last_line "$out")" ;;
      esac
      ;;
    picklescan)
      local dangerous suspicious
      dangerous=$(sed -n 's/^Dangerous globals: //p' "$out")
      suspicious=$(sed -n 's/^Suspicious globals: //p' "$out")
      if grep -q "could not parse .* as pickle" "$out"; then
        echo "not scanned: not a format it reads; tried it as a pickle, which failed ($({ grep -o 'at position.*' "$out" || true; } | head -1)); still exit $rc, 0 dangerous"
      else
        case $rc in
          0) echo "exit 0: clean (${dangerous:-?} dangerous, ${suspicious:-?} suspicious globals)" ;;
          1) echo "exit 1: ${dangerous:-?} dangerous globals ($({ grep -o "dangerous import '[^']*'" "$out" || true; } | sed "s/dangerous import //" | paste -sd, -))" ;;
          *) echo "exit $rc: error: $(last_line "$out")" ;;
        esac
      fi
      ;;
    modelscan)
      local skipped
      skipped=$(sed -n 's/^Total skipped: \([0-9]*\).*/\1/p' "$out")
      case $rc in
        0) echo "exit 0: no issues${skipped:+ ($skipped zip members skipped)}" ;;
        1) echo "exit 1: issues: $({ grep -oE "unsafe operator '[^']*' from module '[^']*'" "$out" || true; } | sed -E "s/unsafe operator '(.*)' from module '(.*)'/\2.\1/" | paste -sd, -)" ;;
        3) echo "not scanned: exit 3, no supported file (the file is skipped)" ;;
        *) echo "exit $rc: error: $(last_line "$out")" ;;
      esac
      ;;
  esac
}

# A row: scan.sh's tool name, the file, then the command.
measure() {
  local tool=$1 file=$2
  shift 2
  local name size log rc=0
  name=$(basename "$file")
  size=$(stat -c %s "$file")
  log=$logs/$name.$tool
  if ! command -v "$1" >/dev/null; then
    row "$name" "$size" "$tool" "—" "—" "—" "not installed"
    return
  fi
  cat "$file" >/dev/null
  /usr/bin/time -f "%M %e" -o "$log.time" "$@" >"$log.out" 2>&1 || rc=$?
  local rss_kb first_s runs
  # The last line: before it, time says "Command exited with non-zero status N".
  read -r rss_kb first_s < <(tail -n1 "$log.time")
  runs=${runs_arg:-$(awk -v s="$first_s" 'BEGIN { print (s > 15 ? 3 : 5) }')}
  hyperfine -N -i --runs "$runs" --style none --export-json "$log.json" -- "$*" >/dev/null
  local median
  median=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' "$log.json")
  local what mbps
  what=$(verdict "$tool" "$rc" "$log.out")
  mbps=$(awk -v b="$size" -v s="$median" 'BEGIN { printf "%.0f", b / 1e6 / s }')
  case $what in
    not\ scanned*) mbps="— (not scanned)" ;;
  esac
  [ "$size" -ge 1000000 ] || mbps="— (tiny file)"
  row "$name" "$size" "$tool" "$median" "$mbps" "$rss_kb" "$what"
}

row() {
  local name=$1 size=$2 tool=$3 median=$4 mbps=$5 rss_kb=$6 what=$7
  local size_h time_h rss_h
  size_h=$(awk -v b="$size" 'BEGIN { if (b >= 1e6) printf "%.1f MB", b / 1e6; else printf "%d B", b }')
  if [ "$median" = "—" ]; then time_h="—"; else time_h=$(awk -v s="$median" 'BEGIN { if (s < 1) printf "%.0f ms", s * 1000; else printf "%.2f s", s }'); fi
  if [ "$rss_kb" = "—" ]; then rss_h="—"; else rss_h=$(awk -v k="$rss_kb" 'BEGIN { if (k >= 1048576) printf "%.2f GiB", k / 1048576; else printf "%.0f MiB", k / 1024 }'); fi
  echo "| $name | $size_h | $tool | $time_h | $mbps | $rss_h | $what |" >>"$table"
}

table=$logs/table.md
: >"$table"
for name in big.safetensors dense.pkl model.pt malicious.pkl; do
  file=$dir/$name
  echo "scanning $name" >&2
  measure warden "$file" "$warden" scan "$file"
  measure picklescan "$file" "$venv/bin/picklescan" --path "$file"
  measure modelscan "$file" "$venv/bin/modelscan" -p "$file"
done

echo "warden $("$warden" --version | awk '{print $2}'), picklescan $(version picklescan), modelscan $(version modelscan), hyperfine $(hyperfine --version | awk '{print $2}'), $(python3 --version); $(nproc) cores"
echo
echo "| input | size | tool | median time | MB/s | peak RSS | exit code / verdict |"
echo "|---|---|---|---|---|---|---|"
cat "$table"
