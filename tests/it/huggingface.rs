//! Hugging Face: router discovery (auth, no auth, failure, cache), policy
//! suffixes sent unchanged, and the provider page's config examples.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, received_bodies};

fn router_list() -> Value {
    json!({"object": "list", "data": [
        {"id": "deepseek-ai/DeepSeek-R1", "object": "model", "owned_by": "deepseek-ai", "name": "Router Name For R1",
         "providers": [{"provider": "together", "status": "live", "context_length": 7}]},
        {"id": "new-org/Brand-New-Model", "object": "model", "owned_by": "new-org",
         "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
         "providers": [{"provider": "novita", "status": "live", "context_length": 65536}]},
        {"id": "titled/Thing", "object": "model", "title": "A Titled Thing"},
        {"id": "img/Painter", "object": "model", "architecture": {"input_modalities": ["text"], "output_modalities": ["image"]}}
    ]})
}

async fn router(models: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(models)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("hello from the router")))
        .mount(&server)
        .await;
    server
}

fn hf_env(server: &MockServer, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{{\n  // loopback router\n  models: {{ providers: {{ huggingface: {{ baseUrl: \"{}/v1\", streaming: false{extra} }} }} }},\n}}\n",
        server.uri()
    ));
    env
}

async fn model_gets(server: &MockServer) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/v1/models")
        .collect()
}

fn hf_models(rows: &Value) -> Vec<Value> {
    rows.as_array()
        .unwrap()
        .iter()
        // Chat models: the router list is about chat; the catalog also holds
        // Hugging Face's text-to-image default.
        .filter(|m| m["provider"] == "huggingface" && m["kind"] == "chat")
        .cloned()
        .collect()
}

#[tokio::test]
async fn discovery_with_a_token_merges_and_caches() {
    let server = router(ResponseTemplate::new(200).set_body_json(router_list())).await;
    let env = hf_env(&server, "")
        .env("HUGGINGFACE_HUB_TOKEN", "hf_hub_first")
        .env("HF_TOKEN", "hf_second");
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let models = hf_models(&out.json());
    let by_id = |id: &str| {
        models
            .iter()
            .find(|m| m["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} missing"))
    };
    // Catalog metadata wins for a model both know.
    assert_eq!(by_id("deepseek-ai/DeepSeek-R1")["name"], "DeepSeek R1");
    assert_eq!(by_id("deepseek-ai/DeepSeek-R1")["contextWindow"], 131072);
    // New ones get the router's data or defaults.
    let new = by_id("new-org/Brand-New-Model");
    assert_eq!(new["name"], "Brand New Model");
    assert_eq!(new["contextWindow"], 65536);
    assert_eq!(new["input"], json!(["text", "image"]));
    assert_eq!(by_id("titled/Thing")["name"], "A Titled Thing");
    assert!(
        models.iter().all(|m| m["id"] != "img/Painter"),
        "image-only models are not chat models"
    );
    assert!(
        models.iter().any(|m| m["id"] == "moonshotai/Kimi-K2.5"),
        "built-in list kept"
    );

    let gets = model_gets(&server).await;
    assert_eq!(gets.len(), 1);
    assert_eq!(
        gets[0].headers.get("authorization").unwrap(),
        "Bearer hf_hub_first"
    );
    let cache = env.state_dir().join("cache/huggingface-models.json");
    let cached = std::fs::read_to_string(&cache).unwrap();
    assert!(!cached.contains("hf_hub_first"), "no secret in the cache");

    // The second list comes from the cache.
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0);
    assert!(
        hf_models(&out.json())
            .iter()
            .any(|m| m["id"] == "new-org/Brand-New-Model")
    );
    assert_eq!(
        model_gets(&server).await.len(),
        1,
        "no request while the cache is fresh"
    );

    // An expired cache is refreshed.
    let mut value: Value = serde_json::from_str(&cached).unwrap();
    value["fetchedAt"] = json!(value["fetchedAt"].as_u64().unwrap() - 7 * 3600);
    std::fs::write(&cache, value.to_string()).unwrap();
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0);
    assert_eq!(
        model_gets(&server).await.len(),
        2,
        "a six-hour-old cache is refetched"
    );
}

#[tokio::test]
async fn hf_token_is_the_second_choice() {
    let server = router(ResponseTemplate::new(200).set_body_json(router_list())).await;
    let env = hf_env(&server, "").env("HF_TOKEN", "hf_only");
    assert_eq!(env.run(&["infer", "model", "list", "--json"]).code, 0);
    assert_eq!(
        model_gets(&server).await[0]
            .headers
            .get("authorization")
            .unwrap(),
        "Bearer hf_only"
    );
}

#[tokio::test]
async fn without_a_token_the_built_in_list_is_shown() {
    let server = router(ResponseTemplate::new(200).set_body_json(router_list())).await;
    let env = hf_env(&server, "");
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "JSON mode stays quiet: {}",
        out.stderr
    );
    let models = hf_models(&out.json());
    assert_eq!(models.len(), 11, "the built-in list");
    assert!(model_gets(&server).await.is_empty());
    let out = env.run(&["infer", "model", "list"]);
    assert!(out.stderr.contains("built-in"), "{}", out.stderr);
    assert!(out.stdout.contains("huggingface/deepseek-ai/DeepSeek-R1"));
}

#[tokio::test]
async fn failed_discovery_falls_back_silently_in_json() {
    let server = router(ResponseTemplate::new(503).set_body_string("down")).await;
    let env = hf_env(&server, "").env("HF_TOKEN", "hf_x");
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(hf_models(&out.json()).len(), 11);
    assert!(
        !env.state_dir()
            .join("cache/huggingface-models.json")
            .exists(),
        "failures are not cached"
    );
    let out = env.run(&["infer", "model", "list"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("discovery failed") && out.stderr.contains("503"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hf_x"));
}

#[tokio::test]
async fn configured_entries_survive_discovery() {
    let server = router(ResponseTemplate::new(200).set_body_json(router_list())).await;
    let env = hf_env(
        &server,
        ", models: [{ id: \"new-org/Brand-New-Model\", name: \"My Own Name\", alias: \"mine\" }]",
    )
    .env("HF_TOKEN", "hf_x");
    let out = env.run(&["infer", "model", "list", "--json"]);
    let models = hf_models(&out.json());
    let mine: Vec<_> = models
        .iter()
        .filter(|m| m["id"] == "new-org/Brand-New-Model")
        .collect();
    assert_eq!(mine.len(), 1, "merged, not duplicated");
    assert_eq!(mine[0]["name"], "My Own Name");
    assert_eq!(mine[0]["alias"], "mine");
}

#[tokio::test]
async fn policy_suffix_reaches_the_router_unchanged() {
    let server = router(ResponseTemplate::new(200).set_body_json(router_list())).await;
    let env = hf_env(&server, "").env("HF_TOKEN", "hf_x");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "huggingface/deepseek-ai/DeepSeek-R1:fastest",
        "--prompt",
        "hi",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "huggingface");
    assert_eq!(envelope["model"], "deepseek-ai/DeepSeek-R1:fastest");
    assert_eq!(envelope["outputs"][0]["text"], "hello from the router");
    let bodies = received_bodies(&server).await;
    let chat: Vec<&Value> = bodies
        .iter()
        .filter(|b| b.get("messages").is_some())
        .collect();
    assert_eq!(chat[0]["model"], "deepseek-ai/DeepSeek-R1:fastest");

    let out = env.run(&[
        "infer",
        "model",
        "inspect",
        "--model",
        "huggingface/deepseek-ai/DeepSeek-R1:fastest",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.json()["contextWindow"],
        131072,
        "the base model's metadata"
    );
}

const FIXTURES: &[&str] = &[
    "default-model",
    "display-aliases",
    "deepseek-with-qwen-fallback",
    "qwen-cheapest-fastest",
    "deepseek-llama-gptoss",
    "forced-backend",
    "qwen-deepseek-policies",
];

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/huggingface/{name}.json5",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Every example loads as written and every alias resolves to its ref.
#[test]
fn provider_page_examples_load_and_resolve() {
    for name in FIXTURES {
        let text = fixture(name);
        let parsed: Value = json5_value(&text);
        let env = TestEnv::new();
        env.write_config(&text);
        let out = env.run(&["infer", "model", "list", "--json"]);
        assert_eq!(out.code, 0, "{name}: {out:?}");
        let defaults = &parsed["agents"]["defaults"];
        if let Some(models) = defaults["models"].as_object() {
            for (reference, settings) in models {
                let alias = settings["alias"].as_str().unwrap();
                let out = env.run(&["infer", "model", "inspect", "--model", alias, "--json"]);
                assert_eq!(out.code, 0, "{name}: alias {alias}: {out:?}");
                let model = &out.json();
                assert_eq!(
                    format!("huggingface/{}", model["id"].as_str().unwrap()),
                    *reference,
                    "{name}"
                );
                assert_eq!(
                    model["known"], true,
                    "{name}: {reference} has catalog metadata"
                );
                assert!(model["contextWindow"].is_u64(), "{name}: {reference}");
            }
        }
        let listed = out.json();
        let listed_refs: Vec<String> = hf_models(&listed)
            .iter()
            .map(|m| format!("huggingface/{}", m["id"].as_str().unwrap()))
            .collect();
        let model = &defaults["model"];
        let mut refs: Vec<&str> = vec![model["primary"].as_str().unwrap_or_default()];
        refs.extend(
            model["fallbacks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
        for reference in refs.into_iter().filter(|r| !r.is_empty()) {
            assert!(
                listed_refs.iter().any(|r| r == reference),
                "{name}: {reference} is listed"
            );
        }
    }
}

/// The examples drive a run as written: the default model (and a suffix)
/// goes to the router unchanged. Only the router address is changed, with
/// `config set`, which keeps the example's comment.
#[tokio::test]
async fn provider_page_examples_run_their_primary() {
    for name in FIXTURES.iter().filter(|n| **n != "display-aliases") {
        let server = router(ResponseTemplate::new(200).set_body_json(router_list())).await;
        let env = TestEnv::new().env("HF_TOKEN", "hf_x");
        env.write_config(&fixture(name));
        let base = format!("{}/v1", server.uri());
        let out = env.run(&[
            "config",
            "set",
            "models.providers.huggingface.baseUrl",
            &base,
        ]);
        assert_eq!(out.code, 0, "{name}: {out:?}");
        assert!(
            std::fs::read_to_string(env.config_path())
                .unwrap()
                .starts_with("//"),
            "comment kept"
        );
        let out = env.run(&["infer", "model", "run", "--prompt", "hi", "--json"]);
        assert_eq!(out.code, 0, "{name}: {out:?}");
        let primary = json5_value(&fixture(name))["agents"]["defaults"]["model"]["primary"]
            .as_str()
            .unwrap()
            .to_owned();
        let expected = primary.strip_prefix("huggingface/").unwrap();
        let bodies = received_bodies(&server).await;
        assert_eq!(bodies.last().unwrap()["model"], expected, "{name}");
    }
}

fn json5_value(text: &str) -> Value {
    // The binary is the JSON5 reader under test; ask it for the whole file.
    let env = TestEnv::new();
    env.write_config(text);
    let out = env.run(&["config", "get", "agents", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    json!({"agents": out.json()})
}
