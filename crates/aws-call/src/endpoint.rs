//! Which URL and signing region a call goes to.
//!
//! The region is the resource's own when it is given as an ARN (a secret in `eu-west-1`
//! is read from `eu-west-1` whatever region the function runs in), the configured
//! `AWS_REGION` otherwise. Endpoint overrides follow the SDKs' standard variables
//! (`AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`), which is also how tests point
//! calls at loopback.

use url::Url;

use crate::Error;
use crate::credentials::CredentialSource;
use crate::region::Region;

/// The AWS JSON APIs this crate calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    /// AWS Secrets Manager.
    SecretsManager,
    /// AWS Systems Manager (Parameter Store).
    Ssm,
}

impl Service {
    /// The SigV4 signing name, which is also the endpoint prefix and the ARN service.
    #[must_use]
    pub(crate) fn signing_name(self) -> &'static str {
        match self {
            Self::SecretsManager => "secretsmanager",
            Self::Ssm => "ssm",
        }
    }

    /// The suffix of its `AWS_ENDPOINT_URL_<SERVICE>` override variable.
    #[must_use]
    pub(crate) fn env_suffix(self) -> &'static str {
        match self {
            Self::SecretsManager => "SECRETS_MANAGER",
            Self::Ssm => "SSM",
        }
    }

    fn arn_kind(self) -> &'static str {
        match self {
            Self::SecretsManager => "Secrets Manager secret ARN",
            Self::Ssm => "SSM parameter ARN",
        }
    }
}

/// Region, endpoint and credential settings, read once (see [`Settings::from_env`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `AWS_REGION` (Lambda sets it), else `AWS_DEFAULT_REGION`.
    pub region: Option<String>,
    /// `AWS_USE_FIPS_ENDPOINT=true`: use `<service>-fips.<region>` hosts.
    pub use_fips: bool,
    /// `AWS_ENDPOINT_URL_SECRETS_MANAGER`, else `AWS_ENDPOINT_URL`.
    pub secrets_manager_url: Option<Url>,
    /// `AWS_ENDPOINT_URL_SSM`, else `AWS_ENDPOINT_URL`.
    pub ssm_url: Option<Url>,
    /// Where credentials come from.
    pub credentials: CredentialSource,
}

impl Settings {
    /// Reads the standard AWS variables through `env` (the caller's one place of
    /// configuration). `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` disables the overrides,
    /// as in the SDKs.
    ///
    /// # Errors
    /// [`Error::Invalid`] when an endpoint override is not an http(s) URL.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let value = |name: &str| {
            env(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let flag = |name: &str| value(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let overrides = !flag("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
        let endpoint = |service: Service| -> Result<Option<Url>, Error> {
            if !overrides {
                return Ok(None);
            }
            let specific = format!("AWS_ENDPOINT_URL_{}", service.env_suffix());
            value(&specific)
                .or_else(|| value("AWS_ENDPOINT_URL"))
                .map(|v| endpoint_url(&v))
                .transpose()
        };
        Ok(Self {
            region: value("AWS_REGION").or_else(|| value("AWS_DEFAULT_REGION")),
            use_fips: flag("AWS_USE_FIPS_ENDPOINT"),
            secrets_manager_url: endpoint(Service::SecretsManager)?,
            ssm_url: endpoint(Service::Ssm)?,
            credentials: CredentialSource::from_env(env),
        })
    }

    fn override_for(&self, service: Service) -> Option<&Url> {
        match service {
            Service::SecretsManager => self.secrets_manager_url.as_ref(),
            Service::Ssm => self.ssm_url.as_ref(),
        }
    }
}

fn endpoint_url(value: &str) -> Result<Url, Error> {
    let invalid = |reason: String| Error::Invalid {
        what: "endpoint URL",
        value: value.to_owned(),
        reason,
    };
    let url = Url::parse(value).map_err(|e| invalid(e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(invalid("expected http(s)://host[:port]".to_owned()));
    }
    Ok(url)
}

/// Where one call goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// The URL to `POST` to.
    pub(crate) url: Url,
    /// The region to sign for.
    pub(crate) region: String,
}

/// Resolves the endpoint for `resource` (a name or an ARN) of `service`.
///
/// # Errors
/// [`Error::Invalid`] for a malformed ARN or one of another service, [`Error::NoRegion`]
/// when neither the ARN nor the settings name a region.
pub(crate) fn resolve(
    settings: &Settings,
    service: Service,
    resource: &str,
) -> Result<Endpoint, Error> {
    let arn = parse_arn(service, resource)?;
    let region = arn
        .as_ref()
        .map(|a| a.region.to_owned())
        .or_else(|| settings.region.clone())
        .ok_or_else(|| Error::NoRegion {
            resource: resource.to_owned(),
        })?;
    let region = Region::parse(&region)?.as_str().to_owned();
    if let Some(url) = settings.override_for(service) {
        return Ok(Endpoint {
            url: url.clone(),
            region,
        });
    }
    let partition = arn.map_or_else(|| partition_of(&region), |a| a.partition);
    let suffix = match partition {
        "aws" | "aws-us-gov" => "amazonaws.com",
        "aws-cn" => "amazonaws.com.cn",
        other => {
            return Err(Error::Invalid {
                what: "partition",
                value: other.to_owned(),
                reason: format!(
                    "its endpoints are not built in; set AWS_ENDPOINT_URL_{}",
                    service.env_suffix()
                ),
            });
        }
    };
    let fips = if settings.use_fips { "-fips" } else { "" };
    let host = format!(
        "https://{}{fips}.{region}.{suffix}/",
        service.signing_name()
    );
    let url = Url::parse(&host).map_err(|e| Error::Invalid {
        what: "endpoint URL",
        value: host.clone(),
        reason: e.to_string(),
    })?;
    Ok(Endpoint { url, region })
}

fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

struct Arn<'a> {
    partition: &'a str,
    region: &'a str,
}

/// `arn:<partition>:<service>:<region>:<account>:<resource>`, or `None` for a plain name.
fn parse_arn<'a>(service: Service, resource: &'a str) -> Result<Option<Arn<'a>>, Error> {
    if !resource.starts_with("arn:") {
        return Ok(None);
    }
    let invalid = |reason: &str| Error::Invalid {
        what: service.arn_kind(),
        value: resource.to_owned(),
        reason: reason.to_owned(),
    };
    let mut parts = resource.splitn(6, ':');
    let (_, partition, arn_service, region, _account, rest) = (
        parts.next(),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next(),
        parts.next().unwrap_or(""),
    );
    if partition.is_empty() || rest.is_empty() {
        return Err(invalid(
            "expected arn:<partition>:<service>:<region>:<account>:<resource>",
        ));
    }
    if arn_service != service.signing_name() {
        return Err(invalid(&format!(
            "it is an ARN of service {arn_service:?}, not {:?}",
            service.signing_name()
        )));
    }
    if region.is_empty() {
        return Err(invalid("the ARN names no region"));
    }
    Ok(Some(Arn { partition, region }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_env(&move |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .expect("valid settings")
    }

    const SECRET: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:jwt-AbCdEf";

    #[test]
    fn the_arn_region_wins_over_the_function_region() {
        let e = resolve(
            &settings(&[("AWS_REGION", "us-east-1")]),
            Service::SecretsManager,
            SECRET,
        )
        .expect("resolves");
        assert_eq!(e.region, "eu-west-1");
        assert_eq!(
            e.url.as_str(),
            "https://secretsmanager.eu-west-1.amazonaws.com/"
        );
    }

    #[test]
    fn a_plain_name_uses_the_configured_region() {
        let e = resolve(
            &settings(&[("AWS_REGION", "ap-south-1")]),
            Service::Ssm,
            "/app/jwt",
        )
        .expect("resolves");
        assert_eq!(e.region, "ap-south-1");
        assert_eq!(e.url.as_str(), "https://ssm.ap-south-1.amazonaws.com/");
        let e = resolve(
            &settings(&[("AWS_DEFAULT_REGION", "eu-north-1")]),
            Service::Ssm,
            "x",
        )
        .expect("resolves");
        assert_eq!(e.region, "eu-north-1");
    }

    #[test]
    fn no_region_anywhere_is_an_error_naming_the_resource() {
        let err = resolve(&settings(&[]), Service::Ssm, "/app/jwt").expect_err("no region");
        assert!(err.to_string().contains("/app/jwt"), "{err}");
    }

    #[test]
    fn china_fips_and_overrides() {
        let cn = "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x";
        let e = resolve(&settings(&[]), Service::SecretsManager, cn).expect("cn");
        assert_eq!(
            e.url.as_str(),
            "https://secretsmanager.cn-north-1.amazonaws.com.cn/"
        );
        let s = settings(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
        ]);
        let e = resolve(&s, Service::Ssm, "p").expect("fips");
        assert_eq!(e.url.as_str(), "https://ssm-fips.us-east-1.amazonaws.com/");
        let s = settings(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:9999"),
        ]);
        assert_eq!(
            resolve(&s, Service::Ssm, "p").expect("ssm").url.as_str(),
            "http://127.0.0.1:9999/"
        );
        let e = resolve(&s, Service::SecretsManager, SECRET).expect("sm");
        assert_eq!(e.url.as_str(), "http://127.0.0.1:4566/");
        assert_eq!(
            e.region, "eu-west-1",
            "an override keeps the ARN's signing region"
        );
        let s = settings(&[
            ("AWS_REGION", "us-east-1"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
            ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
        ]);
        assert!(
            resolve(&s, Service::Ssm, "p")
                .expect("ssm")
                .url
                .as_str()
                .starts_with("https://ssm.")
        );
    }

    #[test]
    fn arns_of_another_service_or_malformed_are_refused() {
        let s = settings(&[("AWS_REGION", "us-east-1")]);
        let ssm_arn = "arn:aws:ssm:us-east-1:123456789012:parameter/app/jwt";
        let err = resolve(&s, Service::SecretsManager, ssm_arn).expect_err("wrong service");
        assert!(err.to_string().contains("\"ssm\""), "{err}");
        assert!(resolve(&s, Service::Ssm, ssm_arn).is_ok());
        for bad in [
            "arn:aws:secretsmanager",
            "arn:aws:secretsmanager::1:secret:x",
        ] {
            assert!(resolve(&s, Service::SecretsManager, bad).is_err(), "{bad}");
        }
        let evil = "arn:aws:secretsmanager:evil.com/x?:1:secret:x";
        assert!(resolve(&s, Service::SecretsManager, evil).is_err());
    }

    #[test]
    fn bad_override_urls_fail_at_configuration() {
        let err = Settings::from_env(&|name| {
            (name == "AWS_ENDPOINT_URL_SSM").then(|| "localhost:4566".to_owned())
        })
        .expect_err("not a URL with a scheme");
        assert!(err.to_string().contains("localhost:4566"), "{err}");
    }
}
