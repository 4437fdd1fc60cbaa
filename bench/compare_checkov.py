#!/usr/bin/env python3
"""Compares what `warden audit` and Checkov report on the same files.

Usage: compare_checkov.py WARDEN CHECKOV PATH
Runs Checkov (Kubernetes, Dockerfile, GitHub Actions and GitLab CI frameworks) and
`warden audit --format sarif` on PATH. Every Warden rule lists the Checkov ids it is
equivalent to (its SARIF `properties.equivalents`); a Checkov failure counts as found by
Warden when a finding of an equivalent rule is in the same file within the resource's
lines Checkov reports. Prints a Markdown table per Checkov check that some Warden rule
covers (failures, found by Warden, missed), the Checkov checks no Warden rule covers,
and exits 1 if Warden missed any failure of a covered check.
"""
import collections
import json
import os
import subprocess
import sys


FRAMEWORKS = ("kubernetes", "dockerfile", "github_actions", "gitlab_ci")


def checkov_failures(checkov, path):
    """One Checkov run per framework: a crash in one (Checkov 3's yaml runner trips
    on some workflow files) then costs only that framework, and says so."""
    reports = []
    for framework in FRAMEWORKS:
        run = subprocess.run(
            [checkov, "-d", path, "--framework", framework, "-o", "json", "--quiet", "--compact", "--skip-download"],
            capture_output=True, text=True, check=False,
        )
        if not run.stdout.strip():
            print(f"checkov --framework {framework} wrote nothing (exit {run.returncode})", file=sys.stderr)
            continue
        out = json.loads(run.stdout)
        reports.extend(out if isinstance(out, list) else [out])
    failures = []
    for report in reports:
        for f in report.get("results", {}).get("failed_checks", []):
            # Checkov names some files from the working directory, others from PATH.
            rel = f["file_path"].lstrip("/")
            file = os.path.normpath(rel if os.path.exists(rel) else os.path.join(path, rel))
            start, end = (f.get("file_line_range") or [0, 0])[:2]
            failures.append((f["check_id"], file, f.get("resource", ""), start, end))
    return failures


def cases(path):
    """What to audit together: in the corpus (PATH/<layer>/<case>), each file alone and
    each folder as one deployment, as the corpus test does; otherwise PATH as a whole.
    Unrelated deployments audited as one set would see each other's ServiceAccounts
    and NetworkPolicies."""
    layers = [os.path.join(path, d) for d in sorted(os.listdir(path)) if os.path.isdir(os.path.join(path, d))]
    if not layers or not all(any(True for _ in os.scandir(l)) for l in layers):
        return [path]
    return [os.path.join(l, c) for l in layers for c in sorted(os.listdir(l))]


def warden_findings(warden, path):
    equivalents, findings = {}, []
    for case in cases(path):
        out = subprocess.run([warden, "audit", "--format", "sarif", case], capture_output=True, text=True, check=False).stdout
        run = json.loads(out)["runs"][0]
        equivalents = {r["id"]: set(r["properties"].get("equivalents", [])) for r in run["tool"]["driver"]["rules"]}
        for r in run["results"]:
            loc = r["locations"][0]["physicalLocation"]
            file = os.path.normpath(loc["artifactLocation"]["uri"].replace("file://", ""))
            findings.append((r["ruleId"], file, loc["region"]["startLine"]))
    return equivalents, findings


def divergences():
    """(check id, file suffix, line or None) -> why, from checkov-divergences.txt."""
    known = {}
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkov-divergences.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                cid, where, why = line.split(None, 2)
                file, _, at = where.partition(":")
                known[(cid, file, int(at) if at else None)] = why.strip()
    return known


def divergence(known, cid, file, start):
    for (k, suffix, line), why in known.items():
        if k == cid and file.endswith(suffix) and line in (None, start):
            return why
    return None


def main():
    warden, checkov, path = sys.argv[1:4]
    known = divergences()
    explained = []
    failures = checkov_failures(checkov, path)
    equivalents, findings = warden_findings(warden, path)
    covered_by = collections.defaultdict(set)
    for rule, ids in equivalents.items():
        for cid in ids:
            covered_by[cid].add(rule)
    rows = collections.OrderedDict()
    uncovered = collections.Counter()
    missed_examples = []
    for cid, file, resource, start, end in sorted(failures):
        rules = covered_by.get(cid)
        if not rules:
            uncovered[cid] += 1
            continue
        found = any(
            rule in rules and f == file and (start == 0 or start <= line <= max(end, start))
            for rule, f, line in findings
        )
        why = None if found else divergence(known, cid, file, start)
        total, hit = rows.get(cid, (0, 0))
        rows[cid] = (total + 1, hit + int(found or why is not None))
        if why:
            explained.append(f"{cid} {os.path.relpath(file, path)}:{start}: {why}")
        elif not found:
            missed_examples.append(f"{cid} {file}:{start}-{end} {resource}")
    print("| Checkov check | Warden rules | Checkov failures | found by Warden or explained | missed |")
    print("|---|---|---|---|---|")
    missed = 0
    for cid, (total, hit) in sorted(rows.items()):
        missed += total - hit
        print(f"| {cid} | {', '.join(sorted(covered_by[cid]))} | {total} | {hit} | {total - hit} |")
    print()
    print(f"Checkov failures of covered checks: {sum(t for t, _ in rows.values())}, missed by Warden: {missed}")
    print(f"Checkov checks no Warden rule claims: {', '.join(f'{c} ({n})' for c, n in sorted(uncovered.items())) or 'none'}")
    print(f"Warden findings: {len(findings)} ({len(set(r for r, _, _ in findings))} rules)")
    print(f"Explained divergences ({len(explained)}, bench/checkov-divergences.txt):")
    for e in explained:
        print(f"- {e}")
    for m in missed_examples[:40]:
        print(f"MISSED {m}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
