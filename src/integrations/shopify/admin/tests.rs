//! Every document the client can send validates against Shopify's 2026-04 Admin SDL.

use super::documents::ALL;
use apollo_compiler::{ExecutableDocument, Schema};

/// The saved 2026-04 SDL, parsed and validated once per test process.
pub fn schema() -> &'static apollo_compiler::validation::Valid<Schema> {
    static SCHEMA: std::sync::OnceLock<apollo_compiler::validation::Valid<Schema>> =
        std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/shopify/admin-schema-2026-04.graphql");
        let sdl = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        Schema::parse_and_validate(sdl, "admin-schema-2026-04.graphql")
            .unwrap_or_else(|e| panic!("the SDL does not validate: {}", e.errors))
    })
}

#[test]
fn every_document_validates_against_the_2026_04_sdl() {
    let schema = schema();
    for d in ALL {
        let parsed = ExecutableDocument::parse_and_validate(schema, d.text, d.name);
        assert!(
            parsed.is_ok(),
            "{}: {}",
            d.name,
            parsed
                .err()
                .map(|e| e.errors.to_string())
                .unwrap_or_default()
        );
        assert!(
            d.text.contains(&format!(" {}", d.name)),
            "{} is named in its text",
            d.name
        );
    }
}

#[test]
fn every_bulk_query_validates_against_the_2026_04_sdl() {
    for (name, text) in super::documents::BULK_QUERIES {
        let parsed = ExecutableDocument::parse_and_validate(schema(), *text, *name);
        assert!(
            parsed.is_ok(),
            "{name}: {}",
            parsed
                .err()
                .map(|e| e.errors.to_string())
                .unwrap_or_default()
        );
    }
}

#[test]
fn the_seed_documents_checkouts_query_is_refused() {
    let bad = "query { checkouts(first: 10) { edges { node { id } } } }";
    let parsed = ExecutableDocument::parse_and_validate(schema(), bad, "seed.graphql");
    let errors = parsed
        .err()
        .map(|e| e.errors.to_string())
        .unwrap_or_default();
    assert!(errors.contains("checkouts"), "{errors}");
}

#[test]
fn every_subscribed_topic_is_a_value_of_the_2026_04_topic_enum() {
    let schema = schema();
    let Some(apollo_compiler::schema::ExtendedType::Enum(topics)) =
        schema.types.get("WebhookSubscriptionTopic")
    else {
        panic!("WebhookSubscriptionTopic is not an enum of the SDL");
    };
    for t in crate::logic::shopify::subscriptions::wanted_topics() {
        assert!(
            topics.values.contains_key(t),
            "{t} is not in the 2026-04 enum"
        );
    }
}
