//! Ollama web search: `POST {host}/api/experimental/web_search` (a local
//! Ollama relaying to its cloud), then `POST {host}/api/web_search`, with
//! `{query, max_results}`; hits in `results[] {title, url, content}`. A
//! host that answers 404 passes the search to the next route; with
//! `OLLAMA_API_KEY` set, the last route is ollama.com's own.

use serde_json::{Value, json};

use super::{Answer, Hit, SearchEndpoint, finish, plain_hit, results};
use crate::auth::Secret;
use crate::error::{Error, Reason, Result};

pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:11434";
pub const CLOUD_BASE_URL: &str = "https://ollama.com";
const LOCAL_PATH: &str = "api/experimental/web_search";
const HOSTED_PATH: &str = "api/web_search";
/// Snippets are cut to this many characters, as the reference tool does.
const SNIPPET_CHARS: usize = 300;

/// Where one search is tried, in order, and with which key.
fn routes<'a>(
    base_url: &'a str,
    key: Option<&'a Secret>,
    cloud_key: Option<&'a Secret>,
) -> Vec<(&'a str, &'static str, Option<&'a Secret>)> {
    let base = base_url.trim_end_matches('/');
    if base == CLOUD_BASE_URL {
        return vec![(base, HOSTED_PATH, key.or(cloud_key))];
    }
    let mut routes = vec![(base, LOCAL_PATH, key), (base, HOSTED_PATH, key)];
    if cloud_key.is_some() {
        routes.push((CLOUD_BASE_URL, HOSTED_PATH, cloud_key));
    }
    routes
}

/// `cloud_key` (`OLLAMA_API_KEY`) only ever goes to ollama.com.
pub async fn search(
    endpoint: &SearchEndpoint<'_>,
    query: &str,
    limit: usize,
    cloud_key: Option<&Secret>,
) -> Result<Answer> {
    let body = json!({"query": query, "max_results": limit});
    let mut last = None;
    for (base, path, key) in routes(endpoint.base_url, endpoint.api_key, cloud_key) {
        let url = format!("{base}/{path}");
        let mut request = endpoint
            .client
            .post(&url)
            .json(&body)
            .timeout(endpoint.timeout);
        if let Some(key) = key {
            request = request.bearer_auth(key.expose());
        }
        match super::send_json(request, &url).await {
            Ok(raw) => {
                return Ok(Answer {
                    hits: parse(&raw, limit),
                    raw,
                });
            }
            Err(error) if error.status() == Some(404) => last = Some(error),
            Err(error) => return Err(explain(error, base)),
        }
    }
    Err(last.unwrap_or_else(|| Error::provider(Reason::Unknown, "Ollama web search failed")))
}

/// What a refusal means for Ollama's web search.
fn explain(error: Error, base: &str) -> Error {
    match error.status() {
        Some(401) if base == CLOUD_BASE_URL => error.with_hint(
            "hosted Ollama web search needs a key: set OLLAMA_API_KEY or `models.providers.ollama.apiKey`",
        ),
        Some(401) => error.with_hint("sign the Ollama host in to its cloud: `ollama signin`"),
        Some(403) => {
            error.with_hint("turn on cloud-backed web search on the Ollama host")
        }
        _ => error,
    }
}

pub fn parse(raw: &Value, limit: usize) -> Vec<Hit> {
    let hits = results(raw, "/results").iter().map(|result| {
        let mut hit = plain_hit(result, "content");
        if let Some((cut, _)) = hit.snippet.char_indices().nth(SNIPPET_CHARS) {
            hit.snippet.truncate(cut);
        }
        hit.site_name = site_name(&hit.url);
        hit
    });
    finish(hits, limit)
}

/// `https://www.example.com/a` -> `example.com`.
fn site_name(url: &str) -> Option<String> {
    let host = reqwest::Url::parse(url).ok()?.host_str()?.to_owned();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_host_is_tried_on_both_routes_then_the_cloud() {
        let key = Secret::new("env-key-123456".to_owned());
        let tried: Vec<String> = routes("http://127.0.0.1:11434/", None, Some(&key))
            .iter()
            .map(|(base, path, key)| format!("{base}/{path} {}", key.is_some()))
            .collect();
        assert_eq!(
            tried,
            [
                "http://127.0.0.1:11434/api/experimental/web_search false",
                "http://127.0.0.1:11434/api/web_search false",
                "https://ollama.com/api/web_search true",
            ]
        );
        assert_eq!(routes(CLOUD_BASE_URL, None, Some(&key)).len(), 1);
    }

    #[test]
    fn snippets_are_cut_and_urlless_results_dropped() {
        let long = "é".repeat(400);
        let raw = json!({"results": [
            {"title": "T", "url": "https://t.example/", "content": long},
            {"title": "no url", "content": "x"},
        ]});
        let hits = parse(&raw, 5);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].snippet.chars().count(), SNIPPET_CHARS);
        assert_eq!(hits[0].site_name.as_deref(), Some("t.example"));
    }
}
