//! Meta refusing campaign messages, on the campaign lane: a throughput error (130429) is
//! retried and the message goes; a permanent refusal (131026) fails that recipient with
//! Meta's code; the campaign ends PARTIALLY_SENT with its counts exact, each recipient
//! reached at most once.

use crate::automations::setup_with;
use crate::campaigns::{campaign_to, launch, wait_status};
use galantis::sandbox::meta::Fault;
use serde_json::json;
use std::collections::BTreeMap;

#[tokio::test]
async fn meta_refusals_are_retried_or_failed_by_their_class() {
    let (emu, app, key) = setup_with(1, |_| {}).await;
    let ids: Vec<u64> = (0..6).map(|i| 7100 + i).collect();
    let id = campaign_to(&app, &key, "Refusals", &ids, "+447700905").await;
    // The first send meets a throughput error, the second a permanent refusal.
    emu.fail_next(Fault::RateLimited, 1);
    emu.fail_next(Fault::Final(131026), 1);
    launch(&app, &key, &id).await;
    let v = wait_status(&app, &key, &id, "PARTIALLY_SENT").await;
    let p = &v["progress"];
    assert_eq!(
        (p["sent"].as_u64(), p["failed"].as_u64()),
        (Some(5), Some(1)),
        "{v}"
    );
    assert_eq!(p["failed_by_code"], json!({"131026": 1}), "{v}");
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for m in emu.sent() {
        if m.body["template"]["name"] == "cart_std" {
            *accepted
                .entry(m.body["to"].as_str().unwrap_or_default().to_string())
                .or_default() += 1;
        }
    }
    assert_eq!(accepted.len(), 5, "{accepted:?}");
    assert!(accepted.values().all(|n| *n == 1), "{accepted:?}");
}
