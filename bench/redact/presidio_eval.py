#!/usr/bin/env python3
"""Measure Microsoft Presidio's pattern recognisers on bench/redact/corpus.jsonl.

Two ways of running Presidio, both without downloading a spaCy model:

  recognizers  (always) Presidio's predefined recognisers called directly,
               recognizer.analyze(text, entities, nlp_artifacts=None). No NLP engine, so no
               context-word score boost and no cross-recogniser conflict resolution.
  engine       (--engine) the full AnalyzerEngine with every default recogniser, fed by a
               blank spaCy English pipeline (tokeniser only; lemma := lower-cased token so that
               Presidio's context-word enhancer works). The NER recogniser finds nothing
               (no model), which does not matter here: none of our types is an NER entity.

Matching (byte offsets; Presidio's character offsets are converted):
  a labelled span is FOUND when one detection of the mapped type overlaps >= 90% of the
  span's bytes (a detection that covers the span qualifies); a detection is a TRUE POSITIVE
  when it overlaps any labelled span of its mapped type, else a FALSE POSITIVE.
  Presidio's IP_ADDRESS is split: a detection containing ':' counts as IPV6, else IPV4.
Types Presidio has no recogniser for count as recall 0.

Usage: presidio_eval.py [--corpus PATH] [--out PATH] [--engine] [--limit N]
"""

import argparse
import collections
import json
import os
import sys
import time
import types
from importlib import metadata

HERE = os.path.dirname(os.path.abspath(__file__))

TYPES = [
    "EMAIL", "PHONE", "CARD", "SSN", "IBAN", "IPV4", "IPV6", "JWT", "BEARER",
    "WARDEN_KEY", "AWS_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "PRIVATE_KEY",
]
ENTITY_TO_TYPE = {
    "EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CARD",
    "US_SSN": "SSN", "IBAN_CODE": "IBAN", "IP_ADDRESS": "IP",
}
SUPPORTED = {"EMAIL", "PHONE", "CARD", "SSN", "IBAN", "IPV4", "IPV6"}
THRESHOLDS = [0.0, 0.5]


def offline_tldextract():
    """EmailRecognizer validates domains with tldextract, which first tries to download the
    public-suffix list (no network here: it fails, logs, and falls back to its bundled
    snapshot). Use the bundled snapshot directly; the result is the same, without the
    network attempt."""
    import tldextract
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer
    ex = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    email_recognizer.tldextract = types.SimpleNamespace(extract=ex)


def load_corpus(path, limit):
    recs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            recs.append(json.loads(line))
            if limit and len(recs) >= limit:
                break
    return recs


def byte_index(text):
    """char offset -> byte offset table (None when the text is ASCII)."""
    if text.isascii():
        return None
    idx = [0] * (len(text) + 1)
    n = 0
    for i, ch in enumerate(text):
        idx[i] = n
        n += len(ch.encode())
    idx[len(text)] = n
    return idx


def to_dets(text, results, idx):
    """RecognizerResults -> [(start_byte, end_byte, type, score, entity)]."""
    out = []
    for r in results:
        typ = ENTITY_TO_TYPE.get(r.entity_type)
        if typ == "IP":
            typ = "IPV6" if ":" in text[r.start:r.end] else "IPV4"
        s, e = (r.start, r.end) if idx is None else (idx[r.start], idx[r.end])
        out.append((s, e, typ, r.score, r.entity_type))
    return out


# ---------------------------------------------------------------------------

def run_recognizers(recs):
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer, EmailRecognizer, IbanRecognizer, IpRecognizer, PhoneRecognizer,
        UsSsnRecognizer,
    )
    recognizers = [EmailRecognizer(), PhoneRecognizer(), CreditCardRecognizer(), UsSsnRecognizer(),
                   IbanRecognizer(), IpRecognizer()]
    per_rec_time = collections.Counter()
    all_dets = []
    total = 0.0
    for rec in recs:
        text = rec["text"]
        results = []
        for r in recognizers:
            t0 = time.perf_counter()
            res = r.analyze(text, r.supported_entities, nlp_artifacts=None)
            dt = time.perf_counter() - t0
            per_rec_time[type(r).__name__] += dt
            total += dt
            results.extend(res)
        all_dets.append(to_dets(text, results, byte_index(text)))
    info = {
        "recognizers": [f"{type(r).__name__} ({', '.join(r.supported_entities)})" for r in recognizers],
        "seconds_per_recognizer": {k: round(v, 3) for k, v in per_rec_time.items()},
    }
    return all_dets, total, info


class BlankSpacyEngine:
    """Factory for a SpacyNlpEngine whose 'model' is spacy.blank('en') + lemma=lower."""

    @staticmethod
    def make():
        import spacy
        from spacy.language import Language
        from presidio_analyzer.nlp_engine import SpacyNlpEngine

        if not Language.has_factory("warden_lower_lemma"):
            @Language.component("warden_lower_lemma")
            def lower_lemma(doc):
                for tok in doc:
                    tok.lemma_ = tok.lower_
                return doc

        class Engine(SpacyNlpEngine):
            def load(self):
                nlp = spacy.blank("en")
                nlp.add_pipe("warden_lower_lemma")
                self.nlp = {"en": nlp}

        eng = Engine(models=[{"lang_code": "en", "model_name": "blank:en"}])
        eng.load()
        return eng


def run_engine(recs):
    from presidio_analyzer import AnalyzerEngine
    nlp = BlankSpacyEngine.make()
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    names = sorted(type(r).__name__ for r in analyzer.registry.recognizers)
    all_dets = []
    total = 0.0
    for rec in recs:
        text = rec["text"]
        t0 = time.perf_counter()
        res = analyzer.analyze(text=text, language="en")  # default score_threshold (0)
        total += time.perf_counter() - t0
        all_dets.append(to_dets(text, res, byte_index(text)))
    return all_dets, total, {"recognizers": names}


# ---------------------------------------------------------------------------

def score(recs, all_dets, threshold):
    lab = collections.Counter()
    found = collections.Counter()
    det = collections.Counter()
    tp = collections.Counter()
    unmapped = collections.Counter()
    fp_examples = collections.defaultdict(list)
    fn_examples = collections.defaultdict(list)
    neg_lines_flagged = 0
    neg_lines = 0
    for rec, dets in zip(recs, all_dets):
        spans = rec["spans"]
        dets = [d for d in dets if d[3] >= threshold]
        mapped = [d for d in dets if d[2] is not None]
        for d in dets:
            if d[2] is None:
                unmapped[d[4]] += 1
        if not spans:
            neg_lines += 1
            neg_lines_flagged += bool(mapped)
        b = None
        for sp in spans:
            t = sp["type"]
            lab[t] += 1
            need = 0.9 * (sp["end"] - sp["start"])
            if any(d[2] == t and min(d[1], sp["end"]) - max(d[0], sp["start"]) >= need for d in mapped):
                found[t] += 1
            elif t in SUPPORTED and len(fn_examples[t]) < 5:
                b = b or rec["text"].encode()
                fn_examples[t].append(b[sp["start"]:sp["end"]].decode()[:80])
        for d in mapped:
            t = d[2]
            det[t] += 1
            if any(sp["type"] == t and min(d[1], sp["end"]) > max(d[0], sp["start"]) for sp in spans):
                tp[t] += 1
            elif len(fp_examples[t]) < 8:
                b = b or rec["text"].encode()
                fp_examples[t].append({"detected": b[d[0]:d[1]].decode(errors="replace")[:80],
                                       "score": round(d[3], 2), "entity": d[4]})

    rows = {}
    for t in TYPES:
        rows[t] = {
            "labelled": lab[t], "found": found[t],
            "recall": round(found[t] / lab[t], 4) if lab[t] else None,
            "detections": det[t], "true_positives": tp[t],
            "precision": round(tp[t] / det[t], 4) if det[t] else None,
            "presidio_has_recogniser": t in SUPPORTED,
        }
    n_lab = sum(lab.values())
    n_lab_sup = sum(lab[t] for t in SUPPORTED)
    n_found = sum(found.values())
    n_det = sum(det.values())
    n_tp = sum(tp.values())
    overall = {
        "labelled": n_lab, "found": n_found, "recall": round(n_found / n_lab, 4) if n_lab else None,
        "labelled_supported_types": n_lab_sup,
        "recall_supported_types": round(n_found / n_lab_sup, 4) if n_lab_sup else None,
        "detections": n_det, "true_positives": n_tp,
        "precision": round(n_tp / n_det, 4) if n_det else None,
        "negative_lines": neg_lines, "negative_lines_with_a_detection": neg_lines_flagged,
    }
    return {"per_type": rows, "overall": overall, "unmapped_entity_detections": dict(unmapped.most_common()),
            "false_positive_examples": dict(fp_examples), "missed_examples": dict(fn_examples)}


def fmt(x):
    return "-" if x is None else f"{x:.3f}"


def print_table(title, sc):
    print(f"\n{title}")
    print(f"{'type':<13} {'labelled':>8} {'found':>6} {'recall':>6} {'detections':>10} {'precision':>9}")
    for t in TYPES:
        r = sc["per_type"][t]
        note = "" if r["presidio_has_recogniser"] else "  (no Presidio recogniser: recall 0)"
        print(f"{t:<13} {r['labelled']:>8} {r['found']:>6} {fmt(r['recall']):>6} {r['detections']:>10} "
              f"{fmt(r['precision']):>9}{note}")
    o = sc["overall"]
    print(f"{'overall':<13} {o['labelled']:>8} {o['found']:>6} {fmt(o['recall']):>6} {o['detections']:>10} "
          f"{fmt(o['precision']):>9}")
    print(f"{'supported':<13} {o['labelled_supported_types']:>8} {o['found']:>6} "
          f"{fmt(o['recall_supported_types']):>6}   (recall over the 7 types Presidio has recognisers for)")
    print(f"negative lines with >=1 mapped detection: {o['negative_lines_with_a_detection']} / {o['negative_lines']}")
    if sc["unmapped_entity_detections"]:
        print("other Presidio entities detected (not scored):",
              ", ".join(f"{k}={v}" for k, v in sc["unmapped_entity_detections"].items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus.jsonl"))
    ap.add_argument("--out", default=os.path.join(HERE, "presidio_results.json"))
    ap.add_argument("--engine", action="store_true", help="also run the full AnalyzerEngine (blank spaCy)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N lines (for a quick look)")
    args = ap.parse_args()

    import logging
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    offline_tldextract()

    recs = load_corpus(args.corpus, args.limit)
    nbytes = sum(len(r["text"].encode()) for r in recs)
    print(f"corpus: {args.corpus}: {len(recs)} lines, {nbytes} text bytes")
    print(f"presidio-analyzer {metadata.version('presidio-analyzer')}, phonenumbers {metadata.version('phonenumbers')}")
    print("No Presidio recogniser for: JWT, BEARER, WARDEN_KEY, AWS_KEY, GITHUB_TOKEN, SLACK_TOKEN, "
          "PRIVATE_KEY (counted as recall 0).")

    modes = [("recognizers", run_recognizers)]
    if args.engine:
        modes.append(("engine", run_engine))
    out = {
        "corpus": os.path.relpath(args.corpus, HERE) if args.corpus.startswith(HERE) else args.corpus,
        "lines": len(recs), "text_bytes": nbytes,
        "presidio_analyzer_version": metadata.version("presidio-analyzer"),
        "phonenumbers_version": metadata.version("phonenumbers"),
        "python": sys.version.split()[0],
        "matching": "span found if one detection of the mapped type overlaps >= 90% of its bytes; "
                    "detection is a true positive if it overlaps a labelled span of its mapped type; "
                    "IP_ADDRESS split into IPV6 (contains ':') / IPV4",
        "entity_map": {"EMAIL_ADDRESS": "EMAIL", "PHONE_NUMBER": "PHONE", "CREDIT_CARD": "CARD",
                       "US_SSN": "SSN", "IBAN_CODE": "IBAN", "IP_ADDRESS": "IPV4/IPV6"},
        "types_without_presidio_recogniser": sorted(set(TYPES) - SUPPORTED),
        "modes": {},
    }
    for name, fn in modes:
        dets, secs, info = fn(recs)
        mbps = nbytes / secs / 1e6
        print(f"\n=== mode: {name} — {secs:.2f} s of analysis, {mbps:.3f} MB/s "
              f"({len(recs) / secs:.0f} lines/s)")
        res = {"seconds": round(secs, 3), "throughput_MB_per_s": round(mbps, 4),
               "lines_per_s": round(len(recs) / secs, 1), **info, "thresholds": {}}
        for thr in THRESHOLDS:
            sc = score(recs, dets, thr)
            print_table(f"[{name}] score >= {thr}", sc)
            res["thresholds"][str(thr)] = sc
        out["modes"][name] = res
    if "recognizers" in out["modes"]:
        out["notes"] = [
            "recognizers mode: PhoneRecognizer scores 0.4 and the context-word boost only happens "
            "inside AnalyzerEngine, so at threshold 0.5 it reports no phone numbers.",
            "EmailRecognizer's tldextract uses its bundled public-suffix snapshot (no network).",
            "AnalyzerEngine's default spaCy model (en_core_web_lg) is downloaded from GitHub and is not "
            "available here; engine mode uses a blank spaCy pipeline instead (no NER, lemma=lowercase).",
        ]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
