//! Bad inputs are rejected with an error naming the field, never a panic.

use tao_yuma::{Case, EpochError, EpochInput, MAX_BONDS_MOVING_AVERAGE, run_epoch, validate};

/// An edit applied to a valid input.
type Mutation = fn(&mut EpochInput);

fn base() -> EpochInput {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cases/basic_2v3m.json");
    let case: Case = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    case.input
}

#[test]
fn base_input_is_valid() {
    assert_eq!(validate(&base()), Ok(()));
}

#[test]
fn mismatched_lengths_name_the_field() {
    let fields: [(&str, Mutation); 6] = [
        ("stake", |i| i.stake.push(1)),
        ("last_update", |i| {
            i.last_update.pop();
        }),
        ("block_at_registration", |i| i.block_at_registration.push(0)),
        ("validator_permit", |i| i.validator_permit.push(true)),
        ("weights", |i| i.weights.push(vec![])),
        ("bonds", |i| {
            i.bonds.pop();
        }),
    ];
    for (name, mutate) in fields {
        let mut input = base();
        mutate(&mut input);
        let err = run_epoch(&input).unwrap_err();
        assert!(
            matches!(err, EpochError::LengthMismatch { field, n: 5, .. } if field == name),
            "{name}: {err:?}"
        );
        assert!(err.to_string().contains(name), "{err}");
    }
}

#[test]
fn owner_uid_out_of_range() {
    let mut input = base();
    input.owner_uid = Some(5);
    let err = run_epoch(&input).unwrap_err();
    assert_eq!(
        err,
        EpochError::UidOutOfRange {
            field: "owner_uid",
            uid: 5,
            n: 5
        }
    );
    assert!(err.to_string().contains("owner_uid"));
}

#[test]
fn rows_longer_than_n() {
    let mut input = base();
    input.weights[0] = (0..6).map(|j| (j, 1)).collect();
    let err = run_epoch(&input).unwrap_err();
    assert_eq!(
        err,
        EpochError::RowTooLong {
            field: "weights",
            row: 0,
            len: 6,
            n: 5
        }
    );
    let mut input = base();
    input.bonds[3] = (0..7).map(|j| (j, 1)).collect();
    assert!(matches!(
        run_epoch(&input),
        Err(EpochError::RowTooLong {
            field: "bonds",
            row: 3,
            ..
        })
    ));
}

#[test]
fn unsorted_or_duplicate_pairs() {
    let mut input = base();
    input.weights[1] = vec![(3, 1), (2, 5)];
    assert_eq!(
        run_epoch(&input).unwrap_err(),
        EpochError::RowNotSorted {
            field: "weights",
            row: 1,
            uid: 2,
            previous: 3
        }
    );
    let mut input = base();
    input.bonds[0] = vec![(2, 1), (2, 5)];
    assert!(matches!(
        run_epoch(&input),
        Err(EpochError::RowNotSorted { field: "bonds", .. })
    ));
}

#[test]
fn pairs_beyond_n_are_ignored_not_rejected() {
    let mut input = base();
    let plain = run_epoch(&input).unwrap();
    input.weights[0].push((9, 65535));
    input.bonds[1].push((7, 100));
    assert_eq!(run_epoch(&input).unwrap(), plain);
}

#[test]
fn stake_and_moving_average_limits() {
    let mut input = base();
    input.stake[0] = u64::MAX;
    assert!(matches!(
        run_epoch(&input),
        Err(EpochError::StakeTooLarge { .. })
    ));
    let mut input = base();
    input.bonds_moving_average = MAX_BONDS_MOVING_AVERAGE;
    assert!(matches!(
        run_epoch(&input),
        Err(EpochError::MovingAverageTooLarge { .. })
    ));
    input.bonds_moving_average = MAX_BONDS_MOVING_AVERAGE - 1;
    assert!(run_epoch(&input).is_ok());
}

#[test]
fn empty_subnet_runs() {
    let mut input = base();
    input.n = 0;
    for v in [
        &mut input.stake,
        &mut input.last_update,
        &mut input.block_at_registration,
    ] {
        v.clear();
    }
    input.validator_permit.clear();
    input.weights.clear();
    input.bonds.clear();
    let out = run_epoch(&input).unwrap();
    assert!(out.emission.is_empty() && out.bonds.is_empty());
}
