//! Fetching a media file named by an http(s) URL (`image describe --file
//! https://...`), with a size cap and a basic SSRF guard: every hop's host
//! must resolve to public addresses only, unless the host is listed in
//! `OPENCLAW_MEDIA_ALLOW_PRIVATE_HOSTS`. Redirects are followed by hand so
//! each hop is checked.
//!
//! Kept to this one entry point (`fetch`) so the full guarded fetcher of
//! `web fetch` can replace it. Known gap: the address is checked, not pinned,
//! so a DNS answer that changes between check and connect is not caught.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::config::env;
use crate::error::{Error, Reason, Result};
use crate::http;

const MAX_REDIRECTS: usize = 5;

/// Bytes and the server's content type.
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

pub async fn fetch(url: &str, max_bytes: usize, deadline: Option<Instant>) -> Result<Fetched> {
    let mut current = parse(url)?;
    // Its own client: redirects must not be followed behind the guard's back.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .user_agent(concat!("openclaw/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| Error::internal(format!("cannot build the HTTP client: {error}")))?;
    for _ in 0..=MAX_REDIRECTS {
        check_host(&current).await?;
        let mut request = client.get(current.as_str());
        if let Some(deadline) = deadline {
            request = request.timeout(deadline.saturating_duration_since(Instant::now()));
        } else {
            request = request.timeout(Duration::from_secs(60));
        }
        let response = request
            .send()
            .await
            .map_err(|error| http::transport_error(error, current.as_str()))?;
        if response.status().is_redirection() {
            let Some(location) = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
            else {
                return Err(fetch_error(
                    &current,
                    "a redirect without a Location header",
                ));
            };
            current = current
                .join(location)
                .map_err(|_| fetch_error(&current, "a redirect to an invalid URL"))?;
            if !matches!(current.scheme(), "http" | "https") {
                return Err(fetch_error(&current, "a redirect to a non-http(s) URL"));
            }
            continue;
        }
        if !response.status().is_success() {
            let status = response.status().as_u16();
            return Err(Error::provider(
                Reason::Network,
                format!(
                    "fetching {} failed: HTTP {status}",
                    http::redact_url(current.as_str())
                ),
            )
            .with_status(status));
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
            return Err(too_large(&current, max_bytes));
        }
        let mut bytes = Vec::new();
        let mut body = response.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|error| http::transport_error(error, current.as_str()))?;
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large(&current, max_bytes));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Fetched {
            bytes,
            content_type,
        });
    }
    Err(fetch_error(&current, "too many redirects"))
}

fn parse(url: &str) -> Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| Error::usage(format!("--file {url} is not a valid URL: {error}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::usage(format!(
            "--file {url}: only http(s) URLs can be fetched"
        )));
    }
    if parsed.host_str().is_none() {
        return Err(Error::usage(format!("--file {url} has no host")));
    }
    Ok(parsed)
}

fn fetch_error(url: &reqwest::Url, what: &str) -> Error {
    Error::provider(
        Reason::Network,
        format!("fetching {} failed: {what}", http::redact_url(url.as_str())),
    )
}

fn too_large(url: &reqwest::Url, max_bytes: usize) -> Error {
    Error::usage(format!(
        "{} is larger than the {} MB limit",
        http::redact_url(url.as_str()),
        max_bytes / (1024 * 1024)
    ))
}

fn allowed_hosts() -> Vec<String> {
    env::var(env::MEDIA_ALLOW_PRIVATE_HOSTS)
        .map(|list| {
            list.split(',')
                .map(|h| h.trim().trim_matches(['[', ']']).to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Refuse hosts that resolve to loopback, private, link-local or other
/// non-public addresses, unless allowed by name.
async fn check_host(url: &reqwest::Url) -> Result<()> {
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    if allowed_hosts().contains(&host) {
        return Ok(());
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let addresses: Vec<IpAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|error| fetch_error(url, &format!("cannot resolve {host}: {error}")))?
            .map(|addr| addr.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err(fetch_error(url, &format!("{host} has no addresses")));
    }
    if let Some(blocked) = addresses.iter().find(|ip| !is_public(**ip)) {
        return Err(Error::usage(format!(
            "refusing to fetch {}: {host} resolves to a private or local address ({blocked})",
            http::redact_url(url.as_str())
        ))
        .with_hint(format!(
            "to allow it, add `{host}` to {} (comma-separated)",
            env::MEDIA_ALLOW_PRIVATE_HOSTS
        )));
    }
    Ok(())
}

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || v6 == Ipv6Addr::LOCALHOST)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for blocked in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(blocked.parse().unwrap()), "{blocked}");
        }
        for open in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(is_public(open.parse().unwrap()), "{open}");
        }
    }

    #[test]
    fn only_http_urls() {
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("ftp://example.com/a.png").is_err());
        assert!(parse("https://example.com/a.png").is_ok());
    }
}
