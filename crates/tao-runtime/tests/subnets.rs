//! register_network, lock cost, start_call, dissolve_network: effects and every error.

mod common;

use common::*;
use tao_runtime::balances::{RECYCLED, TOTAL_ISSUANCE};
use tao_runtime::state::State;
use tao_runtime::subnets::subnet_account_id;
use tao_runtime::types::RAO_PER_TAO;
use tao_runtime::{Call, DispatchError, Event, GlobalParam, Store, read};

const MIN_LOCK: u64 = 1_000 * RAO_PER_TAO;

#[test]
fn register_network_creates_subnet_with_owner_as_uid0() {
    let mut c = Chain::dev();
    let hot = pair("//Bob/hot");
    let before = c.free(&bob().public());
    assert_eq!(read::network_lock_cost(&c.store).unwrap(), MIN_LOCK);
    let r = c.ok(
        &bob(),
        Call::RegisterNetwork {
            hotkey: hot.public(),
        },
    );
    assert!(r.events.contains(&Event::NetworkAdded {
        netuid: 1,
        mechid: 1
    }));
    assert_eq!(c.free(&bob().public()), before - MIN_LOCK - r.fee);
    let m = read::metagraph(&c.store, 1).unwrap();
    assert_eq!(m.subnet.owner, Some(bob().public()));
    assert_eq!(m.subnet.owner_hotkey, Some(hot.public()));
    assert_eq!(m.neurons.len(), 1);
    assert_eq!(m.neurons[0].hotkey, hot.public());
    assert_eq!(m.subnet.tao_in, MIN_LOCK);
    assert_eq!(m.subnet.alpha_in, MIN_LOCK); // median price 1.0 with no other subnet
    assert_eq!(m.subnet.burn, RAO_PER_TAO);
    // new-subnet values
    let hps = read::hyperparameters(&c.store, 1).unwrap();
    let get = |name: &str| hps.iter().find(|p| p.name == name).unwrap().value;
    assert_eq!(get("Tempo"), 10); // dev genesis fast-runtime tempo
    assert_eq!(get("ImmunityPeriod"), 5_000);
    assert_eq!(get("MinAllowedWeights"), 1);
    assert_eq!(get("MaxAllowedValidators"), 64);
    assert_eq!(get("Yuma3On"), 1);
    assert_eq!(get("SubnetEmissionEnabled"), 0);
    assert_eq!(get("Kappa"), 32_767);
}

#[test]
fn lock_cost_doubles_then_decays() {
    let mut c = Chain::dev();
    c.new_subnet(&bob(), &pair("//Bob/hot").public());
    // next block: 2 × 1000 − (1000/57600) TAO per block × 1 block
    let per_block = MIN_LOCK / 57_600;
    assert_eq!(
        read::network_lock_cost(&c.store).unwrap(),
        2 * MIN_LOCK - per_block
    );
    c.advance(9);
    assert_eq!(
        read::network_lock_cost(&c.store).unwrap(),
        2 * MIN_LOCK - 10 * per_block
    );
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::NetworkLockReductionInterval,
            value: 1,
        },
    );
    assert_eq!(read::network_lock_cost(&c.store).unwrap(), MIN_LOCK);
}

#[test]
fn register_network_non_associated_coldkey() {
    let mut c = Chain::dev();
    let hot = pair("//Bob/hot");
    c.new_subnet(&bob(), &hot.public());
    let e = c.err(
        &charlie(),
        Call::RegisterNetwork {
            hotkey: hot.public(),
        },
    );
    assert!(
        matches!(e, DispatchError::NonAssociatedColdKey { .. }),
        "{e}"
    );
}

#[test]
fn register_network_system_account() {
    let mut c = Chain::dev();
    let e = c.err(
        &bob(),
        Call::RegisterNetwork {
            hotkey: subnet_account_id(3),
        },
    );
    assert!(matches!(e, DispatchError::CannotUseSystemAccount { .. }));
}

#[test]
fn register_network_before_start_block() {
    let mut c = Chain::dev();
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::NetworkRegistrationStartBlock,
            value: 100,
        },
    );
    let e = c.err(
        &bob(),
        Call::RegisterNetwork {
            hotkey: pair("//Bob/hot").public(),
        },
    );
    assert_eq!(
        e,
        DispatchError::SubNetRegistrationDisabled {
            netuid: 0,
            start: 100
        }
    );
}

#[test]
fn register_network_rate_limit_says_when() {
    let mut c = Chain::dev();
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::NetworkRateLimit,
            value: 50,
        },
    );
    c.new_subnet(&bob(), &pair("//Bob/hot").public());
    let last = c.number();
    let e = c.err(
        &charlie(),
        Call::RegisterNetwork {
            hotkey: pair("//Charlie/hot").public(),
        },
    );
    assert_eq!(
        e,
        DispatchError::NetworkTxRateLimitExceeded {
            last,
            limit: 50,
            retry_at: last + 50
        }
    );
    c.advance(last + 50 - c.number() - 1);
    c.new_subnet(&charlie(), &pair("//Charlie/hot").public());
}

#[test]
fn register_network_subnet_limit_and_pruning() {
    let mut c = Chain::dev();
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::SubnetLimit,
            value: 1,
        },
    );
    c.new_subnet(&bob(), &pair("//Bob/hot").public());
    let e = c.err(
        &charlie(),
        Call::RegisterNetwork {
            hotkey: pair("//Charlie/hot").public(),
        },
    );
    assert_eq!(e, DispatchError::SubnetLimitReached { count: 1, limit: 1 });
    // once the immunity period passes, the existing subnet is pruned and its netuid reused
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::NetworkImmunityPeriod,
            value: 0,
        },
    );
    let r = c.ok(
        &charlie(),
        Call::RegisterNetwork {
            hotkey: pair("//Charlie/hot").public(),
        },
    );
    assert!(r.events.contains(&Event::NetworkRemoved { netuid: 1 }));
    assert!(r.events.contains(&Event::NetworkAdded {
        netuid: 1,
        mechid: 1
    }));
    assert_eq!(
        read::subnets(&c.store).unwrap()[1].owner,
        Some(charlie().public())
    );
}

#[test]
fn register_network_cannot_afford_lock() {
    let mut c = Chain::dev();
    let poor = pair("//Poor");
    c.ok(
        &alice(),
        Call::TransferKeepAlive {
            dest: poor.public(),
            value: 10 * RAO_PER_TAO,
        },
    );
    let e = c.err(
        &poor,
        Call::RegisterNetwork {
            hotkey: pair("//Poor/hot").public(),
        },
    );
    assert!(
        matches!(
            e,
            DispatchError::CannotAffordLockCost {
                lock_cost: MIN_LOCK,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn start_call_rules() {
    let mut c = Chain::dev();
    let netuid = c.new_subnet(&bob(), &pair("//Bob/hot").public());
    assert_eq!(
        c.err(&bob(), Call::StartCall { netuid: 9 }),
        DispatchError::SubnetNotExists { netuid: 9 }
    );
    assert_eq!(
        c.err(&charlie(), Call::StartCall { netuid }),
        DispatchError::BadOrigin { call: "start_call" }
    );
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::StartCallDelay,
            value: 100,
        },
    );
    let registered = read::subnets(&c.store).unwrap()[1].network_registered_at;
    assert_eq!(
        c.err(&bob(), Call::StartCall { netuid }),
        DispatchError::NeedWaitingMoreBlocksToStarCall {
            netuid,
            retry_at: registered + 100
        }
    );
    c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::StartCallDelay,
            value: 0,
        },
    );
    let r = c.ok(&bob(), Call::StartCall { netuid });
    let block = c.number() + 1;
    assert!(
        r.events
            .contains(&Event::FirstEmissionBlockNumberSet { netuid, block })
    );
    let hps = read::hyperparameters(&c.store, netuid).unwrap();
    assert_eq!(
        hps.iter()
            .find(|p| p.name == "SubtokenEnabled")
            .unwrap()
            .value,
        1
    );
    assert_eq!(
        c.err(&bob(), Call::StartCall { netuid }),
        DispatchError::FirstEmissionBlockNumberAlreadySet { netuid, block }
    );
}

#[test]
fn dissolve_network_is_root_only_and_recycles_the_pool() {
    let mut c = Chain::dev();
    let netuid = c.new_subnet(&bob(), &pair("//Bob/hot").public());
    c.register(&charlie(), netuid, &pair("//Charlie/hot").public());
    let e = c.err(
        &bob(),
        Call::DissolveNetwork {
            coldkey: bob().public(),
            netuid,
        },
    );
    assert_eq!(
        e,
        DispatchError::BadOrigin {
            call: "dissolve_network"
        }
    );
    let e = c.err(
        &alice(),
        Call::DissolveNetwork {
            coldkey: bob().public(),
            netuid: 7,
        },
    );
    assert_eq!(e, DispatchError::SubnetNotExists { netuid: 7 });
    let e = c.err(
        &alice(),
        Call::DissolveNetwork {
            coldkey: bob().public(),
            netuid: 0,
        },
    );
    assert_eq!(e, DispatchError::SubnetNotExists { netuid: 0 });
    let pot = read::subnets(&c.store).unwrap()[1].tao_in;
    let issuance_before = State::new(&c.store).counter(TOTAL_ISSUANCE).unwrap();
    let r = c.ok(
        &alice(),
        Call::DissolveNetwork {
            coldkey: bob().public(),
            netuid,
        },
    );
    assert!(r.events.contains(&Event::NetworkRemoved { netuid }));
    let s = State::new(&c.store);
    assert_eq!(s.counter(TOTAL_ISSUANCE).unwrap(), issuance_before - pot);
    assert_eq!(s.counter(RECYCLED).unwrap(), pot);
    assert_eq!(read::subnets(&c.store).unwrap().len(), 1);
    // nothing of the subnet is left in state
    for (key, _) in c.store.iter_prefix(b"Subtensor.") {
        let name_end = key.iter().position(|b| *b == b'/').unwrap();
        let rest = &key[name_end + 1..];
        let per_subnet =
            !key.starts_with(b"Subtensor.Owner") && !key.starts_with(b"Subtensor.Netuids");
        if per_subnet && rest.len() >= 2 {
            assert_ne!(
                &rest[..2],
                &netuid.to_be_bytes(),
                "left over: {}",
                String::from_utf8_lossy(&key[..name_end])
            );
        }
    }
}
