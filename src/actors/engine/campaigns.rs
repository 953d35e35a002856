//! Typed requests for campaigns (held by the tenant's campaign actor) and campaign
//! audiences (resolved by its customer actor).

use super::{Engine, EngineError};
use crate::actors::campaigns::{CampaignsError, CampaignsMsg, Control, Launch};
use crate::actors::customers::audience::{AudienceRequest, Resolved};
use crate::actors::customers::segment_cmds::SegmentCmd;
use crate::actors::customers::segments::SegmentsError;
use crate::actors::tenant::TenantMsg;
use crate::domain::campaigns::{CampaignDefinition, CampaignRun};
use ractor::RpcReplyPort;
use std::time::Duration;

/// Launches may write a million recipients and wait for the disk: longer than a query.
const LAUNCH_TIMEOUT: Duration = Duration::from_secs(120);

impl Engine {
    fn campaigns<T: Send + 'static>(
        c: impl FnOnce(RpcReplyPort<T>) -> CampaignsMsg,
    ) -> impl FnOnce(RpcReplyPort<T>) -> TenantMsg {
        move |reply_to| TenantMsg::Campaigns(c(reply_to))
    }

    /// Stores a new campaign; its id.
    ///
    /// # Errors
    /// [`EngineError`] outside, [`CampaignsError`] inside.
    pub async fn create_campaign(
        &self,
        shop: &str,
        def: CampaignDefinition,
    ) -> Result<Result<u64, CampaignsError>, EngineError> {
        let def = Box::new(def);
        self.call(
            shop,
            Self::campaigns(|reply_to| CampaignsMsg::Create { def, reply_to }),
        )
        .await
    }

    /// Replaces a campaign's definition (before launch).
    ///
    /// # Errors
    /// [`EngineError`] outside, [`CampaignsError`] inside.
    pub async fn update_campaign(
        &self,
        shop: &str,
        id: u64,
        def: CampaignDefinition,
    ) -> Result<Result<(), CampaignsError>, EngineError> {
        let def = Box::new(def);
        self.call(
            shop,
            Self::campaigns(|reply_to| CampaignsMsg::Update { id, def, reply_to }),
        )
        .await
    }

    /// Deletes a campaign.
    ///
    /// # Errors
    /// [`EngineError`] outside, [`CampaignsError`] inside.
    pub async fn delete_campaign(
        &self,
        shop: &str,
        id: u64,
    ) -> Result<Result<(), CampaignsError>, EngineError> {
        self.call(
            shop,
            Self::campaigns(|reply_to| CampaignsMsg::Delete { id, reply_to }),
        )
        .await
    }

    /// Freezes a campaign's audience and starts it.
    ///
    /// # Errors
    /// [`EngineError`] outside, [`CampaignsError`] inside.
    pub async fn launch_campaign(
        &self,
        shop: &str,
        launch: Launch,
    ) -> Result<Result<CampaignRun, CampaignsError>, EngineError> {
        let launch = Box::new(launch);
        self.call_within(
            shop,
            Self::campaigns(|reply_to| CampaignsMsg::Launch { launch, reply_to }),
            LAUNCH_TIMEOUT,
        )
        .await
    }

    /// Pauses, resumes or cancels a campaign.
    ///
    /// # Errors
    /// [`EngineError`] outside, [`CampaignsError`] inside.
    pub async fn control_campaign(
        &self,
        shop: &str,
        id: u64,
        control: Control,
    ) -> Result<Result<CampaignRun, CampaignsError>, EngineError> {
        self.call(
            shop,
            Self::campaigns(|reply_to| CampaignsMsg::Control {
                id,
                control,
                reply_to,
            }),
        )
        .await
    }

    /// Resolves (or only counts) a campaign audience.
    ///
    /// # Errors
    /// [`EngineError`] outside, [`SegmentsError`] inside.
    pub async fn campaign_audience(
        &self,
        shop: &str,
        req: AudienceRequest,
    ) -> Result<Result<Resolved, SegmentsError>, EngineError> {
        let req = Box::new(req);
        let msg = move |reply_to| SegmentCmd::Audience { req, reply_to };
        self.call_within(
            shop,
            move |reply_to| {
                TenantMsg::Customers(crate::actors::customers::CustomersMsg::Segments(Box::new(
                    msg(reply_to),
                )))
            },
            LAUNCH_TIMEOUT,
        )
        .await
    }
}
