//! A campaign message on the outbox's campaign lane before Meta has it: handed with a
//! few others of its tick in a slice record (`Kind::BulkSlice`), sent from there, and only
//! written as an inbox message (thread, `ChatMessage`, tag, counters) once Meta answers.
//! Plain data; the lane that owns it is `actors::conversations::bulk`.

use super::analytics::Source;
use super::phone::PhoneE164;
use super::whatsapp::Purpose;
use serde::{Deserialize, Serialize};

/// One recipient's message, ready to send. Stored in slice records (bincode): never add
/// fields; a new need gets a side record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkItem {
    /// The campaign recipient's once-key (campaign, position): a re-handed position
    /// queues nothing, and the key is written with the message once Meta accepted it.
    pub once_key: u64,
    /// The contact (0: unknown).
    pub contact: u64,
    /// The recipient's position in the campaign's frozen list.
    pub position: u64,
    /// The customer's number.
    pub phone: PhoneE164,
    /// Our number.
    pub phone_number_id: String,
    /// The approved template's name.
    pub template: String,
    /// Its language.
    pub language: String,
    /// Marketing or utility.
    pub purpose: Purpose,
    /// What sends it (analytics).
    pub source: Source,
    /// The Meta request body, `to` included, sent verbatim.
    pub body: String,
    /// The readable form shown in the inbox.
    pub text: String,
}

/// The items of one round that were in flight (`Kind::BulkFlight`): slice id and index.
/// Written and flushed before the round's calls, removed with their outcomes; found after
/// a crash, they are the possible duplicates.
pub type Flight = Vec<(u64, u32)>;
