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
use crate::secrets::seal_context;
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

/// The tenant's Shopify token, opened.
///
/// # Errors
/// [`RegistrationError::Token`].
pub fn shopify_token(
    ctx: &Context,
    t: &crate::store::TenantRecord,
) -> Result<String, RegistrationError> {
    if t.shopify_token.is_empty() {
        return Err(RegistrationError::Token);
    }
    let plain = ctx
        .master_key
        .open(&seal_context(&t.shop, "shopify_token"), &t.shopify_token)
        .map_err(|_| RegistrationError::Token)?;
    String::from_utf8(plain).map_err(|_| RegistrationError::Token)
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
    let t = credentials::tenant(ctx, shop)?;
    let token = shopify_token(ctx, &t)?;
    let result = run(ctx, shop, &token, &callback).await;
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
    let store = ctx.engine.store();
    let before = crate::store::shopify::load_health(store, shop)?
        .unwrap_or_else(crate::store::shopify::fresh);
    crate::store::shopify::save_health(
        store,
        shop,
        &health::after(&before, outcome, Timestamp::now()),
    )?;
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
