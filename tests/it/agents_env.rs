//! Config `env.vars` / `env.shellEnv` and agent resolution (`--agent`,
//! `agents.defaults.systemAgent.agentId`, the sole configured agent).

use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    server
}

/// A provider `loop` whose key is `${LOOP_KEY}`, plus `extra` config.
fn env_with(server: &MockServer, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ loop: {{ baseUrl: "{}/v1", apiKey: "${{LOOP_KEY}}",
             streaming: false, models: [{{ id: "m1" }}, {{ id: "m2" }}] }} }} }},
           {extra} }}"#,
        server.uri()
    ));
    env
}

async fn sent(server: &MockServer) -> (String, String) {
    let requests = server.received_requests().await.unwrap();
    let request = requests.last().expect("a request");
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    let auth = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (body["model"].as_str().unwrap_or_default().to_owned(), auth)
}

const RUN: &[&str] = &["infer", "model", "run", "--prompt", "hi", "--json"];

#[tokio::test]
async fn env_vars_fill_only_missing_variables() {
    let server = server().await;
    let extra = r#"env: { vars: { LOOP_KEY: "from-config" } },
                   agents: { defaults: { model: "loop/m1" } }"#;
    let env = env_with(&server, extra);
    let outcome = env.run(RUN);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(sent(&server).await.1, "Bearer from-config");

    let env = env_with(&server, extra).env("LOOP_KEY", "from-process");
    assert_eq!(env.run(RUN).code, 0);
    assert_eq!(sent(&server).await.1, "Bearer from-process");
}

#[tokio::test]
async fn shell_env_imports_a_missing_key_from_the_login_shell() {
    let server = server().await;
    let env = env_with(
        &server,
        r#"env: { shellEnv: { enabled: true, timeoutMs: 5000 } },
           agents: { defaults: { model: "loop/m1" } }"#,
    );
    // A stand-in login shell that prints its environment as `env -0` would.
    let shell = env.path("fake-shell");
    std::fs::write(
        &shell,
        "#!/bin/sh\nprintf 'LOOP_KEY=from-shell\\000OTHER=x\\000'\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let env = env.env("SHELL", shell.to_str().unwrap());
    let outcome = env.run(RUN);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(sent(&server).await.1, "Bearer from-shell");
}

#[tokio::test]
async fn a_login_shell_that_hangs_is_given_up_on() {
    let server = server().await;
    let env = env_with(
        &server,
        r#"env: { shellEnv: { enabled: true, timeoutMs: 300 } },
           agents: { defaults: { model: "loop/m1" } }"#,
    );
    let shell = env.path("slow-shell");
    std::fs::write(&shell, "#!/bin/sh\nsleep 30\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shell, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let env = env.env("SHELL", shell.to_str().unwrap());
    let started = std::time::Instant::now();
    let outcome = env.run(RUN);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    // The key stays missing: a config error naming it, not a hang.
    assert_ne!(outcome.code, 0);
    assert!(outcome.stderr.contains("LOOP_KEY"), "{}", outcome.stderr);
}

#[tokio::test]
async fn the_agent_picks_its_own_model() {
    let server = server().await;
    let agents = r#"env: { vars: { LOOP_KEY: "k" } },
        agents: { defaults: { model: "loop/m1" SYSTEM },
                  entries: { work: { model: "loop/m2" }, home: {} } }"#;
    let plain = env_with(&server, &agents.replace("SYSTEM", ""));
    assert_eq!(plain.run(RUN).code, 0);
    assert_eq!(
        sent(&server).await.0,
        "m1",
        "two agents, no owner: defaults"
    );

    let mut args = vec!["infer", "--agent", "work"];
    args.extend_from_slice(&RUN[1..]);
    let outcome = plain.run(&args);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert_eq!(sent(&server).await.0, "m2", "--agent work");

    let owned = env_with(
        &server,
        &agents.replace("SYSTEM", r#", systemAgent: { agentId: "work" }"#),
    );
    assert_eq!(owned.run(RUN).code, 0);
    assert_eq!(sent(&server).await.0, "m2", "systemAgent.agentId");

    let sole = env_with(
        &server,
        r#"env: { vars: { LOOP_KEY: "k" } },
           agents: { defaults: { model: "loop/m1" }, list: [{ id: "solo", model: "loop/m2" }] }"#,
    );
    assert_eq!(sole.run(RUN).code, 0);
    assert_eq!(sent(&server).await.0, "m2", "the sole agent");
}
