//! `Tags`: a contact's tags with a last-writer-wins time per tag, so `tags_added` and
//! `tags_removed` deliveries that arrive out of order still converge.
//!
//! Each tag ever seen keeps one entry `(name, at, present)`; an event replaces it only
//! when `(at, present)` is greater (at equal times an add beats a remove), which makes
//! applying events commutative. Removed entries are the tombstones; those older than
//! [`Tags::TOMBSTONE_HORIZON_MS`] behind the newest entry are dropped to stay compact
//! (Shopify retries for 4 hours and rarely delays more than a day).
//!
//! JSON shows only the present tags as a list of strings; bincode keeps every entry.

use crate::domain::Timestamp;
use serde::ser::SerializeSeq;
use serde::{Deserialize, Serialize};

/// One tag's latest known state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagEntry {
    name: Box<str>,
    at: Timestamp,
    present: bool,
}

impl TagEntry {
    /// The tag.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// When it was last added or removed.
    pub fn at(&self) -> Timestamp {
        self.at
    }

    /// False for a removal tombstone.
    pub fn present(&self) -> bool {
        self.present
    }
}

/// A contact's tags, sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tags(Box<[TagEntry]>);

/// In the API's JSON: the present tags, a list of strings.
impl utoipa::PartialSchema for Tags {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String),
            )
            .into()
    }
}

impl utoipa::ToSchema for Tags {}

impl Tags {
    /// How long a removal tombstone is kept behind the newest tag event (7 days).
    pub const TOMBSTONE_HORIZON_MS: i64 = 7 * 24 * 3600 * 1000;

    /// Tags all present at `at` (tests, imports).
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>, at: Timestamp) -> Self {
        let mut t = Self::default();
        t.set_many(names, true, at);
        t
    }

    /// The present tags, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.iter().filter(|e| e.present).map(|e| &*e.name)
    }

    /// Every entry, tombstones included.
    pub fn entries(&self) -> &[TagEntry] {
        &self.0
    }

    /// Number of present tags.
    pub fn len(&self) -> usize {
        self.0.iter().filter(|e| e.present).count()
    }

    /// True when no tag is present.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when `tag` is present.
    pub fn contains(&self, tag: &str) -> bool {
        let tag = tag.trim();
        self.0
            .binary_search_by(|e| (*e.name).cmp(tag))
            .map(|i| self.0[i].present)
            .unwrap_or(false)
    }

    /// Records that `names` were added (`present`) or removed at `at`. Returns the tags
    /// whose visibility changed (newly present, or newly gone), in input order.
    pub fn set_many<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
        present: bool,
        at: Timestamp,
    ) -> Vec<String> {
        let mut v = std::mem::take(&mut self.0).into_vec();
        let mut changed = Vec::new();
        for name in names {
            let name = name.trim();
            if !name.is_empty() && upsert(&mut v, name, present, at) {
                changed.push(name.to_string());
            }
        }
        prune(&mut v);
        self.0 = v.into_boxed_slice();
        changed
    }

    /// Joins another tag set into this one (customer merge): per tag, the newer entry wins.
    pub fn merge(&mut self, other: &Tags) {
        let mut v = std::mem::take(&mut self.0).into_vec();
        for e in other.0.iter() {
            upsert(&mut v, &e.name, e.present, e.at);
        }
        prune(&mut v);
        self.0 = v.into_boxed_slice();
    }

    /// Replaces the whole set as of `at` (a legacy `tags` string in a `customers/*`
    /// payload): listed tags are added, other present tags removed, each by the usual
    /// last-writer-wins rule. Returns the newly present tags.
    pub fn replace_all<'a>(
        &mut self,
        names: impl IntoIterator<Item = &'a str>,
        at: Timestamp,
    ) -> Vec<String> {
        let wanted: Vec<&str> = names.into_iter().map(str::trim).collect();
        let gone: Vec<String> = self
            .iter()
            .filter(|t| !wanted.contains(t))
            .map(str::to_string)
            .collect();
        self.set_many(gone.iter().map(String::as_str), false, at);
        self.set_many(wanted, true, at)
    }
}

/// Applies one event to a sorted entry list; true when the tag's visibility changed.
fn upsert(v: &mut Vec<TagEntry>, name: &str, present: bool, at: Timestamp) -> bool {
    match v.binary_search_by(|e| (*e.name).cmp(name)) {
        Ok(i) => {
            let e = &mut v[i];
            if (at, present) <= (e.at, e.present) {
                return false;
            }
            let was = e.present;
            e.at = at;
            e.present = present;
            was != present
        }
        Err(i) => {
            v.insert(
                i,
                TagEntry {
                    name: name.into(),
                    at,
                    present,
                },
            );
            present
        }
    }
}

/// Drops removal tombstones far older than the newest entry.
fn prune(v: &mut Vec<TagEntry>) {
    let Some(newest) = v.iter().map(|e| e.at).max() else {
        return;
    };
    let horizon = newest.0.saturating_sub(Tags::TOMBSTONE_HORIZON_MS);
    v.retain(|e| e.present || e.at.0 >= horizon);
}

impl Serialize for Tags {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            let mut seq = s.serialize_seq(Some(self.len()))?;
            for t in self.iter() {
                seq.serialize_element(t)?;
            }
            seq.end()
        } else {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for e in self.0.iter() {
                seq.serialize_element(&(&*e.name, e.at.0, e.present))?;
            }
            seq.end()
        }
    }
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut v = Vec::new();
        if d.is_human_readable() {
            for name in Vec::<String>::deserialize(d)? {
                upsert(&mut v, name.trim(), true, Timestamp(0));
            }
        } else {
            for (name, at, present) in Vec::<(String, i64, bool)>::deserialize(d)? {
                upsert(&mut v, &name, present, Timestamp(at));
            }
        }
        Ok(Tags(v.into_boxed_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    #[test]
    fn a_late_older_add_does_not_undo_a_newer_remove() {
        let mut t = Tags::default();
        assert!(t.set_many(["vip"], false, ts(20)).is_empty());
        assert!(t.set_many(["vip"], true, ts(10)).is_empty());
        assert!(!t.contains("vip"));
        assert_eq!(t.set_many(["vip"], true, ts(30)), vec!["vip".to_string()]);
        assert!(t.contains("vip"));
    }

    #[test]
    fn at_equal_times_an_add_wins() {
        let mut a = Tags::default();
        a.set_many(["x"], true, ts(5));
        a.set_many(["x"], false, ts(5));
        let mut b = Tags::default();
        b.set_many(["x"], false, ts(5));
        b.set_many(["x"], true, ts(5));
        assert_eq!(a, b);
        assert!(a.contains("x"));
    }

    #[test]
    fn old_tombstones_are_pruned() {
        let mut t = Tags::default();
        t.set_many(["old"], false, ts(0));
        t.set_many(["new"], true, ts(Tags::TOMBSTONE_HORIZON_MS + 1));
        assert_eq!(t.entries().len(), 1);
    }

    #[test]
    fn json_shows_present_tags_and_bincode_keeps_times() {
        let mut t = Tags::from_names(["b", "a"], ts(1));
        t.set_many(["b"], false, ts(2));
        assert_eq!(serde_json::to_string(&t).expect("json"), r#"["a"]"#);
        let cfg = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(&t, cfg).expect("encode");
        let (back, _): (Tags, usize) =
            bincode::serde::decode_from_slice(&bytes, cfg).expect("decode");
        assert_eq!(back, t);
    }

    #[test]
    fn replace_all_adds_and_removes() {
        let mut t = Tags::from_names(["a", "b"], ts(1));
        assert_eq!(t.replace_all(["b", "c"], ts(2)), vec!["c".to_string()]);
        assert_eq!(t.iter().collect::<Vec<_>>(), ["b", "c"]);
    }

    proptest! {
        #[test]
        fn any_delivery_order_converges(
            ops in proptest::collection::vec((0usize..4, any::<bool>(), 0i64..20), 0..24),
            seed in any::<u64>(),
        ) {
            const NAMES: [&str; 4] = ["a", "b", "vip", "x y"];
            let mut forward = Tags::default();
            for (n, p, at) in &ops {
                forward.set_many([NAMES[*n]], *p, ts(*at));
            }
            let mut shuffled = ops.clone();
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let mut other = Tags::default();
            for (n, p, at) in &shuffled {
                other.set_many([NAMES[*n]], *p, ts(*at));
            }
            prop_assert_eq!(&forward, &other);
            for name in NAMES {
                let last = ops.iter().filter(|(n, _, _)| NAMES[*n] == name)
                    .map(|(_, p, at)| (*at, *p)).max();
                prop_assert_eq!(forward.contains(name), last.map(|(_, p)| p).unwrap_or(false));
            }
        }
    }
}
