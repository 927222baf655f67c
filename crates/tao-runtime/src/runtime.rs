//! Block execution: `apply_block(store, block) → (change set, receipts, events)`.
//!
//! ```text
//! apply_block:
//!   number = state.number + 1 (else BlockError::WrongNumber)
//!   on_initialize: decay registration prices, coinbase, due epochs (module `coinbase`)
//!   for each transaction:
//!     decode → genesis hash → signature → nonce → fee + tip payable   (any failure: Rejected, no change)
//!     nonce += 1; fee + tip → block author (burned if none)
//!     dispatch the call in its own layer; on error roll the layer back (Failed: fee and nonce stay)
//! ```
//! Signatures of all decodable transactions are first checked in one batch; only when the batch
//! fails are they checked one by one to find the culprits. [`apply_block_with`] lets a node skip
//! the transactions whose exact bytes (signature included: the hash covers every byte) it
//! already verified, e.g. at mempool entry; the outcome is the same as with [`apply_block`].

use tao_crypto::{PublicKey, Signature};

use crate::admin;
use crate::balances::{self, BURNED, TOTAL_ISSUANCE};
use crate::call::Call;
use crate::coinbase;
use crate::error::{BlockError, DispatchError, TxError};
use crate::neurons;
use crate::stake::{self, Limit, Transition};
use crate::state::State;
use crate::storage::DResult;
use crate::store::{ChangeSet, Hash, Store, blake2_256};
use crate::subnets;
use crate::tx::{Transaction, fee};
use crate::types::{AxonInfo, EXISTENTIAL_DEPOSIT, Event, PrometheusInfo};
use crate::weights;

/// A block as the runtime sees it: its number, its author (who collects fees) and the raw
/// transactions in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Block {
    /// Height; must be the state's height + 1.
    pub number: u64,
    /// Fee recipient; fees are burned when `None`.
    pub author: Option<PublicKey>,
    /// Encoded transactions.
    pub transactions: Vec<Vec<u8>>,
}

/// Outcome of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// The call succeeded.
    Applied,
    /// The call failed: fee paid, nonce bumped, the call's writes rolled back.
    Failed(DispatchError),
    /// The transaction was invalid: nothing changed.
    Rejected(TxError),
}

/// Receipt of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Transaction hash (`None` when undecodable).
    pub hash: Option<Hash>,
    /// What happened.
    pub status: TxStatus,
    /// Fee charged, RAO.
    pub fee: u64,
    /// Tip charged, RAO.
    pub tip: u64,
    /// Events the transaction emitted.
    pub events: Vec<Event>,
}

/// Everything a block's execution produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// Writes to commit to the store.
    pub changes: ChangeSet,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// Events of the block, in order.
    pub events: Vec<Event>,
}

/// Executes `block` on top of `store` without modifying it.
pub fn apply_block(store: &dyn Store, block: &Block) -> Result<BlockOutcome, BlockError> {
    apply_block_with(store, block, &|_| false)
}

/// [`apply_block`] for a caller that already verified some transactions' signatures:
/// `verified(hash)` is true when the transaction whose encoding hashes (blake2-256) to `hash`
/// carries a valid signature. Only the others are verified here. Since the hash covers every
/// byte (signature included), a correct `verified` cannot change the outcome.
pub fn apply_block_with(
    store: &dyn Store,
    block: &Block,
    verified: &dyn Fn(&Hash) -> bool,
) -> Result<BlockOutcome, BlockError> {
    let mut s = State::new(store);
    let current = s.block_number()?;
    let expected = current.saturating_add(1);
    if block.number != expected {
        return Err(BlockError::WrongNumber {
            current,
            expected,
            got: block.number,
        });
    }
    let now = block.number;
    s.set_block_number(now);
    neurons::update_registration_prices(&mut s, now)?;
    let mut events = Vec::new();
    coinbase::on_initialize(&mut s, now, &mut events)?;
    let genesis = s.genesis_hash()?;

    let decoded: Vec<Result<Transaction, TxError>> = block
        .transactions
        .iter()
        .map(|bytes| Transaction::from_bytes(bytes))
        .collect();
    let hashes: Vec<Hash> = block.transactions.iter().map(|b| blake2_256(b)).collect();
    let known: Vec<bool> = decoded
        .iter()
        .zip(&hashes)
        .map(|(t, h)| t.is_ok() && verified(h))
        .collect();
    let payloads: Vec<(usize, Vec<u8>)> = decoded
        .iter()
        .enumerate()
        .filter(|(i, _)| !known[*i])
        .filter_map(|(i, t)| t.as_ref().ok().map(|t| (i, t.signing_payload())))
        .collect();
    let items: Vec<(&[u8], &Signature, &PublicKey)> = payloads
        .iter()
        .filter_map(|(i, p)| {
            decoded[*i]
                .as_ref()
                .ok()
                .map(|t| (p.as_slice(), &t.signature, &t.signer))
        })
        .collect();
    let batch_ok = !items.is_empty() && tao_crypto::verify_batch(&items);

    let mut receipts = Vec::with_capacity(block.transactions.len());
    for (((bytes, tx), hash), known) in block
        .transactions
        .iter()
        .zip(decoded)
        .zip(hashes)
        .zip(known)
    {
        let receipt = match tx {
            Err(e) => Receipt {
                hash: None,
                status: TxStatus::Rejected(e),
                fee: 0,
                tip: 0,
                events: vec![],
            },
            Ok(tx) => apply_transaction(
                &mut s,
                &tx,
                bytes.len(),
                hash,
                &genesis,
                batch_ok || known,
                block.author.as_ref(),
                now,
            )?,
        };
        events.extend(receipt.events.iter().cloned());
        receipts.push(receipt);
    }
    Ok(BlockOutcome {
        changes: s.into_changes(),
        receipts,
        events,
    })
}

/// Checks a transaction against the state as it stands (for a mempool): everything a block
/// would check before charging the fee.
pub fn validate_transaction(store: &dyn Store, bytes: &[u8]) -> Result<Transaction, TxError> {
    let tx = Transaction::from_bytes(bytes)?;
    validate_decoded(store, &tx, bytes.len(), false)?;
    Ok(tx)
}

/// [`validate_transaction`] on an already decoded transaction of `encoded_len` bytes, skipping
/// the signature check when `signature_verified` (the caller checked it, e.g. outside a lock).
pub fn validate_decoded(
    store: &dyn Store,
    tx: &Transaction,
    encoded_len: usize,
    signature_verified: bool,
) -> Result<(), TxError> {
    let s = State::new(store);
    precheck(&s, tx, encoded_len, &s.genesis_hash()?, signature_verified).map(|_| ())
}

fn precheck(
    s: &State<'_>,
    tx: &Transaction,
    len: usize,
    genesis: &Hash,
    verified: bool,
) -> Result<u64, TxError> {
    if tx.genesis_hash != *genesis {
        return Err(TxError::WrongGenesis {
            expected: hex::encode(genesis),
            got: hex::encode(tx.genesis_hash),
        });
    }
    if !verified && !tx.verify() {
        return Err(TxError::BadSignature {
            signer: tx.signer.to_ss58(),
        });
    }
    let info = s.account(&tx.signer)?;
    if tx.nonce < info.nonce {
        return Err(TxError::StaleNonce {
            signer: tx.signer.to_ss58(),
            expected: info.nonce,
            got: tx.nonce,
        });
    }
    if tx.nonce > info.nonce {
        return Err(TxError::FutureNonce {
            signer: tx.signer.to_ss58(),
            expected: info.nonce,
            got: tx.nonce,
        });
    }
    let fee = fee(&tx.call, len);
    let cannot = TxError::CannotPayFee {
        fee,
        tip: tx.tip,
        free: info.free,
        ed: EXISTENTIAL_DEPOSIT,
    };
    let total = fee.checked_add(tx.tip).ok_or_else(|| cannot.clone())?;
    if total > 0
        && info
            .free
            .checked_sub(total)
            .is_none_or(|left| left < EXISTENTIAL_DEPOSIT)
    {
        return Err(cannot);
    }
    Ok(fee)
}

#[allow(clippy::too_many_arguments)]
fn apply_transaction(
    s: &mut State<'_>,
    tx: &Transaction,
    len: usize,
    hash: Hash,
    genesis: &Hash,
    verified: bool,
    author: Option<&PublicKey>,
    now: u64,
) -> Result<Receipt, BlockError> {
    let hash = Some(hash);
    let fee = match precheck(s, tx, len, genesis, verified) {
        Ok(fee) => fee,
        Err(TxError::State(e)) => return Err(BlockError::State(e)),
        Err(e) => {
            return Ok(Receipt {
                hash,
                status: TxStatus::Rejected(e),
                fee: 0,
                tip: 0,
                events: vec![],
            });
        }
    };
    let mut events = Vec::new();
    charge(s, tx, fee, author, &mut events)?;
    s.begin();
    let mark = events.len();
    let status = match dispatch(s, &tx.signer, &tx.call, author, now, &mut events) {
        Ok(()) => {
            s.commit_layer();
            TxStatus::Applied
        }
        Err(DispatchError::CorruptState { key, reason }) => {
            return Err(BlockError::State(DispatchError::CorruptState {
                key,
                reason,
            }));
        }
        Err(e) => {
            s.rollback();
            events.truncate(mark);
            events.push(Event::ExtrinsicFailed {
                who: tx.signer,
                error: e.to_string(),
            });
            TxStatus::Failed(e)
        }
    };
    Ok(Receipt {
        hash,
        status,
        fee,
        tip: tx.tip,
        events,
    })
}

fn charge(
    s: &mut State<'_>,
    tx: &Transaction,
    fee: u64,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    let mut info = s.account(&tx.signer)?;
    let total = fee.saturating_add(tx.tip);
    info.nonce = info.nonce.saturating_add(1);
    info.free = info.free.saturating_sub(total);
    s.set_account(&tx.signer, info);
    if total > 0 {
        let author_free = match author {
            Some(a) => balances::free_balance(s, a)?,
            None => 0,
        };
        match author {
            Some(a)
                if author_free.saturating_add(total) >= EXISTENTIAL_DEPOSIT
                    && author_free.checked_add(total).is_some() =>
            {
                balances::deposit(s, a, total)?;
            }
            _ => {
                s.sub_counter(TOTAL_ISSUANCE, total)?;
                s.add_counter(BURNED, total)?;
            }
        }
        ev.push(Event::TransactionFeePaid {
            who: tx.signer,
            actual_fee: fee,
            tip: tx.tip,
        });
    }
    Ok(())
}

fn dispatch(
    s: &mut State<'_>,
    who: &PublicKey,
    call: &Call,
    author: Option<&PublicKey>,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    match call {
        Call::AddStake {
            hotkey,
            netuid,
            amount,
        } => stake::add_stake(s, who, hotkey, *netuid, *amount, None, author, ev),
        Call::AddStakeLimit {
            hotkey,
            netuid,
            amount,
            limit_price,
            allow_partial,
        } => {
            let limit = Limit {
                price: *limit_price,
                allow_partial: *allow_partial,
            };
            stake::add_stake(s, who, hotkey, *netuid, *amount, Some(limit), author, ev)
        }
        Call::RemoveStake {
            hotkey,
            netuid,
            amount,
        } => stake::remove_stake(s, who, hotkey, *netuid, *amount, None, author, ev),
        Call::RemoveStakeLimit {
            hotkey,
            netuid,
            amount,
            limit_price,
            allow_partial,
        } => {
            let limit = Limit {
                price: *limit_price,
                allow_partial: *allow_partial,
            };
            stake::remove_stake(s, who, hotkey, *netuid, *amount, Some(limit), author, ev)
        }
        Call::RemoveStakeFullLimit {
            hotkey,
            netuid,
            limit_price,
        } => stake::remove_stake_full(s, who, hotkey, *netuid, *limit_price, author, ev),
        Call::UnstakeAll { hotkey } => stake::unstake_all(s, who, hotkey, author, ev),
        Call::MoveStake {
            origin_hotkey,
            destination_hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
            limit_price,
        } => {
            let t = Transition {
                origin_coldkey: *who,
                origin_hotkey: *origin_hotkey,
                origin_netuid: *origin_netuid,
                dest_coldkey: *who,
                dest_hotkey: *destination_hotkey,
                dest_netuid: *destination_netuid,
                alpha: *alpha_amount,
                limit_price: *limit_price,
            };
            stake::transition(s, &t, author, ev).map(|_| ())
        }
        Call::TransferStake {
            destination_coldkey,
            hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
            limit_price,
        } => {
            stake::ensure_transfer_allowed(s, *origin_netuid, *destination_netuid)?;
            let t = Transition {
                origin_coldkey: *who,
                origin_hotkey: *hotkey,
                origin_netuid: *origin_netuid,
                dest_coldkey: *destination_coldkey,
                dest_hotkey: *hotkey,
                dest_netuid: *destination_netuid,
                alpha: *alpha_amount,
                limit_price: *limit_price,
            };
            stake::transition(s, &t, author, ev).map(|_| ())
        }
        Call::SwapStake {
            hotkey,
            origin_netuid,
            destination_netuid,
            alpha_amount,
            limit_price,
        } => {
            let t = Transition {
                origin_coldkey: *who,
                origin_hotkey: *hotkey,
                origin_netuid: *origin_netuid,
                dest_coldkey: *who,
                dest_hotkey: *hotkey,
                dest_netuid: *destination_netuid,
                alpha: *alpha_amount,
                limit_price: *limit_price,
            };
            stake::transition(s, &t, author, ev).map(|_| ())
        }
        Call::SetColdkeyAutoStakeHotkey { netuid, hotkey } => {
            stake::set_auto_stake_hotkey(s, who, *netuid, hotkey, ev)
        }
        Call::DecreaseTake { hotkey, take } => stake::decrease_take(s, who, hotkey, *take, now, ev),
        Call::IncreaseTake { hotkey, take } => stake::increase_take(s, who, hotkey, *take, now, ev),
        Call::TransferAllowDeath { dest, value } => {
            balances::transfer(s, who, dest, *value, false, ev)
        }
        Call::TransferKeepAlive { dest, value } => {
            balances::transfer(s, who, dest, *value, true, ev)
        }
        Call::SetWeights {
            netuid,
            dests,
            weights,
            version_key,
        } => weights::set_weights(s, who, *netuid, dests, weights, *version_key, now, ev),
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
            let axon = AxonInfo {
                block: now,
                version: *version,
                ip: *ip,
                port: *port,
                ip_type: *ip_type,
                protocol: *protocol,
                placeholder1: *placeholder1,
                placeholder2: *placeholder2,
            };
            neurons::serve_axon(s, who, axon, *netuid, now, ev)
        }
        Call::ServePrometheus {
            netuid,
            version,
            ip,
            port,
            ip_type,
        } => {
            let info = PrometheusInfo {
                block: now,
                version: *version,
                ip: *ip,
                port: *port,
                ip_type: *ip_type,
            };
            neurons::serve_prometheus(s, who, info, *netuid, now, ev)
        }
        Call::Register { netuid, hotkey, .. } | Call::BurnedRegister { netuid, hotkey } => {
            neurons::register(s, who, *netuid, hotkey, None, now, ev)
        }
        Call::RegisterLimit {
            netuid,
            hotkey,
            limit_price,
        } => neurons::register(s, who, *netuid, hotkey, Some(*limit_price), now, ev),
        Call::RegisterNetwork { hotkey } => subnets::register_network(s, who, hotkey, now, ev),
        Call::DissolveNetwork { netuid, .. } => admin::dissolve_network(s, who, *netuid, ev),
        Call::StartCall { netuid } => subnets::start_call(s, who, *netuid, now, ev),
        Call::CommitWeights {
            netuid,
            commit_hash,
        } => weights::commit_weights(s, who, *netuid, *commit_hash, now, ev),
        Call::RevealWeights {
            netuid,
            uids,
            values,
            salt,
            version_key,
        } => weights::reveal_weights(s, who, *netuid, uids, values, salt, *version_key, now, ev),
        Call::SudoSetHyperparameter {
            netuid,
            param,
            value,
        } => admin::set_hyperparameter(s, who, *netuid, *param, *value, now, ev),
        Call::SudoSetGlobal { param, value } => admin::set_global(s, who, *param, *value, ev),
        Call::SudoSetKey { new } => admin::set_key(s, who, new, ev),
    }
}
