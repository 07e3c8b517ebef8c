//! # syndic
//!
//! A feed and syndication service for news publishers. Data flows one way:
//!
//! ```text
//! store ──changes──▶ index ──dirty units──▶ render ──bytes──▶ publish ──▶ http
//!                      ▲
//!         watch: store cursor moved ∪ ingest nudge ∪ clock deadline
//! ```
//!
//! * [`model`]: the article record, validated; the one place text is cleaned.
//! * [`config`]: `config.toml` and `SYNDIC_*` overrides.
//! * [`store`]: SQL only: schema, upserts, reads by id, the change log.
//! * [`index`]: in memory, what deciding needs: per feed its ordered visible
//!   articles; applying a change says which documents it dirtied and which
//!   article state ([`index::ArticleKey`]) it freed; time is passed in.
//! * [`render`]: pure functions from views to bytes (RSS, Atom, JSON Feed,
//!   sitemaps, robots.txt, OPML, HTML directory); a feed item is rendered once
//!   per article version and spliced into every feed showing it.
//! * [`publish`]: bytes to artifacts (ETag, encodings), generations swapped
//!   atomically, files written under `feeds/`; bodies already written leave
//!   memory beyond a budget and are read back when asked for.
//! * [`build`]: the full pass (batches, bounded memory) shared by `syndic build`
//!   and `serve`'s start-up, and the demo seed.
//! * [`pipeline`]: glue: index + store + render + publish for a set of units,
//!   with the caches kept between passes (feed items, sitemap entries). It owns
//!   their invalidation: entries are keyed by article state, so a replaced one
//!   never matches, and [`pipeline::apply_change`] frees them with the index.
//! * [`import`]: JSON Lines into the store, streaming.
//! * [`http`]: the server; reads published artifacts, plus the ingest API.
//! * [`watch`]: the loop that keeps everything current; [`metrics`] it keeps.
//! * [`serve`]: wiring of all the above for `syndic serve`.

pub mod build;
pub mod config;
pub mod http;
pub mod import;
pub mod index;
pub mod metrics;
pub mod model;
pub mod pipeline;
pub mod publish;
pub mod render;
pub mod serve;
pub mod store;
pub mod watch;
