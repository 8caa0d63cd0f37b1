//! Dates, times and durations through `jiff`. An instant is an `INT` of milliseconds since the
//! Unix epoch (what `now()` returns); UTC unless a function says `_local` (the system's time
//! zone: `TZ`, else `/etc/localtime`). Calendar arithmetic (`date_add`) adds months and days on
//! the calendar, so 31 January plus a month is 29 February in a leap year, and a day added
//! across a DST change in local time keeps the wall-clock time.

use jiff::civil::{Date, DateTime};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Span, SpanRelativeTo, Timestamp, Zoned, fmt::strtime};
use rhai::{Dynamic, Engine, INT, Map};

use super::{Res, Size, check_len, error, reserve};
use crate::script::order;

fn instant(f: &str, ms: INT) -> Res<Timestamp> {
    Timestamp::from_millisecond(ms).map_err(|_| {
        error(format!(
            "{f}: {ms} ms is outside the dates this library handles (years -9999 to 9999)"
        ))
    })
}

fn millis(ts: Timestamp) -> INT {
    ts.as_millisecond()
}

/// RFC 3339 / ISO 8601: with an offset (`2024-03-10T12:00:00+01:00`, `…Z`), without one (taken
/// as UTC) or a date alone (midnight UTC).
fn parse(text: &str) -> Res<INT> {
    let stamp = text.parse::<Timestamp>();
    if let Ok(ts) = stamp {
        return Ok(millis(ts));
    }
    if let Ok(dt) = text.parse::<DateTime>() {
        return utc(dt, "date_parse");
    }
    match text.parse::<Date>() {
        Ok(d) => utc(d.to_datetime(jiff::civil::Time::midnight()), "date_parse"),
        Err(date_error) => {
            let why = match stamp {
                Err(e) if text.len() > 10 => e.to_string(),
                _ => date_error.to_string(),
            };
            Err(error(format!(
                "date_parse: {text:?} is not an ISO 8601 date or time: {why}"
            )))
        }
    }
}

fn utc(dt: DateTime, f: &str) -> Res<INT> {
    dt.to_zoned(TimeZone::UTC)
        .map(|z| millis(z.timestamp()))
        .map_err(|e| error(format!("{f}: {e}")))
}

/// `text` read with a strftime `format` (`%Y-%m-%d %H:%M`): an offset (`%z`) or zone in it is
/// used, else UTC; a missing time is midnight.
fn parse_with(text: &str, format: &str) -> Res<INT> {
    let tm = strtime::parse(format, text).map_err(|e| {
        error(format!(
            "date_parse: {text:?} does not match the format {format:?}: {e}"
        ))
    })?;
    if let Ok(ts) = tm.to_timestamp() {
        return Ok(millis(ts));
    }
    if let Ok(dt) = tm.to_datetime() {
        return utc(dt, "date_parse");
    }
    match tm.to_date() {
        Ok(d) => utc(d.to_datetime(jiff::civil::Time::midnight()), "date_parse"),
        Err(e) => Err(error(format!(
            "date_parse: {text:?} read with {format:?} gives no date: {e}"
        ))),
    }
}

fn format(f: &str, ms: INT, format: &str, tz: TimeZone) -> Res<String> {
    let zoned = instant(f, ms)?.to_zoned(tz);
    // A directive writes at most a few dozen bytes (a zone name).
    reserve(format.len().saturating_mul(8))?;
    let out = strtime::format(format, &zoned).map_err(|e| error(format!("{f}: {e}")))?;
    check_len(Size::String, out.len())?;
    Ok(out)
}

const PARTS: [&str; 9] = [
    "year",
    "month",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "weekday",
    "offset_minutes",
];

/// `#{year, month, day, hour, minute, second, millisecond, weekday, offset_minutes}`, weekday
/// 1 (Monday) to 7 (Sunday), keys in that order.
fn parts(z: &Zoned) -> Dynamic {
    let values: [INT; 9] = [
        z.year().into(),
        z.month().into(),
        z.day().into(),
        z.hour().into(),
        z.minute().into(),
        z.second().into(),
        z.millisecond().into(),
        z.weekday().to_monday_one_offset().into(),
        (z.offset().seconds() / 60).into(),
    ];
    let map: Map = PARTS
        .iter()
        .zip(values)
        .map(|(k, v)| ((*k).into(), Dynamic::from(v)))
        .collect();
    order::with_shape(map, order::shape(PARTS.into_iter()))
}

/// An `INT` field of an argument map converted to `T`, or `default` when absent.
fn field<T: TryFrom<INT>>(f: &str, m: &Map, key: &str, default: Option<T>) -> Res<T> {
    let Some(v) = m.get(key) else {
        return default.ok_or_else(|| error(format!("{f}: `{key}` is needed")));
    };
    let n = v
        .as_int()
        .map_err(|t| error(format!("{f}: `{key}` is an integer, not {t}")))?;
    T::try_from(n).map_err(|_| error(format!("{f}: `{key}` = {n} is out of range")))
}

fn only_keys(f: &str, m: &Map, known: &[&str]) -> Res<()> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(error(format!(
            "{f}: unknown key `{k}` (the keys are {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The instant `date_parts` describes (`weekday` is ignored; `offset_minutes` defaults to 0).
fn from_parts(m: &Map) -> Res<INT> {
    let f = "date_from_parts";
    only_keys(f, m, &PARTS)?;
    let ms: i32 = field(f, m, "millisecond", Some(0))?;
    if !(0..1000).contains(&ms) {
        return Err(error(format!("{f}: `millisecond` = {ms} is not 0 to 999")));
    }
    let dt = DateTime::new(
        field(f, m, "year", None)?,
        field(f, m, "month", Some(1))?,
        field(f, m, "day", Some(1))?,
        field(f, m, "hour", Some(0))?,
        field(f, m, "minute", Some(0))?,
        field(f, m, "second", Some(0))?,
        ms * 1_000_000,
    )
    .map_err(|e| error(format!("{f}: {e}")))?;
    let minutes: i32 = field(f, m, "offset_minutes", Some(0))?;
    let offset =
        Offset::from_seconds(minutes.saturating_mul(60)).map_err(|e| error(format!("{f}: {e}")))?;
    offset
        .to_timestamp(dt)
        .map(millis)
        .map_err(|e| error(format!("{f}: {e}")))
}

const UNITS: [&str; 8] = [
    "years",
    "months",
    "weeks",
    "days",
    "hours",
    "minutes",
    "seconds",
    "milliseconds",
];

/// Adds each amount in turn, largest unit first (a span holds one sign, and amounts may mix
/// signs: `#{hours: -1, minutes: 30}`).
fn add(f: &str, ms: INT, amounts: &Map, tz: TimeZone) -> Res<INT> {
    only_keys(f, amounts, &UNITS)?;
    let mut zoned = instant(f, ms)?.to_zoned(tz);
    for unit in UNITS {
        let n: i64 = field(f, amounts, unit, Some(0))?;
        if n == 0 {
            continue;
        }
        let span = match unit {
            "years" => Span::new().try_years(n),
            "months" => Span::new().try_months(n),
            "weeks" => Span::new().try_weeks(n),
            "days" => Span::new().try_days(n),
            "hours" => Span::new().try_hours(n),
            "minutes" => Span::new().try_minutes(n),
            "seconds" => Span::new().try_seconds(n),
            _ => Span::new().try_milliseconds(n),
        };
        zoned = span
            .and_then(|s| zoned.checked_add(s))
            .map_err(|e| error(format!("{f}: `{unit}` = {n}: {e}")))?;
    }
    Ok(millis(zoned.timestamp()))
}

/// `1h30m`, `1h 30m 10s`, `2d` (days of 24 hours), `500ms`, or ISO 8601 `PT1H30M`.
fn duration_parse(text: &str) -> Res<INT> {
    let d = match text.parse::<SignedDuration>() {
        Ok(d) => d,
        Err(duration_error) => text
            .parse::<Span>()
            .and_then(|s| s.to_duration(SpanRelativeTo::days_are_24_hours()))
            .map_err(|_| {
                error(format!(
                    "duration_parse: {text:?} is not a duration like \"1h30m\" or \"PT1H30M\": {duration_error}"
                ))
            })?,
    };
    INT::try_from(d.as_millis()).map_err(|_| error(format!("duration_parse: {text:?} is too long")))
}

/// Registers the date and duration functions.
pub fn register(engine: &mut Engine) {
    engine.register_fn("date_parse", parse);
    engine.register_fn("date_parse", parse_with);
    engine.register_fn("date_format", |ms: INT, f: &str| {
        format("date_format", ms, f, TimeZone::UTC)
    });
    engine.register_fn("date_format_local", |ms: INT, f: &str| {
        format("date_format_local", ms, f, TimeZone::system())
    });
    engine.register_fn("date_parts", |ms: INT| -> Res<Dynamic> {
        Ok(parts(&instant("date_parts", ms)?.to_zoned(TimeZone::UTC)))
    });
    engine.register_fn("date_parts_local", |ms: INT| -> Res<Dynamic> {
        Ok(parts(
            &instant("date_parts_local", ms)?.to_zoned(TimeZone::system()),
        ))
    });
    engine.register_fn("date_from_parts", |m: Map| from_parts(&m));
    engine.register_fn("date_add", |ms: INT, m: Map| {
        add("date_add", ms, &m, TimeZone::UTC)
    });
    engine.register_fn("date_add_local", |ms: INT, m: Map| {
        add("date_add_local", ms, &m, TimeZone::system())
    });
    engine.register_fn("duration_parse", duration_parse);
    engine.register_fn("duration_format", |ms: INT| {
        format!("{:#}", SignedDuration::from_millis(ms))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::lib::message;

    fn map(pairs: &[(&str, INT)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), Dynamic::from(*v)))
            .collect()
    }

    const MARCH_10: INT = 1_710_072_000_000; // 2024-03-10T12:00:00Z

    #[test]
    fn parses_iso_forms() {
        assert_eq!(parse("2024-03-10T12:00:00Z").unwrap(), MARCH_10);
        assert_eq!(parse("2024-03-10T13:00:00+01:00").unwrap(), MARCH_10);
        assert_eq!(parse("2024-03-10T12:00:00").unwrap(), MARCH_10);
        assert_eq!(parse("2024-03-10").unwrap(), MARCH_10 - 12 * 3_600_000);
        assert_eq!(parse("2024-03-10T12:00:00.250Z").unwrap(), MARCH_10 + 250);
        assert_eq!(parse("1970-01-01").unwrap(), 0);
    }

    #[test]
    fn invalid_dates_are_clear_errors() {
        let e = message(parse("2023-02-29").unwrap_err());
        assert!(e.starts_with("date_parse: \"2023-02-29\" is not"), "{e}");
        assert!(e.contains("day"), "{e}");
        assert!(parse("2024-02-29").is_ok(), "leap year");
        let e = message(parse("yesterday").unwrap_err());
        assert!(e.contains("\"yesterday\""), "{e}");
        let e = message(parse_with("10/03", "%d/%m/%Y").unwrap_err());
        assert!(e.contains("does not match the format"), "{e}");
        let e =
            message(from_parts(&map(&[("year", 2023), ("month", 2), ("day", 29)])).unwrap_err());
        assert!(e.starts_with("date_from_parts:"), "{e}");
        let e = message(from_parts(&map(&[("month", 2)])).unwrap_err());
        assert_eq!(e, "date_from_parts: `year` is needed");
        let e = message(from_parts(&map(&[("year", 2023), ("mnth", 2)])).unwrap_err());
        assert!(e.contains("unknown key `mnth`"), "{e}");
        let e = message(instant("date_format", INT::MAX).unwrap_err());
        assert!(e.contains("outside the dates"), "{e}");
    }

    #[test]
    fn formats_with_strftime() {
        assert_eq!(
            parse_with("10/03/2024 13:00 +0100", "%d/%m/%Y %H:%M %z").unwrap(),
            MARCH_10
        );
        assert_eq!(
            parse_with("10/03/2024", "%d/%m/%Y").unwrap(),
            MARCH_10 - 12 * 3_600_000
        );
        assert_eq!(
            format(
                "date_format",
                MARCH_10,
                "%Y-%m-%d %H:%M:%S %a",
                TimeZone::UTC
            )
            .unwrap(),
            "2024-03-10 12:00:00 Sun"
        );
    }

    #[test]
    fn parts_round_trip() {
        order::scope(|| {
            let p = parts(&instant("t", MARCH_10 + 7).unwrap().to_zoned(TimeZone::UTC));
            assert_eq!(
                crate::script::convert::to_json(&p).unwrap().to_string(),
                r#"{"year":2024,"month":3,"day":10,"hour":12,"minute":0,"second":0,"millisecond":7,"weekday":7,"offset_minutes":0}"#
            );
            assert_eq!(from_parts(&p.cast::<Map>()).unwrap(), MARCH_10 + 7);
            let p = map(&[
                ("year", 2024),
                ("month", 3),
                ("day", 10),
                ("hour", 13),
                ("offset_minutes", 60),
            ]);
            assert_eq!(from_parts(&p).unwrap(), MARCH_10);
        });
    }

    #[test]
    fn adding_follows_the_calendar() {
        let jan31 = parse("2024-01-31").unwrap();
        let added = add("date_add", jan31, &map(&[("months", 1)]), TimeZone::UTC).unwrap();
        assert_eq!(added, parse("2024-02-29").unwrap(), "leap year");
        let added = add(
            "date_add",
            parse("2023-01-31").unwrap(),
            &map(&[("months", 1)]),
            TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(added, parse("2023-02-28").unwrap());
        let added = add(
            "date_add",
            MARCH_10,
            &map(&[("hours", -1), ("minutes", 30)]),
            TimeZone::UTC,
        )
        .unwrap();
        assert_eq!(added, MARCH_10 - 30 * 60_000);
        let e = message(add("date_add", 0, &map(&[("day", 1)]), TimeZone::UTC).unwrap_err());
        assert!(e.contains("unknown key `day`"), "{e}");
    }

    #[test]
    fn a_local_day_across_dst_keeps_the_wall_clock() {
        // New York moved to daylight time at 2:00 on 2024-03-10 (UTC-5 to UTC-4).
        let tz = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        let before = parse("2024-03-09T17:00:00Z").unwrap(); // 12:00 EST
        let after = add("date_add_local", before, &map(&[("days", 1)]), tz.clone()).unwrap();
        assert_eq!(after - before, 23 * 3_600_000);
        let p = parts(&instant("t", after).unwrap().to_zoned(tz.clone()));
        let p = p.cast::<Map>();
        assert_eq!(p["hour"].as_int().unwrap(), 12);
        assert_eq!(p["offset_minutes"].as_int().unwrap(), -240);
        assert_eq!(
            format("date_format_local", after, "%H:%M %z", tz).unwrap(),
            "12:00 -0400"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(duration_parse("1h30m").unwrap(), 5_400_000);
        assert_eq!(duration_parse("PT1H30M").unwrap(), 5_400_000);
        assert_eq!(duration_parse("1h 30m 250ms").unwrap(), 5_400_250);
        assert_eq!(duration_parse("2d").unwrap(), 2 * 86_400_000);
        assert_eq!(duration_parse("-5s").unwrap(), -5000);
        let e = message(duration_parse("soon").unwrap_err());
        assert!(
            e.starts_with("duration_parse: \"soon\" is not a duration"),
            "{e}"
        );
        assert_eq!(
            format!("{:#}", SignedDuration::from_millis(5_400_250)),
            "1h 30m 250ms"
        );
    }
}
