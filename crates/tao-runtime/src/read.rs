//! Read API over committed state, used by the node's RPC and the CLI: hyperparameters with
//! name, value, unit and setter; accounts; subnets with their pools; the metagraph; stakes
//! and delegates.

use serde::Serialize;
use tao_crypto::PublicKey;

use crate::coinbase;
use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam, Setter};
use crate::neurons;
use crate::pool::{self, SUBNET_ALPHA_IN, SUBNET_ALPHA_OUT, SUBNET_TAO};
use crate::stake;
use crate::state::State;
use crate::storage::{DResult, hotkey_key, subnet_key};
use crate::store::Store;
use crate::subnets;
use crate::types::{AccountInfo, AxonInfo, PrometheusInfo};
use crate::weights;

/// One parameter as listed by the read API.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParamInfo {
    /// Storage name.
    pub name: &'static str,
    /// Current value.
    pub value: u64,
    /// Storage default.
    pub default: u64,
    /// Unit.
    pub unit: &'static str,
    /// Who may set it.
    pub setter: Setter,
    /// Setter call.
    pub call: &'static str,
}

/// Every hyperparameter of `netuid`.
pub fn hyperparameters(store: &dyn Store, netuid: u16) -> DResult<Vec<ParamInfo>> {
    let s = State::new(store);
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    Hyperparam::ALL
        .iter()
        .map(|&p| {
            Ok(ParamInfo {
                name: p.name(),
                value: s.hp(netuid, p)?,
                default: p.default_value(),
                unit: p.unit(),
                setter: p.setter(),
                call: p.call_name(),
            })
        })
        .collect()
}

/// Every chain-wide parameter.
pub fn global_parameters(store: &dyn Store) -> DResult<Vec<ParamInfo>> {
    let s = State::new(store);
    GlobalParam::ALL
        .iter()
        .map(|&p| {
            Ok(ParamInfo {
                name: p.name(),
                value: s.global(p)?,
                default: p.default_value(),
                unit: p.unit(),
                setter: p.setter(),
                call: p.call_name(),
            })
        })
        .collect()
}

/// Nonce and free balance of an account.
pub fn account(store: &dyn Store, who: &PublicKey) -> DResult<AccountInfo> {
    State::new(store).account(who)
}

/// Block number of the committed state.
pub fn block_number(store: &dyn Store) -> DResult<u64> {
    State::new(store).block_number()
}

/// The chain's genesis hash.
pub fn genesis_hash(store: &dyn Store) -> DResult<[u8; 32]> {
    State::new(store).genesis_hash()
}

/// Cost of `register_network` in the next block.
pub fn network_lock_cost(store: &dyn Store) -> DResult<u64> {
    let s = State::new(store);
    subnets::lock_cost(&s, s.block_number()?.saturating_add(1))
}

/// Summary of one subnet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubnetInfo {
    /// Subnet id.
    pub netuid: u16,
    /// Owner coldkey (none for root).
    pub owner: Option<PublicKey>,
    /// Owner hotkey.
    pub owner_hotkey: Option<PublicKey>,
    /// Registered neurons.
    pub subnetwork_n: u16,
    /// `MaxAllowedUids`.
    pub max_allowed_uids: u64,
    /// `Tempo`.
    pub tempo: u64,
    /// Registration price, RAO.
    pub burn: u64,
    /// Block of creation.
    pub network_registered_at: u64,
    /// Pool TAO reserve.
    pub tao_in: u64,
    /// Pool alpha reserve.
    pub alpha_in: u64,
    /// Alpha outside the pool.
    pub alpha_out: u64,
    /// Epochs run so far.
    pub epoch_index: u64,
    /// Spot price of alpha, TAO per alpha × 1e9 (the limit-price convention).
    pub price: u64,
    /// EMA price that shares out TAO emission, × 1e9.
    pub moving_price: u64,
    /// The subnet's share of the last block's TAO emission, RAO.
    pub tao_emission: u64,
    /// Alpha minted out of the pool in the last block.
    pub alpha_out_emission: u64,
    /// Alpha waiting for the next epoch: (miners, validators, root, owner).
    pub pending: (u64, u64, u64, u64),
}

/// Every subnet, ascending by netuid.
pub fn subnets(store: &dyn Store) -> DResult<Vec<SubnetInfo>> {
    let s = State::new(store);
    s.netuids()?
        .into_iter()
        .map(|netuid| subnet_info(&s, netuid))
        .collect()
}

fn subnet_info(s: &State<'_>, netuid: u16) -> DResult<SubnetInfo> {
    Ok(SubnetInfo {
        netuid,
        owner: s.get(&subnet_key("Subtensor.SubnetOwner", netuid))?,
        owner_hotkey: s.get(&subnet_key("Subtensor.SubnetOwnerHotkey", netuid))?,
        subnetwork_n: s.subnetwork_n(netuid)?,
        max_allowed_uids: s.hp(netuid, Hyperparam::MaxAllowedUids)?,
        tempo: s.hp(netuid, Hyperparam::Tempo)?,
        burn: neurons::burn(s, netuid)?,
        network_registered_at: s.subnet_get("Subtensor.NetworkRegisteredAt", netuid)?,
        tao_in: s.subnet_get(SUBNET_TAO, netuid)?,
        alpha_in: s.subnet_get(SUBNET_ALPHA_IN, netuid)?,
        alpha_out: s.subnet_get(SUBNET_ALPHA_OUT, netuid)?,
        epoch_index: s.subnet_get("Subtensor.SubnetEpochIndex", netuid)?,
        price: scaled_1e9(if netuid == 0 {
            1u128 << 64
        } else {
            pool::spot_price_u64f64(s, netuid)?
        }),
        moving_price: {
            let bits: u128 = s.subnet_get(coinbase::MOVING_PRICE, netuid)?;
            scaled_1e9(bits << 32)
        },
        tao_emission: s.subnet_get(coinbase::TAO_EMISSION, netuid)?,
        alpha_out_emission: s.subnet_get(coinbase::ALPHA_OUT_EMISSION, netuid)?,
        pending: (
            s.subnet_get(coinbase::PENDING_SERVER, netuid)?,
            s.subnet_get(coinbase::PENDING_VALIDATOR, netuid)?,
            s.subnet_get(coinbase::PENDING_ROOT, netuid)?,
            s.subnet_get(coinbase::PENDING_OWNER_CUT, netuid)?,
        ),
    })
}

/// A U64F64 bit pattern × 1e9, truncated.
fn scaled_1e9(bits: u128) -> u64 {
    let whole = bits >> 64;
    let frac = bits & u128::from(u64::MAX);
    let v = whole
        .saturating_mul(1_000_000_000)
        .saturating_add(frac.saturating_mul(1_000_000_000) >> 64);
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// One stake position.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StakeInfo {
    /// Hotkey staked to.
    pub hotkey: PublicKey,
    /// Subnet.
    pub netuid: u16,
    /// Alpha held (TAO on root).
    pub alpha: u64,
}

/// Every non-zero position of `coldkey`, by hotkey then netuid.
pub fn stakes(store: &dyn Store, coldkey: &PublicKey) -> DResult<Vec<StakeInfo>> {
    let s = State::new(store);
    let hotkeys: Vec<PublicKey> = s.get_or_default(
        &crate::state::Key::item(stake::STAKING_HOTKEYS)
            .acc(coldkey)
            .build(),
    )?;
    let netuids = s.netuids()?;
    let mut out = Vec::new();
    for hotkey in hotkeys {
        for &netuid in &netuids {
            let alpha = stake::stake(&s, netuid, &hotkey, coldkey)?;
            if alpha > 0 {
                out.push(StakeInfo {
                    hotkey,
                    netuid,
                    alpha,
                });
            }
        }
    }
    Ok(out)
}

/// A delegate: a hotkey, its owner, its take and its stake per subnet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DelegateInfo {
    /// Hotkey.
    pub hotkey: PublicKey,
    /// Owning coldkey.
    pub owner: Option<PublicKey>,
    /// Delegate take, fraction of 65535.
    pub take: u16,
    /// (netuid, TotalHotkeyAlpha) for every subnet with stake.
    pub stake: Vec<(u16, u64)>,
}

/// The delegate record of `hotkey`.
pub fn delegate(store: &dyn Store, hotkey: &PublicKey) -> DResult<DelegateInfo> {
    let s = State::new(store);
    let mut staked = Vec::new();
    for netuid in s.netuids()? {
        let alpha = stake::hotkey_alpha(&s, netuid, hotkey)?;
        if alpha > 0 {
            staked.push((netuid, alpha));
        }
    }
    Ok(DelegateInfo {
        hotkey: *hotkey,
        owner: s.hotkey_owner(hotkey)?,
        take: stake::delegate_take(&s, hotkey)?,
        stake: staked,
    })
}

/// One neuron of the metagraph.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NeuronInfo {
    /// Uid.
    pub uid: u16,
    /// Hotkey.
    pub hotkey: PublicKey,
    /// Owning coldkey.
    pub coldkey: Option<PublicKey>,
    /// Block of registration.
    pub block_at_registration: u64,
    /// Last weights update (or commit).
    pub last_update: u64,
    /// Validator permit.
    pub validator_permit: bool,
    /// Alpha emission of the last epoch.
    pub emission: u64,
    /// Alpha staked to the hotkey on this subnet (`TotalHotkeyAlpha`).
    pub stake: u64,
    /// Stake Yuma weighs: alpha + TaoWeight × root stake.
    pub stake_weight: u64,
    /// Active in the last epoch.
    pub active: bool,
    /// Consensus, fraction of 65535.
    pub consensus: u16,
    /// Incentive, fraction of 65535.
    pub incentive: u16,
    /// Dividends, fraction of 65535.
    pub dividends: u16,
    /// Validator trust, fraction of 65535.
    pub validator_trust: u16,
    /// Axon, if served.
    pub axon: Option<AxonInfo>,
    /// Prometheus endpoint, if served.
    pub prometheus: Option<PrometheusInfo>,
    /// Weight row `(uid, u16 weight)`.
    pub weights: Vec<(u16, u16)>,
}

/// A subnet and all its neurons.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metagraph {
    /// Block of the state read.
    pub block: u64,
    /// The subnet.
    pub subnet: SubnetInfo,
    /// Neurons by uid.
    pub neurons: Vec<NeuronInfo>,
}

/// Entry `i` of a column read by `uid_column`, the default where unset.
fn at<T: Copy + Default>(column: &[Option<T>], i: usize) -> T {
    column.get(i).copied().flatten().unwrap_or_default()
}

/// The metagraph of `netuid`. Per-uid items are read a column at a time (one prefix scan
/// each), the rest per neuron.
pub fn metagraph(store: &dyn Store, netuid: u16) -> DResult<Metagraph> {
    let s = State::new(store);
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    let n = s.subnetwork_n(netuid)?;
    let hotkeys = s.uid_column::<PublicKey>("Subtensor.Keys", netuid, n)?;
    let registered = s.uid_column::<u64>("Subtensor.BlockAtRegistration", netuid, n)?;
    let last_update = s.uid_column::<u64>("Subtensor.LastUpdate", netuid, n)?;
    let permit = s.uid_column::<bool>("Subtensor.ValidatorPermit", netuid, n)?;
    let emission = s.uid_column::<u64>("Subtensor.Emission", netuid, n)?;
    let active = s.uid_column::<bool>("Subtensor.Active", netuid, n)?;
    let consensus = s.uid_column::<u16>("Subtensor.Consensus", netuid, n)?;
    let incentive = s.uid_column::<u16>("Subtensor.Incentive", netuid, n)?;
    let dividends = s.uid_column::<u16>("Subtensor.Dividends", netuid, n)?;
    let trust = s.uid_column::<u16>("Subtensor.ValidatorTrust", netuid, n)?;
    let mut neurons = Vec::with_capacity(usize::from(n));
    for (i, (uid, hotkey)) in (0..n).zip(hotkeys).enumerate() {
        let Some(hotkey) = hotkey else {
            continue;
        };
        neurons.push(NeuronInfo {
            uid,
            hotkey,
            coldkey: s.hotkey_owner(&hotkey)?,
            block_at_registration: at(&registered, i),
            last_update: at(&last_update, i),
            validator_permit: at(&permit, i),
            emission: at(&emission, i),
            stake: stake::hotkey_alpha(&s, netuid, &hotkey)?,
            stake_weight: coinbase::stake_weight(&s, netuid, &hotkey)?,
            active: at(&active, i),
            consensus: at(&consensus, i),
            incentive: at(&incentive, i),
            dividends: at(&dividends, i),
            validator_trust: at(&trust, i),
            axon: s.get(&hotkey_key("Subtensor.Axons", netuid, &hotkey))?,
            prometheus: s.get(&hotkey_key("Subtensor.Prometheus", netuid, &hotkey))?,
            weights: weights::weights_row(&s, netuid, uid)?,
        });
    }
    Ok(Metagraph {
        block: s.block_number()?,
        subnet: subnet_info(&s, netuid)?,
        neurons,
    })
}
