//! The `local` provider: GGUF models run in-process (feature `local-llm`).
//!
//! End-to-end tests use the real SmolLM2 GGUF whose path `scripts/test.sh`
//! exports as `OPENCLAW_TEST_LOCAL_GGUF`; they are `#[ignore]`d, run there
//! with `--include-ignored`, and a missing file fails them. Bad-file tests
//! use small files written here.

#[cfg(feature = "local-llm")]
use std::path::{Path, PathBuf};

use crate::support::TestEnv;
#[cfg(feature = "local-llm")]
use crate::support::write_png;

const QUESTION: &str = "What is the capital of France? Answer in one word.";
#[cfg(feature = "local-llm")]
const MODEL_ID: &str = "SmolLM2-135M-Instruct.Q4_1";

/// A GGUF file in memory: key/values, then F32 tensors.
struct GgufBuilder {
    kvs: Vec<u8>,
    count: u64,
    tensors: Vec<(String, u64)>,
}

impl GgufBuilder {
    fn new() -> GgufBuilder {
        GgufBuilder {
            kvs: Vec::new(),
            count: 0,
            tensors: Vec::new(),
        }
    }

    fn text(mut self, key: &str, value: &str) -> GgufBuilder {
        self.kvs.extend((key.len() as u64).to_le_bytes());
        self.kvs.extend(key.as_bytes());
        self.kvs.extend(8u32.to_le_bytes());
        self.kvs.extend((value.len() as u64).to_le_bytes());
        self.kvs.extend(value.as_bytes());
        self.count += 1;
        self
    }

    fn u32(mut self, key: &str, value: u32) -> GgufBuilder {
        self.kvs.extend((key.len() as u64).to_le_bytes());
        self.kvs.extend(key.as_bytes());
        self.kvs.extend(4u32.to_le_bytes());
        self.kvs.extend(value.to_le_bytes());
        self.count += 1;
        self
    }

    fn tensor(mut self, name: &str, elements: u64) -> GgufBuilder {
        self.tensors.push((name.to_owned(), elements));
        self
    }

    fn build(self) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend(self.count.to_le_bytes());
        out.extend(&self.kvs);
        let mut offset = 0u64;
        for (name, elements) in &self.tensors {
            out.extend((name.len() as u64).to_le_bytes());
            out.extend(name.as_bytes());
            out.extend(1u32.to_le_bytes());
            out.extend(elements.to_le_bytes());
            out.extend(0u32.to_le_bytes()); // F32
            out.extend(offset.to_le_bytes());
            offset = (offset + elements * 4).div_ceil(32) * 32;
        }
        out.resize(out.len().div_ceil(32) * 32, 0);
        out.resize(out.len() + offset as usize, 0);
        out
    }
}

fn chat_gguf(architecture: &str) -> Vec<u8> {
    GgufBuilder::new()
        .text("general.architecture", architecture)
        .text("general.name", "Test model")
        .u32(&format!("{architecture}.context_length"), 4096)
        .u32("general.file_type", 0)
        .text(
            "tokenizer.chat_template",
            "{% for m in messages %}{{ m.content }}{% endfor %}",
        )
        .tensor("token_embd.weight", 64)
        .tensor("output.weight", 64)
        .build()
}

fn run_json(env: &TestEnv, model: &str, extra: &[&str]) -> crate::support::Outcome {
    let mut args = vec![
        "infer", "model", "run", "--model", model, "--prompt", QUESTION, "--json",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// A failed run: the exit code, one JSON document, a one-line error.
fn assert_fails(out: &crate::support::Outcome, code: i32, needle: &str) -> serde_json::Value {
    assert_eq!(out.code, code, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(message.contains(needle), "message: {message}");
    assert!(!message.contains('\n'), "one line: {message}");
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    envelope
}

#[test]
fn local_inspect_reads_the_gguf_header_in_every_build() {
    let env = TestEnv::new();
    let dir = env.state_dir().join("models");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("tiny.gguf"), chat_gguf("qwen2")).unwrap();

    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let models = out.json().as_array().unwrap().clone();
    let tiny = models
        .iter()
        .find(|m| m["provider"] == "local" && m["id"] == "tiny")
        .expect("local/tiny listed");
    assert_eq!(tiny["contextWindow"], 4096);

    let out = env.run(&[
        "infer",
        "model",
        "inspect",
        "--model",
        "local/tiny",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let gguf = &out.json()["gguf"];
    assert_eq!(gguf["architecture"], "qwen2");
    assert_eq!(gguf["contextLength"], 4096);
    assert_eq!(gguf["quantization"], "F32");
    assert_eq!(gguf["chatTemplate"], true);
    assert_eq!(gguf["supported"], true);

    // A file outside the models folder, by path.
    let other = env.path("odd.gguf");
    std::fs::write(&other, chat_gguf("frobnicator")).unwrap();
    let reference = format!("local/{}", other.display());
    let out = env.run(&["infer", "model", "inspect", "--model", &reference, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let gguf = &out.json()["gguf"];
    assert_eq!(gguf["supported"], false);
    assert!(
        gguf["unsupportedReason"]
            .as_str()
            .unwrap()
            .contains("frobnicator")
    );
}

#[test]
fn local_inspect_rejects_bad_files_in_every_build() {
    let env = TestEnv::new();
    std::fs::write(env.path("text.gguf"), "just some text, not a model").unwrap();
    let mut truncated = chat_gguf("llama");
    truncated.truncate(truncated.len() - 100);
    std::fs::write(env.path("cut.gguf"), truncated).unwrap();
    for (model, needle) in [
        ("local/./missing.gguf", "no such file"),
        ("local/./text.gguf", "not a GGUF file"),
        ("local/./cut.gguf", "truncated"),
    ] {
        let out = env.run(&["infer", "model", "inspect", "--model", model, "--json"]);
        assert_fails(&out, 2, needle);
    }
}

#[cfg(not(feature = "local-llm"))]
#[test]
fn local_run_without_the_feature_says_how_to_build_it() {
    let env = TestEnv::new();
    let out = run_json(&env, "local/anything", &[]);
    let envelope = assert_fails(&out, 2, "built without the `local-llm` feature");
    let hints = envelope["error"]["hints"].to_string();
    assert!(hints.contains("--features local-llm"), "{hints}");
}

/// The SmolLM2 GGUF, for the tests marked `#[ignore]` (see `engine_var`).
#[cfg(feature = "local-llm")]
fn smollm2() -> PathBuf {
    let path = PathBuf::from(crate::support::engine_var(
        "OPENCLAW_TEST_LOCAL_GGUF",
        "it exports the SmolLM2 file that scripts/setup-engines.sh chat fetches",
    ));
    assert!(
        path.is_file(),
        "OPENCLAW_TEST_LOCAL_GGUF ({}) is not a file: run scripts/setup-engines.sh chat, then scripts/test.sh",
        path.display()
    );
    path
}

/// A fresh state dir whose models folder holds SmolLM2 (a symlink).
#[cfg(feature = "local-llm")]
fn env_with_model(gguf: &Path, config: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(config);
    let dir = env.state_dir().join("models");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(gguf, dir.join(format!("{MODEL_ID}.gguf"))).unwrap();
    env
}

#[cfg(feature = "local-llm")]
#[test]
#[ignore = "needs the SmolLM2 GGUF: scripts/test.sh"]
fn local_model_answers_paris_twice_identically() {
    let gguf = smollm2();
    let env = env_with_model(&gguf, "{}");
    let model = format!("local/{MODEL_ID}");
    let mut answers = Vec::new();
    for _ in 0..2 {
        let out = run_json(&env, &model, &[]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(
            out.stderr, "",
            "no llama.cpp logging without --log-level debug"
        );
        let envelope = out.json();
        assert_eq!(envelope["ok"], true);
        assert_eq!(envelope["transport"], "local");
        assert_eq!(envelope["provider"], "local");
        assert_eq!(envelope["model"], MODEL_ID);
        let text = envelope["outputs"][0]["text"].as_str().unwrap().to_owned();
        assert!(text.contains("Paris"), "answer: {text}");
        let usage = &envelope["usage"];
        assert!(usage["inputTokens"].as_u64().unwrap() > 10, "{usage}");
        assert!(usage["outputTokens"].as_u64().unwrap() > 0, "{usage}");
        let timings = &envelope["timings"];
        for key in ["loadMs", "promptMs", "firstTokenMs", "totalMs"] {
            assert!(timings[key].is_u64(), "{key}: {timings}");
        }
        assert!(timings["perTokenMs"].as_f64().unwrap() > 0.0, "{timings}");
        assert!(
            timings["tokensPerSecond"].as_f64().unwrap() > 0.0,
            "{timings}"
        );
        answers.push(text);
    }
    assert_eq!(answers[0], answers[1], "greedy decoding is reproducible");

    // Text mode streams the same answer to stdout, then one newline.
    let out = env.run(&[
        "infer", "model", "run", "--model", &model, "--prompt", QUESTION,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, format!("{}\n", answers[0]));
}

#[cfg(feature = "local-llm")]
#[test]
#[ignore = "needs the SmolLM2 GGUF: scripts/test.sh"]
fn local_model_by_path_config_entry_and_default() {
    let gguf = smollm2();
    let config = format!(
        r#"{{
  agents: {{ defaults: {{ model: "local/smol" }} }},
  models: {{ providers: {{ local: {{ threads: 1,
    models: [{{ id: "smol", path: "{}", maxTokens: 4 }}] }} }} }},
}}"#,
        gguf.display()
    );
    let env = TestEnv::new();
    env.write_config(&config);
    // Config entry with a path, as the default model; maxTokens caps the answer.
    let out = env.run(&["infer", "model", "run", "--prompt", QUESTION, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["model"], "smol");
    assert!(envelope["usage"]["outputTokens"].as_u64().unwrap() <= 4);

    // A direct absolute path (`local//abs/x.gguf`).
    let reference = format!("local/{}", gguf.display());
    let out = run_json(&env, &reference, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.json()["outputs"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Paris")
    );

    // llama.cpp's own logging appears with --log-level debug only, on stderr.
    let out = run_json(&env, &reference, &["--log-level", "debug"]);
    assert_eq!(out.code, 0, "{out:?}");
    out.json();
    assert!(
        out.stderr.contains("llama_model_loader: loaded meta data"),
        "stderr: {}",
        out.stderr
    );
}

#[cfg(feature = "local-llm")]
#[test]
fn local_model_bad_files_give_one_line_errors() {
    let env = TestEnv::new();
    std::fs::write(env.path("text.gguf"), "hello, I am not a model").unwrap();
    let mut cut = chat_gguf("llama");
    cut.truncate(cut.len() - 64);
    std::fs::write(env.path("cut.gguf"), &cut).unwrap();
    let header_only = &chat_gguf("llama")[..40];
    std::fs::write(env.path("header.gguf"), header_only).unwrap();
    std::fs::write(env.path("alien.gguf"), chat_gguf("frobnicator")).unwrap();
    std::fs::write(env.path("clip.gguf"), chat_gguf("clip")).unwrap();
    for (model, needle) in [
        ("local/./missing.gguf", "no such file"),
        ("local/not-in-the-models-dir", "no such file"),
        ("local/./text.gguf", "not a GGUF file"),
        ("local/./cut.gguf", "truncated GGUF file"),
        ("local/./header.gguf", "truncated GGUF file"),
        (
            "local/./alien.gguf",
            "architecture `frobnicator` is not supported",
        ),
        ("local/./clip.gguf", "not a text chat model"),
    ] {
        let out = run_json(&env, model, &[]);
        let envelope = assert_fails(&out, 2, needle);
        assert_eq!(envelope["provider"], "local", "{model}");
    }

    // A well-formed header over tensors llama.cpp cannot use: its loader
    // fails cleanly (a runtime failure, exit 1), no crash.
    std::fs::write(env.path("hollow.gguf"), chat_gguf("llama")).unwrap();
    let out = run_json(&env, "local/./hollow.gguf", &[]);
    assert_fails(&out, 1, "llama.cpp could not load it");
}

#[cfg(feature = "local-llm")]
#[test]
#[ignore = "needs the SmolLM2 GGUF: scripts/test.sh"]
fn local_model_refuses_what_it_cannot_do() {
    let gguf = smollm2();
    let env = env_with_model(
        &gguf,
        r#"{ models: { providers: { local: { models: [
            { id: "tiny-window", path: "models/SmolLM2-135M-Instruct.Q4_1.gguf", contextWindow: 16 },
        ] } } } }"#,
    );
    let model = format!("local/{MODEL_ID}");

    // Images: no vision projector.
    write_png(&env.path("a.png"));
    let out = run_json(&env, &model, &["--file", "a.png"]);
    assert_fails(&out, 2, "image");

    // The prompt does not fit the configured context window.
    let out = run_json(&env, "local/tiny-window", &[]);
    assert_fails(&out, 2, "context window of 16 tokens");

    // A CPU without AVX2 (simulated: this machine has it) is refused before C code runs.
    let env = env.env("OPENCLAW_TEST_CPU_WITHOUT_AVX2", "1");
    let out = run_json(&env, &model, &[]);
    assert_fails(&out, 2, "avx2");
}

#[cfg(feature = "local-llm")]
#[test]
#[ignore = "needs the SmolLM2 GGUF: scripts/test.sh"]
fn local_model_takes_over_when_the_primary_is_unreachable() {
    let gguf = smollm2();
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let env = env_with_model(
        &gguf,
        &format!(
            r#"{{
  agents: {{ defaults: {{ model: {{ primary: "remote/m1", fallbacks: ["local/{MODEL_ID}"] }} }} }},
  models: {{ providers: {{ remote: {{ baseUrl: "http://127.0.0.1:9/v1", apiKey: "k", api: "openai-completions",
    models: [{{ id: "m1" }}] }} }} }},
}}"#
        ),
    );
    let out = env.run(&["infer", "model", "run", "--prompt", QUESTION, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "local");
    assert_eq!(envelope["transport"], "local");
    let attempts = envelope["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0]["provider"], "remote");
    assert_eq!(attempts[0]["reason"], "network");
    let text = envelope["outputs"][0]["text"].as_str().unwrap();
    assert!(text.contains("Paris"), "answer: {text}");
}
