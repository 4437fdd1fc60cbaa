//! Measures the redactor on the labelled corpus from `bench/redact/make_corpus.py`:
//! recall and precision per kind, whether each raw value is gone from the output,
//! and throughput on one core.
//!
//!   cargo run --release -p warden-observe --example redact_bench -- bench/redact/corpus.jsonl

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::Value;
use warden_observe::redact::{AddressMode, Finding, Kind, Redactor, Settings};

struct Line {
    text: String,
    spans: Vec<(usize, usize, String)>,
}

#[derive(Default)]
struct Tally {
    labelled: usize,
    found: usize,
    gone: usize,
    detections: usize,
    true_detections: usize,
}

fn main() {
    let path = std::env::args().nth(1).unwrap_or_else(|| "bench/redact/corpus.jsonl".into());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let lines: Vec<Line> = text.lines().map(parse).collect();
    let redactor = Redactor::new(Settings { addresses: AddressMode::Mask, ..Settings::default() }).unwrap();

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    // REDACT_SHOW=KIND prints that kind's misses and false detections.
    let show = std::env::var("REDACT_SHOW").ok();
    for line in &lines {
        let found = redactor.find(&line.text);
        let out = redactor.redact(&line.text);
        for (start, end, kind) in &line.spans {
            let t = tallies.entry(kind.clone()).or_default();
            t.labelled += 1;
            if found.iter().any(|f| f.kind.label() == kind && covers(f, *start, *end)) {
                t.found += 1;
            }
            if !out.contains(&line.text[*start..*end]) {
                t.gone += 1;
            }
            if show.as_deref() == Some(kind) && !found.iter().any(|f| f.kind.label() == kind && covers(f, *start, *end))
            {
                println!("missed {kind}: {:?} in {}", &line.text[*start..*end], line.text);
            }
        }
        for f in &found {
            let t = tallies.entry(f.kind.label().to_string()).or_default();
            t.detections += 1;
            if line.spans.iter().any(|(s, e, k)| k == f.kind.label() && f.start < *e && *s < f.end) {
                t.true_detections += 1;
            } else if show.as_deref() == Some(f.kind.label()) {
                println!("false {}: {:?} in {}", f.kind.label(), &line.text[f.start..f.end], line.text);
            }
        }
    }
    println!("{:<13} {:>8} {:>8} {:>8} {:>9} {:>10}", "kind", "labelled", "recall", "removed", "detected", "precision");
    let mut all = Tally::default();
    for (kind, t) in &tallies {
        println!(
            "{kind:<13} {:>8} {:>7.2}% {:>7.2}% {:>9} {:>9.2}%",
            t.labelled,
            pct(t.found, t.labelled),
            pct(t.gone, t.labelled),
            t.detections,
            pct(t.true_detections, t.detections)
        );
        all.labelled += t.labelled;
        all.found += t.found;
        all.gone += t.gone;
        all.detections += t.detections;
        all.true_detections += t.true_detections;
    }
    println!(
        "{:<13} {:>8} {:>7.2}% {:>7.2}% {:>9} {:>9.2}%",
        "all",
        all.labelled,
        pct(all.found, all.labelled),
        pct(all.gone, all.labelled),
        all.detections,
        pct(all.true_detections, all.detections)
    );

    let clean: Vec<&Line> = lines.iter().filter(|l| l.spans.is_empty()).collect();
    let every: Vec<&Line> = lines.iter().collect();
    println!();
    println!("throughput, one core (redact each line, best of 5 rounds):");
    println!("  whole corpus       {:>7.0} MB/s", throughput(&redactor, &every));
    println!("  lines without PII  {:>7.0} MB/s", throughput(&redactor, &clean));
    let _ = Kind::BUILT_IN;
}

/// A finding counts when it covers at least 90% of the labelled span.
fn covers(f: &Finding, start: usize, end: usize) -> bool {
    let overlap = f.end.min(end).saturating_sub(f.start.max(start));
    overlap * 10 >= (end - start) * 9
}

fn throughput(redactor: &Redactor, lines: &[&Line]) -> f64 {
    let bytes: usize = lines.iter().map(|l| l.text.len()).sum();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let started = Instant::now();
        let mut sink = 0usize;
        for l in lines {
            sink += redactor.redact(&l.text).len();
        }
        std::hint::black_box(sink);
        best = best.min(started.elapsed().as_secs_f64());
    }
    bytes as f64 / best / 1e6
}

fn pct(a: usize, b: usize) -> f64 {
    if b == 0 { 100.0 } else { a as f64 * 100.0 / b as f64 }
}

fn parse(line: &str) -> Line {
    let v: Value = serde_json::from_str(line).expect("corpus lines are JSON");
    let text = v["text"].as_str().expect("text").to_string();
    let spans = v["spans"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| {
                    let n = |k: &str| s[k].as_u64().expect("offset") as usize;
                    (n("start"), n("end"), s["type"].as_str().expect("type").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    Line { text, spans }
}
