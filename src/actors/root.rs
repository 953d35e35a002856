//! The root supervisor: starts, stops and restarts tenant supervisors. A tenant whose
//! supervisor fails is restarted from its durable state after a short, growing delay;
//! other tenants never notice.
//! Owns the map of running tenants; must not touch a tenant's children or records.

use super::context::ActorContext;
use super::tenant::{TenantArgs, TenantMsg, TenantSupervisor};
use crate::domain::ShopDomain;
use crate::store::Store;
use dashmap::DashMap;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort, SupervisionEvent};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Messages of the root supervisor.
pub enum RootMsg {
    /// Start the supervisor of a shop if it is not running.
    StartTenant {
        shop: ShopDomain,
        reply_to: RpcReplyPort<Result<(), super::EngineError>>,
    },
    /// Stop the supervisor of a shop (tenant deleted).
    StopTenant {
        shop: ShopDomain,
        reply_to: RpcReplyPort<()>,
    },
    /// Restart a failed tenant (sent to self after a delay).
    RestartTenant { shop: ShopDomain },
}

/// Arguments of the root.
pub struct RootArgs {
    /// The store.
    pub store: Store,
    /// The shared map of running tenants, read by `Engine`.
    pub tenants: Arc<DashMap<ShopDomain, ActorRef<TenantMsg>>>,
    /// Outside services handed to every tenant.
    pub services: Arc<ActorContext>,
    /// Children of running tenants, published by their supervisors.
    pub routes: super::tenant::Routes,
}

/// State of the root.
pub struct RootState {
    store: Store,
    tenants: Arc<DashMap<ShopDomain, ActorRef<TenantMsg>>>,
    services: Arc<ActorContext>,
    routes: super::tenant::Routes,
    /// Restarts per shop, for the backoff.
    restarts: HashMap<ShopDomain, u32>,
}

/// The root supervisor.
pub struct Root;

impl Root {
    async fn spawn_tenant(
        myself: &ActorRef<RootMsg>,
        state: &mut RootState,
        shop: &ShopDomain,
    ) -> Result<(), super::EngineError> {
        if state.tenants.contains_key(shop) {
            return Ok(());
        }
        let (r, _) = Actor::spawn_linked(
            None,
            TenantSupervisor,
            TenantArgs {
                shop: shop.clone(),
                store: state.store.clone(),
                services: state.services.clone(),
                routes: state.routes.clone(),
            },
            myself.get_cell(),
        )
        .await
        .map_err(|e| super::EngineError::Spawn(e.to_string()))?;
        state.tenants.insert(shop.clone(), r);
        Ok(())
    }

    fn shop_of(state: &RootState, cell: &ractor::ActorCell) -> Option<ShopDomain> {
        state
            .tenants
            .iter()
            .find(|e| e.value().get_id() == cell.get_id())
            .map(|e| e.key().clone())
    }
}

impl Actor for Root {
    type Msg = RootMsg;
    type State = RootState;
    type Arguments = RootArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: RootArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(RootState {
            store: args.store,
            tenants: args.tenants,
            services: args.services,
            routes: args.routes,
            restarts: HashMap::new(),
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            RootMsg::StartTenant { shop, reply_to } => {
                let r = Self::spawn_tenant(&myself, state, &shop).await;
                let _ = reply_to.send(r);
            }
            RootMsg::StopTenant { shop, reply_to } => {
                if let Some((_, t)) = state.tenants.remove(&shop) {
                    let _ = t
                        .stop_and_wait(Some("tenant stopped".into()), Some(Duration::from_secs(10)))
                        .await;
                }
                state.restarts.remove(&shop);
                let _ = reply_to.send(());
            }
            RootMsg::RestartTenant { shop } => {
                if let Err(error) = Self::spawn_tenant(&myself, state, &shop).await {
                    tracing::error!(message = "Tenant restart failed.", tenant = %shop, %error);
                    let n = state.restarts.entry(shop.clone()).or_insert(0);
                    *n += 1;
                    let delay = Duration::from_millis(200u64.saturating_mul(1 << (*n).min(8)));
                    myself.send_after(delay, move || RootMsg::RestartTenant { shop });
                } else {
                    // Re-deliver what the failed supervisor had not applied.
                    if let Some(t) = state.tenants.get(&shop) {
                        for (seq, entry) in state.store.pending_of(&shop) {
                            let _ = t.cast(TenantMsg::Deliver(super::Delivered { seq, entry }));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        myself: ActorRef<Self::Msg>,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        state.tenants.clear();
        myself
            .stop_children_and_wait(Some("shutdown".into()), Some(Duration::from_secs(10)))
            .await;
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<Self::Msg>,
        evt: SupervisionEvent,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        if let SupervisionEvent::ActorFailed(cell, error) = evt {
            if let Some(shop) = Self::shop_of(state, &cell) {
                state.tenants.remove(&shop);
                // Its children were killed with it (ractor terminates a failed actor's
                // tree); deliveries wait in the journal until the restart re-delivers them.
                state.routes.remove(&shop);
                let n = state.restarts.entry(shop.clone()).or_insert(0);
                *n += 1;
                let delay = Duration::from_millis(50u64.saturating_mul(1 << (*n).min(8)));
                tracing::error!(message = "Tenant supervisor failed; restarting.", tenant = %shop, %error, delay_ms = delay.as_millis() as u64);
                metrics::counter!("galantis_actor_restarts_total", "actor" => "tenant")
                    .increment(1);
                myself.send_after(delay, move || RootMsg::RestartTenant { shop });
            }
        }
        Ok(())
    }
}
