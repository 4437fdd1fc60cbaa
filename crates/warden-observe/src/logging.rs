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

/// Keeps trace export running; dropping it flushes the spans still queued.
#[derive(Default)]
pub struct Guard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.provider.take() {
            let _ = provider.shutdown();
        }
    }
}

/// Whether this build can export traces (the `otlp` cargo feature).
pub const OTLP_BUILT_IN: bool = cfg!(feature = "otlp");

/// Installs the process's subscriber. Call after [`redact::install`], so lines
/// are redacted with the configured settings. `otlp` is a collector's
/// OTLP/HTTP endpoint (`http://collector:4318`), honoured when built with the
/// `otlp` feature.
pub fn init(level: &str, format: Format, otlp: Option<&str>) -> Result<Guard, String> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

    let json = match format {
        Format::Auto => !std::io::stderr().is_terminal(),
        Format::Json => true,
        Format::Text => false,
    };
    let json_layer = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(Redacting)
    });
    let text_layer = (!json).then(|| tracing_subscriber::fmt::layer().with_target(false).with_writer(Redacting));
    let registry = tracing_subscriber::registry().with(EnvFilter::new(level)).with(json_layer).with(text_layer);
    let mut guard = Guard::default();
    #[cfg(feature = "otlp")]
    let registry = {
        let exported = match otlp {
            Some(endpoint) => {
                let (layer, provider) = otlp::layer(endpoint)?;
                guard.provider = Some(provider);
                Some(layer)
            }
            None => None,
        };
        registry.with(exported)
    };
    #[cfg(not(feature = "otlp"))]
    if otlp.is_some() {
        return Err("trace export needs a build with the otlp feature: cargo build --release --features otlp".into());
    }
    // A second init (tests starting two servers in one process) keeps the first.
    let _ = registry.try_init();
    let _ = &mut guard;
    Ok(guard)
}

#[cfg(feature = "otlp")]
mod otlp {
    use opentelemetry::trace::TracerProvider as _;
    use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
    use opentelemetry_sdk::Resource;
    use opentelemetry_sdk::trace::SdkTracerProvider;
    use tracing_subscriber::Layer;
    use tracing_subscriber::filter::filter_fn;

    /// Spans only, and only Warden's own: events carry log fields (a source
    /// address, a logged body) that must pass the redactor, and the redactor sits
    /// in the log writer, not on this path. Spans carry names, timings and the
    /// request id.
    pub fn layer<S>(endpoint: &str) -> Result<(impl Layer<S>, SdkTracerProvider), String>
    where
        S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    {
        let base = endpoint.trim_end_matches('/');
        let url = if base.ends_with("/v1/traces") { base.to_string() } else { format!("{base}/v1/traces") };
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(url)
            .build()
            .map_err(|e| format!("otlp exporter: {e}"))?;
        let resource = Resource::builder().with_service_name("warden").build();
        let provider = SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build();
        let tracer = provider.tracer("warden");
        let layer = tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_filter(filter_fn(|meta| meta.is_span() && meta.target().starts_with("warden")));
        Ok((layer, provider))
    }
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

/// Replaces the default panic hook, which prints the panic message to stderr as it
/// is: a kernel that fails on a request's values says which (`the index is
/// 4111111111111111`), so the message is request data. Panics are logged through
/// the redacting logger with where they happened and no backtrace; the message,
/// redacted, only when `show_message` (payload logging, for debugging) is on.
pub fn install_panic_hook(show_message: bool) {
    std::panic::set_hook(Box::new(move |info| {
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        let thread = std::thread::current().name().unwrap_or("unnamed").to_string();
        if show_message {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(%location, %thread, message = %crate::redact::scrub(&message), "a thread panicked");
        } else {
            tracing::error!(
                %location,
                %thread,
                "a thread panicked; its message is withheld because it may quote request data"
            );
        }
    }));
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
