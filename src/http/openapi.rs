//! The OpenAPI document of the HTTP API, generated from the handlers' annotations.

use super::admin;
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Galantis engine API", description = "Webhooks in, tenant data out. Operator token or tenant API key as `Authorization: Bearer`."),
    paths(
        super::shopify_webhooks::receive,
        admin::tenants::create, admin::tenants::list, admin::tenants::delete,
        admin::contacts::search, admin::contacts::get, admin::contacts::patch, admin::contacts::checkouts,
        admin::products::list, admin::products::get, admin::products::collections,
        admin::events::list, admin::events::exports, admin::events::export,
        admin::deadletters::list, admin::deadletters::get, admin::deadletters::replay,
        super::ops::healthz, super::ops::readyz, super::ops::metrics,
        super::meta_webhooks::verify, super::meta_webhooks::receive,
        admin::inbox::threads, admin::inbox::thread, admin::inbox::reply, admin::messages::send,
        admin::messages::message, admin::inbox::assign, admin::inbox::set_status, admin::inbox::resolve,
        admin::inbox::read, admin::inbox::note,
        admin::whatsapp::phone_numbers, admin::whatsapp::add_phone_number, admin::whatsapp::set_meta,
        admin::templates::templates, admin::templates::create_template, admin::templates::delete_template,
        admin::templates::sync_templates, admin::whatsapp::get_health, admin::whatsapp::check_health,
    ),
    components(schemas(super::error::ErrorBody, crate::tenants::NewTenant, crate::tenants::TenantView,
        admin::tenants::CreatedTenant, admin::contacts::ContactPatch, admin::deadletters::DeadLetterView, admin::deadletters::DeadLetterSummary,
        admin::deadletters::Replayed, super::shopify_webhooks::WebhookAck, super::meta_webhooks::MetaAck,
        admin::inbox::Reply, admin::messages::NewMessage, admin::inbox::Assign, admin::inbox::SetStatus,
        admin::inbox::NewNote, admin::outbound::MessageBody, admin::outbound::TemplateParam,
        admin::outbound::CurrencyParam, admin::outbound::SectionBody, admin::whatsapp::PhoneNumber,
        admin::whatsapp::MetaCredentials, admin::templates::NewTemplate, admin::templates::ButtonBody,
        admin::templates::Synced)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
