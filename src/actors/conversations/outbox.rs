//! The outbox and its dispatcher. Every outbound message is a stored `ChatMessage` in
//! status `queued` plus an index entry `(due time, id)`, written before any call. The
//! dispatcher takes due messages in order, waits for the recipient's pair budget (Meta: one
//! message per 6 s to a user, bursts allowed) and the number's rate (80/s by default, up to
//! 1,000), marks the message in flight *durably*, calls Meta on a spawned task, and `sent`
//! applies the result: the `wamid`, or a retry / wait / pause / failure by Meta's error
//! class. The rules (pre-send checks, the retry and pause table, message transitions) are
//! `logic::whatsapp::outbox`; this file owns the limiters, timers, store writes and calls.
//!
//! "One dispatcher per phone number" (DESIGN §3) is realised as one dispatch loop per
//! tenant with an independent rate limiter per number: numbers never share a budget, and
//! the loop lives in the actor that owns the messages, so no second writer touches them.
//!
//! Delivery is at least once. A crash can duplicate only the messages that were in flight
//! (at most the in-flight cap per tenant); recovery finds them by their `in_flight` mark,
//! sends them again and counts them in `galantis_outbox_possible_duplicates_total`.

use super::{ConversationsMsg, ConversationsState};
use crate::config::MetaSettings;
use crate::domain::whatsapp::{ChatMessage, MessageStatus};
use crate::domain::Timestamp;
use crate::integrations::meta::error::MetaError;
use crate::logic::whatsapp::health;
use crate::logic::whatsapp::outbox::{self as logic, BeforeSend};
use crate::store::conversations as persist;
use crate::store::whatsapp::text_id;
use crate::store::{Batch, Kind, Store, StoreError};
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use ractor::{ActorProcessingErr, ActorRef};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Dispatcher state of one tenant.
pub struct Outbox {
    /// `(due ms, message id)`, mirroring the stored index.
    queue: BTreeSet<(i64, u64)>,
    pub(super) in_flight: HashSet<u64>,
    max_in_flight: usize,
    rates: HashMap<String, Arc<DefaultDirectRateLimiter>>,
    pair: Arc<DefaultKeyedRateLimiter<(u64, u64)>>,
    pub(super) marketing_paused_until: HashMap<String, Timestamp>,
    next_wake: Option<i64>,
    quota: Quota,
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Outbox {
    /// Loads the queued messages; those found in flight are requeued now and counted as
    /// possible duplicates.
    pub fn recover(store: &Store, shop: &str, s: &MetaSettings) -> Result<Self, StoreError> {
        let pair_quota = Quota::with_period(Duration::from_millis(s.pair_interval_ms.max(1)))
            .unwrap_or_else(|| Quota::per_second(nz(1)))
            .allow_burst(nz(s.pair_burst));
        let mut outbox = Outbox {
            queue: BTreeSet::new(),
            in_flight: HashSet::new(),
            max_in_flight: (s.messages_per_second as usize).clamp(8, 1_000),
            rates: HashMap::new(),
            pair: Arc::new(RateLimiter::keyed(pair_quota)),
            marketing_paused_until: HashMap::new(),
            next_wake: None,
            // A small burst (1 % of the rate, at least 2): `per_second(n)` alone allows a
            // burst of n, i.e. twice the rate in the first second (measured in
            // BENCHMARKS.md); a burst of 1 undershoots because of timer granularity.
            quota: Quota::per_second(nz(s.messages_per_second))
                .allow_burst(nz((s.messages_per_second / 100).max(2))),
        };
        let now = Timestamp::now().millis();
        let mut batch = Batch::new();
        for (due, id) in store.pairs_between(shop, Kind::Outbox, 0, u64::MAX, usize::MAX)? {
            let Some(mut m) = persist::message(store, shop, id)? else {
                batch.remove_pair(shop, Kind::Outbox, due, id);
                continue;
            };
            if m.status != MessageStatus::Queued {
                batch.remove_pair(shop, Kind::Outbox, due, id);
                continue;
            }
            let mut due = due as i64;
            if m.in_flight {
                metrics::counter!("galantis_outbox_possible_duplicates_total").increment(1);
                tracing::warn!(
                    message =
                        "Message was in flight at a crash; sending again (possible duplicate).",
                    tenant = shop,
                    message_id = id
                );
                logic::requeue_after_crash(&mut m, Timestamp(now));
                batch.remove_pair(shop, Kind::Outbox, due as u64, id);
                due = now;
                batch.put_pair(shop, Kind::Outbox, now as u64, id);
                persist::stage_message(&mut batch, shop, &m)?;
            }
            outbox.queue.insert((due, id));
        }
        store.commit(batch)?;
        Ok(outbox)
    }

    /// Adds a stored, queued message to the schedule.
    pub fn schedule(&mut self, due: Timestamp, id: u64) {
        self.queue.insert((due.millis(), id));
    }

    /// Messages waiting and in flight.
    pub fn counts(&self) -> (usize, usize) {
        (self.queue.len(), self.in_flight.len())
    }

    /// Forgets everything (shop/redact).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.in_flight.clear();
    }

    fn rate(&mut self, phone_number_id: &str) -> Arc<DefaultDirectRateLimiter> {
        let quota = self.quota;
        self.rates
            .entry(phone_number_id.to_string())
            .or_insert_with(|| Arc::new(RateLimiter::direct(quota)))
            .clone()
    }
}

/// Stages a newly queued message (in the caller's batch) and returns its due time.
pub fn stage_queued(batch: &mut Batch, shop: &str, m: &ChatMessage) -> Result<(), StoreError> {
    let due = m.due_at.unwrap_or(m.at);
    persist::stage_message(batch, shop, m)?;
    batch.put_pair(shop, Kind::Outbox, due.millis().max(0) as u64, m.id);
    Ok(())
}

fn token(state: &ConversationsState) -> Result<String, String> {
    let rec = state
        .store
        .tenant(&state.shop)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "the tenant is gone".to_string())?;
    if rec.status != crate::store::tenants::TenantStatus::Active {
        return Err(format!("the shop is {:?}: nothing is sent for it", rec.status).to_lowercase());
    }
    state.services.meta_token(&rec).map_err(|e| e.to_string())
}

/// Sends what is due, within the in-flight cap; re-arms the wake-up timer.
pub fn pump(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
) -> Result<(), ActorProcessingErr> {
    if health::holds_sends(&state.health) {
        // A dead token: hold the queue instead of failing every message against it.
        return Ok(());
    }
    let now = Timestamp::now();
    let mut token_cache: Option<Result<String, String>> = None;
    let mut batch = Vec::new();
    let r = take_due(myself, state, now, &mut token_cache, &mut batch);
    // One flush makes every in-flight mark of this round durable, then the sends start.
    spawn_sends(myself, state, batch);
    if !r? {
        arm_timer(myself, state);
    }
    Ok(())
}

/// A message marked in flight, ready to send.
struct Ready {
    id: u64,
    pnid: String,
    token: String,
    body: serde_json::Value,
}

/// What taking one due message did.
enum Taken {
    /// Handled (sent on, dropped, failed or rescheduled): take the next one.
    Next,
    /// The number's rate is spent: stop (a wake-up for the refill is armed).
    RateLimited,
}

/// Takes every due message the budgets allow, marks each in flight (stored, not yet
/// flushed) and collects it in `ready`. True when it stopped on the number's rate (a
/// wake-up for the refill is armed then).
fn take_due(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    now: Timestamp,
    token_cache: &mut Option<Result<String, String>>,
    ready: &mut Vec<Ready>,
) -> Result<bool, ActorProcessingErr> {
    while state.outbox.in_flight.len() < state.outbox.max_in_flight {
        let Some(&(due, id)) = state.outbox.queue.first() else {
            break;
        };
        if due > now.millis() {
            break;
        }
        state.outbox.queue.remove(&(due, id));
        let Some(m) = persist::message(&state.store, &state.shop, id)? else {
            continue;
        };
        if let Taken::RateLimited = take_one(myself, state, m, due, now, token_cache, ready)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One due message: the pre-send rules, then the number's rate and the recipient's pair
/// budget; then [`mark_ready`].
fn take_one(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    mut m: ChatMessage,
    due: i64,
    now: Timestamp,
    token_cache: &mut Option<Result<String, String>>,
    ready: &mut Vec<Ready>,
) -> Result<Taken, ActorProcessingErr> {
    let thread = state.inbox.thread(m.thread_id);
    let (pnid, customer) =
        match logic::before_send(&m, thread, &state.outbox.marketing_paused_until, now) {
            BeforeSend::Drop => {
                let mut b = Batch::new();
                b.remove_pair(&state.shop, Kind::Outbox, due as u64, m.id);
                state.store.commit(b)?;
                return Ok(Taken::Next);
            }
            BeforeSend::Fail(reason) => {
                fail(state, &mut m, due, 0, reason.into())?;
                return Ok(Taken::Next);
            }
            BeforeSend::Reschedule(until) => {
                reschedule(state, &mut m, due, until)?;
                return Ok(Taken::Next);
            }
            BeforeSend::Send(t) => (t.phone_number_id.clone(), t.customer),
        };
    // The number's rate: taken here, not in the send task, so a message is marked in
    // flight only when it really goes out now. That keeps the crash-duplicate window to
    // the sends actually under way.
    let rate = state.outbox.rate(&pnid);
    if let Err(not_until) = rate.check() {
        // The limiter's own clock: building a `DefaultClock` costs ~20 µs (calibration).
        let wait = not_until.wait_time_from(rate.clock().now());
        state.outbox.queue.insert((due, m.id));
        wake_in(myself, state, wait);
        return Ok(Taken::RateLimited);
    }
    let key = (text_id(&pnid), customer.digits());
    if let Err(not_until) = state.outbox.pair.check_key(&key) {
        let wait = not_until.wait_time_from(state.outbox.pair.clock().now());
        reschedule(state, &mut m, due, logic::after_pair_limit(now, wait))?;
        return Ok(Taken::Next);
    }
    mark_ready(state, m, due, pnid, token_cache, ready)?;
    Ok(Taken::Next)
}

/// The last checks before a send (the token opens, the stored body is JSON), then the
/// durable in-flight mark; fails the message when a check does not pass.
fn mark_ready(
    state: &mut ConversationsState,
    mut m: ChatMessage,
    due: i64,
    pnid: String,
    token_cache: &mut Option<Result<String, String>>,
    ready: &mut Vec<Ready>,
) -> Result<(), ActorProcessingErr> {
    let token = match token_cache.get_or_insert_with(|| token(state)) {
        Ok(t) => t.clone(),
        Err(e) => {
            let e = e.clone();
            fail(state, &mut m, due, 0, e)?;
            return Ok(());
        }
    };
    let body: serde_json::Value = match m.payload.as_deref().map(serde_json::from_str) {
        Some(Ok(v)) => v,
        _ => {
            fail(state, &mut m, due, 0, logic::BODY_NOT_JSON.into())?;
            return Ok(());
        }
    };
    logic::start_attempt(&mut m);
    let mut b = Batch::new();
    persist::stage_message(&mut b, &state.shop, &m)?;
    state.store.commit(b)?;
    state.outbox.in_flight.insert(m.id);
    ready.push(Ready {
        id: m.id,
        pnid,
        token,
        body,
    });
    Ok(())
}

/// Flushes once (the in-flight marks must be on disk before Meta can see a message), then
/// sends each message on its own task; results come back as `SendCompleted`.
fn spawn_sends(myself: &ActorRef<ConversationsMsg>, state: &ConversationsState, ready: Vec<Ready>) {
    if ready.is_empty() {
        return;
    }
    let store = state.store.clone();
    let services = state.services.clone();
    let me = myself.clone();
    tokio::spawn(async move {
        let flushed = store.durable().await;
        for r in ready {
            let (services, me) = (services.clone(), me.clone());
            let flushed = flushed.as_ref().map_err(|e| e.to_string()).map(|_| ());
            tokio::spawn(async move {
                let result = match flushed {
                    Ok(()) => services
                        .meta
                        .send_message(&r.token, &r.pnid, &r.body)
                        .await
                        .map(|a| a.wamid),
                    Err(e) => Err(MetaError::Setup(format!("outbox flush failed: {e}"))),
                };
                let _ = me.cast(ConversationsMsg::SendCompleted {
                    message_id: r.id,
                    result,
                });
            });
        }
    });
}

/// Wakes the dispatcher after `wait` (rate budget refills).
fn wake_in(myself: &ActorRef<ConversationsMsg>, state: &mut ConversationsState, wait: Duration) {
    let at = Timestamp::now().millis() + wait.as_millis() as i64;
    if state
        .outbox
        .next_wake
        .is_some_and(|w| w <= at && w > Timestamp::now().millis())
    {
        return;
    }
    state.outbox.next_wake = Some(at);
    myself.send_after(wait.max(Duration::from_millis(1)), || {
        ConversationsMsg::Pump
    });
}

fn arm_timer(myself: &ActorRef<ConversationsMsg>, state: &mut ConversationsState) {
    let Some(&(due, _)) = state.outbox.queue.first() else {
        state.outbox.next_wake = None;
        return;
    };
    if state.outbox.in_flight.len() >= state.outbox.max_in_flight {
        return; // a completion will pump again
    }
    if state.outbox.next_wake.is_some_and(|w| w <= due)
        && state.outbox.next_wake > Some(Timestamp::now().millis())
    {
        return;
    }
    let wait = (due - Timestamp::now().millis()).max(1) as u64;
    state.outbox.next_wake = Some(due);
    myself.send_after(Duration::from_millis(wait), || ConversationsMsg::Pump);
}

/// Moves a queued message to `due` (store, index and schedule).
pub(super) fn reschedule(
    state: &mut ConversationsState,
    m: &mut ChatMessage,
    old_due: i64,
    due: Timestamp,
) -> Result<(), StoreError> {
    logic::reschedule(m, due);
    let mut b = Batch::new();
    b.remove_pair(&state.shop, Kind::Outbox, old_due.max(0) as u64, m.id);
    b.put_pair(&state.shop, Kind::Outbox, due.millis().max(0) as u64, m.id);
    persist::stage_message(&mut b, &state.shop, m)?;
    state.store.commit(b)?;
    state.outbox.queue.insert((due.millis(), m.id));
    Ok(())
}

/// Fails a message for good (store and index), counted and logged.
pub(super) fn fail(
    state: &mut ConversationsState,
    m: &mut ChatMessage,
    due: i64,
    code: i64,
    message: String,
) -> Result<(), StoreError> {
    metrics::counter!("galantis_messages_failed_total", "code" => code.to_string()).increment(1);
    tracing::warn!(message = "Message failed.", tenant = %state.shop, message_id = m.id, code, reason = %message);
    logic::fail(m, code, message, Timestamp::now());
    let mut b = Batch::new();
    b.remove_pair(&state.shop, Kind::Outbox, due.max(0) as u64, m.id);
    persist::stage_message(&mut b, &state.shop, m)?;
    state.store.commit(b)
}
