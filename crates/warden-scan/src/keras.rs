//! Keras models: the config that says which layers to build and what they call, found in a
//! Keras 3 `.keras` zip (its `config.json`), in a legacy HDF5 file (the `model_config`
//! attribute, JSON text) or in a JSON file of its own (`model.to_json()`).
//!
//! The config is walked while it is parsed, never held whole: each JSON object is reduced to
//! the few fields the rules need (`class_name`, `module`, `name`, the `function` and
//! `output_shape` of its `config`) and dropped once its parent has seen them. Memory is
//! bounded by the nesting depth (serde_json refuses more than 128 levels) and by the largest
//! string (keys and kept strings are buffered by the parser), which the size cap on a config
//! (`Options::max_json_bytes`) bounds in turn.
//!
//! HDF5 is not parsed as a whole: the file is streamed through a fixed window looking for
//! the JSON text where HDF5 keeps an attribute's value (see `scan_hdf5`).

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, BufRead, Read};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::context::{Cx, Loc};
use crate::formats::Format;
use crate::rules::{self, Rule};

/// Bytes kept of a string value or key: longer ones cannot be a name the rules look for.
const MAX_STRING: usize = 256;
/// Findings kept from one config (the file's own cap applies after).
const MAX_HITS: usize = 4096;

/// A finding in a config, before it is added to the file's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static Rule,
    pub message: String,
    /// Offset of the object's `{` in the stream.
    pub offset: u64,
}

/// What parsing one JSON value found.
#[derive(Debug, Default)]
pub struct Parsed {
    pub hits: Vec<Hit>,
    /// The value is an object naming a class (`class_name`) and, when it parsed whole, with
    /// a `config`: a Keras serialized object. (A value cut short before its `class_name`
    /// may still have hits, from the objects inside it.)
    pub keras: bool,
    /// Bytes the parser read.
    pub consumed: u64,
    /// Why the value could not be parsed to its end.
    pub error: Option<String>,
}

/// Whether the first bytes of a stream look like a Keras config in JSON: an object that
/// names a `class_name` early on. Only a hint; the parse decides.
pub fn looks_like_config(prefix: &[u8]) -> bool {
    starts_like_object(prefix) && prefix.windows(12).any(|w| w == b"\"class_name\"")
}

/// The first byte that is not JSON whitespace is `{`.
pub fn starts_like_object(prefix: &[u8]) -> bool {
    prefix.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')) == Some(&b'{')
}

/// Scans a stream that may hold a Keras config as JSON (a file of its own or the
/// `config.json` of a `.keras` zip): `KerasJson` when it is one, `Unknown` otherwise.
pub fn scan_json(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc) -> io::Result<Format> {
    let parsed = parse(&[], reader, 0, cx.options.max_json_bytes)?;
    cx.bytes += parsed.consumed;
    if !parsed.keras && parsed.hits.is_empty() {
        return Ok(Format::Unknown);
    }
    report(cx, loc, parsed, "Keras config");
    Ok(Format::KerasJson)
}

fn report(cx: &mut Cx, loc: &Loc, parsed: Parsed, what: &str) {
    for hit in parsed.hits {
        cx.add(hit.rule, loc, hit.message, Some(hit.offset), None);
    }
    if let Some(error) = parsed.error {
        cx.error(loc, format!("{what} could not be read to its end: {error}"));
    }
}

/// Window of an HDF5 file searched at a time; the bytes kept before it (to read an attribute
/// message's header, which precedes its name) and carried over after it (so a structure cut
/// by the window's end is still seen whole).
const WINDOW: usize = 256 * 1024;
const LOOKBACK: usize = 16;
const CARRY: usize = 1024;
const ATTR_NAME: &[u8] = b"model_config\0";
/// How Keras 2 and Keras 3 open every serialized object.
const OBJECT_STARTS: [&[u8]; 2] = [b"{\"class_name\"", b"{\"module\""];
/// A global heap collection, version 1: where variable-length strings live.
const COLLECTION: &[u8] = b"GCOL\x01";

/// Whether the stream holds the HDF5 signature where a superblock may start (0, 512, 1024,
/// 2048: after a user block of a power of two) within its first bytes.
pub fn is_hdf5(prefix: &[u8]) -> bool {
    const SIGNATURE: &[u8] = b"\x89HDF\r\n\x1a\n";
    [0, 512, 1024, 2048].iter().any(|&at| prefix.get(at..).is_some_and(|p| p.starts_with(SIGNATURE)))
}

/// Where JSON may start, and why the scanner thinks so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// The value of a `model_config` attribute stored as a fixed-length string.
    Attribute,
    /// An object of a global heap collection (a variable-length string: h5py 3 stores
    /// `bytes` and `str` attributes so).
    Heap,
    /// Anywhere else an object opens the way Keras opens them.
    Pattern,
}

/// What the search found at an index of the window.
enum Found {
    Json { start: usize, len: Option<u64>, source: Source },
    Collection { size: u64 },
}

/// The global heap collection being walked: the stream offset of its next object's header
/// and of its end.
#[derive(Debug, Clone, Copy)]
struct Heap {
    next: u64,
    end: u64,
}

/// Scans an HDF5 file for Keras model configs in flat memory. HDF5 is not parsed as a whole:
/// the file is read once through a window, looking for a `model_config` attribute message
/// holding a fixed-length string, for global heap collections (whose objects are walked, so
/// a variable-length string that holds JSON is found at its first byte), and for objects that
/// open like Keras' own. Each JSON value found is parsed from the stream and skipped.
pub fn scan_hdf5(cx: &mut Cx, reader: &mut dyn BufRead, loc: &Loc) -> io::Result<()> {
    let max = cx.options.max_json_bytes;
    let mut buf: Vec<u8> = Vec::with_capacity(LOOKBACK + WINDOW + CARRY);
    // Stream offset of buf[0], and where in buf the search resumes.
    let (mut base, mut from) = (0u64, 0usize);
    let mut heap: Option<Heap> = None;
    let mut eof = false;
    'window: loop {
        while !eof && buf.len() < LOOKBACK + WINDOW + CARRY {
            let chunk = reader.fill_buf()?;
            if chunk.is_empty() {
                eof = true;
                break;
            }
            let n = chunk.len().min(LOOKBACK + WINDOW + CARRY - buf.len());
            buf.extend_from_slice(&chunk[..n]);
            reader.consume(n);
        }
        let limit = if eof { buf.len() } else { buf.len() - CARRY };
        let mut i = from;
        loop {
            let object = heap.and_then(|h| usize::try_from(h.next.checked_sub(base)?).ok()).filter(|&at| at < limit);
            let pattern = next_candidate(&buf, i, limit);
            let found = match (object, pattern) {
                (Some(at), pattern) if pattern.as_ref().is_none_or(|(p, _)| at <= *p) => {
                    let (next, json) = heap_object(&buf, at, heap.map_or(0, |h| h.end), base);
                    heap = next;
                    match json {
                        Some(found) if at >= i => found,
                        _ => continue,
                    }
                }
                (_, Some((at, Found::Collection { size }))) => {
                    let start = base + at as u64;
                    heap = Some(Heap { next: start + 16, end: start.saturating_add(size) });
                    i = at + 1;
                    continue;
                }
                (_, Some((_, found))) => found,
                (None, None) | (Some(_), None) => break,
            };
            let Found::Json { start, len, source } = found else { continue };
            let (head_end, rest_len) = match len {
                Some(n) => {
                    let end = start.saturating_add(usize::try_from(n).unwrap_or(usize::MAX)).min(buf.len());
                    (end, n - (end - start) as u64)
                }
                None => (buf.len(), u64::MAX),
            };
            let at = base + start as u64;
            let parsed = parse(&buf[start..head_end], &mut (&mut *reader).take(rest_len), at, max)?;
            let end = start as u64 + parsed.consumed.max(1);
            if parsed.keras || !parsed.hits.is_empty() {
                report(cx, loc, parsed, &format!("Keras config at byte {at}"));
            } else if source == Source::Attribute
                && let Some(error) = parsed.error
            {
                cx.error(loc, format!("attribute `model_config` at byte {at} is not a JSON object: {error}"));
            }
            if end > buf.len() as u64 {
                // The parser read past the window, straight from the stream: start afresh.
                base += end;
                buf.clear();
                from = 0;
                continue 'window;
            }
            i = end as usize;
        }
        let drain = limit.saturating_sub(LOOKBACK);
        buf.drain(..drain);
        base += drain as u64;
        from = i.max(limit) - drain;
        if eof && from >= buf.len() {
            break;
        }
    }
    cx.bytes += base + buf.len() as u64;
    Ok(())
}

/// The next place in `buf[i..limit]` where a config may start or a global heap collection
/// does, with its index.
fn next_candidate(buf: &[u8], mut i: usize, limit: usize) -> Option<(usize, Found)> {
    while i < limit {
        let at = i + find_any(&buf[i..limit], [b'{', b'm', b'G'])?;
        let rest = &buf[at..];
        if OBJECT_STARTS.iter().any(|start| rest.starts_with(start)) {
            return Some((at, Found::Json { start: at, len: None, source: Source::Pattern }));
        }
        if rest.starts_with(ATTR_NAME)
            && let Some((start, len)) = attribute_value(buf, at)
            && buf.get(start) == Some(&b'{')
        {
            return Some((at, Found::Json { start, len: Some(len), source: Source::Attribute }));
        }
        if rest.starts_with(COLLECTION) && rest.len() >= 16 {
            let size = u64::from_le_bytes(rest[8..16].try_into().unwrap_or_default());
            return Some((at, Found::Collection { size }));
        }
        i = at + 1;
    }
    None
}

/// The index of the first byte of `hay` that is one of `needles`, eight bytes at a time: a
/// word holding none of them (most words of weights) costs a few instructions.
fn find_any(hay: &[u8], needles: [u8; 3]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    let mut words = hay.chunks_exact(8);
    let mut at = 0;
    for word in words.by_ref() {
        let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
        if needles.iter().any(|&n| has_zero_byte(w ^ (ONES * u64::from(n))))
            && let Some(k) = word.iter().position(|b| needles.contains(b))
        {
            return Some(at + k);
        }
        at += 8;
    }
    words.remainder().iter().position(|b| needles.contains(b)).map(|k| at + k)
}

/// The value of the attribute message whose name starts at `buf[at]`: its index and length,
/// when it is a fixed-length string. The message's header precedes the name: version 1 and 2
/// `version, flags, name size, datatype size, dataspace size` (8 bytes), version 3 the same
/// and an encoding byte; version 1 pads the name, datatype and dataspace to 8 bytes.
fn attribute_value(buf: &[u8], at: usize) -> Option<(usize, u64)> {
    let u16_at = |k: usize| Some(usize::from(u16::from_le_bytes([*buf.get(k)?, *buf.get(k + 1)?])));
    let header = [(3u8, at.checked_sub(9)), (1, at.checked_sub(8)), (2, at.checked_sub(8))].into_iter().find_map(
        |(version, header)| {
            let header = header?;
            (buf[header] == version && u16_at(header + 2)? == ATTR_NAME.len()).then_some((version, header))
        },
    );
    let (version, header) = header?;
    let (datatype_size, dataspace_size) = (u16_at(header + 4)?, u16_at(header + 6)?);
    let pad = |n: usize| if version == 1 { n.next_multiple_of(8) } else { n };
    let datatype = at + pad(ATTR_NAME.len());
    let start = datatype + pad(datatype_size) + pad(dataspace_size);
    let fields = buf.get(datatype..datatype + 8)?;
    // Class 3: a fixed-length string, its length in the datatype's size field.
    if fields[0] & 0x0f != 3 || start >= buf.len() {
        return None;
    }
    Some((start, u64::from(u32::from_le_bytes(fields[4..8].try_into().ok()?))))
}

/// Reads the header of the global heap object at `buf[at]` (index, reference count,
/// reserved, size; its data follows, padded to 8 bytes): the walk's next step, and the
/// object's data when it opens like JSON.
fn heap_object(buf: &[u8], at: usize, end: u64, base: u64) -> (Option<Heap>, Option<Found>) {
    let Some(header) = buf.get(at..at + 16) else { return (None, None) };
    let index = u16::from_le_bytes([header[0], header[1]]);
    let size = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
    // Index 0 is the collection's free space: no object after it.
    if index == 0 {
        return (None, None);
    }
    let next = (base + at as u64 + 16).checked_add(size.checked_next_multiple_of(8).unwrap_or(u64::MAX));
    let heap = next.filter(|&next| next < end).map(|next| Heap { next, end });
    let start = at + 16;
    let json = (buf.get(start) == Some(&b'{')).then_some(Found::Json { start, len: Some(size), source: Source::Heap });
    (heap, json)
}

/// Reads `head`, then `rest`, counting bytes and refusing to go past `max`.
struct Feed<'a> {
    head: &'a [u8],
    rest: &'a mut dyn Read,
    count: &'a Cell<u64>,
    max: u64,
    capped: &'a Cell<bool>,
}

impl Read for Feed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let used = self.count.get();
        if used >= self.max {
            self.capped.set(true);
            return Err(io::Error::other("size cap"));
        }
        let room = (self.max - used).min(buf.len() as u64) as usize;
        let n = if self.head.is_empty() {
            self.rest.read(&mut buf[..room])?
        } else {
            let n = room.min(self.head.len());
            buf[..n].copy_from_slice(&self.head[..n]);
            self.head = &self.head[n..];
            n
        };
        self.count.set(used + n as u64);
        Ok(n)
    }
}

/// Parses one JSON value from `head` then `rest` (at most `max` bytes) and walks it; `base`
/// is the stream offset of its first byte. I/O errors of `rest` are returned (an archive
/// limit, a read error); everything wrong with the JSON is in `Parsed::error`.
pub fn parse(head: &[u8], rest: &mut dyn Read, base: u64, max: u64) -> io::Result<Parsed> {
    let (count, capped) = (Cell::new(0), Cell::new(false));
    let feed = Feed { head, rest, count: &count, max, capped: &capped };
    let walk = Walk { count: &count, base, hits: RefCell::new(Vec::new()), root: Cell::new(Root::default()) };
    let mut de = serde_json::Deserializer::from_reader(feed);
    let result = Node { walk: &walk, path: Path::Root }.deserialize(&mut de);
    let consumed = count.get();
    let root = walk.root.get();
    let error = match result {
        Ok(_) => None,
        Err(_) if capped.get() => Some(format!("larger than {max} bytes: the rest was not scanned")),
        Err(e) if e.is_io() => return Err(io::Error::from(e)),
        Err(e) => Some(format!("{} at byte {}", without_position(&e), base + consumed)),
    };
    let keras = root.class_name && (root.config || error.is_some());
    Ok(Parsed { hits: walk.hits.into_inner(), keras, consumed, error })
}

/// serde_json's message without its "at line L column C", which means little in a binary
/// file; the byte offset is given instead.
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// What the root object showed, known even when the parse fails later.
#[derive(Debug, Default, Clone, Copy)]
struct Root {
    class_name: bool,
    config: bool,
}

struct Walk<'a> {
    /// Bytes the parser has read: right after an object's `{` when it is visited.
    count: &'a Cell<u64>,
    base: u64,
    hits: RefCell<Vec<Hit>>,
    root: Cell<Root>,
}

impl Walk<'_> {
    fn hit(&self, rule: &'static Rule, offset: u64, message: String) {
        let mut hits = self.hits.borrow_mut();
        if hits.len() < MAX_HITS {
            hits.push(Hit { rule, message, offset });
        }
    }
}

/// Where a value sits, as a chain back to the root; rendered as a JSON pointer only for a
/// finding.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl Path<'_> {
    fn key(&self) -> Option<&str> {
        match self {
            Path::Key(_, key) => Some(key),
            _ => None,
        }
    }

    fn parent(&self) -> Option<&Path<'_>> {
        match self {
            Path::Root => None,
            Path::Key(parent, _) | Path::Index(parent, _) => Some(parent),
        }
    }

    /// The value is the `function` or `output_shape` of an object's `config`: its owner
    /// reports it.
    fn is_function_slot(&self) -> bool {
        matches!(self.key(), Some("function" | "output_shape")) && self.parent().and_then(Path::key) == Some("config")
    }
}

impl fmt::Display for Path<'_> {
    /// RFC 6901, `~` and `/` escaped; the root is the empty pointer, shown as `/`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn segments(path: &Path<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match path {
                Path::Root => Ok(()),
                Path::Key(parent, key) => {
                    segments(parent, f)?;
                    write!(f, "/{}", key.replace('~', "~0").replace('/', "~1"))
                }
                Path::Index(parent, i) => {
                    segments(parent, f)?;
                    write!(f, "/{i}")
                }
            }
        }
        match self {
            Path::Root => f.write_str("/"),
            path => segments(path, f),
        }
    }
}

/// What a value is, as much as its parent needs to know.
enum Seen {
    Str(String),
    Obj(Box<Summary>),
    /// An array; whether its first element is a string (Keras 2 stores a lambda as the list
    /// `[base64 bytecode, defaults, closure]`).
    Arr {
        first_str: bool,
    },
    Other,
}

/// A function as a config stores it.
#[derive(Debug, Clone, Default)]
enum FnVal {
    /// Marshaled bytecode: a Keras 3 `__lambda__` object.
    Bytecode,
    /// A Keras 3 function reference: `{"module": m, "class_name": "function", "config": n}`.
    Named {
        module: Option<String>,
        name: String,
    },
    Str(String),
    /// A list whose first element is a string.
    List,
    #[default]
    Other,
}

impl From<Seen> for FnVal {
    fn from(seen: Seen) -> FnVal {
        match seen {
            Seen::Obj(summary) => summary.as_fn,
            Seen::Str(s) => FnVal::Str(s),
            Seen::Arr { first_str: true } => FnVal::List,
            _ => FnVal::Other,
        }
    }
}

/// An object reduced to what its parent needs: what it is as a function, and, as a layer's
/// `config`, its name and the functions it holds.
#[derive(Default)]
struct Summary {
    as_fn: FnVal,
    name: Option<String>,
    module: Option<String>,
    function: Option<FnVal>,
    function_type: Option<String>,
    output_shape: Option<FnVal>,
    output_shape_type: Option<String>,
}

/// The fields of an object being read.
#[derive(Default)]
struct Fields {
    class_name: Option<String>,
    module: Option<String>,
    name: Option<String>,
    config: Option<Seen>,
    function: Option<FnVal>,
    function_type: Option<String>,
    output_shape: Option<FnVal>,
    output_shape_type: Option<String>,
}

/// Keys whose string values are kept.
const KEPT: &[&str] =
    &["class_name", "module", "name", "config", "function", "function_type", "output_shape", "output_shape_type"];

impl Fields {
    fn set(&mut self, key: &str, seen: Seen) {
        let string = |seen: Seen| match seen {
            Seen::Str(s) => Some(s),
            _ => None,
        };
        match key {
            "class_name" => self.class_name = string(seen),
            "module" => self.module = string(seen),
            "name" => self.name = string(seen),
            "function_type" => self.function_type = string(seen),
            "output_shape_type" => self.output_shape_type = string(seen),
            "config" => self.config = Some(seen),
            "function" => self.function = Some(seen.into()),
            "output_shape" => self.output_shape = Some(seen.into()),
            _ => {}
        }
    }
}

/// What a layer's `function` or `output_shape` turns out to be.
enum Code {
    Bytecode,
    Named(String),
}

impl Code {
    /// Keras 3 stores a lambda as a `__lambda__` object and a named function as a reference;
    /// Keras 2 stores either as a string or list beside a `function_type` of `lambda` or
    /// `function` (the module in the config's `module`).
    fn of(value: &FnVal, kind: Option<&str>, module: Option<&str>, is_function: bool) -> Option<Code> {
        let qualified = |module: Option<&str>, name: &str| match module {
            Some(m) if !m.is_empty() => format!("{m}.{name}"),
            _ => name.to_owned(),
        };
        match value {
            FnVal::Bytecode | FnVal::List => Some(Code::Bytecode),
            FnVal::Str(_) if kind == Some("lambda") => Some(Code::Bytecode),
            FnVal::Named { module, name } => Some(Code::Named(qualified(module.as_deref(), name))),
            FnVal::Str(name) if kind == Some("function") || (is_function && kind.is_none()) => {
                Some(Code::Named(qualified(module, name)))
            }
            _ => None,
        }
    }
}

/// Why calling `module.name` from a config is critical, if it is: a dangerous callable (the
/// pickle rule's list) or a Keras gadget.
fn danger(qualified: &str) -> Option<&'static str> {
    let (module, name) = qualified.rsplit_once('.').unwrap_or(("", qualified));
    if rules::is_dangerous(module, name) {
        Some("which runs arbitrary code")
    } else if rules::is_keras_gadget(name) {
        Some("a Keras function that defeats safe_mode when a config calls it")
    } else {
        None
    }
}

impl Walk<'_> {
    /// The rules, applied to an object once all its keys are read (so key order does not
    /// matter); returns what its parent needs.
    fn close(&self, path: &Path<'_>, offset: u64, fields: Fields) -> Summary {
        let class = fields.class_name.as_deref();
        let as_fn = match (class, &fields.config) {
            (Some("__lambda__"), _) => FnVal::Bytecode,
            (Some("function"), Some(Seen::Str(name))) => {
                FnVal::Named { module: fields.module.clone(), name: name.clone() }
            }
            _ => FnVal::Other,
        };
        if !path.is_function_slot() {
            let named = match &as_fn {
                FnVal::Named { module, name } => Some(format!("{}.{name}", module.as_deref().unwrap_or(""))),
                _ => None,
            };
            match (&as_fn, named.as_deref().and_then(|named| Some((named, danger(named)?)))) {
                (FnVal::Bytecode, _) => self.hit(
                    &rules::KERAS_EMBEDDED_CODE,
                    offset,
                    format!(
                        "`__lambda__` object at {path} is marshaled Python bytecode, run when the config is loaded"
                    ),
                ),
                (_, Some((named, why))) => {
                    let message = format!("function reference at {path} names `{named}`, {why}");
                    self.hit(&rules::KERAS_EMBEDDED_CODE, offset, message)
                }
                _ => self.custom_module(path, offset, class, fields.module.as_deref(), &as_fn),
            }
        }
        if let (Some(class), Some(Seen::Obj(config))) = (class, &fields.config) {
            let name = config.name.as_deref().or(fields.name.as_deref());
            self.layer(path, offset, class, name, config);
        }
        Summary {
            as_fn,
            name: fields.name,
            module: fields.module,
            function: fields.function,
            function_type: fields.function_type,
            output_shape: fields.output_shape,
            output_shape_type: fields.output_shape_type,
        }
    }

    /// WS012: an object from a module outside Keras.
    fn custom_module(&self, path: &Path<'_>, offset: u64, class: Option<&str>, module: Option<&str>, as_fn: &FnVal) {
        let (Some(class), Some(module)) = (class, module) else { return };
        if rules::is_keras_module(module) {
            return;
        }
        let what = match as_fn {
            FnVal::Named { name, .. } => format!("function `{module}.{name}`"),
            _ => format!("`{class}`"),
        };
        let message =
            format!("{what} at {path} comes from module `{module}`, outside Keras: loading the model imports it");
        self.hit(&rules::KERAS_CUSTOM_OBJECT, offset, message);
    }

    /// WS011 and WS014: what a layer's `config` makes it call.
    fn layer(&self, path: &Path<'_>, offset: u64, class: &str, name: Option<&str>, config: &Summary) {
        let lambda = class == "Lambda";
        let who = match (lambda, name) {
            (true, Some(name)) => format!("Lambda layer `{name}`"),
            (true, None) => "Lambda layer".to_owned(),
            (false, Some(name)) => format!("layer `{name}` ({class})"),
            (false, None) => format!("`{class}` object"),
        };
        let slots = [
            ("function", &config.function, config.function_type.as_deref(), true),
            ("output_shape", &config.output_shape, config.output_shape_type.as_deref(), false),
        ];
        let mut critical = false;
        let mut calls = Vec::new();
        for (slot, value, kind, is_function) in slots {
            let Some(value) = value else { continue };
            match Code::of(value, kind, config.module.as_deref(), is_function) {
                Some(Code::Bytecode) => {
                    critical = true;
                    let message = format!(
                        "{who} at {path}: its `{slot}` is marshaled Python bytecode, run when the model is loaded"
                    );
                    self.hit(&rules::KERAS_EMBEDDED_CODE, offset, message);
                }
                Some(Code::Named(qualified)) if danger(&qualified).is_some() => {
                    critical = true;
                    let why = danger(&qualified).unwrap_or_default();
                    let message = format!("{who} at {path}: its `{slot}` is `{qualified}`, {why}");
                    self.hit(&rules::KERAS_EMBEDDED_CODE, offset, message);
                }
                Some(Code::Named(qualified)) => {
                    let (module, _) = qualified.rsplit_once('.').unwrap_or(("", &qualified));
                    if !lambda && !module.is_empty() && !rules::is_keras_module(module) {
                        let message = format!("{who} at {path}: its `{slot}` is `{qualified}`, from outside Keras");
                        self.hit(&rules::KERAS_CUSTOM_OBJECT, offset, message);
                    }
                    calls.push(format!("`{qualified}`"));
                }
                None => {}
            }
        }
        if lambda && !critical {
            let message = match calls.as_slice() {
                [] => format!("{who} at {path} runs a Python function the scanner could not identify"),
                calls => format!("{who} at {path} calls {}, imported when the model is loaded", calls.join(" and ")),
            };
            self.hit(&rules::KERAS_LAMBDA_LAYER, offset, message);
        }
    }
}

fn clip(s: &str) -> String {
    let mut end = s.len().min(MAX_STRING);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A value at `path`.
struct Node<'w, 'p> {
    walk: &'w Walk<'w>,
    path: Path<'p>,
}

impl Node<'_, '_> {
    fn keeps_strings(&self) -> bool {
        match self.path {
            Path::Key(_, key) => KEPT.contains(&key),
            Path::Index(_, i) => i == 0,
            Path::Root => false,
        }
    }
}

impl<'de> DeserializeSeed<'de> for Node<'_, '_> {
    type Value = Seen;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Seen, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_, '_> {
    type Value = Seen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Seen, E> {
        Ok(if self.keeps_strings() { Seen::Str(clip(s)) } else { Seen::Other })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        let mut first_str = false;
        let mut i = 0;
        while let Some(seen) = seq.next_element_seed(Node { walk: self.walk, path: Path::Index(&self.path, i) })? {
            if i == 0 {
                first_str = matches!(seen, Seen::Str(_));
            }
            i += 1;
        }
        Ok(Seen::Arr { first_str })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        let offset = self.walk.base + self.walk.count.get().saturating_sub(1);
        let root = matches!(self.path, Path::Root);
        let mut fields = Fields::default();
        let mut read = || {
            while let Some(key) = map.next_key_seed(Key)? {
                let seen = map.next_value_seed(Node { walk: self.walk, path: Path::Key(&self.path, &key) })?;
                if root {
                    let mut state = self.walk.root.get();
                    state.class_name |= key == "class_name" && matches!(seen, Seen::Str(_));
                    state.config |= key == "config";
                    self.walk.root.set(state);
                }
                fields.set(&key, seen);
            }
            Ok(())
        };
        let result = read();
        // A config cut short is still judged on what it holds: the rules run on the fields read
        // before the error, in this object and in every one that encloses it.
        let summary = self.walk.close(&self.path, offset, fields);
        result.map(|()| Seen::Obj(Box::new(summary)))
    }
}

/// An object key, clipped.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<String, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        Ok(clip(s))
    }
}

#[cfg(test)]
mod tests;
