//! `openclaw config file | get | set | unset` against a real file: values
//! round trip, comments elsewhere survive, read-only mode refuses writes.

use crate::support::TestEnv;

const COMMENTED: &str = "// top comment\n{\n  /* gateway settings */\n  gateway: { port: 18789 }, // inline note\n  agents: {\n    defaults: {\n      timeoutSeconds: 30,\n    },\n  },\n}\n";

#[test]
fn set_then_get_round_trips_and_keeps_comments() {
    let env = TestEnv::new();
    env.write_config(COMMENTED);
    let out = env.run(&[
        "config",
        "set",
        "agents.defaults.model.primary",
        "huggingface/deepseek-ai/DeepSeek-R1",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["config", "get", "agents.defaults.model.primary"]);
    assert_eq!(out.stdout, "huggingface/deepseek-ai/DeepSeek-R1\n");
    let out = env.run(&["config", "get", "agents.defaults.model", "--json"]);
    assert_eq!(
        out.json(),
        serde_json::json!({"primary": "huggingface/deepseek-ai/DeepSeek-R1"})
    );

    let text = std::fs::read_to_string(env.config_path()).unwrap();
    for kept in [
        "// top comment",
        "/* gateway settings */",
        "gateway: { port: 18789 }, // inline note",
        "      timeoutSeconds: 30,\n",
    ] {
        assert!(text.contains(kept), "lost {kept:?}:\n{text}");
    }
    let backup = std::fs::read_to_string(env.state_dir().join("openclaw.json.bak")).unwrap();
    assert_eq!(backup, COMMENTED);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.config_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // The edited file still drives a model list.
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn bracket_paths_and_json_values() {
    let env = TestEnv::new();
    env.write_config(COMMENTED);
    let out = env.run(&[
        "config",
        "set",
        r#"agents.defaults.models["huggingface/deepseek-ai/DeepSeek-R1:fastest"].alias"#,
        "R1 (fast)",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["config", "set", "gateway.port", "19001", "--strict-json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["config", "get", "gateway.port", "--json"]);
    assert_eq!(out.json(), 19001);
    let out = env.run(&["config", "get", "agents.defaults.models", "--json"]);
    assert_eq!(
        out.json()["huggingface/deepseek-ai/DeepSeek-R1:fastest"]["alias"],
        "R1 (fast)"
    );

    let out = env.run(&["config", "set", "gateway.port", "not json", "--strict-json"]);
    assert_eq!(out.code, 2, "{out:?}");
    let out = env.run(&[
        "config",
        "set",
        "agents.defaults.models",
        r#"{"openai/gpt-5.4":{}}"#,
        "--strict-json",
        "--merge",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["config", "get", "agents.defaults.models", "--json"]);
    assert_eq!(
        out.json().as_object().unwrap().len(),
        2,
        "merge kept the earlier entry"
    );
    let out = env.run(&[
        "config",
        "set",
        "agents.defaults.models",
        r#"{"x/y":{}}"#,
        "--strict-json",
    ]);
    assert_eq!(
        out.code, 2,
        "a protected map is not replaced without --replace: {out:?}"
    );
}

#[test]
fn unset_and_missing_paths() {
    let env = TestEnv::new();
    env.write_config(COMMENTED);
    let out = env.run(&["config", "unset", "agents.defaults.timeoutSeconds"]);
    assert_eq!(out.code, 0, "{out:?}");
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(
        !text.contains("timeoutSeconds") && text.contains("// inline note"),
        "{text}"
    );

    let before = std::fs::read_to_string(env.config_path()).unwrap();
    let out = env.run(&["config", "unset", "agents.defaults.timeoutSeconds"]);
    assert_eq!(out.code, 1, "{out:?}");
    let out = env.run(&["config", "get", "agents.nothing.here", "--json"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.json()["ok"], false);
    assert_eq!(std::fs::read_to_string(env.config_path()).unwrap(), before);
    let out = env.run(&["config", "get", "a..b"]);
    assert_eq!(out.code, 2, "{out:?}");
}

#[test]
fn no_change_dry_run_and_invalid_results_leave_the_file() {
    let env = TestEnv::new();
    env.write_config(COMMENTED);
    let out = env.run(&["config", "set", "gateway.port", "18789"]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "No change\n"),
        "{out:?}"
    );
    assert!(!env.state_dir().join("openclaw.json.bak").exists());
    let out = env.run(&["config", "set", "gateway.port", "1", "--dry-run", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["ok"], true);
    let out = env.run(&["config", "set", "models.mode", "sideways"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("left unchanged"), "{out:?}");
    let out = env.run(&[
        "config",
        "set",
        "agents.defaults.model.primary",
        "nosuchprovider/x",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        std::fs::read_to_string(env.config_path()).unwrap(),
        COMMENTED
    );
}

#[test]
fn read_only_env_refuses_writes_but_allows_reads() {
    let env = TestEnv::new().env("OPENCLAW_CONFIG_READONLY", "1");
    env.write_config(COMMENTED);
    let out = env.run(&["config", "set", "gateway.port", "1", "--json"]);
    assert_ne!(out.code, 0);
    assert_eq!(out.json()["ok"], false);
    assert!(out.stderr.contains("OPENCLAW_CONFIG_READONLY"), "{out:?}");
    let out = env.run(&["config", "unset", "gateway.port"]);
    assert_ne!(out.code, 0);
    assert_eq!(
        std::fs::read_to_string(env.config_path()).unwrap(),
        COMMENTED
    );
    let out = env.run(&["config", "get", "gateway.port"]);
    assert_eq!(out.stdout, "18789\n");
    let out = env.run(&["config", "file", "--json"]);
    assert_eq!(out.json()["path"], env.config_path().display().to_string());
}

#[test]
fn secrets_are_redacted_on_get() {
    let env = TestEnv::new();
    env.write_config(r#"{models: {providers: {huggingface: {apiKey: "hf_secret_value"}}}}"#);
    let out = env.run(&["config", "get", "models.providers.huggingface", "--json"]);
    assert!(!out.stdout.contains("hf_secret_value"), "{out:?}");
    let out = env.run(&["config", "get", "models.providers.huggingface.apiKey"]);
    assert!(!out.stdout.contains("hf_secret_value"), "{out:?}");
}

#[test]
fn creates_a_missing_file() {
    let env = TestEnv::new();
    let out = env.run(&[
        "config",
        "set",
        "agents.defaults.model.primary",
        "openai/gpt-5.4",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = env.run(&["config", "get", "agents.defaults.model.primary"]);
    assert_eq!(out.stdout, "openai/gpt-5.4\n");
}

#[test]
fn validate_lists_every_finding_with_positions() {
    let env = TestEnv::new();
    env.write_config(
        "{\n  agents: { defaults: { modle: 'a/b' } },\n  models: {\n    mode: 'mix',\n    providers: { x: { baseURL: 'http://h' } },\n  },\n}\n",
    );
    // Checked against the reference's schema: unknown keys are errors
    // (with a did-you-mean) and the exit code is 1, as the reference's.
    let out = env.run(&["config", "validate"]);
    assert_eq!(out.code, 1, "{out:?}");
    let file = env.config_path().display().to_string();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(
        lines.contains(
            &format!("{file}:2:25: error: unknown key `modle` (did you mean `model`?)").as_str()
        ),
        "{}",
        out.stdout
    );
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("{file}:4:"))
            && l.contains("error")
            && l.contains("mix")),
        "{}",
        out.stdout
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("error: unknown key `baseURL` (did you mean `baseUrl`?)")),
        "{}",
        out.stdout
    );

    let out = env.run(&["config", "validate", "--json"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["valid"], false);
    assert_eq!(report["error"]["type"], "cli_error");
    let issue = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "models.mode")
        .expect("models.mode reported");
    assert_eq!(issue["line"], 4);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "models.mode" && f["severity"] == "error")
    );

    env.write_config("{ agents: { defaults: { model: 'openai/gpt-5.4' } } }");
    let out = env.run(&["config", "validate"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.ends_with(": ok\n"));
}

#[test]
fn validate_suggests_the_top_level_key_and_schema_prints_the_reference_schema() {
    let env = TestEnv::new();
    env.write_config("{ modles: {} }");
    let out = env.run(&["config", "validate", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let report = out.json();
    assert_eq!(report["issues"][0]["path"], "modles");
    assert_eq!(
        report["issues"][0]["message"],
        "unknown key `modles` (did you mean `models`?)"
    );
    // Other commands load what they use and do not fail on unknown keys.
    let out = env.run(&["infer", "model", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");

    // A provider config written as the reference's docs show it is valid.
    env.write_config(
        r#"{
  models: { mode: "merge", providers: { minimax: {
    baseUrl: "https://api.minimax.io/anthropic", apiKey: "${MINIMAX_API_KEY}", api: "anthropic-messages",
    models: [{ id: "MiniMax-M2.7", name: "MiniMax M2.7", reasoning: true, input: ["text"],
      cost: { input: 0.3, output: 1.2, cacheRead: 0.03, cacheWrite: 0.12 }, contextWindow: 200000, maxTokens: 8192 }],
  } } },
  agents: { defaults: { model: { primary: "minimax/MiniMax-M2.7" } } },
}"#,
    );
    let out = env.run(&["config", "validate", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["valid"], true);

    for args in [
        &["config", "schema"][..],
        &["config", "schema", "--json"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 0, "{out:?}");
        let schema = out.json();
        assert_eq!(schema["type"], "object");
        assert!(schema["properties"]["models"]["properties"]["providers"].is_object());
        assert!(!out.stdout.contains("\"description\": \"Base URL"));
    }
}
