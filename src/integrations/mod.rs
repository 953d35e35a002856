//! Clients and protocol pieces of the outside services (Shopify, later Meta).

pub mod meta;
pub mod shopify;

/// Installs ring as the process's TLS crypto provider (once). reqwest is built with
/// `rustls-no-provider` so the engine uses ring, which needs only a C compiler to build;
/// every HTTPS client (Meta's Graph API, later Shopify's Admin API) relies on it.
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Err means another provider is installed already (an embedding app): keep it.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn https_is_supported_by_the_http_client() {
        super::install_tls_provider();
        let client = reqwest::Client::builder().build().expect("client");
        // Nothing listens on port 1: the error must be a connection error, not
        // "https is not supported".
        let err = client
            .get("https://127.0.0.1:1/")
            .send()
            .await
            .expect_err("no server");
        assert!(err.is_connect(), "{err:?}");
    }
}
