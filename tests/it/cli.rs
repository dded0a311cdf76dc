//! The command tree itself: help, version, completions, list/inspect,
//! and the exit codes of usage errors.

use crate::support::TestEnv;

#[test]
fn help_and_version_exit_zero_even_with_a_broken_config() {
    let env = TestEnv::new();
    env.write_config("{ this is not json5 ");
    let out = env.run(&["--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("infer"));
    let out = env.run(&["infer", "model", "run", "--help"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.contains("--thinking"));
    let out = env.run(&["--version"]);
    assert_eq!(out.code, 0);
    assert!(out.stdout.starts_with("openclaw "));
    assert_eq!(env.run(&["-V"]).code, 0);
}

#[test]
fn capability_is_an_alias_for_infer() {
    let env = TestEnv::new();
    let out = env.run(&["capability", "list", "--json"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.json()[0]["id"], "model.run");
}

#[test]
fn list_and_inspect_describe_capabilities() {
    let env = TestEnv::new();
    // The reference's shape: a bare array of rows, not the envelope.
    let rows = env.run(&["infer", "list", "--json"]).json();
    let ids: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    for id in [
        "model.run",
        "image.generate",
        "audio.transcribe",
        "tts.convert",
        "video.generate",
        "web.search",
        "embedding.create",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let out = env.run(&["infer", "inspect", "--name", "model.run", "--json"]);
    assert_eq!(out.code, 0);
    let detail = out.json();
    assert_eq!(
        detail["transports"],
        serde_json::json!(["local", "gateway"])
    );
    // Bare flag names as the reference lists them; ours with value names.
    let flags: Vec<&str> = detail["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        flags.contains(&"--prompt") && flags.contains(&"--thinking"),
        "{flags:?}"
    );
    let details: Vec<&str> = detail["flagDetails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["flag"].as_str().unwrap())
        .collect();
    assert!(
        details.contains(&"--prompt <TEXT>") && details.contains(&"--thinking <LEVEL>"),
        "{details:?}"
    );
    assert!(detail["resultShape"].is_string());

    let out = env.run(&["infer", "inspect", "--name", "nope.nothing", "--json"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.envelope().error().reason, "usage");
}

#[test]
fn every_capability_in_the_list_is_available() {
    let env = TestEnv::new();
    let rows = env.run(&["infer", "list", "--json"]).json();
    let unavailable: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["available"] != true)
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(unavailable.is_empty(), "{unavailable:?}");
}

#[test]
fn clap_usage_errors_exit_2_and_still_print_one_envelope_with_json() {
    let env = TestEnv::new();
    let out = env.run(&["infer", "embedding", "create", "--json"]);
    assert_eq!(out.code, 2, "{out:?}");
    let envelope = out.envelope();
    assert_eq!(envelope.capability, "embedding.create");
    assert_eq!(envelope.error().reason, "usage");
    assert!(envelope.error().message.contains("--text"));

    for args in [
        vec![
            "infer", "image", "generate", "--prompt", "x", "--count", "0",
        ],
        vec!["infer", "web", "search", "--query", "x", "--limit", ""],
        vec![
            "infer",
            "video",
            "generate",
            "--prompt",
            "x",
            "--duration",
            "-3",
        ],
        vec!["infer", "image", "edit", "--prompt", "x"],
        vec![
            "infer", "image", "generate", "--prompt", "x", "--size", "big",
        ],
        vec!["infer", "nosuch"],
    ] {
        let out = env.run(&args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(
            out.stdout.is_empty(),
            "{args:?}: stdout must stay empty without --json"
        );
        assert!(out.stderr.contains("error"), "{args:?}");
    }
}

#[test]
fn video_resolution_is_case_insensitive() {
    let env = TestEnv::new();
    let out = env.run(&[
        "infer",
        "video",
        "generate",
        "--prompt",
        "x",
        "--resolution",
        "720p",
        "--json",
    ]);
    // Parsed fine; the capability itself is what answers.
    let envelope = out.envelope();
    assert_eq!(envelope.capability, "video.generate");
    assert!(!envelope.error().message.contains("resolution"));
}

#[test]
fn completion_scripts_are_generated() {
    let env = TestEnv::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.run(&["completion", shell]);
        assert_eq!(out.code, 0, "{shell}");
        assert!(out.stdout.contains("openclaw"), "{shell}");
    }
}

#[test]
fn container_option_is_refused_clearly() {
    let env = TestEnv::new();
    let out = env.run(&["--container", "box", "infer", "list"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not supported"));
}

#[test]
fn silent_log_level_prints_no_diagnostics() {
    let env = TestEnv::new();
    let out = env.run(&[
        "--log-level",
        "silent",
        "infer",
        "model",
        "run",
        "--prompt",
        "x",
        "--model",
        "bad",
        "--json",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert!(!out.envelope().ok);
}
