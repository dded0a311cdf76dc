//! The built-in fetcher: one guarded GET with a browser-like User-Agent,
//! redirects followed by hand (each hop re-checked by the SSRF guard), a
//! byte cap on the decompressed body, and one deadline for the whole
//! exchange.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Url;
use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, CONTENT_TYPE, LOCATION};

use super::ssrf::Guard;
use crate::error::{Error, Reason, Result};

/// What Chrome on Linux sends; some sites refuse unknown agents.
pub const BROWSER_USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

pub struct FetchOptions {
    pub max_response_bytes: usize,
    pub timeout: Duration,
    pub max_redirects: u32,
    pub user_agent: String,
    pub guard: Guard,
}

/// The answer as received: bytes not yet decoded.
#[derive(Debug)]
pub struct RawPage {
    pub final_url: Url,
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    /// The body was longer than `max_response_bytes` and was cut there.
    pub truncated: bool,
}

pub async fn fetch(url: &Url, options: &FetchOptions) -> Result<RawPage> {
    match tokio::time::timeout(options.timeout, fetch_inner(url, options)).await {
        Ok(result) => result,
        Err(_) => Err(Error::provider(
            Reason::Timeout,
            format!(
                "fetching {} took longer than {} s",
                crate::http::redact_url(url.as_str()),
                options.timeout.as_secs_f64()
            ),
        )
        .with_hint("raise `tools.web.fetch.timeoutSeconds` for slow sites")),
    }
}

fn client(options: &FetchOptions) -> Result<reqwest::Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(options.user_agent.clone())
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve names itself and bypass the pinned addresses.
        .no_proxy()
        .dns_resolver(options.guard.resolver())
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        // Same trust as provider requests, read only if a page uses TLS.
        .tls_backend_preconfigured(crate::tls::client_config())
        .build()
        .map_err(|error| Error::internal(format!("cannot build the HTTP client: {error}")))
}

async fn fetch_inner(url: &Url, options: &FetchOptions) -> Result<RawPage> {
    let client = client(options)?;
    let mut current = url.clone();
    let mut redirects = 0u32;
    loop {
        options.guard.check(&current).await?;
        let response = client
            .get(current.clone())
            .header(
                ACCEPT,
                "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5",
            )
            .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9")
            .send()
            .await
            .map_err(|error| crate::http::transport_error(error, current.as_str()))?;
        let status = response.status();
        if status.is_redirection() {
            if let Some(location) = response.headers().get(LOCATION) {
                let location = location.to_str().map_err(|_| {
                    Error::provider(
                        Reason::Format,
                        "a redirect carried a Location that is not text",
                    )
                })?;
                let next = current.join(location).map_err(|error| {
                    Error::provider(
                        Reason::Format,
                        format!("a redirect pointed at an invalid URL `{location}`: {error}"),
                    )
                })?;
                if redirects >= options.max_redirects {
                    return Err(Error::provider(
                        Reason::Unknown,
                        format!(
                            "too many redirects: {} answered with another redirect after {redirects} (limit {})",
                            crate::http::redact_url(current.as_str()),
                            options.max_redirects
                        ),
                    )
                    .with_hint("`tools.web.fetch.maxRedirects` sets the limit"));
                }
                redirects += 1;
                current = next;
                continue;
            }
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let (body, truncated) = read_capped(response, options.max_response_bytes, &current).await?;
        return Ok(RawPage {
            final_url: current,
            status: status.as_u16(),
            content_type,
            body,
            truncated,
        });
    }
}

/// Read at most `cap` bytes; the rest is never downloaded.
async fn read_capped(
    response: reqwest::Response,
    cap: usize,
    url: &Url,
) -> Result<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| crate::http::transport_error(error, url.as_str()))?;
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}
