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

/// Declares [`Call`] from a table of calls whose fields go on the wire in declaration order
/// (each with its `(pallet, call)` tag and reference name), plus hand-written variants with
/// their tag, encoding and decoding arms; generates the enum, `tag_and_name`, `Encode` and
/// `Decode` from that one list, so that a call's fields are written down once.
macro_rules! calls {
    (
        plain {
            $(
                $(#[$doc:meta])*
                $variant:ident ($pallet:literal, $index:literal, $name:literal) {
                    $( $(#[$field_doc:meta])* $field:ident : $ty:ty, )*
                },
            )*
        }
        special { $($special:tt)* }
        tags { $( $tag_pattern:pat => $tag:expr, )* }
        encode($out:ident) { $( $encode_pattern:pat => $encode:expr, )* }
        decode($r:ident) { $( $decode_tag:pat => $decode:expr, )* }
    ) => {
        /// A runtime call.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Call {
            $(
                $(#[$doc])*
                $variant { $( $(#[$field_doc])* $field: $ty, )* },
            )*
            $($special)*
        }

        impl Call {
            /// The `(pallet, call)` tag and the reference's call name.
            fn tag_and_name(&self) -> ((u8, u8), &'static str) {
                match self {
                    $( Call::$variant { .. } => (($pallet, $index), $name), )*
                    $( $tag_pattern => $tag, )*
                }
            }
        }

        impl Encode for Call {
            fn encode_to(&self, $out: &mut Vec<u8>) {
                let ((pallet, call), _) = self.tag_and_name();
                $out.push(pallet);
                $out.push(call);
                match self {
                    $( Call::$variant { $($field),* } => { $( $field.encode_to($out); )* } )*
                    $( $encode_pattern => $encode, )*
                }
            }
        }

        impl Decode for Call {
            const MIN_SIZE: usize = 2;
            fn decode_from($r: &mut Reader<'_>) -> CodecResult<Self> {
                let [pallet, call] = $r.array::<2>()?;
                Ok(match (pallet, call) {
                    $(
                        ($pallet, $index) => Call::$variant {
                            $( $field: Decode::decode_from($r)?, )*
                        },
                    )*
                    $( $decode_tag => $decode, )*
                    (0..=3, tag) => {
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
    };
}

calls! {
    plain {
        /// Balances[0] `transfer_allow_death(dest, value)`: may reap the sender.
        TransferAllowDeath (0, 0, "transfer_allow_death") {
            /// Receiver.
            dest: PublicKey,
            /// Amount in RAO.
            value: u64,
        },
        /// Balances[3] `transfer_keep_alive(dest, value)`: the sender keeps the existential deposit.
        TransferKeepAlive (0, 3, "transfer_keep_alive") {
            /// Receiver.
            dest: PublicKey,
            /// Amount in RAO.
            value: u64,
        },
        /// Subtensor[0] `set_weights(netuid, dests, weights, version_key)`, signed by the hotkey.
        SetWeights (1, 0, "set_weights") {
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
        ServeAxon (1, 4, "serve_axon") {
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
        ServePrometheus (1, 5, "serve_prometheus") {
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
        Register (1, 6, "register") {
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
        BurnedRegister (1, 7, "burned_register") {
            /// Subnet.
            netuid: u16,
            /// Hotkey to register.
            hotkey: PublicKey,
        },
        /// Subtensor[59] `register_network(hotkey)`: create a subnet paying the lock cost.
        RegisterNetwork (1, 59, "register_network") {
            /// Owner hotkey (becomes uid 0).
            hotkey: PublicKey,
        },
        /// Subtensor[61] `dissolve_network(coldkey, netuid)` (root).
        DissolveNetwork (1, 61, "dissolve_network") {
            /// Owner coldkey (informational).
            coldkey: PublicKey,
            /// Subnet.
            netuid: u16,
        },
        /// Subtensor[92] `start_call(netuid)`: the owner starts emission.
        StartCall (1, 92, "start_call") {
            /// Subnet.
            netuid: u16,
        },
        /// Subtensor[96] `commit_weights(netuid, commit_hash)`.
        CommitWeights (1, 96, "commit_weights") {
            /// Subnet.
            netuid: u16,
            /// `blake2b-256(SCALE(hotkey, netuid, uids, values, salt, version_key))`.
            commit_hash: Hash,
        },
        /// Subtensor[97] `reveal_weights(netuid, uids, values, salt, version_key)`.
        RevealWeights (1, 97, "reveal_weights") {
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
        RegisterLimit (1, 134, "register_limit") {
            /// Subnet.
            netuid: u16,
            /// Hotkey to register.
            hotkey: PublicKey,
            /// Highest burn accepted, RAO.
            limit_price: u64,
        },
        /// Subtensor[2] `add_stake(hotkey, netuid, amount_staked)`: TAO buys alpha staked to
        /// `hotkey`, signed by the coldkey.
        AddStake (1, 2, "add_stake") {
            /// Hotkey staked to.
            hotkey: PublicKey,
            /// Subnet.
            netuid: u16,
            /// TAO, RAO.
            amount: u64,
        },
        /// Subtensor[3] `remove_stake(hotkey, netuid, amount_unstaked)`: sells alpha for TAO.
        RemoveStake (1, 3, "remove_stake") {
            /// Hotkey unstaked from.
            hotkey: PublicKey,
            /// Subnet.
            netuid: u16,
            /// Alpha, RAO.
            amount: u64,
        },
        /// Subtensor[88] `add_stake_limit(hotkey, netuid, amount, limit_price, allow_partial)`.
        AddStakeLimit (1, 88, "add_stake_limit") {
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
        RemoveStakeLimit (1, 89, "remove_stake_limit") {
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
        RemoveStakeFullLimit (1, 103, "remove_stake_full_limit") {
            /// Hotkey unstaked from.
            hotkey: PublicKey,
            /// Subnet.
            netuid: u16,
            /// Lowest price, TAO per alpha × 1e9, if any.
            limit_price: Option<u64>,
        },
        /// Subtensor[83] `unstake_all(hotkey)`: sells every position on `hotkey`.
        UnstakeAll (1, 83, "unstake_all") {
            /// Hotkey.
            hotkey: PublicKey,
        },
        /// Subtensor[85] `move_stake(origin_hotkey, destination_hotkey, origin_netuid,
        /// destination_netuid, alpha_amount)`; tao adds an optional limit (see `stake`).
        MoveStake (1, 85, "move_stake") {
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
        TransferStake (1, 86, "transfer_stake") {
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
        /// Subtensor[114] `set_coldkey_auto_stake_hotkey(netuid, hotkey)`.
        SetColdkeyAutoStakeHotkey (1, 114, "set_coldkey_auto_stake_hotkey") {
            /// Subnet.
            netuid: u16,
            /// Hotkey receiving the signer's miner incentive.
            hotkey: PublicKey,
        },
        /// Subtensor[65] `decrease_take(hotkey, take)`.
        DecreaseTake (1, 65, "decrease_take") {
            /// Hotkey (owned by the signer).
            hotkey: PublicKey,
            /// New take, fraction of 65535.
            take: u16,
        },
        /// Subtensor[66] `increase_take(hotkey, take)`.
        IncreaseTake (1, 66, "increase_take") {
            /// Hotkey (owned by the signer).
            hotkey: PublicKey,
            /// New take, fraction of 65535.
            take: u16,
        },
        /// Sudo[2] `set_key(new)`: hand the sudo key to another account.
        SudoSetKey (3, 2, "set_key") {
            /// New sudo key.
            new: PublicKey,
        },
    }
    special {
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
    }
    tags {
        Call::SwapStake {
            limit_price: None, ..
        } => ((1, 87), "swap_stake"),
        Call::SwapStake { .. } => ((1, 90), "swap_stake_limit"),
        Call::SudoSetHyperparameter { param, .. } => ((2, 0), param.call_name()),
        Call::SudoSetGlobal { param, .. } => ((2, 1), param.call_name()),
    }
    encode(out) {
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
        },
        Call::SudoSetHyperparameter {
            netuid,
            param,
            value,
        } => {
            netuid.encode_to(out);
            out.push(param.tag());
            value.encode_to(out);
        },
        Call::SudoSetGlobal { param, value } => {
            out.push(param.tag());
            value.encode_to(out);
        },
    }
    decode(r) {
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
        },
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
        },
    }
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
        self.tag_and_name().1
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
}
