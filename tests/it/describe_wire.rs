//! `image describe-many --together` (one request, one answer), `image
//! describe` on an image-capable primary model, and which provider
//! `image providers` marks as the one a run would pick.

use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::images::{jpeg, png};
use crate::support::{TestEnv, completion, env_for, received_bodies};

async fn chat_server(answer: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(answer)))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn together_sends_every_image_in_one_request() {
    let server = chat_server("The second adds a button.").await;
    let env = env_for(&server, "");
    std::fs::write(env.path("before.png"), png(2, 2)).unwrap();
    std::fs::write(env.path("after.jpg"), jpeg(2, 2)).unwrap();
    let out = env.run(&[
        "infer",
        "image",
        "describe-many",
        "--file",
        "before.png",
        "--file",
        "after.jpg",
        "--together",
        "--prompt",
        "Compare the screenshots",
        "--model",
        "loop/m1",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    let outputs = envelope["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0]["text"], "The second adds a button.");
    assert_eq!(
        outputs[0]["paths"],
        serde_json::json!(["before.png", "after.jpg"])
    );
    let bodies = received_bodies(&server).await;
    assert_eq!(bodies.len(), 1, "one request for both images");
    let content = bodies[0]["messages"][0]["content"].as_array().unwrap();
    assert_eq!(content[0]["text"], "Compare the screenshots");
    let urls: Vec<&str> = content[1..]
        .iter()
        .map(|part| part["image_url"]["url"].as_str().unwrap())
        .collect();
    assert!(urls[0].starts_with("data:image/png;base64,"));
    assert!(urls[1].starts_with("data:image/jpeg;base64,"));
}

#[tokio::test]
async fn describe_uses_an_image_capable_primary_model() {
    let server = chat_server("A dot.").await;
    let env = env_for(&server, r#"agents: { defaults: { model: "loop/m1" } }"#);
    std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
    let out = env.run(&["infer", "image", "describe", "--file", "a.png", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["model"], "m1");

    // A text-only primary is not used: still the usage error, no request.
    let env = env_for(
        &server,
        r#"agents: { defaults: { model: "loop/text-only" } }"#,
    );
    std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
    let before = server.received_requests().await.unwrap().len();
    let out = env.run(&["infer", "image", "describe", "--file", "a.png", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), before);
}

/// Rows of `image providers --json`, whether printed bare or in an envelope.
fn rows(document: &Value) -> Vec<Value> {
    document
        .as_array()
        .or_else(|| document["outputs"].as_array())
        .cloned()
        .unwrap_or_default()
}

fn selected(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .filter(|row| row["selected"] == true)
        .map(|row| {
            row.get("provider")
                .or_else(|| row.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[test]
fn providers_marks_the_provider_a_run_would_pick() {
    // Only an environment key: that provider is the one a run would use.
    let env = TestEnv::new().env("FAL_KEY", "k");
    let out = env.run(&["infer", "image", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(selected(&rows(&out.json())), ["fal"]);

    // A configured model wins over a key.
    let env = TestEnv::new().env("FAL_KEY", "k");
    env.write_config(r#"{ agents: { defaults: { mediaModels: { image: { primary: "openai/gpt-image-1.5" } } } } }"#);
    let out = env.run(&["infer", "image", "providers", "--json"]);
    assert_eq!(selected(&rows(&out.json())), ["openai"]);

    // No key and no model: nothing is selected.
    let out = TestEnv::new().run(&["infer", "image", "providers", "--json"]);
    assert!(selected(&rows(&out.json())).is_empty());
}
