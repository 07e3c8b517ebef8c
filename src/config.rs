//! Configuration: `config.toml`, overridden by `SYNDIC_<SECTION>__<KEY>` variables.
//!
//! Owns: reading, overriding and checking every setting, with messages that name
//! the key, the value and what is expected. Must not: open the store or any socket.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

mod features;
mod indexnow;
mod network;
mod overrides;
mod store_url;
mod values;
mod websub;
pub use features::Archives;
pub use indexnow::{IndexNow, IndexNowKey};
pub use network::Network;
pub use store_url::StoreUrl;
pub(crate) use store_url::{PgUrl, SslMode};
pub(crate) use values::{BaseUrl, LanguageTag};
pub use websub::{BUILTIN_HUB_PATH, HttpUrl, Websub};

/// Everything wrong with a configuration, with where and how to fix it.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: cannot read the configuration ({source}); pass --config PATH or create it")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The TOML is malformed, a key is unknown or a value has the wrong type.
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// An environment override names no known key or is malformed.
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    /// A value has the right type but is not acceptable.
    #[error("{path}: key `{key}` = {value:?}: {expected}")]
    Invalid {
        path: PathBuf,
        key: String,
        value: String,
        expected: String,
    },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The publication.
    pub site: Site,
    /// Where articles are kept.
    #[serde(default)]
    pub store: Store,
    /// Where documents are written.
    #[serde(default)]
    pub output: Output,
    /// What feeds carry.
    #[serde(default)]
    pub(crate) feeds: Feeds,
    /// The HTTP service.
    #[serde(default)]
    pub server: Server,
    /// Feed archives (RFC 5005).
    #[serde(default)]
    pub archives: Archives,
    /// IndexNow submissions; off without the section.
    #[serde(default)]
    pub indexnow: Option<IndexNow>,
    /// Sample data for a first start.
    #[serde(default)]
    pub(crate) demo: Demo,
    /// WebSub: hubs, the built-in hub, outbound rules.
    #[serde(default)]
    pub websub: Websub,
}

/// `[site]`: the publication.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Feed titles start with it.
    pub title: String,
    /// Channel / feed description.
    pub(crate) description: String,
    /// Default article language (BCP 47).
    pub(crate) language: LanguageTag,
    /// Home page of the news site (channel `link`).
    pub(crate) home_url: BaseUrl,
    /// Where syndic's documents are reachable; absolute URLs in documents start here.
    pub public_url: BaseUrl,
    /// Google News `news:name`; must match the name registered with Google News.
    pub publication_name: String,
    /// Authority of the `tag:` URIs used as GUIDs, e.g. `example.ma,2024`.
    /// Set it once and never change it: every reader would see every item as new.
    pub(crate) guid_authority: String,
    /// The hubs every feed advertises (WebSub), from `[websub]`; not a key.
    #[serde(skip)]
    pub hubs: Vec<String>,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Store {
    /// `sqlite:PATH` (relative to the working directory) or `postgres://…`,
    /// parsed here once.
    pub url: StoreUrl,
    /// Most PostgreSQL connections kept for queries (besides the LISTEN one).
    pub(crate) pool_size: usize,
    /// Hours the change log keeps its entries; `serve` prunes older ones.
    pub(crate) change_log_retention_hours: u32,
    /// Seconds a write waits for another writer's lock before it is refused.
    pub(crate) lock_timeout_seconds: u16,
}

impl Default for Store {
    fn default() -> Self {
        Store {
            url: StoreUrl::Sqlite("data/syndic.db".into()),
            pool_size: 4,
            change_log_retention_hours: 72,
            lock_timeout_seconds: 10,
        }
    }
}

/// `[output]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Output {
    /// Folder that receives every document.
    pub dir: PathBuf,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            dir: "feeds".into(),
        }
    }
}

/// `[feeds]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Feeds {
    /// Items per feed (1 to 1000).
    pub(crate) items: usize,
}

impl Default for Feeds {
    fn default() -> Self {
        Feeds { items: 50 }
    }
}

/// `[server]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    /// Listen address.
    #[serde(deserialize_with = "socket_address")]
    pub listen: SocketAddr,
    /// `Cache-Control: max-age` in seconds.
    pub(crate) max_age: u32,
    /// Bearer token of the ingest API; absent means the API is off.
    pub(crate) api_token: Option<String>,
    /// Largest request body accepted by the ingest API, in bytes.
    pub(crate) max_body_bytes: usize,
    /// Most records in one `POST /api/articles` batch.
    pub(crate) max_batch_records: usize,
    /// Most connections served at once; beyond it the oldest is asked to close.
    pub(crate) max_connections: usize,
    /// Most connections from one client address (behind a proxy, raise it to
    /// `max_connections`: every client then has the proxy's address).
    pub(crate) max_connections_per_address: usize,
    /// Megabytes of document bodies (all encodings) kept in memory; bodies
    /// beyond it are read back from the output folder when asked for.
    pub(crate) body_cache_mb: usize,
}

impl Default for Server {
    fn default() -> Self {
        Server {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            max_age: 300,
            api_token: None,
            max_body_bytes: 8 << 20,
            max_batch_records: 10_000,
            max_connections: 8192,
            max_connections_per_address: 256,
            body_cache_mb: 32,
        }
    }
}

/// `[demo]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Demo {
    /// JSON Lines imported into an empty store at start.
    pub(crate) seed_file: Option<PathBuf>,
    /// The moment the sample dates were written for: at seeding, every date moves
    /// by (now − `seed_as_of`), so the samples look as fresh as when written.
    pub(crate) seed_as_of: Option<chrono::DateTime<chrono::FixedOffset>>,
}

const ENV_PREFIX: &str = "SYNDIC_";

impl Config {
    /// Reads `path`, applies `SYNDIC_*` overrides from the process environment, checks values.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::from_toml(path, &text, std::env::vars())
    }

    /// Like [`Config::load`] with the text and the environment given.
    pub fn from_toml(
        path: &Path,
        text: &str,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let parse_err = |message: String| ConfigError::Parse {
            path: path.to_owned(),
            message,
        };
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        for (var, value) in env.filter(|(k, _)| k.starts_with(ENV_PREFIX)) {
            match var.as_str() {
                // The documented short name of the ingest API's secret.
                "SYNDIC_API_TOKEN" => {
                    overrides::apply_override(&mut table, "SYNDIC_SERVER__API_TOKEN", &value)?
                }
                _ if var.contains("__") => overrides::apply_override(&mut table, &var, &value)?,
                _ => {}
            }
        }
        let mut config: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| parse_err(e.to_string()))?;
        config.check(path)?;
        config.site.hubs = config.websub.advertised_hubs(&config.site.public_url);
        Ok(config)
    }

    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |key: &str, value: &str, expected: &str| ConfigError::Invalid {
            path: path.to_owned(),
            key: key.into(),
            value: value.into(),
            expected: expected.into(),
        };
        if self
            .server
            .api_token
            .as_deref()
            .is_some_and(|t| t.trim().len() < 8)
        {
            return Err(invalid(
                "server.api_token",
                "(hidden)",
                "a secret of at least 8 characters, or no key at all to turn the ingest API off",
            ));
        }
        let retention = self.store.change_log_retention_hours;
        if retention == 0 {
            return Err(invalid(
                "store.change_log_retention_hours",
                &retention.to_string(),
                "at least 1 hour (followers further behind than this reload); the default is 72",
            ));
        }
        let dir = self.output.dir.as_os_str();
        if dir.is_empty() || dir == "." || dir == "/" || dir == ".." {
            return Err(invalid(
                "output.dir",
                &self.output.dir.display().to_string(),
                "a folder of its own (syndic removes the documents it no longer produces there), e.g. \"feeds\"",
            ));
        }
        for (key, value) in [
            ("site.title", &self.site.title),
            ("site.publication_name", &self.site.publication_name),
        ] {
            if value.trim().is_empty() {
                return Err(invalid(
                    key,
                    value,
                    "a non-empty name (feeds and Google News require one)",
                ));
            }
        }
        if self.site.guid_authority.is_empty() || self.site.guid_authority.contains([' ', ':', '/'])
        {
            return Err(invalid(
                "site.guid_authority",
                &self.site.guid_authority,
                "a domain you own and a date, e.g. \"example.ma,2024\"; set once, never change",
            ));
        }
        if !(1..=1_000_000).contains(&self.server.max_batch_records) {
            return Err(invalid(
                "server.max_batch_records",
                &self.server.max_batch_records.to_string(),
                "a number of records from 1 to 1000000",
            ));
        }
        for (key, value) in [
            ("server.max_connections", self.server.max_connections),
            (
                "server.max_connections_per_address",
                self.server.max_connections_per_address,
            ),
        ] {
            if value == 0 {
                return Err(invalid(key, "0", "a number of connections of at least 1"));
            }
        }
        if !(1..=1000).contains(&self.feeds.items) {
            return Err(invalid(
                "feeds.items",
                &self.feeds.items.to_string(),
                "a number of items from 1 to 1000",
            ));
        }
        if !(1..=100_000).contains(&self.archives.page_items) {
            return Err(invalid(
                "archives.page_items",
                &self.archives.page_items.to_string(),
                "a number of articles from 1 to 100000 (a month with more gets a page per day)",
            ));
        }
        if !(1..=20).contains(&self.store.lock_timeout_seconds) {
            return Err(invalid(
                "store.lock_timeout_seconds",
                &self.store.lock_timeout_seconds.to_string(),
                "1 to 20 seconds (below the 30 s an HTTP request may take, so that a refused write is answered as refused)",
            ));
        }
        if let Some((key, value, expected)) = self.websub.problem() {
            return Err(invalid(key, &value, expected));
        }
        if !(1..=64).contains(&self.store.pool_size) {
            return Err(invalid(
                "store.pool_size",
                &self.store.pool_size.to_string(),
                "a number of connections from 1 to 64",
            ));
        }
        Ok(())
    }
}

/// A listen address such as `127.0.0.1:8080`, with a message that says so.
fn socket_address<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "{text:?} is not an address such as \"127.0.0.1:8080\" or \"[::1]:8080\""
        ))
    })
}

#[cfg(test)]
mod tests;
