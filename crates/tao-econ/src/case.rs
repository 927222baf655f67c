//! The reference case format (`/work/shared/econ/FORMAT.md`): parse a case, run it through
//! this crate, and compare the result with the expected values.
//!
//! Parsing is strict and path-aware: a missing or malformed field is reported with its
//! JSON path (e.g. `input.subnets[2].alpha_in`).

use serde_json::{Map, Value, json};

use crate::coinbase;
use crate::distribution;
use crate::emission;
use crate::pool::{self, FeeDest, Pool, SwapError, SwapResult};

/// A case that cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// A required field is absent.
    #[error("missing field `{path}`")]
    Missing {
        /// JSON path of the field.
        path: String,
    },
    /// A field has the wrong type or an out-of-range value.
    #[error("field `{path}`: {reason}")]
    Invalid {
        /// JSON path of the field.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The input describes a state the chain cannot be in.
    #[error("impossible state at `{path}`: {reason}")]
    Impossible {
        /// JSON path of the offending part.
        path: String,
        /// Why it is impossible.
        reason: String,
    },
}

/// Path-aware view of a JSON object.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    /// Views `value` (found at `path`) as an object.
    pub(crate) fn new(value: &'a Value, path: &'a str) -> Result<Self, CaseError> {
        match value.as_object() {
            Some(map) => Ok(Obj { map, path }),
            None => Err(invalid(path, "expected an object")),
        }
    }

    /// Path of a child field.
    pub(crate) fn child(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// A required field.
    pub(crate) fn get(&self, key: &str) -> Result<&'a Value, CaseError> {
        self.map.get(key).ok_or_else(|| CaseError::Missing {
            path: self.child(key),
        })
    }

    /// An optional field (absent or null gives `None`).
    pub(crate) fn opt(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A required unsigned 64-bit integer.
    pub(crate) fn u64(&self, key: &str) -> Result<u64, CaseError> {
        as_u64(self.get(key)?, &self.child(key))
    }

    /// A required unsigned 16-bit integer.
    pub(crate) fn u16(&self, key: &str) -> Result<u16, CaseError> {
        let v = self.u64(key)?;
        u16::try_from(v).map_err(|_| {
            invalid(
                &self.child(key),
                &format!("{v} does not fit in u16 (max 65535)"),
            )
        })
    }

    /// A required boolean.
    pub(crate) fn bool(&self, key: &str) -> Result<bool, CaseError> {
        self.get(key)?
            .as_bool()
            .ok_or_else(|| invalid(&self.child(key), "expected true or false"))
    }

    /// A required string.
    pub(crate) fn str(&self, key: &str) -> Result<&'a str, CaseError> {
        self.get(key)?
            .as_str()
            .ok_or_else(|| invalid(&self.child(key), "expected a string"))
    }

    /// A required unsigned 128-bit value written as a decimal string.
    pub(crate) fn u128_str(&self, key: &str) -> Result<u128, CaseError> {
        let s = self.str(key)?;
        s.parse::<u128>().map_err(|e| {
            invalid(
                &self.child(key),
                &format!("`{s}` is not an unsigned 128-bit decimal: {e}"),
            )
        })
    }

    /// A required signed 128-bit value written as a decimal string.
    pub(crate) fn i128_str(&self, key: &str) -> Result<i128, CaseError> {
        let s = self.str(key)?;
        s.parse::<i128>().map_err(|e| {
            invalid(
                &self.child(key),
                &format!("`{s}` is not a signed 128-bit decimal: {e}"),
            )
        })
    }

    /// A required array.
    pub(crate) fn array(&self, key: &str) -> Result<&'a Vec<Value>, CaseError> {
        self.get(key)?
            .as_array()
            .ok_or_else(|| invalid(&self.child(key), "expected an array"))
    }
}

/// Builds an [`CaseError::Invalid`].
pub(crate) fn invalid(path: &str, reason: &str) -> CaseError {
    CaseError::Invalid {
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

/// A JSON value as u64 (integers only; no floats, no negatives).
pub(crate) fn as_u64(v: &Value, path: &str) -> Result<u64, CaseError> {
    v.as_u64().ok_or_else(|| {
        invalid(
            path,
            &format!("expected an unsigned 64-bit integer, got {v}"),
        )
    })
}

/// Runs a whole case file (the object with `kind` and `input`) and returns the result in
/// the shape of its `expected`.
pub fn run_case(case: &Value) -> Result<Value, CaseError> {
    let root = Obj::new(case, "")?;
    let kind = root.str("kind")?;
    let input = root.get("input")?;
    run_input(kind, input)
}

/// Runs one `input` of the given kind.
pub fn run_input(kind: &str, input: &Value) -> Result<Value, CaseError> {
    let obj = Obj::new(input, "input")?;
    match kind {
        "emission" => run_emission(obj),
        "swap" => run_swap(obj),
        "coinbase" => coinbase::run_case_input(obj),
        "distribution" => distribution::run_case_input(obj),
        other => Err(invalid(
            "kind",
            &format!("unknown kind `{other}`; expected emission, swap, coinbase or distribution"),
        )),
    }
}

fn run_emission(input: Obj<'_>) -> Result<Value, CaseError> {
    let issuance = input.u64("issuance")?;
    Ok(match emission::block_emission_for_issuance(issuance) {
        Ok(block_emission) => json!({
            "block_emission": block_emission,
            "minted": emission::capped_mint(block_emission, issuance),
            "error": null,
        }),
        Err(e) => json!({ "block_emission": 0, "minted": 0, "error": e.reference_text() }),
    })
}

/// Parses a pool object.
pub(crate) fn parse_pool(obj: Obj<'_>) -> Result<Pool, CaseError> {
    let pool = Pool {
        subnet_tao: obj.u64("subnet_tao")?,
        alpha_in: obj.u64("alpha_in")?,
        alpha_out: obj.u64("alpha_out")?,
        quote_weight: obj.u64("quote_weight")?,
        fee_rate: obj.u16("fee_rate")?,
        minimum_reserve: obj.u64("minimum_reserve")?,
    };
    if pool.quote_weight < pool::MIN_WEIGHT || pool.quote_weight > pool::MAX_QUOTE_WEIGHT {
        return Err(CaseError::Impossible {
            path: obj.child("quote_weight"),
            reason: format!(
                "{} is outside the balancer bounds [{}, {}]",
                pool.quote_weight,
                pool::MIN_WEIGHT,
                pool::MAX_QUOTE_WEIGHT
            ),
        });
    }
    Ok(pool)
}

fn pool_json(pool: &Pool) -> Value {
    json!({
        "subnet_tao": pool.subnet_tao,
        "alpha_in": pool.alpha_in,
        "alpha_out": pool.alpha_out,
        "quote_weight": pool.quote_weight,
        "fee_rate": pool.fee_rate,
        "minimum_reserve": pool.minimum_reserve,
    })
}

fn swap_json(r: &SwapResult) -> Value {
    json!({
        "amount_paid_in": r.amount_paid_in,
        "amount_paid_out": r.amount_paid_out,
        "fee_paid": r.fee_paid,
        "fee_to_block_author": r.fee_to_block_author,
    })
}

fn run_swap(input: Obj<'_>) -> Result<Value, CaseError> {
    let pool_path = input.child("pool");
    let mut pool = parse_pool(Obj::new(input.get("pool")?, &pool_path)?)?;
    let op = input.str("op")?;
    let amount = input.u64("amount")?;
    let price_before = pool.price().to_bits().to_string();
    let fee_dest = |input: &Obj<'_>| -> Result<FeeDest, CaseError> {
        Ok(if input.bool("block_author")? {
            FeeDest::Author
        } else {
            FeeDest::Burn
        })
    };
    let err = |e: SwapError, price_before: &str| json!({ "error": e.name(), "price_before": price_before });
    let mut out = match op {
        "add_stake" | "add_stake_limit" => {
            let position = input
                .opt("position")
                .map(|v| as_u64(v, &input.child("position")))
                .transpose()?
                .unwrap_or(0);
            fee_dest(&input)?;
            let result = if op == "add_stake" {
                pool::add_stake(&mut pool, amount)
            } else {
                pool::add_stake_limit(
                    &mut pool,
                    amount,
                    input.u64("limit_price")?,
                    input.bool("allow_partial")?,
                )
            };
            match result {
                Err(e) => return Ok(err(e, &price_before)),
                Ok(o) => json!({
                    "max_amount": o.max_amount,
                    "executed_amount": o.executed_amount,
                    "swap": swap_json(&o.swap),
                    "refund": 0,
                    "author_fee_swap": null,
                    "position_after": position.saturating_add(o.swap.amount_paid_out),
                }),
            }
        }
        "remove_stake" | "remove_stake_limit" => {
            let position = input.u64("position")?;
            let dest = fee_dest(&input)?;
            let result = if op == "remove_stake" {
                pool::remove_stake(&mut pool, position, amount, dest)
            } else {
                pool::remove_stake_limit(
                    &mut pool,
                    position,
                    amount,
                    input.u64("limit_price")?,
                    input.bool("allow_partial")?,
                    dest,
                )
            };
            match result {
                Err(e) => return Ok(err(e, &price_before)),
                Ok(o) => json!({
                    "max_amount": o.max_amount,
                    "executed_amount": o.executed_amount,
                    "swap": swap_json(&o.swap),
                    "refund": o.refund,
                    "author_fee_swap": o.author_fee_swap.as_ref().map(swap_json),
                    "position_after": o.position_after,
                }),
            }
        }
        "swap_buy" | "swap_sell" => {
            let limit = input.u64("limit_price")?;
            let drop_fees = input.bool("drop_fees")?;
            let position = input
                .opt("position")
                .map(|v| as_u64(v, &input.child("position")))
                .transpose()?
                .unwrap_or(0);
            let result = if op == "swap_buy" {
                pool.buy_alpha(amount, limit, drop_fees)
            } else {
                pool.sell_alpha(amount, limit, drop_fees)
            };
            match result {
                Err(e) => return Ok(err(e, &price_before)),
                Ok(r) => {
                    // A buy adds what it bought; a sale takes the amount and returns what the
                    // limit left unsold.
                    let (refund, position_after) = if op == "swap_buy" {
                        (0, position.saturating_add(r.amount_paid_out))
                    } else {
                        let refund =
                            amount.saturating_sub(r.amount_paid_in.saturating_add(r.fee_paid));
                        (
                            refund,
                            position.saturating_sub(amount).saturating_add(refund),
                        )
                    };
                    json!({
                        "max_amount": null,
                        "executed_amount": amount,
                        "swap": swap_json(&r),
                        "refund": refund,
                        "author_fee_swap": null,
                        "position_after": position_after,
                    })
                }
            }
        }
        other => {
            return Err(invalid(
                &input.child("op"),
                &format!(
                    "unknown op `{other}`; expected add_stake, add_stake_limit, remove_stake, remove_stake_limit, swap_buy or swap_sell"
                ),
            ));
        }
    };
    if let Some(map) = out.as_object_mut() {
        map.insert("error".into(), Value::Null);
        map.insert("price_before".into(), Value::String(price_before));
        map.insert(
            "price_after".into(),
            Value::String(pool.price().to_bits().to_string()),
        );
        map.insert("pool_after".into(), pool_json(&pool));
    }
    Ok(out)
}

/// The first difference between an expected and an actual result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// JSON path of the differing field (e.g. `subnets[1].alpha_in`).
    pub path: String,
    /// The expected value, as JSON text (`<absent>` if missing).
    pub expected: String,
    /// The actual value, as JSON text (`<absent>` if missing).
    pub actual: String,
}

/// Compares two results field by field; `None` when they are equal.
pub fn first_mismatch(expected: &Value, actual: &Value) -> Option<Mismatch> {
    diff(expected, actual, "")
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn diff(expected: &Value, actual: &Value, path: &str) -> Option<Mismatch> {
    let mismatch = |e: Option<&Value>, a: Option<&Value>, p: String| {
        Some(Mismatch {
            path: if p.is_empty() { "<root>".into() } else { p },
            expected: e.map_or("<absent>".into(), Value::to_string),
            actual: a.map_or("<absent>".into(), Value::to_string),
        })
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => {
                        if let Some(m) = diff(ev, av, &join(path, k)) {
                            return Some(m);
                        }
                    }
                    None => return mismatch(Some(ev), None, join(path, k)),
                }
            }
            a.iter()
                .find(|(k, _)| !e.contains_key(*k))
                .and_then(|(k, av)| mismatch(None, Some(av), join(path, k)))
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                if let Some(m) = diff(ev, av, &format!("{path}[{i}]")) {
                    return Some(m);
                }
            }
            if e.len() != a.len() {
                let i = e.len().min(a.len());
                return mismatch(e.get(i), a.get(i), format!("{path}[{i}]"));
            }
            None
        }
        _ if expected == actual => None,
        _ => mismatch(Some(expected), Some(actual), path.to_string()),
    }
}

/// Runs a case and compares it with its `expected`: `Ok(None)` when it matches.
pub fn check_case(case: &Value) -> Result<Option<Mismatch>, CaseError> {
    let root = Obj::new(case, "")?;
    let expected = root.get("expected")?;
    let actual = run_case(case)?;
    Ok(first_mismatch(expected, &actual))
}
