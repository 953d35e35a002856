//! What stands in front of the public storefront endpoints: the client's IP, the rate
//! limits (governor, keyed per IP and per phone number), and CORS for the shop's own
//! storefront origin. Owns the limiters' state; knows nothing of subscriptions.
//!
//! Choices:
//! - Client IP: the TCP peer address the server puts in the request extensions
//!   (`ConnectInfo`, see `http::serve`). `X-Forwarded-For` is trusted only when
//!   `storefront.trust_forwarded_for` is set, and then its right-most entry (the address
//!   our own proxy saw; entries to its left are the client's word). IPv6 clients are
//!   limited per /64, the block one subscriber usually holds.
//! - CORS: the allowed origin is `https://{shop}` for an installed tenant (the
//!   myshopify domain). Custom storefront domains are not configured per tenant yet; a
//!   widget on one must call from the myshopify domain or through an app proxy. A
//!   disallowed origin gets no CORS headers (its preflight a 403), so the browser blocks
//!   the call; clients outside a browser are bounded by the rate limits instead.

use super::StorefrontError;
use crate::config::StorefrontSettings;
use crate::domain::ShopDomain;
use crate::http::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Keyed limiters are swept of idle keys once every this many checks.
const SWEEP_EVERY: u64 = 4096;

/// The storefront's rate limiters and client-address policy. Shared by every request.
pub struct Guard {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    per_phone: DefaultKeyedRateLimiter<u64>,
    trust_forwarded_for: bool,
    checks: AtomicU64,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN))
}

impl Guard {
    /// Limiters with the configured quotas (each a burst of its per-minute count).
    pub fn new(s: &StorefrontSettings) -> Self {
        Self {
            per_ip: RateLimiter::keyed(per_minute(s.per_ip_per_minute)),
            per_phone: RateLimiter::keyed(per_minute(s.per_phone_per_minute)),
            trust_forwarded_for: s.trust_forwarded_for,
            checks: AtomicU64::new(0),
        }
    }

    fn sweep(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.per_ip.retain_recent();
            self.per_phone.retain_recent();
        }
    }

    /// Counts one request from `ip`.
    ///
    /// # Errors
    /// [`StorefrontError::RateLimited`] with the wait when over the limit.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), StorefrontError> {
        self.sweep();
        self.per_ip.check_key(&ip_key(ip)).map_err(|n| {
            limited(
                "this address",
                n.wait_time_from(DefaultClock::default().now()),
            )
        })
    }

    /// Counts one subscribe request for a phone number (its E.164 digits).
    ///
    /// # Errors
    /// [`StorefrontError::RateLimited`] with the wait when over the limit.
    pub fn check_phone(&self, digits: u64) -> Result<(), StorefrontError> {
        self.per_phone.check_key(&digits).map_err(|n| {
            limited(
                "this phone number",
                n.wait_time_from(DefaultClock::default().now()),
            )
        })
    }

    /// The client's address for the per-IP limit (see the module doc).
    pub fn client_ip(&self, parts: &Parts) -> IpAddr {
        if self.trust_forwarded_for {
            if let Some(ip) = forwarded_for(&parts.headers) {
                return ip;
            }
        }
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |c| c.0.ip())
    }
}

fn limited(whom: &'static str, wait: Duration) -> StorefrontError {
    let per = if whom == "this address" {
        "ip"
    } else {
        "phone"
    };
    metrics::counter!("galantis_storefront_rate_limited_total", "per" => per).increment(1);
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    StorefrontError::RateLimited {
        message: format!("too many requests from {whom}; retry in {} s", secs.max(1)),
        retry_after: secs.max(1),
    }
}

/// IPv6 addresses keyed by their /64.
fn ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let all = headers.get_all("x-forwarded-for");
    let last = all.iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// The client IP of a request, as [`Guard::client_ip`] decides it.
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(state.storefront.client_ip(parts)))
    }
}

/// The request's `Origin` when it is an installed shop's storefront (`https://{shop}`).
pub fn allowed_origin(state: &AppState, headers: &HeaderMap) -> Option<HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    let host = origin.to_str().ok()?.strip_prefix("https://")?;
    let shop = ShopDomain::parse(host).ok()?;
    if shop.as_str() != host {
        return None;
    }
    crate::services::back_in_stock::installed(state.engine.store(), shop.as_str()).ok()?;
    Some(origin.clone())
}

/// Middleware of every storefront route: lets CORS preflights through to their route
/// ([`preflight`]), counts every other request against the per-IP limit (429 before any parsing), and adds the CORS headers
/// for an allowed origin to every answer, errors included (the widget reads them).
pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        return next.run(req).await; // the route's `preflight` answers
    }
    let origin = allowed_origin(&state, req.headers());
    let (parts, body) = req.into_parts();
    let ip = state.storefront.client_ip(&parts);
    let mut resp = match state.storefront.check_ip(ip) {
        Ok(()) => next.run(Request::from_parts(parts, body)).await,
        Err(e) => e.into_response(),
    };
    let h = resp.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    }
    resp
}

/// The answer to a CORS preflight: 204 with the CORS headers for an allowed origin, else
/// 403 `origin_not_allowed` without them.
pub fn preflight(origin: Option<HeaderValue>) -> Response {
    let Some(o) = origin else {
        return StorefrontError::OriginNotAllowed.into_response();
    };
    let mut resp = axum::http::StatusCode::NO_CONTENT.into_response();
    let h = resp.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Content-Type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    h.append(header::VARY, HeaderValue::from_static("Origin"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_share_their_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(ip_key(a), ip_key(b));
        let v4: IpAddr = "::ffff:10.0.0.1".parse().expect("ip");
        assert_eq!(ip_key(v4), "10.0.0.1".parse::<IpAddr>().expect("ip"));
    }

    #[test]
    fn the_rightmost_forwarded_address_is_taken() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        assert_eq!(forwarded_for(&h), "2.2.2.2".parse().ok());
    }

    #[test]
    fn a_flood_from_one_address_is_limited_with_a_wait() {
        let g = Guard::new(&StorefrontSettings {
            per_ip_per_minute: 2,
            ..StorefrontSettings::default()
        });
        let ip: IpAddr = "10.1.1.1".parse().expect("ip");
        assert!(g.check_ip(ip).is_ok());
        assert!(g.check_ip(ip).is_ok());
        match g.check_ip(ip) {
            Err(StorefrontError::RateLimited { retry_after, .. }) => assert!(retry_after >= 1),
            other => panic!("expected a limit, got {other:?}"),
        }
        assert!(g.check_ip("10.1.1.2".parse().expect("ip")).is_ok());
    }
}
