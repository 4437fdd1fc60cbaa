//! Dependency exploits (issue 13): the packages a deployment ships, found in its
//! lockfiles, installed-package databases and requirements (`inventory`), and the
//! version orders and advisory logic that say which are vulnerable (`version`,
//! `osv`, `cvss`). Advisory data is OSV, read offline: an audit never touches the
//! network.

pub mod cvss;
pub mod inventory;
pub mod osv;
pub mod rootfs;
pub mod version;

use serde::Serialize;

/// A package ecosystem, as OSV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ecosystem {
    PyPI,
    Npm,
    CratesIo,
    Go,
    Debian,
    Alpine,
}

impl Ecosystem {
    /// The `ecosystem` string of OSV's `affected[].package` (Debian and Alpine
    /// entries carry a release suffix, e.g. `Debian:12`, matched by prefix).
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::PyPI => "PyPI",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Debian => "Debian",
            Ecosystem::Alpine => "Alpine",
        }
    }

    /// The ecosystem of an OSV `ecosystem` string (`Debian:12` is Debian).
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        let base = name.split(':').next().unwrap_or(name);
        [Ecosystem::PyPI, Ecosystem::Npm, Ecosystem::CratesIo, Ecosystem::Go, Ecosystem::Debian, Ecosystem::Alpine]
            .into_iter()
            .find(|e| e.osv_name() == base)
    }
}

/// One installed or pinned package, and where it was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// As the ecosystem spells it (PyPI names are compared normalised, PEP 503).
    pub name: String,
    pub version: String,
    /// The file it was found in, and the 1-based line and column of the pin.
    pub file: String,
    pub line: usize,
    pub column: usize,
}
