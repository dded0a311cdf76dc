//! DuckDuckGo without a key: the non-JavaScript HTML page
//! `GET {base}/html/?q=` (`kl` region, `kp` SafeSearch), parsed for
//! `.result` blocks. Unofficial: a bot-challenge page is reported as an error.

use reqwest::Url;
use serde_json::json;

use super::{Answer, Hit, SearchEndpoint, finish, send_text, with_query};
use crate::error::{Error, Reason, Result};
use crate::web::fetch::BROWSER_USER_AGENT;

pub const DEFAULT_BASE_URL: &str = "https://html.duckduckgo.com";

pub struct Options<'a> {
    pub region: Option<&'a str>,
    /// `strict`, `moderate` (default) or `off`.
    pub safe_search: Option<&'a str>,
}

pub fn safe_search_param(level: Option<&str>) -> Result<&'static str> {
    match level.unwrap_or("moderate") {
        "strict" => Ok("1"),
        "moderate" => Ok("-1"),
        "off" => Ok("-2"),
        other => Err(Error::config(format!(
            "plugins.entries.duckduckgo.config.webSearch.safeSearch: `{other}` is not strict, moderate or off"
        ))),
    }
}

pub async fn search(
    endpoint: &SearchEndpoint<'_>,
    query: &str,
    limit: usize,
    options: &Options<'_>,
) -> Result<Answer> {
    let url = endpoint.url("html/");
    let mut params = vec![
        ("q", query),
        ("kp", safe_search_param(options.safe_search)?),
    ];
    if let Some(region) = options.region {
        params.push(("kl", region));
    }
    let request = endpoint
        .client
        .get(with_query(&url, &params)?)
        .header("User-Agent", BROWSER_USER_AGENT)
        .header("Accept", "text/html")
        .timeout(endpoint.timeout);
    let page = send_text(request, &url).await?;
    let hits = parse(&page)?;
    let raw = json!({"html": page});
    Ok(Answer {
        hits: finish(hits, limit),
        raw,
    })
}

/// The result links point at `/l/?uddg=<target>`; unwrap them.
fn target_url(href: &str) -> String {
    let absolute = if href.starts_with("//") {
        format!("https:{href}")
    } else {
        href.to_owned()
    };
    match Url::parse(&absolute)
        .or_else(|_| Url::parse("https://duckduckgo.com").and_then(|base| base.join(href)))
    {
        Ok(parsed) => parsed
            .query_pairs()
            .find(|(key, _)| key == "uddg")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| parsed.to_string()),
        Err(_) => href.to_owned(),
    }
}

pub fn parse(page: &str) -> Result<Vec<Hit>> {
    let document = dom_query::Document::from(page);
    let mut hits = Vec::new();
    for result in document.select("div.result").iter() {
        if result.has_class("result--ad") {
            continue;
        }
        let link = result.select("a.result__a");
        let Some(href) = link.attr("href") else {
            continue;
        };
        hits.push(Hit {
            title: link.text().trim().to_owned(),
            url: target_url(&href),
            snippet: result
                .select(".result__snippet")
                .text()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
            site_name: None,
        });
    }
    if hits.is_empty()
        && (document.select("form#challenge-form").exists() || page.contains("anomaly-modal"))
    {
        return Err(Error::provider(
            Reason::RateLimit,
            "DuckDuckGo answered with a bot challenge instead of results",
        )
        .with_hint(
            "try again later, or configure an API-backed provider such as brave or searxng",
        ));
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><body><div class="serp__results">
      <div class="result results_links result--ad"><a class="result__a" href="https://ad.example/">Ad</a></div>
      <div class="result results_links results_links_deep web-result">
        <h2 class="result__title"><a rel="nofollow" class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fwww.rust-lang.org%2F&amp;rut=abc">Rust Programming Language</a></h2>
        <a class="result__snippet" href="x">A language empowering <b>everyone</b> to build reliable software.</a>
      </div>
      <div class="result results_links web-result">
        <h2 class="result__title"><a class="result__a" href="https://doc.rust-lang.org/book/">The Book</a></h2>
        <div class="result__snippet">Read it.</div>
      </div></div></body></html>"#;

    #[test]
    fn results_are_parsed_and_links_unwrapped() {
        let hits = parse(PAGE).unwrap();
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(hits[0].title, "Rust Programming Language");
        assert_eq!(hits[0].url, "https://www.rust-lang.org/");
        assert_eq!(
            hits[0].snippet,
            "A language empowering everyone to build reliable software."
        );
        assert_eq!(hits[1].url, "https://doc.rust-lang.org/book/");
    }

    #[test]
    fn a_challenge_page_is_an_error() {
        let page =
            r#"<html><body><form id="challenge-form" action="/anomaly.js"></form></body></html>"#;
        assert_eq!(parse(page).unwrap_err().reason(), Reason::RateLimit);
        assert!(
            parse("<html><body>No results.</body></html>")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn safe_search_levels() {
        assert_eq!(safe_search_param(None).unwrap(), "-1");
        assert_eq!(safe_search_param(Some("strict")).unwrap(), "1");
        assert!(safe_search_param(Some("maybe")).is_err());
    }
}
