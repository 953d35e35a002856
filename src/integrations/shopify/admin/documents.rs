//! The Admin GraphQL documents the engine sends, kept as `.graphql` files beside this
//! module (readable, diffable, checked by tools) and validated against the 2026-04 SDL
//! in a test; the Shopify emulator validates every document it is sent the same way.

/// A document and the cost the client reserves in the shop's bucket before sending it
/// (Shopify's requested cost for it, an upper bound; the real figures come back in
/// `extensions.cost` and reset the bucket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Document {
    /// The operation name.
    pub name: &'static str,
    /// The document's text.
    pub text: &'static str,
    /// Points reserved before the send.
    pub cost_hint: u32,
}

/// The shop's name, domain, currency and time zone.
pub const SHOP: Document = Document {
    name: "Shop",
    text: include_str!("graphql/shop.graphql"),
    cost_hint: 1,
};

/// A page of the app's webhook subscriptions (`first` ≤ 100: cost 2 + first).
pub const WEBHOOK_SUBSCRIPTIONS: Document = Document {
    name: "WebhookSubscriptions",
    text: include_str!("graphql/webhook_subscriptions.graphql"),
    cost_hint: 102,
};

/// Creates a subscription (a mutation costs 10).
pub const WEBHOOK_SUBSCRIPTION_CREATE: Document = Document {
    name: "WebhookSubscriptionCreate",
    text: include_str!("graphql/webhook_subscription_create.graphql"),
    cost_hint: 10,
};

/// Deletes a subscription.
pub const WEBHOOK_SUBSCRIPTION_DELETE: Document = Document {
    name: "WebhookSubscriptionDelete",
    text: include_str!("graphql/webhook_subscription_delete.graphql"),
    cost_hint: 10,
};

/// Starts a bulk query (`$query` is one of the `BULK_*` documents).
pub const BULK_OPERATION_RUN_QUERY: Document = Document {
    name: "BulkOperationRunQuery",
    text: include_str!("graphql/bulk_operation_run_query.graphql"),
    cost_hint: 10,
};

/// A bulk operation's status and result URL.
pub const BULK_OPERATION: Document = Document {
    name: "BulkOperation",
    text: include_str!("graphql/bulk_operation.graphql"),
    cost_hint: 2,
};

/// The inner query of the customers import (run in bulk: no `first`, no cost limit).
pub const BULK_CUSTOMERS: &str = include_str!("graphql/bulk_customers.graphql");

/// The inner query of the products import: variants, image media and collection
/// membership as nested connections (children lines with `__parentId`).
pub const BULK_PRODUCTS: &str = include_str!("graphql/bulk_products.graphql");

/// The inner query of the orders import, line items nested.
pub const BULK_ORDERS: &str = include_str!("graphql/bulk_orders.graphql");

/// The inner query of the collections import (membership comes with the products).
pub const BULK_COLLECTIONS: &str = include_str!("graphql/bulk_collections.graphql");

/// The inner bulk queries by resource (each validated as a document of its own).
pub const BULK_QUERIES: &[(&str, &str)] = &[
    ("customers", BULK_CUSTOMERS),
    ("products", BULK_PRODUCTS),
    ("orders", BULK_ORDERS),
    ("collections", BULK_COLLECTIONS),
];

/// Customers updated after a time, oldest change first (reconciliation; `first` ≤ 100:
/// cost 2 + 4 per customer).
pub const CUSTOMERS_UPDATED: Document = Document {
    name: "CustomersUpdated",
    text: include_str!("graphql/customers_updated.graphql"),
    cost_hint: 402,
};

/// Orders updated after a time, oldest change first (reconciliation; 5 orders of 25
/// line items: 2 + 5 × 131 = 657).
pub const ORDERS_UPDATED: Document = Document {
    name: "OrdersUpdated",
    text: include_str!("graphql/orders_updated.graphql"),
    cost_hint: 660,
};

/// Products updated after a time, oldest change first (reconciliation; 5 products of 50
/// variants, 5 media, 20 collections: 2 + 5 × 158 = 792).
pub const PRODUCTS_UPDATED: Document = Document {
    name: "ProductsUpdated",
    text: include_str!("graphql/products_updated.graphql"),
    cost_hint: 800,
};

/// Open abandoned checkouts updated after a time (the 10-minute poll; `first` 50 with
/// 50 line items each: 2 + 50 × (1 + 3 + 3 + 2 + 50 × 3) = 7,952 would exceed the
/// 1,000-point limit, so pages are 5 checkouts: 2 + 5 × 159 = 797).
pub const ABANDONED_CHECKOUTS: Document = Document {
    name: "AbandonedCheckouts",
    text: include_str!("graphql/abandoned_checkouts.graphql"),
    cost_hint: 800,
};

/// Creates the app subscription of a plan; the merchant approves it at the returned
/// confirmation URL (a mutation costs 10).
pub const APP_SUBSCRIPTION_CREATE: Document = Document {
    name: "AppSubscriptionCreate",
    text: include_str!("graphql/app_subscription_create.graphql"),
    cost_hint: 10,
};

/// Every document the code can send (the SDL test walks it).
pub const ALL: &[Document] = &[
    SHOP,
    WEBHOOK_SUBSCRIPTIONS,
    WEBHOOK_SUBSCRIPTION_CREATE,
    WEBHOOK_SUBSCRIPTION_DELETE,
    BULK_OPERATION_RUN_QUERY,
    BULK_OPERATION,
    CUSTOMERS_UPDATED,
    ORDERS_UPDATED,
    PRODUCTS_UPDATED,
    ABANDONED_CHECKOUTS,
    APP_SUBSCRIPTION_CREATE,
];
