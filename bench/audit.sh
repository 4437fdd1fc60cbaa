#!/usr/bin/env bash
# `warden audit` against Checkov (PyPI) on the same files in the same run: N files
# (default 250) made by bench/make_audit_inputs.py from the audit corpus's realistic
# examples (Kubernetes manifests, Dockerfiles, GitHub Actions and GitLab CI files).
# Wall time (hyperfine medians), peak RSS (/usr/bin/time), and what each reported.
# Then bench/compare_checkov.py on the corpus: which Checkov failures Warden also finds.
#
#   bench/audit.sh [N] [RUNS]      defaults: 250 files, 5 runs
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-250}
runs=${2:-5}

apt_install() {
  [ -n "${apt_updated:-}" ] || { apt-get update -qq >&2; apt_updated=1; }
  apt-get install -y -qq "$@" >&2
}
command -v hyperfine >/dev/null || apt_install hyperfine
[ -x /usr/bin/time ] || apt_install time
venv=target/checkov-venv
[ -x "$venv/bin/checkov" ] || { python3 -m venv "$venv" && "$venv/bin/pip" install -q checkov; }
cargo build --release -q -p warden --features warden/onnxruntime >&2

dir=target/audit-bench
python3 bench/make_audit_inputs.py "$dir/repo" "$n" >&2
warden="target/release/warden audit --format json $dir/repo"
# Checkov's GitLab runner raises a TypeError on the corpus's GitLab files (anchors,
# nested script lists) and the whole run fails with it: Checkov reads the other three
# frameworks, Warden reads everything (the GitLab files too).
checkov="$venv/bin/checkov -d $dir/repo --framework kubernetes dockerfile github_actions -o json --quiet --compact --skip-download"

echo "## $n files: $(find "$dir/repo" -type f | wc -l) on disk, $(du -sh "$dir/repo" | cut -f1)"
for tool in warden checkov; do
  cmd=${!tool}
  /usr/bin/time -f "%M" -o "$dir/$tool.rss" sh -c "$cmd >$dir/$tool.json 2>$dir/$tool.err" || true
  echo "$tool: peak RSS $(($(tail -1 "$dir/$tool.rss") / 1024)) MiB"
done
python3 - "$dir" <<'PY'
import json, sys
d = sys.argv[1]
w = json.load(open(f"{d}/warden.json"))
print(f"warden: {w['summary']['findings']} findings in {w['summary']['files']} files, {w['summary']['errors']} errors")
c = json.load(open(f"{d}/checkov.json"))
c = c if isinstance(c, list) else [c]
failed = sum(len(r.get("results", {}).get("failed_checks", [])) for r in c)
print(f"checkov: {failed} failed checks")
PY
hyperfine -N -i --warmup 1 --runs "$runs" --export-markdown "$dir/hyperfine.md" "$warden" "$checkov" >&2
cat "$dir/hyperfine.md"
echo
python3 bench/compare_checkov.py target/release/warden "$venv/bin/checkov" crates/warden-audit/tests/corpus || true
