//! The reference tool's JSON shapes: informational commands print their
//! own document (not the envelope), capability envelopes carry `mediaUrl`
//! and `error.type`, and the top-level `models list | status`.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, env_for};

#[test]
fn informational_commands_print_arrays_and_objects() {
    let env = TestEnv::new();
    for args in [
        &["infer", "list", "--json"][..],
        &["infer", "model", "list", "--json"],
        &["infer", "model", "providers", "--json"],
        &["infer", "image", "providers", "--json"],
        &["infer", "audio", "providers", "--json"],
        &["infer", "embedding", "providers", "--json"],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        assert!(out.json().is_array(), "{args:?}: {}", out.stdout);
    }
    let rows = env.run(&["infer", "model", "list", "--json"]).json();
    let first = &rows[0];
    for key in [
        "id",
        "name",
        "provider",
        "reasoning",
        "input",
        "status",
        "providerOrder",
    ] {
        assert!(first.get(key).is_some(), "model row lacks {key}: {first}");
    }
    let providers = env.run(&["infer", "model", "providers", "--json"]).json();
    assert!(providers[0]["defaults"].is_array(), "{}", providers[0]);

    let tts = env.run(&["infer", "tts", "providers", "--json"]).json();
    assert!(
        tts["providers"].is_array() && tts["active"].is_string(),
        "{tts}"
    );
    let web = env.run(&["infer", "web", "providers", "--json"]).json();
    assert!(web["search"].is_array() && web["fetch"].is_array(), "{web}");
    let video = env.run(&["infer", "video", "providers", "--json"]).json();
    assert!(video["generation"].is_array() && video["description"].is_array());
    let status = env.run(&["infer", "tts", "status", "--json"]).json();
    assert!(status["enabled"].is_boolean(), "{status}");
    let inspect = env
        .run(&[
            "infer",
            "model",
            "inspect",
            "--model",
            "anthropic/claude-opus-5",
            "--json",
        ])
        .json();
    assert_eq!(inspect["id"], "claude-opus-5");
    assert_eq!(inspect["api"], "anthropic-messages");
}

#[test]
fn a_failed_informational_command_prints_the_failure_envelope() {
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "model",
        "inspect",
        "--model",
        "nope/none",
        "--json",
    ]);
    assert_ne!(out.code, 0);
    let document = out.json();
    assert_eq!(document["ok"], false);
    assert_eq!(document["error"]["type"], "cli_error");
    assert!(document["error"]["message"].is_string());
}

#[tokio::test]
async fn text_outputs_carry_a_null_media_url() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("pong")))
        .mount(&server)
        .await;
    let env = env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "ping", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.json()["outputs"][0],
        json!({"text": "pong", "mediaUrl": null})
    );
}

#[test]
fn a_failed_run_marks_its_error_as_cli_error() {
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "openai/gpt-5.6",
        "--prompt",
        "hi",
        "--json",
    ]);
    assert_ne!(out.code, 0);
    let envelope = out.json();
    assert_eq!(envelope["capability"], "model.run");
    assert_eq!(envelope["error"]["type"], "cli_error");
    assert_eq!(envelope["error"]["reason"], "auth");
}

#[test]
fn models_list_shows_configured_models_and_all_shows_the_catalog() {
    let env = TestEnv::new().env("OPENAI_API_KEY", "sk-secret-value");
    env.write_config(
        r#"{ agents: { defaults: { model: { primary: "openai/gpt-5.6", fallbacks: ["anthropic/claude-opus-5"] },
             models: { "openai/gpt-5.6": { alias: "main" } } } } }"#,
    );
    let out = env.run(&["models", "list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let document = out.json();
    let keys: Vec<&str> = document["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys.len(), document["count"].as_u64().unwrap() as usize);
    assert!(
        keys.contains(&"openai/gpt-5.6") && keys.contains(&"anthropic/claude-opus-5"),
        "{keys:?}"
    );
    let main = &document["models"][keys.iter().position(|k| *k == "openai/gpt-5.6").unwrap()];
    assert_eq!(main["tags"], json!(["default", "alias:main"]));
    assert_eq!(main["available"], true);

    let all = env.run(&["models", "list", "--all", "--json"]).json();
    assert!(all["count"].as_u64().unwrap() > document["count"].as_u64().unwrap());

    let plain = env.run(&["models", "list", "--plain"]).stdout;
    assert!(plain.lines().any(|l| l == "openai/gpt-5.6"), "{plain}");

    let out = env.run(&["models", "status", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let status = out.json();
    assert_eq!(status["defaultModel"], "openai/gpt-5.6");
    assert_eq!(status["fallbacks"], json!(["anthropic/claude-opus-5"]));
    assert_eq!(status["aliases"], json!({"main": "openai/gpt-5.6"}));
    assert_eq!(
        status["auth"]["missingProvidersInUse"],
        json!(["anthropic"])
    );
    let openai = &status["auth"]["providers"][0];
    assert_eq!(openai["provider"], "openai");
    assert_eq!(openai["effective"]["kind"], "env");
    assert!(!out.stdout.contains("sk-secret-value") && !out.stdout.contains("sk..."));

    // Bare `models --json` is `models status --json`.
    let bare = env.run(&["models", "--json"]);
    assert_eq!(bare.code, 0, "{bare:?}");
    assert_eq!(bare.json()["defaultModel"], "openai/gpt-5.6");
}
