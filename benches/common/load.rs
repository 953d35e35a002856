//! HTTP load pieces shared by the engine benches: child
//! servers (the `galantis` binary, or the bench binary re-executed as a bare axum
//! baseline), a lean keep-alive HTTP/1.1 client (one request in flight per connection),
//! closed and open (wrk2-style, no coordinated omission) load loops over any request
//! generator, and `/metrics` readers, used by every HTTP bench (`ingest`, `dispatch`,
//! `meta_ingest`).

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// The env var that turns a bench binary into its bare baseline server.
pub const ROLE: &str = "GALANTIS_BENCH_ROLE";
/// Operator token given to every engine the benches start.
pub const OPERATOR: &str = "bench-operator-token-0123456789";
/// Shopify client secret given to every engine the benches start.
pub const SHOPIFY_SECRET: &str = "bench-client-secret";

mod servers;

pub use servers::*;

// ---------------------------------------------------------------------------------------
// The lean HTTP/1.1 client
// ---------------------------------------------------------------------------------------

/// One keep-alive HTTP/1.1 connection with one request in flight.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8192),
        })
    }

    /// Sends `req` and reads the whole response; returns its status.
    pub async fn roundtrip(&mut self, req: &[u8]) -> std::io::Result<u16> {
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
        self.write_all(req).await?;
        loop {
            if let Some(h) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..h]).map_err(|_| bad("head"))?;
                let status: u16 = head
                    .get(9..12)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad("status line"))?;
                let mut len = 0usize;
                for line in head.split("\r\n").skip(1) {
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("content-length") {
                            len = v.trim().parse().map_err(|_| bad("content-length"))?;
                        } else if k.eq_ignore_ascii_case("transfer-encoding") {
                            return Err(bad("chunked responses are not supported"));
                        }
                    }
                }
                let total = h + 4 + len;
                while self.buf.len() < total {
                    self.fill().await?;
                }
                self.buf.drain(..total);
                return Ok(status);
            }
            self.fill().await?;
        }
    }

    /// Writes all of `buf` (readiness API: tokio's `io-util` is not enabled here).
    async fn write_all(&self, mut buf: &[u8]) -> std::io::Result<()> {
        while !buf.is_empty() {
            self.stream.writable().await?;
            match self.stream.try_write(buf) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Reads what is available (at least one byte) into `buf`.
    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            self.stream.readable().await?;
            match self.stream.try_read(&mut chunk) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// `POST path` with a JSON body (and a bearer token when given), as raw HTTP/1.1 bytes.
pub fn post_json(host: &str, path: &str, bearer: Option<&str>, body: &str) -> Vec<u8> {
    let auth = bearer.map_or(String::new(), |b| format!("Authorization: Bearer {b}\r\n"));
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body.as_bytes());
    req
}

// ---------------------------------------------------------------------------------------
// Load loops
// ---------------------------------------------------------------------------------------

/// Builds request `n` of connection `conn` in `phase`: the raw HTTP bytes and a flag the
/// caller counts among the successes (e.g. "creates a contact").
pub trait Requests: Send + Sync + 'static {
    fn request(&self, phase: u64, conn: u64, n: u64) -> (Vec<u8>, bool);
}

/// What a load phase saw.
#[derive(Default)]
pub struct Outcome {
    /// Responses completed inside the measurement window.
    pub in_window: u64,
    /// Latencies (µs) of those, sorted after the run.
    pub latencies: Vec<u64>,
    /// Open loop: how late (µs) requests left after their intended time, sorted.
    pub send_lag: Vec<u64>,
    /// 2xx over the whole phase (warm-up included), and how many of them were flagged.
    pub ok: u64,
    pub ok_flagged: u64,
    /// Other answers by status, and I/O errors.
    pub statuses: BTreeMap<u16, u64>,
    pub io_errors: u64,
    /// Window length.
    pub window: Duration,
}

impl Outcome {
    fn merge(&mut self, o: Outcome) {
        self.in_window += o.in_window;
        self.latencies.extend(o.latencies);
        self.send_lag.extend(o.send_lag);
        self.ok += o.ok;
        self.ok_flagged += o.ok_flagged;
        for (s, n) in o.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.io_errors += o.io_errors;
    }

    pub fn rate(&self) -> f64 {
        self.in_window as f64 / self.window.as_secs_f64()
    }

    pub fn errors(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.io_errors
    }

    fn count(&mut self, status: u16, flagged: bool) {
        if (200..300).contains(&status) {
            self.ok += 1;
            self.ok_flagged += u64::from(flagged);
        } else {
            *self.statuses.entry(status).or_default() += 1;
        }
    }
}

/// The `q` quantile (0..=1) of sorted µs values, in ms.
pub fn q_ms(v: &[u64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v[i.min(v.len() - 1)] as f64 / 1000.0
}

/// Closed loop: `conns` connections, each sending its next request as soon as the previous
/// answer is read, for `warmup` + `secs`; the window is the last `secs`.
pub async fn closed_loop<G: Requests>(
    addr: SocketAddr,
    gen: Arc<G>,
    phase: u64,
    conns: u64,
    warmup: Duration,
    secs: Duration,
) -> std::io::Result<Outcome> {
    let mut open = Vec::new();
    for _ in 0..conns {
        open.push(Conn::open(addr).await?);
    }
    let from = Instant::now() + warmup;
    let end = from + secs;
    let mut tasks = Vec::new();
    for (k, mut conn) in open.into_iter().enumerate() {
        let gen = gen.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut n = 0u64;
            while Instant::now() < end {
                let (req, flagged) = gen.request(phase, k as u64, n);
                n += 1;
                let sent = Instant::now();
                match conn.roundtrip(&req).await {
                    Ok(status) => {
                        let done = Instant::now();
                        out.count(status, flagged);
                        if done >= from && done <= end {
                            out.in_window += 1;
                            out.latencies.push((done - sent).as_micros() as u64);
                        }
                    }
                    Err(_) => {
                        out.io_errors += 1;
                        match Conn::open(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            out
        }));
    }
    let mut total = Outcome {
        window: secs,
        ..Outcome::default()
    };
    for t in tasks {
        total.merge(t.await.expect("load task"));
    }
    total.latencies.sort_unstable();
    Ok(total)
}

/// The benches' open-loop phase: phase 1 at `rate`/s over `conns` connections, with at most
/// 1 s of warm-up (of `warmup_secs`) and a `secs` window.
pub async fn open_phase<G: Requests>(
    server: &Server,
    gen: Arc<G>,
    conns: u64,
    rate: u64,
    warmup_secs: u64,
    secs: u64,
) -> Outcome {
    open_loop(
        server.addr,
        gen,
        1,
        conns,
        rate,
        Duration::from_secs(warmup_secs.min(1)),
        Duration::from_secs(secs),
    )
    .await
    .expect("open loop")
}

/// Open loop at `rate`/s for `warmup` + `secs` (wrk2-style: connection k sends requests
/// k, k + C, k + 2C … at their intended times `i / rate`); latency counts from the
/// intended time, so a stalled server is charged for every request it delayed.
pub async fn open_loop<G: Requests>(
    addr: SocketAddr,
    gen: Arc<G>,
    phase: u64,
    conns: u64,
    rate: u64,
    warmup: Duration,
    secs: Duration,
) -> std::io::Result<Outcome> {
    let mut open = Vec::new();
    for _ in 0..conns {
        open.push(Conn::open(addr).await?);
    }
    let total_reqs = (rate as f64 * (warmup + secs).as_secs_f64()) as u64;
    let t0 = tokio::time::Instant::now() + Duration::from_millis(100);
    let from = t0 + warmup;
    let mut tasks = Vec::new();
    for (k, mut conn) in open.into_iter().enumerate() {
        let gen = gen.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut j = 0u64;
            loop {
                let i = k as u64 + j * conns;
                if i >= total_reqs {
                    break;
                }
                let intended = t0 + Duration::from_nanos(i * 1_000_000_000 / rate);
                let (req, flagged) = gen.request(phase, k as u64, j);
                j += 1;
                tokio::time::sleep_until(intended).await;
                let sent = tokio::time::Instant::now();
                match conn.roundtrip(&req).await {
                    Ok(status) => {
                        let done = tokio::time::Instant::now();
                        out.count(status, flagged);
                        if intended >= from {
                            out.in_window += 1;
                            out.latencies.push((done - intended).as_micros() as u64);
                            out.send_lag.push((sent - intended).as_micros() as u64);
                        }
                    }
                    Err(_) => {
                        out.io_errors += 1;
                        match Conn::open(addr).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            out
        }));
    }
    let mut total = Outcome {
        window: secs,
        ..Outcome::default()
    };
    for t in tasks {
        total.merge(t.await.expect("load task"));
    }
    total.latencies.sort_unstable();
    total.send_lag.sort_unstable();
    Ok(total)
}

// ---------------------------------------------------------------------------------------
// Control plane and metrics
// ---------------------------------------------------------------------------------------

/// Polls `GET /readyz` until 200 (10 s at most).
pub async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{base} never became ready");
}

/// `POST /api/v1/tenants` with the operator token; returns the tenant's API key.
pub async fn create_tenant(http: &reqwest::Client, base: &str, body: &Value) -> String {
    let r = http
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(OPERATOR)
        .json(body)
        .send()
        .await
        .expect("create tenant");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(status, 201, "create tenant: {v}");
    v["api_key"].as_str().expect("api_key").to_string()
}

/// The `/metrics` text (empty when unreachable).
pub async fn metrics_text(http: &reqwest::Client, base: &str) -> String {
    match http.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Sum of the samples of `name` (exact metric name) whose line contains `label`.
pub fn metric(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
                && l.contains(label)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |a, b| a + b)
}
