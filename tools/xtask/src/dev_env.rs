//! `dev/local.env`, the development configuration: its one parser ([`DevEnv`]), and
//! `cargo xtask dev-env`, which derives from it what the dev loop's processes get, so the
//! shell scripts never parse the file themselves.
//!
//! The format: `KEY=VALUE` lines, `#` comments and blank lines, no expansion. An
//! `export ` prefix and one pair of matching quotes around a value are accepted, so the
//! same parser reads env files people write for their shell (`dev/local.env` itself uses
//! neither). Anything else is an error naming the line, not a guess.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{self, value};

/// The file, relative to the workspace root.
pub const PATH: &str = "dev/local.env";

/// The variables of a dev env file, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DevEnv {
    vars: Vec<(String, String)>,
}

impl DevEnv {
    /// Parses the text of a dev env file (`origin` names it in errors).
    pub fn parse(text: &str, origin: &str) -> Result<Self, String> {
        let mut vars = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let (key, value) = line
                .split_once('=')
                .map(|(key, value)| (key.trim(), value))
                .filter(|(key, _)| is_name(key))
                .ok_or_else(|| format!("{origin}:{}: not a KEY=VALUE line", n + 1))?;
            let value = value.trim();
            let unquoted = ['"', '\'']
                .iter()
                .find_map(|q| value.strip_prefix(*q).and_then(|v| v.strip_suffix(*q)))
                .unwrap_or(value);
            vars.push((key.to_owned(), unquoted.to_owned()));
        }
        Ok(Self { vars })
    }

    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text, &path.display().to_string())
    }

    /// `dev/local.env` of the workspace at `root`.
    pub fn load(root: &Path) -> Result<Self, String> {
        Self::read(&root.join(PATH))
    }

    /// The value of `key` (the last one when repeated).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The value of `key`, or an error naming the file.
    pub fn require(&self, key: &str) -> Result<&str, String> {
        self.get(key)
            .ok_or_else(|| format!("{key} is not set in {PATH}"))
    }

    /// Every variable, in file order.
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The variables whose names start with one of `prefixes`.
    pub fn with_prefixes<'a>(
        &'a self,
        prefixes: &'a [&str],
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.vars()
            .filter(move |(k, _)| prefixes.iter().any(|p| k.starts_with(p)))
    }

    /// Sets `key`, in place when present.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.vars.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => value.clone_into(v),
            None => self.vars.push((key.to_owned(), value.to_owned())),
        }
    }
}

fn is_name(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

const HELP: &str = "\
usage: cargo xtask dev-env functions --events-url URL [--dev-ca FILE]
       cargo xtask dev-env local-events --listen ADDR

The dev loop's environment, derived from dev/local.env (scripts/lib.sh uses it):
  functions      KEY=VALUE lines for `cargo lambda watch --env-file`: the functions'
                 variables with EVENTS_ENDPOINT=URL (and, with TLS, EVENTS_DEV_CA_PEM: the
                 PEM text of the development CA in FILE, the one CA the publisher trusts)
  local-events   `export` lines for local-events: its LOCAL_EVENTS_* variables with
                 LOCAL_EVENTS_LISTEN=ADDR, and the development key pair the publisher signs
                 with as LOCAL_EVENTS_IAM_ACCESS_KEY_ID / LOCAL_EVENTS_IAM_SECRET_ACCESS_KEY";

/// `cargo xtask dev-env`.
pub fn main(raw: Vec<String>) -> ExitCode {
    let flags = [value("--events-url"), value("--dev-ca"), value("--listen")];
    let result = cli::parse(raw, &flags).and_then(|args| {
        if args.help {
            return Ok(None);
        }
        let env = DevEnv::load(&crate::workspace_root())?;
        let need = |flag: &str| {
            args.value(flag)
                .ok_or_else(|| format!("{flag} is required"))
        };
        match args.positional.as_slice() {
            [what] if what == "functions" => {
                let dev_ca = args
                    .value("--dev-ca")
                    .map(|file| {
                        std::fs::read_to_string(file).map_err(|e| format!("--dev-ca {file}: {e}"))
                    })
                    .transpose()?;
                functions(&env, need("--events-url")?, dev_ca.as_deref()).map(Some)
            }
            [what] if what == "local-events" => local_events(&env, need("--listen")?).map(Some),
            _ => Err("say `functions` or `local-events`".to_owned()),
        }
    });
    match result {
        Ok(Some(text)) => {
            cli::print(&text);
            ExitCode::SUCCESS
        }
        Ok(None) => {
            eprintln!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("dev-env: {error}\n\n{HELP}");
            ExitCode::from(2)
        }
    }
}

/// `cargo xtask free-port`: prints a TCP port free on 127.0.0.1 (the system picks it), for
/// the scripts that start the dev loop on ports nobody else uses.
pub fn free_port_main(raw: Vec<String>) -> ExitCode {
    if let Some(first) = raw.first() {
        eprintln!("usage: cargo xtask free-port\n\nprints a free loopback TCP port");
        let help = first == "-h" || first == "--help";
        return if help {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(address) => {
            cli::print(&format!("{}\n", address.port()));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("free-port: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The functions' env file: everything but local-events' own lines, with the endpoint and,
/// with TLS, the development CA's PEM text as `EVENTS_DEV_CA_PEM` (the publisher trusts its
/// compiled-in roots, or that one CA; never the system store).
pub fn functions(
    env: &DevEnv,
    events_url: &str,
    dev_ca_pem: Option<&str>,
) -> Result<String, String> {
    let mut env = env.clone();
    env.set("EVENTS_ENDPOINT", events_url);
    let mut text = format!("# Generated from {PATH} by `cargo xtask dev-env functions`.\n");
    for (key, value) in env.vars().filter(|(k, _)| !k.starts_with("LOCAL_EVENTS_")) {
        text.push_str(&format!("{key}={value}\n"));
    }
    if let Some(pem) = dev_ca_pem {
        // cargo lambda reads a double-quoted value with `\n` as a newline; PEM text holds
        // no quote or backslash, and anything else is not the CA local-events wrote.
        if !pem.contains("-----BEGIN CERTIFICATE-----") || pem.contains(['"', '\\']) {
            return Err("--dev-ca: not a PEM certificate".to_owned());
        }
        let escaped = pem.trim().replace("\r\n", "\n").replace('\n', "\\n");
        text.push_str(&format!("EVENTS_DEV_CA_PEM=\"{escaped}\"\n"));
    }
    Ok(text)
}

/// local-events' variables as shell `export` lines. It verifies the publisher's SigV4
/// signatures against the pair the publisher signs with.
pub fn local_events(env: &DevEnv, listen: &str) -> Result<String, String> {
    let mut vars: Vec<(String, String)> = env
        .with_prefixes(&["LOCAL_EVENTS_"])
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    vars.retain(|(k, _)| k != "LOCAL_EVENTS_LISTEN");
    vars.push(("LOCAL_EVENTS_LISTEN".into(), listen.into()));
    for (from, to) in [
        ("AWS_ACCESS_KEY_ID", "LOCAL_EVENTS_IAM_ACCESS_KEY_ID"),
        (
            "AWS_SECRET_ACCESS_KEY",
            "LOCAL_EVENTS_IAM_SECRET_ACCESS_KEY",
        ),
    ] {
        vars.push((to.into(), env.require(from)?.into()));
    }
    Ok(vars
        .iter()
        .map(|(k, v)| format!("export {k}={}\n", shell_quote(v)))
        .collect())
}

/// `value` in single quotes, safe for `eval` / `.` in any POSIX shell.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_committed_file() {
        let env = DevEnv::load(&crate::workspace_root()).expect("dev/local.env parses");
        assert_eq!(env.get("JWT_PROFILE"), Some("supabase"));
        assert_eq!(env.get("TOKEN_PREFIXES"), Some("supabase:"));
        assert!(env.require("JWT_SECRET").is_ok());
        assert!(env.require("NOPE").is_err());
    }

    #[test]
    fn refuses_what_is_not_a_key_value_line() {
        let env = DevEnv::parse("# c\n\nA=1\nB = x=y \nA=2\n", "f").expect("parses");
        assert_eq!(env.get("A"), Some("2"));
        assert_eq!(env.get("B"), Some("x=y"));
        let shell = DevEnv::parse("export A='1 2'\nB=\"x\"\nC='", "f").expect("parses");
        assert_eq!(
            shell.vars().collect::<Vec<_>>(),
            [("A", "1 2"), ("B", "x"), ("C", "'")]
        );
        assert_eq!(
            DevEnv::parse("A=1\nnot a line\n", "f"),
            Err("f:2: not a KEY=VALUE line".to_owned())
        );
    }

    #[test]
    fn derives_each_process_environment() {
        let env = DevEnv::parse(
            "EVENTS_ENDPOINT=http://x\nAWS_ACCESS_KEY_ID=AK\nAWS_SECRET_ACCESS_KEY=it's\nLOCAL_EVENTS_LISTEN=1\nLOCAL_EVENTS_REGION=r\n",
            "f",
        )
        .expect("parses");
        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let functions = functions(&env, "https://localhost:5", Some(pem)).expect("a PEM");
        assert!(functions.contains("\nEVENTS_ENDPOINT=https://localhost:5\n"));
        assert!(functions.ends_with(
            "EVENTS_DEV_CA_PEM=\"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\"\n"
        ));
        assert!(!functions.contains("LOCAL_EVENTS_"));
        assert!(super::functions(&env, "https://localhost:5", Some("not \"pem\"")).is_err());
        let exports = local_events(&env, "127.0.0.1:7").expect("complete");
        assert_eq!(
            exports,
            "export LOCAL_EVENTS_REGION='r'\nexport LOCAL_EVENTS_LISTEN='127.0.0.1:7'\n\
             export LOCAL_EVENTS_IAM_ACCESS_KEY_ID='AK'\n\
             export LOCAL_EVENTS_IAM_SECRET_ACCESS_KEY='it'\\''s'\n"
        );
    }
}
