//! A strict reading of a parsed JSON document into a request type: everything serde's
//! derive accepts, except a JSON array where a struct is expected. serde's derived
//! `Deserialize` for structs takes a sequence of the fields in order (`[null, null]` for
//! `{access_token, waba_id}`), which no API caller means; reading through [`Strict`]
//! makes every struct, at every depth, require an object.
//!
//! Internally tagged enums (`#[serde(tag = "type")]`) ask for "any" value and would take
//! `["text", "hi"]`; [`Strict`] recognises them by what their visitor expects and refuses
//! an array there too. They buffer their content before choosing the variant, and what
//! they read from that buffer is no longer strict: a struct field inside one (template
//! parameters, product sections) says `deserialize_with = "strict::nested"`.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Error, Value};

/// Deserializes `T` from `value`, refusing arrays where structs are expected.
///
/// # Errors
/// serde's message for the first mismatch.
pub fn from_value<'de, T: de::Deserialize<'de>>(value: &'de Value) -> Result<T, Error> {
    T::deserialize(Strict(value))
}

/// For `#[serde(deserialize_with = "…")]` on a field whose type serde reads from a
/// buffer (inside an internally tagged enum): reads the field as a JSON value, then
/// strictly.
///
/// # Errors
/// serde's message for the first mismatch.
pub fn nested<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: de::Deserializer<'de>,
    T: de::DeserializeOwned,
{
    let v = <Value as de::Deserialize>::deserialize(d)?;
    from_value(&v).map_err(de::Error::custom)
}

/// A borrowed JSON value read strictly.
#[derive(Clone, Copy)]
pub struct Strict<'de>(pub &'de Value);

impl<'de> IntoDeserializer<'de, Error> for Strict<'de> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for Strict<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => de::Deserializer::deserialize_any(n, visitor),
            Value::String(s) => visitor.visit_borrowed_str(s),
            Value::Array(_) if expects_tagged_enum(&visitor) => Err(de::Error::custom(format!(
                "expected a JSON object for {}, found an array",
                Expecting(&visitor)
            ))),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.iter().map(Strict));
                let v = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(v)
            }
            Value::Object(map) => {
                let mut m = MapDeserializer::new(map.iter().map(|(k, v)| (k.as_str(), Strict(v))));
                let v = visitor.visit_map(&mut m)?;
                m.end()?;
                Ok(v)
            }
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(_) => self.deserialize_any(visitor),
            other => Err(de::Error::custom(format!(
                "expected a JSON object for {}, found {}",
                readable(name),
                kind(other)
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        // Enums are a string or a one-key object; serde_json's own reading is exact.
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// A visitor's `expecting` text, as `Display`.
struct Expecting<'v, V>(&'v V);

impl<'de, V: Visitor<'de>> std::fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.expecting(f)
    }
}

/// True for the visitor serde's derive uses for an internally tagged enum (it says
/// "internally tagged enum Name"; the unit test below pins that wording).
fn expects_tagged_enum<'de, V: Visitor<'de>>(visitor: &V) -> bool {
    Expecting(visitor)
        .to_string()
        .starts_with("internally tagged enum")
}

/// What a JSON value is, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `NewTenant` → "`NewTenant`"; kept as the type name: it is what the OpenAPI schema says.
fn readable(name: &str) -> String {
    format!("`{name}`")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: u64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Outer {
        inner: Option<Inner>,
        list: Vec<Inner>,
        #[serde(default)]
        flag: bool,
        tags: Vec<String>,
    }

    fn read<T: for<'de> Deserialize<'de>>(s: &str) -> Result<T, Error> {
        let v: Value = serde_json::from_str(s).expect("test json");
        from_value(&v)
    }

    #[test]
    fn objects_read_as_with_serde_json() {
        let o: Outer = read(r#"{"inner":{"a":1},"list":[{"a":2}],"tags":["x"]}"#).expect("reads");
        assert_eq!(o.inner, Some(Inner { a: 1 }));
        assert_eq!(o.list, vec![Inner { a: 2 }]);
        assert!(!o.flag);
        assert_eq!(o.tags, vec!["x".to_string()]);
    }

    #[test]
    fn arrays_are_refused_where_structs_are_expected_at_any_depth() {
        assert!(read::<Outer>(r#"[null, [], false, []]"#).is_err());
        assert!(read::<Outer>(r#"{"inner":[1],"list":[],"tags":[]}"#).is_err());
        assert!(read::<Outer>(r#"{"inner":null,"list":[[2]],"tags":[]}"#).is_err());
        let e = read::<Inner>("[1]").expect_err("array");
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Tagged {
        Text { text: String },
    }

    #[test]
    fn internally_tagged_enums_refuse_arrays() {
        let ok: Vec<Tagged> = read(r#"[{"type":"text","text":"hi"}]"#).expect("reads");
        assert_eq!(ok, vec![Tagged::Text { text: "hi".into() }]);
        let e = read::<Vec<Tagged>>(r#"[["text","hi"]]"#).expect_err("array");
        assert!(
            e.to_string().contains("internally tagged enum Tagged"),
            "{e}"
        );
    }

    #[test]
    fn unknown_fields_and_wrong_types_are_still_refused() {
        assert!(read::<Inner>(r#"{"a":1,"b":2}"#).is_err());
        assert!(read::<Inner>(r#"{"a":"1"}"#).is_err());
        assert!(read::<Inner>(r#"{"a":-1}"#).is_err());
    }
}
