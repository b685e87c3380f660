//! The server's configuration: types, defaults and `--help`. Parsing is in [`crate::args`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::modes::{EventConfig, NamespaceModes};
use crate::token::IdentityValidation;
use testkit::sigv4::DevCredentials;

/// Default listen address: loopback only, the port the dev loop expects.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4010";
/// Default region this endpoint stands in for (`AWS_REGION` of dev/local.env).
pub const DEFAULT_REGION: &str = "us-east-1";
/// Default number of received events kept for `GET /_local/events`.
pub const DEFAULT_HISTORY: usize = 1000;
/// Upper bound for `--history`, so a typo cannot make the log grow without bound.
pub const MAX_HISTORY: usize = 100_000;
/// Default directory of the development CA and certificate (`--tls`).
pub const DEFAULT_CERT_DIR: &str = ".dev/certs";
/// Default seconds between `ka` frames (AppSync's cadence).
pub const DEFAULT_KEEPALIVE_SECS: u64 = 60;
/// `connectionTimeoutMs` announced in `connection_ack` (AppSync's value, 5 minutes).
pub const CONNECTION_TIMEOUT_MS: u64 = 300_000;
/// Default Lambda Invoke API base URL (`cargo lambda watch`'s default port).
pub const DEFAULT_AUTHORIZER_URL: &str = "http://127.0.0.1:9000";
/// Default authorizer function name (the workspace binary / SAM function).
pub const DEFAULT_AUTHORIZER_FUNCTION: &str = "authorizer";
/// Default authorizer timeout in seconds (AppSync's documented limit for authorizers).
pub const DEFAULT_AUTHORIZER_TIMEOUT_SECS: u64 = 10;
/// Default development access key id (`AWS_ACCESS_KEY_ID` of dev/local.env). Valid nowhere.
pub const DEFAULT_IAM_ACCESS_KEY_ID: &str = "AKIDLOCALDEVELOPMENT";
/// Default development secret (`AWS_SECRET_ACCESS_KEY` of dev/local.env). Valid nowhere.
pub const DEFAULT_IAM_SECRET_ACCESS_KEY: &str = "local-development-only-not-a-real-secret-key";
/// Default API id passed to the authorizer (26 characters, like a real one).
pub const DEFAULT_API_ID: &str = "localeventsapi000000000000";
/// Default account id passed to the authorizer.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// What the authorizer cache is keyed by. AppSync does not document the Events cache key,
/// so it is configurable; see `docs/local-endpoint.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CacheKey {
    /// The token alone (the default): the coarsest key AppSync could use, so an answer the
    /// authorizer marks cacheable is reused for every operation and channel — which shows
    /// locally when a channel-dependent answer is cached.
    Token,
    /// Token and operation.
    TokenOperation,
    /// Token, operation and channel: the finest key.
    TokenOperationChannel,
}

impl CacheKey {
    /// The command-line name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Token => "token",
            Self::TokenOperation => "token-operation",
            Self::TokenOperationChannel => "token-operation-channel",
        }
    }

    /// Parses a command-line name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Token,
            Self::TokenOperation,
            Self::TokenOperationChannel,
        ]
        .into_iter()
        .find(|k| k.as_str() == name.trim())
    }
}

/// How the Lambda authorizer is reached and its answers cached.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizerSettings {
    /// Lambda Invoke API base URL. Default [`DEFAULT_AUTHORIZER_URL`].
    pub url: String,
    /// Function name in `/2015-03-31/functions/<name>/invocations`. Default
    /// [`DEFAULT_AUTHORIZER_FUNCTION`].
    pub function: String,
    /// How long an invocation may take before it counts as a deny. Default 10 s.
    pub timeout: Duration,
    /// Cache key. Default [`CacheKey::Token`].
    pub cache_key: CacheKey,
    /// `AuthorizerResultTtlInSeconds`: seconds an allow is cached when the answer has no
    /// `ttlOverride`. Default: the template's value, else 0 (AppSync's documented default).
    pub cache_ttl: u64,
}

impl Default for AuthorizerSettings {
    fn default() -> Self {
        Self {
            url: DEFAULT_AUTHORIZER_URL.to_owned(),
            function: DEFAULT_AUTHORIZER_FUNCTION.to_owned(),
            timeout: Duration::from_secs(DEFAULT_AUTHORIZER_TIMEOUT_SECS),
            cache_key: CacheKey::Token,
            cache_ttl: 0,
        }
    }
}

/// The server's validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Address to listen on. Default [`DEFAULT_LISTEN`]; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Auth modes and namespaces. Default: the project template's modes, namespace `default`.
    pub events: EventConfig,
    /// The region this endpoint stands in for: SigV4 requests must be signed for it.
    /// Default [`DEFAULT_REGION`].
    pub region: String,
    /// How many received events `GET /_local/events` can return. Default [`DEFAULT_HISTORY`].
    pub history: usize,
    /// `Some(cert dir)` to serve HTTPS/WSS with the development certificate. Default: plain.
    pub tls: Option<PathBuf>,
    /// Seconds between `ka` frames. Default [`DEFAULT_KEEPALIVE_SECS`].
    pub keepalive: Duration,
    /// The Lambda authorizer.
    pub authorizer: AuthorizerSettings,
    /// The development credentials SigV4 requests must be signed with.
    pub iam: DevCredentials,
    /// `requestContext.apiId` sent to the authorizer. Default [`DEFAULT_API_ID`].
    pub api_id: String,
    /// `requestContext.accountId` sent to the authorizer. Default [`DEFAULT_ACCOUNT_ID`].
    pub account_id: String,
    /// The template the modes came from, if any (for the start-up log).
    pub template: Option<PathBuf>,
    /// The `AWS_LAMBDA` provider's `IdentityValidationExpression` (from the template):
    /// a Lambda-mode token that does not match it is refused before the authorizer is
    /// asked, as AppSync does. Default: none (every token reaches the authorizer).
    pub identity_validation: Option<IdentityValidation>,
    /// Things to tell the developer at start-up (dropped auth types, `none` modes).
    pub warnings: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN
                .parse()
                .expect("the default listen address is a valid socket address"),
            events: EventConfig::default(),
            region: DEFAULT_REGION.to_owned(),
            history: DEFAULT_HISTORY,
            tls: None,
            keepalive: Duration::from_secs(DEFAULT_KEEPALIVE_SECS),
            authorizer: AuthorizerSettings::default(),
            iam: DevCredentials {
                access_key_id: DEFAULT_IAM_ACCESS_KEY_ID.to_owned(),
                secret_access_key: DEFAULT_IAM_SECRET_ACCESS_KEY.to_owned(),
            },
            api_id: DEFAULT_API_ID.to_owned(),
            account_id: DEFAULT_ACCOUNT_ID.to_owned(),
            template: None,
            identity_validation: None,
            warnings: Vec::new(),
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
        let mut config = Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Self::default()
        };
        config.events.namespaces = namespaces
            .into_iter()
            .map(|n| (n.into(), NamespaceModes::default()))
            .collect();
        config
    }

    /// Sets the region this endpoint stands in for.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }
}

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
local-events: a development-only local AppSync Events endpoint.

Serves POST /event (HTTP publish) and the realtime WebSocket protocol on /event/realtime
on one host:port, authorizing connect, subscribe and publish like AppSync: AWS_LAMBDA
through your authorizer (Lambda Invoke API, e.g. `cargo lambda watch`), AWS_IAM by
verifying SigV4 signatures against development credentials. Never expose it beyond your
machine: it is for development only.

USAGE:
    local-events [OPTIONS]                          run the endpoint
    local-events subscribe <CHANNEL> [--token T]    print events from a running endpoint
    local-events publish <CHANNEL> <JSON>... [--token T]
                                                    publish to a running endpoint
    (`local-events subscribe --help` for the client options)

OPTIONS (each also read from the variable shown; flags win):
    --listen <ADDR>                 [LOCAL_EVENTS_LISTEN] [default: 127.0.0.1:4010]
    --tls                           serve HTTPS/WSS with a development certificate
                                    [LOCAL_EVENTS_TLS=1]
    --cert-dir <DIR>                where the development CA and certificate live, created
                                    on first use [LOCAL_EVENTS_CERT_DIR] [default: .dev/certs]
    --template <FILE>               read auth modes, namespaces and the token pre-filter
                                    (IdentityValidationExpression) from a SAM/CloudFormation
                                    template (e.g. template.yaml) [LOCAL_EVENTS_TEMPLATE]
    --parameter-overrides <K=V ...> template parameter values instead of their defaults, as
                                    `sam deploy` takes them (e.g. 'TokenPrefix=app:');
                                    repeatable [LOCAL_EVENTS_PARAMETER_OVERRIDES]
    --namespace <NAME>              a channel namespace using the default modes; repeatable
                                    [LOCAL_EVENTS_NAMESPACES, comma-separated]
                                    [default without a template: default]
    --connect-auth <MODES>          connection auth modes: lambda, iam, none (comma-separated)
                                    [LOCAL_EVENTS_CONNECT_AUTH] [default: template, else lambda,iam]
    --publish-auth <MODES>          default publish modes [LOCAL_EVENTS_PUBLISH_AUTH]
                                    [default: template, else lambda,iam]
    --subscribe-auth <MODES>        default subscribe modes [LOCAL_EVENTS_SUBSCRIBE_AUTH]
                                    [default: template, else lambda]
    --authorizer-url <URL>          Lambda Invoke API base URL [LOCAL_EVENTS_AUTHORIZER_URL]
                                    [default: http://127.0.0.1:9000]
    --authorizer-function <NAME>    [LOCAL_EVENTS_AUTHORIZER_FUNCTION] [default: authorizer]
    --authorizer-timeout-secs <N>   an invocation slower than this is a deny
                                    [LOCAL_EVENTS_AUTHORIZER_TIMEOUT_SECS] [default: 10]
    --auth-cache-key <KEY>          token | token-operation | token-operation-channel
                                    [LOCAL_EVENTS_AUTH_CACHE_KEY] [default: token]
    --auth-cache-ttl <SECS>         AuthorizerResultTtlInSeconds, 0-3600
                                    [LOCAL_EVENTS_AUTH_CACHE_TTL] [default: template, else 0]
    --region <REGION>               SigV4 requests must be signed for it
                                    [LOCAL_EVENTS_REGION] [default: us-east-1]
    --iam-access-key-id <ID>        development credentials for AWS_IAM
    --iam-secret-access-key <KEY>   [LOCAL_EVENTS_IAM_ACCESS_KEY_ID, LOCAL_EVENTS_IAM_SECRET_ACCESS_KEY]
                                    [default: the dummy pair in dev/local.env]
    --keepalive-secs <N>            seconds between ka frames, 1-299
                                    [LOCAL_EVENTS_KEEPALIVE_SECS] [default: 60]
    --api-id <ID>, --account-id <ID>
                                    requestContext values sent to the authorizer
                                    [LOCAL_EVENTS_API_ID, LOCAL_EVENTS_ACCOUNT_ID]
    --history <N>                   received events kept for GET /_local/events
                                    [LOCAL_EVENTS_HISTORY] [default: 1000]
    --allow-remote                  allow a non-loopback --listen or --authorizer-url
    -h, --help                      print this help
    -V, --version                   print the version

Logging: RUST_LOG (default: info); RUST_LOG=local_events=debug also logs event bodies.
Docs: docs/local-endpoint.md
";
