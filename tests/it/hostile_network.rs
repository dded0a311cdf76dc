//! Hostile servers (issue 15, network half): keys stay with their origin,
//! cut answers are `truncated`, and no header, bomb, drip, endless stream
//! or silence can crash the run or hang it.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::hostile::{self, Hostile};
use crate::support::{TestEnv, completion};

const KEY: &str = "sk-hostile-secret-4711";
const HEADER_SECRET: &str = "hdr-secret-0815";

/// A provider `p` speaking `api` at `base_url`, with a key and a configured
/// secret header, plus `extra` top-level config.
fn env_with(api: &str, base_url: &str, streaming: bool, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{
    p: {{ baseUrl: "{base_url}", apiKey: "{KEY}", api: "{api}", streaming: {streaming},
         headers: {{ "x-team-token": "{HEADER_SECRET}" }},
         models: [{{ id: "m1", input: ["text"], maxTokens: 512 }}] }},
  }} }},
  {extra} }}"#
    ));
    env
}

fn run(env: &TestEnv, extra: &[&str]) -> (crate::support::Outcome, Duration) {
    let mut args = vec![
        "infer", "model", "run", "--model", "p/m1", "--prompt", "hi", "--json",
    ];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = env.run(&args);
    (out, started.elapsed())
}

fn assert_no_secret(out: &crate::support::Outcome) {
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(KEY), "the key was printed: {out:?}");
        assert!(
            !text.contains(HEADER_SECRET),
            "a header was printed: {out:?}"
        );
    }
}

fn reason(envelope: &Value) -> &str {
    envelope["error"]["reason"].as_str().unwrap_or("")
}

// ------------------------------------------------------------ redirects

#[test]
fn a_redirect_to_another_origin_is_not_followed() {
    let elsewhere = Hostile::serve(|_, stream| {
        let body = serde_json::to_vec(&completion("stolen")).unwrap();
        hostile::whole("200 OK", "application/json", &body, stream);
    });
    let target = format!("{}/v1/chat/completions", elsewhere.url);
    let provider = Hostile::serve(move |_, stream| {
        use std::io::Write;
        let _ = stream.write_all(
            hostile::head(
                "307 Temporary Redirect",
                &[("Location", &target), ("Content-Length", "0")],
            )
            .as_bytes(),
        );
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let (out, _) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(reason(&envelope), "network", "{envelope}");
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&provider.url) && message.contains(&elsewhere.url),
        "names both origins: {message}"
    );
    assert!(
        elsewhere.received().is_empty(),
        "the other origin got {:?}",
        elsewhere.received()
    );
    assert_eq!(
        provider.received()[0].header("authorization").unwrap(),
        format!("Bearer {KEY}")
    );
    assert_no_secret(&out);
}

#[test]
fn a_redirect_on_the_same_origin_is_followed() {
    let provider = Hostile::serve(|request, stream| {
        use std::io::Write;
        if request.head.starts_with("POST /v1/chat/completions") {
            let _ = stream.write_all(
                hostile::head(
                    "307 Temporary Redirect",
                    &[
                        ("Location", "/v2/chat/completions"),
                        ("Content-Length", "0"),
                    ],
                )
                .as_bytes(),
            );
        } else {
            let body = serde_json::to_vec(&completion("moved")).unwrap();
            hostile::whole("200 OK", "application/json", &body, stream);
        }
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let (out, _) = run(&env, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["text"], "moved");
    let second = &provider.received()[1];
    assert!(second.head.starts_with("POST /v2/chat/completions"));
    assert_eq!(
        second.header("x-team-token").as_deref(),
        Some(HEADER_SECRET)
    );
}

// ------------------------------------------------------------ truncation

#[test]
fn a_body_cut_mid_document_is_truncated_and_retried() {
    let provider = Hostile::serve(|_, stream| {
        hostile::cut_body(r#"{"choices":[{"message":{"content":"Par"#, 400, stream);
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let (out, _) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(reason(&envelope), "truncated", "{envelope}");
    assert_eq!(provider.received().len(), 3, "a cut body is retried");
    assert_no_secret(&out);
}

#[test]
fn a_whole_answer_that_stops_mid_json_is_truncated() {
    let provider = Hostile::serve(|_, stream| {
        hostile::cut_stream(
            "application/json",
            r#"{"choices":[{"message":{"content":"Par"#,
            stream,
        );
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let (out, _) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(reason(&out.json()), "truncated");
}

/// Each protocol's stream, cut before its end marker, fails as
/// `truncated` with the text so far kept in the attempt.
#[test]
fn streams_cut_before_their_end_are_truncated_per_protocol() {
    let cases: [(&str, &str, &str); 5] = [
        (
            "openai-completions",
            "text/event-stream",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\n",
        ),
        (
            "openai-responses",
            "text/event-stream",
            "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Par\"}\n\n",
        ),
        (
            "anthropic-messages",
            "text/event-stream",
            concat!(
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3}}}\n\n",
                "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
                "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Par\"}}\n\n",
            ),
        ),
        (
            "google-generative-ai",
            "text/event-stream",
            "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Par\"}],\"role\":\"model\"}}]}\n\n",
        ),
        (
            "ollama",
            "application/x-ndjson",
            "{\"message\":{\"role\":\"assistant\",\"content\":\"Par\"},\"done\":false}\n",
        ),
    ];
    for (api, content_type, events) in cases {
        let provider = Hostile::serve(move |_, stream| {
            hostile::cut_stream(content_type, events, stream);
        });
        let env = env_with(api, &format!("{}/v1", provider.url), true, "");
        let (out, _) = run(&env, &[]);
        assert_eq!(out.code, 1, "{api}: {out:?}");
        let envelope = out.json();
        assert_eq!(reason(&envelope), "truncated", "{api}: {envelope}");
        assert_eq!(
            envelope["attempts"][0]["partialText"], "Par",
            "{api}: {envelope}"
        );
        assert_no_secret(&out);
    }
}

#[test]
fn a_cut_stream_moves_the_fallback_chain_on() {
    let cut = Hostile::serve(|_, stream| {
        hostile::cut_stream(
            "text/event-stream",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Par\"}}]}\n\n",
            stream,
        );
    });
    let good = Hostile::serve(|_, stream| {
        let body = serde_json::to_vec(&completion("Paris")).unwrap();
        hostile::whole("200 OK", "application/json", &body, stream);
    });
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{
    a: {{ baseUrl: "{}/v1", apiKey: "{KEY}", api: "openai-completions", streaming: true, models: [{{ id: "m1" }}] }},
    b: {{ baseUrl: "{}/v1", apiKey: "k2", api: "openai-completions", models: [{{ id: "m2" }}] }},
  }} }},
  agents: {{ defaults: {{ model: {{ primary: "a/m1", fallbacks: ["b/m2"] }} }} }} }}"#,
        cut.url, good.url
    ));
    let out = env.run(&["infer", "model", "run", "--prompt", "hi", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["outputs"][0]["text"], "Paris", "{envelope}");
    assert_eq!(envelope["attempts"][0]["reason"], "truncated", "{envelope}");
    assert_eq!(envelope["attempts"][0]["partialText"], "Par", "{envelope}");
}

// ------------------------------------------------------------ bounds

/// A provider answering `status` with `text` gzipped as JSON, and the
/// environment that points `model run` at it.
fn gzip_json_provider(status: &'static str, text: &[u8]) -> (Hostile, TestEnv) {
    let bomb = hostile::gzip(text);
    let provider = Hostile::serve(move |_, stream| {
        use std::io::Write;
        let length = bomb.len().to_string();
        let _ = stream.write_all(
            hostile::head(
                status,
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                    ("Content-Length", &length),
                ],
            )
            .as_bytes(),
        );
        let _ = stream.write_all(&bomb);
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    (provider, env)
}

#[test]
fn a_gzip_bomb_error_body_is_read_only_a_little() {
    // 256 MiB of spaces inside a JSON error; only 64 KiB is ever inflated.
    let mut text = b"{\"error\":{\"message\":\"".to_vec();
    text.extend(std::iter::repeat_n(b' ', 256 * 1024 * 1024));
    let (_provider, env) = gzip_json_provider("500 Internal Server Error", &text);
    let (out, took) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(reason(&out.json()), "server_error");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

#[test]
fn a_gzip_bomb_answer_stops_at_the_answer_limit() {
    let mut text = b"{\"choices\":[{\"message\":{\"content\":\"".to_vec();
    text.extend(std::iter::repeat_n(b'a', 80 * 1024 * 1024));
    let (_provider, env) = gzip_json_provider("200 OK", &text);
    let (out, took) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the 64 MiB limit"),
        "{envelope}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn a_slow_drip_ends_at_the_deadline() {
    let provider = Hostile::serve(|_, stream| {
        hostile::drip(
            "text/event-stream",
            b": still here\n",
            Duration::from_millis(100),
            stream,
        );
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        true,
        "",
    );
    let (out, took) = run(&env, &["--timeout-ms", "1500"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(reason(&out.json()), "timeout", "{out:?}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn a_silent_server_ends_at_the_stall_timeout() {
    let provider = Hostile::serve(|_, stream| {
        hostile::silence(Duration::from_secs(60), stream);
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    )
    .env("OPENCLAW_STALL_TIMEOUT_MS", "300");
    let (out, took) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(reason(&out.json()), "timeout", "{out:?}");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[test]
fn an_endless_stream_stops_at_the_answer_limit() {
    let provider = Hostile::serve(|_, stream| {
        // Big events, so the byte cap (not the per-event work) is reached first.
        let piece = format!(
            "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{}\"}}}}]}}\n\n",
            "a".repeat(60 * 1024)
        );
        hostile::drip(
            "text/event-stream",
            piece.as_bytes(),
            Duration::ZERO,
            stream,
        );
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        true,
        "",
    );
    // A debug build on a busy machine may not reach the 64 MiB cap before
    // the deadline; either bound ends the run (the cap itself is unit-tested
    // in `protocols::sse`).
    let (out, took) = run(&env, &["--timeout-ms", "30000"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let envelope = out.json();
    let message = envelope["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("larger than the 64 MiB limit") || reason(&envelope) == "timeout",
        "{}",
        envelope["error"]
    );
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn a_huge_line_stops_at_the_line_limit() {
    let provider = Hostile::serve(|_, stream| {
        use std::io::Write;
        let _ = stream.write_all(
            hostile::head("200 OK", &[("Content-Type", "text/event-stream")]).as_bytes(),
        );
        let _ = stream.write_all(b"data: ");
        let block = vec![b'x'; 64 * 1024];
        while stream.write_all(&block).is_ok() {}
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        true,
        "",
    );
    let (out, took) = run(&env, &["--timeout-ms", "60000"]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("a line longer than 16 MiB"),
        "{envelope}"
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// Absurd `Retry-After` values never crash it; a wait longer than a minute
/// is not waited for, and nothing is retried past the deadline.
#[test]
fn absurd_retry_after_values_are_bounded() {
    for (value, tries) in [
        ("inf", 3),
        ("NaN", 3),
        ("-5", 3),
        ("1e20", 1),
        ("999999", 1),
        ("Fri, 31 Dec 9999 23:59:59 GMT", 1),
    ] {
        let provider = Hostile::serve(move |_, stream| {
            use std::io::Write;
            let _ = stream.write_all(
                hostile::head(
                    "429 Too Many Requests",
                    &[("Retry-After", value), ("Content-Length", "0")],
                )
                .as_bytes(),
            );
        });
        let env = env_with(
            "openai-completions",
            &format!("{}/v1", provider.url),
            false,
            "",
        );
        let (out, took) = run(&env, &[]);
        assert_eq!(out.code, 1, "{value}: {out:?}");
        assert_eq!(reason(&out.json()), "rate_limit", "{value}: {out:?}");
        assert_eq!(provider.received().len(), tries, "{value}");
        assert!(took < Duration::from_secs(10), "{value}: took {took:?}");
    }
    let provider = Hostile::serve(move |_, stream| {
        use std::io::Write;
        let _ = stream.write_all(
            hostile::head(
                "429 Too Many Requests",
                &[("retry-after-ms", "1e300"), ("Content-Length", "0")],
            )
            .as_bytes(),
        );
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let (out, _) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(provider.received().len(), 1);
}

#[test]
fn too_many_response_headers_fail_cleanly() {
    let provider = Hostile::serve(|_, stream| {
        use std::io::Write;
        let mut text = "HTTP/1.1 200 OK\r\nConnection: close\r\n".to_owned();
        for n in 0..500 {
            text.push_str(&format!("x-junk-{n}: {}\r\n", "y".repeat(100)));
        }
        text.push_str("Content-Length: 0\r\n\r\n");
        let _ = stream.write_all(text.as_bytes());
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let (out, took) = run(&env, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["ok"], false);
    assert!(took < Duration::from_secs(10));
    assert_no_secret(&out);
}

// ------------------------------------------------------------ handed-back URLs

/// A fal provider whose answer names an image on `file_host`.
fn fal_pointing_at(file_host: String) -> Hostile {
    Hostile::serve(move |_, stream| {
        let body = serde_json::json!({
            "images": [{"url": format!("{file_host}/files/out.png"), "width": 20, "height": 10}],
            "seed": 7,
        });
        hostile::whole(
            "200 OK",
            "application/json",
            &serde_json::to_vec(&body).unwrap(),
            stream,
        );
    })
}

fn fal_env(provider: &Hostile, extra: &str) -> TestEnv {
    let env = TestEnv::new().env("FAL_KEY", KEY);
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ fal: {{ baseUrl: "{}", headers: {{ "x-team-token": "{HEADER_SECRET}" }} }} }} }}, {extra} }}"#,
        provider.url
    ));
    env
}

fn generate(env: &TestEnv) -> crate::support::Outcome {
    env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "fal/fal-ai/flux/dev",
        "--prompt",
        "a cat",
        "--output",
        "cat.png",
        "--json",
    ])
}

#[test]
fn a_result_on_another_origin_is_fetched_without_credentials() {
    let files = Hostile::serve(|_, stream| {
        hostile::whole(
            "200 OK",
            "image/png",
            &crate::support::images::png(20, 10),
            stream,
        );
    });
    let provider = fal_pointing_at(files.url.clone());
    // Both servers are 127.0.0.1; the SSRF policy must let the file host in.
    let env = fal_env(
        &provider,
        r#"tools: { web: { fetch: { ssrfPolicy: { allowedHostnames: ["127.0.0.1"] } } } }"#,
    );
    let out = generate(&env);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        provider.received()[0].header("authorization").unwrap(),
        format!("Key {KEY}")
    );
    let fetched = files.received();
    assert_eq!(fetched.len(), 1);
    assert!(fetched[0].header("authorization").is_none(), "{fetched:?}");
    assert!(fetched[0].header("x-team-token").is_none(), "{fetched:?}");
    assert!(!fetched[0].head.contains(KEY));
    assert_no_secret(&out);
}

#[test]
fn a_result_on_a_private_address_is_refused_by_the_ssrf_guard() {
    let files = Hostile::serve(|_, stream| {
        hostile::whole(
            "200 OK",
            "image/png",
            &crate::support::images::png(20, 10),
            stream,
        );
    });
    let provider = fal_pointing_at(files.url.clone());
    let env = fal_env(&provider, "");
    let out = generate(&env);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refusing to fetch"),
        "{out:?}"
    );
    assert!(files.received().is_empty());
    assert_no_secret(&out);
}

// ------------------------------------------------------------ signals

/// SIGTERM while a compressed answer is being received and inflated ends
/// the run at once with the cancelled envelope.
#[test]
fn sigterm_while_inflating_a_body_ends_the_run() {
    let provider = Hostile::serve(|_, stream| {
        use std::io::Write;
        // Half a gzip member, then silence: the client is mid-inflate.
        let _ = stream.write_all(
            hostile::head(
                "200 OK",
                &[
                    ("Content-Type", "application/json"),
                    ("Content-Encoding", "gzip"),
                ],
            )
            .as_bytes(),
        );
        let start = hostile::gzip(&vec![b' '; 1 << 20]);
        let _ = stream.write_all(&start[..start.len() / 2]);
        std::thread::sleep(Duration::from_secs(60));
    });
    let env = env_with(
        "openai-completions",
        &format!("{}/v1", provider.url),
        false,
        "",
    );
    let child = env
        .std_command(&[
            "infer", "model", "run", "--model", "p/m1", "--prompt", "hi", "--json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let waited = Instant::now();
    while provider.received().is_empty() && waited.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let output = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "must end at once"
    );
    assert_eq!(output.status.code(), Some(143), "{output:?}");
    let envelope: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(envelope["error"]["reason"], "cancelled");
}
