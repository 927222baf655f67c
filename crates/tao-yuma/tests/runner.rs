//! An [`EpochRunner`] on several threads, reusing its memory across epochs of different
//! subnets, gives exactly what a single-thread [`run_epoch`] gives.

use tao_yuma::synthetic::{Scenario, generate};
use tao_yuma::{EpochRunner, run_epoch};

#[test]
fn threaded_runner_matches_single_thread_epochs() {
    let mut runner = EpochRunner::new(3);
    // Large enough to be split over three threads, then small (one block), then large again
    // on the memory the others left.
    for (n, density_permille, yuma3_liquid) in [
        (700u16, 1000u16, false),
        (700, 1000, true),
        (90, 300, false),
        (700, 1000, false),
        (1500, 200, true),
    ] {
        let input = generate(&Scenario {
            n,
            validators: 128,
            density_permille,
            yuma3_liquid,
            seed: u64::from(n) + u64::from(density_permille),
        });
        let expected = run_epoch(&input).unwrap();
        assert_eq!(
            runner.run(&input).unwrap(),
            expected,
            "n={n} d={density_permille}"
        );
    }
}

#[test]
fn threaded_runner_reports_the_first_bad_row_as_validation_does() {
    let mut runner = EpochRunner::new(2);
    let input = generate(&Scenario {
        n: 700,
        validators: 128,
        density_permille: 1000,
        yuma3_liquid: false,
        seed: 9,
    });
    // Bad rows in several blocks: the first in weights-then-bonds order is the one reported.
    for bad_rows in [
        vec![("bonds", 120), ("weights", 127)],
        vec![("bonds", 3), ("bonds", 100)],
        vec![("weights", 126), ("weights", 2)],
    ] {
        let mut bad = input.clone();
        for &(field, row) in &bad_rows {
            let rows = if field == "weights" {
                &mut bad.weights
            } else {
                &mut bad.bonds
            };
            rows[row].swap(10, 11);
        }
        let expected = tao_yuma::validate(&bad).unwrap_err();
        assert_eq!(runner.run(&bad).unwrap_err(), expected, "{bad_rows:?}");
        assert_eq!(run_epoch(&bad).unwrap_err(), expected);
    }
    assert!(runner.run(&input).is_ok());
}
