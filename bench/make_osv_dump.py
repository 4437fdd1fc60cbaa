#!/usr/bin/env python3
"""A PyPI OSV dump of the size and shape of the real one, for bench/deps.sh.

OSV's own dump (https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip)
cannot be downloaded on the machines this project is built on (no network beyond
package registries), so this writes one like it: N records (default 20,000, about
the size of PyPI's) over N/4 package names, each modelled on the real records in
crates/warden-audit/tests/osv/advisories: GHSA records with a CVSS vector and one
or two ECOSYSTEM ranges, PYSEC records with a range plus an explicit `versions`
list of every affected release (often hundreds), aliases linking the two, and a
~1 KB `details` text. Also writes requirements files of M pins (default 1, 100
and 10,000) where about one pin in four is of an affected version.

    bench/make_osv_dump.py OUT_DIR [N]
"""

import json
import random
import sys
import zipfile
from pathlib import Path

DETAILS = (
    "When all of the following conditions are met, a response containing data intended "
    "for one client may be cached and subsequently sent by a proxy to other clients. "
) * 6


def versions(major_max=6):
    out = []
    for major in range(0, major_max):
        for minor in range(0, 12):
            for patch in range(0, 4):
                out.append(f"{major}.{minor}.{patch}")
    return out


ALL = versions()


def record(rng, i, name, pysec):
    fix_at = rng.randrange(10, len(ALL) - 1)
    intro_at = rng.choice([0, 0, 0, rng.randrange(0, fix_at)])
    ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": "0" if intro_at == 0 else ALL[intro_at]}, {"fixed": ALL[fix_at]}]}]
    if rng.random() < 0.3:
        back = rng.randrange(1, fix_at)
        ranges[0]["events"] = [{"introduced": "0"}, {"fixed": ALL[back]}]
        ranges.append({"type": "ECOSYSTEM", "events": [{"introduced": ALL[min(back + 1, fix_at - 1)]}, {"fixed": ALL[fix_at]}]})
    cve = f"CVE-20{20 + i % 6}-{10000 + i}"
    ghsa = "GHSA-" + "-".join("".join(rng.choice("23456789cfghjmpqrvwx") for _ in range(4)) for _ in range(3))
    affected = {"package": {"ecosystem": "PyPI", "name": name, "purl": f"pkg:pypi/{name}"}, "ranges": ranges}
    rec = {
        "schema_version": "1.6.0",
        "modified": f"2026-{1 + i % 11:02d}-{1 + i % 28:02d}T12:00:00Z",
        "published": f"20{20 + i % 6}-{1 + i % 12:02d}-15T00:00:00Z",
        "summary": f"{name} vulnerable to something in its request handling",
        "details": DETAILS,
        "references": [{"type": "ADVISORY", "url": f"https://nvd.nist.gov/vuln/detail/{cve}"}],
    }
    if pysec:
        rec["id"] = f"PYSEC-20{20 + i % 6}-{i}"
        rec["aliases"] = [cve, ghsa]
        affected["versions"] = [v for v in ALL[intro_at:fix_at]]
        affected["database_specific"] = {"source": "https://github.com/pypa/advisory-database"}
    else:
        rec["id"] = ghsa
        rec["aliases"] = [cve]
        rec["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]
        rec["database_specific"] = {"cwe_ids": ["CWE-539"], "severity": "HIGH", "github_reviewed": True}
    rec["affected"] = [affected]
    return rec


def main():
    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    rng = random.Random(13)
    out.mkdir(parents=True, exist_ok=True)
    names = [f"package-{k:05d}" for k in range(max(1, n // 4))]
    with zipfile.ZipFile(out / "PyPI.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(n):
            rec = record(rng, i, names[i % len(names)], pysec=i % 2 == 1)
            z.writestr(rec["id"] + ".json", json.dumps(rec, indent=2))
    for m in (1, 100, 10000):
        lines = [f"{names[(k * 7) % len(names)]}=={rng.choice(ALL)}" for k in range(m)]
        (out / f"requirements-{m}.txt").write_text("\n".join(lines) + "\n")
    size = (out / "PyPI.zip").stat().st_size
    print(f"{n} records over {len(names)} packages, {size / 1e6:.1f} MB zipped, in {out}")


if __name__ == "__main__":
    main()
