//! Media (`reference/meta-api.md` §7): `POST /{version}/{phone-number-id}/media`
//! (multipart: `messaging_product`, `type`, `file`; Meta's MIME types and size limits,
//! else 131053) → `{"id"}`; the `GET /{version}/{media-id}` answer (`url`, `mime_type`,
//! `sha256`, `file_size`, `id`); and the download behind that URL, which like Meta's
//! needs the bearer token and expires after 5 minutes. A handler module: imports
//! `faults`, `guard`, `model` and `state`; never another handler module nor the router.

use super::faults::ApiError;
use super::guard::{authorize, bearer, check_version, Auth};
use super::model::{now_unix, MediaRecord};
use super::state::Shared;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// The largest request the upload route reads (documents may be 100 MB).
pub(crate) const MAX_UPLOAD: usize = 101 * 1024 * 1024;
/// Media ids are large numbers like Meta's.
const ID_BASE: u64 = 1_013_000_000_000_000;
/// How long a download URL works.
const URL_TTL_SECS: i64 = 300;

/// Meta's accepted types and their size limits.
fn limit(mime: &str) -> Option<usize> {
    const MB: usize = 1024 * 1024;
    Some(match mime {
        "audio/aac" | "audio/amr" | "audio/mpeg" | "audio/mp4" | "audio/ogg" => 16 * MB,
        "text/plain"
        | "application/pdf"
        | "application/msword"
        | "application/vnd.ms-excel"
        | "application/vnd.ms-powerpoint"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => 100 * MB,
        "image/jpeg" | "image/png" => 5 * MB,
        "image/webp" => 500 * 1024,
        "video/mp4" | "video/3gpp" => 16 * MB,
        _ => return None,
    })
}

/// One part of a multipart body.
struct Part {
    name: String,
    content_type: Option<String>,
    data: Bytes,
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// Splits a `multipart/form-data` body (RFC 7578).
fn parse_multipart(content_type: &str, body: &Bytes) -> Option<Vec<Part>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delim = format!("--{boundary}").into_bytes();
    let between = [b"\r\n".as_slice(), &delim].concat();
    let mut pos = find(body, &delim, 0)? + delim.len();
    let mut parts = Vec::new();
    while !body.get(pos..)?.starts_with(b"--") {
        pos += 2; // CRLF after the delimiter
        let end = find(body, &between, pos)?;
        let head_end = find(&body[..end], b"\r\n\r\n", pos)?;
        let head = String::from_utf8_lossy(&body[pos..head_end]);
        let mut name = None;
        let mut content_type = None;
        for line in head.lines() {
            let (key, value) = line.split_once(':')?;
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    name = value
                        .split(';')
                        .map(str::trim)
                        .find_map(|p| p.strip_prefix("name="))
                        .map(|n| n.trim_matches('"').to_owned());
                }
                "content-type" => content_type = Some(value.trim().to_owned()),
                _ => {}
            }
        }
        parts.push(Part {
            name: name?,
            content_type,
            data: body.slice(head_end + 4..end),
        });
        pos = end + between.len();
    }
    Some(parts)
}

/// The upload handler.
pub(crate) async fn upload(
    State(sh): State<Arc<Shared>>,
    Path((version, pnid)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sh.lock().count("upload_media");
    match store(&sh, &version, &pnid, &q, &headers, &body) {
        Ok(id) => Json(json!({ "id": id })).into_response(),
        Err(e) => e.into_response(),
    }
}

fn store(
    sh: &Shared,
    version: &str,
    pnid: &str,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<String, ApiError> {
    check_version(sh, version)?;
    match authorize(sh, headers, q)? {
        Auth::Token(rec) if rec.phone_number_ids.iter().any(|p| p == pnid) => {}
        _ => return Err(ApiError::no_object("post", pnid)),
    }
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return Err(ApiError::invalid(
            "The request must be multipart/form-data.",
        ));
    }
    let parts = parse_multipart(ct, body)
        .ok_or_else(|| ApiError::invalid("The multipart body is malformed."))?;
    let field = |n: &str| parts.iter().find(|p| p.name == n);
    let text = |n: &str| field(n).map(|p| String::from_utf8_lossy(&p.data).trim().to_owned());
    if text("messaging_product").as_deref() != Some("whatsapp") {
        return Err(ApiError::invalid(
            "The parameter messaging_product is required.",
        ));
    }
    let file = field("file").ok_or_else(|| ApiError::invalid("The parameter file is required."))?;
    let mime = text("type").ok_or_else(|| ApiError::invalid("The parameter type is required."))?;
    let upload_err = |why: String| {
        ApiError::with_details(
            131053,
            Some(&format!(
                "Unable to upload the media used in the message. {why}"
            )),
        )
    };
    let max = limit(&mime).ok_or_else(|| upload_err(format!("Unsupported file type {mime}.")))?;
    let file_type = file
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    if !file_type.eq_ignore_ascii_case(&mime) {
        return Err(upload_err(format!(
            "The file's type {file_type} does not match type {mime}."
        )));
    }
    if file.data.is_empty() || file.data.len() > max {
        return Err(upload_err(format!(
            "The file is empty or larger than {max} bytes."
        )));
    }
    let mut st = sh.lock();
    let id = st.next_id(ID_BASE);
    st.media.insert(
        id.clone(),
        MediaRecord {
            id: id.clone(),
            phone_number_id: pnid.to_owned(),
            mime,
            sha256: hex::encode(Sha256::digest(&file.data)),
            bytes: file.data.clone(),
        },
    );
    Ok(id)
}

/// The `GET /{media-id}` answer.
pub(crate) fn info(sh: &Shared, m: &MediaRecord) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "url": format!("{}/_emulator/media/{}?expires={}", sh.base_url, m.id, now_unix() + URL_TTL_SECS),
        "mime_type": m.mime,
        "sha256": m.sha256,
        "file_size": m.bytes.len(),
        "id": m.id,
    })
}

/// `GET /_emulator/media/{id}?expires=…`: the file, for the token of its number.
pub(crate) async fn download(
    State(sh): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    sh.lock().count("download_media");
    let expired = q
        .get("expires")
        .and_then(|e| e.parse::<i64>().ok())
        .is_none_or(|e| e < now_unix());
    let st = sh.lock();
    let token = bearer(&headers, &HashMap::new());
    let allowed = token
        .as_ref()
        .filter(|t| !st.revoked.contains(*t))
        .and_then(|t| st.tokens.get(t));
    let Some(rec) = allowed else {
        return (StatusCode::UNAUTHORIZED, "Unauthorized").into_response();
    };
    match st.media.get(&id) {
        Some(m) if !expired && rec.phone_number_ids.contains(&m.phone_number_id) => {
            ([(header::CONTENT_TYPE, m.mime.clone())], m.bytes.clone()).into_response()
        }
        _ => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
