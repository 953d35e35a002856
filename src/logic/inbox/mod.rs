//! The inbox as pure rules: threads per (tenant number, customer number), statuses,
//! assignment, unread counts, the 24-hour customer-service window, status progress of
//! messages, and opt-out words. The conversation actor feeds it and persists what it
//! returns; nothing here does I/O.

mod optout;
#[cfg(test)]
mod tests;

pub use optout::{detect, OptWord};

use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{
    ChatMessage, Direction, MessageError, MessageStatus, Thread, ThreadStatus,
};
use crate::domain::{ShopifyId, Timestamp};
use std::collections::{BTreeMap, HashMap};

/// The customer-service window: 24 hours from the customer's last message.
pub const WINDOW_MS: i64 = 24 * 3_600_000;

/// Why an inbox command is refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum InboxError {
    /// No such thread.
    #[error("no thread {0}")]
    NoThread(u64),
    /// Free-form message outside the 24-hour window.
    #[error(
        "the 24-hour customer service window of thread {thread} is closed (last customer message: {last}); \
         only an approved template can be sent"
    )]
    WindowClosed { thread: u64, last: String },
}

/// Filter of [`Inbox::threads`].
#[derive(Clone, Debug, Default)]
pub struct ThreadFilter {
    /// Only threads in this status.
    pub status: Option<ThreadStatus>,
    /// Only threads of this assignee (`Some("")` = unassigned).
    pub assignee: Option<String>,
    /// Only threads with unread messages.
    pub unread: bool,
    /// Only threads of this contact.
    pub contact_id: Option<ShopifyId>,
    /// Only threads of this customer number.
    pub customer: Option<PhoneE164>,
}

/// In-memory state of a tenant's inbox: every thread (messages live in the store).
#[derive(Debug, Default)]
pub struct Inbox {
    threads: BTreeMap<u64, Thread>,
    /// The threads of each customer number (one per tenant number it talks with). Keyed
    /// by the number alone, not (tenant number, customer number): no copy of the tenant
    /// number's id per thread, and no allocation per lookup (a campaign looks up every
    /// recipient).
    by_customer: HashMap<PhoneE164, Ids>,
}

/// Thread ids of one customer number: almost always one.
#[derive(Debug)]
enum Ids {
    One(u64),
    Many(Vec<u64>),
}

impl Ids {
    fn as_slice(&self) -> &[u64] {
        match self {
            Ids::One(id) => std::slice::from_ref(id),
            Ids::Many(ids) => ids,
        }
    }
}

impl Inbox {
    /// Rebuilds from stored threads.
    pub fn restore(threads: impl IntoIterator<Item = Thread>) -> Self {
        let mut inbox = Inbox::default();
        for t in threads {
            inbox.insert(t);
        }
        inbox
    }

    /// Adds `t`; it replaces the thread of the same pair in the index.
    fn insert(&mut self, t: Thread) {
        let threads = &self.threads;
        let same_pair = |id: &u64| {
            *id == t.id
                || threads
                    .get(id)
                    .is_some_and(|o| o.phone_number_id == t.phone_number_id)
        };
        match self.by_customer.get_mut(&t.customer) {
            None => {
                self.by_customer.insert(t.customer, Ids::One(t.id));
            }
            Some(ids) => {
                let mut kept: Vec<u64> = ids
                    .as_slice()
                    .iter()
                    .copied()
                    .filter(|id| !same_pair(id))
                    .collect();
                kept.push(t.id);
                *ids = match kept.as_slice() {
                    [one] => Ids::One(*one),
                    _ => Ids::Many(kept),
                };
            }
        }
        self.threads.insert(t.id, t);
    }

    /// The id of the thread of (`phone_number_id`, `customer`).
    fn id_of(&self, phone_number_id: &str, customer: PhoneE164) -> Option<u64> {
        let ids = self.by_customer.get(&customer)?.as_slice();
        ids.iter().copied().find(|id| {
            self.threads
                .get(id)
                .is_some_and(|t| t.phone_number_id == phone_number_id)
        })
    }

    /// One thread.
    pub fn thread(&self, id: u64) -> Option<&Thread> {
        self.threads.get(&id)
    }

    /// The thread of a customer number with one of our numbers.
    pub fn find(&self, phone_number_id: &str, customer: PhoneE164) -> Option<&Thread> {
        self.id_of(phone_number_id, customer)
            .and_then(|id| self.threads.get(&id))
    }

    /// Threads matching `f`, most recent activity first.
    pub fn threads(&self, f: &ThreadFilter) -> Vec<&Thread> {
        let mut out: Vec<&Thread> = self
            .threads
            .values()
            .filter(|t| f.status.is_none_or(|s| t.status == s))
            .filter(|t| match f.assignee.as_deref() {
                None => true,
                Some("") => t.assignee.is_none(),
                Some(a) => t.assignee.as_deref() == Some(a),
            })
            .filter(|t| !f.unread || t.unread > 0)
            .filter(|t| f.contact_id.is_none_or(|c| t.contact_id == Some(c)))
            .filter(|t| f.customer.is_none_or(|c| t.customer == c))
            .collect();
        out.sort_by(|a, b| {
            b.last_message_at
                .cmp(&a.last_message_at)
                .then(a.id.cmp(&b.id))
        });
        out
    }

    /// Number of threads.
    pub fn len(&self) -> usize {
        self.threads.len()
    }

    /// True when there is no thread.
    pub fn is_empty(&self) -> bool {
        self.threads.is_empty()
    }

    /// Finds or creates the thread of (`phone_number_id`, `customer`); `new_id` is used
    /// when it must be created. Returns the thread (cloned for persisting) and whether it
    /// is new.
    pub fn open_thread(
        &mut self,
        new_id: u64,
        phone_number_id: &str,
        customer: PhoneE164,
        contact_id: Option<ShopifyId>,
        now: Timestamp,
    ) -> (Thread, bool) {
        let found = self.id_of(phone_number_id, customer);
        if let Some(t) = found.and_then(|id| self.threads.get_mut(&id)) {
            if t.contact_id.is_none() {
                t.contact_id = contact_id;
            }
            return (t.clone(), false);
        }
        let t = Thread {
            id: new_id,
            phone_number_id: phone_number_id.to_string(),
            customer,
            contact_id,
            profile_name: None,
            status: ThreadStatus::Open,
            assignee: None,
            unread: 0,
            window_expires_at: None,
            last_inbound_at: None,
            last_message_at: now,
            created_at: now,
        };
        self.insert(t.clone());
        (t, true)
    }

    /// An inbound message: (re)opens the thread, opens or resets the 24-hour window from
    /// the message's time, counts it unread, remembers the profile name.
    ///
    /// The message's time is the sender's claim; `received_at` (when the engine got the
    /// webhook) is what it can trust. The message counts as sent no later than received
    /// ([`trusted_time`]), so the window never ends after `received_at` + 24 h, however
    /// far in the future the payload is dated.
    ///
    /// # Errors
    /// [`InboxError::NoThread`].
    pub fn on_inbound(
        &mut self,
        thread_id: u64,
        at: Timestamp,
        received_at: Timestamp,
        profile_name: Option<&str>,
    ) -> Result<Thread, InboxError> {
        let t = self
            .threads
            .get_mut(&thread_id)
            .ok_or(InboxError::NoThread(thread_id))?;
        let at = trusted_time(at, received_at);
        t.status = ThreadStatus::Open;
        t.unread = t.unread.saturating_add(1);
        let expires = Timestamp(at.millis().saturating_add(WINDOW_MS));
        if t.window_expires_at.is_none_or(|e| e < expires) {
            t.window_expires_at = Some(expires);
        }
        if t.last_inbound_at.is_none_or(|l| l < at) {
            t.last_inbound_at = Some(at);
        }
        if t.last_message_at < at {
            t.last_message_at = at;
        }
        if let Some(n) = profile_name.filter(|n| !n.trim().is_empty()) {
            t.profile_name = Some(n.to_string());
        }
        Ok(t.clone())
    }

    /// Checks that a reply may be sent now: templates always; free-form only inside the
    /// window.
    ///
    /// # Errors
    /// [`InboxError::NoThread`], [`InboxError::WindowClosed`].
    pub fn check_send(
        &self,
        thread_id: u64,
        template: bool,
        now: Timestamp,
    ) -> Result<(), InboxError> {
        let t = self
            .threads
            .get(&thread_id)
            .ok_or(InboxError::NoThread(thread_id))?;
        if template || t.window_open(now) {
            Ok(())
        } else {
            Err(InboxError::WindowClosed {
                thread: thread_id,
                last: t
                    .last_inbound_at
                    .map_or_else(|| "never".to_string(), |l| l.to_rfc3339()),
            })
        }
    }

    /// An outbound message was queued on the thread by `agent` (if an agent wrote it): the
    /// first agent to reply to an unassigned thread takes it, and their reply marks the
    /// thread read.
    ///
    /// # Errors
    /// [`InboxError::NoThread`].
    pub fn on_outbound(
        &mut self,
        thread_id: u64,
        agent: Option<&str>,
        now: Timestamp,
    ) -> Result<Thread, InboxError> {
        let t = self
            .threads
            .get_mut(&thread_id)
            .ok_or(InboxError::NoThread(thread_id))?;
        if let Some(a) = agent.filter(|a| !a.trim().is_empty()) {
            if t.assignee.is_none() {
                t.assignee = Some(a.to_string());
            }
            t.unread = 0;
        }
        if t.last_message_at < now {
            t.last_message_at = now;
        }
        Ok(t.clone())
    }

    /// Sets (or clears) the assignee.
    ///
    /// # Errors
    /// [`InboxError::NoThread`].
    pub fn assign(&mut self, thread_id: u64, agent: Option<&str>) -> Result<Thread, InboxError> {
        let t = self
            .threads
            .get_mut(&thread_id)
            .ok_or(InboxError::NoThread(thread_id))?;
        t.assignee = agent.filter(|a| !a.trim().is_empty()).map(str::to_string);
        Ok(t.clone())
    }

    /// Sets the status (`RESOLVED`, `PENDING`, `OPEN`).
    ///
    /// # Errors
    /// [`InboxError::NoThread`].
    pub fn set_status(
        &mut self,
        thread_id: u64,
        status: ThreadStatus,
    ) -> Result<Thread, InboxError> {
        let t = self
            .threads
            .get_mut(&thread_id)
            .ok_or(InboxError::NoThread(thread_id))?;
        t.status = status;
        Ok(t.clone())
    }

    /// An agent read the thread.
    ///
    /// # Errors
    /// [`InboxError::NoThread`].
    pub fn mark_read(&mut self, thread_id: u64) -> Result<Thread, InboxError> {
        let t = self
            .threads
            .get_mut(&thread_id)
            .ok_or(InboxError::NoThread(thread_id))?;
        t.unread = 0;
        Ok(t.clone())
    }

    /// Links threads of `customer` to a contact that was missing.
    pub fn link_contact(&mut self, customer: PhoneE164, contact_id: ShopifyId) -> Vec<Thread> {
        let mut changed = Vec::new();
        for t in self.threads.values_mut() {
            if t.customer == customer && t.contact_id != Some(contact_id) {
                t.contact_id = Some(contact_id);
                changed.push(t.clone());
            }
        }
        changed
    }
}

/// When an inbound message counts as sent: its own time, but never later than when the
/// engine received it (a payload dated in the future cannot hold the window open).
pub fn trusted_time(sent: Timestamp, received_at: Timestamp) -> Timestamp {
    sent.min(received_at)
}

/// Applies a delivery status to an outbound message, never downgrading (see
/// [`MessageStatus::rank`]). Returns true when the message changed. A failure keeps
/// Meta's code and text.
pub fn apply_status(
    msg: &mut ChatMessage,
    status: MessageStatus,
    at: Timestamp,
    error: Option<MessageError>,
) -> bool {
    if msg.direction != Direction::Outbound || status.rank() <= msg.status.rank() {
        return false;
    }
    msg.status = status;
    msg.status_at = at;
    if status == MessageStatus::Failed {
        msg.error = error;
    }
    true
}
