//! A shop's Shopify access: installing from a grant (creating the tenant, or refreshing
//! an existing one's token, and showing a new tenant's API key once), the token for Admin
//! API calls — an expiring token is refreshed before it expires, one refresh per shop at
//! a time while every other caller waits for it, the rotating refresh token stored sealed
//! in the same batch as the new access token — and the migration of a non-expiring token
//! by token exchange (Shopify rejects those from 2027-01-01).

use super::tenants::{self, NewTenant, TenantError};
use super::Context;
use crate::domain::{ShopDomain, Timestamp};
use crate::integrations::shopify::admin::oauth::{self as grants, App, TokenGrant};
use crate::integrations::shopify::admin::AdminError;
use crate::secrets::{seal_context, SecretsError};
use crate::store::tenants::TenantStatus;
use crate::store::{Batch, Kind, StoreError, TenantRecord};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The Shopify app as the install flows need it (from `[shopify]`).
#[derive(Clone, Debug, Default)]
pub struct ShopifyApp {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
    /// The previous client secret, during a rotation.
    pub previous_secret: Option<String>,
    /// Scopes asked at install.
    pub scopes: String,
    /// The engine's public base URL (for `redirect_uri`).
    pub app_url: Option<String>,
    /// Ask for expiring offline tokens.
    pub expiring: bool,
    /// Refresh this long before expiry.
    pub refresh_margin_s: i64,
}

impl ShopifyApp {
    fn creds(&self) -> App<'_> {
        App {
            client_id: &self.client_id,
            client_secret: &self.client_secret,
        }
    }

    /// The HMAC keys: current secret, then the previous one.
    pub fn secrets(&self) -> Vec<Vec<u8>> {
        let mut v = vec![self.client_secret.as_bytes().to_vec()];
        v.extend(self.previous_secret.iter().map(|s| s.as_bytes().to_vec()));
        v
    }
}

/// The token facts kept beside the tenant record (`Kind::ShopifyAuth`, id 0).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AuthRecord {
    /// The refresh token, sealed for `{shop}|shopify_refresh_token`.
    pub refresh_sealed: Option<Vec<u8>>,
    /// When the access token expires (ms; `None`: it does not).
    pub access_expires_ms: Option<i64>,
    /// When the refresh token expires (ms).
    pub refresh_expires_ms: Option<i64>,
    /// Granted scopes.
    pub scope: String,
    /// When the grant was stored (ms).
    pub granted_ms: i64,
}

/// Why access could not be granted or used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The shop is not a tenant.
    #[error("shop `{0}` is not a tenant")]
    UnknownShop(String),
    /// The shop uninstalled the app.
    #[error("shop `{0}` uninstalled the app; it must install it again")]
    Uninstalled(String),
    /// The stored token does not open.
    #[error("the stored Shopify token cannot be opened")]
    Sealed(#[from] SecretsError),
    /// Shopify refused or failed.
    #[error(transparent)]
    Shopify(#[from] AdminError),
    /// Creating the tenant failed.
    #[error(transparent)]
    Tenant(#[from] TenantError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tenant's actors could not be (re)started.
    #[error(transparent)]
    Engine(#[from] crate::actors::EngineError),
}

/// What an install did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Installed {
    /// The shop.
    pub shop: String,
    /// A new tenant (else an existing one got a new token).
    pub created: bool,
    /// The new tenant's API key: shown this once, stored only hashed.
    pub api_key: Option<String>,
    /// Granted scopes.
    pub scope: String,
    /// Seconds until the access token expires (`None`: it does not).
    pub expires_in: Option<i64>,
}

fn auth_record(
    ctx: &Context,
    shop: &str,
    grant: &TokenGrant,
    now: Timestamp,
) -> Result<AuthRecord, SecretsError> {
    let refresh_sealed = match &grant.refresh_token {
        Some(r) => Some(
            ctx.master_key
                .seal(&seal_context(shop, "shopify_refresh_token"), r.as_bytes())?,
        ),
        None => None,
    };
    Ok(AuthRecord {
        refresh_sealed,
        access_expires_ms: grant.expires_in.map(|s| now.millis() + s * 1000),
        refresh_expires_ms: grant
            .refresh_token_expires_in
            .map(|s| now.millis() + s * 1000),
        scope: grant.scope.clone(),
        granted_ms: now.millis(),
    })
}

/// Stores `grant` for an existing tenant: the new access token in its record and the
/// refresh token and expiries beside it, in one batch.
fn store_grant(ctx: &Context, mut rec: TenantRecord, grant: &TokenGrant) -> Result<(), AuthError> {
    let now = Timestamp::now();
    rec.shopify_token = ctx.master_key.seal(
        &seal_context(&rec.shop, "shopify_token"),
        grant.access_token.as_bytes(),
    )?;
    let auth = auth_record(ctx, &rec.shop, grant, now)?;
    let mut b = Batch::new();
    b.put_tenant(&rec)?;
    b.put(&rec.shop, Kind::ShopifyAuth, 0, &auth)?;
    ctx.engine.store().commit(b)?;
    Ok(())
}

/// Creates the tenant of `shop` from `grant`, or gives an existing one the new token (a
/// reinstall after an uninstall makes it active again); then reconciles its webhooks in
/// the background.
///
/// # Errors
/// [`AuthError`].
pub async fn install(
    ctx: &Context,
    shop: &ShopDomain,
    grant: TokenGrant,
) -> Result<Installed, AuthError> {
    let store = ctx.engine.store();
    let (created, api_key) = match store.tenant(shop.as_str())? {
        Some(mut rec) => {
            if rec.status == TenantStatus::Redacted {
                return Err(AuthError::Uninstalled(shop.to_string()));
            }
            let reinstall = rec.status != TenantStatus::Active;
            if reinstall {
                rec.status = TenantStatus::Active;
                rec.status_at = Timestamp::now();
            }
            store_grant(ctx, rec, &grant)?;
            store.durable().await?;
            if reinstall {
                // The actors start again as an active tenant: timers resume.
                ctx.engine.stop_tenant(shop.as_str()).await?;
                ctx.engine.start_tenant(shop.as_str()).await?;
            }
            (false, None)
        }
        None => {
            let (_, key) = tenants::create(
                store,
                &ctx.master_key,
                NewTenant {
                    shop: shop.to_string(),
                    shopify_access_token: grant.access_token.clone(),
                    meta_access_token: None,
                    meta_phone_number_ids: Vec::new(),
                    meta_waba_id: None,
                },
            )?;
            let auth = auth_record(ctx, shop.as_str(), &grant, Timestamp::now())?;
            let mut b = Batch::new();
            b.put(shop.as_str(), Kind::ShopifyAuth, 0, &auth)?;
            store.commit(b)?;
            store.durable().await?;
            ctx.engine.start_tenant(shop.as_str()).await?;
            (true, Some(key))
        }
    };
    metrics::counter!("galantis_shopify_installs_total", "created" => created.to_string())
        .increment(1);
    tracing::info!(message = "Shopify app installed.", shop = %shop, created, scope = %grant.scope, expiring = grant.expires_in.is_some());
    let (c, s) = (ctx.clone(), shop.to_string());
    tokio::spawn(async move {
        if c.shopify_webhook_url.is_some() {
            let _ = super::shopify_webhooks::reconcile(&c, &s).await;
        }
    });
    Ok(Installed {
        shop: shop.to_string(),
        created,
        api_key,
        scope: grant.scope,
        expires_in: grant.expires_in,
    })
}

fn open_token(ctx: &Context, rec: &TenantRecord) -> Result<String, AuthError> {
    let plain = ctx.master_key.open(
        &seal_context(&rec.shop, "shopify_token"),
        &rec.shopify_token,
    )?;
    String::from_utf8(plain).map_err(|_| AuthError::Sealed(SecretsError::Open))
}

fn needs_refresh(ctx: &Context, auth: &AuthRecord, now: Timestamp) -> bool {
    let margin = ctx.shopify_app.refresh_margin_s * 1000;
    auth.refresh_sealed.is_some()
        && auth
            .access_expires_ms
            .is_some_and(|e| e - margin <= now.millis())
}

/// The token for an Admin API call on `shop`: the stored one, or — when it expires
/// within the margin — a refreshed one. Concurrent callers share one refresh.
///
/// # Errors
/// [`AuthError`]; a refused refresh is `Shopify(Refused)` (the shop must reinstall).
pub async fn access_token(ctx: &Context, shop: &str) -> Result<String, AuthError> {
    let store = ctx.engine.store();
    let load = || -> Result<(TenantRecord, AuthRecord), AuthError> {
        let rec = store
            .tenant(shop)?
            .ok_or_else(|| AuthError::UnknownShop(shop.to_string()))?;
        if rec.status != TenantStatus::Active || rec.shopify_token.is_empty() {
            return Err(AuthError::Uninstalled(shop.to_string()));
        }
        let auth = store.get(shop, Kind::ShopifyAuth, 0)?.unwrap_or_default();
        Ok((rec, auth))
    };
    let (rec, auth) = load()?;
    if !needs_refresh(ctx, &auth, Timestamp::now()) {
        return open_token(ctx, &rec);
    }
    let lock = ctx
        .shopify_refresh
        .entry(shop.to_string())
        .or_insert_with(|| Arc::new(tokio::sync::Mutex::new(())))
        .clone();
    let _one = lock.lock().await;
    // Another caller may have refreshed while this one waited.
    let (rec, auth) = load()?;
    if !needs_refresh(ctx, &auth, Timestamp::now()) {
        return open_token(ctx, &rec);
    }
    let sealed = auth.refresh_sealed.unwrap_or_default();
    let refresh = ctx
        .master_key
        .open(&seal_context(shop, "shopify_refresh_token"), &sealed)?;
    let refresh = String::from_utf8(refresh).map_err(|_| AuthError::Sealed(SecretsError::Open))?;
    let body = grants::refresh_body(ctx.shopify_app.creds(), &refresh);
    // A refused refresh (revoked, expired) means the shop must install again: the same
    // class as a refused token.
    let grant = ctx.shopify.grant(shop, &body).await.map_err(|e| match e {
        AdminError::Refused(m) => AdminError::Unauthorized {
            status: 401,
            message: format!("refreshing the token was refused: {}", m.join("; ")),
        },
        e => e,
    })?;
    metrics::counter!("galantis_shopify_token_refreshes_total").increment(1);
    tracing::info!(message = "Shopify token refreshed.", shop, expires_in = ?grant.expires_in);
    let token = grant.access_token.clone();
    store_grant(ctx, rec, &grant)?;
    Ok(token)
}

/// Exchanges a stored non-expiring token for an expiring one (token exchange with the
/// old token as subject), when the app asks for expiring tokens and the shop has none.
/// Returns whether it migrated.
///
/// # Errors
/// [`AuthError`].
pub async fn migrate_to_expiring(ctx: &Context, shop: &str) -> Result<bool, AuthError> {
    let store = ctx.engine.store();
    let rec = store
        .tenant(shop)?
        .ok_or_else(|| AuthError::UnknownShop(shop.to_string()))?;
    let auth: AuthRecord = store.get(shop, Kind::ShopifyAuth, 0)?.unwrap_or_default();
    if !ctx.shopify_app.expiring || auth.access_expires_ms.is_some() || rec.shopify_token.is_empty()
    {
        return Ok(false);
    }
    let old = open_token(ctx, &rec)?;
    let body = grants::exchange_body(ctx.shopify_app.creds(), &old, true, true);
    let grant = ctx.shopify.grant(shop, &body).await?;
    store_grant(ctx, rec, &grant)?;
    tracing::info!(
        message = "Shopify token migrated to an expiring token.",
        shop
    );
    Ok(true)
}

/// The grant for an install's authorization code.
///
/// # Errors
/// [`AuthError::Shopify`].
pub async fn exchange_code(
    ctx: &Context,
    shop: &ShopDomain,
    code: &str,
) -> Result<TokenGrant, AuthError> {
    let body = grants::code_body(ctx.shopify_app.creds(), code, ctx.shopify_app.expiring);
    Ok(ctx.shopify.grant(shop.as_str(), &body).await?)
}

/// The grant for a verified session token.
///
/// # Errors
/// [`AuthError::Shopify`].
pub async fn exchange_session(
    ctx: &Context,
    shop: &ShopDomain,
    session_token: &str,
) -> Result<TokenGrant, AuthError> {
    let body = grants::exchange_body(
        ctx.shopify_app.creds(),
        session_token,
        false,
        ctx.shopify_app.expiring,
    );
    Ok(ctx.shopify.grant(shop.as_str(), &body).await?)
}
