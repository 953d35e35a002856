//! Reading a bulk operation's result file: streamed in chunks, split into lines, from
//! the job's resume point on. A flat resource's lines are journaled as deliveries; a
//! grouped resource's lines are staged by owner for the join. Every `CHUNK_LINES` the
//! work and the progress are committed together and made durable.

use super::{save, save_with, ImportError, ImportJob, Resource, Rows, CHUNK_LINES};
use crate::integrations::shopify::admin::AdminError;
use crate::logic::shopify::import::{line_owner, RowDelivery};
use crate::services::shopify_ingest::journal_rows_tracked;
use crate::services::Context;
use crate::store::Batch;

/// What a chunk of lines has accumulated.
enum Pending {
    Deliveries(Vec<RowDelivery>),
    Staged(Batch),
}

/// Streams the file at `url` from `job.lines_done` on.
pub(super) async fn read(
    ctx: &Context,
    shop: &str,
    job: &mut ImportJob,
    r: &Resource,
    url: &str,
    op: u64,
) -> Result<(), ImportError> {
    let mut resp = ctx.shopify.download(url).await?;
    let mut buf: Vec<u8> = Vec::new();
    let mut line_no: u64 = 0;
    let fresh = || match r.rows {
        Rows::Flat(_) => Pending::Deliveries(Vec::new()),
        Rows::Grouped(_) => Pending::Staged(Batch::new()),
    };
    let mut pending = fresh();
    let mut chunk_lines = 0;
    loop {
        let chunk = resp.chunk().await.map_err(|e| AdminError::Unavailable {
            attempts: 1,
            last: format!("reading the result file: {}", e.without_url()),
        })?;
        let end = chunk.is_none();
        if let Some(c) = chunk {
            buf.extend_from_slice(&c);
        } else if !buf.is_empty() {
            buf.push(b'\n');
        }
        while let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
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
            take(shop, job, r, op, line_no, &text, &mut pending);
            chunk_lines += 1;
            if chunk_lines >= CHUNK_LINES {
                flush(
                    ctx,
                    shop,
                    job,
                    std::mem::replace(&mut pending, fresh()),
                    chunk_lines,
                    line_no,
                )
                .await?;
                chunk_lines = 0;
            }
        }
        if end {
            break;
        }
    }
    flush(ctx, shop, job, pending, chunk_lines, line_no).await?;
    save(ctx, shop, job).await?;
    Ok(())
}

/// One line into the chunk (a line that cannot be read is counted and named).
fn take(
    shop: &str,
    job: &mut ImportJob,
    r: &Resource,
    op: u64,
    line_no: u64,
    text: &str,
    pending: &mut Pending,
) {
    match (r.rows, pending) {
        (Rows::Flat(map), Pending::Deliveries(out)) => match map(line_no, op, text) {
            Ok(d) => out.extend(d),
            Err(e) => {
                job.rows_skipped += 1;
                tracing::warn!(message = "Import row skipped.", shop, error = %e);
            }
        },
        (Rows::Grouped(_), Pending::Staged(batch)) => match line_owner(text) {
            Some((owner, _)) => {
                if let Err(e) = batch.stage_line(shop, r.id, owner, line_no, text) {
                    job.rows_skipped += 1;
                    tracing::warn!(message = "Import row skipped.", shop, line = line_no, error = %e);
                }
            }
            None => {
                job.rows_skipped += 1;
                tracing::warn!(
                    message = "Import row skipped: not JSON or without an id.",
                    shop,
                    line = line_no
                );
            }
        },
        _ => {}
    }
}

/// Journals (flat) or stages (grouped) a chunk, with the progress, durably.
async fn flush(
    ctx: &Context,
    shop: &str,
    job: &mut ImportJob,
    pending: Pending,
    lines: u64,
    line_no: u64,
) -> Result<(), ImportError> {
    job.lines_done = line_no;
    match pending {
        Pending::Deliveries(mut d) => {
            journal_rows_tracked(ctx, shop, &mut d, &mut job.last_seq).await?;
            job.rows_applied += lines;
            save(ctx, shop, job).await?;
        }
        Pending::Staged(batch) => save_with(ctx, shop, job, batch).await?,
    }
    Ok(())
}
