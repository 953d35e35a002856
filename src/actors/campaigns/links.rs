//! Tracked links of campaign messages: each static `http(s)://` value of a message's body
//! is replaced by `{link_base_url}/r/{code}` with a random code, whose record (the shop,
//! the send's once-key, the source, the target) is written before the message is queued.

use super::CampaignsState;
use crate::domain::analytics::Source;
use crate::store::links::Link;

/// What a tick hands on: the messages and the tracked links their bodies carry.
#[derive(Default)]
pub(super) struct Staged {
    pub(super) reqs: Vec<crate::domain::bulk::BulkItem>,
    pub(super) links: Vec<(String, Link)>,
}

/// A random link code: 12 characters of `[0-9A-Za-z]` (71 bits).
fn link_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = rand::thread_rng();
    (0..12)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// The message with each static `http(s)://` value of its body replaced by a tracked
/// link (`{link_base_url}/r/{code}`), whose record is added to `links`. Without a link
/// base the message is unchanged.
pub(super) fn tracked(
    state: &CampaignsState,
    message: &crate::domain::automations::ActionNode,
    source: &Source,
    once_key: u64,
    links: &mut Vec<(String, Link)>,
) -> crate::domain::automations::ActionNode {
    let Some(base) = state.settings.link_base_url.as_deref() else {
        return message.clone();
    };
    let mut m = message.clone();
    for v in &mut m.body {
        let Some(text) = v.text.as_deref() else {
            continue;
        };
        if !(text.starts_with("https://") || text.starts_with("http://")) {
            continue;
        }
        let code = link_code();
        links.push((
            code.clone(),
            Link {
                shop: state.shop.to_string(),
                once_key,
                source: source.code(),
                target: text.to_string(),
            },
        ));
        v.text = Some(format!("{}/r/{code}", base.trim_end_matches('/')));
    }
    m
}
