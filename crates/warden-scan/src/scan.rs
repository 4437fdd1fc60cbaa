//! Walks files and directories and hands each stream to the parser its content calls for;
//! containers come back here for each member, so nesting is handled in one place.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use flate2::read::{MultiGzDecoder, ZlibDecoder};

use crate::archive::limit::{Compressed, Counting, LimitHit, Limited, Ratio};
use crate::archive::{tar, zipfile};
use crate::context::{Cx, Hint, Loc, NameKind};
use crate::formats::{self, Format, PREFIX_LEN};
use crate::options::Options;
use crate::pickle::{self, Event, Mode};
use crate::progress::{FileTally, Tracked};
use crate::report::{FileReport, Report};
use crate::rules;
use crate::source::Src;
use crate::{keras, npy, onnx, safetensors};

/// Scans a file, or every file under a directory (subdirectories included, symbolic links to
/// files followed, to directories not).
pub fn scan_path(path: &Path, options: &Options) -> Report {
    let mut report = Report::default();
    if fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        scan_dir(path, options, &mut report.files);
    } else {
        report.files.push(scan_file(path, options));
    }
    report
}

fn scan_dir(dir: &Path, options: &Options, out: &mut Vec<FileReport>) {
    walk_dir(dir, options, 0, &mut |entry| {
        out.push(match entry {
            Entry::File(path) => scan_file(&path, options),
            Entry::Skipped(path, message) => error_report(&path, message),
        })
    });
}

/// Bytes that `scan_path(path, options)` will count in `Progress::bytes`: the lengths of the
/// files it will scan, as of now. Walks a directory by the same rules as the scan, so a
/// progress bar's total and its end agree.
pub fn total_len(path: &Path, options: &Options) -> u64 {
    let len = |path: &Path| fs::metadata(path).map_or(0, |m| if m.is_file() { m.len() } else { 0 });
    if !fs::metadata(path).is_ok_and(|m| m.is_dir()) {
        return len(path);
    }
    let mut total = 0u64;
    walk_dir(path, options, 0, &mut |entry| {
        if let Entry::File(file) = entry {
            total = total.saturating_add(len(&file));
        }
    });
    total
}

/// What a directory walk meets: a file to scan, or a directory it cannot or will not enter.
enum Entry {
    File(PathBuf),
    Skipped(PathBuf, String),
}

/// Visits the files under `dir` in name order, subdirectories included, symbolic links to
/// files followed, to directories not.
fn walk_dir(dir: &Path, options: &Options, depth: u32, visit: &mut dyn FnMut(Entry)) {
    if depth > options.max_dir_depth {
        let message = format!("directories nested more than {} deep: not scanned", options.max_dir_depth);
        return visit(Entry::Skipped(dir.to_path_buf(), message));
    }
    let mut paths = match fs::read_dir(dir) {
        Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect::<Vec<_>>(),
        Err(e) => return visit(Entry::Skipped(dir.to_path_buf(), format!("cannot read directory: {e}"))),
    };
    paths.sort();
    for path in paths {
        let Ok(meta) = fs::symlink_metadata(&path) else { continue };
        if meta.is_dir() {
            walk_dir(&path, options, depth + 1, visit);
        } else if meta.is_file() || (meta.file_type().is_symlink() && path.is_file()) {
            visit(Entry::File(path));
        }
    }
}

fn error_report(path: &Path, message: String) -> FileReport {
    FileReport {
        path: path.to_path_buf(),
        format: Format::Unknown,
        findings: Vec::new(),
        error: Some(message),
        bytes_scanned: 0,
        findings_dropped: 0,
    }
}

/// Scans one file. Nothing escapes as a panic: a bug in a parser becomes a per-file error.
pub fn scan_file(path: &Path, options: &Options) -> FileReport {
    let mut cx = Cx::new(options, path.parent());
    let result = panic::catch_unwind(AssertUnwindSafe(|| scan_file_in(&mut cx, path)));
    let top = Loc::default();
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => cx.fail(&top, e),
        Err(_) => cx.error(&top, "internal error: the scanner failed on this file"),
    }
    cx.into_report(path)
}

fn scan_file_in(cx: &mut Cx, path: &Path) -> io::Result<()> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        cx.error(&Loc::default(), "not a regular file");
        return Ok(());
    }
    // Started before the open, so a file that cannot be opened still counts as done.
    let tally = FileTally::start(cx.options.progress.as_ref(), path, meta.len());
    let mut file = Tracked::new(File::open(path)?, tally);
    let (prefix, complete) = read_prefix(&mut file)?;
    cx.format = formats::detect(&prefix, complete);
    let top = Loc::default();
    if cx.format == Format::Zip {
        file.rewind()?;
        cx.format = zipfile::scan(cx, file, &top)?;
        return Ok(());
    }
    let mut reader = BufReader::with_capacity(64 * 1024, Cursor::new(prefix).chain(file));
    let hint = Hint { known_len: Some(meta.len()), kind: NameKind::Plain };
    cx.format = scan_detected(cx, cx.format, &mut reader, &top, hint)?;
    Ok(())
}

/// Scans a stream whose format is not known yet (an archive member, decompressed data).
pub fn scan_stream(cx: &mut Cx, reader: &mut dyn Read, loc: &Loc, hint: Hint) -> io::Result<Format> {
    let (prefix, complete) = read_prefix(reader)?;
    let mut format = formats::detect(&prefix, complete);
    if format == Format::Unknown && !prefix.is_empty() {
        match hint.kind {
            NameKind::Plain => {}
            NameKind::KerasConfig => {
                if keras::starts_like_object(&prefix) {
                    format = Format::KerasJson;
                }
            }
            NameKind::Pickle | NameKind::Interleaved => format = Format::Pickle,
        }
    }
    let mut reader = BufReader::new(Cursor::new(prefix).chain(reader));
    scan_detected(cx, format, &mut reader, loc, hint)
}

fn scan_detected(cx: &mut Cx, format: Format, reader: &mut dyn BufRead, loc: &Loc, hint: Hint) -> io::Result<Format> {
    if format.is_container() && !cx.may_open(loc) {
        return Ok(format);
    }
    let strict = loc.member.is_none() || hint.kind == NameKind::Pickle;
    match format {
        Format::Pickle => {
            let mode = if hint.kind == NameKind::Interleaved || !strict { Mode::SPECULATIVE } else { Mode::STRICT };
            walk_pickles(cx, &mut Src::new(reader), loc, mode)?;
        }
        Format::PytorchLegacy => {
            walk_pickles(cx, &mut Src::new(reader), loc, Mode { strict: true, max_pickles: Some(5) })?;
        }
        Format::Npy => scan_npy(cx, reader, loc)?,
        Format::Safetensors => scan_safetensors(cx, reader, loc, hint.known_len)?,
        Format::Onnx => scan_onnx(cx, reader, loc)?,
        Format::KerasJson => return keras::scan_json(cx, reader, loc),
        Format::Hdf5 => keras::scan_hdf5(cx, reader, loc)?,
        Format::Zip => return spool_zip(cx, reader, loc),
        Format::Tar => return tar::scan(cx, reader, loc),
        Format::Gzip | Format::Zlib => return decompress(cx, format, reader, loc, hint),
        _ => cx.bytes += reader.fill_buf()?.len() as u64,
    }
    Ok(format)
}

/// Reads up to `PREFIX_LEN` bytes; true when that is the whole stream.
fn read_prefix(reader: &mut dyn Read) -> io::Result<(Vec<u8>, bool)> {
    let mut prefix = Vec::with_capacity(PREFIX_LEN);
    reader.take(PREFIX_LEN as u64).read_to_end(&mut prefix)?;
    let complete = prefix.len() < PREFIX_LEN;
    Ok((prefix, complete))
}

/// A zip needs seeking: a nested one is copied (within the byte budget) to an anonymous
/// temporary file first.
fn spool_zip(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc) -> io::Result<Format> {
    let mut spool = tempfile::tempfile()?;
    io::copy(reader, &mut spool)?;
    spool.rewind()?;
    zipfile::scan(cx, spool, loc)
}

/// Scans the content of a gzip or zlib stream. A stream that fails before producing a byte
/// was not compressed data after all (two magic bytes are a weak signature): it is unknown,
/// not an error.
fn decompress(cx: &mut Cx, format: Format, reader: &mut dyn BufRead, loc: &Loc, hint: Hint) -> io::Result<Format> {
    let (input, count) = Counting::new(reader);
    let decoder: Box<dyn Read + '_> = match format {
        Format::Gzip => Box::new(MultiGzDecoder::new(input)),
        _ => Box::new(ZlibDecoder::new(input)),
    };
    let ratio = Ratio { max: cx.options.max_ratio, floor: cx.options.ratio_floor };
    let mut inner = Limited::new(decoder, cx.budget.clone(), Compressed::Counted(count), ratio);
    let hint = Hint { known_len: None, kind: hint.kind };
    match scan_stream(cx, &mut inner, &loc.inner(), hint) {
        Err(e) if inner.produced() == 0 && LimitHit::of(&e).is_none() => Ok(Format::Unknown),
        Err(e) => Err(e),
        Ok(_) => Ok(format),
    }
}

fn walk_pickles(cx: &mut Cx, src: &mut Src, loc: &Loc, mode: Mode) -> io::Result<()> {
    let options = cx.options;
    let start = src.pos();
    let result = pickle::walk(src, mode, &options.pickle, &mut |event| report_pickle_event(cx, loc, event));
    cx.bytes += src.pos() - start;
    result.map(drop)
}

fn report_pickle_event(cx: &mut Cx, loc: &Loc, event: Event) {
    match event {
        Event::Import(import) => {
            let Some(rule) = rules::classify_import(&import.module, &import.name) else { return };
            let global = format!("{}.{}", import.module, import.name);
            let called = match import.calls.as_slice() {
                [] => String::new(),
                calls => format!(", called by {}", calls.join(", ")),
            };
            let message = format!("imports {global} ({}){called}", import.opcode);
            cx.add(rule, loc, message, Some(import.offset), Some(global));
        }
        Event::Unresolved { offset, opcode, detail } => {
            let message = format!("{opcode} import cannot be resolved statically: {detail}");
            cx.add(&rules::UNRESOLVED_GLOBAL, loc, message, Some(offset), None);
        }
        Event::Corrupt { offset, detail } | Event::Limit { offset, detail } => {
            cx.add(&rules::CORRUPT_PICKLE, loc, detail, Some(offset), None);
        }
    }
}

fn scan_npy(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc) -> io::Result<()> {
    let mut src = Src::new(reader);
    match npy::read_header(&mut src) {
        Ok(header) if header.object => {
            let message = format!("array of dtype {} is stored as a pickle", header.descr);
            cx.add(&rules::NUMPY_OBJECT_ARRAY, loc, message, Some(src.pos()), None);
            cx.bytes += src.pos();
            walk_pickles(cx, &mut src, loc, Mode::STRICT)?;
        }
        Ok(_) => cx.bytes += src.pos(),
        Err(npy::Error::Io(e)) => return Err(e),
        Err(npy::Error::Format(message)) => cx.error(loc, format!("malformed npy header: {message}")),
    }
    Ok(())
}

fn scan_safetensors(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc, known_len: Option<u64>) -> io::Result<()> {
    let mut src = Src::new(reader);
    let problems = safetensors::check(&mut src, known_len)?;
    cx.bytes += src.pos();
    for problem in problems {
        cx.add(&rules::SAFETENSORS_STRUCTURE, loc, problem, None, None);
    }
    Ok(())
}

fn scan_onnx(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc) -> io::Result<()> {
    let mut src = Src::new(reader);
    let limits = onnx::Limits { max_tensor_bytes: cx.options.max_tensor_bytes, ..onnx::Limits::default() };
    let (facts, error) = onnx::read(&mut src, &limits);
    cx.bytes += src.pos();
    let dir = if loc.member.is_none() { cx.dir.clone() } else { None };
    for tensor in facts.external {
        if let Some(problem) = rules::external_data_problem(&tensor.location, dir.as_deref()) {
            let message = format!("tensor `{}`: {problem}", tensor.name);
            cx.add(&rules::ONNX_EXTERNAL_DATA, loc, message, Some(tensor.offset), None);
        }
    }
    for (domain, op_type) in facts.custom_domains {
        let message = format!("operator domain `{domain}` (first operator `{op_type}`) is not an ONNX standard domain");
        cx.add(&rules::ONNX_CUSTOM_DOMAIN, loc, message, None, None);
    }
    for tensor in facts.absurd {
        cx.add(
            &rules::ONNX_TENSOR_SIZE,
            loc,
            format!("tensor `{}`: {}", tensor.name, tensor.problem),
            Some(tensor.offset),
            None,
        );
    }
    match error {
        Some(onnx::Error::Io(e)) => return Err(e),
        Some(onnx::Error::Malformed(message)) => cx.error(loc, format!("malformed onnx: {message}")),
        None => {}
    }
    Ok(())
}
