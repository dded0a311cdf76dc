//! `openclaw doctor`: offline checks and `--online` probes of every
//! configured model.

use wiremock::matchers::{body_partial_json, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion};

#[tokio::test]
async fn online_tries_every_configured_model_and_fails_when_one_does() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_partial_json(serde_json::json!({"model": "good"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(body_partial_json(serde_json::json!({"model": "bad"})))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"error": {"message": "bad key"}})),
        )
        .mount(&server)
        .await;
    let env = TestEnv::new()
        .env("HTTPS_PROXY", "http://proxy.corp:3128")
        .env("NO_PROXY", "127.0.0.1");
    env.write_config(&format!(
        r#"{{
  agents: {{ defaults: {{ model: {{ primary: "srv/good", fallbacks: ["srv/bad"] }} }} }},
  models: {{ providers: {{ srv: {{ baseUrl: "{}/v1", apiKey: "secret-key" }} }} }},
}}"#,
        server.uri()
    ));

    let out = env.run(&["doctor", "--json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let report = out.json();
    assert_eq!(report["ok"], true);
    let details: Vec<String> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["detail"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        details.iter().any(|d| d == "srv: key from config apiKey"),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("srv: 127.0.0.1 -> direct")),
        "{details:?}"
    );
    assert!(
        server.received_requests().await.unwrap().is_empty(),
        "offline sends nothing"
    );
    assert!(!out.stdout.contains("secret-key"));

    let out = env.run(&["doctor", "--online", "--json"]);
    assert_eq!(out.code, 1, "{out:?}");
    let models = out.json()["models"].as_array().unwrap().clone();
    assert_eq!(models.len(), 2);
    assert_eq!(models[0]["model"], "srv/good");
    assert_eq!(models[0]["ok"], true);
    assert_eq!(models[1]["model"], "srv/bad");
    assert_eq!(models[1]["reason"], "auth");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    let text = env.run(&["doctor", "--online"]).stdout;
    assert!(text.contains("srv/bad") && text.contains("FAIL"), "{text}");
}

#[test]
fn a_broken_config_is_a_failed_check() {
    let env = TestEnv::new();
    env.write_config("{ models: ");
    let out = env.run(&["doctor", "--json"]);
    assert_eq!(out.code, 1);
    let report = out.json();
    assert_eq!(report["checks"][0]["status"], "fail");
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("openclaw.json:1:")
    );
}

#[test]
fn routes_follow_the_proxy_environment() {
    let env = TestEnv::new()
        .env("HTTPS_PROXY", "http://proxy.corp:3128")
        .env("NO_PROXY", "");
    env.write_config(r#"{agents: {defaults: {model: "groq/llama-3.1-8b-instant"}}}"#);
    let out = env.run(&["doctor", "--json"]);
    let details: Vec<String> = out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["detail"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d == "groq: api.groq.com -> proxy http://proxy.corp:3128/ (HTTPS_PROXY)"),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("groq: no key (set GROQ_API_KEY)")),
        "{details:?}"
    );
    assert_eq!(out.code, 1, "a missing key fails the check");
}
