//! Block emission: `get_block_emission_for_issuance` with the issuance-based halving, and
//! the 21M TAO cap on what a block actually mints (`mint_tao`).

use substrate_fixed::types::I96F32;

/// `TotalSupply`: 21 000 000 TAO in RAO; no issuance beyond it.
pub const TOTAL_SUPPLY: u64 = 21_000_000_000_000_000;
/// `DefaultBlockEmission`: 1 TAO per block before the first halving.
pub const DEFAULT_BLOCK_EMISSION: u64 = 1_000_000_000;
/// Half of the supply: the halving curve's reference point.
const HALF_SUPPLY: u64 = 10_500_000_000_000_000;

/// Why the emission curve could not be evaluated (the reference's string error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmissionError {
    /// A fixed-point step of `log2(1 / (1 − issuance / 21e15))` failed.
    #[error("Logarithm calculation failed (issuance {issuance} RAO)")]
    Logarithm {
        /// The issuance that was fed to the curve.
        issuance: u64,
    },
}

impl EmissionError {
    /// The reference's error text, as the case format writes it.
    pub fn reference_text(&self) -> &'static str {
        "Logarithm calculation failed"
    }
}

/// RAO per block for a given issuance (also used per subnet with its alpha issuance):
/// `floor(1e9 / 2^floor(log2(1 / (1 − issuance / 21e15))))`, 0 at or above the cap.
///
/// The reference takes `floor` of `substrate_fixed::transcendental::log2`, whose integer
/// part is computed exactly by counting halvings of the operand while it is ≥ 2 (the
/// fractional bits come after and are never negative). That integer is the position of
/// the highest set bit of the operand's integer part, which is what we compute; the
/// operand itself is the same `I96F32` value as in the reference.
pub fn block_emission_for_issuance(issuance: u64) -> Result<u64, EmissionError> {
    let err = EmissionError::Logarithm { issuance };
    let total_issuance = I96F32::saturating_from_num(issuance);
    if total_issuance >= I96F32::saturating_from_num(TOTAL_SUPPLY) {
        return Ok(0);
    }
    let inverse = log2_operand(total_issuance).ok_or(err)?;
    // log2 fails on a non-positive operand; 1/(1 − x) ≥ 1 here, but keep the reference's check.
    if inverse <= I96F32::saturating_from_num(0) {
        return Err(err);
    }
    let integer_part = inverse.to_bits() >> 32;
    if integer_part == 0 {
        // log2 of a value in (0, 1) is negative; its floor saturates to 0 halvings.
        return Ok(DEFAULT_BLOCK_EMISSION);
    }
    let halvings = 127 - integer_part.leading_zeros();
    // 1 / 2^k is exact in I96F32 for k ≤ 32 and 0 beyond; times 1e9, truncated.
    Ok(if halvings > 32 {
        0
    } else {
        DEFAULT_BLOCK_EMISSION >> halvings
    })
}

/// `1 / (1 − issuance / (2 · 10.5e15))` in `I96F32`, step by step as the reference.
fn log2_operand(total_issuance: I96F32) -> Option<I96F32> {
    let one = I96F32::saturating_from_num(1);
    let two_halves =
        I96F32::saturating_from_num(2).saturating_mul(I96F32::saturating_from_num(HALF_SUPPLY));
    let fraction = total_issuance.checked_div(two_halves)?;
    let remaining = one.checked_sub(fraction)?;
    one.checked_div(remaining)
}

/// What a block mints at this issuance: the emission, capped so issuance never exceeds
/// [`TOTAL_SUPPLY`] (`mint_tao`).
pub fn minted_for_issuance(issuance: u64) -> Result<u64, EmissionError> {
    Ok(capped_mint(
        block_emission_for_issuance(issuance)?,
        issuance,
    ))
}

/// `min(amount, 21e15 − issuance)`: the reference's hard cap on any TAO mint.
pub fn capped_mint(amount: u64, issuance: u64) -> u64 {
    amount.min(TOTAL_SUPPLY.saturating_sub(issuance))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn halving_boundaries() {
        assert_eq!(block_emission_for_issuance(0), Ok(1_000_000_000));
        assert_eq!(
            block_emission_for_issuance(HALF_SUPPLY - 1),
            Ok(1_000_000_000)
        );
        assert_eq!(block_emission_for_issuance(HALF_SUPPLY), Ok(500_000_000));
        assert_eq!(
            block_emission_for_issuance(15_750_000_000_000_000),
            Ok(250_000_000)
        );
        assert_eq!(block_emission_for_issuance(TOTAL_SUPPLY), Ok(0));
        assert_eq!(block_emission_for_issuance(u64::MAX), Ok(0));
    }

    #[test]
    fn cap_limits_the_last_mint() {
        assert_eq!(capped_mint(59, TOTAL_SUPPLY - 10), 10);
        assert_eq!(capped_mint(59, TOTAL_SUPPLY), 0);
    }

    /// The reference's literal steps: `log2`, `floor`, a doubling loop, `1/m · 1e9`.
    fn reference_steps(issuance: u64) -> u64 {
        use substrate_fixed::transcendental::log2;
        let total_issuance = I96F32::saturating_from_num(issuance);
        if total_issuance >= I96F32::saturating_from_num(TOTAL_SUPPLY) {
            return 0;
        }
        let residual: I96F32 = log2(log2_operand(total_issuance).unwrap()).unwrap();
        let halvings: u64 = residual.floor().saturating_to_num::<u64>();
        let one = I96F32::saturating_from_num(1);
        let mut multiplier = one;
        for _ in 0..halvings {
            multiplier = multiplier.saturating_mul(I96F32::saturating_from_num(2));
        }
        let percentage = one
            .checked_div(multiplier)
            .unwrap_or(I96F32::saturating_from_num(0));
        percentage
            .saturating_mul(I96F32::saturating_from_num(DEFAULT_BLOCK_EMISSION))
            .saturating_to_num::<u64>()
    }

    #[test]
    fn matches_reference_steps_near_every_halving() {
        let mut remaining = TOTAL_SUPPLY;
        let mut boundary = 0u64;
        while remaining > 1 {
            for d in [0u64, 1, 2, 1000, 4_294_967_296] {
                for issuance in [boundary.saturating_sub(d), boundary.saturating_add(d)] {
                    assert_eq!(
                        block_emission_for_issuance(issuance).unwrap(),
                        reference_steps(issuance),
                        "issuance {issuance}"
                    );
                }
            }
            remaining /= 2;
            boundary = TOTAL_SUPPLY - remaining;
        }
        for issuance in [
            TOTAL_SUPPLY - 1,
            TOTAL_SUPPLY - 2,
            TOTAL_SUPPLY - 4_883,
            TOTAL_SUPPLY - 4_890,
        ] {
            assert_eq!(
                block_emission_for_issuance(issuance).unwrap(),
                reference_steps(issuance),
                "issuance {issuance}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn matches_reference_steps(issuance in 0u64..=TOTAL_SUPPLY + 10) {
            prop_assert_eq!(block_emission_for_issuance(issuance).unwrap(), reference_steps(issuance));
        }

        #[test]
        fn matches_reference_steps_near_cap(left in 0u64..100_000_000) {
            let issuance = TOTAL_SUPPLY - left.min(TOTAL_SUPPLY);
            prop_assert_eq!(block_emission_for_issuance(issuance).unwrap(), reference_steps(issuance));
        }

        #[test]
        fn issuance_never_exceeds_cap(start in 0u64..=TOTAL_SUPPLY, blocks in 1usize..50) {
            let mut issuance = start;
            for _ in 0..blocks {
                let minted = minted_for_issuance(issuance).unwrap();
                prop_assert!(minted <= DEFAULT_BLOCK_EMISSION);
                issuance += minted;
                prop_assert!(issuance <= TOTAL_SUPPLY);
            }
        }

        #[test]
        fn emission_never_increases_with_issuance(a in 0u64..=TOTAL_SUPPLY, b in 0u64..=TOTAL_SUPPLY) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(block_emission_for_issuance(hi).unwrap() <= block_emission_for_issuance(lo).unwrap());
        }
    }
}
