//! A byte source that counts its offset, so every finding can say where it is, and that
//! never allocates from a length read out of the file: long strings keep a short prefix
//! and the rest is skipped in the reader's own buffer.

use std::io::{self, BufRead, Read};

/// Bytes kept from a field whose full length may be much larger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    pub bytes: Vec<u8>,
    /// The field was longer than what was kept.
    pub truncated: bool,
}

pub struct Src<'a> {
    inner: &'a mut dyn BufRead,
    pos: u64,
}

impl<'a> Src<'a> {
    pub fn new(inner: &'a mut dyn BufRead) -> Self {
        Src { inner, pos: 0 }
    }

    /// Offset of the next byte from the start of this stream.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// The next byte without consuming it; `None` at the end of the stream.
    pub fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.inner.fill_buf()?.first().copied())
    }

    pub fn byte(&mut self) -> io::Result<u8> {
        match self.peek()? {
            Some(b) => {
                self.inner.consume(1);
                self.pos += 1;
                Ok(b)
            }
            None => Err(eof()),
        }
    }

    pub fn array<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut out = [0; N];
        self.inner.read_exact(&mut out)?;
        self.pos += N as u64;
        Ok(out)
    }

    /// Reads a field of `len` bytes and keeps at most `keep` of them.
    pub fn read_kept(&mut self, len: u64, keep: usize) -> io::Result<Kept> {
        let kept = len.min(keep as u64) as usize;
        let mut bytes = vec![0; kept];
        self.inner.read_exact(&mut bytes)?;
        self.pos += kept as u64;
        self.skip(len - kept as u64)?;
        Ok(Kept { bytes, truncated: len > kept as u64 })
    }

    /// Skips `n` bytes through the reader's buffer: flat memory whatever `n` is.
    pub fn skip(&mut self, n: u64) -> io::Result<()> {
        let mut left = n;
        while left > 0 {
            let available = self.inner.fill_buf()?.len();
            if available == 0 {
                return Err(eof());
            }
            let step = left.min(available as u64) as usize;
            self.inner.consume(step);
            self.pos += step as u64;
            left -= step as u64;
        }
        Ok(())
    }

    /// Skips to the end of the stream and returns how many bytes that was.
    pub fn skip_to_end(&mut self) -> io::Result<u64> {
        let start = self.pos;
        loop {
            let available = self.inner.fill_buf()?.len();
            if available == 0 {
                return Ok(self.pos - start);
            }
            self.inner.consume(available);
            self.pos += available as u64;
        }
    }

    /// Reads a line ending in `\n` (the newline is consumed, not kept) and keeps at most
    /// `keep` bytes of it. A stream that ends before the newline is truncated.
    pub fn line(&mut self, keep: usize) -> io::Result<Kept> {
        let mut kept = Kept::default();
        loop {
            let buf = self.inner.fill_buf()?;
            if buf.is_empty() {
                return Err(eof());
            }
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            let room = keep.saturating_sub(kept.bytes.len());
            kept.bytes.extend_from_slice(&buf[..chunk.min(room)]);
            kept.truncated |= chunk > room;
            let used = chunk + usize::from(done);
            self.inner.consume(used);
            self.pos += used as u64;
            if done {
                return Ok(kept);
            }
        }
    }
}

impl Read for Src<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

pub fn eof() -> io::Error {
    io::Error::from(io::ErrorKind::UnexpectedEof)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_keeps_a_prefix_and_counts_the_rest() {
        let mut data: &[u8] = b"abcdef\nxy\n";
        let mut src = Src::new(&mut data);
        let line = src.line(3).unwrap();
        assert_eq!(line.bytes, b"abc");
        assert!(line.truncated);
        assert_eq!(src.pos(), 7);
        assert_eq!(src.line(3).unwrap(), Kept { bytes: b"xy".to_vec(), truncated: false });
        assert!(src.line(3).is_err());
    }

    #[test]
    fn bytes_never_allocates_the_declared_length() {
        let mut data: &[u8] = b"short";
        let mut src = Src::new(&mut data);
        let err = src.read_kept(u64::MAX, 4).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn skip_and_position() {
        let mut data: &[u8] = &[1, 2, 3, 4, 5];
        let mut src = Src::new(&mut data);
        src.skip(3).unwrap();
        assert_eq!(src.byte().unwrap(), 4);
        assert_eq!(src.pos(), 4);
        assert_eq!(src.skip_to_end().unwrap(), 1);
        assert_eq!(src.peek().unwrap(), None);
    }
}
