//! The sample catalog: products with 1–4 variants (option combinations, prices,
//! compare-at prices, some out of stock), their `products/create` bodies, and
//! `variants/in_stock` for a few of the variants that were at 0 (the engine turns those
//! into `VariantRestocked`).

use super::sample::ProductSeed;
use super::{delivery, ids, shop_time, stream, Ctx, Delivery};
use crate::sandbox::payloads;
use rand::seq::SliceRandom;
use rand::Rng;
use serde_json::Value;
use time::OffsetDateTime;

/// At most this many variants per product.
const MAX_VARIANTS: usize = 4;
/// At least this many out-of-stock variants in the catalog (so restocks happen).
const MIN_SOLD_OUT: usize = 3;
/// This many sold-out variants come back in stock.
const RESTOCKS: usize = 3;

/// One variant: what its payloads carry (times of its product; `old_inventory_quantity`
/// is set when a body is built), plus the weight its order lines carry.
#[derive(Clone, Debug)]
pub(crate) struct Variant {
    pub wire: payloads::Variant,
    pub grams: u64,
}

/// One product.
#[derive(Clone, Debug)]
pub(crate) struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub vendor: String,
    pub product_type: String,
    pub tags: Vec<String>,
    /// Option names with the values the variants use, in order.
    pub options: Vec<(String, Vec<String>)>,
    pub variants: Vec<Variant>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A sold-out variant coming back.
#[derive(Clone, Debug)]
pub(crate) struct Restock {
    pub product_id: u64,
    pub variant: Variant,
    /// When the variant was created (its product's creation).
    pub created_at: OffsetDateTime,
    /// When it came back (newer than the product's `updated_at`).
    pub at: OffsetDateTime,
}

/// The catalog.
pub(crate) struct Catalog {
    pub products: Vec<Product>,
    pub restocks: Vec<Restock>,
}

/// Builds the catalog from the sample products.
pub(crate) fn build(ctx: &Ctx<'_>) -> Catalog {
    let mut products: Vec<Product> = ctx
        .data
        .products
        .iter()
        .enumerate()
        .map(|(i, seed)| product(ctx, i as u64, seed))
        .collect();
    ensure_sold_out(&mut products);
    let mut restocks = Vec::new();
    for p in &products {
        for v in p.variants.iter().filter(|v| v.wire.inventory_quantity == 0) {
            if restocks.len() == RESTOCKS {
                break;
            }
            let mut rng = ctx.rng(stream::PRODUCT, 10_000 + v.wire.id - ids::VARIANT);
            let mut back = v.clone();
            back.wire.inventory_quantity = rng.gen_range(5..=40);
            restocks.push(Restock {
                product_id: p.id,
                variant: back,
                created_at: p.created_at,
                at: ctx.ago(&mut rng, 10 * 60, 3 * 3600),
            });
        }
    }
    Catalog { products, restocks }
}

/// Forces a few variants to 0 when the dice gave too few, so there is something to restock.
fn ensure_sold_out(products: &mut [Product]) {
    let sold_out = |ps: &[Product]| {
        ps.iter()
            .flat_map(|p| &p.variants)
            .filter(|v| v.wire.inventory_quantity == 0)
            .count()
    };
    let mut i = 1;
    while sold_out(products) < MIN_SOLD_OUT && i < products.len() {
        if let Some(v) = products[i].variants.last_mut() {
            v.wire.inventory_quantity = 0;
        }
        i += 3;
    }
}

fn product(ctx: &Ctx<'_>, index: u64, seed: &ProductSeed) -> Product {
    let mut rng = ctx.rng(stream::PRODUCT, index);
    let id = ids::PRODUCT + 1_000 + index;
    let created_at = ctx.ago(&mut rng, 60 * 86_400, 400 * 86_400);
    let updated_at = ctx.ago(&mut rng, 86_400, 30 * 86_400);
    let combos = pick_combos(&mut rng, seed);
    let variants = combos
        .iter()
        .enumerate()
        .map(|(pos, (first_index, values))| {
            let inventory = if rng.gen_bool(0.2) {
                0
            } else {
                rng.gen_range(1..=80)
            };
            let price_cents = seed.price_cents + seed.price_step_cents * *first_index as u64;
            let vid = ids::VARIANT + 1_000 + index * 10 + pos as u64;
            let wire = payloads::Variant {
                id: vid,
                product_id: id,
                title: values.join(" / "),
                options: values.clone(),
                position: pos + 1,
                price_cents,
                compare_at_cents: seed.compare_at_cents.map(|c| c.max(price_cents)),
                sku: format!("DS-{:02}{:02}", index + 1, pos + 1),
                inventory_item_id: ids::INVENTORY_ITEM + (vid - ids::VARIANT),
                inventory_quantity: inventory,
                old_inventory_quantity: inventory,
                created_at: shop_time(created_at),
                updated_at: shop_time(updated_at),
            };
            Variant {
                wire,
                grams: rng.gen_range(100..=1_200),
            }
        })
        .collect::<Vec<_>>();
    let options = if seed.options.is_empty() {
        vec![("Title".to_string(), vec!["Default Title".to_string()])]
    } else {
        seed.options
            .iter()
            .enumerate()
            .map(|(k, o)| {
                let mut used: Vec<String> = Vec::new();
                for v in &variants {
                    if !used.contains(&v.wire.options[k]) {
                        used.push(v.wire.options[k].clone());
                    }
                }
                (o.name.clone(), used)
            })
            .collect()
    };
    Product {
        id,
        title: seed.title.clone(),
        handle: handle(&seed.title),
        vendor: seed.vendor.clone(),
        product_type: seed.product_type.clone(),
        tags: seed.tags.clone(),
        options,
        variants,
        created_at,
        updated_at,
    }
}

/// 1–4 option combinations (index of the first option's value, values), in catalog order.
fn pick_combos<R: Rng>(rng: &mut R, seed: &ProductSeed) -> Vec<(usize, Vec<String>)> {
    if seed.options.is_empty() {
        return vec![(0, vec!["Default Title".to_string()])];
    }
    let mut all: Vec<(usize, Vec<String>)> = vec![(0, Vec::new())];
    for (k, option) in seed.options.iter().enumerate() {
        all = all
            .into_iter()
            .flat_map(|(first, values)| {
                option.values.iter().enumerate().map(move |(vi, v)| {
                    let mut next = values.clone();
                    next.push(v.clone());
                    (if k == 0 { vi } else { first }, next)
                })
            })
            .collect();
    }
    let n = rng.gen_range(1..=all.len().clamp(1, MAX_VARIANTS));
    let mut picked: Vec<usize> = (0..all.len()).collect();
    picked.shuffle(rng);
    picked.truncate(n);
    picked.sort_unstable();
    picked.into_iter().map(|i| all[i].clone()).collect()
}

/// `Classic Cotton Tee` → `classic-cotton-tee`.
fn handle(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

impl Catalog {
    /// `products/create` for every product.
    pub fn create_deliveries(&self, ctx: &Ctx<'_>) -> Vec<Delivery> {
        self.products
            .iter()
            .map(|p| delivery("products/create", p.id, p.updated_at, product_body(ctx, p)))
            .collect()
    }

    /// `variants/in_stock` for the restocked variants.
    pub fn restock_deliveries(&self) -> Vec<Delivery> {
        self.restocks
            .iter()
            .map(|r| {
                let v = payloads::Variant {
                    created_at: shop_time(r.created_at),
                    updated_at: shop_time(r.at),
                    old_inventory_quantity: 0,
                    ..r.variant.wire.clone()
                };
                delivery("variants/in_stock", v.id, r.at, v.body())
            })
            .collect()
    }
}

fn product_body(ctx: &Ctx<'_>, p: &Product) -> Value {
    payloads::Product {
        id: p.id,
        title: p.title.clone(),
        handle: p.handle.clone(),
        vendor: p.vendor.clone(),
        product_type: p.product_type.clone(),
        tags: p.tags.clone(),
        body_html: format!(
            "<p>{} by {}, from the {} sandbox.</p>",
            p.title, p.vendor, ctx.data.shop.name
        ),
        options: p
            .options
            .iter()
            .enumerate()
            .map(|(k, (name, values))| payloads::ProductOption {
                id: ids::OPTION + (p.id - ids::PRODUCT) * 10 + k as u64,
                name: name.clone(),
                values: values.clone(),
            })
            .collect(),
        variants: p
            .variants
            .iter()
            .map(|v| payloads::Variant {
                old_inventory_quantity: v.wire.inventory_quantity,
                ..v.wire.clone()
            })
            .collect(),
        created_at: shop_time(p.created_at),
        updated_at: shop_time(p.updated_at),
        variant_gids_updated_at: super::utc_millis(p.updated_at),
        images: vec![format!(
            "https://cdn.shopify.com/s/files/1/0000/0001/files/{}.jpg",
            p.handle
        )],
    }
    .body()
}
