//! Small exact integer helpers the reference gets from `U256` and `Perquintill`.

/// `Perquintill` accuracy: 10^18 parts make one.
pub(crate) const ACCURACY: u64 = 1_000_000_000_000_000_000;

/// Full 256-bit product of two `u128`, as (high, low) halves.
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let mask = u128::from(u64::MAX);
    let (a_hi, a_lo) = (a >> 64, a & mask);
    let (b_hi, b_lo) = (b >> 64, b & mask);
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 64) + (lh & mask) + (hl & mask);
    let low = (ll & mask) | (mid << 64);
    let high = hh + (lh >> 64) + (hl >> 64) + (mid >> 64);
    (high, low)
}

/// A 256-bit (high, low) value shifted right by `shift` (< 256), truncated to 128 bits.
pub(crate) fn shr_wide((high, low): (u128, u128), shift: u32) -> u128 {
    match shift {
        0 => low,
        1..=127 => (low >> shift) | (high << (128 - shift)),
        128..=255 => high >> (shift - 128),
        _ => 0,
    }
}

/// Adds a `u128` to a 256-bit (high, low) value, saturating at 2^256 − 1.
fn add_wide((high, low): (u128, u128), add: u128) -> (u128, u128) {
    let (low, carry) = low.overflowing_add(add);
    if carry {
        match high.checked_add(1) {
            Some(high) => (high, low),
            None => (u128::MAX, u128::MAX),
        }
    } else {
        (high, low)
    }
}

/// Floor of a 256-bit value divided by a non-zero `u128`, saturated to `u128::MAX`.
fn div_wide((high, low): (u128, u128), divisor: u128) -> u128 {
    if high >= divisor {
        return u128::MAX;
    }
    // Restoring long division, one bit at a time; `rem < divisor` throughout.
    let mut rem = high;
    let mut quotient: u128 = 0;
    for i in (0..128).rev() {
        let top = rem >> 127;
        rem = (rem << 1) | ((low >> i) & 1);
        quotient <<= 1;
        if top == 1 || rem >= divisor {
            rem = rem.wrapping_sub(divisor);
            quotient |= 1;
        }
    }
    quotient
}

/// `floor(a * b / c)` with a 256-bit intermediate, saturating at `u128::MAX`; 0 when c = 0.
pub(crate) fn mul_div_floor(a: u128, b: u128, c: u128) -> u128 {
    if c == 0 {
        return 0;
    }
    div_wide(mul_wide(a, b), c)
}

/// `round_half_up(value * parts / 10^18)`: the reference's `mul_perquintill_round` (U256).
pub(crate) fn mul_perquintill_round(parts: u64, value: u128) -> u128 {
    let acc = u128::from(ACCURACY);
    div_wide(add_wide(mul_wide(value, u128::from(parts)), acc / 2), acc)
}

/// `Perquintill::from_rational(p, q)` (rounding down; 1 when p ≥ q or q = 0).
pub(crate) fn perquintill_from_rational(p: u128, q: u128) -> u64 {
    if q == 0 || p >= q {
        return ACCURACY;
    }
    // p < q so the quotient is below 10^18 and fits.
    u64::try_from(mul_div_floor(p, u128::from(ACCURACY), q)).unwrap_or(ACCURACY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mul_div_small_values() {
        assert_eq!(mul_div_floor(10, 10, 3), 33);
        assert_eq!(mul_div_floor(u128::MAX, 2, 2), u128::MAX);
        assert_eq!(mul_div_floor(u128::MAX, u128::MAX, 1), u128::MAX);
        assert_eq!(mul_div_floor(5, 5, 0), 0);
    }

    #[test]
    fn perquintill_rounding() {
        assert_eq!(perquintill_from_rational(1, 2), ACCURACY / 2);
        assert_eq!(perquintill_from_rational(1, 3), 333_333_333_333_333_333);
        assert_eq!(perquintill_from_rational(2, 3), 666_666_666_666_666_666);
        assert_eq!(perquintill_from_rational(5, 3), ACCURACY);
        assert_eq!(mul_perquintill_round(ACCURACY / 2, 3), 2);
        assert_eq!(mul_perquintill_round(ACCURACY / 3, 1), 0);
    }

    proptest! {
        #[test]
        fn mul_div_matches_u128_when_no_overflow(a in 0u64.., b in 0u64.., c in 1u64..) {
            let expected = u128::from(a) * u128::from(b) / u128::from(c);
            prop_assert_eq!(mul_div_floor(u128::from(a), u128::from(b), u128::from(c)), expected);
        }
    }
}
