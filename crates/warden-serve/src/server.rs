//! Accepting connections: TLS handshakes under a timeout, HTTP/1.1 and HTTP/2
//! with bounded heads and streams, a cap on open connections, and a graceful
//! drain when the shutdown future completes.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::StatusCode;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::reply::{ApiError, bytes_reply, empty};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

fn builder(app: &App) -> auto::Builder<TokioExecutor> {
    let limits = &app.limits;
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .max_buf_size(limits.max_header_size.max(8192));
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(128)
        .max_header_list_size(limits.max_header_size.min(u32::MAX as usize) as u32)
        .max_pending_accept_reset_streams(64)
        .keep_alive_interval(Duration::from_secs(30));
    b
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting,
/// lets requests in flight finish (up to the shutdown timeout), and returns.
pub async fn serve_api(app: Arc<App>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let builder = Arc::new(builder(&app));
    let connections = Arc::new(Semaphore::new(app.limits.max_connections));
    let drain = app.limits.shutdown_timeout;
    // `stop` tells connections to wind down; each holds a clone of `open` until it
    // ends, so the drain is over when every clone is gone.
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let (open, mut all_closed) = tokio::sync::mpsc::channel::<()>(1);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors, usually: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            tracing::warn!("connection limit reached; closing a new connection");
            continue;
        };
        let _ = tcp.set_nodelay(true);
        // Each connection takes the TLS configuration current when it arrives, so a
        // reloaded certificate applies to new connections and never cuts old ones.
        let tls = app.live.get().tls.clone().map(TlsAcceptor::from);
        let (app, builder, stop, open) = (app.clone(), builder.clone(), stop.clone(), open.clone());
        tokio::spawn(async move {
            let _guards = (permit, open);
            let busy = Arc::new(AtomicUsize::new(0));
            // One service per connection, carrying what the connection proved: the
            // peer address and, with mTLS, the client certificate's identity.
            let service = |cert: Option<Arc<str>>| {
                let (app, busy) = (app.clone(), busy.clone());
                service_fn(move |req| {
                    let (app, cert, busy) = (app.clone(), cert.clone(), busy.clone());
                    async move {
                        let _busy = Busy::enter(&busy);
                        Ok::<_, Infallible>(app.handle(req, peer.ip(), cert).await)
                    }
                })
            };
            let result = match tls {
                Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let cert = stream
                            .get_ref()
                            .1
                            .peer_certificates()
                            .and_then(|c| c.first())
                            .and_then(|c| app.cert_name(c));
                        let conn = builder.serve_connection(TokioIo::new(stream), service(cert));
                        drive(conn, stop, busy.clone()).await
                    }
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "tls handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "tls handshake timed out");
                        return;
                    }
                },
                None => drive(builder.serve_connection(TokioIo::new(tcp), service(None)), stop, busy.clone()).await,
            };
            if let Err(e) = result {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(open);
    tracing::info!("draining");
    if tokio::time::timeout(drain, all_closed.recv()).await.is_err() {
        tracing::warn!(timeout = ?drain, "drain timed out; closing remaining connections");
    }
}

/// How long a connection with nothing in flight may linger after shutdown began.
/// HTTP/2 clients that never read (and so never answer the GOAWAY ping) would
/// otherwise hold the drain until its timeout.
const IDLE_GRACE: Duration = Duration::from_secs(1);

/// Serves a connection until it ends or, once `stop` fires, until it has finished
/// its requests in flight (closing it once idle for `IDLE_GRACE`).
async fn drive<C: GracefulConnection>(
    conn: C,
    mut stop: tokio::sync::watch::Receiver<bool>,
    busy: Arc<AtomicUsize>,
) -> Result<(), C::Error> {
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => return result,
        _ = stop.wait_for(|stopping| *stopping) => {}
    }
    conn.as_mut().graceful_shutdown();
    let step = Duration::from_millis(100);
    let mut idle = Duration::ZERO;
    loop {
        tokio::select! {
            result = conn.as_mut() => return result,
            _ = tokio::time::sleep(step) => {
                idle = if busy.load(Ordering::Acquire) == 0 { idle + step } else { Duration::ZERO };
                if idle >= IDLE_GRACE {
                    return Ok(());
                }
            }
        }
    }
}

/// Counts a request in flight on its connection while alive.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(count: &Arc<AtomicUsize>) -> Busy {
        count.fetch_add(1, Ordering::AcqRel);
        Busy(count.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves `/metrics` in plain HTTP/1.1 until the task is dropped. With a token,
/// scrapers must send it as a bearer credential (compared in constant time).
pub async fn serve_metrics(app: Arc<App>, listener: TcpListener, token: Option<Arc<[u8]>>) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (app, token) = (app.clone(), token.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let (app, token) = (app.clone(), token.clone());
                async move {
                    let reply = if req.uri().path() != "/metrics" {
                        empty(StatusCode::NOT_FOUND)
                    } else if !scrape_allowed(&req, token.as_deref()) {
                        ApiError::unauthorized(req.headers().contains_key(http::header::AUTHORIZATION)).into_reply()
                    } else {
                        let (content_type, text) = crate::metrics::exposition(&app.metrics, req.headers());
                        bytes_reply(StatusCode::OK, content_type, text.into())
                    };
                    Ok::<_, Infallible>(reply)
                }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(tcp), service);
            let _ = conn.await;
        });
    }
}

fn scrape_allowed(req: &http::Request<hyper::body::Incoming>, token: Option<&[u8]>) -> bool {
    use subtle::ConstantTimeEq;
    let Some(expected) = token else { return true };
    let presented = req
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "))
        .unwrap_or_default();
    presented.len() == expected.len() && bool::from(presented.ct_eq(expected))
}
