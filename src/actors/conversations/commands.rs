//! Commands and queries of the conversation actor: queue a message (window and template
//! checks before anything is stored or sent), notes, assignment, status, reads, templates,
//! health.
//! Must not call Meta: sends are queued for `outbox`, which owns every call.

use super::{outbox, ConversationsMsg, ConversationsState, InboxStatus};
use crate::domain::analytics::MessageTag;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{
    ChatMessage, IntegrationHealth, MessageContent, Purpose, Template, TemplateStatus, Thread,
};
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::inbox::InboxError;
use crate::logic::whatsapp::health;
use crate::store::conversations as persist;
use crate::store::{Batch, Kind, StoreError};
use ractor::{ActorProcessingErr, ActorRef, RpcReplyPort};

/// Who a message goes to.
#[derive(Clone, Debug)]
pub enum Target {
    /// An existing thread.
    Thread(u64),
    /// A customer number, through one of our numbers (the thread is created if needed).
    Customer {
        /// The customer's number.
        phone: PhoneE164,
        /// Our number.
        phone_number_id: String,
        /// The contact, when known.
        contact_id: Option<ShopifyId>,
    },
}

/// A message to queue.
#[derive(Clone, Debug)]
pub struct SendRequest {
    /// Recipient.
    pub target: Target,
    /// The agent writing (first replier takes an unassigned thread); `None` for the API
    /// or automations.
    pub author: Option<String>,
    /// The Meta request body (`to` is filled in from the thread).
    pub body: serde_json::Value,
    /// Message kind (`text`, `template`, `product` …).
    pub kind: String,
    /// Readable form.
    pub text: Option<String>,
    /// `(name, language)` when this is a template: it must be approved.
    pub template: Option<(String, String)>,
    /// Policy class.
    pub purpose: Purpose,
    /// A caller's key that makes the send happen at most once: a second request with the
    /// same key answers the message the first one queued, and queues nothing. The
    /// automation engine uses it (one key per run step), so a step re-sent after a crash
    /// between its own commit and this one cannot queue a second message.
    pub once_key: Option<u64>,
    /// The campaign lane: the message waits while any other message of the tenant is due,
    /// and leaves some of the in-flight slots free, so a campaign at full rate never
    /// delays an inbox reply, an automation step or a utility message by more than one
    /// dispatcher tick.
    pub bulk: bool,
    /// What the message is sent for (its analytics): the source, the contact and a
    /// campaign recipient's position.
    pub source: Option<Tagged>,
}

/// The analytics tag of a message to queue.
#[derive(Clone, Debug)]
pub struct Tagged {
    /// What sends it.
    pub source: crate::domain::analytics::Source,
    /// The contact (0: unknown).
    pub contact: u64,
    /// A campaign recipient's position in the frozen list (0 otherwise).
    pub position: u64,
}

/// Why a command was refused. Nothing is stored or sent when a send is refused.
#[derive(Debug, thiserror::Error, Clone)]
pub enum SendError {
    /// Inbox rule (no thread, window closed).
    #[error(transparent)]
    Inbox(#[from] InboxError),
    /// The template is unknown.
    #[error("template `{name}` ({language}) does not exist for this shop")]
    UnknownTemplate { name: String, language: String },
    /// The template is not approved.
    #[error("template `{name}` ({language}) is not approved (status {status}); only APPROVED templates can be sent")]
    TemplateNotApproved {
        name: String,
        language: String,
        status: TemplateStatus,
    },
    /// The number is not one of the tenant's.
    #[error("phone number id `{0}` is not one of this shop's WhatsApp numbers")]
    UnknownNumber(String),
    /// The plan's conversations of the month are used up: marketing waits for the next
    /// month or an upgrade.
    #[error("the {plan} plan's {included} conversations of this month are used ({used}); marketing messages are refused until next month or an upgrade (utility messages and replies still go)")]
    UsageExhausted {
        plan: String,
        used: u64,
        included: u64,
    },
    /// The store failed (the cause is kept as the source).
    #[error("storage failed")]
    Store(#[source] std::sync::Arc<StoreError>),
}

impl From<StoreError> for SendError {
    fn from(e: StoreError) -> Self {
        SendError::Store(std::sync::Arc::new(e))
    }
}

/// Refuses a template that is unknown or not approved.
pub(super) fn check_template(
    state: &ConversationsState,
    template: Option<&(String, String)>,
) -> Result<(), SendError> {
    let Some((name, language)) = template else {
        return Ok(());
    };
    match persist::template(&state.store, &state.shop, name, language)? {
        None => Err(SendError::UnknownTemplate {
            name: name.clone(),
            language: language.clone(),
        }),
        Some(t) if t.status != TemplateStatus::Approved => Err(SendError::TemplateNotApproved {
            name: name.clone(),
            language: language.clone(),
            status: t.status,
        }),
        Some(_) => Ok(()),
    }
}

/// The thread a message goes to; a customer without one gets a new thread, but only for
/// a template (a new thread has no window), and only through one of the tenant's numbers.
fn resolve_thread(
    state: &mut ConversationsState,
    target: &Target,
    template: bool,
    now: Timestamp,
) -> Result<u64, SendError> {
    let (phone, phone_number_id, contact_id) = match target {
        Target::Thread(id) => return Ok(*id),
        Target::Customer {
            phone,
            phone_number_id,
            contact_id,
        } => (*phone, phone_number_id, *contact_id),
    };
    let known = state
        .store
        .tenant(&state.shop)?
        .is_some_and(|t| t.meta_phone_number_ids.iter().any(|p| p == phone_number_id));
    if !known {
        return Err(SendError::UnknownNumber(phone_number_id.clone()));
    }
    if let Some(t) = state.inbox.find(phone_number_id, phone) {
        return Ok(t.id);
    }
    // Check before creating anything: a new thread has no window.
    if !template {
        return Err(SendError::Inbox(InboxError::WindowClosed {
            thread: 0,
            last: "never".into(),
        }));
    }
    let id = state.store.next_id()?;
    let (t, _) = state
        .inbox
        .open_thread(id, phone_number_id, phone, contact_id, now);
    Ok(t.id)
}

fn queue(state: &mut ConversationsState, req: SendRequest) -> Result<ChatMessage, SendError> {
    let mut batch = Batch::new();
    let (m, scheduled) = stage(state, req, &mut batch)?;
    state.store.commit(batch)?;
    if let Some(s) = scheduled {
        state.outbox.schedule_in(s.0, s.1, m.id);
    }
    Ok(m)
}

/// Checks a send and stages the queued message (and its thread, outbox entry, once-key
/// and tag) in `batch`. Returns the message and, when it is new, its due time and lane
/// for the dispatcher (scheduled once the batch is written).
fn stage(
    state: &mut ConversationsState,
    req: SendRequest,
    batch: &mut Batch,
) -> Result<(ChatMessage, Option<(Timestamp, bool)>), SendError> {
    let now = Timestamp::now();
    if let Some(key) = req.once_key {
        let queued: Option<u64> = state.store.get(&state.shop, Kind::SendOnce, key)?;
        if let Some(m) =
            queued.and_then(|id| persist::message(&state.store, &state.shop, id).transpose())
        {
            return Ok((m?, None));
        }
    }
    check_template(state, req.template.as_ref())?;
    super::usage::check(state, req.purpose)?;
    let template = req.template.is_some();
    let thread_id = resolve_thread(state, &req.target, template, now)?;
    state.inbox.check_send(thread_id, template, now)?;
    let mut body = req.body;
    if let (Some(o), Some(t)) = (body.as_object_mut(), state.inbox.thread(thread_id)) {
        o.insert(
            "to".into(),
            serde_json::Value::String(t.customer.to_string()),
        );
    }
    let out = Outgoing {
        author: req.author,
        content: MessageContent {
            kind: req.kind,
            text: req.text,
            payload: Some(body.to_string()),
        },
        purpose: req.purpose,
        once_key: req.once_key,
        source: req.source,
        queue: Some(req.bulk),
    };
    let (m, _) = stage_checked(state, out, thread_id, now, batch)?;
    Ok((m, Some((now, req.bulk))))
}

/// A message to stage whose checks passed.
pub(super) struct Outgoing {
    /// The agent writing, if any.
    pub author: Option<String>,
    /// Kind, readable text and the Meta body (`to` included).
    pub content: MessageContent,
    /// Policy class.
    pub purpose: Purpose,
    /// The caller's once-key.
    pub once_key: Option<u64>,
    /// Its analytics tag.
    pub source: Option<Tagged>,
    /// Queued on the outbox (`Some(true)`: its campaign lane); `None`: the message is not
    /// staged, the caller stages it in the state it reached (the campaign lane's sends).
    pub queue: Option<bool>,
}

/// Stages a message whose checks passed on `thread_id`, with its thread, once-key and tag
/// (see [`Outgoing::queue`]); returns it and its tag when it has one.
pub(super) fn stage_checked(
    state: &mut ConversationsState,
    out: Outgoing,
    thread_id: u64,
    now: Timestamp,
    batch: &mut Batch,
) -> Result<(ChatMessage, Option<MessageTag>), SendError> {
    let thread = state
        .inbox
        .on_outbound(thread_id, out.author.as_deref(), now)?;
    let id = state.store.next_id()?;
    let m = ChatMessage::queued_outbound(id, thread_id, out.author, out.content, out.purpose, now);
    persist::stage_thread(batch, &state.shop, &thread)?;
    if let Some(bulk) = out.queue {
        outbox::stage_queued(batch, &state.shop, &m, bulk)?;
    }
    if let Some(key) = out.once_key {
        batch.put(&state.shop, Kind::SendOnce, key, &m.id)?;
    }
    let tag = match &out.source {
        Some(t) => Some(super::tally::on_queued(state, batch, &m, t)?),
        None => None,
    };
    metrics::counter!("galantis_messages_queued_total", "purpose" => format!("{:?}", m.purpose))
        .increment(1);
    Ok((m, tag))
}

fn note(
    state: &mut ConversationsState,
    thread_id: u64,
    author: String,
    text: String,
) -> Result<ChatMessage, SendError> {
    let now = Timestamp::now();
    if state.inbox.thread(thread_id).is_none() {
        return Err(InboxError::NoThread(thread_id).into());
    }
    let m = ChatMessage::note(state.store.next_id()?, thread_id, author, text, now);
    let mut batch = Batch::new();
    persist::stage_message(&mut batch, &state.shop, &m)?;
    state.store.commit(batch)?;
    Ok(m)
}

fn save_thread(
    state: &ConversationsState,
    t: &crate::domain::whatsapp::Thread,
) -> Result<(), SendError> {
    let mut b = Batch::new();
    persist::stage_thread(&mut b, &state.shop, t)?;
    state.store.commit(b)?;
    Ok(())
}

/// Saves a thread an inbox command changed and answers with it.
fn reply_thread(
    state: &ConversationsState,
    r: Result<Thread, InboxError>,
    reply_to: RpcReplyPort<Result<Thread, SendError>>,
) {
    let r = r
        .map_err(SendError::from)
        .and_then(|t| save_thread(state, &t).map(|()| t));
    let _ = reply_to.send(r);
}

fn put_template(state: &ConversationsState, template: &Template) -> Result<(), SendError> {
    let mut b = Batch::new();
    let id = persist::template_id(&template.name, &template.language);
    b.put(&state.shop, Kind::Template, id, template)
        .and_then(|()| state.store.commit(b))
        .map_err(SendError::from)
}

/// Removes every language of a template; returns how many records went.
fn remove_template(state: &ConversationsState, name: &str) -> Result<usize, SendError> {
    let all = persist::templates(&state.store, &state.shop)?;
    let mut b = Batch::new();
    let mut n = 0;
    for t in all.iter().filter(|t| t.name == name) {
        b.remove(
            &state.shop,
            Kind::Template,
            persist::template_id(&t.name, &t.language),
        );
        n += 1;
    }
    state.store.commit(b)?;
    Ok(n)
}

/// Replaces the health (a check or an admin call made outside the actor); a token that
/// stops being dead lets the held outbox drain.
fn set_health(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    next: IntegrationHealth,
) -> Result<(), ActorProcessingErr> {
    let revived = health::token_revived(&state.health, &next);
    state.set_health(next)?;
    if revived {
        outbox::pump(myself, state)?;
    }
    Ok(())
}

/// Queues a message, answers, and lets the dispatcher send it.
fn send(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    req: SendRequest,
    reply_to: RpcReplyPort<Result<ChatMessage, SendError>>,
) -> Result<(), ActorProcessingErr> {
    let r = queue(state, req);
    let ok = r.is_ok();
    let _ = reply_to.send(r);
    if ok {
        outbox::pump(myself, state)?;
    }
    Ok(())
}

/// Counts a click on a tracked link of the message queued under `once_key`.
fn clicked(state: &mut ConversationsState, once_key: u64, at: Timestamp) -> Result<(), StoreError> {
    let Some(id) = state
        .store
        .get::<u64>(&state.shop, Kind::SendOnce, once_key)?
    else {
        return Ok(());
    };
    let mut b = Batch::new();
    if super::tally::on_click(state, &mut b, id, at)? {
        state.store.commit(b)?;
    }
    Ok(())
}

/// Handles every command and query.
pub fn handle(
    myself: &ActorRef<ConversationsMsg>,
    state: &mut ConversationsState,
    msg: ConversationsMsg,
) -> Result<(), ActorProcessingErr> {
    use ConversationsMsg as M;
    match msg {
        M::Send { req, reply_to } => send(myself, state, *req, reply_to)?,
        M::SendBulk { items, reply_to } => {
            let r = super::bulk::hand(state, items);
            let any = r.iter().any(Result::is_ok);
            let _ = reply_to.send(r);
            if any {
                outbox::pump(myself, state)?;
            }
        }
        M::Note {
            thread_id,
            author,
            text,
            reply_to,
        } => {
            let _ = reply_to.send(note(state, thread_id, author, text));
        }
        M::Assign {
            thread_id,
            agent,
            reply_to,
        } => {
            let r = state.inbox.assign(thread_id, agent.as_deref());
            reply_thread(state, r, reply_to);
        }
        M::SetStatus {
            thread_id,
            status,
            reply_to,
        } => {
            let r = state.inbox.set_status(thread_id, status);
            reply_thread(state, r, reply_to);
        }
        M::MarkRead {
            thread_id,
            reply_to,
        } => {
            let r = state.inbox.mark_read(thread_id);
            reply_thread(state, r, reply_to);
        }
        M::PutTemplate { template, reply_to } => {
            let _ = reply_to.send(put_template(state, &template));
        }
        M::RemoveTemplate { name, reply_to } => {
            let _ = reply_to.send(remove_template(state, &name));
        }
        M::SetHealth { health } => set_health(myself, state, health)?,
        M::Clicked { once_key, at } => clicked(state, once_key, at)?,
        M::Reset { reply_to } => {
            state.inbox = crate::logic::inbox::Inbox::default();
            state.outbox.clear();
            state.stats.clear();
            state.health = health::fresh();
            let _ = reply_to.send(());
        }
        M::Deliver(_) | M::Pump | M::SendCompleted { .. } | M::LaneCompleted { .. } => {}
        query => answer(state, query)?,
    }
    Ok(())
}

/// Answers the queries (nothing changes).
fn answer(state: &ConversationsState, msg: ConversationsMsg) -> Result<(), ActorProcessingErr> {
    use ConversationsMsg as M;
    match msg {
        M::Threads { filter, reply_to } => {
            let _ = reply_to.send(state.inbox.threads(&filter).into_iter().cloned().collect());
        }
        M::Thread { id, reply_to } => {
            // A read error is the caller's 500, never the actor's death.
            let r = match state.inbox.thread(id).cloned() {
                Some(t) => {
                    persist::messages_of(&state.store, &state.shop, id).map(|m| Some((t, m)))
                }
                None => Ok(None),
            };
            let _ = reply_to.send(r);
        }
        M::Message { id, reply_to } => {
            let _ = reply_to.send(persist::message(&state.store, &state.shop, id));
        }
        M::Templates { reply_to } => {
            let _ = reply_to.send(persist::templates(&state.store, &state.shop));
        }
        M::Health { reply_to } => {
            let _ = reply_to.send(state.health.clone());
        }
        M::BulkDepth { reply_to } => {
            let _ = reply_to.send(state.outbox.bulk_depth());
        }
        M::Status { reply_to } => {
            let (queued, in_flight) = state.outbox.counts();
            let _ = reply_to.send(InboxStatus {
                threads: state.inbox.len() as u64,
                queued: queued as u64,
                in_flight: in_flight as u64,
            });
        }
        _ => {}
    }
    Ok(())
}
