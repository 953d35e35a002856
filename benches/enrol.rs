//! Enrolment throughput (issue #10, DESIGN §8's automations): domain events → enrolled
//! runs per second with `GALANTIS_BENCH_CONTACTS` contacts (default 1,000,000) in the
//! store. The contacts are written exactly as `benches/recovery.rs` writes them (built by
//! the real customer logic), in a child process; then, in a fresh process, the engine
//! recovers them, a UTILITY template is stored (`Engine::put_template`) and an
//! ORDER_PLACED → delay (60 min) → action flow is created through the flow API (DRAFT).
//!
//! Each phase feeds `GALANTIS_BENCH_EVENTS` (default 100,000) `orders/create` webhooks,
//! one new order each for distinct existing contacts (bodies from
//! `galantis::sandbox::payloads::rendered`, the ingest bench's builders), through the
//! engine's own acknowledgement path minus HTTP: `Store::accept_webhook` (dedupe + the
//! write-ahead log), `Store::ack_durable` once per group of 256 (group `fdatasync`), then
//! `Engine::deliver` (as `http/shopify_webhooks.rs` does after its checks). At most
//! `GALANTIS_BENCH_WINDOW` (default 2,000) accepted webhooks wait to be applied (an HTTP
//! sender would be held back the same way by its connections). The customer actor applies
//! each order and records `OrderPlaced`, which reaches the automation actor
//! (`AutomationsMsg::Recorded`). A phase ends when the automation actor's status shows
//! every event consumed and, with the flow active, the flow's counts show every new run
//! waiting on its delay (each run's first step taken: trigger → delay, due in 60 min).
//!
//! 1. reference: the flow is a DRAFT (no active flow): ingest, apply, event recording and
//!    the automation actor consuming the events, nothing enrolled;
//! 2. enrolment: the flow is ACTIVE: the same, plus one enrolment and one first step per
//!    event;
//! 3. reference again, the flow PAUSED (brackets the machine's drift).
//!
//! Reported: runs/s, wall time and process CPU per event of each phase, and enrolment's
//! cost over the mean of the two references (µs per enrolment, wall and CPU).
//!
//! Run: `cargo bench --bench enrol`.

mod common;

use common::{env_u64, mib, rss_bytes, thousands, Bodies, Person, CUSTOMER_BASE, ORDER_BASE};
use galantis::actors::automations::AutomationsMsg;
use galantis::actors::customers::CustomersMsg;
use galantis::actors::tenant::TenantMsg;
use galantis::actors::{Delivered, Engine};
use galantis::domain::automations::run::RunStatus;
use galantis::domain::automations::{FlowDraft, FlowStatus};
use galantis::domain::whatsapp::{Template, TemplateStatus};
use galantis::domain::Timestamp;
use galantis::store::{Accepted, JournalEntry, Store};
use serde_json::json;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const SHOP: &str = "bench-enrol.myshopify.com";
const ROLE: &str = "GALANTIS_BENCH_ROLE";
const DIR: &str = "GALANTIS_BENCH_DIR";
const CACHE_BYTES: u64 = 256 * 1024 * 1024;
/// Webhooks acknowledged per group `fdatasync`.
const GROUP: usize = 256;
/// New orders' ids start here (the contacts' own orders are `ORDER_BASE + 2n + k`).
const NEW_ORDERS: u64 = ORDER_BASE + 100_000_000;
/// A phase that makes no progress for this long is reported and stopped.
const STALL: Duration = Duration::from_secs(60);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() {
    let contacts = env_u64("GALANTIS_BENCH_CONTACTS", 1_000_000).max(3);
    let events = env_u64("GALANTIS_BENCH_EVENTS", 100_000).clamp(1, contacts / 3);
    let window = env_u64("GALANTIS_BENCH_WINDOW", 2_000).max(1) as usize;
    if std::env::var(ROLE).as_deref() == Ok("write") {
        let dir = PathBuf::from(std::env::var(DIR).expect("GALANTIS_BENCH_DIR"));
        runtime().block_on(write(&dir, contacts));
        return;
    }
    println!(
        "== enrol: {} order placements per phase, {} contacts in the store ==",
        thousands(events),
        thousands(contacts)
    );
    println!("machine: {}", common::machine());
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-enrol")
        .tempdir()
        .expect("tempdir");
    let status = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(ROLE, "write")
        .env(DIR, dir.path())
        .env("GALANTIS_BENCH_CONTACTS", contacts.to_string())
        .status()
        .expect("write phase");
    assert!(status.success(), "write phase failed: {status}");
    runtime().block_on(measure(dir.path(), contacts, events, window));
}

/// Writes the tenant and `n` contacts (the write phase, in the child process).
async fn write(dir: &Path, n: u64) {
    let started = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open store");
    assert!(common::create_tenant(&store, SHOP, "glt_bench_enrol"));
    let w = common::write_contacts(&store, SHOP, n, false);
    store.flush_now().expect("flush");
    println!(
        "write phase (child process): {} contacts ({} deliveries applied) in {:.1} s, ~{} B per contact value, {} on disk",
        thousands(w.contacts),
        thousands(w.applied),
        started.elapsed().as_secs_f64(),
        w.bytes / w.contacts.max(1),
        mib(store.size_on_disk())
    );
}

/// One phase's figures.
struct Phase {
    name: &'static str,
    /// First accept → everything consumed (and, with the flow active, waiting).
    wall: Duration,
    /// First accept → the last webhook handed to the engine.
    fed: Duration,
    /// Process CPU (user + system) over `wall`.
    cpu: Duration,
    events: u64,
}

impl Phase {
    fn per_event_us(&self) -> (f64, f64) {
        let n = self.events as f64;
        (
            self.wall.as_secs_f64() * 1e6 / n,
            self.cpu.as_secs_f64() * 1e6 / n,
        )
    }
    fn rate(&self) -> f64 {
        self.events as f64 / self.wall.as_secs_f64()
    }
}

fn template() -> Template {
    Template {
        name: "order_thanks".into(),
        language: "en".into(),
        category: "UTILITY".into(),
        status: TemplateStatus::Approved,
        meta_id: Some("1000000000000001".into()),
        components: json!([{"type": "BODY", "text": "Thanks, your order is confirmed."}])
            .to_string(),
        reason: None,
        updated_at: Timestamp::now(),
    }
}

fn flow() -> FlowDraft {
    serde_json::from_value(json!({"name": "bench", "nodes": [
        {"id": "t", "type": "TRIGGER", "trigger": {"type": "ORDER_PLACED"}},
        {"id": "wait", "type": "DELAY", "delay": {"minutes": 60}},
        {"id": "send", "type": "ACTION", "template": {"name": "order_thanks", "language": "en"}, "body": []}],
        "edges": [{"from": "t", "to": "wait"}, {"from": "wait", "to": "send"}],
        "settings": {"frequency_cap": "EVER"}}))
    .expect("flow draft")
}

async fn measure(dir: &Path, contacts: u64, events: u64, window: usize) {
    let t = Instant::now();
    let store = Store::open(dir, CACHE_BYTES).expect("open");
    let engine = Engine::start(store.clone(), common::services(), Duration::from_secs(120))
        .await
        .expect("start");
    engine.recover().await.expect("recover");
    let count = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Customers(CustomersMsg::Count { reply_to })
        })
        .await
        .expect("count");
    assert_eq!(count as u64, contacts, "the customer actor lost contacts");
    println!(
        "engine recovered {} contacts in {:.2} s; RSS {}",
        thousands(count as u64),
        t.elapsed().as_secs_f64(),
        mib(rss_bytes())
    );
    engine
        .put_template(SHOP, template())
        .await
        .expect("template");
    let flow = engine.create_flow(SHOP, flow()).await.expect("create flow");
    assert!(
        flow.problems.is_empty(),
        "flow problems: {:?}",
        flow.problems
    );
    let id = flow.id;
    let bodies = Bodies::new();
    let mut phases = Vec::new();

    phases.push(
        phase(
            &engine,
            &store,
            &bodies,
            "reference 1 (flow DRAFT: no active flow)",
            0..events,
            window,
            None,
        )
        .await,
    );
    let view = engine
        .set_flow_status(SHOP, id, FlowStatus::Active)
        .await
        .expect("activate");
    assert_eq!(view.status, FlowStatus::Active);
    phases.push(
        phase(
            &engine,
            &store,
            &bodies,
            "enrolment (flow ACTIVE)",
            events..2 * events,
            window,
            Some(id),
        )
        .await,
    );
    engine
        .set_flow_status(SHOP, id, FlowStatus::Paused)
        .await
        .expect("pause");
    phases.push(
        phase(
            &engine,
            &store,
            &bodies,
            "reference 2 (flow PAUSED)",
            2 * events..3 * events,
            window,
            None,
        )
        .await,
    );
    check_runs(&engine, id, events).await;
    report(&phases);
    println!("RSS at the end {}", mib(rss_bytes()));
    println!("load average at end: {}", common::loadavg());
    engine.shutdown().await;
}

/// Feeds one `orders/create` per contact number in `range` and waits until the automation
/// actor has consumed them all (and, when `flow` is given, until that many more of its
/// runs wait).
async fn phase(
    engine: &Engine,
    store: &Store,
    bodies: &Bodies,
    name: &'static str,
    range: std::ops::Range<u64>,
    window: usize,
    flow: Option<u64>,
) -> Phase {
    let n = range.end - range.start;
    // Rendered before the clock starts (a sender's work, not the engine's).
    let now = Timestamp::now().millis();
    let rendered: Vec<(u64, Vec<u8>)> = range
        .clone()
        .map(|i| {
            let p = Person::new(i, CUSTOMER_BASE + i);
            let oid = NEW_ORDERS + i;
            let cents = 1_500 + (i * 53) % 30_000;
            (oid, bodies.order(&p, oid, now, cents).into_bytes())
        })
        .collect();
    let (consumed0, waiting0) = progress(engine, flow).await;
    let (want_consumed, want_waiting) = (consumed0 + n, waiting0 + n);
    println!(
        "[{name}] {} orders/create for contacts {}..{} ({} B per body) …",
        thousands(n),
        thousands(range.start),
        thousands(range.end),
        rendered.first().map_or(0, |(_, b)| b.len())
    );
    let ticks = common::clock_ticks();
    let cpu0 = common::cpu_time(None, ticks);
    let t0 = Instant::now();
    let mut in_flight: VecDeque<u64> = VecDeque::with_capacity(window + GROUP);
    let mut group: Vec<Delivered> = Vec::with_capacity(GROUP);
    let total = rendered.len();
    for (k, (oid, body)) in rendered.into_iter().enumerate() {
        while in_flight.len() >= window {
            if store.is_pending(in_flight[0]) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            } else {
                in_flight.pop_front();
            }
        }
        let at = Timestamp::now();
        let entry = JournalEntry {
            shop: SHOP.into(),
            source: galantis::logic::Source::parse("orders/create"),
            webhook_id: format!("bench-enrol-{oid}"),
            api_version: "2026-04".into(),
            triggered_at: Some(at),
            received_at: at,
            body: body.into(),
        };
        match store.accept_webhook(entry).expect("accept") {
            Accepted::New { seq, entry } => group.push(Delivered { seq, entry }),
            Accepted::Duplicate => panic!("webhook {oid} taken for a duplicate"),
        }
        if group.len() == GROUP || k + 1 == total {
            store.ack_durable().await.expect("durable");
            for d in group.drain(..) {
                in_flight.push_back(d.seq);
                engine.deliver(SHOP, d);
            }
        }
    }
    let fed = t0.elapsed();
    // Poll the automation actor until it shows every event consumed (and the runs).
    let mut last = (0, 0);
    let mut moved = Instant::now();
    loop {
        let (c, w) = progress(engine, flow).await;
        if c >= want_consumed && (flow.is_none() || w >= want_waiting) {
            break;
        }
        if (c, w) != last {
            last = (c, w);
            moved = Instant::now();
        } else if moved.elapsed() > STALL {
            panic!(
                "[{name}] no progress for {} s: consumed {} of {}, waiting {} of {}",
                STALL.as_secs(),
                c - consumed0,
                n,
                w - waiting0,
                if flow.is_some() { n } else { 0 }
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let wall = t0.elapsed();
    let cpu = common::cpu_time(None, ticks).saturating_sub(cpu0);
    let p = Phase {
        name,
        wall,
        fed,
        cpu,
        events: n,
    };
    let (us, cpu_us) = p.per_event_us();
    println!(
        "[{name}] done in {:.2} s ({} events/s; all handed to the engine after {:.2} s): {:.1} µs wall, {:.1} µs CPU per event",
        wall.as_secs_f64(),
        thousands(p.rate() as u64),
        fed.as_secs_f64(),
        us,
        cpu_us
    );
    p
}

/// `OrderPlaced` events the automation actor has consumed, and the flow's waiting runs.
async fn progress(engine: &Engine, flow: Option<u64>) -> (u64, u64) {
    let status = engine
        .call(SHOP, |reply_to| {
            TenantMsg::Automations(AutomationsMsg::Status { reply_to })
        })
        .await
        .expect("status");
    let consumed = status.consumed.get("OrderPlaced").copied().unwrap_or(0);
    let waiting = match flow {
        Some(id) => {
            engine
                .flow(SHOP, id)
                .await
                .expect("flow")
                .expect("the flow exists")
                .counts
                .waiting
        }
        None => 0,
    };
    (consumed, waiting)
}

/// The flow's counts and a sample of its runs: `events` waiting, each on the delay.
async fn check_runs(engine: &Engine, id: u64, events: u64) {
    let view = engine.flow(SHOP, id).await.expect("flow").expect("flow");
    println!(
        "flow {id} after the phases: {} enrolled, {} waiting, {} completed, {} exited, {} failed",
        thousands(view.counts.enrolled),
        thousands(view.counts.waiting),
        view.counts.completed,
        view.counts.exited,
        view.counts.failed
    );
    assert_eq!(view.counts.enrolled, events, "enrolled");
    assert_eq!(view.counts.waiting, events, "waiting");
    let sample = engine
        .runs(SHOP, Some(id), None, None, 100)
        .await
        .expect("runs");
    let now = Timestamp::now().millis();
    assert!(
        sample.iter().all(|r| r.status == RunStatus::Waiting
            && r.node == "wait"
            && r.due_ms.is_some_and(|d| d > now + 50 * 60_000)),
        "a run is not waiting on its delay"
    );
}

fn report(phases: &[Phase]) {
    let [r1, e, r2] = phases else {
        return;
    };
    let (r1_us, r1_cpu) = r1.per_event_us();
    let (r2_us, r2_cpu) = r2.per_event_us();
    let (e_us, e_cpu) = e.per_event_us();
    let ref_us = (r1_us + r2_us) / 2.0;
    let ref_cpu = (r1_cpu + r2_cpu) / 2.0;
    println!();
    println!("| phase | events | first accept → all consumed | events/s | wall µs / event | CPU µs / event |");
    println!("|---|---:|---:|---:|---:|---:|");
    for p in phases {
        let (us, cpu) = p.per_event_us();
        println!(
            "| {} | {} | {:.2} s (fed in {:.2} s) | {} | {:.1} | {:.1} |",
            p.name,
            thousands(p.events),
            p.wall.as_secs_f64(),
            p.fed.as_secs_f64(),
            thousands(p.rate() as u64),
            us,
            cpu
        );
    }
    println!();
    println!(
        "enrolment: {} runs/s ({} runs enrolled and waiting in {:.2} s); over the references' mean: +{:.1} µs wall and +{:.1} µs CPU per enrolment; enrolment phase / reference = {:.2}× wall, {:.2}× CPU",
        thousands(e.rate() as u64),
        thousands(e.events),
        e.wall.as_secs_f64(),
        e_us - ref_us,
        e_cpu - ref_cpu,
        e_us / ref_us,
        e_cpu / ref_cpu
    );
}
