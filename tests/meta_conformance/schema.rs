//! Loading Meta's OpenAPI spec and turning a request schema into a JSON Schema 2020-12
//! validator: `$ref`s inlined, `allOf`s merged, discriminators dropped, and the named
//! overrides of [`apply_overrides`] applied (DESIGN §6).

use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

const SPEC: &str = "meta/business-messaging-api_v23.0.openapi.yaml";
const MESSAGES_PATH: &str = "/{Version}/{Phone-Number-ID}/messages";
pub const TEMPLATES_PATH: &str = "/{Version}/{WABA-ID}/message_templates";

pub fn fixtures() -> PathBuf {
    let root = std::env::var("GALANTIS_FIXTURES").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
        PathBuf::from,
    );
    assert!(root.is_dir(), "fixtures folder missing: {}", root.display());
    root
}

pub fn read_json(path: &PathBuf) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn spec() -> &'static Value {
    static SPEC_JSON: OnceLock<Value> = OnceLock::new();
    SPEC_JSON.get_or_init(|| {
        let path = fixtures().join(SPEC);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{SPEC}: {e}"));
        let mut spec: Value = serde_yaml::from_str(&text).expect("spec is YAML");
        apply_overrides(&mut spec);
        spec
    })
}

/// The named overrides of DESIGN §6 — each fixes one documented defect of the spec and
/// asserts the defect is still there (so a corrected spec makes us drop the override).
fn apply_overrides(spec: &mut Value) {
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("components.schemas");

    // 1. TemplateComponent.index: `^[2-6, 11-14]$` is a character class that rejects "0"
    //    (the spec's own example) — accept the button positions 0–9 as digit strings.
    let index = schemas
        .get_mut("TemplateComponent")
        .and_then(|s| s.pointer_mut("/properties/index/pattern"))
        .expect("TemplateComponent.index.pattern");
    assert_eq!(index, "^[2-6, 11-14]$", "override 1 no longer needed?");
    *index = json!("^[0-9]$");

    // 2. LanguageObject marks `policy` required, though Meta's own examples omit it
    //    (its only value, "deterministic", is the default).
    let required = schemas
        .get_mut("LanguageObject")
        .and_then(|s| s.get_mut("required"))
        .and_then(Value::as_array_mut)
        .expect("LanguageObject.required");
    assert!(
        required.contains(&json!("policy")),
        "override 2 no longer needed?"
    );
    required.retain(|r| r != "policy");

    // 3. TemplateComponent.sub_type lacks "mpm", the multi-product template button Meta
    //    documents (templates/components "Multi-product message buttons").
    let sub_types = schemas
        .get_mut("TemplateComponent")
        .and_then(|s| s.pointer_mut("/properties/sub_type/enum"))
        .and_then(Value::as_array_mut)
        .expect("TemplateComponent.sub_type.enum");
    assert!(
        !sub_types.contains(&json!("mpm")),
        "override 3 no longer needed?"
    );
    sub_types.push(json!("mpm"));

    // 4. The path lists "Send typing indicator and read receipt" among its examples, and
    //    the spec defines MarkMessageRequestPayload, but `Message` does not include it.
    assert!(schemas.contains_key("MarkMessageRequestPayload"));
    let one_of = schemas
        .get_mut("Message")
        .and_then(|s| s.get_mut("oneOf"))
        .and_then(Value::as_array_mut)
        .expect("Message.oneOf");
    one_of.push(json!({ "$ref": "#/components/schemas/MarkMessageRequestPayload" }));
}

/// Inlines `$ref`s, merges `allOf`s and drops discriminators and examples.
fn prepare(v: &Value, schemas: &Map<String, Value>, stack: &mut Vec<String>) -> Value {
    match v {
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| prepare(i, schemas, stack)).collect())
        }
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str) {
                let name = r
                    .strip_prefix("#/components/schemas/")
                    .expect("local schema ref");
                assert!(!stack.iter().any(|s| s == name), "recursive schema {name}");
                stack.push(name.to_owned());
                let target = prepare(&schemas[name], schemas, stack);
                stack.pop();
                return target; // sibling keys of a $ref are annotations only
            }
            let mut out = Map::new();
            for (k, val) in m {
                if matches!(k.as_str(), "discriminator" | "example" | "examples") {
                    continue;
                }
                let is_schema_map = matches!(k.as_str(), "properties" | "$defs");
                out.insert(
                    k.clone(),
                    if is_schema_map {
                        Value::Object(
                            val.as_object()
                                .expect("map")
                                .iter()
                                .map(|(pk, pv)| (pk.clone(), prepare(pv, schemas, stack)))
                                .collect(),
                        )
                    } else {
                        prepare(val, schemas, stack)
                    },
                );
            }
            match out.remove("allOf") {
                Some(Value::Array(members)) => merge_all_of(out, members),
                Some(other) => panic!("allOf is not an array: {other}"),
                None => Value::Object(out),
            }
        }
        other => other.clone(),
    }
}

/// Merges `allOf` members (already prepared) into `base`: one object schema.
fn merge_all_of(mut base: Map<String, Value>, members: Vec<Value>) -> Value {
    let mut props = Map::new();
    let mut required = BTreeSet::new();
    let mut closed = base.remove("additionalProperties") == Some(Value::Bool(false));
    for member in members {
        let Value::Object(mut m) = member else {
            panic!("allOf member is not an object")
        };
        closed |= m.remove("additionalProperties") == Some(Value::Bool(false));
        if let Some(Value::Object(p)) = m.remove("properties") {
            for (k, schema) in p {
                let merged = match props.remove(&k) {
                    Some(Value::Object(mut a)) => {
                        let Value::Object(b) = schema else {
                            panic!("property {k}")
                        };
                        for (bk, bv) in b {
                            match a.get(&bk) {
                                Some(av) if av != &bv && bk != "description" => {
                                    panic!("allOf conflict on {k}.{bk}: {av} vs {bv}")
                                }
                                _ => {
                                    a.insert(bk, bv);
                                }
                            }
                        }
                        Value::Object(a)
                    }
                    _ => schema,
                };
                props.insert(k, merged);
            }
        }
        if let Some(Value::Array(r)) = m.remove("required") {
            required.extend(r.into_iter().filter_map(|v| v.as_str().map(str::to_owned)));
        }
        for (k, v) in m {
            match base.get(&k) {
                Some(existing) if existing != &v && k != "description" => {
                    panic!("allOf conflict on {k}: {existing} vs {v}")
                }
                _ => {
                    base.insert(k, v);
                }
            }
        }
    }
    base.insert("type".into(), json!("object"));
    base.insert("properties".into(), Value::Object(props));
    base.insert("required".into(), json!(required));
    if closed {
        base.insert("additionalProperties".into(), json!(false));
    }
    Value::Object(base)
}

pub fn request_schema(path: &str) -> Value {
    let spec = spec();
    let paths = spec["paths"].as_object().expect("paths");
    let op = paths.get(path).unwrap_or_else(|| {
        panic!(
            "{path} not in spec; has {:?}",
            paths
                .keys()
                .filter(|k| k.contains("messag"))
                .collect::<Vec<_>>()
        )
    });
    let raw = op
        .pointer("/post/requestBody/content/application~1json/schema")
        .unwrap_or_else(|| panic!("{path}: no JSON request schema"));
    let schemas = spec["components"]["schemas"].as_object().expect("schemas");
    let mut schema = prepare(raw, schemas, &mut Vec::new());
    schema["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    schema
}

pub struct Checker(pub jsonschema::Validator);

impl Checker {
    pub fn messages() -> &'static Checker {
        static C: OnceLock<Checker> = OnceLock::new();
        C.get_or_init(|| {
            Checker(
                jsonschema::draft202012::new(&request_schema(MESSAGES_PATH))
                    .expect("schema compiles"),
            )
        })
    }

    pub fn errors(&self, body: &Value) -> Vec<String> {
        self.0
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    pub fn assert_valid(&self, what: &str, body: &Value) {
        let errors = self.errors(body);
        assert!(
            errors.is_empty(),
            "{what} does not validate: {errors:#?}\n{body:#}"
        );
    }

    pub fn assert_invalid(&self, what: &str, body: &Value) {
        assert!(
            !self.0.is_valid(body),
            "{what} validates but should not:\n{body:#}"
        );
    }
}
