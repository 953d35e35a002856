//! Analytics views: a set of message sources (a campaign's variants, a flow's action
//! nodes) summed into totals with rates, revenue with the rules that credited it, and a
//! per-day series for charts. Reads the counters the conversation actor keeps
//! (`Kind::SourceStats`) and the revenue the customer actor credits
//! (`Kind::SourceRevenue`); decides nothing.

use crate::domain::analytics::{day_key, Source, SourceRevenue, SourceStats};
use crate::domain::segments::day_of;
use crate::domain::{Money, Timestamp};
use crate::store::{Kind, Store, StoreError};
use serde::Serialize;
use std::collections::BTreeMap;

/// Most days a series shows.
pub const MAX_DAYS: i32 = 92;

/// Totals of a set of sources.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Totals {
    /// Messages queued.
    pub queued: u64,
    /// Accepted by Meta.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Read.
    pub read: u64,
    /// Failed.
    pub failed: u64,
    /// Failed, by Meta's error code.
    pub failed_by_code: BTreeMap<String, u64>,
    /// Answered within 24 hours.
    pub replied: u64,
    /// Followed by a STOP within 24 hours.
    pub opted_out: u64,
    /// Clicked (tracked links).
    pub clicked: u64,
    /// Orders credited.
    pub orders: u64,
    /// Revenue credited (shop currency).
    #[schema(value_type = String)]
    pub revenue: Money,
    /// Credited orders cancelled later.
    pub cancelled_orders: u64,
    /// Orders credited, by rule (`UTM`, `DISCOUNT_CODE`, `CLICK`, `READ`, `DELIVERED`).
    pub orders_by_rule: BTreeMap<String, u64>,
    /// delivered / sent, in percent.
    pub delivery_rate: f64,
    /// read / delivered, in percent.
    pub read_rate: f64,
    /// replied / delivered, in percent.
    pub reply_rate: f64,
    /// clicked / delivered, in percent.
    pub click_rate: f64,
}

/// One day of a series.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DayPoint {
    /// The UTC day (`2026-12-05`).
    pub day: String,
    /// Accepted by Meta that day.
    pub sent: u64,
    /// Delivered that day.
    pub delivered: u64,
    /// Read that day.
    pub read: u64,
    /// Failed that day.
    pub failed: u64,
    /// Replies that day.
    pub replied: u64,
    /// Clicks that day.
    pub clicked: u64,
    /// Orders credited that day.
    pub orders: u64,
    /// Revenue credited that day.
    #[schema(value_type = String)]
    pub revenue: Money,
}

/// Totals and a daily series.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Analytics {
    /// Everything so far.
    pub totals: Totals,
    /// Per UTC day, oldest first.
    pub series: Vec<DayPoint>,
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        ((n as f64) * 1000.0 / (of as f64)).round() / 10.0
    }
}

fn revenue(store: &Store, shop: &str, key: u64) -> Result<SourceRevenue, StoreError> {
    Ok(store
        .get(shop, Kind::SourceRevenue, key)?
        .unwrap_or_default())
}

/// The sources' totals (no series).
///
/// # Errors
/// When the store fails.
pub fn totals(store: &Store, shop: &str, sources: &[Source]) -> Result<Totals, StoreError> {
    let mut s = SourceStats::default();
    let mut r = SourceRevenue::default();
    for src in sources {
        let key = src.key();
        s.add(&store.source_stats(shop, key)?);
        let one = revenue(store, shop, key)?;
        r.orders += one.orders;
        r.revenue = r.revenue.plus(one.revenue);
        r.cancelled += one.cancelled;
        for (k, n) in one.by_rule {
            *r.by_rule.entry(k).or_default() += n;
        }
    }
    Ok(Totals {
        queued: s.queued,
        sent: s.sent,
        delivered: s.delivered,
        read: s.read,
        failed: s.failed,
        failed_by_code: (s.failed_by_code.iter())
            .map(|(c, n)| (c.to_string(), *n))
            .collect(),
        replied: s.replied,
        opted_out: s.opted_out,
        clicked: s.clicked,
        orders: r.orders,
        revenue: r.revenue,
        cancelled_orders: r.cancelled,
        orders_by_rule: r.by_rule,
        delivery_rate: pct(s.delivered, s.sent),
        read_rate: pct(s.read, s.delivered),
        reply_rate: pct(s.replied, s.delivered),
        click_rate: pct(s.clicked, s.delivered),
    })
}

/// The sources' totals and their series from `since` to today (at most [`MAX_DAYS`]).
///
/// # Errors
/// When the store fails.
pub fn of(
    store: &Store,
    shop: &str,
    sources: &[Source],
    since: Timestamp,
) -> Result<Analytics, StoreError> {
    let today = day_of(Timestamp::now());
    let first = day_of(since).max(today - MAX_DAYS + 1);
    let mut series = Vec::new();
    for day in first..=today {
        let mut p = DayPoint {
            day: day_name(day),
            ..DayPoint::default()
        };
        for src in sources {
            let k = day_key(src.key(), day);
            let s = store.source_stats(shop, k)?;
            let r = revenue(store, shop, k)?;
            p.sent += s.sent;
            p.delivered += s.delivered;
            p.read += s.read;
            p.failed += s.failed;
            p.replied += s.replied;
            p.clicked += s.clicked;
            p.orders += r.orders;
            p.revenue = p.revenue.plus(r.revenue);
        }
        series.push(p);
    }
    Ok(Analytics {
        totals: totals(store, shop, sources)?,
        series,
    })
}

/// `2026-12-05` for a day number.
fn day_name(day: i32) -> String {
    let t = Timestamp(i64::from(day) * 86_400_000);
    t.to_rfc3339().chars().take(10).collect()
}

/// A campaign's sources (its A/B variants).
pub fn campaign_sources(id: u64) -> Vec<Source> {
    (0..8u8)
        .map(|variant| Source::Campaign { id, variant })
        .collect()
}

/// One action node of a flow.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NodeAnalytics {
    /// The node id.
    pub node: String,
    /// Its totals.
    pub totals: Totals,
}

/// A flow's analytics: all its action nodes together, each node, and a daily series
/// of the last 30 days.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FlowAnalytics {
    /// All action nodes.
    pub totals: Totals,
    /// Per UTC day, oldest first.
    pub series: Vec<DayPoint>,
    /// Per action node.
    pub nodes: Vec<NodeAnalytics>,
}

/// A flow's analytics over its action nodes.
///
/// # Errors
/// When the store fails.
pub fn flow(
    store: &Store,
    shop: &str,
    id: u64,
    nodes: &[String],
) -> Result<FlowAnalytics, StoreError> {
    let sources: Vec<Source> = nodes
        .iter()
        .map(|n| Source::Flow {
            id,
            node: n.clone(),
        })
        .collect();
    let since = Timestamp(Timestamp::now().millis() - 29 * 86_400_000);
    let all = of(store, shop, &sources, since)?;
    let mut per = Vec::new();
    for (node, src) in nodes.iter().zip(&sources) {
        per.push(NodeAnalytics {
            node: node.clone(),
            totals: totals(store, shop, std::slice::from_ref(src))?,
        });
    }
    Ok(FlowAnalytics {
        totals: all.totals,
        series: all.series,
        nodes: per,
    })
}
