//! `model auth login/logout/status`: saved keys, never echoed.

use crate::support::TestEnv;

#[test]
fn login_saves_a_private_profile_that_runs_then_use() {
    let env = TestEnv::new();
    let output = env
        .command(&[
            "infer",
            "model",
            "auth",
            "login",
            "--provider",
            "openrouter",
            "--json",
        ])
        .write_stdin("sk-or-secret\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(!stdout.contains("sk-or-secret"));
    let path = env.state_dir().join("agents/main/agent/auth-profiles.json");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["profiles"]["openrouter:default"]["type"], "api_key");
    assert_eq!(
        saved["profiles"]["openrouter:default"]["provider"],
        "openrouter"
    );
    assert_eq!(
        saved["profiles"]["openrouter:default"]["key"],
        "sk-or-secret"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    let out = env.run(&["infer", "model", "auth", "status", "--json"]);
    assert_eq!(out.code, 0);
    assert!(!out.stdout.contains("sk-or-secret"));
    let rows = out.json()["providers"].as_array().unwrap().clone();
    let row = rows.iter().find(|r| r["provider"] == "openrouter").unwrap();
    assert_eq!(
        row["source"],
        serde_json::json!({"type": "profile", "id": "openrouter:default"})
    );

    // An env var wins over the saved profile, and status says so by name.
    let out = env
        .command(&["infer", "model", "auth", "status", "--json"])
        .env("OPENROUTER_API_KEY", "x")
        .output()
        .unwrap();
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = status["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider"] == "openrouter")
        .unwrap()
        .clone();
    assert_eq!(
        row["source"],
        serde_json::json!({"type": "env", "name": "OPENROUTER_API_KEY"})
    );

    let out = env.run(&[
        "infer",
        "model",
        "auth",
        "logout",
        "--provider",
        "openrouter",
        "--json",
    ]);
    assert_eq!(out.code, 0);
    assert_eq!(
        out.json()["removedProfiles"],
        serde_json::json!(["openrouter:default"])
    );
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(saved["profiles"].as_object().unwrap().is_empty());
}

#[test]
fn login_refuses_unknown_providers_and_empty_keys() {
    let env = TestEnv::new();
    let out = env.run(&["infer", "model", "auth", "login", "--provider", "nobody"]);
    assert_eq!(out.code, 2);
    let out = env.run(&["infer", "model", "auth", "login", "--provider", "openai"]);
    assert_eq!(out.code, 2, "empty stdin is no key: {out:?}");
    assert!(
        !env.state_dir()
            .join("agents/main/agent/auth-profiles.json")
            .exists()
    );
}

#[test]
fn agent_flag_selects_whose_profiles_are_used() {
    let env = TestEnv::new();
    let output = env
        .command(&[
            "infer",
            "model",
            "auth",
            "login",
            "--provider",
            "groq",
            "--agent",
            "ops",
        ])
        .write_stdin("gsk")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(
        env.state_dir()
            .join("agents/ops/agent/auth-profiles.json")
            .exists()
    );
    let out = env.run(&["infer", "model", "auth", "status", "--json"]);
    let rows = out.json()["providers"].as_array().unwrap().clone();
    assert_eq!(
        rows.iter().find(|r| r["provider"] == "groq").unwrap()["source"]["type"],
        "none"
    );
}
