//! The automation actor of one tenant: it consumes the tenant's domain events exactly once
//! ([`intake`]), enrols contacts in active flows, runs their steps, parks runs that wait on
//! a delay as stored records plus due-index entries ([`timers`]: no task per run), and
//! sends through the conversation actor's outbox with a once-key per step.
//! At start it re-reads what it missed (events not consumed, steps that came due while
//! the process was down) and fires overdue steps in throttled batches.
//! Must not touch other actors' records or the journal: it reads the event stream, asks
//! siblings for contacts and sends, and writes only its own kinds.

pub mod commands;
pub mod enrol;
mod events;
pub mod flows;
pub mod gather;
pub mod intake;
pub mod policy;
pub mod runs;
pub mod send;
pub mod timers;

use crate::actors::conversations::ConversationsMsg;
use crate::actors::customers::CustomersMsg;
use crate::actors::Sibling;
use crate::config::AutomationSettings;
use crate::domain::DomainEvent;
use crate::domain::ShopDomain;
use crate::domain::Timestamp;
use crate::store::{Batch, Kind, Store, StoreError};
pub use commands::{FlowCommand, FlowError, FlowView};
use events::{backfill, consume};
use flows::FlowBook;
use intake::Intake;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;
use timers::DueQueue;

/// How many waiting runs' due entries are kept in memory (the rest stay on disk).
const DUE_WINDOW: usize = 4096;

/// Messages of the automation actor.
pub enum AutomationsMsg {
    /// Newly recorded domain events.
    Recorded(Vec<DomainEvent>),
    /// Read the stored event stream for events not consumed yet (the supervisor sends it
    /// once the actor's route is set).
    CatchUp,
    /// Fire the steps that are due.
    Tick,
    /// The flow API (boxed: a flow definition is large).
    Flows(Box<FlowCommand>),
    /// Reads, or replaces and reads, the tenant's quiet hours and zone.
    Policy {
        set: Option<policy::AutomationPolicy>,
        reply_to: RpcReplyPort<Result<policy::AutomationPolicy, StoreError>>,
    },
    /// A flow was just activated with `include_existing_users`: enrol from the events of
    /// its trigger's lookback window.
    Backfill(u64),
    /// Stop timers (app uninstalled) or resume them.
    SetPaused(bool),
    /// Current state.
    Status {
        reply_to: RpcReplyPort<AutomationStatus>,
    },
    /// Current state with the events not consumed yet (reads the store above the floor).
    Progress {
        reply_to: RpcReplyPort<Result<Progress, StoreError>>,
    },
    /// Forget everything (shop/redact erased the store).
    Reset { reply_to: RpcReplyPort<()> },
}

/// How far the automation actor has consumed the event stream (what operators watch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// The durable state.
    pub status: AutomationStatus,
    /// Stored events not consumed yet (0: every recorded event has been handled).
    pub pending: u64,
    /// The newest consumed stream position.
    pub newest: u64,
}

/// The durable state of the automation actor (and what the API shows of it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutomationStatus {
    /// Every event at or below this stream position has been consumed.
    pub cursor: u64,
    /// Events consumed per type.
    pub consumed: BTreeMap<String, u64>,
    /// Timers stopped (tenant uninstalled).
    pub paused: bool,
}

/// Arguments.
pub struct AutomationsArgs {
    /// Shop domain.
    pub shop: ShopDomain,
    /// Store.
    pub store: Store,
    /// The customer actor (contacts as they are now).
    pub customers: Sibling<CustomersMsg>,
    /// The conversation actor (sends).
    pub conversations: Sibling<ConversationsMsg>,
    /// Time compression, batches, caps.
    pub settings: AutomationSettings,
    /// The base of tracked links (`{base}/r/{code}`); none: links are sent as written.
    pub link_base_url: Option<String>,
}

/// State.
pub struct AutomationsState {
    shop: ShopDomain,
    store: Store,
    status: AutomationStatus,
    intake: Intake,
    due: DueQueue,
    flows: FlowBook,
    policy: policy::AutomationPolicy,
    settings: AutomationSettings,
    link_base_url: Option<String>,
    myself: ActorRef<AutomationsMsg>,
    /// The due time the armed wake-up is for.
    armed: Option<i64>,
    customers: Sibling<CustomersMsg>,
    conversations: Sibling<ConversationsMsg>,
}

/// The automation actor.
pub struct Automations;

/// Arms one wake-up for the earliest due step (none while paused).
fn arm(state: &mut AutomationsState) -> Result<(), StoreError> {
    if state.status.paused {
        return Ok(());
    }
    let Some(next) = state.due.next_due(&state.store, &state.shop)? else {
        return Ok(());
    };
    if state.armed.is_some_and(|a| a <= next) {
        return Ok(());
    }
    let wait = (next - Timestamp::now().millis()).max(0) as u64;
    state.armed = Some(next);
    state
        .myself
        .send_after(Duration::from_millis(wait), || AutomationsMsg::Tick);
    Ok(())
}

/// Fires the due steps, a batch at a time.
async fn tick(state: &mut AutomationsState) -> Result<(), StoreError> {
    state.armed = None;
    if state.status.paused {
        return Ok(());
    }
    let now = Timestamp::now().millis();
    let due = state.due.take_due(now, state.settings.due_batch);
    let full = due.len() == state.settings.due_batch;
    for (at, id) in due {
        if let Err(e) = runs::fire(state, at, id).await {
            tracing::error!(message = "A run step failed; it is retried.", tenant = %state.shop, run = id, error = %crate::telemetry::chain(&e));
            state.due.schedule(now + 5_000, id);
            let mut b = Batch::new();
            b.remove_pair(&state.shop, Kind::RunDue, at.max(0) as u64, id);
            b.put_pair(&state.shop, Kind::RunDue, (now + 5_000) as u64, id);
            let _ = state.store.commit(b);
        }
    }
    if full {
        let _ = state.myself.cast(AutomationsMsg::Tick);
        return Ok(());
    }
    arm(state)
}

/// Reads the stream for what was missed, consumes it, and raises the floor.
async fn catch_up(state: &mut AutomationsState) -> Result<(), StoreError> {
    let (positions, missed) = state.intake.missed(&state.store, &state.shop)?;
    consume(state, missed).await?;
    let pending_min = state
        .store
        .pending_of(&state.shop)
        .first()
        .map(|(seq, _)| *seq);
    let mut batch = Batch::new();
    state
        .intake
        .advance(&positions, pending_min, &mut batch, &state.shop);
    if state.intake.floor() != state.status.cursor {
        state.status.cursor = state.intake.floor();
        batch.put(&state.shop, Kind::Automations, 0, &state.status)?;
    }
    if !batch.is_empty() {
        state.store.commit(batch)?;
    }
    Ok(())
}

impl Actor for Automations {
    type Msg = AutomationsMsg;
    type State = AutomationsState;
    type Arguments = AutomationsArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: AutomationsArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let status: AutomationStatus = args
            .store
            .get(&args.shop, Kind::Automations, 0)?
            .unwrap_or_default();
        let intake = Intake::load(&args.store, &args.shop, status.cursor)?;
        let mut due = DueQueue::new(DUE_WINDOW);
        due.load(&args.store, &args.shop)?;
        let flows = FlowBook::load(&args.store, &args.shop).map_err(|e| format!("flows: {e}"))?;
        let policy = policy::load(&args.store, &args.shop)?;
        let state = AutomationsState {
            shop: args.shop,
            store: args.store,
            status,
            intake,
            due,
            flows,
            policy,
            settings: args.settings,
            link_base_url: args.link_base_url,
            myself,
            armed: None,
            customers: args.customers,
            conversations: args.conversations,
        };
        // Catching up (events missed, steps overdue) waits for the supervisor's `CatchUp`:
        // the siblings this needs (contacts, sends) are reachable by then.
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let result = match msg {
            AutomationsMsg::Recorded(events) => consume(state, events).await,
            AutomationsMsg::CatchUp => catch_up(state).await.and_then(|()| arm(state)),
            AutomationsMsg::Tick => tick(state).await,
            AutomationsMsg::Backfill(flow) => backfill(state, flow).await,
            AutomationsMsg::Policy { set, reply_to } => {
                let r = match set {
                    Some(p) => policy::save(&state.store, &state.shop, &p).map(|()| {
                        state.policy = p;
                        state.policy.clone()
                    }),
                    None => Ok(state.policy.clone()),
                };
                let _ = reply_to.send(r);
                Ok(())
            }
            AutomationsMsg::Flows(cmd) => {
                commands::handle(state, *cmd);
                Ok(())
            }
            AutomationsMsg::SetPaused(p) => {
                state.status.paused = p;
                let mut batch = Batch::new();
                batch
                    .put(&state.shop, Kind::Automations, 0, &state.status)
                    .and_then(|()| state.store.commit(batch))
                    .and_then(|()| arm(state))
            }
            AutomationsMsg::Status { reply_to } => {
                let _ = reply_to.send(state.status.clone());
                Ok(())
            }
            AutomationsMsg::Progress { reply_to } => {
                let pending = state.intake.missed(&state.store, &state.shop);
                let _ = reply_to.send(pending.map(|(_, missed)| Progress {
                    status: state.status.clone(),
                    pending: missed.len() as u64,
                    newest: state.intake.newest(),
                }));
                Ok(())
            }
            AutomationsMsg::Reset { reply_to } => {
                state.status = AutomationStatus {
                    paused: state.status.paused,
                    ..AutomationStatus::default()
                };
                state.intake = Intake::default();
                state.due = DueQueue::new(DUE_WINDOW);
                state.flows = FlowBook::default();
                let _ = reply_to.send(());
                Ok(())
            }
        };
        // A store failure is not the caller's: the events stay unconsumed (no marker) and
        // are read again at the next catch-up, so the actor keeps running.
        if let Err(error) = result {
            tracing::error!(message = "Automation step failed; it is retried at the next catch-up.", tenant = %state.shop, error = %crate::telemetry::chain(&error));
        }
        Ok(())
    }
}
