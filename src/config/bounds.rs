//! Bounds on numbers that come from outside (config, flags, environment):
//! `NaN`, infinities, negatives and absurd sizes are refused where they are
//! read, at their line and column, and clamped where they become durations,
//! so no value can make a conversion panic.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};

/// The longest timeout or deadline accepted anywhere: one week.
pub const MAX_TIMEOUT_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
pub const MAX_TIMEOUT_MS: u64 = 7 * 24 * 3600 * 1000;
/// The largest size in megabytes a limit may name (1 TiB).
pub const MAX_MEGABYTES: f64 = 1024.0 * 1024.0;

/// Seconds as a duration: non-finite or non-positive values give `fallback`,
/// values past a week are a week.
pub fn seconds(value: f64, fallback: Duration) -> Duration {
    if !(value.is_finite() && value > 0.0) {
        return fallback;
    }
    Duration::try_from_secs_f64(value.min(MAX_TIMEOUT_SECONDS)).unwrap_or(fallback)
}

/// Milliseconds as a duration, at most a week.
pub fn millis(value: u64) -> Duration {
    Duration::from_millis(value.min(MAX_TIMEOUT_MS))
}

/// A number range checked inside the deserializer, so a refusal carries the
/// value's line and column.
struct Range {
    min: f64,
    max: f64,
    /// `min` itself is allowed.
    min_inclusive: bool,
    what: &'static str,
}

impl Range {
    fn check<E: de::Error>(&self, value: f64) -> Result<f64, E> {
        let above_min = if self.min_inclusive {
            value >= self.min
        } else {
            value > self.min
        };
        if value.is_finite() && above_min && value <= self.max {
            Ok(value)
        } else {
            Err(E::custom(format!(
                "`{value}` is not {}; expected {}",
                self.what,
                self.expected()
            )))
        }
    }

    fn expected(&self) -> String {
        let low = if self.min_inclusive { "from" } else { "above" };
        format!("a number {low} {} up to {}", self.min, self.max)
    }
}

impl<'de> Visitor<'de> for &Range {
    type Value = f64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expected())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<f64, E> {
        self.check(value)
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<f64, E> {
        self.check(value as f64)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<f64, E> {
        self.check(value as f64)
    }
}

const SECONDS: Range = Range {
    min: 0.0,
    max: MAX_TIMEOUT_SECONDS,
    min_inclusive: false,
    what: "a usable number of seconds",
};

const MILLIS: Range = Range {
    min: 0.0,
    max: MAX_TIMEOUT_MS as f64,
    min_inclusive: false,
    what: "a usable number of milliseconds",
};

const MEGABYTES: Range = Range {
    min: 0.0,
    max: MAX_MEGABYTES,
    min_inclusive: false,
    what: "a usable size in MB",
};

const FINITE: Range = Range {
    min: -1e12,
    max: 1e12,
    min_inclusive: true,
    what: "a finite number",
};

fn optional<'de, D: Deserializer<'de>>(
    deserializer: D,
    range: &'static Range,
) -> Result<Option<f64>, D::Error> {
    struct Maybe(&'static Range);
    impl<'de> Visitor<'de> for Maybe {
        type Value = Option<f64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            self.0.expecting(f)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_f64(self.0).map(Some)
        }
    }
    deserializer.deserialize_option(Maybe(range))
}

/// `timeoutSeconds`-style keys: above 0, at most a week.
pub fn opt_seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    optional(d, &SECONDS)
}

/// `timeoutMs`-style keys: above 0, at most a week.
pub fn opt_millis<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(optional(d, &MILLIS)?.map(|ms| ms.round() as u64))
}

/// `...MaxMb` keys: above 0, at most 1 TiB.
pub fn opt_megabytes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    optional(d, &MEGABYTES)
}

/// Any other number that must be finite (`temperature`).
pub fn opt_finite<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    optional(d, &FINITE)
}

/// A numeric environment variable: `None` when unset or empty, an error
/// naming the variable when it is not a whole number in `min..=max`.
pub fn env_u64(name: &str, min: u64, max: u64) -> crate::error::Result<Option<u64>> {
    let Some(raw) = super::env::var(name) else {
        return Ok(None);
    };
    match raw.trim().parse::<u64>() {
        Ok(value) if (min..=max).contains(&value) => Ok(Some(value)),
        _ => Err(crate::error::Error::config(format!(
            "{name}=`{raw}` is not a whole number from {min} to {max}"
        ))
        .with_hint(format!("fix or unset {name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "opt_seconds")]
        timeout: Option<f64>,
        #[serde(default, deserialize_with = "opt_millis")]
        ms: Option<u64>,
    }

    fn parse(text: &str) -> Result<Sample, String> {
        json5::from_str::<Sample>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn absurd_numbers_are_refused_with_a_position() {
        for bad in ["NaN", "Infinity", "-Infinity", "-1", "0", "1e20"] {
            let error = parse(&format!("{{\n timeout: {bad} }}")).err().unwrap();
            assert!(error.contains("seconds"), "{bad}: {error}");
            assert!(error.contains("line 2"), "{bad}: {error}");
        }
        assert!(parse("{ ms: 1e30 }").is_err());
        assert!(parse("{ ms: -5 }").is_err());
        let ok = parse("{ timeout: 2.5, ms: 1500 }").unwrap();
        assert_eq!((ok.timeout, ok.ms), (Some(2.5), Some(1500)));
        assert_eq!(parse("{ timeout: null }").unwrap().timeout, None);
        assert_eq!(parse("{}").unwrap().timeout, None);
    }

    #[test]
    fn durations_are_clamped() {
        let fallback = Duration::from_secs(9);
        assert_eq!(seconds(f64::NAN, fallback), fallback);
        assert_eq!(seconds(-3.0, fallback), fallback);
        assert_eq!(seconds(1e300, fallback).as_secs_f64(), MAX_TIMEOUT_SECONDS);
        assert_eq!(millis(u64::MAX).as_millis() as u64, MAX_TIMEOUT_MS);
        assert_eq!(seconds(1.5, fallback), Duration::from_millis(1500));
    }
}
