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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_and_deadletter_commands_talk_to_a_running_engine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut engine = crate::crash::start_engine_with(dir.path(), &[]);
    let client = crate::helpers::http();
    crate::crash::wait_ready(&client, &engine.base).await;
    let run = |args: &[&str]| {
        let out = galantis()
            .args(args)
            .args(["--url", &engine.base])
            .env("GALANTIS_OPERATOR_TOKEN", crate::helpers::OPERATOR)
            .output()
            .expect("run");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = run(&[
        "tenant",
        "add",
        "--shop",
        "cli-shop.myshopify.com",
        "--shopify-token",
        "shpat_cli",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("glt_") && err.contains("only once"),
        "{out} {err}"
    );
    assert!(!out.contains("shpat_cli"), "the token is never printed");
    let (ok, out, _) = run(&["tenant", "list"]);
    assert!(ok && out.contains("cli-shop.myshopify.com"), "{out}");
    let (ok, _, err) = run(&[
        "tenant",
        "add",
        "--shop",
        "bad shop",
        "--shopify-token",
        "x",
    ]);
    assert!(!ok && err.contains("invalid_shop_domain"), "{err}");
    // A broken payload becomes a dead letter; the CLI lists and replays it.
    let body = b"{\"id\": 1, ".to_vec();
    let r = client
        .post(format!("{}/webhooks/shopify", engine.base))
        .header("X-Shopify-Topic", "customers/create")
        .header("X-Shopify-Shop-Domain", "cli-shop.myshopify.com")
        .header("X-Shopify-Webhook-Id", "cli-broken")
        .header("X-Shopify-API-Version", "2026-04")
        .header(
            "X-Shopify-Hmac-Sha256",
            galantis::integrations::shopify::webhook::sign(
                crate::helpers::SECRET.as_bytes(),
                &body,
            ),
        )
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    let mut listed = String::new();
    for _ in 0..100 {
        let (_, out, _) = run(&["deadletter", "list", "--shop", "cli-shop.myshopify.com"]);
        if out.contains("cli-broken") {
            listed = out;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(listed.contains("does not parse"), "{listed}");
    let (ok, out, err) = run(&[
        "deadletter",
        "replay",
        "--shop",
        "cli-shop.myshopify.com",
        "--all",
    ]);
    assert!(ok && out.contains("requeued_as"), "{out} {err}");
    let (ok, _, _) = run(&["tenant", "remove", "--shop", "cli-shop.myshopify.com"]);
    assert!(ok);
    engine.child.kill().expect("kill");
    let _ = engine.child.wait();
}
