//! Run 1: the latency the dispatcher adds when it is not saturated.

use super::*;

/// Signed µs samples, sorted.
pub(super) struct Latency {
    /// Emulator receive − 202 arrival.
    pub(super) added: Vec<i64>,
    /// 202 arrival − request sent.
    pub(super) ack: Vec<i64>,
    /// Emulator receive − request sent.
    pub(super) total: Vec<i64>,
    pub(super) missing: u64,
    pub(super) not_202: u64,
}

pub(super) fn q_signed_ms(v: &[i64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v[i.min(v.len() - 1)] as f64 / 1000.0
}

pub(super) async fn latency_probe(
    emu: &MetaEmulator,
    server: &Server,
    key: &str,
    cfg: &Cfg,
) -> Latency {
    let n = cfg.probe_rate * cfg.probe_secs;
    let before = sends_so_far(emu);
    let mut conn = Conn::open(server.addr).await.expect("connect");
    let host = server.addr.to_string();
    let t0 = tokio::time::Instant::now() + Duration::from_millis(50);
    let mut acks = Vec::new();
    for i in 0..n {
        let to = cfg.customers - 1 - i % cfg.customers;
        let req = message_request(&host, key, "lat", i, to);
        let due = t0 + Duration::from_nanos(i * 1_000_000_000 / cfg.probe_rate);
        tokio::time::sleep_until(due).await;
        let sent = SystemTime::now();
        let status = conn.roundtrip(&req).await.expect("probe request");
        acks.push(Ack {
            i,
            sent,
            acked: SystemTime::now(),
            status,
        });
    }
    wait_sent(emu, before, n, "lat", n, Duration::from_secs(30)).await;
    let got = sent_of(emu, "lat");
    let mut out = Latency {
        added: Vec::new(),
        ack: Vec::new(),
        total: Vec::new(),
        missing: 0,
        not_202: 0,
    };
    let us = |a: SystemTime, b: SystemTime| (secs_between(a, b) * 1e6).round() as i64;
    for a in &acks {
        if a.status != 202 {
            out.not_202 += 1;
            continue;
        }
        let Some(at) = got.get(&a.i).and_then(|v| v.first()).map(|m| m.at) else {
            out.missing += 1;
            continue;
        };
        out.added.push(us(a.acked, at));
        out.ack.push(us(a.sent, a.acked));
        out.total.push(us(a.sent, at));
    }
    out.added.sort_unstable();
    out.ack.sort_unstable();
    out.total.sort_unstable();
    out
}

pub(super) fn print_latency(lat: &Latency) {
    println!(
        "  emulator receive − 202 arrival: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, min {:.3} ms, max {:.3} ms ({} msgs; {} not 202, {} never received)",
        q_signed_ms(&lat.added, 0.5),
        q_signed_ms(&lat.added, 0.9),
        q_signed_ms(&lat.added, 0.99),
        q_signed_ms(&lat.added, 0.0),
        q_signed_ms(&lat.added, 1.0),
        lat.added.len(),
        lat.not_202,
        lat.missing
    );
    println!(
        "  for context: request → 202 p50 {:.3} / p99 {:.3} ms; request → emulator receive p50 {:.3} / p99 {:.3} ms; {} of {} reached the emulator before their 202 reached the client",
        q_signed_ms(&lat.ack, 0.5),
        q_signed_ms(&lat.ack, 0.99),
        q_signed_ms(&lat.total, 0.5),
        q_signed_ms(&lat.total, 0.99),
        lat.added.iter().filter(|d| **d < 0).count(),
        lat.added.len()
    );
}
