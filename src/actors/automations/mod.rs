//! The automation actor of one tenant. For now it owns a small, durable state: the cursor
//! of the domain-event stream it has consumed, counts per event type, and whether the
//! tenant's timers are paused (uninstalled). It catches up from the stored event stream at
//! start, so no event recorded before a crash is missed. Flows, runs and delays come with
//! the automation issue and will consume events exactly here.
//! Must not touch other actors' records or the journal: it only reads the event stream.

pub mod intake;
pub mod timers;

use crate::domain::DomainEvent;
use crate::domain::ShopDomain;
use crate::store::{Batch, Kind, Store, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Messages of the automation actor.
pub enum AutomationsMsg {
    /// Newly recorded domain events.
    Recorded(Vec<DomainEvent>),
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
    /// The last event seq consumed.
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
}

/// State.
pub struct AutomationsState {
    shop: ShopDomain,
    store: Store,
    status: AutomationStatus,
}

/// The automation actor.
pub struct Automations;

fn save(state: &AutomationsState) -> Result<(), StoreError> {
    let mut batch = Batch::new();
    batch.put(&state.shop, Kind::Automations, 0, &state.status)?;
    state.store.commit(batch)
}

fn consume(status: &mut AutomationStatus, events: &[DomainEvent]) -> bool {
    let mut changed = false;
    for e in events {
        if e.seq > status.cursor {
            status.cursor = e.seq;
            *status
                .consumed
                .entry(e.kind.name().to_string())
                .or_insert(0) += 1;
            changed = true;
        }
    }
    changed
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
        let mut status: AutomationStatus = args
            .store
            .get(&args.shop, Kind::Automations, 0)?
            .unwrap_or_default();
        let missed: Vec<(u64, DomainEvent)> =
            args.store
                .scan_from(&args.shop, Kind::Event, Some(status.cursor), usize::MAX)?;
        let missed: Vec<DomainEvent> = missed.into_iter().map(|(_, e)| e).collect();
        let state = AutomationsState {
            shop: args.shop,
            store: args.store,
            status: {
                consume(&mut status, &missed);
                status
            },
        };
        if !missed.is_empty() {
            save(&state)?;
        }
        Ok(state)
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            AutomationsMsg::Recorded(events) => {
                if consume(&mut state.status, &events) {
                    save(state)?;
                }
            }
            AutomationsMsg::SetPaused(p) => {
                state.status.paused = p;
                save(state)?;
            }
            AutomationsMsg::Status { reply_to } => {
                let _ = reply_to.send(state.status.clone());
            }
            AutomationsMsg::Reset { reply_to } => {
                state.status = AutomationStatus {
                    paused: state.status.paused,
                    ..AutomationStatus::default()
                };
                let _ = reply_to.send(());
            }
        }
        Ok(())
    }
}
