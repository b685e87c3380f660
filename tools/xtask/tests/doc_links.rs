//! The project's Markdown holds together. Every relative link resolves: the file or folder
//! exists, and a `#fragment` names a heading of the target (GitHub's anchors). Documents
//! point at each other a lot (README → docs → README); a moved section must take its links
//! with it. And the README opens with exactly the two set-up commands.

use std::path::{Path, PathBuf};

use testkit::binaries::workspace_root;

#[test]
fn every_relative_link_resolves() {
    let root = workspace_root();
    let documents = markdown_files(&root);
    assert!(
        documents.iter().any(|d| d.ends_with("README.md")),
        "no Markdown found under {}",
        root.display()
    );
    let mut broken = Vec::new();
    for document in &documents {
        let text = std::fs::read_to_string(document).expect("readable");
        for target in links(&text) {
            if let Err(problem) = check(document, &target) {
                let relative = document.strip_prefix(&root).unwrap_or(document);
                broken.push(format!("{}: ({target}) {problem}", relative.display()));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "broken links:\n  {}",
        broken.join("\n  ")
    );
}

#[test]
fn the_readme_opens_with_exactly_two_commands() {
    let root = workspace_root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let block = readme
        .split("```")
        .nth(1)
        .expect("the README opens with a code block");
    let commands: Vec<&str> = block
        .lines()
        .skip(1)
        .map(|l| l.split(" #").next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        commands.len(),
        2,
        "the README's first block holds the two set-up commands (run locally, run every test): {commands:?}"
    );
    let before = &readme[..readme.find("```").expect("a block")];
    assert!(
        !before.contains("\n## "),
        "the two commands come before any section"
    );
    for command in commands {
        let program = command.split_whitespace().next().unwrap_or_default();
        if let Some(path) = program.strip_prefix("./") {
            assert!(
                root.join(path).is_file(),
                "{command}: {path} does not exist"
            );
        }
    }
}

/// Markdown files of the project: everything but dependencies, build output and hidden
/// folders.
fn markdown_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                if !name.starts_with('.') && !matches!(name, "target" | "node_modules") {
                    dirs.push(path);
                }
            } else if name.ends_with(".md") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Targets of inline links `[text](target)` and reference definitions `[x]: target`,
/// outside code blocks and code spans; web and mail links are left out.
fn links(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let prose = without_code_spans(line);
        let mut rest = prose.as_str();
        while let Some(start) = rest.find("](") {
            rest = &rest[start + 2..];
            let end = rest.find(')').unwrap_or(rest.len());
            found.push(
                rest[..end]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_owned(),
            );
            rest = &rest[end..];
        }
        if let Some(definition) = prose.trim_start().strip_prefix('[')
            && let Some((_, target)) = definition.split_once("]: ")
        {
            found.push(target.split_whitespace().next().unwrap_or("").to_owned());
        }
    }
    found.retain(|t| !t.is_empty() && !t.contains("://") && !t.starts_with("mailto:"));
    found
}

fn without_code_spans(line: &str) -> String {
    line.split('`').step_by(2).collect::<Vec<_>>().join("``")
}

/// Whether `target`, written in `document`, names an existing file or folder, and a
/// heading in it when it has a fragment.
fn check(document: &Path, target: &str) -> Result<(), String> {
    let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
    let file = if path.is_empty() {
        document.to_path_buf()
    } else {
        document.parent().expect("in a folder").join(path)
    };
    if !file.exists() {
        return Err("no such file or folder".into());
    }
    if fragment.is_empty() {
        return Ok(());
    }
    let file = if file.is_dir() {
        file.join("README.md")
    } else {
        file
    };
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    if anchors(&text).iter().any(|a| a == fragment) {
        Ok(())
    } else {
        Err(format!("no heading with anchor #{fragment}"))
    }
}

/// GitHub's anchors for the headings of `markdown`: lowercased, punctuation dropped
/// (letters, digits, `-` and `_` kept), spaces as `-`, repeats numbered `-1`, `-2`, ….
fn anchors(markdown: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let Some(heading) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let title = heading.trim_start_matches('#').trim();
        let slug: String = title
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let repeats = found
            .iter()
            .filter(|a| {
                *a == &slug
                    || a.strip_prefix(&format!("{slug}-"))
                        .is_some_and(|n| n.parse::<u32>().is_ok())
            })
            .count();
        found.push(if repeats == 0 {
            slug
        } else {
            format!("{slug}-{repeats}")
        });
    }
    found
}

#[test]
fn anchors_follow_github() {
    assert_eq!(
        anchors("# The dev loop (`./scripts/dev.sh`)\n## A\n## A\n```\n# not\n```\n"),
        ["the-dev-loop-scriptsdevsh", "a", "a-1"]
    );
    assert_eq!(
        links("see [x](a.md#b) and `[y](c.md)`, [w](https://e.com)\n[r]: d.md\n"),
        ["a.md#b", "d.md"]
    );
}
