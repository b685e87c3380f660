//! Configuration: command-line arguments over `LOCAL_EVENTS_*` environment variables over
//! defaults, validated once at start-up.

use std::collections::BTreeSet;
use std::net::SocketAddr;

use appsync_types::channel::is_valid_namespace;

use crate::error::Error;

/// Default listen address: loopback only, the port the dev loop expects.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4010";
/// Default channel namespace (the SAM template's default `ChannelNamespaceName`).
pub const DEFAULT_NAMESPACE: &str = "default";
/// Default number of received events kept for `GET /_local/events`.
pub const DEFAULT_HISTORY: usize = 1000;
/// Upper bound for `--history`, so a typo cannot make the log grow without bound.
pub const MAX_HISTORY: usize = 100_000;

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
local-events: a development-only stand-in for the AppSync Events HTTP endpoint.

It accepts publishes (POST /event) with AppSync's validation rules and answers, logs what
it receives, and keeps the most recent events for GET /_local/events. It does NOT verify
SigV4 signatures or Lambda tokens yet: never expose it beyond your machine.

USAGE:
    local-events [OPTIONS]

OPTIONS:
    --listen <ADDR>      address to listen on [env: LOCAL_EVENTS_LISTEN] [default: 127.0.0.1:4010]
    --namespace <NAME>   a configured channel namespace; repeat for several
                         [env: LOCAL_EVENTS_NAMESPACES, comma-separated] [default: default]
    --region <REGION>    the region this endpoint stands in for; SigV4 requests signed for
                         another region are refused [env: LOCAL_EVENTS_REGION] [default: any]
    --history <N>        received events kept in memory [env: LOCAL_EVENTS_HISTORY] [default: 1000]
    --allow-remote       allow a non-loopback --listen address (it has no real authentication)
    -h, --help           print this help
    -V, --version        print the version

Logging: RUST_LOG (default: info), e.g. RUST_LOG=local_events=debug also logs event bodies.
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Run the server.
    Run(Config),
    /// Print [`USAGE`] and exit.
    Help,
    /// Print the version and exit.
    Version,
}

/// The server's validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Address to listen on. Default [`DEFAULT_LISTEN`]; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Channel namespaces that exist; publishing elsewhere is a `BadRequestException`.
    /// Default: just [`DEFAULT_NAMESPACE`].
    pub namespaces: BTreeSet<String>,
    /// The region this endpoint stands in for. When set, a SigV4 request whose credential
    /// scope names another region is refused, as AppSync refuses it. Default: any.
    pub region: Option<String>,
    /// How many received events `GET /_local/events` can return. Default [`DEFAULT_HISTORY`].
    pub history: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address is a valid socket address"),
            namespaces: BTreeSet::from([DEFAULT_NAMESPACE.to_owned()]),
            region: None,
            history: DEFAULT_HISTORY,
        }
    }
}

impl Config {
    /// A loopback configuration on an ephemeral port with the given namespaces (for tests).
    pub fn ephemeral<I, S>(namespaces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            namespaces: namespaces.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// Sets the region this endpoint stands in for.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

/// Parses `args` (without the program name), falling back to `env` for unset options.
pub fn parse<I, E>(args: I, env: E) -> Result<Command, Error>
where
    I: IntoIterator<Item = String>,
    E: Fn(&str) -> Option<String>,
{
    let mut listen = None;
    let mut namespaces = Vec::new();
    let mut region = None;
    let mut history = None;
    let mut allow_remote = false;

    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--name value` and `--name=value`.
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| Error::invalid_argument(&name, "a value is required"))
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--listen" => listen = Some(("--listen", value()?)),
            "--namespace" => namespaces.push(("--namespace", value()?)),
            "--region" => region = Some(("--region", value()?)),
            "--history" => history = Some(("--history", value()?)),
            "--allow-remote" => allow_remote = true,
            _ => {
                return Err(Error::invalid_argument(
                    arg,
                    "unknown argument (see --help)",
                ));
            }
        }
    }

    let from_env = |name: &'static str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    };
    let mut config = Config::default();

    if let Some((name, value)) = listen.or_else(|| from_env("LOCAL_EVENTS_LISTEN")) {
        config.listen = value.trim().parse().map_err(|_| {
            Error::invalid_argument(
                name,
                format!("{value:?} is not an address like 127.0.0.1:4010"),
            )
        })?;
    }
    if !allow_remote && !config.listen.ip().is_loopback() {
        return Err(Error::invalid_argument(
            "--listen",
            format!(
                "{} is not a loopback address; this stand-in verifies no credentials, so \
                 pass --allow-remote if you really want to expose it",
                config.listen
            ),
        ));
    }

    if namespaces.is_empty()
        && let Some((name, list)) = from_env("LOCAL_EVENTS_NAMESPACES")
    {
        namespaces = list.split(',').map(|n| (name, n.to_owned())).collect();
    }
    if !namespaces.is_empty() {
        config.namespaces = BTreeSet::new();
        for (name, namespace) in namespaces {
            let namespace = namespace.trim();
            if !is_valid_namespace(namespace) {
                return Err(Error::invalid_argument(
                    name,
                    format!(
                        "{namespace:?} is not a namespace name (1-50 of A-Z a-z 0-9 -, not \
                         starting or ending with -)"
                    ),
                ));
            }
            config.namespaces.insert(namespace.to_owned());
        }
    }

    if let Some((name, value)) = region.or_else(|| from_env("LOCAL_EVENTS_REGION")) {
        let value = value.trim();
        let valid = !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(Error::invalid_argument(
                name,
                format!("{value:?} is not a region like us-east-1"),
            ));
        }
        config.region = Some(value.to_owned());
    }

    if let Some((name, value)) = history.or_else(|| from_env("LOCAL_EVENTS_HISTORY")) {
        config.history = value
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=MAX_HISTORY).contains(n))
            .ok_or_else(|| {
                Error::invalid_argument(
                    name,
                    format!("{value:?} is not a number from 1 to {MAX_HISTORY}"),
                )
            })?;
    }

    Ok(Command::Run(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str], env: &[(&str, &str)]) -> Result<Config, Error> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        match parse(args.iter().map(|a| (*a).to_owned()), lookup)? {
            Command::Run(config) => Ok(config),
            other => panic!("expected a run command, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_loopback_port_4010_and_the_default_namespace() {
        let config = run(&[], &[]).expect("defaults are valid");
        assert_eq!(config, Config::default());
        assert_eq!(config.listen.to_string(), "127.0.0.1:4010");
        assert_eq!(config.namespaces, BTreeSet::from(["default".to_owned()]));
        assert_eq!(config.region, None);
        assert_eq!(config.history, DEFAULT_HISTORY);
    }

    #[test]
    fn namespace_is_repeatable_and_replaces_the_default() {
        let config = run(&["--namespace", "chat", "--namespace=orders"], &[]).expect("valid");
        assert_eq!(
            config.namespaces,
            BTreeSet::from(["chat".to_owned(), "orders".to_owned()])
        );
    }

    #[test]
    fn arguments_override_environment_variables() {
        let env = [
            ("LOCAL_EVENTS_LISTEN", "127.0.0.1:5000"),
            ("LOCAL_EVENTS_NAMESPACES", "a, b"),
            ("LOCAL_EVENTS_REGION", "eu-west-1"),
            ("LOCAL_EVENTS_HISTORY", "10"),
        ];
        let from_env = run(&[], &env).expect("valid");
        assert_eq!(from_env.listen.port(), 5000);
        assert_eq!(from_env.namespaces.len(), 2);
        assert_eq!(from_env.region.as_deref(), Some("eu-west-1"));
        assert_eq!(from_env.history, 10);

        let from_args = run(&["--listen", "127.0.0.1:0", "--namespace", "c"], &env).expect("valid");
        assert_eq!(from_args.listen.port(), 0);
        assert_eq!(from_args.namespaces, BTreeSet::from(["c".to_owned()]));
    }

    #[test]
    fn non_loopback_listen_needs_allow_remote() {
        let error = run(&["--listen", "0.0.0.0:4010"], &[]).expect_err("refused");
        assert!(error.to_string().contains("--allow-remote"), "{error}");
        assert!(run(&["--listen", "0.0.0.0:4010", "--allow-remote"], &[]).is_ok());
    }

    #[test]
    fn invalid_values_name_the_argument_or_variable() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            (&["--listen", "localhost"], &[], "--listen"),
            (
                &[],
                &[("LOCAL_EVENTS_LISTEN", "nope")],
                "LOCAL_EVENTS_LISTEN",
            ),
            (&["--namespace", "bad_name"], &[], "--namespace"),
            (
                &[],
                &[("LOCAL_EVENTS_NAMESPACES", "ok,-bad")],
                "LOCAL_EVENTS_NAMESPACES",
            ),
            (&["--region", "US East"], &[], "--region"),
            (&["--history", "0"], &[], "--history"),
            (&["--listen"], &[], "--listen"),
            (&["--bogus"], &[], "--bogus"),
        ];
        for (args, env, name) in cases {
            let error = run(args, env).expect_err("invalid");
            assert!(
                error.to_string().starts_with(&format!("invalid {name}")),
                "{args:?} {env:?}: {error}"
            );
        }
    }

    #[test]
    fn help_and_version_are_commands() {
        let parse_args = |a: &[&str]| parse(a.iter().map(|s| (*s).to_owned()), |_| None);
        assert_eq!(parse_args(&["--help"]).ok(), Some(Command::Help));
        assert_eq!(parse_args(&["-V"]).ok(), Some(Command::Version));
    }
}
