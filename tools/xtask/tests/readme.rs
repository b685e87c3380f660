//! The troubleshooting guide's commands (`docs/troubleshooting.md`, linked from the
//! README), run as written (through `cargo xtask`, the alias users type) with a token on
//! stdin: the template one with its placeholder issuer replaced by a loopback one, the
//! development one exactly — also with a token from the documented
//! `cargo xtask mint-dev-token` command.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use testkit::binaries::workspace_root;
use testkit::events::user_claims as claims;
use testkit::idp::{JwksServer, TestKey, mint_raw};
use xtask::dev_env::DevEnv;

const PLACEHOLDER_ISSUER: &str = "https://<project-ref>.supabase.co/auth/v1";

/// The guide the commands are read from.
const GUIDE: &str = "docs/troubleshooting.md";

/// The `cargo xtask doctor …` lines of the troubleshooting guide.
fn guide_commands() -> Vec<String> {
    let section = std::fs::read_to_string(workspace_root().join(GUIDE)).expect(GUIDE);
    let commands: Vec<String> = section
        .lines()
        .filter(|l| l.starts_with("cargo xtask doctor "))
        .map(str::to_owned)
        .collect();
    assert!(
        commands.len() >= 2,
        "the section shows the doctor: {commands:?}"
    );
    commands
}

/// `PATH` with the directory of the cargo running the tests first.
fn path_with_cargo() -> String {
    let cargo_dir = Path::new(env!("CARGO"))
        .parent()
        .expect("cargo's directory");
    format!(
        "{}:{}",
        cargo_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Runs `line` with `sh` in the workspace root, `token` on stdin for `< token.txt`.
fn run(line: &str, token: &str) -> (i32, String) {
    let line = line
        .strip_suffix(" < token.txt")
        .expect("the guide reads the token from token.txt");
    let path = path_with_cargo();
    let mut child = Command::new("sh")
        .args(["-c", line])
        .current_dir(workspace_root())
        .env("PATH", path)
        // Only what the command line says: no JWT_* from the developer's shell.
        .env_remove("JWT_ISSUER")
        .env_remove("AUTHORIZER_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{token}\n").as_bytes())
        .expect("token written");
    let output = child.wait_with_output().expect("exits");
    let out = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!out.contains(token), "the token is never printed");
    (
        output.status.code().unwrap_or(-1),
        format!("{out}{}", String::from_utf8_lossy(&output.stderr)),
    )
}

#[tokio::test]
async fn the_template_command_passes_for_a_good_token() {
    let key = TestKey::es256();
    let server = JwksServer::start(vec![key.jwk("es")]).await;
    // The supabase profile's default key set is <issuer>/.well-known/jwks.json.
    let iss = server.base().to_owned();
    let line = guide_commands()
        .into_iter()
        .find(|l| l.contains(PLACEHOLDER_ISSUER))
        .expect("a command with the template")
        .replace(PLACEHOLDER_ISSUER, &iss);
    // The template's default TokenPrefix.
    let token = format!("supabase:{}", key.token(Some("es"), &claims(&iss)));
    let (code, out) = tokio::task::spawn_blocking(move || run(&line, &token))
        .await
        .expect("thread");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok    token vs IdentityValidationExpression: matches"),
        "{out}"
    );
    assert!(
        out.contains("ok    decision: EVENT_CONNECT allowed"),
        "{out}"
    );
}

#[tokio::test]
async fn the_development_command_passes_for_a_local_token() {
    let line = guide_commands()
        .into_iter()
        .find(|l| l.contains("dev/local.env"))
        .expect("a command with dev/local.env");
    let env = DevEnv::load(&workspace_root()).expect("dev/local.env parses");
    let value = |name: &str| env.require(name).expect("set").to_owned();
    let (iss, secret) = (value("JWT_ISSUER"), value("JWT_SECRET"));
    let claims = claims(&iss);
    let jwt = mint_raw(
        br#"{"alg":"HS256","typ":"JWT"}"#,
        claims.to_string().as_bytes(),
        |m| TestKey::hs256(&secret).sign(m),
    );
    let token = format!("{}{jwt}", value("TOKEN_PREFIXES"));
    let (code, out) = run(&line, &token);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok    issuer http://127.0.0.1:54321/auth/v1: shared secret"),
        "{out}"
    );
    assert!(
        out.contains("ok    decision: EVENT_CONNECT allowed"),
        "{out}"
    );
}

/// The `cargo xtask mint-dev-token …` command docs/local-endpoint.md gives for the dev
/// loop, run as written: docs/dev-loop.md names the command, and the token it prints passes
/// the troubleshooting guide's development doctor command.
#[test]
fn the_documented_dev_token_command_mints_a_token_the_dev_configuration_accepts() {
    let root = workspace_root();
    let dev_loop = std::fs::read_to_string(root.join("docs/dev-loop.md")).expect("dev-loop");
    assert!(
        dev_loop.contains("`cargo xtask mint-dev-token`"),
        "docs/dev-loop.md names the command"
    );
    let doc = std::fs::read_to_string(root.join("docs/local-endpoint.md")).expect("doc");
    let line = doc
        .split('`')
        .find(|part| part.starts_with("cargo xtask mint-dev-token "))
        .expect("docs/local-endpoint.md shows the command");
    let output = Command::new("sh")
        .args(["-c", line])
        .current_dir(&root)
        .env("PATH", path_with_cargo())
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{line} failed:\n{stderr}");
    let token = String::from_utf8(output.stdout).expect("utf-8");
    let token = token.trim();
    assert!(token.starts_with("supabase:ey"), "{token}");
    let doctor = guide_commands()
        .into_iter()
        .find(|l| l.contains("dev/local.env"))
        .expect("a command with dev/local.env");
    let (code, out) = run(&doctor, token);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok    decision: EVENT_CONNECT allowed"),
        "{out}"
    );
}
