//! `--gateway` against an in-process WebSocket server playing the gateway:
//! what the binary sends, how it maps answers and failures, and that it
//! refuses early (no credentials, bad flags) without connecting.

use std::net::TcpListener as StdListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::support::TestEnv;

/// What one scripted connection does after the challenge: it gets each
/// request the client sends and returns the frames to answer with.
type Script = Arc<dyn Fn(&Value) -> Vec<Value> + Send + Sync>;

struct FakeGateway {
    port: u16,
    /// Every request frame received, in order.
    received: Arc<Mutex<Vec<Value>>>,
    /// The close code of each Close frame a client sent.
    closes: Arc<Mutex<Vec<u16>>>,
}

impl FakeGateway {
    fn start(script: Script) -> FakeGateway {
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let closes = Arc::new(Mutex::new(Vec::new()));
        let close_log = closes.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((tcp, _)) = listener.accept().await {
                    let script = script.clone();
                    let log = log.clone();
                    let close_log = close_log.clone();
                    tokio::spawn(async move {
                        let Ok(mut socket) = tokio_tungstenite::accept_async(tcp).await else {
                            return;
                        };
                        let challenge = json!({"type": "event", "event": "connect.challenge",
                            "payload": {"nonce": "n", "ts": 1}});
                        let _ = socket.send(Message::text(challenge.to_string())).await;
                        while let Some(Ok(message)) = socket.next().await {
                            if let Message::Close(frame) = &message {
                                let code = frame.as_ref().map_or(1005, |f| u16::from(f.code));
                                close_log.lock().unwrap().push(code);
                            }
                            let Message::Text(text) = message else {
                                continue;
                            };
                            let frame: Value = serde_json::from_str(text.as_str()).unwrap();
                            log.lock().unwrap().push(frame.clone());
                            for answer in script(&frame) {
                                if socket
                                    .send(Message::text(answer.to_string()))
                                    .await
                                    .is_err()
                                {
                                    return;
                                }
                            }
                        }
                    });
                }
            });
        });
        FakeGateway {
            port,
            received,
            closes,
        }
    }

    fn closes(&self) -> Vec<u16> {
        self.closes.lock().unwrap().clone()
    }

    fn requests(&self) -> Vec<Value> {
        self.received.lock().unwrap().clone()
    }

    fn env(&self, token: &str) -> TestEnv {
        let env = TestEnv::new();
        env.write_config(&format!(
            r#"{{ gateway: {{ mode: "local", port: {}, auth: {{ mode: "token", token: "{token}" }} }} }}"#,
            self.port
        ));
        env
    }
}

fn hello(frame: &Value) -> Value {
    json!({"type": "res", "id": frame["id"], "ok": true, "payload": {"type": "hello-ok", "protocol": 4,
        "auth": {"role": "operator", "scopes": frame["params"]["scopes"]}}})
}

/// A gateway that accepts `token` and answers `agent` with an accepted
/// acknowledgement, an event, and `final_payload`.
fn agent_gateway(token: &'static str, answer: Value) -> FakeGateway {
    FakeGateway::start(Arc::new(move |frame| {
        match frame["method"].as_str().unwrap_or_default() {
            "connect" if frame["params"]["auth"]["token"] == token => vec![hello(frame)],
            "connect" => vec![
                json!({"type": "res", "id": frame["id"], "ok": false, "error": {
                "code": "INVALID_REQUEST",
                "message": "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)",
                "details": {"code": "AUTH_TOKEN_MISMATCH"}}}),
            ],
            "agent" => {
                let mut last = answer.clone();
                last["id"] = frame["id"].clone();
                vec![
                    json!({"type": "res", "id": frame["id"], "ok": true, "payload": {"status": "accepted"}}),
                    json!({"type": "event", "event": "tick", "payload": {"ts": 3}}),
                    last,
                ]
            }
            "tts.status" => vec![
                json!({"type": "res", "id": frame["id"], "ok": true, "payload": {
                "enabled": true, "auto": "always", "provider": "openai", "persona": null, "personas": [],
                "fallbackProvider": null, "fallbackProviders": [], "prefsPath": "/x/tts.json",
                "providerStates": [{"id": "openai", "label": "OpenAI", "configured": false}]}}),
            ],
            "tts.providers" => vec![
                json!({"type": "res", "id": frame["id"], "ok": true, "payload": {
                "providers": [{"id": "openai", "name": "OpenAI", "configured": false, "models": [], "voices": []}],
                "active": "openai"}}),
            ],
            "tts.enable" => vec![
                json!({"type": "res", "id": frame["id"], "ok": true, "payload": {"enabled": true}}),
            ],
            "tts.setProvider" => vec![json!({"type": "res", "id": frame["id"], "ok": true,
                "payload": {"provider": frame["params"]["provider"]}})],
            _ => vec![json!({"type": "res", "id": frame["id"], "ok": false,
                "error": {"code": "INVALID_REQUEST", "message": "unknown method"}})],
        }
    }))
}

fn ok_answer() -> Value {
    json!({"type": "res", "ok": true, "payload": {"runId": "r", "status": "ok", "summary": "completed",
        "result": {"payloads": [{"text": "Paris", "mediaUrl": null}],
            "meta": {"durationMs": 10, "agentMeta": {"provider": "llama", "model": "smollm2",
                "usage": {"input": 12, "output": 2, "cacheRead": 0, "cacheWrite": 0, "total": 14}}}}}})
}

#[test]
fn model_run_goes_to_the_gateway_and_maps_the_final_answer() {
    let gateway = agent_gateway("right", ok_answer());
    let env = gateway.env("right");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--thinking",
        "off",
        "--prompt",
        "capital?",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["capability"], "model.run");
    assert_eq!(envelope["transport"], "gateway");
    assert_eq!(envelope["provider"], "llama");
    assert_eq!(envelope["model"], "smollm2");
    assert_eq!(envelope["attempts"], json!([]));
    assert_eq!(
        envelope["outputs"],
        json!([{"text": "Paris", "mediaUrl": null}])
    );
    assert_eq!(envelope["usage"]["inputTokens"], 12);
    assert!(envelope["timings"]["totalMs"].is_u64());

    let requests = gateway.requests();
    let connect = &requests[0];
    assert_eq!(connect["method"], "connect");
    assert_eq!(connect["params"]["client"]["id"], "cli");
    assert_eq!(connect["params"]["scopes"], json!(["operator.write"]));
    assert_eq!(connect["params"]["auth"], json!({"token": "right"}));
    let agent = &requests[1];
    assert_eq!(agent["method"], "agent");
    let params = &agent["params"];
    assert_eq!(params["message"], "capital?");
    assert_eq!(params["agentId"], "main");
    assert_eq!(params["thinking"], "off");
    assert_eq!(params["modelRun"], true);
    assert_eq!(params["promptMode"], "none");
    assert!(params.get("provider").is_none());
    let session = params["sessionId"].as_str().unwrap();
    assert!(session.starts_with("model-run-"));
    assert_eq!(
        params["sessionKey"],
        format!("agent:main:explicit:{session}")
    );
    assert!(!params["idempotencyKey"].as_str().unwrap().is_empty());
}

#[test]
fn model_override_uses_the_admin_identity_and_files_travel_as_attachments() {
    let gateway = agent_gateway("right", ok_answer());
    let env = gateway.env("right");
    crate::support::write_png(&env.path("cat.png"));
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--model",
        "llama/smollm2",
        "--file",
        "cat.png",
        "--prompt",
        "what is this?",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["inputs"][0]["mimeType"], "image/png");
    let requests = gateway.requests();
    assert_eq!(requests[0]["params"]["client"]["id"], "gateway-client");
    assert_eq!(requests[0]["params"]["client"]["mode"], "backend");
    assert_eq!(requests[0]["params"]["scopes"], json!(["operator.admin"]));
    let params = &requests[1]["params"];
    assert_eq!(params["provider"], "llama");
    assert_eq!(params["model"], "smollm2");
    let attachment = &params["attachments"][0];
    assert_eq!(attachment["type"], "image");
    assert_eq!(attachment["fileName"], "cat.png");
    assert_eq!(attachment["mimeType"], "image/png");
    assert!(!attachment["content"].as_str().unwrap().is_empty());
}

#[test]
fn agent_flag_picks_the_gateway_agent() {
    let gateway = agent_gateway("right", ok_answer());
    let env = gateway.env("right");
    let out = env.run(&[
        "infer",
        "--agent",
        "Helper",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let params = &gateway.requests()[1]["params"];
    assert_eq!(params["agentId"], "helper");
    assert!(
        params["sessionKey"]
            .as_str()
            .unwrap()
            .starts_with("agent:helper:explicit:model-run-")
    );
}

#[test]
fn a_wrong_token_is_an_auth_failure() {
    let gateway = agent_gateway("right", ok_answer());
    let env = gateway.env("wrong");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["transport"], "gateway");
    assert_eq!(envelope["error"]["reason"], "auth");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("token mismatch")
    );
    assert!(
        !out.stdout.contains("wrong") && !out.stderr.contains("\"wrong\""),
        "the token is not echoed"
    );
    assert_eq!(
        gateway.requests().len(),
        1,
        "no RPC after a refused connect"
    );
}

#[test]
fn a_failed_run_keeps_our_envelope_with_the_gateways_message() {
    let gateway = agent_gateway(
        "right",
        json!({"type": "res", "ok": false,
            "payload": {"status": "error", "summary": "llama/smollm2 request failed (HTTP 401)"},
            "error": {"code": "UNAVAILABLE", "message": "llama/smollm2 request failed (HTTP 401)"}}),
    );
    let env = gateway.env("right");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["error"]["reason"], "provider");
    assert_eq!(
        envelope["error"]["message"],
        "llama/smollm2 request failed (HTTP 401)"
    );
}

#[test]
fn timeout_ms_bounds_the_wait() {
    // Accepts the run but never finishes it.
    let gateway = FakeGateway::start(Arc::new(|frame| match frame["method"].as_str() {
        Some("connect") => vec![hello(frame)],
        _ => vec![
            json!({"type": "res", "id": frame["id"], "ok": true, "payload": {"status": "accepted"}}),
        ],
    }));
    let env = gateway.env("t");
    let started = Instant::now();
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--timeout-ms",
        "500",
        "--prompt",
        "hi",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["error"]["reason"], "timeout");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("gateway timeout after 500ms")
    );
    // The client closed the session itself at the deadline.
    assert_eq!(gateway.closes(), [1000]);
}

#[test]
fn no_credentials_fail_before_connecting_with_the_fix_named() {
    let gateway = agent_gateway("right", ok_answer());
    let env = TestEnv::new().env("OPENCLAW_GATEWAY_PORT", &gateway.port.to_string());
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["error"]["reason"], "config");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requires credentials")
    );
    assert!(
        envelope["error"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("gateway.auth.token")
    );
    assert!(gateway.requests().is_empty());
}

#[test]
fn an_env_url_uses_only_the_env_token() {
    let gateway = agent_gateway("env-token", ok_answer());
    let url = format!("ws://127.0.0.1:{}", gateway.port);
    // The config token is not sent to an explicit URL.
    let env = gateway
        .env("config-token")
        .env("OPENCLAW_GATEWAY_URL", &url);
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("url override requires explicit credentials")
    );
    assert!(gateway.requests().is_empty());
    let env = gateway
        .env("config-token")
        .env("OPENCLAW_GATEWAY_URL", &url)
        .env("OPENCLAW_GATEWAY_TOKEN", "env-token");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn the_profile_config_is_the_one_read() {
    let gateway = agent_gateway("right", ok_answer());
    let env = TestEnv::new();
    let dir = env.home.path().join(".openclaw-work");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("openclaw.json"),
        format!(
            r#"{{ gateway: {{ port: {}, auth: {{ token: "right" }} }} }}"#,
            gateway.port
        ),
    )
    .unwrap();
    let out = env.run(&[
        "--profile",
        "work",
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn nothing_listening_fails_in_under_a_second() {
    let port = {
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let env = TestEnv::new()
        .env("OPENCLAW_GATEWAY_PORT", &port.to_string())
        .env("OPENCLAW_GATEWAY_TOKEN", "t");
    let started = Instant::now();
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ]);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["error"]["reason"], "unreachable");
    assert!(
        envelope["error"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("--local")
    );
}

#[test]
fn tts_status_defaults_to_a_configured_gateway() {
    let gateway = agent_gateway("right", ok_answer());
    let env = gateway.env("right");
    let out = env.run(&["infer", "tts", "status", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["transport"], "gateway");
    assert_eq!(envelope["enabled"], true);
    assert_eq!(envelope["auto"], "always");
    assert_eq!(envelope["provider"], "openai");
    assert!(envelope["persona"].is_null());
    assert_eq!(envelope["providerStates"][0]["id"], "openai");
    let requests = gateway.requests();
    assert_eq!(
        requests[0]["params"]["client"]["displayName"],
        "gateway:tts.status"
    );
    assert_eq!(requests[0]["params"]["scopes"], json!(["operator.read"]));
    assert!(requests[1].get("params").is_none());

    // `--local` stays on this machine.
    let out = env.run(&["infer", "tts", "status", "--local", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["transport"], "local");
    assert_eq!(gateway.requests().len(), 2);
}

#[test]
fn tts_status_without_a_gateway_is_local_and_both_flags_are_a_usage_error() {
    let env = TestEnv::new();
    let out = env.run(&["infer", "tts", "status", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["transport"], "local");
    let out = env.run(&["infer", "tts", "status", "--local", "--gateway", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn tts_state_commands_through_the_gateway() {
    let gateway = agent_gateway("right", ok_answer());
    let env = gateway.env("right");
    let out = env.run(&["infer", "tts", "providers", "--gateway", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["active"], "openai");
    assert_eq!(envelope["providers"][0]["selected"], true);
    assert_eq!(envelope["providers"][0]["available"], true);
    assert_eq!(envelope["outputs"][0]["id"], "openai");

    let out = env.run(&["infer", "tts", "enable", "--gateway", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["enabled"], true);
    let out = env.run(&[
        "infer",
        "tts",
        "set-provider",
        "--provider",
        "xai",
        "--gateway",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["provider"], "xai");
    let methods: Vec<String> = gateway
        .requests()
        .iter()
        .map(|r| r["method"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        methods,
        [
            "connect",
            "tts.providers",
            "connect",
            "tts.enable",
            "connect",
            "tts.setProvider"
        ]
    );
    let set = &gateway.requests()[5];
    assert_eq!(set["params"], json!({"provider": "xai"}));
    // Nothing was written locally.
    assert!(!env.state_dir().join("tts-state.json").exists());
}

/// Run `args` against `gateway`, send SIGTERM once the call (the second
/// frame, after `connect`) has arrived, and return the cancelled envelope
/// after checking the exit code and that the session ended with a Close frame.
fn terminated_mid_call(gateway: &FakeGateway, args: &[&str]) -> Value {
    // The environment (its temp home) must outlive the child.
    let env = gateway.env("t");
    let child = env
        .std_command(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while gateway.requests().len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(gateway.requests().len(), 2, "the call was sent");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    // The session ended with a Close frame (1000), not a dropped connection.
    assert_eq!(gateway.closes(), [1000]);
    let envelope: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["transport"], "gateway");
    assert_eq!(envelope["error"]["reason"], "cancelled");
    envelope
}

#[test]
fn sigterm_closes_the_socket_and_prints_the_cancelled_envelope() {
    let gateway = FakeGateway::start(Arc::new(|frame| match frame["method"].as_str() {
        Some("connect") => vec![hello(frame)],
        _ => vec![
            json!({"type": "res", "id": frame["id"], "ok": true, "payload": {"status": "accepted"}}),
        ],
    }));
    let args = [
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        "hi",
    ];
    let envelope = terminated_mid_call(&gateway, &args);
    assert_eq!(envelope["capability"], "model.run");
}

#[test]
fn a_cancelled_tts_status_that_defaulted_to_the_gateway_says_gateway() {
    // Connects, then never answers: the run is stopped mid-request.
    let gateway = FakeGateway::start(Arc::new(|frame| match frame["method"].as_str() {
        Some("connect") => vec![hello(frame)],
        _ => vec![],
    }));
    let envelope = terminated_mid_call(&gateway, &["infer", "tts", "status", "--json"]);
    assert_eq!(envelope["capability"], "tts.status");
}
