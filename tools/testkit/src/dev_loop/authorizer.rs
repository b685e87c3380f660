//! The real `authorizer` under the harness's Runtime API, served through a Lambda Invoke
//! API as function `authorizer`.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{ISSUER, PREFIX, SECRET};
use crate::binaries::binary;
use crate::invoke_api::InvokeApi;
use crate::runtime::LambdaProcess;

/// The real authorizer (dev configuration plus `env`) under the harness's Runtime API,
/// served through a Lambda Invoke API as function `authorizer`.
#[derive(Debug)]
pub struct Authorizer {
    /// The function.
    pub process: Arc<LambdaProcess>,
    /// Its Invoke API.
    pub invoke: InvokeApi,
}

impl Authorizer {
    /// The flat development configuration of dev/local.env.
    pub async fn dev() -> Self {
        Self::with_env(&[
            ("JWT_ISSUER", ISSUER),
            ("JWT_SECRET", SECRET),
            ("JWT_PROFILE", "supabase"),
        ])
        .await
    }

    /// An `AUTHORIZER_CONFIG` document for the development issuer with these extra keys
    /// (e.g. `channelRules`, `cacheConnect`).
    pub async fn with_document(extra: Value) -> Self {
        let mut document = json!({
            "issuers": [{"issuer": ISSUER, "profile": "supabase", "secret": {"value": SECRET}}],
            "cacheTtlSeconds": 300,
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            document[k] = v;
        }
        Self::with_env(&[("AUTHORIZER_CONFIG", &document.to_string())]).await
    }

    async fn with_env(env: &[(&str, &str)]) -> Self {
        let mut env = env.to_vec();
        env.push(("TOKEN_PREFIXES", PREFIX));
        let process = Arc::new(LambdaProcess::start(&binary("authorizer"), &env).await);
        let invoke = InvokeApi::start(vec![("authorizer", process.clone())]).await;
        Self { process, invoke }
    }

    /// What the authorizer was asked, in order: (operation, channel).
    pub fn questions(&self) -> Vec<(String, Option<String>)> {
        self.invoke
            .invocations("authorizer")
            .iter()
            .map(|r| {
                let context = &r["requestContext"];
                (
                    context["operation"].as_str().unwrap_or_default().to_owned(),
                    context["channel"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }
}
