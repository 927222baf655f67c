//! Minimal subnet pool hook: TAO and alpha reserves per subnet with a constant-product swap.
//! It exists so that registration can pay TAO into the pool and burn the alpha bought, as on
//! the reference; the dTAO pool model (weights, fees, staking) replaces these functions.
//!
//! ```text
//! SubnetTAO += tao
//! alpha_out  = floor(SubnetAlphaIn × tao / (SubnetTAO_before + tao))
//! SubnetAlphaIn -= alpha_out; SubnetAlphaOut += alpha_out
//! ```

use crate::error::DispatchError;
use crate::state::State;
use crate::storage::DResult;

/// TAO reserve of the pool (held by the subnet account).
pub const SUBNET_TAO: &str = "Subtensor.SubnetTAO";
/// Alpha reserve of the pool.
pub const SUBNET_ALPHA_IN: &str = "Subtensor.SubnetAlphaIn";
/// Alpha held outside the pool.
pub const SUBNET_ALPHA_OUT: &str = "Subtensor.SubnetAlphaOut";

/// Moves `tao` (already withdrawn from an account) into the pool's TAO reserve.
pub fn deposit_tao(s: &mut State<'_>, netuid: u16, tao: u64) -> DResult<()> {
    let reserve: u64 = s.subnet_get(SUBNET_TAO, netuid)?;
    let reserve = reserve
        .checked_add(tao)
        .ok_or(DispatchError::Overflow { what: "SubnetTAO" })?;
    s.subnet_put(SUBNET_TAO, netuid, &reserve);
    Ok(())
}

/// Prices the `tao` just deposited in alpha and moves that alpha out of the reserve.
pub fn swap_tao_for_alpha(s: &mut State<'_>, netuid: u16, tao: u64) -> DResult<u64> {
    let tao_reserve: u64 = s.subnet_get(SUBNET_TAO, netuid)?;
    let alpha_in: u64 = s.subnet_get(SUBNET_ALPHA_IN, netuid)?;
    let alpha = if tao_reserve == 0 {
        0
    } else {
        u64::try_from(u128::from(alpha_in) * u128::from(tao) / u128::from(tao_reserve)).unwrap_or(0)
    };
    s.subnet_put(SUBNET_ALPHA_IN, netuid, &alpha_in.saturating_sub(alpha));
    let out: u64 = s.subnet_get(SUBNET_ALPHA_OUT, netuid)?;
    s.subnet_put(SUBNET_ALPHA_OUT, netuid, &out.saturating_add(alpha));
    Ok(alpha)
}

/// Destroys `alpha` held outside the pool (the registration burn).
pub fn burn_alpha_out(s: &mut State<'_>, netuid: u16, alpha: u64) -> DResult<()> {
    let out: u64 = s.subnet_get(SUBNET_ALPHA_OUT, netuid)?;
    s.subnet_put(SUBNET_ALPHA_OUT, netuid, &out.saturating_sub(alpha));
    Ok(())
}

/// Spot price of alpha in TAO as a U64F64 bit pattern (`tao_in / alpha_in`), 0 when empty.
pub fn spot_price_u64f64(s: &State<'_>, netuid: u16) -> DResult<u128> {
    let tao: u64 = s.subnet_get(SUBNET_TAO, netuid)?;
    let alpha: u64 = s.subnet_get(SUBNET_ALPHA_IN, netuid)?;
    Ok(if alpha == 0 {
        0
    } else {
        (u128::from(tao) << 64) / u128::from(alpha)
    })
}

/// `get_median_subnet_alpha_price` over existing subnets with a positive price, 1.0 if none.
pub fn median_price_u64f64(s: &State<'_>) -> DResult<u128> {
    let mut prices = Vec::new();
    for netuid in s.netuids()? {
        if netuid == 0 {
            continue;
        }
        let p = spot_price_u64f64(s, netuid)?;
        if p > 0 {
            prices.push(p);
        }
    }
    prices.sort_unstable();
    let n = prices.len();
    Ok(match n {
        0 => 1u128 << 64,
        _ if n % 2 == 1 => prices[n / 2],
        _ => {
            prices[n / 2 - 1] / 2
                + prices[n / 2] / 2
                + (prices[n / 2 - 1] % 2 + prices[n / 2] % 2) / 2
        }
    })
}
