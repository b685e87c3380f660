//! Per issuer: discovery, the key set and each key in it, the algorithms configuration and
//! key set have in common — or, for a shared-secret issuer, the secret.

use std::io::Write;

use jwt_authz::{
    Algorithm, Dependencies, Fetcher, Issuer, KeySet, KeySource, SecretRef, SkipReason,
};

use super::report::Report;

/// Checks one issuer's keys (or secret) the way the function loads them.
pub async fn check<W: Write>(
    issuer: &Issuer,
    secret: Option<&SecretRef>,
    fetcher: &dyn Fetcher,
    deps: &Dependencies,
    report: &mut Report<W>,
) {
    let name = format!("issuer {}", issuer.iss());
    report.info(
        &name,
        &format!(
            "profile {}, algorithms {}",
            issuer.profile().as_str(),
            names(issuer.algorithms())
        ),
    );
    let Some(cache) = issuer.key_cache() else {
        check_secret(&name, secret, deps, report).await;
        return;
    };
    let jwks_url = match cache.source() {
        KeySource::Jwks(url) => {
            report.info(
                &name,
                &format!("key set URL {url} (configured or the profile's default)"),
            );
            url.clone()
        }
        KeySource::Discovery { url, issuer: iss } => {
            match jwt_authz::discover(fetcher, url, iss).await {
                Ok(jwks_url) => {
                    report.ok(
                        &format!("{name}: discovery"),
                        &format!("{url} declares this issuer; jwks_uri {jwks_url}"),
                    );
                    jwks_url
                }
                Err(error) => {
                    report.fail(
                        &format!("{name}: discovery"),
                        &error.to_string(),
                        "the issuer must be exactly the tokens' iss (a trailing slash counts) and serve /.well-known/openid-configuration over https; or set JWT_JWKS_URL (jwksUrl) to the key set",
                    );
                    return;
                }
            }
        }
    };
    let body = match fetcher.get(&jwks_url).await {
        Ok(body) => body,
        Err(error) => {
            report.fail(
                &format!("{name}: key set"),
                &error.to_string(),
                "check the URL (JWT_JWKS_URL / jwksUrl), that the function can reach it (VPC egress), and for a private CA set EXTRA_CA_CERTS; until it loads every token is denied as keys_unavailable",
            );
            return;
        }
    };
    let set = match KeySet::parse(&body, &jwks_url) {
        Ok(set) => set,
        Err(error) => {
            report.fail(
                &format!("{name}: key set"),
                &error.to_string(),
                "point JWT_JWKS_URL at the provider's JWKS (a JSON object with a \"keys\" array)",
            );
            return;
        }
    };
    report.ok(
        &format!("{name}: key set"),
        &format!(
            "{jwks_url} reachable: {} usable key(s), {} skipped",
            set.len(),
            set.skipped().len()
        ),
    );
    for key in set.keys() {
        let allowed: Vec<Algorithm> = key
            .algorithms
            .iter()
            .copied()
            .filter(|a| issuer.algorithms().contains(a))
            .collect();
        let step = format!("{name}: key {}", kid(key.kid.as_deref()));
        if allowed.is_empty() {
            report.warn(
                &step,
                &format!(
                    "verifies {} but none is in the allow-list ({})",
                    names(&key.algorithms),
                    names(issuer.algorithms())
                ),
                "add its algorithm to JWT_ALGORITHMS (algorithms) if tokens are signed with this key",
            );
        } else {
            report.ok(&step, &format!("usable, verifies {}", names(&allowed)));
        }
    }
    for skipped in set.skipped() {
        report.warn(
            &format!("{name}: key {}", kid(skipped.kid.as_deref())),
            &format!("cannot be used: {}", skipped.reason),
            skip_fix(skipped.reason),
        );
    }
    if set.is_empty() {
        report.fail(
            &format!("{name}: key set"),
            "no usable key: every token is denied (key_unusable, or unknown_kid for an empty set)",
            "fix the published keys (see the skipped keys above), or point JWT_JWKS_URL at the right key set",
        );
        return;
    }
    let offered: Vec<Algorithm> =
        set.keys()
            .flat_map(|k| k.algorithms.iter().copied())
            .fold(Vec::new(), |mut all, a| {
                if !all.contains(&a) {
                    all.push(a);
                }
                all
            });
    let common: Vec<Algorithm> = offered
        .iter()
        .copied()
        .filter(|a| issuer.algorithms().contains(a))
        .collect();
    if common.is_empty() {
        report.fail(
            &format!("{name}: algorithms"),
            &format!(
                "the key set verifies {}, the configuration allows {}: nothing in common",
                names(&offered),
                names(issuer.algorithms())
            ),
            "set JWT_ALGORITHMS (algorithms) to the algorithm your provider signs with",
        );
    } else {
        report.ok(
            &format!("{name}: algorithms"),
            &format!("in common: {}", names(&common)),
        );
    }
}

async fn check_secret<W: Write>(
    name: &str,
    secret: Option<&SecretRef>,
    deps: &Dependencies,
    report: &mut Report<W>,
) {
    let Some(secret) = secret else {
        return;
    };
    match deps.secrets.fetch(secret).await {
        Ok(bytes) if bytes.len() >= 32 => report.ok(
            &format!("{name}: shared secret"),
            &format!("{} readable ({} bytes)", secret.describe(), bytes.len()),
        ),
        Ok(bytes) => report.fail(
            &format!("{name}: shared secret"),
            &format!("{} is {} bytes; at least 32 are required", secret.describe(), bytes.len()),
            "use the provider's full JWT secret (Supabase: Project Settings > API > JWT secret)",
        ),
        Err(error) => report.fail(
            &format!("{name}: shared secret"),
            &error.to_string(),
            "check the ARN / parameter name, the region, and that the credentials may read it (the function's role has secretsmanager:GetSecretValue / ssm:GetParameter on it)",
        ),
    }
}

fn skip_fix(reason: SkipReason) -> &'static str {
    match reason {
        SkipReason::UseNotSig => {
            "an encryption key is fine next to signing keys; if tokens name this kid, the provider must publish it with \"use\": \"sig\""
        }
        SkipReason::KeyOpsWithoutVerify => {
            "the provider publishes the key with key_ops that lack \"verify\" (often [\"sign\"], copied from a private key): republish it with [\"verify\"] or without key_ops"
        }
        SkipReason::Symmetric => {
            "HMAC keys are never taken from a key set; configure a shared secret (JWT_SECRET_ARN) instead"
        }
        SkipReason::UnsupportedCurve | SkipReason::UnsupportedKeyType => {
            "sign with RSA, EC P-256/P-384 or Ed25519 keys"
        }
        SkipReason::AlgorithmMismatch => {
            "the key's \"alg\" must match its type and curve (e.g. ES256 for P-256)"
        }
        _ => "the key's members are missing or invalid; republish it from the provider",
    }
}

fn kid(kid: Option<&str>) -> String {
    kid.map_or_else(|| "(no kid)".to_owned(), |k| format!("{k:?}"))
}

/// `ES256, RS256`.
pub fn names(algorithms: &[Algorithm]) -> String {
    algorithms
        .iter()
        .map(|a| format!("{a:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}
