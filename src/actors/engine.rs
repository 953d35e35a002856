//! `Engine`: the handle to the running actor tree and the store, shared by HTTP handlers,
//! services and the CLI. Typed requests to a tenant's actors are in `engine/api.rs`;
//! callers above the actors use those, never hand-built `TenantMsg` values.
//! Owns recovery (and its progress for `/readyz`) and delivery to tenants; must not
//! apply anything itself.

mod api;
mod automations;
pub use automations::FlowRequestError;
mod back_in_stock;
mod campaigns;
mod segments;

use super::root::{Root, RootMsg};
use super::tenant::TenantMsg;
use super::Delivered;
use crate::domain::ShopDomain;
use crate::store::{Store, StoreError};
use dashmap::DashMap;
use ractor::{Actor, ActorRef, RpcReplyPort};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Why the engine could not serve a request.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The tenant has no running supervisor.
    #[error("tenant `{0}` is not running")]
    TenantNotRunning(String),
    /// An actor did not answer in time or is gone.
    #[error("the tenant's actor did not answer: {0}")]
    Unavailable(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The actor answered with a failure of its own (a lookup, a write).
    #[error("the tenant's actor failed")]
    Actor(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Spawning an actor failed.
    #[error("could not start actor: {0}")]
    Spawn(String),
    /// The shop is not a valid shop domain (tenants are keyed by `ShopDomain`).
    #[error(transparent)]
    InvalidShop(#[from] crate::domain::shop::InvalidShopDomain),
}

struct Inner {
    store: Store,
    tenants: Arc<DashMap<ShopDomain, ActorRef<TenantMsg>>>,
    routes: super::tenant::Routes,
    root: ActorRef<RootMsg>,
    ready: AtomicBool,
    call_timeout: Duration,
    progress: Progress,
}

/// Recovery progress, shown by `/readyz` while the engine recovers.
#[derive(Default)]
struct Progress {
    tenants_total: AtomicUsize,
    tenants_started: AtomicUsize,
    journal_total: AtomicUsize,
    journal_delivered: AtomicUsize,
}

/// A snapshot of recovery progress (counts only go up; after recovery they stay at the
/// totals, so `/readyz` also tells what the last recovery did).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RecoveryProgress {
    /// Tenants to start.
    pub tenants_total: usize,
    /// Tenants started (their records loaded).
    pub tenants_started: usize,
    /// Journal entries to re-deliver.
    pub journal_total: usize,
    /// Journal entries re-delivered.
    pub journal_delivered: usize,
}

/// Handle to the actor tree. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Starts the root supervisor (no tenants yet; see [`Engine::recover`]).
    ///
    /// # Errors
    /// When the root actor cannot start.
    pub async fn start(
        store: Store,
        services: Arc<super::context::ActorContext>,
        call_timeout: Duration,
    ) -> Result<Self, EngineError> {
        let tenants = Arc::new(DashMap::new());
        let routes: super::tenant::Routes = Arc::default();
        let (root, _) = Actor::spawn(
            None,
            Root,
            super::root::RootArgs {
                store: store.clone(),
                tenants: tenants.clone(),
                services,
                routes: routes.clone(),
            },
        )
        .await
        .map_err(|e| EngineError::Spawn(e.to_string()))?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                tenants,
                routes,
                root,
                ready: AtomicBool::new(false),
                call_timeout,
                progress: Progress::default(),
            }),
        })
    }

    /// Recovery: starts a supervisor for every stored tenant (each loads its records), then
    /// re-delivers every journal entry not yet applied, then marks the engine ready.
    ///
    /// # Errors
    /// When the store cannot be read or a tenant cannot start.
    pub async fn recover(&self) -> Result<RecoveryReport, EngineError> {
        let started = std::time::Instant::now();
        let p = &self.inner.progress;
        let tenants = self.inner.store.tenants()?;
        p.tenants_total.store(tenants.len(), Ordering::Relaxed);
        for t in &tenants {
            self.start_tenant(&t.shop).await?;
            p.tenants_started.fetch_add(1, Ordering::Relaxed);
        }
        let journal = self.inner.store.pending();
        let replayed = journal.len();
        p.journal_total.store(replayed, Ordering::Relaxed);
        for (seq, entry) in journal {
            let shop = entry.shop.clone();
            self.deliver(&shop, Delivered { seq, entry });
            p.journal_delivered.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.ready.store(true, Ordering::SeqCst);
        let report = RecoveryReport {
            tenants: tenants.len(),
            replayed,
            millis: started.elapsed().as_millis() as u64,
        };
        tracing::info!(
            message = "Recovery finished.",
            tenants = report.tenants,
            replayed = report.replayed,
            millis = report.millis
        );
        Ok(report)
    }

    /// True once recovery has finished (`/readyz`).
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::SeqCst)
    }

    /// How far recovery has come.
    pub fn recovery_progress(&self) -> RecoveryProgress {
        let p = &self.inner.progress;
        RecoveryProgress {
            tenants_total: p.tenants_total.load(Ordering::Relaxed),
            tenants_started: p.tenants_started.load(Ordering::Relaxed),
            journal_total: p.journal_total.load(Ordering::Relaxed),
            journal_delivered: p.journal_delivered.load(Ordering::Relaxed),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Timeout of calls into actors.
    pub fn call_timeout(&self) -> Duration {
        self.inner.call_timeout
    }

    /// Starts (or finds) the supervisor of `shop`.
    ///
    /// # Errors
    /// When the supervisor cannot start.
    pub async fn start_tenant(&self, shop: &str) -> Result<(), EngineError> {
        let shop = ShopDomain::parse(shop)?;
        self.root_call(|reply_to| RootMsg::StartTenant { shop, reply_to })
            .await?
    }

    /// Stops the supervisor of `shop` (tenant deletion).
    ///
    /// # Errors
    /// When the root actor does not answer.
    pub async fn stop_tenant(&self, shop: &str) -> Result<(), EngineError> {
        let shop = ShopDomain::parse(shop)?;
        self.root_call(|reply_to| RootMsg::StopTenant { shop, reply_to })
            .await
    }

    async fn root_call<T: Send + 'static>(
        &self,
        msg: impl FnOnce(RpcReplyPort<T>) -> RootMsg,
    ) -> Result<T, EngineError> {
        match self
            .inner
            .root
            .call(msg, Some(Duration::from_secs(30)))
            .await
        {
            Ok(ractor::rpc::CallResult::Success(v)) => Ok(v),
            Ok(ractor::rpc::CallResult::Timeout) => {
                Err(EngineError::Unavailable("timed out".into()))
            }
            Ok(ractor::rpc::CallResult::SenderError) => {
                Err(EngineError::Unavailable("the actor stopped".into()))
            }
            Err(e) => Err(EngineError::Unavailable(e.to_string())),
        }
    }

    /// Hands a journaled webhook to its tenant. If the tenant is not running, the entry
    /// stays in the journal and is applied at the next start. An entry of the operator's
    /// scope (a Meta event no tenant owned, journaled but not yet dead-lettered when the
    /// process stopped) becomes the operator's dead letter.
    pub fn deliver(&self, shop: &str, d: Delivered) {
        if shop == crate::store::OPERATOR_SCOPE {
            let reason = "no tenant owned its number or account when it came in \
                          (connect it, then replay this letter)";
            super::dead_letter(&self.inner.store, d.seq, &d.entry, reason.into());
            return;
        }
        let d = match self.deliver_to_child(shop, d) {
            Ok(()) => return,
            Err(d) => d,
        };
        match self.inner.tenants.get(shop) {
            Some(t) => {
                if let Err(error) = t.cast(TenantMsg::Deliver(d)) {
                    tracing::warn!(message = "Tenant mailbox closed; entry stays journaled.", tenant = shop, %error);
                }
            }
            None => tracing::warn!(
                message = "Tenant not running; entry stays journaled.",
                tenant = shop
            ),
        }
    }

    /// Casts a delivery straight to the child actor that applies it; gives it back when it
    /// is a tenant-level topic, or the tenant or child is not (or no longer) running.
    fn deliver_to_child(&self, shop: &str, d: Delivered) -> Result<(), Delivered> {
        let Some(routes) = self.inner.routes.get(shop).map(|r| r.value().clone()) else {
            return Err(d);
        };
        let fallback = d.clone();
        match routes.cast(d) {
            Ok(true) => Ok(()),
            Ok(false) | Err(_) => Err(fallback),
        }
    }

    /// Sends a message to a tenant's supervisor and waits for the answer.
    ///
    /// # Errors
    /// [`EngineError::TenantNotRunning`] or [`EngineError::Unavailable`].
    pub async fn call<T: Send + 'static>(
        &self,
        shop: &str,
        msg: impl FnOnce(RpcReplyPort<T>) -> TenantMsg,
    ) -> Result<T, EngineError> {
        self.call_within(shop, msg, self.inner.call_timeout).await
    }

    /// [`Self::call`] with its own timeout (long operations: a campaign launch).
    ///
    /// # Errors
    /// [`EngineError::TenantNotRunning`] or [`EngineError::Unavailable`].
    pub async fn call_within<T: Send + 'static>(
        &self,
        shop: &str,
        msg: impl FnOnce(RpcReplyPort<T>) -> TenantMsg,
        timeout: Duration,
    ) -> Result<T, EngineError> {
        let t = self
            .inner
            .tenants
            .get(shop)
            .map(|r| r.value().clone())
            .ok_or_else(|| EngineError::TenantNotRunning(shop.to_string()))?;
        match t.call(msg, Some(timeout)).await {
            Ok(ractor::rpc::CallResult::Success(v)) => Ok(v),
            Ok(ractor::rpc::CallResult::Timeout) => {
                Err(EngineError::Unavailable("timed out".into()))
            }
            Ok(ractor::rpc::CallResult::SenderError) => {
                Err(EngineError::Unavailable("the actor stopped".into()))
            }
            Err(e) => Err(EngineError::Unavailable(e.to_string())),
        }
    }

    /// Sends a message to a tenant's supervisor without waiting.
    ///
    /// # Errors
    /// [`EngineError::TenantNotRunning`] or [`EngineError::Unavailable`].
    pub fn cast(&self, shop: &str, msg: TenantMsg) -> Result<(), EngineError> {
        let t = self
            .inner
            .tenants
            .get(shop)
            .ok_or_else(|| EngineError::TenantNotRunning(shop.to_string()))?;
        t.cast(msg)
            .map_err(|e| EngineError::Unavailable(e.to_string()))
    }

    /// The running supervisor of a shop (tests look at its children).
    #[cfg(test)]
    pub(super) fn supervisor_of(&self, shop: &str) -> Option<ActorRef<TenantMsg>> {
        self.inner.tenants.get(shop).map(|r| r.value().clone())
    }

    /// Number of running tenants.
    pub fn running_tenants(&self) -> usize {
        self.inner.tenants.len()
    }

    /// Stops every actor (shutdown) and flushes the store.
    pub async fn shutdown(&self) {
        self.inner.ready.store(false, Ordering::SeqCst);
        let _ = self
            .inner
            .root
            .stop_and_wait(Some("shutdown".into()), Some(Duration::from_secs(10)))
            .await;
        if let Err(error) = self.inner.store.flush_now() {
            tracing::error!(message = "Final flush failed.", %error);
        }
    }
}

/// What recovery did.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct RecoveryReport {
    /// Tenants started.
    pub tenants: usize,
    /// Journal entries re-delivered.
    pub replayed: usize,
    /// How long it took.
    pub millis: u64,
}
