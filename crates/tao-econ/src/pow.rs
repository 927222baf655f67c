//! The pool's power function `(num/den)^(exp_num/exp_den) · scale`, floored.
//!
//! The reference computes it with `safe_bigmath::SafeInt::pow_ratio_scaled` (an exact
//! integer root for small reduced exponents, else a 280-bit log/exp series). Both return
//! `floor` of the true value whenever the exponent argument `|e·ln r|` is moderate: the
//! exact path by construction, the series because its error is below 2^-190 there.
//!
//! [`pow_ratio_scaled`] therefore first evaluates the power in 120-bit fixed point with a
//! proven error bound far below 2^-24 of the result's last unit. When the floor is
//! unambiguous (the estimate ± bound lies within one integer) and `|e·ln r| ≤ 40`, that
//! floor is the reference's answer; otherwise (about one call in 2^23, exact integers
//! such as `r = 1`, or extreme exponents where the reference series itself is not exact)
//! it defers to the reference algorithm. The results are identical, only faster.

use safe_bigmath::SafeInt;

use crate::math::{mul_div_floor, mul_wide, shr_wide};

/// Fractional bits of the fast path's fixed point.
const FRAC: u32 = 120;
/// 1.0 in the fast path's fixed point.
const ONE: u128 = 1 << FRAC;
/// floor(ln 2 · 2^120).
const LN2: u128 = 0xb1_7217_f7d1_cf79_abc9_e3b3_9803_f2f6;
/// floor(√2 · 2^120): the ln mantissa is kept in [1/√2, √2).
const SQRT2: u128 = 0x16a_09e6_67f3_bcc9_08b2_fb13_66ea_957d;
/// Largest `|e·ln r|` (in units of 2^-120) the fast path accepts.
const MAX_EXPONENT_ARG: u128 = 40 << FRAC;
/// Fractional bits kept in the final estimate.
const OUT_FRAC: u32 = 40;
/// Error margin of the final estimate, in units of 2^-40 (= 2^-24 of the result's unit).
const OUT_MARGIN: u128 = 1 << 16;

/// `a · b` in Q8.120, truncated.
fn mul_q(a: u128, b: u128) -> u128 {
    let (hi, lo) = mul_wide(a, b);
    shr_wide((hi, lo), FRAC)
}

/// `atanh(z)` for `0 ≤ z < 0.18` in Q8.120: `z + z^3/3 + z^5/5 + …`.
fn atanh_small(z: u128) -> u128 {
    let z2 = mul_q(z, z);
    let mut power = z;
    let mut sum = z;
    let mut n: u128 = 1;
    loop {
        power = mul_q(power, z2);
        let term = power / (2 * n + 1);
        if term == 0 {
            return sum;
        }
        sum += term;
        n += 1;
    }
}

/// `-ln(p / q)` in Q8.120 for `0 < p ≤ q < 2^65`.
fn neg_ln_ratio(p: u128, q: u128) -> Option<u128> {
    let bits = |v: u128| 128 - v.leading_zeros();
    let mut k = bits(q).checked_sub(bits(p))?;
    // r = p/q = 2^-k · m with m in (1/2, 2).
    let mut m = mul_div_floor(p << k, ONE, q);
    if m < ONE {
        m <<= 1;
        k += 1;
    }
    let (ln_m, negative) = if m >= SQRT2 {
        // m in [√2, 2): use m/2 in [1/√2, 1) and one fewer halving.
        k = k.checked_sub(1)?;
        let half = m >> 1;
        (
            2 * atanh_small(mul_div_floor(ONE - half, ONE, ONE + half)),
            true,
        )
    } else {
        (2 * atanh_small(mul_div_floor(m - ONE, ONE, m + ONE)), false)
    };
    // -ln r = k·ln2 − ln m.
    let k_ln2 = u128::from(k) * LN2;
    Some(if negative {
        k_ln2 + ln_m
    } else {
        k_ln2.saturating_sub(ln_m)
    })
}

/// `exp(-y)` for `0 ≤ y < ln 2` in Q8.120 (alternating Taylor series).
fn exp_neg_small(y: u128) -> u128 {
    let mut term = ONE;
    let mut sum = ONE;
    let mut n: u128 = 1;
    loop {
        term = mul_q(term, y) / n;
        if term == 0 {
            return sum;
        }
        if n % 2 == 1 {
            sum -= term;
        } else {
            sum += term;
        }
        n += 1;
    }
}

/// Fast `floor((num/den)^(exp_num/exp_den) · scale)` for `num ≤ den < 2^64` and
/// `scale ≤ 10^18`; `None` when the floor is not certain.
fn fast_pow_below_one(
    num: u128,
    den: u128,
    exp_num: u128,
    exp_den: u128,
    scale: u128,
) -> Option<u64> {
    if num == 0
        || num > den
        || den > u128::from(u64::MAX)
        || scale > 1_000_000_000_000_000_000
        || exp_den == 0
    {
        return None;
    }
    if exp_num > 1 << 64 || exp_den > 1 << 64 {
        return None;
    }
    let y = mul_div_floor(neg_ln_ratio(num, den)?, exp_num, exp_den);
    if y > MAX_EXPONENT_ARG {
        return None;
    }
    let halvings = y / LN2;
    let frac = y - halvings * LN2;
    let e = exp_neg_small(frac);
    // estimate = e · scale · 2^-halvings, with OUT_FRAC fractional bits.
    let estimate = shr_wide(
        mul_wide(e, scale),
        FRAC - OUT_FRAC + u32::try_from(halvings).ok()?,
    );
    let low = estimate.checked_sub(OUT_MARGIN)? >> OUT_FRAC;
    let high = (estimate + OUT_MARGIN) >> OUT_FRAC;
    if low == high {
        u64::try_from(low).ok()
    } else {
        None
    }
}

/// Outcome of a scaled power.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scaled {
    /// The floored result fits in a `u64`.
    Fits(u64),
    /// The result is larger than `u64::MAX`.
    AboveU64,
}

/// `floor((num/den)^(exp_num/exp_den) · scale)`, `None` when the reference returns `None`
/// (a zero denominator).
pub(crate) fn pow_ratio_scaled(
    num: u128,
    den: u128,
    exp_num: u128,
    exp_den: u128,
    precision: u32,
    scale: u128,
) -> Option<Scaled> {
    if let Some(v) = fast_pow_below_one(num, den, exp_num, exp_den, scale) {
        return Some(Scaled::Fits(v));
    }
    reference_pow_ratio_scaled(num, den, exp_num, exp_den, precision, scale)
}

/// The reference algorithm itself (`safe_bigmath`).
pub(crate) fn reference_pow_ratio_scaled(
    num: u128,
    den: u128,
    exp_num: u128,
    exp_den: u128,
    precision: u32,
    scale: u128,
) -> Option<Scaled> {
    let result = SafeInt::pow_ratio_scaled(
        &SafeInt::from(num),
        &SafeInt::from(den),
        &SafeInt::from(exp_num),
        &SafeInt::from(exp_den),
        precision,
        &SafeInt::from(scale),
    )?;
    Some(match result.to_u64() {
        Some(v) => Scaled::Fits(v),
        None if u64::MAX < result => Scaled::AboveU64,
        // Negative results cannot arise from non-negative inputs; the reference maps them to 0.
        None => Scaled::Fits(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SCALE: u128 = 1_000_000_000_000_000_000;

    /// Compares the fast path with the reference; returns whether the fast path answered.
    fn both(num: u64, den: u64, w: u64) -> bool {
        let (a, b) = (u128::from(w), u128::from(1_000_000_000_000_000_000 - w));
        let fast = fast_pow_below_one(u128::from(num), u128::from(den), a, b, SCALE);
        let reference =
            reference_pow_ratio_scaled(u128::from(num), u128::from(den), a, b, 256, SCALE);
        if let Some(v) = fast {
            assert_eq!(
                Some(Scaled::Fits(v)),
                reference,
                "num {num} den {den} w {w}"
            );
        }
        fast.is_some()
    }

    #[test]
    fn constants() {
        // √2² and ln2 checked against their defining identities at 2^-118.
        let sq = mul_q(SQRT2, SQRT2);
        assert!((2 * ONE).abs_diff(sq) < 4);
        assert!(neg_ln_ratio(1, 2).unwrap().abs_diff(LN2) < 64);
        assert_eq!(neg_ln_ratio(7, 7), Some(0));
    }

    #[test]
    fn exact_one_defers_to_reference() {
        assert_eq!(fast_pow_below_one(5, 5, 3, 7, SCALE), None);
        assert_eq!(
            pow_ratio_scaled(5, 5, 3, 7, 256, SCALE),
            Some(Scaled::Fits(1_000_000_000_000_000_000))
        );
    }

    #[test]
    fn matches_reference_on_pool_shapes() {
        assert!(both(
            100_000_000_000_000,
            100_009_994_964_523,
            500_000_000_000_000_000
        ));
        assert!(both(
            13_822_464_056,
            13_993_855_692,
            512_108_200_087_797_476
        ));
        assert!(both(1_000_000, 1_001_000_000, 10_000_000_000_000_000));
        // e·|ln r| = 99 · ln 1001 is beyond the fast path: the reference answers.
        assert!(!both(1_000_000, 1_001_000_000, 990_000_000_000_000_000));
        assert!(!both(1, u64::MAX, 990_000_000_000_000_000));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn fast_path_equals_reference(x in 1u64..=u64::MAX / 2, dx_frac in 0u64..=1_000_000, w in 10_000_000_000_000_000u64..=990_000_000_000_000_000) {
            let dx = u64::try_from(u128::from(x) * u128::from(dx_frac) / 1_000).unwrap_or(u64::MAX / 2);
            both(x, x.saturating_add(dx), w);
        }

        #[test]
        fn fast_path_equals_reference_small_inputs(x in 1u64..1_000_000_000, dx in 0u64..1_000_000, w in 10_000_000_000_000_000u64..=990_000_000_000_000_000) {
            // Moderate exponents (r ≥ 1/2, e ≤ 1) must take the fast path.
            prop_assert!(both(x, x + dx, w) || dx == 0 || dx > x || w > 500_000_000_000_000_000);
        }
    }
}
