//! `POST /websub`: the built-in hub's subscription endpoint (present only with
//! `[websub] builtin_hub = true`).
//!
//! Owns: the HTTP side of a subscription request: method, content type and
//! body size (`[websub] max_request_bytes`), and turning the hub's answer into
//! a status (202 Accepted, or the 4xx with its reason). Must not: parse the
//! form or verify (the hub does).

use super::{AppState, Body};
use crate::hub::Hub;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::sync::Arc;

/// Answers a request to `/websub`.
pub(crate) async fn handle(
    state: &AppState,
    hub: &Arc<Hub>,
    req: Request<Incoming>,
) -> Response<Body> {
    if req.method() != Method::POST {
        let mut r = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "the hub takes POST (WebSub subscription requests)".into(),
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form {
        return refuse(state, StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the request as application/x-www-form-urlencoded (hub.mode, hub.topic, hub.callback…)".into());
    }
    let limit = state.config.websub.max_request_bytes;
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => {
            return refuse(
                state,
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("body over {limit} bytes ([websub] max_request_bytes)"),
            );
        }
        Err(e) => {
            return refuse(
                state,
                StatusCode::BAD_REQUEST,
                format!("could not read the body: {e}"),
            );
        }
    };
    match hub.request(&body).await {
        Ok(()) => text(
            StatusCode::ACCEPTED,
            "accepted: the intent will be verified at hub.callback".into(),
        ),
        Err(refused) => {
            let status = StatusCode::from_u16(refused.status).unwrap_or(StatusCode::BAD_REQUEST);
            refuse(state, status, refused.text)
        }
    }
}

fn refuse(state: &AppState, status: StatusCode, why: String) -> Response<Body> {
    state.metrics.hub.refused.inc();
    text(status, why)
}

fn text(status: StatusCode, mut text: String) -> Response<Body> {
    text.push('\n');
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}
