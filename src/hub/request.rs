//! A subscription request to the built-in hub, parsed and checked once.
//!
//! Owns: reading the `application/x-www-form-urlencoded` body of `POST /websub`
//! (W3C WebSub §5.1) into an [`Intent`], and the reasons a request is refused
//! before anything is stored or sent. Must not: resolve names, connect, or
//! touch the store.

use crate::config::Config;
use crate::render::{DocKind, paths};
use url::Url;

/// Longest `hub.secret`: the spec requires fewer than 200 bytes.
const SECRET_LIMIT: usize = 200;

/// Subscribe or unsubscribe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `hub.mode=subscribe`.
    Subscribe,
    /// `hub.mode=unsubscribe`.
    Unsubscribe,
}

impl Mode {
    /// The `hub.mode` value.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Mode::Subscribe => "subscribe",
            Mode::Unsubscribe => "unsubscribe",
        }
    }
}

/// One of syndic's feed documents, as a WebSub topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Topic {
    /// The feed's folder (`""`, `tags/x/`).
    pub(crate) dir: String,
    /// The document's format.
    pub(crate) kind: DocKind,
    /// Its path under the public URL (`tags/x/atom.xml`): the stored topic.
    pub(crate) path: String,
}

impl Topic {
    /// The topic of a stored path, if it names a feed document.
    pub(crate) fn from_path(path: &str) -> Option<Topic> {
        let (dir, file) = path.rsplit_once('/').map_or(("", path), |(d, f)| (d, f));
        let kind = match file {
            paths::RSS => DocKind::Rss,
            paths::ATOM => DocKind::Atom,
            paths::JSON => DocKind::JsonFeed,
            _ => return None,
        };
        let dir = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        Some(Topic {
            dir,
            kind,
            path: path.to_owned(),
        })
    }
}

/// A request, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Intent {
    /// What is asked.
    pub(crate) mode: Mode,
    /// Which feed.
    pub(crate) topic: Topic,
    /// The topic URL as the subscriber sent it (echoed in the verification).
    pub(crate) topic_url: String,
    /// Where to verify and deliver.
    pub(crate) callback: Url,
    /// The lease granted (within the configured bounds).
    pub(crate) lease_seconds: u32,
    /// `hub.secret`.
    pub(crate) secret: Option<String>,
}

/// Why a request is refused: the HTTP status, and a text that says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text}")]
pub(crate) struct Refused {
    /// 400, 403 (callback not reachable under the rules), 429 (limit), 503.
    pub(crate) status: u16,
    /// The reason.
    pub(crate) text: String,
}

/// A 400 refusal.
pub(crate) fn refused(text: impl Into<String>) -> Refused {
    Refused {
        status: 400,
        text: text.into(),
    }
}

/// Parses the form; `is_feed` says whether a feed folder exists.
pub(crate) fn parse(
    config: &Config,
    body: &[u8],
    is_feed: &dyn Fn(&str) -> bool,
) -> Result<Intent, Refused> {
    let field = |name: &str| {
        url::form_urlencoded::parse(body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let mode = match field("hub.mode").as_deref() {
        Some("subscribe") => Mode::Subscribe,
        Some("unsubscribe") => Mode::Unsubscribe,
        Some(other) => {
            return Err(refused(format!(
                "hub.mode {other:?} is not served here: use subscribe or unsubscribe"
            )));
        }
        None => return Err(refused("hub.mode is missing: subscribe or unsubscribe")),
    };
    let topic_url = field("hub.topic").ok_or_else(|| refused("hub.topic is missing"))?;
    let topic = own_topic(config, &topic_url, is_feed)?;
    let callback = field("hub.callback").ok_or_else(|| refused("hub.callback is missing"))?;
    let callback = callback_url(&callback)?;
    let lease_seconds = lease(config, field("hub.lease_seconds").as_deref())?;
    let secret = field("hub.secret");
    if secret.as_ref().is_some_and(|s| s.len() >= SECRET_LIMIT) {
        return Err(refused(format!(
            "hub.secret must be shorter than {SECRET_LIMIT} bytes"
        )));
    }
    Ok(Intent {
        mode,
        topic,
        topic_url,
        callback,
        lease_seconds,
        secret: secret.filter(|s| !s.is_empty()),
    })
}

/// The topic, if it is one of syndic's feed documents.
fn own_topic(
    config: &Config,
    topic: &str,
    is_feed: &dyn Fn(&str) -> bool,
) -> Result<Topic, Refused> {
    let public = config.site.public_url.to_string();
    let not_ours = || {
        refused(format!(
            "hub.topic {topic:?} is not a feed of this site: this hub serves only the feeds under {public} (feed.xml, atom.xml, feed.json)"
        ))
    };
    let path = topic.strip_prefix(&public).ok_or_else(not_ours)?;
    let topic = Topic::from_path(path).ok_or_else(not_ours)?;
    if !is_feed(&topic.dir) {
        return Err(not_ours());
    }
    Ok(topic)
}

/// The callback, if it is an absolute http(s) URL with a host.
fn callback_url(text: &str) -> Result<Url, Refused> {
    let bad = |why: &str| {
        refused(format!(
            "hub.callback {text:?} {why}: give an absolute http:// or https:// URL"
        ))
    };
    let url = Url::parse(text).map_err(|_| bad("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("is not http or https"));
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    Ok(url)
}

/// The lease granted for the one asked (or the default), within the bounds.
fn lease(config: &Config, asked: Option<&str>) -> Result<u32, Refused> {
    let w = &config.websub;
    let asked = match asked.filter(|a| !a.is_empty()) {
        None => w.default_lease_seconds,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| {
                refused(format!(
                    "hub.lease_seconds {text:?} is not a whole number of seconds"
                ))
            })?
            .min(u32::MAX.into()) as u32,
    };
    Ok(asked.clamp(w.min_lease_seconds, w.max_lease_seconds))
}
