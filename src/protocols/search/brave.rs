//! Brave Search API: `GET {base}/res/v1/web/search?q=&count=` with the key
//! in `X-Subscription-Token`; hits in `web.results[] {title, url, description}`.

use serde_json::Value;

use super::{Answer, Hit, SearchEndpoint, answer, finish, results, strip_tags, text, with_query};
use crate::error::Result;

pub const DEFAULT_BASE_URL: &str = "https://api.search.brave.com";
/// Brave accepts at most 20 results per request.
const MAX_COUNT: usize = 20;

pub async fn search(endpoint: &SearchEndpoint<'_>, query: &str, limit: usize) -> Result<Answer> {
    let url = endpoint.url("res/v1/web/search");
    let count = limit.clamp(1, MAX_COUNT).to_string();
    let request = endpoint
        .client
        .get(with_query(
            &url,
            &[("q", query), ("count", count.as_str())],
        )?)
        .header("Accept", "application/json")
        .header("X-Subscription-Token", endpoint.key())
        .timeout(endpoint.timeout);
    answer(request, &url, limit, parse).await
}

pub fn parse(raw: &Value, limit: usize) -> Vec<Hit> {
    finish(
        results(raw, "/web/results").iter().map(|r| Hit {
            title: strip_tags(&text(r, "title")),
            url: text(r, "url"),
            snippet: strip_tags(&text(r, "description")),
            site_name: None,
        }),
        limit,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_results_become_hits() {
        let raw = serde_json::json!({"type": "search", "web": {"results": [
            {"title": "The <strong>Rust</strong> Book", "url": "https://doc.rust-lang.org/book/", "description": "Learn <strong>Rust</strong>"},
            {"title": "no url"},
            {"title": "Rust", "url": "https://rust-lang.org/", "description": ""}
        ]}});
        let hits = parse(&raw, 5);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].title, "The Rust Book");
        assert_eq!(hits[0].snippet, "Learn Rust");
        assert_eq!(parse(&raw, 1).len(), 1);
        assert!(parse(&serde_json::json!({}), 5).is_empty());
    }
}
