//! `--via provider-batch` and `infer batch status|fetch|cancel` against a
//! loopback replay of OpenAI's Batch API (files, batches, result files).

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{TestEnv, completion, env_for};

/// A small stateful OpenAI Batch service: it keeps the uploaded file,
/// reports the job in progress on the first look, then completed, and
/// answers each line with its own prompt (the line whose prompt says
/// `limit` lands in the error file with a 429).
/// Each request seen: method, path and authorization header.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

#[derive(Clone, Default)]
struct BatchService {
    upload: Arc<Mutex<Option<String>>>,
    looks: Arc<Mutex<usize>>,
    seen: Seen,
}

impl BatchService {
    fn input_lines(&self) -> Vec<Value> {
        let upload = self.upload.lock().unwrap().clone().unwrap_or_default();
        upload
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|v| v.get("custom_id").is_some())
            .collect()
    }

    fn batch(&self, status: &str) -> Value {
        let total = self.input_lines().len();
        json!({
            "id": "batch_abc123", "object": "batch", "endpoint": "/v1/chat/completions",
            "input_file_id": "file-in", "completion_window": "24h", "status": status,
            "output_file_id": if status == "completed" { json!("file-out") } else { Value::Null },
            "error_file_id": if status == "completed" { json!("file-err") } else { Value::Null },
            "created_at": 1_711_471_533,
            "request_counts": {"total": total, "completed": if status == "completed" { total } else { 0 }, "failed": 0}
        })
    }
}

fn prompt_of(line: &Value) -> String {
    line["body"]["messages"][0]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

impl Respond for BatchService {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = String::from_utf8_lossy(&request.body).into_owned();
        self.seen
            .lock()
            .unwrap()
            .push((request.method.to_string(), path.clone(), auth));
        match (request.method.as_str(), path.as_str()) {
            ("POST", "/v1/files") => {
                *self.upload.lock().unwrap() = Some(body);
                ResponseTemplate::new(200).set_body_json(json!({
                    "id": "file-in", "object": "file", "bytes": 120, "created_at": 1_711_471_533,
                    "filename": "batch.jsonl", "purpose": "batch"
                }))
            }
            ("POST", "/v1/batches") => {
                ResponseTemplate::new(200).set_body_json(self.batch("validating"))
            }
            ("GET", "/v1/batches/batch_abc123") => {
                let mut looks = self.looks.lock().unwrap();
                *looks += 1;
                let status = if *looks == 1 {
                    "in_progress"
                } else {
                    "completed"
                };
                ResponseTemplate::new(200).set_body_json(self.batch(status))
            }
            ("POST", "/v1/batches/batch_abc123/cancel") => {
                ResponseTemplate::new(200).set_body_json(self.batch("cancelling"))
            }
            ("GET", "/v1/files/file-out/content") => {
                let text: String = self
                    .input_lines()
                    .iter()
                    .filter(|line| !prompt_of(line).contains("limit"))
                    .map(|line| {
                        let answer = json!({
                            "id": "batch_req_1", "custom_id": line["custom_id"],
                            "response": {"status_code": 200, "request_id": "req_1",
                                         "body": completion(&format!("echo {}", prompt_of(line)))},
                            "error": null
                        });
                        format!("{answer}\n")
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_string(text)
            }
            ("GET", "/v1/files/file-err/content") => {
                let text: String = self
                    .input_lines()
                    .iter()
                    .filter(|line| prompt_of(line).contains("limit"))
                    .map(|line| {
                        let answer = json!({
                            "id": "batch_req_2", "custom_id": line["custom_id"],
                            "response": {"status_code": 429, "request_id": "req_2",
                                         "body": {"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}},
                            "error": null
                        });
                        format!("{answer}\n")
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_string(text)
            }
            _ => ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"message": "no such route"}})),
        }
    }
}

async fn batch_server() -> (MockServer, BatchService) {
    let server = MockServer::start().await;
    let service = BatchService::default();
    Mock::given(wiremock::matchers::any())
        .respond_with(service.clone())
        .mount(&server)
        .await;
    (server, service)
}

fn write_input(env: &TestEnv) -> String {
    let lines = [
        json!({"id": "r1", "prompt": "one"}),
        json!({"id": 2, "prompt": "two", "thinking": "low"}),
        json!({"id": "r3", "prompt": "limit me"}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let file = env.path("in.jsonl");
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

fn submit(env: &TestEnv, input: &str, extra: &[&str]) -> crate::support::Outcome {
    let mut args = vec![
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--batch",
        input,
        "--via",
        "provider-batch",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

#[tokio::test]
async fn submit_prints_the_job_and_records_it() {
    let (server, service) = batch_server().await;
    let env = env_for(&server, "");
    let input = write_input(&env);
    let out = submit(&env, &input, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "batch_abc123\n");

    let upload = service.upload.lock().unwrap().clone().unwrap();
    assert!(upload.contains("name=\"purpose\""), "{upload}");
    assert!(upload.contains("batch"), "{upload}");
    let lines = service.input_lines();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["custom_id"], "r1");
    assert_eq!(lines[0]["method"], "POST");
    assert_eq!(lines[0]["url"], "/v1/chat/completions");
    assert_eq!(lines[0]["body"]["model"], "m1");
    assert_eq!(lines[1]["custom_id"], "2");
    assert!(lines[1]["body"].get("stream").is_none());
    for (_, _, auth) in service.seen.lock().unwrap().iter() {
        assert_eq!(auth.as_deref(), Some("Bearer test-key"));
    }

    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(env.state_dir().join("batches/batch_abc123.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["provider"], "loop");
    assert_eq!(record["model"], "m1");
    assert_eq!(record["count"], 3);
    assert_eq!(record["ids"][1]["id"], 2);

    let listed = env.run(&["infer", "batch", "status", "--json"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(listed["jobs"][0]["job"], "batch_abc123");
    assert_eq!(listed["jobs"][0]["status"], "validating");
}

#[tokio::test]
async fn json_submission_names_job_provider_and_count() {
    let (server, _service) = batch_server().await;
    let env = env_for(&server, "");
    let input = write_input(&env);
    let out = submit(&env, &input, &["--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let document: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(document["job"], "batch_abc123");
    assert_eq!(document["provider"], "loop");
    assert_eq!(document["count"], 3);
}

#[tokio::test]
async fn fetch_maps_results_back_to_ids_with_reasons_and_usage() {
    let (server, _service) = batch_server().await;
    let env = env_for(&server, "").env("OPENCLAW_BATCH_POLL_MS", "20");
    let input = write_input(&env);
    assert_eq!(submit(&env, &input, &[]).code, 0);

    // First look: still running, and without --wait that is said plainly.
    let early = env.run(&["infer", "batch", "fetch", "batch_abc123"]);
    assert_ne!(early.code, 0);
    assert!(early.stdout.is_empty(), "{early:?}");
    assert!(early.stderr.contains("in_progress"), "{}", early.stderr);

    let status = env.run(&["infer", "batch", "status", "batch_abc123", "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["status"], "completed");
    assert_eq!(status["requestCounts"]["total"], 3);

    let out = env.run(&[
        "infer",
        "batch",
        "fetch",
        "batch_abc123",
        "--wait",
        "--json",
    ]);
    assert_eq!(out.code, 1, "one line failed: {out:?}");
    let records: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 4, "three records and the summary");
    assert_eq!(records[0]["id"], "r1");
    assert_eq!(records[0]["line"], 1);
    assert_eq!(records[0]["ok"], true);
    assert_eq!(records[0]["capability"], "model.run");
    assert_eq!(records[0]["provider"], "loop");
    assert_eq!(records[0]["outputs"][0]["text"], "echo one");
    assert_eq!(records[0]["usage"]["inputTokens"], 7);
    assert_eq!(records[1]["id"], 2);
    assert_eq!(records[1]["outputs"][0]["text"], "echo two");
    assert_eq!(records[2]["id"], "r3");
    assert_eq!(records[2]["ok"], false);
    assert_eq!(records[2]["error"]["reason"], "rate_limit");
    assert_eq!(records[2]["error"]["status"], 429);
    assert_eq!(records[3]["type"], "summary");
    assert_eq!(records[3]["done"], 2);
    assert!(out.stderr.contains("2 done, 1 failed"), "{}", out.stderr);
}

#[tokio::test]
async fn submit_with_wait_prints_records() {
    let (server, _service) = batch_server().await;
    let env = env_for(&server, "").env("OPENCLAW_BATCH_POLL_MS", "20");
    let input = write_input(&env);
    let output = env.path("out.jsonl");
    let out = submit(
        &env,
        &input,
        &["--wait", "--output", output.to_str().unwrap()],
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[tokio::test]
async fn cancel_asks_the_provider_and_unknown_jobs_are_usage_errors() {
    let (server, service) = batch_server().await;
    let env = env_for(&server, "");
    let input = write_input(&env);
    assert_eq!(submit(&env, &input, &[]).code, 0);
    let out = env.run(&["infer", "batch", "cancel", "batch_abc123"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("cancelling"), "{}", out.stdout);
    assert!(
        service
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(m, p, _)| m == "POST" && p == "/v1/batches/batch_abc123/cancel")
    );
    let unknown = env.run(&["infer", "batch", "fetch", "batch_nope"]);
    assert_eq!(unknown.code, 2, "{unknown:?}");
    assert!(unknown.stderr.contains("batch_nope"));
}

#[tokio::test]
async fn invalid_lines_and_mixed_models_send_nothing() {
    let (server, service) = batch_server().await;
    let env = env_for(&server, "");
    let file = env.path("mixed.jsonl");
    std::fs::write(
        &file,
        "{\"prompt\":\"a\"}\n{\"prompt\":\"b\",\"model\":\"loop/text-only\"}\n",
    )
    .unwrap();
    let out = submit(&env, file.to_str().unwrap(), &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("one model"), "{}", out.stderr);
    std::fs::write(&file, "{\"promt\":\"a\"}\n").unwrap();
    let out = submit(&env, file.to_str().unwrap(), &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(service.seen.lock().unwrap().is_empty());
}
