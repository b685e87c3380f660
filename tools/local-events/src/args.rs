//! Command-line arguments over `LOCAL_EVENTS_*` environment variables over defaults,
//! validated once: every error names the flag or variable at fault. The client commands'
//! arguments are in [`client`].

mod client;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use appsync_types::channel::is_valid_namespace;

use crate::config::{CacheKey, Config, DEFAULT_CERT_DIR, MAX_HISTORY, USAGE};
use crate::error::Error;
use crate::modes::AuthMode;
use crate::template;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// Run the endpoint.
    Run(Box<Config>),
    /// Talk to a running endpoint (`subscribe` / `publish`).
    Client(crate::client::Request),
    /// Print this text and exit.
    Help(&'static str),
    /// Print the version and exit.
    Version,
}

/// Flags that take a value, with the variable each falls back to.
const VALUED: [(&str, &str); 22] = [
    ("--listen", "LOCAL_EVENTS_LISTEN"),
    ("--parameter-overrides", "LOCAL_EVENTS_PARAMETER_OVERRIDES"),
    ("--namespace", "LOCAL_EVENTS_NAMESPACES"),
    ("--template", "LOCAL_EVENTS_TEMPLATE"),
    ("--connect-auth", "LOCAL_EVENTS_CONNECT_AUTH"),
    ("--publish-auth", "LOCAL_EVENTS_PUBLISH_AUTH"),
    ("--subscribe-auth", "LOCAL_EVENTS_SUBSCRIBE_AUTH"),
    ("--region", "LOCAL_EVENTS_REGION"),
    ("--history", "LOCAL_EVENTS_HISTORY"),
    ("--cert-dir", "LOCAL_EVENTS_CERT_DIR"),
    ("--keepalive-secs", "LOCAL_EVENTS_KEEPALIVE_SECS"),
    ("--authorizer-url", "LOCAL_EVENTS_AUTHORIZER_URL"),
    ("--authorizer-function", "LOCAL_EVENTS_AUTHORIZER_FUNCTION"),
    (
        "--authorizer-timeout-secs",
        "LOCAL_EVENTS_AUTHORIZER_TIMEOUT_SECS",
    ),
    ("--auth-cache-key", "LOCAL_EVENTS_AUTH_CACHE_KEY"),
    ("--auth-cache-ttl", "LOCAL_EVENTS_AUTH_CACHE_TTL"),
    ("--iam-access-key-id", "LOCAL_EVENTS_IAM_ACCESS_KEY_ID"),
    (
        "--iam-secret-access-key",
        "LOCAL_EVENTS_IAM_SECRET_ACCESS_KEY",
    ),
    ("--api-id", "LOCAL_EVENTS_API_ID"),
    ("--account-id", "LOCAL_EVENTS_ACCOUNT_ID"),
    ("--tls", "LOCAL_EVENTS_TLS"),
    ("--allow-remote", "LOCAL_EVENTS_ALLOW_REMOTE"),
];
/// Flags without a value (their variables take `1`/`true`).
const SWITCHES: [&str; 2] = ["--tls", "--allow-remote"];

/// Raw values: flags first, then variables.
struct Raw<'e> {
    flags: Vec<(String, String)>,
    env: &'e dyn Fn(&str) -> Option<String>,
}

impl Raw<'_> {
    /// The last value of `flag`, else its variable, with the name to blame.
    fn get(&self, flag: &str) -> Option<(String, String)> {
        if let Some((_, v)) = self.flags.iter().rev().find(|(f, _)| f == flag) {
            return Some((flag.to_owned(), v.clone()));
        }
        let var = VALUED.iter().find(|(f, _)| *f == flag)?.1;
        (self.env)(var)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (var.to_owned(), v))
    }

    fn switch(&self, flag: &str) -> Result<bool, Error> {
        match self.get(flag) {
            None => Ok(false),
            Some((name, value)) => match value.trim() {
                "" | "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" => Ok(false),
                other => Err(Error::invalid_argument(
                    name,
                    format!("{other:?} is not 1/true or 0/false"),
                )),
            },
        }
    }

    fn parsed<T>(
        &self,
        flag: &str,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<Option<T>, Error> {
        self.get(flag)
            .map(|(name, value)| {
                parse(value.trim()).ok_or_else(|| {
                    Error::invalid_argument(name, format!("{value:?} is not {what}"))
                })
            })
            .transpose()
    }
}

/// Parses `args` (without the program name), falling back to `env` for unset options.
pub fn parse<I, E>(args: I, env: E) -> Result<Command, Error>
where
    I: IntoIterator<Item = String>,
    E: Fn(&str) -> Option<String>,
{
    let mut args = args.into_iter().peekable();
    if let Some(first) = args.peek()
        && let Some(kind) = crate::client::Kind::parse(first)
    {
        args.next();
        return client::parse(kind, args, &env);
    }
    let mut flags = Vec::new();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help(USAGE)),
            "-V" | "--version" => return Ok(Command::Version),
            switch if SWITCHES.contains(&switch) => flags.push((name, inline.unwrap_or_default())),
            known if VALUED.iter().any(|(f, _)| *f == known) => {
                let value = inline
                    .or_else(|| args.next())
                    .ok_or_else(|| Error::invalid_argument(&name, "a value is required"))?;
                flags.push((name, value));
            }
            _ => {
                return Err(Error::invalid_argument(
                    arg,
                    "unknown argument (see --help)",
                ));
            }
        }
    }
    let raw = Raw { flags, env: &env };
    build(&raw).map(|c| Command::Run(Box::new(c)))
}

fn build(raw: &Raw<'_>) -> Result<Config, Error> {
    let mut config = Config::default();
    let allow_remote = raw.switch("--allow-remote")?;

    if let Some(listen) = raw.parsed("--listen", "an address like 127.0.0.1:4010", |v| {
        v.parse::<SocketAddr>().ok()
    })? {
        config.listen = listen;
    }
    if !allow_remote && !config.listen.ip().is_loopback() {
        return Err(Error::invalid_argument(
            "--listen",
            format!(
                "{} is not a loopback address; this endpoint is for development, so pass --allow-remote if you really want to expose it",
                config.listen
            ),
        ));
    }

    let overrides = parameter_overrides(raw)?;
    let template_ttl = match raw.get("--template") {
        Some((_, path)) => {
            let path = PathBuf::from(path.trim());
            let loaded = template::load(&path, &overrides)?;
            config.identity_validation = loaded.identity_validation;
            config.events = loaded.event_config;
            config.warnings.extend(loaded.warnings);
            config.template = Some(path);
            loaded.authorizer_ttl
        }
        None if !overrides.is_empty() => {
            return Err(Error::invalid_argument(
                "--parameter-overrides",
                "parameter overrides need a --template to apply to",
            ));
        }
        None => None,
    };
    apply_namespaces(raw, &mut config)?;
    for (flag, slot) in [
        ("--connect-auth", &mut config.events.connect),
        ("--publish-auth", &mut config.events.default_publish),
        ("--subscribe-auth", &mut config.events.default_subscribe),
    ] {
        if let Some((name, value)) = raw.get(flag) {
            *slot = AuthMode::parse_list(&value).map_err(|e| Error::invalid_argument(name, e))?;
        }
    }
    if config.events.uses(AuthMode::None) {
        config.warnings.push(
            "auth mode 'none' is enabled: some operations are allowed without any credentials"
                .into(),
        );
    }

    if let Some(region) = raw.parsed("--region", "a region like us-east-1", |v| {
        let ok = !v.is_empty()
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        ok.then(|| v.to_owned())
    })? {
        config.region = region;
    }
    if let Some(history) = raw.parsed(
        "--history",
        &format!("a number from 1 to {MAX_HISTORY}"),
        |v| v.parse().ok().filter(|n| (1..=MAX_HISTORY).contains(n)),
    )? {
        config.history = history;
    }
    if raw.switch("--tls")? {
        let dir = raw
            .get("--cert-dir")
            .map_or_else(|| DEFAULT_CERT_DIR.to_owned(), |(_, d)| d);
        config.tls = Some(PathBuf::from(dir.trim()));
    }
    if let Some(secs) = raw.parsed(
        "--keepalive-secs",
        "a number of seconds from 1 to 299",
        |v| v.parse::<u64>().ok().filter(|n| (1..300).contains(n)),
    )? {
        config.keepalive = Duration::from_secs(secs);
    }

    let authorizer = &mut config.authorizer;
    if let Some((name, url)) = raw.get("--authorizer-url") {
        authorizer.url =
            check_url(&url, allow_remote).map_err(|e| Error::invalid_argument(name, e))?;
    }
    if let Some(function) = raw.parsed(
        "--authorizer-function",
        "a function name (A-Z a-z 0-9 - _, up to 64)",
        |v| {
            let ok = !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            ok.then(|| v.to_owned())
        },
    )? {
        authorizer.function = function;
    }
    if let Some(secs) = raw.parsed(
        "--authorizer-timeout-secs",
        "a number of seconds from 1 to 900",
        |v| v.parse::<u64>().ok().filter(|n| (1..=900).contains(n)),
    )? {
        authorizer.timeout = Duration::from_secs(secs);
    }
    if let Some(key) = raw.parsed(
        "--auth-cache-key",
        "token, token-operation or token-operation-channel",
        CacheKey::parse,
    )? {
        authorizer.cache_key = key;
    }
    authorizer.cache_ttl = raw
        .parsed(
            "--auth-cache-ttl",
            "a number of seconds from 0 to 3600",
            |v| v.parse::<u64>().ok().filter(|n| *n <= 3600),
        )?
        .or(template_ttl)
        .unwrap_or(0);

    let text =
        |flag: &str, what: &str| raw.parsed(flag, what, |v| (!v.is_empty()).then(|| v.to_owned()));
    if let Some(id) = text("--iam-access-key-id", "an access key id")? {
        config.iam.access_key_id = id;
    }
    if let Some(secret) = text("--iam-secret-access-key", "a secret access key")? {
        config.iam.secret_access_key = secret;
    }
    if let Some(id) = text("--api-id", "an API id")? {
        config.api_id = id;
    }
    if let Some(id) = text("--account-id", "an account id")? {
        config.account_id = id;
    }
    Ok(config)
}

/// `--parameter-overrides K=V [K=V …]` (repeatable; whitespace-separated pairs, an empty
/// value allowed) or `LOCAL_EVENTS_PARAMETER_OVERRIDES`.
fn parameter_overrides(raw: &Raw<'_>) -> Result<template::Overrides, Error> {
    let mut lists: Vec<(String, String)> = raw
        .flags
        .iter()
        .filter(|(f, _)| f == "--parameter-overrides")
        .cloned()
        .collect();
    if lists.is_empty() {
        lists.extend(raw.get("--parameter-overrides"));
    }
    let mut overrides = template::Overrides::new();
    for (name, list) in lists {
        for pair in list.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| {
                    Error::invalid_argument(&name, format!("{pair:?} is not Key=Value"))
                })?;
            overrides.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(overrides)
}

/// `--namespace` / `LOCAL_EVENTS_NAMESPACES`: without a template they replace the default
/// namespace; with one they add to the template's.
fn apply_namespaces(raw: &Raw<'_>, config: &mut Config) -> Result<(), Error> {
    let mut names: Vec<(String, String)> = raw
        .flags
        .iter()
        .filter(|(f, _)| f == "--namespace")
        .map(|(f, v)| (f.clone(), v.clone()))
        .collect();
    if names.is_empty()
        && let Some((var, list)) = raw.get("--namespace")
    {
        names = list
            .split(',')
            .map(|n| (var.clone(), n.to_owned()))
            .collect();
    }
    if names.is_empty() {
        return Ok(());
    }
    if config.template.is_none() {
        config.events.namespaces.clear();
    }
    for (name, namespace) in names {
        let namespace = namespace.trim();
        if !is_valid_namespace(namespace) {
            return Err(Error::invalid_argument(
                name,
                format!(
                    "{namespace:?} is not a namespace name (1-50 of A-Z a-z 0-9 -, not starting or ending with -)"
                ),
            ));
        }
        config
            .events
            .namespaces
            .entry(namespace.to_owned())
            .or_default();
    }
    Ok(())
}

/// An `http(s)://host[:port]` base URL, loopback unless `allow_remote`; trailing `/` removed.
pub fn check_url(url: &str, allow_remote: bool) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("{url:?} must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    let host_only = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    if host_only.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    let loopback = host_only == "localhost"
        || host_only
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback && !allow_remote {
        return Err(format!(
            "{url:?} is not on this machine; tokens are sent there, so pass --allow-remote if you mean it"
        ));
    }
    Ok(url.to_owned())
}

#[cfg(test)]
mod tests;
