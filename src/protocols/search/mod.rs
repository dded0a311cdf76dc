//! Web search APIs, one module per provider. Each sends one request and
//! normalises the answer into `{title, url, snippet}` hits, keeping the
//! provider's own payload as `raw`.

pub mod brave;
pub mod duckduckgo;
pub mod exa;
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

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub title: String,
    pub url: String,
    pub snippet: String,
}

pub struct Answer {
    pub hits: Vec<Hit>,
    pub raw: Value,
}

/// Send, turn an error status into a classified error carrying the
/// provider's own message, and parse the JSON body.
pub async fn send_json(request: reqwest::RequestBuilder, url: &str) -> Result<Value> {
    let response = request
        .send()
        .await
        .map_err(|error| crate::http::transport_error(error, url))?;
    if !response.status().is_success() {
        return Err(crate::http::error_from_response(response).await);
    }
    let body = response
        .text()
        .await
        .map_err(|error| crate::http::transport_error(error, url))?;
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
