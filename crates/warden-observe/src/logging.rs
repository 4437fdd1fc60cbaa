//! Log output. Every formatted line goes through the redactor on its way to
//! stderr, whatever field a value sits in: the writer sees the finished line, so
//! no call site can forget. JSON lines for collectors; a human format when stderr
//! is a terminal (or when asked).

use std::io::{IsTerminal, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::redact;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Format {
    /// JSON unless stderr is a terminal.
    #[default]
    Auto,
    Json,
    Text,
}

/// Installs the process's subscriber. Call after [`redact::install`], so lines
/// are redacted with the configured settings.
pub fn init(level: &str, format: Format) {
    let json = match format {
        Format::Auto => !std::io::stderr().is_terminal(),
        Format::Json => true,
        Format::Text => false,
    };
    let builder = tracing_subscriber::fmt().with_env_filter(EnvFilter::new(level)).with_writer(Redacting);
    let result = if json {
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).try_init()
    } else {
        builder.with_target(false).try_init()
    };
    // A second init (tests starting two servers in one process) keeps the first.
    let _ = result;
}

/// Hands out a [`RedactingLine`] per event.
#[derive(Clone, Copy, Debug, Default)]
pub struct Redacting;

impl<'a> MakeWriter<'a> for Redacting {
    type Writer = RedactingLine<std::io::Stderr>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine::new(std::io::stderr())
    }
}

/// Collects one formatted event and writes it, redacted, when dropped.
pub struct RedactingLine<W: Write> {
    buf: Vec<u8>,
    out: W,
}

impl<W: Write> RedactingLine<W> {
    pub fn new(out: W) -> Self {
        RedactingLine { buf: Vec::with_capacity(256), out }
    }
}

impl<W: Write> Write for RedactingLine<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<W: Write> Drop for RedactingLine<W> {
    fn drop(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.buf);
        let clean = redact::scrub(&text);
        let _ = self.out.write_all(clean.as_bytes());
        let _ = self.out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_redacted_whole_whichever_field_holds_the_value() {
        let mut sink = Vec::new();
        {
            let mut line = RedactingLine::new(&mut sink);
            line.write_all(b"{\"msg\":\"bad body\",\"error\":\"invalid type: string \\\"bob@example.com\\\"\",")
                .unwrap();
            line.write_all(b"\"card\":\"4111 1111 1111 1111\"}\n").unwrap();
        }
        let out = String::from_utf8(sink).unwrap();
        assert!(!out.contains("bob@example.com") && !out.contains("4111"), "{out}");
        assert!(out.contains("[EMAIL]") && out.contains("[CARD]"), "{out}");
        assert!(out.ends_with("}\n"));
    }
}
