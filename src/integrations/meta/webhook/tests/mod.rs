//! Tests of Meta webhook parsing, with the fixture helpers they share: every fixture
//! parses into the expected events ([`fixtures`]); signature and challenge checks, dedupe
//! keys, status ordering, bincode round trips ([`checks`]); proptests that parsing never
//! panics on arbitrary or mutated input ([`fuzz`]).

use super::*;
use crate::domain::money::Money;
use crate::domain::timestamp::Timestamp;
use proptest::prelude::*;
use serde_json::Value;
use std::path::PathBuf;

mod checks;
mod fixtures;
mod fuzz;
mod parts;

/// `$GALANTIS_FIXTURES/meta/webhooks` or `../shared/fixtures/meta/webhooks`. Missing =
/// failure, never a skip.
fn fixtures_dir() -> PathBuf {
    let base = std::env::var_os("GALANTIS_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures"));
    let dir = base.join("meta/webhooks");
    assert!(
        dir.is_dir(),
        "Meta webhook fixtures folder {} is missing",
        dir.display()
    );
    dir
}

/// Every fixture, sorted by name: (file name, bytes).
fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let dir = fixtures_dir();
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            let bytes =
                std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()));
            (name, bytes)
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {}", dir.display());
    out
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures_dir().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// The single event of a fixture.
fn one(name: &str, bytes: &[u8]) -> MetaEvent {
    let mut events = parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(events.len(), 1, "{name}: {events:?}");
    events.remove(0)
}

const PNID: &str = "106540352242922";
const DISPLAY: &str = "15550783881";

fn inbound(name: &str, bytes: &[u8]) -> InboundMessage {
    match one(name, bytes) {
        MetaEvent::InboundMessage(m) => {
            assert_eq!(m.phone_number_id, PNID, "{name}");
            assert_eq!(m.display_phone_number, DISPLAY, "{name}");
            assert_eq!(m.from, "16505551234", "{name}");
            assert!(m.wamid.starts_with("wamid."), "{name}");
            m
        }
        other => panic!("{name}: expected an inbound message, got {other:?}"),
    }
}

fn status(name: &str, bytes: &[u8]) -> StatusUpdate {
    match one(name, bytes) {
        MetaEvent::Status(s) => s,
        other => panic!("{name}: expected a status, got {other:?}"),
    }
}

fn account(name: &str, bytes: &[u8]) -> AccountUpdate {
    match one(name, bytes) {
        MetaEvent::AccountUpdate(a) => a,
        other => panic!("{name}: expected an account update, got {other:?}"),
    }
}

fn template(name: &str, bytes: &[u8]) -> TemplateStatusUpdate {
    match one(name, bytes) {
        MetaEvent::TemplateStatus(t) => t,
        other => panic!("{name}: expected a template status, got {other:?}"),
    }
}

fn secs(s: i64) -> Timestamp {
    Timestamp(s * 1000)
}
