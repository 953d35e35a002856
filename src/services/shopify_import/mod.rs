//! The initial import of a shop's existing records by bulk operation: the bulk query
//! started, its completion polled, the JSONL result streamed (never held whole: read in
//! chunks, line by line), each row turned into the deliveries the webhook logic applies
//! (`logic::shopify::import`) and journaled like webhooks — so the same rules hold: a
//! webhook newer than the row wins, a deleted record is never brought back. Progress is a
//! durable record per resource (`Kind::Import`); a restart resumes an unfinished import
//! at the last line whose deliveries were on disk, and the rows between that point and a
//! crash are journaled again under the same webhook ids, so the dedupe drops them: no
//! duplicates. The journal's backlog is bounded while importing (the import waits for
//! the actors), so memory holds the contacts, not the file.
//!
//! Four resources: customers and collections are flat (one line, one record: journaled
//! as they are read); products (variants, image media, collection membership) and orders
//! (line items) have children, which Shopify writes after their parent but not
//! necessarily right after, so their lines are first staged on disk by owner
//! (`store::import_stage`, status `READING`) and then read back one complete group at a
//! time, joined and journaled (`JOINING`); memory holds one group, not the file. Both
//! phases record their progress durably in the same batch as their writes.
//!
//! Order between resources: products wait for a running collections import and orders
//! for running customers and products imports of the same shop, so membership, contacts
//! and product vendors are there when the rows that read them arrive.
//!
//! The imported rows are the store's history: their events start no flow run
//! (`domain::events::HISTORY`).

mod join;
mod read;

use super::shopify_auth::{self, AuthError};
use super::shopify_ingest::wait_applied;
use super::Context;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::{documents, ops, AdminError};
use crate::logic::shopify::import::{
    collection_row, customer_row, gid_number, order_group, product_group, Group,
    ImportError as RowError, RowDelivery,
};
use crate::store::{Batch, Kind, StoreError};
use serde::{Deserialize, Serialize};

/// Lines journaled (or staged) between two progress records (and durable waits).
const CHUNK_LINES: u64 = 200;

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ImportStatus {
    /// Asking Shopify to start the bulk operation.
    Starting,
    /// Shopify is running it.
    Running,
    /// Reading the result file.
    Reading,
    /// Every row journaled and applied.
    Done,
    /// Shopify failed the operation (or refused the token); see `error`.
    Failed,
    /// Joining staged rows with their children and journaling them (products, orders).
    /// Added last so stored jobs still decode.
    Joining,
}

/// One resource's import and its progress.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportJob {
    /// `customers`, `products`, `orders` or `collections`.
    pub resource: String,
    /// Where it is.
    pub status: ImportStatus,
    /// Shopify's bulk operation.
    pub operation_id: Option<String>,
    /// Lines read from the result file.
    pub rows_read: u64,
    /// Rows whose deliveries are journaled (applied by the actors in order).
    pub rows_applied: u64,
    /// Rows that could not be read (named in the logs).
    pub rows_skipped: u64,
    /// The resume point: lines fully journaled.
    pub lines_done: u64,
    /// Started (ms).
    pub started_ms: i64,
    /// Last progress (ms).
    pub updated_ms: i64,
    /// Why it failed.
    pub error: Option<String>,
    /// Rows in the result, once Shopify has finished the operation.
    pub rows_total: Option<u64>,
    /// The journal position of the newest delivery this run journaled (not stored: the
    /// import is done once it is applied).
    #[serde(skip)]
    pub last_seq: Option<u64>,
}

/// Why an import cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A resource this engine does not import.
    #[error("`{0}` cannot be imported; supported: customers, products, orders, collections")]
    Unknown(String),
    /// The shop's token.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// Shopify.
    #[error(transparent)]
    Shopify(#[from] AdminError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a resource's lines become deliveries.
#[derive(Clone, Copy)]
enum Rows {
    /// One line, one record.
    Flat(fn(u64, u64, &str) -> Result<Vec<RowDelivery>, RowError>),
    /// A root row and its children, joined through `__parentId`.
    Grouped(fn(u64, u64, &Group) -> Result<Vec<RowDelivery>, RowError>),
}

/// An importable resource.
struct Resource {
    name: &'static str,
    /// Its job's record id (and staging area).
    id: u64,
    rows: Rows,
    /// Resources whose running import this one waits for.
    after: &'static [&'static str],
}

const RESOURCES: &[Resource] = &[
    Resource {
        name: "customers",
        id: 1,
        rows: Rows::Flat(customer_row),
        after: &[],
    },
    Resource {
        name: "products",
        id: 2,
        rows: Rows::Grouped(product_group),
        after: &["collections"],
    },
    Resource {
        name: "orders",
        id: 3,
        rows: Rows::Grouped(order_group),
        after: &["customers", "products"],
    },
    Resource {
        name: "collections",
        id: 4,
        rows: Rows::Flat(collection_row),
        after: &[],
    },
];

fn resource(name: &str) -> Result<&'static Resource, ImportError> {
    RESOURCES
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ImportError::Unknown(name.to_string()))
}

fn record_id(name: &str) -> Result<u64, ImportError> {
    resource(name).map(|r| r.id)
}

fn bulk_query(name: &str) -> Result<&'static str, ImportError> {
    documents::BULK_QUERIES
        .iter()
        .find(|(r, _)| *r == name)
        .map(|(_, q)| *q)
        .ok_or_else(|| ImportError::Unknown(name.to_string()))
}

fn unfinished(job: &ImportJob) -> bool {
    !matches!(job.status, ImportStatus::Done | ImportStatus::Failed)
}

/// Writes the job's progress and waits until it is on disk: a restart resumes from
/// exactly what was recorded (the same operation, the last journaled line).
async fn save(ctx: &Context, shop: &str, job: &mut ImportJob) -> Result<(), StoreError> {
    save_with(ctx, shop, job, Batch::new()).await
}

/// Writes the job's progress in the same atomic batch as `b` (the lines it staged or
/// the groups it finished), then waits until it is on disk.
async fn save_with(
    ctx: &Context,
    shop: &str,
    job: &mut ImportJob,
    mut b: Batch,
) -> Result<(), StoreError> {
    job.updated_ms = Timestamp::now().millis();
    let id = record_id(&job.resource).unwrap_or(0);
    b.put(shop, Kind::Import, id, job)?;
    let store = ctx.engine.store();
    store.commit(b)?;
    store.durable().await
}

/// Every import of `shop`.
///
/// # Errors
/// When the store fails.
pub fn list(ctx: &Context, shop: &str) -> Result<Vec<ImportJob>, StoreError> {
    Ok(ctx
        .engine
        .store()
        .scan::<ImportJob>(shop, Kind::Import)?
        .into_iter()
        .map(|(_, j)| j)
        .collect())
}

/// Starts importing `resource` (an unfinished import of it is returned as it is, not
/// started twice); the work goes on in the background.
///
/// # Errors
/// [`ImportError`].
pub async fn start(ctx: &Context, shop: &str, resource: &str) -> Result<ImportJob, ImportError> {
    let id = record_id(resource)?;
    let store = ctx.engine.store();
    if let Some(job) = store.get::<ImportJob>(shop, Kind::Import, id)? {
        if unfinished(&job) {
            return Ok(job);
        }
    }
    let now = Timestamp::now().millis();
    let mut job = ImportJob {
        resource: resource.to_string(),
        status: ImportStatus::Starting,
        operation_id: None,
        rows_read: 0,
        rows_applied: 0,
        rows_skipped: 0,
        lines_done: 0,
        started_ms: now,
        updated_ms: now,
        error: None,
        rows_total: None,
        last_seq: None,
    };
    save(ctx, shop, &mut job).await?;
    spawn(ctx, shop, job.clone());
    Ok(job)
}

/// Resumes every unfinished import (at start).
pub fn resume_all(ctx: &Context) {
    let Ok(tenants) = ctx.engine.store().tenants() else {
        return;
    };
    for t in tenants {
        for job in list(ctx, &t.shop).unwrap_or_default() {
            if unfinished(&job) {
                tracing::info!(message = "Resuming a Shopify import.", shop = %t.shop, resource = %job.resource, lines_done = job.lines_done);
                spawn(ctx, &t.shop, job);
            }
        }
    }
}

fn spawn(ctx: &Context, shop: &str, job: ImportJob) {
    let (ctx, shop) = (ctx.clone(), shop.to_string());
    tokio::spawn(async move {
        let mut job = job;
        if let Err(e) = run(&ctx, &shop, &mut job).await {
            tracing::warn!(message = "Shopify import failed.", shop = %shop, resource = %job.resource, error = %e);
            job.status = ImportStatus::Failed;
            job.error = Some(e.to_string());
            let _ = save(&ctx, &shop, &mut job).await;
        }
    });
}

/// Waits while an import `r` comes after is running for the shop.
async fn wait_for_prerequisites(
    ctx: &Context,
    shop: &str,
    r: &Resource,
) -> Result<(), ImportError> {
    loop {
        let jobs = list(ctx, shop)?;
        let busy = jobs
            .iter()
            .any(|j| r.after.contains(&j.resource.as_str()) && unfinished(j));
        if !busy {
            return Ok(());
        }
        tokio::time::sleep(ctx.import_poll).await;
    }
}

async fn run(ctx: &Context, shop: &str, job: &mut ImportJob) -> Result<(), ImportError> {
    let r = resource(&job.resource)?;
    if job.operation_id.is_none() {
        wait_for_prerequisites(ctx, shop, r).await?;
    }
    let token = shopify_auth::access_token(ctx, shop).await?;
    let op = match job.operation_id.clone() {
        Some(op) => op,
        None => {
            let query = bulk_query(r.name)?;
            let op = ops::run_bulk_query(&ctx.shopify, shop, &token, query).await?;
            job.operation_id = Some(op.clone());
            job.status = ImportStatus::Running;
            save(ctx, shop, job).await?;
            op
        }
    };
    let op_number = gid_number(&op, "BulkOperation").unwrap_or(0);
    if job.status == ImportStatus::Joining {
        return finish(ctx, shop, job, r, op_number).await;
    }
    let url = loop {
        let token = shopify_auth::access_token(ctx, shop).await?;
        let b = ops::bulk_operation(&ctx.shopify, shop, &token, &op)
            .await?
            .ok_or_else(|| {
                AdminError::Refused(vec![format!("Shopify does not know bulk operation {op}")])
            })?;
        match b.status.as_str() {
            "COMPLETED" => {
                job.rows_total = b.object_count.as_deref().and_then(|n| n.parse().ok());
                break b.url;
            }
            "FAILED" | "CANCELED" | "EXPIRED" => {
                let why = format!(
                    "Shopify's bulk operation ended {} ({})",
                    b.status,
                    b.error_code.unwrap_or_default()
                );
                let Some(partial) = b.partial_data_url else {
                    job.status = ImportStatus::Failed;
                    job.error = Some(why);
                    save(ctx, shop, job).await?;
                    return Ok(());
                };
                // What it wrote before failing is applied; the job still ends FAILED.
                job.error = Some(format!(
                    "{why}; the rows of its partial data were applied; start the import again for the rest"
                ));
                job.status = ImportStatus::Reading;
                save(ctx, shop, job).await?;
                read::read(ctx, shop, job, r, &partial, op_number).await?;
                return finish(ctx, shop, job, r, op_number).await;
            }
            // Completion comes by the `bulk_operations/finish` webhook or by this poll.
            _ => {
                tokio::select! {
                    () = tokio::time::sleep(ctx.import_poll) => {}
                    () = ctx.import_wake.notified() => {}
                }
            }
        }
    };
    job.status = ImportStatus::Reading;
    save(ctx, shop, job).await?;
    if let Some(url) = url {
        read::read(ctx, shop, job, r, &url, op_number).await?;
    }
    finish(ctx, shop, job, r, op_number).await
}

/// After the file is read: join the staged groups (grouped resources), wait until the
/// last row is applied, then DONE (FAILED when only a failed operation's partial data
/// was read: `error` says so).
async fn finish(
    ctx: &Context,
    shop: &str,
    job: &mut ImportJob,
    r: &Resource,
    op: u64,
) -> Result<(), ImportError> {
    if let Rows::Grouped(map) = r.rows {
        job.status = ImportStatus::Joining;
        save(ctx, shop, job).await?;
        join::join(ctx, shop, job, r.id, map, op).await?;
    }
    if let Some(seq) = job.last_seq {
        wait_applied(ctx, seq).await;
    }
    job.status = if job.error.is_some() {
        ImportStatus::Failed
    } else {
        ImportStatus::Done
    };
    save(ctx, shop, job).await?;
    tracing::info!(message = "Shopify import done.", shop, resource = %job.resource, rows = job.rows_read, skipped = job.rows_skipped);
    Ok(())
}
