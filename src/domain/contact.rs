//! Contacts, orders, checkouts and data exports: the customer side's records.
//!
//! Contacts live in memory (one per Shopify customer, up to millions per tenant), so they
//! are built from compact parts: `Box<str>` text, one-byte enums, an 8-byte phone, tags in
//! one boxed slice. Orders and checkouts live in the store and are read on demand.
//! Every record is written with bincode (serde mode, not self-describing) and shown with
//! serde_json, so no field is skipped, flattened or untagged.

use super::phone::PhoneE164;
use super::{Money, ShopifyId, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;

mod tags;
pub use tags::{TagEntry, Tags};

/// Consent to marketing on one channel, in Shopify's vocabulary (upper-case in JSON).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MarketingState {
    /// Opted in: marketing may be sent.
    Subscribed,
    /// Opt-in started, not confirmed (double opt-in).
    Pending,
    /// Never opted in.
    NotSubscribed,
    /// Opted out.
    Unsubscribed,
    /// Nothing known (Shopify sent `null`, or no consent event yet).
    #[default]
    Unknown,
    /// The address cannot receive marketing (email only, in Shopify).
    Invalid,
    /// Erased by a privacy request.
    Redacted,
}

impl MarketingState {
    /// Maps Shopify's lower-case value (`"not_subscribed"` …); `None` or an unknown value
    /// is [`MarketingState::Unknown`].
    pub fn from_shopify(s: Option<&str>) -> Self {
        match s.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            Some("subscribed") => Self::Subscribed,
            Some("pending") => Self::Pending,
            Some("not_subscribed") => Self::NotSubscribed,
            Some("unsubscribed") => Self::Unsubscribed,
            Some("invalid") => Self::Invalid,
            Some("redacted") => Self::Redacted,
            _ => Self::Unknown,
        }
    }

    /// True only for [`MarketingState::Subscribed`].
    pub fn allows_marketing(self) -> bool {
        self == Self::Subscribed
    }
}

/// Who set a contact's WhatsApp `marketing_state` (snake_case in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MarketingSource {
    /// Shopify's `customers_whats_app_marketing_consent/update`.
    ShopifyWhatsapp,
    /// Shopify's SMS consent (`customers_marketing_consent/update`), used while no newer
    /// WhatsApp consent exists.
    ShopifySms,
    /// The contact themselves on WhatsApp (STOP / START in the inbox).
    Whatsapp,
    /// A merchant through the Galantis admin API.
    Admin,
    /// A bulk import.
    Import,
    /// The storefront back-in-stock widget (`POST /storefront/v1/back-in-stock`).
    BackInStockWidget,
}

/// Shopify's `collected_from` for a consent (`CustomerConsentCollectedFrom`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CollectedFrom {
    /// Collected by Shopify (checkout, customer account …).
    Shopify,
    /// Collected elsewhere (an app, an import …); also any value we do not know.
    Other,
}

impl CollectedFrom {
    /// Maps Shopify's value; `None` stays `None`.
    pub fn from_shopify(s: Option<&str>) -> Option<Self> {
        let s = s?.trim();
        Some(if s.eq_ignore_ascii_case("shopify") {
            Self::Shopify
        } else {
            Self::Other
        })
    }
}

/// Shopify's `opt_in_level` (`CustomerMarketingOptInLevel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OptInLevel {
    SingleOptIn,
    ConfirmedOptIn,
    Unknown,
}

impl OptInLevel {
    /// Maps Shopify's value; `None` stays `None`, unknown values are `Unknown`.
    pub fn from_shopify(s: Option<&str>) -> Option<Self> {
        Some(match s?.trim().to_ascii_lowercase().as_str() {
            "single_opt_in" => Self::SingleOptIn,
            "confirmed_opt_in" => Self::ConfirmedOptIn,
            _ => Self::Unknown,
        })
    }
}

/// The customer account state Shopify sends (`state`, lower-case in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    Enabled,
    Disabled,
    Invited,
    Declined,
}

impl AccountState {
    /// Maps Shopify's value; `None` or an unknown value is `None`.
    pub fn from_shopify(s: Option<&str>) -> Option<Self> {
        match s?.trim().to_ascii_lowercase().as_str() {
            "enabled" => Some(Self::Enabled),
            "disabled" => Some(Self::Disabled),
            "invited" => Some(Self::Invited),
            "declined" => Some(Self::Declined),
            _ => None,
        }
    }
}

/// A data problem on a contact that the merchant should fix in Shopify.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ContactErrorCode {
    /// The phone has no `+` calling code and the customer has no default-address country
    /// to infer it from; the raw text is kept in `phone_raw`.
    CustomerIsMissingCallingCode,
    /// The phone is not a phone number; the raw text is kept in `phone_raw`.
    CustomerPhoneIsInvalid,
}

/// An ISO 3166-1 alpha-2 country code (`"CA"`), two bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Two ASCII letters, any case; anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Self([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Built only from ASCII letters in `parse`, so always valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("expected a 2-letter country code"))
    }
}

/// In the API's JSON: two upper-case letters.
impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[A-Z]{2}$"))
            .into()
    }
}

impl utoipa::ToSchema for CountryCode {}

/// The last `customers/purchasing_summary` Shopify sent: its totals are authoritative as
/// of `at` and orders created later are added on top (see `logic::customers`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PurchasingSummary {
    /// `numberOfOrders`.
    pub orders_count: u32,
    /// `amountSpent.amount`.
    pub amount_spent: Money,
    /// `occurredAt` (or the delivery time).
    pub at: Timestamp,
}

/// A contact: one Shopify customer as Galantis knows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contact {
    /// Shopify customer id.
    #[serde(rename = "shopify_customer_id")]
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    pub first_name: Option<Box<str>>,
    pub last_name: Option<Box<str>>,
    pub email: Option<Box<str>>,
    /// The customer's phone in E.164, when it could be normalised.
    pub phone: Option<PhoneE164>,
    /// The phone as Shopify sent it, kept only when it could not be normalised.
    pub phone_raw: Option<Box<str>>,
    /// Data problems to show the merchant (`CUSTOMER_IS_MISSING_CALLING_CODE` …).
    #[schema(value_type = Vec<ContactErrorCode>)]
    pub error_codes: Box<[ContactErrorCode]>,
    /// Tags (a list of strings in JSON; per-tag times for last-writer-wins in bincode).
    pub tags: Tags,
    pub locale: Option<Box<str>>,
    /// Default-address country.
    pub country: Option<CountryCode>,
    /// Shopify's account state.
    pub state: Option<AccountState>,
    /// Consent to WhatsApp marketing: the newest consent event wins, whatever its source.
    pub marketing_state: MarketingState,
    /// Who set `marketing_state`.
    pub marketing_source: Option<MarketingSource>,
    /// Shopify's `collected_from` for that consent, when it came from Shopify.
    pub marketing_collected_from: Option<CollectedFrom>,
    /// Shopify's `opt_in_level` for that consent.
    pub marketing_opt_in_level: Option<OptInLevel>,
    /// The time of the consent event that set `marketing_state`.
    pub marketing_updated_at: Option<Timestamp>,
    /// Email consent, kept apart: it never sets `marketing_state`.
    pub email_marketing_state: MarketingState,
    pub email_marketing_updated_at: Option<Timestamp>,
    /// Set by the merchant: never message this contact.
    pub exclude_from_galantis: bool,
    /// Orders not deleted (cancelled ones included).
    pub orders_count: u32,
    /// Sum of `total_price` of orders neither cancelled, voided nor refunded.
    pub total_spent: Money,
    /// `total_spent` divided by the orders counted in it.
    pub average_order_value: Money,
    pub first_order_at: Option<Timestamp>,
    pub last_order_at: Option<Timestamp>,
    /// The last purchasing summary from Shopify, if any.
    pub purchasing_summary: Option<PurchasingSummary>,
    /// Shopify's `created_at`.
    pub created_at: Option<Timestamp>,
    /// Shopify's `updated_at` of the last applied `customers/*` payload: staleness check.
    pub updated_at: Option<Timestamp>,
    /// When we last changed this record from a Shopify event.
    pub synced_at: Timestamp,
}

impl Contact {
    /// An empty contact (a stub until Shopify tells us more).
    pub fn new(id: ShopifyId, synced_at: Timestamp) -> Self {
        Self {
            id,
            first_name: None,
            last_name: None,
            email: None,
            phone: None,
            phone_raw: None,
            error_codes: Box::default(),
            tags: Tags::default(),
            locale: None,
            country: None,
            state: None,
            marketing_state: MarketingState::Unknown,
            marketing_source: None,
            marketing_collected_from: None,
            marketing_opt_in_level: None,
            marketing_updated_at: None,
            email_marketing_state: MarketingState::Unknown,
            email_marketing_updated_at: None,
            exclude_from_galantis: false,
            orders_count: 0,
            total_spent: Money::ZERO,
            average_order_value: Money::ZERO,
            first_order_at: None,
            last_order_at: None,
            purchasing_summary: None,
            created_at: None,
            updated_at: None,
            synced_at,
        }
    }

    /// "First Last", or whichever part exists.
    pub fn full_name(&self) -> Option<String> {
        match (self.first_name.as_deref(), self.last_name.as_deref()) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(n), None) | (None, Some(n)) => Some(n.to_string()),
            (None, None) => None,
        }
    }

    /// True when WhatsApp marketing may be sent: subscribed, a phone, not excluded.
    pub fn can_receive_marketing(&self) -> bool {
        self.marketing_state.allows_marketing()
            && self.phone.is_some()
            && !self.exclude_from_galantis
    }

    /// True when the contact has this (visible) tag.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.contains(tag)
    }
}

/// One line of an order or a checkout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LineItem {
    /// `None` for custom items and deleted products.
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub product_id: Option<ShopifyId>,
    /// `None` for custom items (Shopify sends `null`).
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub variant_id: Option<ShopifyId>,
    pub title: String,
    pub quantity: u32,
    /// Unit price.
    pub price: Money,
    pub sku: Option<String>,
}

/// An order, kept per contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Order {
    /// Shopify order id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// The customer, when the order has one.
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub customer_id: Option<ShopifyId>,
    /// `"#1001"`.
    pub name: Option<String>,
    /// Shopify's `order_number`.
    pub order_number: Option<u64>,
    /// `total_price` in the shop currency.
    pub total_price: Money,
    pub currency: String,
    pub financial_status: Option<String>,
    pub fulfillment_status: Option<String>,
    pub cancelled_at: Option<Timestamp>,
    pub line_items: Vec<LineItem>,
    /// Links the order to the checkout it completed.
    pub checkout_token: Option<String>,
    pub created_at: Option<Timestamp>,
    /// Shopify's `updated_at`: staleness check.
    pub updated_at: Option<Timestamp>,
}

impl Order {
    /// Whether the order counts toward `total_spent`: not cancelled, and not voided or
    /// (fully) refunded. Partially refunded orders count in full (the webhook's
    /// `total_price` is the amount at placement).
    pub fn counts_toward_spent(&self) -> bool {
        let dead_payment = matches!(
            self.financial_status.as_deref(),
            Some("voided") | Some("refunded")
        );
        self.cancelled_at.is_none() && !dead_payment
    }

    /// True when Shopify says the order is (fully) fulfilled.
    pub fn is_fulfilled(&self) -> bool {
        self.fulfillment_status.as_deref() == Some("fulfilled")
    }
}

/// A checkout, kept for the abandoned-checkout automation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Checkout {
    /// Shopify checkout id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub id: ShopifyId,
    /// The customer, when known.
    #[serde(with = "crate::domain::ids::as_string::option", default)]
    #[schema(value_type = Option<String>, pattern = "^[0-9]{1,20}$")]
    pub customer_id: Option<ShopifyId>,
    pub token: Option<String>,
    pub cart_token: Option<String>,
    pub email: Option<String>,
    /// E.164 when it could be normalised, otherwise the text Shopify sent.
    pub phone: Option<String>,
    pub line_items: Vec<LineItem>,
    pub total_price: Money,
    /// `presentment_currency`, else `currency`.
    pub currency: Option<String>,
    /// The recovery link to send.
    pub abandoned_checkout_url: Option<String>,
    /// Set once the checkout became an order.
    pub completed_at: Option<Timestamp>,
    pub created_at: Option<Timestamp>,
    /// Shopify's `updated_at`: staleness check.
    pub updated_at: Option<Timestamp>,
}

/// The answer to a `customers/data_request`: everything we hold about one customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DataExport {
    /// Shopify's data request id.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub request_id: u64,
    /// The customer it is about.
    #[serde(with = "crate::domain::ids::as_string")]
    #[schema(value_type = String, pattern = "^[0-9]{1,20}$")]
    pub customer_id: ShopifyId,
    /// When it was prepared.
    pub prepared_at: Timestamp,
    /// The export itself, as JSON text (contact, orders, checkouts).
    pub json: String,
}
