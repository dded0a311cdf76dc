//! `infer tts` against loopback servers and the local engines: the exact
//! speech requests, formats from the extension, atomic output, and the
//! persisted enabled/provider state.

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, engine_command};

/// The first bytes of an MP3 frame (MPEG-1 layer III), enough for sniffing.
fn mp3_bytes() -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfb, 0x90, 0x64];
    bytes.resize(417, 0);
    bytes.extend_from_slice(&[0xff, 0xfb, 0x90, 0x64]);
    bytes.resize(834, 0);
    bytes
}

fn env_with(provider: &str, base_url: &str, tts: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ {provider}: {{ baseUrl: "{base_url}", apiKey: "test-key" }} }} }},
             messages: {{ tts: {{ {tts} }} }} }}"#
    ));
    env
}

#[tokio::test]
async fn openai_speech_request_and_written_file() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/speech"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "audio/mpeg")
                .set_body_bytes(mp3_bytes()),
        )
        .mount(&server)
        .await;
    let env = env_with(
        "openai",
        &format!("{}/v1", server.uri()),
        r#"providers: { openai: { voice: "coral" } }"#,
    );
    let out = env.run(&[
        "infer",
        "tts",
        "convert",
        "--text",
        "hello there",
        "--provider",
        "openai",
        "--output",
        "out/hello.mp3",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["capability"], "tts.convert");
    assert_eq!(envelope["provider"], "openai");
    assert_eq!(envelope["model"], "gpt-4o-mini-tts");
    let output = &envelope["outputs"][0];
    assert_eq!(output["path"], "out/hello.mp3");
    assert_eq!(output["format"], "mp3");
    assert_eq!(output["mimeType"], "audio/mpeg");
    assert_eq!(output["size"], 834);
    assert_eq!(output["voiceCompatible"], false);
    assert_eq!(
        std::fs::read(env.path("out/hello.mp3")).unwrap(),
        mp3_bytes()
    );

    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers.get("authorization").unwrap(),
        "Bearer test-key"
    );
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(
        body,
        json!({"model": "gpt-4o-mini-tts", "input": "hello there", "voice": "coral", "response_format": "mp3"})
    );

    // `.ogg` asks for opus; --model and --voice win over the config.
    let out = env.run(&[
        "infer",
        "tts",
        "convert",
        "--text",
        "x",
        "--model",
        "openai/tts-1",
        "--voice",
        "nova",
        "--output",
        "note.ogg",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[1].body).unwrap();
    assert_eq!(
        body,
        json!({"model": "tts-1", "input": "x", "voice": "nova", "response_format": "opus"})
    );
    // The bytes were MP3, so the file extension follows them.
    assert_eq!(out.json()["outputs"][0]["path"], "note.mp3");
}

#[tokio::test]
async fn elevenlabs_speech_voice_path_key_header_and_wav_wrapping() {
    let server = MockServer::start().await;
    let pcm = vec![1u8; 44100];
    Mock::given(method("POST"))
        .and(path("/v1/text-to-speech/voice123"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(pcm.clone()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/voices"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"voices": [{"voice_id": "voice123", "name": "Joe", "category": "premade"}]}),
        ))
        .mount(&server)
        .await;
    let env = env_with(
        "elevenlabs",
        &format!("{}/v1", server.uri()),
        r#"provider: "elevenlabs", providers: { elevenlabs: { voiceId: "voice123", modelId: "eleven_v3" } }"#,
    );
    let out = env.run(&[
        "infer",
        "tts",
        "convert",
        "--text",
        "hi",
        "--output",
        "speech.wav",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let output = &out.json()["outputs"][0];
    assert_eq!(output["format"], "wav");
    assert_eq!(output["durationSeconds"], 1.0);
    assert_eq!(output["size"], 44100 + 44);
    let written = std::fs::read(env.path("speech.wav")).unwrap();
    assert_eq!(&written[..4], b"RIFF");
    assert_eq!(&written[44..], &pcm[..]);

    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(request.headers.get("xi-api-key").unwrap(), "test-key");
    assert!(request.headers.get("authorization").is_none());
    assert_eq!(request.url.query(), Some("output_format=pcm_22050"));
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body, json!({"text": "hi", "model_id": "eleven_v3"}));

    let out = env.run(&["infer", "tts", "voices", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    // The voice rows themselves, as the reference prints them.
    assert_eq!(
        out.json(),
        json!([{"id": "voice123", "name": "Joe", "provider": "elevenlabs"}])
    );
}

#[tokio::test]
async fn bad_input_fails_before_any_request_and_writes_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(mp3_bytes()))
        .mount(&server)
        .await;
    let env = env_with(
        "openai",
        &format!("{}/v1", server.uri()),
        "maxTextLength: 10",
    );
    let cases: [&[&str]; 6] = [
        &["--text", "   ", "--provider", "openai", "--output", "a.mp3"],
        &["--text", "hi", "--provider", "openai", "--output", "a.xyz"],
        &[
            "--text",
            "hi",
            "--provider",
            "elevenlabs",
            "--model",
            "openai/tts-1",
            "--output",
            "a.mp3",
        ],
        &[
            "--text",
            "hi",
            "--provider",
            "anthropic",
            "--output",
            "a.mp3",
        ],
        &[
            "--text",
            "this text is too long",
            "--provider",
            "openai",
            "--output",
            "a.mp3",
        ],
        &["--text", "hi", "--model", "tts-1", "--output", "a.mp3"],
    ];
    for extra in cases {
        let mut args = vec!["infer", "tts", "convert", "--json"];
        args.extend_from_slice(extra);
        let out = env.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert_eq!(out.json()["ok"], false);
    }
    let out = env.run(&[
        "infer",
        "tts",
        "convert",
        "--text",
        "hi",
        "--gateway",
        "--output",
        "a.mp3",
        "--json",
    ]);
    // No gateway credentials anywhere: refused before any connection.
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["error"]["reason"], "config");
    assert_eq!(out.json()["transport"], "gateway");
    assert!(server.received_requests().await.unwrap().is_empty());
    assert!(!env.path("a.mp3").exists());
}

#[tokio::test]
async fn a_failed_synthesis_leaves_the_existing_file_alone() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_json(json!({"error": {"message": "boom"}})),
        )
        .mount(&server)
        .await;
    let env = env_with("openai", &format!("{}/v1", server.uri()), "");
    std::fs::write(env.path("keep.mp3"), b"old").unwrap();
    let out = env.run(&[
        "infer",
        "tts",
        "convert",
        "--text",
        "hi",
        "--provider",
        "openai",
        "--output",
        "keep.mp3",
        "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.json()["error"]["reason"], "server_error");
    assert_eq!(std::fs::read(env.path("keep.mp3")).unwrap(), b"old");
    let leftovers: Vec<_> = std::fs::read_dir(env.home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".openclaw-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn state_is_persisted_and_read_back() {
    let env = TestEnv::new();
    env.write_config(r#"{ messages: { tts: { provider: "openai", auto: "off" } } }"#);
    let out = env.run(&["infer", "tts", "status", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["enabled"], false);
    assert_eq!(out.json()["provider"], "openai");
    assert_eq!(out.json()["providerSource"], "config");

    assert_eq!(env.run(&["infer", "tts", "enable"]).code, 0);
    let out = env.run(&[
        "infer",
        "tts",
        "set-provider",
        "--provider",
        "ElevenLabs",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.state_dir().join("tts-state.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(state, json!({"enabled": true, "provider": "elevenlabs"}));

    // No gateway configured: status reports this machine's state.
    let out = env.run(&["infer", "tts", "status", "--json"]);
    let status = &out.json();
    assert_eq!(
        (status["enabled"].as_bool(), status["provider"].as_str()),
        (Some(true), Some("elevenlabs"))
    );
    // Answered from the local state (the reference needs a gateway here).
    assert_eq!(out.code, 0, "{out:?}");

    assert_eq!(env.run(&["infer", "tts", "disable"]).code, 0);
    assert_eq!(
        env.run(&["infer", "tts", "status", "--json"]).json()["enabled"],
        false
    );

    let out = env.run(&[
        "infer",
        "tts",
        "set-provider",
        "--provider",
        "nosuch",
        "--json",
    ]);
    assert_eq!(out.code, 2);

    let out = env.run(&["infer", "tts", "providers", "--json"]);
    let rows = out.json()["providers"].as_array().unwrap().clone();
    assert!(
        rows.iter()
            .any(|r| r["provider"] == "elevenlabs" && r["selected"] == true)
    );
    assert!(rows.iter().any(|r| r["provider"] == "local"));
    assert!(
        !rows
            .iter()
            .any(|r| r["provider"] == "anthropic" || r["provider"] == "groq")
    );
}

#[test]
#[ignore = "needs espeak-ng: scripts/test.sh"]
fn local_espeak_writes_a_real_wav_with_its_duration() {
    engine_command("espeak-ng", "scripts/setup-engines.sh tts installs it");
    let env = TestEnv::new();
    env.write_config(r#"{ messages: { tts: { providers: { local: { engine: "espeak-ng" } } } } }"#);
    let out = env.run(&[
        "infer",
        "tts",
        "convert",
        "--text",
        "testing one two three",
        "--provider",
        "local",
        "--output",
        "a.wav",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["model"], "espeak-ng");
    let output = &envelope["outputs"][0];
    assert_eq!(output["mimeType"], "audio/wav");
    let bytes = std::fs::read(env.path("a.wav")).unwrap();
    assert_eq!(output["size"], bytes.len());
    assert_eq!(&bytes[..4], b"RIFF");
    let seconds = output["durationSeconds"].as_f64().unwrap();
    assert!(seconds > 0.5 && seconds < 5.0, "{seconds}");
}

#[tokio::test]
async fn personas_are_listed_chosen_and_applied() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/speech"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            b"ID3\x04\x00\x00\x00\x00\x00\x00fake-mp3".to_vec(),
            "audio/mpeg",
        ))
        .mount(&server)
        .await;
    let env = TestEnv::new().env("OPENAI_API_KEY", "sk-test");
    env.write_config(&format!(
        r#"{{
  models: {{ providers: {{ openai: {{ baseUrl: "{}/v1" }} }} }},
  messages: {{ tts: {{ personas: {{
    narrator: {{ label: "Calm narrator", provider: "openai", voice: "sage", model: "gpt-4o-mini-tts" }},
    robot: {{ label: "Robot", provider: "local" }},
  }} }} }},
}}"#,
        server.uri()
    ));
    let out = env.run(&["infer", "tts", "personas", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows = out.json()["personas"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], "narrator");
    assert_eq!(rows[0]["active"], false);

    let out = env.run(&[
        "infer",
        "tts",
        "set-persona",
        "--persona",
        "nobody",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.json()["error"]["hints"][0]
            .as_str()
            .unwrap()
            .contains("narrator")
    );

    let out = env.run(&[
        "infer",
        "tts",
        "set-persona",
        "--persona",
        "narrator",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["infer", "tts", "personas", "--json"]);
    assert_eq!(out.json()["personas"][0]["active"], true);

    // The persona picks provider, voice and model when the flags do not.
    let out = env.run(&[
        "infer", "tts", "convert", "--text", "hello", "--output", "a.mp3", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[0].body).unwrap();
    assert_eq!(body["voice"], "sage");
    assert_eq!(body["model"], "gpt-4o-mini-tts");
    // A flag still wins.
    env.run(&[
        "infer", "tts", "convert", "--text", "hello", "--voice", "alloy", "--output", "b.mp3",
    ]);
    let body: serde_json::Value =
        serde_json::from_slice(&server.received_requests().await.unwrap()[1].body).unwrap();
    assert_eq!(body["voice"], "alloy");

    let out = env.run(&["infer", "tts", "set-persona", "--off", "--json"]);
    assert_eq!(out.json()["outputs"][0]["persona"], serde_json::Value::Null);
    let out = env.run(&["infer", "tts", "personas", "--json"]);
    assert_eq!(out.json()["personas"][0]["active"], false);
}
