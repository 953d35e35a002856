//! Tenant endpoints of message templates: create and submit for review, list with their
//! status, delete, and reconcile with Meta (also run periodically for every tenant).

use super::whatsapp::{tenant, token, upstream, waba};
use crate::actors::conversations::ConversationsMsg;
use crate::actors::tenant::TenantMsg;
use crate::domain::phone::PhoneE164;
use crate::domain::whatsapp::{Template, TemplateStatus};
use crate::domain::Timestamp;
use crate::http::auth::TenantScope;
use crate::http::error::{json_rejection, ApiError, ErrorBody};
use crate::http::AppState;
use crate::integrations::meta::templates::{
    Examples, TemplateButtonDef, TemplateCategory, TemplateDefinition, TemplateError,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};

/// A template button.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ButtonBody {
    /// Quick reply.
    QuickReply { text: String },
    /// URL (with `{{1}}` and an example for a dynamic suffix).
    Url {
        text: String,
        url: String,
        example: Option<String>,
    },
    /// Call a number.
    PhoneNumber { text: String, phone: String },
}

/// A template to create.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    /// Lower case letters, digits and `_`.
    pub name: String,
    /// `en_US` …
    pub language: String,
    /// `MARKETING` or `UTILITY`.
    pub category: String,
    /// Header text (optional; `{{1}}` with one example).
    pub header_text: Option<String>,
    /// Example for the header's parameter.
    pub header_example: Option<String>,
    /// Body text with `{{1}}`… placeholders.
    pub body: String,
    /// One example per body placeholder.
    #[serde(default)]
    pub body_examples: Vec<String>,
    /// Footer.
    pub footer: Option<String>,
    /// Buttons.
    #[serde(default)]
    pub buttons: Vec<ButtonBody>,
    /// Submit to Meta now (default) or keep as a draft.
    #[serde(default = "yes")]
    pub submit: bool,
}

fn yes() -> bool {
    true
}

fn definition(n: &NewTemplate) -> Result<TemplateDefinition, ApiError> {
    let bad = |e: TemplateError| ApiError::bad_request("invalid_template", e.to_string());
    let category = TemplateCategory::parse(&n.category).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_template",
            format!("category `{}` is not MARKETING or UTILITY", n.category),
        )
    })?;
    let mut d = TemplateDefinition::new(&n.name, &n.language, category).map_err(bad)?;
    if let Some(h) = &n.header_text {
        let ex = n
            .header_example
            .clone()
            .map_or(Examples::None, |e| Examples::Positional(vec![e]));
        d = d.header_text(h, ex).map_err(bad)?;
    }
    let ex = if n.body_examples.is_empty() {
        Examples::None
    } else {
        Examples::Positional(n.body_examples.clone())
    };
    d = d.body(&n.body, ex).map_err(bad)?;
    if let Some(f) = &n.footer {
        d = d.footer(f).map_err(bad)?;
    }
    for b in &n.buttons {
        let def = match b {
            ButtonBody::QuickReply { text } => TemplateButtonDef::QuickReply { text: text.clone() },
            ButtonBody::Url { text, url, example } => TemplateButtonDef::Url {
                text: text.clone(),
                url: url.clone(),
                example: example.clone(),
            },
            ButtonBody::PhoneNumber { text, phone } => TemplateButtonDef::PhoneNumber {
                text: text.clone(),
                phone: PhoneE164::parse(phone).map_err(|e| {
                    ApiError::bad_request(
                        "invalid_template",
                        format!("button phone `{phone}`: {e}"),
                    )
                })?,
            },
        };
        d = d.button(def).map_err(bad)?;
    }
    Ok(d)
}

/// Creates a template and submits it to Meta for review (or keeps it as a draft).
#[utoipa::path(post, path = "/api/v1/templates", tag = "whatsapp", request_body = NewTemplate,
    responses((status = 201, description = "the template"), (status = 400, body = ErrorBody), (status = 502, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_template(
    State(state): State<AppState>,
    scope: TenantScope,
    body: Result<Json<NewTemplate>, JsonRejection>,
) -> Result<(StatusCode, Json<Template>), ApiError> {
    let Json(n) = body.map_err(json_rejection)?;
    let def = definition(&n)?;
    let components = def
        .to_json()
        .map_err(|e| ApiError::bad_request("invalid_template", e.to_string()))?;
    let mut tpl = Template {
        name: n.name.clone(),
        language: n.language.clone(),
        category: n.category.to_ascii_uppercase(),
        status: TemplateStatus::Draft,
        meta_id: None,
        components: components
            .get("components")
            .map(|c| c.to_string())
            .unwrap_or_else(|| "[]".into()),
        reason: None,
        updated_at: Timestamp::now(),
    };
    if n.submit {
        let t = tenant(&state, &scope.shop)?;
        let (tok, waba) = (token(&state, &t)?, waba(&t)?);
        match state.meta.create_template(&tok, &waba, &def).await {
            Ok(created) => {
                tpl.meta_id = Some(created.id);
                tpl.status = TemplateStatus::from_meta(created.status.as_str());
                if let Some(c) = created.category {
                    tpl.category = c;
                }
            }
            Err(e) => return Err(upstream(&state, &scope.shop, e).await),
        }
    }
    put_template(&state, &scope.shop, tpl.clone()).await?;
    Ok((StatusCode::CREATED, Json(tpl)))
}

async fn put_template(state: &AppState, shop: &str, template: Template) -> Result<(), ApiError> {
    state
        .engine
        .call(shop, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::PutTemplate { template, reply_to })
        })
        .await?
        .map_err(ApiError::internal)?;
    state.engine.store().durable().await?;
    Ok(())
}

/// Lists the shop's templates with their review status.
#[utoipa::path(get, path = "/api/v1/templates", tag = "whatsapp", responses((status = 200, description = "templates")), security(("bearer" = [])))]
pub async fn templates(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Vec<Template>>, ApiError> {
    Ok(Json(
        state
            .engine
            .call(&scope.shop, |reply_to| {
                TenantMsg::Conversations(ConversationsMsg::Templates { reply_to })
            })
            .await??,
    ))
}

/// Deletes a template (every language) at Meta and here.
#[utoipa::path(delete, path = "/api/v1/templates/{name}", tag = "whatsapp", params(("name" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 502, body = ErrorBody)), security(("bearer" = [])))]
pub async fn delete_template(
    State(state): State<AppState>,
    scope: TenantScope,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let known = templates(
        State(state.clone()),
        TenantScope {
            shop: scope.shop.clone(),
        },
    )
    .await?
    .0
    .into_iter()
    .filter(|t| t.name == name)
    .collect::<Vec<_>>();
    if known.is_empty() {
        return Err(ApiError::not_found(
            "template_not_found",
            format!("no template `{name}`"),
        ));
    }
    if known.iter().any(|t| t.meta_id.is_some()) {
        let t = tenant(&state, &scope.shop)?;
        let (tok, waba) = (token(&state, &t)?, waba(&t)?);
        if let Err(e) = state.meta.delete_template(&tok, &waba, &name).await {
            return Err(upstream(&state, &scope.shop, e).await);
        }
    }
    state
        .engine
        .call(&scope.shop, |reply_to| {
            TenantMsg::Conversations(ConversationsMsg::RemoveTemplate { name, reply_to })
        })
        .await?
        .map_err(ApiError::internal)?;
    state.engine.store().durable().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reconciles the shop's templates with Meta's list (statuses, reasons, templates made
/// elsewhere). Also run periodically for every tenant.
///
/// # Errors
/// 400 without token or WABA; 502 when Meta refuses.
pub async fn reconcile(state: &AppState, shop: &str) -> Result<usize, ApiError> {
    let t = tenant(state, shop)?;
    let (tok, waba) = (token(state, &t)?, waba(&t)?);
    let remote = match state.meta.list_templates(&tok, &waba).await {
        Ok(r) => r,
        Err(e) => return Err(upstream(state, shop, e).await),
    };
    let local = templates(
        State(state.clone()),
        TenantScope {
            shop: shop.to_string(),
        },
    )
    .await?
    .0;
    let mut n = 0;
    for r in remote {
        let status = TemplateStatus::from_meta(r.status.as_str());
        let existing = local
            .iter()
            .find(|l| l.name == r.name && l.language == r.language);
        let mut tpl = existing.cloned().unwrap_or_else(|| Template {
            name: r.name.clone(),
            language: r.language.clone(),
            category: r.category.clone(),
            status,
            meta_id: Some(r.id.clone()),
            components: r.components.to_string(),
            reason: None,
            updated_at: Timestamp::now(),
        });
        if existing
            .is_some_and(|e| e.status == status && e.meta_id.as_deref() == Some(r.id.as_str()))
        {
            continue;
        }
        tpl.status = status;
        tpl.meta_id = Some(r.id.clone());
        tpl.updated_at = Timestamp::now();
        put_template(state, shop, tpl).await?;
        n += 1;
    }
    Ok(n)
}

/// The answer to a reconciliation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Synced {
    /// Templates added or changed.
    pub changed: usize,
}

/// Reconciles templates with Meta now.
#[utoipa::path(post, path = "/api/v1/templates/sync", tag = "whatsapp",
    responses((status = 200, body = Synced), (status = 400, body = ErrorBody), (status = 502, body = ErrorBody)), security(("bearer" = [])))]
pub async fn sync_templates(
    State(state): State<AppState>,
    scope: TenantScope,
) -> Result<Json<Synced>, ApiError> {
    Ok(Json(Synced {
        changed: reconcile(&state, &scope.shop).await?,
    }))
}
