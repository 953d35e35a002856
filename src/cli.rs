//! The command line: `serve`, `sandbox`, `config check`, `keygen`, and operator commands
//! (`tenant …`, `deadletter …`, `import …`, `campaign …`) that talk to a running engine
//! over its admin API.

mod campaign;

use crate::app::{shutdown_signal, Application};
use crate::config::Settings;
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Galantis: Shopify stores to WhatsApp.
#[derive(Debug, Parser)]
#[command(name = "galantis", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the engine.
    Serve(ServeArgs),
    /// Run the engine on a local data dir with a demo tenant fed with a generated store.
    Sandbox(crate::sandbox::SandboxArgs),
    /// Configuration commands.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print a new random master key (hex) for GALANTIS_MASTER_KEY.
    Keygen,
    /// Manage tenants on a running engine (operator token required).
    Tenant {
        /// What to do.
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Inspect and replay dead letters on a running engine (operator token required).
    Deadletter {
        /// What to do.
        #[command(subcommand)]
        command: DeadletterCommand,
    },
    /// Import a shop's existing records from Shopify and watch the progress (operator
    /// token required).
    Import {
        /// What to do.
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Watch a shop's campaigns on a running engine (operator token required).
    Campaign {
        /// What to do.
        #[command(subcommand)]
        command: campaign::CampaignCommand,
    },
}

/// `import` subcommands.
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Start importing (an unfinished import is not started twice), then show its
    /// progress until it ends.
    Start {
        /// `{name}.myshopify.com`.
        #[arg(long)]
        shop: String,
        /// What to import: `customers`, `products`, `orders`, `collections`, several
        /// separated by commas, or `all`.
        #[arg(long, default_value = "customers")]
        resource: String,
        /// Return at once instead of following the progress.
        #[arg(long)]
        no_wait: bool,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
    /// Show the shop's imports (and follow a running one with `--watch`).
    Status {
        /// `{name}.myshopify.com`.
        #[arg(long)]
        shop: String,
        /// Follow until every import has ended.
        #[arg(long)]
        watch: bool,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `serve` options (each overrides the config file and environment).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML config file.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory of the store.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Load and validate the configuration, print it with secrets redacted.
    Check {
        /// TOML config file.
        #[arg(long)]
        config: Option<PathBuf>,
    },
}

/// Where the running engine is and how to authenticate.
#[derive(Debug, Args)]
pub struct Remote {
    /// Base URL of the engine.
    #[arg(long, default_value = "http://127.0.0.1:8080", env = "GALANTIS_URL")]
    pub url: String,
    /// Operator token.
    #[arg(long, env = "GALANTIS_OPERATOR_TOKEN", hide_env_values = true)]
    pub operator_token: String,
}

/// `tenant` subcommands.
#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Add a tenant; prints its API key once.
    Add {
        /// `{name}.myshopify.com`.
        #[arg(long)]
        shop: String,
        /// Shopify Admin API access token.
        #[arg(long, env = "GALANTIS_NEW_SHOPIFY_TOKEN", hide_env_values = true)]
        shopify_token: String,
        /// WhatsApp Cloud API token.
        #[arg(long)]
        meta_token: Option<String>,
        /// WhatsApp phone number id (repeatable).
        #[arg(long = "phone-number-id")]
        phone_number_ids: Vec<String>,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
    /// List tenants.
    List {
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
    /// Remove a tenant and all its data.
    Remove {
        /// `{name}.myshopify.com`.
        #[arg(long)]
        shop: String,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
}

/// `deadletter` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeadletterCommand {
    /// List a shop's dead letters; without `--shop`, the operator's (Meta events that named
    /// no tenant's number or account).
    List {
        /// `{name}.myshopify.com`; omit it for the operator's letters.
        #[arg(long)]
        shop: Option<String>,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
    /// Replay one dead letter (or all of a shop's with `--all`); without `--shop`, the
    /// operator's, each to the tenant that owns its number or account by then.
    Replay {
        /// `{name}.myshopify.com`; omit it for the operator's letters.
        #[arg(long)]
        shop: Option<String>,
        /// The dead letter id.
        id: Option<u64>,
        /// Replay every dead letter of the shop.
        #[arg(long)]
        all: bool,
        /// Connection.
        #[command(flatten)]
        remote: Remote,
    },
}

/// Runs the parsed command.
///
/// # Errors
/// Whatever the command fails with, as a message for the operator.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Sandbox(args) => crate::sandbox::run(args).await,
        Command::Config {
            command: ConfigCommand::Check { config },
        } => {
            let s = Settings::load(config.as_deref())?;
            s.validate_for_serve()?;
            println!("{s:#?}");
            println!("configuration OK");
            Ok(())
        }
        Command::Keygen => {
            println!("{}", crate::secrets::MasterKey::generate_hex());
            Ok(())
        }
        Command::Tenant { command } => tenant(command).await,
        Command::Deadletter { command } => deadletter(command).await,
        Command::Import { command } => import(command).await,
        Command::Campaign { command } => campaign::run(command).await,
    }
}

/// One line per import: a bar over the rows read of the operation's total (when Shopify
/// has said it), the counts and the status.
fn progress_line(job: &serde_json::Value) -> String {
    let read = job["rows_read"].as_u64().unwrap_or(0);
    let total = job["rows_total"].as_u64();
    let width = 30usize;
    let filled = match total {
        Some(t) if t > 0 => ((read.min(t) * width as u64) / t) as usize,
        _ => 0,
    };
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(width - filled));
    let of = total.map_or("?".to_string(), |t| t.to_string());
    format!(
        "{:<10} [{bar}] {read}/{of} rows read, {} applied, {} skipped  {}{}",
        job["resource"].as_str().unwrap_or("?"),
        job["rows_applied"].as_u64().unwrap_or(0),
        job["rows_skipped"].as_u64().unwrap_or(0),
        job["status"].as_str().unwrap_or("?"),
        job["error"]
            .as_str()
            .map(|e| format!(": {e}"))
            .unwrap_or_default(),
    )
}

async fn import(cmd: ImportCommand) -> anyhow::Result<()> {
    use reqwest::Method;
    let (shop, remote, follow) = match cmd {
        ImportCommand::Start {
            shop,
            resource,
            no_wait,
            remote,
        } => {
            let resources: Vec<&str> = if resource.trim() == "all" {
                vec!["collections", "products", "customers", "orders"]
            } else {
                resource.split(',').map(str::trim).collect()
            };
            let body = serde_json::json!({ "resources": resources });
            request(
                &remote,
                Method::POST,
                "/api/v1/imports",
                Some(&shop),
                Some(body),
            )
            .await?;
            (shop, remote, !no_wait)
        }
        ImportCommand::Status {
            shop,
            watch,
            remote,
        } => (shop, remote, watch),
    };
    let mut last = String::new();
    loop {
        let v = request(&remote, Method::GET, "/api/v1/imports", Some(&shop), None).await?;
        let jobs = v["items"].as_array().cloned().unwrap_or_default();
        let lines: Vec<String> = jobs.iter().map(progress_line).collect();
        let text = lines.join("\n");
        if text != last {
            println!("{text}");
            last = text;
        }
        let running = jobs
            .iter()
            .any(|j| !matches!(j["status"].as_str(), Some("DONE" | "FAILED")));
        if !follow || !running {
            if jobs.is_empty() {
                println!("no imports for {shop}");
            }
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut s = Settings::load(args.config.as_deref())?;
    if let Some(l) = args.listen {
        s.server.listen = l;
    }
    if let Some(d) = args.data_dir {
        s.store.data_dir = d;
    }
    crate::telemetry::init_logs(s.log.format, &s.log.level);
    let app = Application::build(s).await?;
    app.run_until_stopped(shutdown_signal()).await
}

async fn request(
    remote: &Remote,
    method: reqwest::Method,
    path: &str,
    shop: Option<&str>,
    body: Option<serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let url = format!("{}{}", remote.url.trim_end_matches('/'), path);
    let mut req = reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(&remote.operator_token);
    if let Some(s) = shop {
        req = req.header("X-Galantis-Shop", s);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.with_context(|| {
        format!("cannot reach the engine at {url}; is `galantis serve` running?")
    })?;
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{status}: {text}");
    }
    if text.is_empty() {
        return Ok(serde_json::Value::Null);
    }
    Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

fn print(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

async fn tenant(cmd: TenantCommand) -> anyhow::Result<()> {
    use reqwest::Method;
    match cmd {
        TenantCommand::Add {
            shop,
            shopify_token,
            meta_token,
            phone_number_ids,
            remote,
        } => {
            let body = serde_json::json!({
                "shop": shop,
                "shopify_access_token": shopify_token,
                "meta_access_token": meta_token,
                "meta_phone_number_ids": phone_number_ids,
            });
            let v = request(&remote, Method::POST, "/api/v1/tenants", None, Some(body)).await?;
            print(&v);
            eprintln!("The api_key above is shown only once. Store it now.");
        }
        TenantCommand::List { remote } => {
            print(&request(&remote, Method::GET, "/api/v1/tenants", None, None).await?)
        }
        TenantCommand::Remove { shop, remote } => {
            request(
                &remote,
                Method::DELETE,
                &format!("/api/v1/tenants/{shop}"),
                None,
                None,
            )
            .await?;
            println!("removed {shop}");
        }
    }
    Ok(())
}

/// Every dead letter id of `shop`, following the list's pages (500 at a time).
async fn all_dead_letter_ids(remote: &Remote, shop: Option<&str>) -> anyhow::Result<Vec<u64>> {
    let mut ids: Vec<u64> = Vec::new();
    loop {
        let path = match ids.last() {
            Some(a) => format!("/api/v1/deadletters?limit=500&after={a}"),
            None => "/api/v1/deadletters?limit=500".to_string(),
        };
        let page = request(remote, reqwest::Method::GET, &path, shop, None).await?;
        let got: Vec<u64> = page["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["id"].as_u64()).collect())
            .unwrap_or_default();
        ids.extend(got);
        if page["next_after"].is_null() {
            return Ok(ids);
        }
    }
}

async fn deadletter(cmd: DeadletterCommand) -> anyhow::Result<()> {
    use reqwest::Method;
    match cmd {
        DeadletterCommand::List { shop, remote } => print(
            &request(
                &remote,
                Method::GET,
                "/api/v1/deadletters",
                shop.as_deref(),
                None,
            )
            .await?,
        ),
        DeadletterCommand::Replay {
            shop,
            id,
            all,
            remote,
        } => {
            let ids: Vec<u64> = match (id, all) {
                (Some(id), false) => vec![id],
                (None, true) => all_dead_letter_ids(&remote, shop.as_deref()).await?,
                _ => bail!("give either a dead letter id or --all"),
            };
            for id in ids {
                let r = request(
                    &remote,
                    Method::POST,
                    &format!("/api/v1/deadletters/{id}/replay"),
                    shop.as_deref(),
                    None,
                )
                .await;
                match r {
                    Ok(v) => print(&v),
                    // With --all, one letter that cannot go anywhere yet (an operator
                    // letter no tenant owns: 409) does not stop the others.
                    Err(e) if all => eprintln!("dead letter {id}: {e:#}"),
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(())
}
