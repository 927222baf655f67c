//! Every case in `tests/cases/` (reference outputs) must match field for field, uid for uid.

use std::path::Path;

use tao_yuma::{Case, compare, run_epoch};

fn load_cases() -> Vec<Case> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

#[test]
fn every_case_matches_exactly() {
    let cases = load_cases();
    assert!(cases.len() >= 4, "cases missing");
    let mut failures = Vec::new();
    for case in &cases {
        let actual = run_epoch(&case.input).unwrap();
        let mismatches = compare(&case.expected, &actual);
        if !mismatches.is_empty() {
            failures.push(format!(
                "{}: {:?}",
                case.name,
                &mismatches[..mismatches.len().min(5)]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn case_files_round_trip_through_serde() {
    for case in load_cases() {
        let text = serde_json::to_string(&case).unwrap();
        let back: Case = serde_json::from_str(&text).unwrap();
        assert_eq!(back, case);
    }
}
