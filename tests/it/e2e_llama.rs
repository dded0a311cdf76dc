//! End to end against the real llama.cpp server (xllamacpp + SmolLM2),
//! started by `scripts/with-llama-server.sh`, which exports its URL.
//! The tests are `#[ignore]`d: `scripts/test.sh` runs them
//! (`--include-ignored`), and there a missing server fails them.

use crate::support::{TestEnv, engine_var};

fn llama_url() -> String {
    engine_var(
        "OPENCLAW_TEST_LLAMA_URL",
        "it starts the server with scripts/with-llama-server.sh",
    )
}

fn env_for(url: &str, streaming: bool) -> TestEnv {
    env_with_api(url, streaming, "openai-completions")
}

/// The same server through another wire protocol (`api` value).
fn env_with_api(url: &str, streaming: bool, api: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ model: "llama/smollm2" }} }},
  models: {{ providers: {{ llama: {{
    baseUrl: "{url}/v1", api: "{api}", streaming: {streaming},
    models: [{{ id: "smollm2", name: "SmolLM2 135M", temperature: 0, contextWindow: 8192 }}],
  }} }} }},
}}"#
    ));
    env
}

const QUESTION: &str = "What is the capital of France? Answer in one word.";

#[test]
#[ignore = "needs the llama.cpp server: scripts/test.sh"]
fn plain_answer_from_the_real_server() {
    let url = llama_url();
    let env = env_for(&url, false);
    let out = env.run(&["infer", "model", "run", "--prompt", QUESTION, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["provider"], "llama");
    let text = envelope["outputs"][0]["text"].as_str().unwrap();
    assert!(text.contains("Paris"), "answer: {text}");
    assert!(envelope["usage"]["inputTokens"].as_u64().unwrap() > 0);
    assert!(envelope["usage"]["outputTokens"].as_u64().unwrap() > 0);
}

#[test]
#[ignore = "needs the llama.cpp server: scripts/test.sh"]
fn streamed_answer_from_the_real_server() {
    let url = llama_url();
    let env = env_for(&url, true);
    let out = env.run(&["infer", "model", "run", "--prompt", QUESTION, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    let text = envelope["outputs"][0]["text"].as_str().unwrap().to_owned();
    assert!(text.contains("Paris"), "answer: {text}");
    assert!(envelope["timings"]["firstTokenMs"].is_u64());

    // Text mode: exactly the answer and one newline; same answer at temperature 0.
    let out = env.run(&["infer", "model", "run", "--prompt", QUESTION]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("{text}\n"));
}

/// llama.cpp also speaks Anthropic Messages at `/v1/messages`.
#[test]
#[ignore = "needs the llama.cpp server: scripts/test.sh"]
fn anthropic_messages_through_the_real_server() {
    let url = llama_url();
    for streaming in [false, true] {
        let env = env_with_api(&url, streaming, "anthropic-messages");
        let out = env.run(&["infer", "model", "run", "--prompt", QUESTION, "--json"]);
        assert_eq!(out.code, 0, "streaming {streaming}: {out:?}");
        let envelope = out.json();
        assert_eq!(envelope["ok"], true);
        assert_eq!(envelope["provider"], "llama");
        let text = envelope["outputs"][0]["text"].as_str().unwrap();
        assert!(
            text.contains("Paris"),
            "streaming {streaming}: answer: {text}"
        );
        assert!(envelope["usage"]["inputTokens"].as_u64().unwrap() > 0);
        assert!(envelope["usage"]["outputTokens"].as_u64().unwrap() > 0);
    }
}
