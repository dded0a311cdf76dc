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
    let out = env.run(&["config", "validate"]);
    assert_eq!(out.code, 2, "{out:?}");
    let file = env.config_path().display().to_string();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", out.stdout);
    assert_eq!(
        lines[0],
        format!("{file}:2:25: warning: unknown key `modle` (did you mean `model`?)")
    );
    assert!(
        lines[1].starts_with(&format!("{file}:4:"))
            && lines[1].contains("error")
            && lines[1].contains("mix"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("`baseURL` (did you mean `baseUrl`?)"));

    let out = env.run(&["config", "validate", "--json"]);
    let report = out.json();
    assert_eq!(report["ok"], false);
    assert_eq!(report["findings"][1]["path"], "models.mode");
    assert_eq!(report["findings"][1]["severity"], "error");

    env.write_config("{ agents: { defaults: { model: 'openai/gpt-5.4' } } }");
    let out = env.run(&["config", "validate"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.ends_with(": ok\n"));
}
