//! The catalog actor of one tenant: owns the in-memory `CatalogBook` (products, variants,
//! collections), applies catalog webhooks through `logic::catalog` (restock detection
//! included) and persists each change atomically with its events and journal removal.
//! The rules are `logic::catalog`'s; it must not touch customer or WhatsApp records.

use super::automations::AutomationsMsg;
use super::back_in_stock::BackInStockMsg;
use super::{Delivered, Sibling};
use crate::domain::catalog::{Collection, Product, Variant};
use crate::domain::ShopDomain;
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::catalog::{CatalogBook, Change, Write};
use crate::store::{Batch, Kind, Store, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Reference to a catalog actor.
pub type CatalogRef = ActorRef<CatalogMsg>;

/// Messages of the catalog actor.
pub enum CatalogMsg {
    /// Apply a journaled webhook.
    Deliver(Delivered),
    /// Products by id, after a cursor.
    Products {
        after: Option<ShopifyId>,
        limit: usize,
        reply_to: RpcReplyPort<Vec<Product>>,
    },
    /// One product.
    Product {
        id: ShopifyId,
        reply_to: RpcReplyPort<Option<Product>>,
    },
    /// One variant by its id, wherever its product is (a scan over the products: the
    /// storefront asks rarely, and the catalog keeps no variant index).
    Variant {
        id: ShopifyId,
        reply_to: RpcReplyPort<Option<Variant>>,
    },
    /// Collections by id, after a cursor.
    Collections {
        after: Option<ShopifyId>,
        limit: usize,
        reply_to: RpcReplyPort<Vec<Collection>>,
    },
    /// Number of products.
    Count { reply_to: RpcReplyPort<usize> },
    /// Forget everything in memory (after `shop/redact` erased the store).
    Reset { reply_to: RpcReplyPort<()> },
    /// Test hook: panic inside the handler.
    #[cfg(test)]
    Panic,
}

/// Arguments of the catalog actor.
pub struct CatalogArgs {
    /// The tenant's shop domain.
    pub shop: ShopDomain,
    /// The store.
    pub store: Store,
    /// Journal seq being applied (0 when idle); see `CustomersArgs::in_flight`.
    pub in_flight: Arc<AtomicU64>,
    /// Where recorded events go.
    pub automations: Sibling<AutomationsMsg>,
    /// Where restock events also go (back-in-stock subscriptions).
    pub back_in_stock: Sibling<BackInStockMsg>,
}

/// State of the catalog actor.
pub struct CatalogState {
    shop: ShopDomain,
    store: Store,
    in_flight: Arc<AtomicU64>,
    book: CatalogBook,
    automations: Sibling<AutomationsMsg>,
    back_in_stock: Sibling<BackInStockMsg>,
}

/// The catalog actor.
pub struct Catalog;

fn load_book(store: &Store, shop: &str) -> Result<CatalogBook, StoreError> {
    let products: Vec<(u64, Product)> = store.scan(shop, Kind::Product)?;
    let collections: Vec<(u64, Collection)> = store.scan(shop, Kind::Collection)?;
    let pt: Vec<(u64, Timestamp)> = store.scan(shop, Kind::ProductTombstone)?;
    let ct: Vec<(u64, Timestamp)> = store.scan(shop, Kind::CollectionTombstone)?;
    Ok(CatalogBook::restore(
        products.into_iter().map(|(_, p)| p),
        collections.into_iter().map(|(_, c)| c),
        pt,
        ct,
    ))
}

/// Stages a change's writes; every product write also queues the product for the Meta
/// catalog push under `seq` (the journal seq: unique per change), in the same batch, so
/// a change on disk is a change that will reach Meta.
fn stage(shop: &str, change: &Change, seq: u64, batch: &mut Batch) -> Result<(), StoreError> {
    for w in &change.writes {
        match w {
            Write::Product(p) => {
                batch.put(shop, Kind::Product, p.id, p)?;
                batch.queue_push(shop, p.id, seq);
            }
            Write::ImageSizes { product, sizes } => {
                batch.put(shop, Kind::ImageSizes, *product, sizes)?;
            }
            Write::ProductDeleted { id, at } => {
                batch.remove(shop, Kind::Product, *id);
                batch.remove(shop, Kind::ImageSizes, *id);
                batch.queue_push(shop, *id, seq);
                batch.put(shop, Kind::ProductTombstone, *id, at)?;
            }
            Write::Collection(c) => batch.put(shop, Kind::Collection, c.id, c)?,
            Write::CollectionDeleted { id, at } => {
                batch.remove(shop, Kind::Collection, *id);
                batch.put(shop, Kind::CollectionTombstone, *id, at)?;
            }
        }
    }
    Ok(())
}

impl Catalog {
    async fn on_deliver(
        &self,
        state: &mut CatalogState,
        d: Delivered,
    ) -> Result<(), ActorProcessingErr> {
        if !state.store.is_pending(d.seq) {
            return Ok(());
        }
        let span = tracing::info_span!(
            "apply",
            tenant = %state.shop,
            topic = %d.entry.source,
            webhook_id = %d.entry.webhook_id,
            seq = d.seq
        );
        let _entered = span.enter();
        state.in_flight.store(d.seq, Ordering::SeqCst);
        let delivery = super::shopify_delivery(&d.entry);
        match state.book.apply(&delivery) {
            Ok(change) => {
                let events = super::events_of(
                    &change.events,
                    d.seq,
                    delivery.fallback_time(),
                    super::is_history(&d.entry),
                );
                let mut batch = Batch::new();
                stage(&state.shop, &change, d.seq, &mut batch)?;
                for e in &events {
                    batch.put_event(&state.shop, e)?;
                }
                batch.applied(d.seq, &d.entry)?;
                state.store.commit(batch)?;
                super::note_applied(&state.shop, &d, change.ignored.as_deref());
                super::tell_back_in_stock(&state.back_in_stock, &events);
                super::publish(&state.automations, events);
            }
            Err(e) => super::dead_letter(&state.store, d.seq, &d.entry, e.to_string()),
        }
        state.in_flight.store(0, Ordering::SeqCst);
        Ok(())
    }
}

impl Actor for Catalog {
    type Msg = CatalogMsg;
    type State = CatalogState;
    type Arguments = CatalogArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: CatalogArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let book = load_book(&args.store, &args.shop)?;
        Ok(CatalogState {
            shop: args.shop,
            store: args.store,
            in_flight: args.in_flight,
            book,
            automations: args.automations,
            back_in_stock: args.back_in_stock,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CatalogMsg::Deliver(d) => self.on_deliver(state, d).await?,
            CatalogMsg::Products {
                after,
                limit,
                reply_to,
            } => {
                let _ = reply_to.send(
                    state
                        .book
                        .products(after, limit)
                        .into_iter()
                        .cloned()
                        .collect(),
                );
            }
            CatalogMsg::Product { id, reply_to } => {
                let _ = reply_to.send(state.book.product(id).cloned());
            }
            CatalogMsg::Variant { id, reply_to } => {
                let found = state
                    .book
                    .products(None, usize::MAX)
                    .into_iter()
                    .find_map(|p| p.variant(id).cloned());
                let _ = reply_to.send(found);
            }
            CatalogMsg::Collections {
                after,
                limit,
                reply_to,
            } => {
                let _ = reply_to.send(
                    state
                        .book
                        .collections(after, limit)
                        .into_iter()
                        .cloned()
                        .collect(),
                );
            }
            CatalogMsg::Count { reply_to } => {
                let _ = reply_to.send(state.book.len());
            }
            CatalogMsg::Reset { reply_to } => {
                state.book = CatalogBook::new();
                let _ = reply_to.send(());
            }
            #[cfg(test)]
            CatalogMsg::Panic => panic!("injected panic in the catalog actor"),
        }
        Ok(())
    }
}
