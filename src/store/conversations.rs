//! The WhatsApp side's records (written by the conversation actor, read by it and by the
//! automation actor): threads, messages (with their thread and
//! wamid indexes), templates, health.
//! Owns the key layout of those records; must not decide anything.

use crate::domain::whatsapp::{ChatMessage, IntegrationHealth, Template, Thread};
use crate::store::whatsapp::text_id;
use crate::store::{Batch, Kind, Store, StoreError};

/// Health record ids.
pub const META_HEALTH: u64 = 0;

pub fn load_threads(store: &Store, shop: &str) -> Result<Vec<Thread>, StoreError> {
    Ok(store
        .scan::<Thread>(shop, Kind::Thread)?
        .into_iter()
        .map(|(_, t)| t)
        .collect())
}

pub fn load_health(store: &Store, shop: &str) -> Result<IntegrationHealth, StoreError> {
    Ok(store
        .get(shop, Kind::Health, META_HEALTH)?
        .unwrap_or_else(crate::logic::whatsapp::health::fresh))
}

/// Writes the Meta integration health.
pub fn save_health(store: &Store, shop: &str, h: &IntegrationHealth) -> Result<(), StoreError> {
    let mut b = Batch::new();
    b.put(shop, Kind::Health, META_HEALTH, h)?;
    store.commit(b)
}

pub fn stage_thread(batch: &mut Batch, shop: &str, t: &Thread) -> Result<(), StoreError> {
    batch.put(shop, Kind::Thread, t.id, t)
}

/// Writes a message and its indexes (thread membership, wamid).
pub fn stage_message(batch: &mut Batch, shop: &str, m: &ChatMessage) -> Result<(), StoreError> {
    batch.put(shop, Kind::Message, m.id, m)?;
    batch.put_pair(shop, Kind::ThreadMessage, m.thread_id, m.id);
    if let Some(w) = &m.wamid {
        batch.put_u64(shop, Kind::Wamid, text_id(w), m.id);
    }
    Ok(())
}

/// Writes a message whose status changed, found by its `wamid`: its thread and `wamid`
/// are those its indexes already hold, so only the record is written (a campaign
/// message gets about three statuses, each was three keys: now one).
pub fn stage_status(batch: &mut Batch, shop: &str, m: &ChatMessage) -> Result<(), StoreError> {
    batch.put(shop, Kind::Message, m.id, m)
}

pub fn message(store: &Store, shop: &str, id: u64) -> Result<Option<ChatMessage>, StoreError> {
    store.get(shop, Kind::Message, id)
}

/// The message with this wamid (the hash index is checked against the stored wamid).
pub fn message_by_wamid(
    store: &Store,
    shop: &str,
    wamid: &str,
) -> Result<Option<ChatMessage>, StoreError> {
    let Some(id) = store.get_u64(shop, Kind::Wamid, text_id(wamid))? else {
        return Ok(None);
    };
    Ok(message(store, shop, id)?.filter(|m| m.wamid.as_deref() == Some(wamid)))
}

/// Messages of a thread, oldest first.
pub fn messages_of(
    store: &Store,
    shop: &str,
    thread_id: u64,
) -> Result<Vec<ChatMessage>, StoreError> {
    let mut out = Vec::new();
    for id in store.pairs_of(shop, Kind::ThreadMessage, thread_id)? {
        if let Some(m) = message(store, shop, id)? {
            out.push(m);
        }
    }
    out.sort_by_key(|m| (m.at, m.id));
    Ok(out)
}

pub fn template_id(name: &str, language: &str) -> u64 {
    text_id(&format!("{name}|{language}"))
}

pub fn templates(store: &Store, shop: &str) -> Result<Vec<Template>, StoreError> {
    let mut out: Vec<Template> = store
        .scan::<Template>(shop, Kind::Template)?
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    out.sort_by(|a, b| (&a.name, &a.language).cmp(&(&b.name, &b.language)));
    Ok(out)
}

pub fn template(
    store: &Store,
    shop: &str,
    name: &str,
    language: &str,
) -> Result<Option<Template>, StoreError> {
    store.get(shop, Kind::Template, template_id(name, language))
}
