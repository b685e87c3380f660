//! `cargo xtask run-samples`: every sample in `events/` sent to its function running under
//! the dev loop (`cargo lambda watch`'s Lambda Invoke API), judged by
//! [`super::verdict`], with what local-events received meanwhile and, optionally, what a
//! subscriber got. `scripts/dev.sh` prints the table; `scripts/check-samples.sh` uses
//! `--check`, which fails on any difference.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{Sample, Verdict, discover, failures, verdict};
use crate::cli::{self, switch, value};

/// The first invocation may still compile the function under `cargo lambda watch`.
const INVOKE_TIMEOUT: Duration = Duration::from_secs(180);
/// Delivery to a subscriber is asynchronous: how long to wait for it.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// The channels the dev loop's subscriber listens on.
const SUBSCRIBED: &str = "/default/*";

const HELP: &str = "\
usage: cargo xtask run-samples --lambda-port PORT --events-url URL [options]

Invokes every sample in events/<function>/ through the Lambda Invoke API of `cargo lambda
watch` on 127.0.0.1:PORT (the directory name is the function), compares each answer with
<name>.expected.json exactly (same keys, values and JSON types), prints a table and what
local-events at URL received meanwhile. Started by scripts/dev.sh and
scripts/check-samples.sh, which start the dev loop first.

options:
  --check                 only samples with an expected answer; exit 1 on any mismatch,
                          failed invocation or (with --subscriber-out) undelivered event
  --ca FILE               CA certificate for an https:// URL (.dev/certs/ca.pem)
  --subscriber-out FILE   events a subscriber on /default/* wrote, one per line: it must
                          receive every event local-events accepted there";

/// What the command was asked to do.
#[derive(Debug)]
struct Options {
    lambda_port: u16,
    events_url: String,
    ca: Option<PathBuf>,
    check: bool,
    subscriber_out: Option<PathBuf>,
}

/// `cargo xtask run-samples`.
pub fn main(raw: Vec<String>) -> ExitCode {
    let options = match options(raw) {
        Ok(Some(options)) => options,
        Ok(None) => {
            eprintln!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            eprintln!("run-samples: {error}\n\n{HELP}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let outcome = match runtime {
        Ok(runtime) => runtime.block_on(run(&options)),
        Err(error) => Err(error.to_string()),
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("run-samples: {error}");
            ExitCode::FAILURE
        }
    }
}

fn options(raw: Vec<String>) -> Result<Option<Options>, String> {
    let flags = [
        value("--lambda-port"),
        value("--events-url"),
        value("--ca"),
        value("--subscriber-out"),
        switch("--check"),
    ];
    let args = cli::parse(raw, &flags)?;
    if args.help {
        return Ok(None);
    }
    if let Some(extra) = args.positional.first() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    Ok(Some(Options {
        lambda_port: args
            .integer("--lambda-port")?
            .ok_or("--lambda-port is required")?,
        events_url: args
            .value("--events-url")
            .ok_or("--events-url is required")?
            .trim_end_matches('/')
            .to_owned(),
        ca: args.value("--ca").map(PathBuf::from),
        check: args.has("--check"),
        subscriber_out: args.value("--subscriber-out").map(PathBuf::from),
    }))
}

/// Runs everything; `Ok(false)` when `--check` found a failure.
async fn run(options: &Options) -> Result<bool, String> {
    let mut samples = discover(&crate::workspace_root())?;
    if options.check {
        samples.retain(|s| s.expected.is_some());
    }
    if samples.is_empty() {
        return Err("no samples found in events/".into());
    }
    let client = client(options.ca.as_deref())?;
    let events = format!("{}/_local/events?limit=1000", options.events_url);
    let before = received(&client, &events).await?.len();

    let mut results = Vec::new();
    for sample in samples {
        let answer = invoke(&client, options.lambda_port, &sample).await;
        results.push((sample, answer));
    }
    print_table(&results);
    for failure in failures(&results) {
        cli::print(&format!("\n{failure}\n"));
    }

    let all = received(&client, &events).await?;
    let new = all.get(before..).unwrap_or_default();
    let mut channels: Vec<&str> = new.iter().filter_map(|e| e["channel"].as_str()).collect();
    channels.sort_unstable();
    channels.dedup();
    let on = if channels.is_empty() {
        String::new()
    } else {
        format!(" on {}", channels.join(", "))
    };
    cli::print(&format!(
        "\nlocal-events received {} event(s) from these invocations{on}\n",
        new.len()
    ));
    let failed = results.iter().filter(|(s, a)| !verdict(s, a).ok()).count();
    cli::print(&format!(
        "samples: {} passed, {failed} failed\n",
        results.len() - failed
    ));

    let delivered = match &options.subscriber_out {
        Some(out) => {
            let published = all
                .iter()
                .filter(|e| {
                    e["channel"]
                        .as_str()
                        .is_some_and(|c| c.starts_with("/default/"))
                })
                .count();
            subscriber_received(out, published, options.check).await
        }
        None => true,
    };
    Ok(!options.check || (failed == 0 && delivered))
}

fn client(ca: Option<&Path>) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder().timeout(INVOKE_TIMEOUT);
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).map_err(|e| format!("cannot read {}: {e}", ca.display()))?;
        let certificate =
            reqwest::Certificate::from_pem(&pem).map_err(|e| format!("{}: {e}", ca.display()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The events local-events holds (`GET /_local/events`), oldest first.
async fn received(client: &reqwest::Client, url: &str) -> Result<Vec<Value>, String> {
    let failed = |e: reqwest::Error| format!("GET {url}: {e}");
    let body: Value = client
        .get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(failed)?
        .json()
        .await
        .map_err(failed)?;
    match body.get("events") {
        Some(Value::Array(events)) => Ok(events.clone()),
        _ => Err(format!("GET {url}: no `events` array")),
    }
}

/// Invokes the sample's function with its request; the answer, or why there is none.
async fn invoke(client: &reqwest::Client, port: u16, sample: &Sample) -> Result<Value, String> {
    let request = sample.request()?;
    let url = format!(
        "http://127.0.0.1:{port}/2015-03-31/functions/{}/invocations",
        sample.function
    );
    let response = client.post(&url).json(&request).send().await.map_err(|e| {
        if e.is_timeout() {
            format!("no answer within {}s", INVOKE_TIMEOUT.as_secs())
        } else {
            format!("POST {url}: {e}")
        }
    })?;
    let status = response.status();
    let function_error = response.headers().contains_key("x-amz-function-error");
    let body = response.text().await.map_err(|e| e.to_string())?;
    let parsed = serde_json::from_str::<Value>(&body);
    if !status.is_success() || function_error {
        let reason = match &parsed {
            Ok(error) if error.get("errorMessage").is_some() => format!(
                "{}: {}",
                error["errorType"].as_str().unwrap_or("error"),
                error["errorMessage"].as_str().unwrap_or_default()
            ),
            _ => format!("{status}: {}", body.trim()),
        };
        return Err(reason);
    }
    parsed.map_err(|_| format!("answer is not JSON: {}", truncate(body.trim(), 200)))
}

/// Waits until the subscriber's file has `published` lines and reports it; `false` when it
/// never does (or nothing was published, with `check`).
async fn subscriber_received(out: &Path, published: usize, check: bool) -> bool {
    if check && published == 0 {
        eprintln!("local-events accepted no event on {SUBSCRIBED} from the publisher samples");
        return false;
    }
    let start = Instant::now();
    let count = || {
        std::fs::read_to_string(out)
            .map(|text| text.lines().filter(|l| !l.is_empty()).count())
            .unwrap_or(0)
    };
    while count() < published && start.elapsed() < DELIVERY_TIMEOUT {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let delivered = count();
    cli::print(&format!(
        "the {SUBSCRIBED} subscriber received {delivered} of the {published} event(s) local-events accepted there\n"
    ));
    if delivered != published {
        eprintln!("undelivered events: see {}", out.display());
    }
    delivered == published
}

fn print_table(results: &[(Sample, Result<Value, String>)]) {
    let rows: Vec<(String, String, Verdict)> = results
        .iter()
        .map(|(sample, answer)| {
            let shown = match answer {
                Ok(answer) => summarize(answer),
                Err(reason) => reason.clone(),
            };
            (sample.id(), shown, verdict(sample, answer))
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(6).max(6);
    let answer_width = rows
        .iter()
        .map(|r| r.1.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 100);
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut text = format!(
        "\n{:<width$}  {:<answer_width$}  result\n{}  {}  -----------\n",
        "sample",
        "answer",
        "-".repeat(width),
        "-".repeat(answer_width)
    );
    for (id, shown, verdict) in rows {
        let label = match (&verdict, colour) {
            (_, false) => verdict.label().to_owned(),
            (Verdict::Match, true) => format!("\x1b[32m{}\x1b[0m", verdict.label()),
            (Verdict::NoExpected, true) => format!("\x1b[33m{}\x1b[0m", verdict.label()),
            (_, true) => format!("\x1b[31m{}\x1b[0m", verdict.label()),
        };
        let shown = truncate(&shown, answer_width);
        text.push_str(&format!("{id:<width$}  {shown:<answer_width$}  {label}\n"));
    }
    cli::print(&text);
}

/// A one-line view of an answer; authorizer answers get a friendlier form.
fn summarize(answer: &Value) -> String {
    if let Some(authorized) = answer.get("isAuthorized") {
        let verdict = if authorized == &Value::Bool(true) {
            "allow"
        } else {
            "deny"
        };
        let ttl = answer
            .get("ttlOverride")
            .map_or_else(|| "-".to_owned(), Value::to_string);
        let mut parts = vec![verdict.to_owned(), format!("ttl={ttl}")];
        for key in ["handlerContext", "resolverContext"] {
            if let Some(Value::Object(context)) = answer.get(key) {
                let keys: Vec<&str> = context.keys().map(String::as_str).collect();
                parts.push(format!("{key}{{{}}}", keys.join(",")));
            }
        }
        if let Some(denied) = answer.get("deniedFields").filter(|d| !d.is_null()) {
            parts.push(format!("deniedFields={denied}"));
        }
        return parts.join(" ");
    }
    let text = answer.to_string();
    if text.chars().count() <= 70 {
        text
    } else {
        format!("{}...", truncate(&text, 67))
    }
}

fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn answers_are_summarized_in_one_line() {
        let allow = json!({"isAuthorized": true, "ttlOverride": 300, "handlerContext": {"sub": "u", "aal": "aal1"}});
        assert_eq!(summarize(&allow), "allow ttl=300 handlerContext{aal,sub}");
        assert_eq!(
            summarize(&json!({"isAuthorized": false, "ttlOverride": 0})),
            "deny ttl=0"
        );
        let long = json!({"batchItemFailures": [], "detail": "x".repeat(100)});
        assert_eq!(summarize(&long).chars().count(), 70);
        assert_eq!(summarize(&json!({"a": 1})), r#"{"a":1}"#);
    }

    #[test]
    fn options_need_the_ports() {
        let parse = |list: &[&str]| options(list.iter().map(|s| (*s).to_owned()).collect());
        assert!(parse(&["--events-url", "http://x"]).is_err());
        let options = parse(&["--lambda-port", "9", "--events-url", "http://x/", "--check"])
            .expect("parses")
            .expect("not help");
        assert_eq!(
            (options.lambda_port, options.events_url.as_str()),
            (9, "http://x")
        );
        assert!(options.check && options.ca.is_none());
    }
}
