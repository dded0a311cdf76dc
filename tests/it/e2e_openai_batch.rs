//! `--via provider-batch` and `infer batch status|fetch|cancel` end to end
//! against LLMock (PyPI `llmock`), an OpenAI Batch implementation we did not
//! write: it keeps the uploaded JSONL, runs each line through its own mock
//! chat or embeddings endpoint, and serves the output file. Started by
//! `scripts/with-llmock.sh` (answers echo the prompt); `#[ignore]`d like the
//! other e2e modules, so `scripts/test.sh` runs them and there a missing
//! server fails them. The same server's Anthropic Message Batches are
//! exercised too.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Outcome, TestEnv, engine_var};

fn llmock_url() -> String {
    engine_var(
        "OPENCLAW_TEST_LLMOCK_URL",
        "it starts the server with scripts/with-llmock.sh",
    )
}

/// A chat provider `llmock` (OpenAI chat completions) and the catalog's
/// `openai` provider for embeddings, both pointed at the server.
fn llmock_env(url: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  models: {{ providers: {{
    llmock: {{ baseUrl: "{url}/v1", apiKey: "test-key", api: "openai-completions",
      models: [{{ id: "gpt-4o-mini", name: "GPT-4o mini (mock)" }}] }},
    openai: {{ baseUrl: "{url}/v1", apiKey: "test-key" }},
  }} }},
}}"#
    ));
    env
}

fn write_lines(env: &TestEnv, name: &str, lines: &[Value]) -> String {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let path = env.path(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

fn lines_of(out: &Outcome) -> Vec<Value> {
    out.stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

/// GET `path` on the server with the test key, as JSON or as text.
fn server_get(url: &str, path: &str) -> String {
    let output = std::process::Command::new("curl")
        .args([
            "-sS",
            "--fail",
            "--max-time",
            "10",
            "-H",
            "authorization: Bearer test-key",
            &format!("{url}{path}"),
        ])
        .output()
        .expect("curl runs");
    assert!(
        output.status.success(),
        "GET {path}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The job's result lines as the server itself wrote them, by `custom_id`.
fn server_results(url: &str, job: &str) -> HashMap<String, Value> {
    let batch: Value =
        serde_json::from_str(&server_get(url, &format!("/v1/batches/{job}"))).unwrap();
    let file = batch["output_file_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no output file: {batch}"));
    server_get(url, &format!("/v1/files/{file}/content"))
        .lines()
        .map(|line| {
            let result: Value = serde_json::from_str(line).unwrap();
            (result["custom_id"].as_str().unwrap().to_owned(), result)
        })
        .collect()
}

/// `infer batch status JOB --json` until the provider says `completed`,
/// for at most a minute (LLMock finishes a job 3 s after it is created).
fn wait_completed(env: &TestEnv, job: &str) -> Value {
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let out = env.run(&["infer", "batch", "status", job, "--json"]);
        assert_eq!(out.code, 0, "{out:?}");
        let status = out.json();
        let word = status["status"].as_str().unwrap_or_default().to_owned();
        if word == "completed" {
            return status;
        }
        assert!(
            ["validating", "in_progress", "finalizing"].contains(&word.as_str()),
            "unexpected state: {status}"
        );
        seen.push(word);
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not completed after a minute; states seen: {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

#[test]
#[ignore = "needs llmock: scripts/test.sh"]
fn chat_job_submits_polls_fetches_and_cancels() {
    let url = llmock_url();
    let env = llmock_env(&url);
    let prompts = [
        "Name three colours of the rainbow",
        "What is the capital of Peru?",
        "Say something about otters",
        "Count from one to five please",
    ];
    // Ids: a text id, none (the line number stands in), a number, a text id.
    let lines = vec![
        json!({"id": "colours", "prompt": prompts[0]}),
        json!({"prompt": prompts[1]}),
        json!({"id": 42, "prompt": prompts[2]}),
        json!({"id": "count", "prompt": prompts[3], "thinking": "low"}),
    ];
    let ids = [json!("colours"), json!(2), json!(42), json!("count")];
    let custom_ids = ["colours", "2", "42", "count"];
    let input = write_lines(&env, "in.jsonl", &lines);

    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "llmock/gpt-4o-mini",
        "--batch",
        &input,
        "--via",
        "provider-batch",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let job = out.stdout.trim().to_owned();
    assert!(job.starts_with("batch_"), "{out:?}");
    assert_eq!(out.stdout, format!("{job}\n"), "only the job id on stdout");

    // Listed from the state dir without asking the server.
    let listed = env.run(&["infer", "batch", "status", "--json"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    assert_eq!(listed.json()["jobs"][0]["job"], job.as_str());

    let status = wait_completed(&env, &job);
    assert_eq!(status["requestCounts"]["total"], 4, "{status}");
    assert_eq!(status["requestCounts"]["completed"], 4, "{status}");

    let out = env.run(&["infer", "batch", "fetch", &job, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut records = lines_of(&out);
    let summary = records.pop().unwrap();
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(summary["done"], 4, "{summary}");
    assert_eq!(records.len(), 4, "one record per input line: {records:?}");

    let produced = server_results(&url, &job);
    assert_eq!(produced.len(), 4, "{produced:?}");
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record["id"], ids[n], "{record}");
        assert_eq!(record["line"], n + 1, "{record}");
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["capability"], "model.run", "{record}");
        assert_eq!(record["provider"], "llmock", "{record}");
        // The server ran this line's own request: its echo names the prompt.
        let text = record["outputs"][0]["text"].as_str().unwrap();
        assert!(text.ends_with(prompts[n]), "{text:?} for {:?}", prompts[n]);
        // And the record carries exactly what the server wrote for it.
        let body = &produced[custom_ids[n]]["response"]["body"];
        assert_eq!(text, body["choices"][0]["message"]["content"], "{body}");
        assert_eq!(
            record["usage"]["inputTokens"], body["usage"]["prompt_tokens"],
            "{record} vs {body}"
        );
        assert_eq!(
            record["usage"]["outputTokens"], body["usage"]["completion_tokens"],
            "{record} vs {body}"
        );
    }

    // A second job, cancelled before LLMock starts it: every line then
    // fetches as `cancelled`.
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "llmock/gpt-4o-mini",
        "--batch",
        &input,
        "--via",
        "provider-batch",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let second = out.stdout.trim().to_owned();
    assert_ne!(second, job);
    let out = env.run(&["infer", "batch", "cancel", &second]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("cancel"), "{out:?}");
    let status = env.run(&["infer", "batch", "status", &second, "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert_eq!(status.json()["status"], "cancelled", "{status:?}");
    let out = env.run(&["infer", "batch", "fetch", &second, "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let mut records = lines_of(&out);
    let summary = records.pop().unwrap();
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(records.len(), 4, "{records:?}");
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record["id"], ids[n], "{record}");
        assert_eq!(record["ok"], false, "{record}");
        assert_eq!(record["error"]["reason"], "cancelled", "{record}");
    }
}

#[test]
#[ignore = "needs llmock: scripts/test.sh"]
fn embedding_job_maps_vectors_back_to_texts() {
    let url = llmock_url();
    let env = llmock_env(&url);
    let input = write_lines(
        &env,
        "texts.jsonl",
        &[
            json!({"id": "pair", "text": ["a sea otter floats", "a river otter swims"]}),
            json!({"text": "tax forms are due in April"}),
            json!({"id": "solo", "text": "kelp forests grow fast"}),
        ],
    );
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--model",
        "openai/text-embedding-3-small",
        "--batch",
        &input,
        "--via",
        "provider-batch",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let submitted = out.json();
    assert_eq!(submitted["count"], 3, "{submitted}");
    let job = submitted["job"].as_str().unwrap().to_owned();

    wait_completed(&env, &job);
    let out = env.run(&["infer", "batch", "fetch", &job, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut records = lines_of(&out);
    records.pop();
    assert_eq!(records.len(), 3, "{records:?}");
    let produced = server_results(&url, &job);
    let expected = [
        (
            "pair",
            json!("pair"),
            vec!["a sea otter floats", "a river otter swims"],
        ),
        ("2", json!(2), vec!["tax forms are due in April"]),
        ("solo", json!("solo"), vec!["kelp forests grow fast"]),
    ];
    for (record, (custom_id, id, texts)) in records.iter().zip(expected) {
        assert_eq!(record["id"], id, "{record}");
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["capability"], "embedding.create", "{record}");
        let body = &produced[custom_id]["response"]["body"];
        let outputs = record["outputs"].as_array().unwrap();
        assert_eq!(outputs.len(), texts.len(), "{record}");
        for (i, (output, text)) in outputs.iter().zip(texts).enumerate() {
            assert_eq!(output["text"], text, "{record}");
            assert_eq!(output["dimensions"], 1536, "{record}");
            let ours = output["embedding"].as_array().unwrap();
            let theirs = body["data"][i]["embedding"].as_array().unwrap();
            assert_eq!(ours.len(), theirs.len());
            for (a, b) in ours.iter().zip(theirs) {
                let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
                assert!((a - b).abs() < 1e-6, "{a} vs {b}");
            }
        }
        assert_eq!(
            record["usage"]["inputTokens"], body["usage"]["prompt_tokens"],
            "{record} vs {body}"
        );
    }
}

/// LLMock also serves Anthropic Message Batches (under `/anthropic`), which
/// checks that flow against someone else's reading of the documented shape.
/// (Its Gemini batches take the Python SDK's `src.inlinedRequests`, not the
/// REST API's `batch.inputConfig`, so Gemini stays with the replays.)
#[test]
#[ignore = "needs llmock: scripts/test.sh"]
fn anthropic_message_batch_round_trip() {
    let url = llmock_url();
    let env = TestEnv::new().env("OPENCLAW_BATCH_POLL_MS", "200");
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ claude: {{ baseUrl: "{url}/anthropic", apiKey: "test-key",
      api: "anthropic-messages", models: [{{ id: "claude-sonnet-4-6" }}] }} }} }} }}"#
    ));
    let prompts = [
        "Describe a sea otter in one line",
        "Which planet is largest?",
    ];
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"id": "otter", "prompt": prompts[0]}),
            json!({"prompt": prompts[1]}),
        ],
    );
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "claude/claude-sonnet-4-6",
        "--batch",
        &input,
        "--via",
        "provider-batch",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let job = out.stdout.trim().to_owned();
    assert!(job.starts_with("msgbatch_"), "{out:?}");

    let started = Instant::now();
    let out = env.run(&["infer", "batch", "fetch", &job, "--wait", "--json"]);
    assert!(started.elapsed() < Duration::from_secs(60), "{out:?}");
    assert_eq!(out.code, 0, "{out:?}");
    let mut records = lines_of(&out);
    assert_eq!(records.pop().unwrap()["done"], 2);
    let produced: HashMap<String, Value> = server_get(
        &url,
        &format!("/anthropic/v1/messages/batches/{job}/results"),
    )
    .lines()
    .map(|line| {
        let result: Value = serde_json::from_str(line).unwrap();
        (result["custom_id"].as_str().unwrap().to_owned(), result)
    })
    .collect();
    for ((record, (id, custom_id)), prompt) in records
        .iter()
        .zip([(json!("otter"), "otter"), (json!(2), "2")])
        .zip(prompts)
    {
        assert_eq!(record["id"], id, "{record}");
        assert_eq!(record["ok"], true, "{record}");
        assert_eq!(record["provider"], "claude", "{record}");
        let text = record["outputs"][0]["text"].as_str().unwrap();
        assert!(text.ends_with(prompt), "{text:?}");
        let message = &produced[custom_id]["result"]["message"];
        assert_eq!(text, message["content"][0]["text"], "{message}");
        assert_eq!(
            record["usage"]["inputTokens"], message["usage"]["input_tokens"],
            "{record} vs {message}"
        );
        assert_eq!(
            record["usage"]["outputTokens"], message["usage"]["output_tokens"],
            "{record} vs {message}"
        );
    }
}
