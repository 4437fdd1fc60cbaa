//! The advisories of one audit, indexed by ecosystem and package name, so that a
//! package is checked against the few advisories that name it rather than the
//! tens of thousands of a full OSV dump; and the grouping that makes records
//! which alias one another (GHSA, PYSEC, CVE ids of one flaw) one vulnerability.

use std::collections::HashMap;

use super::osv::{self, Advisory, Affected};
use super::{Ecosystem, Package};

/// Loaded advisories and their index. Withdrawn advisories are kept (they count
/// as loaded) but never indexed.
#[derive(Debug, Default)]
pub struct AdvisoryDb {
    advisories: Vec<Advisory>,
    index: HashMap<(Ecosystem, String), Vec<u32>>,
}

/// One flaw that affects a package: every loaded record of it (the primary first)
/// and all their ids.
#[derive(Debug)]
pub struct Vulnerability<'a> {
    /// The primary record's id first, then the other ids and aliases, sorted.
    pub ids: Vec<String>,
    /// The records that affect the package, the primary first: one with a CVSS
    /// vector, GitHub's before others, then by id.
    pub records: Vec<(&'a Advisory, Affected)>,
}

impl AdvisoryDb {
    pub fn new(advisories: Vec<Advisory>) -> AdvisoryDb {
        let mut index: HashMap<(Ecosystem, String), Vec<u32>> = HashMap::new();
        for (i, adv) in advisories.iter().enumerate() {
            if adv.withdrawn.is_some() {
                continue;
            }
            for entry in &adv.affected {
                let Some(p) = &entry.package else { continue };
                let Some(eco) = Ecosystem::from_osv(&p.ecosystem) else { continue };
                let slot = index.entry((eco, osv::entry_name(eco, &p.name))).or_default();
                if slot.last() != Some(&(i as u32)) {
                    slot.push(i as u32);
                }
            }
        }
        AdvisoryDb { advisories, index }
    }

    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// The newest `modified` time of the data (RFC 3339 strings sort by time).
    pub fn newest_modified(&self) -> Option<&str> {
        self.advisories.iter().filter_map(|a| a.modified.as_deref()).max()
    }

    /// The advisories that name `pkg`'s ecosystem and name, whatever the version.
    pub fn candidates<'a>(&'a self, pkg: &Package) -> impl Iterator<Item = &'a Advisory> + 'a {
        let hits = self.index.get(&(pkg.ecosystem, pkg.advisory_name())).map_or(&[][..], Vec::as_slice);
        hits.iter().map(|&i| &self.advisories[i as usize])
    }

    /// Every vulnerability of `pkg`, records that share an id or alias merged.
    pub fn vulnerabilities(&self, pkg: &Package) -> Vec<Vulnerability<'_>> {
        let hits: Vec<(&Advisory, Affected)> =
            self.candidates(pkg).filter_map(|a| osv::affects(a, pkg).map(|hit| (a, hit))).collect();
        group(hits)
    }
}

/// Groups records whose id sets (id and aliases) overlap, transitively.
fn group(hits: Vec<(&Advisory, Affected)>) -> Vec<Vulnerability<'_>> {
    let mut groups: Vec<Vulnerability<'_>> = Vec::new();
    for (adv, hit) in hits {
        let own = ids_of(adv);
        let mut joined: Option<usize> = None;
        let mut i = 0;
        while i < groups.len() {
            if !groups[i].ids.iter().any(|id| own.contains(id)) {
                i += 1;
                continue;
            }
            match joined {
                None => {
                    joined = Some(i);
                    i += 1;
                }
                Some(j) => {
                    let other = groups.remove(i);
                    groups[j].ids.extend(other.ids);
                    groups[j].records.extend(other.records);
                }
            }
        }
        let j = joined.unwrap_or_else(|| {
            groups.push(Vulnerability { ids: Vec::new(), records: Vec::new() });
            groups.len() - 1
        });
        groups[j].ids.extend(own);
        groups[j].records.push((adv, hit));
    }
    for g in &mut groups {
        g.records.sort_by_key(|(a, _)| (!has_cvss(a), !a.id.starts_with("GHSA-"), a.id.clone()));
        g.records.dedup_by(|a, b| a.0.id == b.0.id);
        let primary = g.records[0].0.id.clone();
        g.ids.retain(|id| *id != primary);
        g.ids.sort();
        g.ids.dedup();
        g.ids.insert(0, primary);
    }
    groups.sort_by(|a, b| a.ids[0].cmp(&b.ids[0]));
    groups
}

fn ids_of(adv: &Advisory) -> Vec<String> {
    std::iter::once(&adv.id).chain(&adv.aliases).cloned().collect()
}

fn has_cvss(adv: &Advisory) -> bool {
    adv.severity.iter().any(|s| s.kind.starts_with("CVSS_V3"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn adv(id: &str, aliases: &[&str], cvss: bool) -> Advisory {
        let mut v = json!({
            "id": id,
            "aliases": aliases,
            "affected": [{"package": {"ecosystem": "PyPI", "name": "Flask"},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}]
        });
        if cvss {
            v["severity"] = json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]);
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn aliases_merge_records_and_the_scored_ghsa_leads() {
        let db = AdvisoryDb::new(vec![
            adv("PYSEC-2023-62", &["CVE-2023-30861", "GHSA-m2qf-hxjv-5gpq"], false),
            adv("GHSA-m2qf-hxjv-5gpq", &["CVE-2023-30861"], true),
            adv("PYSEC-2019-1", &["CVE-2019-1010083"], false),
            // The same record loaded twice (a directory and a zip) is one.
            adv("PYSEC-2019-1", &["CVE-2019-1010083"], false),
        ]);
        let pkg = Package::new(Ecosystem::PyPI, "flask", "2.2.4", "r.txt", (1, 1));
        let found = db.vulnerabilities(&pkg);
        let ids: Vec<&[String]> = found.iter().map(|v| v.ids.as_slice()).collect();
        assert_eq!(
            ids,
            [
                &["GHSA-m2qf-hxjv-5gpq".to_string(), "CVE-2023-30861".into(), "PYSEC-2023-62".into()][..],
                &["PYSEC-2019-1".to_string(), "CVE-2019-1010083".into()][..],
            ]
        );
        assert_eq!(found[0].records.len(), 2);
        assert_eq!(found[1].records.len(), 1);
    }

    #[test]
    fn a_later_record_can_join_two_groups() {
        let db = AdvisoryDb::new(vec![
            adv("A-1", &["CVE-1"], false),
            adv("B-1", &["CVE-2"], false),
            adv("C-1", &["CVE-1", "CVE-2"], false),
        ]);
        let pkg = Package::new(Ecosystem::PyPI, "FLASK", "1.0", "r.txt", (1, 1));
        let found = db.vulnerabilities(&pkg);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].ids, ["A-1", "B-1", "C-1", "CVE-1", "CVE-2"]);
    }

    #[test]
    fn only_named_packages_are_candidates() {
        let db = AdvisoryDb::new(vec![adv("A-1", &[], false)]);
        let other = Package::new(Ecosystem::PyPI, "django", "1.0", "r.txt", (1, 1));
        assert_eq!(db.candidates(&other).count(), 0);
        let npm = Package::new(Ecosystem::Npm, "flask", "1.0", "p.json", (1, 1));
        assert_eq!(db.candidates(&npm).count(), 0);
    }
}
