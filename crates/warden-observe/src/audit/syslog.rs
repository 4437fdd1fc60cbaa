//! A copy of every audit record for the host's syslog daemon (or journald's
//! syslog socket): one RFC 5424 datagram per record, facility authpriv, severity
//! notice, the record's JSON as the message. The file stays the durable record;
//! a syslog that is down is logged once and retried with the next record.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Syslog {
    path: PathBuf,
    socket: Option<UnixDatagram>,
    hostname: String,
    failing: AtomicBool,
}

/// authpriv (10) * 8 + notice (5).
const PRI: u8 = 85;

impl Syslog {
    pub fn new(path: &Path) -> Syslog {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
            .unwrap_or_else(|| "-".into());
        Syslog {
            path: path.to_path_buf(),
            socket: UnixDatagram::unbound().ok(),
            hostname,
            failing: AtomicBool::new(false),
        }
    }

    /// Sends each line of `text` (whole records) as one message.
    pub fn send_lines(&self, text: &str) {
        let Some(socket) = &self.socket else { return };
        for line in text.lines() {
            let message = self.format(line);
            match socket.send_to(message.as_bytes(), &self.path) {
                Ok(_) => {
                    if self.failing.swap(false, Ordering::Relaxed) {
                        tracing::info!(path = %self.path.display(), "audit log: syslog reachable again");
                    }
                }
                Err(e) => {
                    if !self.failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(path = %self.path.display(), error = %e, "audit log: cannot send to syslog; the audit file still has every record");
                    }
                    return;
                }
            }
        }
    }

    /// `<85>1 TIMESTAMP HOST warden PID audit - {record}`; the record's own time
    /// is the timestamp.
    fn format(&self, record: &str) -> String {
        let time =
            record.split_once("\"time\":\"").and_then(|(_, rest)| rest.split_once('"')).map(|(t, _)| t).unwrap_or("-");
        format!("<{PRI}>1 {time} {} warden {} audit - {record}", self.hostname, std::process::id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_arrive_as_rfc5424_datagrams() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.sock");
        let server = UnixDatagram::bind(&path).unwrap();
        let syslog = Syslog::new(&path);
        syslog.send_lines("{\"seq\":1,\"time\":\"2026-11-26T01:00:00.000Z\",\"kind\":\"x\"}\n{\"seq\":2}\n");
        let mut buf = [0; 1024];
        let n = server.recv(&mut buf).unwrap();
        let first = std::str::from_utf8(&buf[..n]).unwrap();
        assert!(first.starts_with("<85>1 2026-11-26T01:00:00.000Z "), "{first}");
        assert!(first.contains(" warden "), "{first}");
        assert!(first.ends_with("audit - {\"seq\":1,\"time\":\"2026-11-26T01:00:00.000Z\",\"kind\":\"x\"}"), "{first}");
        let n = server.recv(&mut buf).unwrap();
        assert!(std::str::from_utf8(&buf[..n]).unwrap().ends_with("{\"seq\":2}"));
    }

    #[test]
    fn a_missing_socket_is_not_an_error() {
        let syslog = Syslog::new(Path::new("/nonexistent/log.sock"));
        syslog.send_lines("{\"seq\":1}\n");
        assert!(syslog.failing.load(Ordering::Relaxed));
    }
}
