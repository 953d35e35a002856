//! The command line: `serve` refuses to start without a master key and says how to make
//! one; `config check` rejects unknown keys; `keygen` makes a usable key.

use std::process::Command;

fn galantis() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_galantis"));
    for v in [
        "GALANTIS_MASTER_KEY",
        "GALANTIS_SHOPIFY_CLIENT_SECRET",
        "GALANTIS_OPERATOR_TOKEN",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    c
}

#[test]
fn serve_without_a_master_key_refuses_and_explains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = galantis()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("GALANTIS_MASTER_KEY") && err.contains("keygen"),
        "{err}"
    );
}

#[test]
fn config_check_rejects_unknown_keys_and_accepts_a_good_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nlisten = \"127.0.0.1:0\"\nmax_bodee = 3\n").expect("write");
    let out = galantis()
        .args(["config", "check", "--config"])
        .arg(&bad)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_bodee"));

    let key = galantis().arg("keygen").output().expect("keygen");
    let key = String::from_utf8_lossy(&key.stdout).trim().to_string();
    assert_eq!(key.len(), 64);
    let good = dir.path().join("good.toml");
    std::fs::write(
        &good,
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\ncache_mb = 32\n",
    )
    .expect("write");
    let out = galantis()
        .args(["config", "check", "--config"])
        .arg(&good)
        .env("GALANTIS_MASTER_KEY", &key)
        .env("GALANTIS_SHOPIFY_CLIENT_SECRET", "s")
        .env("GALANTIS_OPERATOR_TOKEN", "operator-token-0123456789")
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("configuration OK"));
    assert!(
        !stdout.contains(&key) && !stdout.contains("operator-token-0123456789"),
        "secrets printed: {stdout}"
    );
}
