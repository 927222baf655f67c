//! Subnet pools in state: each dynamic subnet's weighted pool (tao-econ's [`Pool`]) is stored
//! as its reserves and quote weight, loaded before a swap and stored after it. All swap math
//! is tao-econ's, so the runtime and the economics case checker share one code path.
//!
//! ```text
//! SubnetTAO[n]       TAO reserve (held by the subnet account; counted in TotalIssuance)
//! SubnetAlphaIn[n]   alpha reserve
//! SubnetAlphaOut[n]  alpha outside the pool: stakes, pending emission, protocol alpha
//! SwapQuoteWeight[n] TAO-side weight in 1e-18 (default 0.5)
//! FeeRate[n]         swap fee, fraction of 65535 (default 33)
//! ```
//! Root (netuid 0) has no pool: staking there is 1:1 TAO with no fee.

use tao_econ::pool::{DEFAULT_MINIMUM_RESERVE, DEFAULT_QUOTE_WEIGHT, MAX_PRICE, Pool};

use crate::balances::{BURNED, TOTAL_ISSUANCE};
use crate::error::DispatchError;
use crate::hyperparams::Hyperparam;
use crate::state::State;
use crate::storage::{DResult, subnet_key};

/// TAO reserve of the pool (held by the subnet account).
pub const SUBNET_TAO: &str = "Subtensor.SubnetTAO";
/// Alpha reserve of the pool.
pub const SUBNET_ALPHA_IN: &str = "Subtensor.SubnetAlphaIn";
/// Alpha held outside the pool.
pub const SUBNET_ALPHA_OUT: &str = "Subtensor.SubnetAlphaOut";
/// TAO-side weight of the pool, 1e18 = 1.
pub const SWAP_QUOTE_WEIGHT: &str = "Swap.QuoteWeight";

/// The pool of `netuid` as tao-econ computes on it.
pub fn load(s: &State<'_>, netuid: u16) -> DResult<Pool> {
    let fee_rate = u16::try_from(s.hp(netuid, Hyperparam::FeeRate)?).unwrap_or(u16::MAX);
    Ok(Pool {
        subnet_tao: s.subnet_get(SUBNET_TAO, netuid)?,
        alpha_in: s.subnet_get(SUBNET_ALPHA_IN, netuid)?,
        alpha_out: s.subnet_get(SUBNET_ALPHA_OUT, netuid)?,
        quote_weight: s
            .get(&subnet_key(SWAP_QUOTE_WEIGHT, netuid))?
            .unwrap_or(DEFAULT_QUOTE_WEIGHT),
        fee_rate,
        minimum_reserve: DEFAULT_MINIMUM_RESERVE,
    })
}

/// Writes back the reserves and weight of `pool` (the fee rate is a hyperparameter).
pub fn store(s: &mut State<'_>, netuid: u16, pool: &Pool) {
    s.subnet_put(SUBNET_TAO, netuid, &pool.subnet_tao);
    s.subnet_put(SUBNET_ALPHA_IN, netuid, &pool.alpha_in);
    s.subnet_put(SUBNET_ALPHA_OUT, netuid, &pool.alpha_out);
    s.subnet_put(SWAP_QUOTE_WEIGHT, netuid, &pool.quote_weight);
}

/// Registration burn (`burned_register` step 8): the TAO already withdrawn from the payer
/// buys alpha through the pool, with the swap fee, and the alpha bought is taken out of
/// `SubnetAlphaOut`. The fee never enters the reserve; it leaves issuance (burned), and a
/// pool that cannot swap refuses the registration, as on the reference.
pub fn burn_registration(s: &mut State<'_>, netuid: u16, tao: u64) -> DResult<()> {
    let mut pool = load(s, netuid)?;
    let r = pool
        .buy_alpha(tao, MAX_PRICE, false)
        .map_err(|error| DispatchError::Swap { netuid, error })?;
    pool.alpha_out = pool.alpha_out.saturating_sub(r.amount_paid_out);
    store(s, netuid, &pool);
    let fee = tao.saturating_sub(r.amount_paid_in);
    s.sub_counter(TOTAL_ISSUANCE, fee)?;
    s.add_counter(BURNED, fee)
}

/// Spot price of alpha in TAO as a U64F64 bit pattern, 0 when the pool is empty.
pub fn spot_price_u64f64(s: &State<'_>, netuid: u16) -> DResult<u128> {
    Ok(load(s, netuid)?.price().to_bits())
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
