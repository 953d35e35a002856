//! `galantis sandbox`: the engine on a local data dir with a generated master key and a
//! demo tenant, fed a generated store through the real, signed webhook endpoint.
//!
//! - [`settings`]: `<data dir>/sandbox.toml`, the secrets and seed reused by every run.
//! - [`generate`]: the sample store as a pure, seeded list of Shopify webhook deliveries.
//! - [`payloads`]: the Shopify webhook body builders the generator, the API tests and the
//!   benches share.
//! - [`feed`]: signs and sends them to `POST /webhooks/shopify`, with progress lines.
//! - [`summary`]: what to print at the end (URLs, keys, curl lines).
//! - [`meta`]: the Meta (WhatsApp Cloud API) emulator; [`whatsapp`] wires it to the demo
//!   tenant so a newcomer sees messages flow and can chat from the customer's side.
//!
//! The sandbox talks to the engine only over HTTP, like Shopify and an operator would:
//! it owns no engine internals and must not reach into the store or the actors.

pub mod automations;
pub mod campaigns;
pub mod catalog;
pub mod feed;
pub mod generate;
pub mod install;
pub mod meta;
pub mod payloads;
pub mod settings;
pub mod shopify;
pub mod summary;
pub mod whatsapp;

use crate::app::{shutdown_signal, Application};
use crate::config::{LogFormat, Settings};
use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};
use settings::SandboxFile;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::oneshot;

/// The demo tenant.
pub const DEMO_SHOP: &str = "demo-store.myshopify.com";
/// Seed used for a new data dir unless `--seed` says otherwise.
const DEFAULT_SEED: u64 = 20_260_401;
/// How long to wait for `/readyz`.
const READY_TIMEOUT: Duration = Duration::from_secs(120);

/// `sandbox` options.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Data directory (kept between runs).
    #[arg(long, default_value = "data/run/sandbox")]
    pub data_dir: PathBuf,
    /// Number of customers to generate.
    #[arg(long, default_value_t = 200)]
    pub customers: usize,
    /// Seed of the generated store; fixed in `sandbox.toml` by the first run of a data dir.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Start the engine and the demo tenant but feed nothing.
    #[arg(long)]
    pub no_feed: bool,
    /// Flow time runs this many times faster than the clock (1440: a day per minute),
    /// so the example flows' delays pass while you watch. 1 is real time.
    #[arg(long, default_value_t = automations::TIME_SCALE)]
    pub time_scale: u32,
}

/// Runs the sandbox until Ctrl-C.
///
/// # Errors
/// When the engine cannot start, the demo tenant cannot be created, or the sandbox file
/// cannot be read or written.
pub async fn run(args: SandboxArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data dir {}", args.data_dir.display()))?;
    let path = SandboxFile::path(&args.data_dir);
    let mut file = load_or_create(&path, args.seed)?;
    let mut settings = engine_settings(&args, &file);
    crate::telemetry::init_logs(settings.log.format, &settings.log.level);
    let meta_secret = whatsapp::app_secret(&file.shopify_client_secret);
    let emulator = whatsapp::start_emulator(&meta_secret).await?;
    let shopify = install::start_emulator(&file.shop, &file.shopify_client_secret).await;
    if let Some(emu) = &shopify {
        settings.shopify.admin_base_url = Some(emu.base_url().to_string());
        settings.shopify.client_id = install::CLIENT_ID.into();
        settings.shopify.app_url = Some(base_url(args.listen));
        settings.shopify.webhook_callback_url =
            Some(format!("{}/webhooks/shopify", base_url(args.listen)));
        settings.shopify.import_poll_ms = 50;
        // Billing on, with test charges, so the demo shop subscribes like a merchant.
        settings.billing.enabled = true;
        settings.billing.test_charges = true;
        settings.billing.trial_days = 0;
    }
    settings.meta.base_url = emulator.base_url().to_string();
    settings.meta.app_secret = crate::config::Secret::new(meta_secret);
    settings.meta.app_id = Some(meta::EmulatorConfig::default().app_id);
    let app = Application::build(settings).await?;
    let base = base_url(app.addr());
    let (stop, stopped) = oneshot::channel::<()>();
    let shutdown = async move {
        tokio::select! {
            () = shutdown_signal() => {},
            _ = stopped => {},
        }
    };
    let mut server = tokio::spawn(app.run_until_stopped(shutdown));
    let prepared = tokio::select! {
        r = prepare(&args, &mut file, &path, &base, &emulator, shopify.is_some()) => r,
        r = &mut server => {
            // Stopped (Ctrl-C, or the server failed) before the store was fed.
            return joined(r);
        }
    };
    if let Err(e) = prepared {
        let _ = stop.send(());
        let _ = server.await;
        return Err(e);
    }
    println!("Serving until Ctrl-C (rerun with the same --data-dir to keep data and keys).");
    let result = joined(server.await);
    drop(stop);
    result
}

fn joined(r: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    r.context("the server task failed")?
}

/// Reads `sandbox.toml`, or creates it with fresh secrets.
fn load_or_create(path: &Path, seed: Option<u64>) -> anyhow::Result<SandboxFile> {
    if let Some(file) = SandboxFile::load(path)? {
        if let Some(s) = seed.filter(|s| *s != file.seed) {
            eprintln!(
                "note: --seed {s} ignored: this data dir was generated with seed {} \
                 (use a new --data-dir for another store)",
                file.seed
            );
        }
        return Ok(file);
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let file = SandboxFile::generate(DEMO_SHOP, seed.unwrap_or(DEFAULT_SEED), now);
    file.save(path)?;
    println!("Generated new sandbox secrets in {}", path.display());
    Ok(file)
}

/// Engine settings: defaults, the sandbox's secrets, pretty logs.
fn engine_settings(args: &SandboxArgs, file: &SandboxFile) -> Settings {
    use crate::config::Secret;
    let mut s = Settings::default();
    s.server.listen = args.listen;
    s.store.data_dir = args.data_dir.join("store");
    s.security.master_key = Secret::new(file.master_key.clone());
    s.security.operator_token = Secret::new(file.operator_token.clone());
    s.shopify.client_secret = Secret::new(file.shopify_client_secret.clone());
    // The demo shop is not reachable on Shopify: no periodic reconciliation against it.
    s.shopify.reconcile_minutes = 0;
    s.shopify.abandoned_checkout_poll_minutes = 0.0;
    s.log.format = LogFormat::Pretty;
    s.automations.time_scale = args.time_scale.max(1);
    // The demo catalog is pushed within a second of a change.
    s.catalog.push_interval_ms = 1_000;
    s.catalog.status_poll_ms = 100;
    s
}

/// `http://host:port` to reach the engine from this machine.
fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Waits for readiness, ensures the tenant, feeds the store, prints the summary.
async fn prepare(
    args: &SandboxArgs,
    file: &mut SandboxFile,
    path: &Path,
    base: &str,
    emulator: &meta::MetaEmulator,
    shopify: bool,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    wait_ready(&client, base).await?;
    let installed = if shopify {
        match install::install(base, &file.shop, &file.shopify_client_secret).await {
            Ok(Some(key)) => {
                file.tenant_api_key = Some(key);
                file.save(path)?;
                true
            }
            Ok(None) => true,
            Err(e) => {
                eprintln!("note: installing through the Shopify emulator failed: {e:#}");
                false
            }
        }
    } else {
        false
    };
    if !installed {
        ensure_tenant(&client, base, file, path).await?;
    }
    let auth = summary::Auth::new(file);
    let imported = if installed {
        match install::import(&client, base, &auth).await {
            Ok(job) => Some(job),
            Err(e) => {
                eprintln!("note: the import did not complete: {e:#}");
                None
            }
        }
    } else {
        None
    };
    let billing = if installed {
        match install::subscribe(&client, base, &auth).await {
            Ok(v) => Some(v),
            Err(e) => {
                eprintln!("note: the demo subscription did not complete: {e:#}");
                None
            }
        }
    } else {
        None
    };
    // WhatsApp and the example flows first, so the feed's checkouts, orders and new
    // customers go through the flows.
    let connected = whatsapp::connect(&client, base, &auth, emulator).await;
    if let Err(e) = &connected {
        eprintln!("note: WhatsApp sandbox setup failed: {e:#}");
    } else if let Err(e) = automations::install(&client, base, &auth, emulator).await {
        eprintln!("note: the example flows could not be installed: {e:#}");
    }
    let data = generate::SampleData::embedded()?;
    let now = time::OffsetDateTime::from_unix_timestamp(file.store_now)
        .context("sandbox.toml: store_now is not a valid Unix time")?;
    let store = generate::generate(
        &data,
        &generate::Options {
            seed: file.seed,
            customers: args.customers,
            now,
        },
    );
    let facts = store.facts.clone();
    let report = if args.no_feed {
        feed::FeedReport::default()
    } else {
        println!(
            "Feeding {} webhooks to {base}/webhooks/shopify ({} at a time)…",
            store.len(),
            feed::CONCURRENCY
        );
        let feeder = feed::Feeder::new(base, &file.shop, &file.shopify_client_secret)?;
        feeder.feed(store.phases).await
    };
    // The tenant applies what was acknowledged asynchronously; give it a moment before
    // counting dead letters.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let dead_letters = count_dead_letters(&client, base, &auth).await;
    let catalog = if connected.is_ok() {
        match catalog::connect(&client, base, &auth, &data.shop.currency).await {
            Ok(h) => Some(h),
            Err(e) => {
                eprintln!("note: the Meta catalog did not sync: {e:#}");
                None
            }
        }
    } else {
        None
    };
    summary::print(&summary::Summary {
        base,
        data_dir: &args.data_dir,
        sandbox_file: path,
        file,
        auth: &auth,
        facts: &facts,
        report: &report,
        dead_letters,
    });
    if let Some(jobs) = &imported {
        let rows: Vec<String> = jobs
            .iter()
            .map(|j| {
                format!(
                    "{} {} rows",
                    j["resource"].as_str().unwrap_or("?"),
                    j["rows_applied"]
                )
            })
            .collect();
        println!(
            " Import          the store's history from the Shopify emulator's bulk operations: {} (children joined; history starts no flow)\n                 → curl -H 'Authorization: Bearer {}' {base}/api/v1/imports",
            rows.join(", "),
            auth.token
        );
        println!(
            " Shopify health  webhook subscriptions reconciled at start, token checked\n                 → curl -H 'Authorization: Bearer {}' {base}/api/v1/integrations/health",
            auth.token
        );
    }
    if let Some(b) = &billing {
        println!(
            " Billing         the {} plan, approved at Shopify's confirmation page and in force by its webhook: {} of {} conversations used this month\n                 → curl -H 'Authorization: Bearer {}' {base}/api/v1/billing",
            b["plan"].as_str().unwrap_or("?"),
            b["used"],
            b["included"],
            auth.token
        );
    }
    if let Some(h) = &catalog {
        catalog::print(base, emulator, &auth, h);
    }
    if connected.is_ok() {
        whatsapp::print(base, emulator, &auth);
        // Let the first delays (30 minutes of flow time: about a second) go by.
        tokio::time::sleep(Duration::from_secs(3)).await;
        if let Err(e) = automations::print(&client, base, &auth, emulator).await {
            eprintln!("note: could not read the flows: {e:#}");
        }
        let feeder = feed::Feeder::new(base, &file.shop, &file.shopify_client_secret)?;
        match campaigns::run(&client, base, &auth, emulator, &feeder).await {
            Ok(c) => campaigns::print(base, &auth, (&file.shop, &file.operator_token), &c),
            Err(e) => eprintln!("note: the demo campaign did not run: {e:#}"),
        }
    }
    Ok(())
}

/// Polls `/readyz` until 200.
async fn wait_ready(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let url = format!("{base}/readyz");
    let started = std::time::Instant::now();
    loop {
        if let Ok(r) = client.get(&url).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if started.elapsed() > READY_TIMEOUT {
            bail!("the engine at {base} did not become ready within {READY_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates the demo tenant, or keeps the existing one (its key is in the sandbox file).
async fn ensure_tenant(
    client: &reqwest::Client,
    base: &str,
    file: &mut SandboxFile,
    path: &Path,
) -> anyhow::Result<()> {
    let body = json!({
        "shop": file.shop,
        // The sandbox never calls Shopify; the token is only sealed and stored.
        "shopify_access_token": format!("shpat_sandbox_{}", file.seed),
    });
    let resp = client
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(&file.operator_token)
        .json(&body)
        .send()
        .await
        .context("creating the demo tenant")?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    match status.as_u16() {
        201 => {
            let v: Value = serde_json::from_str(&text).context("tenant creation answer")?;
            let key = v["api_key"]
                .as_str()
                .context("tenant creation answer has no api_key")?;
            file.tenant_api_key = Some(key.to_string());
            file.save(path)?;
            println!("Created tenant {}.", file.shop);
        }
        409 if file.tenant_api_key.is_some() => {
            println!("Tenant {} exists; reusing it.", file.shop);
        }
        409 => eprintln!(
            "note: tenant {} exists but its API key is not in {} (it is shown only once); \
             the examples below use the operator token with X-Galantis-Shop instead",
            file.shop,
            path.display()
        ),
        _ => bail!("creating tenant {}: HTTP {status}: {text}", file.shop),
    }
    Ok(())
}

/// Number of the tenant's dead letters (`None` when it cannot be read).
async fn count_dead_letters(
    client: &reqwest::Client,
    base: &str,
    auth: &summary::Auth,
) -> Option<usize> {
    let mut req = client
        .get(format!("{base}/api/v1/deadletters"))
        .bearer_auth(&auth.token);
    if let Some(shop) = &auth.shop_header {
        req = req.header("X-Galantis-Shop", shop);
    }
    let resp = req.send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let v: Value = resp.json().await.ok()?;
    v["items"].as_array().map(Vec::len)
}
