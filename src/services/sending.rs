//! Sending: resolve who a message goes to (a thread's customer, a contact's number, or a
//! number), queue it in the tenant's outbox and make it durable, and mark a thread read
//! with a best-effort read receipt to Meta. The body of a message is built by the caller
//! (HTTP's `outbound`, later the automation engine); the sending rules are the actor's.

use super::credentials;
use super::Context;
use crate::actors::conversations::{CommandError, SendRequest, Target};
use crate::actors::{Engine, EngineError};
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{ChatMessage, Direction, Thread};
use crate::store::StoreError;

/// Why a message could not be queued or a thread marked read.
#[derive(Debug, thiserror::Error)]
pub enum SendingError {
    /// No such thread.
    #[error("no thread {0}")]
    ThreadNotFound(u64),
    /// No such contact.
    #[error("no contact {0} in this shop")]
    ContactNotFound(u64),
    /// The contact has no WhatsApp number.
    #[error("contact {0} has no usable WhatsApp number")]
    ContactHasNoPhone(u64),
    /// The shop is not a tenant.
    #[error("no such shop")]
    UnknownShop,
    /// The shop has no WhatsApp number to send from.
    #[error("this shop has no WhatsApp phone number yet")]
    NoPhoneNumber,
    /// The actor refused the command, or could not be reached.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The actor could not be reached or failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who a message to a customer goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A contact (its phone is used).
    Contact(u64),
    /// A number in E.164.
    Number(PhoneE164),
}

/// The customer's number on a thread (a reply goes there).
///
/// # Errors
/// [`SendingError::ThreadNotFound`], or the actor cannot be reached.
pub async fn thread_customer(
    engine: &Engine,
    shop: &str,
    thread_id: u64,
) -> Result<PhoneE164, SendingError> {
    let (thread, _) = engine
        .thread(shop, thread_id)
        .await?
        .ok_or(SendingError::ThreadNotFound(thread_id))?;
    Ok(thread.customer)
}

/// The number a message to `recipient` goes to and its outbox target, sent from
/// `phone_number_id` or else the shop's first number.
///
/// # Errors
/// Unknown contact, a contact without a number, an unknown shop, or no number to send
/// from.
pub async fn customer_target(
    engine: &Engine,
    shop: &str,
    recipient: Recipient,
    phone_number_id: Option<String>,
) -> Result<(PhoneE164, Target), SendingError> {
    let (phone, contact_id) = match recipient {
        Recipient::Contact(id) => {
            let profile = engine
                .contact_profile(shop, id)
                .await?
                .ok_or(SendingError::ContactNotFound(id))?;
            let phone = profile
                .contact
                .phone
                .ok_or(SendingError::ContactHasNoPhone(id))?;
            (phone, Some(id))
        }
        Recipient::Number(phone) => (phone, None),
    };
    let tenant = engine
        .store()
        .tenant(shop)?
        .ok_or(SendingError::UnknownShop)?;
    let phone_number_id = match phone_number_id {
        Some(p) => p,
        None => tenant
            .meta_phone_number_ids
            .first()
            .cloned()
            .ok_or(SendingError::NoPhoneNumber)?,
    };
    let target = Target::Customer {
        phone,
        phone_number_id,
        contact_id,
    };
    Ok((phone, target))
}

/// Hands a message to the tenant's outbox and returns it once it is stored durably.
///
/// # Errors
/// The actor refused it (window closed, template not sendable …) or the store failed.
pub async fn queue(
    engine: &Engine,
    shop: &str,
    req: SendRequest,
) -> Result<ChatMessage, SendingError> {
    let m = engine.send(shop, req).await?;
    engine.store().durable().await?;
    Ok(m)
}

/// Marks a thread read, and sends Meta a read receipt for the customer's last message
/// (best effort: a failure is logged, never an error for the agent).
///
/// # Errors
/// The actor refused (no such thread) or cannot be reached.
pub async fn mark_read(ctx: &Context, shop: &str, thread_id: u64) -> Result<Thread, SendingError> {
    let t = ctx.engine.mark_thread_read(shop, thread_id).await?;
    send_read_receipt(ctx, shop, thread_id).await;
    Ok(t)
}

/// The `wamid` a read receipt is for: the customer's last message.
fn last_inbound_wamid(messages: &[ChatMessage]) -> Option<String> {
    messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .and_then(|m| m.wamid.clone())
}

async fn send_read_receipt(ctx: &Context, shop: &str, thread_id: u64) {
    let Ok(Some((thread, messages))) = ctx.engine.thread(shop, thread_id).await else {
        return;
    };
    let Some(wamid) = last_inbound_wamid(&messages) else {
        return;
    };
    let Ok(t) = credentials::tenant(ctx, shop) else {
        return;
    };
    let Ok(token) = credentials::token(ctx, &t) else {
        return;
    };
    let (meta, shop) = (ctx.meta.clone(), shop.to_string());
    tokio::spawn(async move {
        if let Err(error) = meta
            .mark_read(&token, &thread.phone_number_id, &wamid, false)
            .await
        {
            tracing::warn!(message = "Read receipt failed.", tenant = %shop, %error);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::whatsapp::{MessageStatus, Purpose};
    use crate::domain::Timestamp;

    fn message(id: u64, direction: Direction, wamid: Option<&str>) -> ChatMessage {
        ChatMessage {
            id,
            thread_id: 1,
            direction,
            wamid: wamid.map(Into::into),
            author: None,
            kind: "text".into(),
            text: Some("hi".into()),
            payload: None,
            purpose: Purpose::Service,
            status: MessageStatus::Delivered,
            error: None,
            at: Timestamp(id as i64),
            status_at: Timestamp(id as i64),
            attempts: 0,
            due_at: None,
            in_flight: false,
        }
    }

    #[test]
    fn the_receipt_is_for_the_customer_s_last_message_not_ours_or_a_note() {
        let messages = [
            message(1, Direction::Inbound, Some("wamid.first")),
            message(2, Direction::Inbound, Some("wamid.last")),
            message(3, Direction::Outbound, Some("wamid.ours")),
            message(4, Direction::Note, None),
        ];
        assert_eq!(last_inbound_wamid(&messages).as_deref(), Some("wamid.last"));
    }

    #[test]
    fn a_thread_without_customer_messages_gets_no_receipt() {
        let messages = [message(1, Direction::Outbound, Some("wamid.ours"))];
        assert_eq!(last_inbound_wamid(&messages), None);
    }
}
