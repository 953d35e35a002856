//! The Meta catalog, emulated as data and pure rules: catalogs with their items, batch
//! handles, the hourly call budget; and the checks `items_batch` makes on each request of
//! a `PRODUCT_ITEM` batch (`reference/meta-api.md` §8.2): required fields for an item
//! that does not exist yet (an UPDATE creates it: `allow_upsert`), `price`/`sale_price`
//! as `"9.99 USD"`, `availability` and `condition` from Meta's values, title and
//! description lengths; an unknown field is a warning, not an error. A leaf: imports
//! nothing of the emulator.

use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Fields an item must have when it is created.
pub(crate) const REQUIRED: &[&str] = &[
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "brand",
];

/// Push-side availability values.
pub(crate) const AVAILABILITY: &[&str] = &[
    "in stock",
    "out of stock",
    "available for order",
    "discontinued",
];

/// Push-side condition values.
pub(crate) const CONDITION: &[&str] = &["new", "refurbished", "used"];

/// Fields `items_batch` knows for `PRODUCT_ITEM` (others are warned about).
const KNOWN: &[&str] = &[
    "id",
    "title",
    "description",
    "rich_text_description",
    "availability",
    "condition",
    "price",
    "sale_price",
    "sale_price_effective_date",
    "link",
    "image",
    "image_link",
    "additional_image_link",
    "brand",
    "item_group_id",
    "additional_variant_attribute",
    "color",
    "size",
    "gender",
    "age_group",
    "material",
    "pattern",
    "quantity_to_sell_on_facebook",
    "inventory",
    "gtin",
    "mpn",
    "fb_product_category",
    "google_product_category",
    "product_type",
    "custom_label_0",
    "custom_label_1",
    "custom_label_2",
    "custom_label_3",
    "custom_label_4",
    "shipping",
    "shipping_weight",
    "origin_country",
    "video",
    "disabled_capabilities",
    "expiration_date",
    "mobile_link",
    "vendor_id",
    "internal_label",
];

/// One catalog.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    pub id: String,
    pub name: String,
    /// Owned by the emulator's business (else a client catalog).
    pub owned: bool,
    /// Items by retailer id (the pushed `data`).
    pub items: BTreeMap<String, Value>,
    /// Batches by handle: their errors and the retailer ids they refused.
    pub batches: HashMap<String, (Vec<Value>, Vec<String>)>,
    /// Accepted requests not applied yet (Meta ingests a batch asynchronously), in the
    /// order they came, each with the time its batch finishes.
    pub pending: Vec<PendingBatch>,
    /// The hour (unix / 3600) the call count is for, and the count.
    pub hour: i64,
    pub calls: u32,
}

/// An accepted batch still being ingested.
#[derive(Clone, Debug)]
pub(crate) struct PendingBatch {
    /// Its handle.
    pub handle: String,
    /// When it finishes.
    pub ready_at: std::time::Instant,
    /// `(method, retailer id, data)` of its accepted requests.
    pub requests: Vec<(String, String, Value)>,
}

impl Catalog {
    /// Applies the batches that finished by `now`, oldest first (a later batch never
    /// overtakes an earlier one).
    pub fn settle(&mut self, now: std::time::Instant) {
        while self.pending.first().is_some_and(|b| b.ready_at <= now) {
            let b = self.pending.remove(0);
            for (method, id, data) in b.requests {
                if method == "DELETE" {
                    self.items.remove(&id);
                } else {
                    let item = self
                        .items
                        .entry(id)
                        .or_insert_with(|| Value::Object(Default::default()));
                    if let (Value::Object(dst), Value::Object(src)) = (item, data) {
                        for (k, v) in src {
                            dst.insert(k, v);
                        }
                    }
                }
            }
        }
    }

    /// Whether a batch is still being ingested.
    pub fn in_progress(&self, handle: &str) -> bool {
        self.pending.iter().any(|b| b.handle == handle)
    }
}

fn price_ok(v: &Value) -> bool {
    let Some(s) = v.as_str() else {
        return false;
    };
    let Some((amount, currency)) = s.split_once(' ') else {
        return false;
    };
    let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.len() <= 2
        && frac.bytes().all(|b| b.is_ascii_digit())
        && currency.len() == 3
        && currency.bytes().all(|b| b.is_ascii_uppercase())
}

/// The errors and warnings of one request's `data` (`exists`: the item is in the
/// catalog already, so an UPDATE may carry only some fields).
pub(crate) fn check(method: &str, data: &Value, exists: bool) -> (Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let Some(obj) = data.as_object() else {
        return (vec!["data must be an object".into()], warnings);
    };
    let id = obj.get("id").and_then(Value::as_str).unwrap_or_default();
    if id.is_empty() || id.chars().count() > 100 {
        errors.push("id is required (at most 100 characters)".into());
    }
    match method {
        "DELETE" => return (errors, warnings),
        "CREATE" | "UPDATE" => {}
        other => {
            errors.push(format!("method `{other}` is not CREATE, UPDATE or DELETE"));
            return (errors, warnings);
        }
    }
    let creating = method == "CREATE" || !exists;
    if creating {
        for f in REQUIRED {
            if obj
                .get(*f)
                .is_none_or(|v| v.as_str().is_some_and(str::is_empty) || v.is_null())
            {
                errors.push(format!("Required field missing: {f}"));
            }
        }
        if obj.get("image").is_none() && obj.get("image_link").is_none() {
            errors.push("Required field missing: image or image_link".into());
        }
    }
    for (k, v) in obj {
        match k.as_str() {
            "price" | "sale_price" if !price_ok(v) => errors.push(format!(
                "Invalid {k}: `{}` is not an amount followed by a space and a currency code, such as 9.99 USD",
                v.as_str().unwrap_or_default()
            )),
            "availability" if !v.as_str().is_some_and(|s| AVAILABILITY.contains(&s)) => errors.push(format!(
                "Invalid availability `{}`; expected one of {}",
                v.as_str().unwrap_or_default(),
                AVAILABILITY.join(", ")
            )),
            "condition" if !v.as_str().is_some_and(|s| CONDITION.contains(&s)) => errors.push(format!(
                "Invalid condition `{}`; expected one of {}",
                v.as_str().unwrap_or_default(),
                CONDITION.join(", ")
            )),
            "title" if v.as_str().is_some_and(|s| s.chars().count() > 100) => {
                errors.push("title is longer than 100 characters".into());
            }
            "description" if v.as_str().is_some_and(|s| s.chars().count() > 5_000) => {
                errors.push("description is longer than 5000 characters".into());
            }
            "image" if !v.as_array().is_some_and(|a| !a.is_empty() && a.len() <= 21 && a.iter().all(|i| i["url"].is_string())) => {
                errors.push("image must be 1 to 21 objects with a url".into());
            }
            "image" => {
                for url in v.as_array().into_iter().flatten().filter_map(|i| i["url"].as_str()) {
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        errors.push(format!(
                            "Invalid image URL `{url}`: the image could not be downloaded (an absolute http or https URL is required)"
                        ));
                    }
                }
            }
            k if !KNOWN.contains(&k) => warnings.push(format!(
                "Unrecognised field: A request for item {id} contains unrecognised field: '{k}'"
            )),
            _ => {}
        }
    }
    (errors, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({"id": "81", "title": "Tee", "description": "Tee", "availability": "in stock",
            "condition": "new", "price": "20.00 EUR", "link": "https://x/p", "brand": "Acme",
            "image": [{"url": "https://x/i.jpg"}]})
    }

    #[test]
    fn a_complete_item_passes_and_each_fault_is_named() {
        assert_eq!(check("UPDATE", &good(), false), (vec![], vec![]));
        let mut bad = good();
        bad["price"] = json!("20 euros");
        bad["availability"] = json!("instock");
        bad["extra"] = json!(1);
        let (e, w) = check("UPDATE", &bad, false);
        assert!(e.iter().any(|x| x.starts_with("Invalid price")), "{e:?}");
        assert!(
            e.iter().any(|x| x.starts_with("Invalid availability")),
            "{e:?}"
        );
        assert_eq!(w.len(), 1);
        let (e, _) = check("UPDATE", &json!({"id": "81", "title": "New"}), false);
        assert!(
            e.iter().any(|x| x == "Required field missing: price"),
            "{e:?}"
        );
        assert_eq!(
            check("UPDATE", &json!({"id": "81", "price": "1.50 USD"}), true).0,
            Vec::<String>::new()
        );
        assert_eq!(
            check("DELETE", &json!({"id": "81"}), true).0,
            Vec::<String>::new()
        );
        assert!(
            price_ok(&json!("0.5 USD"))
                && !price_ok(&json!("1.555 USD"))
                && !price_ok(&json!("1.50 usd"))
        );
    }
}
