//! The conversation actor of one tenant. It exists now so the tenant tree has its final
//! shape; it owns a small durable state (when the inbox was opened, how many threads it
//! holds) that the WhatsApp issue grows into threads, messages and the 24 h window.

use crate::domain::Timestamp;
use crate::store::{Batch, Kind, Store};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use serde::{Deserialize, Serialize};

/// Messages of the conversation actor.
pub enum ConversationsMsg {
    /// Current state.
    Status { reply_to: RpcReplyPort<InboxStatus> },
    /// Forget everything (shop/redact).
    Reset { reply_to: RpcReplyPort<()> },
}

/// The durable state of the inbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxStatus {
    /// When the inbox was first opened for this tenant.
    pub opened_at: Timestamp,
    /// Threads held.
    pub threads: u64,
}

/// Arguments.
pub struct ConversationsArgs {
    /// Shop domain.
    pub shop: String,
    /// Store.
    pub store: Store,
}

/// State.
pub struct ConversationsState {
    shop: String,
    store: Store,
    status: InboxStatus,
}

/// The conversation actor.
pub struct Conversations;

impl Actor for Conversations {
    type Msg = ConversationsMsg;
    type State = ConversationsState;
    type Arguments = ConversationsArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        args: ConversationsArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let status = match args.store.get(&args.shop, Kind::Conversations, 0)? {
            Some(s) => s,
            None => {
                let s = InboxStatus {
                    opened_at: Timestamp::now(),
                    threads: 0,
                };
                let mut batch = Batch::new();
                batch.put(&args.shop, Kind::Conversations, 0, &s)?;
                args.store.commit(batch)?;
                s
            }
        };
        Ok(ConversationsState {
            shop: args.shop,
            store: args.store,
            status,
        })
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            ConversationsMsg::Status { reply_to } => {
                let _ = reply_to.send(state.status.clone());
            }
            ConversationsMsg::Reset { reply_to } => {
                state.status.threads = 0;
                let mut batch = Batch::new();
                batch.put(&state.shop, Kind::Conversations, 0, &state.status)?;
                state.store.commit(batch)?;
                let _ = reply_to.send(());
            }
        }
        Ok(())
    }
}
