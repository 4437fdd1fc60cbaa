//! CVSS v3.0 / v3.1 base scores, from the specification's formulas (FIRST, CVSS
//! v3.1 specification section 7.1 and appendix A for Roundup).

use crate::Severity;

/// The base metrics and their allowed values; temporal and environmental
/// metrics may follow but do not change the base score.
const BASE: [(&str, &[&str]); 8] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "R"]),
    ("S", &["U", "C"]),
    ("C", &["H", "L", "N"]),
    ("I", &["H", "L", "N"]),
    ("A", &["H", "L", "N"]),
];

const OTHER: [(&str, &[&str]); 14] = [
    ("E", &["X", "U", "P", "F", "H"]),
    ("RL", &["X", "O", "T", "W", "U"]),
    ("RC", &["X", "U", "R", "C"]),
    ("CR", &["X", "L", "M", "H"]),
    ("IR", &["X", "L", "M", "H"]),
    ("AR", &["X", "L", "M", "H"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "R"]),
    ("MS", &["X", "U", "C"]),
    ("MC", &["X", "H", "L", "N"]),
    ("MI", &["X", "H", "L", "N"]),
    ("MA", &["X", "H", "L", "N"]),
];

/// The base score (0.0 to 10.0) of a `CVSS:3.0/...` or `CVSS:3.1/...` vector.
pub fn base_score(vector: &str) -> Result<f64, String> {
    let err = |why: String| format!("invalid CVSS vector {vector:?}: {why}");
    let mut parts = vector.trim().split('/');
    let v31 = match parts.next() {
        Some("CVSS:3.1") => true,
        Some("CVSS:3.0") => false,
        _ => return Err(err("must start with CVSS:3.0/ or CVSS:3.1/".into())),
    };
    let mut base: [Option<&str>; 8] = [None; 8];
    let mut seen_other = Vec::new();
    for part in parts {
        let (name, value) = part.split_once(':').ok_or_else(|| err(format!("{part:?} is not METRIC:VALUE")))?;
        if let Some(i) = BASE.iter().position(|(n, _)| *n == name) {
            if !BASE[i].1.contains(&value) {
                return Err(err(format!("unknown value {value:?} for {name}")));
            }
            if base[i].replace(value).is_some() {
                return Err(err(format!("duplicate metric {name}")));
            }
        } else if let Some((_, values)) = OTHER.iter().find(|(n, _)| *n == name) {
            if !values.contains(&value) {
                return Err(err(format!("unknown value {value:?} for {name}")));
            }
            if seen_other.contains(&name) {
                return Err(err(format!("duplicate metric {name}")));
            }
            seen_other.push(name);
        } else {
            return Err(err(format!("unknown metric {name:?}")));
        }
    }
    let mut m = [""; 8];
    for (i, v) in base.iter().enumerate() {
        m[i] = v.ok_or_else(|| err(format!("missing metric {}", BASE[i].0)))?;
    }
    let [av, ac, pr, ui, s, c, i, a] = m;
    let changed = s == "C";
    let av: f64 = match av {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        _ => 0.2,
    };
    let ac = if ac == "L" { 0.77 } else { 0.44 };
    let pr = match (pr, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        (_, false) => 0.27,
        (_, true) => 0.5,
    };
    let ui = if ui == "N" { 0.85 } else { 0.62 };
    let cia = |v: &str| match v {
        "H" => 0.56,
        "L" => 0.22,
        _ => 0.0,
    };
    let iss: f64 = 1.0 - (1.0 - cia(c)) * (1.0 - cia(i)) * (1.0 - cia(a));
    let impact = if changed { 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15) } else { 6.42 * iss };
    let exploitability: f64 = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    let raw = if changed { (1.08 * (impact + exploitability)).min(10.0) } else { (impact + exploitability).min(10.0) };
    Ok(if v31 { roundup_31(raw) } else { roundup_30(raw) })
}

/// CVSS v3.1 Roundup (appendix A): integer arithmetic, free of float artefacts.
fn roundup_31(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 { int_input as f64 / 100_000.0 } else { ((int_input / 10_000) + 1) as f64 / 10.0 }
}

/// CVSS v3.0 Roundup: the smallest one-decimal number not below `x`.
fn roundup_30(x: f64) -> f64 {
    (x * 10.0).ceil() / 10.0
}

/// The qualitative severity of a CVSS score (0.0, "none", is reported as low).
pub fn severity(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(v: &str) -> f64 {
        base_score(v).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn known_scores() {
        let cases = [
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", 5.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
            ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4),
            ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            // temporal metrics do not change the base score
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8),
        ];
        for (v, want) in cases {
            assert_eq!(score(v), want, "{v}");
        }
    }

    #[test]
    fn roundup() {
        assert_eq!(roundup_31(4.000_000_000_000_001), 4.0);
        assert_eq!(roundup_31(4.02), 4.1);
        assert_eq!(roundup_31(4.0), 4.0);
        assert_eq!(roundup_30(4.02), 4.1);
    }

    #[test]
    fn malformed() {
        for bad in [
            "",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:L",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/E:P",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        ] {
            assert!(base_score(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn severities() {
        assert_eq!(severity(0.0), Severity::Low);
        assert_eq!(severity(0.1), Severity::Low);
        assert_eq!(severity(3.9), Severity::Low);
        assert_eq!(severity(4.0), Severity::Medium);
        assert_eq!(severity(6.9), Severity::Medium);
        assert_eq!(severity(7.0), Severity::High);
        assert_eq!(severity(8.9), Severity::High);
        assert_eq!(severity(9.0), Severity::Critical);
        assert_eq!(severity(10.0), Severity::Critical);
    }
}
