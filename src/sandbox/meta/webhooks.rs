//! Webhooks to the engine, shaped like Meta's (`webhooks/inbound_text.json`,
//! `status_*.json`): the `whatsapp_business_account` envelope, `entry[].id` = WABA id,
//! `value.metadata`, string unix timestamps. Bodies are serialised the way Meta does
//! (non-ASCII as `\uXXXX`, `/` as `\/`), signed with the app secret
//! (`X-Hub-Signature-256: sha256=<hex>`) and retried with doubling waits when the engine
//! does not answer 2xx; what still fails is recorded. Also the customer side: inbound
//! messages that open the 24 h window. Imports `faults`, `model` and `state`; never the
//! template handlers, `review`, any other handler module or the router.

use super::faults::ApiError;
use super::model::{digits, now_unix, Change, EmulatedTemplate, WebhookFailure};
use super::state::Shared;
use crate::integrations::meta::webhook::{sign, SIGNATURE_HEADER};
use anyhow::{bail, Context};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::Duration;

/// What the status webhooks of an accepted message need.
pub(crate) struct StatusPlan {
    pub waba_id: String,
    pub phone_number_id: String,
    pub display: String,
    pub wamid: String,
    pub recipient: String,
    /// Pricing category: `service`, `utility`, `marketing`, `authentication`.
    pub category: String,
    /// Free (`free_customer_service`) rather than `regular`.
    pub free: bool,
    /// Send `failed` with this code instead of `delivered`/`read`.
    pub failure: Option<i64>,
}

/// Schedules `sent` → `delivered` → `read` (or `sent` → `failed`).
pub(crate) fn spawn_statuses(sh: Arc<Shared>, plan: StatusPlan) {
    tokio::spawn(async move { run_statuses(&sh, &plan).await });
}

async fn run_statuses(sh: &Shared, p: &StatusPlan) {
    let d = sh.cfg.status_delays.clone();
    let mut steps = vec![(d.sent, "sent")];
    if p.failure.is_some() {
        steps.push((d.delivered, "failed"));
    } else {
        steps.push((d.delivered, "delivered"));
        if sh.cfg.auto_read {
            steps.push((d.read, "read"));
        }
    }
    let mut waited = Duration::ZERO;
    for (at, status) in steps {
        if !sh.sleep(at.saturating_sub(waited)).await {
            return;
        }
        waited = waited.max(at);
        let body = status_body(sh, p, status);
        deliver(sh, &format!("status:{status}"), &body).await;
    }
}

/// The graph version's major number (`v23.0` → 23).
fn major(version: &str) -> u32 {
    version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

fn status_body(sh: &Shared, p: &StatusPlan, status: &str) -> Value {
    let now = now_unix();
    let mut s = json!({
        "id": p.wamid,
        "status": status,
        "timestamp": now.to_string(),
        "recipient_id": p.recipient,
    });
    if matches!(status, "sent" | "delivered") {
        s["pricing"] = json!({
            "billable": !p.free,
            "pricing_model": "PMP",
            "type": if p.free { "free_customer_service" } else { "regular" },
            "category": p.category,
        });
        // Conversations are left out from v24.0 on (outside free entry points).
        if major(&sh.cfg.graph_version) < 24 {
            let id = hex::encode(&Sha256::digest(p.wamid.as_bytes())[..16]);
            s["conversation"] = json!({"id": id, "origin": {"type": p.category}});
            if status == "sent" {
                s["conversation"]["expiration_timestamp"] = (now + 86_400).to_string().into();
            }
        }
    }
    if let (Some(code), "failed") = (p.failure, status) {
        let (title, details) = ApiError::title_and_details(code);
        s["errors"] = json!([{
            "code": code, "title": title, "message": title,
            "error_data": {"details": details},
            "href": "/documentation/business-messaging/whatsapp/support/error-codes",
        }]);
    }
    envelope(
        &p.waba_id,
        &p.phone_number_id,
        &p.display,
        json!({ "statuses": [s] }),
    )
}

/// `{"object", "entry": [{"id": waba, "changes": [{"value": {messaging_product, metadata, …}, "field": "messages"}]}]}`.
fn envelope(waba_id: &str, pnid: &str, display: &str, extra: Value) -> Value {
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": display, "phone_number_id": pnid},
    });
    if let (Some(v), Some(e)) = (value.as_object_mut(), extra.as_object()) {
        v.extend(e.clone());
    }
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": waba_id, "changes": [{"value": value, "field": "messages"}]}],
    })
}

/// A customer's message to a business number: records it (window, read receipts) and
/// delivers the inbound webhook. Returns the wamid.
pub(crate) async fn customer_message(
    sh: &Shared,
    pnid: &str,
    from: &str,
    name: Option<&str>,
    content: Value,
) -> anyhow::Result<String> {
    let wa_id = digits(from);
    if !(7..=15).contains(&wa_id.len())
        || from
            .chars()
            .any(|c| !(c.is_ascii_digit() || "+-() ".contains(c)))
    {
        bail!("`from` must be a phone number in international format, got {from:?}");
    }
    let kind = content
        .get("type")
        .and_then(Value::as_str)
        .context("the message content needs a `type`")?
        .to_owned();
    if content.get(&kind).is_none() && !matches!(kind.as_str(), "unsupported" | "unknown") {
        bail!("the message content has type {kind:?} but no `{kind}` object");
    }
    let (waba_id, display, wamid, now) = {
        let mut st = sh.lock();
        let n = st
            .numbers
            .get(pnid)
            .with_context(|| format!("unknown phone number id {pnid}"))?;
        let (waba_id, display) = (n.waba_id.clone(), n.display.clone());
        let wamid = st.next_wamid(&wa_id);
        let now = now_unix();
        st.last_inbound
            .insert((pnid.to_owned(), wa_id.clone()), now);
        st.inbound.insert(wamid.clone(), pnid.to_owned());
        (waba_id, display, wamid, now)
    };
    // The content first, so it cannot replace the sender, id or time.
    let mut message = content;
    if let Some(m) = message.as_object_mut() {
        m.insert("from".into(), wa_id.clone().into());
        m.insert("id".into(), wamid.clone().into());
        m.insert("timestamp".into(), now.to_string().into());
    }
    let tail: String = wa_id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let profile = name.map_or_else(|| format!("Customer {tail}"), str::to_owned);
    let extra = json!({
        "contacts": [{"profile": {"name": profile}, "wa_id": wa_id}],
        "messages": [message],
    });
    deliver(sh, "inbound", &envelope(&waba_id, pnid, &display, extra)).await;
    Ok(wamid)
}

/// Meta's serialisation: non-ASCII as `\uXXXX` (lowercase hex), `/` as `\/`.
pub(crate) fn meta_json(v: &Value) -> String {
    let raw = v.to_string();
    let mut out = String::with_capacity(raw.len() + 16);
    for c in raw.chars() {
        if c == '/' {
            out.push_str("\\/");
        } else if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// Signs and posts a webhook, retrying; true when the engine answered 2xx. Without a
/// webhook URL statuses are dropped silently and other kinds are recorded as failures.
pub(crate) async fn deliver(sh: &Shared, kind: &str, body: &Value) -> bool {
    let url = sh.lock().webhook_url.clone();
    let Some(url) = url else {
        if !kind.starts_with("status") {
            record(sh, kind, None, 0, "no webhook URL is set".into());
        }
        return false;
    };
    let bytes = meta_json(body).into_bytes();
    let signature = sign(sh.cfg.app_secret.as_bytes(), &bytes);
    let attempts = sh.cfg.webhook_attempts.max(1);
    let mut last = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            let wait = sh
                .cfg
                .webhook_retry_base
                .saturating_mul(1 << (attempt - 1).min(10));
            if !sh.sleep(wait).await {
                return false;
            }
        }
        let sent = sh
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .header(SIGNATURE_HEADER, &signature)
            .body(bytes.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                sh.lock().delivered += 1;
                return true;
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                last = format!(
                    "HTTP {status}: {}",
                    text.chars().take(300).collect::<String>()
                );
            }
            Err(e) => last = e.without_url().to_string(),
        }
    }
    tracing::warn!(message = "Meta emulator webhook not delivered.", kind, error = %last);
    record(sh, kind, Some(url), attempts, last);
    false
}

fn record(sh: &Shared, kind: &str, url: Option<String>, attempts: u32, error: String) {
    sh.lock().failures.push(WebhookFailure {
        kind: kind.to_owned(),
        url,
        attempts,
        error,
    });
}

/// The `message_template_status_update` delivery for a template's new state.
pub(crate) fn template_status(t: &EmulatedTemplate, change: &Change) -> Value {
    let id: Value =
        t.id.parse::<u64>()
            .map(Value::from)
            .unwrap_or_else(|_| t.id.clone().into());
    let mut value = json!({
        "event": t.status,
        "message_template_id": id,
        "message_template_name": t.name,
        "message_template_language": t.language,
        "reason": t.rejected_reason,
        "message_template_category": t.category,
    });
    match change {
        Change::Reject(r) => {
            value["rejection_info"] = json!({
                "reason": rejection_text(r),
                "recommendation": "Edit the template to follow the WhatsApp Business Messaging Policy and submit it again.",
            });
        }
        Change::Pause => {
            value["reason"] = Value::Null;
            value["other_info"] = json!({
                "title": "FIRST_PAUSE",
                "description": "Your WhatsApp message template has been paused for 3 hours because it had issues.",
            });
        }
        Change::Approve => {}
    }
    json!({
        "entry": [{"id": t.waba_id, "time": now_unix(), "changes": [{"value": value, "field": "message_template_status_update"}]}],
        "object": "whatsapp_business_account",
    })
}

fn rejection_text(reason: &str) -> &'static str {
    match reason.to_ascii_uppercase().as_str() {
        "INVALID_FORMAT" => "Your template has parameters placed next to each other (like {{1}}{{2}}) without text or punctuation between them.",
        "PROMOTIONAL" => "Your template was categorized as promotional content.",
        "INCORRECT_CATEGORY" => "The category you selected does not match the template content.",
        "ABUSIVE_CONTENT" => "Your template contains content that violates WhatsApp policies.",
        "SCAM" => "Your template was identified as a possible scam.",
        "TAG_CONTENT_MISMATCH" => "The template content does not match the category or language selected.",
        _ => "Your template does not follow the WhatsApp Business Messaging Policy.",
    }
}
