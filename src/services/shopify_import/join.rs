//! The join of a grouped import: the staged lines read back in (owner, line) order, each
//! owner's lines one group (its root row first, then its children), mapped to deliveries
//! and journaled; the journaled groups are unstaged in the same batch as the progress.
//! A restart re-reads what is still staged: a group journaled but not yet unstaged is
//! journaled again under the same webhook ids and dropped by the dedupe.

use super::{save_with, ImportError, ImportJob};
use crate::logic::shopify::import::{Group, ImportError as RowError, RowDelivery};
use crate::services::shopify_ingest::journal_rows_tracked;
use crate::services::Context;
use crate::store::import_stage::StagedLine;
use crate::store::Batch;
use serde_json::Value;

/// Staged lines read at once (a group larger than this is read whole by growing it).
const PAGE: usize = 1_000;

type Map = fn(u64, u64, &Group) -> Result<Vec<RowDelivery>, RowError>;

/// Joins and journals every staged group of resource `rid`.
pub(super) async fn join(
    ctx: &Context,
    shop: &str,
    job: &mut ImportJob,
    rid: u64,
    map: Map,
    op: u64,
) -> Result<(), ImportError> {
    let store = ctx.engine.store();
    let mut from = 0;
    let mut limit = PAGE;
    loop {
        let lines = store.staged_lines(shop, rid, from, limit)?;
        if lines.is_empty() {
            return Ok(());
        }
        let full = lines.len() >= limit;
        let mut groups = split(lines);
        if full {
            // The last owner may have more lines beyond the page.
            if groups.len() == 1 {
                limit *= 2;
                continue;
            }
            groups.pop();
        }
        limit = PAGE;
        let mut deliveries = Vec::new();
        let mut done = Batch::new();
        for g in &groups {
            applied(shop, job, g, map, op, &mut deliveries);
            for l in g {
                done.unstage_line(shop, rid, l.owner, l.line);
            }
        }
        journal_rows_tracked(ctx, shop, &mut deliveries, &mut job.last_seq).await?;
        from = groups
            .last()
            .and_then(|g| g.first())
            .map_or(from, |l| l.owner.saturating_add(1));
        save_with(ctx, shop, job, done).await?;
    }
}

/// Consecutive lines of one owner.
fn split(lines: Vec<StagedLine>) -> Vec<Vec<StagedLine>> {
    let mut out: Vec<Vec<StagedLine>> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some(g) if g[0].owner == l.owner => g.push(l),
            _ => out.push(vec![l]),
        }
    }
    out
}

/// Maps one group into `out` and counts it (a group whose root row is missing, or does
/// not map, is skipped and named).
fn applied(
    shop: &str,
    job: &mut ImportJob,
    lines: &[StagedLine],
    map: Map,
    op: u64,
    out: &mut Vec<RowDelivery>,
) {
    let mut group = Group::default();
    let mut root_line = None;
    for l in lines {
        let Ok(row) = serde_json::from_str::<Value>(&l.text) else {
            continue;
        };
        if row.get("__parentId").is_some() {
            group.children.push(row);
        } else if root_line.is_none() {
            group.parent = row;
            root_line = Some(l.line);
        }
    }
    let n = lines.len() as u64;
    let Some(line) = root_line else {
        job.rows_skipped += n;
        tracing::warn!(
            message = "Import rows skipped: their parent is not in the file.",
            shop,
            rows = n
        );
        return;
    };
    match map(line, op, &group) {
        Ok(d) => {
            out.extend(d);
            job.rows_applied += n;
        }
        Err(e) => {
            job.rows_skipped += n;
            tracing::warn!(message = "Import row skipped.", shop, error = %e);
        }
    }
}
