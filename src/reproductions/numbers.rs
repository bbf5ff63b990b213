//! Reported numbers: closed-form values rounded at serialisation, Monte-Carlo estimates rounded to
//! what their standard error justifies, and the rows of a report's table.

use serde::{Serialize, Serializer};

use crate::stats::batch_means::UnivariateBatchMeans;
pub(crate) use crate::stats::critical_value;

/// Rounds to `digits` significant digits (through the decimal representation, so the serialised
/// value is the short decimal).
pub fn round_significant(x: f64, digits: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.*e}", digits.saturating_sub(1), x)
        .parse()
        .unwrap_or(x)
}

/// Rounds `x` to the decimal position of the second significant digit of `error`.
pub(crate) fn round_to_error(x: f64, error: f64) -> f64 {
    if !x.is_finite() || !error.is_finite() || error <= 0.0 {
        return round_significant(x, 6);
    }
    let exponent = error.log10().floor() as i32 - 1;
    if exponent < 0 {
        format!("{:.*}", (-exponent) as usize, x)
            .parse()
            .unwrap_or(x)
    } else {
        let scale = 10f64.powi(exponent);
        (x / scale).round() * scale
    }
}

/// A closed-form (or otherwise exact) number, serialised with 6 significant digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(round_significant(self.0, 6))
    }
}

/// Serialises a plain `f64` with 6 significant digits (`#[serde(serialize_with = "sig6")]`).
pub(crate) fn sig6<S: Serializer>(x: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(round_significant(*x, 6))
}

/// Serialises a vector of `f64` with 6 significant digits each.
pub(crate) fn sig6_vec<S: Serializer>(xs: &[f64], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(xs.iter().map(|x| Num(*x)))
}

/// A Monte-Carlo estimate with its batch-means standard error.
///
/// Serialised as `{value, mcse}` with the value rounded to the second significant digit of the
/// standard error and the error to two significant digits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Monte-Carlo standard error.
    pub mcse: f64,
    /// Degrees of freedom of the batch-means standard error (Σ over chains of batches − 1).
    pub dof: usize,
}

impl Serialize for Estimate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Estimate", 2)?;
        s.serialize_field("value", &round_to_error(self.value, self.mcse))?;
        s.serialize_field("mcse", &round_significant(self.mcse, 2))?;
        s.end()
    }
}

impl Estimate {
    /// The two-sided Student-t critical value at level `alpha` for this estimate's degrees of
    /// freedom (the batch-means statistic (x̄ − μ)/SE is approximately t with that many degrees of
    /// freedom; Flegal & Jones 2010).
    pub fn critical_value(&self, alpha: f64) -> f64 {
        critical_value(alpha, self.dof)
    }

    /// |value − target| / mcse.
    pub fn z_score(&self, target: f64) -> f64 {
        (self.value - target).abs() / self.mcse
    }

    /// True when `target` lies within the two-sided level-`alpha` acceptance region:
    /// |value − target| ≤ t_{1−α/2, dof} · mcse.
    pub fn agrees_with(&self, target: f64, alpha: f64) -> bool {
        self.z_score(target) <= self.critical_value(alpha)
    }

    /// The batch-means estimate of a series' mean (Flegal & Jones 2010): the mean, its standard
    /// error, and b − 1 degrees of freedom for b batches.
    pub(crate) fn from_batch_means(bm: &UnivariateBatchMeans) -> Self {
        Self {
            value: bm.mean,
            mcse: bm.standard_error,
            dof: bm.n_batches - 1,
        }
    }

    /// Mean and standard error of independent replicates ([`crate::stats::replicates`]).
    pub(crate) fn from_replicates(values: &[f64]) -> Self {
        let r = crate::stats::replicates::replicate_mean(values);
        Self {
            value: r.mean,
            mcse: r.standard_error,
            dof: r.dof,
        }
    }

    /// "value ± mcse" rounded as in the serialisation.
    pub fn display(&self) -> String {
        if !(self.mcse.is_finite() && self.mcse > 0.0) {
            return format!("{}", round_significant(self.value, 6));
        }
        let exponent = self.mcse.log10().floor() as i32 - 1;
        if exponent < 0 {
            let decimals = (-exponent) as usize;
            format!("{:.*} ± {:.*}", decimals, self.value, decimals, self.mcse)
        } else {
            format!(
                "{} ± {}",
                round_to_error(self.value, self.mcse),
                round_significant(self.mcse, 2)
            )
        }
    }
}

/// Where a number comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provenance {
    /// The paper prints this number or formula; our value evaluates it.
    Paper,
    /// A reference value derived here by an independent solve (a second derivation or a
    /// numerical solution), against which the closed form is checked.
    #[serde(rename = "derived-independent-solve")]
    Digest,
    /// Derived here (exact discrete-time law, refinements) — not in the paper.
    Derived,
    /// Published elsewhere in the literature (the citation is the label).
    Literature(&'static str),
}

impl Provenance {
    /// Short label for the report table.
    pub(crate) fn label(self) -> String {
        match self {
            Provenance::Paper => "paper".into(),
            Provenance::Digest => "derived here (independent solve)".into(),
            Provenance::Derived => "derived here".into(),
            Provenance::Literature(source) => format!("published ({source})"),
        }
    }
}

/// One row of a report's table: a quantity with every value we have for it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// What the number is.
    pub quantity: String,
    /// The paper's value (its printed number or its formula evaluated), if it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paper: Option<Num>,
    /// The reference value of the theory digest, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<Num>,
    /// Our closed form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_form: Option<Num>,
    /// Our simulation with its Monte-Carlo error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub simulation: Option<Estimate>,
    /// Where the number comes from.
    pub provenance: Provenance,
    /// Why the row is expected to differ from its prediction, if it is (shown in the verdict
    /// column; not serialised).
    #[serde(skip)]
    pub known_difference: Option<String>,
}

impl Row {
    /// A row with only a quantity name and provenance; fill the values with the builder methods.
    pub(crate) fn new(quantity: impl Into<String>, provenance: Provenance) -> Self {
        Self {
            quantity: quantity.into(),
            paper: None,
            reference: None,
            closed_form: None,
            simulation: None,
            provenance,
            known_difference: None,
        }
    }
    /// States why the row is expected to differ from its prediction (shown in the verdict).
    pub(crate) fn known_difference(mut self, why: impl Into<String>) -> Self {
        self.known_difference = Some(why.into());
        self
    }
    /// Sets the paper's value.
    pub(crate) fn paper(mut self, value: f64) -> Self {
        self.paper = Some(Num(value));
        self
    }
    /// Sets the digest's reference value.
    pub(crate) fn reference(mut self, value: f64) -> Self {
        self.reference = Some(Num(value));
        self
    }
    /// Sets our closed form.
    pub(crate) fn closed_form(mut self, value: f64) -> Self {
        self.closed_form = Some(Num(value));
        self
    }
    /// Sets our simulation estimate.
    pub(crate) fn simulation(mut self, estimate: Estimate) -> Self {
        self.simulation = Some(estimate);
        self
    }
}

/// The markdown table of a report: one column per kind of value that occurs in `rows`.
pub(crate) fn markdown_table(rows: &[Row]) -> String {
    let has_paper = rows.iter().any(|r| r.paper.is_some());
    let has_reference = rows.iter().any(|r| r.reference.is_some());
    let has_closed = rows.iter().any(|r| r.closed_form.is_some());
    let has_sim = rows.iter().any(|r| r.simulation.is_some());
    let mut header = vec!["quantity"];
    if has_paper {
        header.push("paper's formula on our problem");
    }
    if has_reference {
        header.push("reference value");
    }
    if has_closed {
        header.push("closed form (ours)");
    }
    if has_sim {
        header.push("simulation ± MCSE");
    }
    header.push("provenance");
    let verdicts: Vec<Verdict> = rows.iter().map(Verdict::of).collect();
    let has_verdict = verdicts.iter().any(|v| *v != Verdict::NotCompared);
    if has_verdict {
        header.push("verdict");
    }
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!(
        "|{}\n",
        header.iter().map(|_| "---|").collect::<String>()
    ));
    let num =
        |v: Option<Num>| v.map_or("—".to_string(), |n| round_significant(n.0, 6).to_string());
    for (row, verdict) in rows.iter().zip(&verdicts) {
        let mut cells = vec![row.quantity.clone()];
        if has_paper {
            cells.push(num(row.paper));
        }
        if has_reference {
            cells.push(num(row.reference));
        }
        if has_closed {
            cells.push(num(row.closed_form));
        }
        if has_sim {
            cells.push(row.simulation.map_or("—".into(), |e| e.display()));
        }
        cells.push(row.provenance.label());
        if has_verdict {
            cells.push(verdict.text(row));
        }
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// The two-sided level of the verdicts: a simulation agrees with its prediction when
/// |simulation − prediction| ≤ t_{1−α/2, dof}·MCSE at this α (about 3.3 MCSE for many degrees of
/// freedom).
pub(crate) const VERDICT_ALPHA: f64 = 1e-3;

/// Closed form and reference (or paper) value agree when their relative difference is below this.
pub(crate) const VERDICT_RELATIVE_TOLERANCE: f64 = 1e-5;

/// Whether a row's measured or reference value agrees with its prediction, computed from the
/// numbers (never typed by hand).
///
/// The prediction is the row's closed form, else the paper's formula, else the reference value.
/// A simulation is compared with the prediction in units of its Monte-Carlo standard error
/// (Student-t critical value at [`VERDICT_ALPHA`]); a row without a simulation compares its closed
/// form with the reference value, else with the paper's formula, to [`VERDICT_RELATIVE_TOLERANCE`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Verdict {
    /// Nothing to compare in the row.
    NotCompared,
    /// Simulation within `k` MCSE of the prediction (`z` = |difference| / MCSE).
    Agrees {
        /// |simulation − prediction| / MCSE.
        z: f64,
        /// The critical value.
        k: f64,
    },
    /// Simulation more than `k` MCSE from the prediction.
    Differs {
        /// |simulation − prediction| / MCSE.
        z: f64,
        /// The critical value.
        k: f64,
    },
    /// Two exact values equal to the tolerance.
    ExactAgrees,
    /// Two exact values that differ by this relative amount.
    ExactDiffers {
        /// (closed form − other) / other.
        relative: f64,
    },
}

impl Verdict {
    /// The verdict of one row.
    pub(crate) fn of(row: &Row) -> Self {
        let prediction = row.closed_form.or(row.paper).or(row.reference).map(|n| n.0);
        if let (Some(sim), Some(target)) = (row.simulation, prediction) {
            if !(sim.mcse.is_finite() && sim.mcse > 0.0 && target.is_finite()) {
                return Verdict::NotCompared;
            }
            let k = sim.critical_value(VERDICT_ALPHA);
            let z = sim.z_score(target);
            return if z <= k {
                Verdict::Agrees { z, k }
            } else {
                Verdict::Differs { z, k }
            };
        }
        let Some(closed) = row.closed_form else {
            return Verdict::NotCompared;
        };
        let Some(other) = row.reference.or(row.paper) else {
            return Verdict::NotCompared;
        };
        let relative = (closed.0 - other.0) / other.0.abs().max(f64::MIN_POSITIVE);
        if relative.abs() <= VERDICT_RELATIVE_TOLERANCE {
            Verdict::ExactAgrees
        } else {
            Verdict::ExactDiffers { relative }
        }
    }

    /// True for the two agreeing verdicts.
    pub(crate) fn agrees(&self) -> bool {
        matches!(self, Verdict::Agrees { .. } | Verdict::ExactAgrees)
    }

    /// True for the two differing verdicts.
    pub(crate) fn differs(&self) -> bool {
        matches!(self, Verdict::Differs { .. } | Verdict::ExactDiffers { .. })
    }

    /// The table cell.
    pub(crate) fn text(&self, row: &Row) -> String {
        let why = row
            .known_difference
            .as_deref()
            .map_or(String::new(), |w| format!(": {w}"));
        match *self {
            Verdict::NotCompared => "—".into(),
            Verdict::Agrees { z, k } => format!("agrees within {k:.1} MCSE (|z| = {z:.1})"),
            Verdict::Differs { z, k } => {
                format!("differs: |z| = {z:.1} > {k:.1} MCSE{why}")
            }
            Verdict::ExactAgrees => "agrees (exact values equal to 5 digits)".into(),
            Verdict::ExactDiffers { relative } => {
                format!("differs by {:+.3}% (exact values){why}", 100.0 * relative)
            }
        }
    }
}

/// Verdict counts of a report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VerdictCounts {
    /// Rows that agree.
    pub agree: usize,
    /// Rows that differ, with a stated reason.
    pub differ_explained: Vec<String>,
    /// Rows that differ without a stated reason.
    pub differ_unexplained: Vec<String>,
}

impl VerdictCounts {
    /// Counts the verdicts of `rows`.
    pub(crate) fn of(rows: &[Row]) -> Self {
        let mut counts = Self::default();
        counts.add(rows);
        counts
    }

    /// Adds the verdicts of more rows (a report with several tables).
    pub(crate) fn add(&mut self, rows: &[Row]) {
        for row in rows {
            let verdict = Verdict::of(row);
            if verdict.agrees() {
                self.agree += 1;
            } else if verdict.differs() {
                match &row.known_difference {
                    Some(_) => self.differ_explained.push(row.quantity.clone()),
                    None => self.differ_unexplained.push(row.quantity.clone()),
                }
            }
        }
    }

    /// Number of compared rows.
    pub(crate) fn compared(&self) -> usize {
        self.agree + self.differ_explained.len() + self.differ_unexplained.len()
    }

    /// One-line summary for the top of a report.
    pub(crate) fn summary(&self) -> String {
        if self.compared() == 0 {
            return String::new();
        }
        let mut out = format!(
            "**Verdict.** {} of {} compared rows agree (simulations within the Student-t critical \
             value at α = {VERDICT_ALPHA} of their Monte-Carlo standard error, about 3.3 MCSE; \
             exact values to {VERDICT_RELATIVE_TOLERANCE} relative)",
            self.agree,
            self.compared()
        );
        if !self.differ_explained.is_empty() {
            out.push_str(&format!(
                "; {} differ for the reason stated in their verdict: {}",
                self.differ_explained.len(),
                self.differ_explained.join("; ")
            ));
        }
        if !self.differ_unexplained.is_empty() {
            out.push_str(&format!(
                "; {} differ without a known reason: {}",
                self.differ_unexplained.len(),
                self.differ_unexplained.join("; ")
            ));
        }
        out.push_str(".\n\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{round_significant, round_to_error};

    #[test]
    fn rounding() {
        assert_eq!(round_significant(0.123456789, 6), 0.123457);
        assert_eq!(round_significant(-1234567.0, 3), -1230000.0);
        assert_eq!(round_to_error(1.823456, 0.0123), 1.823);
        assert_eq!(round_to_error(1234.5, 23.0), 1235.0);
        assert_eq!(round_to_error(1234.5, 230.0), 1230.0);
        assert_eq!(round_to_error(0.5, 0.0), 0.5);
    }
}
