//! Fixed-point helpers with the reference's exact rounding (`substrate-fixed` 0.6.0, the same
//! release subtensor pins): truncating division that yields 0 on division by zero or overflow
//! (`safe_div`), saturating conversions to `u16`/`u64`, `exp_safe` and the liquid-alpha sigmoid.

use substrate_fixed::types::{I32F32, I64F64};

/// Fixed-point zero.
pub const ZERO: I32F32 = I32F32::from_bits(0);
/// Fixed-point one.
pub const ONE: I32F32 = I32F32::from_bits(1 << 32);

/// `e` as the reference's `exp` returns it for an input of exactly 1 (a 9.23 constant).
const E: I32F32 =
    I32F32::from_bits(((0xADF8_5458_A2BB_4A9A_AFDC_5620_273D_3CF1u128 >> 103) as i64) << 9);

/// Truncating 32.32 division on raw bits, `None` on division by zero or overflow; the same
/// quotient as `substrate-fixed`'s `checked_div`, without 128-bit division in the common case.
#[inline]
pub fn checked_div(x: I32F32, y: I32F32) -> Option<I32F32> {
    let (a, b) = (x.to_bits(), y.to_bits());
    if b == 0 {
        return None;
    }
    // Dropping common trailing zero bits keeps the exact rational a·2^32 / b.
    let shift = (a | b).trailing_zeros();
    let (a, b) = (a >> shift, b >> shift);
    if let (Ok(ua), Ok(ub)) = (u64::try_from(a), u64::try_from(b))
        && ua < 1 << 32
    {
        return i64::try_from((ua << 32) / ub).ok().map(I32F32::from_bits);
    }
    if a.unsigned_abs() < 1 << 31 {
        return Some(I32F32::from_bits((a << 32) / b));
    }
    i64::try_from((i128::from(a) << 32) / i128::from(b))
        .ok()
        .map(I32F32::from_bits)
}

/// A divisor prepared once for many truncating divisions by the same value (a column sum, a
/// row sum): multiply-and-shift instead of a hardware division per entry, with exactly
/// [`checked_div`]'s quotients (Granlund and Montgomery, "Division by invariant integers using
/// multiplication", 1994, figure 4.1, on the raw divisor). The prepared path takes raw `x` in
/// `[0, 2^32)`: values below one, which is what the epoch divides in bulk (proportions, and
/// stored `u16` values taken as raw integers); anything else is divided by [`checked_div`].
#[derive(Clone, Copy, Debug)]
pub struct Divisor {
    /// Raw `x` (as `u64`) below this takes the prepared path: `2^32` for raw divisors from 2
    /// up, where `x·2^32` fits in 64 bits and the quotient, below `2^63`, fits 32.32; else 0.
    limit: u64,
    /// The multiplier `m' = floor(2^64 · (2^l − d) / d) + 1` for the raw divisor `d`,
    /// `l = ceil(log2 d)`.
    magic: u64,
    /// `l − 1`.
    shift: u32,
    /// The divisor itself, for the inputs the prepared path does not take.
    y: I32F32,
}

impl Divisor {
    /// Prepares division by `y` (any value; divisors below 2 raw always divide directly).
    pub fn new(y: I32F32) -> Self {
        match u64::try_from(y.to_bits()) {
            Ok(d) if d >= 2 => Self::positive(d),
            _ => Self::slow(y),
        }
    }

    /// Division by one: keeps every value (prepared at compile time).
    pub const ONE: Self = Self::positive(1 << 32);

    /// Division by zero: every quotient is 0 (as [`safe_div`]); values below one take the
    /// prepared path, whose shift leaves nothing of them.
    pub const ZERO: Self = Self {
        limit: 1 << 32,
        magic: 0,
        shift: 63,
        y: ZERO,
    };

    /// Prepares division by the raw value `d` (`2 <= d < 2^63`).
    const fn positive(d: u64) -> Self {
        let l = u64::BITS - (d - 1).leading_zeros();
        let span = (1u128 << l) - d as u128;
        // m' < 2^64 because d > 2^(l−1).
        Self {
            limit: 1 << 32,
            magic: ((span << 64) / d as u128 + 1) as u64,
            shift: l - 1,
            y: I32F32::from_bits(d as i64),
        }
    }

    /// A divisor without the prepared path, for divisors used too few times to repay
    /// preparing them: every division goes to its out-of-line path.
    pub fn slow(y: I32F32) -> Self {
        Self {
            limit: 0,
            magic: 0,
            shift: 0,
            y,
        }
    }

    /// `x / y` truncated, `None` on division by zero or overflow (as [`checked_div`]).
    #[inline(always)]
    pub fn checked_div(&self, x: I32F32) -> Option<I32F32> {
        let ux = x.to_bits() as u64;
        if ux < self.limit {
            // floor(x·2^32 / d) with x·2^32 < 2^64 and d ≥ 2.
            let n = ux << 32;
            let t1 = ((u128::from(self.magic) * u128::from(n)) >> 64) as u64;
            let q = (t1 + ((n - t1) >> 1)) >> self.shift;
            return Some(I32F32::from_bits(q as i64));
        }
        self.slow_div(x)
    }

    /// The inputs outside the prepared path: every input of an unprepared divisor, and negative
    /// `x`, `x` from one up or divisors below 2. Kept out of line, so that the prepared path
    /// stays short where it runs in bulk.
    #[cold]
    #[inline(never)]
    fn slow_div(&self, x: I32F32) -> Option<I32F32> {
        // Values below one by a raw divisor from 2 up (an unprepared divisor's usual case):
        // `x·2^32` fits 64 bits, so one hardware division gives the quotient.
        if let (Ok(ux), Ok(d)) = (u64::try_from(x.to_bits()), u64::try_from(self.y.to_bits()))
            && ux < 1 << 32
            && d >= 2
        {
            return Some(I32F32::from_bits(((ux << 32) / d) as i64));
        }
        checked_div(x, self.y)
    }

    /// `x / y`, or 0 when `y == 0` or the quotient overflows (as [`safe_div`]).
    #[inline(always)]
    pub fn safe_div(&self, x: I32F32) -> I32F32 {
        self.checked_div(x).unwrap_or(ZERO)
    }
}

/// `x · y` saturating on overflow: `substrate-fixed`'s `saturating_mul` for 32.32 (which widens
/// to a 128 × 128-bit overflowing product) as one 64 × 64 → 128-bit multiply. Its overflow test,
/// `x·y·2^32` outside `i128`, is the same as `x·y >> 32` outside `i64`.
#[inline(always)]
pub fn mul(x: I32F32, y: I32F32) -> I32F32 {
    let product = i128::from(x.to_bits()) * i128::from(y.to_bits());
    let bits = (product >> 32) as i64;
    // `product >> 32` fits in 64 bits when bits 95..127 of the product all equal bit 95.
    if (product >> 95) as i64 == bits >> 63 {
        I32F32::from_bits(bits)
    } else if product < 0 {
        I32F32::min_value()
    } else {
        I32F32::max_value()
    }
}

/// `x · y` for `x` and `y` in `[0, 1]` (raw `0..=2^32`), where it equals [`mul`]: the product
/// cannot overflow, so the overflow test is left out of the epoch's hottest loops.
#[inline(always)]
pub fn mul_unit(x: I32F32, y: I32F32) -> I32F32 {
    let product = u128::from(x.to_bits() as u64) * u128::from(y.to_bits() as u64);
    I32F32::from_bits((product >> 32) as i64)
}

/// [`proportion_to_u16`] for `x` in `[0, 1]`: `floor(x · 65535)` without saturation tests.
#[inline(always)]
pub fn unit_to_u16(x: I32F32) -> u16 {
    (((x.to_bits() as u64) * u64::from(u16::MAX)) >> 32) as u16
}

/// `x · y`, `None` on overflow (`substrate-fixed`'s `checked_mul` for 32.32, as [`mul`]).
#[inline(always)]
pub fn checked_mul(x: I32F32, y: I32F32) -> Option<I32F32> {
    let product = i128::from(x.to_bits()) * i128::from(y.to_bits());
    let bits = (product >> 32) as i64;
    ((product >> 95) as i64 == bits >> 63).then_some(I32F32::from_bits(bits))
}

/// `x + y` saturating (`substrate-fixed`'s branch-free `saturating_add`, as the plain integer one).
#[inline(always)]
pub fn add(x: I32F32, y: I32F32) -> I32F32 {
    I32F32::from_bits(x.to_bits().saturating_add(y.to_bits()))
}

/// `x − y` saturating (`substrate-fixed`'s `saturating_sub`, as the plain integer one).
#[inline(always)]
pub fn sub(x: I32F32, y: I32F32) -> I32F32 {
    I32F32::from_bits(x.to_bits().saturating_sub(y.to_bits()))
}

/// A stored `u16` as a 32.32 number (`from_num`), exactly `value << 32`.
#[inline(always)]
pub fn from_u16(value: u16) -> I32F32 {
    I32F32::from_bits(i64::from(value) << 32)
}

/// `x / y`, or 0 when `y == 0` or the quotient overflows (subtensor's `safe_div`).
#[inline]
pub fn safe_div(x: I32F32, y: I32F32) -> I32F32 {
    checked_div(x, y).unwrap_or(ZERO)
}

/// `x / y` saturating on overflow (also for `y == 0`, where the reference would panic).
#[inline]
fn saturating_div(x: I32F32, y: I32F32) -> I32F32 {
    checked_div(x, y).unwrap_or(if (x < ZERO) != (y < ZERO) {
        I32F32::min_value()
    } else {
        I32F32::max_value()
    })
}

/// The reference's `transcendental::exp` for 32.32 input and output: the Taylor series
/// `1 + x + Σ_{i=2}^{31} x^i / i!` built term by term with truncating arithmetic, inverted for
/// negative `x`; `None` on overflow.
fn exp(x: I32F32) -> Option<I32F32> {
    if x == ZERO {
        return Some(ONE);
    }
    if x == ONE {
        return Some(E);
    }
    let neg = x < ZERO;
    let operand = if neg { x.checked_neg()? } else { x };
    let mut result = operand.checked_add(ONE)?;
    let mut term = operand;
    for i in 2..=31 {
        term = checked_mul(term, operand)?;
        term = checked_div(term, I32F32::from_bits(i << 32))?;
        result = result.checked_add(term)?;
        if term == ZERO {
            // Every later term is 0 too and adds nothing.
            break;
        }
    }
    if neg {
        result = checked_div(ONE, result)?;
    }
    Some(result)
}

/// `x / y` in 64.64 fixed point, or 0 when `y == 0` or the quotient overflows.
#[inline]
pub fn safe_div_64(x: I64F64, y: I64F64) -> I64F64 {
    x.checked_div(y).unwrap_or(I64F64::from_bits(0))
}

/// Sum the way the reference's `Iterator::sum` does in a release runtime (two's-complement wrap).
#[inline]
pub fn wrapping_sum(values: impl IntoIterator<Item = I32F32>) -> I32F32 {
    I32F32::from_bits(
        values
            .into_iter()
            .fold(0i64, |acc, v| acc.wrapping_add(v.to_bits())),
    )
}

/// A stored `u16` proportion of 65535 as a fixed-point number (`u16_proportion_to_fixed`):
/// the reference's `(x · 2^32) / (65535 · 2^32)` in 32.32 is `floor(x · 2^32 / 65535)`.
#[inline]
pub fn u16_proportion(x: u16) -> I32F32 {
    I32F32::from_bits(((u64::from(x) << 32) / u64::from(u16::MAX)) as i64)
}

/// A fixed-point proportion as stored `u16`: `x · 65535`, truncated and saturated.
#[inline]
pub fn proportion_to_u16(x: I32F32) -> u16 {
    if (0..=ONE.to_bits()).contains(&x.to_bits()) {
        return unit_to_u16(x);
    }
    // `saturating_to_num::<u16>` of the product, on raw bits: negative → 0, else the integer
    // part capped at 65535.
    let bits = mul(x, from_u16(u16::MAX)).to_bits();
    if bits < 0 {
        0
    } else {
        u16::try_from(bits >> 32).unwrap_or(u16::MAX)
    }
}

/// A normalized share of `rao_emission`, in RAO (I96F32 product, truncated and saturated).
#[inline]
pub fn share_of(x: I32F32, rao_emission: u64) -> u64 {
    // The 96.32 product `x · rao` never overflows (|x| < 2^31, rao < 2^64), so this is
    // `floor(x_bits · rao / 2^32)`, saturated to `u64` and 0 for negative `x`.
    let Ok(bits) = u64::try_from(x.to_bits()) else {
        return 0;
    };
    u64::try_from((u128::from(bits) * u128::from(rao_emission)) >> 32).unwrap_or(u64::MAX)
}

/// Divides every value by the (wrapping) sum, unless the sum is zero (`inplace_normalize`).
pub fn normalize(x: &mut [I32F32]) {
    let sum = wrapping_sum(x.iter().copied());
    if sum == ZERO {
        return;
    }
    let divisor = Divisor::new(sum);
    for value in x.iter_mut() {
        *value = divisor.safe_div(*value);
    }
}

/// `exp(x)` for `x` clamped to `[-20, 20]`, with the reference's series and overflow fallbacks.
pub fn exp_safe(input: I32F32) -> I32F32 {
    let clamped = input.clamp(I32F32::from_num(-20), I32F32::from_num(20));
    match exp(clamped) {
        Some(value) => value,
        None if clamped <= ZERO => ZERO,
        None => I32F32::max_value(),
    }
}

/// How many exponentials [`exp_lanes`] evaluates in lockstep: enough independent series to keep
/// the multiplier busy while each one waits on its own previous term.
const LANES: usize = 16;

/// For each series index `i = 2, …, 31` of [`exp`]: `(m, t)` with `t = floor(log2(i − 1))` and
/// `m = ceil(2^(64+t) / i)`, so that `floor(n / i) = floor(n · m / 2^(64+t))` for every
/// `n < 2^63` without a division. `m < 2^64` since `2^t < i`; with `m · i = 2^(64+t) + r`,
/// `0 <= r < i <= 2^(t+1)`, the excess `n · r / (i · 2^(64+t))` stays below `1/i` and so never
/// reaches the next multiple of `1/i`.
const SERIES_RECIPROCALS: [(u64, u32); 30] = {
    let mut table = [(0, 0); 30];
    let mut k = 0;
    while k < table.len() {
        let i = k as u128 + 2;
        let t = 127 - (i - 1).leading_zeros();
        table[k] = ((1u128 << (64 + t)).div_ceil(i) as u64, t);
        k += 1;
    }
    table
};

/// `floor(2^64 / b)` for `b >= 2^32`, i.e. the raw bits of `ONE / b` as [`checked_div`]
/// truncates them (at most `2^32`, so no overflow), in one 64-bit division instead of 128-bit:
/// `u64::MAX / b` is one less exactly when `b` divides `2^64`.
#[inline(always)]
fn reciprocal(b: u64) -> u64 {
    u64::MAX / b + u64::from(b.is_power_of_two())
}

/// [`exp_safe`] of `LANES` inputs at once, their series run in lockstep on plain `u64` bits.
///
/// Exact: after the clamp the operand `x = |input|` is at most 20, so every truncated term is at
/// most `x^i / i! <= 20^20 / 20! < 2^26` (raw `< 2^58`), every product `term · x` at most
/// `20^20 / 19! < 2^30` (raw `< 2^62`) and the sum at most `e^20 < 2^29`: none of `exp`'s checked
/// operations can overflow (so `exp_safe` never takes its fallbacks). The product's raw bits
/// `floor(term · x / 2^32)` are the high half of `(term · 2^6) · (x · 2^26)`, both factors below
/// `2^64`, and [`SERIES_RECIPROCALS`] divide them exactly. A lane whose term reached 0 keeps
/// adding 0, so running until every lane is done gives each lane `exp`'s early-exit sum.
/// An input of exactly 1 gives `exp`'s constant `E` (−1 runs the series), 0 sums to exactly
/// one, and negative inputs take the truncated reciprocal of their series.
fn exp_lanes(inputs: [I32F32; LANES]) -> [I32F32; LANES] {
    let limit = 20 << 32;
    let clamped = inputs.map(|x| x.to_bits().clamp(-limit, limit));
    let operands = clamped.map(i64::unsigned_abs);
    let scaled = operands.map(|x| x << 26);
    let mut terms = operands;
    let mut sums = operands.map(|x| x + (1 << 32));
    for &(magic, shift) in &SERIES_RECIPROCALS {
        let mut pending = 0;
        for ((term, sum), &x) in terms.iter_mut().zip(&mut sums).zip(&scaled) {
            let product = ((u128::from(*term << 6) * u128::from(x)) >> 64) as u64;
            *term = ((u128::from(product) * u128::from(magic)) >> 64) as u64 >> shift;
            *sum += *term;
            pending |= *term;
        }
        if pending == 0 {
            break;
        }
    }
    let mut out = [ZERO; LANES];
    for ((value, &x), sum) in out.iter_mut().zip(&clamped).zip(sums) {
        *value = if x == ONE.to_bits() {
            E
        } else if x < 0 {
            I32F32::from_bits(reciprocal(sum) as i64)
        } else {
            I32F32::from_bits(sum as i64)
        };
    }
    out
}

/// Liquid alpha parameters in fixed point.
#[derive(Clone, Copy, Debug)]
pub struct LiquidAlpha {
    /// Lower bound of the per-bond EMA alpha.
    low: I32F32,
    /// Upper bound of the per-bond EMA alpha.
    high: I32F32,
    /// `steepness / −100`, the same for every bond, so divided once.
    slope: I32F32,
    /// The alpha at `diff == 0` (weight at or below consensus, the common case), computed once.
    at_zero: I32F32,
}

impl LiquidAlpha {
    /// The parameters of one epoch: alpha bounds and sigmoid steepness.
    pub fn new(low: I32F32, high: I32F32, steepness: I32F32) -> Self {
        let mut la = Self {
            low,
            high,
            slope: saturating_div(steepness, I32F32::from_num(-100)),
            at_zero: ZERO,
        };
        la.at_zero = la.alpha_of_diff(ZERO);
        la
    }

    /// The distance in `[0, 1]` that sets a bond's alpha (`alpha_sigmoid`): how far the
    /// validator's weight moves away from consensus (buying) or below its bond (selling).
    pub fn diff(consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        if weight >= bond {
            clamp(sub(weight, consensus), ZERO, ONE)
        } else {
            clamp(sub(bond, weight), ZERO, ONE)
        }
    }

    /// The EMA alpha for one bond, one at a time: the path [`Self::alphas`] is checked against.
    #[cfg(test)]
    fn alpha(&self, consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        let diff = Self::diff(consensus, weight, bond);
        if diff == ZERO {
            return self.at_zero;
        }
        self.alpha_of_diff(diff)
    }

    /// Replaces every [`Self::diff`] in `values` by its alpha, evaluating the exponentials of
    /// the non-zero ones [`LANES`] at a time (the same values as one at a time, only faster).
    pub fn alphas(&self, values: &mut [I32F32]) {
        let mut positions = [0; LANES];
        let mut exponents = [ZERO; LANES];
        let mut filled = 0;
        for k in 0..values.len() {
            let Some(value) = values.get_mut(k) else {
                break;
            };
            if *value == ZERO {
                *value = self.at_zero;
                continue;
            }
            if let (Some(position), Some(exponent)) =
                (positions.get_mut(filled), exponents.get_mut(filled))
            {
                *position = k;
                *exponent = self.exponent(*value);
                filled += 1;
            }
            if filled == LANES {
                self.finish(values, &positions, exponents);
                filled = 0;
            }
        }
        // Lanes left over from the previous group would only keep the series running longer.
        if let Some(stale) = exponents.get_mut(filled..) {
            stale.fill(ZERO);
        }
        self.finish(values, positions.get(..filled).unwrap_or(&[]), exponents);
    }

    /// Stores the alphas of the first `positions.len()` `exponents` at those positions.
    #[inline(always)]
    fn finish(&self, values: &mut [I32F32], positions: &[usize], exponents: [I32F32; LANES]) {
        if positions.is_empty() {
            return;
        }
        for (&k, exp) in positions.iter().zip(exp_lanes(exponents)) {
            if let Some(value) = values.get_mut(k) {
                *value = self.alpha_of_exp(exp);
            }
        }
    }

    /// The sigmoid alpha for a clamped distance `diff` in `[0, 1]`, as the reference computes it.
    fn alpha_of_diff(&self, diff: I32F32) -> I32F32 {
        let sigmoid = saturating_div(ONE, ONE.saturating_add(exp_safe(self.exponent(diff))));
        self.scale(sigmoid)
    }

    /// The sigmoid's exponent `steepness / −100 · (diff − 1/2)`.
    #[inline(always)]
    fn exponent(&self, diff: I32F32) -> I32F32 {
        mul(self.slope, diff.saturating_sub(I32F32::from_num(0.5)))
    }

    /// [`Self::alpha_of_diff`] from `exp_safe` of the exponent (non-negative, below `2^62` raw):
    /// `ONE / (ONE + exp)` by [`reciprocal`], since the divisor is at least one.
    #[inline(always)]
    fn alpha_of_exp(&self, exp: I32F32) -> I32F32 {
        let divisor = ONE.to_bits().unsigned_abs() + exp.to_bits().unsigned_abs();
        self.scale(I32F32::from_bits(reciprocal(divisor) as i64))
    }

    /// `low + sigmoid · (high − low)`, clamped to `[low, high]`.
    #[inline(always)]
    fn scale(&self, sigmoid: I32F32) -> I32F32 {
        let alpha = self
            .low
            .saturating_add(mul(sigmoid, self.high.saturating_sub(self.low)));
        clamp(alpha, self.low, self.high)
    }
}

/// `min(value, high)` then `max(·, low)`, in that order (`clamp_value`; no `low <= high` check).
#[inline]
fn clamp(value: I32F32, low: I32F32, high: I32F32) -> I32F32 {
    value.min(high).max(low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use substrate_fixed::types::I96F32;

    proptest! {
        #[test]
        fn multiplication_matches_substrate_fixed(a in any::<i64>(), b in any::<i64>(), k in 0u32..63, m in 0u32..63) {
            for (a, b) in [(a, b), (a >> k, b >> m), (a >> k, b), (a >> 31, b >> 31), (a >> 32, b >> 32), (i64::MIN, b >> m), (a >> k, -(1 << 32))] {
                let (x, y) = (I32F32::from_bits(a), I32F32::from_bits(b));
                prop_assert_eq!(mul(x, y), x.saturating_mul(y));
                prop_assert_eq!(checked_mul(x, y), x.checked_mul(y));
            }
        }

        #[test]
        fn prepared_division_by_one_keeps_every_value(a in any::<i64>()) {
            prop_assert_eq!(Divisor::ONE.safe_div(I32F32::from_bits(a)), I32F32::from_bits(a));
            prop_assert_eq!(Divisor::new(ONE).safe_div(I32F32::from_bits(a)), I32F32::from_bits(a));
            prop_assert_eq!(Divisor::ZERO.safe_div(I32F32::from_bits(a)), ZERO);
        }

        #[test]
        fn addition_and_subtraction_match_substrate_fixed(a in any::<i64>(), b in any::<i64>(), k in 0u32..63) {
            for (a, b) in [(a, b), (a >> k, b), (a, b >> k), (i64::MAX - (a >> k).abs(), b.abs()), (i64::MIN + (a >> k).abs(), -b.abs())] {
                let (x, y) = (I32F32::from_bits(a), I32F32::from_bits(b));
                prop_assert_eq!(add(x, y), x.saturating_add(y));
                prop_assert_eq!(sub(x, y), x.saturating_sub(y));
            }
        }

        #[test]
        fn share_matches_substrate_fixed(x in any::<i64>(), rao in any::<u64>(), k in 0u32..64) {
            for (x, rao) in [(x, rao), (x >> k, rao), (x.abs() >> 31, rao >> k), (x, u64::MAX)] {
                let x = I32F32::from_bits(x);
                let theirs = I96F32::saturating_from_num(x)
                    .saturating_mul(I96F32::saturating_from_num(rao))
                    .saturating_to_num::<u64>();
                prop_assert_eq!(share_of(x, rao), theirs);
            }
        }

        #[test]
        fn proportion_to_u16_matches_substrate_fixed(x in any::<i64>(), k in 0u32..63) {
            for bits in [x, x >> k, (x >> 31).abs(), -(x >> k).abs()] {
                let x = I32F32::from_bits(bits);
                let theirs = x.saturating_mul(I32F32::from_num(u16::MAX)).saturating_to_num::<u16>();
                prop_assert_eq!(proportion_to_u16(x), theirs);
            }
        }

        #[test]
        fn unit_products_match_the_general_ones(a in 0i64..=(1 << 32), b in 0i64..=(1 << 32)) {
            for (a, b) in [(a, b), (1 << 32, b), (a, 1 << 32), (1 << 32, 1 << 32), (0, b)] {
                let (x, y) = (I32F32::from_bits(a), I32F32::from_bits(b));
                prop_assert_eq!(mul_unit(x, y), mul(x, y));
                prop_assert_eq!(unit_to_u16(x), proportion_to_u16(x));
            }
        }

        #[test]
        fn u16_conversion_matches_from_num(v in any::<u16>()) {
            prop_assert_eq!(from_u16(v), I32F32::from_num(v));
            prop_assert_eq!(u16_proportion(v), I32F32::from_num(v).checked_div(I32F32::from_num(u16::MAX)).unwrap_or(ZERO));
        }

        #[test]
        fn division_matches_substrate_fixed(a in any::<i64>(), b in any::<i64>(), k in 0u32..48) {
            for (a, b) in [(a, b), (a >> k << k, b >> k << k), (a >> 20, b), (a >> 32 << 32, b >> 30 << 32)] {
                let (x, y) = (I32F32::from_bits(a), I32F32::from_bits(b));
                prop_assert_eq!(checked_div(x, y), x.checked_div(y));
            }
        }

        #[test]
        fn prepared_division_matches_checked_div(
            a in any::<i64>(), b in any::<i64>(), k in 0u32..40, m in 0u32..63,
        ) {
            let b_shapes = [b, b >> m, (b >> m) << k, 1i64 << m, (b >> 40) << 32, 0, (b >> m).wrapping_abs().wrapping_neg(), 1, 2, 3, i64::MAX, i64::MAX - (b & 0xFFFF).abs()];
            let a_shapes = [a, a >> m, (a >> m) << k, (a >> 31).abs(), (a >> 48) << 32, a & 0xFFFF_FFFF, (a & 0xFFFF_FFFF) >> (m % 32), 0xFFFF_FFFF, 1 << 32];
            for b in b_shapes {
                let y = I32F32::from_bits(b);
                let (divisor, unprepared) = (Divisor::new(y), Divisor::slow(y));
                for a in a_shapes {
                    let x = I32F32::from_bits(a);
                    prop_assert_eq!(divisor.checked_div(x), checked_div(x, y), "{} / {}", a, b);
                    prop_assert_eq!(unprepared.checked_div(x), checked_div(x, y), "{} / {}", a, b);
                }
            }
        }

        #[test]
        fn liquid_alpha_matches_the_direct_formula(
            c in 0i64..=(1 << 32), w in 0i64..=(1 << 32), b in 0i64..=(1 << 32),
            low in 0u16..=u16::MAX, high in 0u16..=u16::MAX, steepness in 0u16..=u16::MAX,
        ) {
            let (low, high) = (u16_proportion(low), u16_proportion(high));
            let steepness = I32F32::from_num(steepness);
            let la = LiquidAlpha::new(low, high, steepness);
            for (c, w, b) in [(c, w, b), (c, c, b), (w, w, w), (c, w, w)] {
                let (c, w, b) = (I32F32::from_bits(c), I32F32::from_bits(w), I32F32::from_bits(b));
                let diff = if w >= b { clamp(w.saturating_sub(c), ZERO, ONE) } else { clamp(b.saturating_sub(w), ZERO, ONE) };
                let exponent = saturating_div(steepness, I32F32::from_num(-100))
                    .saturating_mul(diff.saturating_sub(I32F32::from_num(0.5)));
                let sigmoid = saturating_div(ONE, ONE.saturating_add(exp_safe(exponent)));
                let direct = clamp(low.saturating_add(sigmoid.saturating_mul(high.saturating_sub(low))), low, high);
                prop_assert_eq!(la.alpha(c, w, b), direct);
            }
        }

        #[test]
        fn exp_matches_substrate_fixed(bits in -(21i64 << 32)..(21i64 << 32), small in -(1i64 << 33)..(1i64 << 33)) {
            for b in [bits, small, bits >> 16 << 16] {
                let x = I32F32::from_bits(b);
                let theirs = substrate_fixed::transcendental::exp::<I32F32, I32F32>(x).ok();
                prop_assert_eq!(exp(x), theirs);
            }
        }

        #[test]
        fn series_reciprocals_divide_exactly(n in 0u64..(1 << 63), k in 0u32..63) {
            for (&(magic, shift), i) in SERIES_RECIPROCALS.iter().zip(2u64..) {
                for n in [n, n >> k, n / i * i, (n / i * i).saturating_sub(1), (1 << 63) - 1, i - 1, 0] {
                    let quotient = ((u128::from(n) * u128::from(magic)) >> 64) as u64 >> shift;
                    prop_assert_eq!(quotient, n / i, "{} / {}", n, i);
                }
            }
        }

        #[test]
        fn reciprocal_matches_checked_div(b in (1u64 << 32)..(1 << 63), k in 0u32..31) {
            for b in [b, b >> k | 1 << 32, 1 << (32 + k), (1 << 32) + (b >> 40)] {
                let expected = checked_div(ONE, I32F32::from_bits(b as i64));
                prop_assert_eq!(Some(I32F32::from_bits(reciprocal(b) as i64)), expected, "{}", b);
            }
        }

        #[test]
        fn lockstep_exp_matches_exp_safe(
            wide in any::<i64>(), near in -(21i64 << 32)..(21i64 << 32), k in 0u32..64,
            tiny in -(1i64 << 20)..(1i64 << 20),
        ) {
            let inputs = [
                wide, near, near >> k, tiny, near >> 32 << 32, ONE.to_bits(), -ONE.to_bits(), wide >> k,
                0, 20 << 32, -20 << 32, (20 << 32) + 1, -near, -tiny, near | 1, i64::MIN,
            ];
            let lanes = exp_lanes(inputs.map(I32F32::from_bits));
            for (&x, got) in inputs.iter().zip(lanes) {
                prop_assert_eq!(got, exp_safe(I32F32::from_bits(x)), "exp({})", x);
            }
        }

        #[test]
        fn batched_alphas_match_one_at_a_time(
            c in 0i64..=(1 << 32), w in 0i64..=(1 << 32), b in 0i64..=(1 << 32),
            tiny in 1i64..(1 << 12), k in 0u32..33,
            low in 0u16..=u16::MAX, high in 0u16..=u16::MAX,
            steepness in prop_oneof![
                Just(0i32), Just(65535), Just(1000), Just(-32768), Just(-1000), -65535i32..=65535,
            ],
        ) {
            let la = LiquidAlpha::new(u16_proportion(low), u16_proportion(high), I32F32::from_num(steepness));
            let one = ONE.to_bits();
            let triples = [
                (c, w, b), (c, c, b), (w, w, w), (c, w, w), (c >> k, w, b >> k),
                (0, one, 0), (0, one, one), (one, 0, one), (c, (c + tiny).min(one), 0),
                (c, w, (w + tiny).min(one)), (c, w >> k, w), (c, c + (w >> k), b >> k),
                (c, one, b), (one, one, 0), (0, tiny, 0), (c, w, w + one / 2),
            ];
            let mut values: Vec<I32F32> = triples.iter()
                .map(|&(c, w, b)| LiquidAlpha::diff(I32F32::from_bits(c), I32F32::from_bits(w), I32F32::from_bits(b)))
                .collect();
            la.alphas(&mut values);
            for (&(c, w, b), got) in triples.iter().zip(values) {
                let expected = la.alpha(I32F32::from_bits(c), I32F32::from_bits(w), I32F32::from_bits(b));
                prop_assert_eq!(got, expected, "c={} w={} b={} steepness={}", c, w, b, steepness);
            }
        }
    }

    #[test]
    fn batched_alphas_match_one_at_a_time_on_a_grid() {
        // Distances on a 1/64 grid plus their neighbours, under steepnesses that make some
        // exponents exactly ±1, 0 or beyond the ±20 clamp.
        let diffs: Vec<I32F32> = (0..=64i64)
            .flat_map(|k| {
                let d = (k << 32) / 64;
                [d - 1, d, d + 1]
            })
            .filter(|&d| (0..=ONE.to_bits()).contains(&d))
            .map(I32F32::from_bits)
            .collect();
        for steepness in [
            0i32, 1, 50, 100, 200, 400, 800, 1000, 4000, 4001, 65535, -400, -1000, -32768,
        ] {
            let la = LiquidAlpha::new(
                u16_proportion(45875),
                u16_proportion(58982),
                I32F32::from_num(steepness),
            );
            let mut values = diffs.clone();
            la.alphas(&mut values);
            for (&diff, got) in diffs.iter().zip(values) {
                let expected = la.alpha(ZERO, diff, ZERO);
                assert_eq!(got, expected, "diff={diff} steepness={steepness}");
            }
        }
    }

    #[test]
    fn exp_matches_substrate_fixed_on_special_inputs() {
        for v in [
            0.0, 1.0, -1.0, 0.5, -0.5, 20.0, -20.0, 19.999, 5.0, -5.0, 21.0,
        ] {
            let x = I32F32::from_num(v);
            assert_eq!(
                exp(x),
                substrate_fixed::transcendental::exp::<I32F32, I32F32>(x).ok(),
                "{v}"
            );
        }
    }

    #[test]
    fn exp_matches_known_values() {
        assert_eq!(exp_safe(ZERO), ONE);
        let e = exp_safe(ONE).to_num::<f64>();
        assert!((e - std::f64::consts::E).abs() < 1e-6, "{e}");
        let small = exp_safe(I32F32::from_num(-30)).to_num::<f64>();
        assert!((small - (-20f64).exp()).abs() < 1e-6, "{small}");
    }

    #[test]
    fn proportions_round_trip_truncating() {
        assert_eq!(proportion_to_u16(u16_proportion(65535)), 65535);
        assert_eq!(proportion_to_u16(u16_proportion(1)), 0);
        assert_eq!(proportion_to_u16(I32F32::from_num(-1)), 0);
        assert_eq!(proportion_to_u16(I32F32::from_num(2)), 65535);
        assert_eq!(
            u16_proportion(32767).to_bits(),
            (32767u64 << 32) as i64 / 65535
        );
    }

    #[test]
    fn safe_div_yields_zero_on_zero_or_overflow() {
        assert_eq!(safe_div(ONE, ZERO), ZERO);
        assert_eq!(safe_div(I32F32::from_num(1000), I32F32::from_bits(1)), ZERO);
    }

    #[test]
    fn share_truncates() {
        let third = safe_div(ONE, I32F32::from_num(3));
        assert_eq!(share_of(third, 3_000_000_000), 999_999_999);
        assert_eq!(share_of(I32F32::from_num(-1), 10), 0);
    }

    #[test]
    fn liquid_alpha_stays_within_bounds() {
        let la = LiquidAlpha::new(
            u16_proportion(45875),
            u16_proportion(58982),
            I32F32::from_num(1000),
        );
        for (c, w, b) in [(0.1, 0.9, 0.0), (0.5, 0.5, 0.5), (0.9, 0.0, 1.0)] {
            let a = la.alpha(
                I32F32::from_num(c),
                I32F32::from_num(w),
                I32F32::from_num(b),
            );
            assert!(a >= la.low && a <= la.high);
        }
    }
}
