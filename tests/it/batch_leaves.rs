//! `--batch` on `image describe`, `audio transcribe` and `web fetch`:
//! lines keyed by each command's flags, command-line flags as defaults,
//! invalid lines refused by number before anything is sent.

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::audio::{multipart_parts, wav_bytes};
use crate::support::{TestEnv, completion, env_for, received_bodies, write_png};

fn write_lines(env: &TestEnv, name: &str, lines: &[Value]) -> String {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let file = env.path(name);
    std::fs::write(&file, text).unwrap();
    file.display().to_string()
}

fn records(text: &str) -> Vec<Value> {
    let mut records: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("torn {line:?}: {e}")))
        .collect();
    records.sort_by_key(|r| r["line"].as_u64());
    records
}

/// Answers a chat request with the text part of its prompt.
struct EchoPrompt;

impl Respond for EchoPrompt {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let prompt = body["messages"][0]["content"]
            .as_array()
            .and_then(|parts| parts.iter().find_map(|p| p["text"].as_str()))
            .unwrap_or_default()
            .to_owned();
        ResponseTemplate::new(200).set_body_json(completion(&format!("seen: {prompt}")))
    }
}

#[tokio::test]
async fn image_describe_runs_a_line_per_image_with_inherited_flags() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(EchoPrompt)
        .mount(&server)
        .await;
    let env = env_for(&server, "");
    write_png(&env.path("a.png"));
    write_png(&env.path("b.png"));
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"id": "a", "file": "a.png"}),
            json!({"id": "b", "file": "b.png", "prompt": "Count the pixels"}),
        ],
    );
    let out = env.run(&[
        "infer",
        "image",
        "describe",
        "--model",
        "loop/m1",
        "--prompt",
        "What colour?",
        "--batch",
        &input,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let records = records(&out.stdout);
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["id"], "a");
    assert_eq!(records[0]["capability"], "image.describe");
    assert_eq!(records[0]["outputs"][0]["path"], "a.png");
    assert_eq!(records[0]["outputs"][0]["text"], "seen: What colour?");
    assert_eq!(records[1]["id"], "b");
    assert_eq!(records[1]["line"], 2);
    assert_eq!(records[1]["outputs"][0]["text"], "seen: Count the pixels");
    assert!(
        out.stderr.contains("batch: 2 done, 0 failed"),
        "{}",
        out.stderr
    );

    let mut prompts: Vec<String> = received_bodies(&server)
        .await
        .iter()
        .map(|body| {
            assert_eq!(body["model"], "m1");
            body["messages"][0]["content"][0]["text"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    prompts.sort();
    assert_eq!(prompts, ["Count the pixels", "What colour?"]);
}

#[tokio::test]
async fn image_describe_refuses_missing_files_by_line_before_sending() {
    let server = MockServer::builder().start().await;
    let env = env_for(&server, "");
    write_png(&env.path("a.png"));
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"file": "a.png"}),
            json!({"file": "gone.png"}),
            json!({"prompt": "no file"}),
            json!({"file": "a.png", "thinking": "high"}),
        ],
    );
    let out = env.run(&[
        "infer", "image", "describe", "--model", "loop/m1", "--batch", &input,
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    assert!(
        out.stderr
            .contains("line 2: `file` gone.png does not exist"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 3: `file` is missing"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 4: unknown field `thinking`"),
        "{}",
        out.stderr
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn audio_transcribe_sends_each_file_with_its_language() {
    let server = MockServer::builder().start().await;
    Mock::given(method("POST"))
        .and(path("/v1/audio/transcriptions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"text": " hello"})))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{ models: {{ providers: {{ openai: {{ baseUrl: "{}/v1", apiKey: "test-key" }} }} }} }}"#,
        server.uri()
    ));
    std::fs::write(env.path("one.wav"), wav_bytes()).unwrap();
    std::fs::write(env.path("two.wav"), wav_bytes()).unwrap();
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"id": 1, "file": "one.wav"}),
            json!({"id": 2, "file": "two.wav", "language": "de", "prompt": "Names: Ada"}),
        ],
    );
    let out = env.run(&[
        "infer",
        "audio",
        "transcribe",
        "--model",
        "openai/whisper-1",
        "--language",
        "en",
        "--batch",
        &input,
        "--ordered",
        "--concurrency",
        "1",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let lines: Vec<Value> = out
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(lines[0]["capability"], "audio.transcribe");
    assert_eq!(lines[0]["outputs"][0]["path"], "one.wav");
    assert_eq!(lines[0]["outputs"][0]["text"], "hello");
    assert_eq!(lines[1]["outputs"][0]["path"], "two.wav");

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let fields: Vec<(String, Option<String>)> = requests
        .iter()
        .map(|request| {
            let parts = multipart_parts(request);
            let text = |name: &str| {
                parts
                    .get(name)
                    .map(|p| String::from_utf8_lossy(&p.body).into_owned())
            };
            (text("language").unwrap(), text("prompt"))
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("en".to_owned(), None),
            ("de".to_owned(), Some("Names: Ada".to_owned()))
        ]
    );
}

fn fetch_env(extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write_config(&format!(
        "{{ tools: {{ web: {{ fetch: {{ ssrfPolicy: {{ dangerouslyAllowPrivateNetwork: true }} }} }} }}, {extra} }}"
    ));
    env
}

async fn pages() -> MockServer {
    let server = MockServer::builder().start().await;
    for (route, title) in [("/one", "First page"), ("/two", "Second page")] {
        let html = format!(
            "<html><head><title>{title}</title></head><body><main><h1>{title}</h1><p>Otters hold hands while they sleep so they do not drift apart.</p></main></body></html>"
        );
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(html.into_bytes(), "text/html; charset=utf-8"),
            )
            .mount(&server)
            .await;
    }
    server
}

#[tokio::test]
async fn web_fetch_lines_pick_url_and_format() {
    let server = pages().await;
    let env = fetch_env("");
    let one = format!("{}/one", server.uri());
    let two = format!("{}/two", server.uri());
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"id": "one", "url": one}),
            json!({"id": "two", "url": two, "format": "text"}),
        ],
    );
    let output = env.path("out.jsonl");
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--format",
        "markdown",
        "--batch",
        &input,
        "--output",
        output.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    // With --output the records go to the file; stdout has the summary.
    let summary: Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["done"], 2);
    let records = records(&std::fs::read_to_string(&output).unwrap());
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["capability"], "web.fetch");
    assert_eq!(records[0]["outputs"][0]["result"]["url"], one);
    assert_eq!(
        records[0]["outputs"][0]["result"]["extractMode"],
        "markdown"
    );
    assert_eq!(records[1]["outputs"][0]["result"]["url"], two);
    assert_eq!(records[1]["outputs"][0]["result"]["extractMode"], "text");
    let mut paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    paths.sort();
    assert_eq!(paths, ["/one", "/two"]);

    // --resume skips both recorded ids: nothing more is fetched.
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--batch",
        &input,
        "--output",
        output.to_str().unwrap(),
        "--resume",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn web_fetch_bad_lines_stop_the_run_or_fail_alone_with_keep_going() {
    let server = pages().await;
    let env = fetch_env("");
    let one = format!("{}/one", server.uri());
    let input = write_lines(
        &env,
        "in.jsonl",
        &[
            json!({"url": one}),
            json!({"url": one, "format": "pdf"}),
            json!({"format": "text"}),
        ],
    );
    let out = env.run(&["infer", "web", "fetch", "--batch", &input]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("line 2: `format` must be one of"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("line 3: `url` is missing"),
        "{}",
        out.stderr
    );
    assert!(server.received_requests().await.unwrap().is_empty());

    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--batch",
        &input,
        "--keep-going",
        "--ordered",
    ]);
    assert_eq!(out.code, 1, "{out:?}");
    let records = records(&out.stdout);
    assert_eq!(records.len(), 3);
    assert_eq!(records[0]["ok"], true);
    assert_eq!(records[1]["ok"], false);
    assert_eq!(records[1]["error"]["reason"], "usage");
    assert_eq!(records[1]["capability"], "web.fetch");
    assert_eq!(records[2]["error"]["reason"], "usage");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_single_input_flag_is_required_without_batch() {
    let env = TestEnv::new();
    for args in [
        &["infer", "web", "fetch"][..],
        &["infer", "image", "describe"][..],
        &["infer", "audio", "transcribe"][..],
    ] {
        let out = env.run(args);
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.contains("required"), "{}", out.stderr);
    }
}

#[tokio::test]
async fn provider_batch_is_refused_for_these_commands_before_sending() {
    let server = pages().await;
    let env = fetch_env("");
    let input = write_lines(
        &env,
        "in.jsonl",
        &[json!({"url": format!("{}/one", server.uri())})],
    );
    let out = env.run(&[
        "infer",
        "web",
        "fetch",
        "--batch",
        &input,
        "--via",
        "provider-batch",
    ]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty());
    assert!(out.stderr.contains("provider-batch"), "{}", out.stderr);
    assert!(server.received_requests().await.unwrap().is_empty());
}
