//! Servers in child processes: the `galantis` binary with the bench secrets, or the bench
//! binary re-executed as a bare axum baseline; started, watched (warn/error lines counted)
//! and stopped.

use super::*;

/// A server in a child process, killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// WARN / ERROR log lines seen on its stdout.
    pub problems: Arc<AtomicU64>,
    pub dir: Option<tempfile::TempDir>,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGTERM (graceful stop), then SIGKILL after `grace`; gives the data dir back.
    pub fn stop(mut self, grace: Duration) -> Option<tempfile::TempDir> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < grace {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.dir.take()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `cmd`, waits for its `Listening.` JSON line and keeps draining its stdout
/// (warn and error lines are echoed to stderr, the first 5, and counted).
pub fn start(name: &'static str, cmd: Command, dir: Option<tempfile::TempDir>) -> Server {
    start_watch(name, cmd, dir, |_| {})
}

/// [`start`], calling `on_spawn` with the child's pid as soon as it exists.
pub fn start_watch(
    name: &'static str,
    mut cmd: Command,
    dir: Option<tempfile::TempDir>,
    on_spawn: impl FnOnce(u32),
) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {name}: {e}"));
    on_spawn(child.id());
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
        dir,
    }
}

/// `galantis serve` on 127.0.0.1 with the bench secrets and `env` on top, in `dir`
/// (a new temp dir when `None`).
pub fn start_engine(dir: Option<tempfile::TempDir>, env: &[(&str, String)]) -> Server {
    start_engine_watch(dir, env, |_| {})
}

/// [`start_engine`], calling `on_spawn` with the pid as soon as the process exists.
pub fn start_engine_watch(
    dir: Option<tempfile::TempDir>,
    env: &[(&str, String)],
    on_spawn: impl FnOnce(u32),
) -> Server {
    let dir = dir.unwrap_or_else(|| {
        tempfile::Builder::new()
            .prefix("galantis-bench")
            .tempdir()
            .expect("tempdir")
    });
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galantis"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("GALANTIS_MASTER_KEY", "11".repeat(32))
        .env("GALANTIS_SHOPIFY_CLIENT_SECRET", SHOPIFY_SECRET)
        .env("GALANTIS_OPERATOR_TOKEN", OPERATOR)
        .env("GALANTIS__LOG__LEVEL", "info")
        .env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    start_watch("engine", cmd, Some(dir), on_spawn)
}

/// This bench binary re-executed with `ROLE=bare`: see [`bare_server`].
pub fn start_bare() -> Server {
    let mut cmd = Command::new(std::env::current_exe().expect("current exe"));
    cmd.env(ROLE, "bare");
    start("bare axum", cmd, None)
}

/// The bare baseline (runs in the child): an axum router on a default multi-thread
/// runtime (the engine's shape) whose handler for `POST path` reads the headers and the
/// whole body and answers 200 with `answer`; `GET /readyz` answers 200.
pub fn bare_server(path: &'static str, answer: Value) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let ack = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
            let answer = answer.clone();
            async move {
                std::hint::black_box((headers.len(), body.len()));
                (axum::http::StatusCode::OK, axum::Json(answer))
            }
        };
        serve_loopback(axum::Router::new().route(path, axum::routing::post(ack))).await;
    });
}

/// Serves `app` plus `GET /readyz` on a free 127.0.0.1 port and prints the `Listening.`
/// line [`start`] waits for: the shape of every baseline server a bench re-executes.
pub async fn serve_loopback(app: axum::Router) {
    let app = app.route("/readyz", axum::routing::get(|| async { "ready" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    println!(
        "{}",
        json!({"message": "Listening.", "addr": addr.to_string()})
    );
    axum::serve(listener, app).await.expect("serve");
}
