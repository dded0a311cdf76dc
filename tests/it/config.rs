//! Config loading as seen from the command line: locations, overrides,
//! and errors that point at the file, line and column.

use crate::support::TestEnv;

#[test]
fn broken_config_names_file_line_and_column() {
    let env = TestEnv::new();
    env.write_config(
        "{\n  models: {\n    providers: {\n      x: { api: \"carrier-pigeon\" }\n    }\n  }\n}\n",
    );
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
    let path = env.config_path().display().to_string();
    assert!(message.contains(&format!("{path}:4:")), "{message}");
    assert!(message.contains("models.providers.x.api"), "{message}");
    assert_eq!(out.json()["error"]["reason"], "config");
    assert!(out.stderr.contains(&path));
}

#[test]
fn syntax_errors_have_positions_too() {
    let env = TestEnv::new();
    env.write_config("{\n  agents: {\n    defaults: { model: 'a/b', }\n  },,\n}\n");
    let out = env.run(&["infer", "model", "list"]);
    assert_eq!(out.code, 2);
    let path = env.config_path().display().to_string();
    assert!(out.stderr.contains(&format!("{path}:4:")), "{}", out.stderr);
    assert!(out.stdout.is_empty());
}

#[test]
fn config_path_state_dir_and_profile_overrides() {
    let env = TestEnv::new();
    let custom = env.path("elsewhere.json5");
    std::fs::write(
        &custom,
        r#"{models: {providers: {custom1: {baseUrl: "http://127.0.0.1:9"}}}}"#,
    )
    .unwrap();
    let env = env.env("OPENCLAW_CONFIG_PATH", custom.to_str().unwrap());
    let out = env.run(&["infer", "model", "providers", "--json"]);
    assert!(out.stdout.contains("\"custom1\""), "{out:?}");

    let env = TestEnv::new();
    let profile_dir = env.path(".openclaw-work");
    std::fs::create_dir_all(&profile_dir).unwrap();
    std::fs::write(
        profile_dir.join("openclaw.json"),
        r#"{models: {providers: {workonly: {baseUrl: "http://127.0.0.1:9"}}}}"#,
    )
    .unwrap();
    let out = env.run(&["--profile", "work", "infer", "model", "providers", "--json"]);
    assert!(out.stdout.contains("\"workonly\""), "{out:?}");
    let out = env.run(&["infer", "model", "providers", "--json"]);
    assert!(!out.stdout.contains("\"workonly\""));
}

#[test]
fn missing_env_var_in_config_is_a_config_error_at_its_position() {
    let env = TestEnv::new();
    env.write_config("{\n  models: { providers: { x: {\n    baseUrl: \"http://127.0.0.1:9\",\n    apiKey: \"${NOT_SET_ANYWHERE}\" } } }\n}\n");
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 2);
    let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(":4:") && message.contains("NOT_SET_ANYWHERE"),
        "{message}"
    );
}
