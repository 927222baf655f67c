//! Malformed cases and impossible states are rejected with the offending field named.

use serde_json::{Value, json};
use tao_econ::case::{CaseError, run_case};

fn example(kind: &str, name: &str) -> Value {
    let path = format!(
        "{}/tests/cases/{kind}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn error_of(case: &Value) -> String {
    match run_case(case) {
        Err(e) => e.to_string(),
        Ok(v) => panic!("expected an error, got {v}"),
    }
}

#[test]
fn missing_field_is_named() {
    let mut case = example("swap", "add_stake_basic");
    case["input"]["pool"]
        .as_object_mut()
        .unwrap()
        .remove("alpha_in");
    assert_eq!(
        run_case(&case),
        Err(CaseError::Missing {
            path: "input.pool.alpha_in".into()
        })
    );
}

#[test]
fn wrong_type_is_named() {
    let mut case = example("emission", "at_first_halving");
    case["input"]["issuance"] = json!(1.5);
    assert!(error_of(&case).contains("input.issuance"));
    case["input"]["issuance"] = json!(-3);
    assert!(error_of(&case).contains("input.issuance"));
}

#[test]
fn bad_bits_string_is_named() {
    let mut case = example("coinbase", "one_subnet");
    case["input"]["subnets"][0]["moving_price_bits"] = json!("12x");
    let e = error_of(&case);
    assert!(e.contains("input.subnets[0].moving_price_bits"), "{e}");
}

#[test]
fn fee_rate_out_of_range_is_named() {
    let mut case = example("swap", "add_stake_basic");
    case["input"]["pool"]["fee_rate"] = json!(70_000);
    let e = error_of(&case);
    assert!(
        e.contains("input.pool.fee_rate") && e.contains("70000"),
        "{e}"
    );
}

#[test]
fn impossible_weight_is_rejected() {
    let mut case = example("swap", "add_stake_basic");
    case["input"]["pool"]["quote_weight"] = json!(1_000_000_000_000_000_000u64);
    assert!(
        matches!(run_case(&case), Err(CaseError::Impossible { path, .. }) if path == "input.pool.quote_weight")
    );
}

#[test]
fn unordered_subnets_are_rejected() {
    let mut case = example("coinbase", "halving_crossing");
    case["input"]["subnets"][2]["netuid"] = json!(1);
    let e = error_of(&case);
    assert!(e.contains("input.subnets[2].netuid"), "{e}");
    case["input"]["subnets"][0]["netuid"] = json!(0);
    assert!(error_of(&case).contains("input.subnets[0].netuid"));
}

#[test]
fn unknown_parent_is_rejected() {
    let mut case = example("distribution", "random_00");
    case["input"]["hotkeys"][0]["parents"] = json!([{ "proportion": "5", "parent": 77 }]);
    let e = error_of(&case);
    assert!(e.contains("hotkey 77"), "{e}");
}

#[test]
fn unknown_kind_and_op_are_named() {
    let mut case = example("swap", "add_stake_basic");
    case["input"]["op"] = json!("stake_everything");
    assert!(error_of(&case).contains("input.op"));
    case["kind"] = json!("lottery");
    assert!(error_of(&case).contains("kind"));
}

#[test]
fn absurd_block_count_is_rejected() {
    let mut case = example("coinbase", "one_subnet");
    case["input"]["n_blocks"] = json!(0);
    assert!(error_of(&case).contains("input.n_blocks"));
}
