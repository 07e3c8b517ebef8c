//! # syndic
//!
//! A feed and syndication service for news publishers. Data flows one way:
//!
//! ```text
//! store ──changes──▶ index ──dirty units──▶ render ──bytes──▶ publish ──▶ http
//!                      ▲                                                 │
//!         watch: store cursor moved ∪ ingest nudge ∪ clock deadline ◀────┘
//! ```
//!
//! Each stage uses only the stages before it (and [`model`], [`config`]); the
//! orchestration modules ([`pipeline`], [`build`], [`resume`], [`watch`], [`serve`],
//! [`import`]) wire the stages they name. `tests/it/layers.rs` checks every
//! `crate::` path against this map.
//!
//! * [`model`]: the article record, validated; the one place text is cleaned.
//! * [`config`]: `config.toml` and `SYNDIC_*` overrides.
//! * [`store`]: SQL only: schema, upserts, reads by id, the change log.
//! * [`index`]: in memory, what deciding needs: per feed its ordered visible
//!   articles and the partition of the older ones into archive pages (RFC
//!   5005); applying a change says which documents it dirtied and which
//!   article state ([`index::ArticleKey`]) it freed; time is passed in. Uses the
//!   store's row types.
//! * [`render`]: pure functions from views to bytes (RSS, Atom, JSON Feed,
//!   archive pages, sitemaps, robots.txt, OPML, the HTML directory and each feed's HTML page,
//!   the stylesheet of a feed opened in a browser); a feed item (and its
//!   page `<li>`) is rendered once per article version and spliced into every
//!   feed showing it.
//! * [`publish`]: documents to complete artifacts (digest, validators as text,
//!   encodings), generations swapped atomically, files written under `feeds/`
//!   (one mirror loop for build and serve); bodies already written leave memory
//!   beyond a budget and are read back when asked for. No HTTP types.
//! * [`http`]: the server: reads published artifacts and makes the headers,
//!   on one connection thread per core (as nginx's workers); plus the ingest
//!   API, which writes the store and nudges [`watch`].
//! * [`pipeline`]: glue: index + store + render + publish for a set of units,
//!   with what is kept between passes (feed items, sitemap entries, and the
//!   sitemap files rendered, from which the sitemap index and robots.txt are
//!   made: nothing is read back from publish). It owns the caches'
//!   invalidation: entries are keyed by article state, so a replaced one never
//!   matches, and [`pipeline::apply_change`] frees them with the index.
//! * [`build`]: the full pass (batches, bounded memory) shared by `syndic build`
//!   and `serve`'s start-up, and the demo seed.
//! * [`resume`]: start-up from the mirror a previous process left, in two
//!   steps: its manifest checked against the build, settings, store and files
//!   and its documents restored (served at once); then the index loaded and
//!   only what changed since rendered.
//! * [`import`]: JSON Lines into the store, streaming.
//! * [`outbound`]: the one HTTP client that sends requests out (WebSub pings,
//!   and the hub's verifications and deliveries): bounded, and guarded against
//!   reaching non-public addresses for URLs that others give. Uses only
//!   [`config`].
//! * [`ping`]: WebSub publish pings to the configured hubs after each
//!   regeneration, on their own tasks (through [`outbound`]).
//! * `hub`: the built-in WebSub hub: subscriptions (verified, leased, kept in
//!   the store), and signed diffs of each changed feed POSTed to its
//!   subscribers through the guarded outbound client, each delivery claimed
//!   in the store so that one replica sends it. Fed by [`watch`] with what
//!   each regeneration rendered ([`pipeline`]'s feed heads); answered by [`http`].
//! * [`indexnow`]: which changed article URLs to submit to search engines,
//!   and the task that submits them (through [`outbound`]), off the watch loop.
//! * [`watch`]: the loop that keeps everything current; [`metrics`] it keeps.
//! * [`serve`]: wiring of all the above for `syndic serve`; `cli` parses the
//!   command line.

pub mod build;
pub mod config;
pub(crate) mod http;
pub(crate) mod hub;
pub mod import;
pub mod index;
pub(crate) mod indexnow;
pub mod metrics;
pub mod model;
pub mod outbound;
pub(crate) mod ping;
pub(crate) mod pipeline;
pub mod publish;
pub mod render;
pub(crate) mod resume;
pub mod serve;
pub mod store;
pub mod watch;
