//! Readers that count and cap what comes out of archives and decompressors, so a zip bomb
//! stops at a limit instead of filling memory or disk.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

/// A limit reached while reading; carried inside an `io::Error` through parsers that know
/// nothing about it, and turned into a finding at the top.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LimitHit {
    #[error("more than {0} bytes decompressed or read from archive members: the rest was not scanned")]
    Total(u64),
    #[error("member expands more than {ratio} times its compressed size of {compressed} bytes (zip bomb)")]
    Ratio { ratio: u64, compressed: u64 },
}

impl LimitHit {
    /// The limit inside an I/O error, if that is what it carries.
    pub fn of(e: &io::Error) -> Option<&LimitHit> {
        e.get_ref()?.downcast_ref()
    }

    fn error(self) -> io::Error {
        io::Error::other(self)
    }
}

/// Bytes read out of archives for one file, all levels together.
#[derive(Debug)]
pub struct Budget {
    used: Cell<u64>,
    max: u64,
}

impl Budget {
    pub fn new(max: u64) -> Self {
        Budget { used: Cell::new(0), max }
    }

    pub fn exhausted(&self) -> bool {
        self.used.get() > self.max
    }

    fn spend(&self, n: u64) -> io::Result<()> {
        self.used.set(self.used.get().saturating_add(n));
        if self.exhausted() { Err(LimitHit::Total(self.max).error()) } else { Ok(()) }
    }
}

/// How big the compressed form of a stream is, for the ratio check.
#[derive(Debug, Clone)]
pub enum Compressed {
    /// Not compressed (stored members, tar members): no ratio check.
    No,
    /// Declared by the archive.
    Known(u64),
    /// Counted while the decompressor reads its input.
    Counted(Rc<Cell<u64>>),
}

#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    pub max: u64,
    /// Output below this never trips the ratio.
    pub floor: u64,
}

/// Caps a member's or decompressor's output by the file's budget and its compression ratio.
pub struct Limited<R> {
    inner: R,
    budget: Rc<Budget>,
    compressed: Compressed,
    ratio: Ratio,
    out: u64,
}

impl<R: Read> Limited<R> {
    pub fn new(inner: R, budget: Rc<Budget>, compressed: Compressed, ratio: Ratio) -> Self {
        Limited { inner, budget, compressed, ratio, out: 0 }
    }

    /// Bytes read out so far.
    pub fn produced(&self) -> u64 {
        self.out
    }

    fn check_ratio(&self) -> io::Result<()> {
        let compressed = match &self.compressed {
            Compressed::No => return Ok(()),
            Compressed::Known(n) => *n,
            Compressed::Counted(n) => n.get(),
        };
        let over = self.out > self.ratio.floor && self.out / compressed.max(1) > self.ratio.max;
        if over { Err(LimitHit::Ratio { ratio: self.ratio.max, compressed }.error()) } else { Ok(()) }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.exhausted() {
            return Err(LimitHit::Total(self.budget.max).error());
        }
        let n = self.inner.read(buf)?;
        self.out += n as u64;
        self.budget.spend(n as u64)?;
        self.check_ratio()?;
        Ok(n)
    }
}

/// Counts the compressed bytes a decompressor pulls.
pub struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Counting<R> {
    pub fn new(inner: R) -> (Self, Rc<Cell<u64>>) {
        let count = Rc::new(Cell::new(0));
        (Counting { inner, count: count.clone() }, count)
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATIO: Ratio = Ratio { max: 10, floor: 100 };

    #[test]
    fn total_budget_is_shared() {
        let budget = Rc::new(Budget::new(150));
        let mut a = Limited::new(&[0u8; 100][..], budget.clone(), Compressed::No, RATIO);
        io::copy(&mut a, &mut io::sink()).unwrap();
        let mut b = Limited::new(&[0u8; 100][..], budget.clone(), Compressed::No, RATIO);
        let err = io::copy(&mut b, &mut io::sink()).unwrap_err();
        assert_eq!(LimitHit::of(&err), Some(&LimitHit::Total(150)));
        assert!(budget.exhausted());
    }

    #[test]
    fn ratio_trips_past_the_floor() {
        let budget = Rc::new(Budget::new(u64::MAX));
        let mut small = Limited::new(&[0u8; 100][..], budget.clone(), Compressed::Known(1), RATIO);
        io::copy(&mut small, &mut io::sink()).unwrap();
        let mut big = Limited::new(&[0u8; 1000][..], budget, Compressed::Known(2), RATIO);
        let err = io::copy(&mut big, &mut io::sink()).unwrap_err();
        assert_eq!(LimitHit::of(&err), Some(&LimitHit::Ratio { ratio: 10, compressed: 2 }));
    }
}
