//! The progress bar of a long scan: bytes scanned of the total, the rate and the file being
//! read, on stderr only (stdout carries the report, which may be piped into another tool).

use std::io::IsTerminal;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use warden_scan::Progress;

/// Redraws per second are indicatif's business; this is how often the scanner's counter is
/// sampled, often enough to look live, rarely enough to cost nothing.
const SAMPLE: Duration = Duration::from_millis(100);

const TEMPLATE: &str =
    "{spinner} [{elapsed_precise}] {bar:30} {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} {wide_msg}";

/// A bar only for a person watching: stderr is a terminal and `--no-progress` was not given.
/// In CI logs and pipes it would be noise, or escape codes in a file.
pub fn wanted(no_progress: bool) -> bool {
    !no_progress && std::io::stderr().is_terminal()
}

/// Runs `scan`, showing a bar of `total` bytes fed from `progress` while it runs when `show`;
/// the bar is cleared before the report is printed.
pub fn while_scanning<T>(show: bool, total: u64, progress: &Progress, scan: impl FnOnce() -> T) -> T {
    if !show {
        return scan();
    }
    let bar = bar(total);
    let (stop, stopped) = mpsc::channel::<()>();
    let result = thread::scope(|s| {
        let sampler = bar.clone();
        s.spawn(move || sample(&sampler, progress, &stopped));
        let result = scan();
        drop(stop);
        result
    });
    bar.finish_and_clear();
    result
}

fn bar(total: u64) -> ProgressBar {
    let style = ProgressStyle::with_template(TEMPLATE).expect("the template is valid");
    ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr()).with_style(style)
}

/// Copies the scanner's counter and current file into the bar until the scan is over (the
/// sender is dropped).
fn sample(bar: &ProgressBar, progress: &Progress, stopped: &Receiver<()>) {
    loop {
        bar.set_position(progress.bytes());
        if let Some(name) = progress.current_file().as_deref().and_then(|p| p.file_name()) {
            bar.set_message(name.to_string_lossy().into_owned());
        }
        if stopped.recv_timeout(SAMPLE) != Err(RecvTimeoutError::Timeout) {
            return;
        }
    }
}
