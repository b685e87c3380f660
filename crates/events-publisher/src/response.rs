//! Reading AppSync's answers.
//!
//! A `200` can still carry per-event failures:
//! `{"successful":[{"identifier","index"}], "failed":[{"identifier","index", …}]}`. The
//! error fields of a failed entry are not reliably named (the Swift client models
//! `errorCode`/`errorMessage`; `code`/`message` are accepted too), so they are read
//! leniently, and an event not listed in `failed` counts as published.
//!
//! Error bodies (non-2xx) are read for a human message: `{"errors":[{"errorType",
//! "message"}]}` (GraphQL style), `{"message"}`, `{"Message"}`, `{"errorMessage"}`, or the
//! raw text. AWS signature errors append the canonical request after a blank line, and it
//! contains the session token: only the first paragraph is kept, and it is truncated.

use serde::Deserialize;
use serde_json::Value;

/// Longest service message kept in a failure reason, in bytes.
pub(crate) const MAX_MESSAGE_BYTES: usize = 300;

/// A per-event failure reported inside a `200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FailedEvent {
    /// Index of the event within the request's `events` array.
    pub index: usize,
    /// The error code, stringified, if the service sent one.
    pub code: Option<String>,
    /// The error message, if the service sent one (sanitized).
    pub message: Option<String>,
}

impl FailedEvent {
    /// A failure reason for reports and logs.
    pub(crate) fn reason(&self) -> String {
        match (&self.code, &self.message) {
            (Some(c), Some(m)) => format!("rejected by the service: {c}: {m}"),
            (Some(c), None) => format!("rejected by the service: {c}"),
            (None, Some(m)) => format!("rejected by the service: {m}"),
            (None, None) => "rejected by the service (no reason given)".to_owned(),
        }
    }

    /// Whether resending the event may succeed.
    ///
    /// The codes are not documented, so this only refuses to retry what is clearly the
    /// event's own fault: a numeric 4xx other than 429, or a code naming validation,
    /// a bad request or missing authorization. Anything else (5xx, throttling, unknown)
    /// is retried within the attempt budget.
    pub(crate) fn is_retryable(&self) -> bool {
        let Some(code) = self.code.as_deref() else {
            return true;
        };
        if let Ok(number) = code.parse::<u16>() {
            return !(400..500).contains(&number) || number == 429;
        }
        let lower = code.to_ascii_lowercase();
        ![
            "validation",
            "badrequest",
            "unauthorized",
            "accessdenied",
            "forbidden",
        ]
        .iter()
        .any(|word| lower.contains(word))
    }
}

/// Reads the `failed` list of a `200` answer.
///
/// # Errors
/// A description when the body is not a JSON object or `failed` is not a list of entries
/// with a numeric `index`: the caller cannot tell which events failed.
pub(crate) fn parse_failed(body: &[u8]) -> Result<Vec<FailedEvent>, String> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        failed: Option<Vec<Value>>,
    }
    let parsed: Body = serde_json::from_slice(body)
        .map_err(|e| format!("unreadable 200 response ({} bytes): {e}", body.len()))?;
    parsed
        .failed
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            let index = entry
                .get("index")
                .and_then(|i| {
                    i.as_u64()
                        .or_else(|| i.as_str().and_then(|s| s.parse().ok()))
                })
                .and_then(|i| usize::try_from(i).ok())
                .ok_or_else(|| {
                    "a failed entry in a 200 response has no numeric index".to_owned()
                })?;
            let text = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| entry.get(*k).filter(|v| !v.is_null()))
                    .map(|v| match v {
                        Value::String(s) => sanitize(s),
                        other => sanitize(&other.to_string()),
                    })
            };
            Ok(FailedEvent {
                index,
                code: text(&["errorCode", "code", "errorType"]),
                message: text(&["errorMessage", "message"]),
            })
        })
        .collect()
}

/// The service's message from an error body (see the module docs), sanitized.
pub(crate) fn error_message(body: &[u8]) -> Option<String> {
    if let Ok(value) = serde_json::from_slice::<Value>(body) {
        let first_error = value.get("errors").and_then(|e| e.get(0));
        let pick = |v: Option<&Value>, keys: &[&str]| {
            v.and_then(|v| keys.iter().find_map(|k| v.get(*k)?.as_str()))
                .map(str::to_owned)
        };
        let kind = pick(first_error, &["errorType", "type"])
            .or_else(|| pick(Some(&value), &["__type", "errorType", "code"]));
        let message = pick(first_error, &["message", "errorMessage"]).or_else(|| {
            pick(
                Some(&value),
                &["message", "Message", "errorMessage", "error"],
            )
        });
        return match (kind, message) {
            (Some(k), Some(m)) => Some(sanitize(&format!("{k}: {m}"))),
            (Some(k), None) => Some(sanitize(&k)),
            (None, Some(m)) => Some(sanitize(&m)),
            (None, None) => None,
        };
    }
    let text = String::from_utf8_lossy(body);
    let text = sanitize(&text);
    (!text.is_empty()).then_some(text)
}

/// Keeps the first paragraph, drops control characters, trims and truncates to
/// [`MAX_MESSAGE_BYTES`] (on a character boundary).
pub(crate) fn sanitize(message: &str) -> String {
    let first = message
        .split("\n\n")
        .next()
        .unwrap_or_default()
        .split("The Canonical String")
        .next()
        .unwrap_or_default();
    let mut out: String = first
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned();
    if out.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_without_failures_has_none() {
        assert_eq!(
            parse_failed(br#"{"successful":[{"identifier":"a","index":0}],"failed":[]}"#),
            Ok(vec![])
        );
        assert_eq!(parse_failed(br#"{"successful":[]}"#), Ok(vec![]));
        assert_eq!(parse_failed(br#"{"failed":null}"#), Ok(vec![]));
    }

    #[test]
    fn failed_entries_are_read_whatever_the_error_fields_are_named() {
        let body = br#"{"failed":[
            {"identifier":"a","index":1,"errorCode":500,"errorMessage":"boom"},
            {"identifier":"b","index":"3","code":"Throttled","message":"slow down"},
            {"index":4}
        ]}"#;
        let failed = parse_failed(body).expect("parses");
        assert_eq!(
            failed,
            [
                FailedEvent {
                    index: 1,
                    code: Some("500".into()),
                    message: Some("boom".into())
                },
                FailedEvent {
                    index: 3,
                    code: Some("Throttled".into()),
                    message: Some("slow down".into())
                },
                FailedEvent {
                    index: 4,
                    code: None,
                    message: None
                },
            ]
        );
        assert_eq!(failed[0].reason(), "rejected by the service: 500: boom");
        assert_eq!(
            failed[2].reason(),
            "rejected by the service (no reason given)"
        );
    }

    #[test]
    fn unreadable_success_bodies_are_errors() {
        assert!(parse_failed(b"").is_err());
        assert!(parse_failed(b"<html>").is_err());
        assert!(parse_failed(br#"{"failed":[{"identifier":"x"}]}"#).is_err());
    }

    #[test]
    fn only_clearly_permanent_event_failures_are_not_retried() {
        let with = |code: Option<&str>| FailedEvent {
            index: 0,
            code: code.map(Into::into),
            message: None,
        };
        for retryable in [
            None,
            Some("500"),
            Some("503"),
            Some("429"),
            Some("Throttled"),
            Some("InternalFailure"),
        ] {
            assert!(with(retryable).is_retryable(), "{retryable:?}");
        }
        for permanent in [
            Some("400"),
            Some("413"),
            Some("ValidationException"),
            Some("UnauthorizedException"),
        ] {
            assert!(!with(permanent).is_retryable(), "{permanent:?}");
        }
    }

    #[test]
    fn error_messages_are_read_from_the_usual_shapes() {
        assert_eq!(
            error_message(br#"{"errors":[{"errorType":"UnauthorizedException","message":"You are not authorized"}]}"#).as_deref(),
            Some("UnauthorizedException: You are not authorized")
        );
        assert_eq!(
            error_message(br#"{"message":"Forbidden"}"#).as_deref(),
            Some("Forbidden")
        );
        assert_eq!(
            error_message(br#"{"Message":"nope"}"#).as_deref(),
            Some("nope")
        );
        assert_eq!(
            error_message(b"plain text\n").as_deref(),
            Some("plain text")
        );
        assert_eq!(error_message(b""), None);
        assert_eq!(error_message(b"{}"), None);
    }

    #[test]
    fn signature_errors_lose_the_canonical_request_and_its_token() {
        let body = br#"{"message":"The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'POST\n/event\n\nx-amz-security-token:SECRET-TOKEN\n'"}"#;
        let message = error_message(body).expect("message");
        assert_eq!(
            message,
            "The request signature we calculated does not match the signature you provided."
        );
        assert!(!message.contains("SECRET"));
        let inline = sanitize(
            "mismatch. The Canonical String for this request should have been x-amz-security-token:SECRET",
        );
        assert_eq!(inline, "mismatch.");
    }

    #[test]
    fn long_messages_are_truncated_on_a_char_boundary() {
        let long = "é".repeat(400);
        let out = sanitize(&long);
        assert!(out.len() <= MAX_MESSAGE_BYTES + '…'.len_utf8());
        assert!(out.ends_with('…'));
        assert_eq!(sanitize("a\u{0}b\tc"), "a b c");
    }
}
