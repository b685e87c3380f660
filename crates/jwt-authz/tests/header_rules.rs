//! JOSE header rules on their own (RFC 8725 §3.1 and §3.11): `alg` names are matched
//! exactly, `typ` must name a JWT, and whatever an attacker puts in the header is either
//! one of those or a refusal.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_authz::Denial;
use jwt_authz::UnverifiedToken;

fn token(header: &str) -> String {
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.c2ln", b64(header), b64(r#"{"sub":"x"}"#))
}

#[test]
fn alg_names_are_matched_case_sensitively() {
    for alg in [
        "es256", "Es256", "rs256", "EDDSA", "eddsa", "Ed25519", "hs256", "NONE", "nOnE", " ES256",
    ] {
        let t = token(&format!(r#"{{"alg":"{alg}"}}"#));
        assert_eq!(
            UnverifiedToken::parse(&t).err(),
            Some(Denial::AlgorithmNotAllowed),
            "{alg}"
        );
    }
}

#[test]
fn typ_must_name_a_jwt() {
    for typ in [
        "JWT",
        "jwt",
        "at+jwt",
        "application/at+jwt",
        "application/JWT",
    ] {
        let t = token(&format!(r#"{{"alg":"ES256","typ":"{typ}"}}"#));
        assert!(UnverifiedToken::parse(&t).is_ok(), "{typ}");
    }
    for typ in [
        "JWE",
        "JOSE",
        "JOSE+JSON",
        "dpop+jwt",
        "logout+jwt",
        "secevent+jwt",
        "",
        "JWT ",
    ] {
        let t = token(&format!(r#"{{"alg":"ES256","typ":"{typ}"}}"#));
        assert_eq!(
            UnverifiedToken::parse(&t).err(),
            Some(Denial::TypeNotAllowed),
            "{typ}"
        );
    }
}

#[test]
fn header_members_of_the_wrong_type_are_invalid() {
    for header in [
        r#"{"alg":"ES256","typ":["JWT"]}"#,
        r#"{"alg":"ES256","typ":1}"#,
        r#"{"alg":["ES256"]}"#,
        r#"{"alg":null}"#,
        r#"{"alg":"ES256","cty":"JWT"}"#,
    ] {
        assert_eq!(
            UnverifiedToken::parse(&token(header)).err(),
            Some(Denial::HeaderInvalid),
            "{header}"
        );
    }
}

#[test]
fn an_oversized_header_is_refused_before_decoding() {
    let pad = "x".repeat(2000);
    let t = token(&format!(r#"{{"alg":"ES256","pad":"{pad}"}}"#));
    assert_eq!(
        UnverifiedToken::parse(&t).err(),
        Some(Denial::HeaderInvalid)
    );
}
