//! Neurons: registration at the burn price, uid assignment and pruning, the per-block burn
//! decay, and serving (axon, prometheus).
//!
//! ```text
//! burned_register(netuid, hotkey) signed by the coldkey:
//!   netuid ≠ 0; subnet exists; NetworkRegistrationAllowed; hotkey not yet on netuid;
//!   free ≥ Burn; Owner[hotkey] = coldkey (set if new); MaxAllowedUids ≠ 0 and, if full, a
//!   prunable uid exists
//!   pay Burn into the pool, swap it for alpha and burn that alpha
//!   uid = N (append) or get_neuron_to_prune() (replace)
//!   Burn = clamp(floor(Burn × max(BurnIncreaseMult, 1)), MinBurn, MaxBurn)
//! every block: Burn = clamp((Burn × f) >> 32, MinBurn, MaxBurn), f = decay_factor_q32(BurnHalfLife)
//! ```

use tao_crypto::PublicKey;

use crate::balances::withdraw;
use crate::error::DispatchError;
use crate::hyperparams::Hyperparam;
use crate::pool;
use crate::state::State;
use crate::storage::{DResult, hotkey_key, uid_key};
use crate::types::{AxonInfo, Event, PrometheusInfo};

/// `Burn[netuid]` storage item.
pub const BURN: &str = "Subtensor.Burn";
/// `Burn` of a new subnet (`DefaultNeuronBurnCost`, 1 TAO).
pub const NEW_SUBNET_BURN: u64 = 1_000_000_000;
/// Storage default of `Burn` (0.1 TAO).
pub const DEFAULT_BURN: u64 = 100_000_000;

/// Per-uid items cleared when a uid is replaced or its subnet dissolved.
pub const UID_ITEMS: &[&str] = &[
    "Subtensor.Emission",
    "Subtensor.ValidatorPermit",
    "Subtensor.Weights",
    "Subtensor.Bonds",
];

/// Per-(netuid, hotkey) items removed with the hotkey's registration.
pub const HOTKEY_ITEMS: &[&str] = &[
    "Subtensor.Uids",
    "Subtensor.Axons",
    "Subtensor.Prometheus",
    "Subtensor.WeightCommits",
];

/// Q32 multiply, saturating at u64::MAX (`mul_by_q32`).
pub fn mul_by_q32(value: u64, factor_q32: u64) -> u64 {
    let shifted = (u128::from(value) * u128::from(factor_q32)) >> 32;
    u64::try_from(shifted).unwrap_or(u64::MAX)
}

/// `base^exp` in Q32 by square-and-multiply, each product truncated (`pow_q32`).
pub fn pow_q32(base_q32: u64, exp: u16) -> u64 {
    let mut result = 1u64 << 32;
    let mut factor = base_q32;
    let mut power = u32::from(exp);
    while power > 0 {
        if power & 1 == 1 {
            result = mul_by_q32(result, factor);
        }
        power >>= 1;
        if power > 0 {
            factor = mul_by_q32(factor, factor);
        }
    }
    result
}

/// Largest Q32 factor `f < 1` with `f^half_life ≤ 0.5` (`decay_factor_q32`).
pub fn decay_factor_q32(half_life: u16) -> u64 {
    if half_life == 0 {
        return 1u64 << 32;
    }
    let (mut lo, mut hi) = (0u64, 1u64 << 32);
    while lo + 1 < hi {
        let mid = lo + ((hi - lo) >> 1);
        if pow_q32(mid, half_life) > 1u64 << 31 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    lo
}

fn clamp_burn(s: &State<'_>, netuid: u16, burn: u64) -> DResult<u64> {
    let min = s.hp(netuid, Hyperparam::MinBurn)?;
    let max = s.hp(netuid, Hyperparam::MaxBurn)?;
    Ok(if burn < min {
        min
    } else if burn > max {
        max
    } else {
        burn
    })
}

/// Current registration price of `netuid`.
pub fn burn(s: &State<'_>, netuid: u16) -> DResult<u64> {
    Ok(s.get(&crate::storage::subnet_key(BURN, netuid))?
        .unwrap_or(DEFAULT_BURN))
}

/// `update_registration_prices_for_networks`: decay every subnet's burn, reset the
/// per-block registration counter.
pub fn update_registration_prices(s: &mut State<'_>, now: u64) -> DResult<()> {
    for netuid in s.netuids()? {
        let old = burn(s, netuid)?;
        let half_life = u16::try_from(s.hp(netuid, Hyperparam::BurnHalfLife)?).unwrap_or(u16::MAX);
        let mut new = old;
        if half_life > 0 && now > 1 {
            new = mul_by_q32(old, decay_factor_q32(half_life));
        }
        let new = clamp_burn(s, netuid, new)?;
        if new != old {
            s.subnet_put(BURN, netuid, &new);
        }
        s.subnet_put("Subtensor.RegistrationsThisBlock", netuid, &0u16);
    }
    Ok(())
}

fn bump_registration_price(s: &mut State<'_>, netuid: u16) -> DResult<()> {
    let mult = s
        .hp(netuid, Hyperparam::BurnIncreaseMult)?
        .max(1_000_000_000);
    let raised = u128::from(burn(s, netuid)?) * u128::from(mult) / 1_000_000_000;
    let new = clamp_burn(s, netuid, u64::try_from(raised).unwrap_or(u64::MAX))?;
    s.subnet_put(BURN, netuid, &new);
    Ok(())
}

/// True while `uid` is within its `ImmunityPeriod`.
pub fn is_immune(s: &State<'_>, netuid: u16, uid: u16, now: u64) -> DResult<bool> {
    let reg: u64 = s.uid_get("Subtensor.BlockAtRegistration", netuid, uid)?;
    Ok(now.saturating_sub(reg) < s.hp(netuid, Hyperparam::ImmunityPeriod)?)
}

/// `get_immune_owner_hotkeys`: the owner's hotkeys on the subnet that are never pruned.
pub fn immune_owner_hotkeys(s: &State<'_>, netuid: u16) -> DResult<Vec<PublicKey>> {
    let owner: Option<PublicKey> =
        s.get(&crate::storage::subnet_key("Subtensor.SubnetOwner", netuid))?;
    let Some(owner) = owner else {
        return Ok(Vec::new());
    };
    let limit =
        usize::try_from(s.hp(netuid, Hyperparam::ImmuneOwnerUidsLimit)?).unwrap_or(usize::MAX);
    let mut regs = Vec::new();
    for hotkey in s.owned_hotkeys(&owner)? {
        if let Some(uid) = s.uid_of(netuid, &hotkey)? {
            let reg: u64 = s.uid_get("Subtensor.BlockAtRegistration", netuid, uid)?;
            regs.push((reg, uid, hotkey));
        }
    }
    regs.sort();
    let mut out: Vec<PublicKey> = regs.into_iter().map(|(_, _, h)| h).take(limit).collect();
    let owner_hotkey: Option<PublicKey> = s.get(&crate::storage::subnet_key(
        "Subtensor.SubnetOwnerHotkey",
        netuid,
    ))?;
    if let Some(oh) = owner_hotkey {
        out.retain(|h| *h != oh);
        out.insert(0, oh);
        out.truncate(limit);
    }
    Ok(out)
}

/// `get_neuron_to_prune`: the uid a registration on a full subnet replaces.
pub fn neuron_to_prune(s: &State<'_>, netuid: u16, now: u64) -> DResult<Option<u16>> {
    let n = s.subnetwork_n(netuid)?;
    let immortal = immune_owner_hotkeys(s, netuid)?;
    let mut free_count: u64 = 0;
    let mut best_non_immune: Option<(u64, u64, u16)> = None;
    let mut best_immune: Option<(u64, u64, u16)> = None;
    for uid in 0..n {
        let Some(hotkey) = s.hotkey_of(netuid, uid)? else {
            continue;
        };
        if immortal.contains(&hotkey) {
            continue;
        }
        let candidate = (
            s.uid_get::<u64>("Subtensor.Emission", netuid, uid)?,
            s.uid_get::<u64>("Subtensor.BlockAtRegistration", netuid, uid)?,
            uid,
        );
        let best = if is_immune(s, netuid, uid, now)? {
            &mut best_immune
        } else {
            free_count += 1;
            &mut best_non_immune
        };
        if best.is_none_or(|b| candidate < b) {
            *best = Some(candidate);
        }
    }
    if free_count > s.hp(netuid, Hyperparam::MinNonImmuneUids)?
        && let Some((_, _, uid)) = best_non_immune
    {
        return Ok(Some(uid));
    }
    Ok(best_immune.map(|(_, _, uid)| uid))
}

/// `append_neuron`: gives `hotkey` uid N.
pub fn append_neuron(s: &mut State<'_>, netuid: u16, hotkey: &PublicKey, now: u64) -> DResult<u16> {
    let uid = s.subnetwork_n(netuid)?;
    let next = uid.checked_add(1).ok_or(DispatchError::Overflow {
        what: "SubnetworkN",
    })?;
    s.subnet_put("Subtensor.SubnetworkN", netuid, &next);
    s.uid_put("Subtensor.Keys", netuid, uid, hotkey);
    s.put(hotkey_key("Subtensor.Uids", netuid, hotkey), &uid);
    s.uid_put("Subtensor.BlockAtRegistration", netuid, uid, &now);
    s.uid_put("Subtensor.LastUpdate", netuid, uid, &now);
    Ok(uid)
}

/// `replace_neuron`: gives `uid` to `hotkey`, clearing the old hotkey's registration data
/// (its stake is untouched). The subnet owner hotkey is never replaced.
pub fn replace_neuron(
    s: &mut State<'_>,
    netuid: u16,
    uid: u16,
    hotkey: &PublicKey,
    now: u64,
) -> DResult<()> {
    let Some(old) = s.hotkey_of(netuid, uid)? else {
        return Ok(());
    };
    let owner_hotkey: Option<PublicKey> = s.get(&crate::storage::subnet_key(
        "Subtensor.SubnetOwnerHotkey",
        netuid,
    ))?;
    if owner_hotkey == Some(old) {
        return Ok(());
    }
    for item in HOTKEY_ITEMS {
        s.delete(hotkey_key(item, netuid, &old));
    }
    s.uid_put("Subtensor.Keys", netuid, uid, hotkey);
    s.put(hotkey_key("Subtensor.Uids", netuid, hotkey), &uid);
    s.uid_put("Subtensor.BlockAtRegistration", netuid, uid, &now);
    for item in UID_ITEMS.iter().chain(crate::coinbase::EPOCH_UID_ITEMS) {
        s.delete(uid_key(item, netuid, uid));
    }
    let n = s.subnetwork_n(netuid)?;
    for other in 0..n {
        let key = uid_key("Subtensor.Weights", netuid, other);
        if let Some(mut row) = s.get::<Vec<(u16, u16)>>(&key)?
            && row.iter().any(|(dest, w)| *dest == uid && *w != 0)
        {
            for (dest, w) in row.iter_mut() {
                if *dest == uid {
                    *w = 0;
                }
            }
            s.put(key, &row);
        }
    }
    s.uid_put("Subtensor.LastUpdate", netuid, uid, &now);
    Ok(())
}

/// `burned_register` / `register` / `register_limit` (with `limit_price`).
pub fn register(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    netuid: u16,
    hotkey: &PublicKey,
    limit_price: Option<u64>,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if netuid == 0 {
        return Err(DispatchError::RegistrationNotPermittedOnRootSubnet);
    }
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    let cost = burn(s, netuid)?;
    if let Some(limit) = limit_price
        && cost > limit
    {
        return Err(DispatchError::RegistrationPriceLimitExceeded { burn: cost, limit });
    }
    if s.hp(netuid, Hyperparam::NetworkRegistrationAllowed)? == 0 {
        return Err(DispatchError::SubNetRegistrationDisabled { netuid, start: 0 });
    }
    if let Some(uid) = s.uid_of(netuid, hotkey)? {
        return Err(DispatchError::HotKeyAlreadyRegisteredInSubNet {
            netuid,
            uid,
            hotkey: hotkey.to_ss58(),
        });
    }
    let free = s.account(coldkey)?.free;
    if free < cost {
        return Err(DispatchError::NotEnoughBalanceToStake { cost, free });
    }
    s.create_account_if_non_existent(coldkey, hotkey)?;
    if let Some(owner) = s.hotkey_owner(hotkey)?
        && owner != *coldkey
    {
        return Err(DispatchError::NonAssociatedColdKey {
            hotkey: hotkey.to_ss58(),
            owner: owner.to_ss58(),
        });
    }
    let n = s.subnetwork_n(netuid)?;
    let max = s.hp(netuid, Hyperparam::MaxAllowedUids)?;
    let max16 = u16::try_from(max).unwrap_or(u16::MAX);
    let no_uid = DispatchError::NoNeuronIdAvailable {
        netuid,
        n,
        max: max16,
    };
    if max == 0 {
        return Err(no_uid);
    }
    let prune = if u64::from(n) >= max {
        Some(neuron_to_prune(s, netuid, now)?.ok_or(no_uid)?)
    } else {
        None
    };
    withdraw(s, coldkey, cost, ev)?;
    pool::burn_registration(s, netuid, cost)?;
    let uid = match prune {
        None => append_neuron(s, netuid, hotkey, now)?,
        Some(uid) => {
            replace_neuron(s, netuid, uid, hotkey, now)?;
            uid
        }
    };
    bump_registration_price(s, netuid)?;
    let regs: u16 = s.subnet_get("Subtensor.RegistrationsThisBlock", netuid)?;
    s.subnet_put(
        "Subtensor.RegistrationsThisBlock",
        netuid,
        &regs.saturating_add(1),
    );
    let recycled: u64 = s.subnet_get("Subtensor.RAORecycledForRegistration", netuid)?;
    s.subnet_put(
        "Subtensor.RAORecycledForRegistration",
        netuid,
        &recycled.saturating_add(cost),
    );
    ev.push(Event::NeuronRegistered {
        netuid,
        uid,
        hotkey: *hotkey,
    });
    Ok(())
}

fn validate_ip(ip: u128, ip_type: u8) -> DResult<()> {
    let ok = match ip_type {
        4 => ip < (1u128 << 32) - 1 && ip != 0x7f00_0001,
        6 => ip != u128::MAX && ip != 1,
        _ => return Err(DispatchError::InvalidIpType { ip_type }),
    };
    if ok {
        Ok(())
    } else {
        Err(DispatchError::InvalidIpAddress { ip, ip_type })
    }
}

fn check_serving_rate(s: &State<'_>, netuid: u16, prev_block: u64, now: u64) -> DResult<()> {
    let limit = s.hp(netuid, Hyperparam::ServingRateLimit)?;
    if limit == 0 || prev_block == 0 || now.saturating_sub(prev_block) >= limit {
        return Ok(());
    }
    Err(DispatchError::ServingRateLimitExceeded {
        last: prev_block,
        limit,
        retry_at: prev_block.saturating_add(limit),
    })
}

fn ensure_serving_hotkey(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<()> {
    if s.uid_of(netuid, hotkey)?.is_none() {
        return Err(DispatchError::HotKeyNotRegisteredInNetwork {
            netuid,
            hotkey: hotkey.to_ss58(),
        });
    }
    Ok(())
}

/// `serve_axon`, signed by the hotkey.
pub fn serve_axon(
    s: &mut State<'_>,
    hotkey: &PublicKey,
    mut axon: AxonInfo,
    netuid: u16,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_serving_hotkey(s, netuid, hotkey)?;
    validate_ip(axon.ip, axon.ip_type)?;
    let key = hotkey_key("Subtensor.Axons", netuid, hotkey);
    let prev: AxonInfo = s.get_or_default(&key)?;
    check_serving_rate(s, netuid, prev.block, now)?;
    if axon.port == 0 {
        return Err(DispatchError::InvalidPort);
    }
    axon.block = now;
    s.put(key, &axon);
    ev.push(Event::AxonServed {
        netuid,
        hotkey: *hotkey,
    });
    Ok(())
}

/// `serve_prometheus`, signed by the hotkey.
pub fn serve_prometheus(
    s: &mut State<'_>,
    hotkey: &PublicKey,
    mut info: PrometheusInfo,
    netuid: u16,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_serving_hotkey(s, netuid, hotkey)?;
    validate_ip(info.ip, info.ip_type)?;
    let key = hotkey_key("Subtensor.Prometheus", netuid, hotkey);
    let prev: PrometheusInfo = s.get_or_default(&key)?;
    check_serving_rate(s, netuid, prev.block, now)?;
    if info.port == 0 {
        return Err(DispatchError::InvalidPort);
    }
    info.block = now;
    s.put(key, &info);
    ev.push(Event::PrometheusServed {
        netuid,
        hotkey: *hotkey,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_factor_halves_over_half_life() {
        let f = decay_factor_q32(360);
        assert!(pow_q32(f, 360) <= 1 << 31);
        assert!(pow_q32(f + 1, 360) > 1 << 31);
        assert_eq!(decay_factor_q32(0), 1 << 32);
        assert_eq!(decay_factor_q32(1), 1 << 31);
        let mut burn = 1_000_000_000u64;
        for _ in 0..360 {
            burn = mul_by_q32(burn, f);
        }
        assert!((499_000_000..=500_000_000).contains(&burn), "{burn}");
    }

    #[test]
    fn ip_validation() {
        assert_eq!(
            validate_ip(1, 5),
            Err(DispatchError::InvalidIpType { ip_type: 5 })
        );
        assert!(validate_ip(0x7f00_0001, 4).is_err());
        assert!(validate_ip(u32::MAX as u128, 4).is_err());
        assert!(validate_ip(0x0a00_0001, 4).is_ok());
        assert!(validate_ip(1, 6).is_err());
        assert!(validate_ip(u128::MAX, 6).is_err());
        assert!(validate_ip(0, 6).is_ok());
    }
}
