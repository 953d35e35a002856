//! `Application::build(settings)`: opens the store, starts the actor tree, binds the HTTP
//! listener (port 0 allowed) and starts recovery in the background (`/readyz` turns 200
//! when it is done). `run_until_stopped` serves until the shutdown signal, then stops the
//! actors and flushes the store.

use crate::actors::context::ActorContext;
use crate::actors::Engine;
use crate::config::{ServerSettings, Settings};
use crate::domain::Timestamp;
use crate::http::{self, AppState};
use crate::integrations::meta::client::{MetaClient, MetaClientSettings};
use crate::integrations::shopify::admin::{AdminClient, AdminSettings};
use crate::secrets::MasterKey;
use crate::store::Store;
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A built, listening engine.
pub struct Application {
    listener: TcpListener,
    addr: SocketAddr,
    engine: Engine,
    state: AppState,
    /// Timeouts and limits of the HTTP server.
    server: ServerSettings,
    /// Most connections served at once (see [`http::serve::connection_cap`]).
    max_connections: usize,
    /// Tells background tasks (the dedupe sweeper) to stop, so the store closes.
    stop: tokio::sync::watch::Sender<bool>,
}

impl Application {
    /// Builds everything and binds the listener; recovery runs in the background.
    ///
    /// # Errors
    /// Invalid settings, an open-file limit too low for any connection, an unusable data
    /// directory, or an address that cannot be bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate_for_serve()?;
        let max_connections =
            http::serve::connection_cap(&settings.server, http::serve::open_file_limit())
                .map_err(|e| anyhow::anyhow!(e))?;
        let master_key = MasterKey::parse(settings.security.master_key.expose())?;
        std::fs::create_dir_all(&settings.store.data_dir)
            .with_context(|| format!("creating data dir {}", settings.store.data_dir.display()))?;
        let store = Store::open(
            &settings.store.data_dir,
            settings.store.cache_mb * 1024 * 1024,
        )
        .with_context(|| format!("opening store in {}", settings.store.data_dir.display()))?;
        let meta = MetaClient::new(&MetaClientSettings {
            base_url: settings.meta.base_url.clone(),
            graph_version: settings.meta.graph_version.clone(),
            timeout_ms: settings.meta.request_timeout_ms,
        })?;
        let services = Arc::new(ActorContext {
            meta: meta.clone(),
            settings: settings.meta.clone(),
            master_key: master_key.clone(),
            automations: settings.automations.clone(),
            billing: settings.billing.clone(),
            campaigns: crate::config::CampaignSettings {
                link_base_url: (settings.campaigns.link_base_url.clone())
                    .or_else(|| settings.shopify.app_url.clone()),
                ..settings.campaigns.clone()
            },
        });
        let engine = Engine::start(
            store.clone(),
            services,
            Duration::from_millis(settings.server.actor_call_timeout_ms),
        )
        .await?;
        let listener = TcpListener::bind(settings.server.listen)
            .await
            .with_context(|| format!("binding {}", settings.server.listen))?;
        let addr = listener.local_addr()?;
        let mut secrets = vec![settings.shopify.client_secret.expose().as_bytes().to_vec()];
        if !settings.shopify.previous_client_secret.is_empty() {
            secrets.push(
                settings
                    .shopify
                    .previous_client_secret
                    .expose()
                    .as_bytes()
                    .to_vec(),
            );
        }
        let state = AppState {
            engine: engine.clone(),
            master_key: master_key.clone(),
            shopify_secrets: Arc::new(secrets),
            operator_token: Arc::new(settings.security.operator_token.expose().trim().to_string()),
            max_body_bytes: settings.server.max_body_bytes,
            metrics: crate::telemetry::metrics_handle(),
            meta_app_secret: Arc::new(settings.meta.app_secret.expose().to_string()),
            meta_verify_token: Arc::new(settings.meta.verify_token.expose().to_string()),
            graph_version: Arc::new(settings.meta.graph_version.clone()),
            services: crate::services::Context {
                engine: engine.clone(),
                meta,
                master_key: master_key.clone(),
                meta_app_id: settings.meta.app_id.clone().map(Arc::new),
                meta_app_secret: Arc::new(settings.meta.app_secret.expose().to_string()),
                shopify: AdminClient::new(AdminSettings::from_config(&settings.shopify))?,
                shopify_webhook_url: settings.shopify.webhook_callback_url.clone().map(Arc::new),
                shopify_app: Arc::new(crate::services::shopify_auth::ShopifyApp {
                    client_id: settings.shopify.client_id.clone(),
                    client_secret: settings.shopify.client_secret.expose().to_string(),
                    previous_secret: Some(
                        settings.shopify.previous_client_secret.expose().to_string(),
                    )
                    .filter(|s| !s.is_empty()),
                    scopes: settings.shopify.scopes.clone(),
                    app_url: settings.shopify.app_url.clone(),
                    expiring: settings.shopify.expiring_tokens,
                    refresh_margin_s: settings.shopify.token_refresh_margin_s as i64,
                }),
                shopify_refresh: Arc::new(dashmap::DashMap::new()),
                import_poll: Duration::from_millis(settings.shopify.import_poll_ms.max(10)),
                import_wake: Arc::new(tokio::sync::Notify::new()),
                billing: Arc::new(settings.billing.clone()),
                catalog: Arc::new(settings.catalog.clone()),
                campaigns: Arc::new(settings.campaigns.clone()),
                automations: Arc::new(settings.automations.clone()),
            },
            storefront: Arc::new(http::storefront::guard::Guard::new(&settings.storefront)),
        };
        let recovering = engine.clone();
        let registering = state.services.clone();
        tokio::spawn(async move {
            if let Err(error) = recovering.recover().await {
                tracing::error!(message = "Recovery failed; the engine stays not ready.", %error);
                return;
            }
            crate::services::shopify_import::resume_all(&registering);
            register_webhooks(&registering).await;
        });
        let (stop, stopped) = tokio::sync::watch::channel(false);
        spawn_checkpoints(store.clone(), stopped.clone());
        spawn_seen_sweeper(
            store,
            settings.store.dedupe_retention_hours,
            stopped.clone(),
        );
        spawn_reconciliation(
            state.services.clone(),
            settings.shopify.reconcile_minutes,
            settings.shopify.abandoned_checkout_poll_minutes,
            stopped.clone(),
        );
        spawn_catalog_push(
            state.services.clone(),
            Duration::from_millis(settings.catalog.push_interval_ms),
            stopped.clone(),
        );
        spawn_template_sync(
            state.services.clone(),
            settings.meta.template_sync_minutes,
            stopped,
        );
        tracing::info!(message = "Listening.", %addr, max_connections);
        Ok(Self {
            listener,
            addr,
            engine,
            state,
            server: settings.server.clone(),
            max_connections,
            stop,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The engine handle (tests, sandbox).
    pub fn engine(&self) -> Engine {
        self.engine.clone()
    }

    /// Serves until `shutdown` resolves, then stops actors and flushes.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = http::app(self.state, &self.server);
        http::serve::serve(
            self.listener,
            router,
            &self.server,
            self.max_connections,
            shutdown,
        )
        .await;
        let _ = self.stop.send(true);
        self.engine.shutdown().await;
        tracing::info!(message = "Stopped.");
        Ok(())
    }
}

/// At start, once recovered, for every active tenant with a Shopify token (one at a
/// time; a failure is in that tenant's health and logs): a non-expiring token is
/// migrated to an expiring one when the app asks for those (and installs are
/// configured), then its webhook subscriptions are reconciled.
async fn register_webhooks(services: &crate::services::Context) {
    let Ok(tenants) = services.engine.store().tenants() else {
        return;
    };
    let migrate = services.shopify_app.expiring && !services.shopify_app.client_id.is_empty();
    for t in tenants.iter().filter(|t| shopify_active(t)) {
        if migrate {
            if let Err(error) =
                crate::services::shopify_auth::migrate_to_expiring(services, &t.shop).await
            {
                tracing::warn!(message = "Migrating the Shopify token to an expiring one failed.", shop = %t.shop, %error);
            }
        }
        if services.shopify_webhook_url.is_some() {
            let _ = crate::services::shopify_webhooks::reconcile(services, &t.shop).await;
        }
    }
}

/// The periodic Shopify reads of every active tenant: customers reconciled every
/// `reconcile` minutes (a webhook Shopify dropped is repaired within the period) and open
/// abandoned checkouts polled every `checkouts` minutes (0: off; a fraction of a minute
/// for tests; a negative or absurd value: off, with a warning).
fn spawn_reconciliation(
    services: crate::services::Context,
    reconcile: u64,
    checkouts: f64,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let reconcile = Duration::from_secs(reconcile.saturating_mul(60));
    let checkouts = Duration::try_from_secs_f64(checkouts * 60.0).unwrap_or_else(|_| {
        tracing::warn!(
            message =
                "shopify.abandoned_checkout_poll_minutes is not a usable period; the poll is off.",
            minutes = checkouts
        );
        Duration::ZERO
    });
    spawn_per_tenant(services.clone(), reconcile, stopped.clone(), |s, t| {
        Box::pin(async move {
            if shopify_active(&t) {
                if let Err(error) = crate::services::shopify_reconcile::all(&s, &t.shop).await {
                    tracing::warn!(message = "Reconciliation failed.", shop = %t.shop, %error);
                }
            }
        })
    });
    spawn_per_tenant(services, checkouts, stopped, |s, t| {
        Box::pin(async move {
            if shopify_active(&t) {
                if let Err(error) = crate::services::shopify_checkouts::poll(&s, &t.shop).await {
                    tracing::warn!(message = "Abandoned-checkout poll failed.", shop = %t.shop, %error);
                }
            }
        })
    });
}

/// The Meta catalog push: every `every` (`catalog.push_interval_ms`; the wait is what
/// coalesces a burst of product changes into few calls), each tenant's queue drained
/// under its budget (`services::catalog_push`).
fn spawn_catalog_push(
    services: crate::services::Context,
    every: Duration,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    spawn_per_tenant(services, every, stopped, |s, t| {
        Box::pin(async move {
            if t.status != crate::store::tenants::TenantStatus::Active {
                return;
            }
            if let Err(error) = crate::services::catalog_push::drain(&s, &t.shop).await {
                tracing::warn!(message = "Catalog push failed.", shop = %t.shop, %error);
            }
        })
    });
}

/// An installed tenant with a Shopify token (the Admin API can be called for it).
fn shopify_active(t: &crate::store::TenantRecord) -> bool {
    t.status == crate::store::tenants::TenantStatus::Active && !t.shopify_token.is_empty()
}

/// A job run for every tenant, one after the other, every `every` (zero: never; the
/// first run one period after start) until `stopped`.
fn spawn_per_tenant(
    services: crate::services::Context,
    every: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    job: impl Fn(
            crate::services::Context,
            crate::store::TenantRecord,
        ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>>
        + Send
        + 'static,
) {
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => return,
            }
            // Journaled deliveries go to the actors only once recovery has replayed the
            // journal (a short period in tests can tick before that).
            if !services.engine.is_ready() {
                continue;
            }
            let Ok(tenants) = services.engine.store().tenants() else {
                continue;
            };
            for t in tenants {
                job(services.clone(), t).await;
            }
        }
    });
}

/// Checkpoints the write-ahead log every second (see `store::wal`).
fn spawn_checkpoints(store: Store, mut stopped: tokio::sync::watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => return,
            }
            if let Err(error) = store.checkpoint().await {
                tracing::error!(message = "Write-ahead log checkpoint failed.", %error);
            }
        }
    });
}

/// Removes dedupe markers older than the retention, hourly.
fn spawn_seen_sweeper(
    store: Store,
    retention_hours: u64,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => return,
            }
            let before =
                Timestamp(Timestamp::now().millis() - (retention_hours as i64) * 3_600_000);
            let s = store.clone();
            match tokio::task::spawn_blocking(move || s.sweep_seen(before)).await {
                Ok(Ok(n)) if n > 0 => {
                    tracing::info!(message = "Swept dedupe markers.", removed = n)
                }
                Ok(Err(error)) => tracing::warn!(message = "Dedupe sweep failed.", %error),
                _ => {}
            }
        }
    });
}

/// Reconciles every WhatsApp-connected tenant's templates with Meta periodically, so a
/// missed status webhook cannot leave a template in the wrong state for long.
fn spawn_template_sync(
    services: crate::services::Context,
    minutes: u64,
    stopped: tokio::sync::watch::Receiver<bool>,
) {
    let every = Duration::from_secs(minutes.saturating_mul(60));
    spawn_per_tenant(services, every, stopped, |s, t| {
        Box::pin(async move {
            if t.meta_token.is_none() || t.meta_waba_id.is_none() {
                return;
            }
            if let Err(error) = crate::services::templates::reconcile(&s, &t.shop).await {
                tracing::warn!(message = "Template reconciliation failed.", tenant = %t.shop, %error);
            }
        })
    });
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
