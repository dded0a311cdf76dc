//! Exa: `POST {base}/search` with the key in `x-api-key`, JSON body
//! `{query, numResults, type, contents: {highlights: true}}`. The snippet
//! comes from highlights, else summary, else text.

use serde_json::{Value, json};

use super::{Answer, Hit, SearchEndpoint, answer, finish, results, text};
use crate::error::Result;

pub const DEFAULT_BASE_URL: &str = "https://api.exa.ai";
const MAX_RESULTS: usize = 100;
const SNIPPET_CHARS: usize = 500;

/// Bare hosts get `https://`; `/search` is appended unless already there.
pub fn endpoint_url(base: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    let base = if base.contains("://") {
        base.to_owned()
    } else {
        format!("https://{base}")
    };
    if base.ends_with("/search") {
        base
    } else {
        format!("{base}/search")
    }
}

pub async fn search(endpoint: &SearchEndpoint<'_>, query: &str, limit: usize) -> Result<Answer> {
    let url = endpoint_url(endpoint.base_url);
    let body = json!({
        "query": query,
        "numResults": limit.clamp(1, MAX_RESULTS),
        "type": "auto",
        "contents": {"highlights": true},
    });
    let request = endpoint
        .client
        .post(&url)
        .header("x-api-key", endpoint.key())
        .json(&body)
        .timeout(endpoint.timeout);
    answer(request, &url, limit, parse).await
}

fn snippet(result: &Value) -> String {
    let highlights: Vec<&str> = result
        .get("highlights")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let chosen = if !highlights.is_empty() {
        highlights.join(" … ")
    } else if !text(result, "summary").is_empty() {
        text(result, "summary")
    } else {
        text(result, "text")
    };
    chosen.chars().take(SNIPPET_CHARS).collect()
}

pub fn parse(raw: &Value, limit: usize) -> Vec<Hit> {
    finish(
        results(raw, "/results").iter().map(|r| Hit {
            title: text(r, "title"),
            url: text(r, "url"),
            snippet: snippet(r),
            site_name: None,
        }),
        limit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_prefer_highlights_then_summary_then_text() {
        let raw = json!({"results": [
            {"title": "A", "url": "https://a/", "highlights": ["one", "two"], "summary": "s"},
            {"title": "B", "url": "https://b/", "summary": "sum", "text": "t"},
            {"title": "C", "url": "https://c/", "text": "body"}
        ]});
        let hits = parse(&raw, 5);
        assert_eq!(hits[0].snippet, "one … two");
        assert_eq!(hits[1].snippet, "sum");
        assert_eq!(hits[2].snippet, "body");
    }

    #[test]
    fn base_urls_are_normalised() {
        assert_eq!(endpoint_url("api.exa.ai"), "https://api.exa.ai/search");
        assert_eq!(
            endpoint_url("http://127.0.0.1:9/"),
            "http://127.0.0.1:9/search"
        );
        assert_eq!(
            endpoint_url("https://proxy/x/search"),
            "https://proxy/x/search"
        );
    }
}
