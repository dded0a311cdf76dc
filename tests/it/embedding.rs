//! `infer embedding` against loopback servers: the exact request each
//! protocol sends, batching, order, and validation before any request.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::TestEnv;

/// Answers an OpenAI-style embeddings request with one vector per input,
/// `[index, length of text]`, listed in REVERSE order so the client must sort.
struct EchoEmbeddings;

impl Respond for EchoEmbeddings {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        let inputs = body["input"].as_array().unwrap();
        let mut data: Vec<_> = inputs
            .iter()
            .enumerate()
            .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": [i as f64, text.as_str().unwrap().len() as f64]}))
            .collect();
        data.reverse();
        ResponseTemplate::new(200).set_body_json(
            json!({"object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": 5, "total_tokens": 5}}),
        )
    }
}

async fn openai_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(EchoEmbeddings)
        .mount(&server)
        .await;
    server
}

fn env_with(provider: &str, base_url: &str, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ {provider}: {{ baseUrl: "{base_url}", apiKey: "test-key" {extra} }} }} }} }}"#
    ));
    env
}

#[tokio::test]
async fn openai_default_model_one_batched_request_in_order() {
    let server = openai_server().await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "");
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "openai",
        "--text",
        "a",
        "--text",
        "bbb",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["capability"], "embedding.create");
    assert_eq!(envelope["provider"], "openai");
    assert_eq!(envelope["model"], "text-embedding-3-small");
    assert_eq!(
        envelope["outputs"],
        json!([
            {"text": "a", "embedding": [0.0, 1.0], "dimensions": 2},
            {"text": "bbb", "embedding": [1.0, 3.0], "dimensions": 2},
        ])
    );
    assert_eq!(envelope["usage"]["inputTokens"], 5);
    // 5 tokens at the catalog's $0.02 per million.
    assert_eq!(envelope["usage"]["cost"]["total"], 1e-7);
    assert_eq!(envelope["usage"]["cost"]["source"], "catalog");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "one batched request");
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Bearer test-key"
    );
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({"model": "text-embedding-3-small", "input": ["a", "bbb"]})
    );

    // Text mode: one vector per line.
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--model",
        "openai/text-embedding-3-large",
        "--text",
        "xy",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "[0.0,2.0]\n");
}

#[tokio::test]
async fn texts_beyond_the_batch_limit_are_split_and_kept_in_order() {
    let server = openai_server().await;
    let env = env_with("mistral", &format!("{}/v1", server.uri()), "");
    let texts: Vec<String> = (0..130).map(|i| "x".repeat(i + 1)).collect();
    let mut args = vec![
        "infer",
        "embedding",
        "create",
        "--provider",
        "mistral",
        "--json",
    ];
    for text in &texts {
        args.extend(["--text", text.as_str()]);
    }
    let out = env.run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["model"], "mistral-embed");
    let outputs = envelope["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 130);
    for (i, output) in outputs.iter().enumerate() {
        assert_eq!(output["text"], texts[i]);
        assert_eq!(
            output["embedding"][1],
            (i + 1) as f64,
            "vector {i} belongs to its text"
        );
    }
    let requests = server.received_requests().await.unwrap();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| {
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["input"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [128, 2]);
}

#[tokio::test]
async fn voyage_gemini_and_ollama_wire_formats() {
    // Voyage: OpenAI-style path and body, Bearer key.
    let server = openai_server().await;
    let env = env_with("voyage", &format!("{}/v1", server.uri()), "");
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "voyage",
        "--text",
        "q",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["model"], "voyage-3.5");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer test-key"
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&request.body).unwrap(),
        json!({"model": "voyage-3.5", "input": ["q"]})
    );

    // Gemini batchEmbedContents with the key in x-goog-api-key; `gemini` names google.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/v1beta/models/gemini-embedding-001:batchEmbedContents",
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"embeddings": [{"values": [0.1, 0.2]}, {"values": [0.3, 0.4]}]}),
            ),
        )
        .mount(&server)
        .await;
    let env = env_with("google", &format!("{}/v1beta", server.uri()), "");
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "gemini",
        "--text",
        "a",
        "--text",
        "b",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "google");
    assert_eq!(
        envelope["outputs"][1],
        json!({"text": "b", "embedding": [0.3, 0.4], "dimensions": 2})
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers.get("x-goog-api-key").unwrap(), "test-key");
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&request.body).unwrap(),
        json!({"requests": [
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "a"}]}},
            {"model": "models/gemini-embedding-001", "content": {"parts": [{"text": "b"}]}},
        ]})
    );

    // Ollama /api/embed at the server root (a configured /v1 is dropped).
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/embed"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({"model": "nomic-embed-text", "embeddings": [[1.0, 2.0, 3.0]]}),
            ),
        )
        .mount(&server)
        .await;
    let env = env_with("ollama", &format!("{}/v1", server.uri()), "");
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--model",
        "ollama/nomic-embed-text",
        "--text",
        "hi",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["dimensions"], 3);
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&request.body).unwrap(),
        json!({"model": "nomic-embed-text", "input": ["hi"]})
    );
}

#[tokio::test]
async fn config_selects_provider_and_model() {
    let server = openai_server().await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ agents: {{ defaults: {{ memorySearch: {{ provider: "myemb", model: "e5" }} }} }},
             models: {{ providers: {{ myemb: {{ baseUrl: "{}/v1" }} }} }} }}"#,
        server.uri()
    ));
    let out = env.run(&["infer", "embedding", "create", "--text", "a", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(
        (envelope["provider"].as_str(), envelope["model"].as_str()),
        (Some("myemb"), Some("e5"))
    );
    let request = &server.received_requests().await.unwrap()[0];
    assert!(
        request.headers.get("authorization").is_none(),
        "no key configured, none sent"
    );

    let out = env.run(&["infer", "embedding", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows = out.json().as_array().unwrap().clone();
    let mine = rows.iter().find(|r| r["provider"] == "myemb").unwrap();
    assert_eq!(mine["selected"], true);
    assert!(
        rows.iter()
            .any(|r| r["provider"] == "voyage" && r["defaultModel"] == "voyage-3.5")
    );
    assert!(!rows.iter().any(|r| r["provider"] == "anthropic"));
}

#[tokio::test]
async fn usage_errors_send_nothing() {
    let server = openai_server().await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "");
    let cases: [&[&str]; 5] = [
        &["infer", "embedding", "create", "--json"],
        &["infer", "embedding", "create", "--text", "  ", "--json"],
        &[
            "infer",
            "embedding",
            "create",
            "--text",
            "a",
            "--model",
            "text-embedding-3-small",
            "--json",
        ],
        &[
            "infer",
            "embedding",
            "create",
            "--text",
            "a",
            "--provider",
            "voyage",
            "--model",
            "openai/text-embedding-3-small",
            "--json",
        ],
        &[
            "infer",
            "embedding",
            "create",
            "--text",
            "a",
            "--provider",
            "anthropic",
            "--model",
            "anthropic/x",
            "--json",
        ],
    ];
    for args in cases {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let envelope = out.json();
        assert_eq!(envelope["ok"], false, "{args:?}");
    }
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--text",
        "a",
        "--provider",
        "voyage",
        "--model",
        "openai/text-embedding-3-small",
    ]);
    assert!(out.stderr.contains("--provider voyage"), "{}", out.stderr);
    assert!(server.received_requests().await.unwrap().is_empty());

    // No credential anywhere: an auth error naming the variable, no request.
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "openai",
        "--text",
        "a",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["error"]["reason"], "auth");
}

#[tokio::test]
async fn provider_errors_are_classified() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "bad key"}})),
        )
        .mount(&server)
        .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "");
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "openai",
        "--text",
        "a",
        "--json",
    ]);
    assert_eq!(out.code, 1);
    let envelope = out.json();
    assert_eq!(envelope["error"]["reason"], "auth");
    assert_eq!(envelope["provider"], "openai");
    assert!(!out.stdout.contains("test-key") && !out.stderr.contains("test-key"));
}

#[test]
fn local_without_its_files_is_an_honest_error() {
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "local",
        "--text",
        "x",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["provider"], serde_json::Value::Null);
    let message = envelope["error"]["message"].as_str().unwrap();
    if cfg!(feature = "local-embeddings") {
        assert!(
            message.contains("no `local` embedding model configured"),
            "{message}"
        );
    } else {
        assert!(message.contains("not available in this build"), "{message}");
    }
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "openai",
        "--model",
        "local/minilm",
        "--text",
        "x",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("disagrees"), "{}", out.stderr);
}
