//! Parsing one rule draft (`{"field", "op", "value"}`) into a typed [`Rule`]: the
//! operators each field takes and the shapes of their values. Errors name the part at
//! fault; the segment parser adds the group and rule index.

use super::rule::{day_of, Cmp, DateCond, LanguageCode, Rule, MAX_TEXT, MAX_VALUES};
use super::{ListId, RuleDraft};
use crate::domain::contact::{CountryCode, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::{parse_gid, Money, Timestamp};
use serde_json::Value;

/// Which part of a rule draft a problem is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The `field` key.
    Field,
    /// The `op` key.
    Op,
    /// The `value` key.
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
        let (field, op, v) = (d.field.trim(), d.op.trim(), &d.value);
        match field {
            "PHONE" | "LIST" | "CONSENT" | "TAG" => contact_rule(field, op, v),
            "COUNTRY" | "LANGUAGE" => profile_rule(field, op, v),
            "LAST_MESSAGE_RECEIVED" => Ok(Rule::LastMessageReceived(date_cond(op, v)?)),
            "LAST_ENGAGED" => Ok(Rule::LastEngaged(date_cond(op, v)?)),
            "ORDERS_COUNT" => Ok(Rule::OrdersCount(cmp(op, v, count)?)),
            "TOTAL_SPENT" => Ok(Rule::TotalSpent(cmp(op, v, money)?)),
            "DAYS_SINCE_LAST_ORDER" => Ok(Rule::DaysSinceLastOrder(cmp(op, v, count)?)),
            "DAYS_SINCE_FIRST_ORDER" => Ok(Rule::DaysSinceFirstOrder(cmp(op, v, count)?)),
            "AVERAGE_ORDER_VALUE" => Ok(Rule::AverageOrderValue(cmp(op, v, money)?)),
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

/// PHONE, LIST, CONSENT, TAG.
fn contact_rule(field: &str, op: &str, v: &Value) -> Result<Rule, Problem> {
    match field {
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
        "CONSENT" => {
            let negate = is_or_not(op, ["IS", "IS_NOT"])?;
            let state: MarketingState = serde_json::from_value(v.clone()).map_err(|_| {
                value_err("SUBSCRIBED, PENDING, NOT_SUBSCRIBED, UNSUBSCRIBED, UNKNOWN, INVALID or REDACTED")
            })?;
            Ok(Rule::Consent { state, negate })
        }
        _ => {
            let negate = is_or_not(op, ["HAS", "HAS_NOT"])?;
            let tag = text(v).map_err(value_err)?;
            Ok(Rule::Tag { tag, negate })
        }
    }
}

/// COUNTRY, LANGUAGE.
fn profile_rule(field: &str, op: &str, v: &Value) -> Result<Rule, Problem> {
    if field == "COUNTRY" {
        let (codes, negate) = is_or_in(op, v, |x| {
            (x.as_str().and_then(CountryCode::parse)).ok_or("a 2-letter country code")
        })?;
        return Ok(Rule::Country { codes, negate });
    }
    let (codes, negate) = is_or_in(op, v, |x| {
        (x.as_str().and_then(LanguageCode::parse)).ok_or("a language code (\"es\")")
    })?;
    Ok(Rule::Language { codes, negate })
}

/// `yes` → false, `no` → true (negated).
fn is_or_not(op: &str, [yes, no]: [&str; 2]) -> Result<bool, Problem> {
    match op {
        o if o == yes => Ok(false),
        o if o == no => Ok(true),
        _ => Err(op_err(&[yes, no])),
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
