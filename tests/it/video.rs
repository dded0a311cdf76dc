//! `infer video generate/describe/providers` against loopback servers:
//! jobs that take several polls, jobs that fail, downloads that are not
//! video, and the describe routes.

use serde_json::json;
use wiremock::matchers::{header, headers, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, received_bodies, write_png};

/// The start of a real MP4 file: an `ftyp` box.
fn mp4() -> Vec<u8> {
    let mut bytes = vec![0, 0, 0, 0x18];
    bytes.extend_from_slice(b"ftypmp42\0\0\0\0mp42isom");
    bytes.extend_from_slice(&[0, 0, 0, 8]);
    bytes.extend_from_slice(b"free");
    bytes
}

fn env_with(id: &str, base_url: &str, key_var: &str) -> TestEnv {
    let env = TestEnv::new().env(key_var, "sk-test-secret");
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ {id}: {{ baseUrl: "{base_url}" }} }} }} }}"#
    ));
    env
}

async fn gets_to(server: &MockServer, wanted: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "GET" && r.url.path() == wanted)
        .count()
}

#[tokio::test]
async fn openai_job_is_polled_until_done_then_downloaded() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .and(header("authorization", "Bearer sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"id": "video_123", "object": "video", "status": "queued", "progress": 0}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_123"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "video_123", "status": "in_progress", "progress": 40})),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_123"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "video_123", "status": "completed", "progress": 100})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_123/content"))
        .and(header("authorization", "Bearer sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4(), "video/mp4"))
        .mount(&server)
        .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "OPENAI_API_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "openai/sora-2",
        "--prompt",
        "waves at dusk",
        "--aspect-ratio",
        "16:9",
        "--duration",
        "7",
        "--audio",
        "--output",
        "clip.mov",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["capability"], "video.generate");
    assert_eq!(envelope["provider"], "openai");
    assert_eq!(envelope["ignoredOverrides"], json!(["audio"]));
    let output = &envelope["outputs"][0];
    // Asked for .mov, got MP4 bytes: the name follows the bytes.
    assert_eq!(output["path"], env.path("clip.mp4").display().to_string());
    assert_eq!(output["mimeType"], "video/mp4");
    assert_eq!(output["size"], mp4().len());
    assert_eq!(output["jobId"], "video_123");
    assert_eq!(std::fs::read(env.path("clip.mp4")).unwrap(), mp4());
    assert_eq!(gets_to(&server, "/v1/videos/video_123").await, 3);
    assert_eq!(
        received_bodies(&server).await[0],
        json!({"model": "sora-2", "prompt": "waves at dusk", "seconds": "8", "size": "1280x720"})
    );
    assert!(
        out.stderr.is_empty(),
        "no spinner without a terminal: {}",
        out.stderr
    );
}

#[tokio::test]
async fn a_failed_job_reports_the_provider_reason_and_writes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "video_9", "status": "queued"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/video_9"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "video_9", "status": "failed",
            "error": {"code": "moderation_blocked", "message": "The prompt was blocked"},
        })))
        .mount(&server)
        .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "OPENAI_API_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "openai/sora-2",
        "--prompt",
        "x",
        "--output",
        "v.mp4",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("The prompt was blocked")
    );
    assert!(!env.path("v.mp4").exists());
}

#[tokio::test]
async fn a_job_that_outlives_the_timeout_gives_up() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "slow", "status": "queued"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/slow"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "slow", "status": "in_progress"})),
        )
        .mount(&server)
        .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "OPENAI_API_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "openai/sora-2",
        "--prompt",
        "x",
        "--timeout-ms",
        "300",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["error"]["reason"], "timeout");
}

#[tokio::test]
async fn a_download_that_is_json_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "v", "status": "completed"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/v/content"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"error": "content expired"})))
        .mount(&server)
        .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "OPENAI_API_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "openai/sora-2",
        "--prompt",
        "x",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["error"]["reason"], "format");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("content expired")
    );
    assert!(!env.state_dir().join("media").exists());
}

#[tokio::test]
async fn veo_operation_is_polled_and_the_uri_downloaded_with_the_key() {
    let server = MockServer::start().await;
    let op = "models/veo-3.1-fast-generate-preview/operations/op42";
    Mock::given(method("POST"))
        .and(path(
            "/v1beta/models/veo-3.1-fast-generate-preview:predictLongRunning",
        ))
        .and(header("x-goog-api-key", "sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": op})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1beta/{op}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"name": op, "done": false})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    let uri = format!("{}/v1beta/files/abc:download?alt=media", server.uri());
    Mock::given(method("GET"))
        .and(path(format!("/v1beta/{op}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": op, "done": true,
            "response": {"generateVideoResponse": {"generatedSamples": [{"video": {"uri": uri}}]}},
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1beta/files/abc:download"))
        .and(query_param("alt", "media"))
        .and(header("x-goog-api-key", "sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4(), "video/mp4"))
        .mount(&server)
        .await;
    let env = env_with(
        "google",
        &format!("{}/v1beta", server.uri()),
        "GEMINI_API_KEY",
    );
    // No --model: the only keyed video provider's default is used.
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--prompt",
        "a lighthouse",
        "--resolution",
        "720p",
        "--aspect-ratio",
        "16:9",
        "--duration",
        "6",
        "--watermark",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["model"], "veo-3.1-fast-generate-preview");
    assert_eq!(envelope["ignoredOverrides"], json!(["watermark"]));
    let written = envelope["outputs"][0]["path"].as_str().unwrap();
    assert!(
        written.ends_with(".mp4") && written.contains("/media/video-"),
        "{written}"
    );
    assert_eq!(
        received_bodies(&server).await[0],
        json!({"instances": [{"prompt": "a lighthouse"}],
               "parameters": {"aspectRatio": "16:9", "resolution": "720p", "durationSeconds": 6}})
    );
}

#[tokio::test]
async fn fal_queue_status_then_result() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/fal-ai/minimax/video-01-live"))
        .and(header("authorization", "Key sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "request_id": "req-1",
            "status_url": format!("{base}/fal-ai/minimax/requests/req-1/status"),
            "response_url": format!("{base}/fal-ai/minimax/requests/req-1"),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/fal-ai/minimax/requests/req-1/status"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"status": "IN_QUEUE", "queue_position": 2})),
        )
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/fal-ai/minimax/requests/req-1/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "COMPLETED"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/fal-ai/minimax/requests/req-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"video": {"url": format!("{base}/cdn/out.mp4"), "content_type": "video/mp4"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cdn/out.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4(), "video/mp4"))
        .mount(&server)
        .await;
    let env = env_with("fal", &base, "FAL_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "fal/fal-ai/minimax/video-01-live",
        "--prompt",
        "a fox",
        "--duration",
        "5",
        "--output",
        "fox.mp4",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(std::fs::read(env.path("fox.mp4")).unwrap(), mp4());
    assert_eq!(
        gets_to(&server, "/fal-ai/minimax/requests/req-1/status").await,
        3
    );
    assert_eq!(
        received_bodies(&server).await[0],
        json!({"prompt": "a fox", "duration": "5"})
    );
}

#[tokio::test]
async fn xai_deferred_request_until_the_video_url_appears() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/v1/videos/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"request_id": "r1"})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/r1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"status": "pending"})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/videos/r1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"status": "done", "video": {"url": format!("{base}/x/v.mp4"), "duration": 6}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/x/v.mp4"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(mp4(), "video/mp4"))
        .mount(&server)
        .await;
    let env = env_with("xai", &format!("{base}/v1"), "XAI_API_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "xai/grok-imagine-video",
        "--prompt",
        "rain",
        "--resolution",
        "480P",
        "--size",
        "640x480",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["ignoredOverrides"], json!(["size"]));
    assert_eq!(
        received_bodies(&server).await[0],
        json!({"model": "grok-imagine-video", "prompt": "rain", "resolution": "480p"})
    );
}

#[tokio::test]
async fn describe_rejects_non_video_before_any_request() {
    let server = MockServer::start().await;
    let env = env_with(
        "google",
        &format!("{}/v1beta", server.uri()),
        "GEMINI_API_KEY",
    );
    write_png(&env.path("still.png"));
    let out = env.run(&[
        "infer",
        "video",
        "describe",
        "--file",
        "still.png",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a video")
    );
    let out = env.run(&["infer", "video", "describe", "--file", "nope.mp4"]);
    assert_eq!(out.code, 2);
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn gemini_describe_uploads_then_asks_about_the_file() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/upload/v1beta/files"))
        .and(header("x-goog-upload-protocol", "resumable"))
        .and(header("x-goog-upload-command", "start"))
        .and(header("x-goog-upload-header-content-type", "video/mp4"))
        .respond_with(ResponseTemplate::new(200).insert_header(
            "x-goog-upload-url",
            format!("{base}/upload-session/1").as_str(),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/upload-session/1"))
        // Comma-separated header values are matched item by item.
        .and(headers("x-goog-upload-command", vec!["upload", "finalize"]))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"file": {
            "name": "files/f1", "uri": format!("{base}/v1beta/files/f1"),
            "mimeType": "video/mp4", "state": "PROCESSING"}})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1beta/files/f1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "files/f1", "uri": format!("{base}/v1beta/files/f1"), "state": "ACTIVE"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1beta/models/gemini-3.1-pro-preview:generateContent",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"parts": [{"text": "Waves roll onto a beach."}]}}]})))
        .mount(&server)
        .await;
    let env = env_with("google", &format!("{base}/v1beta"), "GEMINI_API_KEY");
    std::fs::write(env.path("clip.mp4"), mp4()).unwrap();
    let out = env.run(&["infer", "video", "describe", "--file", "clip.mp4", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(
        envelope["outputs"],
        json!([{"path": "clip.mp4", "text": "Waves roll onto a beach.", "mediaUrl": null, "kind": "video.description"}])
    );
    let requests = server.received_requests().await.unwrap();
    let upload = requests
        .iter()
        .find(|r| r.url.path() == "/upload-session/1")
        .unwrap();
    assert_eq!(upload.body, mp4());
    let ask = requests
        .iter()
        .find(|r| r.url.path().ends_with(":generateContent"))
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&ask.body).unwrap();
    assert_eq!(
        body["contents"][0]["parts"][0]["file_data"],
        json!({"mime_type": "video/mp4", "file_uri": format!("{base}/v1beta/files/f1")})
    );
}

#[tokio::test]
async fn openai_compatible_describe_sends_a_video_url_part() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("A short clip.")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&crate::support::provider_config(
        &format!("{}/v1", server.uri()),
        "",
    ));
    std::fs::write(env.path("clip.mp4"), mp4()).unwrap();
    let out = env.run(&[
        "infer", "video", "describe", "--file", "clip.mp4", "--model", "loop/m1", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["text"], "A short clip.");
    let body = &received_bodies(&server).await[0];
    let part = &body["messages"][0]["content"][1];
    assert_eq!(part["type"], "video_url");
    assert!(
        part["video_url"]["url"]
            .as_str()
            .unwrap()
            .starts_with("data:video/mp4;base64,")
    );
}

#[test]
fn providers_lists_video_backends() {
    let env = TestEnv::new().env("XAI_API_KEY", "k");
    let out = env.run(&["infer", "video", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    let rows = envelope["providers"].as_array().unwrap();
    let ids: Vec<&str> = rows
        .iter()
        .map(|r| r["provider"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["openai", "google", "xai", "fal"]);
    assert_eq!(rows[2]["configured"], true);
    assert_eq!(rows[1]["defaultModel"], "veo-3.1-fast-generate-preview");
}

/// An OpenAI video job `id`: created queued, `in_progress` for the first
/// `busy_polls` polls, then completed; its content answered by `content`.
async fn openai_job(id: &str, busy_polls: u64, content: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    let job = |status: &str| {
        ResponseTemplate::new(200).set_body_json(json!({"id": id, "status": status}))
    };
    Mock::given(method("POST"))
        .and(path("/v1/videos"))
        .respond_with(job("queued"))
        .mount(&server)
        .await;
    let poll = format!("/v1/videos/{id}");
    if busy_polls > 0 {
        Mock::given(method("GET"))
            .and(path(poll.as_str()))
            .respond_with(job("in_progress"))
            .up_to_n_times(busy_polls)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(poll.as_str()))
        .respond_with(job("completed"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{poll}/content").as_str()))
        .respond_with(content)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn stream_json_reports_each_poll_then_the_envelope() {
    let server = openai_job(
        "v1",
        1,
        ResponseTemplate::new(200).set_body_raw(mp4(), "video/mp4"),
    )
    .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "OPENAI_API_KEY");
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--model",
        "openai/sora-2",
        "--prompt",
        "waves",
        "--output",
        "clip.mp4",
        "--stream",
        "json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<serde_json::Value> = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let (envelope, events) = lines.split_last().unwrap();
    assert!(!events.is_empty(), "{}", out.stdout);
    assert!(
        events
            .iter()
            .all(|e| e["type"] == "progress" && e["elapsedMs"].is_u64())
    );
    assert!(
        events.iter().any(|e| e["status"] == "in_progress"),
        "{}",
        out.stdout
    );
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["outputs"][0]["mimeType"], "video/mp4");
}

/// A script's `timeout`/`kill` must not leave a half-written video behind.
#[tokio::test]
async fn sigterm_during_the_download_leaves_no_file() {
    let slow_download = ResponseTemplate::new(200)
        .set_body_raw(mp4(), "video/mp4")
        .set_delay(std::time::Duration::from_secs(30));
    let server = openai_job("v9", 0, slow_download).await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "OPENAI_API_KEY");
    let child = env
        .std_command(&[
            "infer",
            "video",
            "generate",
            "--model",
            "openai/sora-2",
            "--prompt",
            "waves",
            "--output",
            "clip.mp4",
            "--json",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the download has been asked for, then kill.
    let started = std::time::Instant::now();
    loop {
        let asked = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .any(|r| r.url.path() == "/v1/videos/v9/content");
        if asked {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the download never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(143));
    let envelope: serde_json::Value = serde_json::from_slice(&output.stdout).expect("one envelope");
    assert_eq!(envelope["error"]["reason"], "cancelled");
    let leftovers: Vec<_> = std::fs::read_dir(env.home.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        !leftovers
            .iter()
            .any(|name| name.to_string_lossy().contains("clip")
                || name.to_string_lossy().starts_with(".openclaw-")),
        "{leftovers:?}"
    );
}
