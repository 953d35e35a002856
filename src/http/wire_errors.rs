//! JSON bodies for the answers hyper writes by itself. When a request cannot even be
//! parsed (a malformed request line or header, a URI or head too large), hyper answers
//! 400, 414 or 431 with no body and closes the connection, before any of our code sees a
//! request, and offers no hook to change it. The socket wrapper of [`super::serve`] passes
//! every write through [`rewrite`], which recognises exactly those answers (one of these
//! statuses, `content-length: 0`, nothing after the head) and gives them the API's error
//! body (`{"code", "message"}`, as [`super::error::ErrorBody`]). Our own handlers never
//! answer these statuses without a body, so nothing else is touched.
//! Owns no socket and no state: a pure function over the bytes hyper writes.

/// The code and message of an automatic answer, by status.
fn describe(status: &[u8]) -> Option<(&'static str, &'static str)> {
    match status {
        b"400" => Some((
            "malformed_request",
            "the request is not valid HTTP/1.1: check the request line and the headers",
        )),
        b"414" => Some((
            "uri_too_long",
            "the request target (path and query) is longer than the server accepts",
        )),
        b"431" => Some((
            "headers_too_large",
            "the request's headers are larger, or more numerous, than the server accepts",
        )),
        _ => None,
    }
}

/// The bytes to send instead of `written` when `written` is one of hyper's automatic error
/// answers (a whole head with `content-length: 0` and nothing after it); `None` otherwise.
pub fn rewrite(written: &[u8]) -> Option<Vec<u8>> {
    let rest = written.strip_prefix(b"HTTP/1.1 ")?;
    let (code, message) = describe(rest.get(..3)?)?;
    let end = find(written, b"\r\n\r\n")? + 4;
    if end != written.len() {
        return None;
    }
    let head = &written[..end - 2];
    let mut lines = head.split(|&b| b == b'\n');
    let status_line = lines.next()?;
    let mut headers: Vec<&[u8]> = Vec::new();
    let mut empty_body = false;
    for line in lines.filter(|l| !l.is_empty() && *l != b"\r") {
        let lower = line.to_ascii_lowercase();
        if lower.starts_with(b"content-length:") {
            empty_body = lower.ends_with(b": 0\r");
        } else if !lower.starts_with(b"content-type:") && !lower.starts_with(b"connection:") {
            headers.push(line);
        }
    }
    if !empty_body {
        return None;
    }
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    let mut out = Vec::with_capacity(end + body.len() + 96);
    out.extend_from_slice(status_line);
    out.push(b'\n');
    for h in headers {
        out.extend_from_slice(h);
        out.push(b'\n');
    }
    out.extend_from_slice(b"content-type: application/json\r\nconnection: close\r\n");
    out.extend_from_slice(format!("content-length: {}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body.as_bytes());
    Some(out)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(out: &[u8]) -> serde_json::Value {
        let at = find(out, b"\r\n\r\n").expect("head") + 4;
        serde_json::from_slice(&out[at..]).expect("json body")
    }

    #[test]
    fn hyper_automatic_answers_get_json_bodies() {
        for (status, code) in [
            ("400 Bad Request", "malformed_request"),
            ("414 URI Too Long", "uri_too_long"),
            ("431 Request Header Fields Too Large", "headers_too_large"),
        ] {
            let head = format!(
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\ndate: Fri, 04 Dec 2026 23:00:00 GMT\r\n\r\n"
            );
            let out = rewrite(head.as_bytes()).expect(status);
            let text = String::from_utf8_lossy(&out);
            assert!(
                text.starts_with(&format!("HTTP/1.1 {status}\r\n")),
                "{text}"
            );
            assert!(text.contains("date: Fri, 04 Dec 2026"), "{text}");
            assert!(
                text.contains("content-type: application/json\r\n"),
                "{text}"
            );
            let body = body_of(&out);
            assert_eq!(body["code"], code);
            let len = format!("content-length: {}\r\n", body.to_string().len());
            assert!(text.contains(&len), "{text}");
        }
    }

    #[test]
    fn everything_else_is_left_alone() {
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 20\r\n\r\n";
        assert_eq!(rewrite(ours), None);
        let with_body = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nx";
        assert_eq!(rewrite(with_body), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(rewrite(ok), None);
        let partial = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n";
        assert_eq!(rewrite(partial), None);
        assert_eq!(rewrite(b"{\"items\":[]}"), None);
    }
}
