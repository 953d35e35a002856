//! Webhook registration with Shopify: the shop's subscriptions reconciled with the topics
//! the engine handles at our callback address (`shopify.webhook_callback_url`) — listed,
//! then what is missing created and what is extra or points elsewhere deleted
//! (`logic::shopify::subscriptions`). Runs at every start for each active tenant, and on
//! demand through the API. The outcome goes into the tenant's Shopify health: a refused
//! token turns it red at once with Shopify's answer.

use super::credentials::{self, CredentialsError};
use super::Context;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::{ops, AdminError};
use crate::logic::shopify::health::{self, Outcome};
use crate::logic::shopify::subscriptions::{self, Existing};
use crate::store::StoreError;
use serde::Serialize;

/// Why registration could not run or failed.
#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    /// No callback address is configured.
    #[error(
        "shopify.webhook_callback_url is not configured: the engine does not manage subscriptions"
    )]
    NoCallback,
    /// The tenant or its token is not usable.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The stored Shopify token does not open.
    #[error("the stored Shopify token cannot be opened")]
    Token,
    /// Shopify failed or refused (recorded in the health).
    #[error(transparent)]
    Shopify(#[from] AdminError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a reconciliation did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Registration {
    /// Topics subscribed now.
    pub created: Vec<String>,
    /// Subscriptions deleted (another address, a topic not handled, a duplicate).
    pub deleted: Vec<String>,
    /// Subscriptions already right.
    pub kept: usize,
    /// Where deliveries go.
    pub callback_url: String,
}

/// Reconciles `shop`'s subscriptions and records the outcome in its Shopify health.
///
/// # Errors
/// [`RegistrationError`].
pub async fn reconcile(ctx: &Context, shop: &str) -> Result<Registration, RegistrationError> {
    let callback = ctx
        .shopify_webhook_url
        .as_deref()
        .ok_or(RegistrationError::NoCallback)?
        .to_string();
    credentials::tenant(ctx, shop)?;
    let result = match super::shopify_auth::access_token(ctx, shop).await {
        Ok(token) => run(ctx, shop, &token, &callback).await,
        Err(super::shopify_auth::AuthError::Shopify(e)) => Err(e),
        Err(_) => return Err(RegistrationError::Token),
    };
    let outcome = match &result {
        Ok(r) => Outcome::Ok(format!(
            "webhooks: {} subscribed at {} ({} created, {} deleted)",
            r.kept + r.created.len(),
            r.callback_url,
            r.created.len(),
            r.deleted.len()
        )),
        Err(e) if e.is_auth() => Outcome::TokenRefused(e.to_string()),
        Err(e) => Outcome::Failed(format!("webhook registration: {e}")),
    };
    record(ctx, shop, outcome)?;
    match &result {
        Ok(r) => tracing::info!(
            message = "Shopify webhooks reconciled.",
            shop,
            created = r.created.len(),
            deleted = r.deleted.len(),
            kept = r.kept
        ),
        Err(e) => {
            tracing::warn!(message = "Shopify webhook registration failed.", shop, error = %e)
        }
    }
    Ok(result?)
}

async fn run(
    ctx: &Context,
    shop: &str,
    token: &str,
    callback: &str,
) -> Result<Registration, AdminError> {
    let client = &ctx.shopify;
    let existing: Vec<Existing> = ops::webhook_subscriptions(client, shop, token)
        .await?
        .into_iter()
        .map(|s| Existing {
            id: s.id,
            topic: s.topic,
            uri: s.uri,
        })
        .collect();
    let plan = subscriptions::plan(&existing, &subscriptions::wanted_topics(), callback);
    for id in &plan.delete {
        ops::delete_webhook_subscription(client, shop, token, id).await?;
    }
    for topic in &plan.create {
        ops::create_webhook_subscription(client, shop, token, topic, callback).await?;
    }
    Ok(Registration {
        created: plan.create.iter().map(|t| t.to_string()).collect(),
        deleted: plan.delete,
        kept: plan.kept,
        callback_url: callback.to_string(),
    })
}

/// The shop as the Admin API describes it, read now with the shop's token (refreshed if
/// due); the outcome goes into the Shopify health like every Admin call's.
///
/// # Errors
/// [`RegistrationError`].
pub async fn shop_info(
    ctx: &Context,
    shop: &str,
) -> Result<crate::integrations::shopify::admin::ops::ShopInfo, RegistrationError> {
    credentials::tenant(ctx, shop)?;
    let result = match super::shopify_auth::access_token(ctx, shop).await {
        Ok(token) => ops::shop(&ctx.shopify, shop, &token).await,
        Err(super::shopify_auth::AuthError::Shopify(e)) => Err(e),
        Err(_) => return Err(RegistrationError::Token),
    };
    let outcome = match &result {
        Ok(s) => Outcome::Ok(format!(
            "shop `{}` ({}) reachable",
            s.name, s.myshopify_domain
        )),
        Err(e) if e.is_auth() => Outcome::TokenRefused(e.to_string()),
        Err(e) => Outcome::Failed(format!("reading the shop: {e}")),
    };
    record(ctx, shop, outcome)?;
    Ok(result?)
}

/// Folds an Admin call's outcome into the shop's stored Shopify health.
///
/// # Errors
/// When the store fails.
pub(crate) fn record(ctx: &Context, shop: &str, outcome: Outcome) -> Result<(), StoreError> {
    let store = ctx.engine.store();
    let before = crate::store::shopify::load_health(store, shop)?
        .unwrap_or_else(crate::store::shopify::fresh);
    crate::store::shopify::save_health(
        store,
        shop,
        &health::after(&before, outcome, Timestamp::now()),
    )
}
