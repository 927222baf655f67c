//! sudo_set_* hyperparameter and global setters, sudo set_key, the read API.

mod common;

use common::*;
use tao_runtime::{Call, DispatchError, Event, GlobalParam, Hyperparam, Setter, read};

fn subnet(c: &mut Chain) -> u16 {
    c.new_subnet(&bob(), &pair("//Bob/hot").public())
}

fn set(netuid: u16, param: Hyperparam, value: u64) -> Call {
    Call::SudoSetHyperparameter {
        netuid,
        param,
        value,
    }
}

fn value(c: &Chain, netuid: u16, name: &str) -> u64 {
    read::hyperparameters(&c.store, netuid)
        .unwrap()
        .into_iter()
        .find(|p| p.name == name)
        .unwrap()
        .value
}

#[test]
fn root_and_owner_set_hyperparameters() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let r = c.ok(&alice(), set(netuid, Hyperparam::Kappa, 1_000));
    assert!(r.events.contains(&Event::HyperparameterSet {
        netuid,
        name: "Kappa",
        value: 1_000
    }));
    assert_eq!(value(&c, netuid, "Kappa"), 1_000);
    c.ok(&bob(), set(netuid, Hyperparam::ImmunityPeriod, 77));
    assert_eq!(value(&c, netuid, "ImmunityPeriod"), 77);
}

#[test]
fn origin_errors() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    assert_eq!(
        c.err(&bob(), set(netuid, Hyperparam::Kappa, 1)),
        DispatchError::BadOrigin {
            call: "sudo_set_kappa"
        }
    );
    assert_eq!(
        c.err(&charlie(), set(netuid, Hyperparam::ImmunityPeriod, 1)),
        DispatchError::NotSubnetOwner {
            netuid,
            call: "sudo_set_immunity_period"
        }
    );
    assert_eq!(
        c.err(&alice(), set(netuid, Hyperparam::MaxWeightsLimit, 1)),
        DispatchError::NotSettable {
            name: "MaxWeightsLimit"
        }
    );
    assert_eq!(
        c.err(&alice(), set(42, Hyperparam::Kappa, 1)),
        DispatchError::SubnetDoesNotExist { netuid: 42 }
    );
}

#[test]
fn owner_rate_limit_root_exempt() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    c.ok(&bob(), set(netuid, Hyperparam::Rho, 11));
    let last = c.number();
    // dev tempo 10 × OwnerHyperparamRateLimit 2
    assert_eq!(
        c.err(&bob(), set(netuid, Hyperparam::Rho, 12)),
        DispatchError::TxRateLimitExceeded {
            param: Hyperparam::Rho,
            last,
            limit: 20,
            retry_at: last + 20
        }
    );
    c.ok(&bob(), set(netuid, Hyperparam::ServingRateLimit, 1)); // other parameters are independent
    c.ok(&alice(), set(netuid, Hyperparam::Rho, 13));
    c.advance(last + 20 - c.number() - 1);
    c.ok(&bob(), set(netuid, Hyperparam::Rho, 14));
}

#[test]
fn value_rules() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let a = alice();
    assert_eq!(
        c.err(&a, set(netuid, Hyperparam::ImmuneOwnerUidsLimit, 11)),
        DispatchError::ValueNotInBounds {
            name: "ImmuneOwnerUidsLimit",
            value: 11,
            min: 1,
            max: 10
        }
    );
    assert_eq!(
        c.err(&a, set(netuid, Hyperparam::RevealPeriodEpochs, 0)),
        DispatchError::RevealPeriodOutOfRange {
            which: "RevealPeriodTooSmall",
            value: 0
        }
    );
    assert_eq!(
        c.err(&a, set(netuid, Hyperparam::RevealPeriodEpochs, 101)),
        DispatchError::RevealPeriodOutOfRange {
            which: "RevealPeriodTooLarge",
            value: 101
        }
    );
    assert_eq!(
        c.err(&a, set(netuid, Hyperparam::MaxAllowedUids, 10)),
        DispatchError::MaxAllowedUidsLessThanMinAllowedUids { value: 10, min: 64 }
    );
    c.ok(&a, set(netuid, Hyperparam::MinAllowedUids, 0));
    assert_eq!(
        c.err(&a, set(netuid, Hyperparam::MaxAllowedUids, 0)),
        DispatchError::MaxAllowedUIdsLessThanCurrentUIds { value: 0, n: 1 }
    );
    assert_eq!(
        c.err(&a, set(netuid, Hyperparam::MaxAllowedValidators, 300)),
        DispatchError::MaxValidatorsLargerThanMaxUIds {
            value: 300,
            max: 256
        }
    );
    assert!(matches!(
        c.err(&a, set(netuid, Hyperparam::MinBurn, 2_000_000_000)),
        DispatchError::ValueNotInBounds { .. }
    ));
    assert!(matches!(
        c.err(&a, set(netuid, Hyperparam::MaxBurn, 1)),
        DispatchError::ValueNotInBounds { .. }
    ));
    assert!(matches!(
        c.err(&a, set(netuid, Hyperparam::CommitRevealWeightsEnabled, 2)),
        DispatchError::ValueNotInBounds { .. }
    ));
}

#[test]
fn globals_and_sudo_key() {
    let mut c = Chain::dev();
    let r = c.ok(
        &alice(),
        Call::SudoSetGlobal {
            param: GlobalParam::SubnetLimit,
            value: 12,
        },
    );
    assert!(r.events.contains(&Event::GlobalParameterSet {
        name: "SubnetLimit",
        value: 12
    }));
    let g = read::global_parameters(&c.store).unwrap();
    assert_eq!(
        g.iter().find(|p| p.name == "SubnetLimit").unwrap().value,
        12
    );
    assert_eq!(
        c.err(
            &bob(),
            Call::SudoSetGlobal {
                param: GlobalParam::SubnetLimit,
                value: 1
            }
        ),
        DispatchError::BadOrigin {
            call: "sudo_set_subnet_limit"
        }
    );
    assert_eq!(
        c.err(
            &alice(),
            Call::SudoSetGlobal {
                param: GlobalParam::SubnetLimit,
                value: 5_000
            }
        ),
        DispatchError::ValueNotInBounds {
            name: "SubnetLimit",
            value: 5_000,
            min: 0,
            max: 4_095
        }
    );
    assert_eq!(
        c.err(
            &bob(),
            Call::SudoSetKey {
                new: bob().public()
            }
        ),
        DispatchError::BadOrigin { call: "set_key" }
    );
    let r = c.ok(
        &alice(),
        Call::SudoSetKey {
            new: bob().public(),
        },
    );
    assert!(r.events.contains(&Event::SudoKeyChanged {
        new: bob().public()
    }));
    c.ok(
        &bob(),
        Call::SudoSetGlobal {
            param: GlobalParam::SubnetLimit,
            value: 1,
        },
    );
    assert!(matches!(
        c.err(
            &alice(),
            Call::SudoSetGlobal {
                param: GlobalParam::SubnetLimit,
                value: 2
            }
        ),
        DispatchError::BadOrigin { .. }
    ));
}

#[test]
fn read_api_lists_every_hyperparameter_with_setter() {
    let mut c = Chain::dev();
    let netuid = subnet(&mut c);
    let hps = read::hyperparameters(&c.store, netuid).unwrap();
    assert_eq!(hps.len(), Hyperparam::ALL.len());
    let tempo = hps.iter().find(|p| p.name == "Tempo").unwrap();
    assert_eq!(
        (tempo.unit, tempo.setter, tempo.call, tempo.default),
        ("blocks", Setter::Root, "sudo_set_tempo", 360)
    );
    assert!(read::hyperparameters(&c.store, 99).is_err());
    let json = serde_json::to_string(&read::metagraph(&c.store, netuid).unwrap()).unwrap();
    assert!(json.contains(&pair("//Bob/hot").public().to_ss58()));
}
