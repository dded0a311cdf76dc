//! End to end against a real searx server (Debian `searx`) with its offline
//! sqlite engine, started by `scripts/with-searx.sh`, which writes the
//! documents below into an FTS5 table and exports the server's URL.
//! The test is `#[ignore]`d: `scripts/test.sh` runs it
//! (`--include-ignored`), and there a missing server fails it.

use crate::support::{TestEnv, engine_var};

#[test]
#[ignore = "needs the searx server: scripts/test.sh"]
fn searx_finds_the_documents_written_by_the_wrapper() {
    let url = engine_var(
        "OPENCLAW_TEST_SEARX_URL",
        "it starts the server with scripts/with-searx.sh",
    );
    let env = TestEnv::new().env("SEARXNG_BASE_URL", &url);
    let out = env.run(&["infer", "web", "search", "--query", "otters", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let envelope = out.json();
    assert_eq!(envelope["ok"], true);
    assert_eq!(envelope["provider"], "searxng");
    let result = &envelope["outputs"][0]["result"];
    let results = result["results"].as_array().unwrap();
    let urls: Vec<&str> = results.iter().map(|r| r["url"].as_str().unwrap()).collect();
    assert!(
        urls.contains(&"https://docs.example/sea-otters"),
        "{urls:?}"
    );
    assert!(
        urls.contains(&"https://docs.example/river-otters"),
        "{urls:?}"
    );
    assert!(!urls.contains(&"https://docs.example/rust"), "{urls:?}");
    let sea = results
        .iter()
        .find(|r| r["url"] == "https://docs.example/sea-otters")
        .unwrap();
    assert_eq!(sea["title"], "Sea otters hold hands");
    assert!(sea["snippet"].as_str().unwrap().contains("kelp"));

    // --limit cuts the list; another query finds the other document.
    let out = env.run(&[
        "infer", "web", "search", "--query", "otters", "--limit", "1", "--json",
    ]);
    assert_eq!(
        out.json()["outputs"][0]["result"]["results"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let out = env.run(&["infer", "web", "search", "--query", "ownership", "--json"]);
    let results = out.json()["outputs"][0]["result"]["results"].clone();
    assert_eq!(results[0]["title"], "Rust ownership explained", "{results}");
    assert_eq!(results[0]["url"], "https://docs.example/rust");
}
