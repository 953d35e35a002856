//! The billing side of a tenant: its plan (its ACTIVE app subscription's, else
//! `billing.plan`), the month's conversations (delivered template messages, counted by
//! the conversation actor) against the plan's, warnings at 80 and 90 %, whether marketing
//! is blocked; and subscribing to a plan through Shopify's `appSubscriptionCreate` (the
//! merchant approves at the confirmation URL; the `app_subscriptions/update` webhook then
//! puts the plan in force, applied by the tenant actor).

use super::shopify_auth::{self, AuthError};
use super::Context;
use crate::domain::billing::{Subscription, SubscriptionStatus, Subscriptions};
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::billing::{app_subscription_create, NewSubscription};
use crate::integrations::shopify::admin::AdminError;
use crate::logic::billing;
use crate::logic::billing::subscriptions::{terms, Terms};
use crate::logic::shopify::import::RowDelivery;
use crate::services::shopify_import::ImportError;
use crate::services::shopify_ingest::{journal_rows_tracked, wait_applied};
use crate::store::{Kind, StoreError};
use serde::Serialize;

/// Why a subscription cannot be created.
#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    /// Billing is off in this deployment.
    #[error("billing is off in this deployment (billing.enabled)")]
    Disabled,
    /// Not one of the configured plans.
    #[error("`{0}` is not a plan; plans: {1}")]
    UnknownPlan(String, String),
    /// Shopify needs a return URL, made from `shopify.app_url`.
    #[error("shopify.app_url is not set: Shopify needs a URL to send the merchant back to")]
    NoAppUrl,
    /// The shop's token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Shopify.
    #[error(transparent)]
    Shopify(#[from] AdminError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Recording the new subscription failed.
    #[error("recording the subscription: {0}")]
    Journal(String),
}

/// Usage of the current month.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BillingView {
    /// Metering and its guardrails are on.
    pub enabled: bool,
    /// The plan (`None` while billing is off).
    pub plan: Option<String>,
    /// In the subscription's free trial (its conversations apply).
    pub trial: bool,
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
    /// What the merchant should know (80 %, 90 %, 100 % used; a subscription waiting for
    /// approval, declined or frozen).
    pub warnings: Vec<String>,
    /// The app subscriptions.
    pub subscriptions: Subscriptions,
}

/// The tenant's terms now (`None` while billing is off).
///
/// # Errors
/// When the store fails.
pub fn current_terms(ctx: &Context, shop: &str) -> Result<Option<Terms>, StoreError> {
    let b = &ctx.billing;
    let Some(default) = b.current() else {
        return Ok(None);
    };
    let subs = ctx.engine.store().subscriptions(shop)?;
    Ok(Some(terms(
        &subs,
        (&default.name, default.conversations),
        |n| b.plan_named(n).map(|p| p.conversations),
        b.trial_conversations,
        Timestamp::now(),
    )))
}

/// The tenant's billing view now.
///
/// # Errors
/// When the store fails.
pub fn view(ctx: &Context, shop: &str) -> Result<BillingView, StoreError> {
    let period = billing::period_of(Timestamp::now().millis());
    let (start, end) = billing::period_bounds(period);
    let store = ctx.engine.store();
    let used: u64 = store.get(shop, Kind::Usage, period)?.unwrap_or(0);
    let subscriptions = store.subscriptions(shop)?;
    let t = current_terms(ctx, shop)?;
    let mut warnings = Vec::new();
    if let Some(t) = &t {
        let pct = billing::percent(used, t.included);
        if pct >= 100 {
            warnings.push(format!("{used} of {} conversations used: marketing messages are blocked until next month or an upgrade (utility messages and the inbox keep working)", t.included));
        } else if pct >= 80 {
            warnings.push(format!(
                "{pct} % of the plan's {} conversations used this month",
                t.included
            ));
        }
        if let Some(p) = &subscriptions.pending {
            warnings.push(match p.status {
                SubscriptionStatus::Pending => {
                    format!("the {} plan waits for the merchant's approval", p.plan)
                }
                s => format!("the {} plan was not approved ({s:?})", p.plan),
            });
        }
        if let Some(c) = subscriptions
            .current
            .as_ref()
            .filter(|c| c.status == SubscriptionStatus::Frozen)
        {
            warnings.push(format!(
                "the {} subscription is frozen (payment); the default plan applies",
                c.plan
            ));
        }
    }
    Ok(BillingView {
        enabled: t.is_some(),
        plan: t.as_ref().map(|t| t.plan.clone()),
        trial: t.as_ref().is_some_and(|t| t.trial),
        included: t.as_ref().map(|t| t.included),
        used,
        percent: t.as_ref().map(|t| billing::percent(used, t.included)),
        period_start: Timestamp(start),
        period_end: Timestamp(end),
        marketing_blocked: t
            .as_ref()
            .is_some_and(|t| billing::marketing_blocked(used, t.included)),
        warnings,
        subscriptions,
    })
}

/// Creates the app subscription of `plan` at Shopify and keeps it as the pending one; the
/// merchant approves it at its `confirmation_url`.
///
/// # Errors
/// [`BillingError`].
pub async fn subscribe(
    ctx: &Context,
    shop: &str,
    plan: &str,
) -> Result<Subscription, BillingError> {
    let b = &ctx.billing;
    if b.current().is_none() {
        return Err(BillingError::Disabled);
    }
    let Some(p) = b.plan_named(plan) else {
        let names: Vec<&str> = b.plans.iter().map(|p| p.name.as_str()).collect();
        return Err(BillingError::UnknownPlan(
            plan.to_string(),
            names.join(", "),
        ));
    };
    let app_url = ctx
        .shopify_app
        .app_url
        .as_deref()
        .ok_or(BillingError::NoAppUrl)?;
    let return_url = format!(
        "{}/shopify/billing/return?shop={shop}",
        app_url.trim_end_matches('/')
    );
    let token = shopify_auth::access_token(ctx, shop).await?;
    let (created, url) = app_subscription_create(
        &ctx.shopify,
        shop,
        &token,
        &NewSubscription {
            plan: &p.name,
            price_usd: p.price_usd,
            trial_days: b.trial_days,
            return_url: &return_url,
            test: b.test_charges,
        },
    )
    .await?;
    let updated = created
        .created_at
        .clone()
        .unwrap_or_else(|| Timestamp::now().to_rfc3339());
    // Journaled as the webhook Shopify would send, so the tenant actor applies it.
    let body = serde_json::json!({"app_subscription": {
        "admin_graphql_api_id": created.id, "name": p.name, "status": created.status,
        "created_at": updated, "updated_at": updated,
        "galantis_trial_days": created.trial_days.unwrap_or(b.trial_days),
        "galantis_confirmation_url": url,
    }});
    let mut rows = vec![RowDelivery {
        topic: "app_subscriptions/update",
        webhook_id: format!("subscribe:{}", created.id),
        body,
    }];
    let mut last = None;
    journal_rows_tracked(ctx, shop, &mut rows, &mut last)
        .await
        .map_err(|e| match e {
            ImportError::Store(s) => BillingError::Store(s),
            other => BillingError::Journal(other.to_string()),
        })?;
    if let Some(seq) = last {
        wait_applied(ctx, seq).await;
    }
    let subs = ctx.engine.store().subscriptions(shop)?;
    let sub = subs
        .pending
        .filter(|s| s.id == created.id)
        .or(subs.current.filter(|s| s.id == created.id))
        .ok_or_else(|| BillingError::Journal("the new subscription was not applied".into()))?;
    tracing::info!(message = "App subscription created; waiting for the merchant.", shop, plan = %sub.plan);
    Ok(sub)
}
