//! The public click redirect `GET /r/{code}`: counts the click on the message that
//! carried the tracked link (once per message, in its source's analytics and for revenue
//! attribution) and forwards to the link's target with our UTM parameters
//! (`utm_source=whatsapp`, `utm_medium=galantis`, `utm_campaign=<source code>`,
//! `utm_content=<link code>`), so the order that follows can be credited by its
//! landing site. Counting is best effort: the shopper is forwarded whatever happens.

use crate::actors::conversations::ConversationsMsg;
use crate::actors::tenant::TenantMsg;
use crate::domain::Timestamp;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::AppState;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

fn not_found() -> ApiError {
    ApiError::not_found("link_not_found", "no such link")
}

/// The target with our UTM parameters added (existing `utm_*` parameters replaced).
pub fn with_utm(target: &str, source: &str, code: &str) -> Option<String> {
    let mut url = reqwest::Url::parse(target).ok()?;
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("utm_"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("utm_source", "whatsapp")
        .append_pair("utm_medium", "galantis")
        .append_pair("utm_campaign", source)
        .append_pair("utm_content", code);
    Some(url.into())
}

/// Follows a tracked link.
#[utoipa::path(get, path = "/r/{code}", tag = "links", params(("code" = String, Path, pattern = "^[0-9A-Za-z]{1,32}$")),
    responses((status = 302, description = "to the link's target, with UTM parameters"), (status = 404, body = ErrorBody, description = "no such link")))]
pub async fn redirect(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let ok = (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric());
    if !ok {
        return Err(not_found());
    }
    let link = state
        .engine
        .store()
        .link(&code)
        .map_err(ApiError::internal)?
        .ok_or_else(not_found)?;
    let location = with_utm(&link.target, &link.source, &code).ok_or_else(not_found)?;
    let clicked = ConversationsMsg::Clicked {
        once_key: link.once_key,
        at: Timestamp::now(),
    };
    if let Err(error) = state
        .engine
        .cast(&link.shop, TenantMsg::Conversations(clicked))
    {
        tracing::warn!(message = "A click was not counted.", tenant = %link.shop, %error);
    }
    metrics::counter!("galantis_link_clicks_total").increment(1);
    Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response())
}

#[cfg(test)]
mod tests {
    use super::with_utm;

    #[test]
    fn utm_parameters_are_added_and_replace_existing_ones() {
        let u = with_utm(
            "https://shop.example/sale?ref=x&utm_source=mail",
            "c7v0",
            "abc",
        )
        .expect("url");
        assert_eq!(u, "https://shop.example/sale?ref=x&utm_source=whatsapp&utm_medium=galantis&utm_campaign=c7v0&utm_content=abc");
        assert_eq!(with_utm("not a url", "c7v0", "abc"), None);
    }
}
