//! The writer: one thread owns the file and the chain. Requests hand it events and
//! wait; it writes everything that queued up while the last batch was syncing in
//! one write and one `fdatasync` (group commit), then answers them all. A request
//! is answered only after its record is on disk, and when the disk refuses, every
//! waiting request hears so and the file is cut back to its last whole record.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use prometheus_client::metrics::counter::Counter;
use tokio::sync::oneshot;

use super::chain::{self, GENESIS, Hash};
use super::error::AuditError;
use super::event::Event;
use super::files::{self, CURRENT, HEAD};
use super::signer::{CheckpointKey, PUBLIC_KEY_FILE, load_public_key};
use super::verify::{self, Options};

#[derive(Clone, Debug, PartialEq)]
pub struct AuditSettings {
    pub dir: PathBuf,
    /// The current file is rotated once it grows past this many bytes.
    pub max_file_size: u64,
    /// A signed checkpoint after this many records...
    pub checkpoint_every: u64,
    /// ...or after this long with unsigned records, whichever comes first.
    pub checkpoint_interval: Duration,
    /// `fdatasync` every batch; off trades durability on power loss for speed.
    pub fsync: bool,
    /// Also print every record to stdout, for log collectors.
    pub stdout: bool,
    /// Also send every record to this syslog socket (`/dev/log`), RFC 5424.
    pub syslog: Option<PathBuf>,
}

impl AuditSettings {
    pub fn in_dir(dir: PathBuf) -> AuditSettings {
        AuditSettings {
            dir,
            max_file_size: 64 << 20,
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(60),
            fsync: true,
            stdout: false,
            syslog: None,
        }
    }
}

/// Counters the metrics listener exposes as they are.
#[derive(Debug, Default)]
pub struct Stats {
    pub records: Counter,
    pub write_errors: Counter,
    /// False from a failed write until the next one succeeds.
    pub healthy: AtomicBool,
}

type Ack = oneshot::Sender<Result<(), AuditError>>;

enum Msg {
    Record(Event, Option<Ack>),
    Close(Ack),
}

pub struct AuditLog {
    tx: mpsc::Sender<Msg>,
    stats: Arc<Stats>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl AuditLog {
    /// Opens (or starts) the log in `settings.dir`. The current file is verified
    /// first: a start must not extend a chain that was already broken.
    pub fn open(settings: AuditSettings) -> Result<AuditLog, AuditError> {
        let writer = Writer::open(settings)?;
        let stats = writer.stats.clone();
        let (tx, rx) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| AuditError::Unwritable(format!("cannot start the writer thread: {e}")))?;
        Ok(AuditLog { tx, stats, worker: Mutex::new(Some(worker)) })
    }

    /// Writes `event` and returns once it is on disk.
    pub async fn record(&self, event: Event) -> Result<(), AuditError> {
        let (ack, done) = oneshot::channel();
        self.tx.send(Msg::Record(event, Some(ack))).map_err(|_| AuditError::Closed)?;
        done.await.unwrap_or(Err(AuditError::Closed))
    }

    /// Queues `event` without waiting: for events no answer depends on (reloads,
    /// start-up). A failure still counts in [`Stats`] and is logged.
    pub fn record_detached(&self, event: Event) {
        let _ = self.tx.send(Msg::Record(event, None));
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Signs what is unsigned and stops the writer. Later records fail with `Closed`.
    pub fn close(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Close(ack)).is_ok() {
            let _ = done.blocking_recv();
        }
        if let Some(worker) = self.worker.lock().ok().and_then(|mut w| w.take()) {
            let _ = worker.join();
        }
    }
}

/// Most records written in one batch.
const MAX_BATCH: usize = 4096;

struct Writer {
    settings: AuditSettings,
    key: CheckpointKey,
    file: File,
    path: PathBuf,
    len: u64,
    /// First record of the current file, for its name when it is rotated.
    first_seq: Option<u64>,
    seq: u64,
    prev: Hash,
    unsigned: u64,
    last_checkpoint: Instant,
    stats: Arc<Stats>,
    syslog: Option<super::syslog::Syslog>,
}

impl Writer {
    fn open(settings: AuditSettings) -> Result<Writer, AuditError> {
        let syslog = settings.syslog.as_deref().map(super::syslog::Syslog::new);
        let dir = settings.dir.clone();
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(AuditError::io(&dir))?;
        let key = CheckpointKey::load_or_create(&dir)?;
        let path = dir.join(CURRENT);
        let recovered = drop_partial_line(&path)?;
        let (seq, prev, first_seq) = resume(&dir, &path)?;
        let file =
            OpenOptions::new().create(true).append(true).mode(0o600).open(&path).map_err(AuditError::io(&path))?;
        files::sync_dir(&dir)?;
        let len = file.metadata().map_err(AuditError::io(&path))?.len();
        let stats = Arc::new(Stats { healthy: AtomicBool::new(true), ..Stats::default() });
        let mut writer = Writer {
            settings,
            key,
            file,
            path,
            len,
            first_seq,
            seq,
            prev,
            unsigned: 0,
            last_checkpoint: Instant::now(),
            syslog,
            stats,
        };
        if recovered > 0 {
            tracing::warn!(bytes = recovered, "audit log: dropped a half-written last record left by a crash");
            writer.write_batch(vec![(Event::new("audit_recovered").with("dropped_bytes", recovered), None)]);
        }
        Ok(writer)
    }

    fn run(mut self, rx: mpsc::Receiver<Msg>) {
        loop {
            let wait = self.settings.checkpoint_interval.saturating_sub(self.last_checkpoint.elapsed());
            let first = match rx.recv_timeout(wait) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    self.checkpoint_if_due(true);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.checkpoint("shutdown");
                    return;
                }
            };
            let mut batch = Vec::new();
            let mut close = None;
            let mut next = Some(first);
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Record(event, ack) => batch.push((event, ack)),
                    Msg::Close(ack) => {
                        close = Some(ack);
                        break;
                    }
                }
                if batch.len() < MAX_BATCH {
                    next = rx.try_recv().ok();
                }
            }
            if !batch.is_empty() {
                self.write_batch(batch);
                self.checkpoint_if_due(false);
            }
            if let Some(ack) = close {
                if self.unsigned > 0 {
                    self.checkpoint("shutdown");
                }
                let _ = ack.send(Ok(()));
                return;
            }
        }
    }

    /// Seals and writes a batch, then answers each waiting request.
    fn write_batch(&mut self, batch: Vec<(Event, Option<Ack>)>) {
        let mut text = String::new();
        let (mut seq, mut prev) = (self.seq, self.prev);
        for (event, _) in &batch {
            seq += 1;
            let (line, hash) = chain::seal(event, seq, &prev);
            text.push_str(&line);
            prev = hash;
        }
        let result = self.append(&text);
        let n = batch.len() as u64;
        match &result {
            Ok(()) => {
                self.first_seq.get_or_insert(self.seq + 1);
                (self.seq, self.prev) = (seq, prev);
                self.unsigned += n;
                self.stats.records.inc_by(n);
            }
            Err(_) => {
                self.stats.write_errors.inc_by(n);
            }
        }
        for (_, ack) in batch {
            if let Some(ack) = ack {
                let _ = ack.send(result.as_ref().map(|_| ()).map_err(|e| AuditError::Unwritable(e.to_string())));
            }
        }
        if self.len >= self.settings.max_file_size {
            self.rotate();
        }
    }

    /// Appends whole lines and syncs them. On failure the file is cut back, so the
    /// next write continues the chain from the last record that is really there.
    fn append(&mut self, text: &str) -> Result<(), AuditError> {
        let written = self
            .file
            .write_all(text.as_bytes())
            .and_then(|_| if self.settings.fsync { self.file.sync_data() } else { self.file.flush() });
        match written {
            Ok(()) => {
                self.len += text.len() as u64;
                if !self.stats.healthy.swap(true, Ordering::Relaxed) {
                    tracing::warn!("audit log: writing again after a failure");
                }
                if self.settings.stdout {
                    let mut out = std::io::stdout().lock();
                    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
                }
                if let Some(syslog) = &self.syslog {
                    syslog.send_lines(text);
                }
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                if self.stats.healthy.swap(false, Ordering::Relaxed) {
                    tracing::error!(error = %e, path = %self.path.display(), "audit log: write failed; audited requests are refused until it works again");
                }
                Err(AuditError::io(&self.path)(e))
            }
        }
    }

    fn checkpoint_if_due(&mut self, timer: bool) {
        if self.unsigned >= self.settings.checkpoint_every {
            self.checkpoint("count");
        } else if timer && self.unsigned > 0 {
            self.checkpoint("interval");
        }
        if timer {
            self.last_checkpoint = Instant::now();
        }
    }

    /// Signs the chain's head into the log and copies that record to `head.json`.
    fn checkpoint(&mut self, reason: &'static str) -> bool {
        let seq = self.seq + 1;
        let event = Event::new("checkpoint")
            .with("reason", reason)
            .with("key", hex::encode(&self.key.public().as_bytes()[..8]))
            .with("sig", self.key.sign(seq, &self.prev));
        let (line, hash) = chain::seal(&event, seq, &self.prev);
        if self.append(&line).is_err() {
            return false;
        }
        self.first_seq.get_or_insert(seq);
        (self.seq, self.prev) = (seq, hash);
        self.unsigned = 0;
        self.last_checkpoint = Instant::now();
        self.stats.records.inc();
        if let Err(e) = write_head(&self.settings.dir, &line) {
            tracing::error!(error = %e, "audit log: cannot update the signed head");
        }
        true
    }

    /// Closes the current file with a checkpoint and starts a new one; the chain
    /// runs on across the files.
    fn rotate(&mut self) {
        let Some(first) = self.first_seq else { return };
        if !self.checkpoint("rotate") {
            return;
        }
        let dir = self.settings.dir.clone();
        let rotated = dir.join(files::rotated_name(first));
        let reopened = fs::rename(&self.path, &rotated)
            .map_err(AuditError::io(&rotated))
            .and_then(|_| {
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .mode(0o600)
                    .open(&self.path)
                    .map_err(AuditError::io(&self.path))
            })
            .and_then(|file| files::sync_dir(&dir).map(|_| file));
        match reopened {
            Ok(file) => {
                self.file = file;
                self.len = 0;
                self.first_seq = None;
                tracing::info!(file = %rotated.display(), "audit log rotated");
            }
            Err(e) => tracing::error!(error = %e, "audit log: rotation failed; writing on to the same file"),
        }
    }
}

/// A crash between `write` and the end of a line leaves half a record that was
/// never acknowledged; it is cut off so the chain can go on. Returns bytes dropped.
fn drop_partial_line(path: &Path) -> Result<u64, AuditError> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(AuditError::io(path)(e)),
    };
    let len = file.metadata().map_err(AuditError::io(path))?.len();
    let mut keep = len;
    let mut byte = [0u8; 1];
    while keep > 0 {
        file.seek(SeekFrom::Start(keep - 1)).and_then(|_| file.read_exact(&mut byte)).map_err(AuditError::io(path))?;
        if byte[0] == b'\n' {
            break;
        }
        keep -= 1;
    }
    if keep < len {
        file.set_len(keep).and_then(|_| file.sync_all()).map_err(AuditError::io(path))?;
    }
    Ok(len - keep)
}

/// Where the chain stands: the last record's number and hash, checked by verifying
/// the current file (and the signed head) before anything is added to it.
fn resume(dir: &Path, current: &Path) -> Result<(u64, Hash, Option<u64>), AuditError> {
    let key = load_public_key(&dir.join(PUBLIC_KEY_FILE))?;
    let head = match fs::read_to_string(dir.join(HEAD)) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(AuditError::io(&dir.join(HEAD))(e)),
    };
    let all = files::chain_files(dir)?;
    // The current file, or when it is empty, the last rotated one.
    let newest: Vec<PathBuf> =
        all.iter().rev().find(|p| fs::metadata(p).map(|m| m.len() > 0).unwrap_or(false)).cloned().into_iter().collect();
    let options = Options { key: Some(&key), head: head.as_deref(), partial: true };
    let report = verify::verify(&newest, &options).map_err(|p| AuditError::Broken {
        path: p.path.clone(),
        message: format!(
            "line {}: {}; check it with `warden audit-log verify`, then move the log aside to start a new one",
            p.line, p.message
        ),
    })?;
    let first_seq = if newest.first().is_some_and(|p| p == current) { report.first_seq } else { None };
    Ok((report.last_seq, report.last_hash.unwrap_or(GENESIS), first_seq))
}

fn write_head(dir: &Path, line: &str) -> Result<(), AuditError> {
    let tmp = dir.join("head.json.tmp");
    let head = dir.join(HEAD);
    let mut file = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(AuditError::io(&tmp))?;
    file.write_all(line.as_bytes()).and_then(|_| file.sync_data()).map_err(AuditError::io(&tmp))?;
    fs::rename(&tmp, &head).map_err(AuditError::io(&head))?;
    files::sync_dir(dir)
}
