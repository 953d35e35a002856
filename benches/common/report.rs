//! What the HTTP benches measure around a load phase and how they print it: CPU and disk
//! writes of the server (and of this process) over the window, and the one-line reports of
//! a closed and an open loop.

use super::load::{self, q_ms, Outcome, Requests, Server};
use super::{clock_ticks, cpu_time, thousands, write_bytes};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// CPU used by the server and by this process, and bytes the server wrote to storage, at
/// one moment.
#[derive(Clone, Copy)]
pub struct Cpu {
    pub server: Duration,
    pub client: Duration,
    pub written: u64,
}

/// Samples [`Cpu`] for server `pid` (`ticks` = clock ticks per second).
pub fn cpu_sample(pid: u32, ticks: u64) -> Cpu {
    Cpu {
        server: cpu_time(Some(pid), ticks),
        client: cpu_time(None, ticks),
        written: write_bytes(pid),
    }
}

/// A closed loop with the samples taken at its window's edges.
pub struct Closed {
    pub out: Outcome,
    pub cpu: (Cpu, Cpu),
}

impl Closed {
    fn per_req(&self, f: impl Fn(&Cpu) -> f64) -> f64 {
        (f(&self.cpu.1) - f(&self.cpu.0)) / self.out.in_window.max(1) as f64
    }

    /// Server CPU per request in the window, µs.
    pub fn server_us(&self) -> f64 {
        self.per_req(|c| c.server.as_secs_f64() * 1e6)
    }

    /// This process's (the generator's) CPU per request, µs.
    pub fn client_us(&self) -> f64 {
        self.per_req(|c| c.client.as_secs_f64() * 1e6)
    }

    /// Bytes the server wrote to storage per request.
    pub fn written(&self) -> f64 {
        self.per_req(|c| c.written as f64)
    }
}

/// Runs a closed loop of `conns` connections on `server` (requests of `phase`), `warmup`
/// then `secs` seconds, sampling the server's CPU at the edges of the measured window and,
/// when `read` is given, what it reads (an engine's `/metrics` counters) at the same
/// moments.
pub async fn measure_closed<G, C, F, Fut>(
    server: &Server,
    gen: Arc<G>,
    phase: u64,
    (conns, warmup, secs): (u64, u64, u64),
    read: Option<F>,
) -> (Closed, Option<(C, C)>)
where
    G: Requests,
    F: Fn() -> Fut + Send + 'static,
    Fut: Future<Output = C> + Send,
    C: Send + 'static,
{
    let (pid, ticks) = (server.pid(), clock_ticks());
    let sampler = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(warmup)).await;
        let c0 = match &read {
            Some(f) => Some(f().await),
            None => None,
        };
        let s0 = cpu_sample(pid, ticks);
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let s1 = cpu_sample(pid, ticks);
        let c1 = match &read {
            Some(f) => Some(f().await),
            None => None,
        };
        (s0, s1, c0.zip(c1))
    });
    let out = load::closed_loop(
        server.addr,
        gen,
        phase,
        conns,
        Duration::from_secs(warmup),
        Duration::from_secs(secs),
    )
    .await
    .expect("closed loop");
    let (s0, s1, c) = sampler.await.expect("sampler");
    (Closed { out, cpu: (s0, s1) }, c)
}

/// Prints a closed loop's line.
pub fn print_closed(name: &str, c: &Closed) {
    let o = &c.out;
    println!(
        "  {name}: {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; server CPU {:.0} µs/req, server disk writes {:.0} B/req, load-generator CPU {:.0} µs/req; {} ok, {} errors {:?}",
        o.rate(),
        q_ms(&o.latencies, 0.5),
        q_ms(&o.latencies, 0.99),
        q_ms(&o.latencies, 1.0),
        c.server_us(),
        c.written(),
        c.client_us(),
        thousands(o.ok),
        o.errors(),
        o.statuses
    );
}

/// Prints an open loop's line, with a warning when the generator itself fell behind.
pub fn print_open(name: &str, o: &Outcome, rate: u64) {
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
