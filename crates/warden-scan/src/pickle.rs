//! A streaming pickle opcode walker (protocols 0-5) that never unpickles.
//!
//! Loading a pickle runs whatever callables it imports, so the only safe way to judge one is
//! to read its opcodes. The walker keeps a simulated stack and memo that track just enough to
//! name every import (GLOBAL and INST inline, STACK_GLOBAL from two constant strings, possibly
//! through the memo) and to see which imports get called (REDUCE, BUILD, NEWOBJ, NEWOBJ_EX,
//! OBJ, INST). Everything else is an opaque value. Memory stays flat: strings keep a short
//! prefix, payloads are skipped in the reader's buffer, and the stack and memo are capped;
//! past a cap the walker keeps reading opcodes but stops trusting what it tracked, so an import
//! it can no longer resolve is reported as unresolvable rather than guessed.

mod text;

use std::collections::HashMap;
use std::io::{self, Cursor};

use crate::source::{Kept, Src};

/// Caps on what the simulation keeps.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Values on the simulated stack (marks included).
    pub max_stack: usize,
    /// Memo entries.
    pub max_memo: usize,
    /// Bytes of string kept in the memo, all entries together.
    pub max_memo_string_bytes: usize,
    /// Bytes kept of one string; a longer module or class name cannot be resolved.
    pub max_string: usize,
    /// Distinct imports tracked per pickle for call attribution.
    pub max_imports: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_stack: 100_000,
            max_memo: 1_000_000,
            max_memo_string_bytes: 16 << 20,
            max_string: 256,
            max_imports: 10_000,
        }
    }
}

/// How a stream is read.
#[derive(Debug, Clone, Copy)]
pub struct Mode {
    /// The stream is known to be pickle data (by its name or format), so a parse failure is
    /// reported. False for a member that merely starts like a pickle: a failure is then silent,
    /// though imports seen before it are still reported.
    pub strict: bool,
    /// Stop after this many pickles: a PyTorch legacy file holds five, then raw storage bytes.
    pub max_pickles: Option<u32>,
}

impl Mode {
    pub const STRICT: Mode = Mode { strict: true, max_pickles: None };
    pub const SPECULATIVE: Mode = Mode { strict: false, max_pickles: None };
}

/// An import seen in one pickle, with the opcodes that called it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub module: String,
    pub name: String,
    /// Offset of the first opcode that imported it.
    pub offset: u64,
    pub opcode: &'static str,
    pub calls: Vec<&'static str>,
}

/// What the walker reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Import(Import),
    /// An import whose module or name is not a constant string (built at run time, taken from
    /// the extension registry, or past a tracking limit).
    Unresolved {
        offset: u64,
        opcode: &'static str,
        detail: String,
    },
    /// Not a pickle, or a corrupt or truncated one (only in strict mode).
    Corrupt {
        offset: u64,
        detail: String,
    },
    /// A tracking limit was reached; later imports through the stack become unresolvable.
    Limit {
        offset: u64,
        detail: String,
    },
}

/// How the walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Every pickle ended with STOP (and the stream ended, or `max_pickles` was reached).
    Complete,
    /// The stream ended inside a pickle.
    Truncated,
    /// An unknown opcode or an impossible operation.
    Invalid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub pickles: u32,
    pub end: End,
}

/// Walks every pickle in `src` (several may follow each other) and reports to `sink`.
/// I/O errors other than the end of the stream are returned; a truncated stream is an event.
pub fn walk(src: &mut Src, mode: Mode, limits: &Limits, sink: &mut dyn FnMut(Event)) -> io::Result<Outcome> {
    let mut pickles = 0;
    loop {
        if mode.max_pickles.is_some_and(|max| pickles >= max) {
            return Ok(Outcome { pickles, end: End::Complete });
        }
        match src.peek()? {
            None if pickles > 0 => return Ok(Outcome { pickles, end: End::Complete }),
            // Only a PROTO opcode can start a further pickle in speculative mode: raw tensor
            // bytes after the last pickle would otherwise read as opcodes.
            Some(b) if pickles > 0 && !mode.strict && b != 0x80 => {
                return Ok(Outcome { pickles, end: End::Complete });
            }
            _ => {}
        }
        let mut machine = Machine::new(limits);
        let result = machine.run(src, sink);
        machine.flush(sink);
        let (offset, end, detail) = match result {
            Ok(()) => {
                pickles += 1;
                continue;
            }
            Err((_, Fail::Io(e))) => return Err(e),
            Err((_, Fail::Truncated)) => {
                (src.pos(), End::Truncated, "truncated pickle: the data ends before STOP".into())
            }
            Err((at, Fail::Invalid(detail))) => (at, End::Invalid, detail),
        };
        if mode.strict {
            sink(Event::Corrupt { offset, detail });
        }
        return Ok(Outcome { pickles, end });
    }
}

/// Whether a stream prefix reads as a pickle: it parses to STOP, or to the end of an
/// incomplete prefix, or it imports a well-formed name before failing (a malicious pickle
/// followed by junk still runs its import, so it must still be scanned).
pub fn looks_like_pickle(prefix: &[u8], complete: bool) -> bool {
    let Some(&first) = prefix.first() else { return false };
    if first == 0x80 {
        return prefix.get(1).is_none_or(|&proto| proto <= 5);
    }
    // Opcodes that can come first: those that push onto an empty stack. A PROTO header is
    // optional, so `\x8c\x02os...` without one still loads and must still be scanned.
    if !b"(c]})NILFGSVUTXBCKJMP\x82\x83\x84\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x95\x96\x97".contains(&first) {
        return false;
    }
    let mut imported = false;
    let mut sink = |event: Event| {
        if let Event::Import(i) = event {
            imported |= identifier(&i.module) && identifier(&i.name);
        }
    };
    let mut cursor = Cursor::new(prefix);
    let mut src = Src::new(&mut cursor);
    let mode = Mode { strict: true, max_pickles: Some(1) };
    match walk(&mut src, mode, &Limits::default(), &mut sink) {
        Ok(Outcome { end: End::Complete, .. }) => true,
        Ok(Outcome { end: End::Truncated, .. }) => !complete || imported,
        _ => imported,
    }
}

fn identifier(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A string kept from the pickle.
#[derive(Debug, Clone)]
struct Text {
    text: String,
    truncated: bool,
}

#[derive(Debug, Clone)]
enum Value {
    /// Anything the scan does not need to know.
    Other,
    Str(Box<Text>),
    /// An imported object (an index into this pickle's imports).
    Global(u32),
    /// The result of calling an import.
    Made(u32),
}

enum Fail {
    Truncated,
    Invalid(String),
    Io(io::Error),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        if e.kind() == io::ErrorKind::UnexpectedEof { Fail::Truncated } else { Fail::Io(e) }
    }
}

fn invalid<T>(detail: impl Into<String>) -> Result<T, Fail> {
    Err(Fail::Invalid(detail.into()))
}

/// The memo. Its keys are almost always 0, 1, 2, ... (MEMOIZE numbers them, and
/// picklers number PUTs the same way), so a vector indexed by key holds them: a hash
/// map here cost most of the scan time of memo-heavy pickles. A key far past the
/// end goes to a map, so a crafted key cannot make the vector huge: it grows by at
/// most `GAP` past its end and never beyond twice the memo cap.
#[derive(Default)]
struct Memo {
    dense: Vec<Option<Value>>,
    sparse: HashMap<u64, Value>,
    len: usize,
}

impl Memo {
    const GAP: u64 = 1024;

    fn get(&self, key: u64) -> Option<&Value> {
        match usize::try_from(key).ok().and_then(|i| self.dense.get(i)) {
            Some(slot) => slot.as_ref(),
            None => self.sparse.get(&key),
        }
    }

    fn len(&self) -> usize {
        self.len
    }

    fn insert(&mut self, key: u64, value: Value, cap: usize) {
        let end = self.dense.len() as u64;
        let bound = 2 * cap as u64;
        let added = if key < end || (key < end + Self::GAP && key < bound) {
            let i = key as usize;
            if i >= self.dense.len() {
                self.dense.resize_with(i + 1, || None);
            }
            self.dense[i].replace(value).is_none()
        } else {
            self.sparse.insert(key, value).is_none()
        };
        if added {
            self.len += 1;
        }
    }
}

/// The simulated unpickler for one pickle.
struct Machine<'l> {
    limits: &'l Limits,
    stack: Vec<Value>,
    /// Stack lengths at each MARK.
    marks: Vec<usize>,
    memo: Memo,
    memo_string_bytes: usize,
    /// The memo overflowed and was dropped: a missing key is no longer an error.
    memo_lost: bool,
    /// The stack overflowed and was dropped: an underflow is no longer an error.
    stack_lost: bool,
    imports: Vec<Import>,
    index: HashMap<(String, String), u32>,
}

impl<'l> Machine<'l> {
    fn new(limits: &'l Limits) -> Self {
        Machine {
            limits,
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            memo_string_bytes: 0,
            memo_lost: false,
            stack_lost: false,
            imports: Vec::new(),
            index: HashMap::new(),
        }
    }

    fn run(&mut self, src: &mut Src, sink: &mut dyn FnMut(Event)) -> Result<(), (u64, Fail)> {
        loop {
            let at = src.pos();
            let op = src.byte().map_err(|e| (at, Fail::from(e)))?;
            match self.step(src, sink, op, at) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(fail) => return Err((at, fail)),
            }
        }
    }

    /// Reports the imports of this pickle, with the calls seen.
    fn flush(&mut self, sink: &mut dyn FnMut(Event)) {
        for import in self.imports.drain(..) {
            sink(Event::Import(import));
        }
    }

    /// Runs one opcode; true at STOP.
    fn step(&mut self, src: &mut Src, sink: &mut dyn FnMut(Event), op: u8, at: u64) -> Result<bool, Fail> {
        let keep = self.limits.max_string;
        match op {
            // Integers, floats, constants.
            b'I' | b'L' => {
                let line = src.line(64)?;
                if !line.truncated && !text::plausible_int(&line.bytes) {
                    return invalid(format!("{} argument is not an integer", if op == b'I' { "INT" } else { "LONG" }));
                }
                self.push(sink, at, Value::Other);
            }
            b'F' => {
                src.line(0)?;
                self.push(sink, at, Value::Other);
            }
            b'J' => self.skip_push(src, sink, at, 4)?,
            b'K' => self.skip_push(src, sink, at, 1)?,
            b'M' => self.skip_push(src, sink, at, 2)?,
            b'G' => self.skip_push(src, sink, at, 8)?,
            0x8a => {
                let n = src.byte()?;
                self.skip_push(src, sink, at, u64::from(n))?;
            }
            0x8b => {
                let n = signed_len(src, "LONG4")?;
                self.skip_push(src, sink, at, n)?;
            }
            b'N' | 0x88 | 0x89 => self.push(sink, at, Value::Other),
            // Strings: the only values that can name an import.
            b'S' => {
                let line = src.line(keep * 4 + 2)?;
                let value = if line.truncated {
                    long_text()
                } else {
                    match text::string_literal(&line.bytes) {
                        Ok(bytes) => self.text(&bytes, false),
                        Err(detail) => return invalid(detail),
                    }
                };
                self.push(sink, at, value);
            }
            b'V' => {
                let line = src.line(keep * 10)?;
                let value = if line.truncated {
                    long_text()
                } else {
                    match text::raw_unicode_escape(&line.bytes) {
                        Ok(s) => self.text(s.as_bytes(), false),
                        Err(detail) => return invalid(detail),
                    }
                };
                self.push(sink, at, value);
            }
            b'T' => {
                let n = signed_len(src, "BINSTRING")?;
                self.string_push(src, sink, at, n)?;
            }
            b'U' => {
                let n = src.byte()?;
                self.string_push(src, sink, at, u64::from(n))?;
            }
            b'X' => {
                let n = u32::from_le_bytes(src.array()?);
                self.string_push(src, sink, at, u64::from(n))?;
            }
            0x8c => {
                let n = src.byte()?;
                self.string_push(src, sink, at, u64::from(n))?;
            }
            0x8d => {
                let n = u64::from_le_bytes(src.array()?);
                self.string_push(src, sink, at, n)?;
            }
            // Bytes and buffers: skipped, never kept.
            b'B' => {
                let n = u32::from_le_bytes(src.array()?);
                self.skip_push(src, sink, at, u64::from(n))?;
            }
            b'C' => {
                let n = src.byte()?;
                self.skip_push(src, sink, at, u64::from(n))?;
            }
            0x8e | 0x96 => {
                let n = u64::from_le_bytes(src.array()?);
                self.skip_push(src, sink, at, n)?;
            }
            0x97 => self.push(sink, at, Value::Other),
            0x98 => {
                self.top()?;
            }
            // Containers.
            b']' | b')' | b'}' | 0x8f => self.push(sink, at, Value::Other),
            b'a' => {
                self.pop()?;
                self.top()?;
            }
            b'e' | b'u' | 0x90 => {
                self.pop_mark()?;
                self.top()?;
            }
            b'l' | b't' | b'd' | 0x91 => {
                self.pop_mark()?;
                self.push(sink, at, Value::Other);
            }
            0x85..=0x87 => {
                for _ in 0..=(op - 0x85) {
                    self.pop()?;
                }
                self.push(sink, at, Value::Other);
            }
            b's' => {
                self.pop()?;
                self.pop()?;
                self.top()?;
            }
            // Stack manipulation.
            // POP on an empty frame pops the MARK, as CPython does.
            b'0' => {
                if self.stack.len() > self.base() || self.marks.is_empty() {
                    self.pop()?;
                } else {
                    self.pop_mark()?;
                }
            }
            b'2' => {
                let top = self.top()?;
                self.push(sink, at, top);
            }
            b'(' => self.mark(sink, at),
            b'1' => {
                self.pop_mark()?;
            }
            // Memo.
            b'g' => {
                let key = memo_key(&src.line(64)?, "GET")?;
                self.get(sink, at, key)?;
            }
            b'h' => {
                let key = src.byte()?;
                self.get(sink, at, Some(u64::from(key)))?;
            }
            b'j' => {
                let key = u32::from_le_bytes(src.array()?);
                self.get(sink, at, Some(u64::from(key)))?;
            }
            b'p' => {
                let Some(key) = memo_key(&src.line(64)?, "PUT")? else {
                    return invalid("negative PUT argument");
                };
                self.put(sink, at, key)?;
            }
            b'q' => {
                let key = src.byte()?;
                self.put(sink, at, u64::from(key))?;
            }
            b'r' => {
                let key = u32::from_le_bytes(src.array()?);
                self.put(sink, at, u64::from(key))?;
            }
            0x94 => {
                let key = self.memo.len() as u64;
                self.put(sink, at, key)?;
            }
            // Imports.
            b'c' => {
                let (module, name) = (src.line(keep)?, src.line(keep)?);
                let value = self.inline_import(sink, at, "GLOBAL", &module, &name);
                self.push(sink, at, value);
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let value = self.stack_global(sink, at, module, name);
                self.push(sink, at, value);
            }
            0x82..=0x84 => {
                let code = match op {
                    0x82 => u32::from(src.byte()?),
                    0x83 => u32::from(u16::from_le_bytes(src.array()?)),
                    _ => u32::from_le_bytes(src.array()?),
                };
                let detail = format!("extension registry code {code} names an import only the loading process knows");
                sink(Event::Unresolved { offset: at, opcode: opcode_name(op), detail });
                self.push(sink, at, Value::Other);
            }
            // Calls.
            b'R' => {
                self.pop()?;
                let func = self.pop()?;
                let made = self.call(&func, "REDUCE");
                self.push(sink, at, made);
            }
            b'b' => {
                self.pop()?;
                let inst = self.top()?;
                self.call(&inst, "BUILD");
            }
            b'i' => {
                let (module, name) = (src.line(keep)?, src.line(keep)?);
                self.pop_mark()?;
                let class = self.inline_import(sink, at, "INST", &module, &name);
                let made = self.call(&class, "INST");
                self.push(sink, at, made);
            }
            b'o' => {
                let mut items = self.pop_mark()?;
                if items.is_empty() && !self.stack_lost {
                    return invalid("OBJ without a class");
                }
                let class = if items.is_empty() { Value::Other } else { items.swap_remove(0) };
                let made = self.call(&class, "OBJ");
                self.push(sink, at, made);
            }
            0x81 => {
                self.pop()?;
                let class = self.pop()?;
                let made = self.call(&class, "NEWOBJ");
                self.push(sink, at, made);
            }
            0x92 => {
                self.pop()?;
                self.pop()?;
                let class = self.pop()?;
                let made = self.call(&class, "NEWOBJ_EX");
                self.push(sink, at, made);
            }
            // Persistent ids (PyTorch storages): the loader's own hook, not an import.
            b'P' => {
                src.line(0)?;
                self.push(sink, at, Value::Other);
            }
            b'Q' => {
                self.pop()?;
                self.push(sink, at, Value::Other);
            }
            // Machine control.
            0x80 => {
                let proto = src.byte()?;
                if proto > 5 {
                    return invalid(format!("unsupported pickle protocol {proto}"));
                }
            }
            0x95 => {
                src.array::<8>()?;
            }
            b'.' => {
                self.pop()?;
                return Ok(true);
            }
            other => return invalid(format!("unknown opcode 0x{other:02x}: not a pickle or corrupt")),
        }
        Ok(false)
    }

    fn skip_push(&mut self, src: &mut Src, sink: &mut dyn FnMut(Event), at: u64, n: u64) -> Result<(), Fail> {
        src.skip(n)?;
        self.push(sink, at, Value::Other);
        Ok(())
    }

    fn string_push(&mut self, src: &mut Src, sink: &mut dyn FnMut(Event), at: u64, n: u64) -> Result<(), Fail> {
        let Kept { bytes, truncated } = src.read_kept(n, self.limits.max_string)?;
        let value = self.text(&bytes, truncated);
        self.push(sink, at, value);
        Ok(())
    }

    fn text(&self, bytes: &[u8], truncated: bool) -> Value {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        let too_long = text.len() > self.limits.max_string;
        if too_long {
            let mut cut = self.limits.max_string;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        Value::Str(Box::new(Text { text, truncated: truncated || too_long }))
    }

    /// Stack length at the innermost MARK: pops may not go below it.
    fn base(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn push(&mut self, sink: &mut dyn FnMut(Event), at: u64, value: Value) {
        if self.stack.len() + self.marks.len() >= self.limits.max_stack {
            self.lose_stack(sink, at);
        }
        self.stack.push(value);
    }

    fn mark(&mut self, sink: &mut dyn FnMut(Event), at: u64) {
        if self.stack.len() + self.marks.len() >= self.limits.max_stack {
            self.lose_stack(sink, at);
        }
        self.marks.push(self.stack.len());
    }

    /// Drops the stack when it outgrows its cap (a pickle crafted to exhaust memory): values
    /// below are then unknown, which makes any import built from them unresolvable.
    fn lose_stack(&mut self, sink: &mut dyn FnMut(Event), at: u64) {
        if !self.stack_lost {
            let detail = format!(
                "pickle stack deeper than {} entries: analysis continues without the older entries",
                self.limits.max_stack
            );
            sink(Event::Limit { offset: at, detail });
        }
        self.stack_lost = true;
        self.stack.clear();
        self.marks.clear();
    }

    fn pop(&mut self) -> Result<Value, Fail> {
        if self.stack.len() > self.base() {
            return Ok(self.stack.pop().unwrap_or(Value::Other));
        }
        if self.stack_lost { Ok(Value::Other) } else { invalid("unpickling stack underflow") }
    }

    fn top(&self) -> Result<Value, Fail> {
        match self.stack.last() {
            Some(v) if self.stack.len() > self.base() => Ok(v.clone()),
            _ if self.stack_lost => Ok(Value::Other),
            _ => invalid("unpickling stack underflow"),
        }
    }

    fn pop_mark(&mut self) -> Result<Vec<Value>, Fail> {
        match self.marks.pop() {
            Some(at) => Ok(self.stack.split_off(at)),
            None if self.stack_lost => Ok(std::mem::take(&mut self.stack)),
            None => invalid("could not find MARK"),
        }
    }

    fn get(&mut self, sink: &mut dyn FnMut(Event), at: u64, key: Option<u64>) -> Result<(), Fail> {
        let value = match key.and_then(|k| self.memo.get(k)) {
            Some(v) => v.clone(),
            None if self.memo_lost => Value::Other,
            None => return invalid("memo value not found"),
        };
        self.push(sink, at, value);
        Ok(())
    }

    fn put(&mut self, sink: &mut dyn FnMut(Event), at: u64, key: u64) -> Result<(), Fail> {
        let mut value = self.top()?;
        if self.memo_lost {
            return Ok(());
        }
        if self.memo.len() >= self.limits.max_memo && self.memo.get(key).is_none() {
            let detail =
                format!("pickle memo larger than {} entries: memo lookups are no longer tracked", self.limits.max_memo);
            sink(Event::Limit { offset: at, detail });
            self.memo_lost = true;
            self.memo = Memo::default();
            return Ok(());
        }
        if let Value::Str(text) = &value {
            self.memo_string_bytes += text.text.len();
            if self.memo_string_bytes > self.limits.max_memo_string_bytes {
                value = long_text();
            }
        }
        self.memo.insert(key, value, self.limits.max_memo);
        Ok(())
    }

    fn inline_import(
        &mut self,
        sink: &mut dyn FnMut(Event),
        at: u64,
        opcode: &'static str,
        module: &Kept,
        name: &Kept,
    ) -> Value {
        if module.truncated || name.truncated {
            let detail = format!("{opcode} module or name longer than {} bytes", self.limits.max_string);
            sink(Event::Unresolved { offset: at, opcode, detail });
            return Value::Other;
        }
        let module = String::from_utf8_lossy(&module.bytes);
        let name = String::from_utf8_lossy(&name.bytes);
        self.import(sink, at, opcode, &module, &name)
    }

    fn stack_global(&mut self, sink: &mut dyn FnMut(Event), at: u64, module: Value, name: Value) -> Value {
        let problems: Vec<String> = [(&module, "module"), (&name, "name")]
            .into_iter()
            .filter_map(|(value, role)| unusable(value).map(|why| format!("{role} is {why}")))
            .collect();
        match (&module, &name) {
            (Value::Str(m), Value::Str(n)) if problems.is_empty() => {
                self.import(sink, at, "STACK_GLOBAL", &m.text, &n.text)
            }
            _ => {
                let detail = problems.join(" and ");
                sink(Event::Unresolved { offset: at, opcode: "STACK_GLOBAL", detail });
                Value::Other
            }
        }
    }

    fn import(
        &mut self,
        sink: &mut dyn FnMut(Event),
        at: u64,
        opcode: &'static str,
        module: &str,
        name: &str,
    ) -> Value {
        let key = (module.to_owned(), name.to_owned());
        if let Some(&i) = self.index.get(&key) {
            return Value::Global(i);
        }
        let import = Import { module: key.0.clone(), name: key.1.clone(), offset: at, opcode, calls: Vec::new() };
        if self.imports.len() >= self.limits.max_imports {
            // Reported now, without call attribution, so the table stays bounded.
            sink(Event::Import(import));
            return Value::Other;
        }
        let i = self.imports.len() as u32;
        self.imports.push(import);
        self.index.insert(key, i);
        Value::Global(i)
    }

    /// Records that `target` is called by `opcode` and returns the result.
    fn call(&mut self, target: &Value, opcode: &'static str) -> Value {
        match target {
            Value::Global(i) | Value::Made(i) => {
                let calls = &mut self.imports[*i as usize].calls;
                if !calls.contains(&opcode) {
                    calls.push(opcode);
                }
                Value::Made(*i)
            }
            _ => Value::Other,
        }
    }
}

fn long_text() -> Value {
    Value::Str(Box::new(Text { text: String::new(), truncated: true }))
}

/// Why a value cannot name a module or class, if it cannot.
fn unusable(value: &Value) -> Option<&'static str> {
    match value {
        Value::Str(text) if text.truncated => Some("a string too long to keep"),
        Value::Str(_) => None,
        Value::Global(_) => Some("an imported object"),
        Value::Made(_) => Some("the result of a call"),
        Value::Other => Some("not a constant string (computed, bytes, or past a tracking limit)"),
    }
}

/// A signed 4-byte length (BINSTRING, LONG4); negative is an error in CPython.
fn signed_len(src: &mut Src, opcode: &str) -> Result<u64, Fail> {
    let n = i32::from_le_bytes(src.array()?);
    u64::try_from(n).or_else(|_| invalid(format!("{opcode} has a negative byte count")))
}

/// A text memo key; `None` for a negative one (never found).
fn memo_key(line: &Kept, opcode: &str) -> Result<Option<u64>, Fail> {
    match text::py_int(&line.bytes) {
        Some(int) if !line.truncated => match (int.negative, int.value) {
            (false, Some(v)) => Ok(Some(v)),
            (true, _) => Ok(None),
            (false, None) => invalid(format!("{opcode} key too large")),
        },
        _ => invalid(format!("{opcode} argument is not an integer")),
    }
}

fn opcode_name(op: u8) -> &'static str {
    match op {
        0x82 => "EXT1",
        0x83 => "EXT2",
        _ => "EXT4",
    }
}

#[cfg(test)]
mod tests;
