//! `web.fetch`: fetch one URL and return its readable text, through the
//! built-in fetcher (SSRF-guarded GET + readability) or Firecrawl.

use std::time::{Duration, Instant};

use reqwest::Url;
use serde::Serialize;

use crate::auth::Secret;
use crate::config::{Config, env};
use crate::context::Context;
use crate::error::{Error, Reason, Result};
use crate::protocols::firecrawl::scrape as firecrawl;
use crate::web::ExternalContent;
use crate::web::FetchFormat;
use crate::web::config::{FetchSettings, fetch_settings, plugin_settings};
use crate::web::extract::{self, Kind};
use crate::web::fetch::{self as fetcher, BROWSER_USER_AGENT, FetchOptions};
use crate::web::ssrf::{Guard, SsrfPolicy, normalize_host};

pub const DEFAULT_MAX_CHARS: u64 = 50_000;
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 2 * 1024 * 1024;
pub const DEFAULT_TIMEOUT_SECONDS: f64 = 30.0;
pub const DEFAULT_MAX_REDIRECTS: u32 = 3;

/// Fetch providers, in the order `web providers` lists them.
pub const FETCH_PROVIDERS: &[&str] = &["builtin", "firecrawl"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchProvider {
    Builtin,
    Firecrawl,
}

impl FetchProvider {
    pub fn id(self) -> &'static str {
        match self {
            FetchProvider::Builtin => "builtin",
            FetchProvider::Firecrawl => "firecrawl",
        }
    }

    pub fn parse(id: &str) -> Option<FetchProvider> {
        match id.trim().to_ascii_lowercase().as_str() {
            "builtin" | "built-in" | "readability" | "local" => Some(FetchProvider::Builtin),
            "firecrawl" => Some(FetchProvider::Firecrawl),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchResult {
    pub url: String,
    pub final_url: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub extract_mode: &'static str,
    pub extractor: &'static str,
    /// The extracted text inside untrusted-content markers.
    pub text: String,
    pub truncated: bool,
    /// Characters of `text` (with the markers).
    pub length: usize,
    /// Characters of the extracted text before wrapping.
    pub raw_length: usize,
    pub fetched_at: String,
    pub took_ms: u64,
    pub untrusted: bool,
    pub external_content: ExternalContent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// The provider a fetch uses: `--provider`, else `tools.web.fetch.provider`, else built-in.
/// `web fetch`'s one setting beyond the request: the provider, from
/// `--provider`, else `tools.web.fetch`.
pub fn resolve_provider(ctx: &Context, flag: Option<&str>) -> Result<FetchProvider> {
    selected_provider(flag, &fetch_settings(ctx.config()?)?)
}

pub fn selected_provider(flag: Option<&str>, settings: &FetchSettings) -> Result<FetchProvider> {
    if let Some(flag) = flag {
        return FetchProvider::parse(flag).ok_or_else(|| {
            Error::usage(format!(
                "`--provider {flag}`: unknown fetch provider (known: {})",
                FETCH_PROVIDERS.join(", ")
            ))
        });
    }
    match settings
        .provider
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        Some(id) => FetchProvider::parse(id).ok_or_else(|| {
            Error::config(format!(
                "tools.web.fetch.provider: unknown fetch provider `{id}` (known: {})",
                FETCH_PROVIDERS.join(", ")
            ))
        }),
        None => Ok(FetchProvider::Builtin),
    }
}

/// `--url`: an absolute http(s) URL with a host.
pub fn parse_url(text: &str) -> Result<Url> {
    let url = Url::parse(text.trim())
        .map_err(|error| Error::usage(format!("`--url {text}`: not a valid URL ({error})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(Error::usage(format!(
            "`--url {text}`: only http:// and https:// URLs can be fetched"
        )));
    }
    Ok(url)
}

struct Limits {
    max_chars: usize,
    max_response_bytes: usize,
    timeout: Duration,
    max_redirects: u32,
}

fn limits(settings: &FetchSettings) -> Result<Limits> {
    let positive = |value: Option<u64>, key: &str, default: u64| match value {
        Some(0) => Err(Error::config(format!(
            "tools.web.fetch.{key}: must be a positive number"
        ))),
        Some(n) => Ok(n),
        None => Ok(default),
    };
    let mut max_chars = positive(settings.max_chars, "maxChars", DEFAULT_MAX_CHARS)?;
    if let Some(cap) = settings.max_chars_cap {
        max_chars = max_chars.min(positive(Some(cap), "maxCharsCap", cap)?);
    }
    let max_response_bytes = positive(
        settings.max_response_bytes,
        "maxResponseBytes",
        DEFAULT_MAX_RESPONSE_BYTES,
    )?;
    let timeout = match settings.timeout_seconds {
        Some(seconds) if !(seconds > 0.0 && seconds.is_finite()) => {
            return Err(Error::config(
                "tools.web.fetch.timeoutSeconds: must be a positive number",
            ));
        }
        Some(seconds) => seconds,
        None => DEFAULT_TIMEOUT_SECONDS,
    };
    Ok(Limits {
        max_chars: max_chars as usize,
        max_response_bytes: max_response_bytes as usize,
        timeout: crate::config::bounds::seconds(timeout, Duration::from_secs(30)),
        max_redirects: settings.max_redirects.unwrap_or(DEFAULT_MAX_REDIRECTS),
    })
}

pub fn ssrf_policy(settings: &FetchSettings) -> SsrfPolicy {
    let policy = settings.ssrf_policy.as_ref();
    let names = |list: Option<&Vec<String>>| -> Vec<String> {
        list.map(|l| {
            l.iter()
                .map(|n| normalize_host(n))
                .filter(|n| !n.is_empty())
                .collect()
        })
        .unwrap_or_default()
    };
    SsrfPolicy {
        allow_private_network: policy.is_some_and(|p| p.dangerously_allow_private_network),
        allowed_hostnames: names(policy.map(|p| &p.allowed_hostnames)),
        blocked_hostnames: names(policy.map(|p| &p.blocked_hostnames)),
        allow_benchmark_range: policy.is_some_and(|p| p.allow_rfc2544_benchmark_range),
        allow_unique_local_range: policy.is_some_and(|p| p.allow_ipv6_unique_local_range),
    }
}

pub struct FetchRequest<'a> {
    pub url: &'a Url,
    pub format: FetchFormat,
    pub provider: FetchProvider,
}

fn mode_name(format: FetchFormat) -> &'static str {
    match format {
        FetchFormat::Markdown => "markdown",
        FetchFormat::Text => "text",
    }
}

pub async fn fetch(ctx: &Context, request: &FetchRequest<'_>) -> Result<FetchResult> {
    let config = ctx.config()?;
    let settings = fetch_settings(config)?;
    if settings.enabled == Some(false) {
        return Err(Error::config(
            "web fetch is turned off by `tools.web.fetch.enabled: false`",
        ));
    }
    let limits = limits(&settings)?;
    let started = Instant::now();
    let fetched_at = crate::web::now_rfc3339();
    let page = match request.provider {
        FetchProvider::Builtin => builtin(request, &settings, &limits).await?,
        FetchProvider::Firecrawl => {
            with_firecrawl(ctx, config, request, &settings, &limits).await?
        }
    };
    let (text, cut) = extract::truncate_chars(&page.text, limits.max_chars);
    let raw_length = text.chars().count();
    let wrapped = extract::wrap_untrusted(&text, "Web Fetch");
    let warning = match (page.bytes_truncated, cut) {
        (true, _) => Some(format!(
            "the response was larger than {} bytes and was cut there",
            limits.max_response_bytes
        )),
        (false, true) => Some(format!(
            "the text was cut at {} characters",
            limits.max_chars
        )),
        _ => None,
    };
    Ok(FetchResult {
        url: request.url.to_string(),
        final_url: page.final_url,
        status: page.status,
        content_type: page.content_type,
        title: page.title,
        extract_mode: mode_name(request.format),
        extractor: page.extractor,
        length: wrapped.chars().count(),
        text: wrapped,
        truncated: page.bytes_truncated || cut,
        raw_length,
        fetched_at,
        took_ms: started.elapsed().as_millis() as u64,
        untrusted: true,
        external_content: ExternalContent {
            untrusted: true,
            source: "web_fetch",
            wrapped: true,
            provider: request.provider.id(),
        },
        warning,
    })
}

struct Page {
    final_url: String,
    status: u16,
    content_type: Option<String>,
    title: Option<String>,
    text: String,
    extractor: &'static str,
    bytes_truncated: bool,
}

async fn builtin(
    request: &FetchRequest<'_>,
    settings: &FetchSettings,
    limits: &Limits,
) -> Result<Page> {
    let options = FetchOptions {
        max_response_bytes: limits.max_response_bytes,
        timeout: limits.timeout,
        max_redirects: limits.max_redirects,
        user_agent: settings
            .user_agent
            .as_ref()
            .map(|ua| ua.0.clone())
            .filter(|ua| !ua.trim().is_empty())
            .unwrap_or_else(|| BROWSER_USER_AGENT.to_owned()),
        guard: Guard::new(ssrf_policy(settings)),
    };
    let raw = fetcher::fetch(request.url, &options).await?;
    let content_type = raw.content_type.clone();
    let kind = extract::kind_of(content_type.as_deref(), &raw.body);
    let final_url = raw.final_url.to_string();
    if !(200..300).contains(&raw.status) {
        let (text, _) = extract::decode(&raw.body, content_type.as_deref(), kind == Kind::Html);
        let detail = if kind == Kind::Html {
            extract::html(&text, &final_url, FetchFormat::Text).text
        } else {
            text
        };
        let detail: String = detail
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(200)
            .collect();
        let reason = match raw.status {
            401 => Reason::Auth,
            403 => Reason::AuthPermanent,
            408 | 504 => Reason::Timeout,
            429 => Reason::RateLimit,
            503 => Reason::Overloaded,
            500..=599 => Reason::ServerError,
            _ => Reason::Unknown,
        };
        let mut message = format!(
            "{} answered HTTP {}",
            crate::http::redact_url(&final_url),
            raw.status
        );
        if !detail.is_empty() {
            message.push_str(&format!(": {detail}"));
        }
        return Err(Error::provider(reason, message).with_status(raw.status));
    }
    if kind == Kind::Binary {
        let shown =
            extract::mime_of(content_type.as_deref()).unwrap_or_else(|| "binary data".to_owned());
        return Err(Error::provider(
            Reason::Format,
            format!("{} returned {shown}, which web fetch does not turn into text", crate::http::redact_url(&final_url)),
        )
        .with_hint("web fetch reads HTML, plain text, JSON and XML; `--provider firecrawl` can read documents such as PDFs"));
    }
    let (decoded, _) = extract::decode(&raw.body, content_type.as_deref(), kind == Kind::Html);
    let (title, text, extractor) = match kind {
        Kind::Html if settings.readability != Some(false) => {
            let extracted = extract::html(&decoded, &final_url, request.format);
            (extracted.title, extracted.text, extracted.extractor)
        }
        Kind::Html => {
            let document = dom_query::Document::from(decoded.as_str());
            let title =
                Some(document.select("title").text().trim().to_owned()).filter(|t| !t.is_empty());
            document
                .select("script, style, noscript, template")
                .remove();
            (
                title,
                extract::tidy(&document.select("body").formatted_text()),
                "html-cleanup",
            )
        }
        Kind::Json => {
            // Pretty-printed when it parses (a cut body may not), else as received.
            let text = serde_json::from_str::<serde_json::Value>(&decoded)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(decoded);
            (None, text, "json")
        }
        Kind::Text | Kind::Binary => (None, decoded, "raw"),
    };
    Ok(Page {
        final_url,
        status: raw.status,
        content_type,
        title,
        text,
        extractor,
        bytes_truncated: raw.truncated,
    })
}

async fn with_firecrawl(
    ctx: &Context,
    config: &Config,
    request: &FetchRequest<'_>,
    settings: &FetchSettings,
    limits: &Limits,
) -> Result<Page> {
    // Obvious local targets never leave for a third party either.
    let policy = ssrf_policy(settings);
    if !policy.allow_private_network {
        if let Some(host) = request.url.host() {
            let name = normalize_host(&host.to_string());
            let literal = match host {
                url::Host::Ipv4(ip) => policy.refuses(ip.into()),
                url::Host::Ipv6(ip) => policy.refuses(ip.into()),
                url::Host::Domain(_) => None,
            };
            let local = name == "localhost"
                || name.ends_with(".localhost")
                || name.ends_with(".local")
                || name.ends_with(".internal");
            if (literal.is_some() || local || policy.is_blocked_name(&name))
                && !policy.allowed_hostnames.contains(&name)
            {
                return Err(Error::provider(
                    Reason::Unknown,
                    format!(
                        "refusing to send {} to Firecrawl: it is a local or blocked address",
                        request.url
                    ),
                ));
            }
        }
    }
    let plugin = plugin_settings(config, "firecrawl", "webFetch")?;
    let api_key = plugin
        .api_key()?
        .or_else(|| env::var(env::FIRECRAWL_API_KEY))
        .map(Secret::new);
    let base_url = plugin
        .base_url()
        .or_else(|| env::var(env::FIRECRAWL_BASE_URL))
        .unwrap_or_else(|| firecrawl::DEFAULT_BASE_URL.to_owned());
    let timeout = match plugin.number("timeoutSeconds")? {
        Some(seconds) if seconds > 0.0 && seconds.is_finite() => {
            crate::config::bounds::seconds(seconds, Duration::from_secs(60))
        }
        Some(_) => {
            return Err(Error::config(format!(
                "{}.timeoutSeconds: must be a positive number",
                plugin.path
            )));
        }
        None => Duration::from_secs(60).max(limits.timeout),
    };
    let scrape = firecrawl::ScrapeRequest {
        url: request.url.as_str(),
        only_main_content: plugin.bool("onlyMainContent")?.unwrap_or(true),
        max_age_ms: plugin
            .number("maxAgeMs")?
            .map_or(172_800_000, |ms| ms.max(0.0) as u64),
        timeout,
    };
    let scraped = firecrawl::scrape(ctx.client()?, &base_url, api_key.as_ref(), &scrape).await?;
    let text = match request.format {
        FetchFormat::Markdown => scraped.markdown,
        FetchFormat::Text => firecrawl::markdown_to_text(&scraped.markdown),
    };
    Ok(Page {
        final_url: scraped.final_url.unwrap_or_else(|| request.url.to_string()),
        status: scraped.status.unwrap_or(200),
        content_type: scraped.content_type,
        title: scraped.title,
        text: extract::tidy(&text),
        extractor: "firecrawl",
        bytes_truncated: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http() {
        assert!(parse_url("https://example.com/a").is_ok());
        assert_eq!(parse_url("file:///etc/passwd").unwrap_err().exit_code(), 2);
        assert_eq!(parse_url("example.com").unwrap_err().exit_code(), 2);
        assert_eq!(parse_url("javascript:alert(1)").unwrap_err().exit_code(), 2);
    }

    #[test]
    fn provider_selection() {
        let mut settings = FetchSettings::default();
        assert_eq!(
            selected_provider(None, &settings).unwrap(),
            FetchProvider::Builtin
        );
        assert_eq!(
            selected_provider(Some("firecrawl"), &settings).unwrap(),
            FetchProvider::Firecrawl
        );
        assert_eq!(
            selected_provider(Some("nope"), &settings)
                .unwrap_err()
                .exit_code(),
            2
        );
        settings.provider = Some("firecrawl".into());
        assert_eq!(
            selected_provider(None, &settings).unwrap(),
            FetchProvider::Firecrawl
        );
        assert_eq!(
            selected_provider(Some("builtin"), &settings).unwrap(),
            FetchProvider::Builtin
        );
    }
}
