//! The integration tests, as one binary (one build, one link): each module is a
//! former test target. `cargo test --test it MODULE::` runs one of them, e.g.
//! `cargo test --test it golden::`.
//!
//! Shared helpers: [`common`] (the fixture, a fresh store, a full build),
//! [`support`] (a real `syndic serve` on 127.0.0.1:0 and an HTTP client) and
//! [`cluster`] (a private PostgreSQL cluster and replicas).

// Each module uses a different subset of the helpers.
#[allow(dead_code)]
mod cluster;
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
mod support;

mod archives;
mod browser;
mod browser_feeds;
mod browser_kit;
mod concurrent_writers;
mod conformance;
mod crash;
mod differential;
mod directory_rate;
mod disk_full;
mod every_document;
mod flood;
mod fuzz;
mod golden;
mod hostile_api;
mod http_api;
mod http_bodies;
mod http_live;
mod http_sendfile;
mod http_server;
mod import_cli;
mod indexnow;
mod indexnow_replicas;
mod indexnow_store;
mod judges;
mod layers;
mod log_concurrency;
mod log_floor;
mod news_rules;
mod output_files;
mod pg_bodies;
mod pg_deadlock;
mod pg_pool;
mod pg_tls;
mod properties;
mod replicas;
mod restart;
mod shutdown;
mod sitemap_parts;
mod sitemap_schema;
mod soak;
mod sqlite_checkpoint;
mod statement_log;
mod store_suite;
mod validators;
mod websub_documents;
mod websub_flask;
mod websub_hub;
mod websub_publisher;
mod websub_refusals;
mod websub_replicas;
mod websub_store;
#[allow(dead_code)]
mod websub_stub;
