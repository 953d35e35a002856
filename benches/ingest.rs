//! Ingest benchmark (issue #2, DESIGN §8): Shopify webhooks over HTTP into the real engine
//! (the `galantis` binary in a child process) against a bare axum handler (this binary
//! re-executed as a child process) with the same load generator in the same run:
//! closed loop with 64 keep-alive connections (requests/s, p50/p99), then an open loop at
//! a fixed 2,000 webhooks/s (ack latency from the intended send time, no coordinated
//! omission). Afterwards it checks that the engine applied every acknowledged webhook.
//!
//! Run: `cargo bench --bench ingest`. Knobs: `GALANTIS_BENCH_SECS` (10),
//! `GALANTIS_BENCH_WARMUP_SECS` (2), `GALANTIS_BENCH_CONNECTIONS` (64),
//! `GALANTIS_BENCH_RATE` (2000), `GALANTIS_BENCH_CLIENT_THREADS` (2).
//!
//! The load generator is a minimal HTTP/1.1 client over tokio `TcpStream`s (one request
//! in flight per connection, keep-alive), so that on a 2-core machine it takes as little
//! CPU as possible away from the server; every request is built, signed and sent the same
//! way for both servers. Everything talks over 127.0.0.1 only.

mod common;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use common::{clock_ticks, cpu_time, env_u64, mib, status_bytes, thousands, Bodies, Person};
use galantis::domain::Timestamp;
use galantis::integrations::shopify::webhook::sign;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

const ROLE: &str = "GALANTIS_BENCH_ROLE";
const SHOP: &str = "bench-ingest.myshopify.com";
const SECRET: &str = "bench-client-secret";
const OPERATOR: &str = "bench-operator-token-0123456789";

fn main() {
    if std::env::var(ROLE).as_deref() == Ok("bare") {
        bare_server();
        return;
    }
    let cfg = Config {
        secs: env_u64("GALANTIS_BENCH_SECS", 10).max(1),
        warmup: env_u64("GALANTIS_BENCH_WARMUP_SECS", 2),
        conns: env_u64("GALANTIS_BENCH_CONNECTIONS", 64).max(1),
        rate: env_u64("GALANTIS_BENCH_RATE", 2000).max(1),
    };
    let threads = env_u64("GALANTIS_BENCH_CLIENT_THREADS", 2).max(1) as usize;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(run(cfg, threads));
}

#[derive(Clone, Copy)]
struct Config {
    secs: u64,
    warmup: u64,
    conns: u64,
    rate: u64,
}

// ---------------------------------------------------------------------------------------
// The bare baseline server (child process)
// ---------------------------------------------------------------------------------------

/// Answers 200 with a small JSON body to every POST, after reading the whole body: the
/// least any webhook receiver must do. Same runtime shape as the engine's `main`.
fn bare_server() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let app = axum::Router::new()
            .route("/webhooks/shopify", axum::routing::post(bare_ack))
            .route("/readyz", axum::routing::get(|| async { "ready" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        println!(
            "{}",
            json!({"message": "Listening.", "addr": addr.to_string()})
        );
        axum::serve(listener, app).await.expect("serve");
    });
}

async fn bare_ack(headers: HeaderMap, body: Bytes) -> (StatusCode, Json<Value>) {
    std::hint::black_box((headers.len(), body.len()));
    (StatusCode::OK, Json(json!({"status": "accepted"})))
}

// ---------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------

struct Server {
    child: Child,
    addr: SocketAddr,
    problems: Arc<AtomicU64>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd`, waits for its `Listening.` JSON line and keeps draining its stdout
/// (warn and error lines are echoed to stderr and counted).
fn start(name: &'static str, mut cmd: Command, dir: Option<tempfile::TempDir>) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {name}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let problems = Arc::new(AtomicU64::new(0));
    let (tx, rx) = std::sync::mpsc::channel();
    let seen = problems.clone();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let v: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
            if !sent && v["message"] == "Listening." {
                if let Some(addr) = v["addr"].as_str() {
                    let _ = tx.send(addr.to_string());
                    sent = true;
                }
            }
            if matches!(v["level"].as_str(), Some("WARN") | Some("ERROR"))
                && seen.fetch_add(1, Ordering::Relaxed) < 5
            {
                eprintln!("[{name}] {line}");
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{name} did not print its address"));
    Server {
        child,
        addr: addr.parse().expect("addr"),
        problems,
        _dir: dir,
    }
}

fn start_bare() -> Server {
    let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
    cmd.env(ROLE, "bare");
    start("bare axum", cmd, None)
}

fn start_engine() -> Server {
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-ingest")
        .tempdir()
        .expect("tempdir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galantis"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("GALANTIS_MASTER_KEY", "11".repeat(32))
        .env("GALANTIS_SHOPIFY_CLIENT_SECRET", SECRET)
        .env("GALANTIS_OPERATOR_TOKEN", OPERATOR)
        .env("GALANTIS__LOG__LEVEL", "info")
        .env_remove("RUST_LOG");
    start("engine", cmd, Some(dir))
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// Builds signed webhook requests. Connection `conn` of phase `phase` sends, in turn, a
/// `customers/update` for a new customer and an `orders/create` for that customer.
struct Gen {
    bodies: Bodies,
    host: String,
}

/// Ids of phase `phase`, connection `conn`, customer `j` (all distinct).
fn customer_number(phase: u64, conn: u64, j: u64) -> u64 {
    phase * 100_000_000_000 + conn * 100_000_000 + j
}

impl Gen {
    /// Body `n` of connection `conn` in `phase`: topic and JSON.
    fn body(&self, phase: u64, conn: u64, n: u64) -> (&'static str, String) {
        let j = n / 2;
        let number = customer_number(phase, conn, j);
        let p = Person::new(number, common::CUSTOMER_BASE + number);
        let created = common::T0 + (number % 86_400_000) as i64;
        if n % 2 == 0 {
            let body = self.bodies.customer(&p, created, created + 1000);
            ("customers/update", body)
        } else {
            let oid = common::ORDER_BASE + number;
            let cents = 1_500 + (number * 37) % 30_000;
            let body = self.bodies.order(&p, oid, created + 5000, cents);
            ("orders/create", body)
        }
    }

    /// Request `n` of connection `conn` in `phase`: the raw HTTP bytes, and whether it is
    /// a `customers/update`.
    fn request(&self, phase: u64, conn: u64, n: u64) -> (Vec<u8>, bool) {
        let (topic, body) = self.body(phase, conn, n);
        let is_customer = n % 2 == 0;
        let sig = sign(SECRET.as_bytes(), body.as_bytes());
        let id = format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            phase as u32,
            conn & 0xffff,
            (n >> 48) & 0xfff,
            (n >> 36) & 0xfff,
            n & 0xffff_ffff_ffff
        );
        let triggered = Timestamp::now().to_rfc3339();
        let head = format!(
            "POST /webhooks/shopify HTTP/1.1\r\nHost: {}\r\nUser-Agent: Shopify-Captain-Hook\r\nAccept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\nX-Shopify-Topic: {topic}\r\nX-Shopify-Hmac-Sha256: {sig}\r\nX-Shopify-Shop-Domain: {SHOP}\r\nX-Shopify-Webhook-Id: {id}\r\nX-Shopify-Event-Id: {id}\r\nX-Shopify-API-Version: 2026-04\r\nX-Shopify-Triggered-At: {triggered}\r\n\r\n",
            self.host,
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body.as_bytes());
        (req, is_customer)
    }
}

/// One keep-alive HTTP/1.1 connection with one request in flight.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8192),
        })
    }

    /// Sends `req` and reads the whole response; returns its status.
    async fn roundtrip(&mut self, req: &[u8]) -> std::io::Result<u16> {
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

// ---------------------------------------------------------------------------------------
// Load phases
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Outcome {
    /// Responses completed inside the measurement window.
    in_window: u64,
    /// Latencies (µs) of those.
    latencies: Vec<u64>,
    /// For the open loop: how late (µs) requests left after their intended time.
    send_lag: Vec<u64>,
    /// 200s over the whole phase (warm-up included), and how many were customers/update.
    ok: u64,
    ok_customers: u64,
    /// Non-200 answers by status, and I/O errors.
    statuses: BTreeMap<u16, u64>,
    io_errors: u64,
    /// Window length.
    window: Duration,
}

impl Outcome {
    fn merge(&mut self, o: Outcome) {
        self.in_window += o.in_window;
        self.latencies.extend(o.latencies);
        self.send_lag.extend(o.send_lag);
        self.ok += o.ok;
        self.ok_customers += o.ok_customers;
        for (s, n) in o.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
        self.io_errors += o.io_errors;
    }

    fn rate(&self) -> f64 {
        self.in_window as f64 / self.window.as_secs_f64()
    }

    fn errors(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.io_errors
    }
}

/// The `q` quantile (0..=1) of sorted `v`, in ms.
fn q_ms(v: &[u64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v[i.min(v.len() - 1)] as f64 / 1000.0
}

/// CPU seconds used by the server and by this process between two samples.
#[derive(Clone, Copy)]
struct Cpu {
    server: Duration,
    client: Duration,
    /// Bytes the server wrote to storage so far.
    written: u64,
}

fn cpu_sample(pid: u32, ticks: u64) -> Cpu {
    Cpu {
        server: cpu_time(Some(pid), ticks),
        client: cpu_time(None, ticks),
        written: common::write_bytes(pid),
    }
}

/// Closed loop: `conns` connections, each sending its next request as soon as the
/// previous answer is read, for `warmup` + `secs` seconds; the window is the last `secs`.
async fn closed_loop(
    addr: SocketAddr,
    gen: Arc<Gen>,
    phase: u64,
    cfg: Config,
) -> std::io::Result<Outcome> {
    let mut conns = Vec::new();
    for _ in 0..cfg.conns {
        conns.push(Conn::open(addr).await?);
    }
    let begin = Instant::now();
    let from = begin + Duration::from_secs(cfg.warmup);
    let end = from + Duration::from_secs(cfg.secs);
    let mut tasks = Vec::new();
    for (k, mut conn) in conns.into_iter().enumerate() {
        let gen = gen.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut n = 0u64;
            while Instant::now() < end {
                let (req, is_customer) = gen.request(phase, k as u64, n);
                n += 1;
                let sent = Instant::now();
                match conn.roundtrip(&req).await {
                    Ok(status) => {
                        let done = Instant::now();
                        if status == 200 {
                            out.ok += 1;
                            out.ok_customers += u64::from(is_customer);
                        } else {
                            *out.statuses.entry(status).or_default() += 1;
                        }
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
        window: Duration::from_secs(cfg.secs),
        ..Outcome::default()
    };
    for t in tasks {
        total.merge(t.await.expect("load task"));
    }
    total.latencies.sort_unstable();
    Ok(total)
}

/// Open loop at `rate` requests/s (wrk2-style: connection k sends requests k, k + C,
/// k + 2C … at their intended times `i / rate`); latency counts from the intended time,
/// so a stalled server is charged for every request it delayed.
async fn open_loop(
    addr: SocketAddr,
    gen: Arc<Gen>,
    phase: u64,
    cfg: Config,
) -> std::io::Result<Outcome> {
    let mut conns = Vec::new();
    for _ in 0..cfg.conns {
        conns.push(Conn::open(addr).await?);
    }
    let warm = cfg.warmup.min(1);
    let total_reqs = cfg.rate * (warm + cfg.secs);
    let t0 = tokio::time::Instant::now() + Duration::from_millis(100);
    let from = t0 + Duration::from_secs(warm);
    let mut tasks = Vec::new();
    for (k, mut conn) in conns.into_iter().enumerate() {
        let gen = gen.clone();
        let (c, rate) = (cfg.conns, cfg.rate);
        tasks.push(tokio::spawn(async move {
            let mut out = Outcome::default();
            let mut j = 0u64;
            loop {
                let i = k as u64 + j * c;
                if i >= total_reqs {
                    break;
                }
                let intended = t0 + Duration::from_nanos(i * 1_000_000_000 / rate);
                let (req, is_customer) = gen.request(phase, k as u64, j);
                j += 1;
                tokio::time::sleep_until(intended).await;
                let sent = tokio::time::Instant::now();
                match conn.roundtrip(&req).await {
                    Ok(status) => {
                        let done = tokio::time::Instant::now();
                        if status == 200 {
                            out.ok += 1;
                            out.ok_customers += u64::from(is_customer);
                        } else {
                            *out.statuses.entry(status).or_default() += 1;
                        }
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
        window: Duration::from_secs(cfg.secs),
        ..Outcome::default()
    };
    for t in tasks {
        total.merge(t.await.expect("load task"));
    }
    total.latencies.sort_unstable();
    total.send_lag.sort_unstable();
    Ok(total)
}

/// The store alone, in this process: `Store::accept_webhook` (dedupe check + write-ahead
/// log append) then `Store::ack_durable()` (group `fdatasync`), from `conns`
/// tasks with the same bodies; no HTTP, no HMAC, no actors. The ceiling that sled and the
/// group commit set on this machine. Returns writes/s, sorted latencies (µs) and bytes
/// written to storage per webhook (whole phase).
async fn store_alone(gen: Arc<Gen>, cfg: Config, secs: u64) -> (f64, Vec<u64>, f64) {
    let written0 = common::write_bytes(std::process::id());
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-store")
        .tempdir()
        .expect("tempdir");
    let store = galantis::store::Store::open(dir.path(), 256 * 1024 * 1024).expect("store");
    let begin = Instant::now();
    let from = begin + Duration::from_secs(1);
    let end = from + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for k in 0..cfg.conns {
        let (gen, store) = (gen.clone(), store.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            while Instant::now() < end {
                let (topic, body) = gen.body(2, k, n);
                let entry = galantis::store::JournalEntry {
                    shop: SHOP.to_string(),
                    topic: topic.to_string(),
                    webhook_id: format!("{k}-{n}"),
                    api_version: "2026-04".into(),
                    triggered_at: Some(Timestamp::now()),
                    received_at: Timestamp::now(),
                    body: body.into_bytes().into(),
                };
                n += 1;
                let t = Instant::now();
                store.accept_webhook(entry).expect("accept");
                store.ack_durable().await.expect("durable");
                let done = Instant::now();
                if done >= from && done <= end {
                    lat.push((done - t).as_micros() as u64);
                }
            }
            (lat, n)
        }));
    }
    let mut lat = Vec::new();
    let mut all = 0u64;
    for t in tasks {
        let (l, n) = t.await.expect("store task");
        lat.extend(l);
        all += n;
    }
    store.flush_now().expect("flush");
    let written = common::write_bytes(std::process::id()).saturating_sub(written0);
    lat.sort_unstable();
    (
        lat.len() as f64 / secs as f64,
        lat,
        written as f64 / all.max(1) as f64,
    )
}

// ---------------------------------------------------------------------------------------
// Engine control plane and metrics
// ---------------------------------------------------------------------------------------

async fn wait_ready(http: &reqwest::Client, base: &str) {
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

async fn create_tenant(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(OPERATOR)
        .json(&json!({"shop": SHOP, "shopify_access_token": "shpat_bench"}))
        .send()
        .await
        .expect("create tenant");
    assert_eq!(r.status(), 201, "create tenant");
    let v: Value = r.json().await.expect("json");
    v["api_key"].as_str().expect("api_key").to_string()
}

/// The engine's Prometheus counters we use.
#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    accepted: f64,
    applied: f64,
    ignored: f64,
    dead: f64,
    flushes: f64,
    ack_sum: f64,
    ack_count: f64,
}

impl Counters {
    fn processed(&self) -> f64 {
        self.applied + self.ignored + self.dead
    }
}

/// Sum of the samples of `name` (exact metric name) whose labels contain `label`.
fn metric(text: &str, name: &str, label: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
                && l.contains(label)
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .fold(0.0, |a, b| a + b)
}

async fn counters(http: &reqwest::Client, base: &str) -> Counters {
    let text = match http.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    Counters {
        accepted: metric(
            &text,
            "galantis_shopify_webhooks_total",
            "outcome=\"accepted\"",
        ),
        applied: metric(&text, "galantis_webhooks_applied_total", ""),
        ignored: metric(&text, "galantis_webhooks_ignored_total", ""),
        dead: metric(&text, "galantis_webhooks_dead_lettered_total", ""),
        flushes: metric(&text, "galantis_wal_syncs_total", ""),
        ack_sum: metric(&text, "galantis_shopify_webhook_ack_seconds_sum", ""),
        ack_count: metric(&text, "galantis_shopify_webhook_ack_seconds_count", ""),
    }
}

/// Waits until every accepted webhook has been applied (or ignored / dead-lettered);
/// returns the wait and the final counters.
async fn drain(http: &reqwest::Client, base: &str) -> (Duration, Counters) {
    let t = Instant::now();
    loop {
        let c = counters(http, base).await;
        if c.processed() >= c.accepted || t.elapsed() > Duration::from_secs(120) {
            return (t.elapsed(), c);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Counts the tenant's contacts through the API (pages of 500); returns the count and
/// the first contact.
async fn count_contacts(http: &reqwest::Client, base: &str, key: &str) -> (u64, Value) {
    let mut n = 0u64;
    let mut first = Value::Null;
    let mut after: Option<u64> = None;
    loop {
        let url = match after {
            Some(a) => format!("{base}/api/v1/contacts?limit=500&after={a}"),
            None => format!("{base}/api/v1/contacts?limit=500"),
        };
        let r = http
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .expect("contacts");
        assert_eq!(r.status(), 200, "GET /api/v1/contacts");
        let v: Value = r.json().await.expect("json");
        let items = v["items"].as_array().cloned().unwrap_or_default();
        if first.is_null() {
            first = items.first().cloned().unwrap_or(Value::Null);
        }
        n += items.len() as u64;
        match v["next_after"].as_u64() {
            Some(a) => after = Some(a),
            None => return (n, first),
        }
    }
}

// ---------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------

struct Closed {
    out: Outcome,
    cpu: (Cpu, Cpu),
}

impl Closed {
    fn server_cpu_per_req(&self) -> f64 {
        (self.cpu.1.server - self.cpu.0.server).as_secs_f64() * 1e6
            / self.out.in_window.max(1) as f64
    }
    fn written_per_req(&self) -> f64 {
        self.cpu.1.written.saturating_sub(self.cpu.0.written) as f64
            / self.out.in_window.max(1) as f64
    }
    fn client_cpu_per_req(&self) -> f64 {
        (self.cpu.1.client - self.cpu.0.client).as_secs_f64() * 1e6
            / self.out.in_window.max(1) as f64
    }
}

/// Runs the closed loop while sampling CPU at the window's edges (and, for the engine,
/// the counters).
async fn measure_closed(
    server: &Server,
    gen: Arc<Gen>,
    phase: u64,
    cfg: Config,
    http: &reqwest::Client,
    engine: bool,
) -> (Closed, Option<(Counters, Counters)>) {
    let ticks = clock_ticks();
    let pid = server.pid();
    let base = server.base();
    let sampler = {
        let http = http.clone();
        let base = base.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(cfg.warmup)).await;
            let c0 = if engine {
                Some(counters(&http, &base).await)
            } else {
                None
            };
            let s0 = cpu_sample(pid, ticks);
            tokio::time::sleep(Duration::from_secs(cfg.secs)).await;
            let s1 = cpu_sample(pid, ticks);
            let c1 = if engine {
                Some(counters(&http, &base).await)
            } else {
                None
            };
            (s0, s1, c0.zip(c1))
        })
    };
    let out = closed_loop(server.addr, gen, phase, cfg)
        .await
        .expect("closed loop");
    let (s0, s1, c) = sampler.await.expect("sampler");
    (Closed { out, cpu: (s0, s1) }, c)
}

fn print_closed(name: &str, c: &Closed) {
    let o = &c.out;
    println!(
        "  {name}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; server CPU {:.0} µs/req, server disk writes {:.0} B/req, load-generator CPU {:.0} µs/req; {} ok, {} errors {:?}",
        o.rate(),
        q_ms(&o.latencies, 0.5),
        q_ms(&o.latencies, 0.99),
        q_ms(&o.latencies, 1.0),
        c.server_cpu_per_req(),
        c.written_per_req(),
        c.client_cpu_per_req(),
        thousands(o.ok),
        o.errors(),
        o.statuses
    );
}

fn print_open(name: &str, o: &Outcome, rate: u64) {
    println!(
        "  {name}: target {rate}/s, achieved {:.0}/s; latency from intended send: p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms; generator send lag p99 {:.2} ms; {} errors {:?}",
        o.rate(),
        q_ms(&o.latencies, 0.5),
        q_ms(&o.latencies, 0.99),
        q_ms(&o.latencies, 0.999),
        q_ms(&o.latencies, 1.0),
        q_ms(&o.send_lag, 0.99),
        o.errors(),
        o.statuses
    );
    let lag = q_ms(&o.send_lag, 0.99);
    if lag > 5.0 {
        println!(
            "  WARNING: the load generator itself sent late (p99 {lag:.1} ms after the intended time): the machine is contended and this latency figure mostly measures that"
        );
    }
}

async fn run(cfg: Config, threads: usize) {
    // reqwest is built with `rustls-no-provider`: the engine installs ring, so do we.
    galantis::integrations::install_tls_provider();
    let http = reqwest::Client::new();
    println!(
        "== ingest: Shopify webhooks over HTTP, engine vs bare axum (same run, same generator) =="
    );
    println!("machine: {}", common::machine());
    println!(
        "load: {} keep-alive connections, closed loop {} s warm-up + {} s measured; open loop {}/s for {} s (+1 s warm-up); generator on {} tokio threads in this process, each server in its own child process",
        cfg.conns, cfg.warmup, cfg.secs, cfg.rate, cfg.secs, threads
    );

    // Body sizes.
    let probe = Gen {
        bodies: Bodies::new(),
        host: "127.0.0.1:1".into(),
    };
    let (c, _) = probe.request(9, 0, 0);
    let (o, _) = probe.request(9, 0, 1);
    let body_len = |r: &[u8]| {
        r.windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(0, |h| r.len() - h - 4)
    };
    println!(
        "bodies: customers/update {} B, orders/create {} B (signed, unique X-Shopify-Webhook-Id, distinct customer ids)",
        body_len(&c),
        body_len(&o)
    );
    let gen_for_store = || {
        Arc::new(Gen {
            bodies: Bodies::new(),
            host: String::new(),
        })
    };
    let gen_for = |s: &Server| {
        Arc::new(Gen {
            bodies: Bodies::new(),
            host: s.addr.to_string(),
        })
    };

    // 1. Bare baseline.
    let bare = start_bare();
    wait_ready(&http, &bare.base()).await;
    println!("\n[bare axum handler, pid {}]", bare.pid());
    let (bare_closed, _) = measure_closed(&bare, gen_for(&bare), 0, cfg, &http, false).await;
    print_closed("closed loop", &bare_closed);
    let bare_open = open_loop(bare.addr, gen_for(&bare), 1, cfg)
        .await
        .expect("open loop");
    print_open("open loop  ", &bare_open, cfg.rate);
    let bare_rss = status_bytes(Some(bare.pid()), "VmRSS");
    drop(bare);

    // 2. The engine.
    let engine = start_engine();
    let base = engine.base();
    wait_ready(&http, &base).await;
    let key = create_tenant(&http, &base).await;
    println!(
        "\n[engine: {} serve, pid {}]",
        env!("CARGO_BIN_EXE_galantis"),
        engine.pid()
    );
    let (eng_closed, window) = measure_closed(&engine, gen_for(&engine), 0, cfg, &http, true).await;
    print_closed("closed loop", &eng_closed);
    let (drain1, after1) = drain(&http, &base).await;
    if let Some((c0, c1)) = window {
        let secs = cfg.secs as f64;
        let acked = c1.accepted - c0.accepted;
        let flushes = c1.flushes - c0.flushes;
        println!(
            "    in the window: accepted {:.0}/s, applied {:.0}/s, backlog at the end {:.0}, drained {:.2} s after the run; {:.0} write-ahead log syncs/s ({:.1} webhooks per sync); server-side mean ack {:.2} ms",
            acked / secs,
            (c1.processed() - c0.processed()) / secs,
            c1.accepted - c1.processed(),
            drain1.as_secs_f64(),
            flushes / secs,
            acked / flushes.max(1.0),
            (c1.ack_sum - c0.ack_sum) / (c1.ack_count - c0.ack_count).max(1.0) * 1000.0
        );
    }
    let eng_open = open_loop(engine.addr, gen_for(&engine), 1, cfg)
        .await
        .expect("open loop");
    print_open("open loop  ", &eng_open, cfg.rate);
    let (drain2, after2) = drain(&http, &base).await;
    let eng_rss = status_bytes(Some(engine.pid()), "VmRSS");

    // 3. Did the engine apply what it acknowledged?
    let sent_ok = eng_closed.out.ok + eng_open.ok;
    let expected_contacts = eng_closed.out.ok_customers + eng_open.ok_customers;
    let (contacts, first) = count_contacts(&http, &base, &key).await;
    println!("\n[verification]");
    println!(
        "  acknowledged 200: {}; engine counters: accepted {:.0}, applied {:.0}, ignored {:.0}, dead-lettered {:.0} (drain after open loop {:.2} s; after closed loop: applied {:.0} of {:.0})",
        thousands(sent_ok),
        after2.accepted,
        after2.applied,
        after2.ignored,
        after2.dead,
        drain2.as_secs_f64(),
        after1.processed(),
        after1.accepted
    );
    println!(
        "  contacts via GET /api/v1/contacts: {} (expected {}: one per acknowledged customers/update); first: id {} orders_count {} phone {}",
        thousands(contacts),
        thousands(expected_contacts),
        first["shopify_customer_id"],
        first["orders_count"],
        first["phone"]
    );
    println!(
        "  RSS: bare server {}, engine {}; engine warn/error log lines: {}",
        mib(bare_rss),
        mib(eng_rss),
        engine.problems.load(Ordering::Relaxed)
    );
    let applied_ok = after2.accepted as u64 == sent_ok
        && after2.applied as u64 == sent_ok
        && contacts == expected_contacts;
    drop(engine);

    // 4. The store alone (same process as the generator), for attribution.
    let store_secs = cfg.secs.min(5);
    let (store_rate, store_lat, store_bytes) = store_alone(gen_for_store(), cfg, store_secs).await;
    println!(
        "\n[store alone, in-process: accept_webhook + ack_durable() from {} tasks, {} s]\n  {:.0} durable webhooks/s, p50 {:.2} ms, p99 {:.2} ms, disk writes {:.0} B/webhook",
        cfg.conns,
        store_secs,
        store_rate,
        q_ms(&store_lat, 0.5),
        q_ms(&store_lat, 0.99),
        store_bytes
    );

    // 5. Summary.
    let ratio = eng_closed.out.rate() / bare_closed.out.rate();
    let p99 = q_ms(&eng_open.latencies, 0.99);
    let yes = |b: bool| if b { "yes" } else { "NO" };
    println!("\n| measure | bare axum | engine | engine / bare | target | met |");
    println!("|---|---:|---:|---:|---:|:---:|");
    println!(
        "| closed loop, {} conns: requests/s | {:.0} | {:.0} | {:.0} % | ≥ 50 % | {} |",
        cfg.conns,
        bare_closed.out.rate(),
        eng_closed.out.rate(),
        ratio * 100.0,
        yes(ratio >= 0.5)
    );
    println!(
        "| closed loop: p50 / p99 latency | {:.2} / {:.2} ms | {:.2} / {:.2} ms | | | |",
        q_ms(&bare_closed.out.latencies, 0.5),
        q_ms(&bare_closed.out.latencies, 0.99),
        q_ms(&eng_closed.out.latencies, 0.5),
        q_ms(&eng_closed.out.latencies, 0.99)
    );
    println!(
        "| closed loop: server CPU per request | {:.0} µs | {:.0} µs | {:.1}× | | |",
        bare_closed.server_cpu_per_req(),
        eng_closed.server_cpu_per_req(),
        eng_closed.server_cpu_per_req() / bare_closed.server_cpu_per_req().max(1e-9)
    );
    println!(
        "| open loop {}/s: p50 / p99 ack latency | {:.2} / {:.2} ms | {:.2} / {:.2} ms | | p99 ≤ 10 ms | {} |",
        cfg.rate,
        q_ms(&bare_open.latencies, 0.5),
        q_ms(&bare_open.latencies, 0.99),
        q_ms(&eng_open.latencies, 0.5),
        p99,
        yes(p99 <= 10.0 && eng_open.errors() == 0)
    );
    println!(
        "| every acknowledged webhook applied, contacts = customers sent | | {} | | | |",
        yes(applied_ok)
    );
    println!(
        "| for attribution: store alone (accept + group commit, no HTTP/actors), writes/s | | {:.0} | {:.0} % of bare | | |",
        store_rate,
        store_rate / bare_closed.out.rate() * 100.0
    );
    println!("load average at end: {}", common::loadavg());
    if bare_closed.out.errors() + eng_closed.out.errors() > 0 {
        println!("WARNING: errors during the closed loop (see above)");
    }
}
