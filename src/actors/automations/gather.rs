//! What a run's next step reads, gathered from the store when the run gets there: the
//! contact as it is now, the run's order, checkout or restocked product, the status of the
//! run's last message and the replies after it, and whether the run must leave (goal met,
//! checkout completed). Reads other actors' committed records; writes nothing.

use crate::domain::automations::run::Run;
use crate::domain::automations::{DeliveryStatus, FlowDraft, NodeKind, Trigger};
use crate::domain::catalog::Product;
use crate::domain::contact::{Checkout, Contact, Order};
use crate::domain::whatsapp::{Direction, MessageStatus};
use crate::domain::Money;
use crate::store::conversations;
use crate::store::{Kind, Store, StoreError};

/// The records of one run, as they are now.
#[derive(Debug, Default)]
pub struct Gathered {
    /// The contact (`None`: deleted or redacted).
    pub contact: Option<Contact>,
    /// The run's order.
    pub order: Option<Order>,
    /// The run's checkout.
    pub checkout: Option<Checkout>,
    /// The restocked product.
    pub product: Option<Product>,
    /// Tags of the products in the run's order or checkout.
    pub product_tags: Vec<String>,
    /// The run's last message's status.
    pub last_status: Option<DeliveryStatus>,
    /// Replies after the run's last message (quick-reply payload, else the text).
    pub replies: Vec<Option<String>>,
}

impl Gathered {
    /// The total of the run's order or checkout.
    pub fn total(&self) -> Option<Money> {
        self.order
            .as_ref()
            .map(|o| o.total_price)
            .or_else(|| self.checkout.as_ref().map(|c| c.total_price))
    }
}

/// Reads the records `run` depends on.
///
/// # Errors
/// When the store fails.
pub fn gather(store: &Store, shop: &str, run: &Run) -> Result<Gathered, StoreError> {
    let mut g = Gathered {
        contact: store.get(shop, Kind::Contact, run.contact_id)?,
        ..Gathered::default()
    };
    if let Some(id) = run.context.order_id {
        g.order = store.get(shop, Kind::Order, id)?;
    }
    if let Some(id) = run.context.checkout_id {
        g.checkout = store.get(shop, Kind::Checkout, id)?;
    }
    if let Some(id) = run.context.product_id {
        g.product = store.get(shop, Kind::Product, id)?;
    }
    let items = g
        .order
        .as_ref()
        .map(|o| o.line_items.clone())
        .or_else(|| g.checkout.as_ref().map(|c| c.line_items.clone()))
        .unwrap_or_default();
    for product in items.iter().filter_map(|i| i.product_id) {
        if let Some(p) = store.get::<Product>(shop, Kind::Product, product)? {
            g.product_tags.extend(p.tags.iter().map(|t| t.to_string()));
        }
    }
    if let Some(id) = run.last_message {
        if let Some(m) = conversations::message(store, shop, id)? {
            g.last_status = match m.status {
                MessageStatus::Sent => Some(DeliveryStatus::Sent),
                MessageStatus::Delivered => Some(DeliveryStatus::Delivered),
                MessageStatus::Read => Some(DeliveryStatus::Read),
                MessageStatus::Failed => Some(DeliveryStatus::Failed),
                _ => None,
            };
            g.replies = conversations::messages_of(store, shop, m.thread_id)?
                .into_iter()
                .filter(|r| r.direction == Direction::Inbound && r.at > m.at)
                .map(|r| {
                    let content = r.payload.as_deref().and_then(|p| {
                        serde_json::from_str::<crate::domain::meta_events::InboundContent>(p).ok()
                    });
                    content.and_then(|c| c.said().map(str::to_string))
                })
                .collect();
        }
    }
    Ok(g)
}

/// Why the run must leave before its next message, if it must: the contact is gone, the
/// flow's goal (an order since the run started) is met, or an abandoned checkout was
/// completed (the checkout says so, or an order carries its token).
pub fn exit_reason(flow: &FlowDraft, run: &Run, g: &Gathered, orders: &[Order]) -> Option<String> {
    let contact = g.contact.as_ref()?;
    if flow.settings.exit_on_order
        && contact
            .last_order_at
            .is_some_and(|at| at.millis() > run.started_ms)
    {
        return Some("goal met: the contact placed an order".into());
    }
    let abandoned = flow.nodes.iter().any(|n| {
        matches!(
            &n.kind,
            NodeKind::Trigger {
                trigger: Trigger::AbandonedCheckout,
                ..
            }
        )
    });
    if let (true, Some(k)) = (abandoned, &g.checkout) {
        let by_token = k.token.as_deref().is_some_and(|t| {
            orders
                .iter()
                .any(|o| o.checkout_token.as_deref() == Some(t))
        });
        if k.completed_at.is_some() || by_token {
            return Some("the checkout was completed".into());
        }
    }
    None
}

/// The contact's orders (for the checkout-token exit).
///
/// # Errors
/// When the store fails.
pub fn orders_of(store: &Store, shop: &str, contact: u64) -> Result<Vec<Order>, StoreError> {
    let mut out = Vec::new();
    for id in store.pairs_of(shop, Kind::OrderByCustomer, contact)? {
        out.extend(store.get::<Order>(shop, Kind::Order, id)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automations::run::{RunStatus, TriggerContext};
    use crate::domain::Timestamp;
    use serde_json::json;

    fn cart_flow(exit_on_order: bool) -> FlowDraft {
        serde_json::from_value(json!({
            "name": "Abandoned checkout",
            "nodes": [
                {"id": "t", "type": "TRIGGER", "trigger": {"type": "ABANDONED_CHECKOUT"}},
                {"id": "wait", "type": "DELAY", "delay": {"minutes": 30}},
                {"id": "a", "type": "ACTION", "template": {"name": "cart_std", "language": "en"}, "body": []}
            ],
            "edges": [{"from": "t", "to": "wait"}, {"from": "wait", "to": "a"}],
            "settings": {"frequency_cap": "DAYS_7", "exit_on_order": exit_on_order}
        }))
        .expect("a flow draft")
    }

    fn run() -> Run {
        Run {
            id: 1,
            flow_id: 9,
            version: 1,
            contact_id: 7,
            status: RunStatus::Active,
            node: "wait".into(),
            due_ms: None,
            started_ms: 0,
            context: TriggerContext::default(),
            last_message: None,
            steps: 1,
            activity: Vec::new(),
        }
    }

    /// The checkout the abandoned-checkout poll stores for a node with this recovery URL
    /// (the token is the one `checkout_delivery` reads from it).
    fn polled(url: &str) -> Checkout {
        let node = json!({"id": "gid://shopify/AbandonedCheckout/903", "abandonedCheckoutUrl": url,
            "updatedAt": "2026-12-01T10:05:00Z"});
        let body = crate::logic::shopify::import::checkout_delivery(&node)
            .expect("delivery")
            .body;
        Checkout {
            id: 903,
            customer_id: Some(7),
            token: body["token"].as_str().map(str::to_string),
            cart_token: None,
            email: None,
            phone: None,
            line_items: Vec::new(),
            total_price: Money::ZERO,
            currency: None,
            abandoned_checkout_url: Some(url.to_string()),
            completed_at: None,
            created_at: None,
            updated_at: None,
        }
    }

    fn order(checkout_token: &str) -> Order {
        Order {
            id: 1,
            customer_id: Some(7),
            name: None,
            order_number: None,
            total_price: Money::ZERO,
            currency: "EUR".into(),
            financial_status: None,
            fulfillment_status: None,
            cancelled_at: None,
            line_items: Vec::new(),
            checkout_token: Some(checkout_token.into()),
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn a_polled_checkout_leaves_its_run_on_the_order_carrying_its_token() {
        let g = |k: Checkout| Gathered {
            contact: Some(Contact::new(7, Timestamp(0))),
            checkout: Some(k),
            ..Gathered::default()
        };
        let flow = cart_flow(false);
        let bought = [order("tok-903")];
        let k = polled("https://s.example/checkouts/ac/tok-903/recover?key=k");
        assert_eq!(
            exit_reason(&flow, &run(), &g(k), &bought).as_deref(),
            Some("the checkout was completed")
        );
        // Another shape of URL: no token, so only `exit_on_order` ends the run.
        let k = polled("https://s.example/recover/903");
        assert_eq!(exit_reason(&flow, &run(), &g(k.clone()), &bought), None);
        let mut with_order = g(k);
        if let Some(c) = with_order.contact.as_mut() {
            c.last_order_at = Some(Timestamp(10));
        }
        assert!(exit_reason(&cart_flow(true), &run(), &with_order, &bought).is_some());
    }
}
