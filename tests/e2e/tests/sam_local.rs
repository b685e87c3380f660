//! `sam local invoke`, run as `docs/sam-local.md` says, for every
//! sample in `events/` that has a `<name>.expected.json`: each answer must equal it exactly,
//! and every event the publisher samples publish must arrive at local-events.
//!
//! Ignored by a plain `cargo test`: it needs root, Debian's `docker.io`, the SAM CLI and
//! the output of `sam build --config-env x86_64` in `.dev/sam-build` (or
//! `SAM_LOCAL_BUILD_DIR`). `scripts/test.sh` builds, then runs
//! `cargo test -p e2e --test sam_local -- --ignored`.
//!
//! What runs: a private `dockerd` on a bridge this test creates (see [`testkit::docker`]), an
//! **offline stand-in** for `public.ecr.aws/lambda/provided:al2023-x86_64` built from this
//! Debian host's files (no registry is reachable; SAM CLI adds its own runtime interface
//! emulator on top, so this checks SAM's wiring and the functions, not compatibility with
//! Lambda's operating system), and local-events with TLS on the bridge address, which the
//! publisher's container reaches as `https://host.docker.internal:4010`. Nothing leaves
//! this machine: the daemon neither forwards nor masquerades, and SAM CLI's account-id
//! lookup goes to a closed loopback port. Every container and image is removed, then the
//! daemon and the bridge.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::binaries::{binary, workspace_root};
use testkit::docker::{Daemon, PROVIDED_AL2023_X86_64, which};

/// The port of `EVENTS_ENDPOINT` in `dev/sam-local-env.json`. The test's local-events
/// listens on the bridge address only, so it never collides with a dev loop's 4010.
const EVENTS_PORT: u16 = 4010;

/// The guide whose commands this test runs.
const GUIDE: &str = "docs/sam-local.md";

/// Runs in every `cargo test`, so the guide cannot drift while the Docker test is skipped.
#[test]
fn the_guide_shows_the_commands_this_test_runs() {
    let root = workspace_root();
    guide_documents_what_this_test_runs(&root, &dev_env(&root));
}

#[test]
#[ignore = "needs root, Debian's docker.io, the SAM CLI and `sam build --config-env x86_64` in .dev/sam-build; scripts/test.sh runs it"]
fn every_sample_answers_exactly_under_sam_local_invoke_and_published_events_reach_local_events() {
    let root = workspace_root();
    let build = std::env::var_os("SAM_LOCAL_BUILD_DIR")
        .map_or_else(|| root.join(".dev/sam-build"), PathBuf::from);
    let template = build.join("template.yaml");
    assert!(
        template.exists(),
        "{} is missing: run `SAM_BUILD_MODE=debug sam build --config-env x86_64 --build-dir .dev/sam-build` first (scripts/test.sh does)",
        template.display()
    );
    which("sam").expect("the SAM CLI is not on PATH (scripts/test.sh puts .dev/venv/bin there)");
    let dev = dev_env(&root);
    guide_documents_what_this_test_runs(&root, &dev);

    let daemon = Daemon::start("samlocal-test0");
    let bootstraps = ["AuthorizerFunction", "PublisherFunction"]
        .map(|function| build.join(function).join("bootstrap"));
    daemon.import_stand_in(
        PROVIDED_AL2023_X86_64,
        &bootstraps.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
    );
    // docs/sam-local.md finds the address local-events must listen on like this.
    let gateway = daemon.docker_ok(&[
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{(index .IPAM.Config 0).Gateway}}",
    ]);
    assert_eq!(gateway, daemon.gateway().to_string());

    let certs = tempfile::tempdir().expect("temp dir");
    let listen: SocketAddr = format!("{gateway}:{EVENTS_PORT}").parse().expect("address");
    let _events = LocalEvents::start(&root, listen, certs.path());
    let ca = std::fs::read_to_string(certs.path().join("ca.pem")).expect("the development CA");

    let mut mismatches = Vec::new();
    let mut expected_events: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (function, sample, expected) in samples(&root) {
        let name = sample
            .strip_prefix(&root)
            .unwrap_or(&sample)
            .display()
            .to_string();
        let started = Instant::now();
        let answer = sam_local_invoke(&root, &daemon, &template, function, &sample, &dev, &ca);
        eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());
        match answer {
            Ok(answer) if answer == expected => {}
            Ok(answer) => mismatches.push(format!("{name}: expected {expected}, got {answer}")),
            Err(error) => mismatches.push(format!("{name}: {error}")),
        }
        if function == "PublisherFunction" {
            for (channel, events) in publish_inputs(&read_json(&sample)) {
                expected_events.entry(channel).or_default().extend(events);
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));

    let received = received_events(listen, &ca);
    assert!(!expected_events.is_empty(), "no publisher samples");
    assert_eq!(
        received, expected_events,
        "local-events received (per channel, in order) something else than the publisher samples sent"
    );

    // SAM CLI removes each function's container after its invoke; the images are ours.
    assert_eq!(
        daemon.docker_ok(&["ps", "--all", "--quiet"]),
        "",
        "containers left behind"
    );
    let images = daemon.docker_ok(&["image", "ls", "--format", "{{.Repository}}:{{.Tag}}"]);
    for image in images.lines() {
        daemon.docker_ok(&["image", "rm", "--force", image]);
    }
    assert_eq!(daemon.docker_ok(&["image", "ls", "--all", "--quiet"]), "");
}

/// `docs/sam-local.md` gives the commands and values this test uses.
fn guide_documents_what_this_test_runs(root: &Path, dev: &BTreeMap<String, String>) {
    let guide = std::fs::read_to_string(root.join(GUIDE)).expect(GUIDE);
    for needed in [
        "sam build --config-env x86_64".to_owned(),
        "sam local invoke --config-env x86_64 AuthorizerFunction -e events/authorizer/".to_owned(),
        "sam local invoke --config-env x86_64 PublisherFunction -e events/publisher/".to_owned(),
        format!(
            "export AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={}",
            dev["AWS_ACCESS_KEY_ID"], dev["AWS_SECRET_ACCESS_KEY"]
        ),
        "export AWS_ENDPOINT_URL_STS=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1".to_owned(),
        "docker network inspect bridge --format '{{(index .IPAM.Config 0).Gateway}}'".to_owned(),
        "local-events --tls --allow-remote --listen \"$BRIDGE:4010\" --template template.yaml"
            .to_owned(),
        "export EVENTS_DEV_CA_PEM=\"$(cat .dev/certs/ca.pem)\"".to_owned(),
        "offline stand-in".to_owned(),
    ] {
        assert!(
            guide.contains(&needed),
            "{GUIDE} does not say {needed:?}; update it or this test"
        );
    }
    let env_file = std::fs::read_to_string(root.join("dev/sam-local-env.json")).expect("env");
    assert!(
        env_file.contains(&format!("\"https://host.docker.internal:{EVENTS_PORT}\"")),
        "dev/sam-local-env.json: the publisher's EVENTS_ENDPOINT is not the port this test serves"
    );
}

/// `(function logical id, sample, expected answer)` for every sample with an expected
/// answer, authorizer first, in name order.
fn samples(root: &Path) -> Vec<(&'static str, PathBuf, Value)> {
    let mut found = Vec::new();
    for (dir, function) in [
        ("authorizer", "AuthorizerFunction"),
        ("publisher", "PublisherFunction"),
    ] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join("events").join(dir))
            .expect("sample directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                name.ends_with(".json") && !name.ends_with(".expected.json")
            })
            .collect();
        paths.sort();
        for path in paths {
            let expected = path.with_extension("expected.json");
            if expected.exists() {
                found.push((function, path, read_json(&expected)));
            }
        }
    }
    assert!(found.len() >= 2, "no samples found");
    found
}

/// One `sam local invoke`, exactly as the guide has it, plus `--skip-pull-image` (the
/// stand-in is local) and this test's build directory; returns the function's answer.
fn sam_local_invoke(
    root: &Path,
    daemon: &Daemon,
    template: &Path,
    function: &str,
    sample: &Path,
    dev: &BTreeMap<String, String>,
    ca: &str,
) -> Result<Value, String> {
    let mut command = Command::new("sam");
    command
        .args(["local", "invoke", function, "--event"])
        .arg(sample)
        .arg("--config-env")
        .arg("x86_64")
        // `--template-file` moves the samconfig.toml lookup to the template's directory.
        .arg("--config-file")
        .arg(root.join("samconfig.toml"))
        .arg("--template-file")
        .arg(template)
        .arg("--skip-pull-image")
        .current_dir(root)
        .env("DOCKER_HOST", daemon.host())
        .env("SAM_CLI_TELEMETRY", "0")
        // The guide: the development credentials local-events verifies, and a fast failure of
        // SAM CLI's STS call for the account id instead of a stall.
        .env("AWS_ACCESS_KEY_ID", &dev["AWS_ACCESS_KEY_ID"])
        .env("AWS_SECRET_ACCESS_KEY", &dev["AWS_SECRET_ACCESS_KEY"])
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("EVENTS_DEV_CA_PEM", ca)
        .stdin(Stdio::null());
    for unset in [
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ] {
        command.env_remove(unset);
    }
    let out = command.output().map_err(|e| format!("sam: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail = |text: &str| {
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    };
    if !out.status.success() {
        return Err(format!(
            "sam exited with {}:\n{}",
            out.status,
            tail(&stderr)
        ));
    }
    serde_json::from_str(stdout.trim()).map_err(|e| {
        format!(
            "the answer is not JSON ({e}): {stdout}\nsam's log:\n{}",
            tail(&stderr)
        )
    })
}

/// `{channel: [event, …]}` that a publisher sample asks to publish: a direct input, an
/// array of them, an SQS batch (each body is one) or an EventBridge event (its `detail`).
fn publish_inputs(sample: &Value) -> Vec<(String, Vec<Value>)> {
    if let Some(events) = stream_events(sample) {
        return events;
    }
    if let Some(records) = sample.get("Records").and_then(Value::as_array) {
        return records
            .iter()
            .flat_map(|r| {
                let body = r["body"].as_str().expect("an SQS body");
                publish_inputs(&serde_json::from_str(body).expect("body is JSON"))
            })
            .collect();
    }
    if let Some(detail) = sample.get("detail") {
        return publish_inputs(detail);
    }
    if let Some(inputs) = sample.as_array() {
        return inputs.iter().flat_map(publish_inputs).collect();
    }
    let channel = sample["channel"].as_str().expect("a channel").to_owned();
    let events = sample["events"].as_array().expect("events").clone();
    vec![(channel, events)]
}

/// A DynamoDB Streams or Kinesis sample: each record mapped with the channel patterns of
/// `dev/sam-local-env.json`, as the publisher maps it.
fn stream_events(sample: &Value) -> Option<Vec<(String, Vec<Value>)>> {
    let records = sample.get("Records")?.as_array()?;
    let source = records.first()?.get("eventSource")?.as_str()?;
    let env = read_json(&workspace_root().join("dev/sam-local-env.json"));
    let pattern = |name: &str| {
        env["PublisherFunction"][name]
            .as_str()
            .expect(name)
            .to_owned()
    };
    let map = |record: &Value| match source {
        "aws:dynamodb" => stream_events::DynamoDbMapping::new(&pattern("PUBLISH_DYNAMODB_CHANNEL"))
            .expect("pattern")
            .map(&serde_json::from_value(record.clone()).expect("a DynamoDB record")),
        _ => stream_events::KinesisMapping::new(&pattern("PUBLISH_KINESIS_CHANNEL"))
            .expect("pattern")
            .map(&serde_json::from_value(record.clone()).expect("a Kinesis record")),
    };
    if source != "aws:dynamodb" && source != "aws:kinesis" {
        return None;
    }
    Some(
        records
            .iter()
            .map(|record| {
                let mapped = map(record).expect("the sample maps");
                let event = serde_json::from_str(mapped.event.get()).expect("JSON");
                (mapped.channel, vec![event])
            })
            .collect(),
    )
}

/// What local-events accepted, per channel in order, read from `GET /_local/events` as the
/// container reaches it (`host.docker.internal`, the development CA only). Each must have
/// come through IAM, signed for us-east-1.
fn received_events(listen: SocketAddr, ca: &str) -> BTreeMap<String, Vec<Value>> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let body: Value = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .tls_certs_only(reqwest::Certificate::from_pem_bundle(ca.as_bytes()).expect("CA"))
            .resolve("host.docker.internal", listen)
            .build()
            .expect("client");
        let url = format!(
            "https://host.docker.internal:{}/_local/events?limit=1000",
            listen.port()
        );
        let response = client.get(url).send().await.expect("GET /_local/events");
        assert!(response.status().is_success(), "{}", response.status());
        response.json().await.expect("JSON")
    });
    let mut received: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in body["events"].as_array().expect("events") {
        assert_eq!(event["authMode"], "AWS_IAM", "{event}");
        assert_eq!(event["signedRegion"], "us-east-1", "{event}");
        let payload = event["event"].as_str().expect("a JSON-encoded event");
        received
            .entry(event["channel"].as_str().expect("channel").to_owned())
            .or_default()
            .push(serde_json::from_str(payload).expect("event is JSON"));
    }
    received
}

/// local-events as the guide starts it for containers (`--tls --allow-remote`, listening
/// on the bridge address), with its CA in `cert_dir`; killed on drop.
struct LocalEvents(Child);

impl LocalEvents {
    fn start(root: &Path, listen: SocketAddr, cert_dir: &Path) -> Self {
        let mut child = Command::new(binary("local-events"))
            .args(["--tls", "--allow-remote", "--template"])
            .arg(root.join("template.yaml"))
            .arg("--listen")
            .arg(listen.to_string())
            .arg("--cert-dir")
            .arg(cert_dir)
            .env_clear()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("local-events starts");
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("stderr piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut log = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if line.contains("listening") => break,
                Ok(line) => log.push(line),
                Err(_) => panic!("local-events did not start:\n{}", log.join("\n")),
            }
        }
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || while rx.recv().is_ok() {});
        Self(child)
    }
}

impl Drop for LocalEvents {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The variables of `dev/local.env` (the project's one parser of it).
fn dev_env(root: &Path) -> BTreeMap<String, String> {
    let env = xtask::dev_env::DevEnv::load(root).expect("dev/local.env parses");
    env.vars()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
