//! Checks a log's files in chain order and names the first record that breaks the
//! chain: an edited record (its hash no longer matches), a deleted or reordered one
//! (its sequence number or `prev` does not follow), a file cut short (no line end,
//! a rotated file without its closing checkpoint, or fewer records than the signed
//! head names), or a checkpoint whose signature fails.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use super::chain::{self, GENESIS, Hash, Sealed};
use super::signer;

/// Where and how a log is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based; the line after the last one for a cut-off end.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.path.display(), self.line, self.message)
    }
}

/// What a clean log holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub files: usize,
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: u64,
    pub last_hash: Option<Hash>,
    /// The newest checkpoint, when signatures were checked.
    pub last_checkpoint: Option<u64>,
    /// Records after the newest checkpoint: written, chained, not yet signed.
    pub unsigned_tail: u64,
    pub signatures_checked: bool,
}

/// How strict to be.
#[derive(Default)]
pub struct Options<'a> {
    /// Checkpoint signatures are checked against this key; without it they are not.
    pub key: Option<&'a VerifyingKey>,
    /// The signed head (`head.json`): the log must reach it.
    pub head: Option<&'a str>,
    /// Allow the first record to follow records that were not given (older files
    /// removed by retention); otherwise the log must start at record 1.
    pub partial: bool,
}

pub fn verify(files: &[PathBuf], options: &Options<'_>) -> Result<Report, Problem> {
    let head = match options.head {
        Some(text) => Some(signed_head(text, options.key).map_err(|message| Problem {
            path: files.last().cloned().unwrap_or_default(),
            line: 0,
            message,
        })?),
        None => None,
    };
    let mut state =
        State { report: Report { signatures_checked: options.key.is_some(), ..Report::default() }, head, lines: 0 };
    for (i, path) in files.iter().enumerate() {
        let last_file = i + 1 == files.len();
        state.file(path, last_file, options)?;
    }
    if let Some((seq, _)) = state.head
        && state.report.last_seq < seq
    {
        return Err(Problem {
            path: files.last().cloned().unwrap_or_default(),
            line: state.lines + 1,
            message: format!(
                "the log ends at record {} but the signed head names record {seq}: records were cut from the end",
                state.report.last_seq
            ),
        });
    }
    Ok(state.report)
}

/// The head's place and hash, once its own hash (and signature, with a key) hold.
fn signed_head(text: &str, key: Option<&VerifyingKey>) -> Result<(u64, Hash), String> {
    let record = chain::open(text.trim_end()).map_err(|m| format!("the signed head is broken: {m}"))?;
    if let Some(key) = key {
        let sig = record.fields.get("sig").and_then(|s| s.as_str()).unwrap_or("");
        if record.kind != "checkpoint" || !signer::check(key, record.seq, &record.prev, sig) {
            return Err("the signed head has a bad signature for this key".into());
        }
    }
    Ok((record.seq, record.hash))
}

struct State {
    report: Report,
    head: Option<(u64, Hash)>,
    /// Lines read in the current file.
    lines: usize,
}

impl State {
    fn file(&mut self, path: &Path, last_file: bool, options: &Options<'_>) -> Result<(), Problem> {
        let problem = |line: usize, message: String| Problem { path: path.to_path_buf(), line, message };
        let file = fs::File::open(path).map_err(|e| problem(0, format!("cannot read: {e}")))?;
        self.report.files += 1;
        let mut reader = BufReader::new(file);
        let mut buf = Vec::new();
        let mut number = 0;
        self.lines = 0;
        let mut last_kind = None;
        loop {
            buf.clear();
            let n = reader.read_until(b'\n', &mut buf).map_err(|e| problem(number + 1, format!("cannot read: {e}")))?;
            if n == 0 {
                break;
            }
            number += 1;
            if buf.last() != Some(&b'\n') {
                return Err(problem(number, "record cut off: the file ends in the middle of a line".into()));
            }
            let text = std::str::from_utf8(&buf[..buf.len() - 1])
                .map_err(|_| problem(number, "record is not UTF-8 text".into()))?;
            let sealed = chain::open(text).map_err(|m| problem(number, m))?;
            self.follows(&sealed, options).map_err(|m| problem(number, m))?;
            self.lines = number;
            last_kind = Some((sealed.kind.clone(), sealed.fields.get("reason").cloned()));
        }
        if !last_file {
            let closed = matches!(&last_kind, Some((kind, Some(reason))) if kind == "checkpoint" && reason == "rotate");
            if !closed {
                return Err(problem(
                    number + 1,
                    "a rotated file must end with its rotation checkpoint: records were cut from its end".into(),
                ));
            }
        }
        Ok(())
    }

    /// Checks that `record` comes right after the one before it.
    fn follows(&mut self, record: &Sealed, options: &Options<'_>) -> Result<(), String> {
        let r = &mut self.report;
        match r.last_hash {
            None if options.partial => {}
            None => {
                if record.seq != 1 || record.prev != GENESIS {
                    return Err(format!(
                        "the log starts at record {} instead of 1: earlier records are missing (give the earlier files, or --partial)",
                        record.seq
                    ));
                }
            }
            Some(prev) => {
                if record.seq != r.last_seq + 1 {
                    return Err(format!(
                        "record {} follows record {}: records were deleted or reordered",
                        record.seq, r.last_seq
                    ));
                }
                if record.prev != prev {
                    return Err(format!(
                        "record {} does not chain to record {}: a record was replaced",
                        record.seq, r.last_seq
                    ));
                }
            }
        }
        if let Some((seq, hash)) = self.head
            && record.seq == seq
            && record.hash != hash
        {
            return Err(format!("record {seq} differs from the one the signed head names: it was replaced"));
        }
        let r = &mut self.report;
        if record.kind == "checkpoint" {
            if let Some(key) = options.key {
                let sig = record.fields.get("sig").and_then(|s| s.as_str()).unwrap_or("");
                if !signer::check(key, record.seq, &record.prev, sig) {
                    return Err(format!("checkpoint {} has a bad signature for this key", record.seq));
                }
                r.last_checkpoint = Some(record.seq);
                r.unsigned_tail = 0;
            }
        } else {
            r.unsigned_tail += 1;
        }
        r.first_seq.get_or_insert(record.seq);
        r.records += 1;
        r.last_seq = record.seq;
        r.last_hash = Some(record.hash);
        Ok(())
    }
}
