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
            Call::SudoSetHyperparameter { param, .. } => param.call_name(),
            Call::SudoSetGlobal { param, .. } => param.call_name(),
            Call::SudoSetKey { .. } => "set_key",
        }
    }

    /// Fee class of the call.
    pub fn fee_class(&self) -> FeeClass {
        match self {
            Call::TransferAllowDeath { .. } | Call::TransferKeepAlive { .. } => FeeClass::Transfer,
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
