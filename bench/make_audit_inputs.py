#!/usr/bin/env python3
"""Writes the `warden audit` benchmark input: a repository-like tree of N files
(default 250) made from the realistic examples of the audit corpus
(crates/warden-audit/tests/corpus): Kubernetes manifests, Dockerfiles, GitHub
Actions workflows and GitLab CI files, each copy with its own names so no two files
are the same. The corpus's expectation comments are kept (they are YAML/Dockerfile
comments). Usage: make_audit_inputs.py OUT_DIR [N]
"""
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "crates", "warden-audit", "tests", "corpus")


def sources():
    """Corpus files Checkov also reads: Kubernetes YAML, Dockerfiles, workflows, GitLab CI."""
    found = []
    for layer in ("kubernetes", "container", "pipeline"):
        for root, _, files in os.walk(os.path.join(CORPUS, layer)):
            for name in sorted(files):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                found.append((layer, name, text))
    return found


def variant(text, i):
    """The same file with names and namespaces made unique to copy i."""
    text = re.sub(r"(\n\s*name:\s*)([A-Za-z0-9.-]+)", lambda m: f"{m.group(1)}{m.group(2)}-{i}", text)
    return re.sub(r"(\n\s*namespace:\s*)([A-Za-z0-9.-]+)", lambda m: f"{m.group(1)}{m.group(2)}-{i % 7}", text)


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 250
    files = sources()
    if not files:
        sys.exit("no corpus files found")
    shutil.rmtree(out, ignore_errors=True)
    for i in range(n):
        layer, name, text = files[i % len(files)]
        copy = i // len(files)
        if layer == "pipeline" and "gitlab" in name:
            folder, target = os.path.join(out, f"svc{i}"), ".gitlab-ci.yml"
        elif layer == "pipeline":
            folder, target = os.path.join(out, f"svc{i}", ".github", "workflows"), name
        elif layer == "container":
            folder, target = os.path.join(out, f"svc{i}"), "Dockerfile"
        else:
            folder, target = os.path.join(out, "k8s", f"app{i}"), name
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, target), "w", encoding="utf-8") as f:
            f.write(variant(text, copy) if layer == "kubernetes" else text)
    print(f"wrote {n} files to {out}")


if __name__ == "__main__":
    main()
