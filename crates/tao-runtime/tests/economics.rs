//! Dynamic TAO on the chain: the block split, halving, and a scenario in which every
//! account's reward is checked to the RAO against Yuma's outputs and the take rules.

mod common;

use std::collections::BTreeMap;

use common::*;
use tao_econ::U96F32;
use tao_econ::emission::block_emission_for_issuance;
use tao_runtime::coinbase::{
    self, ALPHA_OUT_EMISSION, MINTED, PENDING_OWNER_CUT, PENDING_SERVER, PENDING_VALIDATOR,
};
use tao_runtime::state::{Key, State};
use tao_runtime::storage::subnet_key;
use tao_runtime::{Call, Event, Hyperparam, Store, stake};

const TAO: u64 = 1_000_000_000;

fn u96(v: u64) -> U96F32 {
    U96F32::saturating_from_num(v)
}

fn tou64(v: U96F32) -> u64 {
    v.saturating_to_num::<u64>()
}

fn get_u64(c: &Chain, key: Vec<u8>) -> u64 {
    State::new(&c.store).get_or_default(&key).unwrap()
}

fn subnet_u64(c: &Chain, item: &str, netuid: u16) -> u64 {
    get_u64(c, subnet_key(item, netuid))
}

fn stake_of(c: &Chain, netuid: u16, hotkey: &PublicKey, coldkey: &PublicKey) -> u64 {
    stake::stake(&State::new(&c.store), netuid, hotkey, coldkey).unwrap()
}

/// The test network: one or more started subnets, two validators (Charlie, Dave), four
/// miners (Eve's hotkeys), Ferdie nominating on Charlie's validator.
struct Net {
    chain: Chain,
    netuids: Vec<u16>,
    validators: Vec<(Pair, Pair)>,
    miners: Vec<Pair>,
    nominator: Pair,
    owners: Vec<(Pair, Pair)>,
}

fn network(subnets: usize) -> Net {
    let mut c = Chain::dev();
    let validators = vec![
        (charlie(), pair("//Charlie/validator")),
        (pair("//Dave"), pair("//Dave/validator")),
    ];
    let miners: Vec<Pair> = (0..4).map(|i| pair(&format!("//Eve/miner{i}"))).collect();
    let mut netuids = Vec::new();
    let mut owners = Vec::new();
    for k in 0..subnets {
        let owner = if k == 0 { bob() } else { alice() };
        let owner_hot = pair(&format!("//Owner{k}/hot"));
        let netuid = c.new_subnet(&owner, &owner_hot.public());
        c.ok(&owner, Call::StartCall { netuid });
        c.sudo_hp(netuid, Hyperparam::SubnetEmissionEnabled, 1);
        c.sudo_hp(netuid, Hyperparam::CommitRevealWeightsEnabled, 0);
        c.sudo_hp(netuid, Hyperparam::WeightsSetRateLimit, 0);
        c.sudo_hp(netuid, Hyperparam::MaxAllowedValidators, 3);
        for (cold, hot) in &validators {
            c.register(cold, netuid, &hot.public());
        }
        for m in &miners {
            c.register(&pair("//Eve"), netuid, &m.public());
        }
        netuids.push(netuid);
        owners.push((owner, owner_hot));
    }
    let nominator = pair("//Ferdie");
    for &netuid in &netuids {
        for (i, (cold, hot)) in validators.iter().enumerate() {
            c.ok(
                cold,
                Call::AddStake {
                    hotkey: hot.public(),
                    netuid,
                    amount: (100 - 40 * i as u64) * TAO,
                },
            );
        }
        c.ok(
            &nominator,
            Call::AddStake {
                hotkey: validators[0].1.public(),
                netuid,
                amount: 30 * TAO,
            },
        );
    }
    // One epoch hands out validator permits; by then every subnet's EMA price is non-zero,
    // so TAO emission flows (it starts at zero and is recycled until then).
    c.advance(11);
    Net {
        chain: c,
        netuids,
        validators,
        miners,
        nominator,
        owners,
    }
}

impl Net {
    /// Both validators weight the miners 1:2:3:4 (the first) and 4:3:2:1 (the second).
    fn set_weights(&mut self) {
        for &netuid in &self.netuids.clone() {
            for (i, (_, hot)) in self.validators.clone().iter().enumerate() {
                let weights = if i == 0 {
                    vec![1, 2, 3, 4]
                } else {
                    vec![4, 3, 2, 1]
                };
                self.chain.ok(
                    hot,
                    Call::SetWeights {
                        netuid,
                        dests: vec![3, 4, 5, 6],
                        weights,
                        version_key: 0,
                    },
                );
            }
        }
    }

    /// Every (hotkey, coldkey) position the scenario can pay.
    fn positions(&self) -> Vec<(PublicKey, PublicKey)> {
        let mut out = Vec::new();
        for (cold, hot) in &self.validators {
            out.push((hot.public(), cold.public()));
        }
        out.push((self.validators[0].1.public(), self.nominator.public()));
        for m in &self.miners {
            out.push((m.public(), pair("//Eve").public()));
        }
        for (cold, hot) in &self.owners {
            out.push((hot.public(), cold.public()));
        }
        out
    }
}

/// A share pool as the take rules define it (see `tao_runtime::stake`).
#[derive(Clone, Default)]
struct SharePool {
    total: u64,
    shares_total: u128,
    shares: BTreeMap<PublicKey, u128>,
}

impl SharePool {
    fn value(&self, c: &PublicKey) -> u64 {
        let sh = self.shares.get(c).copied().unwrap_or(0);
        if self.shares_total == 0 {
            return 0;
        }
        (sh * u128::from(self.total) / self.shares_total) as u64
    }
    fn credit(&mut self, c: &PublicKey, a: u64) {
        if a == 0 {
            return;
        }
        let new = if self.shares_total == 0 || self.total == 0 {
            u128::from(a)
        } else {
            u128::from(a) * self.shares_total / u128::from(self.total)
        };
        *self.shares.entry(*c).or_default() += new;
        self.shares_total += new;
        self.total += a;
    }
}

/// Expected stake after an epoch of `netuid`, from the pre-block state, Yuma's outputs and
/// the take rules: miners get their server emission (owner hotkeys withheld), validators'
/// dividends are `pending_validator · d / Σd`, of which the delegate take goes to the
/// owner's stake and the rest to the hotkey's pool; the owner cut goes to the owner hotkey.
fn expected_after_epoch(
    net: &Net,
    pre: &Chain,
    netuid: u16,
    drained: (u64, u64, u64),
    now: u64,
) -> BTreeMap<(PublicKey, PublicKey), u64> {
    let (server, validator, owner_cut) = drained;
    let state = State::new(&pre.store);
    let input = coinbase::epoch_input(&state, netuid, now, server + validator).unwrap();
    let out = tao_yuma::run_epoch(&input).unwrap();
    let k = net.netuids.iter().position(|n| *n == netuid).unwrap();
    let (owner_cold, owner_hot) = (&net.owners[k].0, &net.owners[k].1);

    let mut pools: BTreeMap<PublicKey, SharePool> = BTreeMap::new();
    for hot in net.positions().iter().map(|(h, _)| *h) {
        let holders = stake::holders(&state, netuid, &hot).unwrap();
        let p = SharePool {
            total: stake::hotkey_alpha(&state, netuid, &hot).unwrap(),
            shares_total: holders.iter().map(|(_, s)| s).sum(),
            shares: holders.into_iter().collect(),
        };
        pools.insert(hot, p);
    }
    let uid_hotkey = |uid: u16| state.hotkey_of(netuid, uid).unwrap().unwrap();
    let incentive_sum: u64 = out.server_emission.iter().sum();
    let validator_alpha = if incentive_sum == 0 {
        validator + server
    } else {
        validator
    };
    let mut credits: BTreeMap<(PublicKey, PublicKey), u64> = BTreeMap::new();
    *credits
        .entry((owner_hot.public(), owner_cold.public()))
        .or_default() += owner_cut;
    for (uid, &inc) in out.server_emission.iter().enumerate() {
        let hot = uid_hotkey(uid as u16);
        let cold = state.hotkey_owner(&hot).unwrap().unwrap();
        if cold == owner_cold.public() || hot == owner_hot.public() {
            continue;
        }
        *credits.entry((hot, cold)).or_default() += inc;
    }
    let total_d = out
        .validator_emission
        .iter()
        .fold(u96(0), |acc, d| acc + u96(*d));
    let take = u96(u64::from(stake::DEFAULT_DELEGATE_TAKE)) / u96(u64::from(u16::MAX));
    let mut to_pools = Vec::new();
    let mut by_hotkey: BTreeMap<PublicKey, u64> = BTreeMap::new();
    for (uid, &d) in out.validator_emission.iter().enumerate() {
        *by_hotkey.entry(uid_hotkey(uid as u16)).or_default() += d;
    }
    for (hot, d) in by_hotkey {
        let share = if total_d == u96(0) {
            u96(0)
        } else {
            u96(d) / total_d
        };
        let divs = u96(validator_alpha).saturating_mul(share);
        let t = take.saturating_mul(divs);
        let cold = state.hotkey_owner(&hot).unwrap().unwrap();
        *credits.entry((hot, cold)).or_default() += tou64(t);
        to_pools.push((hot, tou64(divs.saturating_sub(t))));
    }
    for ((hot, cold), amount) in &credits {
        pools.entry(*hot).or_default().credit(cold, *amount);
    }
    for (hot, amount) in to_pools {
        let p = pools.entry(hot).or_default();
        if p.shares_total == 0 {
            let cold = state.hotkey_owner(&hot).unwrap().unwrap();
            p.credit(&cold, amount);
        } else {
            p.total += amount;
        }
    }
    net.positions()
        .into_iter()
        .map(|(h, c)| ((h, c), pools.get(&h).map_or(0, |p| p.value(&c))))
        .collect()
}

#[test]
fn every_reward_matches_yuma_and_take_rules_to_the_rao() {
    let mut net = network(2);
    let mut epochs = 0;
    let mut checked_accounts = 0;
    for _round in 0..12 {
        net.set_weights();
        for _ in 0..10 {
            let pre = Chain {
                store: net.chain.store.clone(),
                genesis: net.chain.genesis,
                author: None,
            };
            let now = net.chain.number() + 1;
            let block = tao_runtime::Block {
                number: now,
                author: None,
                transactions: vec![],
            };
            let outcome = tao_runtime::apply_block(&net.chain.store, &block).unwrap();
            net.chain.store.commit(outcome.changes);
            for e in &outcome.events {
                let Event::EpochRun {
                    netuid,
                    server,
                    validator,
                    root,
                    owner_cut,
                } = e
                else {
                    continue;
                };
                assert_eq!(*root, 0, "no root stake in this scenario");
                let expected = expected_after_epoch(
                    &net,
                    &pre,
                    *netuid,
                    (*server, *validator, *owner_cut),
                    now,
                );
                for ((h, c), want) in expected {
                    let got = stake_of(&net.chain, *netuid, &h, &c);
                    assert_eq!(
                        got, want,
                        "netuid {netuid} block {now} hotkey {h:?} coldkey {c:?}"
                    );
                    checked_accounts += 1;
                }
                epochs += 1;
            }
        }
    }
    // 2 subnets, tempo 10, 120 blocks: at least 10 tempos each.
    assert!(epochs >= 20, "only {epochs} epochs ran");
    assert!(checked_accounts >= 20 * 9);
    // Miners and validators really earned something.
    let netuid = net.netuids[0];
    let miner = stake_of(
        &net.chain,
        netuid,
        &net.miners[3].public(),
        &pair("//Eve").public(),
    );
    let nominator = stake_of(
        &net.chain,
        netuid,
        &net.validators[0].1.public(),
        &net.nominator.public(),
    );
    assert!(miner > 0);
    assert!(nominator > 0);
    assert_tao_conserved(&net.chain);
}

/// TAO issuance equals free balances plus pool reserves, and genesis plus minted equals
/// issuance plus everything burned or recycled.
fn assert_tao_conserved(c: &Chain) {
    let state = State::new(&c.store);
    let free: u64 = c
        .store
        .iter_prefix(b"System.Account/")
        .into_iter()
        .map(|(k, _)| {
            let who = PublicKey(k[k.len() - 32..].try_into().unwrap());
            state.account(&who).unwrap().free
        })
        .sum();
    let pools: u64 = tao_runtime::read::subnets(&c.store)
        .unwrap()
        .iter()
        .map(|s| s.tao_in)
        .sum();
    let issuance = state.counter("Balances.TotalIssuance").unwrap();
    assert_eq!(free + pools, issuance);
    let minted = state.counter(MINTED).unwrap();
    let removed =
        state.counter("Balances.Burned").unwrap() + state.counter("Subtensor.Recycled").unwrap();
    assert_eq!(
        issuance + removed,
        6 * tao_runtime::genesis::DEV_BALANCE + minted
    );
    assert!(minted > 0);
}

#[test]
fn block_split_is_41_41_18() {
    let mut net = network(1);
    let netuid = net.netuids[0];
    let cut = u96(11_796) / u96(65_535);
    let half = U96F32::from_bits(1u128 << 31);
    let (mut owner, mut miners, mut validators, mut emitted) = (0u64, 0u64, 0u64, 0u64);
    for _round in 0..30 {
        net.set_weights();
        for _ in 0..10 {
            let before = (
                subnet_u64(&net.chain, PENDING_OWNER_CUT, netuid),
                subnet_u64(&net.chain, PENDING_SERVER, netuid),
                subnet_u64(&net.chain, PENDING_VALIDATOR, netuid),
            );
            let now = net.chain.number() + 1;
            let block = tao_runtime::Block {
                number: now,
                author: None,
                transactions: vec![],
            };
            let outcome = tao_runtime::apply_block(&net.chain.store, &block).unwrap();
            net.chain.store.commit(outcome.changes);
            let e = subnet_u64(&net.chain, ALPHA_OUT_EMISSION, netuid);
            // The exact rounding rule of one block (root stake is zero, so no root share):
            // owner = ⌊E·cut⌋, server = ⌊(E − E·cut)/2⌋, validator = ⌊(E − E·cut) − server⌋.
            let owner_b = u96(e).saturating_mul(cut);
            let rest = u96(e) - owner_b;
            let server_b = rest.saturating_mul(half);
            let validator_b = rest - server_b;
            let drained = outcome.events.iter().find_map(|ev| match ev {
                Event::EpochRun {
                    server,
                    validator,
                    owner_cut,
                    ..
                } => Some((*owner_cut, *server, *validator)),
                _ => None,
            });
            let (o, s, v) = drained.unwrap_or((
                subnet_u64(&net.chain, PENDING_OWNER_CUT, netuid),
                subnet_u64(&net.chain, PENDING_SERVER, netuid),
                subnet_u64(&net.chain, PENDING_VALIDATOR, netuid),
            ));
            assert_eq!(o - before.0, tou64(owner_b), "owner cut, block {now}");
            assert_eq!(s - before.1, tou64(server_b), "server, block {now}");
            assert_eq!(v - before.2, tou64(validator_b), "validator, block {now}");
            owner += tou64(owner_b);
            miners += tou64(server_b);
            validators += tou64(validator_b);
            emitted += e;
        }
    }
    assert!(emitted > 0);
    // The owner cut is 11 796 / 65 535 = 17.9995 %, the rest halves: 41.00025 % each.
    let ppm = |x: u64| x as u128 * 1_000_000 / emitted as u128;
    assert_eq!(ppm(owner), 179_995, "owner");
    assert!(ppm(miners).abs_diff(410_002) <= 1, "miners {}", ppm(miners));
    assert!(
        ppm(validators).abs_diff(410_002) <= 1,
        "validators {}",
        ppm(validators)
    );
    // Everything emitted is accounted for: the buckets sum to the emission to the RAO.
    assert!(emitted - (owner + miners + validators) <= 3 * 300);
}

#[test]
fn halving_happens_on_the_block_issuance_crosses_the_threshold() {
    // An emitting subnet, so the minted TAO is spent (not recycled) and issuance grows.
    let mut c = network(1).chain;
    let issuance_key = Key::item("Balances.TotalIssuance").build();
    let threshold = 10_500_000 * TAO;
    let full = block_emission_for_issuance(threshold - 1).unwrap();
    assert_eq!(full, TAO);
    // Issuance two blocks below the threshold (the extra is kept on an account so the
    // issuance invariant holds).
    let current = get_u64(&c, issuance_key.clone());
    let gap = threshold - full - 1 - current;
    let ferdie = pair("//Ferdie").public();
    let mut info = tao_runtime::read::account(&c.store, &ferdie).unwrap();
    info.free += gap;
    c.force(Key::item("System.Account").acc(&ferdie).build(), &info);
    c.force(issuance_key.clone(), &(threshold - full - 1));
    let mut minted = Vec::new();
    for _ in 0..4 {
        let before = get_u64(&c, Key::item(MINTED).build());
        c.advance(1);
        minted.push(get_u64(&c, Key::item(MINTED).build()) - before);
    }
    // Block 1 mints a full TAO and lands one RAO short of the threshold; block 2 still
    // mints at the old rate (issuance below) and crosses; block 3 is the first halved one.
    assert_eq!(minted, vec![full, full, full / 2, full / 2]);
    assert!(get_u64(&c, issuance_key) >= threshold);
}

#[test]
fn issuance_never_exceeds_the_cap_and_follows_the_schedule() {
    // The closed form: emission at issuance i is 1 TAO / 2^k where k halvings have passed
    // (thresholds 21M·(1 − 2^−k)), and 0 once the cap is reached.
    let cap = 21_000_000 * TAO;
    let mut issuance: u64 = 0;
    let mut steps = 0u64;
    let mut k = 0u32;
    while issuance < cap && steps < 10_000_000 {
        let e = block_emission_for_issuance(issuance).unwrap();
        let threshold = cap - (cap >> k);
        let next_threshold = cap - (cap >> (k + 1));
        if issuance >= next_threshold {
            k += 1;
            continue;
        }
        assert!(issuance >= threshold);
        assert_eq!(e, TAO >> k, "issuance {issuance} after {k} halvings");
        if e == 0 {
            break;
        }
        // Jump to just below the next threshold, then step across it.
        let remaining_blocks = (next_threshold - issuance) / e;
        issuance += e * remaining_blocks.max(1);
        issuance = issuance.min(cap);
        steps += 1;
    }
    assert!(issuance <= cap);
    assert_eq!(block_emission_for_issuance(cap).unwrap(), 0);
    // On chain: with issuance one RAO below the cap, a block mints at most that RAO.
    let mut c = Chain::dev();
    let key = Key::item("Balances.TotalIssuance").build();
    let current = get_u64(&c, key.clone());
    let ferdie = pair("//Ferdie").public();
    let mut info = tao_runtime::read::account(&c.store, &ferdie).unwrap();
    info.free += cap - 1 - current;
    c.force(Key::item("System.Account").acc(&ferdie).build(), &info);
    c.force(key.clone(), &(cap - 1));
    c.advance(3);
    assert!(get_u64(&c, key) <= cap);
}

#[test]
fn auto_stake_destination_receives_the_miner_incentive() {
    let mut net = network(1);
    let netuid = net.netuids[0];
    let eve = pair("//Eve");
    let dest = net.miners[0].public();
    net.chain.ok(
        &eve,
        Call::SetColdkeyAutoStakeHotkey {
            netuid,
            hotkey: dest,
        },
    );
    assert_eq!(
        net.chain.err(
            &eve,
            Call::SetColdkeyAutoStakeHotkey {
                netuid,
                hotkey: dest,
            },
        ),
        tao_runtime::DispatchError::SameAutoStakeHotkeyAlreadySet {
            netuid,
            hotkey: dest.to_ss58(),
        }
    );
    let others: Vec<PublicKey> = net.miners[1..].iter().map(|m| m.public()).collect();
    let before: Vec<u64> = others
        .iter()
        .map(|h| stake_of(&net.chain, netuid, h, &eve.public()))
        .collect();
    let dest_before = stake_of(&net.chain, netuid, &dest, &eve.public());
    for _ in 0..3 {
        net.set_weights();
        net.chain.advance(10);
    }
    let after: Vec<u64> = others
        .iter()
        .map(|h| stake_of(&net.chain, netuid, h, &eve.public()))
        .collect();
    assert_eq!(
        before, after,
        "incentive of other miners no longer stays on them"
    );
    assert!(stake_of(&net.chain, netuid, &dest, &eve.public()) > dest_before);
}
