//! One segment rule: the typed form of a `{"field", "op", "value"}` draft, and its parser.
//! Owns the rule vocabulary (fields, operators, value shapes); knows nothing of contacts.
//!
//! Every time rule works on whole UTC days (see [`day_of`]): a rule's answer for a contact
//! can then only change when its facts change or when the UTC day turns, which is what lets
//! the index keep time-relative segments current with one refresh per day.

use super::{ListId, RuleDraft};
use crate::domain::contact::{CountryCode, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::{parse_gid, Money, ShopifyId, Timestamp};
use serde_json::Value;

/// At most this many values in one `IN` / `NOT_IN` list.
pub const MAX_VALUES: usize = 100;
/// Tags and vendors are at most this many characters (Shopify's tag limit).
pub const MAX_TEXT: usize = 255;

const DAY_MS: i64 = 86_400_000;

/// The UTC day of an instant, counted from 1970-01-01 (day 0).
pub fn day_of(t: Timestamp) -> i32 {
    t.millis().div_euclid(DAY_MS) as i32
}

/// A comparison on a number, as written (`GT`, `LT`, `GTE`, `LTE`, `EQ`, `BETWEEN`).
/// Money values are in thousandths ([`Money`]'s unit), day counts in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Gt(i64),
    Lt(i64),
    Gte(i64),
    Lte(i64),
    Eq(i64),
    /// Both bounds included; parsing guarantees `lo <= hi`.
    Between(i64, i64),
}

impl Cmp {
    /// The inclusive range of values that satisfy the comparison.
    pub fn bounds(self) -> (i64, i64) {
        match self {
            Cmp::Gt(a) => (a.saturating_add(1), i64::MAX),
            Cmp::Lt(a) => (i64::MIN, a.saturating_sub(1)),
            Cmp::Gte(a) => (a, i64::MAX),
            Cmp::Lte(a) => (i64::MIN, a),
            Cmp::Eq(a) => (a, a),
            Cmp::Between(a, b) => (a, b),
        }
    }

    /// True when `x` satisfies the comparison.
    pub fn holds(self, x: i64) -> bool {
        let (lo, hi) = self.bounds();
        lo <= x && x <= hi
    }
}

/// A condition on a date (`BEFORE`, `AFTER`, `BETWEEN`, `IN_LAST_DAYS`), in UTC days.
/// A contact with no such date never matches: "never engaged" is not "engaged before".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateCond {
    /// Strictly before that day.
    Before(i32),
    /// Strictly after that day.
    After(i32),
    /// From the first day to the second, both included.
    Between(i32, i32),
    /// Within the last `n` days, today included (`1` is today only); later days too, so a
    /// clock a little ahead does not drop a contact.
    InLastDays(u32),
}

impl DateCond {
    /// The inclusive range of days that satisfy the condition on day `today`.
    pub fn bounds(self, today: i32) -> (i64, i64) {
        match self {
            DateCond::Before(d) => (i64::MIN, i64::from(d) - 1),
            DateCond::After(d) => (i64::from(d) + 1, i64::MAX),
            DateCond::Between(a, b) => (i64::from(a), i64::from(b)),
            DateCond::InLastDays(n) => (i64::from(today) - i64::from(n) + 1, i64::MAX),
        }
    }

    /// True when `day` satisfies the condition on day `today`.
    pub fn holds(self, day: Option<i32>, today: i32) -> bool {
        let (lo, hi) = self.bounds(today);
        day.is_some_and(|d| lo <= i64::from(d) && i64::from(d) <= hi)
    }

    /// True when the answer depends on the current day.
    pub fn is_relative(self) -> bool {
        matches!(self, DateCond::InLastDays(_))
    }
}

/// The day range a "days since" comparison selects on day `today`: `today - day` in
/// `[lo, hi]` is `day` in `[today - hi, today - lo]`.
pub fn days_since_bounds(cmp: Cmp, today: i32) -> (i64, i64) {
    let (lo, hi) = cmp.bounds();
    let t = i64::from(today);
    (t.saturating_sub(hi), t.saturating_sub(lo))
}

/// A language as the first subtag of a locale (`"es"` of `"es-ES"`), lower case, 2 or 3
/// letters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageCode(Box<str>);

impl LanguageCode {
    /// The language of a locale or language text (`"pt-BR"`, `"pt_BR"`, `"PT"`).
    pub fn parse(s: &str) -> Option<Self> {
        let first = s.trim().split(['-', '_']).next()?;
        let ok = (2..=3).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic());
        ok.then(|| Self(first.to_ascii_lowercase().into()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One typed rule. `negate` turns `IS`/`IN`/`HAS` into `IS_NOT`/`NOT_IN`/`HAS_NOT`.
#[derive(Clone, Debug, PartialEq)]
pub enum Rule {
    /// `PHONE IS "+34…"`: exactly this E.164 number.
    Phone(PhoneE164),
    /// `LIST IN [ids]`: in any of the static lists (`NOT_IN`: in none of them).
    List {
        lists: Vec<ListId>,
        negate: bool,
    },
    /// The last WhatsApp message the contact received from the shop.
    LastMessageReceived(DateCond),
    /// The last time the contact engaged (an inbound reply or a click).
    LastEngaged(DateCond),
    OrdersCount(Cmp),
    /// In thousandths of the shop currency.
    TotalSpent(Cmp),
    /// Whole UTC days since the last order; contacts with no order never match.
    DaysSinceLastOrder(Cmp),
    /// Whole UTC days since the first order; contacts with no order never match.
    DaysSinceFirstOrder(Cmp),
    /// In thousandths; a contact with no counted order has 0.
    AverageOrderValue(Cmp),
    /// Default-address country; a contact without one is in no list (so `IS_NOT` matches).
    Country {
        codes: Vec<CountryCode>,
        negate: bool,
    },
    /// The language of the contact's locale; same rule for contacts without one.
    Language {
        codes: Vec<LanguageCode>,
        negate: bool,
    },
    /// WhatsApp marketing consent state.
    Consent {
        state: MarketingState,
        negate: bool,
    },
    /// Has the tag (exact, trimmed, as Shopify stores it).
    Tag {
        tag: Box<str>,
        negate: bool,
    },
    /// Bought from any of these collections (`NOT_IN`: from none).
    PurchasedCollection {
        ids: Vec<ShopifyId>,
        negate: bool,
    },
    /// Bought from any of these vendors (exact names; `NOT_IN`: from none).
    PurchasedVendor {
        vendors: Vec<Box<str>>,
        negate: bool,
    },
}

impl Rule {
    /// True when the rule's answer depends on the current day (see [`DateCond::is_relative`]).
    pub fn is_time_relative(&self) -> bool {
        match self {
            Rule::LastMessageReceived(d) | Rule::LastEngaged(d) => d.is_relative(),
            Rule::DaysSinceLastOrder(_) | Rule::DaysSinceFirstOrder(_) => true,
            _ => false,
        }
    }
}

/// Which part of a rule draft a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Field,
    Op,
    Value,
}

impl Part {
    /// The JSON key.
    pub fn key(self) -> &'static str {
        match self {
            Part::Field => "field",
            Part::Op => "op",
            Part::Value => "value",
        }
    }
}

/// The fields a rule may read.
pub const FIELDS: &[&str] = &[
    "PHONE",
    "LIST",
    "LAST_MESSAGE_RECEIVED",
    "LAST_ENGAGED",
    "ORDERS_COUNT",
    "TOTAL_SPENT",
    "DAYS_SINCE_LAST_ORDER",
    "DAYS_SINCE_FIRST_ORDER",
    "AVERAGE_ORDER_VALUE",
    "COUNTRY",
    "LANGUAGE",
    "CONSENT",
    "TAG",
    "PURCHASED_COLLECTION",
    "PURCHASED_VENDOR",
];

type Problem = (Part, String);

impl Rule {
    /// Parses one rule draft; the error names the part (`field`, `op`, `value`) at fault.
    pub fn parse(d: &RuleDraft) -> Result<Rule, (Part, String)> {
        let op = d.op.trim();
        let v = &d.value;
        match d.field.trim() {
            "PHONE" => {
                expect_op(op, &["IS"])?;
                let s = v.as_str().ok_or_else(|| value_err("an E.164 phone text"))?;
                let p = PhoneE164::parse(s).map_err(|e| (Part::Value, e.to_string()))?;
                Ok(Rule::Phone(p))
            }
            "LIST" => {
                let negate = in_or_not(op)?;
                let lists = list_of(v, |x| id_of(x, None).map(ListId))?;
                Ok(Rule::List { lists, negate })
            }
            "LAST_MESSAGE_RECEIVED" => Ok(Rule::LastMessageReceived(date_cond(op, v)?)),
            "LAST_ENGAGED" => Ok(Rule::LastEngaged(date_cond(op, v)?)),
            "ORDERS_COUNT" => Ok(Rule::OrdersCount(cmp(op, v, count)?)),
            "TOTAL_SPENT" => Ok(Rule::TotalSpent(cmp(op, v, money)?)),
            "DAYS_SINCE_LAST_ORDER" => Ok(Rule::DaysSinceLastOrder(cmp(op, v, count)?)),
            "DAYS_SINCE_FIRST_ORDER" => Ok(Rule::DaysSinceFirstOrder(cmp(op, v, count)?)),
            "AVERAGE_ORDER_VALUE" => Ok(Rule::AverageOrderValue(cmp(op, v, money)?)),
            "COUNTRY" => {
                let (codes, negate) = is_or_in(op, v, |x| {
                    x.as_str()
                        .and_then(CountryCode::parse)
                        .ok_or("a 2-letter country code")
                })?;
                Ok(Rule::Country { codes, negate })
            }
            "LANGUAGE" => {
                let (codes, negate) = is_or_in(op, v, |x| {
                    x.as_str()
                        .and_then(LanguageCode::parse)
                        .ok_or("a language code (\"es\")")
                })?;
                Ok(Rule::Language { codes, negate })
            }
            "CONSENT" => {
                let negate = match op {
                    "IS" => false,
                    "IS_NOT" => true,
                    _ => return Err(op_err(&["IS", "IS_NOT"])),
                };
                let state = serde_json::from_value(v.clone()).map_err(|_| {
                    value_err("SUBSCRIBED, PENDING, NOT_SUBSCRIBED, UNSUBSCRIBED, UNKNOWN, INVALID or REDACTED")
                })?;
                Ok(Rule::Consent { state, negate })
            }
            "TAG" => {
                let negate = match op {
                    "HAS" => false,
                    "HAS_NOT" => true,
                    _ => return Err(op_err(&["HAS", "HAS_NOT"])),
                };
                let tag = text(v).map_err(|e| (Part::Value, e.to_string()))?;
                Ok(Rule::Tag { tag, negate })
            }
            "PURCHASED_COLLECTION" => {
                let negate = in_or_not(op)?;
                let ids = list_of(v, |x| id_of(x, Some("Collection")))?;
                Ok(Rule::PurchasedCollection { ids, negate })
            }
            "PURCHASED_VENDOR" => {
                let negate = in_or_not(op)?;
                let vendors = list_of(v, text)?;
                Ok(Rule::PurchasedVendor { vendors, negate })
            }
            other => Err((
                Part::Field,
                format!(
                    "unknown field `{other}`; expected one of {}",
                    FIELDS.join(", ")
                ),
            )),
        }
    }
}

fn value_err(what: &str) -> Problem {
    (Part::Value, format!("expected {what}"))
}

fn op_err(ops: &[&str]) -> Problem {
    (Part::Op, format!("expected one of {}", ops.join(", ")))
}

fn expect_op(op: &str, ops: &[&str]) -> Result<(), Problem> {
    if ops.contains(&op) {
        Ok(())
    } else {
        Err(op_err(ops))
    }
}

fn in_or_not(op: &str) -> Result<bool, Problem> {
    match op {
        "IN" => Ok(false),
        "NOT_IN" => Ok(true),
        _ => Err(op_err(&["IN", "NOT_IN"])),
    }
}

/// `IS x` / `IS_NOT x` (one value) or `IN [..]` / `NOT_IN [..]` (a non-empty list).
fn is_or_in<T>(
    op: &str,
    v: &Value,
    one: impl Fn(&Value) -> Result<T, &'static str>,
) -> Result<(Vec<T>, bool), Problem> {
    let single = |v: &Value| one(v).map_err(value_err);
    match op {
        "IS" => Ok((vec![single(v)?], false)),
        "IS_NOT" => Ok((vec![single(v)?], true)),
        "IN" | "NOT_IN" => Ok((list_of(v, &one)?, op == "NOT_IN")),
        _ => Err(op_err(&["IS", "IS_NOT", "IN", "NOT_IN"])),
    }
}

/// One value or a non-empty array of at most [`MAX_VALUES`] values.
fn list_of<T>(
    v: &Value,
    one: impl Fn(&Value) -> Result<T, &'static str>,
) -> Result<Vec<T>, Problem> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    if items.is_empty() || items.len() > MAX_VALUES {
        return Err((Part::Value, format!("expected 1 to {MAX_VALUES} values")));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, x)| one(x).map_err(|e| (Part::Value, format!("item {i}: expected {e}"))))
        .collect()
}

fn id_of(v: &Value, kind: Option<&str>) -> Result<u64, &'static str> {
    match v {
        Value::Number(n) => n.as_u64().filter(|&n| n > 0),
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .ok()
            .or_else(|| kind.and_then(|k| parse_gid(s, Some(k)))),
        _ => None,
    }
    .ok_or("a positive id")
}

fn text(v: &Value) -> Result<Box<str>, &'static str> {
    let s = v.as_str().map(str::trim).unwrap_or("");
    if s.is_empty() || s.chars().count() > MAX_TEXT {
        return Err("a text of 1 to 255 characters");
    }
    Ok(s.into())
}

fn count(v: &Value) -> Result<i64, &'static str> {
    v.as_u64()
        .and_then(|n| i64::try_from(n).ok())
        .ok_or("a whole number >= 0")
}

fn money(v: &Value) -> Result<i64, &'static str> {
    let m = match v {
        Value::Number(n) => Money::parse(&n.to_string()),
        Value::String(s) => Money::parse(s),
        _ => None,
    };
    m.map(|m| m.0).ok_or("an amount (12.5 or \"12.50\")")
}

fn cmp(
    op: &str,
    v: &Value,
    one: impl Fn(&Value) -> Result<i64, &'static str>,
) -> Result<Cmp, Problem> {
    let single = || one(v).map_err(value_err);
    Ok(match op {
        "GT" => Cmp::Gt(single()?),
        "LT" => Cmp::Lt(single()?),
        "GTE" => Cmp::Gte(single()?),
        "LTE" => Cmp::Lte(single()?),
        "EQ" => Cmp::Eq(single()?),
        "BETWEEN" => {
            let (a, b) = pair(v, &one)?;
            Cmp::Between(a, b)
        }
        _ => return Err(op_err(&["GT", "LT", "GTE", "LTE", "EQ", "BETWEEN"])),
    })
}

/// `[low, high]` with `low <= high`.
fn pair<T: PartialOrd>(
    v: &Value,
    one: &impl Fn(&Value) -> Result<T, &'static str>,
) -> Result<(T, T), Problem> {
    let [a, b] = v.as_array().map(Vec::as_slice).unwrap_or(&[]) else {
        return Err(value_err("[low, high]"));
    };
    let (a, b) = (one(a).map_err(value_err)?, one(b).map_err(value_err)?);
    if a > b {
        return Err((Part::Value, "low is above high".to_string()));
    }
    Ok((a, b))
}

fn date(v: &Value) -> Result<i32, &'static str> {
    const WHAT: &str = "a date (\"2026-01-31\" or RFC 3339)";
    let s = v.as_str().ok_or(WHAT)?.trim();
    if let Some(t) = Timestamp::parse(s) {
        return Ok(day_of(t));
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, &fmt).map_err(|_| WHAT)?;
    Ok(d.to_julian_day() - EPOCH_JULIAN)
}

/// The Julian day number of 1970-01-01.
const EPOCH_JULIAN: i32 = 2_440_588;

fn date_cond(op: &str, v: &Value) -> Result<DateCond, Problem> {
    Ok(match op {
        "BEFORE" => DateCond::Before(date(v).map_err(value_err)?),
        "AFTER" => DateCond::After(date(v).map_err(value_err)?),
        "BETWEEN" => {
            let (a, b) = pair(v, &date)?;
            DateCond::Between(a, b)
        }
        "IN_LAST_DAYS" => {
            let n = v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .filter(|n| (1..=36_500).contains(n))
                .ok_or_else(|| value_err("a number of days from 1 to 36500"))?;
            DateCond::InLastDays(n)
        }
        _ => return Err(op_err(&["BEFORE", "AFTER", "BETWEEN", "IN_LAST_DAYS"])),
    })
}
