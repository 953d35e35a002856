//! The HTTP server's accept loop: hyper's HTTP/1 connection driver with a timer (its
//! `header_read_timeout` closes a connection whose request head is slow, including an idle
//! keep-alive wait), an idle watchdog per connection, a cap on live connections sized from
//! the open-file limit, and graceful shutdown. Each request carries its peer's address as
//! axum's `ConnectInfo<SocketAddr>` (the storefront's per-IP limit reads it). It owns
//! sockets only: routes and body rules
//! are in [`super::router`] and [`super::limits`], and it never touches the store.

use crate::config::ServerSettings;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::Instant;
use tower_layer::Layer;

/// Most connections the cap ever allows (a semaphore's permits are bounded).
const CAP_CEILING: usize = 1 << 20;

/// The number of connections served at once: the configured `max_connections`, lowered to
/// the open-file limit (`RLIMIT_NOFILE`, soft) minus the descriptors reserved for the
/// engine's own files when that is lower. `open_files` is `None` when the limit is unknown
/// or unlimited.
///
/// # Errors
/// When the open-file limit leaves no room for a single connection after the reserve.
pub fn connection_cap(server: &ServerSettings, open_files: Option<u64>) -> Result<usize, String> {
    let configured = server.max_connections.min(CAP_CEILING);
    let Some(limit) = open_files else {
        return Ok(configured);
    };
    let room = usize::try_from(limit)
        .unwrap_or(usize::MAX)
        .saturating_sub(server.reserved_file_descriptors);
    if room == 0 {
        return Err(format!(
            "the open-file limit ({limit}) leaves no descriptor for connections after the \
             {} reserved for the engine (server.reserved_file_descriptors): raise `ulimit -n`",
            server.reserved_file_descriptors
        ));
    }
    Ok(configured.min(room))
}

/// The process's soft open-file limit, `None` when unlimited or unknown.
pub fn open_file_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `getrlimit` only writes the `rlimit` we own and pass by valid pointer.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        if rc == 0 && lim.rlim_cur != libc::RLIM_INFINITY {
            // `rlim_t` is `u64` on Linux but narrower on some other unix targets.
            #[allow(clippy::useless_conversion)]
            return Some(u64::from(lim.rlim_cur));
        }
        None
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// One HTTP/1 connection as hyper drives it.
/// The app as served on one connection: the router with the peer's address in every
/// request's extensions (axum's `ConnectInfo`, read by the storefront's per-IP limit).
type PeerRouter = axum::middleware::AddExtension<Router, ConnectInfo<SocketAddr>>;

type Conn = http1::Connection<TokioIo<Watched>, TowerToHyperService<PeerRouter>>;

/// Last read or write on a connection, in milliseconds since the connection began.
#[derive(Clone, Debug)]
struct Activity {
    since: Instant,
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle_until(&self, idle: Duration) -> Instant {
        self.since + Duration::from_millis(self.last_ms.load(Ordering::Relaxed)) + idle
    }
}

/// A socket that records its last successful read or write, and gives hyper's automatic
/// error answers a JSON body ([`super::wire_errors`]).
struct Watched {
    inner: TcpStream,
    activity: Activity,
    /// A rewritten answer still to be sent, and how much of it has been.
    pending: Vec<u8>,
    pending_at: usize,
}

impl Watched {
    fn new(inner: TcpStream, activity: Activity) -> Self {
        Self {
            inner,
            activity,
            pending: Vec::new(),
            pending_at: 0,
        }
    }

    /// Writes what is left of a rewritten answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.pending_at < self.pending.len() {
            let rest = &self.pending[self.pending_at..];
            match Pin::new(&mut self.inner).poll_write(cx, rest) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.pending_at += n;
                    self.activity.touch();
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        self.pending.clear();
        self.pending_at = 0;
        Poll::Ready(Ok(()))
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) {
            self.activity.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if let Err(e) = std::task::ready!(this.poll_pending(cx)) {
            return Poll::Ready(Err(e));
        }
        if let Some(answer) = super::wire_errors::rewrite(buf) {
            this.pending = answer;
            // Sent now or on the flush hyper does next; the caller's bytes are taken.
            if let Poll::Ready(Err(e)) = this.poll_pending(cx) {
                return Poll::Ready(Err(e));
            }
            return Poll::Ready(Ok(buf.len()));
        }
        let r = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(_))) {
            this.activity.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting and waits
/// for the open connections to finish their requests.
///
/// At most `cap` connections are open at once (see [`connection_cap`]): the loop does not
/// `accept` while the cap is reached, so further clients wait in the kernel's backlog and
/// hold no descriptor of ours.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    server: &ServerSettings,
    cap: usize,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let cap = cap.clamp(1, CAP_CEILING);
    let permits = Arc::new(Semaphore::new(cap));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(server.header_read_timeout())
        .keep_alive(true);
    let idle = server.idle_timeout();
    let (stop, stopped) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break, // never closed
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset before it was accepted:
                    // wait a little rather than spin.
                    tracing::warn!(message = "Accepting a connection failed.", %error);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let io = TokioIo::new(Watched::new(stream, activity.clone()));
        let app = axum::Extension(ConnectInfo(peer)).layer(router.clone());
        let conn = builder.serve_connection(io, TowerToHyperService::new(app));
        let stopped = stopped.clone();
        tokio::spawn(async move {
            drive(conn, activity, idle, stopped).await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it is closed.
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// Drives one connection. After `idle` with nothing read or written (or on shutdown), it
/// is asked to close gracefully: an idle one closes at once, a request in progress is
/// finished first. If it stays silent for another `idle` after that (a client that
/// stopped reading our response), it is dropped.
async fn drive(conn: Conn, activity: Activity, idle: Duration, mut stopped: watch::Receiver<bool>) {
    tokio::pin!(conn);
    let mut closing = false;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(error) = r {
                    tracing::debug!(message = "Connection ended with an error.", %error);
                }
                return;
            }
            () = tokio::time::sleep_until(activity.idle_until(idle)) => {
                if Instant::now() < activity.idle_until(idle) {
                    continue;
                }
                if closing {
                    tracing::debug!(message = "Dropping a connection that stays silent.");
                    return;
                }
                conn.as_mut().graceful_shutdown();
                closing = true;
                activity.touch();
            }
            _ = stopped.changed(), if !closing => {
                conn.as_mut().graceful_shutdown();
                closing = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_the_lower_of_the_setting_and_the_open_file_room() {
        let s = ServerSettings {
            max_connections: 10_000,
            reserved_file_descriptors: 64,
            ..ServerSettings::default()
        };
        assert_eq!(connection_cap(&s, Some(256)), Ok(192));
        assert_eq!(connection_cap(&s, Some(1_000_000)), Ok(10_000));
        assert_eq!(connection_cap(&s, None), Ok(10_000));
        let err = connection_cap(&s, Some(64)).expect_err("no room left");
        assert!(err.contains("ulimit"), "{err}");
    }

    #[test]
    fn the_open_file_limit_is_read() {
        #[cfg(unix)]
        assert!(open_file_limit().is_some_and(|n| n > 0));
    }
}
