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
