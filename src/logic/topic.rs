//! Shopify webhook topics the engine knows, and which actor of a tenant handles each.

/// A Shopify webhook topic, parsed from `X-Shopify-Topic` (2026-04 names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Topic {
    CustomersCreate,
    CustomersUpdate,
    CustomersDelete,
    CustomersEnable,
    CustomersDisable,
    CustomersMerge,
    CustomerTagsAdded,
    CustomerTagsRemoved,
    CustomersMarketingConsentUpdate,
    CustomersEmailMarketingConsentUpdate,
    CustomersWhatsAppMarketingConsentUpdate,
    CustomersPurchasingSummary,
    OrdersCreate,
    OrdersUpdated,
    OrdersPaid,
    OrdersCancelled,
    OrdersFulfilled,
    OrdersDelete,
    ProductsCreate,
    ProductsUpdate,
    ProductsDelete,
    CollectionsCreate,
    CollectionsUpdate,
    CollectionsDelete,
    VariantsInStock,
    VariantsOutOfStock,
    CheckoutsCreate,
    CheckoutsUpdate,
    CheckoutsDelete,
    CustomersRedact,
    CustomersDataRequest,
    ShopRedact,
    AppUninstalled,
    /// A bulk operation finished: wakes the import waiting for it.
    BulkOperationsFinish,
    /// The app's subscription (billing plan) changed.
    AppSubscriptionsUpdate,
    /// A topic we accept (200) but do not act on: carts, fulfillments, inventory levels …
    Unhandled,
}

/// Which part of a tenant applies a topic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Contacts, orders, checkouts, compliance for one customer.
    Customers,
    /// Products, variants, collections.
    Catalog,
    /// WhatsApp: inbox, statuses, templates, integration health (every Meta event).
    Conversations,
    /// The tenant supervisor itself (uninstall, shop redact).
    Tenant,
    /// Logged as not handled; nothing stored.
    Ignore,
}

const TABLE: &[(&str, Topic)] = &[
    ("customers/create", Topic::CustomersCreate),
    ("customers/update", Topic::CustomersUpdate),
    ("customers/delete", Topic::CustomersDelete),
    ("customers/enable", Topic::CustomersEnable),
    ("customers/disable", Topic::CustomersDisable),
    ("customers/merge", Topic::CustomersMerge),
    ("customer.tags_added", Topic::CustomerTagsAdded),
    ("customer.tags_removed", Topic::CustomerTagsRemoved),
    (
        "customers_marketing_consent/update",
        Topic::CustomersMarketingConsentUpdate,
    ),
    (
        "customers_email_marketing_consent/update",
        Topic::CustomersEmailMarketingConsentUpdate,
    ),
    (
        "customers_whats_app_marketing_consent/update",
        Topic::CustomersWhatsAppMarketingConsentUpdate,
    ),
    (
        "customers/purchasing_summary",
        Topic::CustomersPurchasingSummary,
    ),
    ("orders/create", Topic::OrdersCreate),
    ("orders/updated", Topic::OrdersUpdated),
    ("orders/paid", Topic::OrdersPaid),
    ("orders/cancelled", Topic::OrdersCancelled),
    ("orders/fulfilled", Topic::OrdersFulfilled),
    ("orders/delete", Topic::OrdersDelete),
    ("products/create", Topic::ProductsCreate),
    ("products/update", Topic::ProductsUpdate),
    ("products/delete", Topic::ProductsDelete),
    ("collections/create", Topic::CollectionsCreate),
    ("collections/update", Topic::CollectionsUpdate),
    ("collections/delete", Topic::CollectionsDelete),
    ("variants/in_stock", Topic::VariantsInStock),
    ("variants/out_of_stock", Topic::VariantsOutOfStock),
    ("checkouts/create", Topic::CheckoutsCreate),
    ("checkouts/update", Topic::CheckoutsUpdate),
    ("checkouts/delete", Topic::CheckoutsDelete),
    ("customers/redact", Topic::CustomersRedact),
    ("customers/data_request", Topic::CustomersDataRequest),
    ("shop/redact", Topic::ShopRedact),
    ("app/uninstalled", Topic::AppUninstalled),
    ("bulk_operations/finish", Topic::BulkOperationsFinish),
    ("app_subscriptions/update", Topic::AppSubscriptionsUpdate),
];

impl Topic {
    /// Parses a topic header; topics we do not act on become [`Topic::Unhandled`].
    pub fn parse(s: &str) -> Topic {
        let s = s.trim();
        TABLE
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, t)| *t)
            .unwrap_or(Topic::Unhandled)
    }

    /// The Shopify name of the topic (`"unhandled"` for [`Topic::Unhandled`]).
    pub fn as_str(self) -> &'static str {
        TABLE
            .iter()
            .find(|(_, t)| *t == self)
            .map(|(name, _)| *name)
            .unwrap_or("unhandled")
    }

    /// Every known topic.
    pub fn all() -> impl Iterator<Item = Topic> {
        TABLE.iter().map(|(_, t)| *t)
    }

    /// The topic's `WebhookSubscriptionTopic` name in the 2026-04 Admin API, for the
    /// topics the API subscribes: not the compliance topics (the app's configuration
    /// subscribes those) nor the WhatsApp consent topic (absent from the 2026-04 enum).
    pub fn subscription_name(self) -> Option<&'static str> {
        use Topic::*;
        Some(match self {
            CustomersCreate => "CUSTOMERS_CREATE",
            CustomersUpdate => "CUSTOMERS_UPDATE",
            CustomersDelete => "CUSTOMERS_DELETE",
            CustomersEnable => "CUSTOMERS_ENABLE",
            CustomersDisable => "CUSTOMERS_DISABLE",
            CustomersMerge => "CUSTOMERS_MERGE",
            CustomerTagsAdded => "CUSTOMER_TAGS_ADDED",
            CustomerTagsRemoved => "CUSTOMER_TAGS_REMOVED",
            CustomersMarketingConsentUpdate => "CUSTOMERS_MARKETING_CONSENT_UPDATE",
            CustomersEmailMarketingConsentUpdate => "CUSTOMERS_EMAIL_MARKETING_CONSENT_UPDATE",
            CustomersPurchasingSummary => "CUSTOMERS_PURCHASING_SUMMARY",
            OrdersCreate => "ORDERS_CREATE",
            OrdersUpdated => "ORDERS_UPDATED",
            OrdersPaid => "ORDERS_PAID",
            OrdersCancelled => "ORDERS_CANCELLED",
            OrdersFulfilled => "ORDERS_FULFILLED",
            OrdersDelete => "ORDERS_DELETE",
            ProductsCreate => "PRODUCTS_CREATE",
            ProductsUpdate => "PRODUCTS_UPDATE",
            ProductsDelete => "PRODUCTS_DELETE",
            CollectionsCreate => "COLLECTIONS_CREATE",
            CollectionsUpdate => "COLLECTIONS_UPDATE",
            CollectionsDelete => "COLLECTIONS_DELETE",
            VariantsInStock => "VARIANTS_IN_STOCK",
            VariantsOutOfStock => "VARIANTS_OUT_OF_STOCK",
            CheckoutsCreate => "CHECKOUTS_CREATE",
            CheckoutsUpdate => "CHECKOUTS_UPDATE",
            CheckoutsDelete => "CHECKOUTS_DELETE",
            AppUninstalled => "APP_UNINSTALLED",
            BulkOperationsFinish => "BULK_OPERATIONS_FINISH",
            AppSubscriptionsUpdate => "APP_SUBSCRIPTIONS_UPDATE",
            CustomersWhatsAppMarketingConsentUpdate
            | CustomersRedact
            | CustomersDataRequest
            | ShopRedact
            | Unhandled => return None,
        })
    }

    /// Which part of the tenant applies it.
    pub fn route(self) -> Route {
        use Topic::*;
        match self {
            ProductsCreate | ProductsUpdate | ProductsDelete | CollectionsCreate
            | CollectionsUpdate | CollectionsDelete | VariantsInStock | VariantsOutOfStock => {
                Route::Catalog
            }
            ShopRedact | AppUninstalled | BulkOperationsFinish | AppSubscriptionsUpdate => {
                Route::Tenant
            }
            Unhandled => Route::Ignore,
            _ => Route::Customers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_topic_round_trips() {
        for (name, topic) in TABLE {
            assert_eq!(Topic::parse(name), *topic);
            assert_eq!(topic.as_str(), *name);
        }
        assert_eq!(Topic::parse("carts/create"), Topic::Unhandled);
        assert_eq!(
            Topic::parse("customer.tags_added").route(),
            Route::Customers
        );
        assert_eq!(Topic::parse("variants/in_stock").route(), Route::Catalog);
    }
}
