//! End to end against the real llama.cpp server (xllamacpp + SmolLM2),
//! started by `scripts/with-llama-server.sh`, which exports its URL.
//! Under `.ci/run` (`OPENCLAW_REQUIRE_ENGINES=1`) a missing server fails.

use crate::support::TestEnv;

fn llama_url() -> Option<String> {
    match std::env::var("OPENCLAW_TEST_LLAMA_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("OPENCLAW_REQUIRE_ENGINES").is_err(),
                "OPENCLAW_TEST_LLAMA_URL is not set but engines are required: run through scripts/with-llama-server.sh"
            );
            eprintln!("skipping: no llama.cpp server (set OPENCLAW_TEST_LLAMA_URL)");
            None
        }
    }
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
fn plain_answer_from_the_real_server() {
    let Some(url) = llama_url() else { return };
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
fn streamed_answer_from_the_real_server() {
    let Some(url) = llama_url() else { return };
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
fn anthropic_messages_through_the_real_server() {
    let Some(url) = llama_url() else { return };
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
