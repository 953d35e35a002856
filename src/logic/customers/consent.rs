//! Marketing consent. `marketing_state` is consent to WhatsApp marketing, kept as one
//! `(state, source, at)` triple: the WhatsApp consent topic and the SMS consent topic both
//! write it, as does a STOP in the inbox ([`CustomerBook::set_marketing`]), and the newest
//! event wins whichever source it came from (an event replaces the triple when its time
//! is not older than the stored one). Email consent is kept apart, with its own time, and
//! never touches `marketing_state`.

use super::contacts::set_phone;
use super::payload::{self, ConsentDto, ConsentUpdateDto};
use super::{Change, CustomerBook, Write};
use crate::domain::contact::{
    CollectedFrom, Contact, CountryCode, MarketingSource, MarketingState, OptInLevel,
};
use crate::domain::Timestamp;
use crate::logic::{ApplyError, Delivery, Topic};

/// One consent decision about WhatsApp marketing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Consent {
    pub state: MarketingState,
    pub source: MarketingSource,
    pub collected_from: Option<CollectedFrom>,
    pub opt_in_level: Option<OptInLevel>,
    /// When the decision was made (the consent's own time, else the delivery's).
    pub at: Timestamp,
}

/// Replaces the contact's WhatsApp consent when `consent` is not older; true if applied.
pub fn apply_marketing(c: &mut Contact, consent: &Consent) -> bool {
    if c.marketing_updated_at.is_some_and(|prev| consent.at < prev) {
        return false;
    }
    c.marketing_state = consent.state;
    c.marketing_source = Some(consent.source);
    c.marketing_collected_from = consent.collected_from;
    c.marketing_opt_in_level = consent.opt_in_level;
    c.marketing_updated_at = Some(consent.at);
    true
}

/// Replaces the contact's email consent when not older; true if applied.
pub fn apply_email(c: &mut Contact, state: MarketingState, at: Timestamp) -> bool {
    if c.email_marketing_updated_at.is_some_and(|prev| at < prev) {
        return false;
    }
    c.email_marketing_state = state;
    c.email_marketing_updated_at = Some(at);
    true
}

impl CustomerBook {
    /// The three consent topics. An unknown customer gets a stub contact; the payload's
    /// phone (or email) fills the contact's when it has none.
    pub(super) fn on_consent(&mut self, d: &Delivery<'_>) -> Result<Change, ApplyError> {
        let dto: ConsentUpdateDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.customer_id.or(dto.id))
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing customer id"))?;
        if let Some(reason) = self.tombstoned(id) {
            return Ok(Change::ignored(reason));
        }
        let (body, source) = match d.topic {
            Topic::CustomersWhatsAppMarketingConsentUpdate => (
                dto.whats_app_marketing_consent,
                Some(MarketingSource::ShopifyWhatsapp),
            ),
            Topic::CustomersMarketingConsentUpdate => {
                (dto.sms_marketing_consent, Some(MarketingSource::ShopifySms))
            }
            _ => (dto.email_marketing_consent, None),
        };
        // A `null` consent object (customer without phone or email) means nothing known.
        let body = body.unwrap_or_default();
        let at = body.at().unwrap_or_else(|| d.fallback_time());
        let state = MarketingState::from_shopify(body.state.as_deref());
        let mut change = Change::default();
        let c = self.upsert_stub(id, d, &mut change);
        let mut touched = !change.events.is_empty();
        let applied = match source {
            Some(source) => apply_marketing(c, &consent_of(&body, state, source, at)),
            None => apply_email(c, state, at),
        };
        touched |= applied;
        if source.is_some() && c.phone.is_none() && c.phone_raw.is_none() {
            let raw = dto.phone_number.as_deref().or(dto.phone.as_deref());
            if let Some(raw) = payload::text(raw) {
                let country = c.country;
                set_phone(c, Some(&raw), country.as_ref().map(CountryCode::as_str));
                touched = true;
            }
        }
        if source.is_none() && c.email.is_none() {
            if let Some(email) = payload::text(dto.email_address.as_deref()) {
                c.email = Some(email);
                touched = true;
            }
        }
        if !touched {
            return Ok(Change::ignored(format!(
                "stale consent for customer {id}: {at} is older than the stored consent"
            )));
        }
        c.synced_at = d.received_at;
        change.writes.push(Write::Contact(c.clone()));
        Ok(change)
    }
}

fn consent_of(
    body: &ConsentDto,
    state: MarketingState,
    source: MarketingSource,
    at: Timestamp,
) -> Consent {
    Consent {
        state,
        source,
        collected_from: CollectedFrom::from_shopify(body.collected_from()),
        opt_in_level: OptInLevel::from_shopify(body.opt_in_level.as_deref()),
        at,
    }
}
