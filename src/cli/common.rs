//! Flag groups and value parsers shared by several commands.

use clap::{Args, ValueEnum};

/// `--local` / `--gateway`: where the work runs; `--gateway` sends it to a
/// running OpenClaw gateway (see `src/gateway/`).
#[derive(Debug, Clone, Copy, Default, Args)]
pub struct TransportArgs {
    /// Run in this process (the default)
    #[arg(long, conflicts_with = "gateway")]
    pub local: bool,

    /// Run through a running OpenClaw gateway
    #[arg(long)]
    pub gateway: bool,
}

/// `--stream FORMAT`: live events on stdout while a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StreamFormat {
    /// One JSON object per line; the last line is the envelope
    Json,
}

/// Reject values that are empty or only white space.
pub fn non_blank(value: &str) -> Result<String, String> {
    if value.trim().is_empty() {
        Err("must not be blank".to_owned())
    } else {
        Ok(value.to_owned())
    }
}

/// A whole number greater than zero.
pub fn positive_u64(value: &str) -> Result<u64, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must be a positive whole number, not blank".to_owned());
    }
    match trimmed.parse::<u64>() {
        Ok(0) => Err("must be greater than zero".to_owned()),
        Ok(number) => Ok(number),
        Err(_) => Err(format!("`{trimmed}` is not a positive whole number")),
    }
}

/// `--timeout-ms`: a whole number of milliseconds from 1 up to a week.
pub fn timeout_ms(value: &str) -> Result<u64, String> {
    let number = positive_u64(value)?;
    let max = crate::config::bounds::MAX_TIMEOUT_MS;
    if number > max {
        return Err(format!("`{number}` is more than a week ({max} ms)"));
    }
    Ok(number)
}

/// A positive number of seconds, fractions allowed (`--duration 2.5`), at
/// most a week.
pub fn positive_seconds(value: &str) -> Result<f64, String> {
    let trimmed = value.trim();
    match trimmed.parse::<f64>() {
        Ok(number)
            if number.is_finite()
                && number > 0.0
                && number <= crate::config::bounds::MAX_TIMEOUT_SECONDS =>
        {
            Ok(number)
        }
        _ => Err(format!(
            "`{trimmed}` is not a positive number of seconds up to a week"
        )),
    }
}

/// `WxH`, both positive (`1024x1536`).
pub fn dimensions(value: &str) -> Result<String, String> {
    let parsed = value
        .split_once(['x', 'X'])
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if w > 0 && h > 0 => Ok(format!("{w}x{h}")),
        _ => Err(format!("`{value}` is not a size like 1024x1024")),
    }
}

/// `W:H`, both positive (`16:9`).
pub fn aspect_ratio(value: &str) -> Result<String, String> {
    let parsed = value
        .split_once(':')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if w > 0 && h > 0 => Ok(format!("{w}:{h}")),
        _ => Err(format!("`{value}` is not an aspect ratio like 16:9")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_numbers() {
        assert_eq!(positive_u64("3"), Ok(3));
        assert!(positive_u64("0").is_err());
        assert!(positive_u64("").is_err());
        assert!(positive_u64(" ").is_err());
        assert!(positive_u64("-1").is_err());
        assert!(positive_u64("1.5").is_err());
    }

    #[test]
    fn blank_values_are_rejected() {
        assert!(non_blank("  \t").is_err());
        assert_eq!(non_blank(" x ").unwrap(), " x ");
    }

    #[test]
    fn geometry() {
        assert_eq!(dimensions("1024x768").unwrap(), "1024x768");
        assert!(dimensions("1024").is_err());
        assert!(dimensions("0x5").is_err());
        assert_eq!(aspect_ratio("16:9").unwrap(), "16:9");
        assert!(aspect_ratio("16/9").is_err());
        assert!(positive_seconds("2.5").is_ok());
        assert!(positive_seconds("0").is_err());
        assert!(positive_seconds("1e20").is_err());
        assert!(positive_seconds("NaN").is_err());
        assert!(positive_seconds("-1").is_err());
        assert_eq!(timeout_ms("1500"), Ok(1500));
        assert!(timeout_ms("18446744073709551615").is_err());
        assert!(timeout_ms("1e20").is_err());
    }
}
