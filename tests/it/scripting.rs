//! The scripting contract: `--stream json` events, cancellation by signal,
//! `--no-fallback`, and cost in the envelope.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, completion_stream, provider_config};

fn lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

#[tokio::test]
async fn stream_json_prints_events_then_the_envelope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(completion_stream(&["Hel", "lo"]))
                .insert_header("content-type", "text/event-stream"),
        )
        .mount(&server)
        .await;
    let env = crate::support::env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--stream", "json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let events = lines(&out.stdout);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("envelope"))
        .collect();
    assert_eq!(kinds, ["start", "delta", "delta", "usage", "envelope"]);
    assert_eq!(
        events[0],
        json!({"type": "start", "provider": "loop", "model": "m1"})
    );
    assert_eq!(events[1]["text"], "Hel");
    assert_eq!(events[3]["totalTokens"], 7);
    let envelope = events.last().unwrap();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["outputs"][0]["text"], "Hello");
}

#[tokio::test]
async fn stream_json_reports_each_failed_attempt() {
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&failing)
        .await;
    let answering = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&answering)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{agents: {{defaults: {{model: {{primary: "a/m", fallbacks: ["b/m"]}}}}}},
            models: {{providers: {{a: {{baseUrl: "{}"}}, b: {{baseUrl: "{}"}}}}}}}}"#,
        failing.uri(),
        answering.uri()
    ));
    let out = env.run(&["infer", "model", "run", "--prompt", "x", "--stream", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let events = lines(&out.stdout);
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("envelope"))
        .collect();
    assert_eq!(
        kinds,
        ["start", "attempt", "start", "delta", "usage", "envelope"]
    );
    assert_eq!(events[1]["provider"], "a");
    assert_eq!(events[1]["reason"], "auth");
    assert_eq!(events[2]["provider"], "b");

    // --no-fallback: only the primary is tried, so the run fails.
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--prompt",
        "x",
        "--no-fallback",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["provider"], "a");
    assert_eq!(answering.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn usage_carries_cost_from_config_prices() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{p: {{baseUrl: "{}", models: [{{id: "m", cost: {{input: 1.0, output: 2.0}}}}]}}}}}}}}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer", "model", "run", "--model", "p/m", "--prompt", "x", "--json",
    ]);
    let cost = &out.json()["usage"]["cost"];
    // 7 prompt tokens at $1/M, 2 completion tokens at $2/M.
    assert_eq!(cost["input"], 7e-6);
    assert_eq!(cost["output"], 4e-6);
    assert_eq!(cost["total"], 1.1e-5);
    assert_eq!(cost["currency"], "USD");
    assert_eq!(cost["source"], "config");
}

/// A server that streams one SSE chunk, then says nothing more.
fn stalling_sse_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut buffer = [0u8; 8192];
                let _ = stream.read(&mut buffer);
                let chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial answ\"}}]}\n\n";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n{chunk}"
                );
                let _ = stream.flush();
                std::thread::sleep(Duration::from_secs(30));
            });
        }
    });
    format!("http://{address}/v1")
}

#[test]
fn sigterm_mid_stream_ends_with_a_cancelled_envelope() {
    let env = TestEnv::new();
    env.write_config(&provider_config(&stalling_sse_server(), ""));
    let mut child = env
        .std_command(&[
            "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--stream", "json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "stream ended early: {seen:?}"
        );
        let event: Value = serde_json::from_str(&line).unwrap();
        let is_delta = event["type"] == "delta";
        seen.push(event);
        if is_delta {
            break;
        }
    }
    let started = std::time::Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let exit = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "must end at once"
    );
    assert_eq!(exit.code(), Some(143), "{exit:?} {stderr}");
    let envelope: Value =
        serde_json::from_str(rest.trim()).unwrap_or_else(|e| panic!("{e}: {rest:?} {stderr}"));
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["error"]["reason"], "cancelled");
    assert_eq!(envelope["provider"], "loop");
    assert_eq!(envelope["outputs"][0]["text"], "partial answ");
}

#[test]
fn sigint_with_json_prints_one_envelope_and_exits_130() {
    let env = TestEnv::new();
    env.write_config(&provider_config(&stalling_sse_server(), ""));
    let child = env
        .std_command(&[
            "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--json",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    let envelope: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(envelope["error"]["reason"], "cancelled");
}

const CITY_SCHEMA: &str =
    r#"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"#;

async fn answering_in_turn(answers: &[&str]) -> MockServer {
    let server = MockServer::start().await;
    for (index, answer) in answers.iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(answer)));
        if index + 1 < answers.len() {
            mock.up_to_n_times(1).mount(&server).await;
        } else {
            mock.mount(&server).await;
        }
    }
    server
}

#[tokio::test]
async fn schema_goes_to_the_provider_and_the_answer_is_parsed() {
    let server = answering_in_turn(&[r#"{"city": "Paris"}"#]).await;
    let env = crate::support::env_for(&server, "");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "Capital?",
        "--schema",
        CITY_SCHEMA,
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["outputs"][0]["json"], json!({"city": "Paris"}));
    let body = &crate::support::received_bodies(&server).await[0];
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(
        body["response_format"]["json_schema"]["schema"]["required"],
        json!(["city"])
    );
    assert_eq!(
        body["messages"][0]["content"], "Capital?",
        "the prompt is sent unchanged"
    );

    // Text mode prints the final JSON answer.
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "Capital?",
        "--schema",
        CITY_SCHEMA,
    ]);
    assert_eq!(out.stdout, "{\"city\": \"Paris\"}\n");
}

#[tokio::test]
async fn a_misfit_answer_is_repaired_once_and_recorded() {
    let server = answering_in_turn(&["The capital is Paris.", r#"{"city": "Paris"}"#]).await;
    let env = crate::support::env_for(&server, "");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "Capital?",
        "--schema",
        CITY_SCHEMA,
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["outputs"][0]["json"]["city"], "Paris");
    let attempts = envelope["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["reason"], "schema_mismatch");
    let bodies = crate::support::received_bodies(&server).await;
    assert_eq!(bodies.len(), 2);
    let repair = bodies[1]["messages"][0]["content"].as_str().unwrap();
    assert!(
        repair.starts_with("Capital?") && repair.contains("The capital is Paris."),
        "{repair}"
    );
}

#[tokio::test]
async fn an_answer_that_never_fits_is_a_schema_mismatch() {
    let server = answering_in_turn(&["Paris", r#"{"town": "Paris"}"#]).await;
    let env = crate::support::env_for(&server, "");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "Capital?",
        "--schema",
        CITY_SCHEMA,
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["error"]["reason"], "schema_mismatch");
    assert_eq!(envelope["attempts"].as_array().unwrap().len(), 2);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "exactly one repair try"
    );

    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "x",
        "--schema",
        "{\"type\": 5}",
        "--json",
    ]);
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["error"]["reason"], "usage");
}

#[tokio::test]
async fn anthropic_structured_output_is_a_forced_tool_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "output", "input": {"city": "Paris"}}],
            "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5}
        })))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{claude: {{baseUrl: "{}/v1", api: "anthropic-messages", apiKey: "k", streaming: false, models: [{{id: "claude-x"}}]}}}}}}}}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "claude/claude-x",
        "--prompt",
        "Capital?",
        "--schema",
        CITY_SCHEMA,
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["json"], json!({"city": "Paris"}));
    let body = &crate::support::received_bodies(&server).await[0];
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "output"})
    );
    assert_eq!(
        body["tools"][0]["input_schema"]["required"],
        json!(["city"])
    );
}
