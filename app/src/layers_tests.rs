//! The features' layering, checked from the source: a feature imports only the features below
//! it in [`crate::FEATURES`], and the shared request and page pieces import none, so there are
//! no cycles and a feature can be read (and moved) on its own.

use std::path::{Path, PathBuf};

/// The modules that are features, lowest first (their order in `FEATURES`).
fn features() -> Vec<&'static str> {
    crate::FEATURES.iter().map(|f| f.name).collect()
}

/// The shared pieces below every feature.
const SHARED: &[&str] = &[
    "web",
    "layout.rs",
    "forms.rs",
    "csv_file.rs",
    "i18n.rs",
    "error.rs",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .expect("read the source folder")
            .map(|e| e.expect("an entry").path())
            .collect();
        entries.sort();
        for e in entries {
            rust_files(&e, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

/// The top-level modules a source file names through `crate::`: `crate::x::…` and the first
/// names inside `crate::{x::…, y, …}`.
fn crate_modules(source: &str) -> Vec<String> {
    let text: String = source
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect();
    let mut out = vec![];
    let mut rest = text.as_str();
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(inner) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (1, 0);
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if depth == 1 && (j == start || c == ',') {
                    let from = if c == ',' { j + 1 } else { j };
                    let name: String = inner[from..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.push(name);
                    }
                    start = usize::MAX;
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

#[test]
fn the_import_scanner_reads_grouped_imports() {
    let got = crate_modules(
        "use crate::{\n    accounts::store, // crate::onboarding\n    web::{Ctx, x},\n    forms,\n};\nlet a = crate::organisation::x();",
    );
    assert_eq!(got, ["accounts", "web", "forms", "organisation"]);
}

#[test]
fn features_import_only_the_features_below_them() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let order = features();
    let mut wrong = vec![];
    let mut check = |place: &str, allowed: &[&str]| {
        let path = src.join(place);
        let path = if path.exists() {
            path
        } else {
            src.join(format!("{place}.rs"))
        };
        let mut files = vec![];
        rust_files(&path, &mut files);
        assert!(!files.is_empty(), "no source for {place}");
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read a source file");
            for m in crate_modules(&text) {
                if order.contains(&m.as_str()) && !allowed.contains(&m.as_str()) {
                    wrong.push(format!("{} imports the feature {m}", file.display()));
                }
            }
        }
    };
    for (i, feature) in order.iter().enumerate() {
        check(feature, &order[..=i]);
    }
    for shared in SHARED {
        check(shared.trim_end_matches(".rs"), &[]);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
