//! Back-in-stock rules: subscribe (idempotent per phone and variant), cancel, and what a
//! restock does (every ACTIVE subscriber of exactly that variant becomes NOTIFIED, once per
//! restock event, however often the event is delivered). Pure: the actor
//! (`actors::back_in_stock`) persists what these functions return.
//!
//! Choice: a restock is identified by the `seq` of its `VariantRestocked` event (stable
//! across replays, see `actors::events_of`), and the book remembers the restocks it has
//! applied. A duplicate delivery of the same event therefore notifies nobody, and a
//! shopper who re-subscribed after a restock is not notified by a late copy of it.

use crate::domain::back_in_stock::{NewSubscription, Subscription, SubscriptionStatus};
use crate::domain::phone::PhoneE164;
use crate::domain::{ShopifyId, Timestamp};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What a subscribe request did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribed {
    /// The subscription, as it is now.
    pub subscription: Subscription,
    /// True when it did not exist before (201), false when an existing one was returned
    /// or re-activated (200).
    pub created: bool,
    /// True when something changed and must be stored.
    pub changed: bool,
}

/// One restock as the book sees it: the `VariantRestocked` event's position and variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restock {
    /// The event's `seq`.
    pub event_seq: u64,
    /// The restocked variant.
    pub variant_id: ShopifyId,
}

/// Every subscription of one tenant, indexed by (phone, variant) and by variant, and the
/// restock events already applied.
#[derive(Debug, Default)]
pub struct BackInStockBook {
    subs: HashMap<u64, Subscription>,
    by_key: HashMap<(PhoneE164, ShopifyId), u64>,
    by_variant: HashMap<ShopifyId, BTreeSet<u64>>,
    restocks: HashSet<u64>,
}

impl BackInStockBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    /// Rebuilds the book from stored subscriptions and applied restock event seqs.
    pub fn restore(
        subs: impl IntoIterator<Item = Subscription>,
        restocks: impl IntoIterator<Item = u64>,
    ) -> Self {
        let mut book = Self::new();
        for s in subs {
            book.insert(s);
        }
        book.restocks = restocks.into_iter().collect();
        book
    }

    fn insert(&mut self, s: Subscription) {
        self.by_key.insert((s.phone, s.variant_id), s.id);
        self.by_variant
            .entry(s.variant_id)
            .or_default()
            .insert(s.id);
        self.subs.insert(s.id, s);
    }

    /// One subscription.
    pub fn get(&self, id: u64) -> Option<&Subscription> {
        self.subs.get(&id)
    }

    /// The subscription of `phone` to `variant_id`, if any.
    pub fn find(&self, phone: PhoneE164, variant_id: ShopifyId) -> Option<&Subscription> {
        self.by_key
            .get(&(phone, variant_id))
            .and_then(|id| self.subs.get(id))
    }

    /// Number of subscriptions.
    pub fn len(&self) -> usize {
        self.subs.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// True when the restock event `seq` was already applied.
    pub fn restock_applied(&self, seq: u64) -> bool {
        self.restocks.contains(&seq)
    }

    /// Subscribes `req.phone` to `req.variant_id`. An existing PENDING or ACTIVE
    /// subscription is returned unchanged; a NOTIFIED or CANCELLED one becomes ACTIVE again
    /// (for the next restock); otherwise a new ACTIVE one is made with `new_id`.
    pub fn subscribe(&mut self, req: &NewSubscription, new_id: u64) -> Subscribed {
        if let Some(id) = self.by_key.get(&(req.phone, req.variant_id)).copied() {
            if let Some(s) = self.subs.get_mut(&id) {
                let changed = matches!(
                    s.status,
                    SubscriptionStatus::Notified | SubscriptionStatus::Cancelled
                );
                if changed {
                    s.status = SubscriptionStatus::Active;
                    s.activated_at = req.at;
                    s.consent_source = req.consent_source;
                    s.consent_at = req.at;
                    s.contact_id = req.contact_id.or(s.contact_id);
                }
                return Subscribed {
                    subscription: s.clone(),
                    created: false,
                    changed,
                };
            }
        }
        let s = Subscription {
            id: new_id,
            product_id: req.product_id,
            variant_id: req.variant_id,
            phone: req.phone,
            contact_id: req.contact_id,
            status: SubscriptionStatus::Active,
            created_at: req.at,
            activated_at: req.at,
            notified_at: None,
            cancelled_at: None,
            consent_source: req.consent_source,
            consent_at: req.at,
            notifications: 0,
        };
        self.insert(s.clone());
        Subscribed {
            subscription: s,
            created: true,
            changed: true,
        }
    }

    /// Cancels subscription `id` when `phone` is its number (the proof a storefront caller
    /// gives). `None` when there is no such subscription for that phone; the flag says
    /// whether it changed (cancelling twice changes nothing).
    pub fn cancel(
        &mut self,
        id: u64,
        phone: PhoneE164,
        at: Timestamp,
    ) -> Option<(Subscription, bool)> {
        let s = self.subs.get_mut(&id).filter(|s| s.phone == phone)?;
        if s.status == SubscriptionStatus::Cancelled {
            return Some((s.clone(), false));
        }
        s.status = SubscriptionStatus::Cancelled;
        s.cancelled_at = Some(at);
        Some((s.clone(), true))
    }

    /// Applies a restock: every ACTIVE subscriber of exactly `r.variant_id` becomes
    /// NOTIFIED, and the event is remembered. Returns the subscriptions notified (empty
    /// for an event already applied).
    pub fn restock(&mut self, r: Restock, at: Timestamp) -> Vec<Subscription> {
        if !self.restocks.insert(r.event_seq) {
            return Vec::new();
        }
        let Some(ids) = self.by_variant.get(&r.variant_id) else {
            return Vec::new();
        };
        let mut notified = Vec::new();
        for id in ids {
            if let Some(s) = self.subs.get_mut(id).filter(|s| s.is_active()) {
                s.status = SubscriptionStatus::Notified;
                s.notified_at = Some(at);
                s.notifications = s.notifications.saturating_add(1);
                notified.push(s.clone());
            }
        }
        notified
    }

    /// Forgets a restock event (a failed write must not leave it marked applied).
    pub fn forget_restock(&mut self, seq: u64) {
        self.restocks.remove(&seq);
    }

    /// Puts stored subscriptions back (a failed write rolls the book back to them).
    pub fn restore_subscriptions(&mut self, subs: impl IntoIterator<Item = Subscription>) {
        for s in subs {
            self.insert(s);
        }
    }

    /// Drops a subscription that could not be stored.
    pub fn remove(&mut self, id: u64) {
        if let Some(s) = self.subs.remove(&id) {
            self.by_key.remove(&(s.phone, s.variant_id));
            if let Some(set) = self.by_variant.get_mut(&s.variant_id) {
                set.remove(&id);
            }
        }
    }
}

#[cfg(test)]
#[path = "back_in_stock_tests.rs"]
mod tests;
