//! Criterion benches: block emission, one pool swap, and whole coinbase blocks with 64 and
//! 128 subnets (the reference takes ~40–47 ms and ~73–100 ms for the latter).

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use tao_econ::coinbase::{run_block, sample_state};
use tao_econ::emission::block_emission_for_issuance;
use tao_econ::pool::{MAX_PRICE, Pool};

fn emission(c: &mut Criterion) {
    c.bench_function("block_emission_for_issuance", |b| {
        b.iter(|| block_emission_for_issuance(black_box(12_345_678_901_234_567)))
    });
}

fn swap(c: &mut Criterion) {
    let pool = Pool {
        subnet_tao: 425_297_725_490,
        alpha_in: 12_333_634_039_210,
        alpha_out: 903_772_976_232,
        quote_weight: 415_082_170_428_137_441,
        fee_rate: 33,
        minimum_reserve: 1_000_000,
    };
    c.bench_function("buy_alpha weighted pool", |b| {
        b.iter(|| {
            let mut p = pool;
            p.buy_alpha(black_box(223_830_621), MAX_PRICE, true)
        })
    });
}

fn coinbase(c: &mut Criterion) {
    for n in [64u16, 128] {
        let (chain, subnets) = sample_state(n);
        c.bench_function(&format!("coinbase block {n} subnets"), |b| {
            let mut block = 5_000_000u64;
            b.iter(|| {
                let (mut ch, mut sn) = (chain, subnets.clone());
                block += 1;
                run_block(&mut ch, &mut sn, black_box(block))
            })
        });
    }
}

criterion_group!(benches, emission, swap, coinbase);
criterion_main!(benches);
