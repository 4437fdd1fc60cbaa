//! The threat model as one self-contained HTML file (no external assets): a risk
//! matrix heat map, the trust boundaries as nested boxes, both inline SVG, then
//! the threats and the per-layer table.

use std::fmt::Write as _;

use super::markdown::state;
use super::score::{Impact, Likelihood};
use super::{State, ThreatModel};

pub fn html(m: &ThreatModel) -> String {
    let mut s = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Threat model</title>\n<style>\nbody{font-family:system-ui,sans-serif;margin:2em;max-width:72em;color:#222}\ntable{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}\n.critical{background:#b71c1c;color:#fff}.high{background:#e53935;color:#fff}.elevated{background:#fb8c00}.medium{background:#fdd835}.low{background:#c8e6c9}\n.present{color:#2e7d32}.missing{color:#c62828;font-weight:bold}.partial{color:#ef6c00}.unknown{color:#777}\ncode{font-size:.85em}\n</style></head><body>\n<h1>Threat model</h1>\n",
    );
    let _ = writeln!(
        s,
        "<p>From {} audited inputs and {} findings. Likelihood × impact, Threagile's scheme.</p>",
        m.inputs, m.findings
    );
    s.push_str("<h2>Risk matrix</h2>\n");
    s.push_str(&matrix(m));
    s.push_str("<h2>Trust boundaries</h2>\n");
    s.push_str(&boundaries(m));
    s.push_str("<h2>Threats</h2>\n<table><tr><th>id</th><th>threat</th><th>STRIDE</th><th>asset</th><th>impact</th><th>likelihood</th><th>severity</th><th>mitigations</th></tr>\n");
    for t in &m.threats {
        let mits: Vec<String> = t
            .mitigations
            .iter()
            .map(|x| format!("<span class=\"{}\">{}: {}</span>", class(x.state), x.layer.as_str(), state(x.state)))
            .collect();
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td></tr>",
            t.id,
            esc(t.title),
            esc(&t.reasoning.join("; ")),
            t.stride.as_str(),
            t.asset.key(),
            t.impact.as_str(),
            t.likelihood.as_str(),
            t.severity.as_str(),
            t.severity.as_str(),
            mits.join("<br>")
        );
    }
    s.push_str("</table>\n<h2>Evidence</h2>\n");
    for t in &m.threats {
        let evidence: Vec<&String> = t.mitigations.iter().flat_map(|x| &x.evidence).collect();
        if evidence.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<h3>{} {}</h3><ul>", t.id, esc(t.title));
        for e in evidence.iter().take(50) {
            let _ = writeln!(s, "<li><code>{}</code></li>", esc(e));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("<h2>Mitigations per layer</h2>\n<table><tr><th>layer</th><th>audited</th><th>present</th><th>partial</th><th>missing</th></tr>\n");
    for l in &m.layers {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"present\">{}</td><td class=\"partial\">{}</td><td class=\"missing\">{}</td></tr>",
            l.layer.as_str(),
            if l.audited { "yes" } else { "no input" },
            l.present,
            l.partial,
            l.missing
        );
    }
    s.push_str("</table>\n</body></html>\n");
    s
}

/// A 4×4 heat map: likelihood across, impact up, the count of threats in each cell.
fn matrix(m: &ThreatModel) -> String {
    let (cell, left, top) = (90, 110, 20);
    let mut s = format!(
        "<svg id=\"risk-matrix\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"risk matrix\">\n",
        left + 4 * cell + 20,
        top + 4 * cell + 60
    );
    let impacts = [Impact::VeryHigh, Impact::High, Impact::Medium, Impact::Low];
    let likelihoods = [Likelihood::Unlikely, Likelihood::Likely, Likelihood::VeryLikely, Likelihood::Frequent];
    for (row, impact) in impacts.iter().enumerate() {
        for (col, likelihood) in likelihoods.iter().enumerate() {
            let severity = super::score::RiskSeverity::of(*likelihood, *impact);
            let ids: Vec<&str> =
                m.threats.iter().filter(|t| t.impact == *impact && t.likelihood == *likelihood).map(|t| t.id).collect();
            let (x, y) = (left + col * cell, top + row * cell);
            let _ = writeln!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\" stroke=\"#fff\"><title>{} × {}: {}</title></rect>",
                colour(severity),
                impact.as_str(),
                likelihood.as_str(),
                ids.join(", ")
            );
            if !ids.is_empty() {
                let _ = writeln!(
                    s,
                    "<text x=\"{}\" y=\"{}\" font-size=\"28\" text-anchor=\"middle\" fill=\"#000\">{}</text>",
                    x + cell / 2,
                    y + cell / 2 + 10,
                    ids.len()
                );
            }
        }
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\">{}</text>",
            left - 8,
            top + row * cell + cell / 2 + 4,
            impact.as_str()
        );
    }
    for (col, likelihood) in likelihoods.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\">{}</text>",
            left + col * cell + cell / 2,
            top + 4 * cell + 18,
            likelihood.as_str()
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"middle\">likelihood →</text><text x=\"14\" y=\"{}\" font-size=\"13\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">impact →</text>",
        left + 2 * cell,
        top + 4 * cell + 40,
        top + 2 * cell,
        top + 2 * cell
    );
    s.push_str("</svg>\n");
    s
}

/// The boundaries as nested boxes, outermost first, with what crosses each.
fn boundaries(m: &ThreatModel) -> String {
    let n = m.boundaries.len().max(1);
    let (w, h, step) = (760usize, 120 + 70 * n, 34usize);
    let mut s = format!(
        "<svg id=\"trust-boundaries\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"trust boundaries\">\n"
    );
    for (i, b) in m.boundaries.iter().enumerate() {
        let inset = 10 + i * step;
        let _ = writeln!(
            s,
            "<rect x=\"{inset}\" y=\"{inset}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#37474f\" stroke-dasharray=\"6 4\" rx=\"8\"/>",
            w - 2 * inset,
            h - 2 * inset
        );
        let crossings = if b.crossings.is_empty() { "nothing crosses".to_string() } else { b.crossings.join(", ") };
        let label = format!("{} → {}: {}", b.outside, b.inside, crossings);
        let _ = writeln!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\">{}</text>",
            inset + 8,
            inset + 18,
            esc(&truncate(&label, 110))
        );
    }
    let inner = 10 + n * step;
    let assets: Vec<&str> = m.assets.iter().map(|a| a.asset.key()).collect();
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"14\" font-weight=\"bold\">assets: {}</text>",
        inner + 10,
        inner + 24,
        esc(&assets.join(", "))
    );
    s.push_str("</svg>\n");
    s
}

fn truncate(text: &str, n: usize) -> String {
    if text.chars().count() <= n {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(n).collect::<String>())
    }
}

fn colour(s: super::score::RiskSeverity) -> &'static str {
    use super::score::RiskSeverity as R;
    match s {
        R::Low => "#c8e6c9",
        R::Medium => "#fdd835",
        R::Elevated => "#fb8c00",
        R::High => "#e53935",
        R::Critical => "#b71c1c",
    }
}

fn class(s: State) -> &'static str {
    match s {
        State::Present => "present",
        State::Partial => "partial",
        State::Missing => "missing",
        State::Unknown => "unknown",
    }
}

/// HTML-escapes text (file names and messages come from the audited files).
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
