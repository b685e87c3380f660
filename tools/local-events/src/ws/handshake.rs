//! The opening handshake's credentials: the `header-` subprotocol (base64url JSON) or the
//! upgrade request's own headers.

use std::collections::HashMap;

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

/// The subprotocol AppSync Events clients require the server to select.
pub const PROTOCOL: &str = "aws-appsync-event-ws";
/// The prefix of the subprotocol that carries the connection's auth headers.
pub const HEADER_PREFIX: &str = "header-";

/// base64url with or without padding (clients strip it; some may not).
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The connection's credentials, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectAuth {
    /// The auth headers, keys as the client sent them.
    pub headers: HashMap<String, String>,
    /// `header- subprotocol` or `upgrade headers`.
    pub source: &'static str,
}

/// Reads the connection's credentials: the `header-` subprotocol if offered, else the
/// upgrade request's own headers.
pub fn connect_auth(offered: &[String], headers: &HeaderMap) -> Result<ConnectAuth, String> {
    if let Some(encoded) = offered.iter().find_map(|p| p.strip_prefix(HEADER_PREFIX)) {
        return decode_header_protocol(encoded).map(|headers| ConnectAuth {
            headers,
            source: "header- subprotocol",
        });
    }
    let headers = headers
        .iter()
        .filter(|(name, _)| {
            let name = name.as_str();
            !name.starts_with("sec-websocket-") && !matches!(name, "upgrade" | "connection")
        })
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    Ok(ConnectAuth {
        headers,
        source: "upgrade headers",
    })
}

/// Decodes `base64url(JSON object of strings)`.
pub fn decode_header_protocol(encoded: &str) -> Result<HashMap<String, String>, String> {
    let bytes = BASE64URL
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| format!("the header- subprotocol is not base64url: {e}"))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("the header- subprotocol is not base64url-encoded JSON: {e}"))?;
    string_map(&value).ok_or_else(|| {
        "the header- subprotocol must encode a JSON object of header names to values".into()
    })
}

/// A JSON object as a string map (non-string values in their JSON form).
pub fn string_map(value: &serde_json::Value) -> Option<HashMap<String, String>> {
    let object = value.as_object()?;
    Some(
        object
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), v)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_header_subprotocol_decodes_with_or_without_padding() {
        let json = r#"{"Authorization":"supabase:abc","host":"127.0.0.1:4010"}"#;
        let unpadded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        let padded = base64::engine::general_purpose::URL_SAFE.encode(json);
        for encoded in [unpadded, padded] {
            let decoded = decode_header_protocol(&encoded).expect("decodes");
            assert_eq!(decoded["Authorization"], "supabase:abc");
            assert_eq!(decoded["host"], "127.0.0.1:4010");
        }
        assert!(decode_header_protocol("!!!").is_err());
        let not_object = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("[1]");
        assert!(decode_header_protocol(&not_object).is_err());
    }

    #[test]
    fn without_the_subprotocol_the_upgrade_headers_are_the_credentials() {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_static("token"));
        headers.insert("sec-websocket-key", HeaderValue::from_static("k"));
        headers.insert("host", HeaderValue::from_static("localhost:4010"));
        let auth = connect_auth(&[PROTOCOL.to_owned()], &headers).expect("headers");
        assert_eq!(auth.source, "upgrade headers");
        assert_eq!(auth.headers["authorization"], "token");
        assert!(!auth.headers.contains_key("sec-websocket-key"));
    }
}
