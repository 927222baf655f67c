//! Every per-subnet hyperparameter and chain-wide parameter: name (the reference's storage
//! name), default, value on a new subnet, unit, and who may set it (the admin-utils call).
//!
//! Values are stored as `u64` under `Subtensor.<Name>/<netuid>` (per subnet) or
//! `Subtensor.<Name>/` (global). Booleans are 0/1. `BurnIncreaseMult` is stored in
//! billionths (1.26 = 1_260_000_000) instead of the reference's U64F64; the resulting burn
//! price is the same for every u64 burn because the floor of `burn × 1.26` is unaffected.

use serde::Serialize;

/// Who may change a parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Setter {
    /// Only the sudo key (`ensure_root`).
    Root,
    /// The subnet owner coldkey or the sudo key (`ensure_sn_owner_or_root_with_limits`).
    OwnerOrRoot,
    /// Nobody: no setter call exists at the reference commit.
    Nobody,
}

macro_rules! params {
    ($enum:ident, $doc:literal, [$( $variant:ident = $tag:literal, $default:expr, $new:expr, $unit:literal, $setter:ident, $call:literal, $min:expr, $max:expr; )*]) => {
        #[doc = $doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $enum {
            $(
                #[doc = concat!("`", stringify!($variant), "` (", $unit, "), set by `", $call, "`.")]
                $variant,
            )*
        }

        impl $enum {
            /// Every parameter, in tag order.
            pub const ALL: &'static [$enum] = &[$($enum::$variant),*];

            /// The reference's storage name.
            pub fn name(self) -> &'static str {
                match self { $($enum::$variant => stringify!($variant)),* }
            }

            /// Wire tag of this parameter in the `sudo_set_*` calls.
            pub fn tag(self) -> u8 {
                match self { $($enum::$variant => $tag),* }
            }

            /// The parameter with wire tag `tag`.
            pub fn from_tag(tag: u8) -> Option<Self> {
                match tag { $($tag => Some($enum::$variant),)* _ => None }
            }

            /// The parameter named `name` (the storage name).
            pub fn from_name(name: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|p| p.name() == name)
            }

            /// Storage default (value when never written).
            pub fn default_value(self) -> u64 {
                match self { $($enum::$variant => $default),* }
            }

            /// Value `init_new_network` writes, when it differs from the storage default.
            pub fn new_subnet_value(self) -> Option<u64> {
                match self { $($enum::$variant => $new),* }
            }

            /// Unit of the value, for display.
            pub fn unit(self) -> &'static str {
                match self { $($enum::$variant => $unit),* }
            }

            /// Who may set it.
            pub fn setter(self) -> Setter {
                match self { $($enum::$variant => Setter::$setter),* }
            }

            /// The reference's setter call.
            pub fn call_name(self) -> &'static str {
                match self { $($enum::$variant => $call),* }
            }

            /// Inclusive bounds a new value must respect.
            pub fn bounds(self) -> (u64, u64) {
                match self { $($enum::$variant => ($min, $max)),* }
            }
        }
    };
}

const U16: u64 = u16::MAX as u64;
const TAO: u64 = 1_000_000_000;

params!(Hyperparam, "A per-subnet hyperparameter (§3.3 of the chain spec).", [
    Tempo = 0, 360, None, "blocks", Root, "sudo_set_tempo", 0, U16;
    Rho = 1, 10, None, "u16", OwnerOrRoot, "sudo_set_rho", 0, U16;
    Kappa = 2, 32_767, None, "u16 fraction of 65535", Root, "sudo_set_kappa", 0, U16;
    ImmunityPeriod = 3, 4_096, Some(5_000), "blocks", OwnerOrRoot, "sudo_set_immunity_period", 0, U16;
    MinAllowedWeights = 4, 1_024, Some(1), "uids", OwnerOrRoot, "sudo_set_min_allowed_weights", 0, U16;
    MaxWeightsLimit = 5, U16, None, "u16 fraction of 65535", Nobody, "-", 0, U16;
    MaxAllowedUids = 6, 256, Some(256), "uids", OwnerOrRoot, "sudo_set_max_allowed_uids", 0, 4_096;
    MinAllowedUids = 7, 64, None, "uids", Root, "sudo_set_min_allowed_uids", 0, U16;
    MaxAllowedValidators = 8, 128, Some(64), "uids", Root, "sudo_set_max_allowed_validators", 0, U16;
    ActivityCutoff = 9, 5_000, None, "blocks", OwnerOrRoot, "sudo_set_activity_cutoff", 0, U16;
    ActivityCutoffFactorMilli = 10, 13_889, None, "per mille of tempo", OwnerOrRoot, "set_activity_cutoff_factor", 1_000, 50_000;
    WeightsSetRateLimit = 11, 100, None, "blocks", Root, "sudo_set_weights_set_rate_limit", 0, u64::MAX;
    WeightsVersionKey = 12, 0, None, "version", OwnerOrRoot, "sudo_set_weights_version_key", 0, u64::MAX;
    CommitRevealWeightsEnabled = 13, 1, None, "bool", OwnerOrRoot, "sudo_set_commit_reveal_weights_enabled", 0, 1;
    RevealPeriodEpochs = 14, 1, None, "epochs", OwnerOrRoot, "sudo_set_commit_reveal_weights_interval", 1, 100;
    TargetRegistrationsPerInterval = 15, 2, None, "registrations", Root, "sudo_set_target_registrations_per_interval", 0, U16;
    AdjustmentInterval = 16, 100, None, "blocks", Root, "sudo_set_adjustment_interval", 0, U16;
    AdjustmentAlpha = 17, 0, None, "u64 fraction of u64::MAX", OwnerOrRoot, "sudo_set_adjustment_alpha", 0, u64::MAX;
    MaxRegistrationsPerBlock = 18, 1, None, "registrations", Root, "sudo_set_max_registrations_per_block", 0, U16;
    MinBurn = 19, 500_000, None, "RAO", OwnerOrRoot, "sudo_set_min_burn", 0, u64::MAX;
    MaxBurn = 20, 100 * TAO, None, "RAO", OwnerOrRoot, "sudo_set_max_burn", 0, u64::MAX;
    BurnHalfLife = 21, 360, None, "blocks", OwnerOrRoot, "sudo_set_burn_half_life", 1, 36_100;
    BurnIncreaseMult = 22, 1_260_000_000, None, "billionths", OwnerOrRoot, "sudo_set_burn_increase_mult", 1_000_000_000, u64::MAX;
    Difficulty = 23, 10_000_000, None, "hashes", Root, "sudo_set_difficulty", 0, u64::MAX;
    MinDifficulty = 24, 10_000_000, None, "hashes", Root, "sudo_set_min_difficulty", 0, u64::MAX;
    MaxDifficulty = 25, u64::MAX / 4, None, "hashes", OwnerOrRoot, "sudo_set_max_difficulty", 0, u64::MAX;
    ServingRateLimit = 26, 50, None, "blocks", OwnerOrRoot, "sudo_set_serving_rate_limit", 0, u64::MAX;
    BondsMovingAverage = 27, 900_000, None, "millionths", OwnerOrRoot, "sudo_set_bonds_moving_average", 0, u64::MAX;
    BondsPenalty = 28, U16, None, "u16 fraction of 65535", OwnerOrRoot, "sudo_set_bonds_penalty", 0, U16;
    BondsResetOn = 29, 0, None, "bool", OwnerOrRoot, "sudo_set_bonds_reset_enabled", 0, 1;
    LiquidAlphaOn = 30, 0, None, "bool", OwnerOrRoot, "sudo_set_liquid_alpha_enabled", 0, 1;
    AlphaLow = 31, 45_875, None, "u16 fraction of 65535", OwnerOrRoot, "sudo_set_alpha_values", 0, U16;
    AlphaHigh = 32, 58_982, None, "u16 fraction of 65535", OwnerOrRoot, "sudo_set_alpha_values", 0, U16;
    AlphaSigmoidSteepness = 33, 1_000, None, "i16", OwnerOrRoot, "sudo_set_alpha_sigmoid_steepness", 0, i16::MAX as u64;
    Yuma3On = 34, 0, Some(1), "bool", OwnerOrRoot, "sudo_set_yuma3_enabled", 0, 1;
    ImmuneOwnerUidsLimit = 35, 1, None, "uids", OwnerOrRoot, "sudo_set_owner_immune_neuron_limit", 1, 10;
    MinNonImmuneUids = 36, 10, None, "uids", Root, "sudo_set_min_non_immune_uids", 0, U16;
    NetworkRegistrationAllowed = 37, 1, Some(1), "bool", Root, "sudo_set_network_registration_allowed", 0, 1;
    TransferToggle = 38, 1, None, "bool", OwnerOrRoot, "sudo_set_toggle_transfer", 0, 1;
    RecycleOrBurn = 39, 1, None, "0 recycle, 1 burn", OwnerOrRoot, "sudo_set_recycle_or_burn", 0, 1;
    OwnerCutEnabled = 40, 1, None, "bool", OwnerOrRoot, "sudo_set_owner_cut_enabled", 0, 1;
    SubnetEmissionEnabled = 41, 1, Some(0), "bool", Root, "sudo_set_subnet_emission_enabled", 0, 1;
    SubtokenEnabled = 42, 0, None, "bool", Root, "sudo_set_subtoken_enabled", 0, 1;
    MinChildkeyTake = 43, 0, None, "u16 fraction of 65535", OwnerOrRoot, "sudo_set_min_childkey_take_per_subnet", 0, U16;
    EMAPriceHalvingBlocks = 44, 201_600, None, "blocks", Root, "sudo_set_ema_price_halving_period", 0, u64::MAX;
    OwnerCutAutoLockEnabled = 45, 0, None, "bool", OwnerOrRoot, "sudo_set_owner_cut_auto_lock_enabled", 0, 1;
    MechanismCountCurrent = 46, 1, None, "mechanisms", OwnerOrRoot, "sudo_set_mechanism_count", 1, 2;
    ValidatorPruneLen = 47, 1, None, "legacy, unused", Nobody, "-", 0, u64::MAX;
    ScalingLawPower = 48, 50, None, "legacy, unused", Nobody, "-", 0, U16;
    FeeRate = 49, 33, None, "u16 fraction of 65535", Root, "set_fee_rate", 0, 10_000;
]);

params!(GlobalParam, "A chain-wide parameter (§3.1, §3.3 of the chain spec).", [
    NetworkMinLockCost = 0, 1_000 * TAO, None, "RAO", Root, "sudo_set_network_min_lock_cost", 0, u64::MAX;
    NetworkLockReductionInterval = 1, 57_600, None, "blocks", Root, "sudo_set_lock_reduction_interval", 0, u64::MAX;
    NetworkRateLimit = 2, 28_800, None, "blocks", Root, "sudo_set_network_rate_limit", 0, u64::MAX;
    SubnetLimit = 3, 128, None, "subnets", Root, "sudo_set_subnet_limit", 0, 4_095;
    NetworkImmunityPeriod = 4, 864_000, None, "blocks", Root, "sudo_set_network_immunity_period", 0, u64::MAX;
    NetworkRegistrationStartBlock = 5, 0, None, "block", Root, "-", 0, u64::MAX;
    StartCallDelay = 6, 0, None, "blocks", Root, "sudo_set_start_call_delay", 0, u64::MAX;
    StakeThreshold = 7, 0, None, "alpha RAO", Root, "sudo_set_stake_threshold", 0, u64::MAX;
    SubnetOwnerCut = 8, 11_796, None, "u16 fraction of 65535", Root, "sudo_set_subnet_owner_cut", 0, U16;
    TaoWeight = 9, 971_718_665_099_567_868, None, "u64 fraction of u64::MAX", Root, "sudo_set_tao_weight", 0, u64::MAX;
    TxRateLimit = 10, 1_000, None, "blocks", Root, "sudo_set_tx_rate_limit", 0, u64::MAX;
    CommitRevealWeightsVersion = 11, 4, None, "version", Root, "sudo_set_commit_reveal_version", 0, U16;
    OwnerHyperparamRateLimit = 12, 2, None, "tempos", Root, "sudo_set_owner_hparam_rate_limit", 0, u64::MAX;
    DefaultTempo = 13, 360, None, "blocks", Root, "-", 0, U16;
    MaxEpochsPerBlock = 14, 2, None, "epochs", Root, "sudo_set_max_epochs_per_block", 1, u64::MAX;
    MinActivityCutoff = 15, 360, None, "blocks", Root, "sudo_set_min_activity_cutoff", 0, U16;
    SubnetMovingAlpha = 16, 12_885, None, "I96F32 bits", Root, "sudo_set_subnet_moving_alpha", 0, u64::MAX;
    MinDelegateTake = 17, 0, None, "u16 fraction of 65535", Root, "sudo_set_min_delegate_take", 0, U16;
    MaxDelegateTake = 18, 11_796, None, "u16 fraction of 65535", Root, "sudo_set_max_delegate_take", 0, U16;
    TxDelegateTakeRateLimit = 19, 216_000, None, "blocks", Root, "sudo_set_tx_delegate_take_rate_limit", 0, u64::MAX;
]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_names_round_trip() {
        for p in Hyperparam::ALL {
            assert_eq!(Hyperparam::from_tag(p.tag()), Some(*p));
            assert_eq!(Hyperparam::from_name(p.name()), Some(*p));
            let (lo, hi) = p.bounds();
            assert!(
                lo <= p.default_value() && p.default_value() <= hi,
                "{}",
                p.name()
            );
        }
        for p in GlobalParam::ALL {
            assert_eq!(GlobalParam::from_tag(p.tag()), Some(*p));
            assert_eq!(GlobalParam::from_name(p.name()), Some(*p));
        }
        assert_eq!(Hyperparam::from_tag(200), None);
    }

    #[test]
    fn spec_defaults() {
        assert_eq!(Hyperparam::Tempo.default_value(), 360);
        assert_eq!(Hyperparam::ImmunityPeriod.new_subnet_value(), Some(5_000));
        assert_eq!(Hyperparam::Kappa.setter(), Setter::Root);
        assert_eq!(
            GlobalParam::NetworkMinLockCost.default_value(),
            1_000_000_000_000
        );
    }
}
