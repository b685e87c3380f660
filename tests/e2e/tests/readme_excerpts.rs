//! Client code in the README and `docs/` is not a second copy that can drift: each block
//! marked `<!-- excerpt: <file> -->` must consist of lines of that file (the browser test
//! runs the file, `tests/e2e/tests/browser.rs`).

use std::path::Path;

use testkit::binaries::workspace_root;

/// `(file, lines of the fenced block)` for every marked block of `markdown`.
fn excerpts(markdown: &str) -> Vec<(String, Vec<String>)> {
    let mut found = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let Some(file) = line
            .trim()
            .strip_prefix("<!-- excerpt: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "a code block must follow the excerpt marker for {file}"
        );
        let block = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .map(str::to_owned)
            .collect();
        found.push((file.to_owned(), block));
    }
    found
}

/// `README.md` and every Markdown file under `docs/`, as paths from the workspace root.
fn documents(root: &Path) -> Vec<String> {
    let mut found = vec!["README.md".to_owned()];
    let mut dirs = vec![root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                let relative = path.strip_prefix(root).expect("under the root");
                found.push(relative.to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_excerpt_line_is_in_the_file_it_names() {
    let root = workspace_root();
    let mut found = Vec::new();
    for document in documents(&root) {
        let text = std::fs::read_to_string(root.join(&document)).expect("readable");
        found.extend(excerpts(&text).into_iter().map(|e| (document.clone(), e)));
    }
    assert!(
        found
            .iter()
            .any(|(doc, (file, _))| doc == "docs/clients.md" && file.ends_with("realtime.ts")),
        "the client recipes mark their Amplify snippet as an excerpt of lib/realtime.ts"
    );
    for (document, (file, block)) in found {
        let source =
            std::fs::read_to_string(root.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let source: Vec<&str> = source.lines().map(str::trim).collect();
        for line in block.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            assert!(
                source.contains(&line),
                "{document}: excerpt line not in {file}: {line}"
            );
        }
    }
}

#[test]
fn marked_blocks_are_found_with_the_file_they_name() {
    let found = excerpts("x\n<!-- excerpt: a.ts -->\n```ts\nconst a = 1;\n```\n");
    assert_eq!(
        found,
        [("a.ts".to_owned(), vec!["const a = 1;".to_owned()])]
    );
}
