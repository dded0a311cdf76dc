//! `infer audio` against loopback servers: the exact multipart form, the
//! Deepgram raw-body request, and refusals before any request.

use std::collections::BTreeMap;

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::TestEnv;

/// A small valid WAV (16-bit mono, 8 kHz, 0.05 s of silence).
pub fn wav_bytes() -> Vec<u8> {
    let samples = 400u32;
    let data_len = samples * 2;
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&(36 + data_len).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&8000u32.to_le_bytes());
    bytes.extend_from_slice(&16000u32.to_le_bytes());
    bytes.extend_from_slice(&2u16.to_le_bytes());
    bytes.extend_from_slice(&16u16.to_le_bytes());
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&data_len.to_le_bytes());
    bytes.resize(bytes.len() + data_len as usize, 0);
    bytes
}

/// One multipart part: its headers block and its body.
#[derive(Debug)]
pub struct Part {
    pub headers: String,
    pub body: Vec<u8>,
}

/// Split a multipart/form-data body into named parts.
pub fn multipart_parts(request: &wiremock::Request) -> BTreeMap<String, Part> {
    let content_type = request
        .headers
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("multipart/form-data"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .unwrap()
        .trim_matches('"');
    let delimiter = format!("--{boundary}");
    let body = &request.body;
    let mut parts = BTreeMap::new();
    let positions: Vec<usize> = body
        .windows(delimiter.len())
        .enumerate()
        .filter(|(_, w)| *w == delimiter.as_bytes())
        .map(|(i, _)| i)
        .collect();
    for pair in positions.windows(2) {
        let chunk = &body[pair[0] + delimiter.len() + 2..pair[1] - 2];
        let split = chunk.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let headers = String::from_utf8(chunk[..split].to_vec()).unwrap();
        let name = headers
            .split("name=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        parts.insert(
            name,
            Part {
                headers,
                body: chunk[split + 4..].to_vec(),
            },
        );
    }
    parts
}

fn text(part: &Part) -> &str {
    std::str::from_utf8(&part.body).unwrap()
}

fn env_with(provider: &str, base_url: &str, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ {provider}: {{ baseUrl: "{base_url}", apiKey: "test-key" }} }} }}, {extra} }}"#
    ));
    std::fs::write(env.path("memo.wav"), wav_bytes()).unwrap();
    env
}

async fn openai_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": " hello world"})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn openai_multipart_fields_exactly() {
    let server = openai_server().await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "");
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "memo.wav",
        "--model",
        "openai/whisper-1",
        "--language",
        "en",
        "--prompt",
        "Names: Ada",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["capability"], "audio.transcribe");
    assert_eq!(envelope["provider"], "openai");
    assert_eq!(envelope["model"], "whisper-1");
    assert_eq!(
        envelope["outputs"],
        json!([{"path": "memo.wav", "text": "hello world", "mediaUrl": null, "kind": "audio.transcription"}])
    );
    assert_eq!(envelope["inputs"][0]["mimeType"], "audio/x-wav");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Bearer test-key"
    );
    let parts = multipart_parts(&requests[0]);
    assert_eq!(
        parts.keys().collect::<Vec<_>>(),
        ["file", "language", "model", "prompt", "response_format"]
    );
    assert_eq!(text(&parts["model"]), "whisper-1");
    assert_eq!(text(&parts["language"]), "en");
    assert_eq!(text(&parts["prompt"]), "Names: Ada");
    assert_eq!(text(&parts["response_format"]), "json");
    assert!(
        parts["file"].headers.contains("filename=\"memo.wav\""),
        "{}",
        parts["file"].headers
    );
    assert!(
        parts["file"]
            .headers
            .to_ascii_lowercase()
            .contains("content-type: audio/x-wav")
    );
    assert_eq!(parts["file"].body, wav_bytes());

    // Text mode prints just the transcript.
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "memo.wav",
        "--model",
        "openai/whisper-1",
    ]);
    assert_eq!(out.stdout, "hello world\n");
}

#[tokio::test]
async fn groq_default_model_from_config_entry_and_optional_fields_left_out() {
    let server = openai_server().await;
    let env = env_with(
        "groq",
        &format!("{}/openai/v1", server.uri()),
        r#"tools: { media: { models: [{ provider: "groq", capabilities: ["audio"] }] } }"#,
    );
    Mock::given(method("POST"))
        .and(path("/openai/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": "hi"})))
        .mount(&server)
        .await;
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "memo.wav",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["model"], "whisper-large-v3-turbo");
    let parts = multipart_parts(&server.received_requests().await.unwrap()[0]);
    assert_eq!(
        parts.keys().collect::<Vec<_>>(),
        ["file", "model", "response_format"]
    );
    assert_eq!(text(&parts["model"]), "whisper-large-v3-turbo");
}

#[tokio::test]
async fn deepgram_raw_body_token_auth_and_query() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/listen"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "metadata": {}, "results": {"channels": [{"alternatives": [{"transcript": "good morning", "confidence": 0.98}]}]}
        })))
        .mount(&server)
        .await;
    let env = env_with(
        "deepgram",
        &format!("{}/v1", server.uri()),
        r#"tools: { media: { audio: { providerOptions: { deepgram: { smart_format: true } } } } }"#,
    );
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "memo.wav",
        "--model",
        "deepgram/nova-3",
        "--language",
        "en",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["text"], "good morning");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Token test-key"
    );
    assert_eq!(request.headers.get("content-type").unwrap(), "audio/x-wav");
    let query: Vec<(String, String)> = request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    assert_eq!(
        query,
        [
            ("model".to_owned(), "nova-3".to_owned()),
            ("language".into(), "en".into()),
            ("smart_format".into(), "true".into())
        ]
    );
    assert_eq!(request.body, wav_bytes());
}

#[tokio::test]
async fn elevenlabs_scribe_multipart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/speech-to-text"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"language_code": "en", "text": "scribed"})),
        )
        .mount(&server)
        .await;
    let env = env_with("elevenlabs", &format!("{}/v1", server.uri()), "");
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "memo.wav",
        "--model",
        "elevenlabs/scribe_v2",
        "--language",
        "en",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["text"], "scribed");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers.get("xi-api-key").unwrap(), "test-key");
    let parts = multipart_parts(request);
    assert_eq!(text(&parts["model_id"]), "scribe_v2");
    assert_eq!(text(&parts["language_code"]), "en");
    assert_eq!(parts["file"].body, wav_bytes());
}

#[tokio::test]
async fn refusals_happen_before_any_request() {
    let server = openai_server().await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "");
    std::fs::write(env.path("notes.mp3"), "these are words, not sound").unwrap();
    crate::support::write_png(&env.path("picture.wav"));
    // Over OpenAI's 25 MB: a sparse file, refused from its size alone.
    let big = std::fs::File::create(env.path("long.wav")).unwrap();
    big.set_len(25 * 1024 * 1024 + 1).unwrap();

    let cases: [(&[&str], &str); 6] = [
        (&["--file", "notes.mp3"], "notes.mp3"),
        (&["--file", "picture.wav"], "image/png"),
        (&["--file", "missing.wav"], "missing.wav"),
        (&["--file", "long.wav"], "at most 25.0 MB"),
        (
            &["--file", "memo.wav", "--model", "whisper-1"],
            "provider/model",
        ),
        (
            &["--file", "memo.wav", "--model", "anthropic/claude-opus-5"],
            "no transcription API",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["infer", "audio", "transcribe"];
        args.extend_from_slice(extra);
        if !extra.contains(&"--model") {
            args.extend(["--model", "openai/whisper-1"]);
        }
        let out = env.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
        args.push("--json");
        let out = env.run(&args);
        assert_eq!(out.json()["ok"], false);
    }
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "no request was sent"
    );
}

#[tokio::test]
async fn providers_list_protocols_and_limits() {
    let env = TestEnv::new().env("DEEPGRAM_API_KEY", "k");
    let out = env.run(&["infer", "audio", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows = out.json().as_array().unwrap().clone();
    let find = |id: &str| {
        rows.iter()
            .find(|r| r["provider"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}"))
    };
    assert_eq!(find("openai")["defaultModel"], "gpt-4o-mini-transcribe");
    assert_eq!(find("openai")["maxBytes"], 25 * 1024 * 1024);
    assert_eq!(find("deepgram")["protocol"], "deepgram-listen");
    assert_eq!(find("deepgram")["selected"], true);
    assert!(
        !rows
            .iter()
            .any(|r| r["provider"] == "anthropic" || r["provider"] == "cerebras")
    );
}
