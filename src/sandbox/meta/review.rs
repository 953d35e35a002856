//! Template review decisions (approve, reject, pause), whether from the handle, the
//! `/_emulator` API or auto-approval: the status change in the store and its signed
//! `message_template_status_update` webhook. Imports `model`, `state` and `webhooks`;
//! never the handler modules or the router.

use super::model::{Change, EmulatedTemplate};
use super::state::Shared;
use super::webhooks;
use serde_json::Value;

/// Applies `change` to the templates with that name and language and sends the webhooks.
pub(crate) async fn transition(
    sh: &Shared,
    name: &str,
    language: &str,
    change: Change,
) -> anyhow::Result<()> {
    let n = apply(sh, |t| t.name == name && t.language == language, &change).await;
    if n == 0 {
        anyhow::bail!("no template {name} in {language}");
    }
    Ok(())
}

/// Applies `change` to every template `matches` accepts; returns how many changed.
pub(crate) async fn apply(
    sh: &Shared,
    matches: impl Fn(&EmulatedTemplate) -> bool,
    change: &Change,
) -> usize {
    let bodies: Vec<Value> = {
        let mut st = sh.lock();
        st.templates
            .iter_mut()
            .filter(|t| matches(t))
            .map(|t| {
                let (status, reason) = match change {
                    Change::Approve => ("APPROVED", "NONE".to_owned()),
                    Change::Reject(r) => ("REJECTED", r.to_ascii_uppercase()),
                    Change::Pause => ("PAUSED", "NONE".to_owned()),
                };
                t.status = status.into();
                t.rejected_reason = reason;
                webhooks::template_status(t, change)
            })
            .collect()
    };
    for body in &bodies {
        webhooks::deliver(sh, "template_status", body).await;
    }
    bodies.len()
}
