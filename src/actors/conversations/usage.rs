//! Usage metering in the conversation actor (where Meta's delivery statuses land): a
//! template message that first reaches DELIVERED (or READ without a DELIVERED before it)
//! counts one conversation of its month, staged in the same batch as its new status so
//! a status applied once counts once; the thresholds it crosses are recorded as
//! `UsageThreshold` events; and a marketing send is refused once the plan's
//! conversations are used up. Nothing happens while billing is off. The plan is the
//! tenant's: its ACTIVE app subscription's (the trial's conversations during its trial),
//! else `billing.plan` (`logic::billing::subscriptions::terms`), read at each use so a
//! plan change applies at once.

use super::commands::SendError;
use super::ConversationsState;
use crate::domain::whatsapp::{ChatMessage, MessageStatus, Purpose};
use crate::domain::{EventKind, Timestamp};
use crate::logic::billing;
use crate::logic::billing::subscriptions::{self, Terms};
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

/// The tenant's terms now; `None` while billing is off.
fn terms(state: &ConversationsState) -> Result<Option<Terms>, StoreError> {
    let b = &state.services.billing;
    let Some(default) = b.current() else {
        return Ok(None);
    };
    let subs = state.store.subscriptions(&state.shop)?;
    Ok(Some(subscriptions::terms(
        &subs,
        (&default.name, default.conversations),
        |n| b.plan_named(n).map(|p| p.conversations),
        b.trial_conversations,
        Timestamp::now(),
    )))
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
    if before.kind != "template" || reached(before.status) || !reached(next.status) {
        return Ok(());
    }
    let Some(plan) = terms(state)? else {
        return Ok(());
    };
    let period = billing::period_of(next.status_at.millis());
    let was = used(state, period)?;
    let now = was + 1;
    batch.put(&state.shop, Kind::Usage, period, &now)?;
    state.usage = Some((period, now));
    metrics::counter!("galantis_conversations_billed_total").increment(1);
    for percent in billing::crossed(was, now, plan.included) {
        tracing::warn!(message = "Plan usage threshold reached.", tenant = %state.shop, percent, used = now, included = plan.included);
        state.recorded.push(EventKind::UsageThreshold {
            percent,
            used: now,
            included: plan.included,
        });
    }
    Ok(())
}

/// Refuses a marketing send when the month's conversations are used up.
///
/// # Errors
/// [`SendError::UsageExhausted`].
pub fn check(state: &mut ConversationsState, purpose: Purpose) -> Result<(), SendError> {
    if purpose != Purpose::Marketing {
        return Ok(());
    }
    let Some(plan) = terms(state)? else {
        return Ok(());
    };
    let n = used(state, billing::period_of(Timestamp::now().millis()))?;
    if billing::marketing_blocked(n, plan.included) {
        return Err(SendError::UsageExhausted {
            plan: plan.plan,
            used: n,
            included: plan.included,
        });
    }
    Ok(())
}
