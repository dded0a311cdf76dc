//! SearXNG (and the original searx): `GET {base}/search?q=&format=json`
//! (optional `categories`, `language`); hits in `results[] {title, url, content}`.

use serde_json::Value;

use super::{Answer, Hit, SearchEndpoint, answer, finish, plain_hit, results, with_query};
use crate::error::Result;

pub struct Options<'a> {
    pub categories: Option<&'a str>,
    pub language: Option<&'a str>,
}

pub async fn search(
    endpoint: &SearchEndpoint<'_>,
    query: &str,
    limit: usize,
    options: &Options<'_>,
) -> Result<Answer> {
    let url = endpoint.url("search");
    let mut params = vec![("q", query), ("format", "json")];
    if let Some(categories) = options.categories {
        params.push(("categories", categories));
    }
    if let Some(language) = options.language {
        params.push(("language", language));
    }
    let request = endpoint
        .client
        .get(with_query(&url, &params)?)
        .header("Accept", "application/json")
        .timeout(endpoint.timeout);
    answer(request, &url, limit, parse).await
}

pub fn parse(raw: &Value, limit: usize) -> Vec<Hit> {
    let hits = results(raw, "/results").iter();
    finish(hits.map(|r| plain_hit(r, "content")), limit)
}

/// Engines searx could not use for this query (`unresponsive_engines`:
/// `[[name, reason], ...]`), to explain an empty answer.
pub fn unresponsive(raw: &Value) -> Vec<String> {
    raw.get("unresponsive_engines")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let pair = item.as_array()?;
                    Some(format!(
                        "{}: {}",
                        pair.first()?.as_str()?,
                        pair.get(1).and_then(Value::as_str).unwrap_or("error")
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_and_unresponsive_engines() {
        let raw = serde_json::json!({"query": "q", "number_of_results": 0, "results": [
            {"title": "T", "url": "https://t/", "content": "C", "engine": "localdocs"}],
            "unresponsive_engines": [["localdocs", "error"]]});
        assert_eq!(parse(&raw, 5)[0].title, "T");
        assert_eq!(unresponsive(&raw), ["localdocs: error"]);
    }
}
