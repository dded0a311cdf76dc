//! The HTTP client (rustls on ring, built on first use), failure
//! classification into `Reason`, retries with backoff, and the bounds on
//! what a server can make us hold or wait for (docs/reliability.md).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::config::env;
use crate::error::{Error, Reason, Result};
use crate::proxy::{ProxyRules, Route};

/// How many times one request is sent at most for transient failures.
const MAX_TRIES: u32 = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A server asking for a longer pause than this is not waited for: the
/// failure is final for this candidate and the fallback chain moves on.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);
/// `Retry-After` values are clamped to this before anything else.
const RETRY_AFTER_CLAMP: Duration = Duration::from_secs(24 * 60 * 60);

/// An error body is read only this far: enough for any message.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// A JSON or text answer (after decompression).
pub const ANSWER_LIMIT: usize = 64 * 1024 * 1024;
/// Binary answers (speech, generated media) read whole.
pub const MEDIA_LIMIT: usize = 512 * 1024 * 1024;
/// One line of an event stream, and one event's accumulated data.
pub const SSE_LINE_LIMIT: usize = 16 * 1024 * 1024;
/// Events in one stream.
pub const SSE_EVENT_LIMIT: usize = 1_000_000;
/// Redirects followed on the provider's own origin.
pub const MAX_REDIRECTS: usize = 5;
/// Response header fields (HTTP/1) and header list bytes (HTTP/2).
pub const MAX_HEADERS: usize = 100;
pub const MAX_HEADER_LIST_BYTES: u32 = 64 * 1024;
/// One request (headers and body) ends by then unless a deadline of its
/// own (provider `timeoutSeconds`, `--timeout-ms`) says otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// No byte for this long ends the request (`OPENCLAW_STALL_TIMEOUT_MS`).
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(5 * 60);

pub fn build_client(proxy: Option<&str>) -> Result<reqwest::Client> {
    // Picking the provider here keeps aws-lc out of the build (crates.md).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("openclaw/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .timeout(DEFAULT_REQUEST_TIMEOUT)
        .read_timeout(stall_timeout())
        .redirect(same_origin_redirects())
        .http1_max_headers(MAX_HEADERS)
        .http2_max_header_list_size(MAX_HEADER_LIST_BYTES);
    let rules = match proxy {
        Some(proxy) => ProxyRules::fixed(proxy)
            .ok_or_else(|| Error::config(format!("invalid proxy URL `{}`", redact_url(proxy))))?,
        None => ProxyRules::from_env(),
    };
    // Our own rules replace reqwest's reading of the environment, so that
    // `openclaw doctor` shows exactly the route a request takes.
    builder = builder
        .no_proxy()
        .proxy(reqwest::Proxy::custom(move |url| match rules.route(url) {
            Route::Direct => None,
            Route::Proxy { url, .. } => Some(url),
        }));
    // Trust roots load on the first handshake (see tls.rs).
    builder = builder.tls_backend_preconfigured(crate::tls::client_config());
    builder
        .build()
        .map_err(|error| Error::internal(format!("cannot build the HTTP client: {error}")))
}

/// The idle-read limit: `OPENCLAW_STALL_TIMEOUT_MS` when it is a whole
/// number of milliseconds from 1 to one day, the default otherwise.
pub fn stall_timeout() -> Duration {
    env::var(env::STALL_TIMEOUT_MS)
        .and_then(|value| value.trim().parse::<u64>().ok())
        .filter(|ms| (1..=86_400_000).contains(ms))
        .map_or(DEFAULT_STALL_TIMEOUT, Duration::from_millis)
}

/// `scheme://host:port` of a URL, for messages and comparisons.
pub fn origin_of(url: &reqwest::Url) -> String {
    url.origin().ascii_serialization()
}

/// Whether two URLs share scheme, host and port.
pub fn same_origin(a: &str, b: &str) -> bool {
    match (reqwest::Url::parse(a), reqwest::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin().is_tuple() && a.origin() == b.origin(),
        _ => false,
    }
}

/// Redirects are followed only while they stay on the first request's
/// origin, so keys and configured headers never reach another host. A
/// redirect elsewhere is handed back as the 3xx answer itself, which
/// `redirect_error` turns into a clear failure (or a download follows
/// through the SSRF guard without credentials).
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(|url| url.origin());
        if first.is_some_and(|origin| origin != attempt.url().origin()) {
            attempt.stop()
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else {
            attempt.follow()
        }
    })
}

/// The failure for a redirect that was not followed because it leaves the
/// provider's origin.
pub fn redirect_error(from: &str, response: &reqwest::Response) -> Error {
    let status = response.status().as_u16();
    let from = reqwest::Url::parse(from).map_or_else(|_| redact_url(from), |u| origin_of(&u));
    let to = redirect_target(response)
        .map_or_else(|| "an unreadable Location".to_owned(), |u| origin_of(&u));
    Error::provider(
        Reason::Network,
        format!("{from} redirected (HTTP {status}) to another origin, {to}; not followed, so the credentials stay with {from}"),
    )
    .with_status(status)
    .with_hint("point the provider's baseUrl at the final address")
}

/// Where a 3xx answer points, resolved against the URL that gave it.
pub fn redirect_target(response: &reqwest::Response) -> Option<reqwest::Url> {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    response.url().join(location).ok()
}

/// Read a whole body, at most `limit` decompressed bytes. A body longer
/// than that is an error naming the limit; a connection lost mid-body is
/// `truncated`; a read that stalls or passes the deadline is `timeout`.
pub async fn read_body(response: reqwest::Response, limit: usize, url: &str) -> Result<Vec<u8>> {
    use futures_util::StreamExt;
    if response
        .content_length()
        .is_some_and(|len| len > limit as u64)
    {
        return Err(too_large(url, limit));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| body_error(error, url))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(url, limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// `read_body` as text (invalid UTF-8 replaced).
pub async fn read_text(response: reqwest::Response, limit: usize, url: &str) -> Result<String> {
    let bytes = read_body(response, limit, url).await?;
    Ok(match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}

pub fn too_large(url: &str, limit: usize) -> Error {
    Error::provider(
        Reason::Format,
        format!(
            "the answer from {} is larger than the {} limit",
            redact_url(url),
            human_bytes(limit)
        ),
    )
}

fn human_bytes(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} MiB", bytes / (1024 * 1024))
    } else {
        format!("{} KiB", bytes / 1024)
    }
}

/// A failure while reading a body whose headers had arrived: a timeout
/// stays a timeout, anything else means the answer was cut short.
pub fn body_error(error: reqwest::Error, url: &str) -> Error {
    if error.is_timeout() {
        return transport_error(error, url);
    }
    Error::provider(
        Reason::Truncated,
        format!(
            "the answer from {} was cut short: {}",
            redact_url(url),
            root_cause(&error)
        ),
    )
    .with_source(error.without_url())
}

/// The failure for a request that ran past its deadline or stalled.
pub fn timed_out(url: &str) -> Error {
    Error::provider(
        Reason::Timeout,
        format!("request to {} timed out", redact_url(url)),
    )
    .with_hint("`--timeout-ms`, the provider's `timeoutSeconds` or OPENCLAW_STALL_TIMEOUT_MS set the limits")
}

/// Map a transport failure (no HTTP answer) to an error. The reqwest error
/// stays beneath it as the source (without its URL, which may carry a key
/// in the query), so the text output shows its chain as `Caused by:` lines.
pub fn transport_error(error: reqwest::Error, url: &str) -> Error {
    if let Some(error) = crate::tls::trust_error(&error) {
        return error;
    }
    let raw_url = url;
    let url = redact_url(url);
    let classified = if error.is_timeout() {
        timed_out(raw_url)
    } else if error.is_redirect() {
        Error::provider(
            Reason::Network,
            format!("request to {url} failed: {}", root_cause(&error)),
        )
    } else if error.is_connect() {
        let detail = root_cause(&error);
        Error::provider(
            Reason::Network,
            format!("cannot connect to {url}: {detail}"),
        )
    } else if error.is_decode() || error.is_body() {
        Error::provider(
            Reason::Network,
            format!(
                "reading the answer from {url} failed: {}",
                root_cause(&error)
            ),
        )
    } else {
        Error::provider(
            Reason::Network,
            format!("request to {url} failed: {}", root_cause(&error)),
        )
    };
    classified.with_source(error.without_url())
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}

/// Turn a non-success answer into a classified provider error.
pub async fn error_from_response(response: reqwest::Response) -> Error {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let body = read_error_body(response).await;
    error_from_parts(status, retry_after, &body)
}

/// The first `ERROR_BODY_LIMIT` bytes of an error answer; the rest is never
/// read (nor decompressed).
async fn read_error_body(response: reqwest::Response) -> String {
    use futures_util::StreamExt;
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(Ok(chunk)) = stream.next().await {
        let room = ERROR_BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

pub fn error_from_parts(status: StatusCode, retry_after: Option<Duration>, body: &str) -> Error {
    let detail = provider_message(body);
    let reason = match provider_code(body).and_then(|code| reason_from_code(&code)) {
        // A billing phrase in the message outranks a generic code.
        Some(reason) if classify(status, &detail) != Reason::Billing => reason,
        _ => classify(status, &detail),
    };
    let message = match detail {
        Some(detail) => format!("HTTP {}: {detail}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    let mut error = Error::provider(reason, message)
        .with_status(status.as_u16())
        .with_retry_after(retry_after);
    match reason {
        Reason::Auth => error = error.with_hint("check the API key for this provider"),
        Reason::ModelNotFound => {
            error = error.with_hint("check the model id with `openclaw infer model list`")
        }
        _ => {}
    }
    error
}

/// Status first; a few body phrases refine it (quota exhaustion is billing).
pub fn classify(status: StatusCode, detail: &Option<String>) -> Reason {
    let text = detail.as_deref().unwrap_or("").to_ascii_lowercase();
    if text.contains("insufficient_quota")
        || text.contains("credit balance")
        || text.contains("billing")
    {
        return Reason::Billing;
    }
    match status.as_u16() {
        401 => Reason::Auth,
        403 => Reason::AuthPermanent,
        402 => Reason::Billing,
        429 => Reason::RateLimit,
        503 | 529 => Reason::Overloaded,
        408 | 504 => Reason::Timeout,
        404 => Reason::ModelNotFound,
        400 | 413 | 415 | 422 => {
            // Google answers a bad key with 400 INVALID_ARGUMENT.
            if text.contains("api key not valid")
                || text.contains("invalid api key")
                || text.contains("invalid x-api-key")
            {
                Reason::Auth
            } else if text.contains("model")
                && (text.contains("not found") || text.contains("does not exist"))
            {
                Reason::ModelNotFound
            } else {
                Reason::Format
            }
        }
        500..=599 => Reason::ServerError,
        _ => Reason::Unknown,
    }
}

/// The machine-readable error code inside a provider's error body:
/// Anthropic `{"type":"error","error":{"type":"overloaded_error"}}`,
/// Google `{"error":{"status":"RESOURCE_EXHAUSTED"}}`, OpenAI
/// `{"error":{"code":"insufficient_quota","type":"..."}}`, Responses stream
/// `{"type":"error","code":"..."}`.
pub fn provider_code(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body.trim()).ok()?;
    let value = value.get(0).cloned().unwrap_or(value);
    let candidates = [
        value.pointer("/error/status"),
        value.pointer("/error/code"),
        value.pointer("/error/type"),
        value.get("code"),
    ];
    candidates
        .into_iter()
        .flatten()
        .find_map(|v| v.as_str())
        .map(str::to_owned)
}

/// Map a provider's error code (type, status or code string) to a reason.
/// Unknown or generic codes give `None`, leaving the HTTP status to decide.
pub fn reason_from_code(code: &str) -> Option<Reason> {
    let reason = match code.to_ascii_lowercase().as_str() {
        // Anthropic error types.
        "authentication_error" => Reason::Auth,
        "permission_error" => Reason::AuthPermanent,
        "billing_error" => Reason::Billing,
        "rate_limit_error" => Reason::RateLimit,
        "overloaded_error" => Reason::Overloaded,
        "not_found_error" => Reason::ModelNotFound,
        "request_too_large" => Reason::Format,
        "api_error" => Reason::ServerError,
        "timeout_error" => Reason::Timeout,
        // Google RPC statuses.
        "unauthenticated" | "api_key_invalid" => Reason::Auth,
        "permission_denied" => Reason::AuthPermanent,
        "resource_exhausted" => Reason::RateLimit,
        "unavailable" => Reason::Overloaded,
        "deadline_exceeded" => Reason::Timeout,
        "not_found" => Reason::ModelNotFound,
        "internal" => Reason::ServerError,
        // OpenAI codes.
        "insufficient_quota" => Reason::Billing,
        "rate_limit_exceeded" => Reason::RateLimit,
        "invalid_api_key" => Reason::Auth,
        "model_not_found" => Reason::ModelNotFound,
        "server_error" => Reason::ServerError,
        "server_is_overloaded" | "slow_down" => Reason::Overloaded,
        _ => return None,
    };
    Some(reason)
}

/// An error reported inside a stream (no HTTP status of its own): classify
/// it by the provider's code, then by billing phrases in the message.
pub fn stream_error(code: Option<&str>, message: &str) -> Error {
    let by_text = classify(StatusCode::OK, &Some(message.to_owned()));
    let reason = match code.and_then(reason_from_code) {
        Some(reason) if by_text != Reason::Billing => reason,
        _ if by_text == Reason::Billing => Reason::Billing,
        _ => Reason::Unknown,
    };
    let message = match code {
        Some(code) => format!("{code}: {message}"),
        None => message.to_owned(),
    };
    Error::provider(reason, message)
}

/// The human message inside the common error body shapes:
/// `{"error": {"message"}}`, `{"error": "..."}`, `{"message"}`, `{"detail"}`.
pub fn provider_message(body: &str) -> Option<String> {
    let trimmed = body.trim();
    if trimmed.is_empty() {
        return None;
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) {
        let candidates = [
            value.pointer("/error/message"),
            value.get("error").filter(|v| v.is_string()),
            value.get("message"),
            value.pointer("/error/detail"),
            value.get("detail"),
            value.pointer("/0/error/message"),
        ];
        for candidate in candidates.into_iter().flatten() {
            if let Some(text) = candidate.as_str() {
                return Some(text.to_owned());
            }
        }
        if let Some(error) = value.get("error") {
            return Some(error.to_string());
        }
    }
    let mut text: String = trimmed.chars().take(300).collect();
    if trimmed.chars().count() > 300 {
        text.push('…');
    }
    Some(text)
}

/// `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, clamped to
/// a day. Values that are not finite numbers, are negative, or do not parse
/// count as absent.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|ms| ms.parse::<f64>().ok()) {
        if let Some(wait) = bounded_seconds(ms / 1000.0) {
            return Some(wait);
        }
    }
    let value = text(reqwest::header::RETRY_AFTER.as_str())?;
    match value.parse::<f64>() {
        Ok(seconds) => bounded_seconds(seconds),
        Err(_) => httpdate_seconds_from_now(value),
    }
}

/// Seconds from a server as a duration: `None` unless finite and not
/// negative; capped at `RETRY_AFTER_CLAMP`.
pub fn bounded_seconds(seconds: f64) -> Option<Duration> {
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    Some(
        Duration::try_from_secs_f64(seconds.min(RETRY_AFTER_CLAMP.as_secs_f64()))
            .unwrap_or(RETRY_AFTER_CLAMP),
    )
}

fn httpdate_seconds_from_now(value: &str) -> Option<Duration> {
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(std::time::SystemTime::now())
            .unwrap_or_default()
            .min(RETRY_AFTER_CLAMP),
    )
}

/// Mask credentials that may sit in a URL (`user:pass@`, `key=` query).
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return url.to_owned();
    };
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("redacted"));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(k, v)| {
                let secret = matches!(
                    k.to_ascii_lowercase().as_str(),
                    "key" | "api_key" | "apikey" | "token"
                );
                (
                    k.into_owned(),
                    if secret {
                        "redacted".to_owned()
                    } else {
                        v.into_owned()
                    },
                )
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// Send one request, again after a pause for transient failures (see
/// `retry_delay`), within the deadline. This is the one retry loop: every
/// provider call goes through it.
pub async fn with_retries<T>(
    deadline: Option<Instant>,
    send: impl AsyncFnMut() -> Result<T>,
) -> Result<T> {
    with_retries_while(deadline, send, || true).await
}

/// `with_retries`, but a failure is sent again only while `resendable`
/// says so (a streamed answer that already reached the user is not).
pub async fn with_retries_while<T>(
    deadline: Option<Instant>,
    mut send: impl AsyncFnMut() -> Result<T>,
    resendable: impl Fn() -> bool,
) -> Result<T> {
    let mut tries = 0;
    loop {
        tries += 1;
        let error = match send().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !resendable() {
            return Err(error);
        }
        match retry_delay(&error, tries, deadline) {
            Some(wait) => tokio::time::sleep(wait).await,
            None => return Err(error),
        }
    }
}

/// Whether a failed request should be sent again, and after what pause.
/// `tries` is how many sends have been made. Waits grow exponentially,
/// honour `Retry-After` as a floor, and never run past the deadline.
pub fn retry_delay(error: &Error, tries: u32, deadline: Option<Instant>) -> Option<Duration> {
    if !error.reason().is_transient() || tries >= MAX_TRIES {
        return None;
    }
    let backoff = FIRST_BACKOFF
        .saturating_mul(1 << (tries - 1).min(16))
        .min(MAX_BACKOFF);
    // Asked to wait longer than we would: give up on this candidate now.
    if error
        .retry_after()
        .is_some_and(|asked| asked > MAX_RETRY_WAIT)
    {
        return None;
    }
    let wait = match (
        env::var(env::TEST_NO_RETRY_DELAY).is_some(),
        error.retry_after(),
    ) {
        (true, _) => Duration::ZERO,
        (false, Some(asked)) => asked.max(backoff),
        (false, None) => backoff,
    };
    match deadline {
        Some(deadline) if Instant::now() + wait >= deadline => None,
        _ => Some(wait),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_reasons() {
        let cases = [
            (401, Reason::Auth),
            (403, Reason::AuthPermanent),
            (402, Reason::Billing),
            (429, Reason::RateLimit),
            (503, Reason::Overloaded),
            (529, Reason::Overloaded),
            (408, Reason::Timeout),
            (400, Reason::Format),
            (404, Reason::ModelNotFound),
            (500, Reason::ServerError),
            (502, Reason::ServerError),
            (418, Reason::Unknown),
        ];
        for (status, reason) in cases {
            assert_eq!(
                classify(StatusCode::from_u16(status).unwrap(), &None),
                reason,
                "{status}"
            );
        }
    }

    #[test]
    fn quota_exhaustion_is_billing_even_on_429() {
        let detail = Some("You exceeded your current quota (insufficient_quota)".to_owned());
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &detail),
            Reason::Billing
        );
    }

    #[test]
    fn provider_error_bodies_refine_the_status() {
        let cases = [
            (
                529,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                Reason::Overloaded,
            ),
            (
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: field required"}}"#,
                Reason::Format,
            ),
            (
                401,
                r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
                Reason::Auth,
            ),
            (
                500,
                r#"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#,
                Reason::Overloaded,
            ),
            (
                429,
                r#"{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}"#,
                Reason::RateLimit,
            ),
            (
                400,
                r#"{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}"#,
                Reason::Auth,
            ),
            (
                403,
                r#"{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}"#,
                Reason::AuthPermanent,
            ),
            (
                503,
                r#"{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}"#,
                Reason::Overloaded,
            ),
            (
                404,
                r#"{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}"#,
                Reason::ModelNotFound,
            ),
            (
                429,
                r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
                Reason::Billing,
            ),
            (
                404,
                r#"{"error":"model 'llama9' not found"}"#,
                Reason::ModelNotFound,
            ),
        ];
        for (status, body, reason) in cases {
            let error = error_from_parts(StatusCode::from_u16(status).unwrap(), None, body);
            assert_eq!(error.reason(), reason, "{status} {body}");
            assert_eq!(error.status(), Some(status));
        }
    }

    #[test]
    fn errors_inside_streams_are_classified_by_code() {
        assert_eq!(
            stream_error(Some("overloaded_error"), "Overloaded").reason(),
            Reason::Overloaded
        );
        assert_eq!(
            stream_error(Some("rate_limit_exceeded"), "slow").reason(),
            Reason::RateLimit
        );
        assert_eq!(stream_error(Some("weird"), "x").reason(), Reason::Unknown);
        assert_eq!(
            stream_error(None, "insufficient_quota for this key").reason(),
            Reason::Billing
        );
        assert!(
            stream_error(Some("server_error"), "boom")
                .message()
                .contains("boom")
        );
    }

    #[test]
    fn messages_come_out_of_common_bodies() {
        assert_eq!(
            provider_message(r#"{"error":{"message":"bad key","type":"x"}}"#).unwrap(),
            "bad key"
        );
        assert_eq!(provider_message(r#"{"error":"nope"}"#).unwrap(), "nope");
        assert_eq!(provider_message(r#"{"message":"m"}"#).unwrap(), "m");
        assert_eq!(provider_message("plain text").unwrap(), "plain text");
        assert_eq!(provider_message("  "), None);
    }

    #[test]
    fn retry_after_forms() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", "150".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(150)));
    }

    #[test]
    fn absurd_retry_after_values_are_bounded() {
        let of = |name: &str, value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            retry_after(&headers)
        };
        for value in ["inf", "-inf", "NaN", "-5", "abc", ""] {
            assert_eq!(of("retry-after", value), None, "{value}");
        }
        assert_eq!(of("retry-after", "1e20"), Some(RETRY_AFTER_CLAMP));
        assert_eq!(of("retry-after-ms", "1e300"), Some(RETRY_AFTER_CLAMP));
        assert_eq!(
            of("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT"),
            Some(RETRY_AFTER_CLAMP)
        );
        assert_eq!(
            of("retry-after", "Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_long_asked_wait_is_not_waited_for() {
        let error = Error::provider(Reason::RateLimit, "x")
            .with_retry_after(Some(MAX_RETRY_WAIT + Duration::from_secs(1)));
        assert_eq!(retry_delay(&error, 1, None), None);
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin("http://a:1/x", "http://a:1/y?z"));
        assert!(same_origin("https://a/x", "https://a:443/"));
        assert!(!same_origin("http://a:1/", "http://a:2/"));
        assert!(!same_origin("http://a/", "https://a/"));
        assert!(!same_origin("http://a/", "http://b/"));
        assert!(!same_origin("data:x", "data:x"));
    }

    proptest::proptest! {
        /// Whatever text a server puts in the headers, parsing never
        /// panics and never yields more than a day.
        #[test]
        fn retry_after_never_panics(value in "\\PC{0,40}", ms in "\\PC{0,40}", seconds in proptest::num::f64::ANY) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = value.parse() {
                headers.insert(reqwest::header::RETRY_AFTER, value);
            }
            if let Ok(ms) = ms.parse() {
                headers.insert("retry-after-ms", ms);
            }
            if let Some(wait) = retry_after(&headers) {
                proptest::prop_assert!(wait <= RETRY_AFTER_CLAMP);
            }
            let mut numeric = HeaderMap::new();
            numeric.insert(reqwest::header::RETRY_AFTER, seconds.to_string().parse().unwrap());
            if let Some(wait) = retry_after(&numeric) {
                proptest::prop_assert!(wait <= RETRY_AFTER_CLAMP);
            }
        }
    }

    #[test]
    fn only_transient_failures_are_retried_within_bounds() {
        let limited =
            Error::provider(Reason::RateLimit, "x").with_retry_after(Some(Duration::from_secs(2)));
        assert_eq!(retry_delay(&limited, 1, None), Some(Duration::from_secs(2)));
        assert_eq!(retry_delay(&limited, MAX_TRIES, None), None);
        let soon = Some(Instant::now() + Duration::from_millis(100));
        assert_eq!(
            retry_delay(&limited, 1, soon),
            None,
            "would pass the deadline"
        );
        assert_eq!(
            retry_delay(&Error::provider(Reason::Auth, "x"), 1, None),
            None
        );
        let server = Error::provider(Reason::ServerError, "x");
        assert_eq!(retry_delay(&server, 2, None), Some(Duration::from_secs(1)));
    }

    #[test]
    fn urls_lose_their_secrets() {
        let shown = redact_url("https://u:pw@host/v1/models?key=abc&alt=sse");
        assert!(!shown.contains("pw") && !shown.contains("abc"), "{shown}");
        assert!(shown.contains("alt=sse"));
    }
}
