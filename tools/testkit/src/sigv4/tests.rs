//! The verifier against botocore-signed vectors (`tests/fixtures/sigv4/`), and each
//! refusal against a mutation of one.

use std::time::Duration;

use serde_json::Value;

use super::*;

const VECTORS: &str = include_str!("../../tests/fixtures/sigv4/vectors.json");

struct Vector {
    name: String,
    region: String,
    credentials: DevCredentials,
    now: SystemTime,
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
    canonical_request: String,
}

impl Vector {
    fn parts(&self) -> RequestParts<'_> {
        RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: self.headers.clone(),
            body: self.body.as_bytes(),
        }
    }

    fn verify(&self, parts: &RequestParts<'_>) -> Result<Verified, Refusal> {
        verify(parts, &self.credentials, &self.region, self.now)
    }
}

fn vectors() -> Vec<Vector> {
    let document: Value = serde_json::from_str(VECTORS).expect("vectors.json is JSON");
    let text = |v: &Value, key: &str| v[key].as_str().expect(key).to_owned();
    document["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .map(|v| {
            let request = &v["request"];
            Vector {
                name: text(v, "name"),
                region: text(v, "region"),
                credentials: DevCredentials {
                    access_key_id: text(v, "accessKeyId"),
                    secret_access_key: text(v, "secretAccessKey"),
                },
                now: clock::from_unix_seconds(
                    clock::parse_amz_date(&text(v, "amzDate")).expect("amz date"),
                ),
                method: text(request, "method"),
                path: text(request, "path"),
                query: text(request, "query"),
                headers: request["headers"]
                    .as_array()
                    .expect("headers")
                    .iter()
                    .map(|h| (text_at(h, 0), text_at(h, 1)))
                    .collect(),
                body: text(request, "body"),
                canonical_request: text(v, "canonicalRequest"),
            }
        })
        .collect()
}

fn text_at(v: &Value, index: usize) -> String {
    v[index].as_str().expect("string").to_owned()
}

fn set_header(parts: &mut RequestParts<'_>, name: &str, value: &str) {
    parts.headers.retain(|(n, _)| n != name);
    parts.headers.push((name.to_owned(), value.to_owned()));
}

fn authorization(parts: &RequestParts<'_>) -> String {
    parts.header("authorization").expect("signed").to_owned()
}

#[test]
fn every_botocore_vector_verifies_and_yields_botocores_canonical_request() {
    let vectors = vectors();
    assert!(vectors.len() >= 7);
    for v in &vectors {
        let parts = v.parts();
        let auth = Authorization::parse(&authorization(&parts)).expect("parses");
        let signed: Vec<&str> = auth.signed_headers.iter().map(String::as_str).collect();
        let payload = sha256_hex(parts.body);
        assert_eq!(
            canonical_request(&parts, &signed, &payload),
            v.canonical_request,
            "{}",
            v.name
        );
        let verified = v
            .verify(&parts)
            .unwrap_or_else(|r| panic!("{}: {r}", v.name));
        assert_eq!(verified.region, v.region);
        assert_eq!(
            verified.session_token,
            parts.header("x-amz-security-token").is_some()
        );
    }
}

#[test]
fn a_changed_body_is_refused_and_an_empty_signed_body_is_named() {
    for v in vectors() {
        let mut parts = v.parts();
        parts.body = b"{\"channel\":\"/default/other\",\"events\":[\"1\"]}";
        let refusal = v.verify(&parts).expect_err("changed body");
        assert!(
            matches!(refusal, Refusal::Signature { .. }),
            "{}: {refusal}",
            v.name
        );
    }
    let get = vectors()
        .into_iter()
        .find(|v| v.method == "GET")
        .expect("a GET vector with an empty body");
    let mut parts = get.parts();
    parts.body = b"{\"a\":1}";
    let message = get.verify(&parts).expect_err("changed").to_string();
    assert!(
        message.contains("body differs from what was signed"),
        "{message}"
    );
}

#[test]
fn a_wrong_secret_is_a_mismatch_with_the_canonical_request_and_no_secret() {
    for v in vectors() {
        let credentials = DevCredentials {
            secret_access_key: "another-secret".into(),
            ..v.credentials.clone()
        };
        let refusal = verify(&v.parts(), &credentials, &v.region, v.now).expect_err("wrong");
        let message = refusal.to_string();
        assert!(
            message.contains("Canonical request computed here"),
            "{message}"
        );
        assert!(!message.contains(&v.credentials.secret_access_key));
        assert!(
            !message.contains("session+token"),
            "token redacted: {message}"
        );
        assert!(!message.contains("Signature="), "{message}");
    }
}

#[test]
fn region_service_and_access_key_mismatches_name_the_part() {
    let v = &vectors()[0];
    let parts = v.parts();
    let message = verify(&parts, &v.credentials, "eu-west-1", v.now)
        .expect_err("other region")
        .to_string();
    assert!(
        message.contains("signed for region us-east-1, this endpoint is eu-west-1"),
        "{message}"
    );

    let mut other_service = v.parts();
    let header = authorization(&parts).replace("/appsync/", "/execute-api/");
    set_header(&mut other_service, "authorization", &header);
    let message = v.verify(&other_service).expect_err("service").to_string();
    assert!(
        message.contains("service 'execute-api', expected 'appsync'"),
        "{message}"
    );

    let stranger = DevCredentials {
        access_key_id: "AKIDSOMEONEELSE".into(),
        ..v.credentials.clone()
    };
    let refusal = verify(&parts, &stranger, &v.region, v.now).expect_err("key");
    assert_eq!(refusal, Refusal::UnknownAccessKey);
    assert!(!refusal.to_string().contains("AKID"), "{refusal}");
}

#[test]
fn host_must_be_signed_and_signed_headers_must_be_sent() {
    let v = &vectors()[0];
    let parts = v.parts();
    let mut unsigned_host = v.parts();
    let header =
        authorization(&parts).replace("content-type;host;x-amz-date", "content-type;x-amz-date");
    set_header(&mut unsigned_host, "authorization", &header);
    let message = v.verify(&unsigned_host).expect_err("host").to_string();
    assert!(message.starts_with("host header not signed"), "{message}");

    let mut dropped = v.parts();
    dropped.headers.retain(|(n, _)| n != "content-type");
    let message = v.verify(&dropped).expect_err("dropped").to_string();
    assert!(
        message.contains("'content-type' is listed in SignedHeaders but was not sent"),
        "{message}"
    );
}

#[test]
fn a_host_changed_after_signing_is_a_mismatch_showing_the_host_used() {
    let v = &vectors()[0];
    let mut parts = v.parts();
    set_header(&mut parts, "host", "127.0.0.1:9999");
    let message = v.verify(&parts).expect_err("host changed").to_string();
    assert!(message.contains("signature does not match"), "{message}");
    // Signed for `127.0.0.1:4010`, so moving the port is not explained by dropping it; the
    // canonical request shows the host used.
    assert!(message.contains("host:127.0.0.1:9999"), "{message}");
}

#[test]
fn dates_are_checked_against_the_scope_and_the_clock() {
    let v = &vectors()[0];
    let parts = v.parts();
    let late = v.now + Duration::from_secs(301);
    let message = verify(&parts, &v.credentials, &v.region, late)
        .expect_err("expired")
        .to_string();
    assert!(message.contains("signed at 20260102T030405Z"), "{message}");
    assert!(
        verify(
            &parts,
            &v.credentials,
            &v.region,
            v.now + Duration::from_secs(299)
        )
        .is_ok()
    );

    let mut other_day = v.parts();
    set_header(&mut other_day, "x-amz-date", "20260103T030405Z");
    let message = verify(
        &other_day,
        &v.credentials,
        &v.region,
        clock::from_unix_seconds(clock::parse_amz_date("20260103T030405Z").expect("date")),
    )
    .expect_err("scope date")
    .to_string();
    assert!(message.contains("scope date 20260102"), "{message}");

    let mut no_date = v.parts();
    no_date.headers.retain(|(n, _)| n != "x-amz-date");
    assert!(matches!(v.verify(&no_date), Err(Refusal::Date(_))));
}

#[test]
fn a_content_hash_header_that_disagrees_with_the_body_says_so() {
    let v = &vectors()[0];
    let mut parts = v.parts();
    set_header(
        &mut parts,
        "x-amz-content-sha256",
        &sha256_hex(b"something else"),
    );
    let message = v.verify(&parts).expect_err("hash").to_string();
    assert!(
        message.starts_with("body differs from what was signed"),
        "{message}"
    );
    set_header(&mut parts, "x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    assert!(
        v.verify(&parts)
            .expect_err("unsigned")
            .to_string()
            .contains("UNSIGNED-PAYLOAD")
    );
}

/// Signs `parts` with this module's own derivations (only to build mistakes to diagnose;
/// correctness of the derivations is what the botocore vectors establish).
fn sign_locally(parts: &mut RequestParts<'_>, v: &Vector, signed_body: &[u8]) {
    let names = ["content-type", "host", "x-amz-date"];
    let canonical = canonical_request(parts, &names, &sha256_hex(signed_body));
    let scope = format!("20260102/{}/appsync/aws4_request", v.region);
    let to_sign = string_to_sign("20260102T030405Z", &scope, &canonical);
    let key = canonical::signing_key(
        &v.credentials.secret_access_key,
        "20260102",
        &v.region,
        "appsync",
    );
    let signature = canonical::hex(aws_lc_rs::hmac::sign(&key, to_sign.as_bytes()).as_ref());
    let header = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={}, Signature={signature}",
        v.credentials.access_key_id,
        names.join(";")
    );
    set_header(parts, "authorization", &header);
}

#[test]
fn common_mistakes_are_diagnosed_by_name() {
    let v = &vectors()[0];

    let mut portless = v.parts();
    set_header(&mut portless, "host", "127.0.0.1");
    sign_locally(&mut portless, v, v.body.as_bytes());
    set_header(&mut portless, "host", "127.0.0.1:4010");
    let message = v.verify(&portless).expect_err("host").to_string();
    assert!(
        message.contains("signed for host '127.0.0.1' but sent with Host '127.0.0.1:4010'"),
        "{message}"
    );

    let mut root = v.parts();
    root.path = "/";
    sign_locally(&mut root, v, v.body.as_bytes());
    root.path = "/event";
    let message = v.verify(&root).expect_err("path").to_string();
    assert!(message.contains("signed for path '/'"), "{message}");

    let mut empty = v.parts();
    sign_locally(&mut empty, v, b"");
    let message = v.verify(&empty).expect_err("body").to_string();
    assert!(
        message.contains("body differs from what was signed: the signature is over an empty body"),
        "{message}"
    );

    let mut good = v.parts();
    sign_locally(&mut good, v, v.body.as_bytes());
    assert!(
        v.verify(&good).is_ok(),
        "the local derivations agree with themselves"
    );
}
