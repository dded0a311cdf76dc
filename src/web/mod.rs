//! Pieces shared by `web search` and `web fetch`: typed config views, the
//! SSRF guard, the built-in fetcher and content extraction.

pub mod config;
pub mod extract;
pub mod fetch;
pub mod ssrf;

use std::time::SystemTime;

use clap::ValueEnum;
use serde::Serialize;

/// The shape `web fetch` gives the extracted text (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FetchFormat {
    Markdown,
    Text,
}

/// How a search or fetch result marks what came from the web: untrusted
/// text, which tool brought it (`web_search`, `web_fetch`), whether it sits
/// inside untrusted-content markers, and the provider.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalContent {
    pub untrusted: bool,
    pub source: &'static str,
    pub wrapped: bool,
    pub provider: &'static str,
}

/// Now as RFC 3339 UTC with milliseconds (`2026-11-23T10:04:05.123Z`).
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

pub fn rfc3339(time: SystemTime) -> String {
    let since = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = since.as_secs();
    let (days, rest) = ((seconds / 86_400) as i64, seconds % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    #[test]
    fn timestamps() {
        assert_eq!(
            super::rfc3339(SystemTime::UNIX_EPOCH),
            "1970-01-01T00:00:00.000Z"
        );
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_709_210_096_789);
        assert_eq!(super::rfc3339(t), "2024-02-29T12:34:56.789Z");
    }
}
