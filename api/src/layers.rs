//! The layering rule of ARCHITECTURE.md, checked on the sources: each layer
//! names no layer above it (`crate::x` or `super::super::x` alike), so the
//! imports of `cli` → `app`/`http` → `graphql` → `commands` (and
//! `operations` → `commands`) point only downward.

use std::path::{Path, PathBuf};

/// (files of a layer, modules it must not name)
const RULES: [(&str, &[&str]); 5] = [
    (
        "commands",
        &["graphql", "http", "cli", "operations", "app", "dashboard"],
    ),
    (
        "graphql",
        &["http", "cli", "operations", "app", "dashboard"],
    ),
    (
        "operations",
        &["graphql", "http", "cli", "app", "dashboard"],
    ),
    ("http", &["cli", "operations", "app"]),
    (
        "settings",
        &["commands", "graphql", "http", "cli", "operations", "app"],
    ),
];

fn sources(layer: &str) -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = vec![];
    let file = src.join(format!("{layer}.rs"));
    if file.is_file() {
        found.push(file);
    }
    let mut dirs = vec![src.join(layer)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push(path);
            }
        }
    }
    found
}

#[test]
fn every_layer_names_only_layers_below_it() {
    let mut checked = 0;
    for (layer, above) in RULES {
        let files = sources(layer);
        assert!(!files.is_empty(), "no sources for {layer}");
        for path in files {
            let text = std::fs::read_to_string(&path).expect("readable");
            for module in above {
                for prefix in ["crate::", "super::super::"] {
                    let named = format!("{prefix}{module}");
                    let hit = text.match_indices(&named).any(|(at, _)| {
                        let next = text[at + named.len()..].chars().next();
                        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    assert!(!hit, "{} ({layer}) names {named}", path.display());
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 30, "only {checked} files checked");
}
