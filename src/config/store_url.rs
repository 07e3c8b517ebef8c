//! The store URL (`[store] url`), parsed once when the configuration is read:
//! a [`StoreUrl`] always names a supported backend, so opening the store cannot
//! meet an unsupported URL.
//!
//! Owns: the URL grammar (`sqlite:PATH`, `postgres://…` with libpq's `sslmode`
//! and `sslrootcert`) and the redacted form used in every message. Must not:
//! open files or sockets (the root certificate is read when the store opens).

use percent_encoding::percent_decode_str;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The article store a `[store] url` names.
#[derive(Debug, Clone)]
pub enum StoreUrl {
    /// `sqlite:PATH`: an embedded database file (created on first use).
    Sqlite(PathBuf),
    /// `postgres://…` or `postgresql://…`.
    Postgres(Box<PgUrl>),
}

/// A PostgreSQL URL: the connection settings and how to use TLS.
#[derive(Debug, Clone)]
pub struct PgUrl {
    /// Host, port, user, database and the other libpq parameters tokio-postgres knows.
    pub(crate) config: tokio_postgres::Config,
    /// `sslmode`, with libpq's meaning (default `prefer`).
    pub(crate) ssl_mode: SslMode,
    /// `sslrootcert`: PEM file of the certificate authorities to trust for
    /// `verify-ca` / `verify-full`; `None` (or `system`) means the system's store.
    pub(crate) root_cert: Option<PathBuf>,
    /// The URL without its password, for messages.
    pub(crate) location: String,
}

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SslMode {
    /// Never encrypt.
    Disable,
    /// Encrypt when the server offers it, without checking its certificate.
    Prefer,
    /// Always encrypt; the certificate is not checked (libpq's `require`).
    Require,
    /// Always encrypt; the certificate must chain to a trusted authority.
    VerifyCa,
    /// `verify-ca`, and the certificate must name the host connected to.
    VerifyFull,
}

/// Why a store URL is not acceptable; the message names the value and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{value:?}: {problem}; {fix}")]
pub struct StoreUrlError {
    /// The URL, password redacted.
    pub(crate) value: String,
    /// What is wrong.
    pub(crate) problem: String,
    /// What to write instead.
    pub(crate) fix: &'static str,
}

const FORMS: &str = "use \"sqlite:PATH\" or \"postgres://USER@HOST:PORT/DB\" \
    (with ?sslmode=require or ?sslmode=verify-full&sslrootcert=/path/ca.pem for TLS)";

impl FromStr for StoreUrl {
    type Err = StoreUrlError;

    fn from_str(url: &str) -> Result<StoreUrl, StoreUrlError> {
        let fail = |problem: String, fix| StoreUrlError {
            value: redact(url),
            problem,
            fix,
        };
        if let Some(path) = url.strip_prefix("sqlite:") {
            if path.is_empty() {
                return Err(fail("the path is empty".into(), FORMS));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(fail("unsupported kind of store".into(), FORMS));
        }
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let (mut ssl_mode, mut root_cert) = (SslMode::Prefer, None);
        let mut rest = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode_str(value).decode_utf8_lossy();
            match key {
                "sslmode" => {
                    ssl_mode = parse_ssl_mode(&value).ok_or_else(|| {
                        fail(
                            format!("sslmode={value} is not a libpq sslmode"),
                            "use sslmode=disable, prefer, require, verify-ca or verify-full",
                        )
                    })?
                }
                "sslrootcert" if value == "system" => root_cert = None,
                "sslrootcert" => root_cert = Some(PathBuf::from(value.as_ref())),
                _ => rest.push(pair),
            }
        }
        let remaining = if rest.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", rest.join("&"))
        };
        let mut config: tokio_postgres::Config = remaining
            .parse()
            .map_err(|e: tokio_postgres::Error| fail(e.to_string(), FORMS))?;
        config.ssl_mode(match ssl_mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        });
        Ok(StoreUrl::Postgres(Box::new(PgUrl {
            config,
            ssl_mode,
            root_cert,
            location: redact(url),
        })))
    }
}

fn parse_ssl_mode(value: &str) -> Option<SslMode> {
    Some(match value {
        "disable" => SslMode::Disable,
        "prefer" | "allow" => SslMode::Prefer,
        "require" => SslMode::Require,
        "verify-ca" => SslMode::VerifyCa,
        "verify-full" => SslMode::VerifyFull,
        _ => return None,
    })
}

impl<'de> serde::Deserialize<'de> for StoreUrl {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<StoreUrl, D::Error> {
        let text = String::deserialize(d)?;
        text.parse()
            .map_err(|e: StoreUrlError| serde::de::Error::custom(format!("store.url = {e}")))
    }
}

impl fmt::Display for StoreUrl {
    /// The URL as written, password redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreUrl::Postgres(pg) => f.write_str(&pg.location),
        }
    }
}

/// The URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(url: &str) -> PgUrl {
        match url.parse::<StoreUrl>().unwrap() {
            StoreUrl::Postgres(p) => *p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sqlite_and_postgres_forms() {
        assert!(
            matches!("sqlite:data/x.db".parse(), Ok(StoreUrl::Sqlite(p)) if p.as_os_str() == "data/x.db")
        );
        let p = pg("postgres://u:secret@db.example.com:6543/news?options=-csearch_path%3Dsyndic");
        assert_eq!(p.config.get_user(), Some("u"));
        assert_eq!(p.config.get_dbname(), Some("news"));
        assert_eq!(p.config.get_ports(), &[6543]);
        assert_eq!(p.ssl_mode, SslMode::Prefer);
        assert!(!p.location.contains("secret"), "{}", p.location);
    }

    #[test]
    fn tls_parameters_are_taken_out_of_the_url() {
        let p = pg(
            "postgres://u@db.example.com/news?sslmode=verify-full&sslrootcert=/etc/ssl/db%20ca.pem&connect_timeout=2",
        );
        assert_eq!(p.ssl_mode, SslMode::VerifyFull);
        assert_eq!(p.root_cert, Some(PathBuf::from("/etc/ssl/db ca.pem")));
        assert_eq!(
            p.config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        );
        assert_eq!(
            p.config.get_connect_timeout(),
            Some(&std::time::Duration::from_secs(2))
        );
        assert_eq!(
            pg("postgres://u@h/d?sslmode=require").ssl_mode,
            SslMode::Require
        );
        let system = pg("postgres://u@h/d?sslmode=verify-ca&sslrootcert=system");
        assert_eq!(
            (system.ssl_mode, system.root_cert),
            (SslMode::VerifyCa, None)
        );
    }

    #[test]
    fn errors_name_the_value_without_password_and_the_fix() {
        let e = "mysql://root:hunter2@db/news"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("mysql://root@db/news") && !e.contains("hunter2"),
            "{e}"
        );
        assert!(e.contains("sqlite:PATH"), "{e}");
        let e = "postgres://u:pw@h/d?sslmode=verify"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sslmode=verify ") && e.contains("verify-full") && !e.contains("pw@"),
            "{e}"
        );
        let e = "postgres://u@h/d?colour=red"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("colour"), "{e}");
    }
}
