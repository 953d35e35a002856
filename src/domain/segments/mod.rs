//! Static lists and dynamic segments: their ids, names, rule groups, and the draft an API
//! takes, parsed (never merely validated) into a [`Segment`]. Owns the vocabulary and the
//! limits; how a segment is evaluated over contacts lives in `logic::segments`.
//!
//! A segment matches a contact when ANY of its groups matches, and a group matches when
//! ALL of its rules match. The JSON a merchant's tool sends:
//!
//! ```json
//! {"name": "VIP in Spain, bought in the last 90 days",
//!  "groups": [{"rules": [
//!     {"field": "COUNTRY", "op": "IS", "value": "ES"},
//!     {"field": "TAG", "op": "HAS", "value": "VIP"},
//!     {"field": "DAYS_SINCE_LAST_ORDER", "op": "LTE", "value": 89}]}]}
//! ```
//!
//! Design choices where the issue is silent:
//! - A [`Segment`] keeps the [`SegmentDraft`] it was parsed from: it is stored and shown
//!   exactly as written, and parsing it again is the only way back in (no second encoder
//!   to keep in step with the parser).
//! - Parsing reports every problem at once, each with its path
//!   (`groups[1].rules[0].value: expected a whole number >= 0`), so a form can mark them
//!   all.
//! - List membership is `LIST` with `IN` / `NOT_IN` (one id or several), like the other
//!   set rules, rather than two fields.

mod parse;
mod rule;
#[cfg(test)]
mod tests;

pub use parse::{Part, FIELDS};
pub use rule::{
    day_of, days_since_bounds, Cmp, DateCond, LanguageCode, Rule, MAX_TEXT, MAX_VALUES,
};

use super::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// At most this many groups in a segment.
pub const MAX_GROUPS: usize = 20;
/// At most this many rules in one group.
pub const MAX_RULES: usize = 20;
/// Segment and list names are 1 to this many characters (after trimming).
pub const MAX_NAME: usize = 255;

/// A static list's id, unique within a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ListId(pub u64);

/// A segment's id, unique within a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SegmentId(pub u64);

impl fmt::Display for ListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for SegmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Why a list or segment could not be built. Paths name where (`name`,
/// `groups[1].rules[0].value`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    /// A part of the draft is invalid.
    #[error("{path}: {reason}")]
    Invalid {
        /// Where (`name`, `groups[1].rules[0].value`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// More groups than [`MAX_GROUPS`].
    #[error("groups: {count} groups, at most {MAX_GROUPS} allowed")]
    TooManyGroups {
        /// How many the draft has.
        count: usize,
    },
    /// More rules in one group than [`MAX_RULES`].
    #[error("groups[{group}].rules: {count} rules, at most {MAX_RULES} allowed")]
    TooManyRules {
        /// The group's index.
        group: usize,
        /// How many rules it has.
        count: usize,
    },
}

impl SegmentError {
    fn invalid(path: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// A list or segment name: trimmed, 1 to [`MAX_NAME`] characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Name(Box<str>);

impl Name {
    /// Trims and checks the length.
    ///
    /// # Errors
    /// [`SegmentError::Invalid`] at path `name` when empty or too long.
    pub fn parse(s: &str) -> Result<Self, SegmentError> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > MAX_NAME {
            return Err(SegmentError::invalid(
                "name",
                format!("expected 1 to {MAX_NAME} characters"),
            ));
        }
        Ok(Self(s.into()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A static list: contacts are added and removed explicitly (by hand or CSV import).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaticList {
    /// The list's id.
    pub id: ListId,
    /// Shown to the merchant.
    pub name: Name,
    /// When the merchant created it.
    pub created_at: Timestamp,
}

/// One rule as an API takes it: `{"field": "ORDERS_COUNT", "op": "GTE", "value": 3}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleDraft {
    /// One of [`FIELDS`].
    pub field: String,
    /// The operator; which ones a field takes is in [`Rule::parse`].
    pub op: String,
    /// A number, a text, a date text, or `[low, high]` / a list, by operator.
    #[serde(default)]
    pub value: serde_json::Value,
}

/// A group of rules as an API takes it: all must hold.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupDraft {
    /// All must hold.
    pub rules: Vec<RuleDraft>,
}

/// A segment as an API takes it, before parsing.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentDraft {
    /// 1 to [`MAX_NAME`] characters once parsed.
    pub name: String,
    /// Any group may match.
    pub groups: Vec<GroupDraft>,
}

/// A group of typed rules: matches when every rule holds. Built only by
/// [`SegmentDraft::parse`], so it always has 1 to [`MAX_RULES`] rules.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleGroup {
    rules: Vec<Rule>,
}

impl RuleGroup {
    /// The rules, at least one, at most [`MAX_RULES`].
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }
}

/// A dynamic segment: matches a contact when any group matches. Built only by
/// [`SegmentDraft::parse`] (fields private), so its limits always hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    id: SegmentId,
    name: Name,
    groups: Vec<RuleGroup>,
    draft: SegmentDraft,
}

impl Segment {
    /// The segment's id.
    pub fn id(&self) -> SegmentId {
        self.id
    }

    /// Shown to the merchant.
    pub fn name(&self) -> &Name {
        &self.name
    }

    /// At least one group, at most [`MAX_GROUPS`], each with at least one rule.
    pub fn groups(&self) -> &[RuleGroup] {
        &self.groups
    }

    /// The draft this was parsed from: what is stored and shown.
    pub fn draft(&self) -> &SegmentDraft {
        &self.draft
    }

    /// True when membership can change with the day alone (some rule reads "days since"
    /// or "in the last X days"): such segments need [`day_of`]-daily refreshes.
    pub fn is_time_relative(&self) -> bool {
        self.groups
            .iter()
            .any(|g| g.rules.iter().any(Rule::is_time_relative))
    }
}

impl SegmentDraft {
    /// Parses the draft into segment `id`.
    ///
    /// # Errors
    /// Every problem found, each with its path.
    pub fn parse(&self, id: SegmentId) -> Result<Segment, Vec<SegmentError>> {
        let mut errors = Vec::new();
        let name = Name::parse(&self.name).map_err(|e| errors.push(e)).ok();
        if self.groups.is_empty() {
            errors.push(SegmentError::invalid(
                "groups",
                "expected at least one group",
            ));
        }
        if self.groups.len() > MAX_GROUPS {
            errors.push(SegmentError::TooManyGroups {
                count: self.groups.len(),
            });
        }
        let groups: Vec<RuleGroup> = (self.groups.iter().enumerate())
            .map(|(g, group)| parse_group(g, group, &mut errors))
            .collect();
        match name {
            Some(name) if errors.is_empty() => Ok(Segment {
                id,
                name,
                groups,
                draft: self.clone(),
            }),
            _ => Err(errors),
        }
    }
}

fn parse_group(g: usize, group: &GroupDraft, errors: &mut Vec<SegmentError>) -> RuleGroup {
    if group.rules.is_empty() {
        errors.push(SegmentError::invalid(
            format!("groups[{g}].rules"),
            "expected at least one rule",
        ));
    }
    if group.rules.len() > MAX_RULES {
        errors.push(SegmentError::TooManyRules {
            group: g,
            count: group.rules.len(),
        });
    }
    let mut rules = Vec::with_capacity(group.rules.len());
    for (r, draft) in group.rules.iter().enumerate() {
        match Rule::parse(draft) {
            Ok(rule) => rules.push(rule),
            Err((part, reason)) => errors.push(SegmentError::invalid(
                format!("groups[{g}].rules[{r}].{}", part.key()),
                reason,
            )),
        }
    }
    RuleGroup { rules }
}
