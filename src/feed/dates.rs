//! Dates in every form feeds write them.
//!
//! RFC 822 and its variants (no weekday, no comma, no seconds, full names, two-digit years,
//! `GMT+8`, `UTC+08:00`, `+0800` written as `GMT+0800`, a trailing `(UTC)` comment, `PM`),
//! RFC 3339 / ISO 8601 and its variants (space or lower-case `t`, no zone, no seconds,
//! `+0800`, date only, compact `20240619T124703Z`), `2024/06/19 12:47:03`,
//! `2024年06月19日 12:47:03`, JavaScript's `Date.toString()`, asctime, and epoch seconds or
//! milliseconds.
//!
//! A date without a zone is in the source's time zone (`timezone = "Asia/Shanghai"`), else
//! UTC. A zone abbreviation the source's zone uses at that date means that zone: `CST` is
//! China Standard Time for a source in Asia/Shanghai or Asia/Taipei, and for any source whose
//! zone is at UTC+8 then; elsewhere `CST` is US Central as RFC 822 says. An impossible date
//! (31 June) is no date.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetName, Tz};

/// Reads a date; `zone` is the source's time zone, if it set one.
pub fn parse_date(raw: &str, zone: Option<Tz>) -> Option<DateTime<Utc>> {
    let s = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    // RFC 9557: `2024-06-19T12:47:03+08:00[Asia/Shanghai]`; the offset says it all.
    let s = match s.rfind('[') {
        Some(at) if s.ends_with(']') && at > 0 => s[..at].trim_end(),
        _ => s,
    };
    if let Some(t) = epoch(s) {
        return Some(t);
    }
    let (local, z) = iso_like(s).or_else(|| free_form(s))?;
    resolve(local, z, zone)
}

/// Zone names written out, as Windows and JavaScript write them: unambiguous, unlike
/// their abbreviations (`China Standard Time` is never US Central).
const LONG_ZONE_NAMES: &[(&str, i32)] = &[
    ("china standard time", 8 * 3600),
    ("beijing time", 8 * 3600),
    ("taipei standard time", 8 * 3600),
    ("hong kong standard time", 8 * 3600),
    ("hong kong time", 8 * 3600),
    ("singapore standard time", 8 * 3600),
    ("japan standard time", 9 * 3600),
    ("tokyo standard time", 9 * 3600),
    ("korea standard time", 9 * 3600),
    ("india standard time", 19_800),
    ("coordinated universal time", 0),
    ("greenwich mean time", 0),
    ("central european standard time", 3600),
    ("central european summer time", 7200),
    ("eastern standard time", -5 * 3600),
    ("eastern daylight time", -4 * 3600),
    ("central standard time", -6 * 3600),
    ("central daylight time", -5 * 3600),
    ("pacific standard time", -8 * 3600),
    ("pacific daylight time", -7 * 3600),
];

/// `s` without a zone name written out at its end, and that zone's offset.
fn long_zone(lower: &str) -> Option<(&str, i32)> {
    LONG_ZONE_NAMES.iter().find_map(|(name, off)| {
        lower
            .strip_suffix(name)
            .filter(|rest| rest.ends_with(' '))
            .map(|rest| (rest, *off))
    })
}

/// A zone as written.
#[derive(Debug, Clone, PartialEq)]
enum Zone {
    None,
    /// Seconds east of UTC.
    Offset(i32),
    /// An abbreviation (upper case), resolved against the source's zone first.
    Named(String),
}

fn resolve(local: NaiveDateTime, z: Zone, source: Option<Tz>) -> Option<DateTime<Utc>> {
    let offset = match z {
        Zone::Offset(secs) => secs,
        Zone::None => {
            return match source {
                // A time that does not exist (skipped by a clock change) is read an hour on.
                Some(tz) => tz
                    .from_local_datetime(&local)
                    .earliest()
                    .or_else(|| {
                        tz.from_local_datetime(&(local + Duration::hours(1)))
                            .earliest()
                    })
                    .map(|t| t.with_timezone(&Utc)),
                None => Some(Utc.from_utc_datetime(&local)),
            };
        }
        Zone::Named(name) => {
            if let Some(tz) = source
                && let Some(t) = tz.from_local_datetime(&local).earliest()
            {
                let at_source = t.offset().abbreviation() == Some(name.as_str())
                    || (name == "CST" && t.offset().fix().local_minus_utc() == 8 * 3600);
                if at_source {
                    return Some(t.with_timezone(&Utc));
                }
            }
            match named_offset(&name) {
                Some(off) => off,
                // An abbreviation nobody agrees on reads as no zone.
                None => return resolve(local, Zone::None, source),
            }
        }
    };
    let utc = local - Duration::seconds(i64::from(offset));
    Some(Utc.from_utc_datetime(&utc))
}

/// Offsets of the abbreviations feeds use (RFC 822's, and common ones).
fn named_offset(name: &str) -> Option<i32> {
    let h = |x: f32| Some((x * 3600.0) as i32);
    match name {
        "UT" | "UTC" | "GMT" | "Z" | "ZULU" | "WET" => h(0.0),
        "EST" => h(-5.0),
        "EDT" => h(-4.0),
        "CST" => h(-6.0),
        "CDT" => h(-5.0),
        "MST" => h(-7.0),
        "MDT" => h(-6.0),
        "PST" => h(-8.0),
        "PDT" => h(-7.0),
        "AKST" => h(-9.0),
        "AKDT" => h(-8.0),
        "HST" => h(-10.0),
        "AST" => h(-4.0),
        "ADT" => h(-3.0),
        "NST" => h(-3.5),
        "BST" | "CET" | "MET" | "WEST" => h(1.0),
        "CEST" | "MEST" | "EET" | "SAST" => h(2.0),
        "EEST" | "MSK" => h(3.0),
        "IST" => h(5.5),
        "ICT" | "WIB" => h(7.0),
        "HKT" | "SGT" | "AWST" | "PHT" | "MYT" | "BJT" | "CCT" => h(8.0),
        "JST" | "KST" => h(9.0),
        "ACST" => h(9.5),
        "AEST" => h(10.0),
        "AEDT" => h(11.0),
        "NZST" => h(12.0),
        "NZDT" => h(13.0),
        _ => None,
    }
}

/// Epoch seconds (9–10 digits) or milliseconds (12–13 digits), with or without a fraction
/// (`1718801223.5`).
fn epoch(s: &str) -> Option<DateTime<Utc>> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let n: i64 = whole.parse().ok()?;
    // The fraction's first nine digits, as nanoseconds of the unit.
    let kept = &frac[..frac.len().min(9)];
    let nanos = if kept.is_empty() {
        0
    } else {
        kept.parse::<i64>().ok()? * 10i64.pow(9 - kept.len() as u32)
    };
    match whole.len() {
        9 | 10 => DateTime::from_timestamp(n, u32::try_from(nanos).ok()?),
        12 | 13 => {
            DateTime::from_timestamp_millis(n).map(|t| t + Duration::nanoseconds(nanos / 1000))
        }
        _ => None,
    }
}

/// Reads leading ASCII digits: (value, how many).
fn digits(s: &str, max: usize) -> Option<(u32, usize)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n == 0 {
        return None;
    }
    Some((s[..n].parse().ok()?, n))
}

/// `2024-06-19T12:47:03.123+08:00` and its relatives, `2024/06/19`, `2024年6月19日`,
/// `20240619T124703Z`.
fn iso_like(s: &str) -> Option<(NaiveDateTime, Zone)> {
    let (year, n) = digits(s, 4)?;
    if n != 4 {
        return None;
    }
    let mut rest = &s[4..];
    let (month, day);
    if let Some((m, 2)) = digits(rest, 2)
        && let Some((d, 2)) = digits(&rest[2..], 2)
    {
        // Compact: 20240619
        month = m;
        day = d;
        rest = &rest[4..];
    } else {
        let sep = rest.chars().next()?;
        if !matches!(sep, '-' | '/' | '.' | '年') {
            return None;
        }
        rest = &rest[sep.len_utf8()..];
        let (m, n) = digits(rest, 2)?;
        month = m;
        rest = &rest[n..];
        match rest.chars().next() {
            Some(c @ ('-' | '/' | '.' | '月')) if c == sep || (sep == '年' && c == '月') => {
                rest = &rest[c.len_utf8()..];
                let (d, n) = digits(rest, 2)?;
                day = d;
                rest = &rest[n..];
                rest = rest.strip_prefix('日').unwrap_or(rest);
            }
            Some('月') => return None,
            _ => day = 1,
        }
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let rest = rest.trim_start_matches([' ', '\t', 'T', 't', '\u{3000}']);
    let (time, next_day, rest) = if rest.starts_with(|c: char| c.is_ascii_digit()) {
        clock(rest)?
    } else {
        (NaiveTime::MIN, false, rest)
    };
    let zone = zone_text(rest)?;
    let date = if next_day { date.succ_opt()? } else { date };
    Some((date.and_time(time), zone))
}

/// `12:47`, `12:47:03`, `12:47:03.123`, `124703`, `12时47分03秒`; then whatever follows.
/// `24:00:00` (the end of the day) is returned as 00:00 with `true`: the next day.
fn clock(s: &str) -> Option<(NaiveTime, bool, &str)> {
    let (h, n) = digits(s, 2)?;
    let mut rest = &s[n..];
    let (m, sec);
    if n == 2
        && let Some((mm, 2)) = digits(rest, 2)
    {
        m = mm;
        rest = &rest[2..];
        match digits(rest, 2) {
            Some((ss, 2)) => {
                sec = ss;
                rest = &rest[2..];
            }
            _ => sec = 0,
        }
    } else {
        let c = rest.chars().next()?;
        if !matches!(c, ':' | '时' | '時' | '点' | '.') {
            return None;
        }
        rest = &rest[c.len_utf8()..];
        let (mm, n) = digits(rest, 2)?;
        m = mm;
        rest = &rest[n..];
        let after_fen = rest.strip_prefix('分');
        rest = after_fen.unwrap_or(rest);
        match rest
            .strip_prefix(':')
            .or(after_fen.filter(|r| r.starts_with(|c: char| c.is_ascii_digit())))
            .and_then(|r| digits(r, 2).map(|d| (d, r)))
        {
            Some(((ss, n), r)) => {
                sec = ss;
                rest = &r[n..];
                rest = rest.strip_prefix('秒').unwrap_or(rest);
            }
            None => sec = 0,
        }
    }
    let mut nanos = 0;
    if let Some(frac) = rest.strip_prefix(['.', ',']) {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        let kept = &frac[..n.min(9)];
        if let Ok(v) = kept.parse::<u32>() {
            nanos = v * 10u32.pow(9 - kept.len() as u32);
        }
        rest = &frac[n..];
    }
    if (h, m, sec, nanos) == (24, 0, 0, 0) {
        return Some((NaiveTime::MIN, true, rest));
    }
    let sec = sec.min(59);
    let time = NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?;
    Some((time, false, rest))
}

/// What follows the time: nothing, `Z`, an offset, `GMT+8`, an abbreviation, a comment.
fn zone_text(s: &str) -> Option<Zone> {
    let s = s.trim();
    // A trailing comment: `(UTC)`, `(China Standard Time)`.
    let s = match s.find('(') {
        Some(at) if s.ends_with(')') => s[..at].trim(),
        _ => s,
    };
    if s.is_empty() {
        return Some(Zone::None);
    }
    let upper = s.to_ascii_uppercase();
    if let Some(off) = offset(&upper) {
        return Some(Zone::Offset(off));
    }
    for prefix in ["GMT", "UTC", "UT"] {
        if let Some(rest) = upper.strip_prefix(prefix) {
            let rest = rest.trim_start();
            if let Some(off) = offset(rest) {
                return Some(Zone::Offset(off));
            }
        }
    }
    if upper.len() <= 5 && upper.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(Zone::Named(upper));
    }
    None
}

/// `+08:00`, `+0800`, `+08`, `+8`, `-0500`, `+00:0`.
fn offset(s: &str) -> Option<i32> {
    let sign = match s.chars().next()? {
        '+' => 1,
        '-' | '\u{2212}' => -1,
        _ => return None,
    };
    let body = &s[s.chars().next()?.len_utf8()..];
    let (h, n) = digits(body, 4)?;
    let rest = &body[n..];
    let (hours, minutes) = match (n, rest.strip_prefix(':')) {
        (1 | 2, Some(m)) => {
            let (mm, k) = digits(m, 2)?;
            if k != m.len() {
                return None;
            }
            (h, mm)
        }
        (1 | 2, None) if rest.is_empty() => (h, 0),
        (3 | 4, None) if rest.is_empty() => (h / 100, h % 100),
        _ => return None,
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    Some(sign * (hours as i32 * 3600 + minutes as i32 * 60))
}

fn month_of(word: &str) -> Option<u32> {
    let w = word.trim_end_matches('.');
    let n =
        match w {
            "jan" | "january" | "janv" | "janvier" | "januar" | "ene" | "enero" | "gen"
            | "gennaio" => 1,
            "feb" | "february" | "févr" | "fevr" | "février" | "februar" | "febrero"
            | "febbraio" => 2,
            "mar" | "march" | "mars" | "mär" | "märz" | "marzo" => 3,
            "apr" | "april" | "avr" | "avril" | "abr" | "abril" | "aprile" => 4,
            "may" | "mai" | "mayo" | "mag" | "maggio" => 5,
            "jun" | "june" | "juin" | "juni" | "junio" | "giu" | "giugno" => 6,
            "jul" | "july" | "juil" | "juillet" | "juli" | "julio" | "lug" | "luglio" => 7,
            "aug" | "august" | "août" | "aout" | "ago" | "agosto" => 8,
            "sep" | "sept" | "september" | "septembre" | "septiembre" | "set" | "settembre" => 9,
            "oct" | "october" | "octobre" | "okt" | "oktober" | "octubre" | "ott" | "ottobre" => 10,
            "nov" | "november" | "novembre" | "noviembre" => 11,
            "dec" | "december" | "déc" | "décembre" | "dez" | "dezember" | "dic" | "diciembre"
            | "dicembre" => 12,
            _ => return None,
        };
    Some(n)
}

/// RFC 822 and its relatives, asctime, `Date.toString()`: words in any order around a
/// day, a month name, a year and a time.
fn free_form(s: &str) -> Option<(NaiveDateTime, Zone)> {
    let lower = s.to_lowercase();
    // Drop a trailing comment: `(UTC)`, `(China Standard Time)`.
    let body = match (lower.find('('), lower.ends_with(')')) {
        (Some(at), true) => &lower[..at],
        _ => &lower[..],
    };
    let (body, mut zone) = match long_zone(body.trim_end()) {
        Some((rest, off)) => (rest, Zone::Offset(off)),
        None => (body, Zone::None),
    };
    let (mut day, mut month, mut year) = (None, None, None);
    let mut time: Option<NaiveTime> = None;
    let mut next_day = false;
    let mut pm = None;
    let tokens = body
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .flat_map(|t| {
            // `06/19/2024`: month first, as in the United States, unless the first number
            // cannot be a month (`19/06/2024`).
            if let Some((a, b, y)) = numeric_date(t) {
                let (m, d) = if a > 12 { (b, a) } else { (a, b) };
                return vec![format!("{m}月"), d.to_string(), y.to_string()];
            }
            // `19-Jun-2024`, `19.06.2024` stay apart from offsets like `-0500`.
            let zone_like =
                t.starts_with(['+', '-']) || t.starts_with("gmt") || t.starts_with("utc");
            let mixed = t.contains(char::is_alphabetic) && t.contains(char::is_numeric);
            if !zone_like && !t.contains(':') && (mixed || t.matches(['-', '/']).count() == 2) {
                t.split(['-', '/']).map(str::to_string).collect::<Vec<_>>()
            } else {
                vec![t.to_string()]
            }
        });
    for tok in tokens {
        let tok = tok.trim_end_matches('.');
        if tok.is_empty() {
            continue;
        }
        if time.is_none() && tok.starts_with(|c: char| c.is_ascii_digit()) && tok.contains(':') {
            let (t, carry, rest) = clock(tok)?;
            time = Some(t);
            next_day = carry;
            if !rest.is_empty() {
                zone = zone_text(rest)?;
            }
        } else if let Some(m) = month_of(tok)
            .or_else(|| numeric_month(tok))
            .filter(|_| month.is_none())
        {
            month = Some(m);
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            let v: u32 = tok.parse().ok()?;
            match tok.len() {
                4 if year.is_none() => year = Some(v as i32),
                1 | 2 if day.is_none() => day = Some(v),
                2 if year.is_none() => year = Some(if v < 50 { 2000 + v } else { 1900 + v } as i32),
                _ => return None,
            }
        } else if let Some(d) = ordinal(tok).filter(|_| day.is_none()) {
            day = Some(d);
        } else if matches!(tok, "am" | "a.m" | "pm" | "p.m") {
            pm = Some(tok.starts_with('p'));
        } else if time.is_some()
            && zone == Zone::None
            && let Some(z) = zone_text(tok)
        {
            zone = z;
        }
        // Anything else (a weekday in any language, `at`) is noise.
    }
    let mut time = time.unwrap_or(NaiveTime::MIN);
    if let Some(pm) = pm {
        use chrono::Timelike;
        let h = time.hour();
        if h > 12 {
            return None;
        }
        let h24 = match (pm, h) {
            (true, 12) => 12,
            (true, h) => h + 12,
            (false, 12) => 0,
            (false, h) => h,
        };
        time = time.with_hour(h24)?;
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    let date = if next_day { date.succ_opt()? } else { date };
    Some((date.and_time(time), zone))
}

/// `06/19/2024` or `19/06/2024` (slashes): the two numbers before the year, and the year.
fn numeric_date(t: &str) -> Option<(u32, u32, i32)> {
    let mut parts = t.split('/');
    let (a, b, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || a.len() > 2 || b.len() > 2 {
        return None;
    }
    let num = |p: &str| -> Option<u32> {
        p.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| p.parse().ok())?
    };
    Some((num(a)?, num(b)?, i32::try_from(num(y)?).ok()?))
}

/// `6月` (a month in Chinese or Japanese, as in `星期三, 19 6月 2024`).
fn numeric_month(tok: &str) -> Option<u32> {
    let n: u32 = tok.strip_suffix('月')?.parse().ok()?;
    (1..=12).contains(&n).then_some(n)
}

/// `19th`, `1st`, `2nd`, `3rd`.
fn ordinal(tok: &str) -> Option<u32> {
    let n = tok.strip_suffix("th").or_else(|| tok.strip_suffix("st"));
    let n = n
        .or_else(|| tok.strip_suffix("nd"))
        .or_else(|| tok.strip_suffix("rd"))?;
    if n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

#[cfg(test)]
mod tests;
