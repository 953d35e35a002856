//! Reconciliation: Shopify removes a webhook subscription after repeated delivery
//! failures, and a delivery can be lost, so each tenant's customers, orders and products
//! are re-read periodically — `customers|orders|products(query: "updated_at:>'<mark>'",
//! sortKey: UPDATED_AT)` from the newest change already seen — and every record whose
//! version is newer than our copy (or missing) is applied through the same journal and
//! logic as a webhook (webhook ids `reconcile:<customer|order|product>:<id>:<updatedAt>`, so a repeat
//! is dropped). Each repair is counted (`galantis_shopify_reconciled_total{resource}`).
//! The first run of a resource only sets its mark (history is the import's job). Marks
//! are durable per tenant and resource (`Kind::ReconcileMark`: 1 customers, 3 orders,
//! 4 products; 2 is the abandoned-checkout poll's).

use super::shopify_auth;
use super::shopify_import::ImportError;
use super::shopify_ingest::journal_rows;
use super::Context;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::documents::{self, Document};
use crate::integrations::shopify::admin::ops;
use crate::logic::shopify::import::{
    customer_deliveries, gid_number, order_deliveries, product_deliveries, Group, RowDelivery,
};
use crate::store::{Batch, Kind, StoreError};
use serde::Serialize;

/// What one reconciliation of one resource did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reconciled {
    /// Records Shopify reported changed since the mark.
    pub checked: u64,
    /// Of those, the ones our copy had missed (applied now).
    pub repaired: u64,
    /// The new mark (the newest `updatedAt` seen).
    pub mark: String,
}

/// The resources reconciliation re-reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// Customers.
    Customers,
    /// Orders (with line items).
    Orders,
    /// Products (variants, media, collections).
    Products,
}

impl Resource {
    fn name(self) -> &'static str {
        match self {
            Resource::Customers => "customers",
            Resource::Orders => "orders",
            Resource::Products => "products",
        }
    }

    fn mark_id(self) -> u64 {
        match self {
            Resource::Customers => 1,
            Resource::Orders => 3,
            Resource::Products => 4,
        }
    }

    fn document(self) -> Document {
        match self {
            Resource::Customers => documents::CUSTOMERS_UPDATED,
            Resource::Orders => documents::ORDERS_UPDATED,
            Resource::Products => documents::PRODUCTS_UPDATED,
        }
    }

    fn gid_kind(self) -> &'static str {
        match self {
            Resource::Customers => "Customer",
            Resource::Orders => "Order",
            Resource::Products => "Product",
        }
    }

    /// Our copy's `updated_at` of record `id` (`None`: we do not have it).
    async fn ours(
        self,
        ctx: &Context,
        shop: &str,
        id: u64,
    ) -> Result<Option<Timestamp>, StoreError> {
        let store = ctx.engine.store();
        Ok(match self {
            Resource::Customers => ctx
                .engine
                .contact_profile(shop, id)
                .await
                .ok()
                .flatten()
                .and_then(|p| p.contact.updated_at),
            Resource::Orders => store
                .get::<crate::domain::contact::Order>(shop, Kind::Order, id)?
                .and_then(|o| o.updated_at),
            Resource::Products => {
                crate::store::catalog::product(store, shop, id)?.and_then(|p| p.updated_at)
            }
        })
    }

    fn deliveries(self, node: &serde_json::Value) -> Vec<RowDelivery> {
        let origin = "reconcile";
        match self {
            Resource::Customers => customer_deliveries(origin, node),
            Resource::Orders => order_deliveries(origin, 0, &Group::of_node(node)).ok(),
            Resource::Products => product_deliveries(origin, 0, &Group::of_node(node)).ok(),
        }
        .unwrap_or_default()
    }
}

/// What one reconciliation of every resource did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReconcileReport {
    /// Customers.
    pub customers: Reconciled,
    /// Products.
    pub products: Reconciled,
    /// Orders.
    pub orders: Reconciled,
}

/// Reconciles every resource of `shop` now: customers, products, then orders.
///
/// # Errors
/// The first [`ImportError`].
pub async fn all(ctx: &Context, shop: &str) -> Result<ReconcileReport, ImportError> {
    Ok(ReconcileReport {
        customers: resource(ctx, shop, Resource::Customers).await?,
        products: resource(ctx, shop, Resource::Products).await?,
        orders: resource(ctx, shop, Resource::Orders).await?,
    })
}

fn now_mark() -> String {
    jiff::Timestamp::from_millisecond(Timestamp::now().millis())
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Reconciles one resource of `shop` now.
///
/// # Errors
/// [`ImportError`] (token, Shopify, store).
pub async fn resource(ctx: &Context, shop: &str, r: Resource) -> Result<Reconciled, ImportError> {
    let store = ctx.engine.store();
    let Some(mut mark) = store.get::<String>(shop, Kind::ReconcileMark, r.mark_id())? else {
        let now = now_mark();
        save_mark(ctx, shop, r, &now).await?;
        return Ok(Reconciled {
            mark: now,
            ..Reconciled::default()
        });
    };
    let mut out = Reconciled::default();
    let since = mark.clone();
    let mut after: Option<String> = None;
    loop {
        let token = shopify_auth::access_token(ctx, shop).await?;
        let (nodes, next) = ops::updated_since(
            &ctx.shopify,
            shop,
            &token,
            r.document(),
            &since,
            after.as_deref(),
        )
        .await?;
        let mut rows = Vec::new();
        for node in &nodes {
            out.checked += 1;
            let updated = node["updatedAt"].as_str().unwrap_or_default().to_string();
            if updated > mark {
                mark.clone_from(&updated);
            }
            let Some(id) = node["id"]
                .as_str()
                .and_then(|g| gid_number(g, r.gid_kind()))
            else {
                continue;
            };
            let ours = r.ours(ctx, shop, id).await?;
            let theirs = updated
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| Timestamp(t.as_millisecond()));
            let missed = match (ours, theirs) {
                (Some(o), Some(t)) => o < t,
                (None, _) => true,
                (Some(_), None) => false,
            };
            if missed {
                rows.extend(r.deliveries(node));
                out.repaired += 1;
            }
        }
        journal_rows(ctx, shop, &mut rows).await?;
        match next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    metrics::counter!("galantis_shopify_reconciled_total", "resource" => r.name())
        .increment(out.repaired);
    save_mark(ctx, shop, r, &mark).await?;
    if out.repaired > 0 {
        tracing::info!(
            message = "Reconciliation repaired missed changes.",
            shop,
            resource = r.name(),
            repaired = out.repaired,
            checked = out.checked
        );
    }
    out.mark = mark;
    Ok(out)
}

async fn save_mark(ctx: &Context, shop: &str, r: Resource, mark: &str) -> Result<(), ImportError> {
    let mut b = Batch::new();
    b.put(shop, Kind::ReconcileMark, r.mark_id(), &mark.to_string())?;
    let store = ctx.engine.store();
    store.commit(b)?;
    store.durable().await?;
    Ok(())
}
