//! Genesis: the JSON chain configuration and the state it builds, plus the dev chain.
//!
//! The genesis hash (the chain's identity, covered by every signature) is
//! `blake2b-256("tao/genesis" ‖ root of the genesis state)`; it is then stored at
//! `System.GenesisHash`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tao_crypto::{Pair, PublicKey};

use crate::balances::TOTAL_ISSUANCE;
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::state::State;
use crate::storage::subnet_default_key;
use crate::store::{Hash, MemoryStore, Store, blake2_256};
use crate::types::{AccountInfo, EXISTENTIAL_DEPOSIT, RAO_PER_TAO};

/// Why a genesis configuration cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// A parameter name is not a known hyperparameter or global parameter.
    #[error(
        "unknown parameter {name:?} in {section}; see `Hyperparam::ALL` / `GlobalParam::ALL` for valid names"
    )]
    UnknownParameter {
        /// Section of the config.
        section: &'static str,
        /// Name given.
        name: String,
    },
    /// A value is outside the parameter's bounds.
    #[error("{name} = {value} is outside [{min}, {max}]")]
    OutOfBounds {
        /// Parameter.
        name: &'static str,
        /// Value given.
        value: u64,
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
    /// A balance is below the existential deposit or listed twice.
    #[error("balance of {account}: {reason}")]
    BadBalance {
        /// Account (SS58).
        account: String,
        /// What is wrong.
        reason: String,
    },
    /// The balances add up to more than u64::MAX.
    #[error("genesis balances overflow u64")]
    IssuanceOverflow,
    /// A dev key could not be derived.
    #[error("dev key {uri}: {source}")]
    DevKey {
        /// The URI.
        uri: String,
        /// Cause.
        source: tao_crypto::Error,
    },
    /// The JSON does not parse.
    #[error("genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The genesis configuration (serde JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisConfig {
    /// Initial free balances, RAO, keyed by SS58 address.
    pub balances: BTreeMap<PublicKey, u64>,
    /// Sudo key (root origin) of the chain, if any.
    #[serde(default)]
    pub sudo: Option<PublicKey>,
    /// Chain-wide parameters overriding the defaults, by storage name.
    #[serde(default)]
    pub globals: BTreeMap<String, u64>,
    /// Values new subnets start with, by hyperparameter storage name.
    #[serde(default)]
    pub subnet_defaults: BTreeMap<String, u64>,
}

/// Dev accounts funded by [`GenesisConfig::dev`].
pub const DEV_ACCOUNTS: &[&str] = &[
    "//Alice",
    "//Bob",
    "//Charlie",
    "//Dave",
    "//Eve",
    "//Ferdie",
];

/// Free balance of each dev account: 1 000 000 TAO.
pub const DEV_BALANCE: u64 = 1_000_000 * RAO_PER_TAO;

impl GenesisConfig {
    /// The dev chain: //Alice … //Ferdie funded, //Alice sudo, fast-runtime values (tempo 10,
    /// 32 epochs per block) and no network registration rate limit so a local chain moves in
    /// seconds.
    pub fn dev() -> Result<Self, GenesisError> {
        let mut balances = BTreeMap::new();
        let mut sudo = None;
        for uri in DEV_ACCOUNTS {
            let pair = Pair::from_uri(uri).map_err(|source| GenesisError::DevKey {
                uri: (*uri).to_string(),
                source,
            })?;
            sudo.get_or_insert(pair.public());
            balances.insert(pair.public(), DEV_BALANCE);
        }
        let globals = [
            (GlobalParam::DefaultTempo, 10),
            (GlobalParam::MaxEpochsPerBlock, 32),
            (GlobalParam::NetworkRateLimit, 0),
        ]
        .into_iter()
        .map(|(p, v)| (p.name().to_string(), v))
        .collect();
        Ok(GenesisConfig {
            balances,
            sudo,
            globals,
            subnet_defaults: BTreeMap::new(),
        })
    }

    /// Parses a JSON genesis configuration.
    pub fn from_json(json: &str) -> Result<Self, GenesisError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Writes the genesis state into `store` and returns the genesis hash.
    pub fn build(&self, store: &mut dyn Store) -> Result<Hash, GenesisError> {
        let changes = {
            let mut s = State::new(&*store);
            let mut issuance: u64 = 0;
            for (account, &free) in &self.balances {
                if free < EXISTENTIAL_DEPOSIT {
                    return Err(GenesisError::BadBalance {
                        account: account.to_ss58(),
                        reason: format!(
                            "{free} RAO is below the existential deposit {EXISTENTIAL_DEPOSIT}"
                        ),
                    });
                }
                issuance = issuance
                    .checked_add(free)
                    .ok_or(GenesisError::IssuanceOverflow)?;
                s.set_account(account, AccountInfo { nonce: 0, free });
            }
            s.put(crate::state::Key::item(TOTAL_ISSUANCE).build(), &issuance);
            if let Some(sudo) = &self.sudo {
                s.set_sudo_key(sudo);
            }
            for (name, &value) in &self.globals {
                let p =
                    GlobalParam::from_name(name).ok_or_else(|| GenesisError::UnknownParameter {
                        section: "globals",
                        name: name.clone(),
                    })?;
                let (min, max) = p.bounds();
                if value < min || value > max {
                    return Err(GenesisError::OutOfBounds {
                        name: p.name(),
                        value,
                        min,
                        max,
                    });
                }
                s.set_global(p, value);
            }
            for (name, &value) in &self.subnet_defaults {
                let p =
                    Hyperparam::from_name(name).ok_or_else(|| GenesisError::UnknownParameter {
                        section: "subnet_defaults",
                        name: name.clone(),
                    })?;
                let (min, max) = p.bounds();
                if value < min || value > max {
                    return Err(GenesisError::OutOfBounds {
                        name: p.name(),
                        value,
                        min,
                        max,
                    });
                }
                s.put(subnet_default_key(p), &value);
            }
            let root_tempo = s
                .global(GlobalParam::DefaultTempo)
                .unwrap_or(GlobalParam::DefaultTempo.default_value());
            s.set_hp(0, Hyperparam::Tempo, root_tempo);
            s.set_netuids(&vec![0]);
            s.set_block_number(0);
            s.into_changes()
        };
        let root = store.commit(changes);
        let mut preimage = b"tao/genesis".to_vec();
        preimage.extend_from_slice(&root);
        let genesis = blake2_256(&preimage);
        let mut s = State::new(&*store);
        s.set_genesis_hash(&genesis);
        let changes = s.into_changes();
        store.commit(changes);
        Ok(genesis)
    }

    /// Builds the genesis state in a fresh in-memory store.
    pub fn build_memory(&self) -> Result<(MemoryStore, Hash), GenesisError> {
        let mut store = MemoryStore::new();
        let genesis = self.build(&mut store)?;
        Ok((store, genesis))
    }
}
