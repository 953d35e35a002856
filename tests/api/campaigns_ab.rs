//! A campaign's A/B test end to end: the sample is split exactly and deterministically
//! between the variants, the winner is picked by the metric after the wait (here: the
//! reply rate, B answered more), and the rest of the audience receives the winner.

use crate::automations::setup_with;
use crate::campaigns::{contact, create, launch, list, wait_status};
use crate::whatsapp_send::NUMBER;
use galantis::sandbox::meta::MetaEmulator;
use serde_json::json;
use std::collections::BTreeMap;

const N: u64 = 40;

fn phone(i: u64) -> String {
    format!("447700904{i:03}")
}

/// The variant each recipient got, by the link in its message.
fn variants(emu: &MetaEmulator) -> BTreeMap<String, Vec<char>> {
    let mut out: BTreeMap<String, Vec<char>> = BTreeMap::new();
    for m in emu.sent() {
        if m.body["template"]["name"] != "cart_std" {
            continue;
        }
        let text = m.body.to_string();
        let v = if text.contains("shop.example/a") {
            'A'
        } else {
            'B'
        };
        out.entry(m.body["to"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(v);
    }
    out
}

fn message(url: &str) -> serde_json::Value {
    json!({"template": {"name": "cart_std", "language": "en"},
           "body": [{"source": "customer.first_name", "fallback": "there"}, {"text": url}]})
}

#[tokio::test]
async fn the_sample_splits_exactly_and_the_rest_gets_the_winner() {
    // A minute of A/B wait takes a second.
    let (emu, app, key) = setup_with(60, |_| {}).await;
    let ids: Vec<u64> = (0..N).map(|i| 8000 + i).collect();
    for (i, id) in ids.iter().enumerate() {
        contact(&app, *id, Some(format!("+{}", phone(i as u64))), true, "GB").await;
    }
    let all = list(&app, &key, "All", &ids).await;
    let mut def = crate::campaigns::definition("A/B", json!({"include_lists": [all]}));
    def["message"] = message("https://shop.example/a");
    def["ab"] = json!({"variants": [message("https://shop.example/b")],
                       "sample_percent": 50, "metric": "REPLIED", "wait_minutes": 3});
    let id = create(&app, &key, def).await;
    let v = launch(&app, &key, &id).await;
    assert_eq!(v["ab"]["sample_size"], 20, "{v}");
    assert_eq!(v["ab"]["sample_by_variant"], json!([10, 10]), "{v}");

    // The sample went out, split 10 / 10; the rest waits for the winner.
    let v = app
        .eventually("the sample sent", || async {
            let (_, v) = app.get(&format!("/api/v1/campaigns/{id}"), &key).await;
            (v["ab"]["phase"] == "WAITING" && v["progress"]["sent"] == 20).then_some(v)
        })
        .await;
    let got = variants(&emu);
    assert_eq!(got.len(), 20, "only the sample so far: {got:?}");
    let b: Vec<&String> = got
        .iter()
        .filter(|(_, v)| v == &&vec!['B'])
        .map(|(k, _)| k)
        .collect();
    assert_eq!(b.len(), 10, "{got:?}");
    assert_eq!(v["status"], "SENDING", "{v}");
    // Three recipients of B answer, none of A.
    for to in b.iter().take(3) {
        emu.customer_says(NUMBER, to, "love it")
            .await
            .expect("reply");
    }
    let done = wait_status(&app, &key, &id, "SENT").await;
    assert_eq!(done["ab"]["winner"], "B", "{done}");
    let reason = done["ab"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("B"), "{reason}");
    assert_eq!(done["ab"]["variants"][1]["replied"], 3, "{done}");
    let got = variants(&emu);
    assert_eq!(got.len(), N as usize, "everyone once: {got:?}");
    assert!(got.values().all(|v| v.len() == 1), "{got:?}");
    let b_total = got.values().filter(|v| v[0] == 'B').count();
    assert_eq!(b_total, 30, "B: 10 in the sample + the 20 of the rest");
    assert_eq!(done["progress"]["sent"], N, "{done}");

    // The split is deterministic: the same campaign id gives the same sample (the unit
    // tests of `logic::campaigns::ab` check the permutation itself).
}
