//! `local-events`: runs the development-only local AppSync Events endpoint, or talks to a
//! running one (`subscribe`, `publish`). See the library docs and `local-events --help`.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use local_events::args::{self, Command};
use local_events::{Config, Error, Server, client, modes};
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

    let command = args::parse(std::env::args().skip(1), |name| std::env::var(name).ok());
    let result = match command {
        Ok(Command::Run(config)) => run(*config).await,
        Ok(Command::Client(request)) => {
            let mut stdout = std::io::stdout();
            tokio::select! {
                result = client::run(request, &mut stdout) => result,
                () = shutdown_signal() => Ok(()),
            }
        }
        Ok(Command::Help(text)) => return print(text),
        Ok(Command::Version) => {
            return print(concat!("local-events ", env!("CARGO_PKG_VERSION"), "\n"));
        }
        Ok(_) => return ExitCode::FAILURE,
        Err(error) => return fail(&error),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error @ Error::Client(_)) => {
            tracing::error!(%error, "local-events");
            ExitCode::FAILURE
        }
        Err(error) => fail(&error),
    }
}

async fn run(config: Config) -> Result<(), Error> {
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let server = Server::bind(config).await?;
    let addr = server.local_addr()?;
    let state = server.state().clone();
    let config = &state.config;
    let scheme = if server.certificate().is_some() {
        "https"
    } else {
        "http"
    };
    let ws_scheme = if server.certificate().is_some() {
        "wss"
    } else {
        "ws"
    };
    for namespace in config.events.namespaces.keys() {
        tracing::info!(
            %namespace,
            publish = %modes::list(config.events.publish_modes(namespace)),
            subscribe = %modes::list(config.events.subscribe_modes(namespace)),
            "namespace"
        );
    }
    tracing::info!(
        connect = %modes::list(&config.events.connect),
        template = config.template.as_ref().map_or("-".to_owned(), |p| p.display().to_string()),
        region = %config.region,
        authorizer = state.authz.lambda().invoke_url(),
        auth_cache_key = state.authz.lambda().cache_key().as_str(),
        auth_cache_ttl_secs = config.authorizer.cache_ttl,
        keepalive_secs = config.keepalive.as_secs(),
        identity_validation = config
            .identity_validation
            .as_ref()
            .map_or("-", |check| check.pattern()),
        "auth"
    );
    if let Some(cert) = server.certificate() {
        tracing::info!(
            ca = %cert.ca_path.display(),
            certificate = %cert.cert_path.display(),
            new_ca = cert.new_ca,
            "TLS with the development CA: trust it once. Node: NODE_EXTRA_CA_CERTS={} ; \
             browsers and systems: docs/local-endpoint.md, \"Trusting the development CA\" \
             (Linux Chromium: certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n local-events -i {}); \
             curl: --cacert {}",
            cert.ca_path.display(),
            cert.ca_path.display(),
            cert.ca_path.display()
        );
    }
    let host = if addr.ip().is_loopback() && server.certificate().is_some() {
        format!("localhost:{}", addr.port())
    } else {
        addr.to_string()
    };
    tracing::info!(
        %addr,
        "local-events listening: POST {scheme}://{host}/event, WebSocket {ws_scheme}://{host}/event/realtime, \
         GET {scheme}://{host}/_local/events (development only; Amplify: API.Events.endpoint = '{scheme}://{host}/event')"
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
