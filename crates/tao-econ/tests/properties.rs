//! Invariants: issuance conserved and capped, reserves never below the minimum, limit
//! orders never beyond their price.

use proptest::prelude::*;
use tao_econ::U64F64;
use tao_econ::coinbase::{run_block, sample_state};
use tao_econ::emission::TOTAL_SUPPLY;
use tao_econ::pool::{self, FeeDest, Pool, SwapError, limit_price_fixed};

fn pool_strategy() -> impl Strategy<Value = Pool> {
    (
        1_000_000u64..1_000_000_000_000_000,
        1_000_000u64..10_000_000_000_000_000,
        0u64..10_000_000_000_000_000,
        10_000_000_000_000_000u64..=990_000_000_000_000_000,
        prop_oneof![Just(0u16), Just(33u16), 0u16..=10_000, Just(u16::MAX)],
    )
        .prop_map(
            |(subnet_tao, alpha_in, alpha_out, quote_weight, fee_rate)| Pool {
                subnet_tao,
                alpha_in,
                alpha_out,
                quote_weight,
                fee_rate,
                minimum_reserve: pool::DEFAULT_MINIMUM_RESERVE,
            },
        )
}

/// A limit price (RAO convention) within a factor of ~4 of the pool's spot price.
fn near_price(pool: &Pool, permille: u64) -> u64 {
    let spot = pool.price().to_bits();
    let scaled = spot.saturating_mul(u128::from(permille)) / 1000;
    u64::try_from((scaled.saturating_mul(1_000_000_000)) >> 64)
        .unwrap_or(u64::MAX)
        .max(1)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn reserves_stay_above_minimum(mut p in pool_strategy(), amounts in prop::collection::vec((any::<bool>(), 1u64..u64::MAX / 4), 1..8)) {
        for (buy, amount) in amounts {
            let before = p;
            let result = if buy { p.buy_alpha(amount, pool::MAX_PRICE, false) } else { p.sell_alpha(amount, pool::MIN_PRICE, false) };
            match result {
                Ok(_) => {
                    // A swap may only start from a reserve at or above the minimum, and never
                    // pays out more than the reserve holds.
                    let out_reserve = if buy { before.alpha_in } else { before.subnet_tao };
                    prop_assert!(out_reserve >= p.minimum_reserve);
                }
                Err(_) => prop_assert_eq!(p, before),
            }
        }
    }

    #[test]
    fn output_reserve_never_drained(p in pool_strategy(), amount in 1u64..u64::MAX / 4, buy in any::<bool>()) {
        let mut q = p;
        let r = if buy { q.buy_alpha(amount, pool::MAX_PRICE, false) } else { q.sell_alpha(amount, pool::MIN_PRICE, false) };
        if let Ok(r) = r {
            let reserve = if buy { p.alpha_in } else { p.subnet_tao };
            prop_assert!(r.amount_paid_out <= reserve);
        }
    }

    #[test]
    fn buy_limit_never_exceeded(p in pool_strategy(), permille in 1001u64..4000, amount in 1_000_000u64..u64::MAX / 4) {
        let limit = near_price(&p, permille);
        let mut q = p;
        if q.buy_alpha(amount, limit, false).is_ok() {
            prop_assert!(q.price() <= limit_price_fixed(limit), "price {} above limit {}", q.price(), limit_price_fixed(limit));
        }
    }

    #[test]
    fn sell_limit_never_undercut(p in pool_strategy(), permille in 250u64..999, amount in 1_000_000u64..u64::MAX / 4) {
        let limit = near_price(&p, permille);
        let mut q = p;
        if q.sell_alpha(amount, limit, false).is_ok() {
            prop_assert!(q.price() >= limit_price_fixed(limit), "price {} below limit {}", q.price(), limit_price_fixed(limit));
        }
    }

    #[test]
    fn limit_stake_respects_price(p in pool_strategy(), permille in 1001u64..2000, amount in 2_100_000u64..1_000_000_000_000_000) {
        let limit = near_price(&p, permille);
        let mut q = p;
        match pool::add_stake_limit(&mut q, amount, limit, true) {
            Ok(o) => {
                prop_assert!(o.executed_amount <= amount);
                prop_assert!(q.price() <= limit_price_fixed(limit));
            }
            Err(e) => {
                prop_assert_eq!(q, p);
                prop_assert_ne!(e, SwapError::SlippageTooHigh);
            }
        }
    }

    #[test]
    fn remove_limit_respects_price(p in pool_strategy(), permille in 300u64..999, amount in 1u64..1_000_000_000_000_000, author in any::<bool>()) {
        let limit = near_price(&p, permille);
        let mut q = p;
        let dest = if author { FeeDest::Author } else { FeeDest::Burn };
        if let Ok(o) = pool::remove_stake_limit(&mut q, amount, amount, limit, true, dest) {
            prop_assert!(o.executed_amount <= amount);
            prop_assert_eq!(o.position_after, amount - o.executed_amount + o.refund);
            // The staker's sale itself stops at the limit (the author's fee sale is fee-less
            // and may go slightly further).
            if !author {
                prop_assert!(q.price() >= limit_price_fixed(limit));
            }
        }
    }

    #[test]
    fn coinbase_conserves_issuance(n in 1u16..12, blocks in 1u64..6, issuance in 0u64..=TOTAL_SUPPLY) {
        let (mut chain, mut subnets) = sample_state(n);
        chain.total_issuance = issuance;
        for b in 0..blocks {
            let before_issuance = chain.total_issuance;
            let before_stake = chain.total_stake;
            let out = run_block(&mut chain, &mut subnets, 5_000_000 + b);
            // Minted credit is either staked into pools or recycled; nothing else.
            prop_assert_eq!(chain.total_issuance, before_issuance + out.minted - out.recycled_credit);
            prop_assert_eq!(chain.total_stake - before_stake, out.minted - out.recycled_credit);
            prop_assert!(chain.total_issuance <= TOTAL_SUPPLY.max(issuance));
            for s in &subnets {
                prop_assert!(s.pool.quote_weight >= pool::MIN_WEIGHT && s.pool.quote_weight <= pool::MAX_QUOTE_WEIGHT);
            }
        }
    }
}

#[test]
fn spot_price_of_balanced_pool() {
    let p = Pool {
        subnet_tao: 100,
        alpha_in: 200,
        alpha_out: 0,
        quote_weight: 500_000_000_000_000_000,
        fee_rate: 0,
        minimum_reserve: 1,
    };
    assert_eq!(p.price(), U64F64::from_num(0.5));
}
