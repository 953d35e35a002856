//! A tenant's record and its Meta credentials (the opened token, the WABA id), for the
//! services that call Meta. Opening the token is `actors::context::open_meta_token`, the
//! one implementation the outbox uses too. Owns no state.

use super::Context;
use crate::actors::context::{open_meta_token, MetaTokenError};
use crate::store::{StoreError, TenantRecord};

/// Why a tenant's Meta credentials are not usable.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// The shop is not a tenant.
    #[error("shop `{0}` is not a tenant")]
    UnknownShop(String),
    /// No Meta token is stored.
    #[error("this shop has no WhatsApp access token; set it with PUT /api/v1/integrations/meta")]
    NoToken,
    /// No WhatsApp Business Account id is stored.
    #[error(
        "this shop has no WhatsApp Business Account id; set it with PUT /api/v1/integrations/meta"
    )]
    NoWaba,
    /// The stored token does not open.
    #[error("the stored WhatsApp token cannot be opened")]
    Token(#[source] MetaTokenError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tenant's record.
///
/// # Errors
/// [`CredentialsError::UnknownShop`] or a store failure.
pub fn tenant(ctx: &Context, shop: &str) -> Result<TenantRecord, CredentialsError> {
    ctx.engine
        .store()
        .tenant(shop)?
        .ok_or_else(|| CredentialsError::UnknownShop(shop.to_string()))
}

/// The tenant's Meta token, opened.
///
/// # Errors
/// [`CredentialsError::NoToken`], or [`CredentialsError::Token`] when it does not open.
pub fn token(ctx: &Context, t: &TenantRecord) -> Result<String, CredentialsError> {
    open_meta_token(&ctx.master_key, t).map_err(|e| match e {
        MetaTokenError::Missing => CredentialsError::NoToken,
        e => CredentialsError::Token(e),
    })
}

/// The tenant's WhatsApp Business Account id.
///
/// # Errors
/// [`CredentialsError::NoWaba`].
pub fn waba(t: &TenantRecord) -> Result<String, CredentialsError> {
    t.meta_waba_id.clone().ok_or(CredentialsError::NoWaba)
}

/// The tenant's record, token and WABA id, checked in that order.
///
/// # Errors
/// [`CredentialsError`].
pub fn token_and_waba(ctx: &Context, shop: &str) -> Result<(String, String), CredentialsError> {
    let t = tenant(ctx, shop)?;
    Ok((token(ctx, &t)?, waba(&t)?))
}
