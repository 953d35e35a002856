//! The emulator's state: accounts and tokens, numbers with their throughput windows,
//! per-recipient pair buckets, customer service windows, what was sent, templates, media,
//! faults, health overrides and counters. One `std::sync::Mutex` guards it; it is never
//! held across an `.await`, and a poisoned lock is recovered (the data stays usable).
//! Imports only `config`, `faults`, `model` and `template_store`; never `webhooks`, the
//! handler modules or the router.

use super::catalog_rules::Catalog;
use super::config::EmulatorConfig;
use super::faults::Fault;
use super::model::{digits, now_unix, Health, MediaRecord, SentMessage, WebhookFailure};
use super::template_store::Templates;
use anyhow::Context;
use base64::Engine as _;
use rand::Rng;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The customer service window (Meta: 24 h after the customer's last message).
pub(crate) const WINDOW_SECS: i64 = 24 * 60 * 60;

/// A registered token.
#[derive(Clone, Debug)]
pub(crate) struct TokenRecord {
    pub waba_id: String,
    pub phone_number_ids: Vec<String>,
    pub issued_at: i64,
}

/// A business phone number.
#[derive(Clone, Debug)]
pub(crate) struct NumberRecord {
    pub waba_id: String,
    pub display: String,
    /// Accepted sends in the last second.
    pub recent: VecDeque<Instant>,
}

/// A pair-rate token bucket.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Everything mutable.
#[derive(Default)]
pub(crate) struct State {
    pub webhook_url: Option<String>,
    pub tokens: HashMap<String, TokenRecord>,
    pub revoked: HashSet<String>,
    pub numbers: HashMap<String, NumberRecord>,
    pub pairs: HashMap<(String, String), Bucket>,
    /// (phone number id, customer digits) → unix seconds of their last message.
    pub last_inbound: HashMap<(String, String), i64>,
    /// Inbound wamid → the number that received it (read receipts must name one).
    pub inbound: HashMap<String, String>,
    pub sent: Vec<SentMessage>,
    pub marked_read: Vec<String>,
    pub calls: BTreeMap<String, u64>,
    pub failures: Vec<WebhookFailure>,
    pub delivered: u64,
    pub faults: VecDeque<(Fault, u32)>,
    pub templates: Templates,
    pub media: HashMap<String, MediaRecord>,
    pub health: HashMap<String, Health>,
    /// A number's `quality_rating` when set (default `GREEN`).
    pub quality: HashMap<String, String>,
    /// Catalogs by id.
    pub catalogs: BTreeMap<String, Catalog>,
    /// WABA id → its connected catalog.
    pub waba_catalog: HashMap<String, String>,
    seq: u64,
}

impl State {
    /// A fresh sequence number.
    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Adds a catalog (owned by the emulator's business, else a client's); its id.
    pub fn add_catalog(&mut self, name: &str, owned: bool) -> String {
        let id = format!("{}", 1_200_000_000_000_000u64 + self.next_seq());
        self.catalogs.insert(
            id.clone(),
            Catalog {
                id: id.clone(),
                name: name.to_owned(),
                owned,
                ..Catalog::default()
            },
        );
        id
    }

    /// Registers a token; numbers already registered keep their display number.
    pub fn register(&mut self, token: &str, waba_id: &str, phone_number_ids: &[String]) {
        let rec = self
            .tokens
            .entry(token.to_owned())
            .or_insert_with(|| TokenRecord {
                waba_id: waba_id.to_owned(),
                phone_number_ids: Vec::new(),
                issued_at: now_unix(),
            });
        rec.waba_id = waba_id.to_owned();
        for id in phone_number_ids {
            if !rec.phone_number_ids.contains(id) {
                rec.phone_number_ids.push(id.clone());
            }
            self.numbers
                .entry(id.clone())
                .or_insert_with(|| NumberRecord {
                    waba_id: waba_id.to_owned(),
                    display: display_for(id),
                    recent: VecDeque::new(),
                });
        }
        self.revoked.remove(token);
    }

    /// Counts a call to an endpoint.
    pub fn count(&mut self, endpoint: &str) {
        *self.calls.entry(endpoint.to_owned()).or_default() += 1;
    }

    /// Takes one use of the first queued fault.
    pub fn take_fault(&mut self) -> Option<Fault> {
        let (fault, left) = self.faults.front_mut()?;
        let fault = fault.clone();
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.faults.pop_front();
        }
        Some(fault)
    }

    /// True when the customer wrote to this number within the last 24 h.
    pub fn window_open(&self, phone_number_id: &str, wa_id: &str) -> bool {
        self.last_inbound
            .get(&(phone_number_id.to_owned(), wa_id.to_owned()))
            .is_some_and(|&t| now_unix() - t < WINDOW_SECS)
    }

    /// True when the number has sent fewer than `mps` messages in the last second.
    pub fn throughput_ok(&mut self, phone_number_id: &str, mps: u32, now: Instant) -> bool {
        let Some(n) = self.numbers.get_mut(phone_number_id) else {
            return false;
        };
        while n
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            n.recent.pop_front();
        }
        n.recent.len() < mps as usize
    }

    /// True when the recipient's bucket holds a token (refilled 1 per `interval`).
    pub fn pair_ok(&mut self, key: &(String, String), cfg: &EmulatorConfig, now: Instant) -> bool {
        let cap = f64::from(cfg.pair_burst.max(1));
        let b = self.pairs.entry(key.clone()).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        let interval = cfg.pair_interval.as_secs_f64().max(f64::EPSILON);
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() / interval).min(cap);
        b.last = now;
        b.tokens >= 1.0
    }

    /// Spends the throughput slot and the pair token of an accepted message.
    pub fn consume(&mut self, phone_number_id: &str, key: &(String, String), now: Instant) {
        if let Some(n) = self.numbers.get_mut(phone_number_id) {
            n.recent.push_back(now);
        }
        if let Some(b) = self.pairs.get_mut(key) {
            b.tokens -= 1.0;
        }
    }

    /// A new unique message id in Meta's form (`wamid.` + base64).
    pub fn next_wamid(&mut self, wa_id: &str) -> String {
        self.seq += 1;
        let noise: u64 = rand::thread_rng().gen();
        let raw = format!(
            "\u{18}\u{0b}{wa_id}\u{15}\u{02}\u{00}\u{11}\u{18}{:08X}{noise:016X}",
            self.seq
        );
        format!(
            "wamid.HBgL{}",
            base64::engine::general_purpose::STANDARD.encode(raw.as_bytes())
        )
    }

    /// A new numeric Graph id (templates, media).
    pub fn next_id(&mut self, base: u64) -> String {
        self.seq += 1;
        (base + self.seq).to_string()
    }
}

/// The immutable configuration plus the state, shared by the server and the handle.
pub(crate) struct Shared {
    pub cfg: EmulatorConfig,
    pub addr: SocketAddr,
    pub base_url: String,
    pub http: reqwest::Client,
    pub stop: watch::Receiver<bool>,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(
        cfg: EmulatorConfig,
        addr: SocketAddr,
        stop: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        // reqwest is built without a default TLS provider; the crate installs one.
        crate::integrations::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent("facebookexternalua")
            .build()
            .context("building the webhook HTTP client")?;
        let mut state = State {
            webhook_url: cfg.webhook_url.clone(),
            ..State::default()
        };
        for a in &cfg.accounts {
            state.register(&a.token, &a.waba_id, &a.phone_number_ids);
        }
        Ok(Self {
            base_url: format!("http://{addr}"),
            cfg,
            addr,
            http,
            stop,
            state: Mutex::new(state),
        })
    }

    /// The state; a poisoned lock is recovered.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sleeps, or returns false at once when the emulator is stopping.
    pub async fn sleep(&self, d: Duration) -> bool {
        let mut stop = self.stop.clone();
        if *stop.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => !*self.stop.borrow(),
            _ = stop.wait_for(|s| *s) => false,
        }
    }
}

/// A stable `1555…` display number for a phone number id.
fn display_for(phone_number_id: &str) -> String {
    let d = digits(phone_number_id);
    let tail: String = d
        .chars()
        .rev()
        .take(7)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("1555{tail:0>7}")
}
