//! The threat model as Markdown: summary, assets, trust boundaries, threats by
//! severity with their reasoning and evidence, and the per-layer table.

use std::fmt::Write as _;

use super::{State, ThreatModel};

pub fn markdown(m: &ThreatModel) -> String {
    let mut s = String::from("# Threat model\n\n");
    let _ = writeln!(
        s,
        "From {} audited inputs and {} findings. Scoring: likelihood × impact (Threagile's scheme).\n",
        m.inputs, m.findings
    );
    s.push_str("## Assets\n\n| asset | why it is here |\n|---|---|\n");
    for a in &m.assets {
        let _ = writeln!(s, "| {} | {} |", a.name, a.because);
    }
    s.push_str("\n## Trust boundaries\n\n| boundary | outside → inside | crossings | guard |\n|---|---|---|---|\n");
    for b in &m.boundaries {
        let crossings = if b.crossings.is_empty() { "none found".to_string() } else { b.crossings.join(", ") };
        let _ = writeln!(s, "| {} | {} → {} | {} | {} |", b.name, b.outside, b.inside, crossings, b.guard);
    }
    s.push_str("\n## Threats\n\n| id | threat | STRIDE | asset | impact | likelihood | severity |\n|---|---|---|---|---|---|---|\n");
    for t in &m.threats {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | **{}** |",
            t.id,
            t.title,
            t.stride.as_str(),
            t.asset.key(),
            t.impact.as_str(),
            t.likelihood.as_str(),
            t.severity.as_str()
        );
    }
    for t in &m.threats {
        let _ = writeln!(s, "\n### {} {} ({})\n", t.id, t.title, t.severity.as_str());
        let _ = writeln!(s, "Mitigation: {}.\n", t.mitigation);
        for r in &t.reasoning {
            let _ = writeln!(s, "- {r}");
        }
        s.push('\n');
        for mit in &t.mitigations {
            let _ = writeln!(s, "- {} layer: **{}**", mit.layer.as_str(), state(mit.state));
            for e in mit.evidence.iter().take(20) {
                let _ = writeln!(s, "  - `{}`", e.replace('`', "'"));
            }
            if mit.evidence.len() > 20 {
                let _ = writeln!(s, "  - and {} more", mit.evidence.len() - 20);
            }
        }
    }
    s.push_str(
        "\n## Mitigations per layer\n\n| layer | audited | present | partial | missing |\n|---|---|---|---|---|\n",
    );
    for l in &m.layers {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            l.layer.as_str(),
            if l.audited { "yes" } else { "no input" },
            l.present,
            l.partial,
            l.missing
        );
    }
    s
}

pub fn state(s: State) -> &'static str {
    match s {
        State::Present => "present",
        State::Partial => "partial",
        State::Missing => "missing",
        State::Unknown => "unknown (no input)",
    }
}
