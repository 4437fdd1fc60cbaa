//! Progress of a running scan, for a caller that shows it while the scan runs (a progress
//! bar drawn from another thread).
//!
//! Bytes are counted where a file is read from disk, in a wrapper around the file, so every
//! format and every container counts alike and no parser has to know about it: an archive's
//! members count as the bytes of the archive they are read from.

use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Shared between a scan (through `Options::progress`) and whoever watches it.
#[derive(Debug, Default)]
pub struct Progress {
    bytes: AtomicU64,
    current: Mutex<Option<PathBuf>>,
}

impl Progress {
    /// Bytes of the files scanned so far. Each file adds exactly its length (as the file
    /// system gave it when the scan opened it) by the time its scan returns, however much of
    /// it the parsers read: a file read in part, a zip read out of order, or a file that
    /// failed half way counts whole and once, so the total matches `total_len` up front.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The file being scanned, or the last one.
    pub fn current_file(&self) -> Option<PathBuf> {
        self.current.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn start(&self, path: &Path) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(path.to_path_buf());
    }

    fn add(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

/// Bytes held back before they are published: the atomic is touched once per this many
/// bytes (or per read, for larger reads), not on every small header read of a zip.
const PUBLISH_EVERY: u64 = 64 * 1024;

/// One file's share of the progress. Dropping it publishes the rest of the file's length,
/// which keeps the promise of `Progress::bytes` on every path out of a scan: early returns,
/// errors, limits hit and panics alike.
pub(crate) struct FileTally {
    progress: Option<Arc<Progress>>,
    len: u64,
    counted: u64,
    pending: u64,
}

impl FileTally {
    pub fn start(progress: Option<&Arc<Progress>>, path: &Path, len: u64) -> Self {
        if let Some(progress) = progress {
            progress.start(path);
        }
        FileTally { progress: progress.cloned(), len, counted: 0, pending: 0 }
    }

    /// Counts `n` bytes read, capped at the file's length: a re-read (a zip's central
    /// directory, then its members) or a file that grew must not push the total past it.
    fn count(&mut self, n: usize) {
        let n = (n as u64).min(self.len - self.counted);
        self.counted += n;
        self.pending += n;
        if self.pending >= PUBLISH_EVERY {
            self.publish();
        }
    }

    fn publish(&mut self) {
        if let Some(progress) = &self.progress {
            progress.add(self.pending);
        }
        self.pending = 0;
    }
}

impl Drop for FileTally {
    fn drop(&mut self) {
        self.pending += self.len - self.counted;
        self.counted = self.len;
        self.publish();
    }
}

/// A file on disk that counts what is read from it into a `FileTally`, once per read call:
/// the buffered readers above it call it once per refill, so the hot loops never see it.
pub(crate) struct Tracked<R> {
    inner: R,
    tally: FileTally,
}

impl<R> Tracked<R> {
    pub fn new(inner: R, tally: FileTally) -> Self {
        Tracked { inner, tally }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tally.count(n);
        Ok(n)
    }
}

/// Zips need seeking; a seek reads nothing, so counts nothing.
impl<R: Seek> Seek for Tracked<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Cursor};

    use super::*;

    fn tracked(progress: &Arc<Progress>, data: &[u8]) -> Tracked<Cursor<Vec<u8>>> {
        let tally = FileTally::start(Some(progress), Path::new("model.bin"), data.len() as u64);
        Tracked::new(Cursor::new(data.to_vec()), tally)
    }

    #[test]
    fn counts_per_refill_and_settles_the_whole_file_on_drop() {
        let progress = Arc::new(Progress::default());
        let data = vec![7u8; 300 * 1024];
        let mut reader = BufReader::with_capacity(64 * 1024, tracked(&progress, &data));
        assert_eq!(progress.current_file(), Some(PathBuf::from("model.bin")));
        reader.fill_buf().unwrap();
        assert_eq!(progress.bytes(), 64 * 1024, "one refill, published at once");
        reader.consume(64 * 1024);
        reader.fill_buf().unwrap();
        assert_eq!(progress.bytes(), 128 * 1024);
        // The parser stops early (a format read in part, an error): the file still counts whole.
        drop(reader);
        assert_eq!(progress.bytes(), data.len() as u64);
    }

    #[test]
    fn small_reads_are_held_back_until_a_publish() {
        let progress = Arc::new(Progress::default());
        let mut reader = tracked(&progress, &[1; 1000]);
        let mut header = [0; 4];
        reader.read_exact(&mut header).unwrap();
        assert_eq!(progress.bytes(), 0);
        drop(reader);
        assert_eq!(progress.bytes(), 1000);
    }

    #[test]
    fn re_reads_after_a_seek_never_count_past_the_file() {
        let progress = Arc::new(Progress::default());
        let data = vec![0u8; 100 * 1024];
        let mut reader = tracked(&progress, &data);
        for _ in 0..3 {
            reader.rewind().unwrap();
            io::copy(&mut reader, &mut io::sink()).unwrap();
        }
        assert!(progress.bytes() <= data.len() as u64, "{}", progress.bytes());
        drop(reader);
        assert_eq!(progress.bytes(), data.len() as u64, "counted once");
    }

    #[test]
    fn a_file_that_cannot_be_opened_still_counts() {
        let progress = Arc::new(Progress::default());
        drop(FileTally::start(Some(&progress), Path::new("gone.pt"), 42));
        assert_eq!(progress.bytes(), 42);
    }

    /// End to end: a directory with a pickle, a zip (read out of order), a file of unknown
    /// format (read in part) and a nested directory ends exactly at `total_len`.
    #[test]
    fn a_directory_scan_ends_at_its_total() {
        use std::io::Write;

        use zip::write::SimpleFileOptions;

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.pkl"), b"\x80\x02}q\x00.").unwrap();
        std::fs::write(dir.path().join("b.bin"), vec![0u8; 300_000]).unwrap();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("archive/data.pkl", SimpleFileOptions::default()).unwrap();
        zip.write_all(&[b'x'; 100_000]).unwrap();
        let zip = zip.finish().unwrap().into_inner();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/model.zip"), &zip).unwrap();

        let progress = Arc::new(Progress::default());
        let options = crate::Options { progress: Some(progress.clone()), ..crate::Options::default() };
        let total = crate::total_len(dir.path(), &options);
        assert_eq!(total, 6 + 300_000 + zip.len() as u64);
        let report = crate::scan_path(dir.path(), &options);
        assert_eq!(report.files.len(), 3);
        assert_eq!(progress.bytes(), total);
        assert_eq!(progress.current_file(), Some(dir.path().join("sub/model.zip")));
    }
}
