//! DESIGN §8's ingest target and its verdict: the engine reaches at least 80 % of the
//! requests/s of the durable (log) floor, both measured in the same rounds of this run.

use super::*;

/// The share of the log floor's requests/s the engine must reach (DESIGN §8).
pub(super) const FLOOR_TARGET: f64 = 0.8;

/// Engine / log floor, one per round: both were measured as ratios to the same round's
/// bare rate, so their quotient is the engine's rate over the floor's.
pub(super) fn engine_to_floor(engine: &[f64], floor_rates: &[(Floor, Vec<f64>)]) -> Vec<f64> {
    let Some((_, log)) = floor_rates.iter().find(|(k, _)| *k == Floor::Log) else {
        return Vec::new();
    };
    engine.iter().zip(log).map(|(e, f)| e / f).collect()
}

/// The target's row of the summary table, then the verdict line under the table.
pub(super) fn print_target(ratios: &[f64]) -> String {
    if ratios.is_empty() {
        println!("| closed loop: engine / log floor | | | not measured | ≥ 80 % | ? |");
        return "verdict (DESIGN §8 ingest, engine ≥ 80 % of the log floor): not measured".into();
    }
    let (m, lo, hi) = (
        median(ratios),
        ratios.iter().copied().fold(f64::INFINITY, f64::min),
        ratios.iter().copied().fold(0.0, f64::max),
    );
    let met = m >= FLOOR_TARGET;
    let rounds = match ratios.len() {
        1 => "one round".to_string(),
        n => format!("median of {n}, {:.0}–{:.0} %", lo * 100.0, hi * 100.0),
    };
    println!(
        "| closed loop: engine / log floor (DESIGN §8 target; {rounds}) | | | {:.0} % | ≥ {:.0} % | {} |",
        m * 100.0,
        FLOOR_TARGET * 100.0,
        if met { "yes" } else { "NO" }
    );
    format!(
        "verdict (DESIGN §8 ingest, engine ≥ {:.0} % of the log floor's requests/s): {} — engine at {:.0} % of the floor ({:.2}×, median of {} round{})",
        FLOOR_TARGET * 100.0,
        if met { "MET" } else { "NOT MET" },
        m * 100.0,
        m,
        ratios.len(),
        if ratios.len() == 1 { "" } else { "s" }
    )
}
