//! A tiny scripted Graph API fake for unit tests: an axum server on `127.0.0.1:0` that
//! answers by (method, path, query fragment) and records every request. Test-only.

use super::{MetaClient, MetaClientSettings};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the fake received.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Recorded {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

#[derive(Clone)]
struct Route {
    method: String,
    path: String,
    query_contains: Option<String>,
    status: u16,
    body: String,
    delay: Duration,
}

#[derive(Default)]
struct Inner {
    routes: Vec<Route>,
    seen: Vec<Recorded>,
}

/// The fake. Routes are matched in the order added; the first match answers; no match
/// is a 404 with a Graph error.
#[derive(Clone)]
pub(crate) struct FakeMeta {
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeMeta {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let state = inner.clone();
        let app = Router::new().fallback(move |req: Request<Body>| {
            let state = state.clone();
            async move { answer(state, req).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            base_url: format!("http://{addr}"),
            inner,
        }
    }

    /// Answers `method path` (and, if given, only when the query contains `query`).
    pub fn on(&self, method: &str, path: &str, query: Option<&str>, status: u16, body: &str) {
        self.on_delayed(method, path, query, status, body, Duration::ZERO);
    }

    pub fn on_delayed(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        status: u16,
        body: &str,
        delay: Duration,
    ) {
        self.inner.lock().unwrap().routes.push(Route {
            method: method.into(),
            path: path.into(),
            query_contains: query.map(str::to_owned),
            status,
            body: body.into(),
            delay,
        });
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().seen.clone()
    }

    pub fn client(&self) -> MetaClient {
        self.client_with_timeout(2_000)
    }

    pub fn client_with_timeout(&self, timeout_ms: u64) -> MetaClient {
        MetaClient::new(&MetaClientSettings {
            base_url: self.base_url.clone(),
            graph_version: "v23.0".into(),
            timeout_ms,
        })
        .unwrap()
    }
}

async fn answer(state: Arc<Mutex<Inner>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, 1 << 24)
        .await
        .unwrap_or_default();
    let rec = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().unwrap_or_default().to_owned(),
        headers: parts.headers,
        body,
    };
    let route = {
        let mut inner = state.lock().unwrap();
        let route = inner
            .routes
            .iter()
            .find(|r| {
                r.method == rec.method
                    && r.path == rec.path
                    && r.query_contains
                        .as_ref()
                        .is_none_or(|q| rec.query.contains(q.as_str()))
            })
            .cloned();
        inner.seen.push(rec);
        route
    };
    let Some(route) = route else {
        let body = r#"{"error":{"message":"Unknown path","type":"OAuthException","code":100}}"#;
        return (StatusCode::NOT_FOUND, body).into_response();
    };
    if !route.delay.is_zero() {
        tokio::time::sleep(route.delay).await;
    }
    let status = StatusCode::from_u16(route.status).unwrap();
    (status, [("content-type", "application/json")], route.body).into_response()
}

/// A Meta fixture file (`fixtures/meta/responses/<name>`); a missing folder fails.
pub(crate) fn fixture(name: &str) -> String {
    let root = std::env::var("GALANTIS_FIXTURES").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"),
        PathBuf::from,
    );
    let path = root.join("meta/responses").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}
