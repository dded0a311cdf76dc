//! Firecrawl scrape as an alternative `web fetch` extractor:
//! `POST {base}/v2/scrape` (`Authorization: Bearer` when a key is set) with
//! `{url, formats: ["markdown"], onlyMainContent, maxAge, proxy, storeInCache, timeout}`;
//! the answer is `{success, data: {markdown, metadata: {title, sourceURL, url, statusCode, contentType}}}`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::auth::Secret;
use crate::error::{Error, Reason, Result};

pub const DEFAULT_BASE_URL: &str = "https://api.firecrawl.dev";

pub struct ScrapeRequest<'a> {
    pub url: &'a str,
    pub only_main_content: bool,
    pub max_age_ms: u64,
    pub timeout: Duration,
}

#[derive(Debug)]
pub struct Scraped {
    pub markdown: String,
    pub title: Option<String>,
    pub final_url: Option<String>,
    pub status: Option<u16>,
    pub content_type: Option<String>,
}

pub fn body(request: &ScrapeRequest<'_>) -> Value {
    json!({
        "url": request.url,
        "formats": ["markdown"],
        "onlyMainContent": request.only_main_content,
        "maxAge": request.max_age_ms,
        "proxy": "auto",
        "storeInCache": true,
        "timeout": request.timeout.as_millis() as u64,
    })
}

pub async fn scrape(
    client: &reqwest::Client,
    base_url: &str,
    api_key: Option<&Secret>,
    request: &ScrapeRequest<'_>,
) -> Result<Scraped> {
    let url = format!("{}/v2/scrape", base_url.trim_end_matches('/'));
    let builder = client
        .post(&url)
        .json(&body(request))
        .timeout(request.timeout + Duration::from_secs(5));
    let builder = crate::protocols::KeyStyle::Bearer.apply(builder, api_key);
    let response = crate::protocols::send_checked(builder, &url).await?;
    let text = crate::protocols::text_of(response, &url).await?;
    let value: Value = serde_json::from_str(&text).map_err(|error| {
        Error::provider(
            Reason::Format,
            format!("Firecrawl answered with something that is not JSON: {error}"),
        )
    })?;
    parse(&value)
}

pub fn parse(value: &Value) -> Result<Scraped> {
    if value.get("success").and_then(Value::as_bool) == Some(false) {
        let message = value
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("Firecrawl reported a failure");
        return Err(Error::provider(Reason::Unknown, message.to_owned()));
    }
    let data = value
        .get("data")
        .ok_or_else(|| Error::provider(Reason::Format, "Firecrawl's answer has no `data`"))?;
    let metadata = data.get("metadata").cloned().unwrap_or(Value::Null);
    let string = |key: &str| {
        metadata
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    Ok(Scraped {
        markdown: data
            .get("markdown")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        title: string("title"),
        final_url: string("url").or_else(|| string("sourceURL")),
        status: metadata
            .get("statusCode")
            .and_then(Value::as_u64)
            .map(|s| s as u16),
        content_type: string("contentType"),
    })
}

/// Plain text from Firecrawl's Markdown for `--format text`: headings,
/// emphasis and link syntax removed, link text kept.
pub fn markdown_to_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let line = line.trim_start_matches('#').trim_start_matches(['>', ' ']);
        let mut rest = line;
        let mut plain = String::new();
        while let Some(open) = rest.find('[') {
            let after = &rest[open + 1..];
            match (after.find("]("), after.find(']')) {
                (Some(close), Some(first)) if close == first => {
                    let target_end = after[close + 2..].find(')').map(|e| close + 2 + e);
                    let Some(end) = target_end else { break };
                    plain.push_str(rest[..open].trim_end_matches('!'));
                    plain.push_str(&after[..close]);
                    rest = &after[end + 1..];
                }
                _ => {
                    plain.push_str(&rest[..=open]);
                    rest = after;
                }
            }
        }
        plain.push_str(rest);
        out.push_str(&plain.replace("**", "").replace("__", ""));
        out.push('\n');
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrape_answers_parse() {
        let value = json!({"success": true, "data": {"markdown": "# Hi", "metadata": {
            "title": "Hi", "sourceURL": "https://a/", "url": "https://a/final", "statusCode": 200, "contentType": "text/html"}}});
        let scraped = parse(&value).unwrap();
        assert_eq!(scraped.markdown, "# Hi");
        assert_eq!(scraped.final_url.as_deref(), Some("https://a/final"));
        assert_eq!(scraped.status, Some(200));
        let failed = parse(&json!({"success": false, "error": "Payment required"})).unwrap_err();
        assert_eq!(failed.message(), "Payment required");
    }

    #[test]
    fn markdown_becomes_text() {
        assert_eq!(
            markdown_to_text(
                "## Title\nSee [the docs](https://x/) and **bold** ![img](i.png) [x] done"
            ),
            "Title\nSee the docs and bold img [x] done"
        );
    }
}
