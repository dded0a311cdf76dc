//! Perplexity Search API: `POST {base}/search` with `Authorization: Bearer`,
//! JSON body `{query, max_results}`; hits in `results[] {title, url, snippet}`.

use serde_json::{Value, json};

use super::{Answer, Hit, SearchEndpoint, answer, finish, plain_hit, results};
use crate::error::Result;

pub const DEFAULT_BASE_URL: &str = "https://api.perplexity.ai";
const MAX_RESULTS: usize = 20;

pub async fn search(endpoint: &SearchEndpoint<'_>, query: &str, limit: usize) -> Result<Answer> {
    let url = endpoint.url("search");
    let body = json!({"query": query, "max_results": limit.clamp(1, MAX_RESULTS)});
    let request = endpoint
        .client
        .post(&url)
        .bearer_auth(endpoint.key())
        .json(&body)
        .timeout(endpoint.timeout);
    answer(request, &url, limit, parse).await
}

pub fn parse(raw: &Value, limit: usize) -> Vec<Hit> {
    let hits = results(raw, "/results").iter();
    finish(hits.map(|r| plain_hit(r, "snippet")), limit)
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_become_hits() {
        let raw = serde_json::json!({"id": "x", "results": [{"title": "T", "url": "https://t.example/", "snippet": "S", "date": "2025-01-01"}]});
        assert_eq!(super::parse(&raw, 5)[0].snippet, "S");
    }
}
