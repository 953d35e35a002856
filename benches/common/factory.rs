//! Contacts built through the real customer logic (`CustomerBook::apply`), for the
//! memory and recovery benches.

use super::*;

/// A [`Lookup`] holding only the orders of the customer being built (so it costs no
/// memory across customers).
#[derive(Default)]
pub struct CurrentCustomer {
    pub orders: RefCell<Vec<Order>>,
}

impl Lookup for CurrentCustomer {
    fn order(&self, id: ShopifyId) -> Result<Option<Order>, LookupError> {
        Ok(self.orders.borrow().iter().find(|o| o.id == id).cloned())
    }
    fn orders_of(&self, customer_id: ShopifyId) -> Result<Vec<Order>, LookupError> {
        let orders = self.orders.borrow();
        let mine = orders.iter().filter(|o| o.customer_id == Some(customer_id));
        Ok(mine.cloned().collect())
    }
    fn checkout(&self, _id: ShopifyId) -> Result<Option<Checkout>, LookupError> {
        Ok(None)
    }
    fn checkouts_of(&self, _customer_id: ShopifyId) -> Result<Vec<Checkout>, LookupError> {
        Ok(Vec::new())
    }
}

/// Builds contacts by applying, per customer, `customers/create`, `customer.tags_added`
/// (3 tags), two `orders/create` and a `customers/purchasing_summary` through
/// [`CustomerBook::apply`]: consent, phone, tags and order aggregates are all populated.
pub struct ContactFactory {
    pub bodies: Bodies,
    lookup: CurrentCustomer,
    /// Deliveries applied so far.
    pub applied: u64,
    /// Deliveries the logic refused (should stay 0).
    pub failed: u64,
    /// Orders written (for stores that keep them).
    pub orders: Vec<Order>,
}

impl ContactFactory {
    pub fn new() -> Self {
        Self {
            bodies: Bodies::new(),
            lookup: CurrentCustomer::default(),
            applied: 0,
            failed: 0,
            orders: Vec::new(),
        }
    }

    fn apply(&mut self, book: &mut CustomerBook, topic: &str, body: &str, at: i64) {
        let d = Delivery {
            topic: Topic::parse(topic),
            body: body.as_bytes(),
            triggered_at: Some(Timestamp(at)),
            received_at: Timestamp(at + 150),
        };
        match book.apply(&d, &self.lookup) {
            Ok(change) => {
                self.applied += 1;
                for w in change.writes {
                    if let Write::Order { order: o, .. } = w {
                        let mut orders = self.lookup.orders.borrow_mut();
                        orders.retain(|x| x.id != o.id);
                        orders.push(o);
                    }
                }
            }
            Err(e) => {
                self.failed += 1;
                if self.failed <= 3 {
                    eprintln!("apply {topic} failed: {e}");
                }
            }
        }
    }

    /// Adds customer number `n` (id `CUSTOMER_BASE + n`) to `book`. When `keep_orders`,
    /// the orders written are kept in `self.orders` (drained by the caller).
    pub fn add(&mut self, book: &mut CustomerBook, n: u64, keep_orders: bool) {
        let p = Person::new(n, CUSTOMER_BASE + n);
        let created = T0 + (n as i64 % 86_400) * 1000;
        self.lookup.orders.borrow_mut().clear();
        let body = self.bodies.customer(&p, created, created);
        self.apply(book, "customers/create", &body, created);
        let body = self.bodies.tags(&p, n, created + 60_000);
        self.apply(book, "customer.tags_added", &body, created + 60_000);
        let mut spent = 0;
        let mut last = 0;
        for k in 0..2u64 {
            let oid = ORDER_BASE + n * 2 + k;
            let at = created + 3_600_000 * (k as i64 + 1);
            let cents = 2_000 + (n * 37 + k * 1_313) % 20_000;
            spent += cents;
            last = oid;
            let body = self.bodies.order(&p, oid, at, cents);
            self.apply(book, "orders/create", &body, at);
        }
        let at = created + 4 * 3_600_000;
        let body = self.bodies.summary(&p, 2, spent, last, at);
        self.apply(book, "customers/purchasing_summary", &body, at);
        if keep_orders {
            self.orders.append(&mut self.lookup.orders.borrow_mut());
        }
    }
}

/// Contacts of `book` that have a phone, 3 tags and order aggregates (sanity check).
pub fn populated(book: &CustomerBook) -> usize {
    book.contacts()
        .filter(|c: &&Contact| {
            c.phone.is_some()
                && c.tags.len() == 3
                && c.orders_count >= 2
                && c.purchasing_summary.is_some()
        })
        .count()
}
