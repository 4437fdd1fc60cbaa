//! Dependency exploits (issue 13): the packages a deployment ships, found in its
//! lockfiles, installed-package databases and requirements (`inventory`), and the
//! version orders and advisory logic that say which are vulnerable (`version`,
//! `osv`, `cvss`). Advisory data is OSV, read offline: an audit never touches the
//! network.

pub mod cvss;
pub mod db;
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
    /// The source package a distribution builds it from (dpkg `Source:`, apk
    /// `o:`), when it differs from `name`: Debian and Alpine advisories name it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The source package's version when it differs from the binary's (dpkg
    /// `Source: gcc-defaults (1.203)` beside `Version: 4:12.2.0-3`): source
    /// advisories give source versions, so this is the one compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The distribution release of an installed system package (`12` for Debian
    /// 12, `v3.20` for Alpine 3.20), from the root's `os-release`; advisories
    /// for another release do not apply. `None`: every release's entries are
    /// considered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    /// The file it was found in, and the 1-based line and column of the pin.
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl Package {
    /// A package of `ecosystem` pinned at `file:line:column`, with no source
    /// package or release.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
        file: &str,
        (line, column): (usize, usize),
    ) -> Package {
        Package {
            ecosystem,
            name: name.into(),
            version: version.into(),
            source: None,
            source_version: None,
            release: None,
            file: file.to_string(),
            line,
            column,
        }
    }

    /// The name advisories use for it: the source package for Debian and Alpine,
    /// the PEP 503 form for PyPI, else the name.
    pub fn advisory_name(&self) -> String {
        match self.ecosystem {
            Ecosystem::PyPI => osv::normalize_pypi(&self.name),
            Ecosystem::Debian | Ecosystem::Alpine => self.source.clone().unwrap_or_else(|| self.name.clone()),
            _ => self.name.clone(),
        }
    }
}
