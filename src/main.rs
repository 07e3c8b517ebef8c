//! The `syndic` command: parses arguments and hands over to the library.

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use syndic::config::Config;

mod cli;

/// Rendering allocates and frees many small strings from several threads:
/// mimalloc does that with far less CPU than glibc's malloc (see README, Performance).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Feeds and sitemaps for news publishers, kept current.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        default_value = "config.toml",
        env = "SYNDIC_CONFIG"
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import JSON Lines article records into the store (`-` reads stdin).
    Import {
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Render every document once into the output folder.
    Build {
        /// The time to build at (RFC 3339); defaults to now.
        #[arg(long)]
        now: Option<DateTime<Utc>>,
    },
    /// Serve every document over HTTP and keep them current.
    Serve,
}

fn main() -> ExitCode {
    let args = Args::parse();
    cli::init_tracing();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // No backtrace: these are the user's errors. Causes that the message
            // already quotes are not repeated.
            let mut message = e.to_string();
            for cause in e.chain().skip(1) {
                let text = cause.to_string();
                if !message.contains(&text) {
                    message = format!("{message}: {text}");
                }
            }
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    let config = Config::load(&args.config)?;
    match args.command {
        Command::Import { files } => {
            let summary = cli::import(&config, &files)?;
            eprintln!("{summary}");
            if summary.rejected > 0 {
                bail!(
                    "{} record(s) rejected; fix them and import again (valid records were imported)",
                    summary.rejected
                );
            }
            Ok(())
        }
        Command::Build { now } => cli::build(&config, now.unwrap_or_else(Utc::now)),
        Command::Serve => cli::serve(config).context("serve"),
    }
}
