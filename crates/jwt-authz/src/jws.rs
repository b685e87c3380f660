//! Compact JWS parsing: the header and payload of a token whose shape
//! [`extract`](crate::extract) already checked.
//!
//! The header is read for the members we act on — `alg`, `kid`, `typ`, `cty`, `crit` — and
//! every other member is ignored, the key-carrying ones (`jku`, `x5u`, `jwk`, `x5c`)
//! included: we never fetch a URL or trust a key taken from the token. `crit` is refused
//! (we implement no extensions, RFC 7515 §4.1.11), `kid` must be a non-empty string, and a
//! duplicate member anywhere in the header or the payload is an error
//! ([`parse_json_strict`]): RFC 7515 §4 lets a parser either refuse duplicates or keep the
//! last one, and two parsers that disagree on which one wins is how a token means one
//! thing to a gateway and another to us. Base64url decoding is strict: no padding, no
//! non-canonical trailing bits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::extract::is_compact_jws;
use crate::{Algorithm, Denial};

/// The largest decoded header we accept, in bytes.
const MAX_HEADER_LEN: usize = 1024;

/// The header members we act on. Any other member (Clerk adds `cat`) is ignored; a
/// duplicate of any member is refused by the strict parse that runs first.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    cty: Option<String>,
    #[serde(default)]
    crit: Option<Value>,
}

/// A compact JWS split and its header checked, the signature **not** verified: what a
/// token says about itself (`alg`, `kid`, claims), for diagnostics and tools. Nothing read
/// from it is trustworthy until a [`Verifier`](crate::Verifier) accepts the token.
#[derive(Debug, Clone)]
pub struct UnverifiedToken<'a> {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    /// `base64url(header) "." base64url(payload)`: the signed message.
    pub(crate) signing_input: &'a str,
    /// The signature segment, still base64url.
    pub(crate) signature: &'a str,
    /// The payload segment, still base64url.
    pub(crate) payload: &'a str,
}

impl<'a> UnverifiedToken<'a> {
    /// Splits a compact JWS (e.g. what [`Verifier::extract`](crate::Verifier::extract)
    /// returns) and checks its header exactly as verification does.
    pub fn parse(token: &'a str) -> Result<Self, Denial> {
        if !is_compact_jws(token) {
            return Err(Denial::TokenMalformed);
        }
        parse(token)
    }

    /// The header's `alg`.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The header's `kid`, when present.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The claims, decoded and parsed as strictly as verification does (a duplicate
    /// member anywhere is [`Denial::PayloadInvalid`]).
    pub fn claims(&self) -> Result<Map<String, Value>, Denial> {
        let payload = decode_segment(self.payload)?;
        match parse_json_strict(&payload) {
            Ok(Value::Object(claims)) => Ok(claims),
            _ => Err(Denial::PayloadInvalid),
        }
    }

    /// The signature, decoded; a segment that does not decode is a bad signature.
    pub(crate) fn signature(&self) -> Result<Vec<u8>, Denial> {
        decode_segment(self.signature).map_err(|_| Denial::BadSignature)
    }
}

/// Splits and parses a compact JWS already known to be three base64url segments (the
/// verifier's path: [`TokenExtractor::extract`](crate::extract::TokenExtractor::extract)
/// checked the shape).
pub(crate) fn parse(token: &str) -> Result<UnverifiedToken<'_>, Denial> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(Denial::TokenMalformed)?;
    let (header_b64, payload) = signing_input
        .split_once('.')
        .ok_or(Denial::TokenMalformed)?;
    if header_b64.len() > MAX_HEADER_LEN * 4 / 3 + 4 {
        return Err(Denial::HeaderInvalid);
    }
    let header_json = decode_segment(header_b64)?;
    let header_value = parse_json_strict(&header_json).map_err(|_| Denial::HeaderInvalid)?;
    let raw = RawHeader::deserialize(header_value).map_err(|_| Denial::HeaderInvalid)?;
    if raw.kid.as_deref() == Some("") {
        // An empty key id names no key; refusing it here also keeps it from causing an
        // unknown-kid refetch.
        return Err(Denial::HeaderInvalid);
    }
    if raw.crit.is_some() {
        return Err(Denial::CritUnsupported);
    }
    if let Some(typ) = &raw.typ {
        // RFC 8725 §3.11: a token of another type (e.g. `at+jwt` is fine, a JWE or
        // `secevent+jwt` is not a bearer token) must not be accepted as a JWT.
        if !is_jwt_type(typ) {
            return Err(Denial::TypeNotAllowed);
        }
    }
    if raw.cty.is_some() {
        // Nested JWTs are not supported.
        return Err(Denial::HeaderInvalid);
    }
    let alg = Algorithm::from_name(&raw.alg).ok_or(Denial::AlgorithmNotAllowed)?;
    Ok(UnverifiedToken {
        alg,
        kid: raw.kid,
        signing_input,
        signature,
        payload,
    })
}

/// Decodes one base64url segment strictly (no padding, canonical trailing bits).
pub(crate) fn decode_segment(segment: &str) -> Result<Vec<u8>, Denial> {
    URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Denial::TokenMalformed)
}

/// Parses JSON text into a [`Value`], refusing a duplicate object member at any depth,
/// trailing data, and numbers outside the `f64` range. Nesting is bounded by serde_json's
/// recursion limit (128 levels).
pub(crate) fn parse_json_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = deserializer.deserialize_any(StrictVisitor)?;
    deserializer.end()?;
    Ok(value)
}

/// A nested [`Value`] built by [`StrictVisitor`].
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

/// serde_json's own `Value` visitor, except that a repeated object member is an error.
struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value without duplicate object members")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match object.entry(key) {
                serde_json::map::Entry::Vacant(slot) => {
                    let Strict(value) = map.next_value()?;
                    slot.insert(value);
                }
                // The member name is attacker-controlled: keep it out of the message.
                serde_json::map::Entry::Occupied(_) => {
                    return Err(de::Error::custom("duplicate object member"));
                }
            }
        }
        Ok(Value::Object(object))
    }
}

fn is_jwt_type(typ: &str) -> bool {
    ["JWT", "at+jwt", "application/jwt", "application/at+jwt"]
        .iter()
        .any(|t| t.eq_ignore_ascii_case(typ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    fn token(header: &str) -> String {
        format!("{}.{}.c2ln", b64(header), b64(r#"{"sub":"x"}"#))
    }

    #[test]
    fn header_with_alg_and_kid_parses() {
        let t = token(r#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#);
        let parsed = parse(&t).expect("parses");
        assert_eq!(parsed.alg(), Algorithm::ES256);
        assert_eq!(parsed.kid(), Some("k1"));
        assert_eq!(parsed.signature, "c2ln");
    }

    #[test]
    fn alg_none_and_unknown_algs_are_not_allowed() {
        for alg in ["none", "None", "ES512", "RSA-OAEP", "HS256 "] {
            let t = token(&format!(r#"{{"alg":"{alg}"}}"#));
            assert_eq!(parse(&t).err(), Some(Denial::AlgorithmNotAllowed), "{alg}");
        }
    }

    #[test]
    fn crit_is_refused() {
        assert_eq!(
            parse(&token(r#"{"alg":"ES256","crit":["exp"],"exp":1}"#)).err(),
            Some(Denial::CritUnsupported)
        );
        assert_eq!(
            parse(&token(r#"{"alg":"ES256","crit":["b64"]}"#)).err(),
            Some(Denial::CritUnsupported)
        );
    }

    #[test]
    fn key_carrying_headers_are_ignored_not_trusted() {
        let t = token(
            r#"{"alg":"RS256","kid":"k","jku":"https://evil/jwks","x5u":"https://evil/c","jwk":{"kty":"oct","k":"AA"},"x5c":["MII"]}"#,
        );
        assert_eq!(parse(&t).expect("parses").kid(), Some("k"));
    }

    #[test]
    fn duplicate_header_members_are_refused() {
        assert_eq!(
            parse(&token(r#"{"alg":"ES256","alg":"HS256"}"#)).err(),
            Some(Denial::HeaderInvalid)
        );
    }

    #[test]
    fn non_jwt_typ_is_refused() {
        assert_eq!(
            parse(&token(r#"{"alg":"ES256","typ":"secevent+jwt"}"#)).err(),
            Some(Denial::TypeNotAllowed)
        );
        assert!(parse(&token(r#"{"alg":"ES256","typ":"at+jwt"}"#)).is_ok());
    }

    #[test]
    fn header_that_is_not_an_object_is_invalid() {
        for header in ["[]", "\"x\"", "{", "{\"kid\":\"k\"}", "{\"alg\":5}"] {
            assert_eq!(
                parse(&token(header)).err(),
                Some(Denial::HeaderInvalid),
                "{header}"
            );
        }
    }

    #[test]
    fn duplicate_unknown_header_members_are_refused() {
        for header in [
            r#"{"alg":"ES256","x":1,"x":2}"#,
            r#"{"alg":"ES256","kid":"a","kid":"a"}"#,
            r#"{"alg":"ES256","ext":{"a":1,"a":1}}"#,
        ] {
            assert_eq!(
                parse(&token(header)).err(),
                Some(Denial::HeaderInvalid),
                "{header}"
            );
        }
    }

    #[test]
    fn kid_must_be_a_non_empty_string() {
        for header in [
            r#"{"alg":"ES256","kid":""}"#,
            r#"{"alg":"ES256","kid":5}"#,
            r#"{"alg":"ES256","kid":["k"]}"#,
            r#"{"alg":"ES256","kid":{"k":1}}"#,
            r#"{"alg":"ES256","kid":true}"#,
        ] {
            assert_eq!(
                parse(&token(header)).err(),
                Some(Denial::HeaderInvalid),
                "{header}"
            );
        }
        // `null` is the same as absent.
        let t = token(r#"{"alg":"ES256","kid":null}"#);
        assert_eq!(parse(&t).expect("parses").kid(), None);
    }

    #[test]
    fn strict_json_refuses_duplicates_at_any_depth() {
        for text in [
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"{"a":[{"b":1,"b":1}]}"#,
            r#"{"role":"authenticated","ro\u006ce":"service_role"}"#,
        ] {
            assert!(parse_json_strict(text.as_bytes()).is_err(), "{text}");
        }
        let ok = parse_json_strict(br#"{"a":{"b":1},"b":[{"a":1},{"a":2}]}"#).expect("ok");
        assert_eq!(ok["b"][1]["a"], 2);
    }

    #[test]
    fn strict_json_refuses_trailing_data_bad_text_and_out_of_range_numbers() {
        for text in [
            &br#"{"a":1} x"#[..],
            br#"{"a":1}{"a":2}"#,
            br#"{"exp":1e400}"#,
            br#"{"exp":-1e400}"#,
            b"\xef\xbb\xbf{}",
            br#"{"a":"\ud800"}"#,
            b"{\"a\":\"\xff\"}",
        ] {
            let shown = String::from_utf8_lossy(text);
            assert!(parse_json_strict(text).is_err(), "{shown}");
        }
        let big = parse_json_strict(br#"{"exp":18446744073709551616}"#).expect("as f64");
        assert!(big["exp"].is_f64());
    }

    #[test]
    fn strict_json_bounds_nesting_depth() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_json_strict(deep.as_bytes()).is_err());
        let objects = format!("{}1{}", r#"{"a":"#.repeat(200), "}".repeat(200));
        assert!(parse_json_strict(objects.as_bytes()).is_err());
        let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse_json_strict(fine.as_bytes()).is_ok());
    }

    #[test]
    fn non_canonical_base64url_is_malformed() {
        // "eyJ" + a final char whose unused low bits are set.
        assert_eq!(decode_segment("QR"), Err(Denial::TokenMalformed));
        assert_eq!(decode_segment("QQ"), Ok(b"A".to_vec()));
    }
}
