//! Writing the customer actor's changes: a change, its events, its segment signals (the
//! vendors and collections of a counted order) and, for a webhook, the removal of its
//! journal entry, in one atomic batch; then the events go to the automation actor.

use super::store::stage;
use super::{attribution, Customers, CustomersState};
use crate::actors::Delivered;
use crate::domain::contact::Order;
use crate::domain::{ShopifyId, Timestamp};
use crate::logic::customers::{Change, Write};
use crate::store::{Batch, Kind, StoreError};

impl Customers {
    /// Persists a change that no webhook caused (WhatsApp contact, opt-out): its events
    /// take a fresh stream position.
    pub(super) fn commit_change(
        state: &mut CustomersState,
        change: &Change,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let seq = state.store.next_id()?;
        Self::persist(state, change, seq, at, None)
    }

    /// Writes a change, its events and (for a webhook) the removal of its journal entry in
    /// one atomic batch, then hands the events to the automation actor.
    pub(super) fn persist(
        state: &mut CustomersState,
        change: &Change,
        seq: u64,
        at: Timestamp,
        journal: Option<&Delivered>,
    ) -> Result<(), StoreError> {
        let changed = change.writes.iter().filter_map(|w| match w {
            Write::Contact(c) => Some(c),
            _ => None,
        });
        let removed: Vec<ShopifyId> = change
            .writes
            .iter()
            .filter_map(|w| match w {
                Write::ContactDeleted { id, .. } | Write::ContactRedacted { id, .. } => Some(*id),
                _ => None,
            })
            .collect();
        let mut batch = Batch::new();
        let mut kinds = change.events.clone();
        for w in &change.writes {
            if let Write::Order { order, .. } = w {
                kinds.extend(Self::purchases(state, &mut batch, order)?);
            }
        }
        kinds.extend(state.segments.on_contacts(changed, &removed));
        for id in &removed {
            batch.remove(&state.shop, Kind::Signals, *id);
        }
        let history = journal.is_some_and(|d| crate::actors::is_history(&d.entry));
        let events = crate::actors::events_of(&kinds, seq, at, history);
        stage(&state.store, &state.shop, change, &mut batch)?;
        for e in &events {
            batch.put_event(&state.shop, e)?;
        }
        if let Some(d) = journal.filter(|_| !history) {
            attribution::on_events(state, &mut batch, &change.events, d, at)?;
        }
        if let Some(d) = journal {
            batch.applied(d.seq, &d.entry)?;
        }
        state.store.commit(batch)?;
        crate::actors::publish(&state.automations, events);
        Ok(())
    }

    /// The vendors and collections of a counted order's products, as segment signals of
    /// its customer (products the catalog does not know yet add nothing).
    fn purchases(
        state: &mut CustomersState,
        batch: &mut Batch,
        order: &Order,
    ) -> Result<Vec<crate::domain::EventKind>, StoreError> {
        let Some(contact) = order.customer_id.and_then(|c| state.book.contact(c)) else {
            return Ok(Vec::new());
        };
        if !order.counts_toward_spent() {
            return Ok(Vec::new());
        }
        let (mut vendors, mut collections) = (Vec::new(), Vec::new());
        let mut seen = std::collections::HashSet::new();
        for product in order.line_items.iter().filter_map(|l| l.product_id) {
            if !seen.insert(product) {
                continue;
            }
            if let Some(p) = crate::store::catalog::product(&state.store, &state.shop, product)? {
                vendors.push(p.vendor.clone());
                collections.extend(p.collections.iter().copied());
            }
        }
        let contact = contact.clone();
        state
            .segments
            .bought(batch, &state.shop, &contact, vendors, collections)
    }
}
