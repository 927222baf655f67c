//! Field-by-field comparison of an epoch's outputs with a case's expected values.

use crate::{BondRows, EpochOutput, SparseRow};

/// One differing value: which field, which uid, and both values rendered as JSON-like text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Output field name as in the case format.
    pub field: &'static str,
    /// Uid (index) where the values differ; `None` when the vector lengths differ.
    pub uid: Option<usize>,
    /// Expected value.
    pub expected: String,
    /// Computed value.
    pub actual: String,
}

/// Every difference between `expected` and `actual`, in field order then uid order.
pub fn compare(expected: &EpochOutput, actual: &EpochOutput) -> Vec<Mismatch> {
    let mut out = Vec::new();
    diff(&mut out, "active", &expected.active, &actual.active);
    diff(
        &mut out,
        "stake_weight",
        &expected.stake_weight,
        &actual.stake_weight,
    );
    diff(
        &mut out,
        "consensus",
        &expected.consensus,
        &actual.consensus,
    );
    diff(
        &mut out,
        "incentive",
        &expected.incentive,
        &actual.incentive,
    );
    diff(
        &mut out,
        "dividends",
        &expected.dividends,
        &actual.dividends,
    );
    diff(
        &mut out,
        "validator_trust",
        &expected.validator_trust,
        &actual.validator_trust,
    );
    diff(
        &mut out,
        "validator_permit",
        &expected.validator_permit,
        &actual.validator_permit,
    );
    diff(
        &mut out,
        "server_emission",
        &expected.server_emission,
        &actual.server_emission,
    );
    diff(
        &mut out,
        "validator_emission",
        &expected.validator_emission,
        &actual.validator_emission,
    );
    diff(&mut out, "emission", &expected.emission, &actual.emission);
    let rows = |bonds: &BondRows| bonds.iter().map(<[_]>::to_vec).collect::<Vec<SparseRow>>();
    diff(
        &mut out,
        "bonds",
        &rows(&expected.bonds),
        &rows(&actual.bonds),
    );
    out
}

/// Values the comparison can render.
trait Render {
    fn render(&self) -> String;
}

macro_rules! render_display {
    ($($t:ty),*) => {$(impl Render for $t {
        fn render(&self) -> String {
            self.to_string()
        }
    })*};
}
render_display!(bool, u16, u64);

impl Render for SparseRow {
    fn render(&self) -> String {
        let pairs: Vec<String> = self.iter().map(|(j, v)| format!("[{j},{v}]")).collect();
        format!("[{}]", pairs.join(","))
    }
}

fn diff<T: PartialEq + Render>(
    out: &mut Vec<Mismatch>,
    field: &'static str,
    expected: &[T],
    actual: &[T],
) {
    if expected.len() != actual.len() {
        out.push(Mismatch {
            field,
            uid: None,
            expected: format!("{} entries", expected.len()),
            actual: format!("{} entries", actual.len()),
        });
        return;
    }
    for (uid, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e != a {
            out.push(Mismatch {
                field,
                uid: Some(uid),
                expected: e.render(),
                actual: a.render(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_field_uid_and_values() {
        let expected = EpochOutput {
            consensus: vec![1, 2, 3],
            ..Default::default()
        };
        let mut actual = expected.clone();
        assert!(compare(&expected, &actual).is_empty());
        actual.consensus[1] = 7;
        actual.bonds = BondRows::from(vec![vec![(0, 5)]]);
        let m = compare(&expected, &actual);
        assert_eq!(m.len(), 2);
        assert_eq!(
            m[0],
            Mismatch {
                field: "consensus",
                uid: Some(1),
                expected: "2".into(),
                actual: "7".into()
            }
        );
        assert_eq!(m[1].field, "bonds");
        assert_eq!(m[1].uid, None);
    }
}
