//! The campaign actor of one tenant: owns the campaign records (definitions, run states,
//! frozen recipient lists, the quiet-hours hold queue) and dispatches launched campaigns.
//! Launch writes the frozen list and the run in one batch and makes it durable before it
//! answers; dispatch (`feed`) then walks the list in order, a slice per tick, handing each
//! recipient to the outbox's campaign lane under a once-key of (campaign, position), and
//! writes the cursor after the outbox has the messages. A crash between the two re-hands
//! the same positions, which the once-keys turn into the messages already queued: no
//! recipient is sent twice or skipped. The lane is kept about `campaigns.lane_seconds`
//! deep, so memory is bounded whatever the audience and a pause takes effect within
//! those seconds (what is already in the lane still goes).
//! Must not call Meta: messages go through the conversation actor's outbox.

mod ab;
mod feed;
mod finish;
mod links;
mod outcomes;

pub use finish::campaign_stats;

use super::conversations::ConversationsMsg;
use super::Sibling;
use crate::config::{AutomationSettings, CampaignSettings};
use crate::domain::campaigns::{
    CampaignDefinition, CampaignRun, CampaignStatus, Recipient, StoredCampaign,
};
use crate::domain::{ShopDomain, Timestamp};
use crate::store::campaigns::CHUNK;
use crate::store::{Batch, Kind, Store, StoreError};
use ractor::{Actor, ActorProcessingErr, ActorRef, RpcReplyPort};
use std::collections::BTreeMap;

/// Why a campaign command was refused (nothing changed).
#[derive(Debug, thiserror::Error)]
pub enum CampaignsError {
    /// No such campaign.
    #[error("no campaign {0}")]
    NotFound(u64),
    /// The command does not fit the campaign's status.
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the merchant does to a launched campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Stop handing recipients on (the lane's few seconds still go).
    Pause,
    /// Go on where it stopped.
    Resume,
    /// Stop for good; held recipients are dropped.
    Cancel,
}

/// A launch, once its checks passed.
#[derive(Clone, Debug)]
pub struct Launch {
    /// The campaign.
    pub id: u64,
    /// The frozen audience, in send order.
    pub recipients: Vec<Recipient>,
    /// When sending starts.
    pub start_at: Timestamp,
    /// The sending number.
    pub phone_number_id: String,
    /// A large send on a LOW-quality number was confirmed.
    pub confirmed_low_quality: bool,
}

/// Messages of the campaign actor.
pub enum CampaignsMsg {
    /// Store a new campaign (PENDING).
    Create {
        def: Box<CampaignDefinition>,
        reply_to: RpcReplyPort<Result<u64, CampaignsError>>,
    },
    /// Replace a campaign's definition (only before launch).
    Update {
        id: u64,
        def: Box<CampaignDefinition>,
        reply_to: RpcReplyPort<Result<(), CampaignsError>>,
    },
    /// Delete a campaign (before launch, or once final).
    Delete {
        id: u64,
        reply_to: RpcReplyPort<Result<(), CampaignsError>>,
    },
    /// Freeze the audience and start (or schedule) sending.
    Launch {
        launch: Box<Launch>,
        reply_to: RpcReplyPort<Result<CampaignRun, CampaignsError>>,
    },
    /// Pause, resume or cancel.
    Control {
        id: u64,
        control: Control,
        reply_to: RpcReplyPort<Result<CampaignRun, CampaignsError>>,
    },
    /// Dispatch wake-up.
    Tick,
    /// Pause every campaign still to send, with the reason (the app was uninstalled).
    PauseAll { reason: String },
    /// Forget everything (shop/redact erased the store).
    Reset { reply_to: RpcReplyPort<()> },
}

/// Arguments.
pub struct CampaignsArgs {
    /// Shop.
    pub shop: ShopDomain,
    /// Store.
    pub store: Store,
    /// The outbox's owner.
    pub conversations: Sibling<ConversationsMsg>,
    /// Dispatch settings.
    pub settings: CampaignSettings,
    /// The global marketing cap (shared with flows) and the time scale.
    pub automations: AutomationSettings,
    /// The number's rate (messages per second), to size the lane.
    pub messages_per_second: u32,
}

/// A launched campaign that is not final.
struct Active {
    def: CampaignDefinition,
    run: CampaignRun,
}

/// State.
pub struct CampaignsState {
    shop: ShopDomain,
    store: Store,
    conversations: Sibling<ConversationsMsg>,
    settings: CampaignSettings,
    automations: AutomationSettings,
    messages_per_second: u32,
    active: BTreeMap<u64, Active>,
    /// The chunk of a frozen list last read: (campaign, chunk number, recipients).
    chunk: Option<(u64, u64, Vec<Recipient>)>,
    armed: bool,
}

/// The campaign actor.
pub struct Campaigns;

fn definition(c: &StoredCampaign) -> Result<CampaignDefinition, StoreError> {
    serde_json::from_str(&c.definition)
        .map_err(|e| StoreError::Corrupt(format!("campaign {} definition: {e}", c.id)))
}

/// Loads the launched campaigns that are not final.
fn load(store: &Store, shop: &str) -> Result<BTreeMap<u64, Active>, StoreError> {
    let mut out = BTreeMap::new();
    for (id, run) in store.scan::<CampaignRun>(shop, Kind::CampaignRun)? {
        if run.launched_at.is_none() || run.status().is_final() {
            continue;
        }
        if let Some(c) = store.campaign(shop, id)? {
            out.insert(
                id,
                Active {
                    def: definition(&c)?,
                    run,
                },
            );
        }
    }
    Ok(out)
}

impl CampaignsState {
    fn arm(&mut self, myself: &ActorRef<CampaignsMsg>) {
        if self.armed {
            return;
        }
        self.armed = true;
        let wait = std::time::Duration::from_millis(self.settings.tick_ms.max(1));
        myself.send_after(wait, || CampaignsMsg::Tick);
    }

    fn stored(&self, id: u64) -> Result<StoredCampaign, CampaignsError> {
        self.store
            .campaign(&self.shop, id)?
            .ok_or(CampaignsError::NotFound(id))
    }
}

fn create(state: &CampaignsState, def: &CampaignDefinition) -> Result<u64, CampaignsError> {
    let id = state.store.next_id()?;
    let c = StoredCampaign {
        id,
        definition: serde_json::to_string(def)
            .map_err(|e| StoreError::Corrupt(format!("campaign definition: {e}")))?,
        created_at: Timestamp::now(),
    };
    let mut b = Batch::new();
    b.put(&state.shop, Kind::Campaign, id, &c)?;
    state.store.commit(b)?;
    Ok(id)
}

fn update(state: &CampaignsState, id: u64, def: &CampaignDefinition) -> Result<(), CampaignsError> {
    let mut c = state.stored(id)?;
    let run = state.store.campaign_run(&state.shop, id)?;
    if run.launched_at.is_some() {
        return Err(CampaignsError::Conflict(format!(
            "campaign {id} was launched ({}); a launched campaign cannot be edited",
            run.status().as_str()
        )));
    }
    c.definition = serde_json::to_string(def)
        .map_err(|e| StoreError::Corrupt(format!("campaign definition: {e}")))?;
    let mut b = Batch::new();
    b.put(&state.shop, Kind::Campaign, id, &c)?;
    state.store.commit(b)?;
    Ok(())
}

fn delete(state: &CampaignsState, id: u64) -> Result<(), CampaignsError> {
    state.stored(id)?;
    let run = state.store.campaign_run(&state.shop, id)?;
    if run.launched_at.is_some() && !run.status().is_final() {
        return Err(CampaignsError::Conflict(format!(
            "campaign {id} is {}: cancel it before deleting it",
            run.status().as_str()
        )));
    }
    let mut b = Batch::new();
    b.remove(&state.shop, Kind::Campaign, id);
    b.remove(&state.shop, Kind::CampaignRun, id);
    for chunk in 0..run.total.div_ceil(CHUNK) {
        b.remove_pair(&state.shop, Kind::CampaignRecipients, id, chunk);
    }
    state.store.commit(b)?;
    Ok(())
}

/// Writes the frozen list and the run in one batch, durably.
async fn launch(
    myself: &ActorRef<CampaignsMsg>,
    state: &mut CampaignsState,
    l: Launch,
) -> Result<CampaignRun, CampaignsError> {
    let c = state.stored(l.id)?;
    let before = state.store.campaign_run(&state.shop, l.id)?;
    if before.launched_at.is_some() {
        return Err(CampaignsError::Conflict(format!(
            "campaign {} was already launched ({})",
            l.id,
            before.status().as_str()
        )));
    }
    let def = definition(&c)?;
    let now = Timestamp::now();
    let sending = l.start_at <= now;
    let run = CampaignRun {
        status: Some(if sending {
            CampaignStatus::Sending
        } else {
            CampaignStatus::Pending
        }),
        status_at: now,
        launched_at: Some(now),
        start_at: Some(l.start_at),
        total: l.recipients.len() as u64,
        confirmed_low_quality: l.confirmed_low_quality,
        phone_number_id: l.phone_number_id,
        ab_phase: if def.ab.is_some() {
            ab::SAMPLING
        } else {
            ab::NONE
        },
        ..CampaignRun::default()
    };
    let mut b = Batch::new();
    for (i, chunk) in l.recipients.chunks(CHUNK as usize).enumerate() {
        b.put_recipients(&state.shop, l.id, i as u64, chunk)?;
    }
    b.put(&state.shop, Kind::CampaignRun, l.id, &run)?;
    state.store.commit(b)?;
    state.store.durable().await?;
    tracing::info!(message = "Campaign launched.", tenant = %state.shop, campaign = l.id, recipients = run.total, start_at = %l.start_at);
    state.active.insert(
        l.id,
        Active {
            def,
            run: run.clone(),
        },
    );
    state.arm(myself);
    Ok(run)
}

async fn control(
    myself: &ActorRef<CampaignsMsg>,
    state: &mut CampaignsState,
    id: u64,
    what: Control,
) -> Result<CampaignRun, CampaignsError> {
    state.stored(id)?;
    let Some(a) = state.active.get_mut(&id) else {
        let run = state.store.campaign_run(&state.shop, id)?;
        return Err(CampaignsError::Conflict(format!(
            "campaign {id} is {}{}",
            run.status().as_str(),
            if run.launched_at.is_none() {
                ": launch it first"
            } else {
                ": it is over"
            }
        )));
    };
    let now = Timestamp::now();
    let status = a.run.status();
    let next = match (what, status) {
        (Control::Pause, CampaignStatus::Sending | CampaignStatus::Pending) => {
            CampaignStatus::Paused
        }
        (Control::Resume, CampaignStatus::Paused) if a.run.start_at.is_some_and(|s| s > now) => {
            CampaignStatus::Pending
        }
        (Control::Resume, CampaignStatus::Paused) => CampaignStatus::Sending,
        (Control::Cancel, _) => CampaignStatus::Cancelled,
        (w, s) => {
            return Err(CampaignsError::Conflict(format!(
                "campaign {id} is {}: cannot {}",
                s.as_str(),
                format!("{w:?}").to_lowercase()
            )))
        }
    };
    a.run.status = Some(next);
    a.run.status_at = now;
    let mut b = Batch::new();
    if next == CampaignStatus::Cancelled {
        a.run.finished_at = Some(now);
        a.run.note = Some("cancelled by the merchant".into());
        for (due, seq, h) in state.store.held_due(&state.shop, i64::MAX, usize::MAX)? {
            if h.campaign == id {
                b.remove_held(&state.shop, due, seq);
            }
        }
        a.run.held = 0;
    }
    b.put(&state.shop, Kind::CampaignRun, id, &a.run)?;
    let run = a.run.clone();
    state.store.commit(b)?;
    state.store.durable().await?;
    if run.status().is_final() {
        state.active.remove(&id);
    }
    tracing::info!(message = "Campaign control.", tenant = %state.shop, campaign = id, control = ?what, status = run.status().as_str());
    state.arm(myself);
    Ok(run)
}

/// Pauses every sending or scheduled campaign with `reason` (resume brings each back).
async fn pause_all(state: &mut CampaignsState, reason: &str) -> Result<(), CampaignsError> {
    let now = Timestamp::now();
    let mut b = Batch::new();
    for (id, a) in &mut state.active {
        if matches!(
            a.run.status(),
            CampaignStatus::Sending | CampaignStatus::Pending
        ) {
            a.run.status = Some(CampaignStatus::Paused);
            a.run.status_at = now;
            a.run.note = Some(format!("paused: {reason}"));
            b.put(&state.shop, Kind::CampaignRun, *id, &a.run)?;
            tracing::info!(message = "Campaign paused.", tenant = %state.shop, campaign = id, reason);
        }
    }
    state.store.commit(b)?;
    state.store.durable().await?;
    Ok(())
}

impl Actor for Campaigns {
    type Msg = CampaignsMsg;
    type State = CampaignsState;
    type Arguments = CampaignsArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<Self::Msg>,
        args: CampaignsArgs,
    ) -> Result<Self::State, ActorProcessingErr> {
        let active = load(&args.store, &args.shop)?;
        let mut state = CampaignsState {
            shop: args.shop,
            store: args.store,
            conversations: args.conversations,
            settings: args.settings,
            automations: args.automations,
            messages_per_second: args.messages_per_second,
            active,
            chunk: None,
            armed: false,
        };
        if !state.active.is_empty() {
            state.arm(&myself);
        }
        Ok(state)
    }

    async fn handle(
        &self,
        myself: ActorRef<Self::Msg>,
        msg: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match msg {
            CampaignsMsg::Create { def, reply_to } => {
                let _ = reply_to.send(create(state, &def));
            }
            CampaignsMsg::Update { id, def, reply_to } => {
                let _ = reply_to.send(update(state, id, &def));
            }
            CampaignsMsg::Delete { id, reply_to } => {
                let _ = reply_to.send(delete(state, id));
            }
            CampaignsMsg::Launch {
                launch: l,
                reply_to,
            } => {
                let _ = reply_to.send(launch(&myself, state, *l).await);
            }
            CampaignsMsg::Control {
                id,
                control: c,
                reply_to,
            } => {
                let _ = reply_to.send(control(&myself, state, id, c).await);
            }
            CampaignsMsg::Tick => {
                state.armed = false;
                feed::tick(state).await?;
                if !state.active.is_empty() {
                    state.arm(&myself);
                }
            }
            CampaignsMsg::PauseAll { reason } => pause_all(state, &reason).await?,
            CampaignsMsg::Reset { reply_to } => {
                state.active.clear();
                state.chunk = None;
                let _ = reply_to.send(());
            }
        }
        Ok(())
    }
}
