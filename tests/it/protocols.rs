//! `infer model run` over each native wire protocol (OpenAI Responses,
//! Anthropic Messages, Gemini, Ollama) against loopback servers that check
//! the exact request and replay the documented answer shapes.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, write_png};

/// A config with one provider `p` speaking `api` at `base_url`.
fn env_with(api: &str, base_url: &str, streaming: bool) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{
    p: {{ baseUrl: "{base_url}", apiKey: "sk-test-secret", api: "{api}", streaming: {streaming},
         models: [{{ id: "m1", input: ["text", "image"], maxTokens: 2048 }}] }},
  }} }} }}"#
    ));
    env
}

async fn mount(server: &MockServer, route: &str, response: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(route))
        .respond_with(response)
        .mount(server)
        .await;
}

fn sse(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "text/event-stream")
        .set_body_string(body)
}

fn only_request(requests: &[wiremock::Request]) -> (&wiremock::Request, Value) {
    assert_eq!(requests.len(), 1, "exactly one request");
    let body = serde_json::from_slice(&requests[0].body).expect("JSON body");
    (&requests[0], body)
}

fn header<'r>(request: &'r wiremock::Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).map(|v| v.to_str().unwrap())
}

fn run_json(env: &TestEnv, extra: &[&str]) -> (i32, Value, String) {
    let mut args = vec![
        "infer",
        "model",
        "run",
        "--model",
        "p/m1",
        "--prompt",
        "Capital of France?",
        "--json",
    ];
    args.extend(extra);
    let out = env.run(&args);
    assert!(
        !out.stdout.contains("sk-test-secret") && !out.stderr.contains("sk-test-secret"),
        "secret leaked"
    );
    (out.code, out.json(), out.stderr)
}

// ---------------------------------------------------------------- OpenAI Responses

fn responses_answer(text: &str) -> Value {
    json!({
        "id": "resp_1", "object": "response", "status": "completed", "model": "m1",
        "output": [
            {"id": "rs_1", "type": "reasoning", "summary": []},
            {"id": "msg_1", "type": "message", "role": "assistant", "status": "completed",
             "content": [{"type": "output_text", "text": text, "annotations": []}]}
        ],
        "usage": {"input_tokens": 11, "input_tokens_details": {"cached_tokens": 0},
                  "output_tokens": 5, "output_tokens_details": {"reasoning_tokens": 3}, "total_tokens": 16}
    })
}

#[tokio::test]
async fn openai_responses_plain_answer_and_exact_request() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/responses",
        ResponseTemplate::new(200).set_body_json(responses_answer("Paris")),
    )
    .await;
    let env = env_with("openai-responses", &format!("{}/v1", server.uri()), false);
    let image = env.path("dot.png");
    write_png(&image);
    let (code, envelope, _) = run_json(
        &env,
        &["--thinking", "low", "--file", image.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{envelope}");
    assert_eq!(
        envelope["outputs"],
        json!([{"text": "Paris", "mediaUrl": null}])
    );
    assert_eq!(envelope["usage"]["inputTokens"], 11);
    assert_eq!(envelope["usage"]["outputTokens"], 5);
    assert_eq!(envelope["usage"]["reasoningTokens"], 3);

    let requests = server.received_requests().await.unwrap();
    let (request, body) = only_request(&requests);
    assert_eq!(
        header(request, "authorization"),
        Some("Bearer sk-test-secret")
    );
    assert_eq!(header(request, "content-type"), Some("application/json"));
    let image_url = body["input"][0]["content"][1]["image_url"]
        .as_str()
        .unwrap();
    assert!(
        image_url.starts_with("data:image/png;base64,iVBORw0KGgo"),
        "{image_url}"
    );
    assert_eq!(
        body,
        json!({"model": "m1", "store": false,
               "input": [{"role": "user", "content": [
                   {"type": "input_text", "text": "Capital of France?"},
                   {"type": "input_image", "image_url": image_url}]}],
               "max_output_tokens": 2048,
               "reasoning": {"effort": "low", "summary": "auto"}})
    );
}

#[tokio::test]
async fn openai_responses_stream() {
    let server = MockServer::start().await;
    let mut body = String::new();
    let events = [
        json!({"type": "response.created", "sequence_number": 0, "response": {"status": "in_progress", "output": []}}),
        json!({"type": "response.output_text.delta", "sequence_number": 1, "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "Pa"}),
        json!({"type": "response.output_text.delta", "sequence_number": 2, "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "ris"}),
        json!({"type": "response.completed", "sequence_number": 3, "response": {"status": "completed", "output": [],
               "usage": {"input_tokens": 4, "output_tokens": 2, "total_tokens": 6}}}),
    ];
    for event in events {
        body.push_str(&format!(
            "event: {}\ndata: {event}\n\n",
            event["type"].as_str().unwrap()
        ));
    }
    mount(&server, "/v1/responses", sse(body)).await;
    let env = env_with("openai-responses", &format!("{}/v1", server.uri()), true);
    let out = env.run(&["infer", "model", "run", "--model", "p/m1", "--prompt", "hi"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "Paris\n");
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(envelope["usage"]["totalTokens"], 6);
    assert_eq!(
        crate::support::received_bodies(&server).await[0]["stream"],
        true
    );
}

#[tokio::test]
async fn openai_responses_errors() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/responses",
        ResponseTemplate::new(429).set_body_json(json!({"error": {
            "message": "You exceeded your current quota, please check your plan and billing details.",
            "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}})),
    )
    .await;
    let env = env_with("openai-responses", &format!("{}/v1", server.uri()), false);
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(envelope["error"]["reason"], "billing");
    assert_eq!(envelope["error"]["status"], 429);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "billing is not retried"
    );

    // A failure announced inside the stream.
    let server = MockServer::start().await;
    let failed = json!({"type": "response.failed", "response": {"status": "failed",
        "error": {"code": "server_error", "message": "The model crashed."}, "output": []}});
    mount(
        &server,
        "/v1/responses",
        sse(format!("event: response.failed\ndata: {failed}\n\n")),
    )
    .await;
    let env = env_with("openai-responses", &format!("{}/v1", server.uri()), true);
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(envelope["error"]["reason"], "server_error");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("The model crashed.")
    );
}

#[tokio::test]
async fn reasoning_that_eats_the_output_suggests_a_lower_level() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/responses",
        ResponseTemplate::new(200).set_body_json(json!({
            "status": "incomplete", "incomplete_details": {"reason": "max_output_tokens"},
            "output": [{"type": "reasoning", "summary": [{"type": "summary_text", "text": "Long deliberation"}]}],
            "usage": {"input_tokens": 5, "output_tokens": 2048, "output_tokens_details": {"reasoning_tokens": 2048}}})),
    )
    .await;
    let env = env_with("openai-responses", &format!("{}/v1", server.uri()), false);
    let (code, envelope, _) = run_json(&env, &["--thinking", "high"]);
    assert_eq!(code, 1);
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no text")
    );
    let hints = envelope["error"]["hints"].to_string();
    assert!(
        hints.contains("--thinking off") && hints.contains("high"),
        "{hints}"
    );
}

// ---------------------------------------------------------------- Anthropic Messages

#[tokio::test]
async fn anthropic_plain_answer_and_exact_request() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/messages",
        ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_01", "type": "message", "role": "assistant", "model": "m1",
            "content": [{"type": "thinking", "thinking": "Known fact.", "signature": "c2ln"},
                        {"type": "text", "text": "Paris"}],
            "stop_reason": "end_turn", "stop_sequence": null,
            "usage": {"input_tokens": 14, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 9}})),
    )
    .await;
    let env = env_with("anthropic-messages", &format!("{}/v1", server.uri()), false);
    let image = env.path("dot.png");
    write_png(&image);
    let (code, envelope, _) = run_json(
        &env,
        &["--thinking", "minimal", "--file", image.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{envelope}");
    assert_eq!(
        envelope["outputs"],
        json!([{"text": "Paris", "mediaUrl": null}])
    );
    assert_eq!(envelope["usage"]["inputTokens"], 14);
    assert_eq!(envelope["usage"]["outputTokens"], 9);

    let requests = server.received_requests().await.unwrap();
    let (request, body) = only_request(&requests);
    assert_eq!(header(request, "x-api-key"), Some("sk-test-secret"));
    assert_eq!(header(request, "anthropic-version"), Some("2023-06-01"));
    assert_eq!(
        header(request, "authorization"),
        None,
        "the key goes only in x-api-key"
    );
    let data = body["messages"][0]["content"][0]["source"]["data"]
        .as_str()
        .unwrap();
    assert!(data.starts_with("iVBORw0KGgo"));
    // maxTokens 2048 from the model row bounds the request; the budget fits below it.
    assert_eq!(
        body,
        json!({"model": "m1", "max_tokens": 2048,
               "messages": [{"role": "user", "content": [
                   {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
                   {"type": "text", "text": "Capital of France?"}]}],
               "thinking": {"type": "enabled", "budget_tokens": 1024}})
    );
}

fn anthropic_stream(pieces: &[&str]) -> String {
    let mut events = vec![
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant", "content": [],
               "model": "m1", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 12, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "ping"}),
    ];
    for piece in pieces {
        events.push(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}));
    }
    events.push(json!({"type": "content_block_stop", "index": 0}));
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": null}, "usage": {"output_tokens": 3}}));
    events.push(json!({"type": "message_stop"}));
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap()))
        .collect()
}

#[tokio::test]
async fn anthropic_streamed_answer() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/messages",
        sse(anthropic_stream(&["Pa", "r", "is"])),
    )
    .await;
    let env = env_with("anthropic-messages", &format!("{}/v1", server.uri()), true);
    let out = env.run(&["infer", "model", "run", "--model", "p/m1", "--prompt", "hi"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "Paris\n");
    let (_, envelope, _) = run_json(&env, &[]);
    assert_eq!(envelope["usage"]["inputTokens"], 12);
    assert_eq!(envelope["usage"]["outputTokens"], 3);
    let body = &crate::support::received_bodies(&server).await[0];
    assert_eq!(body["stream"], true);
    assert_eq!(body["max_tokens"], 2048);
}

#[tokio::test]
async fn anthropic_errors() {
    // Overloaded (529) is transient: retried, then reported.
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/messages",
        ResponseTemplate::new(529).set_body_json(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}})),
    )
    .await;
    let env = env_with("anthropic-messages", &format!("{}/v1", server.uri()), false);
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(envelope["error"]["reason"], "overloaded");
    assert_eq!(envelope["error"]["status"], 529);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "retried up to the limit"
    );

    let server = MockServer::start().await;
    mount(
        &server,
        "/v1/messages",
        ResponseTemplate::new(401).set_body_json(json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})),
    )
    .await;
    let env = env_with("anthropic-messages", &format!("{}/v1", server.uri()), false);
    let (_, envelope, _) = run_json(&env, &[]);
    assert_eq!(envelope["error"]["reason"], "auth");

    // An error event in the middle of a stream, before any text.
    let server = MockServer::start().await;
    let error =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let start =
        json!({"type": "message_start", "message": {"content": [], "usage": {"input_tokens": 1}}});
    mount(
        &server,
        "/v1/messages",
        sse(format!(
            "event: message_start\ndata: {start}\n\nevent: error\ndata: {error}\n\n"
        )),
    )
    .await;
    let env = env_with("anthropic-messages", &format!("{}/v1", server.uri()), true);
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(envelope["error"]["reason"], "overloaded");
}

// ---------------------------------------------------------------- Gemini

fn gemini_answer(text: &str) -> Value {
    json!({
        "candidates": [{"content": {"parts": [{"text": "Recall.", "thought": true}, {"text": text}], "role": "model"},
                        "finishReason": "STOP", "index": 0}],
        "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 1, "thoughtsTokenCount": 4, "totalTokenCount": 11},
        "modelVersion": "m1"
    })
}

#[tokio::test]
async fn gemini_plain_answer_and_exact_request() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1beta/models/m1:generateContent",
        ResponseTemplate::new(200).set_body_json(gemini_answer("Paris")),
    )
    .await;
    let env = env_with(
        "google-generative-ai",
        &format!("{}/v1beta", server.uri()),
        false,
    );
    let image = env.path("dot.png");
    write_png(&image);
    let (code, envelope, _) = run_json(
        &env,
        &["--thinking", "medium", "--file", image.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{envelope}");
    assert_eq!(
        envelope["outputs"],
        json!([{"text": "Paris", "mediaUrl": null}])
    );
    assert_eq!(envelope["usage"]["inputTokens"], 6);
    assert_eq!(envelope["usage"]["outputTokens"], 5);
    assert_eq!(envelope["usage"]["reasoningTokens"], 4);

    let requests = server.received_requests().await.unwrap();
    let (request, body) = only_request(&requests);
    assert_eq!(header(request, "x-goog-api-key"), Some("sk-test-secret"));
    assert_eq!(request.url.query(), None, "the key never goes in the URL");
    assert_eq!(header(request, "authorization"), None);
    let data = body["contents"][0]["parts"][1]["inline_data"]["data"]
        .as_str()
        .unwrap();
    assert!(data.starts_with("iVBORw0KGgo"));
    assert_eq!(
        body,
        json!({"contents": [{"role": "user", "parts": [
                   {"text": "Capital of France?"},
                   {"inline_data": {"mime_type": "image/png", "data": data}}]}],
               "generationConfig": {"maxOutputTokens": 2048,
                                    "thinkingConfig": {"thinkingBudget": 8192, "includeThoughts": true}}})
    );
}

#[tokio::test]
async fn gemini_stream() {
    let server = MockServer::start().await;
    let chunks = [
        json!({"candidates": [{"content": {"parts": [{"text": "Pa"}], "role": "model"}, "index": 0}],
               "usageMetadata": {"promptTokenCount": 6, "totalTokenCount": 6}}),
        json!({"candidates": [{"content": {"parts": [{"text": "ris"}], "role": "model"}, "finishReason": "STOP", "index": 0}],
               "usageMetadata": {"promptTokenCount": 6, "candidatesTokenCount": 2, "totalTokenCount": 8}}),
    ];
    let body: String = chunks
        .iter()
        .map(|c| format!("data: {c}\r\n\r\n"))
        .collect();
    Mock::given(method("POST"))
        .and(path("/v1beta/models/m1:streamGenerateContent"))
        .and(wiremock::matchers::query_param("alt", "sse"))
        .respond_with(sse(body))
        .mount(&server)
        .await;
    let env = env_with(
        "google-generative-ai",
        &format!("{}/v1beta", server.uri()),
        true,
    );
    let out = env.run(&["infer", "model", "run", "--model", "p/m1", "--prompt", "hi"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "Paris\n");
    let (_, envelope, _) = run_json(&env, &[]);
    assert_eq!(envelope["usage"]["totalTokens"], 8);
}

#[tokio::test]
async fn gemini_errors() {
    for (status, body, reason) in [
        (
            429,
            json!({"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).", "status": "RESOURCE_EXHAUSTED"}}),
            "rate_limit",
        ),
        (
            400,
            json!({"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                               "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}]}}),
            "auth",
        ),
        (
            404,
            json!({"error": {"code": 404, "message": "models/m1 is not found for API version v1beta", "status": "NOT_FOUND"}}),
            "model_not_found",
        ),
    ] {
        let server = MockServer::start().await;
        mount(
            &server,
            "/v1beta/models/m1:generateContent",
            ResponseTemplate::new(status).set_body_json(body),
        )
        .await;
        let env = env_with(
            "google-generative-ai",
            &format!("{}/v1beta", server.uri()),
            false,
        );
        let (code, envelope, _) = run_json(&env, &[]);
        assert_eq!(code, 1);
        assert_eq!(envelope["error"]["reason"], reason, "{status}");
        assert_eq!(envelope["error"]["status"], status);
    }

    // A prompt blocked by safety filters has no candidates.
    let server = MockServer::start().await;
    mount(
        &server,
        "/v1beta/models/m1:generateContent",
        ResponseTemplate::new(200)
            .set_body_json(json!({"promptFeedback": {"blockReason": "SAFETY"}})),
    )
    .await;
    let env = env_with(
        "google-generative-ai",
        &format!("{}/v1beta", server.uri()),
        false,
    );
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SAFETY")
    );
}

// ---------------------------------------------------------------- Ollama

#[tokio::test]
async fn ollama_plain_answer_and_exact_request() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/api/chat",
        ResponseTemplate::new(200).set_body_json(json!({
            "model": "m1", "created_at": "2025-05-01T10:00:00Z",
            "message": {"role": "assistant", "content": "Paris", "thinking": "France -> Paris"},
            "done": true, "done_reason": "stop", "total_duration": 1000, "load_duration": 10,
            "prompt_eval_count": 13, "prompt_eval_duration": 100, "eval_count": 4, "eval_duration": 200})),
    )
    .await;
    let env = env_with("ollama", &server.uri(), false);
    let image = env.path("dot.png");
    write_png(&image);
    let (code, envelope, _) = run_json(
        &env,
        &["--thinking", "on", "--file", image.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{envelope}");
    assert_eq!(
        envelope["outputs"],
        json!([{"text": "Paris", "mediaUrl": null}])
    );
    assert_eq!(envelope["usage"]["inputTokens"], 13);
    assert_eq!(envelope["usage"]["outputTokens"], 4);

    let requests = server.received_requests().await.unwrap();
    let (request, body) = only_request(&requests);
    assert_eq!(
        header(request, "authorization"),
        Some("Bearer sk-test-secret")
    );
    let image_data = body["messages"][0]["images"][0].as_str().unwrap();
    assert!(image_data.starts_with("iVBORw0KGgo"));
    assert_eq!(
        body,
        json!({"model": "m1", "stream": false, "think": true,
               "options": {"num_predict": 2048}, "truncate": false, "shift": false,
               "messages": [{"role": "user", "content": "Capital of France?", "images": [image_data]}]})
    );
}

#[tokio::test]
async fn ollama_ndjson_stream() {
    let server = MockServer::start().await;
    let lines = [
        json!({"model": "m1", "message": {"role": "assistant", "content": "Pa"}, "done": false}),
        json!({"model": "m1", "message": {"role": "assistant", "content": "ris"}, "done": false}),
        json!({"model": "m1", "message": {"role": "assistant", "content": ""}, "done": true, "done_reason": "stop",
               "prompt_eval_count": 3, "eval_count": 2}),
    ];
    let body: String = lines.iter().map(|l| format!("{l}\n")).collect();
    mount(
        &server,
        "/api/chat",
        ResponseTemplate::new(200)
            .insert_header("content-type", "application/x-ndjson")
            .set_body_string(body),
    )
    .await;
    // A base URL written for Ollama's OpenAI layer still reaches the native API.
    let env = env_with("ollama", &format!("{}/v1", server.uri()), true);
    let out = env.run(&["infer", "model", "run", "--model", "p/m1", "--prompt", "hi"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout, "Paris\n");
    let (_, envelope, _) = run_json(&env, &[]);
    assert_eq!(envelope["usage"]["totalTokens"], 5);
    assert_eq!(
        crate::support::received_bodies(&server).await[0]["stream"],
        true
    );
}

#[tokio::test]
async fn ollama_errors() {
    let server = MockServer::start().await;
    mount(
        &server,
        "/api/chat",
        ResponseTemplate::new(404)
            .set_body_json(json!({"error": "model \"m1\" not found, try pulling it first"})),
    )
    .await;
    let env = env_with("ollama", &server.uri(), false);
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert_eq!(envelope["error"]["reason"], "model_not_found");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try pulling it first")
    );

    // An error line in the middle of a stream.
    let server = MockServer::start().await;
    mount(
        &server,
        "/api/chat",
        ResponseTemplate::new(200).set_body_string(
            "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n",
        ),
    )
    .await;
    let env = env_with("ollama", &server.uri(), true);
    let (code, envelope, _) = run_json(&env, &[]);
    assert_eq!(code, 1);
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unexpected EOF")
    );
}

// ---------------------------------------------------------------- fallbacks across protocols

#[tokio::test]
async fn fallback_from_a_rate_limited_provider_to_another_protocol() {
    let limited = MockServer::start().await;
    mount(
        &limited,
        "/v1/chat/completions",
        ResponseTemplate::new(429).set_body_json(
            json!({"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}}),
        ),
    )
    .await;
    let anthropic = MockServer::start().await;
    mount(
        &anthropic,
        "/v1/messages",
        sse(anthropic_stream(&["from ", "claude"])),
    )
    .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ model: {{ primary: "first/m1", fallbacks: ["second/claude-x"] }} }} }},
  models: {{ providers: {{
    first: {{ baseUrl: "{}/v1", apiKey: "k1", api: "openai-completions", models: [{{ id: "m1" }}] }},
    second: {{ baseUrl: "{}/v1", apiKey: "k2", api: "anthropic-messages", models: [{{ id: "claude-x" }}] }},
  }} }},
}}"#,
        limited.uri(),
        anthropic.uri()
    ));
    let out = env.run(&["infer", "model", "run", "--prompt", "x", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "second");
    assert_eq!(envelope["model"], "claude-x");
    assert_eq!(envelope["outputs"][0]["text"], "from claude");
    assert_eq!(
        envelope["attempts"],
        json!([{"provider": "first", "model": "m1", "error": envelope["attempts"][0]["error"], "reason": "rate_limit", "status": 429,
                "tookMs": envelope["attempts"][0]["tookMs"]}])
    );
    assert_eq!(
        limited.received_requests().await.unwrap().len(),
        3,
        "429 retried before falling back"
    );
    let request = &anthropic.received_requests().await.unwrap()[0];
    assert_eq!(header(request, "x-api-key"), Some("k2"));
    assert_eq!(
        serde_json::from_slice::<Value>(&request.body).unwrap()["model"],
        "claude-x"
    );
}

#[tokio::test]
async fn auth_and_format_failures_skip_the_providers_other_models() {
    for (status, body, reason) in [
        (
            401,
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
            "auth",
        ),
        (
            400,
            json!({"type": "error", "error": {"type": "invalid_request_error", "message": "messages: field required"}}),
            "format",
        ),
    ] {
        let broken = MockServer::start().await;
        mount(
            &broken,
            "/v1/messages",
            ResponseTemplate::new(status).set_body_json(body),
        )
        .await;
        let good = MockServer::start().await;
        mount(
            &good,
            "/v1/chat/completions",
            ResponseTemplate::new(200).set_body_json(completion("ok")),
        )
        .await;
        let env = TestEnv::new();
        env.write_config(&format!(
            r#"{{
  agents: {{ defaults: {{ model: {{ primary: "a/one", fallbacks: ["a/two", "b/m"] }} }} }},
  models: {{ providers: {{
    a: {{ baseUrl: "{}/v1", apiKey: "k", api: "anthropic-messages", models: [{{ id: "one" }}, {{ id: "two" }}] }},
    b: {{ baseUrl: "{}/v1", api: "openai-completions", models: [{{ id: "m" }}] }},
  }} }},
}}"#,
            broken.uri(),
            good.uri()
        ));
        let out = env.run(&["infer", "model", "run", "--prompt", "x", "--json"]);
        assert_eq!(out.code, 0, "{out:?}");
        let envelope = out.json();
        assert_eq!(envelope["provider"], "b");
        let attempts = envelope["attempts"].as_array().unwrap();
        assert_eq!(
            attempts.len(),
            1,
            "a/two is skipped after {reason}: {attempts:?}"
        );
        assert_eq!(attempts[0]["model"], "one");
        assert_eq!(attempts[0]["reason"], reason);
        assert_eq!(
            broken.received_requests().await.unwrap().len(),
            1,
            "{reason}: no retry, no second model"
        );
    }
}

// ---------------------------------------------------------------- large prompts

/// Whether `value` holds `text` as one of its strings.
fn holds_string(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s == text,
        Value::Array(items) => items.iter().any(|item| holds_string(item, text)),
        Value::Object(fields) => fields.values().any(|field| holds_string(field, text)),
        _ => false,
    }
}

#[tokio::test]
async fn a_prompt_of_megabytes_reaches_each_protocol_whole() {
    let mut prompt = String::new();
    while prompt.len() < 600 * 1024 {
        prompt.push_str("line \"one\" \\ two\tthree é 中文 🦀\n");
    }
    let anthropic = json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "m1",
        "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1}});
    let ollama = json!({"model": "m1", "message": {"role": "assistant", "content": "ok"},
        "done": true, "done_reason": "stop"});
    let cases = [
        (
            "openai-responses",
            "/v1",
            "/v1/responses",
            responses_answer("ok"),
        ),
        ("anthropic-messages", "/v1", "/v1/messages", anthropic),
        (
            "google-generative-ai",
            "/v1beta",
            "/v1beta/models/m1:generateContent",
            gemini_answer("ok"),
        ),
        ("ollama", "", "/api/chat", ollama),
    ];
    for (api, base, route, answer) in cases {
        let server = MockServer::start().await;
        mount(
            &server,
            route,
            ResponseTemplate::new(200).set_body_json(answer),
        )
        .await;
        let env = env_with(api, &format!("{}{base}", server.uri()), false);
        let prompt_file = env.path("prompt.txt");
        std::fs::write(&prompt_file, &prompt).unwrap();
        let image = env.path("dot.png");
        write_png(&image);
        let at_file = format!("@{}", prompt_file.display());
        let out = env.run(&[
            "infer",
            "model",
            "run",
            "--model",
            "p/m1",
            "--prompt",
            &at_file,
            "--file",
            image.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(out.code, 0, "{api}: {out:?}");
        let requests = server.received_requests().await.unwrap();
        let (request, body) = only_request(&requests);
        assert_eq!(
            header(request, "content-length"),
            Some(request.body.len().to_string().as_str()),
            "{api}"
        );
        assert!(
            holds_string(&body, &prompt),
            "{api}: the prompt arrives whole"
        );
    }
}
