//! `cargo xtask mint-dev-token`: a token from the development issuer of `dev/local.env`
//! (local Supabase's issuer and its well-known HS256 secret), shaped like a Supabase access
//! token, so the authorizer running with that file accepts it. DEVELOPMENT ONLY: the
//! secret is public.
//!
//! Signing is testkit's (the one token minter); the claims and their order are the ones
//! local Supabase issues, so the samples' tokens are reproducible byte for byte.

use std::process::ExitCode;

use serde_json::Value;
use testkit::idp::{TestKey, mint_raw, now};

use crate::cli::{self, switch, value};
use crate::dev_env::DevEnv;
use crate::json::{Json, object};

/// The development user every sample and the dev loop use.
pub const DEV_SUB: &str = "8d0f5a7e-3f8e-4d8a-9b3c-2a6f1c9e7b10";
/// The development user's session.
pub const DEV_SESSION_ID: &str = "5c9e2d4b-1a3f-4e6d-8b7c-0f1e2d3c4b5a";
/// The development user's e-mail address.
pub const DEV_EMAIL: &str = "dev@example.com";

/// The claims local Supabase puts in an authenticated user's access token, in its order.
pub fn dev_claims(sub: &str, iss: &str, iat: i64, exp: i64) -> Json {
    object([
        ("iss", iss.into()),
        ("sub", sub.into()),
        ("aud", "authenticated".into()),
        ("exp", exp.into()),
        ("iat", iat.into()),
        ("email", DEV_EMAIL.into()),
        ("phone", "".into()),
        (
            "app_metadata",
            object([
                ("provider", "email".into()),
                ("providers", Json::Array(vec!["email".into()])),
            ]),
        ),
        ("user_metadata", object([])),
        ("role", "authenticated".into()),
        ("aal", "aal1".into()),
        (
            "amr",
            Json::Array(vec![object([
                ("method", "password".into()),
                ("timestamp", iat.into()),
            ])]),
        ),
        ("session_id", DEV_SESSION_ID.into()),
        ("is_anonymous", false.into()),
    ])
}

/// HS256-signs `claims` with header `{"alg":"HS256","typ":"JWT"}` (deterministic: the same
/// claims and secret give the same token).
pub fn sign(claims: &Json, secret: &str) -> String {
    mint_raw(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        claims.compact().as_bytes(),
        |message| TestKey::hs256(secret).sign(message),
    )
}

/// `name=value`, the value parsed as JSON when it is JSON (`true`, `3`, `{"a":1}`).
fn parse_claim(text: &str) -> Result<(String, Json), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("--claim {text:?} is not name=value"))?;
    let value = serde_json::from_str::<Value>(value).unwrap_or_else(|_| value.into());
    Ok((name.to_owned(), value.into()))
}

const HELP: &str = "\
usage: cargo xtask mint-dev-token [options]

Print a development token signed by the embedded dev issuer (dev/local.env).

options:
  --sub SUB            subject (default: the dev user)
  --iss ISS            issuer (default: JWT_ISSUER)
  --ttl SECONDS        seconds until expiry (default 3600)
  --iat UNIX           issued-at, Unix seconds (default: now)
  --exp UNIX           expiry, Unix seconds (overrides --ttl)
  --prefix TEXT        wrapper prepended, e.g. supabase: (default none)
  --claim NAME=VALUE   add or override a claim (repeatable; JSON values allowed)
  --secret SECRET      HS256 secret (default: JWT_SECRET)
  --decode             also print the claims to stderr

examples:
  cargo xtask mint-dev-token                      # fresh token, valid for 1 hour
  cargo xtask mint-dev-token --prefix supabase:   # wrapped the way clients send it
  cargo xtask mint-dev-token --sub 1234 --ttl 300
  cargo xtask mint-dev-token --exp 1767229200     # an already expired token
  cargo xtask mint-dev-token --claim aal=aal2 --claim is_anonymous=true";

/// `cargo xtask mint-dev-token`.
pub fn main(raw: Vec<String>) -> ExitCode {
    match mint(raw) {
        Ok(Some(token)) => {
            cli::print(&format!("{token}\n"));
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("mint-dev-token: {error}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

/// The token the arguments ask for (with its prefix), or `None` for `--help`.
fn mint(raw: Vec<String>) -> Result<Option<String>, String> {
    let flags = [
        value("--sub"),
        value("--iss"),
        value("--ttl"),
        value("--iat"),
        value("--exp"),
        value("--prefix"),
        value("--claim"),
        value("--secret"),
        switch("--decode"),
    ];
    let args = cli::parse(raw, &flags)?;
    if args.help {
        return Ok(None);
    }
    if let Some(extra) = args.positional.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let env = DevEnv::load(&crate::workspace_root())?;
    let iat = match args.integer("--iat")? {
        Some(iat) => iat,
        None => i64::try_from(now()).map_err(|e| e.to_string())?,
    };
    let exp = match args.integer::<i64>("--exp")? {
        Some(exp) => exp,
        None => iat + args.integer("--ttl")?.unwrap_or(3600),
    };
    let iss = args
        .value("--iss")
        .map_or_else(|| env.require("JWT_ISSUER"), Ok)?;
    let secret = args
        .value("--secret")
        .map_or_else(|| env.require("JWT_SECRET"), Ok)?;
    let mut claims = dev_claims(args.value("--sub").unwrap_or(DEV_SUB), iss, iat, exp);
    for claim in args.values("--claim") {
        let (name, value) = parse_claim(claim)?;
        claims.set(&name, value);
    }
    if args.has("--decode") {
        eprint!("{}", claims.pretty());
    }
    let prefix = args.value("--prefix").unwrap_or_default();
    Ok(Some(format!("{prefix}{}", sign(&claims, secret))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn payload(token: &str) -> Value {
        use base64::Engine;
        let part = token.split('.').nth(1).expect("three parts");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn options_shape_the_claims() {
        let token = mint(args(&[
            "--prefix=supabase:",
            "--sub",
            "1234",
            "--iat",
            "100",
            "--ttl",
            "50",
            "--claim",
            "aal=aal2",
            "--claim",
            "n=3",
            "--claim",
            "note=not json",
        ]))
        .expect("mints")
        .expect("a token");
        let jwt = token.strip_prefix("supabase:").expect("prefixed");
        let claims = payload(jwt);
        assert_eq!(claims["sub"], "1234");
        assert_eq!(
            (claims["iat"].as_i64(), claims["exp"].as_i64()),
            (Some(100), Some(150))
        );
        assert_eq!(
            (claims["aal"].as_str(), claims["n"].as_i64()),
            (Some("aal2"), Some(3))
        );
        assert_eq!(claims["note"], "not json");
        assert_eq!(claims["iss"], "http://127.0.0.1:54321/auth/v1");
        let exp = mint(args(&["--exp", "7", "--iat", "1", "--ttl", "99"]))
            .expect("mints")
            .expect("a token");
        assert_eq!(payload(&exp)["exp"], 7);
        assert!(mint(args(&["--claim", "nope"])).is_err());
        assert!(mint(args(&["--ttl", "soon"])).is_err());
        assert_eq!(mint(args(&["--help"])), Ok(None));
    }

    #[test]
    fn the_signature_is_the_libraries_hs256() {
        let token = sign(
            &dev_claims(DEV_SUB, "https://i", 1, 2),
            "k".repeat(32).as_str(),
        );
        let key = jsonwebtoken::DecodingKey::from_secret("k".repeat(32).as_bytes());
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        validation.set_audience(&["authenticated"]);
        jsonwebtoken::decode::<Value>(&token, &key, &validation).expect("verifies");
    }
}
