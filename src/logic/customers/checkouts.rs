//! `checkouts/create|update|delete`, for the abandoned-checkout automation.
//!
//! The id is the top-level `id`, else the digits of `name` (`"#981820079255243537"`:
//! Shopify's documented sample has no `id`, real payloads do). `CheckoutUpdated` is
//! emitted for every change while the checkout is open, `CheckoutCompleted` once when
//! `completed_at` becomes set; completion is sticky (a later payload without
//! `completed_at` does not reopen it). A version the abandoned-checkout poll made
//! (`galantis_source: "poll"`) replaces a stored checkout only when strictly newer, and
//! keeps the token, cart token, e-mail and phone the poll cannot know; a webhook of the
//! same time replaces a polled version (it says more).

use super::payload::{self, CheckoutDto};
use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::Checkout;
use crate::domain::phone::PhoneE164;
use crate::domain::{EventKind, Money, ShopifyId};
use crate::logic::{ApplyError, Delivery};

impl CustomerBook {
    /// Stores the checkout unless stale, deleted, or its customer deleted; an unknown
    /// customer is upserted from the `customer` object.
    pub(super) fn on_checkout(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: CheckoutDto = payload::parse(d.topic, d.body)?;
        let id = checkout_id(&dto)
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing checkout `id` and `name`"))?;
        if let Some(at) = self.deleted_checkouts.get(&id) {
            return Ok(Change::ignored(format!(
                "checkout {id} was deleted at {at}"
            )));
        }
        let customer_id = dto.customer.as_ref().and_then(|c| c.customer_id());
        if let Some(reason) = customer_id.and_then(|cid| self.tombstoned(cid)) {
            return Ok(Change::ignored(reason));
        }
        let prev = lookup.checkout(id)?;
        let mut checkout = checkout_of(id, customer_id, &dto);
        if let Some(p) = &prev {
            if let (Some(old), Some(new)) = (p.updated_at, checkout.updated_at) {
                if new < old {
                    return Ok(Change::ignored(format!(
                        "stale checkout {id}: updated_at {new} is older than stored {old}"
                    )));
                }
            }
            if dto.galantis_source.as_deref() == Some("poll") && !merge_polled(p, &mut checkout) {
                return Ok(Change::ignored(format!(
                    "polled checkout {id}: nothing newer than the stored version"
                )));
            }
            if checkout.completed_at.is_none() {
                checkout.completed_at = p.completed_at;
            }
            if *p == checkout {
                return Ok(Change::ignored(format!(
                    "checkout {id} unchanged (duplicate)"
                )));
            }
        }
        let mut change = Change::default();
        if let (Some(cid), Some(cdto)) = (customer_id, dto.customer.as_ref()) {
            if !self.contacts.contains_key(&cid) {
                let c = self.upsert_from(cid, cdto, d, &mut change);
                c.synced_at = d.received_at;
                change.writes.push(Write::Contact(c.clone()));
            }
        }
        let was_completed = prev.as_ref().is_some_and(|p| p.completed_at.is_some());
        if checkout.completed_at.is_some() {
            if !was_completed {
                change.events.push(EventKind::CheckoutCompleted {
                    checkout_id: id,
                    customer_id,
                });
            }
        } else {
            change.events.push(EventKind::CheckoutUpdated {
                checkout_id: id,
                customer_id,
            });
        }
        change.writes.push(Write::Checkout {
            checkout,
            previous_customer: prev.as_ref().and_then(|p| p.customer_id),
        });
        Ok(change)
    }

    /// `checkouts/delete`: tombstone the checkout.
    pub(super) fn on_checkout_delete(&mut self, d: &Delivery<'_>) -> Result<Change, ApplyError> {
        let dto: CheckoutDto = payload::parse(d.topic, d.body)?;
        let id = checkout_id(&dto)
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing checkout `id`"))?;
        if let Some(at) = self.deleted_checkouts.get(&id) {
            return Ok(Change::ignored(format!(
                "checkout {id} already deleted at {at}"
            )));
        }
        let at = d.fallback_time();
        self.deleted_checkouts.insert(id, at);
        Ok(Change {
            writes: vec![Write::CheckoutDeleted { id, at }],
            ..Change::default()
        })
    }
}

/// A polled version over the stored `prev`: `false` unless strictly newer (the same time
/// is the same version, and a webhook's says more); otherwise it keeps what the poll
/// cannot know and does not change within a checkout.
fn merge_polled(prev: &Checkout, polled: &mut Checkout) -> bool {
    let newer = matches!((prev.updated_at, polled.updated_at), (Some(old), Some(new)) if new > old);
    if newer {
        polled.token = polled.token.take().or_else(|| prev.token.clone());
        polled.cart_token = polled.cart_token.take().or_else(|| prev.cart_token.clone());
        polled.email = polled.email.take().or_else(|| prev.email.clone());
        polled.phone = polled.phone.take().or_else(|| prev.phone.clone());
    }
    newer
}

/// `id`, else the digits of `name` (`"#981820079255243537"`).
fn checkout_id(dto: &CheckoutDto) -> Option<ShopifyId> {
    payload::id(dto.id).or_else(|| {
        dto.name
            .as_deref()?
            .trim()
            .trim_start_matches('#')
            .parse()
            .ok()
    })
}

fn checkout_of(id: ShopifyId, customer_id: Option<ShopifyId>, dto: &CheckoutDto) -> Checkout {
    let customer = dto.customer.as_ref();
    let country = customer
        .and_then(|c| c.country_code())
        .or_else(|| dto.billing_address.as_ref()?.country_code.as_deref())
        .or_else(|| dto.shipping_address.as_ref()?.country_code.as_deref());
    let phone = payload::text(dto.phone.as_deref())
        .or_else(|| payload::text(customer?.phone.as_deref()))
        .map(|raw| match PhoneE164::from_raw(&raw, country) {
            Ok(p) => p.to_string(),
            Err(_) => raw.into_string(),
        });
    let email = payload::text(dto.email.as_deref())
        .or_else(|| payload::text(customer?.email.as_deref()))
        .map(String::from);
    Checkout {
        id,
        customer_id,
        token: dto.token.clone(),
        cart_token: dto.cart_token.clone(),
        email,
        phone,
        line_items: super::orders::line_items(dto.line_items.as_deref()),
        total_price: dto.total_price.unwrap_or(Money::ZERO),
        currency: dto
            .presentment_currency
            .clone()
            .or_else(|| dto.currency.clone()),
        abandoned_checkout_url: dto.abandoned_checkout_url.clone(),
        completed_at: dto.completed_at,
        created_at: dto.created_at,
        updated_at: dto.updated_at,
    }
}
