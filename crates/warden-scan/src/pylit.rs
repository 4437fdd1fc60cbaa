//! A parser for the small subset of Python literals a `.npy` header uses (a dict of strings,
//! booleans, integers, tuples and lists), so the header is read, never evaluated.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lit {
    Str(String),
    Int(i128),
    Bool(bool),
    None,
    /// Tuples and lists alike.
    Seq(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

const MAX_DEPTH: usize = 32;

pub fn parse(text: &str) -> Result<Lit, String> {
    let mut p = Parser { s: text.as_bytes(), i: 0 };
    let value = p.value(0)?;
    p.space();
    if p.i != p.s.len() {
        return Err(format!("unexpected text at column {}", p.i));
    }
    Ok(value)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.s.get(self.i).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Lit, String> {
        if depth > MAX_DEPTH {
            return Err("literal nested too deep".into());
        }
        match self.peek().ok_or("unexpected end")? {
            q @ (b'\'' | b'"') => self.string(q),
            b'(' => Ok(Lit::Seq(self.items(b')', depth)?)),
            b'[' => Ok(Lit::Seq(self.items(b']', depth)?)),
            b'{' => self.dict(depth),
            b'-' | b'0'..=b'9' => self.int(),
            _ => self.word(),
        }
    }

    fn string(&mut self, quote: u8) -> Result<Lit, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let c = *self.s.get(self.i).ok_or("unterminated string")?;
            self.i += 1;
            match c {
                b'\\' => {
                    let escaped = *self.s.get(self.i).ok_or("unterminated string")?;
                    self.i += 1;
                    out.push(char::from(escaped));
                }
                c if c == quote => return Ok(Lit::Str(out)),
                c => out.push(char::from(c)),
            }
        }
    }

    fn items(&mut self, close: u8, depth: usize) -> Result<Vec<Lit>, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.i += 1;
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {}
                _ => return Err("expected `,` or a closing bracket".into()),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Lit, String> {
        self.i += 1;
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.i += 1;
                return Ok(Lit::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            if self.peek() != Some(b':') {
                return Err("expected `:` in dict".into());
            }
            self.i += 1;
            entries.push((key, self.value(depth + 1)?));
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err("expected `,` or `}`".into()),
            }
        }
    }

    fn int(&mut self) -> Result<Lit, String> {
        let start = self.i;
        self.i += 1;
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_digit() || *c == b'L') {
            self.i += 1;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default().trim_end_matches('L');
        text.parse().map(Lit::Int).map_err(|_| format!("bad integer `{text}`"))
    }

    fn word(&mut self) -> Result<Lit, String> {
        let start = self.i;
        while self.s.get(self.i).is_some_and(u8::is_ascii_alphabetic) {
            self.i += 1;
        }
        match &self.s[start..self.i] {
            b"True" => Ok(Lit::Bool(true)),
            b"False" => Ok(Lit::Bool(false)),
            b"None" => Ok(Lit::None),
            _ => Err(format!("unexpected text at column {start}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_headers() {
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        let Lit::Dict(entries) = parse(header).unwrap() else { panic!() };
        assert_eq!(entries[0], (Lit::Str("descr".into()), Lit::Str("<f4".into())));
        assert_eq!(entries[2].1, Lit::Seq(vec![Lit::Int(3), Lit::Int(4)]));
        let structured = "{'descr': [('a', '<i4'), ('b', '|O', (2,))], 'fortran_order': False, 'shape': (), }";
        assert!(parse(structured).is_ok());
    }

    #[test]
    fn rejects_code_and_runaway_nesting() {
        assert!(parse("__import__('os')").is_err());
        assert!(parse("{'a': 1} + 1").is_err());
        assert!(parse(&"(".repeat(10_000)).is_err());
    }
}
