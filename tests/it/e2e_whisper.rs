//! End to end against the real faster-whisper-server (Whisper tiny.en) and
//! the real piper engine, both set up by `scripts/setup-engines.sh audio tts`;
//! `scripts/with-whisper.sh` starts the server and exports its URL plus the
//! piper command and voice. The tests are `#[ignore]`d: `scripts/test.sh`
//! runs them (`--include-ignored`), and there anything missing fails them.

use crate::support::{TestEnv, engine_var};

/// The server's URL, the piper command and the piper voice.
fn engines() -> (String, String, String) {
    let how = "it starts the server with scripts/with-whisper.sh after scripts/setup-engines.sh audio tts";
    (
        engine_var("OPENCLAW_TEST_WHISPER_URL", how),
        engine_var("OPENCLAW_TEST_PIPER_BIN", how),
        engine_var("OPENCLAW_TEST_PIPER_VOICE", how),
    )
}

/// Lower case, letters, digits and single spaces only.
fn normalized(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c.is_whitespace() {
                c
            } else {
                ' '
            }
        })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
#[ignore = "needs the whisper server and piper: scripts/test.sh"]
fn piper_speech_comes_back_as_the_same_words() {
    let (url, piper, voice) = engines();
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  models: {{ providers: {{ whisper: {{ baseUrl: "{url}/v1",
    models: [{{ id: "whisper-1", kind: "transcription" }}] }} }} }},
  tools: {{ media: {{ audio: {{ models: [{{ provider: "whisper", model: "whisper-1" }}], language: "en" }} }} }},
  messages: {{ tts: {{ provider: "local",
    providers: {{ local: {{ engine: "piper", command: "{piper}", voice: "{voice}" }} }} }} }},
}}"#
    ));
    let sentence = "The quick brown fox jumps over the lazy dog.";
    let out = env.run(&[
        "infer", "tts", "convert", "--text", sentence, "--output", "fox.wav", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "local");
    assert_eq!(envelope["model"], "piper");
    let output = &envelope["outputs"][0];
    assert_eq!(output["format"], "wav");
    let seconds = output["durationSeconds"].as_f64().unwrap();
    assert!(seconds > 1.0 && seconds < 6.0, "duration {seconds}");

    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "fox.wav",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "whisper");
    assert_eq!(envelope["model"], "whisper-1");
    let text = envelope["outputs"][0]["text"].as_str().unwrap();
    assert_eq!(normalized(text), normalized(sentence), "transcript: {text}");
}

#[test]
#[ignore = "needs the whisper server and piper: scripts/test.sh"]
fn the_real_server_rejects_nothing_we_send_for_a_second_sentence() {
    let (url, piper, voice) = engines();
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ whisper: {{ baseUrl: "{url}/v1" }} }} }} }}"#
    ));
    let sentence = "Please send the report before noon tomorrow.";
    // The fixture comes straight from piper with its sampling noise off, so
    // the same audio goes to the server every run (`tts convert` itself is
    // covered by the round trip above).
    let spoken = std::process::Command::new(&piper)
        .args([
            "-m",
            &voice,
            "--noise-scale",
            "0",
            "--noise-w-scale",
            "0",
            "-f",
        ])
        .arg(env.path("report.wav"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(sentence.as_bytes())?;
            child.wait_with_output()
        })
        .expect("piper runs");
    assert!(
        spoken.status.success(),
        "{}",
        String::from_utf8_lossy(&spoken.stderr)
    );
    // `--language` and `--prompt` go through as form fields the server accepts.
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--file",
        "report.wav",
        "--model",
        "whisper/whisper-1",
        "--language",
        "en",
        "--prompt",
        "A short office request.",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    // The audio is the same every run; the prompt nudges the recogniser to
    // hear "a report" for "the report", so the content words are compared.
    let heard = normalized(&out.stdout);
    let content = ["please", "send", "report", "before", "noon", "tomorrow"];
    let heard_content: Vec<&str> = heard
        .split(' ')
        .filter(|word| content.contains(word))
        .collect();
    assert_eq!(heard_content, content, "transcript: {}", out.stdout);
}
