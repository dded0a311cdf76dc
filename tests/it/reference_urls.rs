//! Provider configs from the reference tool's docs (host moved to loopback,
//! `tests/reference/provider-configs.json`): `infer model run` must send the
//! same method, path, auth header and output-cap fields as the reference.

use serde_json::Value;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::TestEnv;

const CASES: &str = include_str!("../reference/provider-configs.json");

/// Whether every key of `expected` is in `actual` with the same value,
/// recursively (ours may send more).
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(actual), Value::Object(expected)) => expected.iter().all(|(key, value)| {
            actual
                .get(key)
                .is_some_and(|actual| contains(actual, value))
        }),
        _ => actual == expected,
    }
}

/// What we must send for `case`: the reference's request, unless the case
/// names a deliberate difference under `ours`.
fn expectation(case: &Value) -> &Value {
    case.get("ours").unwrap_or(&case["expect"])
}

#[tokio::test]
async fn doc_provider_configs_reach_the_reference_urls() {
    let cases: Value = serde_json::from_str(CASES).expect("provider-configs.json is JSON");
    let cases = cases["cases"].as_array().expect("a case list");
    assert!(cases.len() >= 60, "the case list is not cut short");
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().expect("a name");
        // A server of its own per case: 68 cases in a row would wait on
        // wiremock's shared pool, whose servers come back only as the
        // runtime gets to them.
        let server = MockServer::builder().start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(ResponseTemplate::new(400).set_body_string(
                r#"{"error": {"message": "recorded", "type": "invalid_request_error"}}"#,
            ))
            .mount(&server)
            .await;
        let config = case["config"].to_string().replace("{base}", &server.uri());
        let env = TestEnv::new();
        env.write_config(&config);
        let model = case["model"].as_str().expect("a model");
        let outcome = env.run(&[
            "infer", "model", "run", "--model", model, "--prompt", "hi", "--json",
        ]);
        let requests = server.received_requests().await.unwrap_or_default();
        let expected = expectation(case);
        if expected.get("request").is_some_and(Value::is_null) {
            // The reference sent nothing (an API it cannot speak offline):
            // neither may we.
            if !requests.is_empty() {
                failures.push(format!("{name}: a request was sent"));
            }
            continue;
        }
        let Some(request) = requests.first() else {
            failures.push(format!(
                "{name}: no request sent ({})",
                outcome.stderr.trim()
            ));
            continue;
        };
        if request.method.as_str() != expected["method"] {
            failures.push(format!("{name}: method {}", request.method));
        }
        if request.url.path() != expected["path"] {
            failures.push(format!(
                "{name}: path {} (expected {})",
                request.url.path(),
                expected["path"]
            ));
        }
        let header = expected["auth_header"].as_str().expect("an auth header");
        let key = case["config"]["models"]["providers"]
            .as_object()
            .and_then(|providers| providers.values().next())
            .and_then(|provider| provider["apiKey"].as_str())
            .expect("a literal apiKey");
        let sent = request
            .headers
            .get(header)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        if !sent.ends_with(key) {
            failures.push(format!("{name}: the key is not in `{header}`"));
        }
        if let Some(body) = expected.get("body") {
            let actual: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            if !contains(&actual, body) {
                failures.push(format!("{name}: body {actual} lacks {body}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The prompt is borrowed into the request body, not copied through JSON
/// trees; a 5 MiB prompt read with `--prompt @file` arrives byte for byte.
#[tokio::test]
async fn a_five_mib_prompt_reaches_the_server_intact() {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(crate::support::completion("ok")))
        .mount(&server)
        .await;
    let env = crate::support::env_for(&server, "");
    // Quotes, backslashes, newlines and non-ASCII all need escaping in JSON.
    let unit = "line \"quoted\" \\ back\tslash é ✓\n";
    let prompt = unit.repeat(5 * 1024 * 1024 / unit.len() + 1);
    std::fs::write(env.path("prompt.txt"), &prompt).unwrap();
    let outcome = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "@prompt.txt",
        "--json",
    ]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    let sent = body["messages"][0]["content"]
        .as_str()
        .expect("text content");
    assert!(sent.len() >= 5 * 1024 * 1024);
    assert!(sent == prompt, "the prompt changed on the way");
}
