use super::*;

const T: &str = "2024-06-19T12:47:03Z";
const T8: &str = "2024-06-19T04:47:03Z";

fn at(s: &str) -> Option<DateTime<Utc>> {
    Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
}

fn check(cases: &[(&str, Option<&str>)], zone: Option<Tz>) {
    for (raw, want) in cases {
        assert_eq!(
            parse_date(raw, zone),
            want.and_then(at),
            "{raw:?} with zone {zone:?}"
        );
    }
}

#[test]
fn rfc822_and_its_variants() {
    check(
        &[
            ("Wed, 19 Jun 2024 12:47:03 GMT", Some(T)),
            ("Wed, 19 Jun 2024 12:47:03 +0800", Some(T8)),
            (
                "Wed, 19 Jun 2024 12:47:03 EST",
                Some("2024-06-19T17:47:03Z"),
            ),
            (
                "Wed, 19 Jun 2024 12:47:03 EDT",
                Some("2024-06-19T16:47:03Z"),
            ),
            (
                "Wed, 19 Jun 2024 12:47:03 PST",
                Some("2024-06-19T20:47:03Z"),
            ),
            (
                "Wed, 19 Jun 2024 12:47:03 CST",
                Some("2024-06-19T18:47:03Z"),
            ),
            ("Wed, 19 Jun 2024 12:47:03 UT", Some(T)),
            ("Wed, 19 Jun 2024 12:47:03 Z", Some(T)),
            ("Wed, 19 Jun 2024 12:47:03 GMT+8", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03 GMT+0800", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03 GMT+08:00", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03 UTC+8", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03 +08:00", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03", Some(T)),
            ("19 Jun 2024 12:47:03 +0800", Some(T8)),
            ("Wed, 19 Jun 2024 12:47 +0800", Some("2024-06-19T04:47:00Z")),
            ("Wed, 19 June 2024 12:47:03 +0800", Some(T8)),
            ("Wednesday, 19 Jun 2024 12:47:03 +0800", Some(T8)),
            ("Thu, 19 Jun 2024 12:47:03 +0800", Some(T8)),
            ("Wed, 19 Jun 24 12:47:03 +0800", Some(T8)),
            (
                "Sun, 9 Jun 2024 2:47:03 +0800",
                Some("2024-06-08T18:47:03Z"),
            ),
            ("Wed 19 Jun 2024 12:47:03 GMT", Some(T)),
            ("Wed, 19 Jun 2024 12:47:03 +0000 (UTC)", Some(T)),
            ("\n   Wed, 19 Jun 2024 12:47:03 GMT   \n", Some(T)),
            ("wed, 19 jun 2024 12:47:03 gmt", Some(T)),
            (
                "Mi, 19 Jun 2024 12:47:03 +0200",
                Some("2024-06-19T10:47:03Z"),
            ),
            (
                "mer, 16 nov 2022 00:38:15 +0100",
                Some("2022-11-15T23:38:15Z"),
            ),
            ("Sat, Dec 16 2023 02:02:33 PM", Some("2023-12-16T14:02:33Z")),
            (
                "Wed, 19 Jun 2024 12:47:03 -0500",
                Some("2024-06-19T17:47:03Z"),
            ),
            ("19-Jun-2024 12:47:03 GMT", Some(T)),
            ("Wed, 19 Jun 2024 12:47:03 XYZ", Some(T)),
        ],
        None,
    );
}

#[test]
fn iso_and_its_variants() {
    check(
        &[
            ("2024-06-19T12:47:03Z", Some(T)),
            ("2024-06-19T12:47:03+08:00", Some(T8)),
            ("2024-06-19T12:47:03+0800", Some(T8)),
            ("2024-06-19T12:47:03", Some(T)),
            ("2024-06-19 12:47:03Z", Some(T)),
            ("2024-06-19t12:47:03z", Some(T)),
            ("2024-06-19T12:47Z", Some("2024-06-19T12:47:00Z")),
            ("2024-06-19", Some("2024-06-19T00:00:00Z")),
            ("2024-06-19 12:47:03", Some(T)),
            ("2024-06-19 12:47:03 +0800", Some(T8)),
            ("2024/06/19 12:47:03", Some(T)),
            ("2024年06月19日 12:47:03", Some(T)),
            ("2024年6月19日", Some("2024-06-19T00:00:00Z")),
            ("20240619T124703Z", Some(T)),
            ("2017-06-13T03:18:00+00:0", Some("2017-06-13T03:18:00Z")),
            (
                "Wed Jun 19 2024 12:47:03 GMT+0800 (China Standard Time)",
                Some(T8),
            ),
            ("Wed Jun 19 12:47:03 2024", Some(T)),
            ("1718801223", Some(T)),
            ("1718801223000", Some(T)),
        ],
        None,
    );
    assert_eq!(
        parse_date("2024-06-19T12:47:03.123Z", None)
            .unwrap()
            .timestamp_millis(),
        1_718_801_223_123
    );
}

#[test]
fn impossible_and_garbage_are_no_date() {
    check(
        &[
            ("Wed, 31 Jun 2024 12:47:03 GMT", None),
            ("2024-02-30", None),
            ("2024-06-19T25:00:00Z", None),
            ("yesterday", None),
            ("", None),
            ("12345", None),
            ("Jun 2024", None),
        ],
        None,
    );
    assert_eq!(
        parse_date("Thu, 19 Jun 1969 12:47:03 GMT", None),
        at("1969-06-19T12:47:03Z")
    );
}

#[test]
fn source_zone_for_dates_without_one_and_for_cst() {
    let sh: Tz = "Asia/Shanghai".parse().unwrap();
    check(
        &[
            ("2024-06-19 12:47:03", Some(T8)),
            ("2024年06月19日 12:47:03", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03", Some(T8)),
            ("Wed, 19 Jun 2024 12:47:03 CST", Some(T8)),
            // An explicit zone wins over the source's.
            ("Wed, 19 Jun 2024 12:47:03 GMT", Some(T)),
            ("2024-06-19T12:47:03+02:00", Some("2024-06-19T10:47:03Z")),
            (
                "Wed, 19 Jun 2024 12:47:03 EST",
                Some("2024-06-19T17:47:03Z"),
            ),
        ],
        Some(sh),
    );
    let taipei: Tz = "Asia/Taipei".parse().unwrap();
    check(&[("Wed, 19 Jun 2024 12:47:03 CST", Some(T8))], Some(taipei));
    let hk: Tz = "Asia/Hong_Kong".parse().unwrap();
    check(&[("Wed, 19 Jun 2024 12:47:03 CST", Some(T8))], Some(hk));
    // Chicago: CST in winter is the zone's own (-6), CDT in summer (-5).
    let chicago: Tz = "America/Chicago".parse().unwrap();
    check(
        &[
            (
                "Wed, 19 Jun 2024 12:47:03 CDT",
                Some("2024-06-19T17:47:03Z"),
            ),
            ("Wed, 19 Jun 2024 12:47:03", Some("2024-06-19T17:47:03Z")),
            (
                "Fri, 19 Jan 2024 12:47:03 CST",
                Some("2024-01-19T18:47:03Z"),
            ),
        ],
        Some(chicago),
    );
    // 02:30 on the night clocks go forward does not exist: read an hour on; the repeated
    // hour in autumn is read as its first occurrence.
    check(
        &[
            ("2024-03-10 02:30:00", Some("2024-03-10T08:30:00Z")),
            ("2024-11-03 01:30:00", Some("2024-11-03T06:30:00Z")),
        ],
        Some(chicago),
    );
    // Berlin: CST is not Berlin's, so it is US Central.
    let berlin: Tz = "Europe/Berlin".parse().unwrap();
    check(
        &[(
            "Wed, 19 Jun 2024 12:47:03 CST",
            Some("2024-06-19T18:47:03Z"),
        )],
        Some(berlin),
    );
}

#[test]
fn hostile_input_never_panics() {
    let long = "9".repeat(10_000);
    for s in [
        "\u{0}",
        "+",
        "2024-",
        "2024-06-",
        "2024年",
        "99999999999999999999",
        "Wed, 99 Jun 2024 99:99:99 +9999",
        "2024-06-19T12:47:03+99:99",
        "2024-06-19T12:47:03.99999999999999999999Z",
        long.as_str(),
        "١٢:٤٧ 2024",
        "Jun Jun Jun 2024 2024",
        "12:47 pm pm 19 Jun 2024",
        "13:00 PM 19 Jun 2024",
    ] {
        let _ = parse_date(s, None);
    }
}

#[test]
fn lesser_forms_the_attack_found() {
    // attack-feeds F8.
    check(
        &[
            (
                "Thu, 19 Jun 1969 12:47:03 GMT",
                Some("1969-06-19T12:47:03Z"),
            ),
            ("Wed, 19 Jun 2024 12:47:03 China Standard Time", Some(T8)),
            ("Wed Jun 19 2024 12:47:03 China Standard Time", Some(T8)),
            ("2024年06月19日 12时47分03秒", Some(T)),
            ("2024年6月19日 12时47分", Some("2024-06-19T12:47:00Z")),
            ("1718801223.5", Some("2024-06-19T12:47:03.5Z")),
            ("1718801223500.0", Some("2024-06-19T12:47:03.5Z")),
            (
                "Wed, 19 Jun 2024 24:00:00 GMT",
                Some("2024-06-20T00:00:00Z"),
            ),
            ("2024-06-19T24:00:00Z", Some("2024-06-20T00:00:00Z")),
            ("06/19/2024 12:47:03", Some(T)),
            ("19/06/2024 12:47:03", Some(T)),
            ("2024-06-19T12:47:03+08:00[Asia/Shanghai]", Some(T8)),
            ("星期三, 19 6月 2024 12:47:03 +0800", Some(T8)),
            // Still no date: 24:30, a thirteenth month, a fraction without digits before it.
            ("Wed, 19 Jun 2024 24:30:00 GMT", None),
            ("13/13/2024", None),
            (".5", None),
        ],
        None,
    );
    // A long zone name is never the source's zone.
    check(
        &[("Wed, 19 Jun 2024 12:47:03 China Standard Time", Some(T8))],
        Some(chrono_tz::America::Chicago),
    );
}
