//! Moving a stored outbox message on: to a later due time, or to failed for good (store,
//! index, schedule and counters in one batch). Used by the dispatcher, the send results
//! and the campaign lane.

use super::ConversationsState;
use crate::domain::whatsapp::ChatMessage;
use crate::domain::Timestamp;
use crate::logic::whatsapp::outbox as logic;
use crate::store::conversations as persist;
use crate::store::{Batch, StoreError};

/// Moves a queued message to `due` (store, index and schedule).
pub(super) fn reschedule(
    state: &mut ConversationsState,
    m: &mut ChatMessage,
    old_due: i64,
    due: Timestamp,
) -> Result<(), StoreError> {
    logic::reschedule(m, due);
    let kind = state.outbox.kind_of(m.id);
    let mut b = Batch::new();
    b.remove_pair(&state.shop, kind, old_due.max(0) as u64, m.id);
    b.put_pair(&state.shop, kind, due.millis().max(0) as u64, m.id);
    persist::stage_message(&mut b, &state.shop, m)?;
    state.store.commit(b)?;
    state.outbox.requeue(due.millis(), m.id);
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
    let before = m.status;
    logic::fail(m, code, message, Timestamp::now());
    let mut b = Batch::new();
    super::outbox::unqueue(state, &mut b, due, m.id);
    persist::stage_message(&mut b, &state.shop, m)?;
    super::tally::on_change(state, &mut b, before, m)?;
    state.store.commit(b)?;
    state.outbox.done(m.id);
    Ok(())
}
