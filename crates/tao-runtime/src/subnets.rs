//! Subnets: creation at the network lock cost, `start_call`, dissolution, and the per-block
//! epoch bookkeeping (`LastEpochBlock`, `SubnetEpochIndex`) that commit-reveal keys off.
//!
//! ```text
//! lock_cost = max(NetworkMinLockCost,
//!                 last_lock × (1 if last_block = 0 else 2) − (last_lock / LockReductionInterval) × (now − last_block))
//! register_network(hotkey) signed by the coldkey:
//!   hotkey unused or owned by the caller; not a subnet account; now ≥ NetworkRegistrationStartBlock;
//!   last_block = 0 or now − last_block ≥ NetworkRateLimit; subnet count < SubnetLimit or a
//!   subnet is prunable; free ≥ lock_cost
//!   netuid = pruned netuid or smallest unused ≥ 1; pool seeded with the lock at the median price;
//!   hotkey becomes uid 0 and SubnetOwnerHotkey
//! should_run_epoch: Tempo ≠ 0 and (PendingEpochAt reached, BlocksSinceLastStep > 50 400 or
//!                   now − LastEpochBlock ≥ Tempo); the epochs themselves run in `coinbase`
//! ```

use tao_crypto::PublicKey;

use crate::balances::{RECYCLED, TOTAL_ISSUANCE, withdraw};
use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::neurons::{BURN, HOTKEY_ITEMS, NEW_SUBNET_BURN, UID_ITEMS, append_neuron};
use crate::pool::{self, SUBNET_ALPHA_IN, SUBNET_ALPHA_OUT, SUBNET_TAO};
use crate::state::{Key, State};
use crate::storage::{DResult, hotkey_key, hp_key, subnet_default_key, subnet_key, uid_key};
use crate::types::Event;

/// `MAX_TEMPO`: an epoch is forced after this many blocks without one.
pub const MAX_TEMPO: u64 = 50_400;

/// Per-subnet items removed when a subnet is dissolved.
pub const SUBNET_ITEMS: &[&str] = &[
    "Subtensor.SubnetworkN",
    "Subtensor.SubnetOwner",
    "Subtensor.SubnetOwnerHotkey",
    "Subtensor.NetworkRegisteredAt",
    BURN,
    SUBNET_TAO,
    SUBNET_ALPHA_IN,
    SUBNET_ALPHA_OUT,
    "Subtensor.SubnetLocked",
    "Subtensor.SubnetMechanism",
    "Subtensor.RAORecycledForRegistration",
    "Subtensor.RegistrationsThisBlock",
    "Subtensor.FirstEmissionBlockNumber",
    "Subtensor.LastEpochBlock",
    "Subtensor.SubnetEpochIndex",
    "Subtensor.BlocksSinceLastStep",
    "Subtensor.SubnetMovingPrice",
];

/// `PalletId(*b"subtensr").into_sub_account_truncating(netuid)`: the account holding a
/// subnet's pool TAO.
pub fn subnet_account_id(netuid: u16) -> PublicKey {
    let mut bytes = [0u8; 32];
    bytes[..4].copy_from_slice(b"modl");
    bytes[4..12].copy_from_slice(b"subtensr");
    bytes[12..14].copy_from_slice(&netuid.to_le_bytes());
    PublicKey(bytes)
}

/// The netuid whose system account `account` is, if any.
pub fn is_subnet_account_id(account: &PublicKey) -> Option<u16> {
    let b = &account.0;
    (b[..12] == *b"modlsubtensr" && b[14..].iter().all(|x| *x == 0))
        .then(|| u16::from_le_bytes([b[12], b[13]]))
}

/// `get_network_lock_cost`.
pub fn lock_cost(s: &State<'_>, now: u64) -> DResult<u64> {
    let min = s.global(GlobalParam::NetworkMinLockCost)?;
    let last_lock: u64 = s
        .get(&Key::item("Subtensor.NetworkLastLockCost").build())?
        .unwrap_or(min);
    let last_block: u64 = s.get_or_default(&Key::item("Subtensor.NetworkLastLockBlock").build())?;
    let interval = s.global(GlobalParam::NetworkLockReductionInterval)?;
    let mult = if last_block == 0 { 1 } else { 2 };
    let per_block = last_lock.checked_div(interval).unwrap_or(0);
    let cost = last_lock
        .saturating_mul(mult)
        .saturating_sub(per_block.saturating_mul(now.saturating_sub(last_block)));
    Ok(cost.max(min))
}

fn next_netuid(netuids: &[u16]) -> DResult<u16> {
    let mut candidate: u16 = 1;
    for &n in netuids {
        if n == candidate {
            candidate = candidate
                .checked_add(1)
                .ok_or(DispatchError::Overflow { what: "netuid" })?;
        }
    }
    Ok(candidate)
}

/// `get_network_to_prune`: lowest moving price, then earliest registration, among non-root
/// subnets past `NetworkImmunityPeriod`.
pub fn network_to_prune(s: &State<'_>, now: u64) -> DResult<Option<u16>> {
    let immunity = s.global(GlobalParam::NetworkImmunityPeriod)?;
    let mut best: Option<(u128, u64, u16)> = None;
    for netuid in s.netuids()? {
        if netuid == 0 {
            continue;
        }
        let registered: u64 = s.subnet_get("Subtensor.NetworkRegisteredAt", netuid)?;
        if now.saturating_sub(registered) < immunity {
            continue;
        }
        let price: u128 = s.subnet_get("Subtensor.SubnetMovingPrice", netuid)?;
        let candidate = (price, registered, netuid);
        if best.is_none_or(|b| candidate < b) {
            best = Some(candidate);
        }
    }
    Ok(best.map(|(_, _, n)| n))
}

/// `init_new_network`: writes a new subnet's hyperparameters and epoch schedule.
fn init_new_network(s: &mut State<'_>, netuid: u16, now: u64) -> DResult<()> {
    for &p in Hyperparam::ALL {
        let value = match s.get::<u64>(&subnet_default_key(p))? {
            Some(v) => v,
            None if p == Hyperparam::Tempo => s.global(GlobalParam::DefaultTempo)?,
            None => p.new_subnet_value().unwrap_or(p.default_value()),
        };
        s.set_hp(netuid, p, value);
    }
    let tempo = s.hp(netuid, Hyperparam::Tempo)?;
    let stagger = u64::from(netuid).checked_rem(tempo).unwrap_or(0);
    s.subnet_put(
        "Subtensor.LastEpochBlock",
        netuid,
        &now.saturating_sub(stagger),
    );
    s.subnet_put("Subtensor.SubnetworkN", netuid, &0u16);
    s.subnet_put(BURN, netuid, &NEW_SUBNET_BURN);
    let mut netuids = s.netuids()?;
    if let Err(pos) = netuids.binary_search(&netuid) {
        netuids.insert(pos, netuid);
    }
    s.set_netuids(&netuids);
    Ok(())
}

/// `register_network(hotkey)`.
pub fn register_network(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if let Some(owner) = s.hotkey_owner(hotkey)?
        && owner != *coldkey
    {
        return Err(DispatchError::NonAssociatedColdKey {
            hotkey: hotkey.to_ss58(),
            owner: owner.to_ss58(),
        });
    }
    if is_subnet_account_id(hotkey).is_some() {
        return Err(DispatchError::CannotUseSystemAccount {
            account: hotkey.to_ss58(),
        });
    }
    let start = s.global(GlobalParam::NetworkRegistrationStartBlock)?;
    if now < start {
        return Err(DispatchError::SubNetRegistrationDisabled { netuid: 0, start });
    }
    let last: u64 = s.get_or_default(&Key::item("Subtensor.NetworkLastLockBlock").build())?;
    let limit = s.global(GlobalParam::NetworkRateLimit)?;
    if last != 0 && now.saturating_sub(last) < limit {
        return Err(DispatchError::NetworkTxRateLimitExceeded {
            last,
            limit,
            retry_at: last.saturating_add(limit),
        });
    }
    let netuids = s.netuids()?;
    let count = u16::try_from(netuids.iter().filter(|n| **n != 0).count()).unwrap_or(u16::MAX);
    let subnet_limit = u16::try_from(s.global(GlobalParam::SubnetLimit)?).unwrap_or(u16::MAX);
    let recycle = if count >= subnet_limit {
        Some(
            network_to_prune(s, now)?.ok_or(DispatchError::SubnetLimitReached {
                count,
                limit: subnet_limit,
            })?,
        )
    } else {
        None
    };
    let lock = lock_cost(s, now)?;
    let free = s.account(coldkey)?.free;
    if free < lock {
        return Err(DispatchError::CannotAffordLockCost {
            lock_cost: lock,
            free,
        });
    }
    if let Some(pruned) = recycle {
        dissolve(s, pruned, ev)?;
    }
    let netuid = match recycle {
        Some(n) => n,
        None => next_netuid(&s.netuids()?)?,
    };
    let median = pool::median_price_u64f64(s)?;
    init_new_network(s, netuid, now)?;
    withdraw(s, coldkey, lock, ev)?;
    s.put(Key::item("Subtensor.NetworkLastLockCost").build(), &lock);
    s.put(Key::item("Subtensor.NetworkLastLockBlock").build(), &now);
    s.create_account_if_non_existent(coldkey, hotkey)?;
    append_neuron(s, netuid, hotkey, now)?;
    s.subnet_put("Subtensor.SubnetMechanism", netuid, &1u16);
    s.subnet_put("Subtensor.NetworkRegisteredAt", netuid, &now);
    let alpha_in = u64::try_from((u128::from(lock) << 64).checked_div(median).unwrap_or(0))
        .unwrap_or(u64::MAX);
    s.subnet_put(SUBNET_TAO, netuid, &lock);
    s.subnet_put(SUBNET_ALPHA_IN, netuid, &alpha_in);
    s.subnet_put(SUBNET_ALPHA_OUT, netuid, &0u64);
    s.subnet_put("Subtensor.SubnetOwner", netuid, coldkey);
    s.subnet_put("Subtensor.SubnetOwnerHotkey", netuid, hotkey);
    s.subnet_put("Subtensor.SubnetLocked", netuid, &lock);
    s.subnet_put("Subtensor.RAORecycledForRegistration", netuid, &0u64);
    ev.push(Event::NetworkAdded { netuid, mechid: 1 });
    s.set_hp(netuid, Hyperparam::SubnetEmissionEnabled, 0);
    Ok(())
}

/// `start_call(netuid)`: the owner enables emission and the subnet token.
pub fn start_call(
    s: &mut State<'_>,
    who: &PublicKey,
    netuid: u16,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    let owner: Option<PublicKey> = s.get(&subnet_key("Subtensor.SubnetOwner", netuid))?;
    if owner != Some(*who) {
        return Err(DispatchError::BadOrigin { call: "start_call" });
    }
    if let Some(block) = s.get::<u64>(&subnet_key("Subtensor.FirstEmissionBlockNumber", netuid))? {
        return Err(DispatchError::FirstEmissionBlockNumberAlreadySet { netuid, block });
    }
    let registered: u64 = s.subnet_get("Subtensor.NetworkRegisteredAt", netuid)?;
    let retry_at = registered.saturating_add(s.global(GlobalParam::StartCallDelay)?);
    if now < retry_at {
        return Err(DispatchError::NeedWaitingMoreBlocksToStarCall { netuid, retry_at });
    }
    let block = now.saturating_add(1);
    s.subnet_put("Subtensor.FirstEmissionBlockNumber", netuid, &block);
    s.set_hp(netuid, Hyperparam::SubtokenEnabled, 1);
    ev.push(Event::FirstEmissionBlockNumberSet { netuid, block });
    Ok(())
}

/// `do_dissolve_network`: the pool's TAO is paid out to the subnet's stakers pro rata to their
/// alpha (floor), the rounding rest is recycled (the owner gets no lock refund), and every
/// item of the subnet, stakes included, is removed.
pub fn dissolve(s: &mut State<'_>, netuid: u16, ev: &mut Vec<Event>) -> DResult<()> {
    if netuid == 0 || !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    let pot: u64 = s.subnet_get(SUBNET_TAO, netuid)?;
    let refunded = crate::stake::refund_and_clear(s, netuid, pot)?;
    let rest = pot.saturating_sub(refunded);
    s.sub_counter(TOTAL_ISSUANCE, rest)?;
    s.add_counter(RECYCLED, rest)?;
    let n = s.subnetwork_n(netuid)?;
    for uid in 0..n {
        if let Some(hotkey) = s.hotkey_of(netuid, uid)? {
            for item in HOTKEY_ITEMS {
                s.delete(hotkey_key(item, netuid, &hotkey));
            }
        }
        for item in UID_ITEMS
            .iter()
            .chain(crate::coinbase::EPOCH_UID_ITEMS)
            .chain(&[
                "Subtensor.Keys",
                "Subtensor.BlockAtRegistration",
                "Subtensor.LastUpdate",
            ])
        {
            s.delete(uid_key(item, netuid, uid));
        }
    }
    for item in SUBNET_ITEMS.iter().chain(crate::coinbase::COINBASE_ITEMS) {
        s.delete(subnet_key(item, netuid));
    }
    for &p in Hyperparam::ALL {
        s.delete(hp_key(netuid, p));
        s.delete(
            Key::item("Subtensor.LastHyperparamUpdate")
                .u16(netuid)
                .bytes(&[p.tag()])
                .build(),
        );
    }
    let mut netuids = s.netuids()?;
    netuids.retain(|n| *n != netuid);
    s.set_netuids(&netuids);
    ev.push(Event::NetworkRemoved { netuid });
    Ok(())
}

/// `should_run_epoch`.
pub fn should_run_epoch(s: &State<'_>, netuid: u16, now: u64) -> DResult<bool> {
    let tempo = s.hp(netuid, Hyperparam::Tempo)?;
    if tempo == 0 {
        return Ok(false);
    }
    let pending_at: u64 = s.subnet_get(crate::coinbase::PENDING_EPOCH_AT, netuid)?;
    if pending_at > 0 && now >= pending_at {
        return Ok(true);
    }
    let since: u64 = s.subnet_get("Subtensor.BlocksSinceLastStep", netuid)?;
    let last: u64 = s.subnet_get("Subtensor.LastEpochBlock", netuid)?;
    Ok(since > MAX_TEMPO || now.saturating_sub(last) >= tempo)
}

/// Epoch index a commit or reveal made now belongs to (`current_epoch_with_lookahead`).
pub fn current_epoch_with_lookahead(s: &State<'_>, netuid: u16, now: u64) -> DResult<u64> {
    let base: u64 = s.subnet_get("Subtensor.SubnetEpochIndex", netuid)?;
    Ok(if should_run_epoch(s, netuid, now)? {
        base.saturating_add(1)
    } else {
        base
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_accounts_round_trip() {
        assert_eq!(is_subnet_account_id(&subnet_account_id(7)), Some(7));
        assert_eq!(is_subnet_account_id(&PublicKey([1; 32])), None);
    }

    #[test]
    fn next_netuid_fills_gaps() {
        assert_eq!(next_netuid(&[0, 1, 2, 4]).ok(), Some(3));
        assert_eq!(next_netuid(&[0]).ok(), Some(1));
    }
}
