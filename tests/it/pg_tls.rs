//! TLS to PostgreSQL (issue 9): a private cluster with `ssl = on` that accepts
//! TCP connections only over TLS (`hostssl` lines only), a certificate authority
//! of the test's own and a server certificate for `localhost`. The store's
//! sessions are encrypted (`pg_stat_ssl`), `require` connects without checking
//! the certificate, `verify-full` connects to the name on the certificate and
//! refuses another name or another authority. Loopback only.

use crate::cluster::PgCluster;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use std::path::{Path, PathBuf};
use syndic::store::{self, Store, StoreError, StoreUrl};

/// A certificate authority: its certificate (PEM) and what signs with it.
fn authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// The cluster, and the PEM files of the authority that signed its certificate
/// and of an unrelated one.
struct TlsCluster {
    cluster: PgCluster,
    ca: PathBuf,
    other_ca: PathBuf,
    _files: tempfile::TempDir,
}

fn tls_cluster() -> TlsCluster {
    let files = tempfile::tempdir().unwrap();
    let ca = authority("syndic test CA");
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let server = params.signed_by(&key, &ca).unwrap();
    let write_server_files = |data: &Path| {
        std::fs::write(data.join("server.crt"), server.pem()).unwrap();
        std::fs::write(data.join("server.key"), key.serialize_pem()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let private = std::fs::Permissions::from_mode(0o600);
        std::fs::set_permissions(data.join("server.key"), private).unwrap();
        let mut conf = std::fs::OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .unwrap();
        use std::io::Write;
        writeln!(
            conf,
            "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'"
        )
        .unwrap();
        // TCP only over TLS; the Unix socket stays open for the test's own checks.
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
        )
        .unwrap();
    };
    let cluster = PgCluster::start_with(write_server_files);
    let ca_path = files.path().join("ca.pem");
    std::fs::write(&ca_path, ca.pem()).unwrap();
    let other_path = files.path().join("other-ca.pem");
    std::fs::write(&other_path, authority("another CA").pem()).unwrap();
    TlsCluster {
        cluster,
        ca: ca_path,
        other_ca: other_path,
        _files: files,
    }
}

impl TlsCluster {
    /// A store URL for `host` (connecting to 127.0.0.1 whatever the name) with `params`.
    fn url(&self, host: &str, params: &str) -> String {
        format!(
            "postgres://postgres@{host}:{}/postgres?hostaddr=127.0.0.1&{params}",
            self.cluster.port
        )
    }

    fn open(&self, host: &str, params: &str) -> Result<Box<dyn Store>, StoreError> {
        let url: StoreUrl = self.url(host, params).parse().unwrap();
        store::open(
            &url,
            syndic::store::Limits {
                pool_size: 2,
                ..Default::default()
            },
        )
    }

    /// (sessions from 127.0.0.1, how many of them are encrypted), seen from the
    /// server over its Unix socket.
    fn tcp_sessions(&self) -> (i64, i64) {
        let admin = format!(
            "host={} port={} user=postgres dbname=postgres",
            self.cluster.dir.path().display(),
            self.cluster.port
        );
        let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
        let row = c
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE s.ssl) FROM pg_stat_activity a \
                 JOIN pg_stat_ssl s USING (pid) WHERE a.client_addr = '127.0.0.1'",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    }
}

fn refusal(result: Result<Box<dyn Store>, StoreError>) -> String {
    match result {
        Ok(_) => panic!("connected, but the connection should have been refused"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn tls_modes_encrypt_and_verify_full_checks_the_name_and_the_authority() {
    let tls = tls_cluster();
    let ca = tls.ca.display();

    // The cluster refuses TCP without TLS, so every success below is encrypted.
    let e = refusal(tls.open("127.0.0.1", "sslmode=disable"));
    assert!(
        e.contains("pg_hba.conf") || e.contains("no encryption"),
        "{e}"
    );

    // require: encrypted, certificate not checked (libpq's meaning).
    let store = tls.open("127.0.0.1", "sslmode=require").unwrap();
    assert_eq!(store.count().unwrap(), 0);
    let (sessions, encrypted) = tls.tcp_sessions();
    assert!(sessions >= 1, "the store keeps a pooled session open");
    assert_eq!(
        encrypted, sessions,
        "every session of the store is encrypted"
    );
    drop(store);

    // verify-full: the certificate names localhost and chains to our authority.
    let store = tls
        .open(
            "localhost",
            &format!("sslmode=verify-full&sslrootcert={ca}"),
        )
        .unwrap();
    assert_eq!(store.latest_seq().unwrap(), 0);
    drop(store);

    // verify-full refuses a certificate that does not name the host connected to…
    let e = refusal(tls.open(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ));
    assert!(e.contains("certificate not valid for name"), "{e}");
    // …and one from another authority.
    let other = tls.other_ca.display();
    let e = refusal(tls.open(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={other}"),
    ));
    assert!(
        e.contains("UnknownIssuer") || e.contains("unknown issuer"),
        "{e}"
    );

    // verify-ca checks the authority, not the name.
    let store = tls
        .open("127.0.0.1", &format!("sslmode=verify-ca&sslrootcert={ca}"))
        .unwrap();
    assert_eq!(store.count().unwrap(), 0);
}

#[test]
fn a_missing_root_certificate_is_named() {
    let url: StoreUrl = "postgres://postgres@localhost:1/db?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"
        .parse()
        .unwrap();
    let e = match store::open(
        &url,
        syndic::store::Limits {
            pool_size: 1,
            ..Default::default()
        },
    ) {
        Ok(_) => panic!("opened with a missing sslrootcert"),
        Err(e) => e.to_string(),
    };
    assert!(
        e.contains("/nonexistent/ca.pem") && e.contains("sslrootcert"),
        "{e}"
    );
}
