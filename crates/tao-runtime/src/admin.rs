//! Admin calls: the `sudo_set_*` hyperparameter setters (owner-or-root or root, with the owner
//! rate limit), chain-wide parameters, sudo key rotation and `dissolve_network`.
//!
//! ```text
//! sudo_set_<param>(netuid, value): origin (root, or owner where allowed) → subnet exists
//!   → owner rate limit: last = 0 or now − last ≥ Tempo × OwnerHyperparamRateLimit
//!   → value within the parameter's bounds and cross-parameter rules → write, event
//! ```

use tao_crypto::PublicKey;

use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam, Setter};
use crate::neurons::DEFAULT_BURN;
use crate::state::{Key, State};
use crate::storage::{DResult, subnet_key};
use crate::subnets;
use crate::types::{Event, RAO_PER_TAO};

/// `MinBurnUpperBound`: the highest `MinBurn` allowed.
pub const MIN_BURN_UPPER_BOUND: u64 = RAO_PER_TAO;
/// `MaxBurnLowerBound`: the lowest `MaxBurn` allowed.
pub const MAX_BURN_LOWER_BOUND: u64 = DEFAULT_BURN;

fn is_root(s: &State<'_>, who: &PublicKey) -> DResult<bool> {
    Ok(s.sudo_key()? == Some(*who))
}

/// Fails with `BadOrigin` unless `who` holds the sudo key.
pub fn ensure_root(s: &State<'_>, who: &PublicKey, call: &'static str) -> DResult<()> {
    if is_root(s, who)? {
        Ok(())
    } else {
        Err(DispatchError::BadOrigin { call })
    }
}

fn last_update_key(netuid: u16, p: Hyperparam) -> Vec<u8> {
    Key::item("Subtensor.LastHyperparamUpdate")
        .u16(netuid)
        .bytes(&[p.tag()])
        .build()
}

fn check_bounds(name: &'static str, value: u64, (min, max): (u64, u64)) -> DResult<()> {
    if value < min || value > max {
        return Err(DispatchError::ValueNotInBounds {
            name,
            value,
            min,
            max,
        });
    }
    Ok(())
}

fn check_value(s: &State<'_>, netuid: u16, p: Hyperparam, value: u64) -> DResult<()> {
    if p == Hyperparam::RevealPeriodEpochs {
        if value < 1 {
            return Err(DispatchError::RevealPeriodOutOfRange {
                which: "RevealPeriodTooSmall",
                value,
            });
        }
        if value > 100 {
            return Err(DispatchError::RevealPeriodOutOfRange {
                which: "RevealPeriodTooLarge",
                value,
            });
        }
    }
    check_bounds(p.name(), value, p.bounds())?;
    match p {
        Hyperparam::MaxAllowedUids => {
            let min = s.hp(netuid, Hyperparam::MinAllowedUids)?;
            if value < min {
                return Err(DispatchError::MaxAllowedUidsLessThanMinAllowedUids { value, min });
            }
            let n = s.subnetwork_n(netuid)?;
            if value < u64::from(n) {
                return Err(DispatchError::MaxAllowedUIdsLessThanCurrentUIds { value, n });
            }
        }
        Hyperparam::MaxAllowedValidators => {
            let max = s.hp(netuid, Hyperparam::MaxAllowedUids)?;
            if value > max {
                return Err(DispatchError::MaxValidatorsLargerThanMaxUIds { value, max });
            }
        }
        Hyperparam::MinBurn => {
            let max = s.hp(netuid, Hyperparam::MaxBurn)?.min(MIN_BURN_UPPER_BOUND);
            check_bounds(p.name(), value, (0, max))?;
        }
        Hyperparam::MaxBurn => {
            let min = s.hp(netuid, Hyperparam::MinBurn)?.max(MAX_BURN_LOWER_BOUND);
            check_bounds(p.name(), value, (min, u64::MAX))?;
        }
        _ => {}
    }
    Ok(())
}

/// A `sudo_set_*` call on one subnet hyperparameter.
pub fn set_hyperparameter(
    s: &mut State<'_>,
    who: &PublicKey,
    netuid: u16,
    p: Hyperparam,
    value: u64,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    let root = is_root(s, who)?;
    match p.setter() {
        Setter::Nobody => return Err(DispatchError::NotSettable { name: p.name() }),
        Setter::Root if !root => {
            return Err(DispatchError::BadOrigin {
                call: p.call_name(),
            });
        }
        Setter::OwnerOrRoot if !root => {
            let owner: Option<PublicKey> = s.get(&subnet_key("Subtensor.SubnetOwner", netuid))?;
            if owner != Some(*who) {
                return Err(DispatchError::NotSubnetOwner {
                    netuid,
                    call: p.call_name(),
                });
            }
        }
        _ => {}
    }
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetDoesNotExist { netuid });
    }
    if !root {
        let last: u64 = s.get_or_default(&last_update_key(netuid, p))?;
        let limit = s
            .hp(netuid, Hyperparam::Tempo)?
            .saturating_mul(s.global(GlobalParam::OwnerHyperparamRateLimit)?);
        if last != 0 && now.saturating_sub(last) < limit {
            return Err(DispatchError::TxRateLimitExceeded {
                param: p,
                last,
                limit,
                retry_at: last.saturating_add(limit),
            });
        }
    }
    check_value(s, netuid, p, value)?;
    s.set_hp(netuid, p, value);
    if !root {
        s.put(last_update_key(netuid, p), &now);
    }
    ev.push(Event::HyperparameterSet {
        netuid,
        name: p.name(),
        value,
    });
    Ok(())
}

/// A root `sudo_set_*` call on a chain-wide parameter.
pub fn set_global(
    s: &mut State<'_>,
    who: &PublicKey,
    p: GlobalParam,
    value: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_root(s, who, p.call_name())?;
    if p.setter() == Setter::Nobody {
        return Err(DispatchError::NotSettable { name: p.name() });
    }
    check_bounds(p.name(), value, p.bounds())?;
    s.set_global(p, value);
    ev.push(Event::GlobalParameterSet {
        name: p.name(),
        value,
    });
    Ok(())
}

/// Sudo `set_key`.
pub fn set_key(
    s: &mut State<'_>,
    who: &PublicKey,
    new: &PublicKey,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_root(s, who, "set_key")?;
    s.set_sudo_key(new);
    ev.push(Event::SudoKeyChanged { new: *new });
    Ok(())
}

/// `dissolve_network(coldkey, netuid)` (root).
pub fn dissolve_network(
    s: &mut State<'_>,
    who: &PublicKey,
    netuid: u16,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_root(s, who, "dissolve_network")?;
    subnets::dissolve(s, netuid, ev)
}
