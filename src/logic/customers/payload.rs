//! Serde DTOs for the customer-side webhook bodies (only the fields the engine uses;
//! unknown fields are ignored). Ids are `u64` end to end: [`WireId`] accepts a JSON
//! integer, a decimal string or a `gid://shopify/…/{id}`, and never goes through a float.

use crate::domain::ids::{checked_id, gid_number};
use crate::domain::{parse_gid, Money, ShopifyId, Timestamp};
use crate::logic::{ApplyError, Topic};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::fmt;

/// Parses a body for `topic`; a JSON or shape error is [`ApplyError::Malformed`].
pub fn parse<'a, T: Deserialize<'a>>(topic: Topic, body: &'a [u8]) -> Result<T, ApplyError> {
    serde_json::from_slice(body).map_err(|e| ApplyError::malformed(topic, e))
}

/// A Shopify id as any payload spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireId(pub ShopifyId);

impl<'de> Deserialize<'de> for WireId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = WireId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an id: integer, decimal string or gid://shopify/… string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WireId, E> {
                checked_id(v).map(WireId).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WireId, E> {
                u64::try_from(v)
                    .map(WireId)
                    .map_err(|_| E::custom("negative id"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WireId, E> {
                let v = v.trim();
                let n = v.parse::<u64>().ok().or_else(|| gid_number(v, None));
                let n = n.ok_or_else(|| E::custom(format!("`{v}` is not an id")))?;
                self.visit_u64(n)
            }
        }
        d.deserialize_any(V)
    }
}

/// Unwraps an optional id.
pub fn id(w: Option<WireId>) -> Option<ShopifyId> {
    w.map(|w| w.0)
}

/// An address: what phone normalisation and the recipient's time zone need.
#[derive(Debug, Default, Deserialize)]
pub struct AddressDto {
    pub country_code: Option<String>,
    /// `CA`, `NSW` … (the quiet hours' zone in countries with several).
    pub province_code: Option<String>,
}

/// `customers/create|update|enable|disable|delete`, and the `customer` object inside
/// orders and checkouts.
#[derive(Debug, Default, Deserialize)]
pub struct CustomerDto {
    pub id: Option<WireId>,
    pub admin_graphql_api_id: Option<String>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub state: Option<String>,
    pub locale: Option<String>,
    /// Gone from 2025-01 payloads; applied when a payload still has it.
    pub tags: Option<String>,
    pub default_address: Option<AddressDto>,
}

impl CustomerDto {
    /// `id`, else the numeric part of `admin_graphql_api_id`.
    pub fn customer_id(&self) -> Option<ShopifyId> {
        id(self.id).or_else(|| {
            self.admin_graphql_api_id
                .as_deref()
                .and_then(|g| parse_gid(g, None))
        })
    }

    /// The default address's country code.
    pub fn country_code(&self) -> Option<&str> {
        self.default_address.as_ref()?.country_code.as_deref()
    }

    /// The default address's province code, trimmed and upper-case (`None` when empty).
    pub fn province_code(&self) -> Option<String> {
        let p = self
            .default_address
            .as_ref()?
            .province_code
            .as_deref()?
            .trim();
        (!p.is_empty() && p.len() <= 8).then(|| p.to_ascii_uppercase())
    }
}

/// `customer.tags_added` / `customer.tags_removed`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagsDto {
    pub customer_id: Option<WireId>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    pub occurred_at: Option<Timestamp>,
}

/// `customers/purchasing_summary`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryDto {
    pub customer_id: Option<WireId>,
    pub number_of_orders: Option<u32>,
    pub amount_spent: Option<AmountDto>,
    pub occurred_at: Option<Timestamp>,
}

/// A `MoneyV2`-like `{amount, currencyCode}`.
#[derive(Debug, Deserialize)]
pub struct AmountDto {
    pub amount: Option<Money>,
}

/// `customers/merge`.
#[derive(Debug, Deserialize)]
pub struct MergeDto {
    pub admin_graphql_api_customer_kept_id: Option<WireId>,
    pub customer_kept_id: Option<WireId>,
    pub admin_graphql_api_customer_deleted_id: Option<WireId>,
    pub customer_deleted_id: Option<WireId>,
    pub status: Option<String>,
}

impl MergeDto {
    /// The customer that stays.
    pub fn kept(&self) -> Option<ShopifyId> {
        id(self
            .admin_graphql_api_customer_kept_id
            .or(self.customer_kept_id))
    }

    /// The customer merged away.
    pub fn deleted(&self) -> Option<ShopifyId> {
        id(self
            .admin_graphql_api_customer_deleted_id
            .or(self.customer_deleted_id))
    }
}

/// The consent object of any of the three consent topics.
#[derive(Debug, Default, Deserialize)]
pub struct ConsentDto {
    pub state: Option<String>,
    pub opt_in_level: Option<String>,
    /// WhatsApp's name.
    pub updated_at: Option<Timestamp>,
    /// SMS and email's name.
    pub consent_updated_at: Option<Timestamp>,
    /// WhatsApp's name.
    pub collected_from: Option<String>,
    /// SMS's name.
    pub consent_collected_from: Option<String>,
}

impl ConsentDto {
    /// When the consent was given or withdrawn, if the payload says.
    pub fn at(&self) -> Option<Timestamp> {
        self.consent_updated_at.or(self.updated_at)
    }

    /// Where it was collected, if the payload says.
    pub fn collected_from(&self) -> Option<&str> {
        self.consent_collected_from
            .as_deref()
            .or(self.collected_from.as_deref())
    }
}

/// `customers_marketing_consent/update` (SMS), `customers_email_marketing_consent/update`,
/// `customers_whats_app_marketing_consent/update`.
#[derive(Debug, Deserialize)]
pub struct ConsentUpdateDto {
    /// SMS's name for the customer id.
    pub id: Option<WireId>,
    /// Email and WhatsApp's name for it.
    pub customer_id: Option<WireId>,
    /// SMS's name for the phone.
    pub phone: Option<String>,
    /// WhatsApp's name for it.
    pub phone_number: Option<String>,
    pub email_address: Option<String>,
    pub sms_marketing_consent: Option<ConsentDto>,
    pub email_marketing_consent: Option<ConsentDto>,
    pub whats_app_marketing_consent: Option<ConsentDto>,
}

/// One line of an order or a checkout.
#[derive(Debug, Deserialize)]
pub struct LineItemDto {
    pub product_id: Option<WireId>,
    pub variant_id: Option<WireId>,
    pub title: Option<String>,
    pub name: Option<String>,
    pub quantity: Option<u32>,
    pub price: Option<Money>,
    pub sku: Option<String>,
}

/// `orders/create|updated|paid|cancelled|fulfilled`.
#[derive(Debug, Deserialize)]
pub struct OrderDto {
    pub id: Option<WireId>,
    pub admin_graphql_api_id: Option<String>,
    pub customer: Option<CustomerDto>,
    pub name: Option<String>,
    pub order_number: Option<u64>,
    pub total_price: Option<Money>,
    pub currency: Option<String>,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub cancelled_at: Option<Timestamp>,
    pub line_items: Option<Vec<LineItemDto>>,
    pub checkout_token: Option<String>,
    pub customer_locale: Option<String>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
}

/// `checkouts/create|update`.
#[derive(Debug, Deserialize)]
pub struct CheckoutDto {
    pub id: Option<WireId>,
    pub name: Option<String>,
    pub token: Option<String>,
    pub cart_token: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub customer: Option<CustomerDto>,
    pub line_items: Option<Vec<LineItemDto>>,
    pub total_price: Option<Money>,
    pub presentment_currency: Option<String>,
    pub currency: Option<String>,
    pub abandoned_checkout_url: Option<String>,
    pub completed_at: Option<Timestamp>,
    pub created_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub billing_address: Option<AddressDto>,
    pub shipping_address: Option<AddressDto>,
    /// `"poll"` when the abandoned-checkout poll made this body
    /// (`logic::shopify::import::POLLED_MARK`); Shopify never sends it.
    pub galantis_source: Option<String>,
}

/// Any `*/delete` body: just the id.
#[derive(Debug, Deserialize)]
pub struct DeleteDto {
    pub id: Option<WireId>,
}

/// The `customer` object of the compliance topics.
#[derive(Debug, Deserialize)]
pub struct ComplianceCustomerDto {
    pub id: Option<WireId>,
}

/// `customers/redact`.
#[derive(Debug, Deserialize)]
pub struct RedactDto {
    pub customer: Option<ComplianceCustomerDto>,
    pub orders_to_redact: Option<Vec<WireId>>,
}

/// `customers/data_request`.
#[derive(Debug, Deserialize)]
pub struct DataRequestDto {
    pub customer: Option<ComplianceCustomerDto>,
    pub orders_requested: Option<Vec<WireId>>,
    pub data_request: Option<DataRequestIdDto>,
}

/// `data_request{id}`.
#[derive(Debug, Deserialize)]
pub struct DataRequestIdDto {
    pub id: Option<WireId>,
}

/// A non-empty trimmed string, boxed (compact contact fields).
pub fn text(s: Option<&str>) -> Option<Box<str>> {
    let s = s?.trim();
    (!s.is_empty()).then(|| s.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_above_2_pow_53_stay_exact() {
        let d: DeleteDto = serde_json::from_str(r#"{"id": 820982911946154508}"#).expect("int");
        assert_eq!(id(d.id), Some(820_982_911_946_154_508));
        let d: DeleteDto = serde_json::from_str(r#"{"id": "9007199254740993"}"#).expect("str");
        assert_eq!(id(d.id), Some(9_007_199_254_740_993));
        let d: DeleteDto =
            serde_json::from_str(r#"{"id": "gid://shopify/Customer/706405506930370084"}"#)
                .expect("gid");
        assert_eq!(id(d.id), Some(706_405_506_930_370_084));
        assert!(serde_json::from_str::<DeleteDto>(r#"{"id": 1.5}"#).is_err());
        assert!(serde_json::from_str::<DeleteDto>(r#"{"id": -1}"#).is_err());
    }
}
