//! The invariants of `ARCHITECTURE.md` that a machine can check, read from `cargo metadata`
//! and the sources. Every rule is written over folders (`crates/`, `functions/`, `tools/`,
//! `tests/`), so a new package is covered the day it is added to the workspace.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use testkit::binaries::workspace_root;

/// Crates that hold crypto, JWT or request-signing code. A function crate reaches them only
/// through a library of ours.
const CRYPTO: &[&str] = &[
    "aws-lc-rs",
    "aws-lc-sys",
    "ring",
    "aws-sigv4",
    "jsonwebtoken",
    "hmac",
    "sha1",
    "sha2",
    "sha3",
    "digest",
    "rsa",
    "p256",
    "p384",
    "p521",
    "ecdsa",
    "ed25519-dalek",
    "openssl",
];

/// The verifier and the publisher: neither may reach the other.
const VERIFIER: &str = "jwt-authz";
const PUBLISHER: &str = "events-publisher";

/// One package of the resolved dependency graph.
struct Package {
    name: String,
    /// Top folder inside the workspace (`crates`, `functions`, `tools`, `tests`); `None`
    /// for a package from a registry.
    folder: Option<String>,
    /// Directory of its `Cargo.toml`.
    dir: PathBuf,
    /// Normal and build dependencies (package ids), the ones that end up in what is built.
    shipped_deps: Vec<String>,
}

struct Workspace {
    packages: BTreeMap<String, Package>,
    members: Vec<String>,
}

impl Workspace {
    fn load() -> Self {
        let root = workspace_root();
        let output = Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1"])
            .current_dir(&root)
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
        let root = PathBuf::from(metadata["workspace_root"].as_str().expect("workspace_root"));

        let mut deps: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for node in metadata["resolve"]["nodes"].as_array().expect("resolve") {
            let id = node["id"].as_str().expect("id").to_owned();
            let shipped = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"].as_array().is_some_and(|kinds| {
                        kinds
                            .iter()
                            .any(|k| k["kind"].is_null() || k["kind"] == "build")
                    })
                })
                .map(|dep| dep["pkg"].as_str().expect("pkg").to_owned())
                .collect();
            deps.insert(id, shipped);
        }

        let mut packages = BTreeMap::new();
        for package in metadata["packages"].as_array().expect("packages") {
            let id = package["id"].as_str().expect("id").to_owned();
            let manifest = PathBuf::from(package["manifest_path"].as_str().expect("manifest"));
            let dir = manifest.parent().expect("manifest dir").to_path_buf();
            let folder = package["source"]
                .is_null()
                .then(|| dir.strip_prefix(&root).ok())
                .flatten()
                .and_then(|relative| relative.components().next())
                .map(|c| c.as_os_str().to_string_lossy().into_owned());
            packages.insert(
                id.clone(),
                Package {
                    name: package["name"].as_str().expect("name").to_owned(),
                    folder,
                    dir,
                    shipped_deps: deps.remove(&id).unwrap_or_default(),
                },
            );
        }
        let members = metadata["workspace_members"]
            .as_array()
            .expect("workspace_members")
            .iter()
            .map(|m| m.as_str().expect("member id").to_owned())
            .collect();
        Self { packages, members }
    }

    /// Workspace members whose top folder is `folder`.
    fn members_in<'a>(&'a self, folder: &'a str) -> impl Iterator<Item = (&'a str, &'a Package)> {
        self.members.iter().filter_map(move |id| {
            let package = &self.packages[id];
            (package.folder.as_deref() == Some(folder)).then_some((id.as_str(), package))
        })
    }

    fn by_name(&self, name: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|id| self.packages[*id].name == name)
            .map(String::as_str)
    }

    /// Every package `id` reaches through normal and build dependencies, with the path
    /// that reaches it (for the failure message).
    fn reach(&self, id: &str) -> BTreeMap<&str, Vec<&str>> {
        let mut reached: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut queue = vec![(id, vec![self.packages[id].name.as_str()])];
        while let Some((current, path)) = queue.pop() {
            for dep in &self.packages[current].shipped_deps {
                if reached.contains_key(dep.as_str()) || dep == id {
                    continue;
                }
                let mut next = path.clone();
                next.push(self.packages[dep].name.as_str());
                reached.insert(dep.as_str(), next.clone());
                queue.push((dep.as_str(), next));
            }
        }
        reached
    }
}

fn assert_none(rule: &str, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "ARCHITECTURE.md invariant broken: {rule}\n  {}",
        violations.join("\n  ")
    );
}

#[test]
fn nothing_that_ships_depends_on_tools_or_tests() {
    let ws = Workspace::load();
    let mut violations = Vec::new();
    for folder in ["crates", "functions"] {
        for (id, package) in ws.members_in(folder) {
            for (dep, path) in ws.reach(id) {
                let dev_only = ws.packages[dep].folder.as_deref();
                if matches!(dev_only, Some("tools" | "tests")) {
                    violations.push(format!(
                        "{folder}/{} depends on {}/{} ({})",
                        package.name,
                        dev_only.unwrap_or_default(),
                        ws.packages[dep].name,
                        path.join(" → ")
                    ));
                }
            }
        }
    }
    assert_none(
        "no package under crates/ or functions/ has a normal or build dependency on tools/ or tests/",
        &violations,
    );
}

#[test]
fn libraries_never_depend_on_the_lambda_runtime() {
    let ws = Workspace::load();
    let mut violations = Vec::new();
    for (id, package) in ws.members_in("crates") {
        for (dep, path) in ws.reach(id) {
            if ws.packages[dep].name == "lambda_runtime" {
                violations.push(format!("crates/{}: {}", package.name, path.join(" → ")));
            }
        }
    }
    assert_none(
        "libraries under crates/ never depend on lambda_runtime (the functions own the runtime)",
        &violations,
    );
}

#[test]
fn the_verifier_and_the_publisher_never_depend_on_each_other() {
    let ws = Workspace::load();
    let (verifier, publisher) = (
        ws.by_name(VERIFIER)
            .expect("the verifier crate is a workspace member"),
        ws.by_name(PUBLISHER)
            .expect("the publisher crate is a workspace member"),
    );
    let mut violations = Vec::new();
    for (from, to) in [(verifier, publisher), (publisher, verifier)] {
        if let Some(path) = ws.reach(from).get(to) {
            violations.push(path.join(" → "));
        }
    }
    assert_none(
        "jwt-authz and events-publisher never depend on each other, even transitively",
        &violations,
    );
}

#[test]
fn function_crates_hold_no_crypto_or_signing() {
    let ws = Workspace::load();
    let mut violations = Vec::new();
    for (_, package) in ws.members_in("functions") {
        for dep in &package.shipped_deps {
            let name = ws.packages[dep].name.as_str();
            if CRYPTO.contains(&name) {
                violations.push(format!(
                    "functions/{} depends directly on {name}",
                    package.name
                ));
            }
        }
    }
    assert_none(
        "function crates depend on no crypto, JWT or signing crate directly; that code lives in crates/",
        &violations,
    );
}

#[test]
fn libraries_never_read_the_environment() {
    let ws = Workspace::load();
    let mut violations = Vec::new();
    let mut scanned = 0;
    for (_, package) in ws.members_in("crates") {
        for file in rust_files(&package.dir.join("src")) {
            scanned += 1;
            let text = std::fs::read_to_string(&file).expect("readable source");
            for (line, code) in non_test_lines(&text) {
                if reads_environment(code) {
                    let relative = file.strip_prefix(workspace_root()).unwrap_or(&file);
                    violations.push(format!("{}:{line}: {}", relative.display(), code.trim()));
                }
            }
        }
    }
    assert!(scanned > 0, "no library sources found under crates/");
    assert_none(
        "libraries under crates/ never read environment variables outside tests (configuration enters as typed values)",
        &violations,
    );
}

/// `std::env::var`, `var_os`, `vars`, `vars_os`, however they are imported; not the
/// compile-time `env!`/`option_env!`.
fn reads_environment(code: &str) -> bool {
    [
        "env::var(",
        "env::var_os(",
        "env::vars(",
        "env::vars_os(",
        "env::var;",
        "env::var_os;",
        "env::vars;",
        "env::{",
    ]
    .iter()
    .any(|needle| code.contains(needle))
}

/// Every `.rs` file under `dir`, except test files (`tests.rs`, anything in a `tests/`
/// folder), which may read the environment.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if name != "tests" {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs") && name != "tests.rs" {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// `(line number, code)` of the lines outside comments and outside items marked
/// `#[cfg(test)]` (a `mod tests;` line or a braced block).
fn non_test_lines(text: &str) -> Vec<(usize, &str)> {
    let mut kept = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((number, line)) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        if trimmed.starts_with("#[cfg(test)]") {
            skip_item(&mut lines);
            continue;
        }
        kept.push((number, line));
    }
    kept
}

/// Skips the item after a `#[cfg(test)]`: up to a `;` or to the `}` that balances its `{`.
fn skip_item<'a>(lines: &mut impl Iterator<Item = (usize, &'a str)>) {
    let mut depth = 0i32;
    for (_, line) in lines.by_ref() {
        depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
        let trimmed = line.trim();
        if depth <= 0 && (trimmed.ends_with(';') || trimmed.ends_with('}')) {
            return;
        }
    }
}

#[test]
fn the_source_scan_sees_through_tests_only() {
    let text = "fn a() {}\nlet x = std::env::var(\"A\");\n#[cfg(test)]\nmod tests {\n    fn b() { std::env::var(\"B\"); }\n}\n#[cfg(test)]\nmod more;\n// std::env::var(\"C\")\nuse std::env::{var, vars};\n";
    let found: Vec<usize> = non_test_lines(text)
        .into_iter()
        .filter(|(_, code)| reads_environment(code))
        .map(|(line, _)| line)
        .collect();
    assert_eq!(found, [2, 10]);
}
