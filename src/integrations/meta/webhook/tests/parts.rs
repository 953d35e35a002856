//! Parsing change by change ([`parse_parts`]): a bad change does not sink the good ones,
//! each part can be kept and re-parsed alone, and times outside 1970..2100 are refused.

use super::*;

/// A `messages` change of number `pnid` with one text message sent at `ts` (raw JSON).
fn text_change(pnid: &str, wamid: &str, ts: &str) -> String {
    format!(
        r#"{{"field":"messages","value":{{"messaging_product":"whatsapp",
        "metadata":{{"display_phone_number":"15550001111","phone_number_id":"{pnid}"}},
        "messages":[{{"from":"16135550199","id":"{wamid}","timestamp":{ts},"type":"text","text":{{"body":"hi"}}}}]}}}}"#
    )
}

fn delivery(entries: &[(&str, Vec<String>)]) -> Vec<u8> {
    let entries: Vec<String> = entries
        .iter()
        .map(|(id, changes)| format!(r#"{{"id":"{id}","changes":[{}]}}"#, changes.join(",")))
        .collect();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

#[test]
fn a_bad_change_leaves_the_good_ones_parsed_and_is_named() {
    let body = delivery(&[
        (
            "900",
            vec![text_change("111", "wamid.A", r#""1767225600""#)],
        ),
        (
            "901",
            vec![
                r#"{"field":"messages","value":{"metadata":{"phone_number_id":"222"},
                "statuses":[{"status":"delivered","timestamp":"1767225600"}]}}"#
                    .to_string(),
            ],
        ),
    ]);
    assert!(parse(&body).is_err(), "the strict parse refuses it whole");
    let parts = parse_parts(&body).expect("envelope is fine");
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].location, "entry[0].changes[0]");
    let good = parts[0].events.as_ref().expect("good change");
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].phone_number_id(), Some("111"));
    assert_eq!(parts[1].location, "entry[1].changes[0]");
    let bad = parts[1].events.as_ref().expect_err("bad change");
    assert!(bad.to_string().contains("entry[1].changes[0]"), "{bad}");
    // Each part alone is a delivery that parses (or fails) the same way.
    assert_eq!(parse(&parts[0].body).as_ref(), Ok(good));
    assert!(parse(&parts[1].body).is_err());
    assert_eq!(
        routing_hints(&parts[1].body),
        vec![
            RouteHint::PhoneNumber("222".into()),
            RouteHint::Waba("901".into())
        ]
    );
}

#[test]
fn a_single_change_delivery_is_kept_as_meta_sent_it() {
    let body = delivery(&[("900", vec![text_change("111", "wamid.A", "\"x\"")])]);
    let parts = parse_parts(&body).expect("parts");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].body, body);
    assert!(parts[0].events.is_err());
}

#[test]
fn a_malformed_entry_is_one_bad_part_and_the_envelope_still_fails_whole() {
    let body = br#"{"object":"whatsapp_business_account","entry":[{"changes":[]},{"id":"9","changes":[]}]}"#;
    let parts = parse_parts(body).expect("parts");
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].location, "entry[0]");
    assert!(parts[0].events.is_err());
    assert!(parse_parts(b"{not json").is_err());
    assert!(parse_parts(br#"{"object":"page","entry":[]}"#).is_err());
}

#[test]
fn times_outside_1970_to_2100_are_refused_per_change() {
    for ts in [
        "\"253402300800\"",    // 10000-01-01: cannot even be written as RFC 3339
        "\"4102444800\"",      // 2100-01-01: not plausible
        "-62135596801",        // before year 1
        "\"-1\"",              // before the epoch
        "9223372036854775807", // would overflow milliseconds
    ] {
        let body = delivery(&[(
            "900",
            vec![
                text_change("111", "wamid.ok", "\"1767225600\""),
                text_change("111", "wamid.bad", ts),
            ],
        )]);
        let parts = parse_parts(&body).expect("parts");
        assert!(parts[0].events.is_ok(), "{ts}");
        let e = parts[1].events.as_ref().expect_err(ts).to_string();
        assert!(
            e.contains("entry[0].changes[1]") && e.contains("2100-01-01"),
            "{ts}: {e}"
        );
    }
    // The last second before 2100 and the epoch itself are fine.
    for ts in ["\"4102444799\"", "0"] {
        let body = delivery(&[("900", vec![text_change("111", "wamid.edge", ts)])]);
        assert!(parse(&body).is_ok(), "{ts}");
    }
    // An entry time out of range makes its whole entry a bad part.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"9","time":99999999999999,"changes":[]}]}"#;
    let parts = parse_parts(body).expect("parts");
    let e = parts[0].events.as_ref().expect_err("time").to_string();
    assert!(e.contains("entry[0]") && e.contains("`time`"), "{e}");
}
