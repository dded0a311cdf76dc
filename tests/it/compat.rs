//! Scripts that already call the reference `openclaw` must work unchanged.
//! Each test runs the binary exactly as a caller seen in the wild does and
//! reads stdout as that caller does (`JSON.parse(stdout)` on the whole).

use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, provider_config};

async fn provider() -> (MockServer, TestEnv) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("pong")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&provider_config(
        &format!("{}/v1", server.uri()),
        r#"agents: { defaults: { model: "loop/m1" } },"#,
    ));
    (server, env)
}

/// What a Node or Python caller does with stdout.
fn parse_whole(stdout: &str) -> Value {
    serde_json::from_str(stdout)
        .unwrap_or_else(|e| panic!("JSON.parse(stdout) fails ({e}): {stdout:?}"))
}

#[tokio::test]
async fn silent_log_level_before_the_command() {
    let (_server, env) = provider().await;
    let out = env.run(&[
        "--log-level",
        "silent",
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "ping",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(parse_whole(&out.stdout)["outputs"][0]["text"], "pong");
    assert!(
        out.stderr.is_empty(),
        "silent prints nothing: {}",
        out.stderr
    );
}

#[tokio::test]
async fn flags_in_any_order_with_thinking() {
    let (server, env) = provider().await;
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--thinking",
        "high",
        "--json",
        "--prompt",
        "ping",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = parse_whole(&out.stdout);
    assert!(envelope["outputs"][0]["text"].is_string());
    let body: Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["reasoning_effort"], "high");
}

#[tokio::test]
async fn local_without_json_prints_exactly_the_answer() {
    let (_server, env) = provider().await;
    let out = env.run(&[
        "infer", "model", "run", "--local", "--model", "loop/m1", "--prompt", "ping",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "pong\n");
}

#[tokio::test]
async fn debug_log_level_keeps_stdout_one_json_document() {
    let (_server, env) = provider().await;
    let out = env.run(&[
        "--log-level",
        "debug",
        "infer",
        "model",
        "run",
        "--prompt",
        "ping",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(parse_whole(&out.stdout)["ok"], true);
    assert!(
        out.stderr
            .contains("debug: loop/m1 over openai-completions"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("test-key"), "no secrets in logs");
    let env = env.env("OPENCLAW_LOG_LEVEL", "debug");
    let out = env.run(&["infer", "model", "run", "--prompt", "ping", "--json"]);
    assert!(out.stderr.contains("debug:"));
    let out = env.run(&[
        "--log-level",
        "warn",
        "infer",
        "model",
        "run",
        "--prompt",
        "ping",
        "--json",
    ]);
    assert!(
        !out.stderr.contains("debug:"),
        "the flag wins over the env var"
    );
}

#[tokio::test]
async fn gateway_with_nothing_listening_fails_fast_with_a_hint() {
    let (server, env) = provider().await;
    let started = Instant::now();
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--thinking",
        "off",
        "--prompt",
        "ping",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_ne!(out.code, 0);
    let envelope = parse_whole(&out.stdout);
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["transport"], "gateway");
    assert!(envelope["error"]["reason"].is_string());
    assert!(
        envelope["error"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("--local")
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn web_search_with_an_explicit_provider() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "query": "rust", "results": [{"title": "Rust", "url": "https://www.rust-lang.org/", "content": "A language"}]
        })))
        .mount(&server)
        .await;
    let env = TestEnv::new().env("SEARXNG_BASE_URL", &server.uri());
    let out = env.run(&[
        "infer",
        "web",
        "search",
        "--provider",
        "searxng",
        "--query",
        "rust",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = parse_whole(&out.stdout);
    assert_eq!(
        envelope["outputs"][0]["result"]["results"][0]["url"],
        "https://www.rust-lang.org/"
    );
}

#[tokio::test]
async fn no_color_and_profile_options_are_accepted_everywhere() {
    let (_server, env) = provider().await;
    for args in [
        vec![
            "--no-color",
            "infer",
            "model",
            "run",
            "--prompt",
            "ping",
            "--json",
        ],
        vec![
            "infer",
            "model",
            "run",
            "--prompt",
            "ping",
            "--json",
            "--no-color",
        ],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        parse_whole(&out.stdout);
    }
    let out = env.run(&[
        "--dev", "infer", "model", "run", "--prompt", "ping", "--json",
    ]);
    assert_eq!(
        out.code, 2,
        "the dev profile has its own (empty) config: {out:?}"
    );
    assert_eq!(parse_whole(&out.stdout)["error"]["reason"], "usage");
}
