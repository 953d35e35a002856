//! Typed variables and answers of each operation in [`super::documents`], and the calls
//! that page through connections.

use super::documents;
use super::error::{check_user_errors, AdminError, UserError};
use super::AdminClient;
use serde::Deserialize;
use serde_json::json;

/// One of the app's webhook subscriptions on a shop.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    /// `gid://shopify/WebhookSubscription/…`.
    pub id: String,
    /// `ORDERS_CREATE` …
    pub topic: String,
    /// Where deliveries go.
    #[serde(default)]
    pub uri: Option<String>,
    /// `JSON` or `XML`.
    #[serde(default)]
    pub format: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
struct Edge<T> {
    node: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    edges: Vec<Edge<T>>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SubscriptionsData {
    webhook_subscriptions: Connection<Subscription>,
}

/// Every webhook subscription of the app on `shop` (pages of 100).
///
/// # Errors
/// [`AdminError`].
pub async fn webhook_subscriptions(
    client: &AdminClient,
    shop: &str,
    token: &str,
) -> Result<Vec<Subscription>, AdminError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let vars = json!({"first": 100, "after": after});
        let page: SubscriptionsData = client
            .run(shop, token, documents::WEBHOOK_SUBSCRIPTIONS, &vars)
            .await?;
        let c = page.webhook_subscriptions;
        out.extend(c.edges.into_iter().map(|e| e.node));
        match (c.page_info.has_next_page, c.page_info.end_cursor) {
            (true, Some(cursor)) => after = Some(cursor),
            _ => return Ok(out),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreatePayload {
    webhook_subscription: Option<Subscription>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateData {
    webhook_subscription_create: CreatePayload,
}

/// Subscribes `uri` to `topic` (a `WebhookSubscriptionTopic` name), JSON format.
///
/// # Errors
/// [`AdminError`], `UserErrors` with Shopify's reasons.
pub async fn create_webhook_subscription(
    client: &AdminClient,
    shop: &str,
    token: &str,
    topic: &str,
    uri: &str,
) -> Result<Subscription, AdminError> {
    let vars = json!({"topic": topic, "sub": {"uri": uri, "format": "JSON"}});
    let d: CreateData = client
        .run(shop, token, documents::WEBHOOK_SUBSCRIPTION_CREATE, &vars)
        .await?;
    let p = d.webhook_subscription_create;
    check_user_errors(&p.user_errors)?;
    p.webhook_subscription.ok_or_else(|| {
        AdminError::Decode("webhookSubscriptionCreate returned no subscription".into())
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeletePayload {
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteData {
    webhook_subscription_delete: DeletePayload,
}

/// Deletes a subscription by id.
///
/// # Errors
/// [`AdminError`].
pub async fn delete_webhook_subscription(
    client: &AdminClient,
    shop: &str,
    token: &str,
    id: &str,
) -> Result<(), AdminError> {
    let d: DeleteData = client
        .run(
            shop,
            token,
            documents::WEBHOOK_SUBSCRIPTION_DELETE,
            &json!({"id": id}),
        )
        .await?;
    check_user_errors(&d.webhook_subscription_delete.user_errors)
}

/// The shop as the Admin API describes it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShopInfo {
    /// The store's name.
    pub name: String,
    /// `x.myshopify.com`.
    pub myshopify_domain: String,
    /// ISO currency.
    pub currency_code: String,
    /// IANA zone.
    pub iana_timezone: String,
}

#[derive(Deserialize)]
struct ShopData {
    shop: ShopInfo,
}

/// The shop's name, domain, currency and zone.
///
/// # Errors
/// [`AdminError`].
pub async fn shop(client: &AdminClient, shop: &str, token: &str) -> Result<ShopInfo, AdminError> {
    let d: ShopData = client.run(shop, token, documents::SHOP, &json!({})).await?;
    Ok(d.shop)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkStarted {
    id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunPayload {
    bulk_operation: Option<BulkStarted>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RunData {
    bulk_operation_run_query: RunPayload,
}

/// Starts a bulk query; the operation's id.
///
/// # Errors
/// [`AdminError`] (`UserErrors` when Shopify refuses the inner query or another bulk
/// operation is running).
pub async fn run_bulk_query(
    client: &AdminClient,
    shop: &str,
    token: &str,
    inner: &str,
) -> Result<String, AdminError> {
    let d: RunData = client
        .run(
            shop,
            token,
            documents::BULK_OPERATION_RUN_QUERY,
            &json!({"query": inner}),
        )
        .await?;
    let p = d.bulk_operation_run_query;
    check_user_errors(&p.user_errors)?;
    p.bulk_operation
        .map(|b| b.id)
        .ok_or_else(|| AdminError::Decode("bulkOperationRunQuery returned no operation".into()))
}

/// A bulk operation as Shopify reports it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    /// Its gid.
    pub id: String,
    /// `CREATED`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELED`, `EXPIRED` …
    pub status: String,
    /// `ACCESS_DENIED`, `INTERNAL_SERVER_ERROR`, `TIMEOUT`.
    #[serde(default)]
    pub error_code: Option<String>,
    /// Objects written so far (a string: an `UnsignedInt64`).
    #[serde(default)]
    pub object_count: Option<String>,
    /// The JSONL result when completed.
    #[serde(default)]
    pub url: Option<String>,
    /// What a failed operation wrote before failing.
    #[serde(default)]
    pub partial_data_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BulkData {
    bulk_operation: Option<BulkOperation>,
}

/// A bulk operation by id (`None`: Shopify does not know it).
///
/// # Errors
/// [`AdminError`].
pub async fn bulk_operation(
    client: &AdminClient,
    shop: &str,
    token: &str,
    id: &str,
) -> Result<Option<BulkOperation>, AdminError> {
    let d: BulkData = client
        .run(shop, token, documents::BULK_OPERATION, &json!({"id": id}))
        .await?;
    Ok(d.bulk_operation)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Nodes {
    nodes: Vec<serde_json::Value>,
    page_info: PageInfo,
}

/// One page of records of `doc` (`CUSTOMERS_UPDATED`, `ORDERS_UPDATED`,
/// `PRODUCTS_UPDATED`) updated after `since` (RFC 3339), oldest change first: the raw
/// nodes (a bulk row's shape, nested connections as `edges`) and the next cursor.
///
/// # Errors
/// [`AdminError`].
pub async fn updated_since(
    client: &AdminClient,
    shop: &str,
    token: &str,
    doc: documents::Document,
    since: &str,
    after: Option<&str>,
) -> Result<(Vec<serde_json::Value>, Option<String>), AdminError> {
    let first = if doc == documents::CUSTOMERS_UPDATED {
        100
    } else {
        5
    };
    let vars = json!({"first": first, "after": after, "query": format!("updated_at:>'{since}'")});
    let d: serde_json::Map<String, serde_json::Value> = client.run(shop, token, doc, &vars).await?;
    let conn = d
        .into_iter()
        .next()
        .map(|(_, v)| v)
        .ok_or_else(|| AdminError::Decode(format!("{} returned no connection", doc.name)))?;
    let page: Nodes = serde_json::from_value(conn)
        .map_err(|e| AdminError::Decode(format!("{}: {e}", doc.name)))?;
    let next = (page.page_info.has_next_page)
        .then_some(page.page_info.end_cursor)
        .flatten();
    Ok((page.nodes, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckoutsData {
    abandoned_checkouts: Nodes,
}

/// One page (5) of open abandoned checkouts updated after `since` (RFC 3339): the raw
/// nodes and the next cursor.
///
/// # Errors
/// [`AdminError`].
pub async fn abandoned_checkouts(
    client: &AdminClient,
    shop: &str,
    token: &str,
    since: &str,
    after: Option<&str>,
) -> Result<(Vec<serde_json::Value>, Option<String>), AdminError> {
    let vars = json!({"first": 5, "after": after,
        "query": format!("status:open AND updated_at:>'{since}'")});
    let d: CheckoutsData = client
        .run(shop, token, documents::ABANDONED_CHECKOUTS, &vars)
        .await?;
    let c = d.abandoned_checkouts;
    let next = c
        .page_info
        .has_next_page
        .then_some(c.page_info.end_cursor)
        .flatten();
    Ok((c.nodes, next))
}
