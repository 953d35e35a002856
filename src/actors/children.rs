//! A tenant's children: starting the customer, catalog, conversation and automation actors
//! under their supervisor, and the routes that let deliveries reach them without passing
//! through it.
//!
//! Owns spawning and the delivery routing rule (`cast_to_child`, by `logic::Source::route`);
//! must not hold state of its own or apply anything.

use super::automations::{Automations, AutomationsArgs, AutomationsMsg};
use super::back_in_stock::{BackInStock, BackInStockArgs, BackInStockMsg};
use super::campaigns::{Campaigns, CampaignsArgs, CampaignsMsg};
use super::catalog::{Catalog, CatalogArgs, CatalogMsg};
use super::context::ActorContext;
use super::conversations::{Conversations, ConversationsArgs, ConversationsMsg};
use super::customers::{Customers, CustomersArgs, CustomersMsg};
use super::{Delivered, Sibling};
use crate::domain::ShopDomain;
use crate::logic::Route;
use crate::store::Store;
use ractor::{Actor, ActorCell, ActorProcessingErr, ActorRef};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// The current children of a running tenant, so that deliveries can go straight to the
/// actor that applies them (one mailbox hop instead of two). The supervisor keeps the entry
/// current across child restarts; a delivery whose child has just died falls back to the
/// supervisor, which routes it to the replacement.
#[derive(Clone)]
pub struct ChildRoutes {
    /// The customer actor.
    pub customers: ActorRef<CustomersMsg>,
    /// The catalog actor.
    pub catalog: ActorRef<CatalogMsg>,
    /// The conversation actor.
    pub conversations: ActorRef<ConversationsMsg>,
}

impl ChildRoutes {
    /// See [`cast_to_child`].
    pub(super) fn cast(&self, d: Delivered) -> Result<bool, ActorProcessingErr> {
        cast_to_child(&self.customers, &self.catalog, &self.conversations, d)
    }
}

/// Casts a journaled webhook to the child actor that applies it, by its source's
/// [`Route`] (the one routing rule, `logic::Source::route`). `Ok(false)` when no child
/// applies it (a tenant-level or ignored topic); `Err` when that child's mailbox is closed.
/// The one routing rule, used by the supervisor and by the engine's direct deliveries.
pub(super) fn cast_to_child(
    customers: &ActorRef<CustomersMsg>,
    catalog: &ActorRef<CatalogMsg>,
    conversations: &ActorRef<ConversationsMsg>,
    d: Delivered,
) -> Result<bool, ActorProcessingErr> {
    match d.entry.source.route() {
        Route::Customers => customers.cast(CustomersMsg::Deliver(d))?,
        Route::Catalog => catalog.cast(CatalogMsg::Deliver(d))?,
        Route::Conversations => conversations.cast(ConversationsMsg::Deliver(d))?,
        Route::Tenant | Route::Ignore => return Ok(false),
    }
    Ok(true)
}

/// Routes of every running tenant, by shop.
pub type Routes = Arc<dashmap::DashMap<ShopDomain, ChildRoutes>>;

fn spawn_err(e: ractor::SpawnErr) -> ActorProcessingErr {
    ActorProcessingErr::from(format!("child failed to start: {e}"))
}

/// The routes between a tenant's children (see [`Sibling`]), and what each child's
/// apply-in-progress flag is, shared with the supervisor.
#[derive(Clone, Default)]
pub(super) struct Wiring {
    /// The customer actor, for the conversation actor.
    pub customers: Sibling<CustomersMsg>,
    /// The automation actor, for every child that records events.
    pub automations: Sibling<AutomationsMsg>,
    /// The conversation actor, for the automation actor's sends.
    pub conversations: Sibling<ConversationsMsg>,
    /// The back-in-stock actor, for the catalog (its restock events).
    pub back_in_stock: Sibling<BackInStockMsg>,
}

pub(super) async fn spawn_customers(
    sup: ActorCell,
    shop: &ShopDomain,
    store: &Store,
    in_flight: Arc<AtomicU64>,
    wiring: &Wiring,
    windows: crate::logic::attribution::Windows,
) -> Result<ActorRef<CustomersMsg>, ActorProcessingErr> {
    let args = CustomersArgs {
        shop: shop.clone(),
        store: store.clone(),
        in_flight,
        automations: wiring.automations.clone(),
        windows,
    };
    let actor = Actor::spawn_linked(None, Customers, args, sup)
        .await
        .map_err(spawn_err)?
        .0;
    wiring.customers.set(actor.clone());
    Ok(actor)
}

pub(super) async fn spawn_catalog(
    sup: ActorCell,
    shop: &ShopDomain,
    store: &Store,
    in_flight: Arc<AtomicU64>,
    wiring: &Wiring,
) -> Result<ActorRef<CatalogMsg>, ActorProcessingErr> {
    let args = CatalogArgs {
        shop: shop.clone(),
        store: store.clone(),
        in_flight,
        automations: wiring.automations.clone(),
        back_in_stock: wiring.back_in_stock.clone(),
    };
    Ok(Actor::spawn_linked(None, Catalog, args, sup)
        .await
        .map_err(spawn_err)?
        .0)
}

pub(super) async fn spawn_conversations(
    sup: ActorCell,
    shop: &ShopDomain,
    store: &Store,
    services: &Arc<ActorContext>,
    in_flight: Arc<AtomicU64>,
    wiring: &Wiring,
) -> Result<ActorRef<ConversationsMsg>, ActorProcessingErr> {
    let args = ConversationsArgs {
        shop: shop.clone(),
        store: store.clone(),
        services: services.clone(),
        in_flight,
        customers: wiring.customers.clone(),
        automations: wiring.automations.clone(),
    };
    let actor = Actor::spawn_linked(None, Conversations, args, sup)
        .await
        .map_err(spawn_err)?
        .0;
    wiring.conversations.set(actor.clone());
    Ok(actor)
}

pub(super) async fn spawn_automations(
    sup: ActorCell,
    shop: &ShopDomain,
    store: &Store,
    services: &crate::actors::context::ActorContext,
    wiring: &Wiring,
) -> Result<ActorRef<AutomationsMsg>, ActorProcessingErr> {
    let args = AutomationsArgs {
        shop: shop.clone(),
        store: store.clone(),
        customers: wiring.customers.clone(),
        conversations: wiring.conversations.clone(),
        settings: services.automations.clone(),
        link_base_url: services.campaigns.link_base_url.clone(),
    };
    let actor = Actor::spawn_linked(None, Automations, args, sup)
        .await
        .map_err(spawn_err)?
        .0;
    wiring.automations.set(actor.clone());
    // Events committed between the actor's start scan and this route being set were
    // published to nobody: it reads the stream again now that it can be reached.
    let _ = actor.cast(AutomationsMsg::CatchUp);
    Ok(actor)
}

pub(super) async fn spawn_back_in_stock(
    sup: ActorCell,
    shop: &ShopDomain,
    store: &Store,
    wiring: &Wiring,
) -> Result<ActorRef<BackInStockMsg>, ActorProcessingErr> {
    let args = BackInStockArgs {
        shop: shop.clone(),
        store: store.clone(),
        automations: wiring.automations.clone(),
    };
    let actor = Actor::spawn_linked(None, BackInStock, args, sup)
        .await
        .map_err(spawn_err)?
        .0;
    wiring.back_in_stock.set(actor.clone());
    Ok(actor)
}

pub(super) async fn spawn_campaigns(
    sup: ActorCell,
    shop: &ShopDomain,
    store: &Store,
    services: &Arc<ActorContext>,
    wiring: &Wiring,
) -> Result<ActorRef<CampaignsMsg>, ActorProcessingErr> {
    let args = CampaignsArgs {
        shop: shop.clone(),
        store: store.clone(),
        conversations: wiring.conversations.clone(),
        settings: services.campaigns.clone(),
        automations: services.automations.clone(),
        messages_per_second: services.settings.messages_per_second,
    };
    Ok(Actor::spawn_linked(None, Campaigns, args, sup)
        .await
        .map_err(spawn_err)?
        .0)
}
