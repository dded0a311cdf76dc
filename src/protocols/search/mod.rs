//! Web search APIs, one module per provider. Each sends one request and
//! normalises the answer into `{title, url, snippet}` hits, keeping the
//! provider's own payload as `raw`.

pub mod brave;
pub mod duckduckgo;
pub mod exa;
pub mod ollama;
pub mod perplexity;
pub mod searxng;
pub mod tavily;

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::auth::Secret;
use crate::error::{Error, Reason, Result};

/// Where and how to reach a search provider.
pub struct SearchEndpoint<'a> {
    pub client: &'a reqwest::Client,
    pub base_url: &'a str,
    pub api_key: Option<&'a Secret>,
    pub timeout: Duration,
}

impl SearchEndpoint<'_> {
    /// `base` + `path` with exactly one `/` between them.
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/{}",
            self.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        )
    }

    pub fn key(&self) -> &str {
        self.api_key.map(Secret::expose).unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hit {
    pub title: String,
    pub url: String,
    pub snippet: String,
    /// The result's host, where the provider's answer is shown with one
    /// (Ollama's, as the reference tool prints it).
    #[serde(rename = "siteName", skip_serializing_if = "Option::is_none")]
    pub site_name: Option<String>,
}

pub struct Answer {
    pub hits: Vec<Hit>,
    pub raw: Value,
}

/// Send, turn an error status into a classified error carrying the
/// provider's own message, and parse the JSON body.
pub async fn send_json(request: reqwest::RequestBuilder, url: &str) -> Result<Value> {
    let body = send_text(request, url).await?;
    let value: Value = serde_json::from_str(&body).map_err(|error| {
        Error::provider(
            Reason::Format,
            format!(
                "{} answered with something that is not JSON: {error}",
                crate::http::redact_url(url)
            ),
        )
    })?;
    // Some APIs answer 200 with an error object.
    if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| error.as_str().map(str::to_owned))
            .unwrap_or_else(|| error.to_string());
        return Err(Error::provider(Reason::Unknown, message));
    }
    Ok(value)
}

/// Send, turn an error status into a classified error, and read the body.
pub async fn send_text(request: reqwest::RequestBuilder, url: &str) -> Result<String> {
    let response = crate::protocols::send_checked(request, url).await?;
    crate::protocols::text_of(response, url).await
}

/// `send_json`, then the hits `parse` finds in the answer (at most `limit`).
pub async fn answer(
    request: reqwest::RequestBuilder,
    url: &str,
    limit: usize,
    parse: fn(&Value, usize) -> Vec<Hit>,
) -> Result<Answer> {
    let raw = send_json(request, url).await?;
    Ok(Answer {
        hits: parse(&raw, limit),
        raw,
    })
}

/// The result objects in the list at `pointer` (`/results`), or none.
pub fn results<'v>(raw: &'v Value, pointer: &str) -> &'v [Value] {
    raw.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A `{title, url, <snippet_key>}` result as a hit.
pub fn plain_hit(result: &Value, snippet_key: &str) -> Hit {
    Hit {
        title: text(result, "title"),
        url: text(result, "url"),
        snippet: text(result, snippet_key),
        site_name: None,
    }
}

/// `url` with `params` appended to its query string, percent-encoded.
pub fn with_query(url: &str, params: &[(&str, &str)]) -> Result<reqwest::Url> {
    let mut parsed = reqwest::Url::parse(url).map_err(|error| {
        Error::config(format!(
            "`{}` is not a valid URL: {error}",
            crate::http::redact_url(url)
        ))
    })?;
    parsed.query_pairs_mut().extend_pairs(params);
    Ok(parsed)
}

/// A string field, or empty.
pub fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or_default()
        .to_owned()
}

/// Drop HTML tags and decode the common entities (snippets often carry
/// `<strong>` highlighting).
pub fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
}

/// Hits with a URL, at most `limit` of them.
pub fn finish(hits: impl IntoIterator<Item = Hit>, limit: usize) -> Vec<Hit> {
    hits.into_iter()
        .filter(|hit| !hit.url.is_empty())
        .take(limit)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_entities_go() {
        assert_eq!(
            strip_tags("The <strong>Rust</strong> &amp; C book"),
            "The Rust & C book"
        );
    }
}
