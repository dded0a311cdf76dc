//! `infer image generate/edit/providers` against loopback servers that
//! answer in each provider's documented shape.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::images::{b64, jpeg, png, webp};
use crate::support::{TestEnv, received_bodies, write_png};

/// A config pointing the catalog provider `id` at the mock server.
fn env_with(id: &str, base_url: &str, key_var: &str, extra: &str) -> TestEnv {
    let env = TestEnv::new().env(key_var, "sk-test-secret");
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ {id}: {{ baseUrl: "{base_url}" }} }} }}, {extra} }}"#
    ));
    env
}

#[tokio::test]
async fn openai_generation_sends_json_and_names_files_by_real_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .and(header("authorization", "Bearer sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "created": 1,
            "data": [
                {"b64_json": b64(&jpeg(64, 48)), "revised_prompt": "a red circle, flat"},
                {"b64_json": b64(&png(32, 16))},
            ],
        })))
        .mount(&server)
        .await;
    let env = env_with(
        "openai",
        &format!("{}/v1", server.uri()),
        "OPENAI_API_KEY",
        "",
    );
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "openai/gpt-image-1.5",
        "--prompt",
        "a red circle",
        "--count",
        "2",
        "--size",
        "1024x1024",
        "--quality",
        "low",
        "--background",
        "transparent",
        "--output-format",
        "png",
        "--openai-moderation",
        "low",
        "--resolution",
        "2K",
        "--output",
        "out/pic.png",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["capability"], "image.generate");
    assert_eq!(envelope["provider"], "openai");
    assert_eq!(envelope["model"], "gpt-image-1.5");
    assert_eq!(envelope["ignoredOverrides"], json!(["resolution"]));
    let outputs = envelope["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    // The first answer was JPEG although `.png` was asked for.
    let first = env.path("out/pic-1.jpg");
    assert_eq!(outputs[0]["path"], first.display().to_string());
    assert_eq!(outputs[0]["mimeType"], "image/jpeg");
    assert_eq!(outputs[0]["width"], 64);
    assert_eq!(outputs[0]["height"], 48);
    assert_eq!(outputs[0]["revisedPrompt"], "a red circle, flat");
    assert_eq!(std::fs::read(&first).unwrap(), jpeg(64, 48));
    assert_eq!(
        outputs[1]["path"],
        env.path("out/pic-2.png").display().to_string()
    );
    assert_eq!(outputs[1]["size"], png(32, 16).len());
    assert!(outputs[1].get("revisedPrompt").is_none());

    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies[0],
        json!({"model": "gpt-image-1.5", "prompt": "a red circle", "n": 2, "size": "1024x1024",
               "quality": "low", "background": "transparent", "output_format": "png",
               "moderation": "low"})
    );
    assert!(!out.stdout.contains("sk-test-secret") && !out.stderr.contains("sk-test-secret"));
}

#[tokio::test]
async fn openai_edit_sends_multipart_with_image_parts() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/edits"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"b64_json": b64(&png(8, 8))}]})),
        )
        .mount(&server)
        .await;
    let env = env_with(
        "openai",
        &format!("{}/v1", server.uri()),
        "OPENAI_API_KEY",
        "",
    );
    let logo = env.path("logo.png");
    write_png(&logo);
    std::fs::write(env.path("photo.jpg"), jpeg(10, 10)).unwrap();
    let out = env.run(&[
        "infer",
        "image",
        "edit",
        "--file",
        "logo.png",
        "--file",
        "photo.jpg",
        "--model",
        "openai/gpt-image-1.5",
        "--prompt",
        "remove the background",
        "--openai-background",
        "transparent",
        "--output",
        "edited.png",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["capability"], "image.edit");
    assert_eq!(envelope["inputs"][1]["mimeType"], "image/jpeg");
    assert_eq!(envelope["outputs"][0]["width"], 8);
    assert!(env.path("edited.png").exists());

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&request.body);
    assert_eq!(body.matches("name=\"image[]\"").count(), 2, "{body}");
    assert!(body.contains("filename=\"image-1.png\""));
    assert!(body.contains("Content-Type: image/jpeg"));
    assert!(body.contains("name=\"prompt\"\r\n\r\nremove the background"));
    assert!(body.contains("name=\"background\"\r\n\r\ntransparent"));
    assert!(body.contains("name=\"model\"\r\n\r\ngpt-image-1.5"));
}

#[tokio::test]
async fn gemini_image_model_via_generate_content() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/v1beta/models/gemini-3.1-flash-image:generateContent",
        ))
        .and(header("x-goog-api-key", "sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"role": "model", "parts": [
                {"text": "Here is your square."},
                {"inlineData": {"mimeType": "image/webp", "data": b64(&webp(300, 200))}},
            ]}, "finishReason": "STOP"}],
        })))
        .mount(&server)
        .await;
    let env = env_with(
        "google",
        &format!("{}/v1beta", server.uri()),
        "GEMINI_API_KEY",
        "",
    );
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "google/gemini-3.1-flash-image",
        "--prompt",
        "a blue square",
        "--aspect-ratio",
        "16:9",
        "--resolution",
        "2K",
        "--quality",
        "high",
        "--output",
        "sq.png",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ignoredOverrides"], json!(["quality"]));
    assert_eq!(
        envelope["outputs"][0]["path"],
        env.path("sq.webp").display().to_string()
    );
    assert_eq!(envelope["outputs"][0]["width"], 300);
    assert_eq!(envelope["outputs"][0]["height"], 200);
    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies[0],
        json!({"contents": [{"role": "user", "parts": [{"text": "a blue square"}]}],
               "generationConfig": {"responseModalities": ["IMAGE"],
                                    "imageConfig": {"aspectRatio": "16:9", "imageSize": "2K"}}})
    );
}

#[tokio::test]
async fn huggingface_is_auto_detected_and_answers_raw_bytes() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(
            "/hf-inference/models/black-forest-labs/FLUX.1-schnell",
        ))
        .and(header("authorization", "Bearer sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(jpeg(512, 256), "image/jpeg"))
        .mount(&server)
        .await;
    // Only a Hugging Face token is set, so auto-detection picks its default.
    let env = env_with(
        "huggingface",
        &format!("{}/v1", server.uri()),
        "HF_TOKEN",
        "",
    );
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--prompt",
        "a fox",
        "--size",
        "512x256",
        "--background",
        "opaque",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "huggingface");
    assert_eq!(envelope["model"], "black-forest-labs/FLUX.1-schnell");
    assert_eq!(envelope["ignoredOverrides"], json!(["background"]));
    // No --output: a timestamped file under <state>/media.
    let written = envelope["outputs"][0]["path"].as_str().unwrap();
    assert!(written.starts_with(&env.state_dir().join("media").display().to_string()));
    assert!(written.ends_with(".jpg"), "{written}");
    assert_eq!(std::fs::read(written).unwrap(), jpeg(512, 256));
    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies[0],
        json!({"inputs": "a fox", "parameters": {"width": 512, "height": 256}})
    );
}

#[tokio::test]
async fn fal_result_urls_are_downloaded() {
    let server = MockServer::start().await;
    let image_url = format!("{}/files/out.png", server.uri());
    Mock::given(method("POST"))
        .and(path("/fal-ai/flux/dev"))
        .and(header("authorization", "Key sk-test-secret"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "images": [{"url": image_url, "width": 20, "height": 10, "content_type": "image/png"}],
            "prompt": "a cat", "seed": 7,
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/files/out.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png(20, 10), "image/png"))
        .mount(&server)
        .await;
    let env = env_with("fal", &server.uri(), "FAL_KEY", "");
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "fal/fal-ai/flux/dev",
        "--prompt",
        "a cat",
        "--aspect-ratio",
        "16:9",
        "--output-format",
        "png",
        "--output",
        "cat.png",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["outputs"][0]["width"], 20);
    assert_eq!(std::fs::read(env.path("cat.png")).unwrap(), png(20, 10));
    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies[0],
        json!({"prompt": "a cat", "num_images": 1, "image_size": "landscape_16_9",
               "output_format": "png"})
    );
}

#[tokio::test]
async fn xai_asks_for_base64_with_its_own_geometry_keys() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": [{"b64_json": b64(&jpeg(100, 50)), "revised_prompt": ""}]}),
        ))
        .mount(&server)
        .await;
    let env = env_with("xai", &format!("{}/v1", server.uri()), "XAI_API_KEY", "");
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "xai/grok-imagine-image",
        "--prompt",
        "a ship",
        "--aspect-ratio",
        "2:1",
        "--resolution",
        "4K",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["ignoredOverrides"], json!(["resolution"]));
    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies[0],
        json!({"model": "grok-imagine-image", "prompt": "a ship", "n": 1,
               "response_format": "b64_json", "aspect_ratio": "2:1"})
    );
}

#[tokio::test]
async fn openrouter_images_come_back_in_the_chat_message() {
    let server = MockServer::start().await;
    let data_url = format!("data:image/png;base64,{}", b64(&png(5, 7)));
    Mock::given(method("POST"))
        .and(path("/api/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"role": "assistant", "content": "Done.",
                "images": [{"type": "image_url", "image_url": {"url": data_url}}]}}],
        })))
        .mount(&server)
        .await;
    let env = env_with(
        "openrouter",
        &format!("{}/api/v1", server.uri()),
        "OPENROUTER_API_KEY",
        "",
    );
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "openrouter/google/gemini-3.1-flash-image-preview",
        "--prompt",
        "a kite",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["height"], 7);
    let bodies = received_bodies(&server).await;
    assert_eq!(
        bodies[0],
        json!({"model": "google/gemini-3.1-flash-image-preview",
               "messages": [{"role": "user", "content": "a kite"}],
               "modalities": ["image", "text"]})
    );
}

#[tokio::test]
async fn configured_fallback_runs_after_a_failed_primary() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "Incorrect API key provided"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/v1beta/models/gemini-3.1-flash-image:generateContent",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "candidates": [{"content": {"parts": [
                {"inlineData": {"mimeType": "image/png", "data": b64(&png(2, 2))}}]}}],
        })))
        .mount(&server)
        .await;
    let env = TestEnv::new()
        .env("OPENAI_API_KEY", "sk-a")
        .env("GEMINI_API_KEY", "sk-b");
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ mediaModels: {{ image: {{
    primary: "openai/gpt-image-1.5", fallbacks: ["google/gemini-3.1-flash-image"] }} }} }} }},
  models: {{ providers: {{ openai: {{ baseUrl: "{0}/v1" }}, google: {{ baseUrl: "{0}/v1beta" }} }} }},
}}"#,
        server.uri()
    ));
    let out = env.run(&["infer", "image", "generate", "--prompt", "x", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "google");
    let attempts = envelope["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["provider"], "openai");
    assert_eq!(attempts[0]["reason"], "auth");
    assert_eq!(attempts[0]["status"], 401);
}

#[tokio::test]
async fn an_answer_that_is_not_an_image_fails_and_writes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/images/generations"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"data": [{"b64_json": b64(b"{\"not\": \"an image\"}")}]})),
        )
        .mount(&server)
        .await;
    let env = env_with(
        "openai",
        &format!("{}/v1", server.uri()),
        "OPENAI_API_KEY",
        "",
    );
    let out = env.run(&[
        "infer",
        "image",
        "generate",
        "--model",
        "openai/gpt-image-1",
        "--prompt",
        "x",
        "--output",
        "x.png",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["error"]["reason"], "format");
    assert!(!env.path("x.png").exists());
    let leftovers: Vec<_> = std::fs::read_dir(env.home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".openclaw-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[tokio::test]
async fn bad_input_fails_before_any_request() {
    let server = MockServer::start().await;
    let env = env_with(
        "openai",
        &format!("{}/v1", server.uri()),
        "OPENAI_API_KEY",
        "",
    );
    std::fs::write(env.path("notes.png"), "just text").unwrap();
    let out = env.run(&[
        "infer",
        "image",
        "edit",
        "--file",
        "notes.png",
        "--prompt",
        "x",
        "--model",
        "openai/gpt-image-1",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("notes.png")
    );
    let out = env.run(&[
        "infer", "image", "generate", "--prompt", "x", "--count", "0",
    ]);
    assert_eq!(out.code, 2);
    // Hugging Face cannot edit: an honest unsupported error, nothing sent.
    write_png(&env.path("a.png"));
    let out = env.run(&[
        "infer",
        "image",
        "edit",
        "--file",
        "a.png",
        "--prompt",
        "x",
        "--model",
        "huggingface/black-forest-labs/FLUX.1-schnell",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[test]
fn providers_lists_generation_and_edit_support() {
    let env = TestEnv::new().env("FAL_KEY", "k");
    let out = env.run(&["infer", "image", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    let rows = envelope.as_array().unwrap();
    let find = |id: &str| -> &Value { rows.iter().find(|r| r["provider"] == id).unwrap() };
    assert_eq!(find("fal")["configured"], true);
    assert_eq!(find("openai")["configured"], false);
    assert_eq!(find("openai")["edit"], true);
    assert_eq!(find("huggingface")["edit"], false);
    assert_eq!(find("google")["defaultModel"], "gemini-3.1-flash-image");
    assert!(rows.iter().all(|r| r["provider"] != "anthropic"));
}

mod describe {
    use super::*;
    use crate::support::{completion, env_for};

    async fn chat_server(answer: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(answer)))
            .mount(&server)
            .await;
        server
    }

    /// `web fetch`'s SSRF policy, which image URLs go through, exempting
    /// the loopback test server.
    const ALLOW_LOOPBACK: &str =
        r#"tools: { web: { fetch: { ssrfPolicy: { allowedHostnames: ["127.0.0.1"] } } } },"#;

    #[tokio::test]
    async fn a_local_image_goes_to_the_chat_model_as_a_data_url() {
        let server = chat_server("A blue rectangle.").await;
        let env = env_for(&server, "");
        std::fs::write(env.path("shot.png"), png(3, 2)).unwrap();
        let out = env.run(&[
            "infer",
            "image",
            "describe",
            "--file",
            "shot.png",
            "--model",
            "loop/m1",
            "--prompt",
            "What is it?",
            "--json",
        ]);
        assert_eq!(out.code, 0, "{out:?}");
        let envelope = out.json();
        assert_eq!(envelope["capability"], "image.describe");
        assert_eq!(
            envelope["outputs"],
            json!([{"path": "shot.png", "text": "A blue rectangle.", "mediaUrl": null, "provider": "loop",
                    "model": "m1", "kind": "image.description"}])
        );
        let body = &received_bodies(&server).await[0];
        let content = &body["messages"][0]["content"];
        assert_eq!(content[0], json!({"type": "text", "text": "What is it?"}));
        assert_eq!(
            content[1]["image_url"]["url"],
            format!("data:image/png;base64,{}", b64(&png(3, 2)))
        );
        // Text mode prints just the description.
        let out = env.run(&[
            "infer", "image", "describe", "--file", "shot.png", "--model", "loop/m1",
        ]);
        assert_eq!(out.stdout, "A blue rectangle.\n");
    }

    #[tokio::test]
    async fn urls_are_fetched_only_from_allowed_private_hosts() {
        let server = chat_server("A cat.").await;
        Mock::given(method("GET"))
            .and(path("/pics/cat.jpg"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(jpeg(4, 4), "image/jpeg"))
            .mount(&server)
            .await;
        let url = format!("{}/pics/cat.jpg", server.uri());
        let env = env_for(&server, "");
        let out = env.run(&[
            "infer", "image", "describe", "--file", &url, "--model", "loop/m1", "--json",
        ]);
        assert_eq!(out.code, 1, "{out:?}");
        let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(
            message.contains("refusing to fetch") && message.contains("loopback"),
            "{message}"
        );
        assert!(server.received_requests().await.unwrap().is_empty());

        let env = env_for(&server, ALLOW_LOOPBACK);
        let out = env.run(&[
            "infer", "image", "describe", "--file", &url, "--model", "loop/m1", "--json",
        ]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.json()["outputs"][0]["path"], url);
        let bodies = received_bodies(&server).await;
        let chat = bodies.iter().find(|b| b.get("messages").is_some()).unwrap();
        assert!(
            chat["messages"][0]["content"][1]["image_url"]["url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/jpeg;base64,")
        );
    }

    #[tokio::test]
    async fn describe_many_keeps_order_and_survives_one_failure() {
        let server = chat_server("Seen.").await;
        Mock::given(method("GET"))
            .and(path("/missing.png"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        let env = env_for(&server, ALLOW_LOOPBACK);
        std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
        std::fs::write(env.path("b.webp"), webp(9, 9)).unwrap();
        std::fs::write(env.path("c.jpg"), jpeg(2, 2)).unwrap();
        let missing = format!("{}/missing.png", server.uri());
        let out = env.run(&[
            "infer",
            "image",
            "describe-many",
            "--file",
            "a.png",
            "--file",
            &missing,
            "--file",
            "b.webp",
            "--file",
            "c.jpg",
            "--file",
            "a.png",
            "--model",
            "loop/m1",
            "--json",
        ]);
        assert_eq!(out.code, 0, "{out:?}");
        let envelope = out.json();
        assert_eq!(envelope["ok"], true);
        let outputs = envelope["outputs"].as_array().unwrap();
        let paths: Vec<&str> = outputs
            .iter()
            .map(|o| o["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            ["a.png", missing.as_str(), "b.webp", "c.jpg", "a.png"]
        );
        assert_eq!(outputs[0]["text"], "Seen.");
        assert!(
            outputs[1]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("404")
        );
        assert!(outputs[1].get("text").is_none());
        assert_eq!(outputs[4]["text"], "Seen.");
        let chats = received_bodies(&server)
            .await
            .into_iter()
            .filter(|b| b.get("messages").is_some())
            .count();
        assert_eq!(chats, 4);
    }

    /// A chat server that holds each answer a moment and records the most
    /// requests it had in flight at once.
    fn slow_chat_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/v1", listener.local_addr().unwrap());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let seen = peak.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (in_flight, peak) = (in_flight.clone(), peak.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let lower = line.to_ascii_lowercase();
                        if let Some(value) = lower.strip_prefix("content-length:") {
                            length = value.trim().parse().unwrap_or(0);
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0u8; length];
                    let _ = reader.read_exact(&mut body);
                    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                    let answer = completion("Seen.").to_string();
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                        answer.len()
                    );
                });
            }
        });
        (base, seen)
    }

    #[test]
    fn describe_many_concurrency_comes_from_the_flag_or_max_concurrent() {
        use std::sync::atomic::Ordering;
        let files = ["a.png", "a.png", "a.png", "a.png"];
        let run = |extra: &str, flag: Option<&str>| {
            let (base, peak) = slow_chat_server();
            let env = TestEnv::new();
            env.write_config(&crate::support::provider_config(&base, extra));
            std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
            let mut args = vec![
                "infer",
                "image",
                "describe-many",
                "--model",
                "loop/m1",
                "--json",
            ];
            for file in files {
                args.extend(["--file", file]);
            }
            if let Some(n) = flag {
                args.extend(["--concurrency", n]);
            }
            let out = env.run(&args);
            assert_eq!(out.code, 0, "{out:?}");
            assert_eq!(out.json()["outputs"].as_array().unwrap().len(), 4);
            peak.load(Ordering::SeqCst)
        };
        let serial = r#"agents: { defaults: { maxConcurrent: 1 } },"#;
        assert_eq!(run(serial, None), 1, "maxConcurrent: 1 sends one at a time");
        let parallel = run(serial, Some("4"));
        assert!(
            parallel > 1,
            "--concurrency overrides the config: {parallel}"
        );
        assert!(run(r#"agents: { defaults: { maxConcurrent: 2 } },"#, None) <= 2);

        let env = TestEnv::new();
        env.write_config(&crate::support::provider_config(
            "http://127.0.0.1:9/v1",
            "",
        ));
        std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
        let out = env.run(&[
            "infer",
            "image",
            "describe-many",
            "--file",
            "a.png",
            "--model",
            "loop/m1",
            "--concurrency",
            "0",
        ]);
        assert_eq!(out.code, 2, "{out:?}");
    }

    #[tokio::test]
    async fn all_failed_is_a_failure_and_text_models_are_refused_up_front() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(
                ResponseTemplate::new(400)
                    .set_body_json(json!({"error": {"message": "bad image"}})),
            )
            .mount(&server)
            .await;
        let env = env_for(&server, "");
        std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
        let out = env.run(&[
            "infer",
            "image",
            "describe-many",
            "--file",
            "a.png",
            "--file",
            "a.png",
            "--model",
            "loop/m1",
            "--json",
        ]);
        assert_eq!(out.code, 1, "{out:?}");
        let envelope = out.json();
        assert_eq!(envelope["ok"], false);
        assert_eq!(envelope["outputs"].as_array().unwrap().len(), 2);
        assert!(
            envelope["error"]["message"]
                .as_str()
                .unwrap()
                .contains("all 2 images failed")
        );

        let before = server.received_requests().await.unwrap().len();
        let out = env.run(&[
            "infer",
            "image",
            "describe",
            "--file",
            "a.png",
            "--model",
            "loop/text-only",
            "--json",
        ]);
        assert_eq!(out.code, 2, "{out:?}");
        assert!(
            out.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("image input")
        );
        let out = env.run(&["infer", "image", "describe", "--file", "a.png", "--json"]);
        assert_eq!(out.code, 2, "no model configured: {out:?}");
        let out = env.run(&[
            "infer",
            "image",
            "describe",
            "--file",
            "missing.png",
            "--model",
            "loop/m1",
        ]);
        assert_eq!(out.code, 2);
        assert_eq!(server.received_requests().await.unwrap().len(), before);
    }

    #[tokio::test]
    async fn configured_image_model_and_its_fallbacks() {
        let server = chat_server("From config.").await;
        let env = env_for(
            &server,
            r#"agents: { defaults: { imageModel: { primary: "loop/m1" } } },"#,
        );
        std::fs::write(env.path("a.png"), png(1, 1)).unwrap();
        let out = env.run(&["infer", "image", "describe", "--file", "a.png", "--json"]);
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(out.json()["model"], "m1");
    }
}
