//! A streaming tar reader with bounded memory. Written here rather than taken from a crate
//! because long names and PAX records are attacker-sized: they are kept up to a small cap
//! and the rest is skipped, never read whole into memory.

use std::io::{self, BufRead, Read};

use super::limit::{Compressed, Limited, Ratio};
use crate::context::{Cx, Hint, Loc, NameKind};
use crate::formats::Format;
use crate::rules;
use crate::scan;
use crate::source::Src;

const BLOCK: u64 = 512;
/// Bytes kept of a GNU long name or a PAX record set.
const MAX_NAME: usize = 4096;
const MAX_PAX: usize = 64 * 1024;

/// Whether a 512-byte block is a ustar (POSIX or GNU) header with a valid checksum.
pub fn is_tar_header(block: &[u8]) -> bool {
    block.len() >= BLOCK as usize && block[257..262] == *b"ustar" && checksum_ok(&block[..BLOCK as usize])
}

/// Scans every regular member and checks every member's name and link target; returns
/// `PytorchTar` for PyTorch's oldest format.
pub fn scan(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc) -> io::Result<Format> {
    let mut src = Src::new(reader);
    let (mut next_name, mut next_link): (Option<String>, Option<String>) = (None, None);
    let mut links = rules::Links::default();
    let (mut members, mut torch_pickle, mut torch_storages) = (0u64, false, false);
    let ratio = Ratio { max: cx.options.max_ratio, floor: cx.options.ratio_floor };
    loop {
        let mut header = [0u8; BLOCK as usize];
        if !read_block(&mut src, &mut header)? || header.iter().all(|&b| b == 0) {
            break;
        }
        let header_at = src.pos() - BLOCK;
        if !checksum_ok(&header) {
            cx.error(loc, format!("corrupt tar header at byte {header_at}"));
            break;
        }
        let Some(size) = parse_number(&header[124..136]) else {
            cx.error(loc, format!("corrupt tar member size at byte {}", src.pos() - BLOCK));
            break;
        };
        let Some(padded) = size.checked_next_multiple_of(BLOCK) else {
            cx.error(loc, format!("corrupt tar member size at byte {}", src.pos() - BLOCK));
            break;
        };
        match header[156] {
            b'L' => {
                next_name = Some(read_text(&mut src, size, MAX_NAME, padded)?);
                continue;
            }
            b'K' => {
                next_link = Some(read_text(&mut src, size, MAX_NAME, padded)?);
                continue;
            }
            b'x' => {
                let records = read_text(&mut src, size, MAX_PAX, padded)?;
                next_name = pax_record(&records, "path").or(next_name);
                next_link = pax_record(&records, "linkpath").or(next_link);
                continue;
            }
            _ => {}
        }
        members += 1;
        if members > cx.options.max_members {
            let message = format!("more than {} members: the rest were not scanned", cx.options.max_members);
            cx.add(&rules::ARCHIVE_LIMITS, loc, message, None, None);
            break;
        }
        let name = next_name.take().unwrap_or_else(|| header_name(&header));
        let link = next_link.take().unwrap_or_else(|| c_string(&header[157..257]));
        if header[156] != b'g' {
            check_member(cx, loc, &mut links, &name, header[156], &link, header_at);
        }
        if !matches!(header[156], b'0' | 0 | b'7') {
            src.skip(padded)?;
            continue;
        }
        torch_pickle |= name == "pickle";
        torch_storages |= name == "storages";
        let child = loc.member(&name);
        let start = src.pos();
        let hint = Hint { known_len: Some(size), kind: name_kind(&name) };
        let mut member = Limited::new((&mut src).take(size), cx.budget.clone(), Compressed::No, ratio);
        let result = scan::scan_stream(cx, &mut member, &child, hint);
        drop(member);
        if let Err(e) = result {
            cx.fail(&child, e);
        }
        if cx.exhausted() {
            break;
        }
        let read = src.pos() - start;
        src.skip(padded - read)?;
    }
    Ok(if torch_pickle && torch_storages { Format::PytorchTar } else { Format::Tar })
}

/// WS013: a member whose name is absolute, climbs out with `..` or goes through a symbolic
/// link member seen before it; a link whose target leaves the extraction directory.
fn check_member(cx: &mut Cx, loc: &Loc, links: &mut rules::Links, name: &str, kind: u8, link: &str, at: u64) {
    let mut problems = Vec::new();
    problems.extend(rules::name_problem(name).or_else(|| {
        let through = links.through(name)?;
        Some(format!("member `{name}` is written through the symbolic link member `{through}`"))
    }));
    if matches!(kind, b'1' | b'2') {
        problems.extend(rules::link_problem(name, link, kind == b'1'));
    }
    if kind == b'2' {
        links.add(name);
    }
    for problem in problems {
        cx.add(&rules::ARCHIVE_PATH_TRAVERSAL, loc, problem, Some(at), None);
    }
}

/// What a member's name says: PyTorch tar's `pickle` and `sys_info` are single pickles, its
/// `storages` and `tensors` hold pickles between raw bytes.
fn name_kind(name: &str) -> NameKind {
    match name {
        "pickle" | "sys_info" => NameKind::Pickle,
        "storages" | "tensors" => NameKind::Interleaved,
        _ if name.ends_with(".pkl") || name.ends_with(".pickle") || name.ends_with(".joblib") => NameKind::Pickle,
        _ => NameKind::Plain,
    }
}

/// Reads one block; false at a clean end of the stream.
fn read_block(src: &mut Src, block: &mut [u8; BLOCK as usize]) -> io::Result<bool> {
    if src.peek()?.is_none() {
        return Ok(false);
    }
    src.read_exact(block)?;
    Ok(true)
}

/// Reads a member's data as text, keeping at most `keep` bytes, and skips its padding.
fn read_text(src: &mut Src, size: u64, keep: usize, padded: u64) -> io::Result<String> {
    let kept = src.read_kept(size, keep)?;
    src.skip(padded - size)?;
    let text = kept.bytes.split(|&b| b == 0).next().unwrap_or_default();
    Ok(String::from_utf8_lossy(text).into_owned())
}

/// A record of a PAX extended header (`"%d key=value\n"` records): `path`, `linkpath`.
fn pax_record(records: &str, key: &str) -> Option<String> {
    let mut rest = records;
    while let Some((len, _)) = rest.split_once(' ') {
        let len: usize = len.parse().ok()?;
        let record = rest.get(..len)?;
        let (_, kv) = record.split_once(' ')?;
        if let Some(value) = kv.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')) {
            return Some(value.trim_end_matches('\n').to_owned());
        }
        rest = &rest[len..];
    }
    None
}

fn header_name(header: &[u8; BLOCK as usize]) -> String {
    let name = c_string(&header[..100]);
    let prefix = if header[257..263] == *b"ustar\0" { c_string(&header[345..500]) } else { String::new() };
    if prefix.is_empty() { name } else { format!("{prefix}/{name}") }
}

fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// An octal number, or GNU base-256 when the top bit of the first byte is set.
fn parse_number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut value = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(value);
    }
    let digits = field.iter().copied().skip_while(|&b| b == b' ').take_while(|&b| b != 0 && b != b' ');
    digits.into_iter().try_fold(0u64, |acc, b| match b {
        b'0'..=b'7' => acc.checked_mul(8)?.checked_add(u64::from(b - b'0')),
        _ => None,
    })
}

/// The header checksum: the sum of its bytes with the checksum field read as spaces
/// (unsigned, or signed as some old writers did).
fn checksum_ok(header: &[u8]) -> bool {
    let Some(stored) = parse_number(&header[148..156]) else { return false };
    let field = 148..156;
    let (mut unsigned, mut signed) = (0u64, 0i64);
    for (i, &b) in header.iter().enumerate() {
        let b = if field.contains(&i) { b' ' } else { b };
        unsigned += u64::from(b);
        signed += i64::from(b as i8);
    }
    stored == unsigned || i64::try_from(stored).is_ok_and(|s| s == signed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number(b"00000001750\0"), Some(1000));
        assert_eq!(parse_number(b"     1750 \0\0"), Some(1000));
        assert_eq!(parse_number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0]), Some(4096));
        assert_eq!(parse_number(b"0000000009\0\0"), None);
        assert_eq!(parse_number(&[0xff; 12]), None);
    }

    #[test]
    fn pax_records() {
        let records = "20 mtime=1234567890\n16 path=a/b.pkl\n20 linkpath=../../x\n";
        assert_eq!(pax_record(records, "path"), Some("a/b.pkl".into()));
        assert_eq!(pax_record(records, "linkpath"), Some("../../x".into()));
        assert_eq!(pax_record("garbage", "path"), None);
        assert_eq!(pax_record("999 path=x\n", "path"), None);
    }
}
