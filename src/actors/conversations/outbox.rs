//! The outbox and its dispatcher. Every outbound message is a stored `ChatMessage` in
//! status `queued` plus an index entry `(due time, id)`, written before any call (the
//! campaign lane's messages are stored in slices instead, see `bulk` and `rounds`). The
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

use super::moves::{fail, reschedule};
use super::throughput::{burst, nz, Throughput};
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
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ractor::{ActorProcessingErr, ActorRef};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// Dispatcher state of one tenant.
pub struct Outbox {
    /// `(due ms, message id)`, mirroring the stored index.
    pub(super) queue: BTreeSet<(i64, u64)>,
    /// The campaign lane (`Kind::BulkOutbox`): taken only when nothing in `queue` is due.
    pub(super) bulk: BTreeSet<(i64, u64)>,
    /// Ids of the messages in the campaign lane (queued or in flight).
    bulk_ids: HashSet<u64>,
    /// The campaign lane's unstored messages (`bulk`): taken after `bulk`'s due ones.
    pub(super) lane: super::bulk::Lane,
    pub(super) in_flight: HashSet<u64>,
    pub(super) max_in_flight: usize,
    /// Each number's rate (`throughput`).
    throughput: Throughput,
    /// The same window where the calls leave (`throughput::CallGate`).
    gate: super::throughput::CallGate,
    pair: Arc<DefaultKeyedRateLimiter<(u64, u64)>>,
    pub(super) marketing_paused_until: HashMap<String, Timestamp>,
    pub(super) next_wake: Option<i64>,
    /// When the recipient limiter last forgot recipients whose budget is full again.
    pruned_at: std::time::Instant,
    /// When the last round of sends started, and the least time between two rounds that
    /// serve only the campaign lane (half a burst's refill: each round then takes half a
    /// burst, and pays one flush for it instead of one per message).
    last_round: Option<std::time::Instant>,
    bulk_round_gap: Duration,
}

impl Outbox {
    /// Loads the queued messages; those found in flight are requeued now and counted as
    /// possible duplicates.
    pub fn recover(store: &Store, shop: &str, s: &MetaSettings) -> Result<Self, StoreError> {
        let pair_quota = Quota::with_period(Duration::from_millis(s.pair_interval_ms.max(1)))
            .unwrap_or_else(|| Quota::per_second(nz(1)))
            .allow_burst(nz(s.pair_burst));
        let throughput = Throughput::new(s);
        let mut outbox = Outbox {
            queue: BTreeSet::new(),
            bulk: BTreeSet::new(),
            bulk_ids: HashSet::new(),
            lane: super::bulk::Lane::recover(store, shop)?,
            in_flight: HashSet::new(),
            max_in_flight: (s.messages_per_second as usize).clamp(8, 1_000),
            gate: throughput.gate(),
            throughput,
            pair: Arc::new(RateLimiter::keyed(pair_quota)),
            marketing_paused_until: HashMap::new(),
            next_wake: None,
            pruned_at: std::time::Instant::now(),
            last_round: None,
            bulk_round_gap: Duration::from_micros(
                u64::from(burst(s.messages_per_second)) * 500_000
                    / u64::from(s.messages_per_second.max(1)),
            ),
        };
        let now = Timestamp::now().millis();
        let mut batch = Batch::new();
        for kind in [Kind::Outbox, Kind::BulkOutbox] {
            for (due, id) in store.pairs_between(shop, kind, 0, u64::MAX, usize::MAX)? {
                let Some(mut m) = persist::message(store, shop, id)? else {
                    batch.remove_pair(shop, kind, due, id);
                    continue;
                };
                if m.status != MessageStatus::Queued {
                    batch.remove_pair(shop, kind, due, id);
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
                    batch.remove_pair(shop, kind, due as u64, id);
                    due = now;
                    batch.put_pair(shop, kind, now as u64, id);
                    persist::stage_message(&mut batch, shop, &m)?;
                }
                outbox.schedule_in(Timestamp(due), kind == Kind::BulkOutbox, id);
            }
        }
        store.commit(batch)?;
        Ok(outbox)
    }

    /// Adds a stored, queued message to the schedule of its lane.
    pub fn schedule_in(&mut self, due: Timestamp, bulk: bool, id: u64) {
        if bulk {
            self.bulk_ids.insert(id);
            self.bulk.insert((due.millis(), id));
        } else {
            self.queue.insert((due.millis(), id));
        }
    }

    /// Messages waiting in the campaign lane (not in flight).
    pub fn bulk_depth(&self) -> usize {
        self.bulk.len() + self.lane.depth()
    }

    /// Messages being sent, both lanes.
    pub(super) fn flying(&self) -> usize {
        self.in_flight.len() + self.lane.in_flight
    }

    /// The lane's index kind of a message.
    pub(super) fn kind_of(&self, id: u64) -> Kind {
        if self.bulk_ids.contains(&id) {
            Kind::BulkOutbox
        } else {
            Kind::Outbox
        }
    }

    /// Marks a stored message as the campaign lane's (not scheduled: its caller decides).
    pub(super) fn mark_bulk(&mut self, id: u64) {
        self.bulk_ids.insert(id);
    }

    /// The recipient's pair budget: `Err(wait)` when it is spent.
    pub(super) fn pair_check(&self, key: &(u64, u64)) -> Result<(), Duration> {
        (self.pair.check_key(key)).map_err(|n| n.wait_time_from(self.pair.clock().now()))
    }

    /// Forgets a message that left the outbox (sent or failed).
    pub(super) fn done(&mut self, id: u64) {
        self.in_flight.remove(&id);
        self.bulk_ids.remove(&id);
    }

    /// Puts a message back on its lane's schedule.
    pub(super) fn requeue(&mut self, due: i64, id: u64) {
        if self.bulk_ids.contains(&id) {
            self.bulk.insert((due, id));
        } else {
            self.queue.insert((due, id));
        }
    }

    /// The next due message: the normal lane first; the campaign lane only when nothing
    /// there is due and fewer than all but a reserve of the in-flight slots are used
    /// (its stored messages, retries, before its unstored ones).
    fn next_due(&mut self, now_ms: i64) -> Option<Next> {
        if let Some(&(due, id)) = self.queue.first() {
            if due <= now_ms {
                self.queue.remove(&(due, id));
                return Some(Next::Stored(due, id));
            }
        }
        let reserve = (self.max_in_flight / 10).max(2);
        if self.flying() + reserve > self.max_in_flight {
            return None;
        }
        if let Some(&(due, id)) = self.bulk.first() {
            if due <= now_ms {
                self.bulk.remove(&(due, id));
                return Some(Next::Stored(due, id));
            }
        }
        (self.lane.depth() > 0).then_some(Next::Lane)
    }

    /// Messages waiting (both lanes) and in flight.
    pub fn counts(&self) -> (usize, usize) {
        (self.queue.len() + self.bulk_depth(), self.flying())
    }

    /// Forgets everything (shop/redact).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.bulk.clear();
        self.bulk_ids.clear();
        self.in_flight.clear();
        self.lane = super::bulk::Lane::default();
    }

    /// One send's share of the number's rate (`throughput`); `Err(wait)` when spent.
    pub(super) fn take_token(&mut self, phone_number_id: &str) -> Result<(), Duration> {
        self.throughput.take(phone_number_id)
    }

    /// The gate every call passes when it leaves (`throughput::CallGate`).
    pub(super) fn call_gate(&self) -> super::throughput::CallGate {
        self.gate.clone()
    }
}

/// Stages a newly queued message and its outbox entry (in the caller's batch), on the
/// campaign lane when `bulk`.
pub fn stage_queued(
    batch: &mut Batch,
    shop: &str,
    m: &ChatMessage,
    bulk: bool,
) -> Result<(), StoreError> {
    let due = m.due_at.unwrap_or(m.at);
    persist::stage_message(batch, shop, m)?;
    let kind = if bulk { Kind::BulkOutbox } else { Kind::Outbox };
    batch.put_pair(shop, kind, due.millis().max(0) as u64, m.id);
    Ok(())
}

/// Removes a message's outbox entry, whichever lane holds it.
pub(super) fn unqueue(state: &ConversationsState, b: &mut Batch, due: i64, id: u64) {
    b.remove_pair(&state.shop, state.outbox.kind_of(id), due.max(0) as u64, id);
}

/// What the dispatcher takes next.
enum Next {
    /// A stored message: (due, id).
    Stored(i64, u64),
    /// The first of the campaign lane's unstored messages.
    Lane,
}

pub(super) fn token(state: &ConversationsState) -> Result<String, String> {
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
    if state.outbox.pruned_at.elapsed() > Duration::from_secs(60) {
        // One entry per recipient otherwise: a million-recipient campaign would keep a
        // million limiter states. A recipient whose budget is full again is forgotten.
        state.outbox.pair.retain_recent();
        state.outbox.pruned_at = std::time::Instant::now();
    }
    let now = Timestamp::now();
    let normal_due = (state.outbox.queue.first()).is_some_and(|(d, _)| *d <= now.millis());
    if let (false, Some(last)) = (normal_due, state.outbox.last_round) {
        let since = last.elapsed();
        if since < state.outbox.bulk_round_gap {
            // Only campaign messages wait: gather a burst for one flush.
            super::wake::wake_in(myself, state, state.outbox.bulk_round_gap - since);
            return Ok(());
        }
    }
    let mut token_cache: Option<Result<String, String>> = None;
    let mut batch = Vec::new();
    let mut round = super::rounds::Round::default();
    let r = take_due(myself, state, now, &mut token_cache, &mut batch, &mut round);
    if !batch.is_empty() || !round.is_empty() {
        state.outbox.last_round = Some(std::time::Instant::now());
    }
    // One flush makes every in-flight mark of this round durable, then the sends start.
    let lane = super::rounds::start_round(state, round)?;
    spawn_sends(myself, state, batch, lane);
    if !r? {
        super::wake::arm_timer(myself, state);
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
pub(super) enum Taken {
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
    round: &mut super::rounds::Round,
) -> Result<bool, ActorProcessingErr> {
    while state.outbox.flying() < state.outbox.max_in_flight {
        let taken = match state.outbox.next_due(now.millis()) {
            None => break,
            Some(Next::Lane) => super::rounds::take_one(myself, state, now, token_cache, round)?,
            Some(Next::Stored(due, id)) => {
                let Some(m) = persist::message(&state.store, &state.shop, id)? else {
                    continue;
                };
                take_one(myself, state, m, due, now, token_cache, ready)?
            }
        };
        if let Taken::RateLimited = taken {
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
                unqueue(state, &mut b, due, m.id);
                state.store.commit(b)?;
                state.outbox.done(m.id);
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
    if let Err(wait) = state.outbox.take_token(&pnid) {
        state.outbox.requeue(due, m.id);
        super::wake::wake_in(myself, state, wait);
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
/// sends each stored message on its own task (results come back as `SendCompleted`) and
/// the campaign lane's round on one (`rounds::send_round`).
fn spawn_sends(
    myself: &ActorRef<ConversationsMsg>,
    state: &ConversationsState,
    ready: Vec<Ready>,
    lane: Option<super::rounds::Flying>,
) {
    if ready.is_empty() && lane.is_none() {
        return;
    }
    let store = state.store.clone();
    let services = state.services.clone();
    let me = myself.clone();
    let gate = state.outbox.call_gate();
    tokio::spawn(async move {
        let flushed = store.durable().await;
        if let Some(lane) = lane {
            let flushed = flushed.as_ref().map_err(|e| e.to_string()).map(|_| ());
            let (services, me, gate) = (services.clone(), me.clone(), gate.clone());
            tokio::spawn(super::rounds::send_round(services, me, gate, lane, flushed));
        }
        for r in ready {
            let (services, me, gate) = (services.clone(), me.clone(), gate.clone());
            let flushed = flushed.as_ref().map_err(|e| e.to_string()).map(|_| ());
            tokio::spawn(async move {
                let result = match flushed {
                    Ok(()) => {
                        gate.pass(&r.pnid).await;
                        (services.meta)
                            .send_message(&r.token, &r.pnid, &r.body)
                            .await
                            .map(|a| a.wamid)
                    }
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
