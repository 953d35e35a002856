//! Tracked links of campaign messages (`logic::links`: static `http(s)://` body values
//! and tracked URL buttons), whose records (the shop, the send's once-key, the source,
//! the target) are written before the message is queued.

use super::CampaignsState;
use crate::domain::analytics::Source;
use crate::domain::automations::ActionNode;
use crate::logic::automations::vars::{TemplateShape, VarContext};
use crate::logic::links::track;
use crate::store::links::{new_code, records, Link};

/// What a tick hands on: the messages and the tracked links their bodies carry.
#[derive(Default)]
pub(super) struct Staged {
    pub(super) reqs: Vec<crate::domain::bulk::BulkItem>,
    pub(super) links: Vec<(String, Link)>,
}

/// The message with its trackable values replaced by tracked links
/// (`logic::links::track`), whose records (the shop, the send's once-key, the source, the
/// target) are added to `links`. Without a link base the message is unchanged.
///
/// # Errors
/// A tracked URL button without a full URL to lead to (named).
pub(super) fn tracked(
    state: &CampaignsState,
    message: &ActionNode,
    (shape, cx): (&TemplateShape, &VarContext<'_>),
    source: &Source,
    once_key: u64,
    links: &mut Vec<(String, Link)>,
) -> Result<ActionNode, String> {
    let Some(base) = state.settings.link_base_url.as_deref() else {
        return Ok(message.clone());
    };
    let (m, new) = track(message, shape, cx, base, &mut new_code)?;
    links.extend(records(&state.shop, once_key, &source.code(), new));
    Ok(m)
}
