//! `--via provider-batch` for Anthropic Message Batches and Gemini batch
//! mode, against loopback replays of their documented shapes: submit,
//! status, fetch with a mix of succeeded and failed lines, cancel, and the
//! key kept on the provider's own origin.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::support::{Outcome, TestEnv};

/// Each request seen: method, path and the key header the API uses.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn write_input(env: &TestEnv) -> String {
    let lines = [
        json!({"id": "r1", "prompt": "one"}),
        json!({"id": 2, "prompt": "two"}),
        json!({"id": "r 3", "prompt": "limit me"}),
        json!({"id": "r4", "prompt": "too late"}),
    ];
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let file = env.path("in.jsonl");
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

fn submit(env: &TestEnv, model: &str, input: &str, extra: &[&str]) -> Outcome {
    let mut args = vec![
        "infer",
        "model",
        "run",
        "--model",
        model,
        "--batch",
        input,
        "--via",
        "provider-batch",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

fn lines_of(out: &Outcome) -> Vec<Value> {
    out.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

// ---------------------------------------------------------------- Anthropic

/// A Message Batches service: in progress on the first look, ended after;
/// `limit` prompts error with a rate limit, `late` ones expire.
#[derive(Clone, Default)]
struct Messages {
    requests: Arc<Mutex<Vec<Value>>>,
    looks: Arc<Mutex<usize>>,
    seen: Seen,
    /// Where `results_url` points (this server when `None`).
    results_origin: Option<String>,
    own_origin: Arc<Mutex<String>>,
}

impl Messages {
    fn batch(&self, status: &str) -> Value {
        let total = self.requests.lock().unwrap().len();
        let ended = status == "ended";
        let origin = self
            .results_origin
            .clone()
            .unwrap_or_else(|| self.own_origin.lock().unwrap().clone());
        json!({
            "id": "msgbatch_01", "type": "message_batch", "processing_status": status,
            "request_counts": {"processing": if ended { 0 } else { total }, "succeeded": if ended { 2 } else { 0 },
                               "errored": if ended { 1 } else { 0 }, "canceled": 0, "expired": if ended { 1 } else { 0 }},
            "ended_at": if ended { json!("2024-09-24T19:37:24Z") } else { Value::Null },
            "created_at": "2024-09-24T18:37:24Z", "expires_at": "2024-09-25T18:37:24Z",
            "cancel_initiated_at": null,
            "results_url": if ended { json!(format!("{origin}/v1/messages/batches/msgbatch_01/results")) } else { Value::Null }
        })
    }

    fn results(&self) -> String {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|request| {
                let prompt = request["params"]["messages"][0]["content"][0]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let result = if prompt.contains("limit") {
                    json!({"type": "errored", "error": {"type": "error", "error": {"type": "rate_limit_error", "message": "Number of requests has exceeded your rate limit"}}})
                } else if prompt.contains("late") {
                    json!({"type": "expired"})
                } else {
                    json!({"type": "succeeded", "message": {
                        "id": "msg_01", "type": "message", "role": "assistant", "model": "claude-x",
                        "content": [{"type": "text", "text": format!("echo {prompt}")}],
                        "stop_reason": "end_turn", "stop_sequence": null,
                        "usage": {"input_tokens": 11, "output_tokens": 3}
                    }})
                };
                format!("{}\n", json!({"custom_id": request["custom_id"], "result": result}))
            })
            .collect()
    }
}

impl Respond for Messages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        self.seen.lock().unwrap().push((
            request.method.to_string(),
            path.clone(),
            header(request, "x-api-key"),
        ));
        if header(request, "anthropic-version").as_deref() != Some("2023-06-01") {
            return ResponseTemplate::new(400).set_body_json(json!({"type": "error", "error": {"type": "invalid_request_error", "message": "anthropic-version missing"}}));
        }
        match (request.method.as_str(), path.as_str()) {
            ("POST", "/v1/messages/batches") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                *self.requests.lock().unwrap() =
                    body["requests"].as_array().cloned().unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(self.batch("in_progress"))
            }
            ("GET", "/v1/messages/batches/msgbatch_01") => {
                let mut looks = self.looks.lock().unwrap();
                *looks += 1;
                let status = if *looks == 1 { "in_progress" } else { "ended" };
                ResponseTemplate::new(200).set_body_json(self.batch(status))
            }
            ("GET", "/v1/messages/batches/msgbatch_01/results") => {
                ResponseTemplate::new(200).set_body_raw(self.results(), "application/binary")
            }
            ("POST", "/v1/messages/batches/msgbatch_01/cancel") => {
                ResponseTemplate::new(200).set_body_json(self.batch("canceling"))
            }
            _ => ResponseTemplate::new(404).set_body_json(
                json!({"type": "error", "error": {"type": "not_found_error", "message": "no route"}}),
            ),
        }
    }
}

async fn messages_server(service: Messages) -> (MockServer, Messages) {
    let server = MockServer::builder().start().await;
    *service.own_origin.lock().unwrap() = server.uri();
    Mock::given(wiremock::matchers::any())
        .respond_with(service.clone())
        .mount(&server)
        .await;
    (server, service)
}

fn anthropic_env(server: &MockServer) -> TestEnv {
    let env = TestEnv::new().env("OPENCLAW_BATCH_POLL_MS", "20");
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ claude: {{ baseUrl: "{}", apiKey: "sk-ant-secret", api: "anthropic-messages",
             models: [{{ id: "claude-x" }}] }} }} }} }}"#,
        server.uri()
    ));
    env
}

#[tokio::test]
async fn anthropic_submit_status_and_fetch_map_results_to_ids() {
    let (server, service) = messages_server(Messages::default()).await;
    let env = anthropic_env(&server);
    let input = write_input(&env);
    let out = submit(&env, "claude/claude-x", &input, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "msgbatch_01\n");

    let requests = service.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0]["custom_id"], "r1");
    assert_eq!(requests[1]["custom_id"], "2");
    assert_eq!(
        requests[2]["custom_id"], "line-3",
        "an id outside the documented pattern is replaced"
    );
    let params = &requests[0]["params"];
    assert_eq!(params["model"], "claude-x");
    assert!(params["max_tokens"].as_u64().unwrap() > 0);
    assert_eq!(params["messages"][0]["role"], "user");
    assert!(params.get("stream").is_none());

    let listed = env.run(&["infer", "batch", "status", "--json"]);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(listed["jobs"][0]["job"], "msgbatch_01");
    assert_eq!(listed["jobs"][0]["provider"], "claude");
    assert_eq!(listed["jobs"][0]["status"], "in_progress");

    let early = env.run(&["infer", "batch", "fetch", "msgbatch_01"]);
    assert_eq!(early.code, 1, "{early:?}");
    assert!(early.stderr.contains("in_progress"), "{}", early.stderr);

    let status = env.run(&["infer", "batch", "status", "msgbatch_01", "--json"]);
    assert_eq!(status.code, 0, "{status:?}");
    let status: Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["status"], "ended");
    assert_eq!(
        status["requestCounts"],
        json!({"total": 4, "completed": 2, "failed": 2})
    );

    let out = env.run(&["infer", "batch", "fetch", "msgbatch_01", "--json"]);
    assert_eq!(out.code, 1, "two lines failed: {out:?}");
    let records = lines_of(&out);
    assert_eq!(records.len(), 5);
    assert_eq!(records[0]["id"], "r1");
    assert_eq!(records[0]["ok"], true);
    assert_eq!(records[0]["provider"], "claude");
    assert_eq!(records[0]["model"], "claude-x");
    assert_eq!(records[0]["outputs"][0]["text"], "echo one");
    assert_eq!(records[0]["usage"]["inputTokens"], 11);
    assert_eq!(records[0]["usage"]["outputTokens"], 3);
    assert_eq!(records[1]["id"], 2);
    assert_eq!(records[1]["outputs"][0]["text"], "echo two");
    assert_eq!(records[2]["id"], "r 3");
    assert_eq!(records[2]["line"], 3);
    assert_eq!(records[2]["ok"], false);
    assert_eq!(records[2]["error"]["reason"], "rate_limit");
    assert_eq!(records[3]["id"], "r4");
    assert_eq!(records[3]["error"]["reason"], "timeout");
    assert_eq!(records[4]["type"], "summary");
    assert_eq!(records[4]["done"], 2);

    for (_, _, key) in service.seen.lock().unwrap().iter() {
        assert_eq!(key.as_deref(), Some("sk-ant-secret"));
    }
    assert!(!out.stdout.contains("sk-ant-secret") && !out.stderr.contains("sk-ant-secret"));
}

#[tokio::test]
async fn anthropic_results_on_another_host_are_read_from_the_own_origin() {
    let elsewhere = MockServer::builder().start().await;
    let service = Messages {
        results_origin: Some(elsewhere.uri()),
        ..Messages::default()
    };
    let (server, service) = messages_server(service).await;
    let env = anthropic_env(&server);
    let input = write_input(&env);
    assert_eq!(submit(&env, "claude/claude-x", &input, &[]).code, 0);
    let out = env.run(&["infer", "batch", "fetch", "msgbatch_01", "--wait"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(lines_of(&out).len(), 4);
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "nothing, and so no key, went to the other host"
    );
    assert!(
        service
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(m, p, _)| m == "GET" && p == "/v1/messages/batches/msgbatch_01/results")
    );
}

#[tokio::test]
async fn anthropic_cancel_posts_to_the_batch() {
    let (server, service) = messages_server(Messages::default()).await;
    let env = anthropic_env(&server);
    let input = write_input(&env);
    assert_eq!(submit(&env, "claude/claude-x", &input, &[]).code, 0);
    let out = env.run(&["infer", "batch", "cancel", "msgbatch_01"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("canceling"), "{}", out.stdout);
    assert!(
        service
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(m, p, _)| m == "POST" && p == "/v1/messages/batches/msgbatch_01/cancel")
    );
    let listed = env.run(&["infer", "batch", "status"]);
    assert!(
        listed.stdout.contains("msgbatch_01\tcanceling"),
        "{}",
        listed.stdout
    );
}

// ------------------------------------------------------------------- Gemini

/// A Gemini batch service: pending when created, running on the first
/// look, succeeded after with the responses inline in input order
/// (`limit` prompts fail with RESOURCE_EXHAUSTED); cancelled once asked.
#[derive(Clone, Default)]
struct Gemini {
    requests: Arc<Mutex<Vec<Value>>>,
    looks: Arc<Mutex<usize>>,
    cancelled: Arc<Mutex<bool>>,
    seen: Seen,
}

impl Gemini {
    fn operation(&self, state: &str) -> Value {
        let requests = self.requests.lock().unwrap().clone();
        let total = requests.len();
        let mut operation = json!({
            "name": "batches/gb-123",
            "metadata": {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
                "model": "models/gemini-x", "displayName": "x", "state": state,
                "batchStats": {"requestCount": total.to_string()}
            }
        });
        if state == "BATCH_STATE_SUCCEEDED" {
            let responses: Vec<Value> = requests
                .iter()
                .enumerate()
                .map(|(index, request)| {
                    let prompt = request["request"]["contents"][0]["parts"]
                        .as_array()
                        .and_then(|parts| parts.iter().find_map(|p| p["text"].as_str()))
                        .unwrap_or_default()
                        .to_owned();
                    let mut item = if prompt.contains("limit") {
                        json!({"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}})
                    } else {
                        json!({"response": {
                            "candidates": [{"content": {"parts": [{"text": format!("echo {prompt}")}], "role": "model"},
                                            "finishReason": "STOP", "index": 0}],
                            "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 2, "totalTokenCount": 8}
                        }})
                    };
                    // The first response comes without its key, as some
                    // answers do: its place in the list says which it is.
                    if index > 0 {
                        item["metadata"] = request["metadata"].clone();
                    }
                    item
                })
                .collect();
            operation["done"] = json!(true);
            operation["response"] = json!({
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput",
                "inlinedResponses": {"inlinedResponses": responses}
            });
        }
        operation
    }
}

impl Respond for Gemini {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_owned();
        self.seen.lock().unwrap().push((
            request.method.to_string(),
            path.clone(),
            header(request, "x-goog-api-key"),
        ));
        match (request.method.as_str(), path.as_str()) {
            ("POST", "/v1beta/models/gemini-x:batchGenerateContent") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                *self.requests.lock().unwrap() =
                    body["batch"]["inputConfig"]["requests"]["requests"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(self.operation("BATCH_STATE_PENDING"))
            }
            ("GET", "/v1beta/batches/gb-123") => {
                if *self.cancelled.lock().unwrap() {
                    return ResponseTemplate::new(200)
                        .set_body_json(self.operation("BATCH_STATE_CANCELLED"));
                }
                let mut looks = self.looks.lock().unwrap();
                *looks += 1;
                let state = if *looks == 1 {
                    "BATCH_STATE_RUNNING"
                } else {
                    "BATCH_STATE_SUCCEEDED"
                };
                ResponseTemplate::new(200).set_body_json(self.operation(state))
            }
            ("POST", "/v1beta/batches/gb-123:cancel") => {
                *self.cancelled.lock().unwrap() = true;
                ResponseTemplate::new(200).set_body_json(json!({}))
            }
            _ => ResponseTemplate::new(404).set_body_json(
                json!({"error": {"code": 404, "message": "no route", "status": "NOT_FOUND"}}),
            ),
        }
    }
}

async fn gemini_server() -> (MockServer, Gemini) {
    let server = MockServer::builder().start().await;
    let service = Gemini::default();
    Mock::given(wiremock::matchers::any())
        .respond_with(service.clone())
        .mount(&server)
        .await;
    (server, service)
}

fn gemini_env(server: &MockServer) -> TestEnv {
    let env = TestEnv::new().env("OPENCLAW_BATCH_POLL_MS", "20");
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ gem: {{ baseUrl: "{}/v1beta", apiKey: "g-secret", api: "google-generative-ai",
             models: [{{ id: "gemini-x" }}] }} }} }} }}"#,
        server.uri()
    ));
    env
}

#[tokio::test]
async fn gemini_submit_status_and_fetch_map_results_to_ids() {
    let (server, service) = gemini_server().await;
    let env = gemini_env(&server);
    let input = write_input(&env);
    let out = submit(&env, "gem/gemini-x", &input, &["--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let document: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(document["job"], "batches/gb-123");
    assert_eq!(document["provider"], "gem");
    assert_eq!(document["count"], 4);
    assert_eq!(document["status"], "BATCH_STATE_PENDING");

    let requests = service.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[0]["metadata"]["key"], "r1");
    assert_eq!(requests[2]["metadata"]["key"], "r 3");
    assert_eq!(requests[0]["request"]["contents"][0]["role"], "user");
    assert_eq!(
        requests[1]["request"]["contents"][0]["parts"][0]["text"],
        "two"
    );

    let status = env.run(&["infer", "batch", "status", "batches/gb-123"]);
    assert_eq!(status.code, 0, "{status:?}");
    assert!(
        status
            .stdout
            .starts_with("batches/gb-123 BATCH_STATE_RUNNING"),
        "{}",
        status.stdout
    );

    let out = env.run(&["infer", "batch", "fetch", "batches/gb-123", "--wait"]);
    assert_eq!(out.code, 1, "one line failed: {out:?}");
    let records = lines_of(&out);
    assert_eq!(records.len(), 4);
    assert_eq!(records[0]["id"], "r1");
    assert_eq!(records[0]["ok"], true);
    assert_eq!(records[0]["outputs"][0]["text"], "echo one");
    assert_eq!(records[0]["usage"]["inputTokens"], 6);
    assert_eq!(records[0]["usage"]["outputTokens"], 2);
    assert_eq!(records[1]["id"], 2);
    assert_eq!(records[1]["outputs"][0]["text"], "echo two");
    assert_eq!(records[2]["id"], "r 3");
    assert_eq!(records[2]["ok"], false);
    assert_eq!(records[2]["error"]["reason"], "rate_limit");
    assert_eq!(records[3]["outputs"][0]["text"], "echo too late");
    assert!(out.stderr.contains("3 done, 1 failed"), "{}", out.stderr);

    for (_, _, key) in service.seen.lock().unwrap().iter() {
        assert_eq!(key.as_deref(), Some("g-secret"));
    }
    let listed = env.run(&["infer", "batch", "status", "--json"]);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(listed["jobs"][0]["job"], "batches/gb-123");
    assert_eq!(listed["jobs"][0]["status"], "BATCH_STATE_SUCCEEDED");
}

#[tokio::test]
async fn gemini_cancel_then_fetch_reports_cancelled_lines() {
    let (server, service) = gemini_server().await;
    let env = gemini_env(&server);
    let input = write_input(&env);
    assert_eq!(submit(&env, "gem/gemini-x", &input, &[]).code, 0);
    let out = env.run(&["infer", "batch", "cancel", "batches/gb-123", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let state: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(state["status"], "BATCH_STATE_CANCELLED");
    assert!(
        service
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|(m, p, _)| m == "POST" && p == "/v1beta/batches/gb-123:cancel")
    );
    let out = env.run(&["infer", "batch", "fetch", "batches/gb-123"]);
    assert_eq!(out.code, 1, "{out:?}");
    let records = lines_of(&out);
    assert_eq!(records.len(), 4);
    assert!(records.iter().all(|r| r["error"]["reason"] == "cancelled"));
}

// ------------------------------------------------- OpenAI embeddings batch

/// An OpenAI Batch service for `/v1/embeddings`: completed on the first
/// look; a line whose first text says `bad` fails with a 400.
#[derive(Clone, Default)]
struct Embeddings {
    upload: Arc<Mutex<String>>,
    created: Arc<Mutex<Value>>,
}

impl Embeddings {
    fn lines(&self) -> Vec<Value> {
        self.upload
            .lock()
            .unwrap()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|v| v.get("custom_id").is_some())
            .collect()
    }

    fn batch(&self, status: &str) -> Value {
        json!({"id": "batch_emb", "object": "batch", "endpoint": "/v1/embeddings", "status": status,
               "output_file_id": if status == "completed" { json!("file-out") } else { Value::Null },
               "error_file_id": null,
               "request_counts": {"total": 2, "completed": 1, "failed": 1}})
    }
}

impl Respond for Embeddings {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match (request.method.as_str(), request.url.path()) {
            ("POST", "/v1/files") => {
                *self.upload.lock().unwrap() = String::from_utf8_lossy(&request.body).into_owned();
                ResponseTemplate::new(200)
                    .set_body_json(json!({"id": "file-in", "object": "file", "purpose": "batch"}))
            }
            ("POST", "/v1/batches") => {
                *self.created.lock().unwrap() =
                    serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                ResponseTemplate::new(200).set_body_json(self.batch("validating"))
            }
            ("GET", "/v1/batches/batch_emb") => {
                ResponseTemplate::new(200).set_body_json(self.batch("completed"))
            }
            ("GET", "/v1/files/file-out/content") => {
                let text: String = self
                    .lines()
                    .iter()
                    .map(|line| {
                        let inputs = line["body"]["input"].as_array().cloned().unwrap_or_default();
                        let response = if inputs[0].as_str().unwrap_or_default().contains("bad") {
                            json!({"status_code": 400, "body": {"error": {"message": "input is bad", "type": "invalid_request_error"}}})
                        } else {
                            let data: Vec<Value> = inputs
                                .iter()
                                .enumerate()
                                .rev()
                                .map(|(i, _)| json!({"object": "embedding", "index": i, "embedding": [0.5, i as f64]}))
                                .collect();
                            json!({"status_code": 200, "body": {"object": "list", "data": data, "model": "text-embedding-3-small",
                                                                "usage": {"prompt_tokens": 5, "total_tokens": 5}}})
                        };
                        format!("{}\n", json!({"id": "r", "custom_id": line["custom_id"], "response": response, "error": null}))
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_string(text)
            }
            _ => {
                ResponseTemplate::new(404).set_body_json(json!({"error": {"message": "no route"}}))
            }
        }
    }
}

#[tokio::test]
async fn openai_embedding_batches_go_to_the_embeddings_endpoint() {
    let server = MockServer::builder().start().await;
    let service = Embeddings::default();
    Mock::given(wiremock::matchers::any())
        .respond_with(service.clone())
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ openai: {{ baseUrl: "{}/v1", apiKey: "test-key" }} }} }} }}"#,
        server.uri()
    ));
    let input = env.path("texts.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"text\":[\"first\",\"second\"]}\n{\"id\":\"b\",\"text\":\"bad text\"}\n",
    )
    .unwrap();
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--model",
        "openai/text-embedding-3-small",
        "--batch",
        input.to_str().unwrap(),
        "--via",
        "provider-batch",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "batch_emb\n");
    assert_eq!(
        service.created.lock().unwrap()["endpoint"],
        "/v1/embeddings"
    );
    let lines = service.lines();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["url"], "/v1/embeddings");
    assert_eq!(
        lines[0]["body"],
        json!({"model": "text-embedding-3-small", "input": ["first", "second"]})
    );

    let out = env.run(&["infer", "batch", "fetch", "batch_emb"]);
    assert_eq!(out.code, 1, "{out:?}");
    let records = lines_of(&out);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], "a");
    assert_eq!(records[0]["capability"], "embedding.create");
    assert_eq!(
        records[0]["outputs"],
        json!([
            {"text": "first", "embedding": [0.5, 0.0], "dimensions": 2},
            {"text": "second", "embedding": [0.5, 1.0], "dimensions": 2}
        ])
    );
    assert_eq!(records[0]["usage"]["inputTokens"], 5);
    assert_eq!(records[1]["id"], "b");
    assert_eq!(records[1]["ok"], false);
    assert_eq!(records[1]["error"]["status"], 400);
}
