//! The automation actor of one tenant: it consumes the tenant's domain events exactly once
//! ([`intake`]), enrols contacts in active flows, runs their steps, parks runs that wait on
//! a delay as stored records plus due-index entries ([`timers`]: no task per run), and
//! sends through the conversation actor's outbox with a once-key per step.
//! At start it re-reads what it missed (events not consumed, steps that came due while
//! the process was down) and fires overdue steps in throttled batches.
//! Must not touch other actors' records or the journal: it reads the event stream, asks
//! siblings for contacts and sends, and writes only its own kinds.

pub mod intake;
pub mod timers;

use crate::actors::conversations::ConversationsMsg;
use crate::actors::customers::CustomersMsg;
use crate::actors::Sibling;
use crate::domain::DomainEvent;
use crate::domain::ShopDomain;
use crate::store::{Batch, Kind, Store, StoreError};
use intake::Intake;
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// Stop timers (app uninstalled) or resume them.
    SetPaused(bool),
    /// Current state.
    Status {
        reply_to: RpcReplyPort<AutomationStatus>,
    },
    /// Forget everything (shop/redact erased the store).
    Reset { reply_to: RpcReplyPort<()> },
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
}

/// State.
pub struct AutomationsState {
    shop: ShopDomain,
    store: Store,
    status: AutomationStatus,
    intake: Intake,
    due: DueQueue,
    #[allow(dead_code)]
    customers: Sibling<CustomersMsg>,
    #[allow(dead_code)]
    conversations: Sibling<ConversationsMsg>,
}

/// The automation actor.
pub struct Automations;

/// Consumes `events` not consumed yet, in stream order: what each causes and its marker
/// in one batch per event.
fn consume(state: &mut AutomationsState, mut events: Vec<DomainEvent>) -> Result<(), StoreError> {
    events.sort_by_key(|e| e.seq);
    for e in events {
        if state.intake.is_done(e.seq) {
            continue;
        }
        let mut batch = Batch::new();
        state.intake.stage(&mut batch, &state.shop, e.seq)?;
        *state
            .status
            .consumed
            .entry(e.kind.name().to_string())
            .or_insert(0) += 1;
        batch.put(&state.shop, Kind::Automations, 0, &state.status)?;
        state.store.commit(batch)?;
        state.intake.mark(e.seq);
    }
    Ok(())
}

/// Reads the stream for what was missed, consumes it, and raises the floor.
fn catch_up(state: &mut AutomationsState) -> Result<(), StoreError> {
    let (positions, missed) = state.intake.missed(&state.store, &state.shop)?;
    consume(state, missed)?;
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
        _myself: ActorRef<Self::Msg>,
        args: AutomationsArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let status: AutomationStatus = args
            .store
            .get(&args.shop, Kind::Automations, 0)?
            .unwrap_or_default();
        let intake = Intake::load(&args.store, &args.shop, status.cursor)?;
        let mut due = DueQueue::new(DUE_WINDOW);
        due.load(&args.store, &args.shop)?;
        let mut state = AutomationsState {
            shop: args.shop,
            store: args.store,
            status,
            intake,
            due,
            customers: args.customers,
            conversations: args.conversations,
        };
        catch_up(&mut state)?;
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        let result = match msg {
            AutomationsMsg::Recorded(events) => consume(state, events),
            AutomationsMsg::CatchUp => catch_up(state),
            AutomationsMsg::SetPaused(p) => {
                state.status.paused = p;
                let mut batch = Batch::new();
                batch
                    .put(&state.shop, Kind::Automations, 0, &state.status)
                    .and_then(|()| state.store.commit(batch))
            }
            AutomationsMsg::Status { reply_to } => {
                let _ = reply_to.send(state.status.clone());
                Ok(())
            }
            AutomationsMsg::Reset { reply_to } => {
                state.status = AutomationStatus {
                    paused: state.status.paused,
                    ..AutomationStatus::default()
                };
                state.intake = Intake::default();
                state.due = DueQueue::new(DUE_WINDOW);
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
