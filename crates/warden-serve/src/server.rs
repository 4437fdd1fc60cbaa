//! Accepting connections: TLS handshakes under a timeout, HTTP/1.1 and HTTP/2
//! with bounded heads and streams, a cap on open connections, and a graceful
//! drain when the shutdown future completes.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::connections::{Admission, Conn, Connections, Tracked};
use crate::head::{MAX_URI_LENGTH, PROTOCOL_SLACK};
use crate::reply::{ApiError, bytes_reply, empty};

/// The protocol layer buffers up to `PROTOCOL_SLACK` times Warden's own head
/// limits, so a head just over them reaches `head::check_parts` and gets a JSON 414
/// or 431 with the usual headers; past that the protocol layer refuses it bare.
fn builder(app: &App) -> auto::Builder<TokioExecutor> {
    let limits = &app.limits;
    let head_buffer = limits.max_header_size.saturating_mul(PROTOCOL_SLACK).max(MAX_URI_LENGTH * 2);
    let mut b = auto::Builder::new(TokioExecutor::new());
    b.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout)
        .max_headers(limits.max_headers.saturating_mul(PROTOCOL_SLACK))
        .max_buf_size(head_buffer.max(8192));
    b.http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(128)
        .max_header_list_size(head_buffer.min(u32::MAX as usize) as u32)
        .max_pending_accept_reset_streams(64)
        .keep_alive_interval(Duration::from_secs(30));
    b
}

/// Serves the API on `listener` until `shutdown` completes, then stops accepting,
/// lets requests in flight finish (up to the shutdown timeout), and returns.
pub async fn serve_api(app: Arc<App>, listener: TcpListener, shutdown: impl Future<Output = ()>) {
    let builder = Arc::new(builder(&app));
    let connections = Connections::new(app.limits.max_connections);
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
        let slot = match connections.admit().await {
            Admission::Free(slot) => slot,
            Admission::Evicted(slot) => {
                app.metrics.connection_closed("evicted");
                slot
            }
            Admission::Full => {
                app.metrics.connection_closed("refused");
                tracing::warn!(
                    "connection limit reached with a request in flight on every connection; closing a new connection"
                );
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        // Each connection takes the TLS configuration current when it arrives, so a
        // reloaded certificate applies to new connections and never cuts old ones.
        let tls = app.live.get().tls.clone().map(TlsAcceptor::from);
        let (app, builder, stop, open) = (app.clone(), builder.clone(), stop.clone(), open.clone());
        tokio::spawn(async move {
            let conn = slot.conn.clone();
            let _guards = (slot, open);
            let _open = app.metrics.connection_opened();
            // One service per connection, carrying what the connection proved: the
            // peer address and, with mTLS, the client certificate's identity.
            let service = |cert: Option<Arc<str>>| {
                let (app, conn) = (app.clone(), conn.clone());
                service_fn(move |req| {
                    let (app, cert, conn) = (app.clone(), cert.clone(), conn.clone());
                    async move {
                        let busy = conn.enter();
                        let reply = app.handle(req, peer.ip(), cert).await;
                        Ok::<_, Infallible>(reply.map(|body| Tracked::new(body, busy)))
                    }
                })
            };
            let result = match tls {
                Some(acceptor) => {
                    let handshake = tokio::time::timeout(app.limits.read_timeout, acceptor.accept(tcp));
                    let stream = tokio::select! {
                        done = handshake => done,
                        _ = conn.evicted() => {
                            tracing::debug!(%peer, "closed during the tls handshake to make room");
                            return;
                        }
                    };
                    match stream {
                        Ok(Ok(stream)) => {
                            let cert = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|c| c.first())
                                .and_then(|c| app.cert_name(c));
                            let served = builder.serve_connection(TokioIo::new(stream), service(cert));
                            drive(served, &app, stop, &conn).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "tls handshake failed");
                            return;
                        }
                        Err(_) => {
                            app.metrics.connection_closed("handshake_timeout");
                            tracing::debug!(%peer, "tls handshake timed out");
                            return;
                        }
                    }
                }
                None => drive(builder.serve_connection(TokioIo::new(tcp), service(None)), &app, stop, &conn).await,
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

/// How long a connection asked to close may take to finish what it has in flight
/// once it is idle. HTTP/2 clients that never read (and so never answer the
/// GOAWAY ping) would otherwise hold their slot until the drain times out.
const IDLE_GRACE: Duration = Duration::from_secs(1);

/// Serves a connection until it ends. It is asked to close (a graceful shutdown:
/// HTTP/2 GOAWAY, HTTP/1.1 `Connection: close`) when shutdown begins, when the
/// registry evicts it, or when it has been idle for `http.read_timeout`; it is
/// cut once it has then been idle for `IDLE_GRACE`.
async fn drive<C: GracefulConnection>(
    conn: C,
    app: &App,
    mut stop: tokio::sync::watch::Receiver<bool>,
    state: &Conn,
) -> Result<(), C::Error> {
    tokio::pin!(conn);
    let mut limit = app.limits.read_timeout;
    let mut closing = false;
    loop {
        let wait = limit.saturating_sub(state.idle_for()).max(Duration::from_millis(10));
        tokio::select! {
            result = conn.as_mut() => return result,
            _ = stop.wait_for(|stopping| *stopping), if !closing => {
                conn.as_mut().graceful_shutdown();
                (closing, limit) = (true, IDLE_GRACE);
            }
            _ = state.evicted(), if !closing => {
                conn.as_mut().graceful_shutdown();
                (closing, limit) = (true, Duration::ZERO);
            }
            _ = tokio::time::sleep(wait) => {
                if state.is_busy() || state.idle_for() < limit {
                    continue;
                }
                if closing {
                    return Ok(());
                }
                app.metrics.connection_closed("idle");
                conn.as_mut().graceful_shutdown();
                (closing, limit) = (true, IDLE_GRACE);
            }
        }
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
