//! Fetching a file a provider points at (a generated image or video):
//! with the key on the provider's own origin, through the SSRF guard with
//! no credentials anywhere else, capped in size.

use super::{Endpoint, KeyStyle, format_error};
use crate::error::{Error, Reason, Result};
use crate::http;
use crate::protocols::images::decode_data_url;

/// Fetch a provider-hosted result (`url` from an answer), capped in size.
/// On the provider's own origin it goes with the key in `auth`
/// (`KeyStyle::None` for a public file); anywhere else, or after a redirect
/// elsewhere, it goes through the SSRF guard with no key and no configured
/// headers.
pub async fn download(
    endpoint: Endpoint<'_>,
    url: &str,
    max_bytes: usize,
    auth: KeyStyle,
) -> Result<(Vec<u8>, Option<String>)> {
    if let Some(decoded) = decode_data_url(url) {
        return decoded.map(|bytes| (bytes, None));
    }
    if !http::same_origin(url, endpoint.base_url) {
        return download_foreign(&endpoint, url, max_bytes).await;
    }
    let mut builder = auth.apply(endpoint.client.get(url), endpoint.api_key);
    if let Some(deadline) = endpoint.deadline {
        builder = builder.timeout(deadline.saturating_duration_since(std::time::Instant::now()));
    }
    let response = builder
        .send()
        .await
        .map_err(|error| http::transport_error(error, url))?;
    if response.status().is_redirection() {
        // The client follows redirects only on the same origin.
        return match http::redirect_target(&response) {
            Some(target) => download_foreign(&endpoint, target.as_str(), max_bytes).await,
            None => Err(http::redirect_error(url, &response)),
        };
    }
    if !response.status().is_success() {
        return Err(http::error_from_response(response).await);
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if response
        .content_length()
        .is_some_and(|len| len as usize > max_bytes)
    {
        return Err(too_large(url, max_bytes));
    }
    let mut bytes = Vec::new();
    let mut stream = response.bytes_stream();
    use futures_util::StreamExt;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| http::body_error(error, url))?;
        if bytes.len() + chunk.len() > max_bytes {
            return Err(too_large(url, max_bytes));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, content_type))
}

/// A result on another origin: the guarded fetcher (each hop's addresses
/// checked against `tools.web.fetch.ssrfPolicy`), without credentials.
async fn download_foreign(
    endpoint: &Endpoint<'_>,
    url: &str,
    max_bytes: usize,
) -> Result<(Vec<u8>, Option<String>)> {
    use crate::web::fetch::{FetchOptions, fetch};
    use crate::web::ssrf::{Guard, SsrfPolicy};
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| format_error(format!("an invalid file URL: {error}")))?;
    let options = FetchOptions {
        max_response_bytes: max_bytes,
        timeout: endpoint
            .deadline
            .map_or(http::DEFAULT_REQUEST_TIMEOUT, |d| {
                d.saturating_duration_since(std::time::Instant::now())
            }),
        max_redirects: 3,
        user_agent: concat!("openclaw/", env!("CARGO_PKG_VERSION")).to_owned(),
        guard: endpoint
            .guard
            .cloned()
            .unwrap_or_else(|| Guard::new(SsrfPolicy::default())),
    };
    let page = fetch(&parsed, &options).await?;
    if page.truncated {
        return Err(too_large(url, max_bytes));
    }
    if !(200..300).contains(&page.status) {
        let status =
            reqwest::StatusCode::from_u16(page.status).unwrap_or(reqwest::StatusCode::BAD_GATEWAY);
        return Err(http::error_from_parts(status, None, "")
            .context(format!("downloading {}", http::redact_url(url))));
    }
    Ok((page.body, page.content_type))
}

pub(crate) fn too_large(url: &str, max_bytes: usize) -> Error {
    Error::provider(
        Reason::Format,
        format!(
            "the file at {} is larger than the {} MB limit",
            http::redact_url(url),
            max_bytes / (1024 * 1024)
        ),
    )
}
