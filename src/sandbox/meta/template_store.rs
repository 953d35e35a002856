//! The template store: every WABA's templates in creation order, and the send-time
//! lookup (132001 unknown or not approved, 132015 paused, 132016 disabled, then the
//! parameter rules of `template_send.rs`). The handlers are `templates.rs`, the review
//! decisions `review.rs`. Imports only `model`, `faults` and `template_send`.

use super::faults::ApiError;
use super::model::EmulatedTemplate;
use super::template_send::check_send;
use serde_json::Value;

/// Every WABA's templates, in creation order.
#[derive(Default)]
pub(crate) struct Templates {
    list: Vec<EmulatedTemplate>,
}

impl Templates {
    /// Every template, in creation order.
    pub fn iter(&self) -> std::slice::Iter<'_, EmulatedTemplate> {
        self.list.iter()
    }

    /// Every template, for a review decision to change.
    pub fn iter_mut(&mut self) -> std::slice::IterMut<'_, EmulatedTemplate> {
        self.list.iter_mut()
    }

    /// Adds a template at the end (the create handler checked it).
    pub fn push(&mut self, t: EmulatedTemplate) {
        self.list.push(t);
    }

    /// Keeps the templates `keep` accepts; returns how many were removed.
    pub fn retain(&mut self, keep: impl FnMut(&EmulatedTemplate) -> bool) -> usize {
        let before = self.list.len();
        self.list.retain(keep);
        before - self.list.len()
    }

    /// A copy of every template (the handle's and `/_emulator/templates`' answer).
    pub fn all(&self) -> Vec<EmulatedTemplate> {
        self.list.clone()
    }

    /// The template with that Graph id, any WABA.
    pub fn by_id(&self, id: &str) -> Option<&EmulatedTemplate> {
        self.list.iter().find(|t| t.id == id)
    }

    /// The template to send, or the error Meta gives.
    pub fn for_send(
        &self,
        waba_id: &str,
        name: &str,
        language: &str,
        sent: &[Value],
    ) -> Result<String, ApiError> {
        let t = self
            .list
            .iter()
            .find(|t| t.waba_id == waba_id && t.name == name && t.language == language)
            .ok_or_else(|| {
                ApiError::with_details(
                    132001,
                    Some(&format!(
                        "template name ({name}) does not exist in {language}"
                    )),
                )
            })?;
        match t.status.as_str() {
            "APPROVED" => {}
            "PAUSED" => return Err(ApiError::code(132015)),
            "DISABLED" => return Err(ApiError::code(132016)),
            other => {
                return Err(ApiError::with_details(
                    132001,
                    Some(&format!(
                        "template name ({name}) is {other} in {language}, not approved"
                    )),
                ))
            }
        }
        check_send(t, sent)?;
        Ok(t.category.to_ascii_lowercase())
    }
}
