//! The billing view of a tenant: its plan, the month's conversations (delivered template
//! messages, counted by the conversation actor) against the plan's, the period, and
//! whether marketing is blocked.

use super::Context;
use crate::domain::Timestamp;
use crate::logic::billing;
use crate::store::{Kind, StoreError};
use serde::Serialize;

/// Usage of the current month.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BillingView {
    /// Metering and its guardrails are on.
    pub enabled: bool,
    /// The plan (`None` while billing is off).
    pub plan: Option<String>,
    /// Conversations the plan includes a month.
    pub included: Option<u64>,
    /// Conversations counted this month.
    pub used: u64,
    /// `used` in percent of `included`.
    pub percent: Option<u64>,
    /// The month's first instant (RFC 3339).
    pub period_start: Timestamp,
    /// The next month's first instant.
    pub period_end: Timestamp,
    /// Marketing sends are refused (100 % used).
    pub marketing_blocked: bool,
}

/// The tenant's billing view now.
///
/// # Errors
/// When the store fails.
pub fn view(ctx: &Context, shop: &str) -> Result<BillingView, StoreError> {
    let period = billing::period_of(Timestamp::now().millis());
    let (start, end) = billing::period_bounds(period);
    let used: u64 = ctx
        .engine
        .store()
        .get(shop, Kind::Usage, period)?
        .unwrap_or(0);
    let plan = ctx.billing.current();
    Ok(BillingView {
        enabled: plan.is_some(),
        plan: plan.map(|p| p.name.clone()),
        included: plan.map(|p| p.conversations),
        used,
        percent: plan.map(|p| billing::percent(used, p.conversations)),
        period_start: Timestamp(start),
        period_end: Timestamp(end),
        marketing_blocked: plan.is_some_and(|p| billing::marketing_blocked(used, p.conversations)),
    })
}
