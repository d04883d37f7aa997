//! The `medatlas` program: with no subcommand it opens the desktop window; subcommands are the CLI.
//! Both are thin front ends over the `medatlas` library.

mod cli;
mod ui;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // First, while this is the only thread: settle the model's thread count.
    let threads = medatlas::embed::settle_inference_threads();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    tracing::debug!("inference threads: {threads:?}");
    let args = cli::Args::parse();
    match args.command {
        None => match ui::run(&args.global.sources()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
        Some(command) => cli::run(&args.global, command),
    }
}
