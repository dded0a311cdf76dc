//! End to end through the real OpenClaw gateway (the reference Node.js
//! daemon, serving the real llama.cpp server), started once by
//! `scripts/with-gateway.sh`, which exports its URL, port and token.
//! The tests are `#[ignore]`d: `scripts/test.sh` runs them
//! (`--include-ignored`), and there a missing gateway fails them.
//! The differential tests run the reference CLI from the same install
//! against the same gateway with the same arguments (10-15 s each).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{TestEnv, engine_var};

struct Gateway {
    port: String,
    token: String,
    model: String,
    node: String,
    cli: String,
}

/// One test at a time against the shared gateway: it is one node process,
/// and a reference CLI run beside a timed check would skew the timing.
static SERIAL: Mutex<()> = Mutex::new(());

fn gateway() -> Gateway {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let how = "it starts the gateway with scripts/with-gateway.sh";
    Gateway {
        port: engine_var("OPENCLAW_TEST_GATEWAY_PORT", how),
        token: engine_var("OPENCLAW_TEST_GATEWAY_TOKEN", how),
        model: var("OPENCLAW_TEST_GATEWAY_MODEL").unwrap_or_else(|| "llama/smollm2".into()),
        node: var("OPENCLAW_TEST_GATEWAY_NODE").unwrap_or_default(),
        cli: var("OPENCLAW_TEST_GATEWAY_CLI").unwrap_or_default(),
    }
}

impl Gateway {
    /// Our binary, pointed at the gateway the way a user would.
    fn env(&self) -> TestEnv {
        TestEnv::new()
            .env("OPENCLAW_GATEWAY_PORT", &self.port)
            .env("OPENCLAW_GATEWAY_TOKEN", &self.token)
    }

    /// The reference CLI's `--json` stdout for the same arguments.
    fn reference(&self, args: &[&str]) -> Value {
        assert!(
            !self.node.is_empty() && !self.cli.is_empty(),
            "OPENCLAW_TEST_GATEWAY_NODE/_CLI not set"
        );
        let home = tempfile::tempdir().unwrap();
        let output = std::process::Command::new(&self.node)
            .arg(&self.cli)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", home.path())
            .env("OPENCLAW_GATEWAY_PORT", &self.port)
            .env("OPENCLAW_GATEWAY_TOKEN", &self.token)
            .env("NO_COLOR", "1")
            .current_dir(home.path())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "reference CLI failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("reference stdout ({e}): {stdout}"))
    }
}

const QUESTION: &str = "What is the capital of France? Answer in one word.";

/// Every key of `reference` is in `ours` with a value of the same JSON
/// type, recursively (arrays: their first elements).
fn assert_covers(ours: &Value, reference: &Value, path: &str) {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert_eq!(
        kind(ours),
        kind(reference),
        "type of {path}: ours {ours}, reference {reference}"
    );
    match (ours, reference) {
        (Value::Object(ours), Value::Object(reference)) => {
            for (key, value) in reference {
                let Some(mine) = ours.get(key) else {
                    panic!("{path}.{key} is missing from ours (reference: {value})");
                };
                assert_covers(mine, value, &format!("{path}.{key}"));
            }
        }
        (Value::Array(ours), Value::Array(reference)) => {
            if let (Some(mine), Some(theirs)) = (ours.first(), reference.first()) {
                assert_covers(mine, theirs, &format!("{path}[0]"));
            }
        }
        _ => {}
    }
}

fn run_args(model: Option<&str>) -> Vec<&str> {
    let mut args = vec![
        "infer",
        "model",
        "run",
        "--gateway",
        "--json",
        "--prompt",
        QUESTION,
    ];
    if let Some(model) = model {
        args.extend(["--model", model]);
    }
    args
}

#[test]
#[ignore = "needs the OpenClaw gateway: scripts/test.sh"]
fn model_run_through_the_real_gateway_matches_the_reference() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let gw = gateway();
    let out = gw.env().run(&run_args(None));
    assert_eq!(out.code, 0, "{out:?}");
    let ours = out.json();
    assert_eq!(ours["ok"], true);
    assert_eq!(ours["transport"], "gateway");
    let (provider, model) = gw.model.split_once('/').unwrap();
    assert_eq!(ours["provider"], provider);
    assert_eq!(ours["model"], model);
    // The gateway adds its own system line and sampling, so the tiny model's
    // wording varies: any answer proves the round trip.
    let text = ours["outputs"][0]["text"].as_str().unwrap();
    assert!(!text.trim().is_empty(), "empty answer: {ours}");
    let reference = gw.reference(&run_args(None));
    assert_covers(&ours, &reference, "$");
}

#[test]
#[ignore = "needs the OpenClaw gateway: scripts/test.sh"]
fn model_override_through_the_real_gateway_matches_the_reference() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let gw = gateway();
    let args = run_args(Some(&gw.model));
    let out = gw.env().run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let ours = out.json();
    assert_eq!(ours["transport"], "gateway");
    assert_eq!(ours["model"], gw.model.split_once('/').unwrap().1);
    let reference = gw.reference(&args);
    assert_covers(&ours, &reference, "$");
}

#[test]
#[ignore = "needs the OpenClaw gateway: scripts/test.sh"]
fn tts_status_through_the_real_gateway_matches_the_reference() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let gw = gateway();
    let args = ["infer", "tts", "status", "--json"];
    let out = gw.env().run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let ours = out.json();
    assert_eq!(ours["transport"], "gateway");
    assert!(ours["enabled"].is_boolean());
    let reference = gw.reference(&args);
    assert_covers(&ours, &reference, "$");
}

#[test]
#[ignore = "needs the OpenClaw gateway: scripts/test.sh"]
fn tts_providers_through_the_real_gateway() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let gw = gateway();
    let out = gw
        .env()
        .run(&["infer", "tts", "providers", "--gateway", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let ours = out.json();
    let providers = ours["providers"].as_array().unwrap();
    assert!(!providers.is_empty());
    assert!(
        providers
            .iter()
            .all(|p| p["id"].is_string() && p["available"] == true)
    );
    assert!(ours["active"].is_string());
}

#[test]
#[ignore = "needs the OpenClaw gateway: scripts/test.sh"]
fn a_wrong_token_is_refused_quickly() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let gw = gateway();
    let env = TestEnv::new()
        .env("OPENCLAW_GATEWAY_PORT", &gw.port)
        .env("OPENCLAW_GATEWAY_TOKEN", "not-the-token");
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
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["error"]["reason"], "auth");
    assert!(!out.stdout.contains(&gw.token));
}

#[test]
#[ignore = "needs the OpenClaw gateway: scripts/test.sh"]
fn nothing_listening_is_refused_at_once() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _gw = gateway();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
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
    assert_eq!(out.json()["error"]["reason"], "unreachable");
}
