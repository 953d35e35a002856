//! The WhatsApp rules of a tenant as pure functions: the integration-health state machine,
//! the outbox's retry / pause / fail decisions, and how Meta's events change stored
//! records. Callers read records, call these and write what they return; nothing here
//! does I/O, touches actors or knows sled (threads and the 24 h window are `logic::inbox`).

pub mod events;
pub mod health;
pub mod outbox;
pub mod retry;

#[cfg(test)]
mod tests_events;
#[cfg(test)]
mod tests_health;
#[cfg(test)]
mod tests_outbox;
