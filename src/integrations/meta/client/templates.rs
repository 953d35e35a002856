//! The template management calls of [`MetaClient`]: create (submit for review), list
//! (following cursors) and delete. The vocabulary (definitions, statuses, rules) is in
//! `integrations::meta::templates`.

use super::{expect_success, MetaClient, Success};
use crate::integrations::meta::error::MetaError;
use crate::integrations::meta::templates::*;
use reqwest::{Method, Url};
use serde::Deserialize;

/// Most pages `list_templates` follows (100 templates a page): a guard against a
/// cursor loop, far above Meta's 6,000-template limit.
pub(super) const MAX_PAGES: usize = 100;

#[derive(Deserialize)]
struct TemplatePage {
    #[serde(default)]
    data: Vec<RemoteTemplate>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
pub(super) struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

impl MetaClient {
    /// `POST /{waba-id}/message_templates`: submits a template for review.
    ///
    /// # Errors
    /// [`MetaError::InvalidArgument`] when the definition breaks a rule (naming the
    /// field); any call error (2388019 = template limit reached, 80007 = rate limit).
    pub async fn create_template(
        &self,
        token: &str,
        waba_id: &str,
        def: &TemplateDefinition,
    ) -> Result<TemplateCreated, MetaError> {
        let body = def.to_json().map_err(|e| MetaError::InvalidArgument {
            field: e.field().to_owned(),
            reason: e.to_string(),
        })?;
        let url = self.url(&[("waba_id", waba_id), ("", "message_templates")])?;
        let req = self.request(Method::POST, url, token).json(&body);
        self.call("create_template", req).await
    }

    /// `GET /{waba-id}/message_templates`, following `paging.next` until the last page.
    ///
    /// # Errors
    /// Any call error; [`MetaError::Decode`] when a `next` link leaves the base URL or
    /// the pages do not end.
    pub async fn list_templates(
        &self,
        token: &str,
        waba_id: &str,
    ) -> Result<Vec<RemoteTemplate>, MetaError> {
        let mut first = self.url(&[("waba_id", waba_id), ("", "message_templates")])?;
        first
            .query_pairs_mut()
            .append_pair(
                "fields",
                "id,name,language,status,category,components,rejected_reason",
            )
            .append_pair("limit", "100");
        let mut url = first.clone();
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let req = self.request(Method::GET, url.clone(), token);
            let page: TemplatePage = self.call("list_templates", req).await?;
            all.extend(page.data);
            match page.paging.and_then(|p| self.next_page(&first, p)) {
                None => return Ok(all),
                Some(next) => url = next?,
            }
        }
        Err(MetaError::Decode(format!(
            "list_templates: more than {MAX_PAGES} pages"
        )))
    }

    /// The next page: our own URL with `after=<cursor>` when Meta gives a cursor, else
    /// its `next` link if it stays under the base URL. `None` on the last page.
    pub(super) fn next_page(&self, first: &Url, paging: Paging) -> Option<Result<Url, MetaError>> {
        let next = paging.next?;
        if let Some(after) = paging.cursors.and_then(|c| c.after) {
            let mut url = first.clone();
            url.query_pairs_mut().append_pair("after", &after);
            return Some(Ok(url));
        }
        Some(match Url::parse(&next) {
            Ok(url) if self.is_own_url(&url) => Ok(url),
            _ => Err(MetaError::Decode(
                "paging.next leaves the Graph base URL".into(),
            )),
        })
    }

    /// `DELETE /{waba-id}/message_templates?name=…`: deletes every language of a template
    /// (the name is reusable after 30 days).
    ///
    /// # Errors
    /// [`MetaError::InvalidArgument`] for a bad name; any call error; `Decode` when Meta
    /// does not answer `success: true`.
    pub async fn delete_template(
        &self,
        token: &str,
        waba_id: &str,
        name: &str,
    ) -> Result<(), MetaError> {
        check_template_name(name).map_err(|reason| MetaError::InvalidArgument {
            field: "name".into(),
            reason,
        })?;
        let mut url = self.url(&[("waba_id", waba_id), ("", "message_templates")])?;
        url.query_pairs_mut().append_pair("name", name);
        let req = self.request(Method::DELETE, url, token);
        let ok: Success = self.call("delete_template", req).await?;
        expect_success(ok, "delete_template")
    }
}
