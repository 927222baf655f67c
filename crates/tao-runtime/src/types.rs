//! Value types stored in state and carried in events.

use serde::Serialize;
use tao_crypto::PublicKey;

use crate::codec::struct_codec;
use crate::store::Hash;

/// RAO per TAO.
pub const RAO_PER_TAO: u64 = 1_000_000_000;
/// Existential deposit in RAO (`EXISTENTIAL_DEPOSIT`).
pub const EXISTENTIAL_DEPOSIT: u64 = 500;
/// Maximum unrevealed weight commits per hotkey and subnet.
pub const MAX_UNREVEALED_COMMITS: usize = 10;

/// `System.Account`: nonce and free balance of an account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// Number of transactions the account has sent.
    pub nonce: u64,
    /// Free balance in RAO.
    pub free: u64,
}
struct_codec!(AccountInfo { nonce, free });

/// `Axons[netuid][hotkey]`: where a neuron's axon listens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct AxonInfo {
    /// Block at which it was served.
    pub block: u64,
    /// Axon version.
    pub version: u32,
    /// IP address as an integer (IPv4 in the low 32 bits).
    pub ip: u128,
    /// TCP port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
    /// Protocol number.
    pub protocol: u8,
    /// Reserved.
    pub placeholder1: u8,
    /// Reserved.
    pub placeholder2: u8,
}
struct_codec!(AxonInfo {
    block,
    version,
    ip,
    port,
    ip_type,
    protocol,
    placeholder1,
    placeholder2
});

/// `Prometheus[netuid][hotkey]`: where a neuron exports metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PrometheusInfo {
    /// Block at which it was served.
    pub block: u64,
    /// Version.
    pub version: u32,
    /// IP address as an integer.
    pub ip: u128,
    /// Port.
    pub port: u16,
    /// 4 or 6.
    pub ip_type: u8,
}
struct_codec!(PrometheusInfo {
    block,
    version,
    ip,
    port,
    ip_type
});

/// One entry of `WeightCommits`: `(hash, commit_epoch, commit_block, unused)` as the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightCommit {
    /// blake2b-256 of the committed fields.
    pub hash: Hash,
    /// Epoch the commit belongs to.
    pub commit_epoch: u64,
    /// Block of the commit.
    pub commit_block: u64,
    /// Legacy reveal-block bound, always 0.
    pub unused: u64,
}
struct_codec!(WeightCommit {
    hash,
    commit_epoch,
    commit_block,
    unused
});

/// What happened while executing a block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event")]
pub enum Event {
    /// `Balances::Transfer`.
    Transfer {
        /// Sender.
        from: PublicKey,
        /// Receiver.
        to: PublicKey,
        /// Amount in RAO.
        amount: u64,
    },
    /// `Balances::DustLost`: a balance below the existential deposit was removed (burned).
    DustLost {
        /// Account.
        account: PublicKey,
        /// Amount burned.
        amount: u64,
    },
    /// `TransactionPayment::TransactionFeePaid`.
    TransactionFeePaid {
        /// Payer.
        who: PublicKey,
        /// Fee in RAO.
        actual_fee: u64,
        /// Tip in RAO.
        tip: u64,
    },
    /// `System::ExtrinsicFailed` with the error text.
    ExtrinsicFailed {
        /// Signer.
        who: PublicKey,
        /// Error message.
        error: String,
    },
    /// `NetworkAdded(netuid, mechid)`.
    NetworkAdded {
        /// New subnet.
        netuid: u16,
        /// Mechanism (1 = dynamic).
        mechid: u16,
    },
    /// `NetworkRemoved(netuid)`.
    NetworkRemoved {
        /// Removed subnet.
        netuid: u16,
    },
    /// `FirstEmissionBlockNumberSet(netuid, block)`.
    FirstEmissionBlockNumberSet {
        /// Subnet.
        netuid: u16,
        /// First emission block.
        block: u64,
    },
    /// `NeuronRegistered(netuid, uid, hotkey)`.
    NeuronRegistered {
        /// Subnet.
        netuid: u16,
        /// Assigned uid.
        uid: u16,
        /// Hotkey.
        hotkey: PublicKey,
    },
    /// `AxonServed(netuid, hotkey)`.
    AxonServed {
        /// Subnet.
        netuid: u16,
        /// Hotkey.
        hotkey: PublicKey,
    },
    /// `PrometheusServed(netuid, hotkey)`.
    PrometheusServed {
        /// Subnet.
        netuid: u16,
        /// Hotkey.
        hotkey: PublicKey,
    },
    /// `WeightsSet(netuid_index, uid)`.
    WeightsSet {
        /// Subnet storage index.
        netuid: u16,
        /// Setter's uid.
        uid: u16,
    },
    /// `WeightsCommitted(hotkey, netuid_index, hash)`.
    WeightsCommitted {
        /// Hotkey.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// Commit hash (hex).
        hash: String,
    },
    /// `WeightsRevealed(hotkey, netuid_index, hash)`.
    WeightsRevealed {
        /// Hotkey.
        hotkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// Commit hash (hex).
        hash: String,
    },
    /// A subnet hyperparameter changed (admin-utils emits one event per setter; here one kind).
    HyperparameterSet {
        /// Subnet.
        netuid: u16,
        /// Storage name.
        name: &'static str,
        /// New value.
        value: u64,
    },
    /// A chain-wide parameter changed.
    GlobalParameterSet {
        /// Storage name.
        name: &'static str,
        /// New value.
        value: u64,
    },
    /// `Sudo::KeyChanged`.
    SudoKeyChanged {
        /// New sudo key.
        new: PublicKey,
    },
    /// `StakeAdded(coldkey, hotkey, tao, alpha, netuid, fee)`.
    StakeAdded {
        /// Staker.
        coldkey: PublicKey,
        /// Hotkey staked to.
        hotkey: PublicKey,
        /// TAO spent, fee included.
        tao: u64,
        /// Alpha received.
        alpha: u64,
        /// Subnet.
        netuid: u16,
        /// Swap fee paid to the block author (TAO).
        fee: u64,
    },
    /// `StakeRemoved(coldkey, hotkey, tao, alpha, netuid, fee)`.
    StakeRemoved {
        /// Staker.
        coldkey: PublicKey,
        /// Hotkey unstaked from.
        hotkey: PublicKey,
        /// TAO received.
        tao: u64,
        /// Alpha sold.
        alpha: u64,
        /// Subnet.
        netuid: u16,
        /// Swap fee paid to the block author (TAO).
        fee: u64,
    },
    /// `StakeMoved` / `StakeTransferred` / `StakeSwapped`, in one shape.
    StakeMoved {
        /// Signer.
        coldkey: PublicKey,
        /// Hotkey the stake left.
        origin_hotkey: PublicKey,
        /// Subnet the stake left.
        origin_netuid: u16,
        /// Coldkey now holding it.
        dest_coldkey: PublicKey,
        /// Hotkey now holding it.
        dest_hotkey: PublicKey,
        /// Subnet now holding it.
        dest_netuid: u16,
        /// Alpha taken from the origin.
        alpha_sent: u64,
        /// Alpha credited at the destination.
        alpha_received: u64,
    },
    /// `DelegateTakeIncreased` / `DelegateTakeDecreased`.
    TakeSet {
        /// Hotkey.
        hotkey: PublicKey,
        /// New take, fraction of 65535.
        take: u16,
    },
    /// `AutoStakeDestinationSet`: a coldkey's miner incentive on a subnet goes to `hotkey`.
    AutoStakeDestinationSet {
        /// Coldkey.
        coldkey: PublicKey,
        /// Subnet.
        netuid: u16,
        /// Destination hotkey.
        hotkey: PublicKey,
    },
    /// A subnet's epoch ran and its drained buckets were distributed.
    EpochRun {
        /// Subnet.
        netuid: u16,
        /// `PendingServerEmission` drained (miners).
        server: u64,
        /// `PendingValidatorEmission` drained (validators and nominators).
        validator: u64,
        /// `PendingRootAlphaDivs` drained (root stakers).
        root: u64,
        /// `PendingOwnerCut` drained (subnet owner).
        owner_cut: u64,
    },
    /// `EpochDeferred`: more subnets were due than `MaxEpochsPerBlock`.
    EpochDeferred {
        /// Subnet.
        netuid: u16,
        /// Block it will run at.
        at: u64,
    },
    /// The epoch could not run; its pending emission is kept for the next one.
    EpochSkipped {
        /// Subnet.
        netuid: u16,
        /// Why.
        reason: String,
    },
}
