//! The sending floor of the campaign bench: what it costs a process to do nothing but
//! send the campaign's messages to the Meta emulator, at the same rate and in the same
//! rounds as the engine's campaign lane (a round every 25 ms, its calls joined on one
//! task, through the engine's own `MetaClient`), with no store, no actors, no inbox. It
//! runs in a child process (this bench re-executed with `GALANTIS_BENCH_ROLE=floor`) so
//! its CPU is counted alone; the engine's CPU per message is reported against it, as the
//! ingest bench reports against its durable floor.

use crate::common::{clock_ticks, cpu_time, env_u64};
use galantis::integrations::meta::client::{MetaClient, MetaClientSettings};
use galantis::sandbox::meta::MetaEmulator;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The role of the child process.
pub const ROLE: &str = "floor";
const URL: &str = "GALANTIS_BENCH_FLOOR_URL";

/// What the floor measured.
pub struct Floor {
    /// CPU of the sending process per accepted message, in µs.
    pub sender_us: f64,
    /// CPU of this process (the emulator) per message over the same run, in µs.
    pub emulator_us: f64,
    /// Messages the sender counted in its window.
    pub messages: u64,
}

/// The child: sends for `GALANTIS_BENCH_SECS` after a second of warm-up and prints
/// `floor <messages> <cpu µs>` for its window.
pub fn child() {
    let url = std::env::var(URL).expect("GALANTIS_BENCH_FLOOR_URL");
    let rate = env_u64("GALANTIS_BENCH_RATE", 1_000).max(40);
    let secs = env_u64("GALANTIS_BENCH_SECS", 30).max(5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let client = Arc::new(
            MetaClient::new(&MetaClientSettings {
                base_url: url,
                graph_version: "v23.0".into(),
                timeout_ms: 10_000,
            })
            .expect("client"),
        );
        let per_round = rate / 40;
        let sent = Arc::new(AtomicU64::new(0));
        let ticks = clock_ticks();
        let warm = Instant::now() + Duration::from_secs(1);
        let end = warm + Duration::from_secs(secs);
        let mut tick = tokio::time::interval(Duration::from_millis(25));
        let mut start = None;
        let mut n = 0u64;
        loop {
            tick.tick().await;
            let now = Instant::now();
            if now >= warm && start.is_none() {
                start = Some((cpu_time(None, ticks), sent.load(Ordering::Relaxed)));
            }
            if now >= end {
                break;
            }
            let bodies: Vec<String> = (0..per_round)
                .map(|_| {
                    n += 1;
                    body(n)
                })
                .collect();
            let (client, sent) = (client.clone(), sent.clone());
            tokio::spawn(async move {
                let calls = bodies
                    .into_iter()
                    .map(|b| client.send_message_json(super::TOKEN, super::NUMBER, b));
                for r in futures_util::future::join_all(calls).await {
                    if r.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        let (cpu0, sent0) = start.expect("a window");
        let cpu = cpu_time(None, ticks).saturating_sub(cpu0);
        let msgs = sent.load(Ordering::Relaxed).saturating_sub(sent0);
        println!("floor {msgs} {}", cpu.as_micros());
    });
}

/// A campaign message as the lane sends it: the bench template with its one variable.
fn body(n: u64) -> String {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": format!("+3460{:07}", n % 10_000_000),
        "type": "template",
        "template": {
            "name": "bench_notice",
            "language": {"code": "en"},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]
        }
    })
    .to_string()
}

/// Runs the child against `emu` (in this process) and measures both sides.
pub async fn measure(emu: &MetaEmulator, rate: u64, secs: u64) -> Floor {
    let ticks = clock_ticks();
    let calls = || emu.calls().get("send_message").copied().unwrap_or(0);
    let (own0, calls0) = (cpu_time(None, ticks), calls());
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("exe"));
    cmd.env(super::ROLE, ROLE)
        .env(URL, emu.base_url())
        .env("GALANTIS_BENCH_RATE", rate.to_string())
        .env("GALANTIS_BENCH_SECS", secs.to_string());
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .expect("join")
        .expect("floor child");
    assert!(out.status.success(), "floor child failed: {out:?}");
    let own = cpu_time(None, ticks).saturating_sub(own0);
    let all = calls().saturating_sub(calls0).max(1);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("floor "))
        .expect("floor line");
    let mut f = line
        .split_whitespace()
        .map(|x| x.parse::<u64>().unwrap_or(0));
    let (messages, cpu_us) = (f.next().unwrap_or(0), f.next().unwrap_or(0));
    Floor {
        sender_us: cpu_us as f64 / messages.max(1) as f64,
        emulator_us: own.as_secs_f64() * 1e6 / all as f64,
        messages,
    }
}
