//! Usage metering, pure: the billing period (a calendar month, UTC), the thresholds a
//! new conversation crosses (80 %, 90 %, 100 % of the plan's), and whether marketing is
//! blocked. A conversation is one template message delivered (galantis-features §1.11).

pub mod subscriptions;

/// The warning thresholds, in percent of the plan's conversations.
pub const THRESHOLDS: [u8; 3] = [80, 90, 100];

/// The period of a time: `year * 12 + month - 1` of its UTC date.
pub fn period_of(ms: i64) -> u64 {
    let days = ms.div_euclid(86_400_000);
    let (y, m, _) = civil(days);
    (y as u64) * 12 + (m as u64 - 1)
}

/// The first instant of a period and of the next one (ms).
pub fn period_bounds(period: u64) -> (i64, i64) {
    let (y, m) = ((period / 12) as i64, (period % 12) as u32 + 1);
    let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (
        days_from_civil(y, m) * 86_400_000,
        days_from_civil(next.0, next.1) * 86_400_000,
    )
}

/// The thresholds crossed going from `before` to `after` conversations of `included`.
pub fn crossed(before: u64, after: u64, included: u64) -> Vec<u8> {
    THRESHOLDS
        .iter()
        .copied()
        .filter(|t| {
            let at = (included * u64::from(*t)).div_ceil(100).max(1);
            before < at && after >= at
        })
        .collect()
}

/// Whether marketing sends are refused: the plan's conversations are used up.
pub fn marketing_blocked(used: u64, included: u64) -> bool {
    used >= included
}

/// Percent used (capped at 999).
pub fn percent(used: u64, included: u64) -> u64 {
    if included == 0 {
        return 999;
    }
    (used * 100 / included).min(999)
}

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
fn civil(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month) → days since 1970-01-01 of its first day.
fn days_from_civil(y: i64, m: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_calendar_months_and_thresholds_are_crossed_once() {
        let dec5 = 1_796_450_000_000; // 2026-12-05
        let p = period_of(dec5);
        let (start, end) = period_bounds(p);
        assert_eq!(start, 1_796_083_200_000, "2026-12-01T00:00Z");
        assert_eq!(end, 1_798_761_600_000, "2027-01-01T00:00Z");
        assert_eq!(period_of(end), p + 1);
        assert_eq!(period_of(end - 1), p);
        assert_eq!(crossed(39, 40, 50), vec![80]);
        assert_eq!(crossed(40, 45, 50), vec![90]);
        assert_eq!(crossed(49, 50, 50), vec![100]);
        assert_eq!(crossed(2, 3, 3), vec![80, 90, 100]);
        assert!(crossed(50, 51, 50).is_empty());
        assert!(marketing_blocked(50, 50) && !marketing_blocked(49, 50));
        assert_eq!(percent(45, 50), 90);
    }
}
