//! The per-block coinbase and the subnet epochs, run at the start of every block: state is
//! loaded into tao-econ's structs, `tao_econ::coinbase::run_block` mints and injects, and
//! each drained epoch runs tao-yuma's `run_epoch` and tao-econ's distribution; the results
//! are written back. The arithmetic lives in those two crates only.
//!
//! ```text
//! on_initialize(now):
//!   chain, subnets ← state (every subnet except root, ascending netuid)
//!   run_block(chain, subnets, now)        mint, split by EMA price, inject, alpha out,
//!                                         owner cut, pending buckets, drain due epochs
//!   state ← chain, subnets                TotalIssuance, pools, pending, EMA, records
//!   for each drained epoch (netuid, pending):
//!     EpochInput ← uids, stakes (alpha + TaoWeight·root), weights, bonds, permits
//!     out ← run_epoch(input)              on error: pending kept, EpochSkipped
//!     persist Active, StakeWeight, Consensus, Incentive, Dividends, ValidatorTrust,
//!             ValidatorPermit, Emission, Bonds, LastMechansimStepBlock
//!     payout ← distribute(pending, (hotkey, server, validator) per uid, stakes, takes)
//!     credit stakes, add nominator dividends to hotkey pools, root dividends to root
//!     stakers (as alpha on the subnet), recycle withheld alpha (burned alpha stays in
//!     SubnetAlphaOut, as on the reference)
//! ```
//! Simplifications, documented in the crate README: root dividends are claimed at once as
//! alpha (the reference's `RootClaimType::Keep`, without a claim call); no childkeys, so
//! every hotkey's stake is its own; commit-reveal masking of not-yet-revealed weights is not
//! applied to the epoch input (revealed weights only are stored).

use std::collections::BTreeMap;

use tao_crypto::PublicKey;
use tao_econ::coinbase::{self, Chain, Pending, Subnet, normalized_u64};
use tao_econ::distribution::{EpochPayout, HotkeyInfo};
use tao_econ::{I96F32, U96F32};
use tao_yuma::{EpochInput, EpochOutput};

use crate::balances::TOTAL_ISSUANCE;
use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::pool::{self, SUBNET_TAO};
use crate::stake::{self, delegate_take, hotkey_alpha};
use crate::state::{Key, State};
use crate::storage::{DResult, hotkey_key, subnet_key};
use crate::types::Event;

/// TAO the coinbase added to issuance since genesis (minted minus unspent credit).
pub const MINTED: &str = "Balances.Minted";
/// Per-subnet items the coinbase owns (removed when a subnet is dissolved).
pub const COINBASE_ITEMS: &[&str] = &[
    PROTOCOL_ALPHA,
    MOVING_PRICE,
    PENDING_SERVER,
    PENDING_VALIDATOR,
    PENDING_ROOT,
    PENDING_OWNER_CUT,
    PENDING_EPOCH_AT,
    MINER_BURNED,
    TAO_IN_EMISSION,
    ALPHA_IN_EMISSION,
    ALPHA_OUT_EMISSION,
    EXCESS_TAO,
    TAO_EMISSION,
    ROOT_PROP,
    LAST_MECHANISM_STEP,
    pool::SWAP_QUOTE_WEIGHT,
];

/// `SubnetProtocolAlpha`.
pub const PROTOCOL_ALPHA: &str = "Subtensor.SubnetProtocolAlpha";
/// `SubnetMovingPrice` (I96F32 bits).
pub const MOVING_PRICE: &str = "Subtensor.SubnetMovingPrice";
/// `PendingServerEmission`.
pub const PENDING_SERVER: &str = "Subtensor.PendingServerEmission";
/// `PendingValidatorEmission`.
pub const PENDING_VALIDATOR: &str = "Subtensor.PendingValidatorEmission";
/// `PendingRootAlphaDivs`.
pub const PENDING_ROOT: &str = "Subtensor.PendingRootAlphaDivs";
/// `PendingOwnerCut`.
pub const PENDING_OWNER_CUT: &str = "Subtensor.PendingOwnerCut";
/// `PendingEpochAt`.
pub const PENDING_EPOCH_AT: &str = "Subtensor.PendingEpochAt";
/// `MinerBurned` (U96F32 bits).
pub const MINER_BURNED: &str = "Subtensor.MinerBurned";
/// `SubnetTaoInEmission`.
pub const TAO_IN_EMISSION: &str = "Subtensor.SubnetTaoInEmission";
/// `SubnetAlphaInEmission`.
pub const ALPHA_IN_EMISSION: &str = "Subtensor.SubnetAlphaInEmission";
/// `SubnetAlphaOutEmission`.
pub const ALPHA_OUT_EMISSION: &str = "Subtensor.SubnetAlphaOutEmission";
/// `SubnetExcessTao`.
pub const EXCESS_TAO: &str = "Subtensor.SubnetExcessTao";
/// The subnet's share of the last block's TAO emission (RAO, truncated).
pub const TAO_EMISSION: &str = "Subtensor.SubnetTaoEmission";
/// `RootProp` (U96F32 bits).
pub const ROOT_PROP: &str = "Subtensor.RootProp";
/// `LastMechansimStepBlock` (the reference's spelling).
pub const LAST_MECHANISM_STEP: &str = "Subtensor.LastMechansimStepBlock";
/// `AlphaDividendsPerSubnet[netuid][hotkey]`: alpha dividends of the last epoch.
pub const ALPHA_DIVIDENDS: &str = "Subtensor.AlphaDividendsPerSubnet";
/// Per-uid epoch outputs written by the epoch (besides `Emission`, `ValidatorPermit`, `Bonds`).
pub const EPOCH_UID_ITEMS: &[&str] = &[
    "Subtensor.Active",
    "Subtensor.StakeWeight",
    "Subtensor.Consensus",
    "Subtensor.Incentive",
    "Subtensor.Dividends",
    "Subtensor.ValidatorTrust",
];

fn u96(v: u64) -> U96F32 {
    U96F32::saturating_from_num(v)
}

/// The stake Yuma weighs a hotkey by: `alpha + TaoWeight · root` (truncated).
pub fn stake_weight(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<u64> {
    let alpha = hotkey_alpha(s, netuid, hotkey)?;
    let root = hotkey_alpha(s, 0, hotkey)?;
    let tao_weight = normalized_u64(s.global(GlobalParam::TaoWeight)?);
    Ok(u96(alpha)
        .saturating_add(u96(root).saturating_mul(tao_weight))
        .saturating_to_num::<u64>())
}

fn load_subnet(s: &State<'_>, netuid: u16) -> DResult<Subnet> {
    let first_emission_block: Option<u64> =
        s.get(&subnet_key("Subtensor.FirstEmissionBlockNumber", netuid))?;
    let emitting = first_emission_block.is_some()
        && s.hp(netuid, Hyperparam::SubtokenEnabled)? != 0
        && s.hp(netuid, Hyperparam::NetworkRegistrationAllowed)? != 0;
    let moving: u128 = s.subnet_get(MOVING_PRICE, netuid)?;
    let miner_burned: u128 = s.subnet_get(MINER_BURNED, netuid)?;
    Ok(Subnet {
        netuid,
        emitting,
        first_emission_block,
        emission_enabled: s.hp(netuid, Hyperparam::SubnetEmissionEnabled)? != 0,
        owner_cut_enabled: s.hp(netuid, Hyperparam::OwnerCutEnabled)? != 0,
        tempo: u16::try_from(s.hp(netuid, Hyperparam::Tempo)?).unwrap_or(u16::MAX),
        last_epoch_block: s.subnet_get("Subtensor.LastEpochBlock", netuid)?,
        pending_epoch_at: s.subnet_get(PENDING_EPOCH_AT, netuid)?,
        blocks_since_last_step: s.subnet_get("Subtensor.BlocksSinceLastStep", netuid)?,
        pool: pool::load(s, netuid)?,
        protocol_alpha: s.subnet_get(PROTOCOL_ALPHA, netuid)?,
        moving_price: I96F32::from_bits(i128::try_from(moving).unwrap_or(i128::MAX)),
        ema_halving_blocks: s.hp(netuid, Hyperparam::EMAPriceHalvingBlocks)?,
        miner_burned: U96F32::from_bits(miner_burned),
        pending: Pending {
            server: s.subnet_get(PENDING_SERVER, netuid)?,
            validator: s.subnet_get(PENDING_VALIDATOR, netuid)?,
            root: s.subnet_get(PENDING_ROOT, netuid)?,
            owner_cut: s.subnet_get(PENDING_OWNER_CUT, netuid)?,
        },
        records: Default::default(),
    })
}

fn store_subnet(s: &mut State<'_>, sub: &Subnet) {
    let n = sub.netuid;
    pool::store(s, n, &sub.pool);
    s.subnet_put(PROTOCOL_ALPHA, n, &sub.protocol_alpha);
    s.subnet_put(
        MOVING_PRICE,
        n,
        &u128::try_from(sub.moving_price.to_bits()).unwrap_or(0),
    );
    s.subnet_put("Subtensor.LastEpochBlock", n, &sub.last_epoch_block);
    s.subnet_put(PENDING_EPOCH_AT, n, &sub.pending_epoch_at);
    s.subnet_put(
        "Subtensor.BlocksSinceLastStep",
        n,
        &sub.blocks_since_last_step,
    );
    s.subnet_put(PENDING_SERVER, n, &sub.pending.server);
    s.subnet_put(PENDING_VALIDATOR, n, &sub.pending.validator);
    s.subnet_put(PENDING_ROOT, n, &sub.pending.root);
    s.subnet_put(PENDING_OWNER_CUT, n, &sub.pending.owner_cut);
    let r = &sub.records;
    s.subnet_put(TAO_IN_EMISSION, n, &r.tao_in_emission);
    s.subnet_put(ALPHA_IN_EMISSION, n, &r.alpha_in_emission);
    s.subnet_put(ALPHA_OUT_EMISSION, n, &r.alpha_out_emission);
    s.subnet_put(EXCESS_TAO, n, &r.excess_tao);
    s.subnet_put(
        TAO_EMISSION,
        n,
        &r.tao_emission.map_or(0, |e| e.saturating_to_num::<u64>()),
    );
    s.subnet_put(ROOT_PROP, n, &r.root_prop.map_or(0, |p| p.to_bits()));
}

/// Runs the coinbase and every due epoch for block `now`.
pub fn on_initialize(s: &mut State<'_>, now: u64, ev: &mut Vec<Event>) -> DResult<()> {
    let all = s.netuids()?;
    let mut total_stake: u64 = 0;
    for &n in &all {
        total_stake = total_stake.saturating_add(s.subnet_get(SUBNET_TAO, n)?);
    }
    let netuids: Vec<u16> = all.into_iter().filter(|n| *n != 0).collect();
    let mut chain = Chain {
        total_issuance: s.counter(TOTAL_ISSUANCE)?,
        total_stake,
        root_tao: s.subnet_get(SUBNET_TAO, 0)?,
        tao_weight: s.global(GlobalParam::TaoWeight)?,
        subnet_owner_cut: u16::try_from(s.global(GlobalParam::SubnetOwnerCut)?).unwrap_or(u16::MAX),
        moving_alpha: I96F32::from_bits(i128::from(s.global(GlobalParam::SubnetMovingAlpha)?)),
        max_epochs_per_block: u8::try_from(s.global(GlobalParam::MaxEpochsPerBlock)?)
            .unwrap_or(u8::MAX),
    };
    let mut subnets = netuids
        .iter()
        .map(|&n| load_subnet(s, n))
        .collect::<DResult<Vec<_>>>()?;
    let before: Vec<u64> = subnets.iter().map(|sub| sub.pending_epoch_at).collect();
    let out = coinbase::run_block(&mut chain, &mut subnets, now);
    s.put(Key::item(TOTAL_ISSUANCE).build(), &chain.total_issuance);
    s.add_counter(MINTED, out.minted.saturating_sub(out.recycled_credit))?;
    for (sub, was) in subnets.iter().zip(before) {
        store_subnet(s, sub);
        if sub.pending_epoch_at != was && sub.pending_epoch_at > now {
            ev.push(Event::EpochDeferred {
                netuid: sub.netuid,
                at: sub.pending_epoch_at,
            });
        }
    }
    for epoch in &out.epochs {
        let index: u64 = s.subnet_get("Subtensor.SubnetEpochIndex", epoch.netuid)?;
        s.subnet_put(
            "Subtensor.SubnetEpochIndex",
            epoch.netuid,
            &index.saturating_add(1),
        );
        run_epoch(s, epoch.netuid, epoch.pending, now, ev)?;
    }
    Ok(())
}

/// The epoch input of `netuid` at block `now` for `rao_emission` alpha.
pub fn epoch_input(s: &State<'_>, netuid: u16, now: u64, rao_emission: u64) -> DResult<EpochInput> {
    let n = s.subnetwork_n(netuid)?;
    let tempo = s.hp(netuid, Hyperparam::Tempo)?;
    let factor = s.hp(netuid, Hyperparam::ActivityCutoffFactorMilli)?;
    let owner_hotkey: Option<PublicKey> =
        s.get(&subnet_key("Subtensor.SubnetOwnerHotkey", netuid))?;
    let owner_uid = match owner_hotkey {
        Some(h) => s.uid_of(netuid, &h)?,
        None => None,
    };
    let u16p =
        |p: Hyperparam| -> DResult<u16> { Ok(u16::try_from(s.hp(netuid, p)?).unwrap_or(u16::MAX)) };
    let mut input = EpochInput {
        n,
        current_block: now,
        tempo,
        last_mechanism_step_block: s.subnet_get(LAST_MECHANISM_STEP, netuid)?,
        activity_cutoff: factor
            .saturating_mul(tempo)
            .checked_div(1000)
            .unwrap_or(0)
            .max(1),
        kappa: u16p(Hyperparam::Kappa)?,
        bonds_moving_average: s.hp(netuid, Hyperparam::BondsMovingAverage)?,
        bonds_penalty: u16p(Hyperparam::BondsPenalty)?,
        max_allowed_validators: u16p(Hyperparam::MaxAllowedValidators)?,
        stake_threshold: s.global(GlobalParam::StakeThreshold)?,
        liquid_alpha_enabled: s.hp(netuid, Hyperparam::LiquidAlphaOn)? != 0,
        alpha_low: u16p(Hyperparam::AlphaLow)?,
        alpha_high: u16p(Hyperparam::AlphaHigh)?,
        alpha_sigmoid_steepness: i16::try_from(s.hp(netuid, Hyperparam::AlphaSigmoidSteepness)?)
            .unwrap_or(i16::MAX),
        yuma3_enabled: s.hp(netuid, Hyperparam::Yuma3On)? != 0,
        owner_uid,
        commit_reveal_enabled: s.hp(netuid, Hyperparam::CommitRevealWeightsEnabled)? != 0,
        rao_emission,
        stake: Vec::with_capacity(usize::from(n)),
        last_update: Vec::with_capacity(usize::from(n)),
        block_at_registration: Vec::with_capacity(usize::from(n)),
        validator_permit: Vec::with_capacity(usize::from(n)),
        weights: Vec::with_capacity(usize::from(n)),
        bonds: Vec::with_capacity(usize::from(n)),
    };
    for uid in 0..n {
        input.stake.push(match s.hotkey_of(netuid, uid)? {
            Some(h) => stake_weight(s, netuid, &h)?,
            None => 0,
        });
        input
            .last_update
            .push(s.uid_get("Subtensor.LastUpdate", netuid, uid)?);
        input.block_at_registration.push(s.uid_get(
            "Subtensor.BlockAtRegistration",
            netuid,
            uid,
        )?);
        input
            .validator_permit
            .push(s.uid_get("Subtensor.ValidatorPermit", netuid, uid)?);
        input
            .weights
            .push(s.uid_get("Subtensor.Weights", netuid, uid)?);
        input.bonds.push(s.uid_get("Subtensor.Bonds", netuid, uid)?);
    }
    Ok(input)
}

fn persist(s: &mut State<'_>, netuid: u16, out: &EpochOutput) {
    for (i, uid) in (0..out.active.len()).zip(0u16..) {
        s.uid_put("Subtensor.Active", netuid, uid, &out.active[i]);
        s.uid_put("Subtensor.StakeWeight", netuid, uid, &out.stake_weight[i]);
        s.uid_put("Subtensor.Consensus", netuid, uid, &out.consensus[i]);
        s.uid_put("Subtensor.Incentive", netuid, uid, &out.incentive[i]);
        s.uid_put("Subtensor.Dividends", netuid, uid, &out.dividends[i]);
        s.uid_put(
            "Subtensor.ValidatorTrust",
            netuid,
            uid,
            &out.validator_trust[i],
        );
        s.uid_put(
            "Subtensor.ValidatorPermit",
            netuid,
            uid,
            &out.validator_permit[i],
        );
        s.uid_put("Subtensor.Emission", netuid, uid, &out.emission[i]);
        s.uid_put("Subtensor.Bonds", netuid, uid, &out.bonds.row(i).to_vec());
    }
}

fn run_epoch(
    s: &mut State<'_>,
    netuid: u16,
    pending: Pending,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    let total = pending
        .server
        .saturating_add(pending.validator)
        .saturating_add(pending.root);
    let input = epoch_input(s, netuid, now, total)?;
    let out = match tao_yuma::run_epoch(&input) {
        Ok(out) => out,
        Err(e) => {
            keep_pending(s, netuid, pending)?;
            ev.push(Event::EpochSkipped {
                netuid,
                reason: e.to_string(),
            });
            return Ok(());
        }
    };
    persist(s, netuid, &out);
    s.subnet_put(LAST_MECHANISM_STEP, netuid, &now);
    distribute(s, netuid, pending, &out)?;
    ev.push(Event::EpochRun {
        netuid,
        server: pending.server,
        validator: pending.validator,
        root: pending.root,
        owner_cut: pending.owner_cut,
    });
    Ok(())
}

fn keep_pending(s: &mut State<'_>, netuid: u16, p: Pending) -> DResult<()> {
    for (item, v) in [
        (PENDING_SERVER, p.server),
        (PENDING_VALIDATOR, p.validator),
        (PENDING_ROOT, p.root),
        (PENDING_OWNER_CUT, p.owner_cut),
    ] {
        let cur: u64 = s.subnet_get(item, netuid)?;
        s.subnet_put(item, netuid, &cur.saturating_add(v));
    }
    Ok(())
}

fn owner_of(s: &State<'_>, hotkey: &PublicKey) -> DResult<PublicKey> {
    Ok(s.hotkey_owner(hotkey)?.unwrap_or(*hotkey))
}

fn hotkey_info(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<HotkeyInfo<PublicKey>> {
    let owner = owner_of(s, hotkey)?;
    Ok(HotkeyInfo {
        autostake_dest: stake::auto_stake_destination(s, &owner, netuid)?,
        owner,
        alpha_stake: hotkey_alpha(s, netuid, hotkey)?,
        root_stake: hotkey_alpha(s, 0, hotkey)?,
        take: delegate_take(s, hotkey)?,
        childkey_take: 0,
        parents: Vec::new(),
        children_proportions: Vec::new(),
    })
}

fn distribute(s: &mut State<'_>, netuid: u16, pending: Pending, out: &EpochOutput) -> DResult<()> {
    let owner: Option<PublicKey> = s.get(&subnet_key("Subtensor.SubnetOwner", netuid))?;
    let owner_hotkey: Option<PublicKey> =
        s.get(&subnet_key("Subtensor.SubnetOwnerHotkey", netuid))?;
    let mut hotkeys = BTreeMap::new();
    let mut hotkey_emission = Vec::new();
    let mut owner_hotkeys = Vec::new();
    for (i, uid) in (0..out.server_emission.len()).zip(0u16..) {
        let Some(hotkey) = s.hotkey_of(netuid, uid)? else {
            continue;
        };
        let info = hotkey_info(s, netuid, &hotkey)?;
        if owner == Some(info.owner) && !owner_hotkeys.contains(&hotkey) {
            owner_hotkeys.push(hotkey);
        }
        hotkeys.insert(hotkey, info);
        hotkey_emission.push((hotkey, out.server_emission[i], out.validator_emission[i]));
    }
    if let Some(h) = owner_hotkey {
        if !owner_hotkeys.contains(&h) {
            owner_hotkeys.push(h);
        }
        if let std::collections::btree_map::Entry::Vacant(e) = hotkeys.entry(h) {
            e.insert(hotkey_info(s, netuid, &h)?);
        }
    }
    let payout = EpochPayout {
        pending,
        tao_weight: s.global(GlobalParam::TaoWeight)?,
        ck_burn: 0,
        owner_hotkeys,
        recycle: s.hp(netuid, Hyperparam::RecycleOrBurn)? == 0,
        owner_cut_dest: owner_hotkey.zip(owner),
        hotkeys,
        hotkey_emission,
    }
    .distribute()
    .map_err(|e| DispatchError::CorruptState {
        key: format!("epoch payout of subnet {netuid}"),
        reason: e.to_string(),
    })?;

    for ((hotkey, coldkey), amount) in &payout.stake_credits {
        stake::credit(s, netuid, hotkey, coldkey, *amount)?;
    }
    for (hotkey, amount) in &payout.alpha_divs_to_nominators {
        let owner = owner_of(s, hotkey)?;
        stake::add_to_hotkey_pool(s, netuid, hotkey, &owner, *amount)?;
    }
    for (hotkey, amount) in &payout.root_divs_to_claimable {
        let root_stake = hotkey_alpha(s, 0, hotkey)?;
        if *amount > root_stake {
            continue;
        }
        pay_root_stakers(s, netuid, hotkey, *amount, root_stake)?;
    }
    for (hotkey, divs) in &payout.alpha_dividends {
        s.put(
            hotkey_key(ALPHA_DIVIDENDS, netuid, hotkey),
            &divs.saturating_to_num::<u64>(),
        );
    }
    // Recycling lowers alpha issuance so it can be emitted again; burned alpha stays counted
    // in `SubnetAlphaOut`, as on the reference (`recycle_subnet_alpha` / `burn_subnet_alpha`).
    if payout.recycled > 0 {
        let out: u64 = s.subnet_get(pool::SUBNET_ALPHA_OUT, netuid)?;
        s.subnet_put(
            pool::SUBNET_ALPHA_OUT,
            netuid,
            &out.saturating_sub(payout.recycled),
        );
    }
    s.subnet_put(MINER_BURNED, netuid, &payout.miner_burned.to_bits());
    Ok(())
}

/// Root dividends of `hotkey` on `netuid`: each root staker of the hotkey gets alpha on the
/// subnet in proportion to its root stake (floor); the rounding remainder goes to the
/// hotkey's owner.
fn pay_root_stakers(
    s: &mut State<'_>,
    netuid: u16,
    hotkey: &PublicKey,
    amount: u64,
    root_stake: u64,
) -> DResult<()> {
    if amount == 0 || root_stake == 0 {
        return Ok(());
    }
    let mut paid: u64 = 0;
    for (coldkey, _) in stake::holders(s, 0, hotkey)? {
        let own = stake::stake(s, 0, hotkey, &coldkey)?;
        let share = u64::try_from(u128::from(amount) * u128::from(own) / u128::from(root_stake))
            .unwrap_or(0);
        stake::credit(s, netuid, hotkey, &coldkey, share)?;
        paid = paid.saturating_add(share);
    }
    let owner = owner_of(s, hotkey)?;
    stake::credit(s, netuid, hotkey, &owner, amount.saturating_sub(paid))
}
