//! Mandatory privacy topics (`shared/reference/shopify-api.md` §1.6):
//! `customers/redact` erases a customer with their orders and checkouts, leaving only
//! id + time tombstones; `customers/data_request` prepares an export of what we hold.

use super::payload::{self, DataRequestDto, RedactDto};
use super::{Change, CustomerBook, Lookup, Write};
use crate::domain::contact::DataExport;
use crate::domain::contact::{Checkout, Contact, Order};
use crate::domain::ShopifyId;
use crate::logic::{ApplyError, Delivery};
use serde::Serialize;
use std::collections::BTreeSet;

/// The export document of a data request.
#[derive(Serialize)]
struct ExportDoc<'a> {
    data_request_id: u64,
    shopify_customer_id: ShopifyId,
    contact: Option<&'a Contact>,
    orders: Vec<Order>,
    checkouts: Vec<Checkout>,
}

impl CustomerBook {
    /// `customers/redact`: deletes the contact, every order (stored for the customer or
    /// listed in `orders_to_redact`) and every checkout of the customer. The customer,
    /// order and checkout ids stay as tombstones so nothing comes back.
    pub(super) fn on_redact(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: RedactDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.customer.and_then(|c| c.id))
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing `customer.id`"))?;
        let at = d.fallback_time();
        let mut order_ids: BTreeSet<ShopifyId> =
            lookup.orders_of(id)?.into_iter().map(|o| o.id).collect();
        order_ids.extend(
            dto.orders_to_redact
                .unwrap_or_default()
                .into_iter()
                .map(|w| w.0),
        );
        let checkouts = lookup.checkouts_of(id)?;
        let mut change = Change::default();
        for oid in order_ids {
            self.deleted_orders.insert(oid, at);
            change.writes.push(Write::OrderDeleted { id: oid, at });
        }
        for ch in checkouts {
            self.deleted_checkouts.insert(ch.id, at);
            change.writes.push(Write::CheckoutDeleted { id: ch.id, at });
        }
        self.contacts.remove(&id);
        self.tombstones.insert(id, at);
        change.writes.push(Write::ContactRedacted { id, at });
        Ok(change)
    }

    /// `customers/data_request`: an export (pretty JSON) of the contact, their orders
    /// (stored, plus any listed in `orders_requested`) and their checkouts.
    pub(super) fn on_data_request(
        &mut self,
        d: &Delivery<'_>,
        lookup: &dyn Lookup,
    ) -> Result<Change, ApplyError> {
        let dto: DataRequestDto = payload::parse(d.topic, d.body)?;
        let id = payload::id(dto.customer.and_then(|c| c.id))
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing `customer.id`"))?;
        let request_id = payload::id(dto.data_request.and_then(|r| r.id))
            .ok_or_else(|| ApplyError::invalid(d.topic, "missing `data_request.id`"))?;
        let mut orders = lookup.orders_of(id)?;
        for w in dto.orders_requested.unwrap_or_default() {
            if !orders.iter().any(|o| o.id == w.0) {
                orders.extend(lookup.order(w.0)?);
            }
        }
        orders.sort_by_key(|o| o.id);
        let mut checkouts = lookup.checkouts_of(id)?;
        checkouts.sort_by_key(|c| c.id);
        let doc = ExportDoc {
            data_request_id: request_id,
            shopify_customer_id: id,
            contact: self.contacts.get(&id),
            orders,
            checkouts,
        };
        let json = serde_json::to_string_pretty(&doc)
            .map_err(|e| ApplyError::invalid(d.topic, format!("export does not serialise: {e}")))?;
        Ok(Change {
            writes: vec![Write::Export(DataExport {
                request_id,
                customer_id: id,
                prepared_at: d.received_at,
                json,
            })],
            ..Change::default()
        })
    }
}
