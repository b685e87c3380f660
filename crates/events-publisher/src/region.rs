//! Which region requests are signed for.
//!
//! Precedence, most specific first:
//! 1. an explicit region (the function's `EVENTS_REGION`);
//! 2. the region in a standard Events host, `<id>.appsync-api.<region>.amazonaws.com[.cn]`;
//! 3. a fallback region (the function's `AWS_REGION`, the region Lambda runs in).
//!
//! Signing for the wrong region is the classic "credential should be scoped to a valid
//! region" failure, and an ambient region (a profile's SSO region, say) silently winning
//! over the API's own is how it usually happens. The result says which rule applied so
//! the caller can log it.
//!
//! Region values arrive here already checked ([`Region`], the one rule, applied where the
//! value is read): this module only chooses among them.

use std::fmt;

use aws_call::Region;

use crate::error::PublishError;

/// Where the signing region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegionSource {
    /// Given explicitly.
    Explicit,
    /// Read from a standard `*.appsync-api.<region>.amazonaws.com` host.
    EndpointHost,
    /// The fallback (typically the Lambda's own region): a custom domain and no explicit
    /// region.
    Fallback,
}

impl fmt::Display for RegionSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Explicit => "explicit",
            Self::EndpointHost => "endpoint-host",
            Self::Fallback => "fallback",
        })
    }
}

/// The region to sign for, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedRegion {
    /// The signing region, e.g. `eu-west-1`.
    pub region: Region,
    /// Which rule chose it.
    pub source: RegionSource,
    /// The region named by the endpoint host, if it is a standard Events host. When it
    /// differs from `region` (an explicit override), signatures will very likely be
    /// rejected; callers should warn.
    pub host_region: Option<Region>,
}

/// Resolves the signing region for `host` (see the module docs for the precedence).
///
/// # Errors
/// [`PublishError::NoRegion`] if no rule yields a region.
pub fn resolve_region(
    explicit: Option<&Region>,
    host: &str,
    fallback: Option<&Region>,
) -> Result<ResolvedRegion, PublishError> {
    let host_region = region_from_host(host);
    let (region, source) = if let Some(region) = explicit {
        (region.clone(), RegionSource::Explicit)
    } else if let Some(region) = &host_region {
        (region.clone(), RegionSource::EndpointHost)
    } else if let Some(region) = fallback {
        (region.clone(), RegionSource::Fallback)
    } else {
        return Err(PublishError::NoRegion {
            host: host.to_owned(),
        });
    };
    Ok(ResolvedRegion {
        region,
        source,
        host_region,
    })
}

/// The region in a standard Events HTTP host
/// (`<id>.appsync-api.<region>.amazonaws.com` or `….amazonaws.com.cn`), if `host` is one.
fn region_from_host(host: &str) -> Option<Region> {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [id, "appsync-api", region, "amazonaws", "com"]
        | [id, "appsync-api", region, "amazonaws", "com", "cn"]
            if !id.is_empty() =>
        {
            Region::parse(region).ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STANDARD: &str = "abcdefghijklmnopqrstuvwxyz.appsync-api.eu-west-1.amazonaws.com";

    fn region(name: &str) -> Region {
        Region::parse(name).expect("region")
    }

    #[test]
    fn explicit_region_wins_over_host_and_fallback() {
        let r = resolve_region(
            Some(&region("us-west-2")),
            STANDARD,
            Some(&region("us-east-1")),
        )
        .expect("ok");
        assert_eq!(r.region.as_str(), "us-west-2");
        assert_eq!(r.source, RegionSource::Explicit);
        assert_eq!(r.host_region, Some(region("eu-west-1")));
    }

    #[test]
    fn standard_host_region_wins_over_fallback() {
        let r = resolve_region(None, STANDARD, Some(&region("us-east-1"))).expect("ok");
        assert_eq!(r.region.as_str(), "eu-west-1");
        assert_eq!(r.source, RegionSource::EndpointHost);
    }

    #[test]
    fn custom_domain_uses_the_fallback() {
        let r =
            resolve_region(None, "events.example.com", Some(&region("ap-south-1"))).expect("ok");
        assert_eq!(r.region.as_str(), "ap-south-1");
        assert_eq!(r.source, RegionSource::Fallback);
        assert_eq!(r.host_region, None);
    }

    #[test]
    fn no_region_at_all_is_an_error_naming_the_host() {
        let e = resolve_region(None, "events.example.com", None).expect_err("no region");
        assert!(e.to_string().contains("events.example.com"), "{e}");
    }

    #[test]
    fn region_is_read_only_from_standard_hosts() {
        assert_eq!(
            region_from_host(STANDARD).as_ref().map(Region::as_str),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_host("x.appsync-api.cn-north-1.amazonaws.com.cn")
                .as_ref()
                .map(Region::as_str),
            Some("cn-north-1")
        );
        assert_eq!(
            region_from_host("X.APPSYNC-API.US-EAST-2.AMAZONAWS.COM.")
                .as_ref()
                .map(Region::as_str),
            Some("us-east-2")
        );
        for other in [
            "events.example.com",
            "x.appsync-realtime-api.us-east-1.amazonaws.com",
            "x.appsync-api.us-east-1.amazonaws.com.evil.com",
            "appsync-api.us-east-1.amazonaws.com",
            "127.0.0.1",
            "x.appsync-api.useast1.amazonaws.com",
        ] {
            assert_eq!(region_from_host(other), None, "{other}");
        }
    }
}
