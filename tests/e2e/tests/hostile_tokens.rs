//! Hostile tokens through the real `authorizer` binary, beyond the first table in
//! `authorizer.rs`: RFC 8725's attack classes and weaknesses known from other
//! verifiers — duplicate JSON members, non-canonical base64url, nesting depth, huge
//! numbers, unicode tricks, `typ` confusion, another issuer's key, ECDSA signatures in DER
//! form or all zeros, malformed `kid`s and `alg` spellings.
//!
//! Every hostile token is signed for real where a signature matters, so that the only
//! defect is the one under test: a lenient parser would accept it.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair};
use serde_json::{Value, json};
use testkit::binaries::binary;
use testkit::events::reasons;
use testkit::idp::{JwksServer, TestKey, b64, mint_raw, now};
use testkit::runtime::{LambdaProcess, Outcome};

fn deny() -> Value {
    json!({"isAuthorized": false, "ttlOverride": 0})
}

fn connect(token: &str) -> Value {
    json!({"authorizationToken": token,
           "requestContext": {"apiId": "api", "accountId": "111122223333", "requestId": "r", "operation": "EVENT_CONNECT"},
           "requestHeaders": {}})
}

/// Two issuers, each with its own key set: `a` (several keys) and `b` (one key).
struct Fixture {
    f: LambdaProcess,
    a: JwksServer,
    es: TestKey,
    /// The same P-256 key as `es`'s sibling `es2`, signing DER (ASN.1) signatures.
    es2_der: EcdsaKeyPair,
    es2: TestKey,
    rs: TestKey,
    b_key: TestKey,
    b_iss: String,
}

impl Fixture {
    async fn start() -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("pkcs8");
        let from = |alg| EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).expect("key");
        let es2 = TestKey::Es256(from(&signature::ECDSA_P256_SHA256_FIXED_SIGNING));
        let es2_der = from(&signature::ECDSA_P256_SHA256_ASN1_SIGNING);
        let (es, rs, ed) = (TestKey::es256(), TestKey::rs256(), TestKey::eddsa());
        let mut off_curve = es2.jwk("off-curve");
        let y = off_curve["y"].as_str().expect("y").to_owned();
        off_curve["y"] = json!(format!(
            "{}{}",
            &y[..y.len() - 2],
            if y.ends_with("AA") { "BA" } else { "AA" }
        ));
        let a = JwksServer::start(vec![
            es.jwk("es"),
            es2.jwk("es2"),
            rs.jwk("rs"),
            ed.jwk("ed"),
            off_curve,
        ])
        .await;
        let b_key = TestKey::es256();
        let b = JwksServer::start(vec![b_key.jwk("b")]).await;
        let b_iss = format!("{}/auth/v1", b.base());
        let config = json!({"issuers": [
            {"issuer": format!("{}/auth/v1", a.base()), "jwksUrl": a.jwks_url()},
            {"issuer": b_iss, "jwksUrl": b.jwks_url()},
        ]});
        let f = LambdaProcess::start(
            &binary("authorizer"),
            &[("AUTHORIZER_CONFIG", &config.to_string())],
        )
        .await;
        Self {
            f,
            a,
            es,
            es2_der,
            es2,
            rs,
            b_key,
            b_iss,
        }
    }

    fn iss(&self) -> String {
        format!("{}/auth/v1", self.a.base())
    }

    fn claims(&self) -> Value {
        json!({"iss": self.iss(), "sub": "user-1", "aud": "authenticated", "role": "authenticated",
               "iat": now() - 10, "exp": now() + 3600})
    }

    fn with(&self, name: &str, value: Value) -> Value {
        let mut c = self.claims();
        c[name] = value;
        c
    }

    /// Signs raw header and payload text with `es` (kid `es`).
    fn raw(&self, header: &str, payload: &str) -> String {
        mint_raw(header.as_bytes(), payload.as_bytes(), |m| self.es.sign(m))
    }

    /// Signs a raw payload text with `es` under a normal header.
    fn payload(&self, payload: &str) -> String {
        self.raw(r#"{"alg":"ES256","kid":"es","typ":"JWT"}"#, payload)
    }

    /// The claims as JSON text with `extra` members spliced in before the closing brace.
    fn spliced(&self, extra: &str) -> String {
        splice(&self.claims(), extra)
    }

    /// As [`spliced`](Self::spliced), without the valid `exp`.
    fn exp_spliced(&self, extra: &str) -> String {
        let mut claims = self.claims();
        claims.as_object_mut().expect("object").remove("exp");
        splice(&claims, extra)
    }

    /// Answer and logged reason for `event`.
    async fn decide(&self, event: &Value) -> (Value, String) {
        let before = reasons(&self.f).len();
        let answer = match self.f.invoke(event).await {
            Outcome::Response(v) => v,
            Outcome::Error(e) => panic!("invocation error: {e}"),
        };
        for _ in 0..100 {
            if reasons(&self.f).len() > before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        (answer, reasons(&self.f).pop().unwrap_or_default())
    }
}

fn splice(claims: &Value, extra: &str) -> String {
    let text = claims.to_string();
    format!("{},{extra}}}", &text[..text.len() - 1])
}

/// A base64url segment of `json` (padded with spaces to leave unused bits) whose last
/// character sets those bits: it decodes, leniently, to the same bytes.
fn non_canonical(json: &str) -> String {
    let mut text = json.to_owned();
    while text.len() % 3 != 1 {
        text.push(' ');
    }
    bump_last_char(&b64(text))
}

/// Sets the lowest unused bit of a canonical segment's last character.
fn bump_last_char(segment: &str) -> String {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let last = segment.chars().last().expect("non-empty");
    let index = ALPHABET.find(last).expect("base64url");
    let bumped = ALPHABET.chars().nth(index + 1).expect("room for one more");
    format!("{}{bumped}", &segment[..segment.len() - 1])
}

fn sign_input(key: &TestKey, input: &str) -> String {
    format!("{input}.{}", b64(key.sign(input.as_bytes())))
}

#[tokio::test]
async fn hostile_tokens_are_denied_with_precise_reasons() {
    let fx = Fixture::start().await;
    let good = fx.es.token(Some("es"), &fx.claims());
    let (header, payload, signature) = {
        let mut parts = good.split('.');
        let mut next = || parts.next().expect("segment").to_owned();
        (next(), next(), next())
    };
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let rng = SystemRandom::new();
    let es2_input = format!(
        "{}.{}",
        b64(r#"{"alg":"ES256","kid":"es2"}"#),
        b64(fx.claims().to_string())
    );
    let der = fx
        .es2_der
        .sign(&rng, es2_input.as_bytes())
        .expect("der signature");
    let raw64 = fx.es2.sign(es2_input.as_bytes());
    let cases: Vec<(&str, String, &str)> = vec![
        // Duplicate members (RFC 7515 §4, RFC 8259 §4): never "last one wins".
        ("duplicate kid", fx.raw(r#"{"alg":"ES256","kid":"es","kid":"rs"}"#, &fx.claims().to_string()), "header_invalid"),
        ("duplicate alg", fx.raw(r#"{"alg":"HS256","alg":"ES256","kid":"es"}"#, &fx.claims().to_string()), "header_invalid"),
        ("duplicate unknown header member", fx.raw(r#"{"alg":"ES256","kid":"es","x":1,"x":2}"#, &fx.claims().to_string()), "header_invalid"),
        ("duplicate role claim", fx.payload(&fx.spliced(r#""role":"service_role""#)), "payload_invalid"),
        ("role then role", fx.payload(&format!(r#"{{"role":"service_role",{}"#, &fx.claims().to_string()[1..])), "payload_invalid"),
        ("duplicate iss", fx.payload(&format!(r#"{{"iss":"https://evil.example/auth/v1",{}"#, &fx.claims().to_string()[1..])), "payload_invalid"),
        ("duplicate via escape", fx.payload(&fx.spliced(r#""ro\u006ce":"anon""#)), "payload_invalid"),
        ("nested duplicate", fx.payload(&fx.spliced(r#""app_metadata":{"org":"a","org":"b"}"#)), "payload_invalid"),
        // Non-canonical base64url: decodes leniently to the same bytes; the signature is valid.
        ("non-canonical header", sign_input(&fx.es, &format!("{}.{payload}", non_canonical(r#"{"alg":"ES256","kid":"es"}"#))), "token_malformed"),
        ("non-canonical payload", sign_input(&fx.es, &format!("{header}.{}", non_canonical(&fx.claims().to_string()))), "token_malformed"),
        ("non-canonical signature", format!("{header}.{payload}.{}", bump_last_char(&signature)), "bad_signature"),
        // A random signature has no '-' or '_' about 6 % of the time: then the swap alone
        // would change nothing, so its first character becomes '+'.
        ("standard alphabet", format!("{header}.{payload}.{}", standard_alphabet(&signature)), "token_malformed"),
        ("padding inside", format!("{header}=.{payload}.{signature}"), "token_malformed"),
        // Depth and size.
        ("deeply nested claim", fx.payload(&fx.spliced(&format!(r#""deep":{}"#, deep(200)))), "payload_invalid"),
        ("deeply nested header", fx.raw(&format!(r#"{{"alg":"ES256","kid":"es","x":{}}}"#, deep(300)), &fx.claims().to_string()), "header_invalid"),
        ("header over 1 KiB", fx.raw(&format!(r#"{{"alg":"ES256","kid":"{}"}}"#, "k".repeat(1100)), &fx.claims().to_string()), "header_invalid"),
        ("token over 4 KiB", fx.es.token(Some("es"), &fx.with("pad", json!("x".repeat(4000)))), "token_too_long"),
        // Numbers.
        ("exp beyond f64", fx.payload(&fx.exp_spliced(r#""exp":1e400"#)), "payload_invalid"),
        ("exp of 400 digits", fx.payload(&fx.exp_spliced(&format!(r#""exp":{}"#, "9".repeat(400)))), "payload_invalid"),
        ("iat 1e300", fx.es.token(Some("es"), &fx.with("iat", json!(1e300))), "issued_in_future"),
        ("nbf past u64", fx.es.token(Some("es"), &fx.with("nbf", json!(18446744073709551616.0_f64))), "not_yet_valid"),
        ("negative exp", fx.es.token(Some("es"), &fx.with("exp", json!(-1))), "claim_invalid"),
        ("exp zero", fx.es.token(Some("es"), &fx.with("exp", json!(0))), "expired"),
        ("exp as bool", fx.es.token(Some("es"), &fx.with("exp", json!(true))), "claim_invalid"),
        ("sub as number", fx.es.token(Some("es"), &fx.with("sub", json!(1e300))), "claim_invalid"),
        ("iss as array", fx.es.token(Some("es"), &fx.with("iss", json!([fx.iss()]))), "claim_invalid"),
        ("aud as object", fx.es.token(Some("es"), &fx.with("aud", json!({"authenticated": true}))), "claim_invalid"),
        // Unicode.
        ("homoglyph issuer", fx.es.token(Some("es"), &fx.with("iss", json!(fx.iss().replace("auth", "аuth")))), "unknown_issuer"),
        ("zero-width issuer", fx.es.token(Some("es"), &fx.with("iss", json!(format!("{}\u{200b}", fx.iss())))), "unknown_issuer"),
        ("zero-width audience", fx.es.token(Some("es"), &fx.with("aud", json!("authenticated\u{200b}"))), "audience_mismatch"),
        ("fullwidth role", fx.es.token(Some("es"), &fx.with("role", json!("ａｕｔｈｅｎｔｉｃａｔｅｄ"))), "profile_rejected"),
        ("lone surrogate", fx.payload(&fx.spliced(r#""name":"\ud800""#)), "payload_invalid"),
        ("invalid utf-8", mint_raw(br#"{"alg":"ES256","kid":"es"}"#, &[fx.spliced(r#""n":""#).as_bytes(), b"\xff\"}"].concat()[..], |m| fx.es.sign(m)), "payload_invalid"),
        ("overlong utf-8", mint_raw(br#"{"alg":"ES256","kid":"es"}"#, &[fx.spliced(r#""n":""#).as_bytes(), b"\xc0\xaf\"}"].concat()[..], |m| fx.es.sign(m)), "payload_invalid"),
        ("byte order mark", mint_raw(br#"{"alg":"ES256","kid":"es"}"#, &[&b"\xef\xbb\xbf"[..], fx.claims().to_string().as_bytes()].concat()[..], |m| fx.es.sign(m)), "payload_invalid"),
        // typ confusion (RFC 8725 §3.11) and nesting (§3.3).
        ("typ JWE", fx.raw(r#"{"alg":"ES256","kid":"es","typ":"JWE"}"#, &fx.claims().to_string()), "typ_not_allowed"),
        ("typ secevent", fx.raw(r#"{"alg":"ES256","kid":"es","typ":"secevent+jwt"}"#, &fx.claims().to_string()), "typ_not_allowed"),
        ("typ dpop", fx.raw(r#"{"alg":"ES256","kid":"es","typ":"dpop+jwt"}"#, &fx.claims().to_string()), "typ_not_allowed"),
        ("typ as number", fx.raw(r#"{"alg":"ES256","kid":"es","typ":1}"#, &fx.claims().to_string()), "header_invalid"),
        ("nested JWT", fx.raw(r#"{"alg":"ES256","kid":"es","cty":"JWT"}"#, &fx.claims().to_string()), "header_invalid"),
        ("JWE compact form", format!("{header}.{payload}.{signature}.AAAA.BBBB"), "token_malformed"),
        ("JWS JSON form", json!({"payload": payload, "signatures": [{"protected": header, "signature": signature}]}).to_string(), "token_malformed"),
        // kid.
        ("kid number", fx.raw(r#"{"alg":"ES256","kid":1}"#, &fx.claims().to_string()), "header_invalid"),
        ("kid array", fx.raw(r#"{"alg":"ES256","kid":["es"]}"#, &fx.claims().to_string()), "header_invalid"),
        ("kid object", fx.raw(r#"{"alg":"ES256","kid":{"$ne":""}}"#, &fx.claims().to_string()), "header_invalid"),
        ("kid empty", fx.raw(r#"{"alg":"ES256","kid":""}"#, &fx.claims().to_string()), "header_invalid"),
        ("kid null, several keys", fx.raw(r#"{"alg":"ES256","kid":null}"#, &fx.claims().to_string()), "kid_missing"),
        ("kid path traversal", fx.raw(r#"{"alg":"ES256","kid":"../../../../dev/null"}"#, &fx.claims().to_string()), "unknown_kid"),
        ("kid injection", fx.raw(r#"{"alg":"ES256","kid":"' OR '1'='1"}"#, &fx.claims().to_string()), "unknown_kid"),
        // alg spelling and binding.
        ("alg lower case", fx.raw(r#"{"alg":"es256","kid":"es"}"#, &fx.claims().to_string()), "alg_not_allowed"),
        ("alg NONE", fx.raw(r#"{"alg":"NONE","kid":"es"}"#, &fx.claims().to_string()), "alg_not_allowed"),
        ("alg nOnE unsigned", format!("{}.{payload}.", b64(r#"{"alg":"nOnE"}"#)), "token_malformed"),
        ("alg with a space", fx.raw(r#"{"alg":"ES256 ","kid":"es"}"#, &fx.claims().to_string()), "alg_not_allowed"),
        ("ES384 on a P-256 key", fx.raw(r#"{"alg":"ES384","kid":"es"}"#, &fx.claims().to_string()), "alg_not_allowed"),
        ("PS256 on an RS256 key", mint_raw(br#"{"alg":"PS256","kid":"rs"}"#, fx.claims().to_string().as_bytes(), |m| fx.rs.sign(m)), "alg_not_allowed"),
        ("EdDSA on a P-256 key", fx.raw(r#"{"alg":"EdDSA","kid":"es"}"#, &fx.claims().to_string()), "alg_not_allowed"),
        // ECDSA signature forms.
        ("ES256 signature in DER", format!("{es2_input}.{}", b64(der.as_ref())), "bad_signature"),
        ("ES256 r = s = 0", format!("{es2_input}.{}", b64([0u8; 64])), "bad_signature"),
        ("ES256 signature cut short", format!("{es2_input}.{}", b64(&raw64[..63])), "bad_signature"),
        ("ES256 signature extended", format!("{es2_input}.{}", b64([&raw64[..], &[0u8]].concat())), "bad_signature"),
        // A published point that is not on the curve is rejected when the key set is
        // parsed: the kid names a key that exists but cannot be used.
        ("key off the curve", mint_raw(br#"{"alg":"ES256","kid":"off-curve"}"#, fx.claims().to_string().as_bytes(), |m| fx.es2.sign(m)), "key_unusable"),
        // Another issuer's key.
        ("iss a, kid and key of b", fx.b_key.token(Some("b"), &fx.claims()), "unknown_kid"),
        ("iss a, kid of a, key of b", fx.b_key.token(Some("es"), &fx.claims()), "bad_signature"),
        ("iss b, key of a", fx.es.token(Some("b"), &fx.with("iss", json!(fx.b_iss))), "bad_signature"),
        // Extraction.
        ("trailing NUL", format!("{good}\u{0}"), "token_malformed"),
        ("inner whitespace", good.replacen('.', ". ", 1), "token_malformed"),
        ("bearer twice", format!("Bearer Bearer {good}"), "token_malformed"),
    ];
    let mut failures = Vec::new();
    for (name, token, reason) in &cases {
        let (answer, logged) = fx.decide(&connect(token)).await;
        if answer != deny() || logged != *reason {
            failures.push(format!("{name}: {answer} {logged} (expected {reason})"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    // The untouched ES256 token and the raw-form signature of the DER case both pass, so
    // each hostile case above failed for its defect alone.
    assert_eq!(fx.decide(&connect(&good)).await.0["isAuthorized"], true);
    let raw_form = format!("{es2_input}.{}", b64(&raw64));
    assert_eq!(fx.decide(&connect(&raw_form)).await.1, "allowed");
    let b_token = fx.b_key.token(Some("b"), &fx.with("iss", json!(fx.b_iss)));
    assert_eq!(fx.decide(&connect(&b_token)).await.1, "allowed");
    let mut f = fx.f;
    assert!(f.is_running());
}

#[tokio::test]
async fn odd_but_valid_claims_are_accepted_exactly() {
    let fx = Fixture::start().await;
    let sub = "用户-𝔘-🙂-\u{202e}txt.exe";
    let huge_exp = fx.with("exp", json!(1e300));
    let (answer, _) = fx
        .decide(&connect(&fx.es.token(Some("es"), &huge_exp)))
        .await;
    assert_eq!(answer["isAuthorized"], true, "{answer}");
    assert_eq!(
        answer["ttlOverride"], 300,
        "a far expiry never lengthens caching"
    );
    let (answer, _) = fx
        .decide(&connect(
            &fx.es.token(Some("es"), &fx.with("sub", json!(sub))),
        ))
        .await;
    assert_eq!(
        answer["handlerContext"]["sub"], sub,
        "unicode passes through unchanged"
    );
    let nested =
        fx.payload(&fx.spliced(&format!(r#""deep":{}{}"#, "[".repeat(100), "]".repeat(100))));
    assert_eq!(
        fx.decide(&connect(&nested)).await.1,
        "allowed",
        "nesting within the limit"
    );
}

#[tokio::test]
async fn hostile_graphql_and_malformed_events_are_denied_not_errors() {
    let fx = Fixture::start().await;
    let duplicated = fx.payload(&format!(
        r#"{{"role":"service_role",{}"#,
        &fx.claims().to_string()[1..]
    ));
    let event = json!({"authorizationToken": duplicated,
        "requestContext": {"apiId": "a", "accountId": "1", "requestId": "r", "queryString": "{ me }", "variables": {}}});
    assert_eq!(
        fx.decide(&event).await,
        (deny(), "payload_invalid".to_owned())
    );
    let mut numeric = connect("x");
    numeric["authorizationToken"] = json!(12345);
    assert_eq!(
        fx.decide(&numeric).await,
        (deny(), "bad_request".to_owned())
    );
    let huge = connect(&"A".repeat(1 << 20));
    assert_eq!(
        fx.decide(&huge).await,
        (deny(), "token_too_long".to_owned())
    );
}

/// `signature` in the standard base64 alphabet (`+` and `/`), always changed.
fn standard_alphabet(signature: &str) -> String {
    let swapped = signature.replace('-', "+").replace('_', "/");
    if swapped == signature {
        format!("+{}", &signature[1..])
    } else {
        swapped
    }
}
