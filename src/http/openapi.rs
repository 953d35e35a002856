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

/// Documents, on every operation, the error statuses the server's shared layers can answer
/// (whatever the handler itself documents): 400 for a malformed query, path or body;
/// 401 without a valid key on secured operations, and 403 for a tenant key on operator
/// operations; 404 for an unknown record, or an unknown shop named by the operator; for a body:
/// 408 (body read deadline), 413 (over the size limit), 415 (not JSON); 503 (recovering, an actor that did
/// not answer, or the bodies-in-flight budget). Each with the JSON [`ErrorBody`].
///
/// [`ErrorBody`]: super::error::ErrorBody
struct StandardErrors;

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |text: &str| {
            ResponseBuilder::new()
                .description(text)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            let operator = path.starts_with("/api/v1/tenants");
            let has_path_param = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ]
            .into_iter()
            .flatten()
            {
                let mut codes: Vec<(&str, &str)> = vec![
                    ("400", "malformed query, path or body (the field is named)"),
                    (
                        "503",
                        "recovering, or the tenant's actor did not answer; retry",
                    ),
                ];
                if op.security.is_some() {
                    codes.push(("401", "missing or invalid key"));
                }
                if operator {
                    codes.push(("403", "a tenant key on an operator operation"));
                }
                if has_path_param || (op.security.is_some() && !operator) {
                    codes.push((
                        "404",
                        "no such record for this shop, or the shop named in `X-Galantis-Shop` is not a tenant",
                    ));
                }
                if op.request_body.is_some() {
                    codes.push(("408", "the body did not arrive within the read deadline"));
                    codes.push(("413", "the body is over the size limit"));
                    codes.push(("415", "the body is not declared `application/json`"));
                }
                for (code, text) in codes {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| error(text).into());
                }
            }
        }
    }
}

/// Rules across fields that a derive cannot state. `POST /api/v1/messages` takes exactly one
/// of `contact_id` and `to`: its schema becomes `allOf[the fields, oneOf[{required:
/// [contact_id]}, {required: [to]}]]`, and the two fields are documented as not nullable
/// (the server also reads an explicit `null` as absent).
struct CrossFieldRules;

impl Modify for CrossFieldRules {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
        use utoipa::openapi::RefOr;
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(fields))) = components.schemas.get_mut("NewMessage")
        else {
            return;
        };
        for name in ["contact_id", "to"] {
            if let Some(RefOr::T(Schema::Object(p))) = fields.properties.get_mut(name) {
                p.schema_type = Type::String.into();
            }
        }
        let fields = fields.clone();
        let exactly_one = OneOfBuilder::new()
            .item(ObjectBuilder::new().required("contact_id"))
            .item(ObjectBuilder::new().required("to"));
        let rule = AllOfBuilder::new()
            .item(fields)
            .item(exactly_one)
            .description(Some(
                "A message to a contact or a number: exactly one of `contact_id` and `to`.",
            ));
        components.schemas.insert(
            "NewMessage".to_string(),
            RefOr::T(Schema::AllOf(rule.build())),
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
        admin::products::list, admin::products::get, admin::products::set_catalog, admin::products::collections,
        admin::events::list, admin::events::exports, admin::events::export,
        admin::deadletters::list, admin::deadletters::get, admin::deadletters::replay,
        super::ops::healthz, super::ops::readyz, super::ops::metrics,
        super::meta_webhooks::verify, super::meta_webhooks::receive,
        admin::inbox::threads, admin::inbox::thread, admin::inbox::reply, admin::messages::send,
        admin::messages::message, admin::inbox::assign, admin::inbox::set_status, admin::inbox::resolve,
        admin::inbox::read, admin::inbox::note,
        admin::whatsapp::phone_numbers, admin::whatsapp::add_phone_number, admin::whatsapp::set_meta,
        admin::templates::templates, admin::templates::create_template, admin::templates::delete_template,
        admin::templates::sync_templates, admin::whatsapp::get_health, admin::whatsapp::check_health, admin::shopify::reconcile_webhooks, admin::shopify::shop, admin::imports::start, admin::imports::list, admin::imports::reconcile, admin::imports::poll_checkouts, admin::billing::view, admin::catalog::available, admin::catalog::connect, admin::catalog::get, admin::catalog::resync, admin::billing::subscribe, admin::billing::returned, crate::http::shopify_install::install, crate::http::shopify_install::callback, crate::http::shopify_install::session,
        admin::back_in_stock::list,
        admin::flows::create, admin::flows::validate, admin::flows::list, admin::flows::get,
        admin::flows::update, admin::flows::activate, admin::flows::pause, admin::flows::archive,
        admin::flows::flow_runs, admin::flows::contact_runs, admin::flows::settings, admin::flows::set_settings, admin::flows::status,
        admin::campaigns::create, admin::campaigns::estimate_draft, admin::campaigns::list, admin::campaigns::get,
        admin::campaigns::update, admin::campaigns::delete, admin::campaigns::estimate, admin::campaigns::launch,
        admin::campaigns::pause, admin::campaigns::resume, admin::campaigns::cancel, admin::campaigns::analytics,
        admin::flows::analytics,
        crate::http::links::redirect,
        admin::segments::create, admin::segments::count, admin::segments::list, admin::segments::get,
        admin::segments::update, admin::segments::delete, admin::segments::members,
        admin::segments::create_list, admin::segments::lists, admin::segments::add_members, admin::segments::list_members, admin::segments::import, admin::segments::get_list, admin::segments::delete_list, admin::segments::remove_member,
    ),
    components(schemas(super::error::ErrorBody, crate::tenants::NewTenant, crate::tenants::TenantView,
        admin::tenants::CreatedTenant, admin::contacts::ContactPatch, admin::deadletters::DeadLetterView, admin::deadletters::DeadLetterSummary,
        admin::deadletters::Replayed, super::shopify_webhooks::WebhookAck, super::meta_webhooks::MetaAck,
        admin::inbox::Reply, admin::messages::NewMessage, admin::inbox::Assign, admin::inbox::SetStatus,
        admin::inbox::NewNote, admin::outbound::MessageBody, admin::outbound::TemplateParam,
        admin::outbound::CurrencyParam, admin::outbound::SectionBody, admin::whatsapp::PhoneNumber,
        admin::whatsapp::MetaCredentials, admin::templates::NewTemplate, admin::templates::ButtonBody,
        admin::templates::Synced)),
    modifiers(&BearerAuth, &StandardErrors, &CrossFieldRules)
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`: the admin API and the storefront endpoints.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    let mut doc = ApiDoc::openapi();
    doc.merge(super::storefront::StorefrontDoc::openapi());
    Json(doc)
}
