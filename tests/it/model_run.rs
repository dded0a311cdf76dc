//! `infer model run` over OpenAI chat completions against loopback servers.

use std::time::{Duration, Instant};

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::envelope::Input;
use crate::support::{TestEnv, completion, completion_stream, env_for, received_bodies, write_png};

async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn json_answer_and_the_exact_request() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(completion("Paris"))).await;
    let env = env_for(&server, "");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "Capital of France?",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.envelope();
    assert!(envelope.ok);
    assert_eq!(envelope.capability, "model.run");
    assert_eq!(envelope.transport, "local");
    assert_eq!(envelope.provider.as_deref(), Some("loop"));
    assert_eq!(envelope.model.as_deref(), Some("m1"));
    assert!(envelope.attempts.is_empty());
    assert_eq!(
        envelope.outputs,
        [json!({"text": "Paris", "mediaUrl": null})]
    );
    assert!(envelope.error.is_none());
    assert_eq!(envelope.usage().input_tokens, Some(7));
    assert_eq!(envelope.usage().output_tokens, Some(2));
    // `totalMs` decoded as a u64.
    assert!(envelope.timings.is_some());

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.url.path(), "/v1/chat/completions");
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer test-key"
    );
    assert_eq!(
        request.headers.get("content-type").unwrap(),
        "application/json"
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        // A config model without `maxTokens` is capped at 8192, as the
        // reference tool sends it (tests/reference/provider-configs.json).
        json!({"model": "m1", "messages": [{"role": "user", "content": "Capital of France?"}],
               "stream": true, "stream_options": {"include_usage": true},
               "max_completion_tokens": 8192})
    );
}

#[tokio::test]
async fn compat_max_tokens_field_picks_the_output_cap_field() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let base = format!("{}/v1", server.uri());
    // On the provider, then overridden on one model.
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ loop: {{ baseUrl: "{base}", apiKey: "k", api: "openai-completions",
             compat: {{ maxTokensField: "max_tokens", supportsStore: false }},
             models: [{{ id: "m1", maxTokens: 100 }},
                      {{ id: "m2", maxTokens: 200, compat: {{ maxTokensField: "max_completion_tokens" }} }}] }} }} }} }}"#
    ));
    for (model, field, other) in [
        ("loop/m1", "max_tokens", "max_completion_tokens"),
        ("loop/m2", "max_completion_tokens", "max_tokens"),
    ] {
        let out = env.run(&[
            "infer", "model", "run", "--json", "--model", model, "--prompt", "hi",
        ]);
        assert_eq!(out.code, 0, "{out:?}");
        let requests = server.received_requests().await.unwrap();
        let body: serde_json::Value =
            serde_json::from_slice(&requests.last().unwrap().body).unwrap();
        assert!(body.get(field).is_some(), "{model}: {body}");
        assert!(body.get(other).is_none(), "{model}: {body}");
    }
}

#[tokio::test]
async fn streamed_answer_is_joined_and_printed_as_bare_text() {
    let sse = completion_stream(&["Pa", "r", "is"]);
    let server = server_answering(
        ResponseTemplate::new(200)
            .insert_header("content-type", "text/event-stream")
            .set_body_string(sse),
    )
    .await;
    let env = env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout, "Paris\n",
        "stdout is exactly the text and one newline"
    );

    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi", "--json",
    ]);
    let envelope = out.envelope();
    assert_eq!(envelope.text(0), "Paris");
    assert_eq!(envelope.usage().total_tokens, Some(7));
}

#[tokio::test]
async fn streaming_can_be_turned_off_per_provider() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion("ok"))).await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{loop: {{baseUrl: "{}/v1", streaming: false, models: [{{id: "m1"}}]}}}}}}}}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let bodies = received_bodies(&server).await;
    assert!(bodies[0].get("stream").is_none(), "{}", bodies[0]);
    let request = &server.received_requests().await.unwrap()[0];
    assert!(
        request.headers.get("authorization").is_none(),
        "no key configured, none sent"
    );
}

#[tokio::test]
async fn images_are_sent_as_data_urls_and_listed_as_inputs() {
    let server =
        server_answering(ResponseTemplate::new(200).set_body_json(completion("a dot"))).await;
    let env = env_for(&server, "");
    let image = env.path("dot.png");
    write_png(&image);
    let image_arg = image.to_str().unwrap();
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "what?", "--file", image_arg,
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.envelope();
    assert_eq!(
        envelope.inputs,
        [Input {
            path: image_arg.to_owned(),
            mime_type: "image/png".to_owned()
        }]
    );
    let body = &received_bodies(&server).await[0];
    let content = &body["messages"][0]["content"];
    assert_eq!(content[0], json!({"type": "text", "text": "what?"}));
    assert!(
        content[1]["image_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGgo")
    );
}

#[tokio::test]
async fn bad_input_fails_before_any_request() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion("x"))).await;
    let env = env_for(&server, "");
    let not_image = env.path("notes.png");
    std::fs::write(&not_image, "plain text, not a picture").unwrap();
    let wav = env.path("a.wav");
    std::fs::write(&wav, b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00").unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--prompt", "   "], "non-whitespace"),
        (
            vec!["--prompt", "x", "--model", "no-slash"],
            "<provider/model>",
        ),
        (
            vec!["--prompt", "x", "--model", "nobody/m1"],
            "unknown provider `nobody`",
        ),
        (vec!["--prompt", "x", "--thinking", "extreme"], "extreme"),
        (
            vec!["--prompt", "x", "--file", not_image.to_str().unwrap()],
            "notes.png",
        ),
        (
            vec!["--prompt", "x", "--file", wav.to_str().unwrap()],
            "audio transcribe",
        ),
        (
            vec!["--prompt", "x", "--file", "/nonexistent/a.png"],
            "/nonexistent/a.png",
        ),
        (
            vec![
                "--prompt",
                "x",
                "--model",
                "loop/text-only",
                "--file",
                "PNG",
            ],
            "image input",
        ),
        (vec!["--prompt", "x", "--local", "--gateway"], "--gateway"),
        (vec!["--prompt", "x", "--timeout-ms", ""], "--timeout-ms"),
        (vec!["--prompt", "x", "--timeout-ms", "0"], "--timeout-ms"),
    ];
    let png = env.path("ok.png");
    write_png(&png);
    for (mut args, expected) in cases {
        for arg in args.iter_mut() {
            if *arg == "PNG" {
                *arg = png.to_str().unwrap();
            }
        }
        let mut full = vec!["infer", "model", "run", "--json"];
        if !args.contains(&"--model") {
            full.extend(["--model", "loop/m1"]);
        }
        full.extend(&args);
        let out = env.run(&full);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        let envelope = out.envelope();
        assert!(!envelope.ok, "{args:?}");
        assert_eq!(envelope.error().reason, "usage", "{args:?}: {envelope:?}");
        let message = envelope.error().message_and_hints();
        assert!(
            message.contains(expected),
            "{args:?}: `{message}` lacks `{expected}`"
        );
        assert!(
            out.stderr.contains("error:"),
            "{args:?}: human form on stderr"
        );
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "no request may be sent"
    );
}

#[tokio::test]
async fn missing_key_names_the_env_var_and_sends_nothing() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion("x"))).await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{groq: {{baseUrl: "{}/v1"}}}}}}}}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "groq/llama-3.1-8b-instant",
        "--prompt",
        "x",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.envelope();
    let error = envelope.error();
    assert_eq!(error.reason, "auth");
    assert!(error.hints[0].contains("GROQ_API_KEY"));
    assert!(server.received_requests().await.unwrap().is_empty());

    // The env var is then used, in the spec's order.
    let env = env.env("GROQ_API_KEY", "gsk-from-env");
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "groq/llama-3.1-8b-instant",
        "--prompt",
        "x",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer gsk-from-env"
    );
}

#[tokio::test]
async fn provider_errors_are_classified_and_secrets_stay_hidden() {
    for (status, reason, code) in [
        (401, "auth", 1),
        (403, "auth_permanent", 1),
        (404, "model_not_found", 1),
        (400, "format", 1),
    ] {
        let server = server_answering(
            ResponseTemplate::new(status)
                .set_body_json(json!({"error": {"message": "nope from server", "type": "x"}})),
        )
        .await;
        let env = env_for(&server, "");
        let out = env.run(&[
            "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--json",
        ]);
        assert_eq!(out.code, code, "{status}: {out:?}");
        let envelope = out.envelope();
        let error = envelope.error();
        assert_eq!(error.reason, reason, "{status}");
        assert_eq!(error.status, Some(status), "{status}");
        assert!(error.message.contains("nope from server"));
        assert!(
            !out.stdout.contains("test-key") && !out.stderr.contains("test-key"),
            "secret leaked"
        );
        assert_eq!(
            server.received_requests().await.unwrap().len(),
            1,
            "{status} is not retried"
        );
    }
}

#[tokio::test]
async fn rate_limits_are_retried_then_answered() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_string("slow down"),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("finally")))
        .mount(&server)
        .await;
    let env = env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.envelope().text(0), "finally");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn fallbacks_record_each_failed_try() {
    let failing = server_answering(
        ResponseTemplate::new(429).set_body_json(json!({"error": {"message": "quota window"}})),
    )
    .await;
    let answering =
        server_answering(ResponseTemplate::new(200).set_body_json(completion("from fallback")))
            .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ model: {{ primary: "first/m1", fallbacks: ["second/m2"] }} }} }},
  models: {{ providers: {{
    first: {{ baseUrl: "{}/v1", models: [{{ id: "m1" }}] }},
    second: {{ baseUrl: "{}/v1", models: [{{ id: "m2" }}] }},
  }} }},
}}"#,
        failing.uri(),
        answering.uri()
    ));
    let out = env.run(&["infer", "model", "run", "--prompt", "x", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.envelope();
    assert_eq!(envelope.provider.as_deref(), Some("second"));
    assert_eq!(envelope.model.as_deref(), Some("m2"));
    assert_eq!(envelope.text(0), "from fallback");
    let attempts = &envelope.attempts;
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].provider, "first");
    assert_eq!(attempts[0].reason, "rate_limit");
    assert_eq!(attempts[0].status, Some(429));
    assert_eq!(received_bodies(&answering).await[0]["model"], "m2");

    // An explicit --model runs exactly that model: no fallback.
    let out = env.run(&[
        "infer", "model", "run", "--model", "first/m1", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.code, 1);
    assert_eq!(out.envelope().provider.as_deref(), Some("first"));
    assert_eq!(answering.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn when_every_candidate_fails_the_error_lists_each() {
    let env = TestEnv::new();
    env.write_config(
        r#"{
  agents: { defaults: { model: { primary: "a/m", fallbacks: ["b/m"] } } },
  models: { providers: {
    a: { baseUrl: "http://127.0.0.1:9/v1" },
    b: { baseUrl: "http://127.0.0.1:9/v1" },
  } },
}"#,
    );
    let out = env.run(&["infer", "model", "run", "--prompt", "x", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.envelope();
    assert_eq!(envelope.attempts.len(), 2);
    let message = &envelope.error().message;
    assert!(
        message.contains("a/m") && message.contains("b/m"),
        "{message}"
    );
    assert_eq!(envelope.error().reason, "network");
}

#[tokio::test]
async fn empty_answers_are_failures() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion(""))).await;
    let env = env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.envelope().error().message.contains("no text"));
}

#[tokio::test]
async fn a_silent_provider_fails_at_the_deadline() {
    let server = server_answering(
        ResponseTemplate::new(200)
            .set_body_json(completion("late"))
            .set_delay(Duration::from_secs(20)),
    )
    .await;
    let env = env_for(&server, "");
    let started = Instant::now();
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "x",
        "--timeout-ms",
        "400",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.envelope().error().reason, "timeout");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );

    // The same deadline from config `agents.defaults.timeoutSeconds`.
    let env = env_for(&server, "agents: { defaults: { timeoutSeconds: 0.4 } },");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.envelope().error().reason, "timeout");
}

#[tokio::test]
async fn prompt_from_stdin_and_file_is_sent_unchanged() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion("ok"))).await;
    let env = env_for(&server, "");
    let output = env
        .command(&[
            "infer", "model", "run", "--model", "loop/m1", "--prompt", "-", "--json",
        ])
        .write_stdin("from stdin\nline two")
        .output()
        .unwrap();
    assert!(output.status.success());
    let prompt_file = env.path("prompt.txt");
    std::fs::write(&prompt_file, "from a file").unwrap();
    let at_file = format!("@{}", prompt_file.display());
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", &at_file, "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let bodies = received_bodies(&server).await;
    assert_eq!(bodies[0]["messages"][0]["content"], "from stdin\nline two");
    assert_eq!(bodies[1]["messages"][0]["content"], "from a file");
}

#[tokio::test]
async fn a_prompt_of_megabytes_is_sent_whole_to_each_candidate() {
    // Large enough to be sent in slices as the request goes out; quotes,
    // backslashes, control and multi-byte characters cross slice edges.
    let mut prompt = String::new();
    while prompt.len() < 1024 * 1024 {
        prompt.push_str("a \"quoted\" \\ line\twith é, 中文 and 🦀\n\u{7}");
    }
    let failing = server_answering(
        ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "busy"}})),
    )
    .await;
    let answering =
        server_answering(ResponseTemplate::new(200).set_body_json(completion("read it"))).await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ model: {{ primary: "first/m1", fallbacks: ["second/m2"] }} }} }},
  models: {{ providers: {{
    first: {{ baseUrl: "{}/v1", models: [{{ id: "m1" }}] }},
    second: {{ baseUrl: "{}/v1", models: [{{ id: "m2" }}] }},
  }} }},
}}"#,
        failing.uri(),
        answering.uri()
    ));
    let prompt_file = env.path("big-prompt.txt");
    std::fs::write(&prompt_file, &prompt).unwrap();
    let at_file = format!("@{}", prompt_file.display());
    let out = env.run(&["infer", "model", "run", "--prompt", &at_file, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.envelope().text(0), "read it");
    assert_eq!(out.envelope().attempts.len(), 1);

    let tried = failing.received_requests().await.unwrap();
    let answered = answering.received_requests().await.unwrap();
    assert!(!tried.is_empty());
    assert_eq!(answered.len(), 1);
    for request in tried.iter().chain(&answered) {
        assert_eq!(
            request.headers.get("content-length").unwrap(),
            &request.body.len().to_string(),
            "the length is announced, not chunked"
        );
        assert!(request.headers.get("transfer-encoding").is_none());
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["messages"][0]["content"], prompt.as_str());
        assert_eq!(body["stream"], true);
    }
    let body: serde_json::Value = serde_json::from_slice(&answered[0].body).unwrap();
    assert_eq!(body["model"], "m2");
}

#[tokio::test]
async fn thinking_level_maps_to_reasoning_effort() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion("ok"))).await;
    let env = env_for(&server, "");
    for (level, effort) in [("on", "low"), ("adaptive", "medium"), ("x-high", "xhigh")] {
        let out = env.run(&[
            "infer",
            "model",
            "run",
            "--model",
            "loop/m1",
            "--prompt",
            "x",
            "--thinking",
            level,
        ]);
        assert_eq!(out.code, 0, "{out:?}");
        let body = received_bodies(&server).await.pop().unwrap();
        assert_eq!(body["reasoning_effort"], effort, "{level}");
    }
    env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "x",
        "--thinking",
        "off",
    ]);
    let body = received_bodies(&server).await.pop().unwrap();
    assert!(body.get("reasoning_effort").is_none());
}

#[tokio::test]
async fn default_model_and_aliases_come_from_config() {
    let server = server_answering(ResponseTemplate::new(200).set_body_json(completion("ok"))).await;
    let env = env_for(
        &server,
        r#"agents: { defaults: { model: "loop/m1", models: { "loop/text-only": { alias: "Plain" } } } },"#,
    );
    env.run(&["infer", "model", "run", "--prompt", "x"]);
    env.run(&["infer", "model", "run", "--prompt", "x", "--model", "plain"]);
    env.run(&[
        "infer", "model", "run", "--prompt", "x", "--model", "LOOP/M1",
    ]);
    let models: Vec<_> = received_bodies(&server)
        .await
        .iter()
        .map(|b| b["model"].clone())
        .collect();
    assert_eq!(models, [json!("m1"), json!("text-only"), json!("m1")]);
}

#[tokio::test]
async fn config_headers_and_env_substitution_reach_the_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("x-team", "research"))
        .and(header("authorization", "Bearer from-env-file"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{loop: {{baseUrl: "{}/v1", apiKey: "${{LOOP_KEY}}", headers: {{"x-team": "research"}}}}}}}}}}"#,
        server.uri()
    ));
    std::fs::write(env.state_dir().join(".env"), "LOOP_KEY=from-env-file\n").unwrap();
    let out = env.run(&[
        "infer",
        "model",
        "run",
        "--model",
        "loop/anything",
        "--prompt",
        "x",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[tokio::test]
async fn proxy_environment_variables_are_honoured() {
    // The "proxy" is a wiremock server: a proxied plain-HTTP request reaches
    // it with the provider's path, so answering there proves the route.
    let proxy =
        server_answering(ResponseTemplate::new(200).set_body_json(completion("via proxy"))).await;
    let env = TestEnv::new()
        .env("HTTP_PROXY", &proxy.uri())
        .env("NO_PROXY", "");
    env.write_config(r#"{models: {providers: {far: {baseUrl: "http://provider.invalid/v1", models: [{id: "m"}]}}}}"#);
    let out = env.run(&[
        "infer", "model", "run", "--model", "far/m", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.envelope().text(0), "via proxy");
    let request = &proxy.received_requests().await.unwrap()[0];
    assert_eq!(request.headers.get("host").unwrap(), "provider.invalid");
}
