//! Quiet hours in the recipient's local time (beyond the product): a marketing message
//! that comes due inside the tenant's quiet window is held until the window ends, never
//! dropped. The recipient's zone comes from their address: the province's zone in the
//! countries that span several (US, CA, AU, BR, MX), else the country's (its most
//! populous zone), else the shop's zone. Times use jiff's bundled time-zone
//! database, so they do not depend on the host's zoneinfo files.

use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

/// A daily quiet window, local minutes since midnight; `start > end` wraps midnight
/// (21:00–09:00).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    /// First quiet minute.
    pub start_min: u16,
    /// First minute one may send again.
    pub end_min: u16,
}

/// Why quiet hours or a zone do not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuietError {
    /// Not `HH:MM`.
    #[error("`{0}` is not a time of day HH:MM")]
    Time(String),
    /// Not a zone of the time-zone database.
    #[error("`{0}` is not an IANA time zone (such as Europe/Madrid)")]
    Zone(String),
}

/// Parses `HH:MM` into minutes since midnight.
///
/// # Errors
/// [`QuietError::Time`].
pub fn minutes(hhmm: &str) -> Result<u16, QuietError> {
    let bad = || QuietError::Time(hhmm.to_string());
    let (h, m) = hhmm.split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h < 24 && m < 60 && hhmm.len() == 5 {
        Ok(h * 60 + m)
    } else {
        Err(bad())
    }
}

/// Checks a zone name.
///
/// # Errors
/// [`QuietError::Zone`].
pub fn check_zone(name: &str) -> Result<(), QuietError> {
    TimeZone::get(name)
        .map(|_| ())
        .map_err(|_| QuietError::Zone(name.to_string()))
}

/// Provinces whose zone is not their country's default (Shopify's province codes).
const PROVINCES: &[(&str, &[&str], &str)] = &[
    (
        "US",
        &[
            "AL", "AR", "IL", "IA", "KS", "LA", "MN", "MS", "MO", "NE", "ND", "OK", "SD", "TN",
            "TX", "WI",
        ],
        "America/Chicago",
    ),
    (
        "US",
        &["CO", "ID", "MT", "NM", "UT", "WY"],
        "America/Denver",
    ),
    ("US", &["AZ"], "America/Phoenix"),
    ("US", &["CA", "NV", "OR", "WA"], "America/Los_Angeles"),
    ("US", &["AK"], "America/Anchorage"),
    ("US", &["HI"], "Pacific/Honolulu"),
    ("US", &["PR"], "America/Puerto_Rico"),
    ("CA", &["NL"], "America/St_Johns"),
    ("CA", &["NS", "NB", "PE"], "America/Halifax"),
    ("CA", &["MB"], "America/Winnipeg"),
    ("CA", &["SK"], "America/Regina"),
    ("CA", &["AB", "NT"], "America/Edmonton"),
    ("CA", &["BC"], "America/Vancouver"),
    ("CA", &["YT"], "America/Whitehorse"),
    ("CA", &["NU"], "America/Iqaluit"),
    ("AU", &["VIC"], "Australia/Melbourne"),
    ("AU", &["QLD"], "Australia/Brisbane"),
    ("AU", &["SA"], "Australia/Adelaide"),
    ("AU", &["WA"], "Australia/Perth"),
    ("AU", &["TAS"], "Australia/Hobart"),
    ("AU", &["NT"], "Australia/Darwin"),
    ("BR", &["AM"], "America/Manaus"),
    ("BR", &["MT"], "America/Cuiaba"),
    ("BR", &["MS"], "America/Campo_Grande"),
    ("BR", &["RO"], "America/Porto_Velho"),
    ("BR", &["RR"], "America/Boa_Vista"),
    ("BR", &["AC"], "America/Rio_Branco"),
    ("BR", &["PA", "AP"], "America/Belem"),
    ("BR", &["BA"], "America/Bahia"),
    ("BR", &["PE"], "America/Recife"),
    ("BR", &["CE", "RN", "PB", "PI", "MA"], "America/Fortaleza"),
    ("BR", &["AL", "SE"], "America/Maceio"),
    ("BR", &["TO"], "America/Araguaina"),
    ("MX", &["BC"], "America/Tijuana"),
    ("MX", &["SON"], "America/Hermosillo"),
    ("MX", &["CHIH"], "America/Chihuahua"),
    ("MX", &["BCS", "SIN", "NAY"], "America/Mazatlan"),
    ("MX", &["ROO", "Q ROO"], "America/Cancun"),
];

/// Whether the zone of a recipient in `country` depends on their province (the
/// countries of the province table): only then is the province worth keeping.
pub fn zone_depends_on_province(country: &str) -> bool {
    PROVINCES
        .iter()
        .any(|(c, _, _)| c.eq_ignore_ascii_case(country))
}

/// The zone of a recipient in `country` (ISO 3166-1 alpha-2) and `province` (Shopify's
/// province code), else `shop_zone`.
pub fn zone_for<'a>(country: Option<&str>, province: Option<&str>, shop_zone: &'a str) -> &'a str {
    if let (Some(c), Some(p)) = (country, province) {
        let hit = PROVINCES.iter().find(|(k, codes, _)| {
            k.eq_ignore_ascii_case(c) && codes.iter().any(|x| x.eq_ignore_ascii_case(p.trim()))
        });
        if let Some((_, _, zone)) = hit {
            return zone;
        }
    }
    const ZONES: &[(&str, &str)] = &[
        ("AE", "Asia/Dubai"),
        ("AR", "America/Argentina/Buenos_Aires"),
        ("AT", "Europe/Vienna"),
        ("AU", "Australia/Sydney"),
        ("BE", "Europe/Brussels"),
        ("BR", "America/Sao_Paulo"),
        ("CA", "America/Toronto"),
        ("CH", "Europe/Zurich"),
        ("CL", "America/Santiago"),
        ("CN", "Asia/Shanghai"),
        ("CO", "America/Bogota"),
        ("CZ", "Europe/Prague"),
        ("DE", "Europe/Berlin"),
        ("DK", "Europe/Copenhagen"),
        ("EG", "Africa/Cairo"),
        ("ES", "Europe/Madrid"),
        ("FI", "Europe/Helsinki"),
        ("FR", "Europe/Paris"),
        ("GB", "Europe/London"),
        ("GR", "Europe/Athens"),
        ("HK", "Asia/Hong_Kong"),
        ("ID", "Asia/Jakarta"),
        ("IE", "Europe/Dublin"),
        ("IL", "Asia/Jerusalem"),
        ("IN", "Asia/Kolkata"),
        ("IT", "Europe/Rome"),
        ("JP", "Asia/Tokyo"),
        ("KR", "Asia/Seoul"),
        ("MX", "America/Mexico_City"),
        ("MY", "Asia/Kuala_Lumpur"),
        ("NG", "Africa/Lagos"),
        ("NL", "Europe/Amsterdam"),
        ("NO", "Europe/Oslo"),
        ("NZ", "Pacific/Auckland"),
        ("PE", "America/Lima"),
        ("PH", "Asia/Manila"),
        ("PK", "Asia/Karachi"),
        ("PL", "Europe/Warsaw"),
        ("PT", "Europe/Lisbon"),
        ("RO", "Europe/Bucharest"),
        ("SA", "Asia/Riyadh"),
        ("SE", "Europe/Stockholm"),
        ("SG", "Asia/Singapore"),
        ("TH", "Asia/Bangkok"),
        ("TR", "Europe/Istanbul"),
        ("US", "America/New_York"),
        ("ZA", "Africa/Johannesburg"),
    ];
    country
        .and_then(|c| ZONES.iter().find(|(k, _)| k.eq_ignore_ascii_case(c)))
        .map_or(shop_zone, |(_, z)| z)
}

/// When a marketing message due at `now_ms` may leave: `None` now, `Some(ms)` the end of
/// the quiet window it falls in. An unknown zone counts as UTC.
pub fn hold_until(q: &QuietHours, zone: &str, now_ms: i64) -> Option<i64> {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    let ts = jiff::Timestamp::from_millisecond(now_ms).ok()?;
    let local = ts.to_zoned(tz.clone());
    let minute = u16::try_from(i32::from(local.hour()) * 60 + i32::from(local.minute())).ok()?;
    let (s, e) = (q.start_min, q.end_min);
    let quiet = if s <= e {
        minute >= s && minute < e
    } else {
        minute >= s || minute < e
    };
    if !quiet || s == e {
        return None;
    }
    let day = if s > e && minute >= s {
        local.date().tomorrow().ok()?
    } else {
        local.date()
    };
    let end = day
        .at(i8::try_from(e / 60).ok()?, i8::try_from(e % 60).ok()?, 0, 0)
        .to_zoned(tz)
        .ok()?;
    Some(end.timestamp().as_millisecond())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().expect("time").as_millisecond()
    }

    #[test]
    fn a_send_inside_the_window_waits_for_its_end_in_the_recipients_zone() {
        let q = QuietHours {
            start_min: minutes("21:00").unwrap(),
            end_min: minutes("09:00").unwrap(),
        };
        // 22:30 in Madrid (UTC+1 in winter): held until 09:00 Madrid the next day.
        assert_eq!(
            hold_until(&q, "Europe/Madrid", at("2026-12-04T21:30:00Z")),
            Some(at("2026-12-05T08:00:00Z"))
        );
        // 06:00 in Madrid: held until 09:00 the same day.
        assert_eq!(
            hold_until(&q, "Europe/Madrid", at("2026-12-05T05:00:00Z")),
            Some(at("2026-12-05T08:00:00Z"))
        );
        // 12:00 in Madrid: now.
        assert_eq!(
            hold_until(&q, "Europe/Madrid", at("2026-12-05T11:00:00Z")),
            None
        );
        // The same instant is 06:00 in New York: held.
        assert!(hold_until(&q, "America/New_York", at("2026-12-05T11:00:00Z")).is_some());
    }

    #[test]
    fn zones_come_from_the_country_else_the_shop() {
        assert_eq!(zone_for(Some("es"), None, "UTC"), "Europe/Madrid");
        assert_eq!(zone_for(Some("ZZ"), None, "Europe/Paris"), "Europe/Paris");
        assert_eq!(zone_for(None, Some("CA"), "Europe/Paris"), "Europe/Paris");
        assert_eq!(
            zone_for(Some("US"), Some("ca"), "UTC"),
            "America/Los_Angeles"
        );
        assert_eq!(zone_for(Some("US"), Some("NY"), "UTC"), "America/New_York");
        assert_eq!(zone_for(Some("CA"), Some("BC"), "UTC"), "America/Vancouver");
        assert_eq!(zone_for(Some("AU"), Some("WA"), "UTC"), "Australia/Perth");
        assert_eq!(zone_for(Some("ES"), Some("CA"), "UTC"), "Europe/Madrid");
        assert!(zone_depends_on_province("us") && !zone_depends_on_province("ES"));
        for (_, _, zone) in PROVINCES {
            assert!(
                check_zone(zone).is_ok(),
                "{zone} is in the bundled database"
            );
        }
        assert!(check_zone("Europe/Madrid").is_ok());
        assert!(check_zone("Mars/Olympus").is_err());
        assert!(minutes("24:00").is_err() && minutes("9:00").is_err());
    }
}
