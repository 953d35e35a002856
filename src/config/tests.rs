use super::*;

#[test]
fn unknown_keys_are_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("c.toml");
    std::fs::write(&f, "[server]\nlisten = \"127.0.0.1:0\"\nlistne = 1\n").expect("write");
    let err = Settings::load(Some(&f)).expect_err("unknown key");
    assert!(err.to_string().contains("listne"), "{err}");
}

#[test]
fn file_values_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("c.toml");
    std::fs::write(&f, "[store]\ncache_mb = 64\n").expect("write");
    let s = Settings::load(Some(&f)).expect("loads");
    assert_eq!(s.store.cache_mb, 64);
    assert_eq!(s.shopify.api_version, "2026-04");
}

#[test]
fn the_checkout_poll_period_takes_whole_or_fractional_minutes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("c.toml");
    std::fs::write(&f, "[shopify]\nabandoned_checkout_poll_minutes = 5\n").expect("write");
    let s = Settings::load(Some(&f)).expect("an integer loads");
    assert!((s.shopify.abandoned_checkout_poll_minutes - 5.0).abs() < f64::EPSILON);
    std::fs::write(&f, "[shopify]\nabandoned_checkout_poll_minutes = 0.5\n").expect("write");
    let s = Settings::load(Some(&f)).expect("a fraction loads");
    assert!((s.shopify.abandoned_checkout_poll_minutes - 0.5).abs() < f64::EPSILON);
    assert!(
        (Settings::default().shopify.abandoned_checkout_poll_minutes - 10.0).abs() < f64::EPSILON
    );
}

#[test]
fn serve_needs_a_master_key() {
    let s = Settings::default();
    let err = s.validate_for_serve().expect_err("no key");
    assert!(err.to_string().contains("GALANTIS_MASTER_KEY"));
}

#[test]
fn server_limits_are_validated() {
    let ok = ServerSettings::default();
    assert!(ok.validate().is_ok());
    let mut s = ok.clone();
    s.header_read_timeout_ms = 0;
    assert!(s.validate().is_err());
    let mut s = ok.clone();
    s.max_connections = 0;
    assert!(s.validate().is_err());
    let mut s = ok;
    s.max_body_bytes_in_flight = s.max_body_bytes - 1;
    let err = s.validate().expect_err("budget below one body");
    assert!(
        err.to_string().contains("max_body_bytes_in_flight"),
        "{err}"
    );
}
