//! TLS for outbound `https` requests: rustls with the ring provider (as the
//! store's TLS), certificates checked against the system's authorities (or
//! the ones a test gives), the name checked against the URL's host.
//!
//! Owns: the client TLS configuration, made once per client on first use.
//! Must not: resolve or connect.

use rustls::RootCertStore;
use std::sync::{Arc, OnceLock};

/// The TLS configuration of a client: built on first use, or given.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tls(Arc<OnceLock<Result<Arc<rustls::ClientConfig>, String>>>);

impl Tls {
    /// Trusting exactly `roots` (tests: a certificate made on the spot).
    pub(crate) fn with_roots(roots: RootCertStore) -> Tls {
        let cell = OnceLock::new();
        let _ = cell.set(config(roots));
        Tls(Arc::new(cell))
    }

    /// The configuration, or why there is none.
    pub(crate) fn config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.0.get_or_init(|| config(system_roots()?)).clone()
    }
}

fn system_roots() -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if roots.is_empty() {
        return Err("no system CA certificates found (install ca-certificates)".into());
    }
    Ok(roots)
}

fn config(roots: RootCertStore) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
