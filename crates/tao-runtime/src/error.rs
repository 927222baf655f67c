//! Errors: why a call failed (`DispatchError`, the reference's error names with the numbers
//! involved), why a transaction was rejected (`TxError`), and why a block is invalid
//! (`BlockError`).

use crate::codec::CodecError;
use crate::hyperparams::Hyperparam;

/// Why a call failed. The variant names are the reference's error names; a failed call still
/// pays its fee and bumps the nonce, but its own writes are rolled back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    // ---- origin ----
    /// The call needs the sudo key (`BadOrigin` from `ensure_root`).
    #[error("BadOrigin: only the sudo key may call {call}")]
    BadOrigin {
        /// The call refused.
        call: &'static str,
    },
    /// The call needs the subnet owner or the sudo key.
    #[error("NotSubnetOwner: only the owner of subnet {netuid} or the sudo key may call {call}")]
    NotSubnetOwner {
        /// Subnet concerned.
        netuid: u16,
        /// The call refused.
        call: &'static str,
    },
    /// The hyperparameter has no setter.
    #[error("{name} has no setter call")]
    NotSettable {
        /// The parameter.
        name: &'static str,
    },
    // ---- balances ----
    /// Free balance is below the amount.
    #[error("InsufficientBalance: free balance {free} RAO is below the {needed} RAO needed")]
    InsufficientBalance {
        /// Free balance.
        free: u64,
        /// Amount needed.
        needed: u64,
    },
    /// A keep-alive transfer would take the sender below the existential deposit.
    #[error(
        "Expendability: sending {amount} RAO leaves {left} RAO, below the existential deposit {ed} RAO; use transfer_allow_death or send less"
    )]
    Expendability {
        /// Amount sent.
        amount: u64,
        /// What would remain.
        left: u64,
        /// Existential deposit.
        ed: u64,
    },
    /// A transfer would create an account below the existential deposit.
    #[error(
        "ExistentialDeposit: {amount} RAO would create an account below the existential deposit {ed} RAO"
    )]
    ExistentialDeposit {
        /// Resulting balance of the new account.
        amount: u64,
        /// Existential deposit.
        ed: u64,
    },
    /// An arithmetic result would not fit.
    #[error("Overflow: {what}")]
    Overflow {
        /// What overflowed.
        what: &'static str,
    },
    // ---- subnets ----
    /// `SubnetNotExists`.
    #[error("SubnetNotExists: subnet {netuid} does not exist")]
    SubnetNotExists {
        /// Subnet asked for.
        netuid: u16,
    },
    /// `SubnetDoesNotExist` (admin-utils' name for the same condition).
    #[error("SubnetDoesNotExist: subnet {netuid} does not exist")]
    SubnetDoesNotExist {
        /// Subnet asked for.
        netuid: u16,
    },
    /// `NonAssociatedColdKey`: the hotkey is owned by another coldkey.
    #[error("NonAssociatedColdKey: hotkey {hotkey} is owned by coldkey {owner}")]
    NonAssociatedColdKey {
        /// Hotkey (SS58).
        hotkey: String,
        /// Its owner (SS58).
        owner: String,
    },
    /// `CannotUseSystemAccount`.
    #[error("CannotUseSystemAccount: {account} is a subnet system account")]
    CannotUseSystemAccount {
        /// The account (SS58).
        account: String,
    },
    /// `SubNetRegistrationDisabled`.
    #[error(
        "SubNetRegistrationDisabled: registration on subnet {netuid} is disabled (or network registration starts at block {start})"
    )]
    SubNetRegistrationDisabled {
        /// Subnet (0 for network registration).
        netuid: u16,
        /// First block at which network registration is open.
        start: u64,
    },
    /// `NetworkTxRateLimitExceeded`.
    #[error(
        "NetworkTxRateLimitExceeded: last subnet registered at block {last}, rate limit {limit} blocks; retry at block {retry_at}"
    )]
    NetworkTxRateLimitExceeded {
        /// Block of the last registration.
        last: u64,
        /// Rate limit.
        limit: u64,
        /// First block at which the call will succeed.
        retry_at: u64,
    },
    /// `SubnetLimitReached`.
    #[error("SubnetLimitReached: {count} subnets at the limit {limit} and none is prunable")]
    SubnetLimitReached {
        /// Subnets in existence (excluding root).
        count: u16,
        /// `SubnetLimit`.
        limit: u16,
    },
    /// `CannotAffordLockCost`.
    #[error("CannotAffordLockCost: lock cost {lock_cost} RAO, free balance {free} RAO")]
    CannotAffordLockCost {
        /// Current lock cost.
        lock_cost: u64,
        /// Free balance.
        free: u64,
    },
    /// `FirstEmissionBlockNumberAlreadySet`.
    #[error(
        "FirstEmissionBlockNumberAlreadySet: start_call already done on subnet {netuid} (first emission block {block})"
    )]
    FirstEmissionBlockNumberAlreadySet {
        /// Subnet.
        netuid: u16,
        /// Block already set.
        block: u64,
    },
    /// `NeedWaitingMoreBlocksToStarCall`.
    #[error(
        "NeedWaitingMoreBlocksToStarCall: start_call on subnet {netuid} allowed from block {retry_at}"
    )]
    NeedWaitingMoreBlocksToStarCall {
        /// Subnet.
        netuid: u16,
        /// First block at which the call will succeed.
        retry_at: u64,
    },
    // ---- neurons ----
    /// `RegistrationNotPermittedOnRootSubnet`.
    #[error("RegistrationNotPermittedOnRootSubnet: netuid 0 is the root subnet")]
    RegistrationNotPermittedOnRootSubnet,
    /// `HotKeyAlreadyRegisteredInSubNet`.
    #[error(
        "HotKeyAlreadyRegisteredInSubNet: hotkey {hotkey} already has uid {uid} on subnet {netuid}"
    )]
    HotKeyAlreadyRegisteredInSubNet {
        /// Subnet.
        netuid: u16,
        /// Existing uid.
        uid: u16,
        /// Hotkey (SS58).
        hotkey: String,
    },
    /// `NotEnoughBalanceToStake` (registration cost not affordable).
    #[error("NotEnoughBalanceToStake: needs {cost} RAO, free balance {free} RAO")]
    NotEnoughBalanceToStake {
        /// Burn price.
        cost: u64,
        /// Free balance.
        free: u64,
    },
    /// `NoNeuronIdAvailable`.
    #[error(
        "NoNeuronIdAvailable: subnet {netuid} is full ({n} of max_allowed_uids {max}) and no uid can be pruned"
    )]
    NoNeuronIdAvailable {
        /// Subnet.
        netuid: u16,
        /// Current N.
        n: u16,
        /// `MaxAllowedUids`.
        max: u16,
    },
    /// `RegistrationPriceLimitExceeded`.
    #[error("RegistrationPriceLimitExceeded: burn {burn} RAO is above limit_price {limit} RAO")]
    RegistrationPriceLimitExceeded {
        /// Current burn.
        burn: u64,
        /// Caller's limit.
        limit: u64,
    },
    /// `HotKeyNotRegisteredInNetwork` (serving).
    #[error("HotKeyNotRegisteredInNetwork: hotkey {hotkey} is not registered on subnet {netuid}")]
    HotKeyNotRegisteredInNetwork {
        /// Subnet.
        netuid: u16,
        /// Hotkey (SS58).
        hotkey: String,
    },
    /// `InvalidIpType`.
    #[error("InvalidIpType: ip_type {ip_type} is neither 4 nor 6")]
    InvalidIpType {
        /// Given type.
        ip_type: u8,
    },
    /// `InvalidIpAddress`.
    #[error("InvalidIpAddress: {ip:#x} is not a valid public IPv{ip_type} address")]
    InvalidIpAddress {
        /// Given address.
        ip: u128,
        /// Given type.
        ip_type: u8,
    },
    /// `InvalidPort`.
    #[error("InvalidPort: port 0 is not allowed")]
    InvalidPort,
    /// `ServingRateLimitExceeded`.
    #[error(
        "ServingRateLimitExceeded: last served at block {last}, serving_rate_limit {limit} blocks; retry at block {retry_at}"
    )]
    ServingRateLimitExceeded {
        /// Block of the last serve.
        last: u64,
        /// Rate limit.
        limit: u64,
        /// First block at which the call will succeed.
        retry_at: u64,
    },
    // ---- weights ----
    /// `CanNotSetRootNetworkWeights`.
    #[error("CanNotSetRootNetworkWeights: weights cannot be set on netuid 0")]
    CanNotSetRootNetworkWeights,
    /// `WeightVecNotEqualSize`.
    #[error("WeightVecNotEqualSize: {uids} uids but {weights} weights")]
    WeightVecNotEqualSize {
        /// Length of uids.
        uids: usize,
        /// Length of weights.
        weights: usize,
    },
    /// `UidsLengthExceedUidsInSubNet`.
    #[error("UidsLengthExceedUidsInSubNet: {len} uids but subnet {netuid} has {n} neurons")]
    UidsLengthExceedUidsInSubNet {
        /// Subnet.
        netuid: u16,
        /// Length given.
        len: usize,
        /// N.
        n: u16,
    },
    /// `HotKeyNotRegisteredInSubNet`.
    #[error("HotKeyNotRegisteredInSubNet: hotkey {hotkey} is not registered on subnet {netuid}")]
    HotKeyNotRegisteredInSubNet {
        /// Subnet.
        netuid: u16,
        /// Hotkey (SS58).
        hotkey: String,
    },
    /// `NotEnoughStakeToSetWeights`.
    #[error("NotEnoughStakeToSetWeights: stake {stake} below stake_threshold {threshold}")]
    NotEnoughStakeToSetWeights {
        /// Hotkey stake weight.
        stake: u64,
        /// `StakeThreshold`.
        threshold: u64,
    },
    /// `IncorrectWeightVersionKey`.
    #[error(
        "IncorrectWeightVersionKey: version_key {given} below the subnet's weights_version {required}"
    )]
    IncorrectWeightVersionKey {
        /// Key given.
        given: u64,
        /// `WeightsVersionKey`.
        required: u64,
    },
    /// `SettingWeightsTooFast`.
    #[error(
        "SettingWeightsTooFast: last update at block {last}, weights_rate_limit {limit} blocks; retry at block {retry_at}"
    )]
    SettingWeightsTooFast {
        /// `LastUpdate`.
        last: u64,
        /// `WeightsSetRateLimit`.
        limit: u64,
        /// First block at which the call will succeed.
        retry_at: u64,
    },
    /// `CommittingWeightsTooFast`.
    #[error(
        "CommittingWeightsTooFast: last update at block {last}, weights_rate_limit {limit} blocks; retry at block {retry_at}"
    )]
    CommittingWeightsTooFast {
        /// `LastUpdate`.
        last: u64,
        /// `WeightsSetRateLimit`.
        limit: u64,
        /// First block at which the call will succeed.
        retry_at: u64,
    },
    /// `NeuronNoValidatorPermit`.
    #[error(
        "NeuronNoValidatorPermit: uid {uid} on subnet {netuid} has no validator permit and may only set a self-weight"
    )]
    NeuronNoValidatorPermit {
        /// Subnet.
        netuid: u16,
        /// Caller's uid.
        uid: u16,
    },
    /// `DuplicateUids`.
    #[error("DuplicateUids: uid {uid} appears more than once")]
    DuplicateUids {
        /// The repeated uid.
        uid: u16,
    },
    /// `UidVecContainInvalidOne`.
    #[error("UidVecContainInvalidOne: uid {uid} does not exist on subnet {netuid} (n = {n})")]
    UidVecContainInvalidOne {
        /// Subnet.
        netuid: u16,
        /// Invalid uid.
        uid: u16,
        /// N.
        n: u16,
    },
    /// `WeightVecLengthIsLow`.
    #[error("WeightVecLengthIsLow: {len} weights, below min(min_allowed_weights, n) = {min}")]
    WeightVecLengthIsLow {
        /// Length given.
        len: usize,
        /// Required minimum.
        min: u64,
    },
    /// `MaxWeightExceeded`.
    #[error("MaxWeightExceeded: largest normalised weight exceeds max_weights_limit {limit}/65535")]
    MaxWeightExceeded {
        /// `MaxWeightsLimit`.
        limit: u64,
    },
    /// `CommitRevealEnabled`.
    #[error(
        "CommitRevealEnabled: subnet {netuid} uses commit-reveal; use commit_weights then reveal_weights"
    )]
    CommitRevealEnabled {
        /// Subnet.
        netuid: u16,
    },
    /// `CommitRevealDisabled`.
    #[error("CommitRevealDisabled: commit-reveal is off on subnet {netuid}; use set_weights")]
    CommitRevealDisabled {
        /// Subnet.
        netuid: u16,
    },
    /// `TooManyUnrevealedCommits`.
    #[error("TooManyUnrevealedCommits: {count} unrevealed commits (max 10)")]
    TooManyUnrevealedCommits {
        /// Pending commits.
        count: usize,
    },
    /// `NoWeightsCommitFound`.
    #[error("NoWeightsCommitFound: no pending commit for this hotkey on subnet {netuid}")]
    NoWeightsCommitFound {
        /// Subnet.
        netuid: u16,
    },
    /// `InvalidRevealCommitHashNotMatch`.
    #[error(
        "InvalidRevealCommitHashNotMatch: the revealed data hashes to 0x{hash} which matches no pending commit"
    )]
    InvalidRevealCommitHashNotMatch {
        /// Hash of the revealed data (hex).
        hash: String,
    },
    /// `RevealTooEarly`.
    #[error(
        "RevealTooEarly: committed in epoch {commit_epoch}, reveal in epoch {reveal_epoch}; current epoch {current}"
    )]
    RevealTooEarly {
        /// Epoch of the commit.
        commit_epoch: u64,
        /// Epoch in which the reveal is allowed.
        reveal_epoch: u64,
        /// Current epoch.
        current: u64,
    },
    /// `ExpiredWeightCommit`.
    #[error("ExpiredWeightCommit: the commit's reveal epoch has passed (current epoch {current})")]
    ExpiredWeightCommit {
        /// Current epoch.
        current: u64,
    },
    // ---- admin ----
    /// `ValueNotInBounds`.
    #[error("ValueNotInBounds: {name} = {value} outside [{min}, {max}]")]
    ValueNotInBounds {
        /// Parameter.
        name: &'static str,
        /// Value given.
        value: u64,
        /// Lower bound.
        min: u64,
        /// Upper bound.
        max: u64,
    },
    /// `MaxAllowedUIdsLessThanCurrentUIds`.
    #[error("MaxAllowedUIdsLessThanCurrentUIds: {value} below the {n} registered uids")]
    MaxAllowedUIdsLessThanCurrentUIds {
        /// Value given.
        value: u64,
        /// N.
        n: u16,
    },
    /// `MaxAllowedUidsLessThanMinAllowedUids`.
    #[error("MaxAllowedUidsLessThanMinAllowedUids: {value} below min_allowed_uids {min}")]
    MaxAllowedUidsLessThanMinAllowedUids {
        /// Value given.
        value: u64,
        /// `MinAllowedUids`.
        min: u64,
    },
    /// `MaxValidatorsLargerThanMaxUIds`.
    #[error("MaxValidatorsLargerThanMaxUIds: {value} above max_allowed_uids {max}")]
    MaxValidatorsLargerThanMaxUIds {
        /// Value given.
        value: u64,
        /// `MaxAllowedUids`.
        max: u64,
    },
    /// `TxRateLimitExceeded` (owner hyperparameter rate limit).
    #[error(
        "TxRateLimitExceeded: {param:?} last set by the owner at block {last}, limit {limit} blocks; retry at block {retry_at}"
    )]
    TxRateLimitExceeded {
        /// Parameter.
        param: Hyperparam,
        /// Last owner update.
        last: u64,
        /// Limit in blocks.
        limit: u64,
        /// First block at which the call will succeed.
        retry_at: u64,
    },
    /// `RevealPeriodTooSmall` / `RevealPeriodTooLarge` are reported as bounds with this name.
    #[error("{which}: reveal period {value} outside [1, 100]")]
    RevealPeriodOutOfRange {
        /// `RevealPeriodTooSmall` or `RevealPeriodTooLarge`.
        which: &'static str,
        /// Value given.
        value: u64,
    },
    // ---- staking ----
    /// `SubtokenDisabled`: the subnet's token is not enabled yet (no `start_call`).
    #[error("SubtokenDisabled: subnet {netuid} has not started (call start_call first)")]
    SubtokenDisabled {
        /// Subnet.
        netuid: u16,
    },
    /// `HotKeyAccountNotExists`: the hotkey has no owner (never registered anywhere).
    #[error(
        "HotKeyAccountNotExists: hotkey {hotkey} is not registered; register it on a subnet first"
    )]
    HotKeyAccountNotExists {
        /// Hotkey (SS58).
        hotkey: String,
    },
    /// `NotEnoughStakeToWithdraw`: the position is smaller than the amount.
    #[error(
        "NotEnoughStakeToWithdraw: stake on subnet {netuid} is {stake} alpha RAO, asked {amount}"
    )]
    NotEnoughStakeToWithdraw {
        /// Subnet.
        netuid: u16,
        /// Current position.
        stake: u64,
        /// Requested amount.
        amount: u64,
    },
    /// A pool or staking rule of the swap (`AmountTooLow`, `SlippageTooHigh`,
    /// `PriceLimitExceeded`, `InsufficientLiquidity`, …).
    #[error("{error} (subnet {netuid})")]
    Swap {
        /// Subnet whose pool refused.
        netuid: u16,
        /// The chain's error.
        error: tao_econ::pool::SwapError,
    },
    /// `TransferDisallowed`: `TransferToggle` is off on the subnet.
    #[error("TransferDisallowed: stake transfers are disabled on subnet {netuid}")]
    TransferDisallowed {
        /// Subnet.
        netuid: u16,
    },
    /// `DelegateTakeTooLow`: a decrease that does not decrease, or below `MinDelegateTake`;
    /// an increase that does not increase.
    #[error("DelegateTakeTooLow: take {take} is not allowed (current {current}, minimum {min})")]
    DelegateTakeTooLow {
        /// Requested take.
        take: u16,
        /// Current take.
        current: u16,
        /// `MinDelegateTake`.
        min: u16,
    },
    /// `DelegateTakeTooHigh`: above `MaxDelegateTake`.
    #[error("DelegateTakeTooHigh: take {take} is above the maximum {max}")]
    DelegateTakeTooHigh {
        /// Requested take.
        take: u16,
        /// `MaxDelegateTake`.
        max: u16,
    },
    /// `DelegateTxRateLimitExceeded`: take increases are rate limited.
    #[error(
        "DelegateTxRateLimitExceeded: last take change at block {last}, retry at block {retry_at}"
    )]
    DelegateTxRateLimitExceeded {
        /// Last change.
        last: u64,
        /// First block a new increase is accepted.
        retry_at: u64,
    },
    /// `SameAutoStakeHotkeyAlreadySet`.
    #[error("SameAutoStakeHotkeyAlreadySet: incentive on subnet {netuid} already goes to {hotkey}")]
    SameAutoStakeHotkeyAlreadySet {
        /// Subnet.
        netuid: u16,
        /// Hotkey (SS58).
        hotkey: String,
    },
    /// Stake moved between hotkeys on the same subnet to itself.
    #[error("SameStakeOrigin: origin and destination are the same position")]
    SameStakeOrigin,
    /// Stored data did not decode: a bug or a damaged store, never user input.
    #[error("corrupt state under {key}: {reason}")]
    CorruptState {
        /// The key (lossy UTF-8).
        key: String,
        /// Decoder message.
        reason: String,
    },
}

/// Why a transaction was rejected: nothing about it is applied, not even the fee.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The bytes are not a transaction.
    #[error("undecodable transaction: {0}")]
    Decode(#[from] CodecError),
    /// The transaction format version is not supported.
    #[error("unsupported transaction version {got}; this runtime accepts version {supported}")]
    UnsupportedVersion {
        /// Version byte read.
        got: u8,
        /// Version this runtime accepts.
        supported: u8,
    },
    /// The transaction was made for another chain.
    #[error("wrong genesis hash: transaction is for 0x{got}, this chain is 0x{expected}")]
    WrongGenesis {
        /// Chain of this runtime (hex).
        expected: String,
        /// Chain named by the transaction (hex).
        got: String,
    },
    /// The signature does not verify against the signer.
    #[error("bad signature from {signer}")]
    BadSignature {
        /// Signer (SS58).
        signer: String,
    },
    /// The nonce was already used.
    #[error("stale nonce {got}: account {signer} is at nonce {expected}")]
    StaleNonce {
        /// Signer (SS58).
        signer: String,
        /// Next valid nonce.
        expected: u64,
        /// Nonce given.
        got: u64,
    },
    /// The nonce is ahead of the account's.
    #[error(
        "future nonce {got}: account {signer} is at nonce {expected}; send the missing transactions first"
    )]
    FutureNonce {
        /// Signer (SS58).
        signer: String,
        /// Next valid nonce.
        expected: u64,
        /// Nonce given.
        got: u64,
    },
    /// The signer cannot pay fee and tip while keeping the existential deposit.
    #[error(
        "cannot pay fee {fee} + tip {tip} RAO: free balance {free} RAO (existential deposit {ed} RAO must remain)"
    )]
    CannotPayFee {
        /// Fee.
        fee: u64,
        /// Tip.
        tip: u64,
        /// Free balance.
        free: u64,
        /// Existential deposit.
        ed: u64,
    },
    /// Reading state failed (a damaged store).
    #[error("state error: {0}")]
    State(#[from] DispatchError),
}

/// Why a whole block is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block number does not follow the state's.
    #[error("block number {got} does not follow the state at block {current}; expected {expected}")]
    WrongNumber {
        /// State's block.
        current: u64,
        /// Expected number.
        expected: u64,
        /// Number given.
        got: u64,
    },
    /// Reading state failed (a damaged store).
    #[error("state error: {0}")]
    State(#[from] DispatchError),
}
