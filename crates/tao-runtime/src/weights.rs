//! Weights: `set_weights` with every validation rule of the reference, max-upscaling to u16,
//! and hash commit-reveal (`commit_weights` / `reveal_weights`).
//!
//! ```text
//! set_weights(netuid, dests, weights, version_key) signed by the hotkey, checks in order:
//!   netuid ≠ 0; |dests| = |weights|; |dests| ≤ N; hotkey registered; stake ≥ StakeThreshold
//!   (owner uid exempt); version_key ≥ WeightsVersionKey (unless 0); rate limit (commit-reveal
//!   off only); permit (self-weight or owner exempt); no duplicate uids; uids < N;
//!   |weights| ≥ min(MinAllowedWeights, N) (self-weight exempt); max-upscale; max weight limit
//! commit_hash = blake2b-256(SCALE(hotkey, netuid: u16, uids: Vec<u16>, values: Vec<u16>, salt: Vec<u16>, version_key: u64))
//! reveal allowed iff current_epoch = commit_epoch + RevealPeriodEpochs; expired iff >
//! ```

use tao_crypto::PublicKey;

use crate::error::DispatchError;
use crate::hyperparams::{GlobalParam, Hyperparam};
use crate::state::State;
use crate::storage::{DResult, hotkey_key, subnet_key, uid_key};
use crate::store::{Hash, blake2_256};
use crate::subnets::current_epoch_with_lookahead;
use crate::types::{Event, MAX_UNREVEALED_COMMITS, WeightCommit};

/// `vec_u16_max_upscale_to_u16`: scales so the largest value becomes 65535, rounding half away
/// from zero exactly as the reference's I32F32 arithmetic.
pub fn max_upscale_to_u16(values: &[u16]) -> Vec<u16> {
    let Some(&max) = values.iter().max() else {
        return Vec::new();
    };
    if max == 0 {
        return vec![0; values.len()];
    }
    let max = u128::from(max);
    let round = |bits: u128| u16::try_from((bits + (1 << 31)) >> 32).unwrap_or(u16::MAX);
    if max > 32_768 {
        // e × (65535 / max): the quotient is truncated to 32 fractional bits first.
        let q = (65_535u128 << 32) / max;
        values.iter().map(|&v| round(u128::from(v) * q)).collect()
    } else {
        values
            .iter()
            .map(|&v| round(((u128::from(v) * 65_535) << 32) / max))
            .collect()
    }
}

/// `check_vec_max_limited`: the largest normalised weight is at most `limit / 65535`.
pub fn max_weight_within_limit(values: &[u16], limit: u16) -> bool {
    let sum: u128 = values.iter().map(|&v| u128::from(v)).sum();
    let limit_bits = (u128::from(limit) << 32) / 65_535;
    match values.iter().max() {
        None => true,
        Some(_) if sum == 0 => true,
        Some(&max) => (u128::from(max) << 32) / sum <= limit_bits,
    }
}

fn scale_compact_len(len: usize, out: &mut Vec<u8>) {
    let n = len as u64;
    if n < 1 << 6 {
        out.push((n as u8) << 2);
    } else if n < 1 << 14 {
        out.extend_from_slice(&(((n as u16) << 2) | 1).to_le_bytes());
    } else if n < 1 << 30 {
        out.extend_from_slice(&(((n as u32) << 2) | 2).to_le_bytes());
    } else {
        out.push(((8 - 4) << 2) | 3);
        out.extend_from_slice(&n.to_le_bytes()[..8]);
    }
}

fn scale_u16_vec(values: &[u16], out: &mut Vec<u8>) {
    scale_compact_len(values.len(), out);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// `get_commit_hash`: blake2b-256 of the SCALE encoding of the revealed fields.
pub fn commit_hash(
    hotkey: &PublicKey,
    netuid: u16,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
) -> Hash {
    let mut buf = Vec::with_capacity(32 + 2 + 2 * (uids.len() + values.len() + salt.len()) + 20);
    buf.extend_from_slice(&hotkey.0);
    buf.extend_from_slice(&netuid.to_le_bytes());
    scale_u16_vec(uids, &mut buf);
    scale_u16_vec(values, &mut buf);
    scale_u16_vec(salt, &mut buf);
    buf.extend_from_slice(&version_key.to_le_bytes());
    blake2_256(&buf)
}

fn registered_uid(s: &State<'_>, netuid: u16, hotkey: &PublicKey) -> DResult<u16> {
    s.uid_of(netuid, hotkey)?
        .ok_or_else(|| DispatchError::HotKeyNotRegisteredInSubNet {
            netuid,
            hotkey: hotkey.to_ss58(),
        })
}

fn owner_uid(s: &State<'_>, netuid: u16) -> DResult<Option<u16>> {
    match s.get::<PublicKey>(&subnet_key("Subtensor.SubnetOwnerHotkey", netuid))? {
        Some(hk) => s.uid_of(netuid, &hk),
        None => Ok(None),
    }
}

/// `set_weights` as dispatched: refused while commit-reveal is on.
#[allow(clippy::too_many_arguments)]
pub fn set_weights(
    s: &mut State<'_>,
    hotkey: &PublicKey,
    netuid: u16,
    dests: &[u16],
    weights: &[u16],
    version_key: u64,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if s.hp(netuid, Hyperparam::CommitRevealWeightsEnabled)? != 0 {
        return Err(DispatchError::CommitRevealEnabled { netuid });
    }
    do_set_weights(s, hotkey, netuid, dests, weights, version_key, now, ev)
}

/// `do_set_weights`: every check of §5.1, then writes the row.
#[allow(clippy::too_many_arguments)]
fn do_set_weights(
    s: &mut State<'_>,
    hotkey: &PublicKey,
    netuid: u16,
    dests: &[u16],
    weights: &[u16],
    version_key: u64,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if netuid == 0 {
        return Err(DispatchError::CanNotSetRootNetworkWeights);
    }
    if dests.len() != weights.len() {
        return Err(DispatchError::WeightVecNotEqualSize {
            uids: dests.len(),
            weights: weights.len(),
        });
    }
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    let n = s.subnetwork_n(netuid)?;
    if dests.len() > usize::from(n) {
        return Err(DispatchError::UidsLengthExceedUidsInSubNet {
            netuid,
            len: dests.len(),
            n,
        });
    }
    let uid = registered_uid(s, netuid, hotkey)?;
    let is_owner = owner_uid(s, netuid)? == Some(uid);
    let threshold = s.global(GlobalParam::StakeThreshold)?;
    let stake: u64 = s.get_or_default(&hotkey_key("Subtensor.TotalHotkeyAlpha", netuid, hotkey))?;
    if !is_owner && stake < threshold {
        return Err(DispatchError::NotEnoughStakeToSetWeights { stake, threshold });
    }
    let required = s.hp(netuid, Hyperparam::WeightsVersionKey)?;
    if required != 0 && version_key < required {
        return Err(DispatchError::IncorrectWeightVersionKey {
            given: version_key,
            required,
        });
    }
    let commit_reveal = s.hp(netuid, Hyperparam::CommitRevealWeightsEnabled)? != 0;
    if !commit_reveal {
        let last: u64 = s.uid_get("Subtensor.LastUpdate", netuid, uid)?;
        let limit = s.hp(netuid, Hyperparam::WeightsSetRateLimit)?;
        if last != 0 && now.saturating_sub(last) < limit {
            return Err(DispatchError::SettingWeightsTooFast {
                last,
                limit,
                retry_at: last.saturating_add(limit),
            });
        }
    }
    let self_weight = dests.len() == 1 && dests[0] == uid;
    let permit: bool = s.uid_get("Subtensor.ValidatorPermit", netuid, uid)?;
    if !self_weight && !is_owner && !permit {
        return Err(DispatchError::NeuronNoValidatorPermit { netuid, uid });
    }
    let mut seen = vec![0u64; 1 << 10]; // one bit per possible u16 uid
    for &d in dests {
        let (word, bit) = (usize::from(d >> 6), 1u64 << (d & 63));
        if seen[word] & bit != 0 {
            return Err(DispatchError::DuplicateUids { uid: d });
        }
        seen[word] |= bit;
    }
    // uids 0..N always exist: registration appends or replaces, never leaves a hole
    if let Some(&d) = dests.iter().find(|&&d| d >= n) {
        return Err(DispatchError::UidVecContainInvalidOne { netuid, uid: d, n });
    }
    let min = s
        .hp(netuid, Hyperparam::MinAllowedWeights)?
        .min(u64::from(n));
    if !self_weight && (weights.len() as u64) < min {
        return Err(DispatchError::WeightVecLengthIsLow {
            len: weights.len(),
            min,
        });
    }
    let upscaled = max_upscale_to_u16(weights);
    let limit = s.hp(netuid, Hyperparam::MaxWeightsLimit)?;
    if !self_weight
        && limit != 65_535
        && !max_weight_within_limit(&upscaled, u16::try_from(limit).unwrap_or(u16::MAX))
    {
        return Err(DispatchError::MaxWeightExceeded { limit });
    }
    let row: Vec<(u16, u16)> = dests.iter().copied().zip(upscaled).collect();
    s.uid_put("Subtensor.Weights", netuid, uid, &row);
    if !commit_reveal {
        s.uid_put("Subtensor.LastUpdate", netuid, uid, &now);
    }
    ev.push(Event::WeightsSet { netuid, uid });
    Ok(())
}

fn commits_key(netuid: u16, hotkey: &PublicKey) -> Vec<u8> {
    hotkey_key("Subtensor.WeightCommits", netuid, hotkey)
}

fn is_expired(commit_epoch: u64, current: u64, period: u64) -> bool {
    current > commit_epoch.saturating_add(period)
}

/// `commit_weights(netuid, commit_hash)`.
pub fn commit_weights(
    s: &mut State<'_>,
    hotkey: &PublicKey,
    netuid: u16,
    hash: Hash,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if !s.subnet_exists(netuid)? {
        return Err(DispatchError::SubnetNotExists { netuid });
    }
    if s.hp(netuid, Hyperparam::CommitRevealWeightsEnabled)? == 0 {
        return Err(DispatchError::CommitRevealDisabled { netuid });
    }
    let uid = registered_uid(s, netuid, hotkey)?;
    let last: u64 = s.uid_get("Subtensor.LastUpdate", netuid, uid)?;
    let limit = s.hp(netuid, Hyperparam::WeightsSetRateLimit)?;
    if last != 0 && now.saturating_sub(last) < limit {
        return Err(DispatchError::CommittingWeightsTooFast {
            last,
            limit,
            retry_at: last.saturating_add(limit),
        });
    }
    let current = current_epoch_with_lookahead(s, netuid, now)?;
    let period = s.hp(netuid, Hyperparam::RevealPeriodEpochs)?;
    let mut commits: Vec<WeightCommit> = s.get_or_default(&commits_key(netuid, hotkey))?;
    let expired = commits
        .iter()
        .take_while(|c| is_expired(c.commit_epoch, current, period))
        .count();
    commits.drain(..expired);
    if commits.len() >= MAX_UNREVEALED_COMMITS {
        return Err(DispatchError::TooManyUnrevealedCommits {
            count: commits.len(),
        });
    }
    commits.push(WeightCommit {
        hash,
        commit_epoch: current,
        commit_block: now,
        unused: 0,
    });
    s.put(commits_key(netuid, hotkey), &commits);
    ev.push(Event::WeightsCommitted {
        hotkey: *hotkey,
        netuid,
        hash: hex::encode(hash),
    });
    s.uid_put("Subtensor.LastUpdate", netuid, uid, &now);
    Ok(())
}

/// `reveal_weights(netuid, uids, values, salt, version_key)`.
#[allow(clippy::too_many_arguments)]
pub fn reveal_weights(
    s: &mut State<'_>,
    hotkey: &PublicKey,
    netuid: u16,
    uids: &[u16],
    values: &[u16],
    salt: &[u16],
    version_key: u64,
    now: u64,
    ev: &mut Vec<Event>,
) -> DResult<()> {
    if s.hp(netuid, Hyperparam::CommitRevealWeightsEnabled)? == 0 {
        return Err(DispatchError::CommitRevealDisabled { netuid });
    }
    let key = commits_key(netuid, hotkey);
    let Some(mut commits) = s.get::<Vec<WeightCommit>>(&key)? else {
        return Err(DispatchError::NoWeightsCommitFound { netuid });
    };
    let current = current_epoch_with_lookahead(s, netuid, now)?;
    let period = s.hp(netuid, Hyperparam::RevealPeriodEpochs)?;
    let expired_count = commits
        .iter()
        .take_while(|c| is_expired(c.commit_epoch, current, period))
        .count();
    let expired: Vec<WeightCommit> = commits.drain(..expired_count).collect();
    let provided = commit_hash(hotkey, netuid, uids, values, salt, version_key);
    let expired_match = expired.iter().any(|c| c.hash == provided);
    if commits.is_empty() {
        return Err(if expired_match {
            DispatchError::ExpiredWeightCommit { current }
        } else {
            DispatchError::NoWeightsCommitFound { netuid }
        });
    }
    let Some(pos) = commits.iter().position(|c| c.hash == provided) else {
        return Err(if expired_match {
            DispatchError::ExpiredWeightCommit { current }
        } else {
            DispatchError::InvalidRevealCommitHashNotMatch {
                hash: hex::encode(provided),
            }
        });
    };
    let commit_epoch = commits[pos].commit_epoch;
    let reveal_epoch = commit_epoch.saturating_add(period);
    if current != reveal_epoch {
        return Err(DispatchError::RevealTooEarly {
            commit_epoch,
            reveal_epoch,
            current,
        });
    }
    commits.drain(..=pos);
    if commits.is_empty() {
        s.delete(key);
    } else {
        s.put(key, &commits);
    }
    do_set_weights(s, hotkey, netuid, uids, values, version_key, now, ev)?;
    ev.push(Event::WeightsRevealed {
        hotkey: *hotkey,
        netuid,
        hash: hex::encode(provided),
    });
    Ok(())
}

/// The stored weight row of `uid` (for reads and tests).
pub fn weights_row(s: &State<'_>, netuid: u16, uid: u16) -> DResult<Vec<(u16, u16)>> {
    s.get_or_default(&uid_key("Subtensor.Weights", netuid, uid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upscale_matches_reference_rounding() {
        assert_eq!(max_upscale_to_u16(&[]), Vec::<u16>::new());
        assert_eq!(max_upscale_to_u16(&[0, 0]), vec![0, 0]);
        assert_eq!(max_upscale_to_u16(&[1, 2]), vec![32_768, 65_535]);
        assert_eq!(max_upscale_to_u16(&[1, 3]), vec![21_845, 65_535]);
        assert_eq!(max_upscale_to_u16(&[65_535, 1]), vec![65_535, 1]);
        // max > 32768: the quotient 65535/40000 is truncated to 32 fractional bits first, so
        // 20000 × q lands just below 32767.5 and rounds down (exact math would give 32768).
        assert_eq!(
            max_upscale_to_u16(&[40_000, 1, 20_000]),
            vec![65_535, 2, 32_767]
        );
    }

    #[test]
    fn max_limit() {
        assert!(max_weight_within_limit(&[1, 1], 32_768));
        assert!(!max_weight_within_limit(&[3, 1], 32_768));
        assert!(max_weight_within_limit(&[], 0));
    }

    #[test]
    fn scale_compact_lengths() {
        let mut out = Vec::new();
        scale_compact_len(1, &mut out);
        scale_compact_len(64, &mut out);
        assert_eq!(out, vec![4, 0x01, 0x01]);
    }
}
