//! Usage metering in the conversation actor (where Meta's delivery statuses land): a
//! template message that first reaches DELIVERED (or READ without a DELIVERED before it)
//! counts one conversation of its month, staged in the same batch as its new status so
//! a status applied once counts once; the thresholds it crosses are recorded as
//! `UsageThreshold` events; and a marketing send is refused once the plan's
//! conversations are used up. Nothing happens while billing is off.

use super::commands::SendError;
use super::ConversationsState;
use crate::domain::whatsapp::{ChatMessage, MessageStatus, Purpose};
use crate::domain::{EventKind, Timestamp};
use crate::logic::billing;
use crate::store::{Batch, Kind, StoreError};

fn reached(s: MessageStatus) -> bool {
    matches!(s, MessageStatus::Delivered | MessageStatus::Read)
}

/// The month's count, cached in the actor (several statuses can share one batch).
fn used(state: &mut ConversationsState, period: u64) -> Result<u64, StoreError> {
    if let Some((p, n)) = state.usage {
        if p == period {
            return Ok(n);
        }
    }
    let n: u64 = state
        .store
        .get(&state.shop, Kind::Usage, period)?
        .unwrap_or(0);
    state.usage = Some((period, n));
    Ok(n)
}

/// Counts `next` when it is a template message reaching DELIVERED for the first time.
///
/// # Errors
/// When the store fails.
pub fn meter(
    state: &mut ConversationsState,
    before: &ChatMessage,
    next: &ChatMessage,
    batch: &mut Batch,
) -> Result<(), StoreError> {
    let Some(plan) = state.services.billing.current().cloned() else {
        return Ok(());
    };
    if before.kind != "template" || reached(before.status) || !reached(next.status) {
        return Ok(());
    }
    let period = billing::period_of(next.status_at.millis());
    let was = used(state, period)?;
    let now = was + 1;
    batch.put(&state.shop, Kind::Usage, period, &now)?;
    state.usage = Some((period, now));
    metrics::counter!("galantis_conversations_billed_total").increment(1);
    for percent in billing::crossed(was, now, plan.conversations) {
        tracing::warn!(message = "Plan usage threshold reached.", tenant = %state.shop, percent, used = now, included = plan.conversations);
        state.recorded.push(EventKind::UsageThreshold {
            percent,
            used: now,
            included: plan.conversations,
        });
    }
    Ok(())
}

/// Refuses a marketing send when the month's conversations are used up.
///
/// # Errors
/// [`SendError::UsageExhausted`].
pub fn check(state: &mut ConversationsState, purpose: Purpose) -> Result<(), SendError> {
    let Some(plan) = state.services.billing.current().cloned() else {
        return Ok(());
    };
    if purpose != Purpose::Marketing {
        return Ok(());
    }
    let n = used(state, billing::period_of(Timestamp::now().millis()))?;
    if billing::marketing_blocked(n, plan.conversations) {
        return Err(SendError::UsageExhausted {
            plan: plan.name,
            used: n,
            included: plan.conversations,
        });
    }
    Ok(())
}
