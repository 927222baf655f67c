//! Deterministic synthetic subnets for benchmarks and tests: `validators` high-stake uids that
//! set weights and hold bonds, the rest miners; sparse rows favour a shared set of popular
//! miners. Seeded, no randomness from outside.

use crate::{EpochInput, SparseRow};

/// How the synthetic subnet is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Number of uids.
    pub n: u16,
    /// Number of validators (uids `0..validators`), also `max_allowed_validators`.
    pub validators: u16,
    /// Weights per validator row in parts per thousand of `n` (1000 = dense, 50 = 5%).
    pub density_permille: u16,
    /// Turns on both Yuma3 and liquid alpha.
    pub yuma3_liquid: bool,
    /// Seed of the generator.
    pub seed: u64,
}

/// SplitMix64: a tiny, well-mixed deterministic generator.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        if bound == 0 { 0 } else { self.next() % bound }
    }
}

/// Builds the subnet described by `scenario`.
pub fn generate(scenario: &Scenario) -> EpochInput {
    let n = usize::from(scenario.n);
    let validators = usize::from(scenario.validators).min(n);
    let mut rng = SplitMix(scenario.seed);
    let current_block = 10_000u64;
    let per_row = (n * usize::from(scenario.density_permille) / 1000).clamp(1, n.max(1));

    let stake = (0..n)
        .map(|i| {
            if i < validators {
                1_000_000_000_000 + rng.below(1_000_000_000_000)
            } else {
                rng.below(1_000_000_000)
            }
        })
        .collect();
    let row = |rng: &mut SplitMix, i: usize| -> SparseRow {
        let mut cols: Vec<u16> = if per_row >= n {
            (0..n).filter_map(|j| u16::try_from(j).ok()).collect()
        } else {
            let mut picked = vec![false; n];
            let mut cols = Vec::with_capacity(per_row);
            while cols.len() < per_row {
                // Most picks come from a shared set of popular miners (the top `per_row`
                // uids), so that consensus is non-zero as on a live subnet.
                let j = if rng.below(10) < 8 {
                    n - 1 - usize::try_from(rng.below(per_row as u64)).unwrap_or(0)
                } else {
                    usize::try_from(rng.below(n as u64)).unwrap_or(0)
                };
                if let Some(p) = picked.get_mut(j)
                    && !*p
                {
                    *p = true;
                    cols.extend(u16::try_from(j).ok());
                }
            }
            cols
        };
        cols.retain(|&j| usize::from(j) != i);
        cols.sort_unstable();
        let mut pairs: SparseRow = cols
            .into_iter()
            .map(|j| (j, u16::try_from(rng.below(65_536)).unwrap_or(u16::MAX)))
            .collect();
        if let Some(first) = pairs.first_mut() {
            first.1 = u16::MAX;
        }
        pairs
    };
    let weights: Vec<SparseRow> = (0..n)
        .map(|i| {
            if i < validators {
                row(&mut rng, i)
            } else {
                Vec::new()
            }
        })
        .collect();
    let bonds: Vec<SparseRow> = (0..n)
        .map(|i| {
            if i < validators {
                row(&mut rng, i)
            } else {
                Vec::new()
            }
        })
        .collect();

    EpochInput {
        n: scenario.n,
        current_block,
        tempo: 360,
        last_mechanism_step_block: current_block - 361,
        activity_cutoff: 5000,
        kappa: 32767,
        bonds_moving_average: 900_000,
        bonds_penalty: 65535,
        max_allowed_validators: scenario.validators,
        stake_threshold: 0,
        liquid_alpha_enabled: scenario.yuma3_liquid,
        alpha_low: 45875,
        alpha_high: 58982,
        alpha_sigmoid_steepness: 1000,
        yuma3_enabled: scenario.yuma3_liquid,
        owner_uid: None,
        commit_reveal_enabled: false,
        rao_emission: 1_000_000_000,
        stake,
        last_update: (0..n).map(|_| current_block - 1 - rng.below(100)).collect(),
        block_at_registration: (0..n).map(|_| rng.below(1000)).collect(),
        validator_permit: (0..n).map(|i| i < validators).collect(),
        weights,
        bonds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_inputs_validate_and_are_deterministic() {
        let s = Scenario {
            n: 300,
            validators: 64,
            density_permille: 50,
            yuma3_liquid: true,
            seed: 7,
        };
        let a = generate(&s);
        assert_eq!(a, generate(&s));
        assert!(crate::validate(&a).is_ok());
        assert_eq!(
            a.weights[0].len(),
            15 - usize::from(a.weights[0].iter().any(|p| p.0 == 0))
        );
        assert!(a.weights[100].is_empty());
    }
}
