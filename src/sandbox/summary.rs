//! The sandbox's closing message: where the engine is, the keys, what was fed, and curl
//! lines to look around (contacts, a profile, products, events, checkouts, metrics,
//! OpenAPI) and to sign a webhook by hand. Printing only.

use super::feed::FeedReport;
use super::generate::{utc_millis, Facts};
use super::settings::SandboxFile;
use std::path::Path;

/// How the examples authenticate: the tenant key, or the operator token plus the shop
/// header when the key is not known.
pub struct Auth {
    /// Bearer token.
    pub token: String,
    /// `X-Galantis-Shop` value, when the token is the operator's.
    pub shop_header: Option<String>,
}

impl Auth {
    /// From the sandbox file.
    pub fn new(file: &SandboxFile) -> Self {
        match &file.tenant_api_key {
            Some(k) => Self {
                token: k.clone(),
                shop_header: None,
            },
            None => Self {
                token: file.operator_token.clone(),
                shop_header: Some(file.shop.clone()),
            },
        }
    }
}

/// Everything the summary shows.
pub struct Summary<'a> {
    /// `http://host:port`.
    pub base: &'a str,
    /// The data dir.
    pub data_dir: &'a Path,
    /// `sandbox.toml`.
    pub sandbox_file: &'a Path,
    /// Secrets.
    pub file: &'a SandboxFile,
    /// How the examples authenticate.
    pub auth: &'a Auth,
    /// What was generated.
    pub facts: &'a Facts,
    /// What the feed did.
    pub report: &'a FeedReport,
    /// Dead letters of the tenant after the feed.
    pub dead_letters: Option<usize>,
}

/// Prints the summary to stdout.
pub fn print(s: &Summary<'_>) {
    let f = s.facts;
    let r = s.report;
    let rule = "─".repeat(72);
    println!("\n{rule}\n Galantis sandbox: {}\n{rule}", s.file.shop);
    println!(" Engine          {}", s.base);
    println!(
        " Data dir        {} (secrets in {})",
        s.data_dir.display(),
        s.sandbox_file.display()
    );
    match &s.file.tenant_api_key {
        Some(k) => println!(" Tenant API key  {k}"),
        None => println!(" Tenant API key  (unknown: created by an earlier run without this file)"),
    }
    println!(" Operator token  {}", s.file.operator_token);
    println!(
        " Shopify secret  {}  (HMAC key of X-Shopify-Hmac-Sha256)",
        s.file.shopify_client_secret
    );
    println!(
        " Store           {} customers, {} products ({} variants), {} orders, \
         {} abandoned + {} completed checkouts, {} restocks",
        f.customers,
        f.products,
        f.variants,
        f.orders,
        f.abandoned_checkouts,
        f.completed_checkouts,
        f.restocked_variants
    );
    println!(
        " Fed             {} webhooks: {} accepted, {} duplicate (fed before), {} other, {} failed",
        r.sent, r.accepted, r.duplicate, r.other, r.failed
    );
    if let Some(n) = s.dead_letters {
        println!(" Dead letters    {n}");
    }
    for msg in &r.failures {
        println!("   failed: {msg}");
    }
    print_examples(s);
}

fn print_examples(s: &Summary<'_>) {
    let f = s.facts;
    let shop_h = match &s.auth.shop_header {
        Some(shop) => format!(" -H \"X-Galantis-Shop: {shop}\""),
        None => String::new(),
    };
    let get = |path: &str| {
        format!("curl -s -H \"Authorization: Bearer $KEY\"{shop_h} \"$GALANTIS_URL{path}\"")
    };
    println!("\n Look around:");
    println!("   export GALANTIS_URL={}", s.base);
    println!("   export KEY={}", s.auth.token);
    println!(
        "   export GALANTIS_OPERATOR_TOKEN={}",
        s.file.operator_token
    );
    println!("   {}", get("/api/v1/contacts?limit=5"));
    if let Some(id) = f.showcase_customer {
        println!("   {}", get(&format!("/api/v1/contacts/{id}")));
    }
    if let Some(name) = &f.showcase_last_name {
        println!(
            "   {}",
            get(&format!("/api/v1/contacts?q={}", query_escape(name)))
        );
    }
    if let Some(id) = f.missing_calling_code.first() {
        println!(
            "   {}   # CUSTOMER_IS_MISSING_CALLING_CODE",
            get(&format!("/api/v1/contacts/{id}"))
        );
    }
    println!("   {}", get("/api/v1/products?limit=5"));
    if let Some(id) = f.restocked_product {
        println!(
            "   {}   # restocked",
            get(&format!("/api/v1/products/{id}"))
        );
    }
    println!("   {}", get("/api/v1/events?limit=20"));
    println!("   {}", get("/api/v1/checkouts?limit=5"));
    println!("   {}", get("/api/v1/deadletters"));
    println!("   curl -s -H \"Authorization: Bearer $GALANTIS_OPERATOR_TOKEN\" \"$GALANTIS_URL/api/v1/tenants\"");
    println!("   curl -s \"$GALANTIS_URL/metrics\" | grep '^galantis_'");
    println!("   curl -s \"$GALANTIS_URL/api/v1/openapi.json\" | head -c 600; echo");
    print_signed_example(s);
}

/// A hand-made, signed `customer.tags_added`, the way Shopify would send it.
fn print_signed_example(s: &Summary<'_>) {
    let Some(id) = s.facts.showcase_customer else {
        return;
    };
    let now = utc_millis(time::OffsetDateTime::now_utc());
    println!("\n Send a webhook yourself (signed like Shopify signs it):");
    println!("   export SECRET={}", s.file.shopify_client_secret);
    println!(
        "   body='{{\"customerId\":\"gid://shopify/Customer/{id}\",\"tags\":[\"sandbox-test\"],\"occurredAt\":\"{now}\"}}'"
    );
    println!(
        "   curl -s -X POST \"$GALANTIS_URL/webhooks/shopify\" -H 'Content-Type: application/json' \\\n     \
         -H 'X-Shopify-Topic: customer.tags_added' -H 'X-Shopify-Shop-Domain: {}' \\\n     \
         -H \"X-Shopify-Webhook-Id: manual-$(date +%s%N)\" -H 'X-Shopify-API-Version: 2026-04' \\\n     \
         -H \"X-Shopify-Hmac-Sha256: $(printf %s \"$body\" | openssl dgst -sha256 -hmac \"$SECRET\" -binary | base64)\" \\\n     \
         -d \"$body\"",
        s.file.shop
    );
    println!();
}

/// Percent-encodes what a query value needs (names may have spaces or accents).
fn query_escape(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
