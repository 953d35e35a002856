//! Applying the result of a send: the `wamid` (and a green health), or what Meta's error
//! class decides (`logic::whatsapp::outbox::decide`): retry, pause marketing on the
//! number, token dead, fail. Then the dispatcher pumps again.
//! Must not call Meta or take rate budget: that is `outbox`'s.

use super::moves::{fail, reschedule};
use super::outbox::pump;
use super::{ConversationsMsg, ConversationsState};
use crate::domain::whatsapp::ChatMessage;
use crate::domain::Timestamp;
use crate::integrations::meta::error::{classify, jitter_ms, MetaError};
use crate::logic::whatsapp::health;
use crate::logic::whatsapp::outbox::{self as logic, Decision, Failure, RetryPolicy};
use crate::store::conversations as persist;
use crate::store::{Batch, StoreError};
use ractor::{ActorProcessingErr, ActorRef};

/// Applies the result of a send.
pub fn on_completed(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    id: u64,
    result: Result<String, MetaError>,
) -> Result<(), ActorProcessingErr> {
    state.outbox.in_flight.remove(&id);
    let Some(mut m) = persist::message(&state.store, &state.shop, id)? else {
        return pump(myself, state);
    };
    let due = m.due_at.unwrap_or(m.at).millis();
    let now = Timestamp::now();
    match result {
        Ok(wamid) => {
            metrics::counter!("galantis_messages_sent_total").increment(1);
            let before = m.status;
            logic::accept(&mut m, wamid, now);
            let mut b = Batch::new();
            super::outbox::unqueue(state, &mut b, due, id);
            persist::stage_message(&mut b, &state.shop, &m)?;
            super::tally::on_change(state, &mut b, before, &m)?;
            state.store.commit(b)?;
            state.outbox.done(id);
            let next = health::on_success(&state.health, Timestamp::now());
            if next != state.health {
                state.set_health(next)?;
            }
        }
        Err(e) => on_error(state, &mut m, due, e, now)?,
    }
    pump(myself, state)
}

/// Executes the decision of `logic::whatsapp::outbox::decide` for a failed send.
pub(super) fn on_error(
    state: &mut ConversationsState,
    m: &mut ChatMessage,
    due: i64,
    e: MetaError,
    now: Timestamp,
) -> Result<(), StoreError> {
    let code = e.code().unwrap_or(0);
    let action = classify(&e);
    tracing::info!(message = "Send failed.", tenant = %state.shop, message_id = m.id, code, action = ?action, error = %e);
    let s = &state.services.settings;
    let policy = RetryPolicy {
        max_attempts: s.max_attempts,
        backoff_base_ms: s.backoff_base_ms,
        backoff_max_ms: s.backoff_max_ms,
    };
    let error = e.to_string();
    let failure = Failure {
        action,
        code,
        error: &error,
    };
    match logic::decide(&failure, m.attempts, m.purpose, &policy, now, jitter_ms) {
        Decision::Retry { at } => {
            metrics::counter!("galantis_messages_retried_total").increment(1);
            reschedule(state, m, due, at)
        }
        Decision::PauseMarketing {
            until,
            next_at,
            detail,
        } => {
            let pnid = state
                .inbox
                .thread(m.thread_id)
                .map(|t| t.phone_number_id.clone())
                .unwrap_or_default();
            state.outbox.marketing_paused_until.insert(pnid, until);
            state.set_health(health::on_warning(&state.health, detail, Timestamp::now()))?;
            reschedule(state, m, due, next_at)
        }
        Decision::TokenDead {
            code,
            cause,
            reason,
        } => {
            tracing::error!(message = "WhatsApp access token rejected; sending stopped.", tenant = %state.shop, cause = %cause);
            let next = health::on_token_rejected(&state.health, &cause, Timestamp::now());
            state.set_health(next)?;
            fail(state, m, due, code, reason)
        }
        Decision::Fail { code, reason } => fail(state, m, due, code, reason),
    }
}
