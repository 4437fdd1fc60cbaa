//! Zip archives (PyTorch zip, npz, Keras 3, plain zip): every member is scanned by content,
//! with limits checked before the central directory is even parsed, and every member name
//! and symbolic link checked for paths that leave the extraction directory.

use std::io::{self, Read, Seek, SeekFrom};

use zip::{CompressionMethod, ZipArchive};

use super::limit::{Compressed, Limited, Ratio};
use crate::context::{Cx, Hint, Loc, NameKind};
use crate::formats::Format;
use crate::rules;
use crate::scan;

/// Bytes read of a symbolic link member's target.
const MAX_LINK: u64 = 4096;

/// Scans a zip; returns `PytorchZip` or `Npz` when the member names say so, `Keras` when its
/// `config.json` is a Keras model config.
pub fn scan<R: Read + Seek>(cx: &mut Cx, mut reader: R, loc: &Loc) -> io::Result<Format> {
    let max = cx.options.max_members;
    if let Some(declared) = declared_entries(&mut reader)?.filter(|&n| n > max) {
        let message = format!("central directory declares {declared} members, more than {max}: not scanned");
        cx.add(&rules::ARCHIVE_LIMITS, loc, message, None, None);
        return Ok(Format::Zip);
    }
    reader.rewind()?;
    let mut zip = match ZipArchive::new(reader) {
        Ok(zip) => zip,
        Err(e) => {
            cx.error(loc, format!("unreadable zip: {e}"));
            return Ok(Format::Zip);
        }
    };
    if zip.len() as u64 > max {
        let message = format!("{} members, more than {max}: not scanned", zip.len());
        cx.add(&rules::ARCHIVE_LIMITS, loc, message, None, None);
        return Ok(Format::Zip);
    }
    if let Some(message) = overlap(&mut zip) {
        cx.add(&rules::ARCHIVE_LIMITS, loc, message, None, None);
    }
    let format = kind_of(zip.file_names());
    let ratio = Ratio { max: cx.options.max_ratio, floor: cx.options.ratio_floor };
    let mut links = rules::Links::default();
    let mut keras = false;
    for i in 0..zip.len() {
        if cx.exhausted() {
            break;
        }
        let name = zip.name_for_index(i).unwrap_or_default().to_owned();
        let header = zip.by_index_raw(i).ok().map(|file| file.header_start());
        check_name(cx, loc, &links, &name, header);
        let child = loc.member(&name);
        let mut file = match zip.by_index(i) {
            Ok(file) => file,
            Err(e) => {
                cx.error(&child, format!("unreadable member: {e}"));
                continue;
            }
        };
        if file.is_symlink() {
            let mut target = Vec::new();
            let mut member = Limited::new(&mut file, cx.budget.clone(), Compressed::No, ratio);
            if let Err(e) = member.by_ref().take(MAX_LINK).read_to_end(&mut target) {
                cx.fail(&child, e);
                continue;
            }
            let target = String::from_utf8_lossy(&target);
            if let Some(problem) = rules::link_problem(&name, &target, false) {
                cx.add(&rules::ARCHIVE_PATH_TRAVERSAL, loc, problem, header, None);
            }
            links.add(&name);
            continue;
        }
        if !file.is_file() {
            continue;
        }
        let compressed = match file.compression() {
            CompressionMethod::Stored => Compressed::No,
            _ => Compressed::Known(file.compressed_size()),
        };
        let hint = Hint { known_len: Some(file.size()), kind: name_kind(&name) };
        let mut member = Limited::new(&mut file, cx.budget.clone(), compressed, ratio);
        match scan::scan_stream(cx, &mut member, &child, hint) {
            Ok(Format::KerasJson) => keras |= hint.kind == NameKind::KerasConfig,
            Ok(_) => {}
            Err(e) => cx.fail(&child, e),
        }
    }
    Ok(if keras && format == Format::Zip { Format::Keras } else { format })
}

/// WS013 for a member whose name is absolute, climbs out with `..`, or goes through a
/// symbolic link member seen before it. `offset` is that of its local header.
fn check_name(cx: &mut Cx, loc: &Loc, links: &rules::Links, name: &str, offset: Option<u64>) {
    let problem = rules::name_problem(name).or_else(|| {
        let link = links.through(name)?;
        Some(format!("member `{name}` is written through the symbolic link member `{link}`"))
    });
    if let Some(problem) = problem {
        cx.add(&rules::ARCHIVE_PATH_TRAVERSAL, loc, problem, offset, None);
    }
}

fn name_kind(name: &str) -> NameKind {
    let pickle = [".pkl", ".pickle", ".joblib"].iter().any(|ext| name.ends_with(ext));
    if pickle {
        NameKind::Pickle
    } else if name == "config.json" {
        NameKind::KerasConfig
    } else {
        NameKind::Plain
    }
}

fn kind_of<'a>(names: impl Iterator<Item = &'a str>) -> Format {
    let files: Vec<&str> = names.filter(|n| !n.ends_with('/')).collect();
    if files.iter().any(|n| *n == "data.pkl" || n.ends_with("/data.pkl")) {
        Format::PytorchZip
    } else if !files.is_empty() && files.iter().all(|n| n.ends_with(".npy")) {
        Format::Npz
    } else {
        Format::Zip
    }
}

/// Members whose compressed data overlap: the "better zip bomb" makes every member point at
/// one shared run of data, so a small file expands quadratically.
fn overlap<R: Read + Seek>(zip: &mut ZipArchive<R>) -> Option<String> {
    let mut ranges = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let file = zip.by_index_raw(i).ok()?;
        if file.compressed_size() > 0 {
            ranges.push((file.data_start(), file.data_start().saturating_add(file.compressed_size())));
        }
    }
    ranges.sort_unstable();
    let overlapping = ranges.windows(2).any(|w| w[1].0 < w[0].1);
    overlapping.then(|| "members share compressed data (overlapping entries, a zip bomb technique)".to_owned())
}

/// The member count the end-of-central-directory record declares (zip64 included), read
/// before the central directory is parsed so a lying count costs nothing.
fn declared_entries<R: Read + Seek>(reader: &mut R) -> io::Result<Option<u64>> {
    let len = reader.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65_535);
    let tail_start = len - tail_len;
    reader.seek(SeekFrom::Start(tail_start))?;
    let mut tail = vec![0; tail_len as usize];
    reader.read_exact(&mut tail)?;
    let Some(at) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else { return Ok(None) };
    let Some(eocd) = tail.get(at..at + 22) else { return Ok(None) };
    let total = u16::from_le_bytes([eocd[10], eocd[11]]);
    let eocd_start = tail_start + at as u64;
    if total != u16::MAX || eocd_start < 20 {
        return Ok(Some(u64::from(total)));
    }
    let mut locator = [0u8; 20];
    reader.seek(SeekFrom::Start(eocd_start - 20))?;
    reader.read_exact(&mut locator)?;
    if locator[..4] != *b"PK\x06\x07" {
        return Ok(Some(u64::from(total)));
    }
    let record_at = u64::from_le_bytes(locator[8..16].try_into().unwrap_or_default());
    let mut record = [0u8; 56];
    reader.seek(SeekFrom::Start(record_at))?;
    if reader.read_exact(&mut record).is_err() || record[..4] != *b"PK\x06\x06" {
        return Ok(Some(u64::from(total)));
    }
    Ok(Some(u64::from_le_bytes(record[32..40].try_into().unwrap_or_default())))
}

#[cfg(test)]
mod tests;
