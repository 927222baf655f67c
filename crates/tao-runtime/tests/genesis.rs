//! Genesis configuration: JSON round trip, dev chain contents, and every configuration error.

mod common;

use common::*;
use tao_runtime::genesis::{DEV_BALANCE, GenesisError};
use tao_runtime::state::State;
use tao_runtime::{Block, BlockError, GenesisConfig, Store, apply_block, read};

#[test]
fn dev_genesis_funds_six_accounts_and_makes_alice_sudo() {
    let config = GenesisConfig::dev().unwrap();
    assert_eq!(config.balances.len(), 6);
    assert!(config.balances.values().all(|b| *b == DEV_BALANCE));
    assert_eq!(config.sudo, Some(alice().public()));
    let c = Chain::dev();
    assert_eq!(c.free(&pair("//Ferdie").public()), DEV_BALANCE);
    assert_eq!(read::genesis_hash(&c.store).unwrap(), c.genesis);
    let s = State::new(&c.store);
    assert_eq!(s.sudo_key().unwrap(), Some(alice().public()));
}

#[test]
fn json_round_trip_gives_the_same_chain() {
    let config = GenesisConfig::dev().unwrap();
    let json = serde_json::to_string_pretty(&config).unwrap();
    assert!(
        json.contains("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"),
        "accounts are SS58"
    );
    let back = GenesisConfig::from_json(&json).unwrap();
    assert_eq!(back, config);
    assert_eq!(
        back.build_memory().unwrap().1,
        config.build_memory().unwrap().1
    );
}

#[test]
fn genesis_errors() {
    assert!(matches!(
        GenesisConfig::from_json("{"),
        Err(GenesisError::Json(_))
    ));
    let mut c = GenesisConfig::default();
    c.globals.insert("NoSuchThing".into(), 1);
    assert!(matches!(
        c.build_memory(),
        Err(GenesisError::UnknownParameter {
            section: "globals",
            ..
        })
    ));
    let mut c = GenesisConfig::default();
    c.subnet_defaults.insert("Tempo".into(), 70_000);
    assert!(matches!(
        c.build_memory(),
        Err(GenesisError::OutOfBounds { name: "Tempo", .. })
    ));
    let mut c = GenesisConfig::default();
    c.subnet_defaults.insert("Tmepo".into(), 1);
    assert!(matches!(
        c.build_memory(),
        Err(GenesisError::UnknownParameter {
            section: "subnet_defaults",
            ..
        })
    ));
    let mut c = GenesisConfig::default();
    c.globals.insert("SubnetLimit".into(), 9_999);
    assert!(matches!(
        c.build_memory(),
        Err(GenesisError::OutOfBounds {
            name: "SubnetLimit",
            ..
        })
    ));
    let mut c = GenesisConfig::default();
    c.balances.insert(alice().public(), 10);
    assert!(matches!(
        c.build_memory(),
        Err(GenesisError::BadBalance { .. })
    ));
    let mut c = GenesisConfig::default();
    c.balances.insert(alice().public(), u64::MAX);
    c.balances.insert(bob().public(), u64::MAX);
    assert!(matches!(
        c.build_memory(),
        Err(GenesisError::IssuanceOverflow)
    ));
}

#[test]
fn subnet_defaults_apply_to_new_subnets() {
    let mut config = GenesisConfig::dev().unwrap();
    config
        .subnet_defaults
        .insert("WeightsSetRateLimit".into(), 3);
    let (store, genesis) = config.build_memory().unwrap();
    let mut c = Chain {
        store,
        genesis,
        author: None,
    };
    let netuid = c.new_subnet(&bob(), &pair("//Bob/hot").public());
    let hps = read::hyperparameters(&c.store, netuid).unwrap();
    assert_eq!(
        hps.iter()
            .find(|p| p.name == "WeightsSetRateLimit")
            .unwrap()
            .value,
        3
    );
}

#[test]
fn corrupt_state_is_a_block_error_not_a_panic() {
    let mut c = Chain::dev();
    let key = tao_runtime::storage::account_key(&alice().public());
    c.store.put(key, vec![1, 2, 3]);
    let tx = c.sign(
        &bob(),
        tao_runtime::Call::TransferKeepAlive {
            dest: bob().public(),
            value: 1,
        },
    );
    let tx2 = tao_runtime::Transaction::sign(
        &alice(),
        c.genesis,
        0,
        0,
        tao_runtime::Call::StartCall { netuid: 1 },
    );
    let block = Block {
        number: 1,
        author: None,
        transactions: vec![tx, tao_runtime::codec::Encode::encode(&tx2)],
    };
    assert!(matches!(
        apply_block(&c.store, &block),
        Err(BlockError::State(_))
    ));
}
