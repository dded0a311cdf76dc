//! The local half of "trust under faults": absurd numbers and hostile
//! config files, concurrent and killed writers, device and FIFO inputs,
//! secrets echoed back by servers, control characters, empty env vars and
//! the panic hook. See docs/reliability.md.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion, provider_config};

const SECRET: &str = "sk-live-0123456789abcdef";

fn assert_no_secret(out: &crate::support::Outcome, secret: &str) {
    assert!(
        !out.stdout.contains(secret) && !out.stderr.contains(secret),
        "the secret leaked: {out:?}"
    );
}

// --- No input can crash it -------------------------------------------------

#[test]
fn the_panic_hook_prints_a_failed_envelope_and_exits_1() {
    let env = TestEnv::new().env("OPENCLAW_TEST_PANIC", "1");
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], false);
    assert_eq!(envelope["error"]["reason"], "internal");
    assert_eq!(envelope["capability"], "model.list");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: internal error"),
        "{}",
        out.stderr
    );

    let out = env.run(&["infer", "model", "list"]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.is_empty());
}

#[test]
fn absurd_numbers_in_the_config_are_refused_at_their_position() {
    for bad in ["1e20", "NaN", "-1", "Infinity"] {
        let env = TestEnv::new();
        env.write_config(&format!(
            "{{\n  agents: {{ defaults: {{\n    timeoutSeconds: {bad},\n  }} }},\n}}\n"
        ));
        let out = env.run(&["infer", "model", "list", "--json"]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("openclaw.json:3:"), "{bad}: {message}");
        assert!(
            message.contains("agents.defaults.timeoutSeconds"),
            "{bad}: {message}"
        );
    }
    let env = TestEnv::new();
    env.write_config("{ models: { providers: { p: { baseUrl: 'http://127.0.0.1:9/v1', api: 'openai-completions', timeoutSeconds: 1e300, models: [{ id: 'm' }] } } } }");
    let out = env.run(&["infer", "model", "run", "--model", "p/m", "--prompt", "hi"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("timeoutSeconds"), "{}", out.stderr);
}

#[test]
fn config_set_refuses_absurd_numbers_and_writes_nothing() {
    let env = TestEnv::new();
    env.write_config("{}\n");
    for bad in ["1e20", "NaN", "-5"] {
        let out = env.run(&["config", "set", "agents.defaults.timeoutSeconds", bad]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        assert!(
            out.stderr.contains("timeoutSeconds")
                || out.stderr.contains("`NaN` is not a finite number"),
            "{}",
            out.stderr
        );
    }
    assert_eq!(std::fs::read_to_string(env.config_path()).unwrap(), "{}\n");
    let out = env.run(&["config", "set", "agents.defaults.timeoutSeconds", "90"]);
    assert_eq!(out.code, 0, "{out:?}");
}

#[test]
fn absurd_timeout_flags_are_usage_errors() {
    let env = TestEnv::new();
    for bad in ["18446744073709551615", "1e20", "-1", "0", "NaN"] {
        let flag = format!("--timeout-ms={bad}");
        let out = env.run(&["infer", "model", "run", "--prompt", "hi", &flag, "--json"]);
        assert_eq!(out.code, 2, "{bad}: {out:?}");
        assert_eq!(out.json()["error"]["reason"], "usage");
        assert!(out.stderr.contains("--timeout-ms"), "{}", out.stderr);
    }
}

#[test]
fn a_deeply_nested_config_fails_with_a_position_not_a_crash() {
    let env = TestEnv::new();
    let deep = format!("{{\n  tools: {}", "[".repeat(100_000));
    env.write_config(&deep);
    for args in [
        &["infer", "model", "list", "--json"][..],
        &["config", "get", "tools"],
        &["config", "validate"],
        &["config", "set", "gateway.port", "1"],
        &["doctor", "--json"],
    ] {
        let out = env.run(args);
        assert!(matches!(out.code, 1 | 2), "{args:?}: {out:?}");
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains("openclaw.json:2:"), "{args:?}: {all}");
        assert!(all.contains("nest deeper than 128"), "{args:?}: {all}");
    }
    // The same through a value given to `config set`.
    let env = TestEnv::new();
    let out = env.run(&["config", "set", "tools.x", &"[".repeat(100_000)]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stderr.contains("deeper than 128"), "{}", out.stderr);
}

#[test]
fn text_after_the_config_value_is_an_error_when_loading() {
    let env = TestEnv::new();
    env.write_config("{ agents: {} }\n} trailing\n");
    let out = env.run(&["infer", "model", "list", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    let message = out.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("openclaw.json:2:1"), "{message}");
    assert!(message.contains("unexpected text"), "{message}");
}

// --- No update is lost -----------------------------------------------------

#[test]
fn twenty_concurrent_config_sets_keep_every_key() {
    let env = TestEnv::new();
    env.write_config("{\n  // kept\n  gateway: { port: 18789 },\n}\n");
    let children: Vec<_> = (0..20)
        .map(|i| {
            env.std_command(&["config", "set", &format!("tools.key{i}"), &format!("{i}")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    let out = env.run(&["config", "get", "tools", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let tools = out.json();
    for i in 0..20 {
        assert_eq!(tools[format!("key{i}")], i, "key{i} lost: {tools}");
    }
    let text = std::fs::read_to_string(env.config_path()).unwrap();
    assert!(text.contains("// kept"), "{text}");
}

#[test]
fn concurrent_tts_state_changes_all_take_effect() {
    let env = TestEnv::new();
    let state = env.state_dir().join("tts-state.json");
    for round in 0..6 {
        let _ = std::fs::remove_file(&state);
        let commands: [&[&str]; 3] = [
            &["infer", "tts", "disable"],
            &["infer", "tts", "set-provider", "--provider", "openai"],
            &["infer", "tts", "set-persona", "--off"],
        ];
        let children: Vec<_> = commands
            .iter()
            .map(|args| {
                env.std_command(args)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = child.wait_with_output().unwrap();
            assert!(output.status.success(), "{output:?}");
        }
        let saved: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        assert_eq!(
            saved,
            serde_json::json!({"enabled": false, "provider": "openai", "persona": ""}),
            "round {round}"
        );
    }
}

#[test]
fn twelve_parallel_logins_keep_every_profile() {
    let env = TestEnv::new();
    let providers: String = (0..12)
        .map(|i| {
            format!("p{i}: {{ baseUrl: 'http://127.0.0.1:9/v1', api: 'openai-completions', models: [{{ id: 'm' }}] }},")
        })
        .collect();
    env.write_config(&format!("{{ models: {{ providers: {{ {providers} }} }} }}"));
    let children: Vec<_> = (0..12)
        .map(|i| {
            let mut child = env
                .std_command(&[
                    "infer",
                    "model",
                    "auth",
                    "login",
                    "--provider",
                    &format!("p{i}"),
                ])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin
                .write_all(format!("sk-key-number-{i:04}\n").as_bytes())
                .unwrap();
            drop(stdin);
            child
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{output:?}");
    }
    let path = env.state_dir().join("agents/main/agent/auth-profiles.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for i in 0..12 {
        assert_eq!(
            saved["profiles"][format!("p{i}:default")]["key"],
            format!("sk-key-number-{i:04}"),
            "p{i} lost"
        );
    }
}

fn stray_temps(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".tmp-"))
        .collect()
}

#[test]
fn a_writer_killed_at_any_instant_leaves_old_or_new_and_no_stray_temp() {
    let env = TestEnv::new();
    // Below the kernel's 128 KiB limit on one argument.
    let big = "x".repeat(100_000);
    env.write_config(&format!(
        "{{ models: {{ providers: {{ p: {{ apiKey: '{SECRET}', baseUrl: 'http://127.0.0.1:9/v1', models: [{{ id: 'm' }}] }} }} }} }}\n"
    ));
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    for round in 0..25 {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let delay = Duration::from_micros((seed >> 33) % 40_000);
        let value = format!("{big}{round}");
        let mut child = env
            .std_command(&["config", "set", "tools.big", &value])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        let out = env.run(&["config", "get", "tools.big"]);
        assert!(
            out.code == 0 || out.stderr.contains("`tools.big` is not set"),
            "round {round}: the config does not parse: {out:?}"
        );
        if out.code == 0 {
            assert!(out.stdout.starts_with(&big), "round {round}");
        }
    }
    // The next writer removes whatever a killed one left behind.
    let out = env.run(&["config", "set", "gateway.port", "1234"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(stray_temps(&env.state_dir()), Vec::<String>::new());
}

#[test]
fn a_stale_temp_copy_is_removed_by_the_next_run() {
    let env = TestEnv::new();
    env.write_config("{}\n");
    let stale = env.state_dir().join(".openclaw-openclaw.json.tmp-KILLED");
    std::fs::write(&stale, format!("{{ apiKey: '{SECRET}' }}")).unwrap();
    let out = env.run(&["config", "set", "gateway.port", "1234"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!stale.exists());
}

// --- Input files -----------------------------------------------------------

#[test]
fn devices_fifos_and_directories_are_refused_as_inputs() {
    let env = TestEnv::new();
    env.write_config(&provider_config("http://127.0.0.1:9/v1", ""));
    let fifo = env.path("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.display().to_string();
    let dir = env.home.path().display().to_string();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--prompt".into(), "@/dev/zero".into()],
            "--prompt file /dev/zero",
        ),
        (vec!["--prompt".into(), format!("@{fifo}")], "--prompt file"),
        (vec!["--prompt".into(), format!("@{dir}")], "is a directory"),
        (
            vec![
                "--prompt".into(),
                "hi".into(),
                "--file".into(),
                "/dev/zero".into(),
            ],
            "--file /dev/zero",
        ),
        (
            vec![
                "--prompt".into(),
                "hi".into(),
                "--file".into(),
                fifo.clone(),
            ],
            "--file",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["infer", "model", "run", "--model", "loop/m1", "--json"];
        args.extend(extra.iter().map(String::as_str));
        let started = Instant::now();
        let out = env.run(&args);
        assert!(started.elapsed() < Duration::from_secs(10), "{args:?} hung");
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert_eq!(out.json()["error"]["reason"], "usage");
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn a_prompt_over_the_cap_is_refused() {
    let env = TestEnv::new().env("OPENCLAW_MAX_INPUT_MB", "1");
    env.write_config(&provider_config("http://127.0.0.1:9/v1", ""));
    let path = env.path("big.txt");
    std::fs::write(&path, vec![b'a'; 1024 * 1024 + 1]).unwrap();
    let prompt = format!("@{}", path.display());
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", &prompt,
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("larger than the 1 MiB limit"),
        "{}",
        out.stderr
    );
    let out = env
        .command(&[
            "infer", "model", "run", "--model", "loop/m1", "--prompt", "-",
        ])
        .write_stdin(vec![b'a'; 1024 * 1024 + 10])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    let env = TestEnv::new().env("OPENCLAW_MAX_INPUT_MB", "1e9");
    let out = env.run(&["infer", "model", "run", "--prompt", "@x"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains("OPENCLAW_MAX_INPUT_MB"),
        "{}",
        out.stderr
    );
}

#[test]
fn sigint_while_reading_the_prompt_from_stdin_is_a_cancelled_envelope() {
    let env = TestEnv::new();
    env.write_config(&provider_config("http://127.0.0.1:9/v1", ""));
    let mut child = env
        .std_command(&["infer", "model", "run", "--model", "loop/m1", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let started = Instant::now();
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "must end at once"
    );
    assert_eq!(output.status.code(), Some(130), "{output:?}");
    let envelope: Value = serde_json::from_slice(&output.stdout).expect("one JSON document");
    assert_eq!(envelope["error"]["reason"], "cancelled");
}

// --- Secrets never printed -------------------------------------------------

fn secret_config(base_url: &str) -> String {
    format!(
        r#"{{ models: {{ providers: {{ loop: {{ baseUrl: "{base_url}", apiKey: "{SECRET}", api: "openai-completions",
             headers: {{ "X-Custom-Auth": "hdr-value-998877" }}, proxy: "http://proxyuser:proxy-pass-4455@127.0.0.1:9",
             models: [{{ id: "m1" }}] }} }} }} }}"#
    )
}

#[tokio::test]
async fn a_provider_error_echoing_the_key_is_masked() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_string(format!(
            "{{\"error\":{{\"message\":\"Incorrect API key provided: {SECRET}; header hdr-value-998877\"}}}}"
        )))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&secret_config(&format!("{}/v1", server.uri())).replace(
        "proxy: \"http://proxyuser:proxy-pass-4455@127.0.0.1:9\",",
        "",
    ));
    for extra in [&["--json"][..], &[]] {
        let mut args = vec![
            "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi",
        ];
        args.extend(extra);
        let out = env.run(&args);
        assert_eq!(out.code, 1, "{out:?}");
        assert_no_secret(&out, SECRET);
        assert_no_secret(&out, "hdr-value-998877");
        assert!(
            out.stderr.contains("Incorrect API key provided: ***"),
            "{}",
            out.stderr
        );
        if !extra.is_empty() {
            assert_eq!(out.json()["error"]["reason"], "auth");
        }
    }
    let out = env.run(&[
        "--log-level",
        "debug",
        "infer",
        "model",
        "run",
        "--model",
        "loop/m1",
        "--prompt",
        "hi",
    ]);
    assert_no_secret(&out, SECRET);
}

#[test]
fn doctor_never_prints_a_secret() {
    let env = TestEnv::new()
        .env("OPENAI_API_KEY", "sk-env-openai-key-5566")
        .env(
            "HTTPS_PROXY",
            "http://puser:proxy-secret-7788@proxy.corp:3128",
        )
        .env("NO_PROXY", "");
    env.write_config(&secret_config("http://127.0.0.1:9/v1"));
    for args in [&["doctor"][..], &["doctor", "--json"]] {
        let out = env.run(args);
        for secret in [
            SECRET,
            "hdr-value-998877",
            "proxy-pass-4455",
            "proxy-secret-7788",
            "sk-env-openai-key-5566",
        ] {
            assert_no_secret(&out, secret);
        }
    }
}

#[test]
fn usage_errors_quoting_a_key_mask_it() {
    let env = TestEnv::new().env("OPENAI_API_KEY", "sk-env-openai-key-5566");
    env.write_config(&secret_config("http://127.0.0.1:9/v1"));
    // A key pasted where a model reference goes.
    for key in [SECRET, "sk-env-openai-key-5566"] {
        let out = env.run(&[
            "infer", "model", "run", "--model", key, "--prompt", "hi", "--json",
        ]);
        assert_ne!(out.code, 0, "{out:?}");
        assert_no_secret(&out, key);
        // And one clap refuses before any command runs.
        let out = env.run(&[
            "infer",
            "model",
            "run",
            "--prompt",
            "hi",
            "--thinking",
            key,
            "--json",
        ]);
        assert_eq!(out.code, 2, "{out:?}");
        assert_no_secret(&out, key);
        assert!(out.stderr.contains("***"), "{}", out.stderr);
    }
}

#[test]
fn config_get_masks_secrets_unless_asked() {
    let env = TestEnv::new();
    env.write_config(&secret_config("http://127.0.0.1:9/v1"));
    let out = env.run(&["config", "get", "models.providers.loop", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    for secret in [SECRET, "hdr-value-998877", "proxy-pass-4455"] {
        assert_no_secret(&out, secret);
    }
    let out = env.run(&[
        "config",
        "get",
        "models.providers.loop.headers.X-Custom-Auth",
    ]);
    assert_no_secret(&out, "hdr-value-998877");
    let out = env.run(&[
        "config",
        "get",
        "models.providers.loop.apiKey",
        "--show-secrets",
    ]);
    assert_eq!(out.stdout, format!("{SECRET}\n"));
    let out = env.run(&[
        "config",
        "get",
        "models.providers.loop",
        "--json",
        "--show-secrets",
    ]);
    assert_eq!(out.json()["headers"]["X-Custom-Auth"], "hdr-value-998877");
}

// --- Terminal safety -------------------------------------------------------

#[tokio::test]
async fn a_key_streamed_back_in_pieces_is_masked() {
    let server = MockServer::builder().start().await;
    let stream =
        crate::support::completion_stream(&["you said sk-live-01", "23456789ab", "cdef, ok"]);
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(stream),
        )
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&secret_config(&format!("{}/v1", server.uri())).replace(
        "proxy: \"http://proxyuser:proxy-pass-4455@127.0.0.1:9\",",
        "",
    ));
    let base = [
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi",
    ];
    let out = env.run(&base);
    assert_eq!(out.code, 0, "{out:?}");
    assert_no_secret(&out, SECRET);
    assert_eq!(out.stdout, "you said ***, ok\n");

    let out = env.run(&[&base[..], &["--stream", "json"]].concat());
    assert_eq!(out.code, 0, "{out:?}");
    assert_no_secret(&out, SECRET);
    let deltas: String = out
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["type"] == "delta")
        .map(|event| event["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(deltas, "you said ***, ok");
}

#[tokio::test]
async fn control_characters_from_servers_are_escaped() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion(
            "line one\n\ttabbed\x1b]0;pwned\x07 \x1b[2Jdone\rfake",
        )))
        .mount(&server)
        .await;
    let env = crate::support::env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!out.stdout.contains('\x1b') && !out.stdout.contains('\x07'));
    assert!(
        out.stdout
            .contains("line one\n\ttabbed\\x1b]0;pwned\\x07 \\x1b[2Jdone\\rfake"),
        "{:?}",
        out.stdout
    );
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi", "--json",
    ]);
    let envelope = out.json();
    assert_eq!(
        envelope["outputs"][0]["text"],
        "line one\n\ttabbed\x1b]0;pwned\x07 \x1b[2Jdone\rfake"
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(500).set_body_string("\x1b[31mboom\x07\x1b]52;c;AAAA\x07"),
        )
        .mount(&server)
        .await;
    let env = crate::support::env_for(&server, "");
    let out = env.run(&[
        "infer", "model", "run", "--model", "loop/m1", "--prompt", "hi", "--json",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        !out.stderr.contains('\x1b') && !out.stderr.contains('\x07'),
        "{:?}",
        out.stderr
    );
    assert!(out.stderr.contains("\\x1b[31mboom"), "{:?}", out.stderr);
    out.json();
}

// --- Env as users set it ---------------------------------------------------

#[test]
fn empty_env_vars_count_as_unset() {
    let env = TestEnv::new()
        .env("OPENCLAW_LOG_LEVEL", "")
        .env("OPENCLAW_PROFILE", "")
        .env("OPENCLAW_CONFIG_PATH", "")
        .env("OPENCLAW_STATE_DIR", "")
        .env("OPENCLAW_MAX_INPUT_MB", "");
    let out = env.run(&["config", "file"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.stdout.trim(), env.config_path().display().to_string());
    let out = env.run(&["infer", "model", "providers", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    // A set value still counts, and a bad one is still refused.
    let out = TestEnv::new()
        .env("OPENCLAW_LOG_LEVEL", "loud")
        .run(&["config", "file"]);
    assert_eq!(out.code, 2, "{out:?}");
}
