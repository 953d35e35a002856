//! Sample customers (names, emails, phones in national or international format, default
//! addresses across countries; every 25th one without an address so the calling code
//! cannot be inferred), their `customers/create` bodies, SMS and email consent updates,
//! and `customer.tags_added` (VIP for frequent buyers, a few others at random).

use super::sample::{fill_digits, pick, Country};
use super::{delivery, ids, shop_time, stream, utc_millis, Ctx, Delivery};
use crate::sandbox::payloads;
use rand::Rng;
use time::OffsetDateTime;

/// Customers with at least this many orders are tagged `VIP`.
const VIP_ORDERS: usize = 3;

/// How a customer's phone is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PhoneStyle {
    /// No phone.
    None,
    /// As dialled at home, with the address's country to infer the calling code.
    National,
    /// With `+` and the calling code.
    International,
    /// As dialled at home, and no address: the calling code cannot be inferred.
    NoCountry,
}

/// One customer.
#[derive(Clone, Debug)]
pub(crate) struct Customer {
    pub index: u64,
    pub id: u64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// As written in the payload.
    pub phone: Option<String>,
    pub phone_style: PhoneStyle,
    /// The phone in E.164 (what Shopify's consent payloads carry), when it has a country.
    pub phone_e164: Option<String>,
    /// The default address (its phone is the customer's).
    pub address: Option<payloads::Address>,
    pub locale: String,
    pub created_at: OffsetDateTime,
    pub enabled: bool,
}

/// All customers.
pub(crate) struct People {
    pub customers: Vec<Customer>,
}

/// Builds `ctx.opts.customers` customers.
pub(crate) fn build(ctx: &Ctx<'_>) -> People {
    People {
        customers: (0..ctx.opts.customers as u64)
            .map(|i| customer(ctx, i))
            .collect(),
    }
}

fn customer(ctx: &Ctx<'_>, index: u64) -> Customer {
    let mut rng = ctx.rng(stream::CUSTOMER, index);
    let country = ctx.data.pick_country(&mut rng);
    let first_name = pick(&mut rng, &country.first_names).clone();
    let last_name = pick(&mut rng, &country.last_names).clone();
    let id = ids::CUSTOMER + 1_000 + index;
    let phone_style = if index % 25 == 7 {
        PhoneStyle::NoCountry
    } else {
        match rng.gen_range(0..100) {
            0..=7 => PhoneStyle::None,
            8..=22 => PhoneStyle::International,
            _ => PhoneStyle::National,
        }
    };
    let format = pick(&mut rng, &country.national_formats).as_str();
    let national = fill_digits(&mut rng, format);
    let international = fill_digits(&mut rng, &country.international_format);
    let (phone, phone_e164) = match phone_style {
        PhoneStyle::None => (None, None),
        PhoneStyle::National => (Some(national.clone()), Some(e164(country, &national))),
        PhoneStyle::International => (
            Some(international.clone()),
            Some(plus_digits(&international)),
        ),
        PhoneStyle::NoCountry => (Some(national), None),
    };
    let email = (phone.is_none() || rng.gen_bool(0.95)).then(|| {
        format!(
            "{}.{}{}@{}",
            ascii_fold(&first_name),
            ascii_fold(&last_name),
            index + 1,
            pick(&mut rng, &ctx.data.email_domains)
        )
    });
    let address = (phone_style != PhoneStyle::NoCountry).then(|| payloads::Address {
        phone: phone.clone(),
        ..address(&mut rng, country, index)
    });
    Customer {
        index,
        id,
        first_name,
        last_name,
        email,
        phone,
        phone_style,
        phone_e164,
        address,
        locale: country.locale.clone(),
        created_at: ctx.ago(&mut rng, 20 * 86_400, 365 * 86_400),
        enabled: rng.gen_bool(0.4),
    }
}

/// An address in `country`, without a phone.
fn address<R: Rng>(rng: &mut R, country: &Country, index: u64) -> payloads::Address {
    let city = pick(rng, &country.cities);
    let street = pick(rng, &country.streets);
    let number = rng.gen_range(1..=240);
    // Street number after the name where that is the custom.
    let address1 = match country.code.as_str() {
        "DE" | "BR" | "FR" | "ES" | "MX" => format!("{street} {number}"),
        _ => format!("{number} {street}"),
    };
    payloads::Address {
        id: ids::ADDRESS + index,
        address1,
        city: city.city.clone(),
        province: city.province.clone(),
        province_code: city.province_code.clone(),
        country: country.name.clone(),
        country_code: country.code.clone(),
        zip: fill_digits(rng, &city.zip),
        phone: None,
    }
}

/// A national number in E.164: calling code, then the digits without the trunk `0`.
fn e164(country: &Country, national: &str) -> String {
    let digits: String = national.chars().filter(char::is_ascii_digit).collect();
    format!(
        "+{}{}",
        country.calling_code,
        digits.trim_start_matches('0')
    )
}

/// `+44 7700 900123` → `+447700900123`.
fn plus_digits(international: &str) -> String {
    let digits: String = international.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

/// Lower-case ASCII for an email local part (`Jürgen` → `jurgen`, `Côté` → `cote`).
fn ascii_fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.to_lowercase().chars() {
        let folded = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => "o",
            'ú' | 'ù' | 'û' | 'ü' => "u",
            'ç' => "c",
            'ñ' => "n",
            'ß' => "ss",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(folded);
    }
    out
}

impl Customer {
    /// The payload view of this customer (see [`payloads::Customer`]).
    pub fn payload(&self, currency: &str) -> payloads::Customer {
        let created = shop_time(self.created_at);
        payloads::Customer {
            id: self.id,
            updated_at: created.clone(),
            created_at: created,
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            enabled: self.enabled,
            email: self.email.clone(),
            phone: self.phone.clone(),
            currency: currency.to_string(),
            address: self.address.clone(),
        }
    }
}

impl People {
    /// `customers/create` for everyone.
    pub fn create_deliveries(&self, ctx: &Ctx<'_>) -> Vec<Delivery> {
        self.customers
            .iter()
            .map(|c| {
                delivery(
                    "customers/create",
                    c.id,
                    c.created_at,
                    c.payload(ctx.currency()).body(),
                )
            })
            .collect()
    }

    /// SMS consent (for phones with a known calling code) and email consent.
    pub fn consent_deliveries(&self, ctx: &Ctx<'_>) -> Vec<Delivery> {
        let mut out = Vec::new();
        for c in &self.customers {
            let mut rng = ctx.rng(stream::MARKETING, c.index);
            if let Some(phone) = &c.phone_e164 {
                let state = match rng.gen_range(0..100) {
                    0..=44 => Some(("subscribed", "shopify")),
                    45..=54 => Some(("unsubscribed", "other")),
                    _ => None,
                };
                if let Some((state, from)) = state {
                    let at = between(&mut rng, c.created_at, ctx.now);
                    let body = payloads::sms_consent(c.id, phone, state, from, &shop_time(at));
                    out.push(delivery(
                        "customers_marketing_consent/update",
                        c.id,
                        at,
                        body,
                    ));
                }
            }
            if let Some(email) = &c.email {
                if rng.gen_bool(0.35) {
                    let at = between(&mut rng, c.created_at, ctx.now);
                    let body = payloads::email_consent(c.id, email, &shop_time(at));
                    out.push(delivery(
                        "customers_email_marketing_consent/update",
                        c.id,
                        at,
                        body,
                    ));
                }
            }
        }
        out
    }

    /// `customer.tags_added`: `VIP` for frequent buyers, other tags for some.
    pub fn tag_deliveries(&self, ctx: &Ctx<'_>, orders: &[usize]) -> Vec<Delivery> {
        let mut out = Vec::new();
        for c in &self.customers {
            let mut rng = ctx.rng(stream::MARKETING, 1_000_000 + c.index);
            let mut tags: Vec<String> = Vec::new();
            if orders.get(c.index as usize).copied().unwrap_or(0) >= VIP_ORDERS {
                tags.push("VIP".into());
            }
            if rng.gen_bool(0.15) {
                for _ in 0..rng.gen_range(1..=2) {
                    let t = pick(&mut rng, &ctx.data.customer_tags);
                    if !tags.contains(t) {
                        tags.push(t.clone());
                    }
                }
            }
            if tags.is_empty() {
                continue;
            }
            let at = between(&mut rng, c.created_at, ctx.now);
            let body = payloads::tags_added(c.id, &tags, &utc_millis(at));
            out.push(delivery("customer.tags_added", c.id, at, body));
        }
        out
    }

    /// Ids of customers whose phone cannot get a calling code.
    pub fn missing_calling_code(&self) -> Vec<u64> {
        self.customers
            .iter()
            .filter(|c| c.phone_style == PhoneStyle::NoCountry)
            .map(|c| c.id)
            .collect()
    }

    /// A customer worth showing: several orders and a phone in national format.
    pub fn showcase(&self, orders: &[usize]) -> Option<&Customer> {
        let count = |c: &Customer| orders.get(c.index as usize).copied().unwrap_or(0);
        self.customers
            .iter()
            .find(|c| count(c) >= 2 && c.phone_style == PhoneStyle::National)
            .or_else(|| self.customers.iter().find(|c| count(c) >= 1))
            .or_else(|| self.customers.first())
    }
}

/// A random time in `[from, to]` (`from` when the span is empty).
pub(crate) fn between<R: Rng>(
    rng: &mut R,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> OffsetDateTime {
    let span = (to - from).whole_seconds();
    if span <= 0 {
        return from;
    }
    from + time::Duration::seconds(rng.gen_range(0..=span))
}
