//! One gate per provider origin, shared by every worker of a batch: a
//! `429`/`Retry-After` seen by one worker holds back the next request of
//! all of them, and `--rpm` spaces request starts. Outside a batch the
//! gates are off and cost one atomic load per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Reason};

/// The pause after a `429` that names no `Retry-After`.
const DEFAULT_PAUSE: Duration = Duration::from_secs(1);

static ENABLED: AtomicBool = AtomicBool::new(false);
static RETRIED: AtomicU64 = AtomicU64::new(0);
static SETTINGS: OnceLock<Settings> = OnceLock::new();
static GATES: OnceLock<Mutex<HashMap<String, Gate>>> = OnceLock::new();

#[derive(Debug, Clone, Copy, Default)]
struct Settings {
    /// The least time between two request starts to one origin.
    spacing: Option<Duration>,
}

#[derive(Debug, Default)]
struct Gate {
    /// No request to this origin starts before this.
    paused_until: Option<Instant>,
    /// When the last request was let through (for `--rpm`).
    last_start: Option<Instant>,
}

/// Turn the gates on for this process, with `rpm` requests a minute per
/// origin when given.
pub fn enable(rpm: Option<u64>) {
    let spacing = rpm
        .filter(|n| *n > 0)
        .map(|n| Duration::from_secs_f64(60.0 / n as f64));
    let _ = SETTINGS.set(Settings { spacing });
    ENABLED.store(true, Ordering::Relaxed);
}

/// How many sends failed transiently (and were usually sent again).
pub fn retried() -> u64 {
    RETRIED.load(Ordering::Relaxed)
}

fn gates() -> std::sync::MutexGuard<'static, HashMap<String, Gate>> {
    GATES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `scheme://host:port` of `url`: the unit a provider limits by.
fn origin(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) => parsed.origin().ascii_serialization(),
        Err(_) => url.to_owned(),
    }
}

/// Wait until a request to `url` may start.
pub async fn before_send(url: &str) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let key = origin(url);
    let spacing = SETTINGS.get().and_then(|s| s.spacing);
    loop {
        let wait = {
            let mut gates = gates();
            let gate = gates.entry(key.clone()).or_default();
            let now = Instant::now();
            let mut ready = now;
            if let Some(until) = gate.paused_until {
                ready = ready.max(until);
            }
            if let (Some(spacing), Some(last)) = (spacing, gate.last_start) {
                ready = ready.max(last + spacing);
            }
            if ready <= now {
                gate.last_start = Some(now);
                None
            } else {
                Some(ready - now)
            }
        };
        match wait {
            None => return,
            Some(wait) => tokio::time::sleep(wait).await,
        }
    }
}

/// Note a failed send to `url`: a rate limit pauses the whole origin.
pub fn after_error(url: &str, error: &Error) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    if error.reason().is_transient() {
        RETRIED.fetch_add(1, Ordering::Relaxed);
    }
    if error.reason() != Reason::RateLimit && error.status() != Some(429) {
        return;
    }
    let until = Instant::now() + error.retry_after().unwrap_or(DEFAULT_PAUSE);
    let mut gates = gates();
    let gate = gates.entry(origin(url)).or_default();
    gate.paused_until = Some(gate.paused_until.map_or(until, |old| old.max(until)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_ignore_paths_and_queries() {
        assert_eq!(
            origin("http://127.0.0.1:8080/v1/chat?x=1"),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin("https://api.openai.com/v1"),
            "https://api.openai.com"
        );
    }
}
