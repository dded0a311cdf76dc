//! `infer web search` and `web providers` against loopback replays of each
//! provider's API, asserting on what the provider received.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, received_bodies};

/// `plugins.entries.<id>.config.webSearch.baseUrl` pointing at `server`.
fn env_with_base(id: &str, server: &MockServer, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ plugins: {{ entries: {{ {id}: {{ config: {{ webSearch: {{ baseUrl: "{}" {extra} }} }} }} }} }} }}"#,
        server.uri()
    ));
    env
}

fn hits(out: &crate::support::Outcome) -> Value {
    let envelope = out.json();
    assert_eq!(envelope["ok"], true, "{out:?}");
    assert_eq!(envelope["capability"], "web.search");
    envelope["outputs"][0]["result"].clone()
}

#[tokio::test]
async fn searxng_json_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/search"))
        .and(query_param("q", "sea otters"))
        .and(query_param("format", "json"))
        .and(query_param("language", "en"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "query": "sea otters", "number_of_results": 0,
            "results": [
                {"title": "Sea otter", "url": "https://en.wikipedia.org/wiki/Sea_otter", "content": "A marine mammal.", "engine": "wikipedia"},
                {"title": "Otters", "url": "https://otters.example/", "content": "All about otters.", "engine": "ddg"},
                {"title": "Third", "url": "https://third.example/", "content": "", "engine": "ddg"}
            ],
            "answers": [], "unresponsive_engines": []
        })))
        .mount(&server)
        .await;
    let env = env_with_base("searxng", &server, r#", language: "en""#);
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--query",
        "sea otters",
        "--limit",
        "2",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["provider"], "searxng");
    let result = hits(&out);
    assert_eq!(result["provider"], "searxng");
    assert_eq!(result["query"], "sea otters");
    assert_eq!(result["count"], 2);
    assert_eq!(
        result["results"],
        json!([
            {"title": "Sea otter", "url": "https://en.wikipedia.org/wiki/Sea_otter", "snippet": "A marine mammal."},
            {"title": "Otters", "url": "https://otters.example/", "snippet": "All about otters."}
        ])
    );
    assert_eq!(
        result["raw"]["results"].as_array().unwrap().len(),
        3,
        "raw payload kept whole"
    );
    assert_eq!(result["externalContent"]["untrusted"], true);

    // Text mode: a numbered list.
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--query",
        "sea otters",
        "--limit",
        "2",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.starts_with("1. Sea otter\n   https://en.wikipedia.org/wiki/Sea_otter\n   A marine mammal.\n2. Otters"), "{}", out.stdout);
}

#[tokio::test]
async fn searxng_from_the_environment_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": []})))
        .mount(&server)
        .await;
    let env = TestEnv::new().env("SEARXNG_BASE_URL", &server.uri());
    let out = env.run(&["infer", "web", "search", "--query", "x", "--json"]);
    assert_eq!(hits(&out)["provider"], "searxng");
    assert_eq!(hits(&out)["results"], json!([]));
}

#[tokio::test]
async fn brave_sends_its_subscription_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/res/v1/web/search"))
        .and(query_param("q", "rust book"))
        .and(query_param("count", "3"))
        .and(header("x-subscription-token", "brave-test-key"))
        .and(header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "type": "search", "query": {"original": "rust book"},
            "web": {"type": "search", "results": [
                {"title": "The <strong>Rust</strong> Programming Language", "url": "https://doc.rust-lang.org/book/",
                 "description": "by Steve Klabnik &amp; Carol Nichols", "page_age": "2024-01-01T00:00:00"}
            ]}
        })))
        .mount(&server)
        .await;
    let env = env_with_base("brave", &server, "").env("BRAVE_API_KEY", "brave-test-key");
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--query",
        "rust book",
        "--limit",
        "3",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let result = hits(&out);
    assert_eq!(result["provider"], "brave");
    assert_eq!(
        result["results"],
        json!([{"title": "The Rust Programming Language", "url": "https://doc.rust-lang.org/book/", "snippet": "by Steve Klabnik & Carol Nichols"}])
    );
    assert!(!out.stdout.contains("brave-test-key"));
}

#[tokio::test]
async fn brave_failure_is_an_error_envelope_with_its_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/res/v1/web/search"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "type": "ErrorResponse",
            "error": {"id": "x", "status": 401, "code": "SUBSCRIPTION_TOKEN_INVALID", "detail": "The provided subscription token is invalid."}
        })))
        .mount(&server)
        .await;
    let env = env_with_base("brave", &server, r#", apiKey: "wrong-key""#);
    let out = env.run(&["infer", "web", "search", "--query", "q", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["provider"], "brave");
    assert_eq!(envelope["error"]["reason"], "auth");
    assert_eq!(envelope["error"]["status"], 401);
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("The provided subscription token is invalid."),
        "{message}"
    );
    assert!(!out.stdout.contains("wrong-key") && !out.stderr.contains("wrong-key"));
}

#[tokio::test]
async fn tavily_posts_with_a_bearer_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header("authorization", "Bearer tvly-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "query": "otters", "answer": null, "response_time": 0.5,
            "results": [{"title": "Otter facts", "url": "https://facts.example/otter", "content": "Otters are playful.", "score": 0.97}]
        })))
        .mount(&server)
        .await;
    let env = env_with_base("tavily", &server, "").env("TAVILY_API_KEY", "tvly-test");
    let out = env.run(&[
        "infer", "web", "search", "--query", "otters", "--limit", "4", "--json",
    ]);
    let result = hits(&out);
    assert_eq!(result["provider"], "tavily");
    assert_eq!(
        result["results"][0],
        json!({"title": "Otter facts", "url": "https://facts.example/otter", "snippet": "Otters are playful."})
    );
    let body = &received_bodies(&server).await[0];
    assert_eq!(body["query"], "otters");
    assert_eq!(body["max_results"], 4);
}

#[tokio::test]
async fn perplexity_search_api() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header("authorization", "Bearer pplx-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "abc", "results": [{"title": "Otters", "url": "https://p.example/otters", "snippet": "Snippet text", "date": "2025-03-01"}]
        })))
        .mount(&server)
        .await;
    let env = env_with_base("perplexity", &server, "").env("PERPLEXITY_API_KEY", "pplx-test");
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--query",
        "otters",
        "--provider",
        "perplexity",
        "--json",
    ]);
    let result = hits(&out);
    assert_eq!(result["results"][0]["snippet"], "Snippet text");
    let body = &received_bodies(&server).await[0];
    assert_eq!(body, &json!({"query": "otters", "max_results": 5}));
}

#[tokio::test]
async fn exa_sends_its_api_key_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .and(header("x-api-key", "exa-test"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "requestId": "r1", "resolvedSearchType": "neural",
            "results": [{"id": "https://e.example/", "title": "Exa otters", "url": "https://e.example/", "highlights": ["Otters use tools."], "highlightScores": [0.5]}]
        })))
        .mount(&server)
        .await;
    let env = TestEnv::new().env("EXA_API_KEY", "exa-test");
    env.write_config(&format!(
        r#"{{ tools: {{ web: {{ search: {{ provider: "exa", maxResults: 7 }} }} }}, plugins: {{ entries: {{ exa: {{ config: {{ webSearch: {{ baseUrl: "{}" }} }} }} }} }} }}"#,
        server.uri()
    ));
    let out = env.run(&["infer", "web", "search", "--query", "otters", "--json"]);
    let result = hits(&out);
    assert_eq!(
        result["results"][0],
        json!({"title": "Exa otters", "url": "https://e.example/", "snippet": "Otters use tools."})
    );
    let body = &received_bodies(&server).await[0];
    assert_eq!(body["query"], "otters");
    assert_eq!(body["numResults"], 7, "tools.web.search.maxResults");
    assert_eq!(body["contents"], json!({"highlights": true}));
}

#[tokio::test]
async fn duckduckgo_html_page() {
    let server = MockServer::start().await;
    let page = r#"<html><body>
      <div class="result results_links results_links_deep web-result">
        <h2 class="result__title"><a rel="nofollow" class="result__a" href="//duckduckgo.com/l/?uddg=https%3A%2F%2Fwww.rust-lang.org%2F&amp;rut=1">Rust Programming Language</a></h2>
        <a class="result__snippet" href="x">A language empowering everyone.</a>
      </div></body></html>"#;
    Mock::given(method("GET"))
        .and(path("/html/"))
        .and(query_param("q", "rust"))
        .and(query_param("kl", "de-de"))
        .and(query_param("kp", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(page.as_bytes().to_vec(), "text/html; charset=utf-8"),
        )
        .mount(&server)
        .await;
    let env = env_with_base(
        "duckduckgo",
        &server,
        r#", region: "de-de", safeSearch: "strict""#,
    );
    // Nothing else configured: DuckDuckGo is the default.
    let out = env.run(&["infer", "web", "search", "--query", "rust", "--json"]);
    let result = hits(&out);
    assert_eq!(result["provider"], "duckduckgo");
    assert_eq!(
        result["results"],
        json!([{"title": "Rust Programming Language", "url": "https://www.rust-lang.org/", "snippet": "A language empowering everyone."}])
    );
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests[0]
            .headers
            .get("user-agent")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("Mozilla/5.0")
    );
}

#[test]
fn unconfigured_or_unknown_providers_fail_before_any_request() {
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--query",
        "q",
        "--provider",
        "brave",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["error"]["reason"], "config");
    assert!(
        envelope["error"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("BRAVE_API_KEY")
    );
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--query",
        "q",
        "--provider",
        "altavista",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = env.run(&["infer", "web", "search", "--query", "  ", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = env.run(&[
        "infer", "web", "search", "--query", "q", "--limit", "0", "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    env.write_config(r#"{ tools: { web: { search: { maxResults: "five" } } } }"#);
    let out = env.run(&["infer", "web", "search", "--query", "q", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tools.web.search.maxResults")
    );
}

#[test]
fn providers_show_available_configured_selected() {
    let env = TestEnv::new()
        .env("TAVILY_API_KEY", "t")
        .env("EXA_API_KEY", "e");
    env.write_config(r#"{ tools: { web: { fetch: { provider: "firecrawl" } } } }"#);
    let out = env.run(&["infer", "web", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    // The reference's grouping: `{search: [...], fetch: [...]}`.
    let document = out.json();
    let rows: Vec<Value> = ["search", "fetch"]
        .iter()
        .flat_map(|kind| document[*kind].as_array().unwrap().clone())
        .collect();
    let row = |kind: &str, id: &str| {
        rows.iter()
            .find(|r| r["kind"] == kind && r["provider"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(rows.len(), 9);
    // Ollama's search is there to choose, never picked on its own.
    assert_eq!(row("search", "ollama")["selected"], false);
    assert_eq!(row("search", "exa")["configured"], true);
    assert_eq!(
        row("search", "exa")["selected"],
        true,
        "first configured in detection order"
    );
    assert_eq!(row("search", "exa")["keySource"], "EXA_API_KEY");
    assert_eq!(row("search", "tavily")["selected"], false);
    assert_eq!(row("search", "brave")["configured"], false);
    assert_eq!(row("search", "duckduckgo")["selected"], false);
    assert_eq!(row("fetch", "firecrawl")["selected"], true);
    assert_eq!(row("fetch", "builtin")["selected"], false);
    assert!(rows.iter().all(|r| r["available"] == true));
    assert!(
        !out.stdout.contains("\"t\"") && !out.stdout.contains("\"e\""),
        "no secrets"
    );

    let out = env.run(&["infer", "web", "providers"]);
    assert!(
        out.stdout
            .contains("search  exa         configured  (selected)"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn ollama_search_falls_back_from_the_local_route_and_keeps_the_cloud_key_home() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/api/experimental/web_search"))
        .respond_with(ResponseTemplate::new(404).set_body_string("404 page not found"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/web_search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"results": [
            {"title": "Rust", "url": "https://www.rust-lang.org/", "content": "A language"}]})))
        .mount(&server)
        .await;
    let env = TestEnv::new().env("OLLAMA_API_KEY", "cloud-only-key-9988");
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ ollama: {{ baseUrl: "{}/v1", apiKey: "host-key-7766", api: "ollama" }} }} }},
             tools: {{ web: {{ search: {{ provider: "ollama" }} }} }} }}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer", "web", "search", "--query", "rust", "--limit", "3", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let result = &out.json()["outputs"][0]["result"];
    assert_eq!(result["provider"], "ollama");
    assert_eq!(result["results"][0]["siteName"], "rust-lang.org");
    let requests = server.received_requests().await.unwrap();
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/api/experimental/web_search", "/api/web_search"]);
    for request in &requests {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer host-key-7766"
        );
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body, json!({"query": "rust", "max_results": 3}));
    }
}
