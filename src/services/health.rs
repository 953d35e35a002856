//! Integration health: the view of both integrations, the Meta check (`debug_token` and
//! every number's `health_status`, folded by `logic::whatsapp::health`), and recording a
//! failed Meta call. The health itself lives in the conversation actor; this module makes
//! the calls and hands it the result.

use super::credentials::{self, CredentialsError};
use super::Context;
use crate::actors::EngineError;
use crate::domain::whatsapp::IntegrationHealth;
use crate::domain::Timestamp;
use crate::integrations::meta::error::{classify, Action, MetaError};
use crate::logic::whatsapp::health::{self as rules, NumberCheck, TokenCheck};
use serde::Serialize;

/// Why the health could not be read or checked.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// The tenant or its Meta token is not usable.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The tenant's actor could not be reached.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Health of a tenant's integrations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HealthView {
    /// Shopify: the token and the last Admin API outcome (webhook registration).
    pub shopify: IntegrationHealth,
    /// Meta: token, numbers, last error.
    pub meta: IntegrationHealth,
    /// The plan's usage warnings (80, 90, 100 % used; a subscription waiting, declined
    /// or frozen): empty while billing is off or all is well.
    pub billing_warnings: Vec<String>,
    /// The Meta catalog push (`null` while no catalog is connected).
    pub catalog: Option<crate::domain::catalog_sync::CatalogHealthView>,
}

/// A Meta call that failed, already recorded in the tenant's health.
#[derive(Debug, thiserror::Error)]
#[error("Meta refused the call: {source}")]
pub struct FailedCall {
    /// Meta said the token is dead (expired, revoked): the health turned red.
    pub token_dead: bool,
    /// Meta's error.
    #[source]
    pub source: MetaError,
}

/// The tenant's integration health as stored.
///
/// # Errors
/// [`HealthError`].
pub async fn view(ctx: &Context, shop: &str) -> Result<HealthView, HealthError> {
    let t = credentials::tenant(ctx, shop)?;
    let recorded = crate::store::shopify::load_health(ctx.engine.store(), shop)
        .map_err(|e| HealthError::Credentials(CredentialsError::Store(e)))?;
    let shopify = match recorded {
        Some(h) if !t.shopify_token.is_empty() => h,
        _ => rules::shopify_view(!t.shopify_token.is_empty()),
    };
    let h = ctx.engine.conversation_health(shop).await?;
    let meta = rules::meta_view(&h, t.meta_token.is_some());
    let billing_warnings = super::billing::view(ctx, shop)
        .map_err(|e| HealthError::Credentials(CredentialsError::Store(e)))?
        .warnings;
    let catalog = super::catalog_health::view(ctx, shop)
        .map_err(|e| HealthError::Credentials(CredentialsError::Store(e)))?;
    Ok(HealthView {
        shopify,
        meta,
        billing_warnings,
        catalog,
    })
}

/// Checks the Meta side now (`debug_token`, then every number's `health_status`), records
/// the result in the tenant's health and returns the new view.
///
/// # Errors
/// [`HealthError`]: no tenant, no token, or the actor cannot be reached. Meta's own
/// failures are part of the result, not errors.
pub async fn check(ctx: &Context, shop: &str) -> Result<HealthView, HealthError> {
    let t = credentials::tenant(ctx, shop)?;
    let tok = credentials::token(ctx, &t)?;
    let h = ctx.engine.conversation_health(shop).await?;
    let now = Timestamp::now();
    let app_token = ctx
        .meta_app_id
        .as_ref()
        .map(|id| format!("{id}|{}", ctx.meta_app_secret))
        .unwrap_or_else(|| tok.clone());
    let token_check = match ctx.meta.debug_token(&app_token, &tok).await {
        Ok(info) if info.is_valid => TokenCheck::Valid,
        Ok(info) => TokenCheck::Invalid {
            reason: info.error.as_ref().map(|e| e.message.clone()),
        },
        Err(e) => TokenCheck::Failed {
            error: e.to_string(),
            token_dead: classify(&e) == Action::TokenDead,
        },
    };
    let mut numbers = Vec::with_capacity(t.meta_phone_number_ids.len());
    for pnid in &t.meta_phone_number_ids {
        let result = ctx.meta.health_status(&tok, pnid).await;
        numbers.push(NumberCheck {
            phone_number_id: pnid.clone(),
            result: result
                .map(|s| s.can_send_message)
                .map_err(|e| e.to_string()),
        });
    }
    let h = rules::after_check(&h, &token_check, &numbers, now);
    ctx.engine.set_conversation_health(shop, h)?;
    super::catalog_health::check(ctx, shop)
        .await
        .map_err(|e| HealthError::Credentials(CredentialsError::Store(e)))?;
    view(ctx, shop).await
}

/// Records a failed Meta call in the tenant's health (a dead token turns it red; best
/// effort: an unreachable actor is skipped) and returns it as a [`FailedCall`].
pub async fn record_failed_call(ctx: &Context, shop: &str, e: MetaError) -> FailedCall {
    let token_dead = classify(&e) == Action::TokenDead;
    if let Ok(h) = ctx.engine.conversation_health(shop).await {
        let h = rules::on_failed_call(&h, e.to_string(), token_dead, Timestamp::now());
        let _ = ctx.engine.set_conversation_health(shop, h);
    }
    FailedCall {
        token_dead,
        source: e,
    }
}
