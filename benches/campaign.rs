//! Campaign benchmark (issue #13, DESIGN §8 "campaigns: a 1 M-recipient audience resolved
//! and frozen in ≤ 2 s; dispatch memory bounded, not per recipient"; the issue adds the
//! configured rate held within 1 % and engine CPU per dispatched message ≤ 100 µs, next
//! to the Meta emulator's own cost measured in the same run).
//!
//! 1. A store with `GALANTIS_BENCH_RECIPIENTS` (1,000,000) contacts is written in a child
//!    process (the same contact builder as the recovery bench), then the real `galantis`
//!    binary opens it, with the Meta emulator running in this process (never limiting:
//!    5,000 msgs/s, no pair limit, status webhooks off unless `GALANTIS_BENCH_STATUSES=1`).
//! 2. A segment matching every contact, a UTILITY template, a campaign to the segment.
//!    Estimate and launch are timed through the API: the launch resolves the audience in
//!    the customer actor, runs the launch checks (two Graph calls) and freezes the list
//!    durably before it answers.
//! 3. Dispatch at `GALANTIS_BENCH_RATE` (1,000/s) for `GALANTIS_BENCH_SECS` (30 s): the
//!    rate from the emulator's receive times over the middle 90 % of the window, the
//!    engine's CPU (`/proc/<pid>/stat`) and this process's CPU (the emulator, plus a
//!    sampler waking every 250 ms) per message over the same span, and the engine's
//!    resident memory at the start and the end of the window (every 30 s on a long one),
//!    sled's cache `GALANTIS_BENCH_CACHE_MB` (256). Then a second campaign to the same
//!    segment for about as long: its recipients' inbox threads exist, so its memory is
//!    the dispatch's own (plus the store's cache). Then, the engine stopped, the sending
//!    floor (`campaign/floor.rs`): a child process that only sends the same messages at
//!    the same rate in the same rounds through the engine's `MetaClient`, nothing stored;
//!    its CPU per message is the reference the engine's is reported against.
//! 4. Attribution: `GALANTIS_BENCH_ORDERS` (100,000) orders credited against
//!    `GALANTIS_BENCH_MESSAGES` (1,000,000) tagged messages (10 per contact), by the
//!    engine's read path (a contact's tag index, its tags, `logic::attribution::attribute`)
//!    on a store in this process: orders per second.
//!
//! Run: `cargo bench --bench campaign`. 127.0.0.1 only.

mod common;
#[path = "campaign/floor.rs"]
mod floor;

use common::load::{start_engine, wait_ready, Server};
use common::{clock_ticks, cpu_time, env_u64, mib, status_bytes, thousands};
use galantis::domain::analytics::{MessageTag, Source, SourceStats};
use galantis::logic::attribution::{attribute, MessageTouch, OrderFacts, Windows};
use galantis::sandbox::meta::{AccountRegistration, EmulatorConfig, MetaEmulator, StatusDelays};
use galantis::store::{Batch, Kind, Store};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const SHOP: &str = "bench-campaign.myshopify.com";
const API_KEY: &str = "glt_bench_campaign_key";
const WABA: &str = "102290129340398";
const NUMBER: &str = "106540352242922";
const TOKEN: &str = "EAAG-bench-campaign";
const APP_SECRET: &str = "bench-app-secret";
const ROLE: &str = "GALANTIS_BENCH_ROLE";
const DIR: &str = "GALANTIS_BENCH_DIR";
const CACHE_BYTES: u64 = 256 * 1024 * 1024;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

fn main() {
    let n = env_u64("GALANTIS_BENCH_RECIPIENTS", 1_000_000).max(1_000);
    if std::env::var(ROLE).as_deref() == Ok(floor::ROLE) {
        floor::child();
        return;
    }
    if std::env::var(ROLE).as_deref() == Ok("write") {
        let dir = PathBuf::from(std::env::var(DIR).expect("GALANTIS_BENCH_DIR"));
        runtime().block_on(async {
            let store = Store::open(&dir, CACHE_BYTES).expect("open store");
            common::create_tenant(&store, SHOP, API_KEY);
            common::write_contacts(&store, SHOP, n, false);
            store.flush_now().expect("flush");
        });
        return;
    }
    println!(
        "== campaign: {} recipients (freeze <= 2 s, rate within 1 %, <= 100 us CPU per message) ==",
        thousands(n)
    );
    println!("machine: {}", common::machine());
    let dir = tempfile::Builder::new()
        .prefix("galantis-bench-campaign")
        .tempdir()
        .expect("tempdir");
    let t = Instant::now();
    let status = std::process::Command::new(std::env::current_exe().expect("exe"))
        .env(ROLE, "write")
        .env(DIR, dir.path())
        .status()
        .expect("write phase");
    assert!(status.success(), "write phase failed");
    println!(
        "store written: {} contacts in {:.1} s",
        thousands(n),
        t.elapsed().as_secs_f64()
    );
    let rt = runtime();
    rt.block_on(campaign(dir, n));
    rt.block_on(attribution());
}

async fn api(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = http.request(method, url).bearer_auth(API_KEY);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn ok(what: &str, (s, v): (u16, Value)) -> Value {
    assert!((200..300).contains(&s), "{what}: HTTP {s} {v}");
    v
}

async fn emulator(statuses: bool) -> Arc<MetaEmulator> {
    let cfg = EmulatorConfig {
        app_secret: APP_SECRET.into(),
        accounts: vec![AccountRegistration {
            token: TOKEN.into(),
            waba_id: WABA.into(),
            phone_number_ids: vec![NUMBER.into()],
        }],
        messages_per_second: 5_000,
        pair_burst: 1_000_000,
        status_delays: StatusDelays {
            sent: Duration::from_millis(5),
            delivered: Duration::from_millis(10),
            read: Duration::from_millis(15),
        },
        auto_read: statuses,
        ..EmulatorConfig::default()
    };
    let emu = Arc::new(MetaEmulator::start(cfg).await.expect("emulator"));
    if !statuses {
        emu.clear_webhook_url();
    }
    emu
}

/// One sample of the dispatch window.
struct Sample {
    at: Instant,
    sent: u64,
    engine_cpu: Duration,
    own_cpu: Duration,
    engine_rss: u64,
}

fn sample(emu: &MetaEmulator, server: &Server, ticks: u64) -> Sample {
    Sample {
        at: Instant::now(),
        sent: emu.calls().get("send_message").copied().unwrap_or(0),
        engine_cpu: cpu_time(Some(server.pid()), ticks),
        own_cpu: cpu_time(None, ticks),
        engine_rss: status_bytes(Some(server.pid()), "VmRSS"),
    }
}

async fn campaign(dir: tempfile::TempDir, n: u64) {
    let statuses = env_u64("GALANTIS_BENCH_STATUSES", 0) == 1;
    let rate = env_u64("GALANTIS_BENCH_RATE", 1_000);
    let secs = env_u64("GALANTIS_BENCH_SECS", 30);
    let emu = emulator(statuses).await;
    let env = vec![
        ("GALANTIS__META__BASE_URL", emu.base_url().to_string()),
        ("GALANTIS_META_APP_SECRET", APP_SECRET.to_string()),
        ("GALANTIS__META__MESSAGES_PER_SECOND", rate.to_string()),
        ("GALANTIS__META__PAIR_BURST", "100000".to_string()),
        ("GALANTIS__META__TEMPLATE_SYNC_MINUTES", "0".to_string()),
        (
            "GALANTIS__STORE__CACHE_MB",
            env_u64("GALANTIS_BENCH_CACHE_MB", 256).to_string(),
        ),
    ];
    let t = Instant::now();
    let server = start_engine(Some(dir), &env);
    let http = reqwest::Client::new();
    let base = server.base();
    wait_ready(&http, &base).await;
    println!(
        "engine recovered {} contacts and ready in {:.1} s",
        thousands(n),
        t.elapsed().as_secs_f64()
    );
    if statuses {
        emu.set_webhook_url(&format!("{base}/webhooks/meta"));
    }
    use reqwest::Method;
    ok(
        "meta",
        api(
            &http,
            Method::PUT,
            format!("{base}/api/v1/integrations/meta"),
            Some(json!({"access_token": TOKEN, "waba_id": WABA})),
        )
        .await,
    );
    ok(
        "number",
        api(
            &http,
            Method::POST,
            format!("{base}/api/v1/phone-numbers"),
            Some(json!({"phone_number_id": NUMBER})),
        )
        .await,
    );
    let t = json!({"name": "bench_notice", "language": "en", "category": "UTILITY",
        "components": [{"type": "BODY", "text": "Hello {{1}}, your order history is ready.", "example": {"body_text": [["Ana"]]}}]});
    emu.add_template(WABA, &t, "APPROVED").expect("template");
    ok(
        "sync",
        api(
            &http,
            Method::POST,
            format!("{base}/api/v1/templates/sync"),
            None,
        )
        .await,
    );
    let seg = ok("segment", api(&http, Method::POST, format!("{base}/api/v1/segments"),
        Some(json!({"name": "Everyone who ordered", "groups": [{"rules": [{"field": "ORDERS_COUNT", "op": "GTE", "value": 1}]}]}))).await);
    let segment = seg["id"].to_string().trim_matches('"').to_string();
    let c = ok("campaign", api(&http, Method::POST, format!("{base}/api/v1/campaigns"), Some(json!({
        "name": "Bench", "audience": {"include_segments": [segment]},
        "message": {"template": {"name": "bench_notice", "language": "en"}, "body": [{"source": "customer.first_name", "fallback": "there"}]}}))).await);
    let id = c["id"].as_str().expect("id").to_string();
    let t = Instant::now();
    let reach = ok(
        "estimate",
        api(
            &http,
            Method::GET,
            format!("{base}/api/v1/campaigns/{id}/estimate"),
            None,
        )
        .await,
    );
    let estimate = t.elapsed();
    let rss_before = status_bytes(Some(server.pid()), "VmRSS");
    let t = Instant::now();
    let launched = ok(
        "launch",
        api(
            &http,
            Method::POST,
            format!("{base}/api/v1/campaigns/{id}/launch"),
            None,
        )
        .await,
    );
    let freeze = t.elapsed();
    let total = launched["progress"]["total"].as_u64().unwrap_or(0);
    println!("estimate: {} eligible in {:.0} ms; launch (resolve + checks + freeze, durable): {} recipients in {:.0} ms",
        reach["eligible"], estimate.as_secs_f64() * 1e3, thousands(total), freeze.as_secs_f64() * 1e3);

    // The dispatch window: skip the first second (the lane fills), then sample.
    let ticks = clock_ticks();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut samples = vec![sample(&emu, &server, ticks)];
    let started = SystemTime::now();
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        tokio::time::sleep(Duration::from_millis(250)).await;
        samples.push(sample(&emu, &server, ticks));
        if samples.len() % 120 == 0 {
            // Every 30 s: the memory curve of a long window (GALANTIS_BENCH_SECS).
            let s = &samples[samples.len() - 1];
            println!(
                "  {:>4.0} s: {} sent, engine RSS {}",
                s.at.duration_since(samples[0].at).as_secs_f64(),
                thousands(s.sent.saturating_sub(samples[0].sent)),
                mib(s.engine_rss)
            );
        }
    }
    let stopped = SystemTime::now();
    let (first, last) = (&samples[0], &samples[samples.len() - 1]);
    let msgs = last.sent.saturating_sub(first.sent).max(1);
    let wall = last.at.duration_since(first.at).as_secs_f64();
    let engine_us = last
        .engine_cpu
        .saturating_sub(first.engine_cpu)
        .as_secs_f64()
        * 1e6
        / msgs as f64;
    let own_us = last.own_cpu.saturating_sub(first.own_cpu).as_secs_f64() * 1e6 / msgs as f64;
    // Rate over the middle 90 % of the messages received inside the window.
    let mut times: Vec<f64> = emu
        .sent()
        .iter()
        .filter(|m| m.at >= started && m.at <= stopped)
        .map(|m| {
            m.at.duration_since(started)
                .map_or(0.0, |d| d.as_secs_f64())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let k = times.len();
    let (a, b) = (k / 20, k - k / 20 - 1);
    let middle = if b > a {
        (b - a) as f64 / (times[b] - times[a])
    } else {
        0.0
    };
    let rss_growth = last.engine_rss as i64 - first.engine_rss as i64;
    let peak = samples.iter().map(|s| s.engine_rss).max().unwrap_or(0);
    let cancel = ok(
        "cancel",
        api(
            &http,
            Method::POST,
            format!("{base}/api/v1/campaigns/{id}/cancel"),
            None,
        )
        .await,
    );
    println!("dispatch: {} messages in {:.1} s; rate {:.1}/s over the middle 90 % (configured {rate}/s, {:+.2} %)",
        thousands(msgs), wall, middle, (middle / rate as f64 - 1.0) * 100.0);
    println!("CPU per message: engine {engine_us:.0} us, this process (Meta emulator + sampler) {own_us:.0} us; engine/emulator {:.2}",
        engine_us / own_us.max(0.001));
    println!("engine RSS: before launch {}, window start {}, window end {} ({:+.1} MiB over {} messages), peak {}",
        mib(rss_before), mib(first.engine_rss), mib(last.engine_rss), rss_growth as f64 / 1048576.0, thousands(msgs), mib(peak));
    println!(
        "cancelled at {} handed of {}",
        cancel["progress"]["handed"],
        thousands(total)
    );
    let again = again(
        &emu,
        &server,
        &http,
        &segment,
        secs.saturating_sub(3).max(5),
    )
    .await;
    let _ = server.stop(Duration::from_secs(10));
    let floor = floor::measure(&emu, rate, secs.min(20)).await;
    println!(
        "sending floor (same rate and rounds, the engine's MetaClient, nothing stored): {} messages, {:.0} us CPU per message; Meta emulator {:.0} us; engine/floor {:.2}",
        thousands(floor.messages),
        floor.sender_us,
        floor.emulator_us,
        engine_us / floor.sender_us.max(0.001)
    );
    let yes = |b: bool| if b { "yes" } else { "NO" };
    println!("\n| what | measured | target | met |\n|---|---:|---:|:---:|");
    println!(
        "| audience of {} resolved + frozen (launch call) | {:.2} s | 2 s | {} |",
        thousands(total),
        freeze.as_secs_f64(),
        yes(freeze <= Duration::from_secs(2))
    );
    println!(
        "| rate, middle 90 % | {:.1}/s ({:+.2} %) | {rate}/s ± 1 % | {} |",
        middle,
        (middle / rate as f64 - 1.0) * 100.0,
        yes((middle / rate as f64 - 1.0).abs() <= 0.01)
    );
    println!(
        "| engine CPU per message | {engine_us:.0} us | 100 us | {} |",
        yes(engine_us <= 100.0)
    );
    println!("| Meta emulator CPU per message (same run) | {own_us:.0} us | (reference) | |");
    println!(
        "| sending floor: CPU per message of a process that only sends (same rate, rounds, client) | {:.0} us | (reference) | |",
        floor.sender_us
    );
    println!(
        "| engine CPU per message / sending floor | {:.2} | | |",
        engine_us / floor.sender_us.max(0.001)
    );
    println!(
        "| engine RSS growth during dispatch (every recipient's inbox thread is new) | {:+.1} MiB / {} msgs ({:+.0} B/msg) | | |",
        rss_growth as f64 / 1048576.0,
        thousands(msgs),
        rss_growth as f64 / msgs as f64
    );
    println!(
        "| engine RSS growth, a second campaign to the same contacts (their threads exist) | {:+.1} MiB / {} msgs ({:+.0} B/msg) | bounded | |",
        again.0 as f64 / 1048576.0,
        thousands(again.1),
        again.0 as f64 / again.1.max(1) as f64
    );
}

/// A second campaign to the same segment, sampled over `secs`: its first recipients are
/// the first campaign's, whose inbox threads exist, so what the engine's memory does now
/// is the dispatch's own (plus the store's cache). RSS growth and messages sent.
async fn again(
    emu: &MetaEmulator,
    server: &Server,
    http: &reqwest::Client,
    segment: &str,
    secs: u64,
) -> (i64, u64) {
    use reqwest::Method;
    let base = server.base();
    let c = ok("campaign again", api(http, Method::POST, format!("{base}/api/v1/campaigns"), Some(json!({
        "name": "Bench again", "audience": {"include_segments": [segment]},
        "message": {"template": {"name": "bench_notice", "language": "en"}, "body": [{"source": "customer.first_name", "fallback": "there"}]}}))).await);
    let id = c["id"].as_str().expect("id").to_string();
    ok(
        "launch again",
        api(
            http,
            Method::POST,
            format!("{base}/api/v1/campaigns/{id}/launch"),
            None,
        )
        .await,
    );
    let ticks = clock_ticks();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let first = sample(emu, server, ticks);
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() + Duration::from_secs(30) <= end {
        tokio::time::sleep(Duration::from_secs(30)).await;
        let s = sample(emu, server, ticks);
        println!(
            "  {:>4.0} s: {} sent, engine RSS {}",
            s.at.duration_since(first.at).as_secs_f64(),
            thousands(s.sent.saturating_sub(first.sent)),
            mib(s.engine_rss)
        );
    }
    tokio::time::sleep(end.saturating_duration_since(Instant::now())).await;
    let last = sample(emu, server, ticks);
    ok(
        "cancel again",
        api(
            http,
            Method::POST,
            format!("{base}/api/v1/campaigns/{id}/cancel"),
            None,
        )
        .await,
    );
    let msgs = last.sent.saturating_sub(first.sent);
    let growth = last.engine_rss as i64 - first.engine_rss as i64;
    println!(
        "second campaign, same contacts: {} messages in {secs} s; engine RSS {} -> {} ({:+.1} MiB, {:+.0} B/msg)",
        thousands(msgs),
        mib(first.engine_rss),
        mib(last.engine_rss),
        growth as f64 / 1048576.0,
        growth as f64 / msgs.max(1) as f64
    );
    (growth, msgs)
}

/// Orders credited per second against a store of tagged messages.
async fn attribution() {
    let orders = env_u64("GALANTIS_BENCH_ORDERS", 100_000);
    let messages = env_u64("GALANTIS_BENCH_MESSAGES", 1_000_000);
    let per = 10u64;
    let contacts = (messages / per).max(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path(), CACHE_BYTES).expect("store");
    let shop = SHOP;
    let now = 1_790_000_000_000i64;
    let t = Instant::now();
    let sources: Vec<Source> = (0..20u64)
        .map(|id| Source::Campaign { id, variant: 0 })
        .collect();
    let mut b = Batch::new();
    for s in &sources {
        let st = SourceStats {
            code: s.code(),
            ..SourceStats::default()
        };
        b.put(shop, Kind::SourceStats, s.key(), &st).expect("put");
    }
    store.commit(b).expect("commit");
    for chunk in 0..contacts.div_ceil(10_000) {
        let mut b = Batch::new();
        for c in chunk * 10_000..((chunk + 1) * 10_000).min(contacts) {
            for k in 0..per {
                let id = c * per + k;
                let sent = now - (k as i64 + 1) * 3_600_000;
                let tag = MessageTag {
                    source: sources[(id % 20) as usize].key(),
                    contact: c,
                    position: 0,
                    flags: 0,
                    sent_at: sent,
                    delivered_at: sent + 1_000,
                    read_at: if k % 2 == 0 { sent + 60_000 } else { 0 },
                    clicked_at: if k % 5 == 0 { sent + 120_000 } else { 0 },
                };
                b.put(shop, Kind::MessageTag, id, &tag).expect("put");
                b.put_pair(shop, Kind::ContactTag, c, id);
            }
        }
        store.commit(b).expect("commit");
    }
    store.flush_now().expect("flush");
    println!(
        "\nattribution store: {} tagged messages of {} contacts written in {:.1} s",
        thousands(messages),
        thousands(contacts),
        t.elapsed().as_secs_f64()
    );
    let windows = Windows::default();
    let t = Instant::now();
    let mut credited = 0u64;
    for o in 0..orders {
        let contact = (o * 7_919) % contacts;
        let mut touches = Vec::new();
        for id in store
            .pairs_of(shop, Kind::ContactTag, contact)
            .expect("pairs")
        {
            let Some(tag) = store.message_tag(shop, id).expect("tag") else {
                continue;
            };
            let st = store.source_stats(shop, tag.source).expect("stats");
            let Some(source) = Source::parse_code(&st.code) else {
                continue;
            };
            let at = |x: i64| (x != 0).then_some(x);
            touches.push(MessageTouch {
                message_id: id,
                source,
                sent_at: tag.sent_at,
                delivered_at: at(tag.delivered_at),
                read_at: at(tag.read_at),
                clicked_at: at(tag.clicked_at),
            });
        }
        let facts = OrderFacts {
            order_id: o,
            placed_at: now,
            total_minor: 25_000,
            currency: "EUR".into(),
            utm_campaign: None,
            discount_codes: Vec::new(),
        };
        if attribute(&facts, &touches, &windows, &|_| None).is_some() {
            credited += 1;
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "attribution: {} orders against {} messages in {:.2} s = {} orders/s ({} credited)",
        thousands(orders),
        thousands(messages),
        secs,
        thousands((orders as f64 / secs) as u64),
        thousands(credited)
    );
    println!(
        "| attribution, {} orders vs {} messages | {} orders/s | (no target) | |",
        thousands(orders),
        thousands(messages),
        thousands((orders as f64 / secs) as u64)
    );
}
