//! Automation flows as the API takes and shows them: one trigger node, then delay,
//! condition, split and action nodes joined by edges (JSON nodes + edges, the product's
//! shape), plus the flow's settings (frequency cap, exit goal, exclusions). Runs are in
//! [`run`]. Plain data: the rules (validation, stepping, conditions) are
//! `logic::automations`.
//!
//! Flows are stored as their JSON inside a versioned record ([`StoredFlow`]): the node
//! types are internally tagged enums, which bincode cannot read back, and a definition is
//! read once at start, not per step.

pub mod run;

use crate::domain::Money;
use serde::{Deserialize, Serialize};

/// A node's id within its flow: 1 to 64 of `[A-Za-z0-9_-]`.
pub type NodeId = String;

/// What the API accepts to create or edit a flow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowDraft {
    /// Name shown to the merchant (1 to 255 characters).
    pub name: String,
    /// The nodes; exactly one is a trigger.
    pub nodes: Vec<Node>,
    /// The edges; a condition has a `YES` and a `NO` edge, a split one per branch key.
    #[serde(default)]
    pub edges: Vec<Edge>,
    /// Cap, exit goal, exclusions.
    #[serde(default)]
    pub settings: FlowSettings,
}

/// One node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Node {
    /// Unique within the flow.
    pub id: NodeId,
    /// What the node does.
    #[serde(flatten)]
    pub kind: NodeKind,
}

/// The kinds of node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeKind {
    /// Where runs start.
    Trigger {
        /// What starts a run.
        trigger: Trigger,
        /// At activation, also enrol those who already match (for event triggers: the
        /// events of the last `lookback_days`).
        #[serde(default)]
        include_existing_users: bool,
        /// How far back `include_existing_users` looks, 1 to 90 days (default 7).
        #[serde(default = "default_lookback")]
        lookback_days: u16,
    },
    /// Wait.
    Delay {
        /// How long, or until when.
        delay: DelaySpec,
    },
    /// Branch on the contact's state when the run reaches it (edges `YES` / `NO`).
    Condition {
        /// The rule tree.
        rule: Rule,
    },
    /// Send an APPROVED template (boxed: the largest node).
    Action(Box<ActionNode>),
    /// A/B split: a stable share of contacts per branch (edges named by branch key).
    Split {
        /// Branches; percents sum to 100.
        branches: Vec<SplitBranch>,
    },
}

fn default_lookback() -> u16 {
    7
}

/// What starts a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Trigger {
    /// A new order.
    OrderPlaced,
    /// An order cancelled.
    OrderCancelled,
    /// An order fulfilled.
    OrderShipped,
    /// A new contact.
    CustomerCreated,
    /// A tag added to a contact (only `tag` when given, case-insensitive).
    CustomerTagged {
        /// The tag to wait for.
        #[serde(default)]
        tag: Option<String>,
    },
    /// A checkout with a phone left incomplete for the flow's first delay.
    AbandonedCheckout,
    /// A variant the contact subscribed to is back in stock.
    BackInStock,
    /// The contact started to match a segment.
    UserAddedToSegment {
        /// The segment.
        segment_id: u64,
    },
    /// The contact wrote one of these words (whole word, any case).
    InboundKeyword {
        /// Keywords, e.g. `SALE`.
        keywords: Vec<String>,
    },
}

/// A wait: `{"minutes": 30}`, or `{"until_local_time": "10:00"}` (the next 10:00 in the
/// recipient's zone).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DelaySpec {
    /// Minutes, 1 to 129,600 (90 days).
    #[serde(default)]
    pub minutes: Option<u32>,
    /// `HH:MM`, 24-hour clock.
    #[serde(default)]
    pub until_local_time: Option<String>,
}

/// A condition tree: `{"all": [...]}`, `{"any": [...]}` or one condition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Rule {
    /// Every rule holds.
    All {
        /// The rules.
        #[schema(no_recursion)]
        all: Vec<Rule>,
    },
    /// At least one holds.
    Any {
        /// The rules.
        #[schema(no_recursion)]
        any: Vec<Rule>,
    },
    /// One condition.
    One(Condition),
}

/// Comparison of a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Cmp {
    /// >
    Gt,
    /// >=
    Gte,
    /// <
    Lt,
    /// <=
    Lte,
    /// =
    Eq,
    /// From the value to `to`, both included.
    Between,
}

/// The status of the run's last message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Accepted by Meta.
    Sent,
    /// On the phone.
    Delivered,
    /// Read.
    Read,
    /// Failed.
    Failed,
}

/// One condition, evaluated on the contact as it is when the run reaches the node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Condition {
    /// The run's last message reached at least this status (`FAILED`: it failed).
    MessageDeliveryStatus {
        /// The status.
        status: DeliveryStatus,
    },
    /// The contact wrote after the run's last message (with this quick-reply payload,
    /// when given).
    UserReplyStatus {
        /// Replied (true) or not (false).
        replied: bool,
        /// The quick-reply payload to look for.
        #[serde(default)]
        payload: Option<String>,
    },
    /// Days since the contact's last order.
    OrderRecency {
        /// Comparison.
        op: Cmp,
        /// Days.
        days: u32,
        /// The upper bound of `BETWEEN` (days).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u32>,
    },
    /// The total of the run's order or checkout.
    OrderValue {
        /// Comparison.
        op: Cmp,
        /// Amount, decimal string.
        #[schema(value_type = String)]
        value: Money,
        /// The upper bound of `BETWEEN`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<String>)]
        to: Option<Money>,
    },
    /// The contact's order count.
    OrderCount {
        /// Comparison.
        op: Cmp,
        /// Count.
        value: u32,
        /// The upper bound of `BETWEEN`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<u32>,
    },
    /// The contact's total spent.
    TotalSpent {
        /// Comparison.
        op: Cmp,
        /// Amount, decimal string.
        #[schema(value_type = String)]
        value: Money,
        /// The upper bound of `BETWEEN`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schema(value_type = Option<String>)]
        to: Option<Money>,
    },
    /// The contact has (or has not) a tag.
    CustomerTag {
        /// The tag (any case).
        tag: String,
        /// Has it (default) or has it not.
        #[serde(default = "yes")]
        present: bool,
    },
    /// A product of the run's order or checkout carries this tag.
    ProductInOrderHasTag {
        /// The tag (any case).
        tag: String,
    },
    /// The contact is (or is not) in a segment.
    SegmentMembership {
        /// The segment.
        segment_id: u64,
        /// In it (default) or not.
        #[serde(default = "yes")]
        member: bool,
    },
    /// The contact's WhatsApp marketing consent is SUBSCRIBED (or not).
    MarketingConsent {
        /// Subscribed (default) or not.
        #[serde(default = "yes")]
        subscribed: bool,
    },
}

fn yes() -> bool {
    true
}

/// A template by name and language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    /// Template name.
    pub name: String,
    /// Language code.
    pub language: String,
}

/// Where a template variable's value comes from: `{"source": "customer.first_name",
/// "fallback": "there"}` or `{"text": "static text"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VarSource {
    /// `customer.first_name|last_name|email|phone`, `order.order_number|total_price|
    /// product_name`, `checkout.url|total_price`, `product.title|price|url`, `store.name`.
    #[serde(default)]
    pub source: Option<String>,
    /// Static text.
    #[serde(default)]
    pub text: Option<String>,
    /// Used when the source has no value for this contact.
    #[serde(default)]
    pub fallback: Option<String>,
}

/// An action node: the template and what is mapped onto it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ActionNode {
    /// Which template.
    pub template: TemplateRef,
    /// Values of the body's `{{1}}`…`{{n}}`, in order.
    #[serde(default)]
    pub body: Vec<VarSource>,
    /// The dynamic suffix of a URL button, when the template has one.
    #[serde(default)]
    pub url_suffix: Option<VarSource>,
    /// The value of a text header's `{{1}}`, when the template has one.
    #[serde(default)]
    pub header: Option<VarSource>,
    /// The products a product template shows (its MPM or catalog button), when it
    /// has one.
    #[serde(default)]
    pub products: Option<ProductsMapping>,
}

/// Which products a product template (a multi-product `MPM` button, or a `CATALOG`
/// button's thumbnail) shows: the run's order, checkout or restocked variant, each
/// product variant once, at most 30 (Meta's limit), by its retailer id
/// ([`crate::domain::catalog::retailer_id`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductsMapping {
    /// Where the products come from.
    pub from: ProductsFrom,
    /// The title of the MPM's one section (1 to 24 characters; default `Your selection`).
    #[serde(default)]
    pub section_title: Option<String>,
}

/// Where a product template's products come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductsFrom {
    /// The line items of the run's order (ORDER_* triggers).
    Order,
    /// The line items of the run's checkout (ABANDONED_CHECKOUT).
    Checkout,
    /// The restocked variant (BACK_IN_STOCK).
    Restock,
}

impl ProductsFrom {
    /// The API's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Order => "ORDER",
            Self::Checkout => "CHECKOUT",
            Self::Restock => "RESTOCK",
        }
    }
}

/// A split branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBranch {
    /// The edge's `branch`.
    pub key: String,
    /// Share of contacts, 1 to 100.
    pub percent: u8,
}

/// An edge. `branch` is `YES`/`NO` from a condition, a branch key from a split, absent
/// otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    /// From node.
    pub from: NodeId,
    /// To node.
    pub to: NodeId,
    /// Which branch.
    #[serde(default)]
    pub branch: Option<String>,
}

/// How often one contact may enter the flow (checked at enrolment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FrequencyCap {
    /// Once ever.
    Ever,
    /// Once per rolling 24 hours.
    #[serde(rename = "HOURS_24")]
    Hours24,
    /// Once per rolling 7 days.
    #[serde(rename = "DAYS_7")]
    Days7,
    /// Once per rolling 14 days.
    #[serde(rename = "DAYS_14")]
    Days14,
    /// Once per rolling 30 days.
    #[serde(rename = "DAYS_30")]
    Days30,
}

impl FrequencyCap {
    /// The window in milliseconds (`None`: ever).
    pub fn window_ms(self) -> Option<i64> {
        const DAY: i64 = 86_400_000;
        match self {
            Self::Ever => None,
            Self::Hours24 => Some(DAY),
            Self::Days7 => Some(7 * DAY),
            Self::Days14 => Some(14 * DAY),
            Self::Days30 => Some(30 * DAY),
        }
    }
}

/// A flow's settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSettings {
    /// Required before activation.
    #[serde(default)]
    pub frequency_cap: Option<FrequencyCap>,
    /// The run ends when the contact places an order (checked before each message).
    #[serde(default)]
    pub exit_on_order: bool,
    /// Contacts in these segments are not enrolled.
    #[serde(default)]
    pub exclude_segments: Vec<u64>,
    /// Contacts in these lists are not enrolled.
    #[serde(default)]
    pub exclude_lists: Vec<u64>,
}

/// A flow's lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlowStatus {
    /// Being built; no runs.
    Draft,
    /// Enrolling and running.
    Active,
    /// No new runs; waiting runs hold until it is active again.
    Paused,
    /// Retired; its runs ended.
    Archived,
}

/// A flow version as stored: the definition's JSON in a plain record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFlow {
    /// Flow id.
    pub id: u64,
    /// Version (1, 2 …); editing an active flow makes a new one.
    pub version: u32,
    /// Lifecycle.
    pub status: FlowStatus,
    /// The [`FlowDraft`] as JSON.
    pub definition: String,
    /// Last change, ms.
    pub updated_ms: i64,
}

/// Per-flow counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FlowCounts {
    /// Runs started.
    pub enrolled: u64,
    /// Runs waiting on a delay now.
    pub waiting: u64,
    /// Runs that reached the end.
    pub completed: u64,
    /// Runs that left early (goal, checkout completed, flow archived, contact removed).
    pub exited: u64,
    /// Runs that failed.
    pub failed: u64,
}
