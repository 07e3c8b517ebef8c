//! The request and response of the outbound client, and the request as hyper
//! sends it (origin-form target, `Host`, `Connection: close`).
//!
//! Owns: [`Request`], [`Response`]. Must not: connect.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use url::Url;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// GET, POST…
    pub method: Method,
    /// Where.
    pub url: Url,
    /// Extra headers (`Host`, `Content-Length`, `Connection` are set by the client).
    pub headers: HeaderMap,
    /// The body (empty for GET).
    pub body: Bytes,
}

impl Request {
    /// A GET of `url`.
    pub fn get(url: Url) -> Request {
        Request {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// A POST of `body` as `content_type`.
    pub fn post(url: Url, content_type: HeaderValue, body: Bytes) -> Request {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type);
        Request {
            method: Method::POST,
            url,
            headers,
            body,
        }
    }

    /// A POST of an `application/x-www-form-urlencoded` form (keys may repeat).
    pub fn post_form<'a>(url: Url, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Request {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs)
            .finish();
        let form = HeaderValue::from_static("application/x-www-form-urlencoded");
        Request::post(url, form, Bytes::from(body))
    }

    /// Adds a header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Request {
        self.headers.append(name, value);
        self
    }
}

/// A response, its body read in full (within the cap).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status, 3xx included (redirects are not followed).
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// The request as sent over a connection to its host.
pub(super) fn hyper_request(request: Request) -> hyper::Request<Full<Bytes>> {
    let url = &request.url;
    let target = &url[url::Position::BeforePath..url::Position::AfterQuery];
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let mut req = hyper::Request::new(Full::new(request.body.clone()));
    *req.method_mut() = request.method.clone();
    *req.uri_mut() = target
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/"));
    let h = req.headers_mut();
    h.extend(request.headers);
    if let Ok(host) = HeaderValue::try_from(host) {
        h.insert(header::HOST, host);
    }
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    if !(request.body.is_empty() && matches!(request.method, Method::GET | Method::HEAD)) {
        h.insert(
            header::CONTENT_LENGTH,
            HeaderValue::from(request.body.len()),
        );
    }
    h.entry(header::USER_AGENT)
        .or_insert(HeaderValue::from_static(concat!(
            "syndic/",
            env!("CARGO_PKG_VERSION")
        )));
    req
}
