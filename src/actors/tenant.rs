//! The supervisor of one tenant: starts its customer, catalog, conversation and automation
//! actors, routes deliveries and queries to them, handles the tenant-level topics
//! (`app/uninstalled`, `shop/redact`) itself, and restarts a child that fails: the child
//! reloads its durable state, the webhook it was applying when it panicked is
//! dead-lettered (so a poison payload cannot crash-loop it), and what it had not applied is
//! re-delivered from the journal. Other tenants never notice.
//! Must not apply a child's topics itself: deliveries go through `children::cast_to_child`.
//! Restarts live in `tenant/restart.rs`.

use super::automations::AutomationsMsg;
use super::back_in_stock::BackInStockMsg;
use super::campaigns::CampaignsMsg;
use super::catalog::CatalogMsg;
use super::children::{
    cast_to_child, spawn_automations, spawn_back_in_stock, spawn_campaigns, spawn_catalog,
    spawn_conversations, spawn_customers, Wiring,
};
pub use super::children::{ChildRoutes, Routes};
use super::context::ActorContext;
use super::conversations::ConversationsMsg;
use super::customers::CustomersMsg;
use super::Delivered;
use crate::domain::ShopDomain;
use crate::domain::Timestamp;
use crate::logic::{Route, Topic};
use crate::store::tenants::TenantStatus;
use crate::store::{Batch, Store};
use ractor::{Actor, ActorProcessingErr, ActorRef, SupervisionEvent};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

mod restart;

/// Messages of a tenant supervisor.
pub enum TenantMsg {
    /// A journaled webhook to route.
    Deliver(Delivered),
    /// A query or command for the customer actor.
    Customers(CustomersMsg),
    /// A query or command for the catalog actor.
    Catalog(CatalogMsg),
    /// A query or command for the automation actor.
    Automations(AutomationsMsg),
    /// A query or command for the conversation actor.
    Conversations(ConversationsMsg),
    /// A query or command for the back-in-stock actor.
    BackInStock(BackInStockMsg),
    /// A command for the campaign actor.
    Campaigns(CampaignsMsg),
    /// Test hook: the supervisor itself fails (its error goes to the root).
    #[cfg(test)]
    Fail,
}

/// Arguments of a tenant supervisor.
pub struct TenantArgs {
    /// Shop domain.
    pub shop: ShopDomain,
    /// Store.
    pub store: Store,
    /// Outside services (Meta client …).
    pub services: Arc<ActorContext>,
    /// Where this supervisor publishes its children.
    pub routes: Routes,
}

/// State of a tenant supervisor.
pub struct TenantState {
    shop: ShopDomain,
    store: Store,
    services: Arc<ActorContext>,
    customers: ActorRef<CustomersMsg>,
    customers_in_flight: Arc<AtomicU64>,
    catalog: ActorRef<CatalogMsg>,
    catalog_in_flight: Arc<AtomicU64>,
    conversations_in_flight: Arc<AtomicU64>,
    conversations: ActorRef<ConversationsMsg>,
    automations: ActorRef<AutomationsMsg>,
    back_in_stock: ActorRef<BackInStockMsg>,
    campaigns: ActorRef<CampaignsMsg>,
    routes: Routes,
    wiring: Wiring,
}

/// The tenant supervisor.
pub struct TenantSupervisor;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Child {
    Customers,
    Catalog,
    Conversations,
    Automations,
    BackInStock,
    Campaigns,
}

impl TenantState {
    fn publish_routes(&self) {
        self.routes.insert(
            self.shop.clone(),
            ChildRoutes {
                customers: self.customers.clone(),
                catalog: self.catalog.clone(),
                conversations: self.conversations.clone(),
            },
        );
    }
}

impl TenantSupervisor {
    fn route(state: &TenantState, d: Delivered) -> Result<(), ActorProcessingErr> {
        cast_to_child(&state.customers, &state.catalog, &state.conversations, d)?;
        Ok(())
    }

    async fn on_tenant_topic(
        &self,
        state: &mut TenantState,
        d: Delivered,
    ) -> Result<(), ActorProcessingErr> {
        if !state.store.is_pending(d.seq) {
            return Ok(());
        }
        let topic = d.entry.source.topic();
        let Some(mut rec) = state.store.tenant(&state.shop)? else {
            return Ok(());
        };
        let now = Timestamp::now();
        let mut revoke = false;
        let mut subscriptions = None;
        match topic {
            Some(Topic::AppSubscriptionsUpdate) => {
                let update = match crate::logic::billing::subscriptions::parse(&d.entry.body) {
                    Ok(u) => u,
                    Err(e) => {
                        super::dead_letter(&state.store, d.seq, &d.entry, e.to_string());
                        return Ok(());
                    }
                };
                let mut subs = state.store.subscriptions(&state.shop)?;
                if crate::logic::billing::subscriptions::apply(&mut subs, &update) {
                    tracing::info!(message = "App subscription changed.", tenant = %state.shop, plan = %update.plan, status = ?update.status);
                    subscriptions = Some(subs);
                }
            }
            Some(Topic::AppUninstalled) => {
                let _ = state.automations.cast(AutomationsMsg::SetPaused(true));
                let _ = state.campaigns.cast(CampaignsMsg::PauseAll {
                    reason: "the app was uninstalled".into(),
                });
                if rec.status == TenantStatus::Active {
                    rec.status = TenantStatus::Uninstalled;
                    rec.status_at = now;
                }
                // Shopify revoked the app's tokens: forget them (a reinstall grants new ones).
                rec.shopify_token = Vec::new();
                revoke = true;
                tracing::info!(message = "Tenant uninstalled; Shopify tokens forgotten, timers stopped, data kept.", tenant = %state.shop);
            }
            Some(Topic::ShopRedact) => {
                // Let every child finish what it holds, then erase, then reset them.
                let t = Some(Duration::from_secs(30));
                let _ = state
                    .customers
                    .call(|r| CustomersMsg::Reset { reply_to: r }, t)
                    .await;
                let _ = state
                    .catalog
                    .call(|r| CatalogMsg::Reset { reply_to: r }, t)
                    .await;
                let _ = state
                    .automations
                    .call(|r| AutomationsMsg::Reset { reply_to: r }, t)
                    .await;
                let _ = state
                    .back_in_stock
                    .call(|r| BackInStockMsg::Reset { reply_to: r }, t)
                    .await;
                let _ = state
                    .campaigns
                    .call(|r| CampaignsMsg::Reset { reply_to: r }, t)
                    .await;
                let erased = state.store.erase_tenant_records(&state.shop)?;
                state.store.erase_dead_letters(&state.shop)?;
                let _ = state
                    .conversations
                    .call(|r| ConversationsMsg::Reset { reply_to: r }, t)
                    .await;
                rec.status = TenantStatus::Redacted;
                rec.status_at = now;
                rec.shopify_token = Vec::new();
                rec.meta_token = None;
                tracing::info!(message = "Shop redacted; tenant data erased.", tenant = %state.shop, records = erased);
            }
            _ => {}
        }
        let mut batch = Batch::new();
        batch.put_tenant(&rec)?;
        if let Some(subs) = &subscriptions {
            batch.put_subscriptions(&state.shop, subs)?;
        }
        if revoke {
            batch.remove(&state.shop, crate::store::Kind::ShopifyAuth, 0);
        }
        batch.applied(d.seq, &d.entry)?;
        state.store.commit(batch)?;
        super::note_applied(&state.shop, &d, None);
        Ok(())
    }
}

impl Actor for TenantSupervisor {
    type Msg = TenantMsg;
    type State = TenantState;
    type Arguments = TenantArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: TenantArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let sup = myself.get_cell();
        let wiring = Wiring::default();
        let customers_in_flight = Arc::new(AtomicU64::new(0));
        let catalog_in_flight = Arc::new(AtomicU64::new(0));
        let conversations_in_flight = Arc::new(AtomicU64::new(0));
        let customers = spawn_customers(
            sup.clone(),
            &args.shop,
            &args.store,
            customers_in_flight.clone(),
            &wiring,
            args.services.campaigns.windows(),
        )
        .await?;
        let catalog = spawn_catalog(
            sup.clone(),
            &args.shop,
            &args.store,
            catalog_in_flight.clone(),
            &wiring,
        )
        .await?;
        let conversations = spawn_conversations(
            sup.clone(),
            &args.shop,
            &args.store,
            &args.services,
            conversations_in_flight.clone(),
            &wiring,
        )
        .await?;
        let automations = spawn_automations(
            sup.clone(),
            &args.shop,
            &args.store,
            &args.services,
            &wiring,
        )
        .await?;
        let back_in_stock =
            spawn_back_in_stock(sup.clone(), &args.shop, &args.store, &wiring).await?;
        let campaigns =
            spawn_campaigns(sup, &args.shop, &args.store, &args.services, &wiring).await?;
        if let Some(rec) = args.store.tenant(&args.shop)? {
            if rec.status != TenantStatus::Active {
                let _ = automations.cast(AutomationsMsg::SetPaused(true));
            }
        }
        let state = TenantState {
            shop: args.shop,
            store: args.store,
            services: args.services,
            customers,
            customers_in_flight,
            catalog,
            catalog_in_flight,
            conversations_in_flight,
            conversations,
            automations,
            back_in_stock,
            campaigns,
            routes: args.routes,
            wiring,
        };
        state.publish_routes();
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let r = match msg {
            TenantMsg::Deliver(d) => {
                if d.entry.source.route() == Route::Tenant {
                    self.on_tenant_topic(state, d).await
                } else {
                    Self::route(state, d)
                }
            }
            TenantMsg::Customers(m) => state.customers.cast(m).map_err(Into::into),
            TenantMsg::Catalog(m) => state.catalog.cast(m).map_err(Into::into),
            TenantMsg::Automations(m) => state.automations.cast(m).map_err(Into::into),
            TenantMsg::Conversations(m) => state.conversations.cast(m).map_err(Into::into),
            TenantMsg::BackInStock(m) => state.back_in_stock.cast(m).map_err(Into::into),
            TenantMsg::Campaigns(m) => state.campaigns.cast(m).map_err(Into::into),
            #[cfg(test)]
            TenantMsg::Fail => return Err("injected failure of the tenant supervisor".into()),
        };
        if let Err(error) = r {
            // A child's mailbox closed mid-restart: the journal still holds the delivery,
            // and a dropped query makes its caller time out with a 503. Not fatal.
            tracing::warn!(message = "Tenant routing failed.", tenant = %state.shop, %error);
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        // Only our own entry: a replacement supervisor may already have published its own.
        let ours = state.customers.get_id();
        state
            .routes
            .remove_if(&state.shop, |_, r| r.customers.get_id() == ours);
        myself
            .stop_children_and_wait(Some("tenant stopped".into()), Some(Duration::from_secs(10)))
            .await;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        evt: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match evt {
            SupervisionEvent::ActorFailed(cell, error) => {
                if let Some(child) = Self::child_of(state, &cell) {
                    self.restart(&myself, state, child, &error.to_string())
                        .await?;
                }
            }
            SupervisionEvent::ActorTerminated(cell, _, reason) => {
                // Children only stop when we stop; anything else is a failure to repair.
                if let Some(child) = Self::child_of(state, &cell) {
                    if myself.get_status() == ractor::ActorStatus::Running {
                        let why = reason.unwrap_or_else(|| "terminated".into());
                        self.restart(&myself, state, child, &why).await?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
