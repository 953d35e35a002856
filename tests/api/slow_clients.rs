//! Slow and greedy clients (issue #9, point 2): slow headers, idle sockets and trickled
//! bodies are closed or refused within the configured timeouts, an oversized declared
//! length is refused before its body is sent, and the bytes of bodies in flight are
//! bounded. Timeouts are short here; assertions allow ten times the configured value.

use crate::helpers::{spawn_app_with, TestApp};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SHORT_MS: u64 = 300;

fn bound() -> Duration {
    Duration::from_millis(SHORT_MS * 10)
}

async fn connect(app: &TestApp) -> TcpStream {
    let addr = app.base.trim_start_matches("http://");
    TcpStream::connect(addr).await.expect("connect")
}

/// Reads until the server closes the connection (EOF or reset); everything read.
/// Panics if it is still open after `within`.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> String {
    let mut got = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the connection is still open after {within:?}; read so far: {:?}",
        String::from_utf8_lossy(&got)
    );
    String::from_utf8_lossy(&got).into_owned()
}

/// The server still answers another client.
async fn another_client_is_served(app: &TestApp) {
    let r = tokio::time::timeout(
        bound(),
        app.client.get(format!("{}/healthz", app.base)).send(),
    )
    .await
    .expect("another client is answered in time")
    .expect("request");
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_slowly_trickled_header_is_closed_after_the_header_timeout() {
    let app = spawn_app_with(|s| s.server.header_read_timeout_ms = SHORT_MS).await;
    let mut slow = connect(&app).await;
    let (mut rd, mut wr) = slow.split();
    let trickle = async {
        for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if wr.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let closed = async {
        let mut buf = [0u8; 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    let (r, ()) = tokio::join!(tokio::time::timeout(bound(), closed), async {
        another_client_is_served(&app).await;
    });
    drop(trickle);
    assert!(
        r.is_ok(),
        "a trickled header is still open after {:?}",
        bound()
    );
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let app = spawn_app_with(|s| s.server.idle_timeout_ms = SHORT_MS).await;
    // One that never sends a byte, one that goes idle after a request (keep-alive).
    let mut silent = connect(&app).await;
    let mut kept = connect(&app).await;
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    another_client_is_served(&app).await;
    read_until_closed(&mut silent, bound()).await;
    let answered = read_until_closed(&mut kept, bound()).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
}

#[tokio::test]
async fn a_declared_length_above_the_limit_is_refused_before_the_body_is_sent() {
    let app = spawn_app_with(|_| {}).await;
    let mut s = connect(&app).await;
    let too_big = app.settings.server.max_body_bytes + 1;
    s.write_all(
        format!(
            "POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {too_big}\r\nExpect: 100-continue\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .expect("write");
    let answer = read_until_closed(&mut s, bound()).await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "first line is not a 413: {answer}"
    );
    assert!(answer.contains(r#""code":"body_too_large""#), "{answer}");
}

#[tokio::test]
async fn a_trickled_body_gets_408_after_the_body_timeout() {
    let app = spawn_app_with(|s| s.server.body_read_timeout_ms = SHORT_MS).await;
    let mut s = connect(&app).await;
    let (mut rd, mut wr) = s.split();
    let trickle = async {
        let head = "POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
        if wr.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        loop {
            if wr.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let answer = async {
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return String::from_utf8_lossy(&got).into_owned(),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    let answer = tokio::select! {
        a = tokio::time::timeout(bound(), answer) => a,
        () = trickle => panic!("the trickle stopped first"),
    };
    let answer = answer.expect("a trickled body is still being read");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"body_timeout""#), "{answer}");
}

#[tokio::test]
async fn bodies_beyond_the_in_flight_budget_get_503() {
    // Room for one body of the maximum size at a time.
    let app = spawn_app_with(|s| {
        s.server.max_body_bytes_in_flight = s.server.max_body_bytes;
        s.server.body_read_timeout_ms = 20_000;
    })
    .await;
    let max = app.settings.server.max_body_bytes;
    // A slow client declares most of the budget and sends only part of it.
    let mut hog = connect(&app).await;
    let declared = max - 1024;
    hog.write_all(
        format!("POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Length: {declared}\r\n\r\n")
            .as_bytes(),
    )
    .await
    .expect("write");
    hog.write_all(&vec![b' '; 1024]).await.expect("write");
    let mut status = 0;
    for _ in 0..50 {
        let r = app
            .client
            .post(format!("{}/webhooks/shopify", app.base))
            .header("Content-Type", "application/json")
            .body(vec![b' '; 64 * 1024])
            .send()
            .await
            .expect("request");
        status = r.status().as_u16();
        if status == 503 {
            assert!(r.headers().contains_key("retry-after"));
            let body: serde_json::Value = r.json().await.expect("json");
            assert_eq!(body["code"], "unavailable");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, 503, "a body beyond the budget was taken in");
    // Once the slow body is gone, the budget is free again.
    drop(hog);
    let mut last = 0;
    for _ in 0..100 {
        let r = app
            .client
            .post(format!("{}/webhooks/shopify", app.base))
            .body(vec![b' '; 64 * 1024])
            .send()
            .await
            .expect("request");
        last = r.status().as_u16();
        if last != 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_ne!(
        last, 503,
        "the budget is released when the slow client leaves"
    );
}

#[tokio::test]
async fn connections_above_the_cap_wait_until_one_closes() {
    // (The readiness probe's pooled connection holds the one slot until it idles out.)
    let app = spawn_app_with(|s| {
        s.server.max_connections = 1;
        s.server.header_read_timeout_ms = 2_000;
        s.server.idle_timeout_ms = 2_000;
    })
    .await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut first = connect(&app).await;
    first.write_all(request).await.expect("write");
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(20), first.read(&mut buf))
        .await
        .expect("the first client is served once the slot is free")
        .expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
    // The first keeps its connection: a second client waits for it.
    let mut second = connect(&app).await;
    second.write_all(request).await.expect("write");
    let early = tokio::time::timeout(Duration::from_millis(SHORT_MS), second.read(&mut buf)).await;
    assert!(early.is_err(), "a connection above the cap was served");
    drop(first);
    let n = tokio::time::timeout(bound(), second.read(&mut buf))
        .await
        .expect("the waiting client is served once a connection closes")
        .expect("read");
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
}

/// What hyper answers by itself (a request it cannot parse, a target or head too large)
/// carries the API's JSON error body like every other error (issue #9, point 5).
#[tokio::test]
async fn requests_the_http_layer_refuses_get_json_error_bodies() {
    let app = spawn_app_with(|_| {}).await;
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
    let mut many_headers = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..120 {
        many_headers.push_str(&format!("X-H{i}: v\r\n"));
    }
    many_headers.push_str("\r\n");
    let cases = [
        (
            "NOT HTTP AT ALL\r\n\r\n".to_string(),
            "400",
            "malformed_request",
        ),
        (long_target, "414", "uri_too_long"),
        (many_headers, "431", "headers_too_large"),
    ];
    for (request, status, code) in cases {
        let mut stream = connect(&app).await;
        stream.write_all(request.as_bytes()).await.expect("write");
        let answer = read_until_closed(&mut stream, bound()).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{status}: {answer}"
        );
        assert!(
            answer.contains("content-type: application/json"),
            "{answer}"
        );
        let body = answer.split("\r\n\r\n").nth(1).expect("a body");
        let body: serde_json::Value = serde_json::from_str(body).expect("JSON body");
        assert_eq!(body["code"], code, "{answer}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    another_client_is_served(&app).await;
}
