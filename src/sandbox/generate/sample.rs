//! The sample data the generator draws from (`data/sample-store.json`, embedded at build
//! time so the binary works from any directory): shop, countries with names, cities and
//! phone formats, and the product catalog. Only typed reading lives here.

use rand::Rng;
use serde::Deserialize;

/// The embedded `data/sample-store.json`.
const EMBEDDED: &str = include_str!("../../../data/sample-store.json");

/// Everything the generator draws from.
#[derive(Clone, Debug, Deserialize)]
pub struct SampleData {
    /// The demo shop.
    pub shop: Shop,
    /// Domains for generated emails (reserved ones: example.com …).
    pub email_domains: Vec<String>,
    /// Customer tags handed out besides `VIP`.
    pub customer_tags: Vec<String>,
    /// Where customers live, with a relative weight each.
    pub countries: Vec<Country>,
    /// The catalog.
    pub products: Vec<ProductSeed>,
}

/// The demo shop.
#[derive(Clone, Debug, Deserialize)]
pub struct Shop {
    /// Display name.
    pub name: String,
    /// `{name}.myshopify.com`.
    pub domain: String,
    /// Shopify's numeric shop id (appears in checkout and order-status URLs).
    pub numeric_id: u64,
    /// Shop currency (ISO 4217).
    pub currency: String,
    /// The shop's time zone offset, whole hours (REST timestamps are shop-local).
    pub utc_offset_hours: i8,
}

/// One country customers can live in.
#[derive(Clone, Debug, Deserialize)]
pub struct Country {
    /// ISO 3166-1 alpha-2.
    pub code: String,
    /// English name (Shopify's `country`).
    pub name: String,
    /// Relative share of customers.
    pub weight: u32,
    /// Country calling code without `+`.
    pub calling_code: String,
    /// Customer locale.
    pub locale: String,
    /// Phone formats as people type them at home; `#` is a random digit.
    pub national_formats: Vec<String>,
    /// The same kind of number with its calling code; `#` is a random digit.
    pub international_format: String,
    /// Cities with their province and a zip pattern.
    pub cities: Vec<City>,
    /// Street names.
    pub streets: Vec<String>,
    /// Given names.
    pub first_names: Vec<String>,
    /// Family names.
    pub last_names: Vec<String>,
}

/// One city.
#[derive(Clone, Debug, Deserialize)]
pub struct City {
    /// Name.
    pub city: String,
    /// Province or state name.
    pub province: String,
    /// Province code.
    pub province_code: String,
    /// Zip pattern (`#` is a random digit).
    pub zip: String,
}

/// One product of the catalog.
#[derive(Clone, Debug, Deserialize)]
pub struct ProductSeed {
    /// Title.
    pub title: String,
    /// Product type.
    pub product_type: String,
    /// Vendor.
    pub vendor: String,
    /// Tags (sent as Shopify's comma-separated string).
    pub tags: Vec<String>,
    /// Price of the first variant, in cents.
    pub price_cents: u64,
    /// Price added per position of the first option's value, in cents.
    #[serde(default)]
    pub price_step_cents: u64,
    /// Compare-at price, in cents.
    pub compare_at_cents: Option<u64>,
    /// Options (empty: a single `Default Title` variant).
    pub options: Vec<OptionSeed>,
}

/// One product option.
#[derive(Clone, Debug, Deserialize)]
pub struct OptionSeed {
    /// `Size`, `Color` …
    pub name: String,
    /// Its values.
    pub values: Vec<String>,
}

impl SampleData {
    /// The sample data compiled into the binary.
    ///
    /// # Errors
    /// When the embedded file does not parse or misses what the generator needs.
    pub fn embedded() -> anyhow::Result<Self> {
        let data: SampleData = serde_json::from_str(EMBEDDED)?;
        data.check()?;
        Ok(data)
    }

    /// Rejects data the generator cannot draw from (empty lists, no weights).
    fn check(&self) -> anyhow::Result<()> {
        let empty = |what: &str, n: usize| {
            if n == 0 {
                anyhow::bail!("data/sample-store.json: `{what}` must not be empty")
            }
            Ok(())
        };
        empty("email_domains", self.email_domains.len())?;
        empty("customer_tags", self.customer_tags.len())?;
        empty("countries", self.countries.len())?;
        empty("products", self.products.len())?;
        for c in &self.countries {
            empty("countries[].national_formats", c.national_formats.len())?;
            empty("countries[].cities", c.cities.len())?;
            empty("countries[].streets", c.streets.len())?;
            empty("countries[].first_names", c.first_names.len())?;
            empty("countries[].last_names", c.last_names.len())?;
        }
        empty(
            "countries[].weight (sum)",
            self.countries.iter().map(|c| c.weight as usize).sum(),
        )?;
        Ok(())
    }

    /// A country drawn by weight.
    pub fn pick_country<R: Rng>(&self, rng: &mut R) -> &Country {
        let total: u32 = self.countries.iter().map(|c| c.weight).sum();
        let mut n = rng.gen_range(0..total.max(1));
        for c in &self.countries {
            if n < c.weight {
                return c;
            }
            n -= c.weight;
        }
        &self.countries[0]
    }
}

/// One element of a non-empty slice (checked at load), drawn uniformly.
pub fn pick<'a, T, R: Rng>(rng: &mut R, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// `pattern` with every `#` replaced by a random digit.
pub fn fill_digits<R: Rng>(rng: &mut R, pattern: &str) -> String {
    pattern
        .chars()
        .map(|c| {
            if c == '#' {
                char::from(b'0' + rng.gen_range(0..10u8))
            } else {
                c
            }
        })
        .collect()
}
