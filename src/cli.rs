//! What each subcommand does, on top of the library.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{BufRead, BufReader, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use syndic::config::Config;
use syndic::import::{self, Options, Summary};
use syndic::watch::SystemClock;
use syndic::{build, store};

pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SYNDIC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

pub fn import(config: &Config, files: &[PathBuf]) -> Result<Summary> {
    let store = store::open(&config.store.url, (&config.store).into())?;
    let mut total = Summary::default();
    for file in files {
        let (name, size, mut input): (String, u64, Box<dyn BufRead>) = if file.as_os_str() == "-" {
            (
                "-".into(),
                0,
                Box::new(BufReader::new(std::io::stdin().lock())),
            )
        } else {
            let f = std::fs::File::open(file)
                .with_context(|| format!("{}: cannot open", file.display()))?;
            let size = f.metadata().map(|m| m.len()).unwrap_or(0);
            (
                file.display().to_string(),
                size,
                Box::new(BufReader::with_capacity(1 << 20, f)),
            )
        };
        let bar = progress_bar(size);
        let summary = import::import(
            &*store,
            &mut input,
            &name,
            Options::default(),
            &mut std::io::stderr(),
            &mut |read| bar.set_position(read),
        )?;
        bar.finish_and_clear();
        total.counts += summary.counts;
        total.rejected += summary.rejected;
    }
    Ok(total)
}

/// A byte progress bar on a terminal; hidden otherwise (and for stdin).
fn progress_bar(size: u64) -> ProgressBar {
    if size == 0 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(size);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

pub fn build(config: &Config, now: DateTime<Utc>) -> Result<()> {
    let started = Instant::now();
    let store = store::open(&config.store.url, (&config.store).into())?;
    build::seed_if_empty(config, &*store, now)?;
    let (index, _) = build::load_index(config, &*store, now)?;
    tracing::info!(elapsed = ?started.elapsed(), "index loaded");
    let report = build::build_to_disk(config, &*store, &index, &config.output.dir)?;
    eprintln!(
        "built {} documents ({} feeds, {} articles, {} visible) into {} in {:.2?}; removed {} stale",
        report.written,
        index.feeds().len(),
        index.article_count(),
        index.visible_count(),
        config.output.dir.display(),
        started.elapsed(),
        report.removed,
    );
    anyhow::ensure!(
        report.failures == 0,
        "{} document(s) failed to render (see above)",
        report.failures
    );
    Ok(())
}

/// Threads of the blocking pool per core (see [`serve`]).
const BLOCKING_THREADS_PER_CORE: usize = 4;

pub fn serve(config: Config) -> Result<()> {
    // The blocking pool makes compressed variants and reads bodies back (one
    // load per variant at a time, see http's loads) and runs ingest writes:
    // bounded, so a burst of requests cannot start hundreds of threads, each
    // with its stack and its allocator heap.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(BLOCKING_THREADS_PER_CORE * cores)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listen = config.server.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| {
                format!("cannot listen on {listen} ([server] listen): is another process using it?")
            })?;
        syndic::serve::serve(
            config,
            listener,
            Arc::new(SystemClock),
            syndic::serve::shutdown_signal(),
        )
        .await?;
        Ok(())
    })
}
