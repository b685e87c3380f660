//! The development loop on loopback, for the suites that run it whole: the real
//! `local-events` binary ([`LocalEvents`]), the real `authorizer` behind a Lambda Invoke API
//! ([`Authorizer`]), the real `publisher` pointed at local-events, development tokens, and
//! a raw WebSocket client speaking the Events protocol ([`Ws`]). Every process is killed
//! on drop.
//!
//! The constants are the development defaults of `dev/local.env`.

mod authorizer;
mod local_events;
mod ws;

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::idp::{TestKey, now};

pub use authorizer::Authorizer;
pub use local_events::{LocalEvents, post_event};
pub use ws::{Ws, auth};

/// The development issuer (dev/local.env).
pub const ISSUER: &str = "http://127.0.0.1:54321/auth/v1";
/// The development issuer's HS256 secret (dev/local.env).
pub const SECRET: &str = "super-secret-jwt-token-with-at-least-32-characters-long";
/// The token prefix of the development configuration.
pub const PREFIX: &str = "supabase:";
/// The development IAM access key id local-events defaults to (dev/local.env).
pub const ACCESS_KEY: &str = "AKIDLOCALDEVELOPMENT";
/// The development IAM secret access key local-events defaults to (dev/local.env).
pub const SECRET_KEY: &str = "local-development-only-not-a-real-secret-key";

/// A prefixed HS256 development token for `sub`, expiring `expires_in` seconds from now
/// (negative: already expired).
pub fn token(sub: &str, expires_in: i64) -> String {
    let now = now() as i64;
    let claims = json!({
        "iss": ISSUER, "sub": sub, "aud": "authenticated", "role": "authenticated",
        "aal": "aal1", "is_anonymous": false, "session_id": "s-1",
        "iat": now - 60 + expires_in.min(0), "exp": now + expires_in,
    });
    format!("{PREFIX}{}", TestKey::hs256(SECRET).token(None, &claims))
}

/// Collects stdout and stderr lines as they arrive.
pub fn capture(child: &mut Child) -> Arc<Mutex<Vec<String>>> {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("stdout piped");
    let stderr = child.stderr.take().expect("stderr piped");
    for stream in [
        Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Send + Unpin>,
        Box::new(stderr),
    ] {
        let logs = logs.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                logs.lock().expect("lock").push(line);
            }
        });
    }
    logs
}

/// The body of an HTTP publish of `events` (each serialized to a JSON string).
pub fn publish_body(channel: &str, events: &[Value]) -> Value {
    let events: Vec<String> = events.iter().map(Value::to_string).collect();
    json!({"channel": channel, "events": events})
}
