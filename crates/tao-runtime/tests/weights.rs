//! set_weights, commit_weights, reveal_weights: effects and every error.

mod common;

use common::*;
use tao_runtime::storage::{hotkey_key, uid_key};
use tao_runtime::weights::commit_hash;
use tao_runtime::{Call, DispatchError, Event, GlobalParam, Hyperparam, read};

/// A subnet (owner hotkey uid 0 = //Bob/hot) with `n_extra` more neurons, commit-reveal off
/// and no weights rate limit.
fn setup(n_extra: u32) -> (Chain, u16) {
    let mut c = Chain::dev();
    let netuid = c.new_subnet(&bob(), &pair("//Bob/hot").public());
    for i in 0..n_extra {
        c.register(
            &charlie(),
            netuid,
            &pair(&format!("//Charlie/hot{i}")).public(),
        );
    }
    c.sudo_hp(netuid, Hyperparam::CommitRevealWeightsEnabled, 0);
    c.sudo_hp(netuid, Hyperparam::WeightsSetRateLimit, 0);
    (c, netuid)
}

fn sw(netuid: u16, dests: Vec<u16>, weights: Vec<u16>) -> Call {
    Call::SetWeights {
        netuid,
        dests,
        weights,
        version_key: 0,
    }
}

fn owner() -> Pair {
    pair("//Bob/hot")
}

fn miner(i: u32) -> Pair {
    pair(&format!("//Charlie/hot{i}"))
}

#[test]
fn owner_sets_weights_upscaled_to_u16() {
    let (mut c, netuid) = setup(3);
    let r = c.ok(&owner(), sw(netuid, vec![1, 2, 3], vec![1, 2, 4]));
    assert!(r.events.contains(&Event::WeightsSet { netuid, uid: 0 }));
    assert_eq!(r.fee, 0);
    let m = read::metagraph(&c.store, netuid).unwrap();
    assert_eq!(
        m.neurons[0].weights,
        vec![(1, 16_384), (2, 32_768), (3, 65_535)]
    );
    assert_eq!(m.neurons[0].last_update, c.number());
}

#[test]
fn validator_permit_and_self_weight() {
    let (mut c, netuid) = setup(3);
    let e = c.err(&miner(0), sw(netuid, vec![2, 3], vec![1, 1]));
    assert_eq!(e, DispatchError::NeuronNoValidatorPermit { netuid, uid: 1 });
    // a self-weight needs no permit
    c.ok(&miner(0), sw(netuid, vec![1], vec![5]));
    // permits are recomputed at each epoch from stake: top MaxAllowedValidators non-zero, owner always
    c.force(
        hotkey_key("Subtensor.TotalHotkeyAlpha", netuid, &miner(0).public()),
        &1_000u64,
    );
    c.sudo_hp(netuid, Hyperparam::MaxAllowedValidators, 1);
    advance_epochs(&mut c, netuid, 1);
    let m = read::metagraph(&c.store, netuid).unwrap();
    let permits: Vec<bool> = m.neurons.iter().map(|n| n.validator_permit).collect();
    assert_eq!(permits, vec![true, true, false, false]);
    c.ok(&miner(0), sw(netuid, vec![2, 3], vec![1, 1]));
}

#[test]
fn set_weights_errors_in_reference_order() {
    let (mut c, netuid) = setup(3);
    let o = owner();
    // as on the reference, the commit-reveal flag (default on) is checked first, even on root
    assert_eq!(
        c.err(&o, sw(0, vec![1], vec![1])),
        DispatchError::CommitRevealEnabled { netuid: 0 }
    );
    c.sudo_hp(0, Hyperparam::CommitRevealWeightsEnabled, 0);
    assert_eq!(
        c.err(&o, sw(0, vec![1], vec![1])),
        DispatchError::CanNotSetRootNetworkWeights
    );
    assert_eq!(
        c.err(&o, sw(netuid, vec![1, 2], vec![1])),
        DispatchError::WeightVecNotEqualSize {
            uids: 2,
            weights: 1
        }
    );
    c.force_hp(9, Hyperparam::CommitRevealWeightsEnabled, 0);
    assert_eq!(
        c.err(&o, sw(9, vec![1], vec![1])),
        DispatchError::SubnetNotExists { netuid: 9 }
    );
    assert_eq!(
        c.err(&o, sw(netuid, vec![0, 1, 2, 3, 3], vec![1; 5])),
        DispatchError::UidsLengthExceedUidsInSubNet {
            netuid,
            len: 5,
            n: 4
        }
    );
    assert!(matches!(
        c.err(&pair("//Nobody"), sw(netuid, vec![1], vec![1])),
        DispatchError::HotKeyNotRegisteredInSubNet { .. }
    ));
    assert_eq!(
        c.err(&o, sw(netuid, vec![1, 1], vec![1, 2])),
        DispatchError::DuplicateUids { uid: 1 }
    );
    assert_eq!(
        c.err(&o, sw(netuid, vec![1, 7], vec![1, 2])),
        DispatchError::UidVecContainInvalidOne {
            netuid,
            uid: 7,
            n: 4
        }
    );
    c.sudo_hp(netuid, Hyperparam::MinAllowedWeights, 3);
    assert_eq!(
        c.err(&o, sw(netuid, vec![1, 2], vec![1, 2])),
        DispatchError::WeightVecLengthIsLow { len: 2, min: 3 }
    );
    c.sudo_hp(netuid, Hyperparam::MinAllowedWeights, 1);
    c.force_hp(netuid, Hyperparam::MaxWeightsLimit, 32_768);
    assert_eq!(
        c.err(&o, sw(netuid, vec![1, 2], vec![3, 1])),
        DispatchError::MaxWeightExceeded { limit: 32_768 }
    );
    c.ok(&o, sw(netuid, vec![1, 2], vec![1, 1]));
}

#[test]
fn version_key_and_stake_threshold() {
    let (mut c, netuid) = setup(2);
    c.sudo_hp(netuid, Hyperparam::WeightsVersionKey, 5);
    let call = |v| Call::SetWeights {
        netuid,
        dests: vec![1],
        weights: vec![1],
        version_key: v,
    };
    assert_eq!(
        c.err(&owner(), call(4)),
        DispatchError::IncorrectWeightVersionKey {
            given: 4,
            required: 5
        }
    );
    c.ok(&owner(), call(5));
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::StakeThreshold,
            value: 1_000,
        },
    );
    c.force(uid_key("Subtensor.ValidatorPermit", netuid, 1), &true);
    let to2 = Call::SetWeights {
        netuid,
        dests: vec![2],
        weights: vec![1],
        version_key: 5,
    };
    assert_eq!(
        c.err(&miner(0), to2.clone()),
        DispatchError::NotEnoughStakeToSetWeights {
            stake: 0,
            threshold: 1_000
        }
    );
    c.force(
        hotkey_key("Subtensor.TotalHotkeyAlpha", netuid, &miner(0).public()),
        &1_000u64,
    );
    advance_epochs(&mut c, netuid, 1); // the permit follows the stake at the next epoch
    c.ok(&miner(0), to2);
    // the owner is exempt
    c.ok(&owner(), call(6));
}

#[test]
fn rate_limit_names_the_retry_block() {
    let (mut c, netuid) = setup(1);
    c.sudo_hp(netuid, Hyperparam::WeightsSetRateLimit, 20);
    // LastUpdate starts at the registration block (1)
    assert_eq!(
        c.err(&owner(), sw(netuid, vec![1], vec![1])),
        DispatchError::SettingWeightsTooFast {
            last: 1,
            limit: 20,
            retry_at: 21
        }
    );
    c.advance(21 - c.number() - 1);
    c.ok(&owner(), sw(netuid, vec![1], vec![1]));
    let last = c.number();
    assert_eq!(
        c.err(&owner(), sw(netuid, vec![1], vec![1])),
        DispatchError::SettingWeightsTooFast {
            last,
            limit: 20,
            retry_at: last + 20
        }
    );
    c.advance(last + 20 - c.number() - 1);
    c.ok(&owner(), sw(netuid, vec![1], vec![1]));
}

#[test]
fn set_weights_refused_while_commit_reveal_on() {
    let (mut c, netuid) = setup(1);
    c.sudo_hp(netuid, Hyperparam::CommitRevealWeightsEnabled, 1);
    assert_eq!(
        c.err(&owner(), sw(netuid, vec![1], vec![1])),
        DispatchError::CommitRevealEnabled { netuid }
    );
}

fn cr_setup() -> (Chain, u16) {
    let (mut c, netuid) = setup(2);
    c.sudo_hp(netuid, Hyperparam::CommitRevealWeightsEnabled, 1);
    (c, netuid)
}

fn epoch(c: &Chain, netuid: u16) -> u64 {
    read::subnets(&c.store)
        .unwrap()
        .into_iter()
        .find(|s| s.netuid == netuid)
        .unwrap()
        .epoch_index
}

fn advance_epochs(c: &mut Chain, netuid: u16, k: u64) {
    let target = epoch(c, netuid) + k;
    while epoch(c, netuid) < target {
        c.advance(1);
    }
}

#[test]
fn commit_then_reveal_in_the_next_epoch() {
    let (mut c, netuid) = cr_setup();
    let o = owner();
    let (uids, values, salt) = (vec![1u16, 2], vec![10u16, 20], vec![7u16, 8, 9]);
    let hash = commit_hash(&o.public(), netuid, &uids, &values, &salt, 0);
    let r = c.ok(
        &o,
        Call::CommitWeights {
            netuid,
            commit_hash: hash,
        },
    );
    assert!(r.events.contains(&Event::WeightsCommitted {
        hotkey: o.public(),
        netuid,
        hash: hex::encode(hash)
    }));
    assert_eq!(
        read::metagraph(&c.store, netuid).unwrap().neurons[0].last_update,
        c.number()
    );
    let reveal = Call::RevealWeights {
        netuid,
        uids: uids.clone(),
        values: values.clone(),
        salt: salt.clone(),
        version_key: 0,
    };
    assert!(matches!(
        c.err(&o, reveal.clone()),
        DispatchError::RevealTooEarly { .. }
    ));
    advance_epochs(&mut c, netuid, 1);
    // wrong salt
    let bad = Call::RevealWeights {
        netuid,
        uids: uids.clone(),
        values: values.clone(),
        salt: vec![1],
        version_key: 0,
    };
    assert!(matches!(
        c.err(&o, bad),
        DispatchError::InvalidRevealCommitHashNotMatch { .. }
    ));
    let r = c.ok(&o, reveal.clone());
    assert!(r.events.contains(&Event::WeightsRevealed {
        hotkey: o.public(),
        netuid,
        hash: hex::encode(hash)
    }));
    assert_eq!(
        read::metagraph(&c.store, netuid).unwrap().neurons[0].weights,
        vec![(1, 32_768), (2, 65_535)]
    );
    assert_eq!(
        c.err(&o, reveal),
        DispatchError::NoWeightsCommitFound { netuid }
    );
}

#[test]
fn expired_commit() {
    let (mut c, netuid) = cr_setup();
    let o = owner();
    let hash = commit_hash(&o.public(), netuid, &[1], &[1], &[1], 0);
    c.ok(
        &o,
        Call::CommitWeights {
            netuid,
            commit_hash: hash,
        },
    );
    advance_epochs(&mut c, netuid, 2);
    let reveal = Call::RevealWeights {
        netuid,
        uids: vec![1],
        values: vec![1],
        salt: vec![1],
        version_key: 0,
    };
    assert!(matches!(
        c.err(&o, reveal),
        DispatchError::ExpiredWeightCommit { .. }
    ));
}

#[test]
fn commit_errors() {
    let (mut c, netuid) = cr_setup();
    let o = owner();
    assert_eq!(
        c.err(
            &o,
            Call::CommitWeights {
                netuid: 9,
                commit_hash: [0; 32]
            }
        ),
        DispatchError::SubnetNotExists { netuid: 9 }
    );
    assert!(matches!(
        c.err(
            &pair("//Nobody"),
            Call::CommitWeights {
                netuid,
                commit_hash: [0; 32]
            }
        ),
        DispatchError::HotKeyNotRegisteredInSubNet { .. }
    ));
    for i in 0..10u8 {
        c.ok(
            &o,
            Call::CommitWeights {
                netuid,
                commit_hash: [i; 32],
            },
        );
    }
    let last = c.number();
    assert_eq!(
        c.err(
            &o,
            Call::CommitWeights {
                netuid,
                commit_hash: [10; 32]
            }
        ),
        DispatchError::TooManyUnrevealedCommits { count: 10 }
    );
    c.sudo_hp(netuid, Hyperparam::WeightsSetRateLimit, 5);
    assert_eq!(
        c.err(
            &o,
            Call::CommitWeights {
                netuid,
                commit_hash: [11; 32]
            }
        ),
        DispatchError::CommittingWeightsTooFast {
            last,
            limit: 5,
            retry_at: last + 5
        }
    );
    c.sudo_hp(netuid, Hyperparam::CommitRevealWeightsEnabled, 0);
    assert_eq!(
        c.err(
            &o,
            Call::CommitWeights {
                netuid,
                commit_hash: [0; 32]
            }
        ),
        DispatchError::CommitRevealDisabled { netuid }
    );
    let reveal = Call::RevealWeights {
        netuid,
        uids: vec![1],
        values: vec![1],
        salt: vec![1],
        version_key: 0,
    };
    assert_eq!(
        c.err(&o, reveal),
        DispatchError::CommitRevealDisabled { netuid }
    );
}

#[test]
fn reveal_runs_set_weights_checks() {
    let (mut c, netuid) = cr_setup();
    let o = owner();
    let hash = commit_hash(&o.public(), netuid, &[1, 1], &[1, 1], &[3], 0);
    c.ok(
        &o,
        Call::CommitWeights {
            netuid,
            commit_hash: hash,
        },
    );
    advance_epochs(&mut c, netuid, 1);
    let reveal = Call::RevealWeights {
        netuid,
        uids: vec![1, 1],
        values: vec![1, 1],
        salt: vec![3],
        version_key: 0,
    };
    assert_eq!(
        c.err(&o, reveal.clone()),
        DispatchError::DuplicateUids { uid: 1 }
    );
    // the failed reveal was rolled back: the commit is still there
    assert_eq!(c.err(&o, reveal), DispatchError::DuplicateUids { uid: 1 });
}

#[test]
fn metagraph_columns_equal_the_per_uid_storage() {
    let (mut c, netuid) = setup(5);
    c.ok(&bob(), Call::StartCall { netuid });
    c.sudo_hp(netuid, Hyperparam::SubnetEmissionEnabled, 1);
    c.sudo_hp(netuid, Hyperparam::MaxAllowedValidators, 3);
    c.ok(
        &bob(),
        Call::AddStake {
            hotkey: owner().public(),
            netuid,
            amount: 100_000_000_000,
        },
    );
    advance_epochs(&mut c, netuid, 1);
    c.ok(&owner(), sw(netuid, vec![1, 2, 3, 4], vec![5, 1, 9, 2]));
    advance_epochs(&mut c, netuid, 2);
    let m = read::metagraph(&c.store, netuid).unwrap();
    assert_eq!(m.neurons.len(), 6);
    let s = tao_runtime::state::State::new(&c.store);
    for neuron in &m.neurons {
        let uid = neuron.uid;
        let get = |item: &str| uid_key(item, netuid, uid);
        assert_eq!(s.hotkey_of(netuid, uid).unwrap(), Some(neuron.hotkey));
        assert_eq!(
            s.get_or_default::<u64>(&get("Subtensor.BlockAtRegistration"))
                .unwrap(),
            neuron.block_at_registration
        );
        assert_eq!(
            s.get_or_default::<u64>(&get("Subtensor.LastUpdate"))
                .unwrap(),
            neuron.last_update
        );
        assert_eq!(
            s.get_or_default::<bool>(&get("Subtensor.ValidatorPermit"))
                .unwrap(),
            neuron.validator_permit
        );
        assert_eq!(
            s.get_or_default::<u64>(&get("Subtensor.Emission")).unwrap(),
            neuron.emission
        );
        assert_eq!(
            s.get_or_default::<bool>(&get("Subtensor.Active")).unwrap(),
            neuron.active
        );
        for (item, value) in [
            ("Subtensor.Consensus", neuron.consensus),
            ("Subtensor.Incentive", neuron.incentive),
            ("Subtensor.Dividends", neuron.dividends),
            ("Subtensor.ValidatorTrust", neuron.validator_trust),
        ] {
            assert_eq!(
                s.get_or_default::<u16>(&get(item)).unwrap(),
                value,
                "{item}"
            );
        }
    }
    // Registration, weights and the epochs wrote non-default values, so the comparison above
    // is not vacuous.
    let owner_row = &m.neurons[0];
    assert!(owner_row.validator_permit && owner_row.active && owner_row.emission > 0);
    assert!(owner_row.dividends > 0 && owner_row.validator_trust > 0);
    assert!(m.neurons.iter().any(|n| n.consensus > 0 && n.incentive > 0));
}
