//! docs/REFERENCE.md's tables, generated from the reference data: the prose
//! is written by hand, each table sits between `<!-- generated: NAME -->`
//! and `<!-- end generated -->`, and a test fails when a table differs from
//! the data (regenerate with `UPDATE_REFERENCE=1 cargo test -p api --lib reference`).

use domain::reference::PROVINCES;

use super::{province_rows, region_rows, render, ReferenceFormat, Rows};

const END: &str = "<!-- end generated -->";

/// Each continuing province and the provinces merged into it on 1 July 2025.
fn merger_rows() -> Rows {
    let mut rows = vec![vec![
        "code".to_string(),
        "name from 1 July 2025".to_string(),
        "formed from (codes until 30 June 2025)".to_string(),
    ]];
    for kept in PROVINCES.iter().filter(|p| p.merged_into.is_none()) {
        let absorbed: Vec<String> = PROVINCES
            .iter()
            .filter(|p| p.merged_into == Some(kept.code))
            .map(|p| format!("{} ({})", p.code, p.name))
            .collect();
        let formed = if absorbed.is_empty() {
            "unchanged".to_string()
        } else {
            format!("{} + {}", kept.code, absorbed.join(" + "))
        };
        rows.push(vec![kept.code.to_string(), kept.name.to_string(), formed]);
    }
    rows
}

/// Merged provinces whose successor lies in another region: calls from their
/// area count in another region from 1 July 2025.
fn crossing_rows() -> Rows {
    let mut rows = vec![vec![
        "until 30 June 2025".to_string(),
        "region".to_string(),
        "from 1 July 2025".to_string(),
        "region".to_string(),
    ]];
    for p in PROVINCES.iter() {
        let successor = p
            .merged_into
            .and_then(|code| PROVINCES.iter().find(|s| s.code == code));
        if let Some(successor) = successor.filter(|s| s.region != p.region) {
            rows.push(vec![
                format!("{} ({})", p.code, p.name),
                p.region.as_str().to_string(),
                format!("{} ({})", successor.code, successor.name),
                successor.region.as_str().to_string(),
            ]);
        }
    }
    rows
}

/// The generated sections, by marker name.
fn sections() -> Vec<(&'static str, String)> {
    vec![
        ("regions", render(&region_rows(), ReferenceFormat::Markdown)),
        (
            "provinces",
            render(&province_rows(None), ReferenceFormat::Markdown),
        ),
        ("mergers", render(&merger_rows(), ReferenceFormat::Markdown)),
        (
            "crossings",
            render(&crossing_rows(), ReferenceFormat::Markdown),
        ),
    ]
}

/// `text` with every generated section replaced by the data's current table;
/// an error names a missing or unterminated marker.
pub fn regenerate(text: &str) -> Result<String, String> {
    let mut out = text.to_string();
    for (name, table) in sections() {
        let start = format!("<!-- generated: {name} -->\n");
        let from = out
            .find(&start)
            .ok_or_else(|| format!("marker {start:?} missing"))?
            + start.len();
        let to = out[from..]
            .find(END)
            .ok_or_else(|| format!("no {END} after {start:?}"))?
            + from;
        out.replace_range(from..to, &table);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_reference_md_lists_exactly_the_reference_data() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/REFERENCE.md");
        let text = std::fs::read_to_string(&path).expect("docs/REFERENCE.md exists");
        let current = regenerate(&text).expect("the markers are in place");
        if std::env::var_os("UPDATE_REFERENCE").is_some() {
            std::fs::write(&path, &current).expect("docs/REFERENCE.md is writable");
        }
        assert!(
            current == text,
            "docs/REFERENCE.md differs from domain/src/reference.rs; regenerate it with \
             UPDATE_REFERENCE=1 cargo test -p api --lib reference, and commit it"
        );
        assert!(text.contains("| HA_GIANG "), "the tables are filled in");
    }

    #[test]
    fn every_successor_lists_what_it_absorbed() {
        let rows = merger_rows();
        assert_eq!(rows.len(), 1 + 34);
        let ninh_binh = rows.iter().find(|r| r[0] == "NINH_BINH").expect("listed");
        assert_eq!(
            ninh_binh[2],
            "NINH_BINH + HA_NAM (Hà Nam) + NAM_DINH (Nam Định)"
        );
        assert!(regenerate("no markers").is_err());
    }
}
