//! Distribution of a drained epoch (`distribute_emission` and helpers in subtensor's
//! `run_coinbase.rs`): miner incentives (withheld from the subnet owner's hotkeys),
//! validator dividends split among parents and children, the alpha/root split, delegate
//! and childkey takes, `CKBurn`, root dividends and the owner cut.
//!
//! Generic over the account type `K` (the runtime's `AccountId`; small integers in the
//! reference cases). Maps are `BTreeMap`s keyed by account, iterated in key order as the
//! reference does.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use substrate_fixed::types::{I96F32, U96F32};

use crate::case::{CaseError, Obj, as_u64};
use crate::coinbase::{Pending, normalized_u64};

/// A hotkey's stake and delegation settings on the subnet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HotkeyInfo<K> {
    /// `Owner[hotkey]`: the owning coldkey.
    pub owner: K,
    /// Total alpha staked on the hotkey on this subnet.
    pub alpha_stake: u64,
    /// Total stake of the hotkey on root.
    pub root_stake: u64,
    /// `Delegates[hotkey]`: delegate take, normalised by 65535.
    pub take: u16,
    /// `ChildkeyTake[hotkey][netuid]`, normalised by 65535.
    pub childkey_take: u16,
    /// `ParentKeys[hotkey][netuid]`: (proportion normalised by 2^64 − 1, parent).
    pub parents: Vec<(u64, K)>,
    /// Proportions of `ChildKeys[hotkey][netuid]`.
    pub children_proportions: Vec<u64>,
    /// `AutoStakeDestination` for this hotkey's incentive, if set.
    pub autostake_dest: Option<K>,
}

/// Everything the distribution of one drained epoch reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochPayout<K> {
    /// The drained buckets.
    pub pending: Pending,
    /// `TaoWeight`, normalised by 2^64 − 1.
    pub tao_weight: u64,
    /// `CKBurn`, normalised by 2^64 − 1.
    pub ck_burn: u64,
    /// Hotkeys of the subnet owner: their incentive is withheld.
    pub owner_hotkeys: Vec<K>,
    /// `RecycleOrBurn`: true recycles withheld incentive, false burns it.
    pub recycle: bool,
    /// (`SubnetOwnerHotkey`, `SubnetOwner`) receiving the owner cut, if both are set.
    pub owner_cut_dest: Option<(K, K)>,
    /// Stake records of every hotkey in `hotkey_emission` and of their parents.
    pub hotkeys: BTreeMap<K, HotkeyInfo<K>>,
    /// The epoch output in uid order: (hotkey, incentive, dividend).
    pub hotkey_emission: Vec<(K, u64, u64)>,
}

/// What the distribution paid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payout<K: Ord> {
    /// Alpha shared as validator dividends.
    pub validator_alpha: u64,
    /// New stake per (hotkey, coldkey), summed; zero credits are kept.
    pub stake_credits: BTreeMap<(K, K), u64>,
    /// Incentive credited per (non-owner) hotkey.
    pub incentive_paid: BTreeMap<K, u64>,
    /// Incentive withheld from owner hotkeys.
    pub incentive_withheld: u64,
    /// Take from alpha dividends credited to each hotkey's owner.
    pub alpha_take: BTreeMap<K, u64>,
    /// Alpha dividends added to each hotkey's pool (pro rata to its stakers).
    pub alpha_divs_to_nominators: BTreeMap<K, u64>,
    /// Take from root dividends.
    pub root_take: BTreeMap<K, u64>,
    /// Root dividends made claimable by each hotkey's root stakers.
    pub root_divs_to_claimable: BTreeMap<K, u64>,
    /// Alpha recycled (childkey burn, withheld incentive when recycling).
    pub recycled: u64,
    /// Alpha burned (withheld incentive when not recycling).
    pub burned: u64,
    /// New `MinerBurned`: withheld / total incentive.
    pub miner_burned: U96F32,
    /// Per-hotkey dividends after the parent/child split.
    pub dividends: BTreeMap<K, U96F32>,
    /// Per-hotkey alpha dividends before takes.
    pub alpha_dividends: BTreeMap<K, U96F32>,
    /// Per-hotkey root alpha dividends before takes.
    pub root_alpha_dividends: BTreeMap<K, U96F32>,
}

/// A hotkey referenced by the payout has no stake record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hotkey {hotkey} is referenced ({role}) but has no stake record")]
pub struct MissingHotkey {
    /// The hotkey, formatted.
    pub hotkey: String,
    /// Where it was referenced.
    pub role: &'static str,
}

fn u96(v: u64) -> U96F32 {
    U96F32::saturating_from_num(v)
}

fn tou64(v: U96F32) -> u64 {
    v.saturating_to_num::<u64>()
}

fn ratio_u16(v: u16) -> U96F32 {
    u96(u64::from(v))
        .checked_div(u96(u64::from(u16::MAX)))
        .unwrap_or(u96(0))
}

impl<K: Ord + Clone + std::fmt::Debug> EpochPayout<K> {
    fn info(&self, hotkey: &K, role: &'static str) -> Result<&HotkeyInfo<K>, MissingHotkey> {
        self.hotkeys.get(hotkey).ok_or_else(|| MissingHotkey {
            hotkey: format!("{hotkey:?}"),
            role,
        })
    }

    /// `get_self_contribution`.
    fn self_contribution(&self, info: &HotkeyInfo<K>, tao_weight: U96F32) -> u64 {
        let mut remaining = u96(1);
        for p in &info.children_proportions {
            remaining = remaining.saturating_sub(normalized_u64(*p));
        }
        let alpha = u96(info.alpha_stake).saturating_mul(remaining);
        let root = u96(info.root_stake)
            .saturating_mul(remaining)
            .saturating_mul(tao_weight);
        tou64(alpha.saturating_add(root))
    }

    /// `get_parent_child_dividends_distribution`: (account, dividend) pairs, parents first.
    fn parent_child_split(
        &self,
        hotkey: &K,
        dividend: u64,
        tao_weight: U96F32,
        ck_burn: U96F32,
        recycled: &mut u64,
    ) -> Result<Vec<(K, u64)>, MissingHotkey> {
        let info = self.info(hotkey, "hotkey_emission")?;
        let validating = u96(dividend);
        let mut remaining = validating;
        let child_take_prop = ratio_u16(info.childkey_take);
        let mut total_child_take = u96(0);
        let mut total = u96(self.self_contribution(info, tao_weight));
        let mut contributions = Vec::with_capacity(info.parents.len());
        for (proportion, parent) in &info.parents {
            let pinfo = self.info(parent, "parent")?;
            let prop = normalized_u64(*proportion);
            let alpha = u96(pinfo.alpha_stake).saturating_mul(prop);
            let root = u96(pinfo.root_stake)
                .saturating_mul(prop)
                .saturating_mul(tao_weight);
            let combined = alpha.saturating_add(root);
            total = total.saturating_add(combined);
            contributions.push((parent.clone(), &pinfo.owner, combined));
        }
        let mut out = Vec::with_capacity(contributions.len() + 1);
        for (parent, parent_owner, contribution) in contributions {
            let factor = contribution.checked_div(total).unwrap_or(u96(0));
            let mut emission = validating.saturating_mul(factor);
            remaining = remaining.saturating_sub(emission);
            if *parent_owner != info.owner {
                let burn = ck_burn.saturating_mul(emission);
                let child_take = child_take_prop.saturating_mul(emission);
                emission = emission.saturating_sub(burn).saturating_sub(child_take);
                total_child_take = total_child_take.saturating_add(child_take);
                *recycled = recycled.saturating_add(tou64(burn));
            }
            out.push((parent, tou64(emission)));
        }
        out.push((
            hotkey.clone(),
            tou64(remaining.saturating_add(total_child_take)),
        ));
        Ok(out)
    }

    /// `distribute_emission` after the epoch: computes every payout.
    pub fn distribute(&self) -> Result<Payout<K>, MissingHotkey> {
        let mut pay = Payout {
            validator_alpha: 0,
            stake_credits: BTreeMap::new(),
            incentive_paid: BTreeMap::new(),
            incentive_withheld: 0,
            alpha_take: BTreeMap::new(),
            alpha_divs_to_nominators: BTreeMap::new(),
            root_take: BTreeMap::new(),
            root_divs_to_claimable: BTreeMap::new(),
            recycled: 0,
            burned: 0,
            miner_burned: u96(0),
            dividends: BTreeMap::new(),
            alpha_dividends: BTreeMap::new(),
            root_alpha_dividends: BTreeMap::new(),
        };
        let tao_weight = normalized_u64(self.tao_weight);
        let ck_burn = normalized_u64(self.ck_burn);
        let p = self.pending;
        let incentive_sum = self
            .hotkey_emission
            .iter()
            .fold(0u64, |acc, (_, i, _)| acc.saturating_add(*i));
        pay.validator_alpha = if incentive_sum != 0 {
            p.validator
        } else {
            p.validator.saturating_add(p.server)
        };

        // calculate_dividends_and_incentives
        let mut incentives: BTreeMap<K, u64> = BTreeMap::new();
        for (hotkey, incentive, dividend) in &self.hotkey_emission {
            let e = incentives.entry(hotkey.clone()).or_insert(0);
            *e = e.saturating_add(*incentive);
            for (account, div) in
                self.parent_child_split(hotkey, *dividend, tao_weight, ck_burn, &mut pay.recycled)?
            {
                let e = pay.dividends.entry(account).or_insert(u96(0));
                *e = e.saturating_add(u96(div));
            }
        }

        // calculate_dividend_distribution
        let mut total_root = u96(0);
        let mut total_alpha = u96(0);
        let mut root_divs: BTreeMap<K, U96F32> = BTreeMap::new();
        let mut alpha_divs: BTreeMap<K, U96F32> = BTreeMap::new();
        for (hotkey, dividend) in &pay.dividends {
            let info = self.info(hotkey, "dividend")?;
            let root_alpha = u96(info.root_stake).saturating_mul(tao_weight);
            let stake = u96(info.alpha_stake).saturating_add(root_alpha);
            let root_prop = root_alpha.checked_div(stake).unwrap_or(u96(0));
            let r = dividend.saturating_mul(root_prop);
            let a = dividend.saturating_sub(r);
            alpha_divs.insert(hotkey.clone(), a);
            total_alpha = total_alpha.saturating_add(a);
            root_divs.insert(hotkey.clone(), r);
            total_root = total_root.saturating_add(r);
        }
        for (hotkey, r) in root_divs {
            let share = r.checked_div(total_root).unwrap_or(u96(0));
            pay.root_alpha_dividends
                .insert(hotkey, u96(p.root).saturating_mul(share));
        }
        for (hotkey, a) in alpha_divs {
            let share = a.checked_div(total_alpha).unwrap_or(u96(0));
            pay.alpha_dividends
                .insert(hotkey, u96(pay.validator_alpha).saturating_mul(share));
        }

        // distribute_dividends_and_incentives
        let credit = |credits: &mut BTreeMap<(K, K), u64>, hotkey: &K, coldkey: &K, amount: u64| {
            let e = credits
                .entry((hotkey.clone(), coldkey.clone()))
                .or_insert(0);
            *e = e.saturating_add(amount);
        };
        if let Some((hotkey, coldkey)) = &self.owner_cut_dest {
            credit(&mut pay.stake_credits, hotkey, coldkey, p.owner_cut);
        }
        let mut total_incentive = 0u64;
        for (hotkey, incentive) in &incentives {
            total_incentive = total_incentive.saturating_add(*incentive);
            if self.owner_hotkeys.contains(hotkey) {
                pay.incentive_withheld = pay.incentive_withheld.saturating_add(*incentive);
                if self.recycle {
                    pay.recycled = pay.recycled.saturating_add(*incentive);
                } else {
                    pay.burned = pay.burned.saturating_add(*incentive);
                }
                continue;
            }
            let info = self.info(hotkey, "incentive")?;
            let dest = info.autostake_dest.as_ref().unwrap_or(hotkey);
            credit(&mut pay.stake_credits, dest, &info.owner, *incentive);
            pay.incentive_paid.insert(hotkey.clone(), *incentive);
        }
        pay.miner_burned = u96(pay.incentive_withheld)
            .checked_div(u96(total_incentive))
            .unwrap_or(u96(0));
        for (hotkey, divs) in &pay.alpha_dividends {
            let info = self.info(hotkey, "alpha dividend")?;
            let take = ratio_u16(info.take).saturating_mul(*divs);
            let rest = divs.saturating_sub(take);
            credit(&mut pay.stake_credits, hotkey, &info.owner, tou64(take));
            pay.alpha_take.insert(hotkey.clone(), tou64(take));
            pay.alpha_divs_to_nominators
                .insert(hotkey.clone(), tou64(rest));
        }
        for (hotkey, divs) in &pay.root_alpha_dividends {
            let info = self.info(hotkey, "root dividend")?;
            let take = ratio_u16(info.take).saturating_mul(*divs);
            let rest = tou64(divs.saturating_sub(take));
            credit(&mut pay.stake_credits, hotkey, &info.owner, tou64(take));
            pay.root_take.insert(hotkey.clone(), tou64(take));
            // increase_root_claimable_for_hotkey_and_subnet: more than the root stake is
            // staked to the owner instead.
            if rest > I96F32::saturating_from_num(info.root_stake).saturating_to_num::<u64>() {
                credit(&mut pay.stake_credits, hotkey, &info.owner, rest);
            }
            pay.root_divs_to_claimable.insert(hotkey.clone(), rest);
        }
        Ok(pay)
    }
}

fn parse_hotkey(o: Obj<'_>) -> Result<(u64, HotkeyInfo<u64>), CaseError> {
    let hotkey = o.u64("hotkey")?;
    let mut parents = Vec::new();
    let ppath = o.child("parents");
    for (i, v) in o.array("parents")?.iter().enumerate() {
        let path = format!("{ppath}[{i}]");
        let po = Obj::new(v, &path)?;
        parents.push((parse_u64_str(po, "proportion")?, po.u64("parent")?));
    }
    let cpath = o.child("children_proportions");
    let mut children_proportions = Vec::new();
    for (i, v) in o.array("children_proportions")?.iter().enumerate() {
        let path = format!("{cpath}[{i}]");
        let s = v
            .as_str()
            .ok_or_else(|| crate::case::invalid(&path, "expected a decimal string"))?;
        children_proportions.push(
            s.parse::<u64>()
                .map_err(|e| crate::case::invalid(&path, &format!("`{s}` is not a u64: {e}")))?,
        );
    }
    let autostake_dest = o
        .opt("autostake_dest")
        .map(|v| as_u64(v, &o.child("autostake_dest")))
        .transpose()?;
    Ok((
        hotkey,
        HotkeyInfo {
            owner: o.u64("owner")?,
            alpha_stake: o.u64("alpha_stake")?,
            root_stake: o.u64("root_stake")?,
            take: o.u16("take")?,
            childkey_take: o.u16("childkey_take")?,
            parents,
            children_proportions,
            autostake_dest,
        },
    ))
}

/// A u64 written as a decimal string (or, leniently, a JSON integer).
fn parse_u64_str(o: Obj<'_>, key: &str) -> Result<u64, CaseError> {
    let v = o.get(key)?;
    if let Some(n) = v.as_u64() {
        return Ok(n);
    }
    let s = o.str(key)?;
    s.parse::<u64>()
        .map_err(|e| crate::case::invalid(&o.child(key), &format!("`{s}` is not a u64: {e}")))
}

fn amounts(map: &BTreeMap<u64, u64>) -> Value {
    Value::Array(
        map.iter()
            .map(|(h, a)| json!({ "hotkey": h, "amount": a }))
            .collect(),
    )
}

fn bits(map: &BTreeMap<u64, U96F32>) -> Value {
    Value::Array(
        map.iter()
            .map(|(h, b)| json!({ "hotkey": h, "bits": b.to_bits().to_string() }))
            .collect(),
    )
}

/// Runs a `distribution` case input.
pub(crate) fn run_case_input(input: Obj<'_>) -> Result<Value, CaseError> {
    let mut hotkeys = BTreeMap::new();
    let hpath = input.child("hotkeys");
    for (i, v) in input.array("hotkeys")?.iter().enumerate() {
        let path = format!("{hpath}[{i}]");
        let (hotkey, info) = parse_hotkey(Obj::new(v, &path)?)?;
        if hotkeys.insert(hotkey, info).is_some() {
            return Err(CaseError::Impossible {
                path: format!("{path}.hotkey"),
                reason: format!("hotkey {hotkey} is listed twice"),
            });
        }
    }
    let epath = input.child("hotkey_emission");
    let mut hotkey_emission = Vec::new();
    for (i, v) in input.array("hotkey_emission")?.iter().enumerate() {
        let path = format!("{epath}[{i}]");
        let o = Obj::new(v, &path)?;
        hotkey_emission.push((o.u64("hotkey")?, o.u64("incentive")?, o.u64("dividend")?));
    }
    let opath = input.child("owner_hotkeys");
    let mut owner_hotkeys = Vec::new();
    for (i, v) in input.array("owner_hotkeys")?.iter().enumerate() {
        owner_hotkeys.push(as_u64(v, &format!("{opath}[{i}]"))?);
    }
    let owner_cut_dest = match input.opt("owner_cut_dest") {
        None => None,
        Some(v) => {
            let path = input.child("owner_cut_dest");
            let o = Obj::new(v, &path)?;
            Some((o.u64("hotkey")?, o.u64("coldkey")?))
        }
    };
    let payout = EpochPayout {
        pending: Pending {
            server: input.u64("pending_server")?,
            validator: input.u64("pending_validator")?,
            root: input.u64("pending_root")?,
            owner_cut: input.u64("pending_owner_cut")?,
        },
        tao_weight: input.u64("tao_weight")?,
        ck_burn: input.u64("ck_burn")?,
        owner_hotkeys,
        recycle: input.bool("recycle")?,
        owner_cut_dest,
        hotkeys,
        hotkey_emission,
    };
    let pay = payout.distribute().map_err(|e| CaseError::Impossible {
        path: input.child("hotkeys"),
        reason: e.to_string(),
    })?;
    Ok(json!({
        "validator_alpha": pay.validator_alpha,
        "stake_credits": Value::Array(pay.stake_credits.iter().map(|((h, c), a)| json!({ "hotkey": h, "coldkey": c, "amount": a })).collect()),
        "incentive_paid": amounts(&pay.incentive_paid),
        "incentive_withheld": pay.incentive_withheld,
        "alpha_take": amounts(&pay.alpha_take),
        "alpha_divs_to_nominators": amounts(&pay.alpha_divs_to_nominators),
        "root_take": amounts(&pay.root_take),
        "root_divs_to_claimable": amounts(&pay.root_divs_to_claimable),
        "recycled": pay.recycled,
        "burned": pay.burned,
        "miner_burned_bits": pay.miner_burned.to_bits().to_string(),
        "dividends_bits": bits(&pay.dividends),
        "alpha_dividends_bits": bits(&pay.alpha_dividends),
        "root_alpha_dividends_bits": bits(&pay.root_alpha_dividends),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(owner: u64, alpha_stake: u64) -> HotkeyInfo<u64> {
        HotkeyInfo {
            owner,
            alpha_stake,
            root_stake: 0,
            take: 0,
            childkey_take: 0,
            parents: vec![],
            children_proportions: vec![],
            autostake_dest: None,
        }
    }

    fn payout(owner_hotkeys: Vec<u64>, recycle: bool) -> EpochPayout<u64> {
        EpochPayout {
            pending: Pending {
                server: 500,
                validator: 400,
                root: 0,
                owner_cut: 100,
            },
            tao_weight: 0,
            ck_burn: 0,
            owner_hotkeys,
            recycle,
            owner_cut_dest: Some((1, 1000)),
            hotkeys: BTreeMap::from([(1, info(1000, 10)), (2, info(2000, 30))]),
            hotkey_emission: vec![(1, 300, 0), (2, 200, 100)],
        }
    }

    #[test]
    fn owner_incentive_is_withheld() {
        let pay = payout(vec![1], true).distribute().unwrap();
        assert_eq!(pay.incentive_withheld, 300);
        assert_eq!(pay.recycled, 300);
        assert_eq!(pay.burned, 0);
        assert_eq!(pay.incentive_paid, BTreeMap::from([(2, 200)]));
        assert_eq!(
            pay.miner_burned,
            U96F32::from_num(300) / U96F32::from_num(500)
        );
        let pay = payout(vec![1], false).distribute().unwrap();
        assert_eq!((pay.recycled, pay.burned), (0, 300));
    }

    #[test]
    fn all_validator_alpha_goes_to_the_only_validator() {
        let pay = payout(vec![], false).distribute().unwrap();
        assert_eq!(pay.validator_alpha, 400);
        assert_eq!(pay.alpha_divs_to_nominators.get(&2), Some(&400));
        assert_eq!(pay.stake_credits.get(&(1, 1000)), Some(&400));
    }

    #[test]
    fn server_alpha_goes_to_validators_without_incentive() {
        let mut p = payout(vec![], false);
        p.hotkey_emission = vec![(1, 0, 0), (2, 0, 100)];
        assert_eq!(p.distribute().unwrap().validator_alpha, 900);
    }
}
