//! Staking: alpha held per (hotkey, coldkey, netuid) through a share pool per (netuid,
//! hotkey), the staking calls (add, remove, move, transfer, swap, unstake all, with limit
//! prices) and the delegate take.
//!
//! ```text
//! TotalHotkeyAlpha[n][h]   alpha value of h's pool on n (the stake Yuma sees)
//! TotalHotkeyShares[n][h]  share denominator
//! Alpha[n][h][c]           c's shares
//! stake(h, c, n)  = floor(shares · TotalHotkeyAlpha / TotalHotkeyShares)
//! credit a        : shares += a · S / T (a when the pool is empty); T += a
//! debit a         : shares −= ceil(a · S / T) (all of them for the whole position); T −= a
//! dividend d      : T += d (no new shares: every holder gains pro rata)
//! ```
//! Shares start 1:1 with alpha and only dividends raise their value, so `S ≤ T` and every
//! product fits in u128. Rounding always favours the pool, never the caller.
//!
//! Swaps are tao-econ's: a dynamic subnet buys and sells through its weighted pool (fee to
//! the block author, burned without one); root (netuid 0) is 1:1 TAO with no fee. Every
//! cross-subnet move pays exactly one fee (the origin leg, or the destination leg when the
//! origin is root), as on the reference, and may carry a limit: the least destination alpha
//! per origin alpha, ×1e9.

use tao_crypto::PublicKey;
use tao_econ::pool::{self as econ_pool, DEFAULT_MIN_STAKE, FeeDest, MAX_PRICE, SwapError};

use crate::balances::{self, BURNED, TOTAL_ISSUANCE};
use crate::codec::Decode;
use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::pool;
use crate::state::{Key, State};
use crate::storage::{DResult, hotkey_key};
use crate::types::Event;

/// `TotalHotkeyAlpha[netuid][hotkey]`.
pub const TOTAL_HOTKEY_ALPHA: &str = "Subtensor.TotalHotkeyAlpha";
/// `TotalHotkeyShares[netuid][hotkey]`.
pub const TOTAL_HOTKEY_SHARES: &str = "Subtensor.TotalHotkeyShares";
/// `Alpha[netuid][hotkey][coldkey]`: shares.
pub const ALPHA_SHARES: &str = "Subtensor.Alpha";
/// `StakingHotkeys[coldkey]`: hotkeys the coldkey has staked to.
pub const STAKING_HOTKEYS: &str = "Subtensor.StakingHotkeys";
/// `Delegates[hotkey]`: the delegate take.
pub const DELEGATES: &str = "Subtensor.Delegates";
/// `LastTxBlockDelegateTake[hotkey]`.
pub const LAST_TAKE_CHANGE: &str = "Subtensor.LastTxBlockDelegateTake";
/// `AutoStakeDestination[coldkey][netuid]`: where the coldkey's miner incentive is staked.
pub const AUTO_STAKE_DESTINATION: &str = "Subtensor.AutoStakeDestination";
/// `DefaultDelegateTake`: 18% of 65535.
pub const DEFAULT_DELEGATE_TAKE: u16 = 11_796;
/// One TAO per alpha in the limit-price convention (RAO per alpha × 1e9 / 1e9).
pub const UNIT_PRICE: u64 = 1_000_000_000;

fn shares_key(netuid: u16, hotkey: &PublicKey, coldkey: &PublicKey) -> Vec<u8> {
    Key::item(ALPHA_SHARES)
        .u16(netuid)
        .acc(hotkey)
        .acc(coldkey)
        .build()
}

fn overflow(what: &'static str) -> DispatchError {
    DispatchError::Overflow { what }
}

/// `TotalHotkeyAlpha`: the hotkey's stake on the subnet.
pub fn hotkey_alpha(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<u64> {
    s.get_or_default(&hotkey_key(TOTAL_HOTKEY_ALPHA, netuid, hotkey))
}

fn pool_totals(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<(u64, u128)> {
    Ok((
        hotkey_alpha(s, netuid, hotkey)?,
        s.get_or_default(&hotkey_key(TOTAL_HOTKEY_SHARES, netuid, hotkey))?,
    ))
}

fn value_of(shares: u128, total_alpha: u64, total_shares: u128) -> u64 {
    if total_shares == 0 {
        return 0;
    }
    let v = shares
        .checked_mul(u128::from(total_alpha))
        .map(|p| p / total_shares)
        .unwrap_or(u128::from(total_alpha));
    u64::try_from(v).unwrap_or(total_alpha)
}

/// The alpha `coldkey` holds through `hotkey` on `netuid`.
pub fn stake(s: &State<'_>, netuid: u16, hotkey: &PublicKey, coldkey: &PublicKey) -> DResult<u64> {
    let (total, shares_total) = pool_totals(s, netuid, hotkey)?;
    let shares: u128 = s.get_or_default(&shares_key(netuid, hotkey, coldkey))?;
    Ok(value_of(shares, total, shares_total))
}

/// Every (coldkey, shares) holding `hotkey`'s pool on `netuid`, ascending by coldkey.
pub fn holders(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<Vec<(PublicKey, u128)>> {
    let prefix = Key::item(ALPHA_SHARES).u16(netuid).acc(hotkey).build();
    let mut out = Vec::new();
    for (key, value) in s.iter_prefix(&prefix) {
        let Some(tail) = key.get(prefix.len()..) else {
            continue;
        };
        let Ok(raw) = <[u8; 32]>::try_from(tail) else {
            continue;
        };
        let shares = u128::decode(&value).map_err(|e| DispatchError::CorruptState {
            key: String::from_utf8_lossy(&key).into_owned(),
            reason: e.to_string(),
        })?;
        out.push((PublicKey(raw), shares));
    }
    Ok(out)
}

/// Credits `alpha` to (hotkey, coldkey) as new shares.
pub fn credit(
    s: &mut State<'_>,
    netuid: u16,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
    alpha: u64,
) -> DResult<()> {
    if alpha == 0 {
        return Ok(());
    }
    let (total, shares_total) = pool_totals(s, netuid, hotkey)?;
    let new_shares = if shares_total == 0 || total == 0 {
        u128::from(alpha)
    } else {
        u128::from(alpha)
            .checked_mul(shares_total)
            .ok_or_else(|| overflow("stake shares"))?
            / u128::from(total)
    };
    let key = shares_key(netuid, hotkey, coldkey);
    let own: u128 = s.get_or_default(&key)?;
    s.put(
        key,
        &own.checked_add(new_shares)
            .ok_or_else(|| overflow("stake shares"))?,
    );
    s.put(
        hotkey_key(TOTAL_HOTKEY_SHARES, netuid, hotkey),
        &shares_total
            .checked_add(new_shares)
            .ok_or_else(|| overflow("stake shares"))?,
    );
    s.put(
        hotkey_key(TOTAL_HOTKEY_ALPHA, netuid, hotkey),
        &total
            .checked_add(alpha)
            .ok_or_else(|| overflow("TotalHotkeyAlpha"))?,
    );
    let hk_key = Key::item(STAKING_HOTKEYS).acc(coldkey).build();
    let mut staking: Vec<PublicKey> = s.get_or_default(&hk_key)?;
    if !staking.contains(hotkey) {
        staking.push(*hotkey);
        s.put(hk_key, &staking);
    }
    Ok(())
}

/// Removes `alpha` from (hotkey, coldkey); fails if the position is smaller.
pub fn debit(
    s: &mut State<'_>,
    netuid: u16,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
    alpha: u64,
) -> DResult<()> {
    if alpha == 0 {
        return Ok(());
    }
    let (total, shares_total) = pool_totals(s, netuid, hotkey)?;
    let key = shares_key(netuid, hotkey, coldkey);
    let own: u128 = s.get_or_default(&key)?;
    let position = value_of(own, total, shares_total);
    if alpha > position {
        return Err(DispatchError::NotEnoughStakeToWithdraw {
            netuid,
            stake: position,
            amount: alpha,
        });
    }
    let burn = if alpha == position {
        own
    } else {
        let num = u128::from(alpha)
            .checked_mul(shares_total)
            .ok_or_else(|| overflow("stake shares"))?;
        num.div_ceil(u128::from(total)).min(own)
    };
    let left = own.saturating_sub(burn);
    if left == 0 {
        s.delete(key);
    } else {
        s.put(key, &left);
    }
    let shares_left = shares_total.saturating_sub(burn);
    let alpha_left = if shares_left == 0 {
        0
    } else {
        total.saturating_sub(alpha)
    };
    s.put(
        hotkey_key(TOTAL_HOTKEY_SHARES, netuid, hotkey),
        &shares_left,
    );
    s.put(hotkey_key(TOTAL_HOTKEY_ALPHA, netuid, hotkey), &alpha_left);
    Ok(())
}

/// `increase_stake_for_hotkey_on_subnet`: adds `alpha` to the pool without new shares, so
/// every holder gains pro rata; a pool nobody holds is credited to the hotkey's owner.
pub fn add_to_hotkey_pool(
    s: &mut State<'_>,
    netuid: u16,
    hotkey: &PublicKey,
    owner: &PublicKey,
    alpha: u64,
) -> DResult<()> {
    let (total, shares_total) = pool_totals(s, netuid, hotkey)?;
    if shares_total == 0 {
        return credit(s, netuid, hotkey, owner, alpha);
    }
    s.put(
        hotkey_key(TOTAL_HOTKEY_ALPHA, netuid, hotkey),
        &total
            .checked_add(alpha)
            .ok_or_else(|| overflow("TotalHotkeyAlpha"))?,
    );
    Ok(())
}

/// `Delegates[hotkey]`, default 18%.
pub fn delegate_take(s: &State<'_>, hotkey: &PublicKey) -> DResult<u16> {
    Ok(s.get(&Key::item(DELEGATES).acc(hotkey).build())?
        .unwrap_or(DEFAULT_DELEGATE_TAKE))
}

/// Common checks of every staking call: subnet exists, token enabled, hotkey exists.
fn ensure_stakeable(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<PublicKey> {
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    if netuid != 0 && s.hp(netuid, Hyperparam::SubtokenEnabled)? == 0 {
        return Err(DispatchError::SubtokenDisabled { netuid });
    }
    s.hotkey_owner(hotkey)?
        .ok_or_else(|| DispatchError::HotKeyAccountNotExists {
            hotkey: hotkey.to_ss58(),
        })
}

fn swap_err(netuid: u16) -> impl Fn(SwapError) -> DispatchError {
    move |error| DispatchError::Swap { netuid, error }
}

/// Pays a swap fee in TAO to the block author, or burns it without one.
fn pay_fee_tao(s: &mut State<'_>, author: Option<&PublicKey>, fee: u64) -> DResult<()> {
    if fee == 0 {
        return Ok(());
    }
    match author {
        Some(a) => balances::deposit(s, a, fee),
        None => {
            s.sub_counter(TOTAL_ISSUANCE, fee)?;
            s.add_counter(BURNED, fee)
        }
    }
}

/// A limit order on an `add_stake` or `remove_stake`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// TAO per alpha × 1e9: the highest price paid (add) or the lowest accepted (remove).
    pub price: u64,
    /// Execute what the limit allows instead of failing with `SlippageTooHigh`.
    pub allow_partial: bool,
}

/// TAO → alpha on `netuid` for `coldkey`, without moving the TAO (the caller has withdrawn
/// it). Returns (alpha bought, TAO used incl. fee). Root is 1:1.
fn buy(
    s: &mut State<'_>,
    netuid: u16,
    tao: u64,
    limit: Option<Limit>,
    drop_fees: bool,
    author: Option<&PublicKey>,
) -> DResult<(u64, u64, u64)> {
    if netuid == 0 {
        if tao < DEFAULT_MIN_STAKE {
            return Err(swap_err(0)(SwapError::AmountTooLow));
        }
        if limit.is_some_and(|l| l.price < UNIT_PRICE) {
            return Err(swap_err(0)(SwapError::PriceLimitExceeded));
        }
        let reserve: u64 = s.subnet_get(pool::SUBNET_TAO, 0)?;
        s.subnet_put(
            pool::SUBNET_TAO,
            0,
            &reserve
                .checked_add(tao)
                .ok_or_else(|| overflow("SubnetTAO"))?,
        );
        return Ok((tao, tao, 0));
    }
    let mut p = pool::load(s, netuid)?;
    let (bought, used, fee) = if drop_fees {
        let r = p
            .buy_alpha(tao, limit.map_or(MAX_PRICE, |l| l.price), true)
            .map_err(swap_err(netuid))?;
        if r.amount_paid_out == 0 {
            return Err(swap_err(netuid)(SwapError::AmountTooLow));
        }
        (r.amount_paid_out, r.amount_paid_in, 0)
    } else {
        let out = match limit {
            None => econ_pool::add_stake(&mut p, tao),
            Some(l) => econ_pool::add_stake_limit(&mut p, tao, l.price, l.allow_partial),
        }
        .map_err(swap_err(netuid))?;
        let r = out.swap;
        (
            r.amount_paid_out,
            r.amount_paid_in.saturating_add(r.fee_paid),
            r.fee_to_block_author,
        )
    };
    pool::store(s, netuid, &p);
    pay_fee_tao(s, author, fee)?;
    Ok((bought, used, fee))
}

/// Alpha → TAO on `netuid` out of (hotkey, coldkey)'s position, paying the swap fee; returns
/// (alpha sold, TAO out, fee in TAO to the author). The TAO is not credited to anyone (the
/// caller does).
#[allow(clippy::too_many_arguments)]
fn sell(
    s: &mut State<'_>,
    netuid: u16,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
    alpha: u64,
    limit: Option<Limit>,
    author: Option<&PublicKey>,
) -> DResult<(u64, u64, u64)> {
    if alpha == 0 {
        return Err(swap_err(netuid)(SwapError::AmountTooLow));
    }
    let position = stake(s, netuid, hotkey, coldkey)?;
    if alpha > position {
        return Err(DispatchError::NotEnoughStakeToWithdraw {
            netuid,
            stake: position,
            amount: alpha,
        });
    }
    if netuid == 0 {
        if limit.is_some_and(|l| l.price > UNIT_PRICE) {
            return Err(swap_err(0)(SwapError::PriceLimitExceeded));
        }
        debit(s, 0, hotkey, coldkey, alpha)?;
        let reserve: u64 = s.subnet_get(pool::SUBNET_TAO, 0)?;
        s.subnet_put(pool::SUBNET_TAO, 0, &reserve.saturating_sub(alpha));
        return Ok((alpha, alpha, 0));
    }
    let mut p = pool::load(s, netuid)?;
    let dest = if author.is_some() {
        FeeDest::Author
    } else {
        FeeDest::Burn
    };
    let out = match limit {
        None => econ_pool::remove_stake(&mut p, position, alpha, dest),
        Some(l) => {
            econ_pool::remove_stake_limit(&mut p, position, alpha, l.price, l.allow_partial, dest)
        }
    }
    .map_err(swap_err(netuid))?;
    let sold = position.saturating_sub(out.position_after);
    let tao_out = out.swap.amount_paid_out;
    let fee = out.author_fee_swap.map_or(0, |r| r.amount_paid_out);
    debit(s, netuid, hotkey, coldkey, sold)?;
    pool::store(s, netuid, &p);
    if let Some(a) = author
        && fee > 0
    {
        balances::deposit(s, a, fee)?;
    }
    Ok((sold, tao_out, fee))
}

/// `add_stake` / `add_stake_limit`: TAO from `coldkey` buys alpha staked to `hotkey`.
#[allow(clippy::too_many_arguments)]
pub fn add_stake(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: u16,
    amount: u64,
    limit: Option<Limit>,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_stakeable(s, netuid, hotkey)?;
    if amount < DEFAULT_MIN_STAKE {
        return Err(swap_err(netuid)(SwapError::AmountTooLow));
    }
    let free = s.account(coldkey)?.free;
    if free < amount {
        return Err(DispatchError::NotEnoughBalanceToStake { cost: amount, free });
    }
    let (alpha, used, fee) = buy(s, netuid, amount, limit, false, author)?;
    balances::withdraw(s, coldkey, used, ev)?;
    credit(s, netuid, hotkey, coldkey, alpha)?;
    ev.push(Event::StakeAdded {
        coldkey: *coldkey,
        hotkey: *hotkey,
        tao: used,
        alpha,
        netuid,
        fee,
    });
    Ok(())
}

/// `remove_stake` / `remove_stake_limit`: sells alpha for TAO paid to `coldkey`.
#[allow(clippy::too_many_arguments)]
pub fn remove_stake(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: u16,
    amount: u64,
    limit: Option<Limit>,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_stakeable(s, netuid, hotkey)?;
    sell_to_coldkey(s, netuid, hotkey, coldkey, amount, limit, author, ev)
}

/// Sells `amount` of the position, pays the TAO to `coldkey` and records `StakeRemoved`.
#[allow(clippy::too_many_arguments)]
fn sell_to_coldkey(
    s: &mut State<'_>,
    netuid: u16,
    hotkey: &PublicKey,
    coldkey: &PublicKey,
    amount: u64,
    limit: Option<Limit>,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    let (alpha, tao, fee) = sell(s, netuid, hotkey, coldkey, amount, limit, author)?;
    balances::deposit(s, coldkey, tao)?;
    ev.push(Event::StakeRemoved {
        coldkey: *coldkey,
        hotkey: *hotkey,
        tao,
        alpha,
        netuid,
        fee,
    });
    Ok(())
}

/// `remove_stake_full_limit`: sells the whole position.
pub fn remove_stake_full(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    netuid: u16,
    limit_price: Option<u64>,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_stakeable(s, netuid, hotkey)?;
    let position = stake(s, netuid, hotkey, coldkey)?;
    let limit = limit_price.map(|price| Limit {
        price,
        allow_partial: false,
    });
    remove_stake(s, coldkey, hotkey, netuid, position, limit, author, ev)
}

/// `unstake_all(hotkey)`: sells every position of `coldkey` on `hotkey`, on every subnet.
pub fn unstake_all(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if s.hotkey_owner(hotkey)?.is_none() {
        return Err(DispatchError::HotKeyAccountNotExists {
            hotkey: hotkey.to_ss58(),
        });
    }
    for netuid in s.netuids()? {
        let position = stake(s, netuid, hotkey, coldkey)?;
        if position == 0 {
            continue;
        }
        sell_to_coldkey(s, netuid, hotkey, coldkey, position, None, author, ev)?;
    }
    Ok(())
}

/// One stake transition: where it comes from and where it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// Coldkey giving the stake (the signer).
    pub origin_coldkey: PublicKey,
    /// Hotkey the stake leaves.
    pub origin_hotkey: PublicKey,
    /// Subnet the stake leaves.
    pub origin_netuid: u16,
    /// Coldkey receiving the stake.
    pub dest_coldkey: PublicKey,
    /// Hotkey the stake joins.
    pub dest_hotkey: PublicKey,
    /// Subnet the stake joins.
    pub dest_netuid: u16,
    /// Alpha taken from the origin position.
    pub alpha: u64,
    /// Least destination alpha per origin alpha × 1e9 (cross-subnet only).
    pub limit_price: Option<u64>,
}

/// `transition_stake_internal`: `move_stake`, `transfer_stake` and `swap_stake`.
pub fn transition(
    s: &mut State<'_>,
    t: &Transition,
    author: Option<&PublicKey>,
    ev: &mut Vec<Event>,
) -> DResult<u64> {
    ensure_stakeable(s, t.origin_netuid, &t.origin_hotkey)?;
    ensure_stakeable(s, t.dest_netuid, &t.dest_hotkey)?;
    if t.alpha == 0 {
        return Err(swap_err(t.origin_netuid)(SwapError::AmountTooLow));
    }
    if t.origin_netuid == t.dest_netuid
        && t.origin_hotkey == t.dest_hotkey
        && t.origin_coldkey == t.dest_coldkey
    {
        return Err(DispatchError::SameStakeOrigin);
    }
    let received = if t.origin_netuid == t.dest_netuid {
        let position = stake(s, t.origin_netuid, &t.origin_hotkey, &t.origin_coldkey)?;
        if t.alpha > position {
            return Err(DispatchError::NotEnoughStakeToWithdraw {
                netuid: t.origin_netuid,
                stake: position,
                amount: t.alpha,
            });
        }
        debit(
            s,
            t.origin_netuid,
            &t.origin_hotkey,
            &t.origin_coldkey,
            t.alpha,
        )?;
        credit(s, t.dest_netuid, &t.dest_hotkey, &t.dest_coldkey, t.alpha)?;
        t.alpha
    } else {
        let origin_is_root = t.origin_netuid == 0;
        let (_, tao, _) = sell(
            s,
            t.origin_netuid,
            &t.origin_hotkey,
            &t.origin_coldkey,
            t.alpha,
            None,
            author,
        )?;
        if tao <= DEFAULT_MIN_STAKE {
            return Err(swap_err(t.dest_netuid)(SwapError::AmountTooLow));
        }
        let (bought, used, _) = buy(s, t.dest_netuid, tao, None, !origin_is_root, author)?;
        // Whatever the destination pool did not take goes back to the origin coldkey.
        balances::deposit(s, &t.origin_coldkey, tao.saturating_sub(used))?;
        if let Some(limit) = t.limit_price {
            let rate = u128::from(bought) * u128::from(UNIT_PRICE) / u128::from(t.alpha);
            if rate < u128::from(limit) {
                return Err(swap_err(t.dest_netuid)(SwapError::SlippageTooHigh));
            }
        }
        credit(s, t.dest_netuid, &t.dest_hotkey, &t.dest_coldkey, bought)?;
        bought
    };
    ev.push(Event::StakeMoved {
        coldkey: t.origin_coldkey,
        origin_hotkey: t.origin_hotkey,
        origin_netuid: t.origin_netuid,
        dest_coldkey: t.dest_coldkey,
        dest_hotkey: t.dest_hotkey,
        dest_netuid: t.dest_netuid,
        alpha_sent: t.alpha,
        alpha_received: received,
    });
    Ok(received)
}

/// `transfer_stake`: like a move, to another coldkey, when both subnets allow transfers.
pub fn ensure_transfer_allowed(s: &State<'_>, origin: u16, dest: u16) -> DResult<()> {
    for netuid in [origin, dest] {
        if s.subnet_exists(netuid)? && s.hp(netuid, Hyperparam::TransferToggle)? == 0 {
            return Err(DispatchError::TransferDisallowed { netuid });
        }
    }
    Ok(())
}

fn ensure_owner(s: &State<'_>, coldkey: &PublicKey, hotkey: &PublicKey) -> DResult<()> {
    match s.hotkey_owner(hotkey)? {
        Some(owner) if owner == *coldkey => Ok(()),
        Some(owner) => Err(DispatchError::NonAssociatedColdKey {
            hotkey: hotkey.to_ss58(),
            owner: owner.to_ss58(),
        }),
        None => Err(DispatchError::HotKeyAccountNotExists {
            hotkey: hotkey.to_ss58(),
        }),
    }
}

fn global_u16(s: &State<'_>, p: GlobalParam) -> DResult<u16> {
    Ok(u16::try_from(s.global(p)?).unwrap_or(u16::MAX))
}

/// `decrease_take(hotkey, take)`: the owner lowers its delegate take (no rate limit).
pub fn decrease_take(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    take: u16,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_owner(s, coldkey, hotkey)?;
    let current = delegate_take(s, hotkey)?;
    let min = global_u16(s, GlobalParam::MinDelegateTake)?;
    if take >= current || take < min {
        return Err(DispatchError::DelegateTakeTooLow { take, current, min });
    }
    set_take(s, hotkey, take, now, ev);
    Ok(())
}

/// `increase_take(hotkey, take)`: raises the take within `MaxDelegateTake`, at most once
/// per `TxDelegateTakeRateLimit` blocks.
pub fn increase_take(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    hotkey: &PublicKey,
    take: u16,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    ensure_owner(s, coldkey, hotkey)?;
    let current = delegate_take(s, hotkey)?;
    let min = global_u16(s, GlobalParam::MinDelegateTake)?;
    if take <= current {
        return Err(DispatchError::DelegateTakeTooLow { take, current, min });
    }
    let max = global_u16(s, GlobalParam::MaxDelegateTake)?;
    if take > max {
        return Err(DispatchError::DelegateTakeTooHigh { take, max });
    }
    let last: u64 = s.get_or_default(&Key::item(LAST_TAKE_CHANGE).acc(hotkey).build())?;
    let limit = s.global(GlobalParam::TxDelegateTakeRateLimit)?;
    if last != 0 && now.saturating_sub(last) < limit {
        return Err(DispatchError::DelegateTxRateLimitExceeded {
            last,
            retry_at: last.saturating_add(limit),
        });
    }
    set_take(s, hotkey, take, now, ev);
    Ok(())
}

fn set_take(s: &mut State<'_>, hotkey: &PublicKey, take: u16, now: u64, ev: &mut Vec<Event>) {
    s.put(Key::item(DELEGATES).acc(hotkey).build(), &take);
    s.put(Key::item(LAST_TAKE_CHANGE).acc(hotkey).build(), &now);
    ev.push(Event::TakeSet {
        hotkey: *hotkey,
        take,
    });
}

/// `AutoStakeDestination[coldkey][netuid]`, if set.
pub fn auto_stake_destination(
    s: &State<'_>,
    coldkey: &PublicKey,
    netuid: u16,
) -> DResult<Option<PublicKey>> {
    s.get(
        &Key::item(AUTO_STAKE_DESTINATION)
            .acc(coldkey)
            .u16(netuid)
            .build(),
    )
}

/// `set_coldkey_auto_stake_hotkey(netuid, hotkey)`: the signer's miner incentive on `netuid`
/// is staked to `hotkey` (registered there) instead of the mining hotkey.
pub fn set_auto_stake_hotkey(
    s: &mut State<'_>,
    coldkey: &PublicKey,
    netuid: u16,
    hotkey: &PublicKey,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    if s.uid_of(netuid, hotkey)?.is_none() {
        return Err(DispatchError::HotKeyNotRegisteredInSubNet {
            netuid,
            hotkey: hotkey.to_ss58(),
        });
    }
    if auto_stake_destination(s, coldkey, netuid)? == Some(*hotkey) {
        return Err(DispatchError::SameAutoStakeHotkeyAlreadySet {
            netuid,
            hotkey: hotkey.to_ss58(),
        });
    }
    s.put(
        Key::item(AUTO_STAKE_DESTINATION)
            .acc(coldkey)
            .u16(netuid)
            .build(),
        hotkey,
    );
    ev.push(Event::AutoStakeDestinationSet {
        coldkey: *coldkey,
        netuid,
        hotkey: *hotkey,
    });
    Ok(())
}

/// Dissolution of `netuid`: pays `pot` TAO to every staker in proportion to its alpha
/// (floor) and deletes all stake records of the subnet; returns the TAO paid.
pub fn refund_and_clear(s: &mut State<'_>, netuid: u16, pot: u64) -> DResult<u64> {
    let prefix = Key::item(ALPHA_SHARES).u16(netuid).build();
    let mut positions = Vec::new();
    for (key, _) in s.iter_prefix(&prefix) {
        let ids = key.get(prefix.len()..).unwrap_or_default();
        let (Ok(hotkey), Ok(coldkey)) = (
            <[u8; 32]>::try_from(ids.get(..32).unwrap_or_default()),
            <[u8; 32]>::try_from(ids.get(32..).unwrap_or_default()),
        ) else {
            return Err(DispatchError::CorruptState {
                key: String::from_utf8_lossy(&key).into_owned(),
                reason: "stake key is not netuid ‖ hotkey ‖ coldkey".into(),
            });
        };
        let (hotkey, coldkey) = (PublicKey(hotkey), PublicKey(coldkey));
        positions.push((coldkey, stake(s, netuid, &hotkey, &coldkey)?));
        s.delete(key);
    }
    let total: u128 = positions.iter().map(|(_, a)| u128::from(*a)).sum();
    let mut paid: u64 = 0;
    for (coldkey, alpha) in positions {
        let tao = (u128::from(pot) * u128::from(alpha))
            .checked_div(total)
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(0);
        balances::deposit(s, &coldkey, tao)?;
        paid = paid.saturating_add(tao);
    }
    for item in [
        TOTAL_HOTKEY_ALPHA,
        TOTAL_HOTKEY_SHARES,
        crate::coinbase::ALPHA_DIVIDENDS,
    ] {
        let prefix = Key::item(item).u16(netuid).build();
        for (key, _) in s.iter_prefix(&prefix) {
            s.delete(key);
        }
    }
    Ok(paid)
}
