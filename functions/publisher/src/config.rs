//! Configuration, read once at init from the environment.
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `EVENTS_ENDPOINT` | — | The API's HTTP domain (`<id>.appsync-api.<region>.amazonaws.com`, a custom domain) or URL (`https://…[/event]`; `http://` only for loopback). |
//! | `EVENTS_API_ID` | — | Instead of `EVENTS_ENDPOINT`: the API id, resolved once at init with AppSync `GetApi` (`dns["HTTP"]`). Exactly one of the two. |
//! | `EVENTS_REGION` | — | Signing region; overrides the region in a standard host. Needed for a custom domain in another region than the function. |
//! | `AWS_REGION` | set by Lambda | Fallback signing region (custom domains). |
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | set by Lambda | The execution role's credentials. Without them, the AWS SDK's default chain (profiles, SSO, container endpoints). |
//! | `PUBLISH_CONCURRENCY` | 4 | Requests in flight at once, 1–64 (a channel's requests are always sequential). |
//! | `PUBLISH_MAX_ATTEMPTS` | 4 | Attempts per request, first included, 1–20. |
//! | `PUBLISH_REQUEST_TIMEOUT_MS` | 5000 | Timeout of one attempt in ms, 50–900000. |
//! | `EVENTS_DEV_CA_PEM` | — | Development only: the PEM text of the CA that must vouch for `EVENTS_ENDPOINT`, trusted instead of the compiled-in Mozilla roots. Refused unless `EVENTS_ENDPOINT` is `https://` on `localhost`, a loopback address or `host.docker.internal` (how `sam local invoke` reaches local-events). |
//! | `METRICS_ENABLED` | false | Write CloudWatch EMF metrics lines (see `metrics.rs`). |
//! | `METRICS_NAMESPACE` | `AppSyncJwtAuth` | Their namespace. |
//! | `PUBLISH_DYNAMODB_CHANNEL`, `PUBLISH_KINESIS_CHANNEL` | — | Channel patterns of the stream triggers (see `streams_config.rs`). |
//!
//! Empty values count as unset (templates often pass `""` for optional parameters).
//! Anything else that is wrong stops the cold start with a message naming the variable:
//! a misconfigured publisher should never run in a weaker mode.

use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::future::ProvideCredentials as ProvideCredentialsFuture;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use events_publisher::{
    Endpoint, Publisher, PublisherSettings, RegionSource, ResolvedRegion, resolve_region,
};
use tracing::instrument::WithSubscriber;

use crate::error::FunctionError;

/// Default of `PUBLISH_CONCURRENCY`.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default of `PUBLISH_MAX_ATTEMPTS`.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default of `PUBLISH_REQUEST_TIMEOUT_MS`.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 5000;

/// Where the endpoint comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointSource {
    /// `EVENTS_ENDPOINT`, already validated.
    Given(Endpoint),
    /// `EVENTS_API_ID`, to resolve with `GetApi`.
    ApiId(String),
}

/// The typed configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The endpoint or the API id.
    pub endpoint: EndpointSource,
    /// `EVENTS_REGION`, checked.
    pub events_region: Option<events_publisher::Region>,
    /// `AWS_REGION`, checked.
    pub aws_region: Option<events_publisher::Region>,
    /// Concurrency, attempts, timeout, the development CA.
    pub settings: PublisherSettings,
    /// The metrics namespace and `FunctionName` dimension; `None` when metrics are off.
    pub metrics: Option<(cloudwatch_emf::Namespace, String)>,
    /// The stream triggers' channel mappings.
    pub streams: crate::streams_config::StreamsConfig,
    /// The execution role's credentials from the environment (how Lambda hands them over);
    /// `None`: the AWS SDK's default chain finds them. (`Debug` redacts the secret.)
    pub credentials: Option<Credentials>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, FunctionError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `get` (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, FunctionError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let endpoint = match (var("EVENTS_ENDPOINT"), var("EVENTS_API_ID")) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "EVENTS_ENDPOINT",
                    "set either EVENTS_ENDPOINT or EVENTS_API_ID, not both".into(),
                ));
            }
            (Some(value), None) => EndpointSource::Given(
                Endpoint::parse(&value).map_err(|e| invalid("EVENTS_ENDPOINT", e.to_string()))?,
            ),
            (None, Some(id)) => {
                if id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(invalid(
                        "EVENTS_API_ID",
                        format!("{id:?} is not an AppSync API id (letters and digits)"),
                    ));
                }
                EndpointSource::ApiId(id)
            }
            (None, None) => {
                return Err(invalid(
                    "EVENTS_ENDPOINT",
                    "not set; set EVENTS_ENDPOINT to the Events API's HTTP domain or URL, or EVENTS_API_ID to its id".into(),
                ));
            }
        };
        let settings = PublisherSettings {
            concurrency: number(&var, "PUBLISH_CONCURRENCY", DEFAULT_CONCURRENCY, 1..=64)?,
            max_attempts: number(&var, "PUBLISH_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS, 1..=20)?,
            request_timeout: Duration::from_millis(number(
                &var,
                "PUBLISH_REQUEST_TIMEOUT_MS",
                DEFAULT_REQUEST_TIMEOUT_MS,
                50..=900_000,
            )?),
            development_ca_pem: development_ca(&endpoint, var("EVENTS_DEV_CA_PEM"))?,
            ..PublisherSettings::default()
        };
        Ok(Self {
            endpoint,
            events_region: region(&var, "EVENTS_REGION")?,
            aws_region: region(&var, "AWS_REGION")?,
            settings,
            metrics: metrics(&var)?,
            streams: crate::streams_config::StreamsConfig::from_lookup(&var)?,
            credentials: match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
                (Some(id), Some(secret)) => Some(Credentials::new(
                    id,
                    secret,
                    var("AWS_SESSION_TOKEN"),
                    None,
                    "environment",
                )),
                _ => None,
            },
        })
    }

    /// The signing region for `endpoint` (see [`resolve_region`]): the region values were
    /// checked when read, so the only failure left is none at all.
    pub fn signing_region(&self, endpoint: &Endpoint) -> Result<ResolvedRegion, FunctionError> {
        resolve_region(
            self.events_region.as_ref(),
            endpoint.host(),
            self.aws_region.as_ref(),
        )
        .map_err(|e| invalid("EVENTS_REGION", e.to_string()))
    }
}

/// Builds the publisher: finds the credentials once, resolves the endpoint (calling
/// `GetApi` for `EVENTS_API_ID`) and the signing region, and logs what it will sign for
/// and why — never the credentials.
pub async fn build_publisher(config: Config) -> Result<Publisher, FunctionError> {
    // The AWS SDK is loaded only when something needs it: the credential chain when the
    // environment holds no credentials (local development), `GetApi` for `EVENTS_API_ID`.
    // The usual deployment needs neither, and skipping the SDK skips its HTTP client, whose
    // first use reads every system CA certificate: 4 ms of a 10.6 ms cold start
    // (BENCHMARKS.md). Loaded at most once, so `GetApi` shares the chain's credentials.
    let sdk = tokio::sync::OnceCell::new();
    let sdk = || sdk.get_or_init(|| load_sdk(&config));
    let credentials = match &config.credentials {
        Some(credentials) => SharedCredentialsProvider::new(credentials.clone()),
        None => chain_credentials(sdk().await).await?,
    };
    let (endpoint, endpoint_from) = match &config.endpoint {
        EndpointSource::Given(endpoint) => (endpoint.clone(), "EVENTS_ENDPOINT"),
        EndpointSource::ApiId(id) => (
            resolve_api_endpoint(sdk().await, id).await?,
            "EVENTS_API_ID",
        ),
    };
    let region = config.signing_region(&endpoint)?;
    let why = match region.source {
        RegionSource::Explicit => "EVENTS_REGION is set",
        RegionSource::EndpointHost => "named by the endpoint host",
        _ => "AWS_REGION fallback: the endpoint host names no region",
    };
    tracing::info!(
        endpoint_host = endpoint.host(),
        endpoint_from,
        region = %region.region,
        region_source = %region.source,
        why,
        concurrency = config.settings.concurrency,
        max_attempts = config.settings.max_attempts,
        request_timeout_ms = config.settings.request_timeout.as_millis() as u64,
        development_ca = config.settings.development_ca_pem.is_some(),
        "publisher configured"
    );
    if let Some(host_region) = region.host_region.as_ref().filter(|r| **r != region.region) {
        tracing::warn!(
            region = %region.region,
            host_region = %host_region,
            "EVENTS_REGION differs from the region in the endpoint host; AppSync will likely reject the signatures"
        );
    }
    Publisher::new(endpoint, region.region, credentials, config.settings)
        .map_err(|e| FunctionError::Init(e.to_string()))
}

/// A credential provider whose work is never logged: the AWS SDK's providers log the
/// credentials they load (access key id included) at INFO and DEBUG, on the first call and
/// on every refresh. Errors still come back, and are reported without credentials.
#[derive(Debug)]
struct Unlogged(SharedCredentialsProvider);

impl ProvideCredentials for Unlogged {
    fn provide_credentials<'a>(&'a self) -> ProvideCredentialsFuture<'a>
    where
        Self: 'a,
    {
        ProvideCredentialsFuture::new(
            self.0
                .provide_credentials()
                .with_subscriber(tracing::subscriber::NoSubscriber::default()),
        )
    }
}

/// The default credential chain's provider, resolved once now: a function without a role
/// (or with broken credentials) fails its cold start with a clear message instead of every
/// invocation.
async fn chain_credentials(sdk: &SdkConfig) -> Result<SharedCredentialsProvider, FunctionError> {
    let chain = sdk.credentials_provider().ok_or_else(|| {
        FunctionError::Credentials("the default credential chain is not configured".into())
    })?;
    let credentials = SharedCredentialsProvider::new(Unlogged(chain));
    credentials
        .provide_credentials()
        .await
        .map_err(|e| FunctionError::Credentials(e.to_string()))?;
    Ok(credentials)
}

/// The AWS SDK's configuration: the default credential chain, and the region `GetApi` is
/// asked in.
async fn load_sdk(config: &Config) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    // The API lives in the signing region; `GetApi` must be asked there, not wherever a
    // profile points.
    if let Some(region) = &config.events_region {
        loader = loader.region(Region::new(region.to_string()));
    }
    loader.load().await
}

/// `GetApi(id).api.dns["HTTP"]`, parsed.
async fn resolve_api_endpoint(sdk: &SdkConfig, api_id: &str) -> Result<Endpoint, FunctionError> {
    let client = aws_sdk_appsync::Client::new(sdk);
    // The SDK logs its signing parameters, access key id included, at TRACE level, and
    // Lambda lets operators turn TRACE on: this one init-time call runs with logging muted.
    // A failure is returned (and logged by main) without credentials.
    let output = client
        .get_api()
        .api_id(api_id)
        .send()
        .with_subscriber(tracing::subscriber::NoSubscriber::default())
        .await
        .map_err(|e| {
            invalid(
                "EVENTS_API_ID",
                format!(
                    "GetApi({api_id}) failed: {}",
                    aws_sdk_appsync::error::DisplayErrorContext(&e)
                ),
            )
        })?;
    let domain = output
        .api()
        .and_then(|api| api.dns())
        .and_then(|dns| dns.get("HTTP"))
        .ok_or_else(|| {
            invalid(
                "EVENTS_API_ID",
                format!("GetApi({api_id}) returned no dns[\"HTTP\"]; is it an Events API?"),
            )
        })?;
    Endpoint::parse(domain).map_err(|e| invalid("EVENTS_API_ID", e.to_string()))
}

/// `EVENTS_DEV_CA_PEM`, refused unless the endpoint is https on a development host: a
/// development CA must never be able to vouch for a real AppSync endpoint.
fn development_ca(
    endpoint: &EndpointSource,
    pem: Option<String>,
) -> Result<Option<String>, FunctionError> {
    let Some(pem) = pem else {
        return Ok(None);
    };
    let development = matches!(endpoint, EndpointSource::Given(e)
        if e.url().scheme() == "https" && e.is_development_host());
    if !development {
        return Err(invalid(
            "EVENTS_DEV_CA_PEM",
            "a development CA is only accepted when EVENTS_ENDPOINT is https:// on localhost, a loopback address or host.docker.internal; unset it".into(),
        ));
    }
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(invalid(
            "EVENTS_DEV_CA_PEM",
            "not a PEM certificate; set it to the text of the CA file (e.g. \"$(cat .dev/certs/ca.pem)\")".into(),
        ));
    }
    Ok(Some(pem))
}

/// A region variable, checked with the one rule ([`events_publisher::Region`]) as it is
/// read: `EVENTS_REGION` configures the `GetApi` call, so it must be valid before any
/// network call.
fn region(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<events_publisher::Region>, FunctionError> {
    var(name)
        .map(|value| events_publisher::Region::parse(&value))
        .transpose()
        .map_err(|e| invalid(name, e.to_string()))
}

/// Default of `METRICS_NAMESPACE`.
pub const DEFAULT_METRICS_NAMESPACE: &str = "AppSyncJwtAuth";

/// `METRICS_ENABLED` (default false), `METRICS_NAMESPACE`, and the `FunctionName`
/// dimension from `AWS_LAMBDA_FUNCTION_NAME`.
fn metrics(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Option<(cloudwatch_emf::Namespace, String)>, FunctionError> {
    let enabled = match var("METRICS_ENABLED").map(|v| v.to_ascii_lowercase()) {
        None => false,
        Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => true,
        Some(v) if matches!(v.as_str(), "false" | "0" | "no") => false,
        Some(v) => {
            return Err(invalid(
                "METRICS_ENABLED",
                format!("{v:?} is not true or false"),
            ));
        }
    };
    if !enabled {
        return Ok(None);
    }
    let name = var("METRICS_NAMESPACE").unwrap_or_else(|| DEFAULT_METRICS_NAMESPACE.to_owned());
    let namespace = cloudwatch_emf::Namespace::new(&name)
        .map_err(|e| invalid("METRICS_NAMESPACE", e.to_string()))?;
    let function = var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "publisher".to_owned());
    Ok(Some((namespace, function)))
}

fn invalid(name: &'static str, reason: String) -> FunctionError {
    FunctionError::Config { name, reason }
}

fn number<T>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> Result<T, FunctionError>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let Some(raw) = var(name) else {
        return Ok(default);
    };
    match raw.parse::<T>() {
        Ok(value) if range.contains(&value) => Ok(value),
        _ => Err(invalid(
            name,
            format!(
                "{raw:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, FunctionError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn error_names(vars: &[(&str, &str)], name: &str) {
        match config(vars) {
            Err(FunctionError::Config { name: n, reason }) => assert_eq!(n, name, "{reason}"),
            other => panic!("expected a config error naming {name}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_apply_when_only_the_endpoint_is_set() {
        let c = config(&[("EVENTS_ENDPOINT", "abc.appsync-api.eu-west-1.amazonaws.com")])
            .expect("valid");
        assert_eq!(c.settings.concurrency, 4);
        assert_eq!(c.settings.max_attempts, 4);
        assert_eq!(c.settings.request_timeout, Duration::from_millis(5000));
        assert_eq!(c.events_region, None);
    }

    #[test]
    fn numbers_are_read_and_range_checked() {
        let c = config(&[
            ("EVENTS_ENDPOINT", "https://events.example.com"),
            ("PUBLISH_CONCURRENCY", "8"),
            ("PUBLISH_MAX_ATTEMPTS", "2"),
            ("PUBLISH_REQUEST_TIMEOUT_MS", "750"),
        ])
        .expect("valid");
        assert_eq!(
            (
                c.settings.concurrency,
                c.settings.max_attempts,
                c.settings.request_timeout
            ),
            (8, 2, Duration::from_millis(750))
        );
        let e = ("EVENTS_ENDPOINT", "https://events.example.com");
        error_names(&[e, ("PUBLISH_CONCURRENCY", "0")], "PUBLISH_CONCURRENCY");
        error_names(&[e, ("PUBLISH_CONCURRENCY", "four")], "PUBLISH_CONCURRENCY");
        error_names(&[e, ("PUBLISH_MAX_ATTEMPTS", "-1")], "PUBLISH_MAX_ATTEMPTS");
        error_names(
            &[e, ("PUBLISH_REQUEST_TIMEOUT_MS", "10")],
            "PUBLISH_REQUEST_TIMEOUT_MS",
        );
    }

    #[test]
    fn endpoint_or_api_id_is_required_and_not_both() {
        error_names(&[], "EVENTS_ENDPOINT");
        error_names(&[("EVENTS_ENDPOINT", "  ")], "EVENTS_ENDPOINT");
        error_names(
            &[
                ("EVENTS_ENDPOINT", "events.example.com"),
                ("EVENTS_API_ID", "abc"),
            ],
            "EVENTS_ENDPOINT",
        );
        error_names(&[("EVENTS_API_ID", "abc/../x")], "EVENTS_API_ID");
        let c = config(&[("EVENTS_API_ID", "abcdefghijklmnopqrstuvwxyz")]).expect("valid");
        assert_eq!(
            c.endpoint,
            EndpointSource::ApiId("abcdefghijklmnopqrstuvwxyz".into())
        );
    }

    #[test]
    fn plain_http_off_loopback_stops_init_naming_the_variable() {
        error_names(
            &[("EVENTS_ENDPOINT", "http://events.example.com")],
            "EVENTS_ENDPOINT",
        );
        error_names(
            &[("EVENTS_ENDPOINT", "https://x.example.com/graphql")],
            "EVENTS_ENDPOINT",
        );
    }

    #[test]
    fn a_development_ca_is_accepted_only_for_https_on_a_development_host() {
        let ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        for endpoint in [
            "https://host.docker.internal:4010",
            "https://localhost:4010",
            "https://127.0.0.1:4010",
        ] {
            let c = config(&[("EVENTS_ENDPOINT", endpoint), ("EVENTS_DEV_CA_PEM", ca)])
                .unwrap_or_else(|e| panic!("{endpoint}: {e}"));
            assert_eq!(c.settings.development_ca_pem.as_deref(), Some(ca.trim()));
        }
        for endpoint in [
            ("EVENTS_ENDPOINT", "abc.appsync-api.eu-west-1.amazonaws.com"),
            ("EVENTS_ENDPOINT", "https://events.example.com"),
            ("EVENTS_ENDPOINT", "http://127.0.0.1:4010"),
            ("EVENTS_API_ID", "abcdefghijklmnopqrstuvwxyz"),
        ] {
            error_names(&[endpoint, ("EVENTS_DEV_CA_PEM", ca)], "EVENTS_DEV_CA_PEM");
        }
        error_names(
            &[
                ("EVENTS_ENDPOINT", "https://host.docker.internal:4010"),
                ("EVENTS_DEV_CA_PEM", ".dev/certs/ca.pem"),
            ],
            "EVENTS_DEV_CA_PEM",
        );
        let c = config(&[("EVENTS_ENDPOINT", "https://localhost:4010")]).expect("valid");
        assert_eq!(c.settings.development_ca_pem, None);
    }

    #[test]
    fn signing_region_follows_the_precedence_and_names_the_culprit() {
        let host = ("EVENTS_ENDPOINT", "abc.appsync-api.eu-west-1.amazonaws.com");
        let custom = ("EVENTS_ENDPOINT", "https://events.example.com");
        let region = |vars: &[(&str, &str)]| {
            let c = config(vars).expect("valid");
            let EndpointSource::Given(endpoint) = &c.endpoint else {
                panic!("endpoint given")
            };
            c.signing_region(endpoint)
        };
        let r = region(&[host, ("AWS_REGION", "us-east-1")]).expect("ok");
        assert_eq!(
            (r.region.as_str(), r.source),
            ("eu-west-1", RegionSource::EndpointHost)
        );
        let r = region(&[
            host,
            ("EVENTS_REGION", "us-west-2"),
            ("AWS_REGION", "us-east-1"),
        ])
        .expect("ok");
        assert_eq!(
            (r.region.as_str(), r.source),
            ("us-west-2", RegionSource::Explicit)
        );
        let r = region(&[custom, ("AWS_REGION", "ap-south-1")]).expect("ok");
        assert_eq!(
            (r.region.as_str(), r.source),
            ("ap-south-1", RegionSource::Fallback)
        );
        match region(&[custom]) {
            Err(FunctionError::Config { name, .. }) => assert_eq!(name, "EVENTS_REGION"),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn an_implausible_region_stops_init_before_any_call_naming_the_variable() {
        let host = ("EVENTS_ENDPOINT", "abc.appsync-api.eu-west-1.amazonaws.com");
        let api = ("EVENTS_API_ID", "abcdefghijklmnopqrstuvwxyz");
        for endpoint in [host, api] {
            error_names(&[endpoint, ("EVENTS_REGION", "Mars")], "EVENTS_REGION");
            error_names(
                &[endpoint, ("EVENTS_REGION", "eu-west-1/x")],
                "EVENTS_REGION",
            );
            error_names(&[endpoint, ("AWS_REGION", "nowhere")], "AWS_REGION");
        }
        let c = config(&[api, ("EVENTS_REGION", " eu-west-1 ")]).expect("trimmed once");
        assert_eq!(
            c.events_region.as_ref().map(|r| r.as_str()),
            Some("eu-west-1")
        );
    }
}
