//! Typed requests for segments and static lists (held by the tenant's customer actor).

use super::{Engine, EngineError};
use crate::actors::customers::segment_cmds::{Added, SegmentCmd};
use crate::actors::customers::segments::{ListView, SegmentView};
use crate::actors::customers::CustomersMsg;
use crate::actors::tenant::TenantMsg;
use ractor::RpcReplyPort;

fn cmd<T>(
    c: impl FnOnce(RpcReplyPort<T>) -> SegmentCmd,
) -> impl FnOnce(RpcReplyPort<T>) -> TenantMsg {
    move |reply_to| TenantMsg::Customers(CustomersMsg::Segments(Box::new(c(reply_to))))
}

/// Segments and lists. Each method answers the actor's own result inside the engine's.
impl Engine {
    /// Sends a segment command and waits for its answer.
    ///
    /// # Errors
    /// [`EngineError`] when the actor cannot be reached.
    pub async fn segment_cmd<T: Send + 'static>(
        &self,
        shop: &str,
        c: impl FnOnce(RpcReplyPort<T>) -> SegmentCmd,
    ) -> Result<T, EngineError> {
        self.call(shop, cmd(c)).await
    }

    /// One segment.
    ///
    /// # Errors
    /// [`EngineError`].
    pub async fn segment(&self, shop: &str, id: u64) -> Result<Option<SegmentView>, EngineError> {
        self.segment_cmd(shop, |reply_to| SegmentCmd::Get { id, reply_to })
            .await
    }

    /// One list.
    ///
    /// # Errors
    /// [`EngineError`].
    pub async fn list(&self, shop: &str, id: u64) -> Result<Option<ListView>, EngineError> {
        self.segment_cmd(shop, |reply_to| SegmentCmd::GetList { id, reply_to })
            .await
    }

    /// Adds contacts to a list.
    ///
    /// # Errors
    /// [`EngineError`].
    pub async fn add_list_members(
        &self,
        shop: &str,
        list: u64,
        contacts: Vec<u64>,
    ) -> Result<Result<Added, crate::actors::customers::segments::SegmentsError>, EngineError> {
        self.segment_cmd(shop, |reply_to| SegmentCmd::AddMembers {
            list,
            contacts,
            reply_to,
        })
        .await
    }
}
