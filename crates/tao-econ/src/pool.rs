//! The weighted (balancer) pool of a dynamic subnet and the staking swaps through it
//! (`pallets/swap` balancer, swap step and limit code; `staking/` add/remove stake).
//!
//! A [`Pool`] is the subnet's reserve state (`SubnetTAO`, `SubnetAlphaIn`,
//! `SubnetAlphaOut`, the quote weight, `FeeRate`, `MinimumReserve`). [`Pool::swap`] is the
//! swap pallet's `do_swap` (no reserve changes); [`Pool::buy_alpha`] / [`Pool::sell_alpha`]
//! add the subnet reserve bookkeeping; [`add_stake`] and friends are the extrinsics.

use serde::{Deserialize, Serialize};
use substrate_fixed::types::U64F64;

use crate::math::{ACCURACY, mul_perquintill_round, perquintill_from_rational};
use crate::pow::{Scaled, pow_ratio_scaled};

/// Smallest weight either side may have (1%).
pub const MIN_WEIGHT: u64 = ACCURACY / 100;
/// Largest quote weight (the base side keeps at least 1%).
pub const MAX_QUOTE_WEIGHT: u64 = ACCURACY - MIN_WEIGHT;
/// Quote weight of a new pool: 50/50, so the price is `SubnetTAO / SubnetAlphaIn`.
pub const DEFAULT_QUOTE_WEIGHT: u64 = ACCURACY / 2;
/// `MAX_SWAP_INPUT_RESERVE_MULTIPLIER`: net input may be at most 1000× the input reserve.
pub const MAX_SWAP_INPUT_RESERVE_MULTIPLIER: u64 = 1_000;
/// `DefaultMinStake`: smallest stake in RAO.
pub const DEFAULT_MIN_STAKE: u64 = 2_000_000;
/// Lowest limit price (RAO per alpha × 1e9 convention): 1e-6 TAO.
pub const MIN_PRICE: u64 = 1_000;
/// Highest limit price: 1e6 TAO per alpha.
pub const MAX_PRICE: u64 = 1_000_000_000_000_000;
/// The runtime's `MinimumReserve`.
pub const DEFAULT_MINIMUM_RESERVE: u64 = 1_000_000;

/// A chain error from a swap or staking call; the variant names are the chain's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    /// Amount below the minimum stake, or the swap would pay out nothing.
    #[error("AmountTooLow: the amount is below the minimum stake or buys nothing")]
    AmountTooLow,
    /// The full amount would move the price past the limit and partial fills are off.
    #[error("SlippageTooHigh: the full amount exceeds the limit price and allow_partial is false")]
    SlippageTooHigh,
    /// The current price is already beyond the requested limit.
    #[error("PriceLimitExceeded: the current price is already beyond the limit price")]
    PriceLimitExceeded,
    /// The input is too large for the pool, or the payout would exceed the reserve.
    #[error("InsufficientLiquidity: the pool cannot execute this amount")]
    InsufficientLiquidity,
    /// The output reserve is below `MinimumReserve`, or the swap pays out nothing.
    #[error("ReservesTooLow: the output reserve is below the minimum reserve")]
    ReservesTooLow,
    /// Net input above 1000× the input reserve.
    #[error("SwapInputTooLarge: net input exceeds 1000x the input reserve")]
    SwapInputTooLarge,
    /// The staker's position is smaller than the amount to remove.
    #[error("NotEnoughStakeToWithdraw: the position is smaller than the amount")]
    NotEnoughStakeToWithdraw,
}

impl SwapError {
    /// The chain's error name, as the case format writes it.
    pub fn name(&self) -> &'static str {
        match self {
            SwapError::AmountTooLow => "AmountTooLow",
            SwapError::SlippageTooHigh => "SlippageTooHigh",
            SwapError::PriceLimitExceeded => "PriceLimitExceeded",
            SwapError::InsufficientLiquidity => "InsufficientLiquidity",
            SwapError::ReservesTooLow => "ReservesTooLow",
            SwapError::SwapInputTooLarge => "SwapInputTooLarge",
            SwapError::NotEnoughStakeToWithdraw => "NotEnoughStakeToWithdraw",
        }
    }
}

/// Reserve state of one dynamic subnet's pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    /// `SubnetTAO`: the TAO reserve (RAO).
    pub subnet_tao: u64,
    /// `SubnetAlphaIn`: the alpha reserve.
    pub alpha_in: u64,
    /// `SubnetAlphaOut`: alpha outstanding outside the pool.
    pub alpha_out: u64,
    /// TAO-side balancer weight in `Perquintill` parts (10^18 = 1).
    pub quote_weight: u64,
    /// `FeeRate`: fee = amount · fee_rate / 65535.
    pub fee_rate: u16,
    /// `MinimumReserve`: smallest output reserve a swap may start from.
    pub minimum_reserve: u64,
}

/// Which way a swap goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// TAO in, alpha out (`GetAlphaForTao`).
    Buy,
    /// Alpha in, TAO out (`GetTaoForAlpha`).
    Sell,
}

/// What one swap did (`SwapResult`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SwapResult {
    /// Input that entered the reserve, net of fee.
    pub amount_paid_in: u64,
    /// Output paid.
    pub amount_paid_out: u64,
    /// Fee charged on the input token.
    pub fee_paid: u64,
    /// Fee passed to the block author.
    pub fee_to_block_author: u64,
}

/// `u64` limit price (TAO per alpha × 1e9) as the swap pallet's `U64F64`.
pub fn limit_price_fixed(limit_price: u64) -> U64F64 {
    U64F64::saturating_from_num(limit_price)
        .safe_div_u64f64(U64F64::saturating_from_num(1_000_000_000u64))
}

/// Division that yields 0 on a zero divisor (`safe_div`).
trait SafeDivU64F64 {
    fn safe_div_u64f64(self, rhs: U64F64) -> U64F64;
}

impl SafeDivU64F64 for U64F64 {
    fn safe_div_u64f64(self, rhs: U64F64) -> U64F64 {
        self.checked_div(rhs).unwrap_or(U64F64::from_bits(0))
    }
}

impl Pool {
    /// Alpha-side weight: 10^18 − quote.
    pub fn base_weight(&self) -> u64 {
        ACCURACY.saturating_sub(self.quote_weight)
    }

    /// `calculate_price(x, y) = (w_base / w_quote) · (y / x)`.
    fn price_of(&self, alpha: u64, tao: u64) -> U64F64 {
        let w_quote = U64F64::saturating_from_num(self.quote_weight);
        let w_base = U64F64::saturating_from_num(self.base_weight());
        w_base.safe_div_u64f64(w_quote).saturating_mul(
            U64F64::saturating_from_num(tao).safe_div_u64f64(U64F64::saturating_from_num(alpha)),
        )
    }

    /// Spot price, TAO per alpha (`current_price`); 0 with an empty alpha reserve.
    pub fn price(&self) -> U64F64 {
        if self.alpha_in == 0 {
            U64F64::from_bits(0)
        } else {
            self.price_of(self.alpha_in, self.subnet_tao)
        }
    }

    /// `calculate_fee_amount`: `amount · fee_rate / 65535`, 0 when fees are dropped.
    pub fn fee(&self, amount: u64, drop_fees: bool) -> u64 {
        if drop_fees {
            return 0;
        }
        let rate = U64F64::saturating_from_num(self.fee_rate)
            .safe_div_u64f64(U64F64::saturating_from_num(u16::MAX));
        U64F64::saturating_from_num(amount)
            .saturating_mul(rate)
            .saturating_to_num::<u64>()
    }

    /// `exp_scaled(x, dx)`: `(x / (x + dx))^(w_a / w_b)` as `U64F64`, capped at 1.
    fn exp_scaled(&self, x: u64, dx: u64, base_quote: bool) -> U64F64 {
        let x_plus_dx = x.saturating_add(dx);
        if x_plus_dx == 0 {
            return U64F64::from_bits(0);
        }
        let w_base = u128::from(self.base_weight());
        let w_quote = u128::from(self.quote_weight);
        let (exp_num, exp_den) = if base_quote {
            (w_base, w_quote)
        } else {
            (w_quote, w_base)
        };
        match pow_ratio_scaled(
            u128::from(x),
            u128::from(x_plus_dx),
            exp_num,
            exp_den,
            256,
            u128::from(ACCURACY),
        ) {
            Some(Scaled::Fits(v)) => U64F64::saturating_from_num(v)
                .safe_div_u64f64(U64F64::saturating_from_num(ACCURACY))
                .min(U64F64::saturating_from_num(1)),
            _ => U64F64::from_bits(0),
        }
    }

    /// `convert_deltas`: output for a net input on the given side.
    pub fn output_for(&self, side: Side, delta_in: u64) -> u64 {
        let one = U64F64::saturating_from_num(1);
        match side {
            Side::Buy => {
                let e = self.exp_scaled(self.subnet_tao, delta_in, false);
                U64F64::saturating_from_num(self.alpha_in)
                    .saturating_mul(one.saturating_sub(e))
                    .saturating_to_num::<u64>()
            }
            Side::Sell => {
                let e = self.exp_scaled(self.alpha_in, delta_in, true);
                U64F64::saturating_from_num(self.subnet_tao)
                    .saturating_mul(one.saturating_sub(e))
                    .saturating_to_num::<u64>()
            }
        }
    }

    /// `price_target`: the price after a net input.
    fn price_target(&self, side: Side, delta_in: u64) -> U64F64 {
        let out = self.output_for(side, delta_in);
        match side {
            Side::Buy => self.price_of(
                self.alpha_in.saturating_sub(out),
                self.subnet_tao.saturating_add(delta_in),
            ),
            Side::Sell => self.price_of(
                self.alpha_in.saturating_add(delta_in),
                self.subnet_tao.saturating_sub(out),
            ),
        }
    }

    /// `calculate_quote_delta_in` / `calculate_base_delta_in`: net input that moves the
    /// price from `current` exactly to `target`.
    fn delta_in_to_price(&self, side: Side, current: U64F64, target: U64F64) -> u64 {
        let (num, den, weight, reserve) = match side {
            Side::Buy => (
                target.to_bits(),
                current.to_bits(),
                self.base_weight(),
                self.subnet_tao,
            ),
            Side::Sell => (
                current.to_bits(),
                target.to_bits(),
                self.quote_weight,
                self.alpha_in,
            ),
        };
        let scale = u128::from(ACCURACY);
        let Some(result) = pow_ratio_scaled(num, den, u128::from(weight), scale, 1024, scale)
        else {
            return 0;
        };
        let result_fixed = match result {
            Scaled::Fits(v) => U64F64::saturating_from_num(v),
            Scaled::AboveU64 => U64F64::saturating_from_num(u64::MAX),
        };
        U64F64::saturating_from_num(reserve)
            .saturating_mul(
                result_fixed
                    .safe_div_u64f64(U64F64::saturating_from_num(scale))
                    .saturating_sub(U64F64::saturating_from_num(1)),
            )
            .saturating_to_num::<u64>()
    }

    fn reserve_in(&self, side: Side) -> u64 {
        match side {
            Side::Buy => self.subnet_tao,
            Side::Sell => self.alpha_in,
        }
    }

    fn reserve_out(&self, side: Side) -> u64 {
        match side {
            Side::Buy => self.alpha_in,
            Side::Sell => self.subnet_tao,
        }
    }

    /// The swap pallet's `do_swap`: prices one swap without touching the reserves.
    /// `limit_price` is the extrinsic's u64 convention. With `simulate` the final
    /// payout-versus-reserve check is skipped, as in the reference.
    pub fn swap(
        &self,
        side: Side,
        amount: u64,
        limit_price: u64,
        drop_fees: bool,
        simulate: bool,
    ) -> Result<SwapResult, SwapError> {
        let limit = limit_price_fixed(limit_price);
        let fee = self.fee(amount, drop_fees);
        let net = amount.saturating_sub(fee);
        let max_input = self
            .reserve_in(side)
            .saturating_mul(MAX_SWAP_INPUT_RESERVE_MULTIPLIER);
        if net > max_input {
            return Err(SwapError::SwapInputTooLarge);
        }
        if self.reserve_out(side) < self.minimum_reserve {
            return Err(SwapError::ReservesTooLow);
        }
        let current = self.price();
        let beyond = match side {
            Side::Buy => current < limit,
            Side::Sell => current > limit,
        };
        if !beyond {
            return Err(SwapError::PriceLimitExceeded);
        }
        let target = self.price_target(side, net);
        let within = match side {
            Side::Buy => target <= limit,
            Side::Sell => target >= limit,
        };
        let (delta_in, fee) = if within {
            (net, fee)
        } else {
            let delta_in = self.delta_in_to_price(side, current, limit);
            let rate = if drop_fees {
                U64F64::from_bits(0)
            } else {
                U64F64::saturating_from_num(self.fee_rate)
            };
            let fee =
                U64F64::saturating_from_num(delta_in)
                    .saturating_mul(rate.safe_div_u64f64(
                        U64F64::saturating_from_num(u16::MAX).saturating_sub(rate),
                    ))
                    .saturating_to_num::<u64>();
            (delta_in, fee)
        };
        let delta_out = self.output_for(side, delta_in);
        let fee_to_block_author = if delta_in != 0 {
            if delta_out == 0 {
                return Err(SwapError::ReservesTooLow);
            }
            fee
        } else {
            0
        };
        if !simulate && self.reserve_out(side) < delta_out {
            return Err(SwapError::InsufficientLiquidity);
        }
        Ok(SwapResult {
            amount_paid_in: delta_in,
            amount_paid_out: delta_out,
            fee_paid: fee,
            fee_to_block_author,
        })
    }

    /// `swap_tao_for_alpha`: a buy plus the subnet reserve bookkeeping.
    pub fn buy_alpha(
        &mut self,
        tao: u64,
        limit_price: u64,
        drop_fees: bool,
    ) -> Result<SwapResult, SwapError> {
        let result = self.swap(Side::Buy, tao, limit_price, drop_fees, false)?;
        // The reference moves reserves by the i64-clamped deltas.
        let alpha_decrease = result.amount_paid_out.min(1u64 << 63);
        let tao_increase = result.amount_paid_in.min(i64::MAX as u64);
        self.alpha_in = self.alpha_in.saturating_sub(alpha_decrease);
        self.alpha_out = self.alpha_out.saturating_add(result.amount_paid_out);
        self.subnet_tao = self.subnet_tao.saturating_add(tao_increase);
        Ok(result)
    }

    /// `swap_alpha_for_tao`: a sell plus the subnet reserve bookkeeping.
    pub fn sell_alpha(
        &mut self,
        alpha: u64,
        limit_price: u64,
        drop_fees: bool,
    ) -> Result<SwapResult, SwapError> {
        let result = self.swap(Side::Sell, alpha, limit_price, drop_fees, false)?;
        let alpha_delta = result.amount_paid_in.min(i64::MAX as u64);
        let tao_delta = result.amount_paid_out.min(1u64 << 63);
        self.alpha_in = self.alpha_in.saturating_add(alpha_delta);
        self.alpha_out = self.alpha_out.saturating_sub(alpha_delta);
        self.subnet_tao = self.subnet_tao.saturating_sub(tao_delta);
        Ok(result)
    }

    /// `get_max_amount_add`: the largest TAO input executable within `limit_price`.
    pub fn max_amount_add(&self, limit_price: u64) -> Result<u64, SwapError> {
        let probe = self
            .subnet_tao
            .saturating_mul(MAX_SWAP_INPUT_RESERVE_MULTIPLIER);
        let r = self.swap(Side::Buy, probe, limit_price, false, true)?;
        Ok(r.amount_paid_in.saturating_add(r.fee_paid))
    }

    /// `get_max_amount_remove`: the largest alpha input executable within `limit_price`.
    pub fn max_amount_remove(&self, limit_price: u64) -> Result<u64, SwapError> {
        let probe = self
            .alpha_in
            .saturating_mul(MAX_SWAP_INPUT_RESERVE_MULTIPLIER);
        let r = self.swap(Side::Sell, probe, limit_price, false, true)?;
        Ok(r.amount_paid_in.saturating_add(r.fee_paid))
    }

    /// `adjust_protocol_liquidity`: re-weights the pool so the price is unchanged by an
    /// emission injection; returns what may be injected ((0, 0) if the weight would leave
    /// its bounds). Reserves are not changed here.
    pub fn adjust_protocol_liquidity(&mut self, tao_delta: u64, alpha_delta: u64) -> (u64, u64) {
        let tao = u128::from(self.subnet_tao);
        let alpha = u128::from(self.alpha_in);
        let new_tao = tao.saturating_add(u128::from(tao_delta));
        let new_alpha = alpha.saturating_add(u128::from(alpha_delta));
        let q1 = mul_perquintill_round(self.base_weight(), tao.saturating_mul(new_alpha));
        let q2 = mul_perquintill_round(self.quote_weight, alpha.saturating_mul(new_tao));
        let sum = q1.saturating_add(q2);
        let new_quote = if sum != 0 {
            perquintill_from_rational(q2, sum)
        } else {
            ACCURACY / 2
        };
        let new_base = ACCURACY.saturating_sub(new_quote);
        if new_base >= MIN_WEIGHT && new_quote >= MIN_WEIGHT {
            self.quote_weight = new_quote;
            (tao_delta, alpha_delta)
        } else {
            (0, 0)
        }
    }
}

/// Who receives the swap fee of a staking call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeDest {
    /// A block author exists and receives it.
    Author,
    /// No author: the fee is burned.
    Burn,
}

/// Outcome of an add-stake call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddStakeOutcome {
    /// `get_max_amount_add` for limit calls.
    pub max_amount: Option<u64>,
    /// TAO actually sent to the swap.
    pub executed_amount: u64,
    /// The swap.
    pub swap: SwapResult,
}

/// Outcome of a remove-stake call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RemoveStakeOutcome {
    /// `get_max_amount_remove` for limit calls.
    pub max_amount: Option<u64>,
    /// Alpha actually sent to the swap.
    pub executed_amount: u64,
    /// The sale.
    pub swap: SwapResult,
    /// Alpha returned to the position because the limit stopped the sale.
    pub refund: u64,
    /// The fee alpha sold for the block author without fee.
    pub author_fee_swap: Option<SwapResult>,
    /// The staker's alpha afterwards.
    pub position_after: u64,
}

/// `validate_add_stake` after the swap-limit check (hotkey/balance assumed valid).
fn validate_add_stake(
    pool: &Pool,
    amount: u64,
    max_amount: u64,
    allow_partial: bool,
) -> Result<(), SwapError> {
    let fee_min = match pool.swap(Side::Buy, DEFAULT_MIN_STAKE, MAX_PRICE, false, true) {
        Ok(r) => r.fee_paid,
        Err(_) => pool.fee(DEFAULT_MIN_STAKE, false),
    };
    if amount < DEFAULT_MIN_STAKE.saturating_add(fee_min) {
        return Err(SwapError::AmountTooLow);
    }
    let amount = if allow_partial {
        max_amount.min(amount)
    } else {
        if amount > max_amount {
            return Err(SwapError::SlippageTooHigh);
        }
        amount
    };
    let sim = pool
        .swap(Side::Buy, amount, MAX_PRICE, false, true)
        .map_err(|_| SwapError::InsufficientLiquidity)?;
    if sim.amount_paid_in < DEFAULT_MIN_STAKE {
        return Err(SwapError::AmountTooLow);
    }
    if sim.amount_paid_out == 0 {
        return Err(SwapError::InsufficientLiquidity);
    }
    Ok(())
}

/// `stake_into_subnet` on the pool: buys and returns the swap.
fn stake_into_subnet(pool: &mut Pool, tao: u64, limit_price: u64) -> Result<SwapResult, SwapError> {
    let result = pool.buy_alpha(tao, limit_price, false)?;
    if result.amount_paid_out == 0 {
        return Err(SwapError::AmountTooLow);
    }
    Ok(result)
}

fn ensure_add_within_limit(pool: &Pool, amount: u64) -> Result<(), SwapError> {
    if amount
        > pool
            .subnet_tao
            .saturating_mul(MAX_SWAP_INPUT_RESERVE_MULTIPLIER)
    {
        return Err(SwapError::InsufficientLiquidity);
    }
    Ok(())
}

fn ensure_remove_within_limit(pool: &Pool, amount: u64) -> Result<(), SwapError> {
    if amount
        > pool
            .alpha_in
            .saturating_mul(MAX_SWAP_INPUT_RESERVE_MULTIPLIER)
    {
        return Err(SwapError::InsufficientLiquidity);
    }
    Ok(())
}

/// The `add_stake` extrinsic on a dynamic subnet. On error the pool is unchanged.
pub fn add_stake(pool: &mut Pool, amount: u64) -> Result<AddStakeOutcome, SwapError> {
    ensure_add_within_limit(pool, amount)?;
    validate_add_stake(pool, amount, amount, false)?;
    let mut next = *pool;
    let swap = stake_into_subnet(&mut next, amount, MAX_PRICE)?;
    *pool = next;
    Ok(AddStakeOutcome {
        max_amount: None,
        executed_amount: amount,
        swap,
    })
}

/// The `add_stake_limit` extrinsic. On error the pool is unchanged.
pub fn add_stake_limit(
    pool: &mut Pool,
    amount: u64,
    limit_price: u64,
    allow_partial: bool,
) -> Result<AddStakeOutcome, SwapError> {
    ensure_add_within_limit(pool, amount)?;
    let max_amount = pool.max_amount_add(limit_price)?;
    let possible = amount.min(max_amount);
    validate_add_stake(pool, amount, max_amount, allow_partial)?;
    let mut next = *pool;
    let swap = stake_into_subnet(&mut next, possible, limit_price)?;
    *pool = next;
    Ok(AddStakeOutcome {
        max_amount: Some(max_amount),
        executed_amount: possible,
        swap,
    })
}

/// `validate_remove_stake` (hotkey and locks assumed valid).
fn validate_remove_stake(
    pool: &Pool,
    position: u64,
    amount: u64,
    max_amount: u64,
    allow_partial: bool,
) -> Result<(), SwapError> {
    if amount == 0 {
        return Err(SwapError::AmountTooLow);
    }
    let remaining = position
        .checked_sub(amount)
        .ok_or(SwapError::NotEnoughStakeToWithdraw)?;
    let sim = pool
        .swap(Side::Sell, amount, MIN_PRICE, false, true)
        .map_err(|_| SwapError::InsufficientLiquidity)?;
    if remaining != 0 && sim.amount_paid_out < DEFAULT_MIN_STAKE {
        return Err(SwapError::AmountTooLow);
    }
    if !allow_partial && amount > max_amount {
        return Err(SwapError::SlippageTooHigh);
    }
    Ok(())
}

/// `unstake_from_subnet` on the pool and the position.
fn unstake_from_subnet(
    pool: &mut Pool,
    position: u64,
    alpha: u64,
    limit_price: u64,
    fee_dest: FeeDest,
) -> Result<(SwapResult, u64, Option<SwapResult>, u64), SwapError> {
    let mut position = position.saturating_sub(alpha);
    let swap = pool.sell_alpha(alpha, limit_price, false)?;
    let refund = alpha.saturating_sub(swap.amount_paid_in.saturating_add(swap.fee_paid));
    position = position.saturating_add(refund);
    let author_fee_swap = match fee_dest {
        FeeDest::Author => Some(pool.sell_alpha(swap.fee_to_block_author, MIN_PRICE, true)?),
        // Burned alpha leaves `SubnetAlphaOut` unchanged in the reference.
        FeeDest::Burn => None,
    };
    Ok((swap, refund, author_fee_swap, position))
}

/// The `remove_stake` extrinsic: `amount` is first capped at `position`. On error the
/// pool is unchanged.
pub fn remove_stake(
    pool: &mut Pool,
    position: u64,
    amount: u64,
    fee_dest: FeeDest,
) -> Result<RemoveStakeOutcome, SwapError> {
    let alpha = amount.min(position);
    ensure_remove_within_limit(pool, alpha)?;
    validate_remove_stake(pool, position, alpha, alpha, false)?;
    let mut next = *pool;
    let (swap, refund, author_fee_swap, position_after) =
        unstake_from_subnet(&mut next, position, alpha, MIN_PRICE, fee_dest)?;
    *pool = next;
    Ok(RemoveStakeOutcome {
        max_amount: None,
        executed_amount: alpha,
        swap,
        refund,
        author_fee_swap,
        position_after,
    })
}

/// The `remove_stake_limit` extrinsic (no cap at the position). On error the pool is
/// unchanged.
pub fn remove_stake_limit(
    pool: &mut Pool,
    position: u64,
    amount: u64,
    limit_price: u64,
    allow_partial: bool,
    fee_dest: FeeDest,
) -> Result<RemoveStakeOutcome, SwapError> {
    ensure_remove_within_limit(pool, amount)?;
    let max_amount = pool.max_amount_remove(limit_price)?;
    let possible = amount.min(max_amount);
    validate_remove_stake(pool, position, amount, max_amount, allow_partial)?;
    let mut next = *pool;
    let (swap, refund, author_fee_swap, position_after) =
        unstake_from_subnet(&mut next, position, possible, limit_price, fee_dest)?;
    *pool = next;
    Ok(RemoveStakeOutcome {
        max_amount: Some(max_amount),
        executed_amount: possible,
        swap,
        refund,
        author_fee_swap,
        position_after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(quote_weight: u64) -> Pool {
        Pool {
            subnet_tao: 100_000_000_000_000,
            alpha_in: 2_000_000_000_000_000,
            alpha_out: 1_500_000_000_000_000,
            quote_weight,
            fee_rate: 33,
            minimum_reserve: DEFAULT_MINIMUM_RESERVE,
        }
    }

    #[test]
    fn fee_is_amount_times_rate_over_u16_max() {
        let p = pool(ACCURACY / 2);
        assert_eq!(p.fee(10_000_000_000, false), 5_035_477);
        assert_eq!(p.fee(10_000_000_000, true), 0);
    }

    #[test]
    fn limit_at_current_price_is_rejected() {
        let p = pool(ACCURACY / 2);
        // 0.05 TAO per alpha = 50_000_000 in the extrinsic convention.
        assert_eq!(
            p.swap(Side::Buy, 1_000_000_000, 50_000_000, false, false),
            Err(SwapError::PriceLimitExceeded)
        );
        assert_eq!(
            p.swap(Side::Sell, 1_000_000_000, 50_000_000, false, false),
            Err(SwapError::PriceLimitExceeded)
        );
        assert!(
            p.swap(Side::Buy, 1_000_000_000, 50_000_001, false, false)
                .is_ok()
        );
    }

    #[test]
    fn injection_keeps_price_and_refuses_extreme_weights() {
        let mut p = pool(ACCURACY / 2);
        let before = p.price();
        let (tao, alpha) = p.adjust_protocol_liquidity(1_000_000_000, 5_000_000_000);
        assert_eq!((tao, alpha), (1_000_000_000, 5_000_000_000));
        p.subnet_tao += tao;
        p.alpha_in += alpha;
        let drift = p.price().to_bits().abs_diff(before.to_bits());
        assert!(
            drift < before.to_bits() / 1_000_000_000_000,
            "price moved by {drift} bits"
        );
        let mut q = pool(MIN_WEIGHT);
        assert_eq!(q.adjust_protocol_liquidity(u64::MAX / 2, 0), (0, 0));
        assert_eq!(q.quote_weight, MIN_WEIGHT);
    }

    #[test]
    fn empty_output_reserve_is_too_low() {
        let mut p = pool(ACCURACY / 2);
        p.alpha_in = DEFAULT_MINIMUM_RESERVE - 1;
        assert_eq!(
            p.swap(Side::Buy, 1_000, MAX_PRICE, false, false),
            Err(SwapError::ReservesTooLow)
        );
    }
}
