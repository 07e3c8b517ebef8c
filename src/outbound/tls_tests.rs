//! `https` end to end against a TLS stub on 127.0.0.1 whose certificate is
//! made on the spot: certificates are really checked.

use super::tests::{get, limits, nets, request_complete};
use super::*;
use hyper::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A TLS stub on 127.0.0.1 with a certificate for 127.0.0.1 made on the spot;
/// the authorities that trust it.
async fn tls_stub() -> (SocketAddr, rustls::RootCertStore) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(cert.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut tls) = acceptor.accept(tcp).await else {
                continue;
            };
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !request_complete(&got) {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecure")
                .await;
            let _ = tls.shutdown().await;
        }
    });
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    (addr, roots)
}

#[tokio::test]
async fn https_checks_the_certificate_against_the_trusted_authorities() {
    let (addr, roots) = tls_stub().await;
    let guard = Policy::guarded(&nets(&["127.0.0.1/32"]));
    let url = format!("https://{addr}/");
    let trusting = Client::new(limits()).with_root_certificates(roots);
    let r = trusting.send(&guard, get(&url)).await.unwrap();
    assert_eq!((r.status, &r.body[..]), (StatusCode::OK, &b"secure"[..]));
    // The system's authorities (if any) do not know the certificate.
    let e = Client::new(limits())
        .send(&guard, get(&url))
        .await
        .unwrap_err();
    assert!(matches!(e, OutboundError::Tls { .. }), "{e}");
}
