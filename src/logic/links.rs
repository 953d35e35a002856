//! Tracked links of a message (pure): which values of an action's mapping become
//! first-party redirects `{base}/r/{code}` (counted by `GET /r/{code}`, forwarded with our
//! UTM parameters) and where each forwards. Shared by campaigns and flows.
//!
//! Two kinds: a body value that is a static `http(s)://` URL, and a template's URL button
//! whose URL is `…/r/{{1}}` (a *tracked button*: create the template with the URL
//! `{link_base_url}/r/{{1}}`). For a tracked button the action's `url_suffix` is the
//! destination (a full `http(s)://` URL, static or resolved for the contact, such as
//! `checkout.url`) and the suffix sent is a fresh code.

use crate::domain::automations::{ActionNode, VarSource};
use crate::logic::automations::vars::{resolve, TemplateShape, VarContext};

/// A link to store before the message that carries it is queued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLink {
    /// Its code (the last segment of `/r/{code}`).
    pub code: String,
    /// Where it forwards.
    pub target: String,
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// `message` with its trackable values replaced by codes from `code` (see the module
/// docs), and the links to store.
///
/// # Errors
/// A tracked button whose destination is missing or not a full `http(s)://` URL (the
/// customer would land on an unknown link), named.
pub fn track(
    message: &ActionNode,
    shape: &TemplateShape,
    cx: &VarContext<'_>,
    base: &str,
    code: &mut dyn FnMut() -> String,
) -> Result<(ActionNode, Vec<NewLink>), String> {
    let base = base.trim_end_matches('/');
    let mut m = message.clone();
    let mut links = Vec::new();
    for v in &mut m.body {
        let Some(text) = v.text.as_deref().filter(|t| is_url(t)) else {
            continue;
        };
        let c = code();
        links.push(NewLink {
            code: c.clone(),
            target: text.to_string(),
        });
        v.text = Some(format!("{base}/r/{c}"));
    }
    if shape.url_param && shape.url_tracked {
        let Some(v) = &message.url_suffix else {
            return Err("the template's URL button goes through the tracked redirect (`…/r/{{1}}`): set `url_suffix` to where it should lead".into());
        };
        let target = resolve(v, cx).map_err(|e| format!("url suffix: {e}"))?;
        if !is_url(&target) {
            return Err(format!("the template's URL button goes through the tracked redirect (`…/r/{{{{1}}}}`): its `url_suffix` must be a full http(s):// URL, got `{target}`"));
        }
        let c = code();
        links.push(NewLink {
            code: c.clone(),
            target,
        });
        m.url_suffix = Some(VarSource {
            text: Some(c),
            ..VarSource::default()
        });
    }
    Ok((m, links))
}

#[cfg(test)]
mod tests;
