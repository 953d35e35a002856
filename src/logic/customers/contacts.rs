//! `customers/create|update|enable|disable|delete` and `customers/merge`, and how a
//! Shopify customer object becomes contact fields (phone normalisation included).

use super::orders::recompute_aggregates;
use super::payload::{self, CustomerDto, MergeDto};
use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::{AccountState, Contact, ContactErrorCode, CountryCode};
use crate::domain::phone::{PhoneE164, PhoneError};
use crate::domain::{EventKind, ShopifyId};
use crate::logic::{ApplyError, Delivery, Topic};

impl CustomerBook {
    /// `customers/create|update|enable|disable`: last-writer-wins on `updated_at`; an
    /// unknown id is an upsert.
    pub(super) fn on_customer(&mut self, d: &Delivery<'_>) -> Result<Change, ApplyError> {
        let dto: CustomerDto = payload::parse(d.topic, d.body)?;
        let id = dto
            .customer_id()
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing customer `id`"))?;
        if let Some(reason) = self.tombstoned(id) {
            return Ok(Change::ignored(reason));
        }
        let at = dto.updated_at.unwrap_or_else(|| d.fallback_time());
        if let Some(prev) = self.contacts.get(&id).and_then(|c| c.updated_at) {
            if at < prev {
                return Ok(Change::ignored(format!(
                    "stale customer {id}: updated_at {at} is older than stored {prev}"
                )));
            }
        }
        check_names(d.topic, &dto)?;
        if let Some(tags) = dto.tags.as_deref() {
            // Shopify's limits, checked before anything changes (see `tags`).
            super::tags::check_tag_lengths(d.topic, tags.split(','))?;
            let distinct: std::collections::BTreeSet<&str> = tags
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect();
            super::tags::check_tag_count(d.topic, id, distinct.len())?;
        }
        let mut change = Change::default();
        let c = self.upsert_stub(id, d, &mut change);
        apply_customer(c, &dto);
        c.updated_at = Some(at);
        // The province only matters (and is only written) where it picks the zone; a
        // contact who moved to another country keeps a stale one that the zone lookup
        // ignores (it matches country and province together).
        let multi_zone = dto
            .country_code()
            .is_some_and(crate::logic::automations::quiet::zone_depends_on_province);
        if multi_zone {
            change.writes.push(Write::Region {
                id,
                province: dto.province_code(),
            });
        }
        c.synced_at = d.received_at;
        // The topic says what happened to the account, whatever the sample body says.
        match d.topic {
            Topic::CustomersEnable => c.state = Some(AccountState::Enabled),
            Topic::CustomersDisable => c.state = Some(AccountState::Disabled),
            _ => {}
        }
        if let Some(tags) = dto.tags.as_deref() {
            let added = c.tags.replace_all(tags.split(','), at);
            if !added.is_empty() {
                change.events.push(EventKind::CustomerTagged {
                    customer_id: id,
                    tags: added,
                });
            }
        }
        change.writes.push(Write::Contact(c.clone()));
        Ok(change)
    }

    /// `customers/delete`: drop the contact, keep a tombstone.
    pub(super) fn on_customer_delete(&mut self, d: &Delivery<'_>) -> Result<Change, ApplyError> {
        let dto: CustomerDto = payload::parse(d.topic, d.body)?;
        let id = dto
            .customer_id()
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing customer `id`"))?;
        if let Some(reason) = self.tombstoned(id) {
            return Ok(Change::ignored(reason));
        }
        let at = d.fallback_time();
        self.contacts.remove(&id);
        self.tombstones.insert(id, at);
        Ok(Change {
            writes: vec![Write::ContactDeleted { id, at }],
            ..Change::default()
        })
    }

    /// `customers/merge`: once completed, the deleted customer's orders, checkouts and
    /// tags move to the kept one and the deleted id is tombstoned. Consent is not moved:
    /// the kept customer's own consent stands (Shopify sends its consent topics after).
    pub(super) fn on_merge(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: MergeDto = payload::parse(d.topic, d.body)?;
        let status = dto
            .status
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if status != "completed" && status != "succeeded" {
            return Ok(Change::ignored(format!(
                "customer merge with status `{status}`: nothing to apply"
            )));
        }
        let kept = dto
            .kept()
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing kept customer id"))?;
        let gone = dto
            .deleted()
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing deleted customer id"))?;
        if kept == gone {
            return Ok(Change::ignored("customer merged into itself"));
        }
        if let Some(reason) = self.tombstoned(kept) {
            return Ok(Change::ignored(reason));
        }
        // Every read first: a failed read must leave the book untouched.
        let gone_orders = lookup.orders_of(gone)?;
        let gone_checkouts = lookup.checkouts_of(gone)?;
        let mut orders = lookup.orders_of(kept)?;
        let at = d.fallback_time();
        let mut change = Change::default();
        let gone_contact = self.contacts.remove(&gone);
        let mut moved = Vec::new();
        for mut o in gone_orders {
            let previous_customer = o.customer_id.replace(kept);
            change.writes.push(Write::Order {
                order: o.clone(),
                previous_customer,
            });
            moved.push(o);
        }
        for mut ch in gone_checkouts {
            let previous_customer = ch.customer_id.replace(kept);
            change.writes.push(Write::Checkout {
                checkout: ch,
                previous_customer,
            });
        }
        orders.retain(|o| !moved.iter().any(|m| m.id == o.id));
        orders.extend(moved);
        orders.retain(|o| !self.deleted_orders.contains_key(&o.id));
        let c = self.upsert_stub(kept, d, &mut change);
        if let Some(g) = &gone_contact {
            c.tags.merge(&g.tags);
        }
        recompute_aggregates(c, &orders);
        c.synced_at = d.received_at;
        change.writes.push(Write::Contact(c.clone()));
        if self.tombstones.insert(gone, at).is_none() {
            change.writes.push(Write::ContactDeleted { id: gone, at });
        }
        Ok(change)
    }

    /// The contact for a `customer` object inside an order or checkout: created from it
    /// (with `CustomerCreated`) when unknown; left as is when known (the `customers/*`
    /// topics own its fields). The caller has checked the tombstones.
    pub(super) fn upsert_from(
        &mut self,
        id: ShopifyId,
        dto: &CustomerDto,
        d: &Delivery<'_>,
        change: &mut Change,
    ) -> &mut Contact {
        let known = self.contacts.contains_key(&id);
        let c = self.upsert_stub(id, d, change);
        if !known {
            apply_customer(c, dto);
            c.updated_at = dto.updated_at;
        }
        c
    }
}

/// Copies a Shopify customer object onto a contact (names, email, phone, state, country,
/// locale when present, created_at).
pub(super) fn apply_customer(c: &mut Contact, dto: &CustomerDto) {
    c.first_name = payload::text(dto.first_name.as_deref());
    c.last_name = payload::text(dto.last_name.as_deref());
    c.email = payload::text(dto.email.as_deref());
    c.country = dto.country_code().and_then(CountryCode::parse);
    if dto.state.is_some() {
        c.state = AccountState::from_shopify(dto.state.as_deref());
    }
    if let Some(l) = payload::text(dto.locale.as_deref()) {
        c.locale = Some(l);
    }
    if dto.created_at.is_some() {
        c.created_at = dto.created_at;
    }
    let country = c.country;
    set_phone(
        c,
        dto.phone.as_deref(),
        country.as_ref().map(CountryCode::as_str),
    );
}

/// Sets the contact's phone from Shopify's text: E.164 when it normalises (calling code
/// inferred from `country` when missing); otherwise no phone, the raw text in
/// `phone_raw`, and an error code saying why.
pub(super) fn set_phone(c: &mut Contact, raw: Option<&str>, country: Option<&str>) {
    let phone_codes = [
        ContactErrorCode::CustomerIsMissingCallingCode,
        ContactErrorCode::CustomerPhoneIsInvalid,
    ];
    let mut codes: Vec<ContactErrorCode> = c
        .error_codes
        .iter()
        .copied()
        .filter(|e| !phone_codes.contains(e))
        .collect();
    c.phone = None;
    c.phone_raw = None;
    if let Some(raw) = payload::text(raw) {
        match PhoneE164::from_raw(&raw, country) {
            Ok(p) => c.phone = Some(p),
            Err(e) => {
                codes.push(match e {
                    PhoneError::MissingCallingCode => {
                        ContactErrorCode::CustomerIsMissingCallingCode
                    }
                    PhoneError::Invalid => ContactErrorCode::CustomerPhoneIsInvalid,
                });
                c.phone_raw = Some(raw);
            }
        }
    }
    c.error_codes = codes.into_boxed_slice();
}

/// Shopify's limit of characters in a customer's first or last name.
pub const MAX_NAME_CHARS: usize = 255;

/// Refuses a name over [`MAX_NAME_CHARS`]: like over-limit tags (see `tags`), such a
/// payload is not one Shopify sends, so it is dead-lettered with the reason, not cut.
fn check_names(topic: crate::logic::Topic, dto: &CustomerDto) -> Result<(), ApplyError> {
    for (field, value) in [
        ("first_name", &dto.first_name),
        ("last_name", &dto.last_name),
    ] {
        let n = value.as_deref().map_or(0, |v| v.chars().count());
        if n > MAX_NAME_CHARS {
            return Err(ApplyError::invalid(
                topic,
                format!("`{field}` has {n} characters; Shopify allows at most {MAX_NAME_CHARS}"),
            ));
        }
    }
    Ok(())
}
