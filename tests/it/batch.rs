//! `--batch FILE` against loopback servers: records, order, invalid lines,
//! keep-going, resume, SIGINT, and the limiter shared by every worker.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{Outcome, TestEnv, completion, env_for};

/// Answers each chat request with its own prompt, after `delay` (longer
/// when the prompt contains `slow`), and notes when each request came.
#[derive(Clone, Default)]
struct Echo {
    delay: Duration,
    arrivals: Arc<Mutex<Vec<(Instant, String)>>>,
    /// Arrival numbers (0-based) answered with 429 and `Retry-After: 1`.
    limited: Vec<usize>,
}

fn prompt_of(request: &Request) -> String {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let content = &body["messages"][0]["content"];
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

impl Respond for Echo {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let prompt = prompt_of(request);
        let number = {
            let mut arrivals = self.arrivals.lock().unwrap();
            arrivals.push((Instant::now(), prompt.clone()));
            arrivals.len() - 1
        };
        if self.limited.contains(&number) {
            return ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_body_json(json!({"error": {"message": "slow down", "type": "rate_limit"}}));
        }
        let delay = if prompt.contains("slow") {
            self.delay * 4
        } else {
            self.delay
        };
        ResponseTemplate::new(200)
            .set_delay(delay)
            .set_body_json(completion(&format!("echo {prompt}")))
    }
}

async fn echo_server(echo: Echo) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(echo)
        .mount(&server)
        .await;
    server
}

fn write_lines(env: &TestEnv, name: &str, lines: &[Value]) -> String {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let file = env.path(name);
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

fn records(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("torn line {line:?}: {e}"))
        })
        .collect()
}

fn run_batch(env: &TestEnv, input: &str, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "infer", "model", "run", "--model", "loop/m1", "--batch", input,
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[tokio::test]
async fn one_record_per_line_with_id_line_and_a_summary() {
    let server = echo_server(Echo::default()).await;
    let env = env_for(&server, "");
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"id": "a", "prompt": "one"}),
            json!({"prompt": "two"}),
            json!({"id": 7, "prompt": "three", "thinking": "off"}),
        ],
    );
    let out = run_batch(&env, &input, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let mut records = records(&out.stdout);
    assert_eq!(records.len(), 3);
    records.sort_by_key(|r| r["line"].as_u64());
    assert_eq!(records[0]["id"], "a");
    assert_eq!(records[0]["line"], 1);
    assert_eq!(records[0]["ok"], true);
    assert_eq!(records[0]["capability"], "model.run");
    assert_eq!(records[0]["outputs"][0]["text"], "echo one");
    assert_eq!(
        records[1]["id"], 2,
        "the line number stands in for a missing id"
    );
    assert_eq!(records[2]["id"], 7);
    assert_eq!(records[2]["outputs"][0]["text"], "echo three");
    assert!(
        out.stderr.contains("batch: 3 done, 0 failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("21 in, 6 out tokens"), "{}", out.stderr);
}

#[tokio::test]
async fn json_adds_the_summary_as_the_last_record() {
    let server = echo_server(Echo::default()).await;
    let env = env_for(&server, "");
    let input = write_lines(&env, "in.jsonl", &[json!({"prompt": "x"})]);
    let out = run_batch(&env, &input, &["--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let records = records(&out.stdout);
    assert_eq!(records.len(), 2);
    let summary = &records[1];
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["done"], 1);
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["tokens"], json!({"input": 7, "output": 2}));
    assert!(summary["requestsPerSecond"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn completion_order_by_default_input_order_with_ordered() {
    let echo = Echo {
        delay: Duration::from_millis(100),
        ..Echo::default()
    };
    let server = echo_server(echo).await;
    let env = env_for(&server, "");
    let lines = [
        json!({"id": "first", "prompt": "slow one"}),
        json!({"id": "second", "prompt": "quick"}),
        json!({"id": "third", "prompt": "quick too"}),
    ];
    let input = write_lines(&env, "in.jsonl", &lines);
    let out = run_batch(&env, &input, &["--concurrency", "3"]);
    assert_eq!(out.code, 0, "{out:?}");
    let ids: Vec<Value> = records(&out.stdout)
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(
        ids.last().unwrap(),
        "first",
        "the slow line finishes last: {ids:?}"
    );

    let out = run_batch(&env, &input, &["--concurrency", "3", "--ordered"]);
    assert_eq!(out.code, 0, "{out:?}");
    let ids: Vec<Value> = records(&out.stdout)
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [json!("first"), json!("second"), json!("third")]);
}

#[tokio::test]
async fn invalid_lines_are_reported_before_any_request() {
    let server = echo_server(Echo::default()).await;
    let env = env_for(&server, "");
    let input = env.path("in.jsonl");
    std::fs::write(
        &input,
        "{\"prompt\":\"fine\"}\n{\"promt\":\"typo\"}\nnot json\n{\"prompt\":\"t\",\"thinking\":\"huge\"}\n",
    )
    .unwrap();
    let output = env.path("out.jsonl");
    let out = run_batch(
        &env,
        input.to_str().unwrap(),
        &["--output", output.to_str().unwrap()],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("line 2: unknown field `promt`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 3: not valid JSON"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("line 4: `thinking`"), "{}", out.stderr);
    assert!(!out.stderr.contains("line 1"), "{}", out.stderr);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(!output.exists(), "nothing is written for a rejected batch");
}

#[tokio::test]
async fn keep_going_records_invalid_lines_as_failures() {
    let server = echo_server(Echo::default()).await;
    let env = env_for(&server, "");
    let input = env.path("in.jsonl");
    std::fs::write(
        &input,
        "{\"prompt\":\"fine\"}\n{\"id\":\"bad\",\"extra\":1}\n",
    )
    .unwrap();
    let out = run_batch(
        &env,
        input.to_str().unwrap(),
        &["--keep-going", "--ordered"],
    );
    assert_eq!(out.code, 1, "{out:?}");
    let records = records(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["ok"], true);
    assert_eq!(records[1]["id"], "bad");
    assert_eq!(records[1]["line"], 2);
    assert_eq!(records[1]["ok"], false);
    assert_eq!(records[1]["error"]["reason"], "usage");
    assert!(
        records[1]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 2")
    );
    assert!(out.stderr.contains("1 failed (usage 1)"), "{}", out.stderr);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn provider_failures_become_failed_records_with_reasons() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "bad key test-key"}})),
        )
        .mount(&server)
        .await;
    let env = env_for(&server, "");
    let input = write_lines(&env, "in.jsonl", &[json!({"prompt": "x"})]);
    let out = run_batch(&env, &input, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let records = records(&out.stdout);
    assert_eq!(records[0]["ok"], false);
    assert_eq!(records[0]["error"]["reason"], "auth");
    assert!(out.stderr.contains("auth 1"), "{}", out.stderr);
}

#[tokio::test]
async fn resume_skips_finished_ids_and_cuts_a_torn_tail() {
    let server = echo_server(Echo::default()).await;
    let env = env_for(&server, "");
    let lines: Vec<Value> = (1..=5)
        .map(|n| json!({"prompt": format!("p{n}")}))
        .collect();
    let input = write_lines(&env, "in.jsonl", &lines);
    let output = env.path("out.jsonl");
    // Ids 1 and 2 finished, 3 failed, and a record of 4 was cut mid-write.
    std::fs::write(
        &output,
        "{\"id\":1,\"line\":1,\"ok\":true}\n{\"id\":2,\"line\":2,\"ok\":true}\n{\"id\":3,\"line\":3,\"ok\":false}\n{\"id\":4,\"line\":4,\"ok\":tr",
    )
    .unwrap();
    let out = run_batch(
        &env,
        &input,
        &["--output", output.to_str().unwrap(), "--resume", "--json"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let summary = records(&out.stdout).pop().unwrap();
    assert_eq!(summary["skipped"], 2);
    assert_eq!(summary["done"], 3);
    let prompts: HashSet<String> = crate::support::received_bodies(&server)
        .await
        .iter()
        .map(|b| {
            b["messages"][0]["content"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(
        prompts,
        ["p3", "p4", "p5"].iter().map(|s| s.to_string()).collect()
    );
    let written = std::fs::read_to_string(&output).unwrap();
    let records = records(&written);
    assert_eq!(records.len(), 6, "{written}");
    let ok_ids: Vec<u64> = records
        .iter()
        .filter(|r| r["ok"] == true)
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    let unique: HashSet<_> = ok_ids.iter().collect();
    assert_eq!(unique.len(), ok_ids.len(), "no id is recorded ok twice");
    assert_eq!(unique.len(), 5);
}

#[tokio::test]
async fn resume_needs_output() {
    let env = TestEnv::new();
    let out = env.run(&["infer", "model", "run", "--batch", "x.jsonl", "--resume"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("--output"), "{}", out.stderr);
}

#[tokio::test]
async fn a_rate_limit_seen_by_one_worker_pauses_all_of_them() {
    let echo = Echo {
        delay: Duration::from_millis(200),
        limited: vec![0],
        ..Echo::default()
    };
    let arrivals = echo.arrivals.clone();
    let server = echo_server(echo).await;
    let env = env_for(&server, "");
    let lines: Vec<Value> = (1..=8)
        .map(|n| json!({"prompt": format!("p{n}")}))
        .collect();
    let input = write_lines(&env, "in.jsonl", &lines);
    let out = run_batch(&env, &input, &["--concurrency", "4"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(records(&out.stdout).len(), 8);
    let arrivals = arrivals.lock().unwrap().clone();
    // 8 lines, one of them sent twice.
    assert_eq!(arrivals.len(), 9);
    let limited_at = arrivals[0].0;
    // The first wave was already on its way; every later request, whichever
    // worker sent it, waited for the pause the 429 asked for.
    let later: Vec<Duration> = arrivals
        .iter()
        .filter(|(at, _)| at.duration_since(limited_at) > Duration::from_millis(100))
        .map(|(at, _)| at.duration_since(limited_at))
        .collect();
    assert_eq!(later.len(), 9 - 4, "{arrivals:?}");
    for gap in later {
        assert!(
            gap >= Duration::from_millis(900),
            "a request went out {gap:?} after the 429"
        );
    }
    assert!(out.stderr.contains("1 retried"), "{}", out.stderr);
}

#[tokio::test]
async fn rpm_spaces_request_starts() {
    let echo = Echo::default();
    let arrivals = echo.arrivals.clone();
    let server = echo_server(echo).await;
    let env = env_for(&server, "");
    let lines: Vec<Value> = (1..=3)
        .map(|n| json!({"prompt": format!("p{n}")}))
        .collect();
    let input = write_lines(&env, "in.jsonl", &lines);
    let out = run_batch(&env, &input, &["--concurrency", "3", "--rpm", "120"]);
    assert_eq!(out.code, 0, "{out:?}");
    let arrivals = arrivals.lock().unwrap().clone();
    for pair in arrivals.windows(2) {
        let gap = pair[1].0.duration_since(pair[0].0);
        // 500 ms apart when sent; arrival adds jitter (the first also connects).
        assert!(gap >= Duration::from_millis(300), "{gap:?} {arrivals:?}");
    }
}

#[tokio::test]
async fn sigint_lets_in_flight_lines_finish_then_exits_130() {
    let echo = Echo {
        delay: Duration::from_millis(800),
        ..Echo::default()
    };
    let server = echo_server(echo).await;
    let env = env_for(&server, "");
    let lines: Vec<Value> = (1..=10)
        .map(|n| json!({"prompt": format!("p{n}")}))
        .collect();
    let input = write_lines(&env, "in.jsonl", &lines);
    let output = env.path("out.jsonl");
    let child = env
        .std_command(&[
            "infer",
            "model",
            "run",
            "--model",
            "loop/m1",
            "--batch",
            &input,
            "--concurrency",
            "2",
            "--output",
            output.to_str().unwrap(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let started = Instant::now();
    unsafe_kill(child.id(), "INT");
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
    let records = records(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(records.len(), 2, "the two in-flight lines finished");
    assert!(records.iter().all(|r| r["ok"] == true));
}

fn unsafe_kill(pid: u32, signal: &str) {
    std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid.to_string()])
        .status()
        .unwrap();
}

/// Answers embeddings with one vector per input.
struct Vectors;

impl Respond for Vectors {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let data: Vec<Value> = body["input"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"index": i, "embedding": [t.as_str().unwrap().len() as f64, 1.0]}))
            .collect();
        ResponseTemplate::new(200).set_body_json(
            json!({"data": data, "model": body["model"], "usage": {"prompt_tokens": 2, "total_tokens": 2}}),
        )
    }
}

#[tokio::test]
async fn embeddings_in_batch() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/embeddings"))
        .respond_with(Vectors)
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ openai: {{ baseUrl: "{}/v1", apiKey: "test-key" }} }} }} }}"#,
        server.uri()
    ));
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"id": "x", "text": "abc"}),
            json!({"id": "y", "text": ["a", "bb"]}),
        ],
    );
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "openai",
        "--batch",
        &input,
        "--ordered",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let records = records(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], "x");
    assert_eq!(records[0]["capability"], "embedding.create");
    assert_eq!(records[0]["outputs"].as_array().unwrap().len(), 1);
    assert_eq!(records[1]["outputs"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn wait_is_refused_with_via_direct_before_anything_is_sent() {
    let server = MockServer::builder().start().await;
    let env = env_for(&server, "");
    let input = write_lines(&env, "in.jsonl", &[json!({"prompt": "x"})]);
    let out = run_batch(&env, &input, &["--via", "direct", "--wait"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(
        errors[0].contains("--wait") && errors[0].contains("--via direct"),
        "{}",
        out.stderr
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}
