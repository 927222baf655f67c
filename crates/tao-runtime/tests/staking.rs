//! Staking calls: round trips, limit orders, bad input (the reference's errors, no state
//! change) and invariants over random sequences.

mod common;

use common::*;
use proptest::prelude::*;
use tao_econ::pool::SwapError;
use tao_runtime::state::State;
use tao_runtime::{Call, DispatchError, Hyperparam, Store, TxStatus, pool, stake};

const TAO: u64 = 1_000_000_000;

/// A started subnet owned by Bob, with Charlie's hotkey registered. Tempo 0: no epoch
/// pays anyone, so positions change only through the calls under test.
fn subnet() -> (Chain, u16, Pair) {
    let mut c = Chain::dev();
    let netuid = c.new_subnet(&bob(), &pair("//Bob/hot").public());
    c.ok(&bob(), Call::StartCall { netuid });
    c.sudo_hp(netuid, Hyperparam::Tempo, 0);
    let hot = pair("//Charlie/hot");
    c.register(&charlie(), netuid, &hot.public());
    c.advance(1);
    (c, netuid, hot)
}

fn position(c: &Chain, netuid: u16, hot: &Pair, cold: &Pair) -> u64 {
    stake::stake(&State::new(&c.store), netuid, &hot.public(), &cold.public()).unwrap()
}

/// Spot price, TAO per alpha × 1e9 (the limit-price convention).
fn price(c: &Chain, netuid: u16) -> u64 {
    tao_runtime::read::subnets(&c.store)
        .unwrap()
        .into_iter()
        .find(|s| s.netuid == netuid)
        .unwrap()
        .price
}

#[test]
fn add_then_remove_returns_at_most_what_was_put_in() {
    let (mut c, netuid, hot) = subnet();
    let before = c.free(&charlie().public());
    let add = c.ok(
        &charlie(),
        Call::AddStake {
            hotkey: hot.public(),
            netuid,
            amount: 10 * TAO,
        },
    );
    let alpha = position(&c, netuid, &hot, &charlie());
    assert!(alpha > 0);
    let remove = c.ok(
        &charlie(),
        Call::RemoveStake {
            hotkey: hot.public(),
            netuid,
            amount: alpha,
        },
    );
    assert_eq!(position(&c, netuid, &hot, &charlie()), 0);
    let after = c.free(&charlie().public());
    let fees = add.fee + remove.fee;
    assert!(after < before, "a round trip cannot gain");
    // Lost at most: transaction fees, two swap fees (33/65535 each) and rounding.
    let swap_fees = 2 * (10 * TAO * 33 / 65_535);
    assert!(
        before - after <= fees + swap_fees + 1_000,
        "lost {}",
        before - after
    );
    assert!(before - after >= fees, "lost less than the fees");
}

#[test]
fn root_stake_is_one_to_one_and_free() {
    let (mut c, _, hot) = subnet();
    c.ok(
        &charlie(),
        Call::AddStake {
            hotkey: hot.public(),
            netuid: 0,
            amount: 5 * TAO,
        },
    );
    assert_eq!(position(&c, 0, &hot, &charlie()), 5 * TAO);
    let before = c.free(&charlie().public());
    let r = c.ok(
        &charlie(),
        Call::RemoveStake {
            hotkey: hot.public(),
            netuid: 0,
            amount: 2 * TAO,
        },
    );
    assert_eq!(c.free(&charlie().public()), before + 2 * TAO - r.fee);
    assert_eq!(position(&c, 0, &hot, &charlie()), 3 * TAO);
}

#[test]
fn limit_orders_never_execute_beyond_the_limit() {
    let (mut c, netuid, hot) = subnet();
    // A limit at the current price fails.
    let spot = price(&c, netuid);
    let e = c.err(
        &charlie(),
        Call::AddStakeLimit {
            hotkey: hot.public(),
            netuid,
            amount: 100 * TAO,
            limit_price: spot,
            allow_partial: false,
        },
    );
    assert!(matches!(e, DispatchError::Swap { .. }), "{e}");
    // 1% above: all-or-nothing fails (100 TAO would move the price ~20%), partial fills up to it.
    let limit = spot + spot / 100;
    let e = c.err(
        &charlie(),
        Call::AddStakeLimit {
            hotkey: hot.public(),
            netuid,
            amount: 100 * TAO,
            limit_price: limit,
            allow_partial: false,
        },
    );
    assert_eq!(
        e,
        DispatchError::Swap {
            netuid,
            error: SwapError::SlippageTooHigh
        }
    );
    c.ok(
        &charlie(),
        Call::AddStakeLimit {
            hotkey: hot.public(),
            netuid,
            amount: 100 * TAO,
            limit_price: limit,
            allow_partial: true,
        },
    );
    let after = price(&c, netuid);
    assert!(after <= limit, "price {after} beyond limit {limit}");
    assert!(after > spot);
    // A sell with a floor above the price fails; a partial sell stops at the floor.
    let alpha = position(&c, netuid, &hot, &charlie());
    let floor = after - after / 200;
    c.ok(
        &charlie(),
        Call::RemoveStakeLimit {
            hotkey: hot.public(),
            netuid,
            amount: alpha,
            limit_price: floor,
            allow_partial: true,
        },
    );
    let end = price(&c, netuid);
    assert!(end >= floor, "price {end} below floor {floor}");
    assert!(
        position(&c, netuid, &hot, &charlie()) > 0,
        "the limit kept part of the stake"
    );
}

#[test]
fn moves_swaps_and_transfers() {
    let (mut c, netuid, hot) = subnet();
    let netuid2 = c.new_subnet(&alice(), &pair("//Alice/hot").public());
    c.ok(&alice(), Call::StartCall { netuid: netuid2 });
    c.sudo_hp(netuid2, Hyperparam::Tempo, 0);
    let hot2 = pair("//Dave/hot");
    c.register(&pair("//Dave"), netuid, &hot2.public());
    c.advance(1);
    c.ok(
        &charlie(),
        Call::AddStake {
            hotkey: hot.public(),
            netuid,
            amount: 20 * TAO,
        },
    );
    let a = position(&c, netuid, &hot, &charlie());
    // Same subnet, other hotkey: no swap, exact.
    c.ok(
        &charlie(),
        Call::MoveStake {
            origin_hotkey: hot.public(),
            destination_hotkey: hot2.public(),
            origin_netuid: netuid,
            destination_netuid: netuid,
            alpha_amount: a / 2,
            limit_price: None,
        },
    );
    assert_eq!(position(&c, netuid, &hot2, &charlie()), a / 2);
    // Across subnets with an unreachable limit: refused, nothing changes.
    let e = c.err(
        &charlie(),
        Call::SwapStake {
            hotkey: hot.public(),
            origin_netuid: netuid,
            destination_netuid: netuid2,
            alpha_amount: a / 4,
            limit_price: Some(10 * TAO),
        },
    );
    assert_eq!(
        e,
        DispatchError::Swap {
            netuid: netuid2,
            error: SwapError::SlippageTooHigh
        }
    );
    assert_eq!(position(&c, netuid, &hot, &charlie()), a - a / 2);
    c.ok(
        &charlie(),
        Call::SwapStake {
            hotkey: hot.public(),
            origin_netuid: netuid,
            destination_netuid: netuid2,
            alpha_amount: a / 4,
            limit_price: Some(TAO / 2),
        },
    );
    assert!(position(&c, netuid2, &hot, &charlie()) > 0);
    // Transfer to Ferdie on the same subnet.
    let left = position(&c, netuid, &hot, &charlie());
    c.ok(
        &charlie(),
        Call::TransferStake {
            destination_coldkey: pair("//Ferdie").public(),
            hotkey: hot.public(),
            origin_netuid: netuid,
            destination_netuid: netuid,
            alpha_amount: left,
            limit_price: None,
        },
    );
    assert_eq!(position(&c, netuid, &hot, &pair("//Ferdie")), left);
    c.sudo_hp(netuid, Hyperparam::TransferToggle, 0);
    let e = c.err(
        &pair("//Ferdie"),
        Call::TransferStake {
            destination_coldkey: charlie().public(),
            hotkey: hot.public(),
            origin_netuid: netuid,
            destination_netuid: netuid,
            alpha_amount: left,
            limit_price: None,
        },
    );
    assert_eq!(e, DispatchError::TransferDisallowed { netuid });
    c.ok(
        &pair("//Ferdie"),
        Call::UnstakeAll {
            hotkey: hot.public(),
        },
    );
    assert_eq!(position(&c, netuid, &hot, &pair("//Ferdie")), 0);
}

#[test]
fn bad_staking_input_gives_the_reference_error_and_changes_nothing_but_the_fee() {
    let (mut c, netuid, hot) = subnet();
    let stranger = pair("//Nobody/hot").public();
    let cases: Vec<(Call, Option<DispatchError>)> = vec![
        (
            Call::AddStake {
                hotkey: stranger,
                netuid,
                amount: TAO,
            },
            Some(DispatchError::HotKeyAccountNotExists {
                hotkey: stranger.to_ss58(),
            }),
        ),
        (
            Call::AddStake {
                hotkey: hot.public(),
                netuid: 77,
                amount: TAO,
            },
            Some(DispatchError::SubnetNotExists { netuid: 77 }),
        ),
        (
            Call::AddStake {
                hotkey: hot.public(),
                netuid,
                amount: 0,
            },
            Some(DispatchError::Swap {
                netuid,
                error: SwapError::AmountTooLow,
            }),
        ),
        (
            Call::AddStake {
                hotkey: hot.public(),
                netuid,
                amount: 10_000_000 * TAO,
            },
            None,
        ),
        (
            Call::RemoveStake {
                hotkey: hot.public(),
                netuid,
                amount: 5,
            },
            Some(DispatchError::NotEnoughStakeToWithdraw {
                netuid,
                stake: 0,
                amount: 5,
            }),
        ),
        (
            Call::IncreaseTake {
                hotkey: hot.public(),
                take: 20_000,
            },
            Some(DispatchError::DelegateTakeTooHigh {
                take: 20_000,
                max: 11_796,
            }),
        ),
    ];
    for (call, want) in cases {
        let before_free = c.free(&charlie().public());
        let before_stake = position(&c, netuid, &hot, &charlie());
        let r = c.submit(&charlie(), call.clone());
        let TxStatus::Failed(got) = r.status else {
            panic!("{call:?} did not fail: {:?}", r.status);
        };
        let want = want.unwrap_or(DispatchError::NotEnoughBalanceToStake {
            cost: 10_000_000 * TAO,
            free: before_free - r.fee,
        });
        assert_eq!(got, want, "{call:?}");
        // Only the transaction fee and nonce moved.
        assert_eq!(c.free(&charlie().public()), before_free - r.fee);
        assert_eq!(position(&c, netuid, &hot, &charlie()), before_stake);
    }
    // Take: lower works, raising above the maximum fails.
    c.ok(
        &charlie(),
        Call::DecreaseTake {
            hotkey: hot.public(),
            take: 5_000,
        },
    );
    assert_eq!(
        c.err(
            &charlie(),
            Call::IncreaseTake {
                hotkey: hot.public(),
                take: 12_000,
            },
        ),
        DispatchError::DelegateTakeTooHigh {
            take: 12_000,
            max: 11_796,
        }
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// Random stake / unstake sequences: a full exit never returns more than was put in,
    /// reserves stay positive, TAO issuance equals free balances plus pools.
    #[test]
    fn random_staking_keeps_pools_positive_and_never_pays_out_more(
        amounts in proptest::collection::vec((1u64..500, any::<bool>()), 1..12),
    ) {
        let (mut c, netuid, hot) = subnet();
        let start = c.free(&charlie().public());
        let mut fees = 0;
        for (amount, remove) in amounts {
            let call = if remove {
                let have = position(&c, netuid, &hot, &charlie());
                Call::RemoveStake { hotkey: hot.public(), netuid, amount: have.min(amount * TAO / 10) }
            } else {
                Call::AddStake { hotkey: hot.public(), netuid, amount: amount * TAO / 10 }
            };
            let r = c.submit(&charlie(), call);
            fees += r.fee;
            let p = pool::load(&State::new(&c.store), netuid).unwrap();
            prop_assert!(p.subnet_tao > 0 && p.alpha_in > 0);
        }
        let rest = position(&c, netuid, &hot, &charlie());
        if rest > 0 {
            let r = c.submit(&charlie(), Call::RemoveStake { hotkey: hot.public(), netuid, amount: rest });
            fees += r.fee;
        }
        let end = c.free(&charlie().public());
        prop_assert_eq!(position(&c, netuid, &hot, &charlie()), 0);
        prop_assert!(end + fees <= start, "gained {} RAO", (end + fees) as i128 - start as i128);
    }

    /// Limit orders of any size and limit: a buy never leaves the price above its limit, a
    /// sell never below its floor; a refused order changes no stake.
    #[test]
    fn limit_orders_respect_their_limit(
        orders in proptest::collection::vec((1u64..2_000, 0u64..300, any::<bool>(), any::<bool>()), 1..8),
    ) {
        let (mut c, netuid, hot) = subnet();
        for (amount, offset_permille, sell, partial) in orders {
            let spot = price(&c, netuid);
            let before = position(&c, netuid, &hot, &charlie());
            let call = if sell {
                let limit = spot.saturating_sub(spot * offset_permille / 1000);
                Call::RemoveStakeLimit {
                    hotkey: hot.public(),
                    netuid,
                    amount: before.min(amount * TAO / 10),
                    limit_price: limit,
                    allow_partial: partial,
                }
            } else {
                let limit = spot + spot * offset_permille / 1000;
                Call::AddStakeLimit {
                    hotkey: hot.public(),
                    netuid,
                    amount: amount * TAO / 10,
                    limit_price: limit,
                    allow_partial: partial,
                }
            };
            let limit = match &call {
                Call::RemoveStakeLimit { limit_price, .. } | Call::AddStakeLimit { limit_price, .. } => *limit_price,
                _ => unreachable!(),
            };
            let r = c.submit(&charlie(), call);
            let after = price(&c, netuid);
            match r.status {
                TxStatus::Applied if sell => prop_assert!(after + 1 >= limit, "sold down to {after} below {limit}"),
                TxStatus::Applied => prop_assert!(after <= limit, "bought up to {after} above {limit}"),
                _ => prop_assert_eq!(position(&c, netuid, &hot, &charlie()), before),
            }
        }
    }
}

#[test]
fn dissolving_a_subnet_refunds_its_stakers_and_clears_their_stake() {
    let (mut c, netuid, hot) = subnet();
    c.ok(
        &charlie(),
        Call::AddStake {
            hotkey: hot.public(),
            netuid,
            amount: 50 * TAO,
        },
    );
    let pot = price_pool_tao(&c, netuid);
    let before = c.free(&charlie().public());
    c.ok(
        &alice(),
        Call::DissolveNetwork {
            coldkey: bob().public(),
            netuid,
        },
    );
    let refund = c.free(&charlie().public()) - before;
    // Charlie holds all the staked alpha: the whole pool comes back to him (floor).
    assert!(
        refund > 50 * TAO && refund <= pot,
        "refund {refund} of pot {pot}"
    );
    assert_eq!(position(&c, netuid, &hot, &charlie()), 0);
    assert!(
        c.store
            .iter_prefix(
                &tao_runtime::state::Key::item(stake::TOTAL_HOTKEY_ALPHA)
                    .u16(netuid)
                    .build()
            )
            .is_empty()
    );
}

fn price_pool_tao(c: &Chain, netuid: u16) -> u64 {
    tao_runtime::read::subnets(&c.store)
        .unwrap()
        .into_iter()
        .find(|s| s.netuid == netuid)
        .unwrap()
        .tao_in
}
