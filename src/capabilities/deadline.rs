//! The deadline rule, written once: the `--timeout-ms` flag wins, then the
//! configured timeout, then the capability's default; the run must finish
//! by the moment it starts plus that timeout.

use std::time::{Duration, Instant};

use crate::context::Context;
use crate::error::Result;

/// How long a run may take: the flag, else `configured`, else `default`
/// (`None`: no overall limit).
pub fn timeout(
    flag_ms: Option<u64>,
    configured: Option<Duration>,
    default: Option<Duration>,
) -> Option<Duration> {
    flag_ms
        .map(Duration::from_millis)
        .or(configured)
        .or(default)
}

/// [`timeout`] for a capability that always has a limit.
pub fn bounded(flag_ms: Option<u64>, configured: Option<Duration>, default: Duration) -> Duration {
    timeout(flag_ms, configured, None).unwrap_or(default)
}

/// The instant a run started now must finish by, under [`timeout`].
pub fn deadline(
    flag_ms: Option<u64>,
    configured: Option<Duration>,
    default: Option<Duration>,
) -> Option<Instant> {
    timeout(flag_ms, configured, default).map(|t| Instant::now() + t)
}

/// The deadline of a run bounded by the flag, else the agent-wide timeout,
/// else nothing (model runs and descriptions).
pub fn agent_deadline(ctx: &Context, flag_ms: Option<u64>) -> Result<Option<Instant>> {
    Ok(deadline(flag_ms, agent_timeout(ctx)?, None))
}

/// The agent-wide `agents.defaults.timeoutSeconds`, when set and positive.
pub fn agent_timeout(ctx: &Context) -> Result<Option<Duration>> {
    Ok(ctx
        .config()?
        .agents
        .defaults
        .timeout_seconds
        .filter(|s| *s > 0.0)
        .map(Duration::from_secs_f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_then_configured_then_default() {
        let (a, b) = (Duration::from_secs(1), Duration::from_secs(2));
        assert_eq!(
            timeout(Some(5), Some(a), Some(b)),
            Some(Duration::from_millis(5))
        );
        assert_eq!(timeout(None, Some(a), Some(b)), Some(a));
        assert_eq!(timeout(None, None, Some(b)), Some(b));
        assert_eq!(timeout(None, None, None), None);
    }
}
