//! One segment rule: the typed form of a `{"field", "op", "value"}` draft, and its parser.
//! Owns the rule vocabulary (fields, operators, value shapes); knows nothing of contacts.
//!
//! Every time rule works on whole UTC days (see [`day_of`]): a rule's answer for a contact
//! can then only change when its facts change or when the UTC day turns, which is what lets
//! the index keep time-relative segments current with one refresh per day.

use super::ListId;
use crate::domain::contact::{CountryCode, MarketingState};
use crate::domain::phone::PhoneE164;
use crate::domain::{ShopifyId, Timestamp};

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
    /// `GT`: above.
    Gt(i64),
    /// `LT`: below.
    Lt(i64),
    /// `GTE`: at or above.
    Gte(i64),
    /// `LTE`: at or below.
    Lte(i64),
    /// `EQ`: exactly.
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
        /// The lists, by id.
        lists: Vec<ListId>,
        /// `NOT_IN`.
        negate: bool,
    },
    /// The last WhatsApp message the contact received from the shop.
    LastMessageReceived(DateCond),
    /// The last time the contact engaged (an inbound reply or a click).
    LastEngaged(DateCond),
    /// Orders not deleted (cancelled ones included), as on the contact.
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
        /// The countries.
        codes: Vec<CountryCode>,
        /// `IS_NOT` / `NOT_IN`.
        negate: bool,
    },
    /// The language of the contact's locale; same rule for contacts without one.
    Language {
        /// The languages.
        codes: Vec<LanguageCode>,
        /// `IS_NOT` / `NOT_IN`.
        negate: bool,
    },
    /// WhatsApp marketing consent state.
    Consent {
        /// The state.
        state: MarketingState,
        /// `IS_NOT`.
        negate: bool,
    },
    /// Has the tag (exact, trimmed, as Shopify stores it).
    Tag {
        /// The tag, trimmed.
        tag: Box<str>,
        /// `HAS_NOT`.
        negate: bool,
    },
    /// Bought from any of these collections (`NOT_IN`: from none).
    PurchasedCollection {
        /// Collection ids.
        ids: Vec<ShopifyId>,
        /// `NOT_IN`.
        negate: bool,
    },
    /// Bought from any of these vendors (exact names; `NOT_IN`: from none).
    PurchasedVendor {
        /// Vendor names, trimmed.
        vendors: Vec<Box<str>>,
        /// `NOT_IN`.
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
