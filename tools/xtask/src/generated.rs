//! Generated files: written, or checked to be what the generator produces today.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The committed files (relative to `root`) that differ from `outputs`.
pub(crate) fn stale(root: &Path, outputs: &[(PathBuf, String)]) -> Vec<PathBuf> {
    outputs
        .iter()
        .filter(|(path, text)| std::fs::read_to_string(root.join(path)).ok().as_ref() != Some(text))
        .map(|(path, _)| path.clone())
        .collect()
}

/// Writes the outputs that changed, or with `check` reports them and fails. `command` is
/// how to regenerate them, for the message.
pub(crate) fn write_or_check(
    root: &Path,
    outputs: Result<Vec<(PathBuf, String)>, String>,
    check: bool,
    command: &str,
) -> ExitCode {
    let outputs = match outputs {
        Ok(outputs) => outputs,
        Err(error) => {
            eprintln!("{command}: {error}");
            return ExitCode::FAILURE;
        }
    };
    let stale = stale(root, &outputs);
    if check {
        if stale.is_empty() {
            return ExitCode::SUCCESS;
        }
        eprintln!("stale generated files (run `{command}` and commit them):");
        for path in stale {
            eprintln!("  {}", path.display());
        }
        return ExitCode::FAILURE;
    }
    for (path, text) in outputs.iter().filter(|(p, _)| stale.contains(p)) {
        let full = root.join(path);
        let written = full
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&full, text));
        if let Err(error) = written {
            eprintln!("{command}: cannot write {}: {error}", full.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_what_is_stale_then_checks_clean() {
        let root = tempfile::tempdir().expect("tempdir");
        let outputs = vec![(PathBuf::from("a/b.json"), "{}\n".to_owned())];
        assert_eq!(stale(root.path(), &outputs), [PathBuf::from("a/b.json")]);
        let check = write_or_check(root.path(), Ok(outputs.clone()), true, "x");
        assert_eq!(check, ExitCode::FAILURE);
        let write = write_or_check(root.path(), Ok(outputs.clone()), false, "x");
        assert_eq!(write, ExitCode::SUCCESS);
        assert!(stale(root.path(), &outputs).is_empty());
        assert_eq!(
            write_or_check(root.path(), Ok(outputs), true, "x"),
            ExitCode::SUCCESS
        );
    }
}
