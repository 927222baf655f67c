//! Criterion benchmark of one epoch on synthetic subnets: n = 256, 1024, 4096; sparse (5%
//! weights) and dense; Yuma3 + liquid alpha off and on; on every core of the machine, with the
//! runner's memory reused between epochs as a node's would be.

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use tao_yuma::EpochRunner;
use tao_yuma::synthetic::{Scenario, generate};

fn epoch(c: &mut Criterion) {
    let mut group = c.benchmark_group("epoch");
    group.sample_size(10);
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut runner = EpochRunner::new(threads);
    for n in [256u16, 1024, 4096] {
        for (density_permille, label) in [(50u16, "sparse"), (1000, "dense")] {
            for yuma3_liquid in [false, true] {
                let input = generate(&Scenario {
                    n,
                    validators: 128,
                    density_permille,
                    yuma3_liquid,
                    seed: 1,
                });
                let id = format!(
                    "{label}/{}",
                    if yuma3_liquid {
                        "yuma3_liquid"
                    } else {
                        "classic"
                    }
                );
                group.bench_with_input(BenchmarkId::new(id, n), &input, |b, input| {
                    b.iter(|| runner.run(input))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, epoch);
criterion_main!(benches);
