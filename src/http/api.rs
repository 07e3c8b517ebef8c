//! The ingest API: a CMS pushes articles (`PUT`, `DELETE`, `POST` batch).
//!
//! Authorised by `Authorization: Bearer <token>` compared in constant time; off
//! when no token is configured. A write returns once the documents it changes
//! are served (read-your-writes), or after a bounded wait.

use super::{AppState, Body, json};
use crate::model::{self, Article, FieldError};
use crate::store::StoreError;
use crate::watch::Nudge;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// How long a write waits for its documents to be served before answering anyway.
const APPLY_WAIT: Duration = Duration::from_secs(5);

/// Routes `/api/…`.
pub(crate) async fn handle(state: &Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let Some(token) = state.config.server.api_token.as_deref() else {
        return error(
            StatusCode::NOT_FOUND,
            "the ingest API is off: set [server] api_token or SYNDIC_API_TOKEN",
        );
    };
    if !authorised(&req, token) {
        let mut r = error(StatusCode::UNAUTHORIZED, "missing or wrong bearer token");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        return r;
    }
    let path = req.uri().path().to_owned();
    let method = req.method().clone();
    match (method, path.strip_prefix("/api/articles")) {
        (Method::POST, Some("")) => batch(state, req).await,
        (Method::PUT, Some(rest)) if rest.len() > 1 && rest.starts_with('/') => {
            put(state, req, &rest[1..]).await
        }
        (Method::DELETE, Some(rest)) if rest.len() > 1 && rest.starts_with('/') => {
            delete(state, &rest[1..]).await
        }
        (_, Some("")) => not_allowed("POST"),
        (_, Some(rest)) if rest.starts_with('/') => not_allowed("PUT, DELETE"),
        _ => error(
            StatusCode::NOT_FOUND,
            "no such API route; see README (PUT/DELETE /api/articles/{id}, POST /api/articles)",
        ),
    }
}

fn authorised<B>(req: &Request<B>, token: &str) -> bool {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        // The scheme is case-insensitive (RFC 9110 §11.1); the token is not.
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map_or("", |(_, token)| token.trim());
    // blake3::Hash compares in constant time; hashing first also hides the length.
    blake3::hash(given.as_bytes()) == blake3::hash(token.as_bytes())
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    json(status, &json!({ "error": message }))
}

fn not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = error(StatusCode::METHOD_NOT_ALLOWED, &format!("allowed: {allow}"));
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    r
}

/// The article id in the URL, percent-decoded. Ids are text: bytes that are not
/// UTF-8 are refused (decoding them lossily would make `%FF` and `%FE` one id).
fn decode_id(raw: &str) -> Result<String, Box<Response<Body>>> {
    match percent_encoding::percent_decode_str(raw).decode_utf8() {
        Ok(id) => Ok(id.into_owned()),
        Err(_) => Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            &format!("the article id {raw:?} is not UTF-8 once percent-decoded; ids are text"),
        ))),
    }
}

/// A body that is not UTF-8 is refused, as `syndic import` refuses such a line.
fn utf8_body(body: &[u8]) -> Result<&str, Box<Response<Body>>> {
    std::str::from_utf8(body).map_err(|e| {
        Box::new(invalid(&[FieldError {
            field: "(record)".into(),
            reason: format!("not valid UTF-8 (at byte {})", e.valid_up_to()),
        }]))
    })
}

async fn read_body(
    state: &AppState,
    req: Request<Incoming>,
) -> Result<bytes::Bytes, Response<Body>> {
    let limit = state.config.server.max_body_bytes;
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("body over {limit} bytes ([server] max_body_bytes)"),
        )),
        Err(e) => Err(error(
            StatusCode::BAD_REQUEST,
            &format!("could not read the body: {e}"),
        )),
    }
}

fn invalid(errors: &[FieldError]) -> Response<Body> {
    json(
        StatusCode::UNPROCESSABLE_ENTITY,
        &json!({ "errors": errors }),
    )
}

/// Parses one record for `id`: the body's `id`, when present, must equal the URL's.
fn parse_record(text: &str, id: &str) -> Result<Article, Vec<FieldError>> {
    let mut map = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(vec![FieldError {
                field: "(record)".into(),
                reason: "expected a JSON object".into(),
            }]);
        }
        Err(e) => {
            return Err(vec![FieldError {
                field: "(record)".into(),
                reason: format!("not valid JSON: {e}"),
            }]);
        }
    };
    match map.get("id") {
        None => _ = map.insert("id".into(), Value::String(id.to_owned())),
        Some(Value::String(body_id)) if body_id == id => {}
        Some(_) => {
            return Err(vec![FieldError {
                field: "id".into(),
                reason: format!("must equal the id in the URL ({id:?})"),
            }]);
        }
    }
    model::from_json(&map)
}

async fn put(state: &Arc<AppState>, req: Request<Incoming>, raw_id: &str) -> Response<Body> {
    let id = match decode_id(raw_id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let body = match read_body(state, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let text = match utf8_body(&body) {
        Ok(text) => text,
        Err(r) => return *r,
    };
    let article = match parse_record(text, &id) {
        Ok(a) => a,
        Err(errors) => return invalid(&errors),
    };
    match write(state, move |store| store.upsert(&[article])).await {
        Ok((counts, served)) if counts.inserted == 1 => json(
            StatusCode::CREATED,
            &json!({ "id": id, "result": "created", "served": served }),
        ),
        Ok((counts, served)) if counts.updated == 1 => json(
            StatusCode::OK,
            &json!({ "id": id, "result": "updated", "served": served }),
        ),
        Ok((_, served)) => json(
            StatusCode::OK,
            &json!({ "id": id, "result": "unchanged", "served": served }),
        ),
        Err(r) => r,
    }
}

async fn delete(state: &Arc<AppState>, raw_id: &str) -> Response<Body> {
    let id = match decode_id(raw_id) {
        Ok(id) => id,
        Err(r) => return *r,
    };
    let target = id.clone();
    match write(state, move |store| store.delete(&target)).await {
        Ok((true, served)) => json(
            StatusCode::OK,
            &json!({ "id": id, "result": "deleted", "served": served }),
        ),
        Ok((false, _)) => error(StatusCode::NOT_FOUND, &format!("no article {id:?}")),
        Err(r) => r,
    }
}

/// Rejected lines described in a batch's answer; past it they are only counted,
/// so the answer stays small whatever the batch holds.
const REPORTED_REJECTIONS: usize = 100;

/// `POST /api/articles`: JSON Lines; all records valid, or nothing applied.
/// At most `[server] max_batch_records` records, so the work and the answer of
/// one request are bounded by the configuration.
async fn batch(state: &Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let body = match read_body(state, req).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let max = state.config.server.max_batch_records;
    let lines = body
        .split(|&b| b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.trim_ascii().is_empty());
    let (mut articles, mut results, mut rejected) = (Vec::new(), Vec::new(), 0);
    for (count, (i, line)) in lines.enumerate() {
        if count == max {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("batch over {max} records ([server] max_batch_records); nothing applied"),
            );
        }
        let parsed = match std::str::from_utf8(line) {
            Ok(text) => model::from_json_str(text),
            Err(_) => Err(vec![FieldError {
                field: "(record)".into(),
                reason: "not valid UTF-8".into(),
            }]),
        };
        match parsed {
            Ok(a) => {
                results.push(json!({ "line": i + 1, "id": a.id, "result": "valid" }));
                articles.push(a);
            }
            Err(errors) => {
                rejected += 1;
                if rejected <= REPORTED_REJECTIONS {
                    results.push(json!({ "line": i + 1, "result": "rejected", "errors": errors }));
                }
            }
        }
    }
    if rejected > 0 {
        let unreported = rejected.saturating_sub(REPORTED_REJECTIONS);
        return json(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "applied": false, "rejected": rejected,
                     "rejected_not_listed": unreported, "results": results }),
        );
    }
    match write(state, move |store| store.upsert(&articles)).await {
        Ok((c, served)) => json(
            StatusCode::OK,
            &json!({
                "applied": true, "served": served, "created": c.inserted, "updated": c.updated,
                "unchanged": c.unchanged, "results": results,
            }),
        ),
        Err(r) => r,
    }
}

/// Runs a store write off the async threads, then waits until it is served.
/// Returns the write's outcome and whether its documents were served in time
/// (`false`: committed, but not yet served after the wait; it will be).
async fn write<T: Send + 'static>(
    state: &Arc<AppState>,
    op: impl FnOnce(&dyn crate::store::Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<(T, bool), Response<Body>> {
    let store = state.store.clone();
    let done = state
        .runtime
        .spawn_blocking(move || {
            let out = op(&*store)?;
            // Committed: from here on, a failure only means "not known to be served".
            Ok::<_, StoreError>((out, store.latest_seq().ok()))
        })
        .await;
    let (out, seq) = match done {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            if matches!(e, StoreError::Locked { .. }) {
                state.metrics.store_lock_timeouts.inc();
            }
            tracing::error!(error = %e, "ingest write failed");
            return Err(error(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the store did not take the write: {e}"),
            ));
        }
        Err(e) => {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("write task failed: {e}"),
            ));
        }
    };
    let _ = state.nudge.lock().map(|n| n.send(Nudge::Changed));
    let Some(seq) = seq else {
        return Ok((out, false));
    };
    let mut applied = state.applied.clone();
    let served = matches!(
        tokio::time::timeout(APPLY_WAIT, applied.wait_for(|&c| c >= seq)).await,
        Ok(Ok(_))
    );
    Ok((out, served))
}
