//! The Admin GraphQL client: `POST {shop}/admin/api/{version}/graphql.json` with the
//! shop's token, typed variables and answers, one cost bucket per shop (wait until a
//! document's cost fits rather than be THROTTLED), THROTTLED / 429 / 5xx retried with
//! backoff (Shopify's own client waits 1 s on 429 and 503; a THROTTLED answer says how
//! long from its `throttleStatus`), 401 / 403 returned at once as
//! [`AdminError::Unauthorized`] for the caller to turn the shop's health red.

use super::bucket::{CostBucket, ThrottleStatus};
use super::documents::Document;
use super::error::AdminError;
use dashmap::DashMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The longest wait for the bucket before a send (a full Standard bucket refills in 10 s).
const MAX_BUCKET_WAIT: Duration = Duration::from_secs(30);

/// How the client reaches Shopify.
#[derive(Clone, Debug)]
pub struct AdminSettings {
    /// Admin API version (`2026-04`).
    pub api_version: String,
    /// `None`: `https://{shop}`; else this base (the emulator), the shop in a header.
    pub base_url: Option<String>,
    /// Timeout of one request.
    pub timeout: Duration,
    /// Retries of THROTTLED, 429 and 5xx.
    pub max_retries: u32,
    /// The first retry's wait (doubled each time, capped at 8 s).
    pub backoff: Duration,
}

impl AdminSettings {
    /// From the `[shopify]` settings.
    pub fn from_config(s: &crate::config::ShopifySettings) -> Self {
        Self {
            api_version: s.api_version.clone(),
            base_url: s.admin_base_url.clone(),
            timeout: Duration::from_millis(s.timeout_ms.max(1)),
            max_retries: s.max_retries,
            backoff: Duration::from_secs(1),
        }
    }
}

/// The client. Cheap to clone (connection pool and buckets are shared).
#[derive(Clone)]
pub struct AdminClient {
    http: reqwest::Client,
    settings: Arc<AdminSettings>,
    buckets: Arc<DashMap<String, Arc<Mutex<CostBucket>>>>,
}

#[derive(Serialize)]
struct Request<'a, V> {
    query: &'a str,
    #[serde(rename = "operationName")]
    operation_name: &'a str,
    variables: &'a V,
}

#[derive(Deserialize)]
struct Answer<R> {
    data: Option<R>,
    #[serde(default)]
    errors: Vec<GraphQlError>,
    #[serde(default)]
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct GraphQlError {
    message: String,
    #[serde(default)]
    extensions: Option<ErrorExtensions>,
}

#[derive(Deserialize)]
struct ErrorExtensions {
    code: Option<String>,
}

#[derive(Deserialize)]
struct Extensions {
    cost: Option<Cost>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Cost {
    requested_query_cost: Option<f64>,
    throttle_status: Option<ThrottleStatus>,
}

/// What one attempt came to.
enum Attempt<R> {
    Done(R),
    Retry { after: Duration, why: String },
}

impl AdminClient {
    /// A client.
    ///
    /// # Errors
    /// [`AdminError::Setup`] when the HTTP client cannot be built or the version is not
    /// a `YYYY-MM` or `unstable`.
    pub fn new(settings: AdminSettings) -> Result<Self, AdminError> {
        let v = settings.api_version.as_str();
        let dated = v.len() == 7
            && v.as_bytes()[4] == b'-'
            && v.chars()
                .enumerate()
                .all(|(i, c)| i == 4 || c.is_ascii_digit());
        if !dated && v != "unstable" {
            return Err(AdminError::Setup(format!(
                "api_version `{v}` is not YYYY-MM"
            )));
        }
        crate::integrations::install_tls_provider();
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("galantis/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| AdminError::Setup(e.without_url().to_string()))?;
        Ok(Self {
            http,
            settings: Arc::new(settings),
            buckets: Arc::new(DashMap::new()),
        })
    }

    fn url(&self, shop: &str) -> String {
        let base = match &self.settings.base_url {
            Some(b) => b.trim_end_matches('/').to_string(),
            None => format!("https://{shop}"),
        };
        format!(
            "{base}/admin/api/{}/graphql.json",
            self.settings.api_version
        )
    }

    /// `{shop's base}/admin/oauth/{path}` (the emulator's base when configured).
    pub fn oauth_url(&self, shop: &str, path: &str) -> String {
        match &self.settings.base_url {
            Some(b) => format!("{}/admin/oauth/{path}", b.trim_end_matches('/')),
            None => format!("https://{shop}/admin/oauth/{path}"),
        }
    }

    /// `POST /admin/oauth/access_token` with `body` (a code, a token exchange or a
    /// refresh): the grant. A 4xx answer is the grant refused, with Shopify's words.
    ///
    /// # Errors
    /// [`AdminError::Refused`] (4xx), [`AdminError::Unavailable`] (5xx or no answer),
    /// [`AdminError::Decode`].
    pub async fn grant(
        &self,
        shop: &str,
        body: &serde_json::Value,
    ) -> Result<super::oauth::TokenGrant, AdminError> {
        let sent = self
            .http
            .post(self.oauth_url(shop, "access_token"))
            .header("X-Shopify-Shop-Domain", shop)
            .json(body)
            .send()
            .await
            .map_err(|e| AdminError::Unavailable {
                attempts: 1,
                last: e.without_url().to_string(),
            })?;
        let status = sent.status().as_u16();
        let text = sent.text().await.unwrap_or_default();
        if status >= 500 {
            return Err(AdminError::Unavailable {
                attempts: 1,
                last: format!("HTTP {status}"),
            });
        }
        if status >= 400 {
            let said: String = text.chars().take(300).collect();
            return Err(AdminError::Refused(vec![format!(
                "the token endpoint answered HTTP {status}: {said}"
            )]));
        }
        serde_json::from_str(&text).map_err(|e| AdminError::Decode(format!("token grant: {e}")))
    }

    /// Opens a bulk operation's result file for streaming (no token: the URL is signed).
    ///
    /// # Errors
    /// [`AdminError::Unavailable`] when it cannot be fetched.
    pub async fn download(&self, url: &str) -> Result<reqwest::Response, AdminError> {
        let r = self
            .http
            .get(url)
            .timeout(Duration::from_secs(3_600))
            .send()
            .await
            .map_err(|e| AdminError::Unavailable {
                attempts: 1,
                last: e.without_url().to_string(),
            })?;
        if !r.status().is_success() {
            return Err(AdminError::Unavailable {
                attempts: 1,
                last: format!("the result file answered HTTP {}", r.status().as_u16()),
            });
        }
        Ok(r)
    }

    fn bucket(&self, shop: &str) -> Arc<Mutex<CostBucket>> {
        self.buckets
            .entry(shop.to_string())
            .or_insert_with(|| Arc::new(Mutex::new(CostBucket::new(Instant::now()))))
            .clone()
    }

    /// Runs `doc` with `variables` for `shop`, waiting for the bucket first and retrying
    /// THROTTLED, 429 and 5xx answers.
    ///
    /// # Errors
    /// [`AdminError`].
    pub async fn run<V: Serialize, R: DeserializeOwned>(
        &self,
        shop: &str,
        token: &str,
        doc: Document,
        variables: &V,
    ) -> Result<R, AdminError> {
        let bucket = self.bucket(shop);
        let mut cost = f64::from(doc.cost_hint);
        let mut attempts = 0;
        loop {
            attempts += 1;
            {
                let mut b = bucket.lock().await;
                let wait = b.wait_for(cost, Instant::now()).min(MAX_BUCKET_WAIT);
                if !wait.is_zero() {
                    tracing::debug!(
                        message = "Waiting for the Shopify cost bucket.",
                        shop,
                        wait_ms = wait.as_millis() as u64,
                        cost
                    );
                    tokio::time::sleep(wait).await;
                }
                b.take(cost, Instant::now());
            }
            match self.attempt(shop, token, doc, variables, &bucket).await? {
                Attempt::Done(r) => return Ok(r),
                Attempt::Retry { after, why } => {
                    if attempts > self.settings.max_retries {
                        return Err(AdminError::Unavailable {
                            attempts,
                            last: why,
                        });
                    }
                    metrics::counter!("galantis_shopify_admin_retries_total").increment(1);
                    tracing::info!(message = "Retrying a Shopify Admin call.", shop, document = doc.name, attempt = attempts, reason = %why);
                    let backoff = self.settings.backoff * 2u32.saturating_pow(attempts - 1);
                    tokio::time::sleep(after.max(backoff.min(Duration::from_secs(8)))).await;
                    cost = cost.max(1.0);
                }
            }
        }
    }

    async fn attempt<V: Serialize, R: DeserializeOwned>(
        &self,
        shop: &str,
        token: &str,
        doc: Document,
        variables: &V,
        bucket: &Mutex<CostBucket>,
    ) -> Result<Attempt<R>, AdminError> {
        let body = Request {
            query: doc.text,
            operation_name: doc.name,
            variables,
        };
        let sent = self
            .http
            .post(self.url(shop))
            .header("X-Shopify-Access-Token", token)
            .header("X-Shopify-Shop-Domain", shop)
            .json(&body)
            .send()
            .await;
        let resp = match sent {
            Ok(r) => r,
            Err(e) => {
                return Ok(Attempt::Retry {
                    after: Duration::ZERO,
                    why: e.without_url().to_string(),
                })
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map(|s| Duration::from_secs_f64(s.clamp(0.0, 60.0)));
        let text = resp.text().await.unwrap_or_default();
        if status == 401 || status == 403 {
            return Err(AdminError::Unauthorized {
                status,
                message: text.chars().take(300).collect(),
            });
        }
        if status == 429 || status >= 500 {
            return Ok(Attempt::Retry {
                after: retry_after.unwrap_or(Duration::from_secs(1)),
                why: format!("HTTP {status}"),
            });
        }
        let answer: Answer<R> = serde_json::from_str(&text)
            .map_err(|e| AdminError::Decode(format!("HTTP {status}: {e}")))?;
        let cost = answer.extensions.as_ref().and_then(|x| x.cost.as_ref());
        if let Some(t) = cost.and_then(|c| c.throttle_status) {
            bucket.lock().await.observe(t, Instant::now());
        }
        let throttled = (answer.errors.iter())
            .any(|e| e.extensions.as_ref().and_then(|x| x.code.as_deref()) == Some("THROTTLED"));
        if throttled {
            let requested = cost.and_then(|c| c.requested_query_cost).unwrap_or(0.0);
            let wait = cost
                .and_then(|c| c.throttle_status)
                .filter(|t| t.restore_rate > 0.0)
                .map(|t| (requested - t.currently_available).max(0.0) / t.restore_rate)
                .map_or(Duration::from_secs(1), Duration::from_secs_f64);
            metrics::counter!("galantis_shopify_admin_throttled_total").increment(1);
            return Ok(Attempt::Retry {
                after: wait.min(MAX_BUCKET_WAIT),
                why: "THROTTLED".into(),
            });
        }
        if !answer.errors.is_empty() {
            return Err(AdminError::Refused(
                answer.errors.into_iter().map(|e| e.message).collect(),
            ));
        }
        if status >= 400 {
            return Err(AdminError::Refused(vec![format!("HTTP {status}")]));
        }
        answer
            .data
            .map(Attempt::Done)
            .ok_or_else(|| AdminError::Decode("no `data` and no `errors`".into()))
    }
}
