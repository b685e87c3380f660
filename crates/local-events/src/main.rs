//! `local-events`: runs the development stand-in for the AppSync Events HTTP endpoint.
//! See the library docs and `local-events --help`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use local_events::config::{self, Command};
use local_events::{Error, Server};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person watching; logs piped to a file or test stay plain.
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .init();

    let command = config::parse(std::env::args().skip(1), |name| std::env::var(name).ok());
    let config = match command {
        Ok(Command::Run(config)) => config,
        Ok(Command::Help) => return print(config::USAGE),
        Ok(Command::Version) => {
            return print(concat!("local-events ", env!("CARGO_PKG_VERSION"), "\n"));
        }
        Ok(_) => return ExitCode::FAILURE,
        Err(error) => return fail(&error),
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error),
    }
}

async fn run(config: local_events::Config) -> Result<(), Error> {
    let namespaces: Vec<String> = config.namespaces.iter().cloned().collect();
    let region = config.region.clone();
    let server = Server::bind(config).await?;
    let addr = server.local_addr()?;
    tracing::info!(
        %addr,
        namespaces = %namespaces.join(","),
        region = region.as_deref().unwrap_or("any"),
        "local-events listening: POST http://{addr}/event, GET http://{addr}/_local/events \
         (development only; signatures and tokens are not verified)"
    );
    server.run(shutdown_signal()).await?;
    tracing::info!("local-events stopped");
    Ok(())
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

/// Writes `text` to stdout (help and version output belong there, not in the log).
fn print(text: &str) -> ExitCode {
    match std::io::stdout().write_all(text.as_bytes()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::FAILURE,
    }
}

fn fail(error: &Error) -> ExitCode {
    tracing::error!(%error, "local-events cannot start");
    ExitCode::from(2)
}
