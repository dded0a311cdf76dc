//! `model list`, `model inspect`, `model providers`: catalog plus config.

use crate::support::TestEnv;

#[test]
fn list_merges_config_models_over_the_catalog() {
    let env = TestEnv::new();
    env.write_config(
        r#"{
  agents: { defaults: { models: { "huggingface/deepseek-ai/DeepSeek-R1": { alias: "R1" } } } },
  models: { providers: { myllm: { baseUrl: "http://127.0.0.1:9/v1", models: [{ id: "m1", name: "M1", contextWindow: 32768, input: ["text", "image"] }] } } },
}"#,
    );
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0);
    let rows = out.json().as_array().unwrap().clone();
    let row = rows
        .iter()
        .find(|r| r["provider"] == "myllm" && r["id"] == "m1")
        .expect("config model listed");
    assert_eq!(row["name"], "M1");
    assert_eq!(row["contextWindow"], 32768);
    assert_eq!(row["input"], serde_json::json!(["text", "image"]));
    let r1 = rows
        .iter()
        .find(|r| r["id"] == "deepseek-ai/DeepSeek-R1")
        .unwrap();
    assert_eq!(r1["alias"], "R1");
    for key in [
        "id",
        "name",
        "provider",
        "contextWindow",
        "maxTokens",
        "reasoning",
        "input",
        "cost",
    ] {
        assert!(rows[0].get(key).is_some(), "row lacks {key}");
    }
    let text = env.run(&["infer", "model", "list"]).stdout;
    assert!(text.contains("myllm/m1"));
}

#[test]
fn inspect_matches_full_ref_then_bare_id() {
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "model",
        "inspect",
        "--model",
        "anthropic/CLAUDE-OPUS-5",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["id"], "claude-opus-5");
    let out = env.run(&[
        "infer",
        "model",
        "inspect",
        "--model",
        "deepseek-ai/DeepSeek-R1",
        "--json",
    ]);
    assert_eq!(out.json()["provider"], "huggingface");
    let out = env.run(&[
        "infer",
        "model",
        "inspect",
        "--model",
        "no-such-model-anywhere",
        "--json",
    ]);
    assert_eq!(out.code, 2);
}

#[test]
fn providers_show_credentials_and_selection() {
    let env = TestEnv::new().env("MISTRAL_API_KEY", "mk");
    env.write_config(r#"{agents: {defaults: {model: "mistral/mistral-large-latest"}}}"#);
    let out = env.run(&["infer", "model", "providers", "--json"]);
    assert_eq!(out.code, 0);
    let rows = out.json().as_array().unwrap().clone();
    let mistral = rows.iter().find(|r| r["provider"] == "mistral").unwrap();
    assert_eq!(mistral["available"], true);
    assert_eq!(mistral["configured"], true);
    assert_eq!(mistral["selected"], true);
    assert!(mistral["count"].as_u64().unwrap() > 0);
    let openai = rows.iter().find(|r| r["provider"] == "openai").unwrap();
    assert_eq!(openai["available"], false);
    assert_eq!(openai["selected"], false);
    let ollama = rows.iter().find(|r| r["provider"] == "ollama").unwrap();
    assert_eq!(ollama["available"], true, "local runtimes need no key");
    assert!(!out.stdout.contains("\"mk\""), "never the secret");
}
