//! `TestEnv`: a sealed environment for running `openclaw`: no inherited
//! variables, a temp home, and a config pointing providers at loopback.

pub mod envelope;
pub mod hostile;
pub mod images;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

pub use envelope::Envelope;

pub struct TestEnv {
    pub home: tempfile::TempDir,
    envs: Vec<(String, String)>,
}

impl TestEnv {
    pub fn new() -> TestEnv {
        TestEnv {
            home: tempfile::tempdir().expect("temp dir"),
            envs: Vec::new(),
        }
    }

    pub fn state_dir(&self) -> PathBuf {
        self.home.path().join(".openclaw")
    }

    pub fn config_path(&self) -> PathBuf {
        self.state_dir().join("openclaw.json")
    }

    pub fn write_config(&self, text: &str) -> &TestEnv {
        std::fs::create_dir_all(self.state_dir()).unwrap();
        std::fs::write(self.config_path(), text).unwrap();
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> TestEnv {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// `openclaw ARGS` with a clean environment and the temp home.
    pub fn command(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_command(args))
    }

    /// The same as a plain `std::process::Command`, for tests that need to
    /// talk to the running process (signals, partial output).
    pub fn std_command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("openclaw"));
        command.env_clear();
        command.env("PATH", std::env::var("PATH").unwrap_or_default());
        command.env("HOME", self.home.path());
        command.env("OPENCLAW_HOME", self.home.path());
        command.env("OPENCLAW_TEST_NO_RETRY_DELAY", "1");
        command.env("NO_PROXY", "*");
        for (key, value) in &self.envs {
            command.env(key, value);
        }
        command.current_dir(self.home.path());
        command.args(args);
        command
    }

    /// Run and return (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> Outcome {
        let output = self.command(args).write_stdin("").output().expect("runs");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
        }
    }
}

#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Stdout parsed whole as one JSON document, as scripts do.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|error| {
            panic!(
                "stdout is not one JSON document ({error}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Stdout decoded as the typed result envelope (see `envelope.rs`).
    pub fn envelope(&self) -> Envelope {
        Envelope::from_value(self.json())
    }
}

/// The value of `name`, set by the script that starts an engine, for a
/// test marked `#[ignore = "needs <engine>: scripts/test.sh"]`. Such a test
/// runs only when asked for (`--include-ignored`), so a missing value is a
/// failure that says how to run it, never a silent pass.
pub fn engine_var(name: &str, how: &str) -> String {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => value,
        _ => panic!("{name} is not set: run this test through scripts/test.sh ({how})"),
    }
}

/// A command an engine test needs on `PATH` (see `engine_var`).
pub fn engine_command(name: &str, how: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` is not on PATH: run this test through scripts/test.sh ({how})")
        })
}

/// A config with one OpenAI-compatible provider `local` at `base_url`.
pub fn provider_config(base_url: &str, extra: &str) -> String {
    format!(
        r#"{{
  // written by the test
  models: {{ providers: {{
    loop: {{ baseUrl: "{base_url}", apiKey: "test-key", api: "openai-completions",
            models: [{{ id: "m1", name: "M1", input: ["text", "image"] }}, {{ id: "text-only", input: ["text"] }}] }},
  }} }},
  {extra}
}}"#
    )
}

/// A `TestEnv` whose config has the provider `loop` at `server` (see
/// `provider_config`), plus `extra` top-level config text.
pub fn env_for(server: &wiremock::MockServer, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&provider_config(&format!("{}/v1", server.uri()), extra));
    env
}

/// A tiny but real PNG (1x1), so MIME detection sees real bytes.
pub fn write_png(path: &Path) {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    std::fs::write(path, PNG).unwrap();
}

/// The body of an OpenAI chat completion answering `text`.
pub fn completion(text: &str) -> Value {
    serde_json::json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "m1",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9}
    })
}

/// An SSE body streaming `pieces`, then usage, then `[DONE]`.
pub fn completion_stream(pieces: &[&str]) -> String {
    let mut body = String::new();
    for piece in pieces {
        let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"content": piece}}]});
        body.push_str(&format!("data: {chunk}\n\n"));
    }
    body.push_str(
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
    );
    body.push_str("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":3,\"total_tokens\":7}}\n\n");
    body.push_str("data: [DONE]\n\n");
    body
}

/// The requests a wiremock server received, as parsed JSON bodies.
pub async fn received_bodies(server: &wiremock::MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap_or(Value::Null))
        .collect()
}
