//! What a scan cost: files, bytes, time and the process's peak memory, so a user can see
//! that memory stays flat however large the files are.

use std::fmt;
use std::time::Duration;

use indicatif::{BinaryBytes, DecimalBytes};
use serde::Serialize;

/// Added to every report: `stats` in JSON, the invocation's property bag in SARIF, the last
/// line of the table.
#[derive(Debug, Serialize)]
pub struct Stats {
    /// File reports (directories that could not be entered count as one each).
    pub files: usize,
    /// Bytes of the files on disk; a file read only in part counts whole.
    pub bytes: u64,
    pub seconds: f64,
    /// Peak resident memory of the process; where it cannot be read, omitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_bytes: Option<u64>,
}

impl Stats {
    pub fn new(files: usize, bytes: u64, elapsed: Duration) -> Self {
        // Not rounded: a scan that reads only headers takes microseconds, and its rate must
        // not come out as a division by zero.
        Stats { files, bytes, seconds: elapsed.as_secs_f64(), peak_rss_bytes: peak_rss_bytes() }
    }

    fn bytes_per_second(&self) -> u64 {
        if self.seconds > 0.0 { (self.bytes as f64 / self.seconds) as u64 } else { 0 }
    }
}

/// `scanned 3 files, 1.20 GB in 2.50 s (480.00 MB/s), peak RSS 12.50 MiB`: sizes on disk
/// and rates in decimal units, as disks and networks count; memory in binary units, as the
/// kernel counts it.
impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let files = if self.files == 1 { "file" } else { "files" };
        write!(
            f,
            "scanned {} {files}, {} in {:.2} s ({}/s)",
            self.files,
            DecimalBytes(self.bytes),
            self.seconds,
            DecimalBytes(self.bytes_per_second()),
        )?;
        if let Some(rss) = self.peak_rss_bytes {
            write!(f, ", peak RSS {}", BinaryBytes(rss))?;
        }
        Ok(())
    }
}

/// The process's peak resident set size (Linux: `VmHWM` in /proc/self/status). Elsewhere
/// `None`: no portable source, and a made-up number would be worse than none.
pub fn peak_rss_bytes() -> Option<u64> {
    if cfg!(target_os = "linux") { vm_hwm(&std::fs::read_to_string("/proc/self/status").ok()?) } else { None }
}

/// `VmHWM:     12345 kB` (the kernel's kB are KiB).
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_hwm_in_kib() {
        let status = "Name:\twarden\nVmPeak:\t  20000 kB\nVmHWM:\t    5120 kB\nVmRSS:\t 4000 kB\n";
        assert_eq!(vm_hwm(status), Some(5 << 20));
        assert_eq!(vm_hwm("Name:\twarden\n"), None);
    }

    #[test]
    fn the_summary_line() {
        let stats = Stats { files: 3, bytes: 1_200_000_000, seconds: 2.5, peak_rss_bytes: Some(12 << 20) };
        assert_eq!(stats.to_string(), "scanned 3 files, 1.20 GB in 2.50 s (480.00 MB/s), peak RSS 12.00 MiB");
        let stats = Stats { files: 1, bytes: 10, seconds: 0.0, peak_rss_bytes: None };
        assert_eq!(stats.to_string(), "scanned 1 file, 10 B in 0.00 s (0 B/s)");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_peak() {
        assert!(peak_rss_bytes().is_some_and(|b| b > 0));
    }
}
