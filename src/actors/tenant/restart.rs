//! Restarting a tenant's failed child: which child a supervision event names, the
//! dead-lettering of the webhook it was applying (a poison payload must not crash-loop
//! it), the respawn from its durable state, and the re-delivery of its journal.

use super::{Child, TenantMsg, TenantState, TenantSupervisor};
use crate::actors::children::{
    spawn_automations, spawn_back_in_stock, spawn_campaigns, spawn_catalog, spawn_conversations,
    spawn_customers,
};
use crate::actors::Delivered;
use crate::logic::Route;
use ractor::{ActorCell, ActorProcessingErr, ActorRef};
use std::sync::atomic::Ordering;

impl TenantSupervisor {
    pub(super) fn child_of(state: &TenantState, cell: &ActorCell) -> Option<Child> {
        let id = cell.get_id();
        if id == state.customers.get_id() {
            Some(Child::Customers)
        } else if id == state.catalog.get_id() {
            Some(Child::Catalog)
        } else if id == state.conversations.get_id() {
            Some(Child::Conversations)
        } else if id == state.automations.get_id() {
            Some(Child::Automations)
        } else if id == state.back_in_stock.get_id() {
            Some(Child::BackInStock)
        } else if id == state.campaigns.get_id() {
            Some(Child::Campaigns)
        } else {
            None
        }
    }

    /// Dead-letters the journal entry `child` was applying when it failed (a poison
    /// payload must not crash-loop it).
    fn dead_letter_poison(state: &TenantState, child: Child, error: &str) {
        let in_flight = match child {
            Child::Customers => Some(state.customers_in_flight.clone()),
            Child::Catalog => Some(state.catalog_in_flight.clone()),
            Child::Conversations => Some(state.conversations_in_flight.clone()),
            Child::Automations | Child::BackInStock | Child::Campaigns => None,
        };
        if let Some(flag) = &in_flight {
            let poison = flag.swap(0, Ordering::SeqCst);
            if poison != 0 {
                if let Some(entry) = state.store.pending_entry(poison) {
                    crate::actors::dead_letter(
                        &state.store,
                        poison,
                        &entry,
                        format!("applying it crashed the actor: {error}"),
                    );
                }
            }
        }
    }

    /// Starts a fresh `child` from its durable state and points its routes at it.
    async fn respawn(
        myself: &ActorRef<TenantMsg>,
        state: &mut TenantState,
        child: Child,
    ) -> Result<(), ActorProcessingErr> {
        let sup = myself.get_cell();
        match child {
            Child::Customers => {
                state.customers = spawn_customers(
                    sup,
                    &state.shop,
                    &state.store,
                    state.customers_in_flight.clone(),
                    &state.wiring,
                    state.services.campaigns.windows(),
                )
                .await?
            }
            Child::Catalog => {
                state.catalog = spawn_catalog(
                    sup,
                    &state.shop,
                    &state.store,
                    state.catalog_in_flight.clone(),
                    &state.wiring,
                )
                .await?
            }
            Child::Conversations => {
                state.conversations = spawn_conversations(
                    sup,
                    &state.shop,
                    &state.store,
                    &state.services,
                    state.conversations_in_flight.clone(),
                    &state.wiring,
                )
                .await?
            }
            Child::Automations => {
                state.automations = spawn_automations(
                    sup,
                    &state.shop,
                    &state.store,
                    &state.services,
                    &state.wiring,
                )
                .await?
            }
            Child::BackInStock => {
                state.back_in_stock =
                    spawn_back_in_stock(sup, &state.shop, &state.store, &state.wiring).await?
            }
            Child::Campaigns => {
                state.campaigns = spawn_campaigns(
                    sup,
                    &state.shop,
                    &state.store,
                    &state.services,
                    &state.wiring,
                )
                .await?
            }
        }
        Ok(())
    }

    /// Dead-letters the poison entry (if any), respawns the child, re-delivers its journal.
    pub(super) async fn restart(
        &self,
        myself: &ActorRef<TenantMsg>,
        state: &mut TenantState,
        child: Child,
        error: &str,
    ) -> Result<(), ActorProcessingErr> {
        metrics::counter!("galantis_actor_restarts_total", "actor" => format!("{child:?}"))
            .increment(1);
        tracing::error!(message = "Tenant actor failed; restarting from durable state.", tenant = %state.shop, child = ?child, %error);
        Self::dead_letter_poison(state, child, error);
        Self::respawn(myself, state, child).await?;
        state.publish_routes();
        let wanted = match child {
            Child::Customers => Route::Customers,
            Child::Catalog => Route::Catalog,
            Child::Conversations => Route::Conversations,
            Child::Automations | Child::BackInStock | Child::Campaigns => return Ok(()),
        };
        for (seq, entry) in state.store.pending_of(&state.shop) {
            if entry.source.route() == wanted {
                Self::route(state, Delivered { seq, entry })?;
            }
        }
        Ok(())
    }
}
