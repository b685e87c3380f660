//! The cost floor of a function on lambda_runtime, for `cargo xtask bench authorizer`: the same
//! runtime as the `authorizer` (a current-thread tokio runtime, `run_concurrent`, no
//! per-invocation span) doing no work at all: every event gets the same allow, and nothing
//! is logged. What it costs per warm invocation is what the Lambda Runtime API protocol
//! costs through lambda_runtime on the machine at hand; the authorizer cannot cost less.
//! Not a function to deploy.

use lambda_runtime::{Error, LambdaEvent, Runtime, service_fn};
use serde::Serialize;
use serde_json::value::RawValue;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer {
    is_authorized: bool,
    ttl_override: u64,
}

fn main() -> Result<(), Error> {
    let handler = service_fn(|_: LambdaEvent<Box<RawValue>>| async {
        Ok::<_, Error>(Answer {
            is_authorized: true,
            ttl_override: 0,
        })
    });
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(Runtime::new(handler).run_concurrent())
}
