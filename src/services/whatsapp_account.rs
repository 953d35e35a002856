//! A tenant's WhatsApp account settings: adding a phone number id and setting the Meta
//! access token and WABA id, under the one-owner rule of [`super::meta_routes`] (checked and
//! committed under its claims guard). Inputs arrive parsed (digits, lengths) from the
//! caller; this module owns the writes and the routing indexes, and must not format
//! answers for HTTP.

use super::meta_routes::{self, Claimed};
use super::Context;
use crate::actors::context::seal_meta_token;
use crate::logic::whatsapp::health as whatsapp_health;
use crate::store::{Batch, StoreError, TenantRecord};

/// WhatsApp phone numbers one shop may have (Meta lets a business grow to 20 by default).
pub const MAX_PHONE_NUMBERS: usize = 20;

/// Why an account change was refused. Nothing is written when it is.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The shop is not a tenant.
    #[error("shop `{0}` is not a tenant")]
    UnknownShop(String),
    /// The number is already this shop's.
    #[error("phone number id {0} is already this shop's")]
    AlreadyOurs(String),
    /// The number or account belongs to another tenant.
    #[error(transparent)]
    Claimed(#[from] Claimed),
    /// The shop has as many numbers as it may have.
    #[error("`meta_phone_number_ids` may hold at most {max} numbers")]
    TooManyNumbers {
        /// The limit.
        max: usize,
    },
    /// The token could not be sealed.
    #[error("sealing the access token failed")]
    Seal(#[source] crate::secrets::SecretsError),
    /// The store failed.
    #[error("storage failed")]
    Store(#[from] StoreError),
}

fn tenant(ctx: &Context, shop: &str) -> Result<TenantRecord, AccountError> {
    ctx.engine
        .store()
        .tenant(shop)?
        .ok_or_else(|| AccountError::UnknownShop(shop.to_string()))
}

/// Routes phone number id `id` (digits) to `shop`, durably.
///
/// # Errors
/// [`AccountError`]: already ours, owned elsewhere, too many, unknown shop, storage.
pub async fn add_phone_number(ctx: &Context, shop: &str, id: &str) -> Result<(), AccountError> {
    let store = ctx.engine.store();
    {
        let _claims = meta_routes::claims_guard();
        if let Some(owner) = store.shop_for_phone_number(id)? {
            return Err(if owner == shop {
                AccountError::AlreadyOurs(id.to_string())
            } else {
                Claimed::PhoneNumber {
                    id: id.to_string(),
                    owner,
                }
                .into()
            });
        }
        let mut t = tenant(ctx, shop)?;
        if t.meta_phone_number_ids.len() >= MAX_PHONE_NUMBERS {
            return Err(AccountError::TooManyNumbers {
                max: MAX_PHONE_NUMBERS,
            });
        }
        t.meta_phone_number_ids.push(id.to_string());
        let mut b = Batch::new();
        b.put_tenant(&t)?;
        b.put_phone_number(id, shop);
        store.commit(b)?;
    }
    store.durable().await?;
    Ok(())
}

/// Sets the shop's Meta access token (sealed) and/or WABA id (`waba`: digits), durably. A
/// new token resets the integration health, which lets an outbox held for a dead token
/// drain. Changing the WABA releases the old one only while it still routes to this shop.
///
/// # Errors
/// [`AccountError`]: the WABA is owned elsewhere, unknown shop, sealing, storage.
pub async fn set_credentials(
    ctx: &Context,
    shop: &str,
    token: Option<&str>,
    waba: Option<&str>,
) -> Result<(), AccountError> {
    let store = ctx.engine.store();
    {
        let _claims = meta_routes::claims_guard();
        let mut t = tenant(ctx, shop)?;
        let mut b = Batch::new();
        if let Some(tok) = token {
            let sealed = seal_meta_token(&ctx.master_key, shop, tok).map_err(AccountError::Seal)?;
            t.meta_token = Some(sealed);
        }
        if let Some(w) = waba {
            meta_routes::check_claims(store, shop, &[], Some(w))??;
            if let Some(old) = t.meta_waba_id.as_deref().filter(|old| *old != w) {
                if store.shop_for_waba(old)?.as_deref() == Some(shop) {
                    b.remove_waba(old);
                }
            }
            b.put_waba(w, shop);
            t.meta_waba_id = Some(w.to_string());
        }
        b.put_tenant(&t)?;
        store.commit(b)?;
    }
    store.durable().await?;
    if token.is_some() {
        let _ = ctx
            .engine
            .set_conversation_health(shop, whatsapp_health::fresh());
    }
    Ok(())
}
