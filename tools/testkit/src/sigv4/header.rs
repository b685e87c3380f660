//! Parsing `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.

use super::Refusal;
use super::canonical::{ALGORITHM, TERMINATOR};

/// A parsed SigV4 `Authorization` header. `Debug` omits the access key id and signature.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id of the credential.
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    /// The region of the credential scope.
    pub region: String,
    /// The service of the credential scope.
    pub service: String,
    /// The signed header names, lower case, as listed.
    pub signed_headers: Vec<String>,
    /// The 32 signature bytes.
    pub signature: Vec<u8>,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("date", &self.date)
            .field("region", &self.region)
            .field("service", &self.service)
            .field("signed_headers", &self.signed_headers)
            .finish_non_exhaustive()
    }
}

impl Authorization {
    /// `date/region/service/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{TERMINATOR}",
            self.date, self.region, self.service
        )
    }

    /// Parses the header value.
    pub fn parse(value: &str) -> Result<Self, Refusal> {
        let malformed = |what: &str| Refusal::Malformed(what.to_owned());
        let value = value.trim();
        let Some(rest) = value.strip_prefix(ALGORITHM) else {
            let algorithm = value.split_whitespace().next().unwrap_or_default();
            return Err(Refusal::Algorithm(algorithm.chars().take(40).collect()));
        };
        if !rest.starts_with(' ') {
            return Err(malformed("the algorithm must be followed by a space"));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',') {
            let Some((key, val)) = part.trim().split_once('=') else {
                return Err(malformed(
                    "expected Credential=…, SignedHeaders=…, Signature=…",
                ));
            };
            let slot = match key.trim() {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                _ => {
                    return Err(malformed(
                        "unknown component (expected Credential, SignedHeaders, Signature)",
                    ));
                }
            };
            if slot.replace(val.trim()).is_some() {
                return Err(malformed("a component appears twice"));
            }
        }
        let credential = credential.ok_or_else(|| malformed("no Credential"))?;
        let signed_headers = signed_headers.ok_or_else(|| malformed("no SignedHeaders"))?;
        let signature = signature.ok_or_else(|| malformed("no Signature"))?;

        let parts: Vec<&str> = credential.split('/').collect();
        let [key, date, region, service, terminator] = parts.as_slice() else {
            return Err(malformed(
                "Credential must be <access key id>/<YYYYMMDD>/<region>/<service>/aws4_request",
            ));
        };
        if key.is_empty() || region.is_empty() || service.is_empty() {
            return Err(malformed(
                "the Credential has an empty access key id, region or service",
            ));
        }
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("the Credential date must be YYYYMMDD"));
        }
        if *terminator != TERMINATOR {
            return Err(malformed("the Credential scope must end in aws4_request"));
        }
        let names: Vec<String> = signed_headers.split(';').map(str::to_owned).collect();
        if names
            .iter()
            .any(|n| n.is_empty() || *n != n.to_ascii_lowercase())
        {
            return Err(malformed(
                "SignedHeaders must be lower-case names separated by ';'",
            ));
        }
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        if sorted != names {
            return Err(malformed(
                "SignedHeaders must be sorted and without duplicates",
            ));
        }
        let signature = decode_hex(signature)
            .filter(|s| s.len() == 32)
            .ok_or_else(|| malformed("Signature must be 64 hex digits"))?;
        Ok(Self {
            access_key_id: (*key).to_owned(),
            date: (*date).to_owned(),
            region: (*region).to_owned(),
            service: (*service).to_owned(),
            signed_headers: names,
            signature,
        })
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

    #[test]
    fn a_well_formed_header_yields_scope_and_signed_headers() {
        let auth = Authorization::parse(&format!(
            "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, Signature={SIG}"
        ))
        .expect("valid");
        assert_eq!(auth.scope(), "20260101/us-east-1/appsync/aws4_request");
        assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert_eq!(auth.signature.len(), 32);
        let debug = format!("{auth:?}");
        assert!(
            !debug.contains("AKID") && !debug.contains("5d672d"),
            "{debug}"
        );
    }

    #[test]
    fn malformed_headers_are_refused_with_what_is_wrong() {
        let cases = [
            ("AWS4-HMAC-SHA1 Credential=x".to_owned(), "AWS4-HMAC-SHA1"),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/appsync, SignedHeaders=host, Signature={SIG}"),
                "Credential must be",
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKID/20260101/r/appsync/aws4_request, SignedHeaders=x-amz-date;host, Signature={SIG}"),
                "sorted",
            ),
            (
                format!("AWS4-HMAC-SHA256 Credential=AKID/20260101/r/appsync/aws4_request, SignedHeaders=Host, Signature={SIG}"),
                "lower-case",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/r/appsync/aws4_request, SignedHeaders=host, Signature=abc".to_owned(),
                "64 hex",
            ),
            (
                "AWS4-HMAC-SHA256 Credential=AKID/20260101/r/appsync/aws4_request, SignedHeaders=host".to_owned(),
                "no Signature",
            ),
        ];
        for (header, expected) in cases {
            let refusal = Authorization::parse(&header).expect_err("malformed");
            assert!(
                refusal.to_string().contains(expected),
                "{header}: {refusal}"
            );
        }
    }
}
