//! The samples in `events/<function>/`: `<name>.json` is a request for the function of
//! that directory; `<name>.expected.json`, when present, is its exact answer with the
//! development configuration.
//!
//! [`discover`] and [`verdict`] are the one sample checker: `cargo xtask run-samples`
//! (answers from the dev loop) and `tests/e2e/tests/samples.rs` (answers from the binaries
//! under the test harness's Runtime API) both judge with them. [`generate`] writes the
//! authorizer samples (`cargo xtask samples`).

pub mod generate;
pub mod run;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// One sample.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The function (its directory's name).
    pub function: String,
    /// The file name without `.json`.
    pub name: String,
    /// The request's path.
    pub path: PathBuf,
    /// The exact expected answer, if the sample has one.
    pub expected: Option<Value>,
}

impl Sample {
    /// `function/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.function, self.name)
    }

    /// The request.
    pub fn request(&self) -> Result<Value, String> {
        read_json(&self.path)
    }
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Every sample under `root/events`, directories and files in name order.
pub fn discover(root: &Path) -> Result<Vec<Sample>, String> {
    let mut functions = sorted_entries(&root.join("events"))?;
    functions.retain(|p| p.is_dir());
    let mut samples = Vec::new();
    for dir in functions {
        let function = file_name(&dir);
        for path in sorted_entries(&dir)? {
            let name = file_name(&path);
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            if stem.ends_with(".expected") {
                continue;
            }
            let expected_path = dir.join(format!("{stem}.expected.json"));
            let expected = expected_path
                .exists()
                .then(|| read_json(&expected_path))
                .transpose()?;
            samples.push(Sample {
                function: function.clone(),
                name: stem.to_owned(),
                path,
                expected,
            });
        }
    }
    Ok(samples)
}

/// The samples of `function` that have an expected answer.
pub fn with_expected(root: &Path, function: &str) -> Result<Vec<Sample>, String> {
    let mut samples = discover(root)?;
    samples.retain(|s| s.function == function && s.expected.is_some());
    Ok(samples)
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut paths = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// How a sample's answer compares with its expected answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Exactly the expected answer: same keys, values and JSON types (`true` is not `1`,
    /// `1` is not `1.0`).
    Match,
    /// An answer, and nothing to compare it with.
    NoExpected,
    /// An answer other than the expected one.
    Differs,
    /// No answer: the invocation failed (the reason).
    Error(String),
}

impl Verdict {
    /// Whether the sample passes.
    pub fn ok(&self) -> bool {
        matches!(self, Verdict::Match | Verdict::NoExpected)
    }

    /// A short word for tables.
    pub fn label(&self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::NoExpected => "no expected",
            Verdict::Differs => "DIFFERS",
            Verdict::Error(_) => "error",
        }
    }
}

/// Judges `answer` (or the reason there is none) against the sample's expected answer.
/// `serde_json::Value` equality is exact about types: numbers compare as integers or
/// floats, never across.
pub fn verdict(sample: &Sample, answer: &Result<Value, String>) -> Verdict {
    match (answer, &sample.expected) {
        (Err(reason), _) => Verdict::Error(reason.clone()),
        (Ok(_), None) => Verdict::NoExpected,
        (Ok(answer), Some(expected)) if answer == expected => Verdict::Match,
        (Ok(_), Some(_)) => Verdict::Differs,
    }
}

/// One paragraph per failing sample: what was expected and what came back.
pub fn failures(results: &[(Sample, Result<Value, String>)]) -> Vec<String> {
    results
        .iter()
        .filter_map(|(sample, answer)| match (verdict(sample, answer), answer) {
            (Verdict::Differs, Ok(answer)) => Some(format!(
                "{id}: answer differs from {id}.expected.json\n  expected: {}\n  answer:   {answer}",
                sample.expected.as_ref().map(Value::to_string).unwrap_or_default(),
                id = sample.id(),
            )),
            (Verdict::Error(reason), _) => {
                Some(format!("{}: invocation failed: {reason}", sample.id()))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sample(expected: Option<Value>) -> Sample {
        Sample {
            function: "f".into(),
            name: "s".into(),
            path: PathBuf::new(),
            expected,
        }
    }

    #[test]
    fn the_comparison_is_exact_about_types() {
        let s = sample(Some(json!({"isAuthorized": true, "ttlOverride": 300})));
        let answer = |v: Value| verdict(&s, &Ok(v));
        assert_eq!(
            answer(json!({"isAuthorized": true, "ttlOverride": 300})),
            Verdict::Match
        );
        assert_eq!(
            answer(json!({"isAuthorized": 1, "ttlOverride": 300})),
            Verdict::Differs
        );
        assert_eq!(
            answer(json!({"isAuthorized": true, "ttlOverride": 300.0})),
            Verdict::Differs
        );
        assert_eq!(answer(json!({"isAuthorized": true})), Verdict::Differs);
        assert_eq!(verdict(&sample(None), &Ok(json!(1))), Verdict::NoExpected);
        let failed = Err("timeout".to_owned());
        assert_eq!(verdict(&s, &failed), Verdict::Error("timeout".into()));
        let report = failures(&[(s.clone(), Ok(json!(false))), (s, failed)]);
        assert_eq!(report.len(), 2);
        assert!(report[0].starts_with("f/s: answer differs from f/s.expected.json"));
    }

    #[test]
    fn every_committed_sample_is_found_with_its_expected_answer() {
        let samples = discover(&crate::workspace_root()).expect("events/ reads");
        let authorizer = samples
            .iter()
            .filter(|s| s.function == "authorizer")
            .count();
        assert_eq!(authorizer, generate::NAMES.len());
        assert!(samples.iter().any(|s| s.function == "publisher"));
        assert!(
            samples
                .iter()
                .all(|s| s.expected.is_some() && s.request().is_ok())
        );
    }
}
