//! Typed requests to a tenant's automation actor: flows and their runs.

use super::{Engine, EngineError};
use crate::actors::automations::policy::AutomationPolicy;
use crate::actors::automations::{AutomationsMsg, FlowCommand, FlowError, FlowView, Progress};
use crate::actors::tenant::TenantMsg;
use crate::domain::automations::run::Run;
use crate::domain::automations::{FlowDraft, FlowStatus};
use crate::logic::automations::FlowProblem;
use crate::store::StoreError;
use ractor::RpcReplyPort;

/// Why a flow request failed: the engine, or the flow command.
#[derive(Debug, thiserror::Error)]
pub enum FlowRequestError {
    /// The tenant's actor could not be reached.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The command was refused.
    #[error(transparent)]
    Flow(#[from] FlowError),
}

impl From<StoreError> for FlowRequestError {
    fn from(e: StoreError) -> Self {
        Self::Flow(FlowError::Store(e))
    }
}

fn flows<T>(
    cmd: impl FnOnce(RpcReplyPort<T>) -> FlowCommand,
) -> impl FnOnce(RpcReplyPort<T>) -> TenantMsg {
    move |reply_to| TenantMsg::Automations(AutomationsMsg::Flows(Box::new(cmd(reply_to))))
}

/// Flows and runs.
impl Engine {
    /// Creates a flow (DRAFT, version 1).
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn create_flow(
        &self,
        shop: &str,
        draft: FlowDraft,
    ) -> Result<FlowView, FlowRequestError> {
        Ok(self
            .call(
                shop,
                flows(|reply_to| FlowCommand::Create { draft, reply_to }),
            )
            .await??)
    }

    /// Edits a flow: a new version (runs finish on theirs).
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn update_flow(
        &self,
        shop: &str,
        id: u64,
        draft: FlowDraft,
    ) -> Result<FlowView, FlowRequestError> {
        Ok(self
            .call(
                shop,
                flows(|reply_to| FlowCommand::Update {
                    id,
                    draft,
                    reply_to,
                }),
            )
            .await??)
    }

    /// Activates, pauses or archives a flow.
    ///
    /// # Errors
    /// [`FlowRequestError`] (an invalid flow is refused with its problems).
    pub async fn set_flow_status(
        &self,
        shop: &str,
        id: u64,
        status: FlowStatus,
    ) -> Result<FlowView, FlowRequestError> {
        Ok(self
            .call(
                shop,
                flows(|reply_to| FlowCommand::SetStatus {
                    id,
                    status,
                    reply_to,
                }),
            )
            .await??)
    }

    /// The problems of a draft.
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn validate_flow(
        &self,
        shop: &str,
        draft: FlowDraft,
    ) -> Result<Vec<FlowProblem>, FlowRequestError> {
        Ok(self
            .call(
                shop,
                flows(|reply_to| FlowCommand::Validate { draft, reply_to }),
            )
            .await??)
    }

    /// One flow.
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn flow(&self, shop: &str, id: u64) -> Result<Option<FlowView>, FlowRequestError> {
        Ok(self
            .call(shop, flows(|reply_to| FlowCommand::Get { id, reply_to }))
            .await??)
    }

    /// Flows by id.
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn flows(
        &self,
        shop: &str,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<FlowView>, FlowRequestError> {
        Ok(self
            .call(
                shop,
                flows(|reply_to| FlowCommand::List {
                    after,
                    limit,
                    reply_to,
                }),
            )
            .await??)
    }

    /// The tenant's automation policy; replaced first when `set` is given.
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn automation_policy(
        &self,
        shop: &str,
        set: Option<AutomationPolicy>,
    ) -> Result<AutomationPolicy, FlowRequestError> {
        let msg = |reply_to| TenantMsg::Automations(AutomationsMsg::Policy { set, reply_to });
        Ok(self.call(shop, msg).await??)
    }

    /// How far the automation actor has consumed the event stream, per event type.
    ///
    /// # Errors
    /// [`EngineError`].
    pub async fn automation_progress(&self, shop: &str) -> Result<Progress, FlowRequestError> {
        let msg = |reply_to| TenantMsg::Automations(AutomationsMsg::Progress { reply_to });
        Ok(self.call(shop, msg).await??)
    }

    /// Runs of a flow or a contact, by id.
    ///
    /// # Errors
    /// [`FlowRequestError`].
    pub async fn runs(
        &self,
        shop: &str,
        flow: Option<u64>,
        contact: Option<u64>,
        after: Option<u64>,
        limit: usize,
    ) -> Result<Vec<Run>, FlowRequestError> {
        let cmd = |reply_to| FlowCommand::Runs {
            flow,
            contact,
            after,
            limit,
            reply_to,
        };
        Ok(self.call(shop, flows(cmd)).await??)
    }
}
