//! `[websub]`: the publisher's hubs, the built-in hub and its limits, and the
//! networks outbound requests to subscribers may reach.
//!
//! Owns: the section's keys, their defaults and their checks. Must not: open
//! sockets or resolve names (the outbound client does, under these rules).

use super::{BaseUrl, Network};
use serde::Deserialize;

/// An absolute `http`/`https` URL with a host, e.g. an external hub.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.0
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<String> for HttpUrl {
    type Error = String;

    fn try_from(text: String) -> Result<HttpUrl, String> {
        match url::Url::parse(&text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(HttpUrl(u)),
            _ => Err(format!(
                "{text:?} is not an absolute http(s) URL, e.g. \"https://pubsubhubbub.appspot.com/\""
            )),
        }
    }
}

/// `[websub]`. Every key is optional; without the section WebSub is off (no
/// hub advertised, no ping sent, no `/websub`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Websub {
    /// External hubs: advertised in every feed and pinged after each change.
    pub hubs: Vec<HttpUrl>,
    /// Serve syndic's own hub at `{public_url}websub` (and advertise it).
    pub builtin_hub: bool,
    /// Shortest subscription lease the built-in hub grants, in seconds.
    pub min_lease_seconds: u32,
    /// Lease granted when the subscriber asks for none, in seconds.
    pub default_lease_seconds: u32,
    /// Longest lease granted, in seconds.
    pub max_lease_seconds: u32,
    /// A subscriber whose deliveries have failed for this long is dropped.
    pub drop_after_seconds: u32,
    /// Networks that callbacks may be in although they are not public
    /// (loopback, private…), e.g. `["127.0.0.0/8"]` for tests. Empty: only
    /// public addresses are reached.
    pub allow_callbacks: Vec<Network>,
    /// Most subscriptions whose callbacks share one host.
    pub max_subscriptions_per_host: u32,
    /// Largest subscription request body accepted by `/websub`, in bytes.
    pub max_request_bytes: usize,
    /// Seconds the hub waits for a callback to answer its verification.
    pub verification_timeout_seconds: u16,
    /// Seconds any outbound request (ping, delivery) may take in all.
    pub request_timeout_seconds: u16,
    /// Largest response body read from a hub or a subscriber, in bytes.
    pub max_response_bytes: usize,
}

impl Default for Websub {
    fn default() -> Self {
        Websub {
            hubs: Vec::new(),
            builtin_hub: false,
            min_lease_seconds: 300,
            default_lease_seconds: 10 * 86_400,
            max_lease_seconds: 30 * 86_400,
            drop_after_seconds: 86_400,
            allow_callbacks: Vec::new(),
            max_subscriptions_per_host: 1000,
            max_request_bytes: 16 << 10,
            verification_timeout_seconds: 10,
            request_timeout_seconds: 10,
            max_response_bytes: 64 << 10,
        }
    }
}

/// The path of the built-in hub under the public URL.
pub const BUILTIN_HUB_PATH: &str = "websub";

impl Websub {
    /// Every hub a feed advertises: the external ones, then the built-in one.
    pub fn advertised_hubs(&self, public_url: &BaseUrl) -> Vec<String> {
        let external = self.hubs.iter().map(|h| h.as_str().to_owned());
        let builtin = self
            .builtin_hub
            .then(|| format!("{public_url}{BUILTIN_HUB_PATH}"));
        external.chain(builtin).collect()
    }

    /// The first value that is not acceptable: (key, value, what is expected).
    pub(super) fn problem(&self) -> Option<(&'static str, String, &'static str)> {
        let lease = "seconds with min_lease_seconds ≤ default_lease_seconds ≤ max_lease_seconds, min at least 1 (defaults 300, 864000, 2592000)";
        let (min, default, max) = (
            self.min_lease_seconds,
            self.default_lease_seconds,
            self.max_lease_seconds,
        );
        if min == 0 {
            return Some(("websub.min_lease_seconds", min.to_string(), lease));
        }
        if default < min || default > max {
            return Some(("websub.default_lease_seconds", default.to_string(), lease));
        }
        let checks: [(&'static str, u64, u64, u64, &'static str); 5] = [
            (
                "websub.drop_after_seconds",
                self.drop_after_seconds.into(),
                60,
                u64::MAX,
                "at least 60 seconds (a subscriber failing for longer is dropped); the default is 86400",
            ),
            (
                "websub.max_subscriptions_per_host",
                self.max_subscriptions_per_host.into(),
                1,
                u64::MAX,
                "a number of subscriptions of at least 1; the default is 1000",
            ),
            (
                "websub.max_request_bytes",
                self.max_request_bytes as u64,
                1024,
                1 << 20,
                "1024 to 1048576 bytes (a subscription request is a short form); the default is 16384",
            ),
            (
                "websub.verification_timeout_seconds",
                self.verification_timeout_seconds.into(),
                1,
                60,
                "1 to 60 seconds; the default is 10",
            ),
            (
                "websub.request_timeout_seconds",
                self.request_timeout_seconds.into(),
                1,
                300,
                "1 to 300 seconds; the default is 10",
            ),
        ];
        for (key, value, low, high, expected) in checks {
            if !(low..=high).contains(&value) {
                return Some((key, value.to_string(), expected));
            }
        }
        if !(1024..=16 << 20).contains(&self.max_response_bytes) {
            return Some((
                "websub.max_response_bytes",
                self.max_response_bytes.to_string(),
                "1024 to 16777216 bytes; the default is 65536",
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};
    use std::path::Path;

    const SITE: &str = r#"
[site]
title = "Actu"
description = "Toute l'actualité"
language = "fr"
home_url = "https://www.actu.example.ma/"
public_url = "https://feeds.actu.example.ma/"
publication_name = "Actu"
guid_authority = "actu.example.ma,2024"
"#;

    fn load(websub: &str) -> Result<Config, ConfigError> {
        let text = format!("{SITE}\n[websub]\n{websub}\n");
        Config::from_toml(Path::new("config.toml"), &text, std::iter::empty())
    }

    #[test]
    fn without_the_section_no_hub_is_advertised() {
        let c = load("").unwrap();
        assert!(c.site.hubs.is_empty() && !c.websub.builtin_hub);
        assert!(c.websub.allow_callbacks.is_empty());
        assert_eq!(c.websub.max_lease_seconds, 2_592_000);
    }

    #[test]
    fn external_hubs_then_the_builtin_one_are_advertised() {
        let c = load(
            "hubs = [\"https://pubsubhubbub.appspot.com/\", \"http://127.0.0.1:9/h\"]\n\
             builtin_hub = true\nallow_callbacks = [\"127.0.0.0/8\", \"::1/128\"]",
        )
        .unwrap();
        assert_eq!(
            c.site.hubs,
            [
                "https://pubsubhubbub.appspot.com/",
                "http://127.0.0.1:9/h",
                "https://feeds.actu.example.ma/websub"
            ]
        );
        assert_eq!(c.websub.allow_callbacks.len(), 2);
    }

    #[test]
    fn bad_values_name_the_key_and_the_fix() {
        for (text, key, hint) in [
            ("hubs = [\"ftp://hub.example/\"]", "hubs", "http(s) URL"),
            (
                "allow_callbacks = [\"10.0.0.0/33\"]",
                "allow_callbacks",
                "127.0.0.0/8",
            ),
            (
                "allow_callbacks = [\"localhost\"]",
                "allow_callbacks",
                "127.0.0.0/8",
            ),
            (
                "min_lease_seconds = 0",
                "websub.min_lease_seconds",
                "at least 1",
            ),
            (
                "max_lease_seconds = 100",
                "websub.default_lease_seconds",
                "≤ max_lease_seconds",
            ),
            (
                "drop_after_seconds = 5",
                "websub.drop_after_seconds",
                "at least 60",
            ),
            (
                "verification_timeout_seconds = 0",
                "websub.verification_timeout_seconds",
                "1 to 60",
            ),
            ("max_request_bytes = 10", "websub.max_request_bytes", "1024"),
            (
                "max_response_bytes = 10",
                "websub.max_response_bytes",
                "1024",
            ),
            ("hub = []", "hub", "unknown field"),
        ] {
            let e = load(text).unwrap_err().to_string();
            assert!(e.contains(key) && e.contains(hint), "{text}: {e}");
        }
    }
}
