//! The flow API of the automation actor: create, edit (a new version; runs finish on the
//! version they started on), validate, activate (only a flow without problems), pause,
//! archive (its runs end at their next step), get, list, and the runs of a flow or a
//! contact with their activity.

use super::flows::FlowEntry;
use super::AutomationsState;
use crate::domain::automations::run::Run;
use crate::domain::automations::{FlowCounts, FlowDraft, FlowStatus, StoredFlow};
use crate::domain::Timestamp;
use crate::logic::automations::{validate, FlowProblem};
use crate::store::{Batch, Kind, StoreError};
use ractor::RpcReplyPort;
use serde::Serialize;

/// A flow as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FlowView {
    /// Flow id.
    pub id: u64,
    /// Current version.
    pub version: u32,
    /// Lifecycle.
    pub status: FlowStatus,
    /// Run counts (all versions).
    pub counts: FlowCounts,
    /// The current definition.
    pub definition: FlowDraft,
    /// What stands in the way of activating it (empty: it can be activated).
    pub problems: Vec<FlowProblem>,
}

/// Why a flow command was refused.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// No such flow.
    #[error("no flow {0}")]
    NotFound(u64),
    /// The flow has problems (each names its node).
    #[error("the flow has {} problem(s)", .0.len())]
    Invalid(Vec<FlowProblem>),
    /// Archived flows do not change.
    #[error("flow {0} is archived")]
    Archived(u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Flow commands.
pub enum FlowCommand {
    /// A new flow (DRAFT, version 1).
    Create {
        draft: FlowDraft,
        reply_to: RpcReplyPort<Result<FlowView, FlowError>>,
    },
    /// A new version of a flow (status kept; an active flow is validated first).
    Update {
        id: u64,
        draft: FlowDraft,
        reply_to: RpcReplyPort<Result<FlowView, FlowError>>,
    },
    /// ACTIVE (after validation), PAUSED, ARCHIVED.
    SetStatus {
        id: u64,
        status: FlowStatus,
        reply_to: RpcReplyPort<Result<FlowView, FlowError>>,
    },
    /// Problems of a draft, without saving it.
    Validate {
        draft: FlowDraft,
        reply_to: RpcReplyPort<Result<Vec<FlowProblem>, StoreError>>,
    },
    /// One flow.
    Get {
        id: u64,
        reply_to: RpcReplyPort<Result<Option<FlowView>, StoreError>>,
    },
    /// Flows by id.
    List {
        after: Option<u64>,
        limit: usize,
        reply_to: RpcReplyPort<Result<Vec<FlowView>, StoreError>>,
    },
    /// Runs of a flow or of a contact, by id.
    Runs {
        flow: Option<u64>,
        contact: Option<u64>,
        after: Option<u64>,
        limit: usize,
        reply_to: RpcReplyPort<Result<Vec<Run>, StoreError>>,
    },
}

fn problems(state: &AutomationsState, draft: &FlowDraft) -> Result<Vec<FlowProblem>, StoreError> {
    let templates = crate::store::conversations::templates(&state.store, &state.shop)?;
    Ok(validate(draft, &templates))
}

fn view(state: &AutomationsState, e: &FlowEntry) -> Result<FlowView, StoreError> {
    Ok(FlowView {
        id: e.stored.id,
        version: e.stored.version,
        status: e.stored.status,
        counts: e.counts,
        definition: (*e.draft).clone(),
        problems: problems(state, &e.draft)?,
    })
}

fn save(
    state: &mut AutomationsState,
    stored: StoredFlow,
    draft: FlowDraft,
) -> Result<FlowView, FlowError> {
    let mut b = Batch::new();
    state.flows.stage(&mut b, &state.shop, &stored)?;
    state.store.commit(b)?;
    let id = stored.id;
    state.flows.put(stored, draft);
    let e = state.flows.get(id).ok_or(FlowError::NotFound(id))?.clone();
    Ok(view(state, &e)?)
}

fn stored(
    id: u64,
    version: u32,
    status: FlowStatus,
    draft: &FlowDraft,
) -> Result<StoredFlow, FlowError> {
    let definition = serde_json::to_string(draft)
        .map_err(|e| FlowError::Store(StoreError::Corrupt(e.to_string())))?;
    Ok(StoredFlow {
        id,
        version,
        status,
        definition,
        updated_ms: Timestamp::now().millis(),
    })
}

/// Handles a flow command.
pub fn handle(state: &mut AutomationsState, cmd: FlowCommand) {
    match cmd {
        FlowCommand::Create { draft, reply_to } => {
            let r = state
                .store
                .next_id()
                .map_err(FlowError::from)
                .and_then(|id| stored(id, 1, FlowStatus::Draft, &draft))
                .and_then(|s| save(state, s, draft));
            let _ = reply_to.send(r);
        }
        FlowCommand::Update {
            id,
            draft,
            reply_to,
        } => {
            let _ = reply_to.send(update(state, id, draft));
        }
        FlowCommand::SetStatus {
            id,
            status,
            reply_to,
        } => {
            let _ = reply_to.send(set_status(state, id, status));
        }
        FlowCommand::Validate { draft, reply_to } => {
            let _ = reply_to.send(problems(state, &draft));
        }
        FlowCommand::Get { id, reply_to } => {
            let e = state.flows.get(id).cloned();
            let _ = reply_to.send(e.map(|e| view(state, &e)).transpose());
        }
        FlowCommand::List {
            after,
            limit,
            reply_to,
        } => {
            let page = state.flows.page(after, limit);
            let _ = reply_to.send(page.iter().map(|e| view(state, e)).collect());
        }
        FlowCommand::Runs {
            flow,
            contact,
            after,
            limit,
            reply_to,
        } => {
            let _ = reply_to.send(runs(state, flow, contact, after, limit));
        }
    }
}

fn update(state: &mut AutomationsState, id: u64, draft: FlowDraft) -> Result<FlowView, FlowError> {
    let e = state.flows.get(id).ok_or(FlowError::NotFound(id))?.clone();
    if e.stored.status == FlowStatus::Archived {
        return Err(FlowError::Archived(id));
    }
    if e.stored.status == FlowStatus::Active {
        let p = problems(state, &draft)?;
        if !p.is_empty() {
            return Err(FlowError::Invalid(p));
        }
    }
    let s = stored(id, e.stored.version + 1, e.stored.status, &draft)?;
    save(state, s, draft)
}

fn set_status(
    state: &mut AutomationsState,
    id: u64,
    status: FlowStatus,
) -> Result<FlowView, FlowError> {
    let e = state.flows.get(id).ok_or(FlowError::NotFound(id))?.clone();
    if e.stored.status == FlowStatus::Archived {
        return Err(FlowError::Archived(id));
    }
    if status == FlowStatus::Active {
        let p = problems(state, &e.draft)?;
        if !p.is_empty() {
            return Err(FlowError::Invalid(p));
        }
    }
    let mut s = e.stored.clone();
    let first_activation = status == FlowStatus::Active && s.status == FlowStatus::Draft;
    s.status = status;
    s.updated_ms = Timestamp::now().millis();
    let view = save(state, s, (*e.draft).clone())?;
    if first_activation {
        let _ = state.myself.cast(super::AutomationsMsg::Backfill(id));
    }
    Ok(view)
}

fn runs(
    state: &AutomationsState,
    flow: Option<u64>,
    contact: Option<u64>,
    after: Option<u64>,
    limit: usize,
) -> Result<Vec<Run>, StoreError> {
    let after = after.unwrap_or(0);
    if let Some(c) = contact {
        let mut out = Vec::new();
        for id in state.store.pairs_of(&state.shop, Kind::RunByContact, c)? {
            if id <= after || out.len() >= limit {
                continue;
            }
            let run: Option<Run> = state.store.get(&state.shop, Kind::Run, id)?;
            out.extend(run.filter(|r| flow.is_none_or(|f| r.flow_id == f)));
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    let mut cursor = Some(after);
    while out.len() < limit {
        let page: Vec<(u64, Run)> = state.store.scan_from(&state.shop, Kind::Run, cursor, 500)?;
        let Some((last, _)) = page.last() else { break };
        cursor = Some(*last);
        out.extend(
            page.into_iter()
                .map(|(_, r)| r)
                .filter(|r| flow.is_none_or(|f| r.flow_id == f)),
        );
    }
    out.truncate(limit);
    Ok(out)
}
