//! `openclaw onboard`: the scripted calls seen in the wild, every auth
//! choice, secret handling, and the interactive flow through a real
//! pseudo-terminal.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, received_bodies};

const COMMENTED: &str = "{\n  // my settings, keep them\n  agents: {\n    defaults: {\n      timeoutSeconds: 30,\n    },\n  },\n}\n";

fn profiles(env: &TestEnv) -> Value {
    let path = env.state_dir().join("agents/main/agent/auth-profiles.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn config_value(env: &TestEnv, path: &str) -> Value {
    let out = env.run(&["config", "get", path, "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    out.json()
}

#[test]
fn hugging_face_non_interactive_as_documented() {
    let env = TestEnv::new();
    env.write_config(COMMENTED);
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--mode",
        "local",
        "--auth-choice",
        "huggingface-api-key",
        "--huggingface-api-key",
        "hf_test_secret",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains("hf_test_secret") && !out.stderr.contains("hf_test_secret"));
    assert_eq!(
        config_value(&env, "agents.defaults.model.primary"),
        "huggingface/deepseek-ai/DeepSeek-R1"
    );
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(
        text.contains("// my settings, keep them") && text.contains("timeoutSeconds: 30,"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(env.state_dir().join("openclaw.json.bak")).unwrap(),
        COMMENTED
    );
    let saved = profiles(&env);
    assert_eq!(
        saved["profiles"]["huggingface:default"]["key"],
        "hf_test_secret"
    );
    assert_eq!(saved["profiles"]["huggingface:default"]["type"], "api_key");
    // The saved key is the one `auth status` finds.
    let out = env.run(&["infer", "model", "auth", "status", "--json"]);
    let hf = out.json()["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "huggingface")
        .cloned()
        .unwrap();
    assert_eq!(hf["source"]["type"], "profile");

    // `--accept-risk` and `--json`: what was written, never the secret.
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--accept-risk",
        "--mode",
        "local",
        "--auth-choice",
        "huggingface-api-key",
        "--huggingface-api-key",
        "hf_test_secret",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let written = out.json();
    assert_eq!(written["model"], "huggingface/deepseek-ai/DeepSeek-R1");
    assert_eq!(written["authProfile"]["storage"], "plaintext");
    assert!(!out.stdout.contains("hf_test_secret"));
}

#[tokio::test]
async fn custom_endpoint_then_model_run_uses_it() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("custom says hi")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    let base = format!("{}/v1", server.uri());
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--accept-risk",
        "--mode",
        "local",
        "--auth-choice",
        "custom-api-key",
        "--custom-base-url",
        &base,
        "--custom-model-id",
        "foo-large",
        "--custom-api-key",
        "custom-secret",
        "--skip-channels",
        "--skip-skills",
        "--skip-health",
        "--skip-ui",
        "--skip-daemon",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let written = out.json();
    assert_eq!(written["model"], "custom/foo-large");
    assert!(!out.stdout.contains("custom-secret"));
    assert!(
        out.stderr.contains("--skip-channels"),
        "absent parts are noted on stderr: {}",
        out.stderr
    );

    let out = env.run(&["infer", "model", "run", "--prompt", "hello", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "custom");
    assert_eq!(envelope["model"], "foo-large");
    assert_eq!(envelope["outputs"][0]["text"], "custom says hi");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        "Bearer custom-secret"
    );
    assert_eq!(received_bodies(&server).await[0]["model"], "foo-large");
}

#[test]
fn custom_options_compatibility_input_and_env_key() {
    let env = TestEnv::new().env("CUSTOM_API_KEY", "from-env");
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "custom-api-key",
        "--custom-base-url",
        "https://llm.example.com/v1",
        "--custom-model-id",
        "foo-large",
        "--custom-provider-id",
        "acme",
        "--custom-compatibility",
        "anthropic",
        "--custom-image-input",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let provider = config_value(&env, "models.providers.acme");
    assert_eq!(provider["api"], "anthropic-messages");
    assert_eq!(provider["baseUrl"], "https://llm.example.com/v1");
    assert_eq!(
        provider["models"],
        json!([{"id": "foo-large", "input": ["text", "image"]}])
    );
    assert_eq!(
        config_value(&env, "agents.defaults.model.primary"),
        "acme/foo-large"
    );
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(
        text.contains("from-env"),
        "the env key is saved in plaintext mode"
    );

    // Ref mode writes a reference, never the key.
    let env = TestEnv::new().env("CUSTOM_API_KEY", "from-env");
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "custom-api-key",
        "--custom-base-url",
        "http://127.0.0.1:9/v1",
        "--custom-model-id",
        "m",
        "--secret-input-mode",
        "ref",
        "--custom-text-input",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(
        text.contains("${CUSTOM_API_KEY}") && !text.contains("from-env"),
        "{text}"
    );

    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "custom-api-key",
        "--custom-model-id",
        "m",
    ]);
    assert_eq!(out.code, 2, "the base URL is required: {out:?}");
}

#[test]
fn provider_keys_from_flags_or_env_and_ref_mode() {
    for (choice, provider, var) in [
        ("openai-api-key", "openai", "OPENAI_API_KEY"),
        ("anthropic-api-key", "anthropic", "ANTHROPIC_API_KEY"),
        ("apiKey", "anthropic", "ANTHROPIC_API_KEY"),
        ("gemini-api-key", "google", "GEMINI_API_KEY"),
        ("openrouter-api-key", "openrouter", "OPENROUTER_API_KEY"),
        ("mistral-api-key", "mistral", "MISTRAL_API_KEY"),
        ("huggingface-api-key", "huggingface", "HF_TOKEN"),
    ] {
        let env = TestEnv::new().env(var, "env-secret");
        let out = env.run(&[
            "onboard",
            "--non-interactive",
            "--auth-choice",
            choice,
            "--json",
        ]);
        assert_eq!(out.code, 0, "{choice}: {out:?}");
        assert_eq!(out.json()["provider"], provider);
        let primary = config_value(&env, "agents.defaults.model.primary");
        assert!(
            primary
                .as_str()
                .unwrap()
                .starts_with(&format!("{provider}/")),
            "{choice}: {primary}"
        );
        assert_eq!(
            profiles(&env)["profiles"][format!("{provider}:default")]["key"],
            "env-secret"
        );

        let env = TestEnv::new().env(var, "env-secret");
        let out = env.run(&[
            "onboard",
            "--non-interactive",
            "--auth-choice",
            choice,
            "--secret-input-mode",
            "ref",
        ]);
        assert_eq!(out.code, 0, "{choice}: {out:?}");
        let profile = &profiles(&env)["profiles"][format!("{provider}:default")];
        assert_eq!(
            profile["keyRef"],
            json!({"source": "env", "provider": "default", "id": var})
        );
        assert!(profile.get("key").is_none());
    }
    // No key anywhere: a usage error and nothing written.
    let env = TestEnv::new();
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "openai-api-key",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(out.json()["ok"], false);
    assert!(!env.config_path().exists());
    // Ref mode with an inline key but no env var fails fast.
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "openai-api-key",
        "--openai-api-key",
        "sk-x",
        "--secret-input-mode",
        "ref",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(!env.config_path().exists());
}

#[test]
fn local_runtimes_and_skip() {
    let env = TestEnv::new();
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--accept-risk",
        "--skip-health",
        "--auth-choice",
        "ollama",
        "--custom-base-url",
        "http://ollama-host:11434",
        "--custom-model-id",
        "qwen3.5:27b",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        config_value(&env, "models.providers.ollama.baseUrl"),
        "http://ollama-host:11434"
    );
    assert_eq!(
        config_value(&env, "agents.defaults.model.primary"),
        "ollama/qwen3.5:27b"
    );

    let env = TestEnv::new().env("LM_API_TOKEN", "lm-token");
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "lmstudio",
        "--custom-base-url",
        "http://localhost:1234/v1",
        "--custom-model-id",
        "qwen/qwen3.5-9b",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        config_value(&env, "agents.defaults.model.primary"),
        "lmstudio/qwen/qwen3.5-9b"
    );
    assert_eq!(
        config_value(&env, "models.providers.lmstudio.api"),
        "openai-completions"
    );

    let env = TestEnv::new();
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "llama-cpp-existing-server",
        "--custom-base-url",
        "http://127.0.0.1:8080/v1",
        "--custom-model-id",
        "my-model",
        "--llama-server-api-key",
        "llama-key",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        config_value(&env, "agents.defaults.model.primary"),
        "llama-cpp/my-model"
    );

    let env = TestEnv::new();
    env.write_config(COMMENTED);
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "skip",
        "--install-daemon",
        "--flow",
        "quickstart",
        "--workspace",
        "/tmp/ws",
        "--gateway-port",
        "18789",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["model"], Value::Null);
    assert!(
        out.stderr.contains("--install-daemon") && out.stderr.contains("--gateway-port"),
        "{}",
        out.stderr
    );

    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "carrier-pigeon",
    ]);
    assert_eq!(out.code, 2);
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--mode",
        "remote",
        "--auth-choice",
        "skip",
    ]);
    assert_eq!(out.code, 2);
}

#[test]
fn read_only_config_refuses_onboarding() {
    let env = TestEnv::new().env("OPENCLAW_CONFIG_READONLY", "1");
    env.write_config(COMMENTED);
    let out = env.run(&[
        "onboard",
        "--non-interactive",
        "--auth-choice",
        "huggingface-api-key",
        "--huggingface-api-key",
        "hf_x",
    ]);
    assert_ne!(out.code, 0, "{out:?}");
    assert_eq!(
        std::fs::read_to_string(env.config_path()).unwrap(),
        COMMENTED
    );
    assert!(
        !env.state_dir()
            .join("agents/main/agent/auth-profiles.json")
            .exists()
    );
}

#[test]
fn interactive_without_a_terminal_says_how_to_script_it() {
    let env = TestEnv::new();
    let out = env.run(&["onboard", "--json"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.json()["ok"], false);
    assert!(out.stderr.contains("--non-interactive"));
}

// ---------------------------------------------------------------------------
// Interactive, through a pseudo-terminal.

fn pty_command(env: &TestEnv, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("openclaw"));
    command.env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    command.env("HOME", env.home.path());
    command.env("OPENCLAW_HOME", env.home.path());
    command.env("NO_PROXY", "*");
    command.env("TERM", "dumb");
    command.current_dir(env.home.path());
    command.args(args);
    command
}

#[tokio::test]
async fn interactive_hugging_face_with_discovered_models() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"object": "list", "data": [
                {"id": "zz-org/Only-Discovered-Model", "object": "model"}
            ]})),
        )
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        "{{\n  // router for the test\n  models: {{ providers: {{ huggingface: {{ baseUrl: \"{}/v1\" }} }} }},\n}}\n",
        server.uri()
    ));
    let command = pty_command(&env, &["onboard"]);
    let result = tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
        let mut session = rexpect::session::spawn_command(command, Some(15_000))?;
        session.exp_string("How should openclaw reach a model?")?;
        session.exp_string("Choose 1-11 [1]: ")?;
        session.send_line("1")?;
        session.exp_string("Hugging Face API key (input hidden")?;
        session.send_line("hf_typed_secret")?;
        let (listing, _) = session.exp_regex(r"Choose 1-\d+ \[1\]: ")?;
        session.send_line("zz-org/Only-Discovered-Model:fastest")?;
        let rest = session.exp_eof()?;
        Ok(format!("{listing}{rest}"))
    })
    .await
    .unwrap()
    .expect("the onboarding dialogue");
    assert!(
        result.contains("Only Discovered Model"),
        "the menu lists the router's models:\n{result}"
    );
    assert!(
        result.contains("DeepSeek R1"),
        "and the built-in ones:\n{result}"
    );
    assert!(
        !result.contains("hf_typed_secret"),
        "the key is not echoed:\n{result}"
    );
    let gets = server.received_requests().await.unwrap();
    assert_eq!(
        gets[0].headers.get("authorization").unwrap(),
        "Bearer hf_typed_secret"
    );
    assert_eq!(
        config_value(&env, "agents.defaults.model.primary"),
        "huggingface/zz-org/Only-Discovered-Model:fastest"
    );
    assert_eq!(
        profiles(&env)["profiles"]["huggingface:default"]["key"],
        "hf_typed_secret"
    );
    assert!(
        std::fs::read_to_string(env.config_path())
            .unwrap()
            .contains("// router for the test")
    );
}

#[tokio::test]
async fn interactive_falls_back_to_the_built_in_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        "{{ models: {{ providers: {{ huggingface: {{ baseUrl: \"{}/v1\" }} }} }} }}",
        server.uri()
    ));
    let command = pty_command(&env, &["onboard", "--auth-choice", "huggingface-api-key"]);
    let result = tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
        let mut session = rexpect::session::spawn_command(command, Some(15_000))?;
        session.exp_string("API key (input hidden")?;
        session.send_line("hf_other")?;
        let listing = session.exp_string("Choose 1-11 [1]: ")?;
        session.send_line("2")?;
        session.exp_eof()?;
        Ok(listing)
    })
    .await
    .unwrap()
    .expect("the onboarding dialogue");
    assert!(
        result.contains("discovery failed"),
        "a note says why:\n{result}"
    );
    let primary = config_value(&env, "agents.defaults.model.primary");
    assert_eq!(
        primary, "huggingface/deepseek-ai/DeepSeek-V3.1",
        "the second built-in model"
    );
}
