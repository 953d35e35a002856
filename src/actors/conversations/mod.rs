//! The conversation actor of one tenant: the WhatsApp side. It owns the inbox (threads in
//! memory, messages in the store), applies Meta webhooks (inbound messages, delivery
//! statuses, template reviews, number quality, account updates), keeps templates and the
//! Meta integration health, and runs the tenant's outbox: every outbound message is
//! written durably before any call, then dispatched under the per-number and per-recipient
//! rate limits, retried by Meta's error class, and its `wamid` recorded.
//!
//! Files: `apply` (Meta events), `outbox` (queueing and dispatch), `bulk` (the campaign
//! lane's slices and rounds), `sent` (send results),
//! `commands` (agent and API commands); their records are read and staged through `store::conversations`. The rules they execute
//! are pure functions of `logic::inbox` and `logic::whatsapp`.

mod apply;
mod bulk;
mod commands;
mod moves;
mod outbox;
mod rounds;
mod usage;

mod sent;
mod tally;
mod throughput;
mod wake;

pub use commands::{SendError, SendRequest, Tagged, Target};

use super::Delivered;
use crate::domain::whatsapp::{ChatMessage, IntegrationHealth, Template, Thread, ThreadStatus};
use crate::domain::ShopDomain;
use crate::logic::inbox::{Inbox, ThreadFilter};
use crate::store::conversations as persist;
use crate::store::{Store, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// The old name of [`ActorContext`](crate::actors::context::ActorContext), kept for the
/// files that still spell it so (the tenant supervisor, its children, the benches).
use super::context::ActorContext;

/// Why a conversation command did not succeed: the tenant's actor could not be reached, or
/// it refused the command (nothing was stored or sent).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The actor could not be reached.
    #[error(transparent)]
    Engine(#[from] super::EngineError),
    /// The actor refused the command.
    #[error(transparent)]
    Refused(#[from] SendError),
}

/// A thread and its messages, oldest first.
pub type ThreadWithMessages = (Thread, Vec<ChatMessage>);

/// Messages of the conversation actor.
pub enum ConversationsMsg {
    /// Apply a journaled Meta webhook event.
    Deliver(Delivered),
    /// Queue an outbound message (agent reply, API send, confirmation).
    Send {
        req: Box<SendRequest>,
        reply_to: RpcReplyPort<Result<ChatMessage, SendError>>,
    },
    /// Hand a campaign tick's messages to the campaign lane (one write); each answers on
    /// its own (`bulk::hand`).
    SendBulk {
        items: Vec<crate::domain::bulk::BulkItem>,
        reply_to: RpcReplyPort<Vec<Result<(), SendError>>>,
    },
    /// Messages waiting in the campaign lane.
    BulkDepth { reply_to: RpcReplyPort<usize> },
    /// A tracked link of the message queued under `once_key` was clicked.
    Clicked {
        once_key: u64,
        at: crate::domain::Timestamp,
    },
    /// Add an internal note to a thread (never sent).
    Note {
        thread_id: u64,
        author: String,
        text: String,
        reply_to: RpcReplyPort<Result<ChatMessage, SendError>>,
    },
    /// Assign (or unassign) a thread.
    Assign {
        thread_id: u64,
        agent: Option<String>,
        reply_to: RpcReplyPort<Result<Thread, SendError>>,
    },
    /// Set a thread's status.
    SetStatus {
        thread_id: u64,
        status: ThreadStatus,
        reply_to: RpcReplyPort<Result<Thread, SendError>>,
    },
    /// Mark a thread read.
    MarkRead {
        thread_id: u64,
        reply_to: RpcReplyPort<Result<Thread, SendError>>,
    },
    /// Threads matching a filter.
    Threads {
        filter: ThreadFilter,
        reply_to: RpcReplyPort<Vec<Thread>>,
    },
    /// One thread with its messages.
    Thread {
        id: u64,
        reply_to: RpcReplyPort<Result<Option<ThreadWithMessages>, StoreError>>,
    },
    /// One message.
    Message {
        id: u64,
        reply_to: RpcReplyPort<Result<Option<ChatMessage>, StoreError>>,
    },
    /// Save or replace a template record.
    PutTemplate {
        template: Template,
        reply_to: RpcReplyPort<Result<(), SendError>>,
    },
    /// Remove a template record.
    RemoveTemplate {
        name: String,
        reply_to: RpcReplyPort<Result<usize, SendError>>,
    },
    /// All templates.
    Templates {
        reply_to: RpcReplyPort<Result<Vec<Template>, StoreError>>,
    },
    /// Meta integration health.
    Health {
        reply_to: RpcReplyPort<IntegrationHealth>,
    },
    /// Replace the Meta integration health (checks made outside the actor).
    SetHealth { health: IntegrationHealth },
    /// Counters of the inbox.
    Status { reply_to: RpcReplyPort<InboxStatus> },
    /// Forget everything (shop/redact erased the store).
    Reset { reply_to: RpcReplyPort<()> },
    /// Dispatcher wake-up: send what is due.
    Pump,
    /// A send finished.
    SendCompleted {
        message_id: u64,
        result: Result<String, crate::integrations::meta::error::MetaError>,
    },
    /// A round of the campaign lane's sends finished (`rounds::on_completed`).
    LaneCompleted {
        round: u64,
        results: Vec<rounds::Sent>,
    },
}

/// Counters of the inbox (tenant status).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxStatus {
    /// Threads held.
    pub threads: u64,
    /// Messages waiting in the outbox.
    pub queued: u64,
    /// Messages being sent right now.
    pub in_flight: u64,
}

/// Arguments.
pub struct ConversationsArgs {
    /// Shop domain.
    pub shop: ShopDomain,
    /// Store.
    pub store: Store,
    /// Meta client and settings.
    pub services: Arc<ActorContext>,
    /// Journal seq being applied (0 when idle); see `CustomersArgs::in_flight`.
    pub in_flight: Arc<std::sync::atomic::AtomicU64>,
    /// The tenant's customer actor (contacts of WhatsApp numbers, opt-out words).
    pub customers: super::Sibling<super::customers::CustomersMsg>,
    /// The automation actor (inbound messages are domain events: the keyword trigger).
    pub automations: super::Sibling<super::automations::AutomationsMsg>,
}

/// State.
pub struct ConversationsState {
    shop: ShopDomain,
    store: Store,
    services: Arc<ActorContext>,
    in_flight: Arc<std::sync::atomic::AtomicU64>,
    inbox: Inbox,
    health: IntegrationHealth,
    outbox: outbox::Outbox,
    customers: super::Sibling<super::customers::CustomersMsg>,
    automations: super::Sibling<super::automations::AutomationsMsg>,
    /// Domain events of the delivery being applied (recorded with it).
    recorded: Vec<crate::domain::EventKind>,
    retries: super::retry::Retries,
    /// The billing period's conversations, as counted (`usage`).
    usage: Option<(u64, u64)>,
    /// Counters of message sources, as stored (`tally`).
    stats: std::collections::HashMap<u64, crate::domain::analytics::SourceStats>,
    /// Messages changed by the delivery being applied (not yet written).
    staged: std::collections::HashMap<u64, ChatMessage>,
}

impl ConversationsState {
    /// Replaces the Meta integration health (a transition of `logic::whatsapp::health`)
    /// and writes it.
    fn set_health(&mut self, next: IntegrationHealth) -> Result<(), crate::store::StoreError> {
        self.health = next;
        persist::save_health(&self.store, &self.shop, &self.health)
    }
}

/// The conversation actor.
pub struct Conversations;

impl Actor for Conversations {
    type Msg = ConversationsMsg;
    type State = ConversationsState;
    type Arguments = ConversationsArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: ConversationsArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let threads = persist::load_threads(&args.store, &args.shop)?;
        let health = persist::load_health(&args.store, &args.shop)?;
        let outbox = outbox::Outbox::recover(&args.store, &args.shop, &args.services.settings)?;
        let state = ConversationsState {
            inbox: Inbox::restore(threads),
            health,
            outbox,
            shop: args.shop,
            store: args.store,
            services: args.services,
            in_flight: args.in_flight,
            customers: args.customers,
            automations: args.automations,
            recorded: Vec::new(),
            retries: Default::default(),
            usage: None,
            stats: Default::default(),
            staged: Default::default(),
        };
        let _ = myself.cast(ConversationsMsg::Pump);
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ConversationsMsg::Deliver(d) => apply::on_deliver(&myself, state, d).await?,
            ConversationsMsg::Pump => outbox::pump(&myself, state)?,
            ConversationsMsg::SendCompleted { message_id, result } => {
                sent::on_completed(&myself, state, message_id, result)?
            }
            ConversationsMsg::LaneCompleted { round, results } => {
                rounds::on_completed(&myself, state, round, results)?
            }
            other => commands::handle(&myself, state, other)?,
        }
        Ok(())
    }
}
