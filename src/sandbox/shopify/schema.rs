//! The Admin SDL the emulator holds every document to: loaded once per process from the
//! shared fixtures (`shopify/admin-schema-2026-04.graphql`), and the validation of a
//! document against it with errors in GraphQL's response shape.

use anyhow::Context;
use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

static LOADED: Mutex<Option<(PathBuf, Arc<Valid<Schema>>)>> = Mutex::new(None);

/// The default SDL: `$GALANTIS_FIXTURES/shopify/…`, else `../shared/fixtures/shopify/…`
/// next to the crate.
pub fn default_path() -> PathBuf {
    let root = std::env::var("GALANTIS_FIXTURES").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
        PathBuf::from,
    );
    root.join("shopify/admin-schema-2026-04.graphql")
}

/// The schema at `path`, parsed and validated (once per process and path).
///
/// # Errors
/// The file is missing or does not validate.
pub fn load(path: &Path) -> anyhow::Result<Arc<Valid<Schema>>> {
    let mut slot = LOADED.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some((p, s)) = slot.as_ref() {
        if p == path {
            return Ok(s.clone());
        }
    }
    let sdl = std::fs::read_to_string(path)
        .with_context(|| format!("reading the Shopify Admin SDL at {}", path.display()))?;
    let schema = Schema::parse_and_validate(sdl, "admin-schema.graphql")
        .map_err(|e| anyhow::anyhow!("the Shopify Admin SDL does not validate: {}", e.errors))?;
    let schema = Arc::new(schema);
    *slot = Some((path.to_path_buf(), schema.clone()));
    Ok(schema)
}

/// `query` validated against `schema`, or the `errors` of a GraphQL response.
pub fn validate(
    schema: &Valid<Schema>,
    query: &str,
) -> Result<Valid<ExecutableDocument>, Vec<Value>> {
    ExecutableDocument::parse_and_validate(schema, query, "query.graphql").map_err(|e| {
        e.errors
            .iter()
            .map(|d| {
                let mut v = serde_json::to_value(d.to_json()).unwrap_or_else(|_| json!({}));
                v["extensions"] = json!({"code": "GRAPHQL_VALIDATION_FAILED"});
                v
            })
            .collect()
    })
}
