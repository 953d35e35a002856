//! `appSubscriptionCreate`: a recurring plan billed every 30 days in USD, with its trial;
//! Shopify answers the subscription (PENDING) and the URL where the merchant approves it.

use super::documents;
use super::error::{check_user_errors, AdminError, UserError};
use super::AdminClient;
use serde::Deserialize;
use serde_json::json;

/// What the app asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSubscription<'a> {
    /// The plan's name (the subscription's name).
    pub plan: &'a str,
    /// US dollars every 30 days.
    pub price_usd: u32,
    /// Free days before billing starts.
    pub trial_days: u32,
    /// Where Shopify sends the merchant after approving or declining.
    pub return_url: &'a str,
    /// A test charge (development stores; nobody pays).
    pub test: bool,
}

/// The created subscription.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedSubscription {
    /// `gid://shopify/AppSubscription/…`.
    pub id: String,
    /// `PENDING`.
    pub status: String,
    /// Its trial.
    #[serde(default)]
    pub trial_days: Option<u32>,
    /// `createdAt`.
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    app_subscription: Option<CreatedSubscription>,
    confirmation_url: Option<String>,
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    app_subscription_create: Payload,
}

/// Creates the subscription; it and its confirmation URL.
///
/// # Errors
/// [`AdminError`] (`Refused` with Shopify's `userErrors`).
pub async fn app_subscription_create(
    client: &AdminClient,
    shop: &str,
    token: &str,
    new: &NewSubscription<'_>,
) -> Result<(CreatedSubscription, String), AdminError> {
    let vars = json!({
        "name": new.plan,
        "returnUrl": new.return_url,
        "trialDays": new.trial_days,
        "test": new.test,
        "lineItems": [{"plan": {"appRecurringPricingDetails": {
            "price": {"amount": format!("{}.00", new.price_usd), "currencyCode": "USD"},
            "interval": "EVERY_30_DAYS"}}}],
    });
    let d: Data = client
        .run(shop, token, documents::APP_SUBSCRIPTION_CREATE, &vars)
        .await?;
    let p = d.app_subscription_create;
    check_user_errors(&p.user_errors)?;
    match (p.app_subscription, p.confirmation_url) {
        (Some(s), Some(url)) => Ok((s, url)),
        _ => Err(AdminError::Decode(
            "appSubscriptionCreate returned no subscription or confirmation URL".into(),
        )),
    }
}
