//! burned_register / register / register_limit, pruning, the burn price, serving.

mod common;

use common::*;
use tao_runtime::neurons::{decay_factor_q32, mul_by_q32};
use tao_runtime::storage::uid_key;
use tao_runtime::types::RAO_PER_TAO;
use tao_runtime::{Call, DispatchError, Event, Hyperparam, read};

fn subnet(c: &mut Chain) -> u16 {
    c.new_subnet(&bob(), &pair("//Bob/hot").public())
}

fn hot(i: u32) -> Pair {
    pair(&format!("//Charlie/hot{i}"))
}

#[test]
fn burned_register_assigns_uid_charges_burn_and_bumps_price() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let before_sub = read::subnets(&c.store).unwrap()[1].clone();
    let price = read::subnets(&c.store).unwrap()[1].burn;
    let decayed = mul_by_q32(price, decay_factor_q32(360));
    let charlie_before = c.free(&charlie().public());
    let r = c.ok(
        &charlie(),
        Call::BurnedRegister {
            netuid,
            hotkey: hot(1).public(),
        },
    );
    assert!(r.events.contains(&Event::NeuronRegistered {
        netuid,
        uid: 1,
        hotkey: hot(1).public()
    }));
    assert_eq!(
        c.free(&charlie().public()),
        charlie_before - decayed - r.fee
    );
    let after = read::subnets(&c.store).unwrap()[1].clone();
    assert_eq!(after.subnetwork_n, 2);
    // The burn buys alpha through the pool; the swap fee (33/65535) is burned, not pooled.
    let swap_fee = decayed * 33 / 65_535;
    assert_eq!(after.tao_in, before_sub.tao_in + decayed - swap_fee);
    assert!(
        after.alpha_in < before_sub.alpha_in,
        "bought alpha leaves the pool"
    );
    assert_eq!(after.alpha_out, 0, "bought alpha is burned");
    assert_eq!(after.burn, decayed * 126 / 100);
    // coldkey now owns the hotkey
    let m = read::metagraph(&c.store, netuid).unwrap();
    assert_eq!(m.neurons[1].coldkey, Some(charlie().public()));
}

#[test]
fn legacy_register_acts_as_burned_register() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let r = c.ok(
        &charlie(),
        Call::Register {
            netuid,
            block_number: 0,
            nonce: 0,
            work: vec![1, 2, 3],
            hotkey: hot(1).public(),
            coldkey: charlie().public(),
        },
    );
    assert!(
        r.events
            .iter()
            .any(|e| matches!(e, Event::NeuronRegistered { uid: 1, .. }))
    );
}

#[test]
fn register_limit_checks_price() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let e = c.err(
        &charlie(),
        Call::RegisterLimit {
            netuid,
            hotkey: hot(1).public(),
            limit_price: 1,
        },
    );
    assert!(
        matches!(
            e,
            DispatchError::RegistrationPriceLimitExceeded { limit: 1, .. }
        ),
        "{e}"
    );
    c.ok(
        &charlie(),
        Call::RegisterLimit {
            netuid,
            hotkey: hot(1).public(),
            limit_price: 10 * RAO_PER_TAO,
        },
    );
}

#[test]
fn register_errors() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    assert_eq!(
        c.err(
            &charlie(),
            Call::BurnedRegister {
                netuid: 0,
                hotkey: hot(1).public()
            }
        ),
        DispatchError::RegistrationNotPermittedOnRootSubnet
    );
    assert_eq!(
        c.err(
            &charlie(),
            Call::BurnedRegister {
                netuid: 5,
                hotkey: hot(1).public()
            }
        ),
        DispatchError::SubnetNotExists { netuid: 5 }
    );
    c.register(&charlie(), netuid, &hot(1).public());
    assert!(matches!(
        c.err(
            &charlie(),
            Call::BurnedRegister {
                netuid,
                hotkey: hot(1).public()
            }
        ),
        DispatchError::HotKeyAlreadyRegisteredInSubNet { uid: 1, .. }
    ));
    // hotkey owned by someone else
    assert!(matches!(
        c.err(
            &alice(),
            Call::BurnedRegister {
                netuid,
                hotkey: pair("//Bob/hot").public()
            }
        ),
        DispatchError::HotKeyAlreadyRegisteredInSubNet { .. }
    ));
    let netuid2 = c.new_subnet(&alice(), &pair("//Alice/hot").public());
    assert!(matches!(
        c.err(
            &alice(),
            Call::BurnedRegister {
                netuid: netuid2,
                hotkey: hot(1).public()
            }
        ),
        DispatchError::NonAssociatedColdKey { .. }
    ));
    // cannot pay the burn
    let poor = pair("//Poor");
    c.ok(
        &alice(),
        Call::TransferKeepAlive {
            dest: poor.public(),
            value: 1_000_000,
        },
    );
    assert!(matches!(
        c.err(
            &poor,
            Call::BurnedRegister {
                netuid,
                hotkey: pair("//Poor/hot").public()
            }
        ),
        DispatchError::NotEnoughBalanceToStake { .. }
    ));
    // registration disabled by root
    c.sudo_hp(netuid, Hyperparam::NetworkRegistrationAllowed, 0);
    assert_eq!(
        c.err(
            &charlie(),
            Call::BurnedRegister {
                netuid,
                hotkey: hot(2).public()
            }
        ),
        DispatchError::SubNetRegistrationDisabled { netuid, start: 0 }
    );
}

fn small_full_subnet(c: &mut Chain) -> u16 {
    let netuid = subnet(c);
    c.sudo_hp(netuid, Hyperparam::MinAllowedUids, 1);
    c.sudo_hp(netuid, Hyperparam::MaxAllowedUids, 3);
    c.sudo_hp(netuid, Hyperparam::ImmunityPeriod, 0);
    c.register(&charlie(), netuid, &hot(1).public());
    c.register(&charlie(), netuid, &hot(2).public());
    netuid
}

#[test]
fn full_subnet_without_prunable_uid() {
    let mut c = Chain::dev();
    let netuid = small_full_subnet(&mut c);
    // 2 non-immune uids ≤ MinNonImmuneUids (10) and no immune one → nothing to prune
    assert_eq!(
        c.err(
            &charlie(),
            Call::BurnedRegister {
                netuid,
                hotkey: hot(3).public()
            }
        ),
        DispatchError::NoNeuronIdAvailable {
            netuid,
            n: 3,
            max: 3
        }
    );
}

#[test]
fn full_subnet_prunes_lowest_emission_then_oldest() {
    let mut c = Chain::dev();
    let netuid = small_full_subnet(&mut c);
    c.sudo_hp(netuid, Hyperparam::MinNonImmuneUids, 0);
    // uid 1 earned emission, uid 2 did not → uid 2 is replaced; the owner uid 0 never is
    c.force(uid_key("Subtensor.Emission", netuid, 1), &5u64);
    c.force(
        uid_key("Subtensor.Weights", netuid, 1),
        &vec![(2u16, 100u16)],
    );
    let r = c.ok(
        &charlie(),
        Call::BurnedRegister {
            netuid,
            hotkey: hot(3).public(),
        },
    );
    assert!(r.events.contains(&Event::NeuronRegistered {
        netuid,
        uid: 2,
        hotkey: hot(3).public()
    }));
    let m = read::metagraph(&c.store, netuid).unwrap();
    assert_eq!(m.neurons.len(), 3);
    assert_eq!(m.neurons[2].hotkey, hot(3).public());
    assert_eq!(m.neurons[2].block_at_registration, c.number());
    assert_eq!(
        m.neurons[1].weights,
        vec![(2, 0)],
        "weights onto the replaced uid are zeroed"
    );
    assert_eq!(m.subnet.subnetwork_n, 3);
    // with equal emission, the oldest registration goes: uid 1 (emission 5) vs uid 2 (0) → uid 2 again
    let r = c.ok(
        &charlie(),
        Call::BurnedRegister {
            netuid,
            hotkey: hot(4).public(),
        },
    );
    assert!(r.events.contains(&Event::NeuronRegistered {
        netuid,
        uid: 2,
        hotkey: hot(4).public()
    }));
}

#[test]
fn immune_uid_is_pruned_only_when_few_non_immune() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    c.sudo_hp(netuid, Hyperparam::MinAllowedUids, 1);
    c.sudo_hp(netuid, Hyperparam::MaxAllowedUids, 2);
    c.register(&charlie(), netuid, &hot(1).public()); // immune for 5000 blocks
    let r = c.ok(
        &charlie(),
        Call::BurnedRegister {
            netuid,
            hotkey: hot(2).public(),
        },
    );
    assert!(r.events.contains(&Event::NeuronRegistered {
        netuid,
        uid: 1,
        hotkey: hot(2).public()
    }));
}

#[test]
fn burn_decays_every_block_within_bounds() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let b0 = read::subnets(&c.store).unwrap()[1].burn;
    c.advance(1);
    let b1 = read::subnets(&c.store).unwrap()[1].burn;
    assert_eq!(b1, mul_by_q32(b0, decay_factor_q32(360)));
    c.sudo_hp(netuid, Hyperparam::MinBurn, RAO_PER_TAO);
    c.advance(1);
    assert_eq!(read::subnets(&c.store).unwrap()[1].burn, RAO_PER_TAO);
}

fn axon(netuid: u16, ip: u128, port: u16, ip_type: u8) -> Call {
    Call::ServeAxon {
        netuid,
        version: 1,
        ip,
        port,
        ip_type,
        protocol: 4,
        placeholder1: 0,
        placeholder2: 0,
    }
}

#[test]
fn serve_axon_and_prometheus() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let h = pair("//Bob/hot");
    let r = c.ok(&h, axon(netuid, 0x0a00_0001, 8091, 4));
    assert!(r.events.contains(&Event::AxonServed {
        netuid,
        hotkey: h.public()
    }));
    assert_eq!(r.fee, 0, "serving is Pays::No");
    let served_at = c.number();
    let m = read::metagraph(&c.store, netuid).unwrap();
    assert_eq!(m.neurons[0].axon.unwrap().port, 8091);
    assert_eq!(m.neurons[0].axon.unwrap().block, served_at);
    let e = c.err(&h, axon(netuid, 0x0a00_0002, 8091, 4));
    assert_eq!(
        e,
        DispatchError::ServingRateLimitExceeded {
            last: served_at,
            limit: 50,
            retry_at: served_at + 50
        }
    );
    let r = c.ok(
        &h,
        Call::ServePrometheus {
            netuid,
            version: 1,
            ip: 0x0a00_0001,
            port: 9090,
            ip_type: 4,
        },
    );
    assert!(r.events.contains(&Event::PrometheusServed {
        netuid,
        hotkey: h.public()
    }));
    assert_eq!(
        read::metagraph(&c.store, netuid).unwrap().neurons[0]
            .prometheus
            .unwrap()
            .port,
        9090
    );
    let e = c.err(
        &h,
        Call::ServePrometheus {
            netuid,
            version: 1,
            ip: 0x0a00_0001,
            port: 9091,
            ip_type: 4,
        },
    );
    assert!(matches!(e, DispatchError::ServingRateLimitExceeded { .. }));
}

#[test]
fn serve_errors() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let h = pair("//Bob/hot");
    let stranger = pair("//Stranger");
    assert!(matches!(
        c.err(&stranger, axon(netuid, 1, 1, 4)),
        DispatchError::HotKeyNotRegisteredInNetwork { .. }
    ));
    assert_eq!(
        c.err(&h, axon(netuid, 1, 1, 5)),
        DispatchError::InvalidIpType { ip_type: 5 }
    );
    assert_eq!(
        c.err(&h, axon(netuid, 0x7f00_0001, 1, 4)),
        DispatchError::InvalidIpAddress {
            ip: 0x7f00_0001,
            ip_type: 4
        }
    );
    assert_eq!(
        c.err(&h, axon(netuid, 1, 1, 6)),
        DispatchError::InvalidIpAddress { ip: 1, ip_type: 6 }
    );
    assert_eq!(
        c.err(&h, axon(netuid, 0x0a00_0001, 0, 4)),
        DispatchError::InvalidPort
    );
    let prom = |ip, port, ip_type| Call::ServePrometheus {
        netuid,
        version: 1,
        ip,
        port,
        ip_type,
    };
    assert!(matches!(
        c.err(&stranger, prom(1, 1, 4)),
        DispatchError::HotKeyNotRegisteredInNetwork { .. }
    ));
    assert_eq!(
        c.err(&h, prom(1, 1, 3)),
        DispatchError::InvalidIpType { ip_type: 3 }
    );
    assert_eq!(
        c.err(&h, prom(u128::MAX, 1, 6)),
        DispatchError::InvalidIpAddress {
            ip: u128::MAX,
            ip_type: 6
        }
    );
    assert_eq!(c.err(&h, prom(1, 0, 4)), DispatchError::InvalidPort);
    // rate limit 0 disables it
    c.ok(
        &alice(),
        Call::SudoSetHyperparameter {
            netuid,
            param: Hyperparam::ServingRateLimit,
            value: 0,
        },
    );
    c.ok(&h, axon(netuid, 0x0a00_0001, 1, 4));
    c.ok(&h, axon(netuid, 0x0a00_0001, 2, 4));
}
