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
//! Only customers are imported so far; orders, products and collections follow the same
//! path with their own bulk queries and row mappings.

use super::shopify_auth::{self, AuthError};
use super::shopify_ingest::journal_rows;
use super::Context;
use crate::domain::Timestamp;
use crate::integrations::shopify::admin::{documents, ops, AdminError};
use crate::logic::shopify::import::{customer_row, gid_number, RowDelivery};
use crate::store::{Batch, Kind, StoreError};
use serde::{Deserialize, Serialize};

/// Lines journaled between two progress records (and durable waits).
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
    /// Every row journaled.
    Done,
    /// Shopify failed the operation (or refused the token); see `error`.
    Failed,
}

/// One resource's import and its progress.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportJob {
    /// `customers`.
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
}

/// Why an import cannot start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A resource this engine does not import.
    #[error("`{0}` cannot be imported; supported: customers")]
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

/// The resources and their record ids.
const RESOURCES: &[(&str, u64)] = &[("customers", 1)];

fn record_id(resource: &str) -> Result<u64, ImportError> {
    RESOURCES
        .iter()
        .find(|(r, _)| *r == resource)
        .map(|(_, id)| *id)
        .ok_or_else(|| ImportError::Unknown(resource.to_string()))
}

/// Writes the job's progress and waits until it is on disk: a restart resumes from
/// exactly what was recorded (the same operation, the last journaled line).
async fn save(ctx: &Context, shop: &str, job: &mut ImportJob) -> Result<(), StoreError> {
    job.updated_ms = Timestamp::now().millis();
    let id = record_id(&job.resource).unwrap_or(0);
    let mut b = Batch::new();
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
        if !matches!(job.status, ImportStatus::Done | ImportStatus::Failed) {
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
            if !matches!(job.status, ImportStatus::Done | ImportStatus::Failed) {
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

async fn run(ctx: &Context, shop: &str, job: &mut ImportJob) -> Result<(), ImportError> {
    let token = shopify_auth::access_token(ctx, shop).await?;
    let op = match job.operation_id.clone() {
        Some(op) => op,
        None => {
            let op =
                ops::run_bulk_query(&ctx.shopify, shop, &token, documents::BULK_CUSTOMERS).await?;
            job.operation_id = Some(op.clone());
            job.status = ImportStatus::Running;
            save(ctx, shop, job).await?;
            op
        }
    };
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
                job.status = ImportStatus::Failed;
                job.error = Some(format!(
                    "Shopify's bulk operation ended {} ({})",
                    b.status,
                    b.error_code.unwrap_or_default()
                ));
                save(ctx, shop, job).await?;
                return Ok(());
            }
            _ => tokio::time::sleep(ctx.import_poll).await,
        }
    };
    job.status = ImportStatus::Reading;
    save(ctx, shop, job).await?;
    if let Some(url) = url {
        read(
            ctx,
            shop,
            job,
            &url,
            gid_number(&op, "BulkOperation").unwrap_or(0),
        )
        .await?;
    }
    job.status = ImportStatus::Done;
    save(ctx, shop, job).await?;
    tracing::info!(message = "Shopify import done.", shop, resource = %job.resource, rows = job.rows_read, skipped = job.rows_skipped);
    Ok(())
}

/// Streams the result file from `job.lines_done` on.
async fn read(
    ctx: &Context,
    shop: &str,
    job: &mut ImportJob,
    url: &str,
    op: u64,
) -> Result<(), ImportError> {
    let mut resp = ctx.shopify.download(url).await?;
    let mut pending: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0;
    let mut batch: Vec<RowDelivery> = Vec::new();
    let mut batch_lines = 0;
    loop {
        let chunk = resp.chunk().await.map_err(|e| AdminError::Unavailable {
            attempts: 1,
            last: format!("reading the result file: {}", e.without_url()),
        })?;
        let end = chunk.is_none();
        if let Some(c) = chunk {
            pending.extend_from_slice(&c);
        } else if !pending.is_empty() {
            pending.push(b'\n');
        }
        while let Some(i) = pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = pending.drain(..=i).collect();
            let text = String::from_utf8_lossy(&line[..line.len() - 1])
                .trim()
                .to_string();
            if text.is_empty() {
                continue;
            }
            line_no += 1;
            if line_no <= job.lines_done {
                continue;
            }
            job.rows_read += 1;
            match customer_row(line_no, op, &text) {
                Ok(d) => batch.extend(d),
                Err(e) => {
                    job.rows_skipped += 1;
                    tracing::warn!(message = "Import row skipped.", shop, error = %e);
                }
            }
            batch_lines += 1;
            if batch_lines >= CHUNK_LINES {
                journal_rows(ctx, shop, &mut batch).await?;
                job.rows_applied += batch_lines;
                job.lines_done = line_no;
                batch_lines = 0;
                save(ctx, shop, job).await?;
            }
        }
        if end {
            break;
        }
    }
    journal_rows(ctx, shop, &mut batch).await?;
    job.rows_applied += batch_lines;
    job.lines_done = line_no;
    save(ctx, shop, job).await?;
    Ok(())
}
