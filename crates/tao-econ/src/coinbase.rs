//! The per-block coinbase (`block_step` steps 2, 4, 5 and 6 of subtensor): mint the block's
//! TAO, split it among subnets by EMA price, inject TAO and alpha into the pools, buy alpha
//! with the excess TAO, mint alpha out, take the owner cut and the root share, accumulate
//! the pending buckets, drain the buckets of subnets whose epoch is due, then update each
//! emitting subnet's EMA price and root proportion.
//!
//! The epoch itself and the distribution of drained buckets are not run here: drained
//! buckets are returned ([`DrainedEpoch`]) for the caller to hand to the epoch and to
//! [`crate::distribution`].

use serde_json::{Value, json};
use substrate_fixed::types::{I96F32, U64F64, U96F32};

use crate::case::{CaseError, Obj, invalid};
use crate::emission::{block_emission_for_issuance, capped_mint};
use crate::pool::{MAX_PRICE, Pool};

/// `MAX_TEMPO`: an epoch always runs after this many blocks without one.
pub const MAX_TEMPO: u64 = 50_400;

/// Chain-wide values the coinbase reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chain {
    /// `TotalIssuance` (RAO).
    pub total_issuance: u64,
    /// `TotalStake` (RAO).
    pub total_stake: u64,
    /// `SubnetTAO[0]`: root stake, feeds every subnet's root proportion.
    pub root_tao: u64,
    /// `TaoWeight`, normalised by 2^64 − 1.
    pub tao_weight: u64,
    /// `SubnetOwnerCut`, normalised by 65535.
    pub subnet_owner_cut: u16,
    /// `SubnetMovingAlpha`: the EMA price's base smoothing factor.
    pub moving_alpha: I96F32,
    /// `MaxEpochsPerBlock`: epochs beyond this count are deferred one block.
    pub max_epochs_per_block: u8,
}

/// The four pending buckets of a subnet (alpha).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Pending {
    /// `PendingServerEmission`: miners' alpha.
    pub server: u64,
    /// `PendingValidatorEmission`: validators' alpha.
    pub validator: u64,
    /// `PendingRootAlphaDivs`: root stakers' alpha.
    pub root: u64,
    /// `PendingOwnerCut`: the subnet owner's alpha.
    pub owner_cut: u64,
}

/// What the coinbase recorded for a subnet in the last block it ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BlockRecords {
    /// This subnet's share of the block emission; `None` if not in the emission set.
    pub tao_emission: Option<U96F32>,
    /// `SubnetTaoInEmission`: TAO injected into the pool.
    pub tao_in_emission: u64,
    /// `SubnetAlphaInEmission`: alpha injected into the pool.
    pub alpha_in_emission: u64,
    /// `SubnetAlphaOutEmission`: alpha minted out of the pool.
    pub alpha_out_emission: u64,
    /// `SubnetExcessTao`: TAO that bought alpha for the protocol.
    pub excess_tao: u64,
    /// Root alpha recycled because the root sell flag was off.
    pub root_alpha_recycled: u64,
    /// `RootProp`; `None` if not in the emission set.
    pub root_prop: Option<U96F32>,
}

/// One dynamic subnet as the coinbase sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subnet {
    /// Subnet id (never 0: root is handled through [`Chain::root_tao`]).
    pub netuid: u16,
    /// In the emission set: start call done, subtoken enabled, registration allowed.
    pub emitting: bool,
    /// `FirstEmissionBlockNumber`.
    pub first_emission_block: Option<u64>,
    /// `SubnetEmissionEnabled`: false gives the subnet a zero TAO share.
    pub emission_enabled: bool,
    /// Whether the owner cut is taken from alpha out.
    pub owner_cut_enabled: bool,
    /// `Tempo` (0: epochs never run).
    pub tempo: u16,
    /// `LastEpochBlock`.
    pub last_epoch_block: u64,
    /// `PendingEpochAt` (0: none).
    pub pending_epoch_at: u64,
    /// `BlocksSinceLastStep`.
    pub blocks_since_last_step: u64,
    /// The pool reserves and weights.
    pub pool: Pool,
    /// `SubnetProtocolAlpha`: alpha bought with excess TAO.
    pub protocol_alpha: u64,
    /// `SubnetMovingPrice`.
    pub moving_price: I96F32,
    /// `EMAPriceHalvingBlocks`.
    pub ema_halving_blocks: u64,
    /// `MinerBurned`: share of the last epoch's incentive withheld from owner hotkeys.
    pub miner_burned: U96F32,
    /// Pending buckets.
    pub pending: Pending,
    /// Per-block records of the last block.
    pub records: BlockRecords,
}

/// Buckets handed to an epoch that fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrainedEpoch {
    /// Block the epoch ran in.
    pub block: u64,
    /// Subnet.
    pub netuid: u16,
    /// The drained buckets.
    pub pending: Pending,
}

/// What one block did at chain level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// Block number.
    pub block: u64,
    /// TAO credit minted.
    pub minted: u64,
    /// Unspent credit removed from issuance again.
    pub recycled_credit: u64,
    /// `TotalIssuance` after the block.
    pub total_issuance: u64,
    /// Whether root alpha was kept for root stakers (Σ EMA prices > 1).
    pub root_sell_flag: bool,
    /// Epochs that fired, in netuid order.
    pub epochs: Vec<DrainedEpoch>,
}

fn u96(v: u64) -> U96F32 {
    U96F32::saturating_from_num(v)
}

fn tou64(v: U96F32) -> u64 {
    v.saturating_to_num::<u64>()
}

/// `get_tao_weight` (also used for `CKBurn`): `value / (2^64 − 1)`.
pub fn normalized_u64(value: u64) -> U96F32 {
    u96(value).checked_div(u96(u64::MAX)).unwrap_or(u96(0))
}

/// `root_proportion`: `w·root / (w·root + alpha issuance)`.
pub fn root_proportion(chain: &Chain, pool: &Pool) -> U96F32 {
    let alpha_issuance = u96(pool.alpha_in.saturating_add(pool.alpha_out));
    let weighted_root = u96(chain.root_tao).saturating_mul(normalized_u64(chain.tao_weight));
    weighted_root
        .checked_div(weighted_root.saturating_add(alpha_issuance))
        .unwrap_or(u96(0))
}

/// `get_moving_alpha_price` of a dynamic subnet.
fn moving_price_u64f64(subnet: &Subnet) -> U64F64 {
    U64F64::saturating_from_num(subnet.moving_price)
}

/// `get_subnet_block_emissions`: each emitting subnet's TAO share (in emitting order).
fn subnet_block_emissions(
    subnets: &[Subnet],
    emit: &[usize],
    block_emission: U96F32,
) -> Vec<U96F32> {
    let zero = U64F64::from_bits(0);
    let one = U64F64::saturating_from_num(1);
    let total_moving = emit.iter().fold(zero, |acc, &i| {
        acc.saturating_add(moving_price_u64f64(&subnets[i]))
    });
    let price_shares: Vec<U64F64> = emit
        .iter()
        .map(|&i| {
            moving_price_u64f64(&subnets[i])
                .checked_div(total_moving)
                .unwrap_or(zero)
        })
        .collect();
    let weighted: Vec<U64F64> = emit
        .iter()
        .zip(&price_shares)
        .map(|(&i, share)| {
            let burned = U64F64::saturating_from_num(subnets[i].miner_burned).min(one);
            share.saturating_mul(one.saturating_sub(burned))
        })
        .collect();
    let total_weight = weighted.iter().fold(zero, |acc, w| acc.saturating_add(*w));
    let shares: Vec<U64F64> = if total_weight > zero {
        weighted
            .iter()
            .map(|w| w.checked_div(total_weight).unwrap_or(zero))
            .collect()
    } else {
        price_shares
    };
    let has_disabled = emit.iter().any(|&i| !subnets[i].emission_enabled);
    let enabled_sum = emit
        .iter()
        .zip(&shares)
        .filter(|(i, _)| subnets[**i].emission_enabled)
        .fold(zero, |acc, (_, s)| acc.saturating_add(*s));
    emit.iter()
        .zip(&shares)
        .map(|(&i, &share)| {
            let share = if has_disabled {
                if subnets[i].emission_enabled && enabled_sum > zero {
                    share.checked_div(enabled_sum).unwrap_or(zero)
                } else {
                    zero
                }
            } else {
                share
            };
            U96F32::saturating_from_num(
                U64F64::saturating_from_num(block_emission).saturating_mul(share),
            )
        })
        .collect()
}

/// `should_run_epoch`.
fn should_run_epoch(subnet: &Subnet, block: u64) -> bool {
    if subnet.tempo == 0 {
        return false;
    }
    if subnet.pending_epoch_at > 0 && block >= subnet.pending_epoch_at {
        return true;
    }
    if subnet.blocks_since_last_step > MAX_TEMPO {
        return true;
    }
    block.saturating_sub(subnet.last_epoch_block) >= u64::from(subnet.tempo)
}

/// `update_moving_price` for one emitting subnet at `block`.
fn update_moving_price(chain: &Chain, subnet: &mut Subnet, block: u64) {
    let start_call = subnet
        .first_emission_block
        .unwrap_or_default()
        .saturating_sub(1);
    let since = U64F64::saturating_from_num(block.saturating_sub(start_call));
    let halving = U64F64::saturating_from_num(subnet.ema_halving_blocks);
    let moving_alpha = U64F64::saturating_from_num(chain.moving_alpha);
    let alpha = moving_alpha.saturating_mul(
        since
            .checked_div(since.saturating_add(halving))
            .unwrap_or(U64F64::from_bits(0)),
    );
    let one = U64F64::saturating_from_num(1);
    let one_minus_alpha = one.saturating_sub(alpha);
    let current = alpha.saturating_mul(subnet.pool.price().min(one));
    let moving = one_minus_alpha.saturating_mul(moving_price_u64f64(subnet));
    subnet.moving_price = I96F32::saturating_from_num(current.saturating_add(moving));
}

/// Runs one block: mint, `run_coinbase`, EMA price and root proportion updates.
/// `subnets` must be in ascending netuid order (the chain's iteration order).
pub fn run_block(chain: &mut Chain, subnets: &mut [Subnet], block: u64) -> BlockOutcome {
    // block_step 2: mint this block's emission as a credit.
    let emission = block_emission_for_issuance(chain.total_issuance).unwrap_or(0);
    let minted = if emission == 0 {
        0
    } else {
        capped_mint(emission, chain.total_issuance)
    };
    chain.total_issuance = chain.total_issuance.saturating_add(minted);
    let mut credit = minted;

    // run_coinbase
    let emit: Vec<usize> = (0..subnets.len())
        .filter(|&i| subnets[i].emitting)
        .collect();
    let tao_emission = subnet_block_emissions(subnets, &emit, u96(minted));
    let total_ema = emit.iter().fold(U64F64::from_bits(0), |acc, &i| {
        acc.saturating_add(moving_price_u64f64(&subnets[i]))
    });
    let root_sell_flag = total_ema > U64F64::saturating_from_num(1);

    // get_subnet_terms: computed for every emitting subnet before any injection.
    let terms: Vec<(U96F32, U96F32, U96F32, U96F32)> = emit
        .iter()
        .zip(&tao_emission)
        .map(|(&i, &tao_emission_i)| {
            let s = &subnets[i];
            let issuance = s.pool.alpha_in.saturating_add(s.pool.alpha_out);
            let alpha_emission = u96(block_emission_for_issuance(issuance).unwrap_or(0));
            let price = U96F32::saturating_from_num(s.pool.price());
            let mut tao_in = tao_emission_i;
            let mut alpha_in = tao_emission_i.checked_div(price).unwrap_or(u96(0));
            let cap = root_proportion(chain, &s.pool).saturating_mul(alpha_emission);
            if alpha_in > cap {
                alpha_in = cap;
                tao_in = alpha_in.saturating_mul(price);
            }
            let excess = tao_emission_i.saturating_sub(tao_in);
            (tao_in, alpha_in, alpha_emission, excess)
        })
        .collect();

    // inject_and_maybe_swap
    for (k, &i) in emit.iter().enumerate() {
        let (tao_in, alpha_in, _, excess) = terms[k];
        let s = &mut subnets[i];
        let (tao_in, alpha_in, to_swap) = (tou64(tao_in), tou64(alpha_in), tou64(excess));
        let (injected_tao, injected_alpha) = s.pool.adjust_protocol_liquidity(tao_in, alpha_in);
        s.records.excess_tao = 0;
        s.records.tao_in_emission = 0;
        if to_swap > 0 && credit >= to_swap {
            credit -= to_swap;
            if let Ok(r) = s.pool.buy_alpha(to_swap, MAX_PRICE, true) {
                chain.total_stake = chain.total_stake.saturating_add(to_swap);
                s.protocol_alpha = s.protocol_alpha.saturating_add(r.amount_paid_out);
                s.records.excess_tao = r.amount_paid_in;
            }
        }
        s.records.alpha_in_emission = injected_alpha;
        s.pool.alpha_in = s.pool.alpha_in.saturating_add(injected_alpha);
        if injected_tao != 0 && credit >= injected_tao {
            credit -= injected_tao;
            s.records.tao_in_emission = injected_tao;
            s.pool.subnet_tao = s.pool.subnet_tao.saturating_add(injected_tao);
            chain.total_stake = chain.total_stake.saturating_add(injected_tao);
        }
    }
    let recycled_credit = credit;
    chain.total_issuance = chain.total_issuance.saturating_sub(recycled_credit);

    // emit_to_subnets, after injection
    let cut_percent = u96(u64::from(chain.subnet_owner_cut))
        .checked_div(u96(u64::from(u16::MAX)))
        .unwrap_or(u96(0));
    let half = U96F32::from_bits(1u128 << 31);
    for (k, &i) in emit.iter().enumerate() {
        let mut alpha_out_i = terms[k].2;
        let s = &mut subnets[i];
        let created = tou64(alpha_out_i);
        s.records.alpha_out_emission = created;
        s.pool.alpha_out = s.pool.alpha_out.saturating_add(created);
        if s.owner_cut_enabled {
            let owner_cut = alpha_out_i.saturating_mul(cut_percent);
            alpha_out_i = alpha_out_i.saturating_sub(owner_cut);
            s.pending.owner_cut = s.pending.owner_cut.saturating_add(tou64(owner_cut));
        }
        let root_alpha = root_proportion(chain, &s.pool)
            .saturating_mul(alpha_out_i)
            .saturating_mul(half);
        let server = alpha_out_i.saturating_mul(half);
        let validator = alpha_out_i
            .saturating_sub(server)
            .saturating_sub(root_alpha);
        s.pending.server = s.pending.server.saturating_add(tou64(server));
        s.pending.validator = s.pending.validator.saturating_add(tou64(validator));
        if root_sell_flag {
            s.pending.root = s.pending.root.saturating_add(tou64(root_alpha));
            s.records.root_alpha_recycled = 0;
        } else {
            let recycled = tou64(root_alpha);
            s.pool.alpha_out = s.pool.alpha_out.saturating_sub(recycled);
            s.records.root_alpha_recycled = recycled;
        }
        s.records.tao_emission = Some(tao_emission[k]);
    }

    // drain_pending over every subnet
    let mut epochs = Vec::new();
    let cap = u32::from(chain.max_epochs_per_block);
    let mut run: u32 = 0;
    for s in subnets.iter_mut() {
        s.blocks_since_last_step = s.blocks_since_last_step.saturating_add(1);
        if !should_run_epoch(s, block) {
            continue;
        }
        if run >= cap {
            s.pending_epoch_at = block.saturating_add(1);
            continue;
        }
        s.blocks_since_last_step = 0;
        epochs.push(DrainedEpoch {
            block,
            netuid: s.netuid,
            pending: s.pending,
        });
        s.pending = Pending::default();
        run = run.saturating_add(1);
        s.last_epoch_block = block;
        s.pending_epoch_at = 0;
    }

    // block_step 5 and 6
    for &i in &emit {
        update_moving_price(chain, &mut subnets[i], block);
    }
    for &i in &emit {
        let rp = root_proportion(chain, &subnets[i].pool);
        subnets[i].records.root_prop = Some(rp);
    }

    BlockOutcome {
        block,
        minted,
        recycled_credit,
        total_issuance: chain.total_issuance,
        root_sell_flag,
        epochs,
    }
}

fn parse_subnet(o: Obj<'_>) -> Result<Subnet, CaseError> {
    let netuid = o.u16("netuid")?;
    if netuid == 0 {
        return Err(CaseError::Impossible {
            path: o.child("netuid"),
            reason: "netuid 0 is root and is not a dynamic subnet".into(),
        });
    }
    let first_emission_block = o
        .opt("first_emission_block")
        .map(|v| crate::case::as_u64(v, &o.child("first_emission_block")))
        .transpose()?;
    let pool = crate::case::parse_pool(o)?;
    Ok(Subnet {
        netuid,
        emitting: o.bool("emitting")?,
        first_emission_block,
        emission_enabled: o.bool("emission_enabled")?,
        owner_cut_enabled: o.bool("owner_cut_enabled")?,
        tempo: o.u16("tempo")?,
        last_epoch_block: o.u64("last_epoch_block")?,
        pending_epoch_at: o.u64("pending_epoch_at")?,
        blocks_since_last_step: o.u64("blocks_since_last_step")?,
        pool,
        protocol_alpha: o.u64("protocol_alpha")?,
        moving_price: I96F32::from_bits(o.i128_str("moving_price_bits")?),
        ema_halving_blocks: o.u64("ema_halving_blocks")?,
        miner_burned: U96F32::from_bits(o.u128_str("miner_burned_bits")?),
        pending: Pending {
            server: o.u64("pending_server")?,
            validator: o.u64("pending_validator")?,
            root: o.u64("pending_root")?,
            owner_cut: o.u64("pending_owner_cut")?,
        },
        records: BlockRecords::default(),
    })
}

/// Largest `n_blocks` a case may ask for (keeps a malformed case from running for hours).
pub const MAX_CASE_BLOCKS: u64 = 1_000_000;

/// Runs a `coinbase` case input.
pub(crate) fn run_case_input(input: Obj<'_>) -> Result<Value, CaseError> {
    let block = input.u64("block")?;
    let n_blocks = input.u64("n_blocks")?;
    if n_blocks == 0 || n_blocks > MAX_CASE_BLOCKS {
        return Err(invalid(
            &input.child("n_blocks"),
            &format!("{n_blocks} is outside 1..={MAX_CASE_BLOCKS}"),
        ));
    }
    if block.checked_add(n_blocks).is_none() {
        return Err(invalid(
            &input.child("n_blocks"),
            &format!("block {block} + {n_blocks} overflows u64"),
        ));
    }
    let max_epochs = input.u64("max_epochs_per_block")?;
    let mut chain = Chain {
        total_issuance: input.u64("total_issuance")?,
        total_stake: input.u64("total_stake")?,
        root_tao: input.u64("root_tao")?,
        tao_weight: input.u64("tao_weight")?,
        subnet_owner_cut: input.u16("subnet_owner_cut")?,
        moving_alpha: I96F32::from_bits(input.i128_str("moving_alpha_bits")?),
        max_epochs_per_block: u8::try_from(max_epochs).map_err(|_| {
            invalid(
                &input.child("max_epochs_per_block"),
                &format!("{max_epochs} does not fit in u8 (max 255)"),
            )
        })?,
    };
    let subnets_path = input.child("subnets");
    let mut subnets = Vec::new();
    for (i, v) in input.array("subnets")?.iter().enumerate() {
        let path = format!("{subnets_path}[{i}]");
        let s = parse_subnet(Obj::new(v, &path)?)?;
        if let Some(prev) = subnets.last().map(|p: &Subnet| p.netuid)
            && s.netuid <= prev
        {
            return Err(CaseError::Impossible {
                path: format!("{path}.netuid"),
                reason: format!(
                    "netuid {} follows {prev}: subnets must be listed in ascending netuid order without repeats",
                    s.netuid
                ),
            });
        }
        subnets.push(s);
    }
    let mut blocks = Vec::new();
    let mut epochs = Vec::new();
    for b in block..block + n_blocks {
        let out = run_block(&mut chain, &mut subnets, b);
        blocks.push(json!({
            "block": out.block,
            "minted": out.minted,
            "recycled_credit": out.recycled_credit,
            "total_issuance": out.total_issuance,
            "root_sell_flag": out.root_sell_flag,
        }));
        for e in out.epochs {
            epochs.push(json!({
                "block": e.block,
                "netuid": e.netuid,
                "server": e.pending.server,
                "validator": e.pending.validator,
                "root": e.pending.root,
                "owner_cut": e.pending.owner_cut,
            }));
        }
    }
    let subnets_json: Vec<Value> = subnets
        .iter()
        .map(|s| {
            json!({
                "netuid": s.netuid,
                "tao_emission_bits": s.records.tao_emission.map(|v| v.to_bits().to_string()),
                "subnet_tao": s.pool.subnet_tao,
                "alpha_in": s.pool.alpha_in,
                "alpha_out": s.pool.alpha_out,
                "quote_weight": s.pool.quote_weight,
                "protocol_alpha": s.protocol_alpha,
                "moving_price_bits": s.moving_price.to_bits().to_string(),
                "pending_server": s.pending.server,
                "pending_validator": s.pending.validator,
                "pending_root": s.pending.root,
                "pending_owner_cut": s.pending.owner_cut,
                "tao_in_emission": s.records.tao_in_emission,
                "alpha_in_emission": s.records.alpha_in_emission,
                "alpha_out_emission": s.records.alpha_out_emission,
                "excess_tao": s.records.excess_tao,
                "root_alpha_recycled": s.records.root_alpha_recycled,
                "root_prop_bits": s.records.root_prop.map(|v| v.to_bits().to_string()),
                "last_epoch_block": s.last_epoch_block,
                "pending_epoch_at": s.pending_epoch_at,
                "blocks_since_last_step": s.blocks_since_last_step,
            })
        })
        .collect();
    Ok(json!({
        "total_issuance": chain.total_issuance,
        "total_stake": chain.total_stake,
        "blocks": blocks,
        "epochs_drained": epochs,
        "subnets": subnets_json,
    }))
}

/// A deterministic mainnet-like state with `n` emitting subnets (netuids 1..=n): varied
/// reserves, balancer weights away from 50/50 and EMA prices summing above 1. It is the
/// input of the `econ` benchmarks and of tests that need a realistic block.
pub fn sample_state(n: u16) -> (Chain, Vec<Subnet>) {
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move |range: u64| {
        // splitmix64
        seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % range.max(1)
    };
    let chain = Chain {
        total_issuance: 10_000_000_000_000_000,
        total_stake: 5_000_000_000_000_000,
        root_tao: 218_460_860_057_728,
        tao_weight: 971_718_665_099_567_868,
        subnet_owner_cut: 11_796,
        moving_alpha: I96F32::from_bits(12_885),
        max_epochs_per_block: 2,
    };
    let subnets = (1..=n)
        .map(|netuid| {
            let subnet_tao = 1_000_000_000_000 + next(100_000_000_000_000);
            let alpha_in = 10_000_000_000_000 + next(1_000_000_000_000_000);
            Subnet {
                netuid,
                emitting: true,
                first_emission_block: Some(2_000_000 + next(1_000_000)),
                emission_enabled: true,
                owner_cut_enabled: true,
                tempo: 360,
                last_epoch_block: 5_000_000 - next(360),
                pending_epoch_at: 0,
                blocks_since_last_step: 0,
                pool: Pool {
                    subnet_tao,
                    alpha_in,
                    alpha_out: 1_000_000_000_000 + next(5_000_000_000_000_000),
                    quote_weight: 300_000_000_000_000_000 + next(400_000_000_000_000_000),
                    fee_rate: 33,
                    minimum_reserve: crate::pool::DEFAULT_MINIMUM_RESERVE,
                },
                protocol_alpha: next(1_000_000_000_000),
                moving_price: I96F32::from_bits(i128::from(100_000_000 + next(1_000_000_000))),
                ema_halving_blocks: 201_600,
                miner_burned: U96F32::from_bits(0),
                pending: Pending::default(),
                records: BlockRecords::default(),
            }
        })
        .collect();
    (chain, subnets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_schedule() {
        let (_, subnets) = sample_state(1);
        let mut s = subnets[0];
        s.tempo = 10;
        s.last_epoch_block = 100;
        s.blocks_since_last_step = 5;
        assert!(!should_run_epoch(&s, 109));
        assert!(should_run_epoch(&s, 110));
        s.pending_epoch_at = 105;
        assert!(should_run_epoch(&s, 105));
        s.tempo = 0;
        assert!(!should_run_epoch(&s, 1_000));
        s.tempo = 10;
        s.pending_epoch_at = 0;
        s.blocks_since_last_step = MAX_TEMPO + 1;
        assert!(should_run_epoch(&s, 101));
    }

    #[test]
    fn epochs_beyond_the_cap_are_deferred_one_block() {
        let (mut chain, mut subnets) = sample_state(3);
        chain.max_epochs_per_block = 1;
        for s in subnets.iter_mut() {
            s.tempo = 10;
            s.last_epoch_block = 4_999_990;
        }
        let out = run_block(&mut chain, &mut subnets, 5_000_000);
        assert_eq!(out.epochs.len(), 1);
        assert_eq!(out.epochs[0].netuid, 1);
        assert_eq!(subnets[0].pending, Pending::default());
        assert_eq!(
            (subnets[1].pending_epoch_at, subnets[2].pending_epoch_at),
            (5_000_001, 5_000_001)
        );
        let out = run_block(&mut chain, &mut subnets, 5_000_001);
        assert_eq!(
            out.epochs.iter().map(|e| e.netuid).collect::<Vec<_>>(),
            vec![2]
        );
    }
}
