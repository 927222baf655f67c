//! Calls a transaction can carry, their wire tags and their fee class.
//!
//! A call is encoded as `pallet: u8, call: u8, fields…`. Pallet 0 is `Balances`, 1 is
//! `SubtensorModule`, 2 is `AdminUtils`, 3 is `Sudo`; within `Balances` and `SubtensorModule`
//! the call byte is the reference's call index (`transfer_allow_death` = 0,
//! `transfer_keep_alive` = 3, `set_weights` = 0, `burned_register` = 7, …).

use tao_crypto::PublicKey;

use crate::codec::{CodecError, CodecResult, Decode, Encode, Reader};
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::store::Hash;

/// A runtime call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// Balances[0] `transfer_allow_death(dest, value)`: may reap the sender.
    TransferAllowDeath {
        /// Receiver.
        dest: PublicKey,
        /// Amount in RAO.
        value: u64,
    },
    /// Balances[3] `transfer_keep_alive(dest, value)`: the sender keeps the existential deposit.
    TransferKeepAlive {
        /// Receiver.
        dest: PublicKey,
        /// Amount in RAO.
        value: u64,
    },
    /// Subtensor[0] `set_weights(netuid, dests, weights, version_key)`, signed by the hotkey.
    SetWeights {
        /// Subnet.
        netuid: u16,
        /// Target uids.
        dests: Vec<u16>,
        /// Weights, any scale (max-upscaled to u16).
        weights: Vec<u16>,
        /// Must be ≥ the subnet's `WeightsVersionKey`.
        version_key: u64,
    },
    /// Subtensor[4] `serve_axon(netuid, version, ip, port, ip_type, protocol, placeholder1, placeholder2)`.
    ServeAxon {
        /// Subnet.
        netuid: u16,
        /// Axon version.
        version: u32,
        /// IP as integer.
        ip: u128,
        /// Port.
        port: u16,
        /// 4 or 6.
        ip_type: u8,
        /// Protocol.
        protocol: u8,
        /// Reserved.
        placeholder1: u8,
        /// Reserved.
        placeholder2: u8,
    },
    /// Subtensor[5] `serve_prometheus(netuid, version, ip, port, ip_type)`.
    ServePrometheus {
        /// Subnet.
        netuid: u16,
        /// Version.
        version: u32,
        /// IP as integer.
        ip: u128,
        /// Port.
        port: u16,
        /// 4 or 6.
        ip_type: u8,
    },
    /// Subtensor[6] legacy `register(netuid, block_number, nonce, work, hotkey, coldkey)`: the
    /// proof-of-work arguments are ignored and it acts as `burned_register`.
    Register {
        /// Subnet.
        netuid: u16,
        /// Ignored.
        block_number: u64,
        /// Ignored.
        nonce: u64,
        /// Ignored.
        work: Vec<u8>,
        /// Hotkey to register.
        hotkey: PublicKey,
        /// Ignored (the signer pays).
        coldkey: PublicKey,
    },
    /// Subtensor[7] `burned_register(netuid, hotkey)`: pay the current burn, get a uid.
    BurnedRegister {
        /// Subnet.
        netuid: u16,
        /// Hotkey to register.
        hotkey: PublicKey,
    },
    /// Subtensor[59] `register_network(hotkey)`: create a subnet paying the lock cost.
    RegisterNetwork {
        /// Owner hotkey (becomes uid 0).
        hotkey: PublicKey,
    },
    /// Subtensor[61] `dissolve_network(coldkey, netuid)` (root).
    DissolveNetwork {
        /// Owner coldkey (informational).
        coldkey: PublicKey,
        /// Subnet.
        netuid: u16,
    },
    /// Subtensor[92] `start_call(netuid)`: the owner starts emission.
    StartCall {
        /// Subnet.
        netuid: u16,
    },
    /// Subtensor[96] `commit_weights(netuid, commit_hash)`.
    CommitWeights {
        /// Subnet.
        netuid: u16,
        /// `blake2b-256(SCALE(hotkey, netuid, uids, values, salt, version_key))`.
        commit_hash: Hash,
    },
    /// Subtensor[97] `reveal_weights(netuid, uids, values, salt, version_key)`.
    RevealWeights {
        /// Subnet.
        netuid: u16,
        /// Target uids.
        uids: Vec<u16>,
        /// Weights.
        values: Vec<u16>,
        /// Salt.
        salt: Vec<u16>,
        /// Version key.
        version_key: u64,
    },
    /// Subtensor[134] `register_limit(netuid, hotkey, limit_price)`.
    RegisterLimit {
        /// Subnet.
        netuid: u16,
        /// Hotkey to register.
        hotkey: PublicKey,
        /// Highest burn accepted, RAO.
        limit_price: u64,
    },
    /// Subtensor[2] `add_stake(hotkey, netuid, amount_staked)`: TAO buys alpha staked to
    /// `hotkey`, signed by the coldkey.
    AddStake {
        /// Hotkey staked to.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// TAO, RAO.
        amount: u64,
    },
    /// Subtensor[3] `remove_stake(hotkey, netuid, amount_unstaked)`: sells alpha for TAO.
    RemoveStake {
        /// Hotkey unstaked from.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// Alpha, RAO.
        amount: u64,
    },
    /// Subtensor[88] `add_stake_limit(hotkey, netuid, amount, limit_price, allow_partial)`.
    AddStakeLimit {
        /// Hotkey staked to.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// TAO, RAO.
        amount: u64,
        /// Highest price, TAO per alpha × 1e9.
        limit_price: u64,
        /// Execute up to the limit instead of failing.
        allow_partial: bool,
    },
    /// Subtensor[89] `remove_stake_limit(hotkey, netuid, amount, limit_price, allow_partial)`.
    RemoveStakeLimit {
        /// Hotkey unstaked from.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// Alpha, RAO.
        amount: u64,
        /// Lowest price, TAO per alpha × 1e9.
        limit_price: u64,
        /// Execute up to the limit instead of failing.
        allow_partial: bool,
    },
    /// Subtensor[103] `remove_stake_full_limit(hotkey, netuid, limit_price)`.
    RemoveStakeFullLimit {
        /// Hotkey unstaked from.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// Lowest price, TAO per alpha × 1e9, if any.
        limit_price: Option<u64>,
    },
    /// Subtensor[83] `unstake_all(hotkey)`: sells every position on `hotkey`.
    UnstakeAll {
        /// Hotkey.
        hotkey: PublicKey,
    },
    /// Subtensor[85] `move_stake(origin_hotkey, destination_hotkey, origin_netuid,
    /// destination_netuid, alpha_amount)`; tao adds an optional limit (see `stake`).
    MoveStake {
        /// Hotkey the stake leaves.
        origin_hotkey: PublicKey,
        /// Hotkey the stake joins.
        destination_hotkey: PublicKey,
        /// Subnet the stake leaves.
        origin_netuid: u16,
        /// Subnet the stake joins.
        destination_netuid: u16,
        /// Alpha taken from the origin.
        alpha_amount: u64,
        /// Least destination alpha per origin alpha × 1e9.
        limit_price: Option<u64>,
    },
    /// Subtensor[86] `transfer_stake(destination_coldkey, hotkey, origin_netuid,
    /// destination_netuid, alpha_amount)`; tao adds an optional limit.
    TransferStake {
        /// Coldkey receiving the stake.
        destination_coldkey: PublicKey,
        /// Hotkey.
        hotkey: PublicKey,
        /// Subnet the stake leaves.
        origin_netuid: u16,
        /// Subnet the stake joins.
        destination_netuid: u16,
        /// Alpha taken from the origin.
        alpha_amount: u64,
        /// Least destination alpha per origin alpha × 1e9.
        limit_price: Option<u64>,
    },
    /// Subtensor[87] `swap_stake(hotkey, origin_netuid, destination_netuid, alpha_amount)`
    /// and [90] `swap_stake_limit` (the limit as in `move_stake`; partial fills are refused).
    SwapStake {
        /// Hotkey.
        hotkey: PublicKey,
        /// Subnet the stake leaves.
        origin_netuid: u16,
        /// Subnet the stake joins.
        destination_netuid: u16,
        /// Alpha taken from the origin.
        alpha_amount: u64,
        /// Least destination alpha per origin alpha × 1e9.
        limit_price: Option<u64>,
    },
    /// Subtensor[114] `set_coldkey_auto_stake_hotkey(netuid, hotkey)`.
    SetColdkeyAutoStakeHotkey {
        /// Subnet.
        netuid: u16,
        /// Hotkey receiving the signer's miner incentive.
        hotkey: PublicKey,
    },
    /// Subtensor[65] `decrease_take(hotkey, take)`.
    DecreaseTake {
        /// Hotkey (owned by the signer).
        hotkey: PublicKey,
        /// New take, fraction of 65535.
        take: u16,
    },
    /// Subtensor[66] `increase_take(hotkey, take)`.
    IncreaseTake {
        /// Hotkey (owned by the signer).
        hotkey: PublicKey,
        /// New take, fraction of 65535.
        take: u16,
    },
    /// AdminUtils[0]: the `sudo_set_*` setter of one subnet hyperparameter.
    SudoSetHyperparameter {
        /// Subnet.
        netuid: u16,
        /// Which parameter (its setter is `param.call_name()`).
        param: Hyperparam,
        /// New value.
        value: u64,
    },
    /// AdminUtils[1]: the `sudo_set_*` setter of one chain-wide parameter (root).
    SudoSetGlobal {
        /// Which parameter.
        param: GlobalParam,
        /// New value.
        value: u64,
    },
    /// Sudo[2] `set_key(new)`: hand the sudo key to another account.
    SudoSetKey {
        /// New sudo key.
        new: PublicKey,
    },
}

/// How a call is charged (the reference's `Pays` and weight classes, see docs/TRANSACTIONS.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeClass {
    /// `Pays::No`: weights, serving, sudo calls.
    Free,
    /// Balance transfers.
    Transfer,
    /// Neuron registration.
    Register,
    /// Subnet creation and lifecycle.
    Subnet,
}

impl Call {
    /// The reference's call name.
    pub fn name(&self) -> &'static str {
        match self {
            Call::TransferAllowDeath { .. } => "transfer_allow_death",
            Call::TransferKeepAlive { .. } => "transfer_keep_alive",
            Call::SetWeights { .. } => "set_weights",
            Call::ServeAxon { .. } => "serve_axon",
            Call::ServePrometheus { .. } => "serve_prometheus",
            Call::Register { .. } => "register",
            Call::BurnedRegister { .. } => "burned_register",
            Call::RegisterNetwork { .. } => "register_network",
            Call::DissolveNetwork { .. } => "dissolve_network",
            Call::StartCall { .. } => "start_call",
            Call::CommitWeights { .. } => "commit_weights",
            Call::RevealWeights { .. } => "reveal_weights",
            Call::RegisterLimit { .. } => "register_limit",
            Call::AddStake { .. } => "add_stake",
            Call::RemoveStake { .. } => "remove_stake",
            Call::AddStakeLimit { .. } => "add_stake_limit",
            Call::RemoveStakeLimit { .. } => "remove_stake_limit",
            Call::RemoveStakeFullLimit { .. } => "remove_stake_full_limit",
            Call::UnstakeAll { .. } => "unstake_all",
            Call::MoveStake { .. } => "move_stake",
            Call::TransferStake { .. } => "transfer_stake",
            Call::SwapStake {
                limit_price: None, ..
            } => "swap_stake",
            Call::SwapStake { .. } => "swap_stake_limit",
            Call::SetColdkeyAutoStakeHotkey { .. } => "set_coldkey_auto_stake_hotkey",
            Call::DecreaseTake { .. } => "decrease_take",
            Call::IncreaseTake { .. } => "increase_take",
            Call::SudoSetHyperparameter { param, .. } => param.call_name(),
            Call::SudoSetGlobal { param, .. } => param.call_name(),
            Call::SudoSetKey { .. } => "set_key",
        }
    }

    /// Fee class of the call.
    pub fn fee_class(&self) -> FeeClass {
        match self {
            Call::TransferAllowDeath { .. } | Call::TransferKeepAlive { .. } => FeeClass::Transfer,
            Call::AddStake { .. }
            | Call::RemoveStake { .. }
            | Call::AddStakeLimit { .. }
            | Call::RemoveStakeLimit { .. }
            | Call::RemoveStakeFullLimit { .. }
            | Call::UnstakeAll { .. }
            | Call::MoveStake { .. }
            | Call::TransferStake { .. }
            | Call::SwapStake { .. }
            | Call::SetColdkeyAutoStakeHotkey { .. } => FeeClass::Transfer,
            Call::Register { .. } | Call::BurnedRegister { .. } | Call::RegisterLimit { .. } => {
                FeeClass::Register
            }
            Call::RegisterNetwork { .. } | Call::StartCall { .. } => FeeClass::Subnet,
            Call::SetWeights { .. }
            | Call::ServeAxon { .. }
            | Call::ServePrometheus { .. }
            | Call::CommitWeights { .. }
            | Call::RevealWeights { .. }
            | Call::DissolveNetwork { .. }
            | Call::DecreaseTake { .. }
            | Call::IncreaseTake { .. }
            | Call::SudoSetHyperparameter { .. }
            | Call::SudoSetGlobal { .. }
            | Call::SudoSetKey { .. } => FeeClass::Free,
        }
    }

    fn tag(&self) -> (u8, u8) {
        match self {
            Call::TransferAllowDeath { .. } => (0, 0),
            Call::TransferKeepAlive { .. } => (0, 3),
            Call::SetWeights { .. } => (1, 0),
            Call::ServeAxon { .. } => (1, 4),
            Call::ServePrometheus { .. } => (1, 5),
            Call::Register { .. } => (1, 6),
            Call::BurnedRegister { .. } => (1, 7),
            Call::RegisterNetwork { .. } => (1, 59),
            Call::DissolveNetwork { .. } => (1, 61),
            Call::StartCall { .. } => (1, 92),
            Call::CommitWeights { .. } => (1, 96),
            Call::RevealWeights { .. } => (1, 97),
            Call::RegisterLimit { .. } => (1, 134),
            Call::AddStake { .. } => (1, 2),
            Call::RemoveStake { .. } => (1, 3),
            Call::AddStakeLimit { .. } => (1, 88),
            Call::RemoveStakeLimit { .. } => (1, 89),
            Call::RemoveStakeFullLimit { .. } => (1, 103),
            Call::UnstakeAll { .. } => (1, 83),
            Call::MoveStake { .. } => (1, 85),
            Call::TransferStake { .. } => (1, 86),
            Call::SwapStake {
                limit_price: None, ..
            } => (1, 87),
            Call::SwapStake { .. } => (1, 90),
            Call::SetColdkeyAutoStakeHotkey { .. } => (1, 114),
            Call::DecreaseTake { .. } => (1, 65),
            Call::IncreaseTake { .. } => (1, 66),
            Call::SudoSetHyperparameter { .. } => (2, 0),
            Call::SudoSetGlobal { .. } => (2, 1),
            Call::SudoSetKey { .. } => (3, 2),
        }
    }
}

impl Encode for Call {
    fn encode_to(&self, out: &mut Vec<u8>) {
        let (pallet, call) = self.tag();
        out.push(pallet);
        out.push(call);
        match self {
            Call::TransferAllowDeath { dest, value } | Call::TransferKeepAlive { dest, value } => {
                dest.encode_to(out);
                value.encode_to(out);
            }
            Call::SetWeights {
                netuid,
                dests,
                weights,
                version_key,
            } => {
                netuid.encode_to(out);
                dests.encode_to(out);
                weights.encode_to(out);
                version_key.encode_to(out);
            }
            Call::ServeAxon {
                netuid,
                version,
                ip,
                port,
                ip_type,
                protocol,
                placeholder1,
                placeholder2,
            } => {
                netuid.encode_to(out);
                version.encode_to(out);
                ip.encode_to(out);
                port.encode_to(out);
                ip_type.encode_to(out);
                protocol.encode_to(out);
                placeholder1.encode_to(out);
                placeholder2.encode_to(out);
            }
            Call::ServePrometheus {
                netuid,
                version,
                ip,
                port,
                ip_type,
            } => {
                netuid.encode_to(out);
                version.encode_to(out);
                ip.encode_to(out);
                port.encode_to(out);
                ip_type.encode_to(out);
            }
            Call::Register {
                netuid,
                block_number,
                nonce,
                work,
                hotkey,
                coldkey,
            } => {
                netuid.encode_to(out);
                block_number.encode_to(out);
                nonce.encode_to(out);
                work.encode_to(out);
                hotkey.encode_to(out);
                coldkey.encode_to(out);
            }
            Call::BurnedRegister { netuid, hotkey } => {
                netuid.encode_to(out);
                hotkey.encode_to(out);
            }
            Call::RegisterNetwork { hotkey } => hotkey.encode_to(out),
            Call::DissolveNetwork { coldkey, netuid } => {
                coldkey.encode_to(out);
                netuid.encode_to(out);
            }
            Call::StartCall { netuid } => netuid.encode_to(out),
            Call::CommitWeights {
                netuid,
                commit_hash,
            } => {
                netuid.encode_to(out);
                commit_hash.encode_to(out);
            }
            Call::RevealWeights {
                netuid,
                uids,
                values,
                salt,
                version_key,
            } => {
                netuid.encode_to(out);
                uids.encode_to(out);
                values.encode_to(out);
                salt.encode_to(out);
                version_key.encode_to(out);
            }
            Call::RegisterLimit {
                netuid,
                hotkey,
                limit_price,
            } => {
                netuid.encode_to(out);
                hotkey.encode_to(out);
                limit_price.encode_to(out);
            }
            Call::AddStake {
                hotkey,
                netuid,
                amount,
            }
            | Call::RemoveStake {
                hotkey,
                netuid,
                amount,
            } => {
                hotkey.encode_to(out);
                netuid.encode_to(out);
                amount.encode_to(out);
            }
            Call::AddStakeLimit {
                hotkey,
                netuid,
                amount,
                limit_price,
                allow_partial,
            }
            | Call::RemoveStakeLimit {
                hotkey,
                netuid,
                amount,
                limit_price,
                allow_partial,
            } => {
                hotkey.encode_to(out);
                netuid.encode_to(out);
                amount.encode_to(out);
                limit_price.encode_to(out);
                allow_partial.encode_to(out);
            }
            Call::RemoveStakeFullLimit {
                hotkey,
                netuid,
                limit_price,
            } => {
                hotkey.encode_to(out);
                netuid.encode_to(out);
                limit_price.encode_to(out);
            }
            Call::UnstakeAll { hotkey } => hotkey.encode_to(out),
            Call::MoveStake {
                origin_hotkey,
                destination_hotkey,
                origin_netuid,
                destination_netuid,
                alpha_amount,
                limit_price,
            } => {
                origin_hotkey.encode_to(out);
                destination_hotkey.encode_to(out);
                origin_netuid.encode_to(out);
                destination_netuid.encode_to(out);
                alpha_amount.encode_to(out);
                limit_price.encode_to(out);
            }
            Call::TransferStake {
                destination_coldkey,
                hotkey,
                origin_netuid,
                destination_netuid,
                alpha_amount,
                limit_price,
            } => {
                destination_coldkey.encode_to(out);
                hotkey.encode_to(out);
                origin_netuid.encode_to(out);
                destination_netuid.encode_to(out);
                alpha_amount.encode_to(out);
                limit_price.encode_to(out);
            }
            Call::SwapStake {
                hotkey,
                origin_netuid,
                destination_netuid,
                alpha_amount,
                limit_price,
            } => {
                hotkey.encode_to(out);
                origin_netuid.encode_to(out);
                destination_netuid.encode_to(out);
                alpha_amount.encode_to(out);
                if let Some(limit) = limit_price {
                    limit.encode_to(out);
                    false.encode_to(out);
                }
            }
            Call::SetColdkeyAutoStakeHotkey { netuid, hotkey } => {
                netuid.encode_to(out);
                hotkey.encode_to(out);
            }
            Call::DecreaseTake { hotkey, take } | Call::IncreaseTake { hotkey, take } => {
                hotkey.encode_to(out);
                take.encode_to(out);
            }
            Call::SudoSetHyperparameter {
                netuid,
                param,
                value,
            } => {
                netuid.encode_to(out);
                out.push(param.tag());
                value.encode_to(out);
            }
            Call::SudoSetGlobal { param, value } => {
                out.push(param.tag());
                value.encode_to(out);
            }
            Call::SudoSetKey { new } => new.encode_to(out),
        }
    }
}

impl Decode for Call {
    const MIN_SIZE: usize = 2;
    fn decode_from(r: &mut Reader<'_>) -> CodecResult<Self> {
        let [pallet, call] = r.array::<2>()?;
        Ok(match (pallet, call) {
            (0, 0) => Call::TransferAllowDeath {
                dest: Decode::decode_from(r)?,
                value: Decode::decode_from(r)?,
            },
            (0, 3) => Call::TransferKeepAlive {
                dest: Decode::decode_from(r)?,
                value: Decode::decode_from(r)?,
            },
            (1, 0) => Call::SetWeights {
                netuid: Decode::decode_from(r)?,
                dests: Decode::decode_from(r)?,
                weights: Decode::decode_from(r)?,
                version_key: Decode::decode_from(r)?,
            },
            (1, 4) => Call::ServeAxon {
                netuid: Decode::decode_from(r)?,
                version: Decode::decode_from(r)?,
                ip: Decode::decode_from(r)?,
                port: Decode::decode_from(r)?,
                ip_type: Decode::decode_from(r)?,
                protocol: Decode::decode_from(r)?,
                placeholder1: Decode::decode_from(r)?,
                placeholder2: Decode::decode_from(r)?,
            },
            (1, 5) => Call::ServePrometheus {
                netuid: Decode::decode_from(r)?,
                version: Decode::decode_from(r)?,
                ip: Decode::decode_from(r)?,
                port: Decode::decode_from(r)?,
                ip_type: Decode::decode_from(r)?,
            },
            (1, 6) => Call::Register {
                netuid: Decode::decode_from(r)?,
                block_number: Decode::decode_from(r)?,
                nonce: Decode::decode_from(r)?,
                work: Decode::decode_from(r)?,
                hotkey: Decode::decode_from(r)?,
                coldkey: Decode::decode_from(r)?,
            },
            (1, 7) => Call::BurnedRegister {
                netuid: Decode::decode_from(r)?,
                hotkey: Decode::decode_from(r)?,
            },
            (1, 59) => Call::RegisterNetwork {
                hotkey: Decode::decode_from(r)?,
            },
            (1, 61) => Call::DissolveNetwork {
                coldkey: Decode::decode_from(r)?,
                netuid: Decode::decode_from(r)?,
            },
            (1, 92) => Call::StartCall {
                netuid: Decode::decode_from(r)?,
            },
            (1, 96) => Call::CommitWeights {
                netuid: Decode::decode_from(r)?,
                commit_hash: Decode::decode_from(r)?,
            },
            (1, 97) => Call::RevealWeights {
                netuid: Decode::decode_from(r)?,
                uids: Decode::decode_from(r)?,
                values: Decode::decode_from(r)?,
                salt: Decode::decode_from(r)?,
                version_key: Decode::decode_from(r)?,
            },
            (1, 134) => Call::RegisterLimit {
                netuid: Decode::decode_from(r)?,
                hotkey: Decode::decode_from(r)?,
                limit_price: Decode::decode_from(r)?,
            },
            (1, 2) => Call::AddStake {
                hotkey: Decode::decode_from(r)?,
                netuid: Decode::decode_from(r)?,
                amount: Decode::decode_from(r)?,
            },
            (1, 3) => Call::RemoveStake {
                hotkey: Decode::decode_from(r)?,
                netuid: Decode::decode_from(r)?,
                amount: Decode::decode_from(r)?,
            },
            (1, 88) => Call::AddStakeLimit {
                hotkey: Decode::decode_from(r)?,
                netuid: Decode::decode_from(r)?,
                amount: Decode::decode_from(r)?,
                limit_price: Decode::decode_from(r)?,
                allow_partial: Decode::decode_from(r)?,
            },
            (1, 89) => Call::RemoveStakeLimit {
                hotkey: Decode::decode_from(r)?,
                netuid: Decode::decode_from(r)?,
                amount: Decode::decode_from(r)?,
                limit_price: Decode::decode_from(r)?,
                allow_partial: Decode::decode_from(r)?,
            },
            (1, 103) => Call::RemoveStakeFullLimit {
                hotkey: Decode::decode_from(r)?,
                netuid: Decode::decode_from(r)?,
                limit_price: Decode::decode_from(r)?,
            },
            (1, 83) => Call::UnstakeAll {
                hotkey: Decode::decode_from(r)?,
            },
            (1, 85) => Call::MoveStake {
                origin_hotkey: Decode::decode_from(r)?,
                destination_hotkey: Decode::decode_from(r)?,
                origin_netuid: Decode::decode_from(r)?,
                destination_netuid: Decode::decode_from(r)?,
                alpha_amount: Decode::decode_from(r)?,
                limit_price: Decode::decode_from(r)?,
            },
            (1, 86) => Call::TransferStake {
                destination_coldkey: Decode::decode_from(r)?,
                hotkey: Decode::decode_from(r)?,
                origin_netuid: Decode::decode_from(r)?,
                destination_netuid: Decode::decode_from(r)?,
                alpha_amount: Decode::decode_from(r)?,
                limit_price: Decode::decode_from(r)?,
            },
            (1, 87) => Call::SwapStake {
                hotkey: Decode::decode_from(r)?,
                origin_netuid: Decode::decode_from(r)?,
                destination_netuid: Decode::decode_from(r)?,
                alpha_amount: Decode::decode_from(r)?,
                limit_price: None,
            },
            (1, 90) => {
                let call = Call::SwapStake {
                    hotkey: Decode::decode_from(r)?,
                    origin_netuid: Decode::decode_from(r)?,
                    destination_netuid: Decode::decode_from(r)?,
                    alpha_amount: Decode::decode_from(r)?,
                    limit_price: Some(Decode::decode_from(r)?),
                };
                let allow_partial = bool::decode_from(r)?;
                if allow_partial {
                    return Err(CodecError::InvalidTag {
                        what: "swap_stake_limit allow_partial (partial fills are not supported)",
                        tag: 1,
                    });
                }
                call
            }
            (1, 114) => Call::SetColdkeyAutoStakeHotkey {
                netuid: Decode::decode_from(r)?,
                hotkey: Decode::decode_from(r)?,
            },
            (1, 65) => Call::DecreaseTake {
                hotkey: Decode::decode_from(r)?,
                take: Decode::decode_from(r)?,
            },
            (1, 66) => Call::IncreaseTake {
                hotkey: Decode::decode_from(r)?,
                take: Decode::decode_from(r)?,
            },
            (2, 0) => {
                let netuid = Decode::decode_from(r)?;
                let tag = u8::decode_from(r)?;
                let param = Hyperparam::from_tag(tag).ok_or(CodecError::InvalidTag {
                    what: "hyperparameter",
                    tag,
                })?;
                Call::SudoSetHyperparameter {
                    netuid,
                    param,
                    value: Decode::decode_from(r)?,
                }
            }
            (2, 1) => {
                let tag = u8::decode_from(r)?;
                let param = GlobalParam::from_tag(tag).ok_or(CodecError::InvalidTag {
                    what: "global parameter",
                    tag,
                })?;
                Call::SudoSetGlobal {
                    param,
                    value: Decode::decode_from(r)?,
                }
            }
            (3, 2) => Call::SudoSetKey {
                new: Decode::decode_from(r)?,
            },
            (0, tag) | (1, tag) | (2, tag) | (3, tag) => {
                return Err(CodecError::InvalidTag { what: "call", tag });
            }
            (tag, _) => {
                return Err(CodecError::InvalidTag {
                    what: "pallet",
                    tag,
                });
            }
        })
    }
}
