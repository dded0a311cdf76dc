//! `infer web fetch` against real pages served on loopback: article
//! extraction, the SSRF guard and redirects, content types, size caps,
//! slow servers, charsets, and Firecrawl as the extractor.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, received_bodies};

const ARTICLE: &str = r#"<!DOCTYPE html><html><head><title>Sea otters | Nature Notes</title></head><body>
<header><div class="logo">Nature Notes</div></header>
<nav class="menu"><a href="/">Home</a> <a href="/about">About us</a> <a href="/shop">Shop our store</a></nav>
<main><article>
<h1>Sea otters</h1>
<p>Sea otters hold hands while they sleep so that they do not drift apart from each other in the water.</p>
<h2>Tools</h2>
<p>They use rocks as tools to open shellfish, which makes them one of the few mammals besides primates known to use tools.</p>
<p>An otter's fur is the densest of any animal, with up to a million hairs per square inch of skin keeping it warm.</p>
</article></main>
<aside class="sidebar">Subscribe to our newsletter for weekly deals</aside>
<footer class="site-footer">Copyright 2024 Nature Notes Ltd. All rights reserved.</footer>
</body></html>"#;

/// Config letting fetches reach the loopback test server.
fn open_env(extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{{ tools: {{ web: {{ fetch: {{ ssrfPolicy: {{ dangerouslyAllowPrivateNetwork: true }}, {extra} }} }} }} }}"
    ));
    env
}

async fn serve(route: &str, response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn html(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.as_bytes().to_vec(), "text/html; charset=utf-8")
}

fn result(out: &crate::support::Outcome) -> Value {
    let envelope = out.json();
    assert_eq!(envelope["ok"], true, "{out:?}");
    envelope["outputs"][0]["result"].clone()
}

#[tokio::test]
async fn article_main_content_without_boilerplate() {
    let server = serve("/otters", html(ARTICLE)).await;
    let env = open_env("");
    let url = format!("{}/otters", server.uri());
    let out = env.run(&["infer", "web", "fetch", "--url", &url, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["capability"], "web.fetch");
    assert_eq!(envelope["provider"], "builtin");
    let result = &envelope["outputs"][0]["result"];
    assert_eq!(result["url"], url);
    assert_eq!(result["finalUrl"], url);
    assert_eq!(result["status"], 200);
    assert_eq!(result["contentType"], "text/html; charset=utf-8");
    assert!(result["title"].as_str().unwrap().contains("Sea otters"));
    assert_eq!(result["extractMode"], "markdown");
    assert_eq!(result["extractor"], "readability");
    assert_eq!(result["truncated"], false);
    assert_eq!(result["untrusted"], true);
    assert_eq!(
        result["externalContent"],
        json!({"untrusted": true, "source": "web_fetch", "wrapped": true, "provider": "builtin"})
    );
    let text = result["text"].as_str().unwrap();
    assert!(
        text.starts_with("<<<EXTERNAL_UNTRUSTED_CONTENT id=\""),
        "{text}"
    );
    assert!(text.trim_end().ends_with(">>>"));
    assert!(text.contains("Sea otters hold hands"), "{text}");
    assert!(text.contains("## Tools"), "markdown headings: {text}");
    for boilerplate in [
        "About us",
        "Shop our store",
        "newsletter",
        "All rights reserved",
    ] {
        assert!(!text.contains(boilerplate), "{boilerplate} leaked: {text}");
    }
    assert_eq!(
        result["length"].as_u64().unwrap() as usize,
        text.chars().count()
    );
    assert!(result["rawLength"].as_u64().unwrap() < result["length"].as_u64().unwrap());
    assert!(result["fetchedAt"].as_str().unwrap().ends_with('Z'));
    assert!(result["tookMs"].is_u64());

    // The request looked like a browser's.
    let requests = server.received_requests().await.unwrap();
    let agent = requests[0]
        .headers
        .get("user-agent")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(agent.starts_with("Mozilla/5.0"), "{agent}");

    // Text mode prints the framed text; --format text drops Markdown syntax.
    let out = env.run(&["infer", "web", "fetch", "--url", &url, "--format", "text"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Sea otters hold hands"));
    assert!(out.stdout.contains("Source: Web Fetch"));
    assert!(!out.stdout.contains("## Tools"), "{}", out.stdout);
}

#[tokio::test]
async fn loopback_is_refused_by_default_and_nothing_is_sent() {
    let server = serve("/otters", html(ARTICLE)).await;
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/otters", server.uri()),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("refusing to fetch") && message.contains("loopback"),
        "{message}"
    );
    assert!(server.received_requests().await.unwrap().is_empty());

    // `localhost` by name is refused too (before or after resolution).
    let port = server.address().port();
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("http://localhost:{port}/otters"),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn allowed_host_may_not_redirect_to_another_private_address() {
    let server = MockServer::start().await;
    let port = server.address().port();
    Mock::given(method("GET"))
        .and(path("/start"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("location", format!("http://127.0.0.1:{port}/secret")),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/secret"))
        .respond_with(html(ARTICLE))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/page"))
        .respond_with(html(ARTICLE))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(
        r#"{ tools: { web: { fetch: { ssrfPolicy: { allowedHostnames: ["localhost"] } } } } }"#,
    );

    // The allowed host itself is reachable...
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("http://localhost:{port}/page"),
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");

    // ...but its redirect to 127.0.0.1 is not.
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("http://localhost:{port}/start"),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("127.0.0.1") && message.contains("loopback"),
        "{message}"
    );
    let paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        paths,
        ["/page", "/start"],
        "the private target was never requested"
    );
}

#[tokio::test]
async fn redirects_are_followed_up_to_the_limit() {
    let server = MockServer::start().await;
    for (from, to) in [("/a", "/b"), ("/b", "/c"), ("/c", "/d"), ("/d", "/e")] {
        Mock::given(method("GET"))
            .and(path(from))
            .respond_with(ResponseTemplate::new(301).insert_header("location", to))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/e"))
        .respond_with(html(ARTICLE))
        .mount(&server)
        .await;
    let env = open_env("");
    // /b -> /c -> /d -> /e: three redirects, the default limit.
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/b", server.uri()),
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let result = result(&out);
    assert_eq!(result["finalUrl"], format!("{}/e", server.uri()));
    // /a -> /b -> /c -> /d -> /e is four redirects: one too many.
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/a", server.uri()),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too many redirects")
    );
}

#[tokio::test]
async fn plain_text_and_json_are_returned_as_text_and_binary_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/notes.txt"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(b"line one\nline two\n".to_vec(), "text/plain"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/data.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(br#"{"name":"otter","legs":4}"#.to_vec(), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/logo.png"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(), "image/png"),
        )
        .mount(&server)
        .await;
    let env = open_env("");
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/notes.txt", server.uri()),
        "--json",
    ]);
    let text_result = result(&out);
    assert_eq!(text_result["extractor"], "raw");
    assert!(
        text_result["text"]
            .as_str()
            .unwrap()
            .contains("line one\nline two")
    );

    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/data.json", server.uri()),
        "--json",
    ]);
    let json_result = result(&out);
    assert_eq!(json_result["extractor"], "json");
    assert!(
        json_result["text"]
            .as_str()
            .unwrap()
            .contains("\"name\": \"otter\"")
    );

    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/logo.png", server.uri()),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("image/png"), "{message}");
}

#[tokio::test]
async fn oversized_bodies_are_cut_and_flagged() {
    let big = format!(
        "<html><body><article><p>{}</p></article></body></html>",
        "otters swim. ".repeat(20_000)
    );
    let server = serve("/big", html(&big)).await;
    let env = open_env("maxResponseBytes: 40000");
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/big", server.uri()),
        "--json",
    ]);
    let result = result(&out);
    assert_eq!(result["truncated"], true);
    assert!(result["warning"].as_str().unwrap().contains("40000 bytes"));
    assert!(result["rawLength"].as_u64().unwrap() <= 40_000);

    // maxChars caps the text itself.
    let env = open_env("maxChars: 100");
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/big", server.uri()),
        "--json",
    ]);
    let result = crate::web_fetch::result(&out);
    assert_eq!(result["truncated"], true);
    assert_eq!(result["rawLength"], 100);
}

#[tokio::test]
async fn slow_servers_time_out() {
    let server = serve("/slow", html(ARTICLE).set_delay(Duration::from_secs(5))).await;
    let env = open_env("timeoutSeconds: 1");
    let started = std::time::Instant::now();
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/slow", server.uri()),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(out.json()["error"]["reason"], "timeout");
}

#[tokio::test]
async fn declared_and_undeclared_charsets() {
    let server = MockServer::start().await;
    let latin1_page = b"<html><head><title>Caf\xe9</title></head><body><article><p>Le caf\xe9 cr\xe8me du march\xe9 est servi chaque matin avec une tartine beurr\xe9e et de la confiture maison.</p><p>Les habitu\xe9s arrivent t\xf4t pour profiter du calme avant la foule.</p></article></body></html>";
    Mock::given(method("GET"))
        .and(path("/header"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(latin1_page.to_vec(), "text/html; charset=ISO-8859-1"),
        )
        .mount(&server)
        .await;
    let mut meta_page = b"<html><head><meta charset=\"windows-1252\">".to_vec();
    meta_page.extend_from_slice(&latin1_page[6..]);
    Mock::given(method("GET"))
        .and(path("/meta"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(meta_page, "text/html"))
        .mount(&server)
        .await;
    // Declared UTF-8, actually Latin-1: decoded without failing.
    Mock::given(method("GET"))
        .and(path("/wrong"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(b"caf\xe9".to_vec(), "text/plain; charset=utf-8"),
        )
        .mount(&server)
        .await;
    let env = open_env("");
    for route in ["/header", "/meta"] {
        let out = env.run(&[
            "infer",
            "web",
            "fetch",
            "--url",
            &format!("{}{route}", server.uri()),
            "--json",
        ]);
        let result = result(&out);
        let text = result["text"].as_str().unwrap();
        assert!(text.contains("Le café crème du marché"), "{route}: {text}");
        assert_eq!(result["title"], "Café", "{route}");
    }
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/wrong", server.uri()),
        "--json",
    ]);
    assert!(
        result(&out)["text"]
            .as_str()
            .unwrap()
            .contains("caf\u{fffd}")
    );
}

#[tokio::test]
async fn http_errors_and_bad_urls() {
    let server = serve(
        "/gone",
        ResponseTemplate::new(404).set_body_raw(b"no such page".to_vec(), "text/plain"),
    )
    .await;
    let env = open_env("");
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        &format!("{}/gone", server.uri()),
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["error"]["status"], 404);
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("HTTP 404: no such page")
    );

    for bad in ["ftp://example.com/x", "not a url", "file:///etc/passwd"] {
        let out = env.run(&["infer", "web", "fetch", "--url", bad, "--json"]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        assert_eq!(out.json()["error"]["reason"], "usage");
    }
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        "https://example.com",
        "--provider",
        "nope",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
}

#[tokio::test]
async fn firecrawl_extracts_through_its_scrape_api() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/scrape"))
        .and(header("authorization", "Bearer fc-test-key"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true,
            "data": {"markdown": "# Otters\n\nOtters hold [hands](https://x/).", "metadata": {
                "title": "Otters", "sourceURL": "https://example.com/otters", "url": "https://example.com/otters/",
                "statusCode": 200, "contentType": "text/html"}}
        })))
        .mount(&server)
        .await;
    let env = TestEnv::new().env("FIRECRAWL_API_KEY", "fc-test-key");
    env.write_config(&format!(
        r#"{{ plugins: {{ entries: {{ firecrawl: {{ config: {{ webFetch: {{ baseUrl: "{}", onlyMainContent: false }} }} }} }} }} }}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        "https://example.com/otters",
        "--provider",
        "firecrawl",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "firecrawl");
    let result = &envelope["outputs"][0]["result"];
    assert_eq!(result["extractor"], "firecrawl");
    assert_eq!(result["finalUrl"], "https://example.com/otters/");
    assert_eq!(result["title"], "Otters");
    assert!(
        result["text"]
            .as_str()
            .unwrap()
            .contains("Otters hold [hands](https://x/).")
    );
    let body = &received_bodies(&server).await[0];
    assert_eq!(body["url"], "https://example.com/otters");
    assert_eq!(body["formats"], json!(["markdown"]));
    assert_eq!(body["onlyMainContent"], false);
    assert_eq!(body["maxAge"], 172_800_000);
    assert!(!out.stdout.contains("fc-test-key") && !out.stderr.contains("fc-test-key"));

    // Text format turns its Markdown into plain text.
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        "https://example.com/otters",
        "--provider",
        "firecrawl",
        "--format",
        "text",
    ]);
    assert!(out.stdout.contains("Otters hold hands."), "{out:?}");

    // A local target is never handed to Firecrawl.
    let before = server.received_requests().await.unwrap().len();
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        "http://169.254.169.254/latest",
        "--provider",
        "firecrawl",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

#[tokio::test]
async fn firecrawl_failure_carries_its_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/scrape"))
        .respond_with(ResponseTemplate::new(402).set_body_json(
            json!({"success": false, "error": "Insufficient credits to perform this request."}),
        ))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ tools: {{ web: {{ fetch: {{ provider: "firecrawl" }} }} }}, plugins: {{ entries: {{ firecrawl: {{ config: {{ webFetch: {{ baseUrl: "{}" }} }} }} }} }} }}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--url",
        "https://example.com/",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["provider"], "firecrawl");
    assert_eq!(envelope["error"]["reason"], "billing");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Insufficient credits")
    );
    // Keyless: no Authorization header at all.
    assert!(
        server.received_requests().await.unwrap()[0]
            .headers
            .get("authorization")
            .is_none()
    );
}
