//! Executing a selection over a resolved value: every root resolver returns a superset
//! of what any query may ask (an object with all its fields, connections with edges,
//! nodes and page info), and the selection set — aliases, fragments, `__typename` —
//! picks the answer out of it. Also reads field arguments with the request's variables.

use apollo_compiler::ast::Value as Ast;
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use apollo_compiler::ExecutableDocument;
use serde_json::{Map, Value};

/// The answer to `set` from `value`.
pub fn project(value: &Value, set: &SelectionSet, doc: &ExecutableDocument) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project(v, set, doc)).collect()),
        Value::Object(_) => {
            let mut out = Map::new();
            fill(value, set, doc, &mut out);
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn fill(value: &Value, set: &SelectionSet, doc: &ExecutableDocument, out: &mut Map<String, Value>) {
    for s in &set.selections {
        match s {
            Selection::Field(f) => {
                let key = f.response_key().to_string();
                let v = if f.name == "__typename" {
                    value
                        .get("__typename")
                        .cloned()
                        .unwrap_or_else(|| Value::String(set.ty.to_string()))
                } else {
                    let v = value.get(f.name.as_str()).cloned().unwrap_or(Value::Null);
                    if f.selection_set.selections.is_empty() {
                        v
                    } else {
                        project(&v, &f.selection_set, doc)
                    }
                };
                out.insert(key, v);
            }
            Selection::FragmentSpread(spread) => {
                if let Some(frag) = doc.fragments.get(&spread.fragment_name) {
                    fill(value, &frag.selection_set, doc, out);
                }
            }
            Selection::InlineFragment(inline) => {
                let applies = match (&inline.type_condition, value.get("__typename")) {
                    (Some(t), Some(Value::String(actual))) => t.as_str() == actual,
                    _ => true,
                };
                if applies {
                    fill(value, &inline.selection_set, doc, out);
                }
            }
        }
    }
}

/// An argument of `field` as JSON, variables substituted; `None` when absent.
pub fn argument(field: &Field, name: &str, variables: &Value) -> Option<Value> {
    let arg = field.arguments.iter().find(|a| a.name == name)?;
    Some(to_json(&arg.value, variables))
}

fn to_json(v: &Ast, variables: &Value) -> Value {
    match v {
        Ast::Null => Value::Null,
        Ast::Enum(n) => Value::String(n.to_string()),
        Ast::Variable(n) => variables.get(n.as_str()).cloned().unwrap_or(Value::Null),
        Ast::String(s) => Value::String(s.clone()),
        Ast::Float(f) => f
            .try_to_f64()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Ast::Int(i) => i
            .as_str()
            .parse::<i64>()
            .map_or(Value::Null, |n| Value::Number(n.into())),
        Ast::Boolean(b) => Value::Bool(*b),
        Ast::List(items) => Value::Array(items.iter().map(|x| to_json(x, variables)).collect()),
        Ast::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, x)| (k.to_string(), to_json(x, variables)))
                .collect(),
        ),
    }
}
