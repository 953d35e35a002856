//! Which tenant a Meta webhook belongs to, and who may claim a number or an account: the
//! routing indexes (`phone_number_id` and WABA id to shop) read for incoming events and for
//! replays of the operator's dead letters, and the one-owner rule for claims. A number or
//! a WABA belongs to at most one tenant; a claim of one owned elsewhere is refused.

use crate::integrations::meta::webhook::{self, MetaEvent, RouteHint};
use crate::logic::{MetaKind, Source};
use crate::store::tenants::TenantStatus;
use crate::store::{JournalEntry, Store, StoreError};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// See [`claims_guard`].
static CLAIMS: Mutex<()> = Mutex::new(());

/// Serialises claims of numbers and accounts in this process: hold it from
/// [`check_claims`] until the routes are committed, so two tenants claiming the same
/// number or WABA at once cannot both pass the check. Never held across an `await`.
pub fn claims_guard() -> MutexGuard<'static, ()> {
    CLAIMS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A number or account that already belongs to another tenant.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Claimed {
    /// The phone number id is routed to `owner`.
    #[error("phone number id {id} belongs to another shop")]
    PhoneNumber {
        /// The id claimed.
        id: String,
        /// Its owner (never shown to the claimant).
        owner: String,
    },
    /// The WABA id is routed to `owner`.
    #[error("WhatsApp Business Account {id} belongs to another shop")]
    Waba {
        /// The id claimed.
        id: String,
        /// Its owner (never shown to the claimant).
        owner: String,
    },
}

/// Checks that `shop` may route `numbers` and `waba` to itself: none is owned by another
/// tenant. Claiming what `shop` already owns is fine. Call it under [`claims_guard`].
///
/// # Errors
/// `Ok(Err(Claimed))` naming the first one owned elsewhere; `Err` when sled fails.
pub fn check_claims(
    store: &Store,
    shop: &str,
    numbers: &[String],
    waba: Option<&str>,
) -> Result<Result<(), Claimed>, StoreError> {
    for id in numbers {
        if let Some(owner) = store.shop_for_phone_number(id)?.filter(|o| o != shop) {
            return Ok(Err(Claimed::PhoneNumber {
                id: id.clone(),
                owner,
            }));
        }
    }
    if let Some(w) = waba {
        if let Some(owner) = store.shop_for_waba(w)?.filter(|o| o != shop) {
            return Ok(Err(Claimed::Waba {
                id: w.to_string(),
                owner,
            }));
        }
    }
    Ok(Ok(()))
}

/// `shop` when it is a tenant whose webhooks are still applied (active or uninstalled,
/// not redacted).
fn live(store: &Store, shop: Option<String>) -> Result<Option<String>, StoreError> {
    let Some(shop) = shop else {
        return Ok(None);
    };
    let status = store.tenant_status(&shop)?;
    Ok(status
        .is_some_and(|s| s != TenantStatus::Redacted)
        .then_some(shop))
}

/// What an event is routed by, for logs and dead-letter reasons.
pub fn route_key(e: &MetaEvent) -> String {
    match e.phone_number_id() {
        Some(p) => format!("phone number id {p}"),
        None => format!("WABA {}", e.routing_waba_id()),
    }
}

/// The live tenant an event belongs to: by its phone number id, else by its WABA (some
/// account updates come under the partner's entry id: those route by the WABA they name).
///
/// # Errors
/// When sled fails.
pub fn tenant_of_event(store: &Store, e: &MetaEvent) -> Result<Option<String>, StoreError> {
    let shop = match e.phone_number_id() {
        Some(p) => store.shop_for_phone_number(p)?,
        None => store.shop_for_waba(e.routing_waba_id())?,
    };
    live(store, shop)
}

/// The live tenant a delivery that did not parse names, read leniently from its raw JSON
/// (phone numbers first, then accounts).
///
/// # Errors
/// When sled fails.
pub fn tenant_of_body(store: &Store, body: &[u8]) -> Result<Option<String>, StoreError> {
    for hint in webhook::routing_hints(body) {
        let shop = match &hint {
            RouteHint::PhoneNumber(p) => store.shop_for_phone_number(p)?,
            RouteHint::Waba(w) => store.shop_for_waba(w)?,
        };
        if let Some(shop) = live(store, shop)? {
            return Ok(Some(shop));
        }
    }
    Ok(None)
}

/// The live tenant a Meta journal entry belongs to now: for an operator dead letter, where
/// its replay goes. A whole delivery (`meta/delivery`) goes by the numbers and accounts it
/// names; one event by [`tenant_of_event`]. `None` for anything else.
///
/// # Errors
/// When sled fails.
pub fn tenant_of_entry(store: &Store, entry: &JournalEntry) -> Result<Option<String>, StoreError> {
    match entry.source {
        Source::Meta(MetaKind::Delivery) => tenant_of_body(store, &entry.body),
        Source::Meta(_) => match serde_json::from_slice::<MetaEvent>(&entry.body) {
            Ok(e) => tenant_of_event(store, &e),
            Err(_) => tenant_of_body(store, &entry.body),
        },
        _ => Ok(None),
    }
}

/// The id an event is deduplicated on. Inbound messages dedupe on wamid *and* type: a
/// redelivery repeats both, while Meta's own documentation examples reuse one wamid across
/// text, image, reaction and contacts messages, which must not swallow each other.
pub fn journal_id(e: &MetaEvent) -> String {
    match e {
        MetaEvent::InboundMessage(m) => format!("{}:{}", e.dedupe_key(), m.content.type_name()),
        _ => e.dedupe_key(),
    }
}

/// The id a kept raw delivery (or part of one) is deduplicated on: 128 bits of its
/// SHA-256, so Meta's redelivery of the same bytes is a duplicate.
pub fn delivery_id(body: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(body);
    format!("delivery:{}", hex::encode(&digest[..16]))
}
