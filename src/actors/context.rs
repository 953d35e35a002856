//! What the actors need from outside ([`ActorContext`]: the Meta client, its settings, the
//! master key) and the one place that knows how a tenant's Meta token is sealed and opened,
//! used by the outbox and by the services above. Owns no state; must not import `services`
//! or `http`.

use crate::secrets::{seal_context, MasterKey, SecretsError};
use crate::store::TenantRecord;

/// What the conversation actors need from outside: the Meta client and its settings, and
/// the master key that opens the tenant's token. Built once by `app`, shared by every
/// tenant.
pub struct ActorContext {
    /// The Graph API client.
    pub meta: crate::integrations::meta::client::MetaClient,
    /// Rates, retries, opt-out words.
    pub settings: crate::config::MetaSettings,
    /// Opens sealed tokens.
    pub master_key: MasterKey,
    /// The automation engine's time compression, batches and caps.
    pub automations: crate::config::AutomationSettings,
    /// Plans and usage metering.
    pub billing: crate::config::BillingSettings,
    /// Campaign dispatch.
    pub campaigns: crate::config::CampaignSettings,
}

impl ActorContext {
    /// The tenant's Meta token, opened (see [`open_meta_token`]).
    ///
    /// # Errors
    /// [`MetaTokenError`].
    pub fn meta_token(&self, tenant: &TenantRecord) -> Result<String, MetaTokenError> {
        open_meta_token(&self.master_key, tenant)
    }
}

/// Why a tenant's Meta token cannot be used. The texts are what a failed send records.
#[derive(Debug, thiserror::Error)]
pub enum MetaTokenError {
    /// The tenant has no Meta token.
    #[error("no WhatsApp access token is configured for this shop")]
    Missing,
    /// The sealed token does not open with this master key.
    #[error(transparent)]
    Open(#[from] SecretsError),
    /// The opened token is not UTF-8.
    #[error("the stored WhatsApp token is not text")]
    NotText(#[source] std::string::FromUtf8Error),
}

/// Seals a tenant's Meta token for storage in its record (only `open_meta_token` opens it).
///
/// # Errors
/// [`SecretsError::Seal`] (never in practice).
pub fn seal_meta_token(key: &MasterKey, shop: &str, token: &str) -> Result<Vec<u8>, SecretsError> {
    key.seal(&seal_context(shop, "meta_token"), token.as_bytes())
}

/// Opens the tenant's sealed Meta token (sealed for `{shop}|meta_token`).
///
/// # Errors
/// [`MetaTokenError`]: none stored, sealed under another key or for another use, or not
/// text.
pub fn open_meta_token(key: &MasterKey, tenant: &TenantRecord) -> Result<String, MetaTokenError> {
    let sealed = tenant.meta_token.as_ref().ok_or(MetaTokenError::Missing)?;
    let plain = key.open(&seal_context(&tenant.shop, "meta_token"), sealed)?;
    String::from_utf8(plain).map_err(MetaTokenError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::store::tenants::TenantStatus;

    fn record(shop: &str, meta_token: Option<Vec<u8>>) -> TenantRecord {
        TenantRecord {
            shop: shop.into(),
            status: TenantStatus::Active,
            created_at: Timestamp::now(),
            status_at: Timestamp::now(),
            shopify_token: vec![1],
            meta_token,
            meta_phone_number_ids: vec![],
            meta_waba_id: None,
            api_key_hash: [0; 32],
        }
    }

    fn key() -> MasterKey {
        MasterKey::parse(&"22".repeat(32)).expect("a valid test key")
    }

    #[test]
    fn a_token_sealed_for_the_shop_opens() {
        let sealed = seal_meta_token(&key(), "a.myshopify.com", "EAAtoken").expect("seal");
        let t = record("a.myshopify.com", Some(sealed));
        assert_eq!(open_meta_token(&key(), &t).expect("opens"), "EAAtoken");
    }

    #[test]
    fn a_token_sealed_for_another_shop_does_not_open() {
        let sealed = seal_meta_token(&key(), "b.myshopify.com", "EAAtoken").expect("seal");
        let t = record("a.myshopify.com", Some(sealed));
        assert!(matches!(
            open_meta_token(&key(), &t),
            Err(MetaTokenError::Open(SecretsError::Open))
        ));
    }

    #[test]
    fn no_token_is_missing() {
        let t = record("a.myshopify.com", None);
        let e = open_meta_token(&key(), &t).expect_err("missing");
        assert_eq!(
            e.to_string(),
            "no WhatsApp access token is configured for this shop"
        );
    }
}
