//! `customers/*` bodies (and the customer object orders and checkouts embed), the two
//! marketing-consent bodies and `customer.tags_added`.

use super::gid;
use serde_json::{json, Value};

/// A customer's default address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Shopify's address id.
    pub id: u64,
    /// Street line.
    pub address1: String,
    /// City.
    pub city: String,
    /// Province or state name.
    pub province: String,
    /// Province or state code.
    pub province_code: String,
    /// Country name.
    pub country: String,
    /// ISO country code: what the engine infers a phone's calling code from.
    pub country_code: String,
    /// Postal code.
    pub zip: String,
    /// The address's phone (often the customer's own; `None` in some real payloads).
    pub phone: Option<String>,
}

impl Address {
    /// An address in `country_code` with example street, city and zip, and no phone.
    pub fn in_country(id: u64, country_code: &str) -> Self {
        Self {
            id,
            address1: "151 O'Connor Street".into(),
            city: "Ottawa".into(),
            province: "Ontario".into(),
            province_code: "ON".into(),
            country: country_code.into(),
            country_code: country_code.into(),
            zip: "K2P 2L8".into(),
            phone: None,
        }
    }
}

/// A customer as `customers/create|update` sends it (2025-01 and later: no tags, no
/// consent, no order totals in the body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    /// Shopify's customer id.
    pub id: u64,
    /// `created_at` (RFC 3339, as Shopify writes it).
    pub created_at: String,
    /// `updated_at`: what the engine orders updates by.
    pub updated_at: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// `state`: `enabled` or `disabled`.
    pub enabled: bool,
    /// Email, if any.
    pub email: Option<String>,
    /// The phone as written (E.164 or national).
    pub phone: Option<String>,
    /// The shop's currency.
    pub currency: String,
    /// The default address, if any.
    pub address: Option<Address>,
}

impl Customer {
    /// Customer `id`: Ann Doe, enabled, created and updated 2026-01-01, USD, no email,
    /// phone or address.
    pub fn new(id: u64) -> Self {
        Self {
            id,
            created_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            first_name: "Ann".into(),
            last_name: "Doe".into(),
            enabled: true,
            email: None,
            phone: None,
            currency: "USD".into(),
            address: None,
        }
    }

    /// The `customers/create|update` body (with `addresses`).
    pub fn body(&self) -> Value {
        self.object(true)
    }

    /// The customer object; orders and checkouts embed it without `addresses`.
    pub fn object(&self, with_addresses: bool) -> Value {
        let mut v = json!({
            "id": self.id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "state": if self.enabled { "enabled" } else { "disabled" },
            "note": null,
            "verified_email": self.email.is_some(),
            "multipass_identifier": null,
            "tax_exempt": false,
            "email": self.email,
            "phone": self.phone,
            "currency": self.currency,
            "tax_exemptions": [],
            "admin_graphql_api_id": gid("Customer", self.id),
            "default_address": self.default_address(),
        });
        if with_addresses {
            let addresses = match self.address {
                Some(_) => vec![self.default_address()],
                None => Vec::new(),
            };
            v["addresses"] = json!(addresses);
        }
        v
    }

    /// The `default_address` object (`null` without an address).
    pub fn default_address(&self) -> Value {
        match &self.address {
            None => Value::Null,
            Some(a) => json!({
                "id": a.id,
                "customer_id": self.id,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "company": null,
                "address1": a.address1,
                "address2": null,
                "city": a.city,
                "province": a.province,
                "country": a.country,
                "zip": a.zip,
                "phone": a.phone,
                "name": format!("{} {}", self.first_name, self.last_name),
                "province_code": a.province_code,
                "country_code": a.country_code,
                "country_name": a.country,
                "default": true,
            }),
        }
    }

    /// A mailing address (`billing_address` / `shipping_address` of orders and checkouts).
    pub fn mailing_address(&self) -> Value {
        match &self.address {
            None => Value::Null,
            Some(a) => json!({
                "first_name": self.first_name,
                "address1": a.address1,
                "phone": a.phone,
                "city": a.city,
                "zip": a.zip,
                "province": a.province,
                "country": a.country,
                "last_name": self.last_name,
                "address2": null,
                "company": null,
                "latitude": null,
                "longitude": null,
                "name": format!("{} {}", self.first_name, self.last_name),
                "country_code": a.country_code,
                "province_code": a.province_code,
            }),
        }
    }
}

/// `customers_marketing_consent/update`: SMS consent `state` (`subscribed`, …) for
/// `phone` (E.164), collected `from` (`SHOPIFY`, `other` …) at `at`.
pub fn sms_consent(customer_id: u64, phone: &str, state: &str, from: &str, at: &str) -> Value {
    json!({
        "id": customer_id,
        "phone": phone,
        "sms_marketing_consent": {
            "state": state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": at,
            "consent_collected_from": from,
        },
    })
}

/// `customers_email_marketing_consent/update`: `email` subscribed at `at`.
pub fn email_consent(customer_id: u64, email: &str, at: &str) -> Value {
    json!({
        "customer_id": customer_id,
        "email_address": email,
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": at,
        },
    })
}

/// `customer.tags_added` (GraphQL-style: the id is a gid, `occurredAt` in UTC).
pub fn tags_added(customer_id: u64, tags: &[String], occurred_at: &str) -> Value {
    json!({
        "customerId": gid("Customer", customer_id),
        "tags": tags,
        "occurredAt": occurred_at,
    })
}
