//! Template variables: what each source is, which trigger can fill it, the shape of a
//! template (how many body variables, whether a URL button takes a suffix), and resolving
//! a mapping to text for one run from the records as they are now.

use crate::domain::automations::{ProductsFrom, Trigger, VarSource};
use crate::domain::catalog::{retailer_id, Product, Variant};
use crate::domain::contact::{Checkout, Contact, Order};
use crate::domain::whatsapp::Template;

/// What a variable holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    /// Words.
    Text,
    /// A full URL (not a URL button's suffix).
    Url,
}

/// The kind of a source; `None` when it is not a variable.
pub fn kind_of(source: &str) -> Option<VarKind> {
    match source {
        "customer.first_name"
        | "customer.last_name"
        | "customer.email"
        | "customer.phone"
        | "order.order_number"
        | "order.total_price"
        | "order.product_name"
        | "checkout.total_price"
        | "product.title"
        | "product.price"
        | "store.name" => Some(VarKind::Text),
        "checkout.url" | "product.url" => Some(VarKind::Url),
        _ => None,
    }
}

/// Whether a flow started by `trigger` has a value for `source`.
pub fn available(source: &str, trigger: &Trigger) -> bool {
    match source.split('.').next() {
        Some("order") => matches!(
            trigger,
            Trigger::OrderPlaced | Trigger::OrderCancelled | Trigger::OrderShipped
        ),
        Some("checkout") => matches!(trigger, Trigger::AbandonedCheckout),
        Some("product") => matches!(trigger, Trigger::BackInStock),
        _ => true,
    }
}

/// A template's product button: what a send must fill in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProductButton {
    /// None.
    #[default]
    None,
    /// `CATALOG` ("View catalog"): a thumbnail product.
    Catalog {
        /// The button's position.
        index: u8,
    },
    /// `MPM` ("View items"): up to 30 products in sections, and a thumbnail.
    Mpm {
        /// The button's position.
        index: u8,
    },
    /// `SPM` ("View") with a `PRODUCT` header: one product, from the connected catalog.
    Spm,
}

/// What a template asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TemplateShape {
    /// `{{1}}`…`{{n}}` in the body: n.
    pub body_params: usize,
    /// A text header with a `{{1}}`.
    pub header_param: bool,
    /// A URL button with a `{{1}}` suffix.
    pub url_param: bool,
    /// That button's position among the template's buttons.
    pub url_button_index: u8,
    /// That button's URL is `…/r/{{1}}`: it goes through our tracked redirect
    /// (`logic::links`).
    pub url_tracked: bool,
    /// A product button.
    pub products: ProductButton,
    /// MARKETING (needs SUBSCRIBED consent) rather than UTILITY.
    pub marketing: bool,
}

impl TemplateShape {
    /// Reads the components the template was submitted with.
    pub fn of(t: &Template) -> Self {
        let components: serde_json::Value =
            serde_json::from_str(&t.components).unwrap_or(serde_json::Value::Null);
        let mut shape = Self {
            marketing: t.category.eq_ignore_ascii_case("MARKETING"),
            ..Self::default()
        };
        for c in components.as_array().into_iter().flatten() {
            let kind = c["type"].as_str().unwrap_or_default();
            if kind.eq_ignore_ascii_case("BODY") {
                shape.body_params = highest_placeholder(c["text"].as_str().unwrap_or_default());
            }
            if kind.eq_ignore_ascii_case("HEADER") {
                shape.header_param = c["format"]
                    .as_str()
                    .is_some_and(|f| f.eq_ignore_ascii_case("TEXT"))
                    && highest_placeholder(c["text"].as_str().unwrap_or_default()) > 0;
            }
            if kind.eq_ignore_ascii_case("BUTTONS") {
                let buttons = c["buttons"].as_array().into_iter().flatten();
                for (i, b) in buttons.enumerate() {
                    let index = u8::try_from(i).unwrap_or(u8::MAX);
                    let t = b["type"].as_str().unwrap_or_default().to_ascii_uppercase();
                    match t.as_str() {
                        "URL" if b["url"].as_str().is_some_and(|u| u.contains("{{1}}")) => {
                            shape.url_param = true;
                            shape.url_button_index = index;
                            shape.url_tracked =
                                b["url"].as_str().is_some_and(|u| u.ends_with("/r/{{1}}"));
                        }
                        "MPM" => shape.products = ProductButton::Mpm { index },
                        "CATALOG" => shape.products = ProductButton::Catalog { index },
                        "SPM" => shape.products = ProductButton::Spm,
                        _ => {}
                    }
                }
            }
        }
        shape
    }
}

/// Whether a flow started by `trigger` has products `from` there.
pub fn products_available(from: ProductsFrom, trigger: &Trigger) -> bool {
    match from {
        ProductsFrom::Order => available("order.x", trigger),
        ProductsFrom::Checkout => available("checkout.x", trigger),
        ProductsFrom::Restock => available("product.x", trigger),
    }
}

/// Meta's limit of products in one multi-product message.
pub const MAX_PRODUCTS: usize = 30;

/// The retailer ids of the products `from` the run's records, each variant once, in
/// their order, at most [`MAX_PRODUCTS`]; line items without a variant (custom items,
/// deleted products) are left out.
pub fn products_of(from: ProductsFrom, cx: &VarContext<'_>) -> Vec<String> {
    let lines = match from {
        ProductsFrom::Order => cx.order.map(|o| o.line_items.as_slice()),
        ProductsFrom::Checkout => cx.checkout.map(|c| c.line_items.as_slice()),
        ProductsFrom::Restock => {
            return (cx.product.and_then(|(_, v)| v))
                .map(|v| vec![retailer_id(v.id)])
                .unwrap_or_default()
        }
    };
    let mut out: Vec<String> = Vec::new();
    for id in lines
        .unwrap_or_default()
        .iter()
        .filter_map(|l| l.variant_id)
    {
        let r = retailer_id(id);
        if !out.contains(&r) && out.len() < MAX_PRODUCTS {
            out.push(r);
        }
    }
    out
}

/// The highest `{{n}}` in `text`.
fn highest_placeholder(text: &str) -> usize {
    let mut max = 0;
    let mut rest = text;
    while let Some(i) = rest.find("{{") {
        rest = &rest[i + 2..];
        if let Some(j) = rest.find("}}") {
            if let Ok(n) = rest[..j].trim().parse::<usize>() {
                max = max.max(n);
            }
            rest = &rest[j + 2..];
        }
    }
    max
}

/// The records a run's variables read, as they are when the message is built.
#[derive(Clone, Copy, Debug)]
pub struct VarContext<'a> {
    /// The contact.
    pub contact: &'a Contact,
    /// The run's order.
    pub order: Option<&'a Order>,
    /// The run's checkout.
    pub checkout: Option<&'a Checkout>,
    /// The restocked product and variant.
    pub product: Option<(&'a Product, Option<&'a Variant>)>,
    /// The shop's name.
    pub store_name: &'a str,
    /// The shop's domain (product links).
    pub shop_domain: &'a str,
}

/// The text for `v`: its static text, the source's value, else its fallback.
///
/// # Errors
/// The source (named) has no value and no fallback is given.
pub fn resolve(v: &VarSource, cx: &VarContext<'_>) -> Result<String, String> {
    if let Some(t) = &v.text {
        return Ok(t.clone());
    }
    let source = v.source.as_deref().unwrap_or_default();
    value(source, cx)
        .filter(|s| !s.trim().is_empty())
        .or_else(|| v.fallback.clone())
        .ok_or_else(|| format!("`{source}` has no value for this contact and no fallback is set"))
}

fn value(source: &str, cx: &VarContext<'_>) -> Option<String> {
    let c = cx.contact;
    Some(match source {
        "customer.first_name" => c.first_name.as_deref()?.to_string(),
        "customer.last_name" => c.last_name.as_deref()?.to_string(),
        "customer.email" => c.email.as_deref()?.to_string(),
        "customer.phone" => c.phone?.to_string(),
        "order.order_number" => {
            let o = cx.order?;
            o.name
                .clone()
                .or_else(|| o.order_number.map(|n| n.to_string()))?
        }
        "order.total_price" => {
            let o = cx.order?;
            format!("{} {}", o.total_price, o.currency)
        }
        "order.product_name" => cx.order?.line_items.first()?.title.clone(),
        "checkout.url" => cx.checkout?.abandoned_checkout_url.clone()?,
        "checkout.total_price" => {
            let k = cx.checkout?;
            format!(
                "{} {}",
                k.total_price,
                k.currency.clone().unwrap_or_default()
            )
            .trim()
            .to_string()
        }
        "product.title" => cx.product?.0.title.to_string(),
        "product.price" => cx.product?.1?.price.to_string(),
        "product.url" => {
            let (p, v) = cx.product?;
            let variant = v.map(|v| format!("?variant={}", v.id)).unwrap_or_default();
            format!("https://{}/products/{}{variant}", cx.shop_domain, p.handle)
        }
        "store.name" => cx.store_name.to_string(),
        _ => return None,
    })
}
