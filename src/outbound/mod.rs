//! Outbound HTTP: the one way syndic sends requests (WebSub publish pings to
//! hubs; the built-in hub's verifications and deliveries to subscribers).
//!
//! A bounded HTTP/1.1 client (hyper over one TCP connection per request,
//! rustls for `https`): only `http`/`https` URLs; a connect timeout per address
//! and a total timeout; a cap on the response body; redirects never followed
//! (a 3xx is returned as it is). Under [`Policy::Guarded`] every address a
//! name resolves to is checked *before* any connection, and the connection is
//! made to that very address (no second resolution, so no DNS rebinding
//! between check and connect); one non-public address refuses the request.
//!
//! Owns: the client, its typed errors, and the [`guard`] rules. Must not: know
//! WebSub (callers build the requests) or retry (callers decide).

mod guard;
mod message;
mod net;
mod tls;

pub use guard::Policy;
pub use message::{Request, Response};
pub use net::{BoxFuture, Connector, Resolver, SystemResolver, TcpConnector};

use http_body_util::{BodyExt, Limited};
use hyper_util::rt::TokioIo;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncWrite};
use url::{Host, Url};

/// Why an outbound request failed; every variant names the URL.
#[derive(Debug, Error)]
pub enum OutboundError {
    /// Not an `http`/`https` URL with a host.
    #[error("{url}: {reason}; only absolute http:// and https:// URLs are requested")]
    Url { url: String, reason: &'static str },
    /// The host name did not resolve.
    #[error("{url}: cannot resolve {host}: {source}")]
    Resolve {
        url: String,
        host: String,
        source: std::io::Error,
    },
    /// The guard refused an address; no connection was made to any address.
    #[error(
        "{url}: refused to connect to {addr} ({reason}); only public addresses are reached, or networks listed in [websub] allow_callbacks"
    )]
    Refused {
        url: String,
        addr: IpAddr,
        reason: &'static str,
    },
    /// No address accepted a connection.
    #[error("{url}: cannot connect to {addr}: {source}")]
    Connect {
        url: String,
        addr: SocketAddr,
        source: std::io::Error,
    },
    /// The TLS handshake failed.
    #[error("{url}: TLS: {message}")]
    Tls { url: String, message: String },
    /// The HTTP exchange failed.
    #[error("{url}: HTTP: {source}")]
    Http { url: String, source: hyper::Error },
    /// The whole request took longer than allowed.
    #[error("{url}: no complete answer within {after:?}")]
    Timeout { url: String, after: Duration },
    /// The response body is larger than allowed.
    #[error("{url}: response body larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
}

impl OutboundError {
    /// Whether the guard refused the request (nothing was sent).
    pub fn is_refused(&self) -> bool {
        matches!(
            self,
            OutboundError::Refused { .. } | OutboundError::Url { .. }
        )
    }
}

/// How long and how much.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Per address tried.
    pub connect_timeout: Duration,
    /// Resolution, connection, request and the whole response.
    pub total_timeout: Duration,
    /// Largest response body read.
    pub max_response_bytes: usize,
}

impl Limits {
    /// The limits `[websub]` sets: the request timeout in all, at most 5 s
    /// of it to connect.
    pub fn from_config(websub: &crate::config::Websub) -> Limits {
        let total = Duration::from_secs(websub.request_timeout_seconds.into());
        Limits {
            connect_timeout: total.min(Duration::from_secs(5)),
            total_timeout: total,
            max_response_bytes: websub.max_response_bytes,
        }
    }
}

/// The outbound client; cheap to clone (shared parts).
#[derive(Debug, Clone)]
pub struct Client {
    resolver: Arc<dyn Resolver>,
    connector: Arc<dyn Connector>,
    tls: tls::Tls,
    limits: Limits,
}

impl Client {
    /// The system resolver, plain TCP, the system's certificate authorities.
    pub fn new(limits: Limits) -> Client {
        Client {
            resolver: Arc::new(SystemResolver),
            connector: Arc::new(TcpConnector),
            tls: tls::Tls::default(),
            limits,
        }
    }

    /// The same client resolving names with `resolver`.
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolver>) -> Client {
        self.resolver = resolver;
        self
    }

    /// The same client connecting with `connector`.
    pub fn with_connector(mut self, connector: Arc<dyn Connector>) -> Client {
        self.connector = connector;
        self
    }

    /// The same client trusting exactly these certificate authorities.
    pub fn with_root_certificates(mut self, roots: rustls::RootCertStore) -> Client {
        self.tls = tls::Tls::with_roots(roots);
        self
    }

    /// Sends `request` where `policy` allows, within the limits.
    pub async fn send(&self, policy: &Policy, request: Request) -> Result<Response, OutboundError> {
        let after = self.limits.total_timeout;
        let url = request.url.to_string();
        match tokio::time::timeout(after, self.exchange(policy, request)).await {
            Ok(result) => result,
            Err(_) => Err(OutboundError::Timeout { url, after }),
        }
    }

    async fn exchange(&self, policy: &Policy, request: Request) -> Result<Response, OutboundError> {
        let url = &request.url;
        let text = || url.to_string();
        let https = match url.scheme() {
            "http" => false,
            "https" => true,
            _ => {
                return Err(OutboundError::Url {
                    url: text(),
                    reason: "not an http or https URL",
                });
            }
        };
        let (Some(host), Some(port)) = (url.host(), url.port_or_known_default()) else {
            return Err(OutboundError::Url {
                url: text(),
                reason: "no host",
            });
        };
        let addrs = self.addresses(policy, url, &host, port).await?;
        let stream = self.connect(url, &addrs).await?;
        if !https {
            return self.over(stream, request).await;
        }
        let config = self.tls.config().map_err(|message| OutboundError::Tls {
            url: text(),
            message,
        })?;
        let name = match &host {
            Host::Domain(d) => rustls::pki_types::ServerName::try_from(d.to_string()),
            Host::Ipv4(ip) => Ok(IpAddr::V4(*ip).into()),
            Host::Ipv6(ip) => Ok(IpAddr::V6(*ip).into()),
        }
        .map_err(|e| OutboundError::Tls {
            url: text(),
            message: e.to_string(),
        })?;
        let stream = tokio_rustls::TlsConnector::from(config)
            .connect(name, stream)
            .await
            .map_err(|e| OutboundError::Tls {
                url: text(),
                message: e.to_string(),
            })?;
        self.over(stream, request).await
    }

    /// The addresses of `host`, every one of them allowed by `policy`.
    async fn addresses(
        &self,
        policy: &Policy,
        url: &Url,
        host: &Host<&str>,
        port: u16,
    ) -> Result<Vec<SocketAddr>, OutboundError> {
        let addrs = match host {
            Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
            Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
            Host::Domain(name) => self.resolver.resolve(name, port).await.map_err(|source| {
                OutboundError::Resolve {
                    url: url.to_string(),
                    host: name.to_string(),
                    source,
                }
            })?,
        };
        if addrs.is_empty() {
            let source = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
            return Err(OutboundError::Resolve {
                url: url.to_string(),
                host: host.to_string(),
                source,
            });
        }
        for addr in &addrs {
            policy
                .check(addr.ip())
                .map_err(|reason| OutboundError::Refused {
                    url: url.to_string(),
                    addr: addr.ip(),
                    reason,
                })?;
        }
        Ok(addrs)
    }

    /// A connection to the first of `addrs` (all checked) that accepts one.
    async fn connect(
        &self,
        url: &Url,
        addrs: &[SocketAddr],
    ) -> Result<tokio::net::TcpStream, OutboundError> {
        let mut last = None;
        for &addr in addrs {
            let attempt =
                tokio::time::timeout(self.limits.connect_timeout, self.connector.connect(addr));
            match attempt.await {
                Ok(Ok(stream)) => return Ok(stream),
                Ok(Err(source)) => last = Some((addr, source)),
                Err(_) => last = Some((addr, std::io::ErrorKind::TimedOut.into())),
            }
        }
        let (addr, source) = last.expect("addresses() returns at least one");
        Err(OutboundError::Connect {
            url: url.to_string(),
            addr,
            source,
        })
    }

    /// One HTTP/1.1 exchange over `io`, the connection closed after it.
    async fn over<S>(&self, io: S, request: Request) -> Result<Response, OutboundError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let url = request.url.to_string();
        let http = |source| OutboundError::Http {
            url: url.clone(),
            source,
        };
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(http)?;
        let req = message::hyper_request(request);
        let limit = self.limits.max_response_bytes;
        // The connection is driven here, in this task, so that a timeout
        // (dropping this future) closes it.
        let work = async {
            let response = sender.send_request(req).await.map_err(http)?;
            drop(sender);
            let (parts, body) = response.into_parts();
            let body = Limited::new(body, limit)
                .collect()
                .await
                .map_err(|e| match e.downcast::<hyper::Error>() {
                    Ok(source) => OutboundError::Http {
                        url: url.clone(),
                        source: *source,
                    },
                    Err(_) => OutboundError::TooLarge {
                        url: url.clone(),
                        limit,
                    },
                })?;
            Ok(Response {
                status: parts.status,
                headers: parts.headers,
                body: body.to_bytes(),
            })
        };
        let (result, _) = tokio::join!(work, conn);
        result
    }
}

#[cfg(test)]
mod tests;
