//! The catalog (Commerce) calls of the Graph API (`reference/meta-api.md` §8): a
//! business's owned and client catalogs, creating one, the catalog connected to a WABA
//! (list, connect), `items_batch` with its per-item `validation_status`, the status of a
//! batch handle, and the items of a catalog (read-side names). Bodies are JSON.

use super::MetaClient;
use crate::integrations::meta::error::MetaError;
use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

/// A catalog as Graph lists it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CatalogInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Items in it.
    #[serde(default)]
    pub product_count: Option<u64>,
}

#[derive(Deserialize)]
struct Page<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct ItemPage {
    #[serde(default)]
    data: Vec<RemoteItem>,
    #[serde(default)]
    paging: Option<super::templates::Paging>,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

/// One message of a `validation_status` entry.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ItemMessage {
    /// Meta's text.
    pub message: String,
}

/// What Meta said about one item of a batch.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ItemValidation {
    /// The item.
    pub retailer_id: String,
    /// Why it was refused (not ingested).
    #[serde(default)]
    pub errors: Vec<ItemMessage>,
    /// What Meta ignored.
    #[serde(default)]
    pub warnings: Vec<ItemMessage>,
}

/// The answer to `items_batch`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BatchAnswer {
    /// 0 or 1 handle (none: nothing ingested).
    #[serde(default)]
    pub handles: Vec<String>,
    /// Items with errors or warnings.
    #[serde(default)]
    pub validation_status: Vec<ItemValidation>,
}

/// One error line of a finished batch.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BatchLineError {
    /// The retailer id it is about (when Meta names one).
    #[serde(default)]
    pub id: Option<String>,
    /// Meta's text.
    #[serde(default)]
    pub message: String,
}

/// The state of a batch handle.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BatchStatus {
    /// `finished` once done.
    pub status: String,
    /// The refused requests' errors.
    #[serde(default)]
    pub errors: Vec<BatchLineError>,
    /// Retailer ids of the requests Meta refused.
    #[serde(default)]
    pub ids_of_invalid_requests: Vec<String>,
    /// How many errors.
    #[serde(default)]
    pub errors_total_count: u64,
}

/// An item as Graph reads it back.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RemoteItem {
    /// Our retailer id.
    pub retailer_id: String,
    /// Its title (`name` on the read side).
    #[serde(default)]
    pub name: Option<String>,
    /// `9.99 USD`.
    #[serde(default)]
    pub price: Option<String>,
    /// `in stock` …
    #[serde(default)]
    pub availability: Option<String>,
}

impl MetaClient {
    /// `GET /{business-id}/owned_product_catalogs` (`owned`) or `…/client_product_catalogs`.
    ///
    /// # Errors
    /// Any call error.
    pub async fn list_catalogs(
        &self,
        token: &str,
        business_id: &str,
        owned: bool,
    ) -> Result<Vec<CatalogInfo>, MetaError> {
        let edge = if owned {
            "owned_product_catalogs"
        } else {
            "client_product_catalogs"
        };
        let url = self.url(&[("business_id", business_id), ("", edge)])?;
        let page: Page<CatalogInfo> = self
            .call("list_catalogs", self.request(Method::GET, url, token))
            .await?;
        Ok(page.data)
    }

    /// `POST /{business-id}/owned_product_catalogs` with `name`; the new catalog's id.
    ///
    /// # Errors
    /// Any call error.
    pub async fn create_catalog(
        &self,
        token: &str,
        business_id: &str,
        name: &str,
    ) -> Result<String, MetaError> {
        let url = self.url(&[("business_id", business_id), ("", "owned_product_catalogs")])?;
        let req = self
            .request(Method::POST, url, token)
            .json(&json!({"name": name, "vertical": "commerce"}));
        let c: Created = self.call("create_catalog", req).await?;
        Ok(c.id)
    }

    /// `GET /{waba-id}/product_catalogs`: the catalog connected to the WABA, if any.
    ///
    /// # Errors
    /// Any call error.
    pub async fn connected_catalogs(
        &self,
        token: &str,
        waba_id: &str,
    ) -> Result<Vec<CatalogInfo>, MetaError> {
        let url = self.url(&[("waba_id", waba_id), ("", "product_catalogs")])?;
        let page: Page<CatalogInfo> = self
            .call("connected_catalogs", self.request(Method::GET, url, token))
            .await?;
        Ok(page.data)
    }

    /// `POST /{waba-id}/product_catalogs` with `catalog_id`: connects the catalog.
    ///
    /// # Errors
    /// Any call error (one catalog per WABA: another connected one is refused).
    pub async fn connect_catalog(
        &self,
        token: &str,
        waba_id: &str,
        catalog_id: &str,
    ) -> Result<(), MetaError> {
        let url = self.url(&[("waba_id", waba_id), ("", "product_catalogs")])?;
        let req = self
            .request(Method::POST, url, token)
            .json(&json!({"catalog_id": catalog_id}));
        let _: Value = self.call("connect_catalog", req).await?;
        Ok(())
    }

    /// `POST /{catalog-id}/items_batch` (`PRODUCT_ITEM`, at most 5,000 requests).
    ///
    /// # Errors
    /// [`MetaError::InvalidArgument`] for an empty or oversized batch; any call error
    /// (80014: the catalog's hourly budget is spent).
    pub async fn items_batch(
        &self,
        token: &str,
        catalog_id: &str,
        requests: &[Value],
    ) -> Result<BatchAnswer, MetaError> {
        if requests.is_empty() || requests.len() > crate::logic::catalog_sync::BATCH_MAX {
            return Err(MetaError::InvalidArgument {
                field: "requests".into(),
                reason: format!("a batch holds 1 to 5000 requests, not {}", requests.len()),
            });
        }
        let url = self.url(&[("catalog_id", catalog_id), ("", "items_batch")])?;
        let req = self
            .request(Method::POST, url, token)
            .json(&json!({"item_type": "PRODUCT_ITEM", "requests": requests}));
        self.call("items_batch", req).await
    }

    /// `GET /{catalog-id}/check_batch_request_status?handle=…` with the refused ids.
    ///
    /// # Errors
    /// Any call error; [`MetaError::Decode`] when Meta reports no status for the handle.
    pub async fn batch_status(
        &self,
        token: &str,
        catalog_id: &str,
        handle: &str,
    ) -> Result<BatchStatus, MetaError> {
        let mut url = self.url(&[
            ("catalog_id", catalog_id),
            ("", "check_batch_request_status"),
        ])?;
        url.query_pairs_mut()
            .append_pair("handle", handle)
            .append_pair("load_ids_of_invalid_requests", "true");
        let page: Page<BatchStatus> = self
            .call("batch_status", self.request(Method::GET, url, token))
            .await?;
        page.data
            .into_iter()
            .next()
            .ok_or_else(|| MetaError::Decode("check_batch_request_status: no status".into()))
    }

    /// `GET /{catalog-id}/products`: the catalog's items (retailer id, name, price,
    /// availability), every page (500 a page, following the `after` cursor).
    ///
    /// # Errors
    /// Any call error; [`MetaError::Decode`] when the pages do not end.
    pub async fn catalog_items(
        &self,
        token: &str,
        catalog_id: &str,
    ) -> Result<Vec<RemoteItem>, MetaError> {
        let mut first = self.url(&[("catalog_id", catalog_id), ("", "products")])?;
        first
            .query_pairs_mut()
            .append_pair("fields", "retailer_id,name,price,availability")
            .append_pair("limit", "500");
        let mut url = first.clone();
        let mut all = Vec::new();
        // A catalog of up to 500 pages of 500 (250,000 items) is read whole.
        for _ in 0..super::templates::MAX_PAGES * 5 {
            let page: ItemPage = self
                .call(
                    "catalog_items",
                    self.request(Method::GET, url.clone(), token),
                )
                .await?;
            all.extend(page.data);
            match page.paging.and_then(|p| self.next_page(&first, p)) {
                None => return Ok(all),
                Some(next) => url = next?,
            }
        }
        Err(MetaError::Decode("catalog_items: too many pages".into()))
    }
}
