//! Every reference case in `tests/cases/<kind>/` must match to the RAO.

use std::path::Path;

fn check_kind(kind: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/cases")
        .join(kind);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "no cases in {}", dir.display());
    let mut failures = Vec::new();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        match tao_econ::case::check_case(&case) {
            Ok(None) => {}
            Ok(Some(m)) => failures.push(format!(
                "{}: {} expected {} actual {}",
                path.display(),
                m.path,
                m.expected,
                m.actual
            )),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn emission_cases() {
    check_kind("emission");
}

#[test]
fn swap_cases() {
    check_kind("swap");
}

#[test]
fn coinbase_cases() {
    check_kind("coinbase");
}

#[test]
fn distribution_cases() {
    check_kind("distribution");
}
