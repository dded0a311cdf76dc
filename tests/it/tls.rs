//! TLS trust: the OS store plus `SSL_CERT_FILE` / `SSL_CERT_DIR`, the way a
//! corporate CA is added, loaded only when a request uses TLS. The tests run
//! their own HTTPS servers on loopback with certificates from CAs they make;
//! `OPENCLAW_TEST_OS_CA_FILE` stands in for the OS store's bundle.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{TestEnv, completion};

struct TestCa {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

fn test_ca() -> TestCa {
    test_ca_named("openclaw test corporate CA")
}

fn test_ca_named(name: &str) -> TestCa {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let ca = ca_params.self_signed(&ca_key).unwrap();

    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).unwrap();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let server_config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
    TestCa {
        ca_pem: ca.pem(),
        server_config: Arc::new(server_config),
    }
}

/// An HTTPS server on loopback answering every request with a completion.
fn https_server(config: Arc<rustls::ServerConfig>) -> u16 {
    https_server_with(config, 200).0
}

/// An HTTPS server answering `status` (a completion when 200) and counting
/// the requests that got through the handshake.
fn https_server_with(config: Arc<rustls::ServerConfig>, status: u16) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicUsize::new(0));
    let counter = served.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
            let counter = counter.clone();
            std::thread::spawn(move || {
                let Ok(connection) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let mut reader = BufReader::new(&mut tls);
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return; // handshake refused by the client
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0u8; length];
                let _ = std::io::Read::read_exact(&mut reader, &mut body);
                counter.fetch_add(1, Ordering::SeqCst);
                let answer = if status == 200 {
                    completion("over tls").to_string()
                } else {
                    r#"{"error":{"message":"invalid api key","type":"auth"}}"#.to_owned()
                };
                let _ = write!(
                    tls,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = tls.flush();
            });
        }
    });
    (port, served)
}

#[test]
fn a_ca_from_ssl_cert_file_or_dir_is_trusted() {
    let ca = test_ca();
    let port = https_server(ca.server_config.clone());
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{corp: {{baseUrl: "https://localhost:{port}/v1", models: [{{id: "m"}}]}}}}}}}}"#
    ));
    let args = [
        "infer", "model", "run", "--model", "corp/m", "--prompt", "x", "--json",
    ];

    let out = env.run(&args);
    assert_eq!(out.code, 1, "an unknown CA is refused: {out:?}");
    assert_eq!(out.json()["error"]["reason"], "network");

    let bundle = env.path("corp-ca.pem");
    std::fs::write(&bundle, &ca.ca_pem).unwrap();
    let out = env
        .command(&args)
        .env("SSL_CERT_FILE", &bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(envelope["outputs"][0]["text"], "over tls");

    let directory = env.path("certs");
    std::fs::create_dir_all(&directory).unwrap();
    std::fs::write(directory.join("corp.pem"), &ca.ca_pem).unwrap();
    std::fs::write(directory.join("README"), "not a certificate").unwrap();
    let out = env
        .command(&args)
        .env("SSL_CERT_DIR", &directory)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let broken = env.path("broken.pem");
    std::fs::write(&broken, "no certificate here").unwrap();
    let out = env
        .command(&args)
        .env("SSL_CERT_FILE", &broken)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a bad SSL_CERT_FILE is a config error"
    );
}

/// One run reaches a server of a public-style chain (trusted through the OS
/// store) and then one of the corporate CA (trusted through SSL_CERT_FILE):
/// the extra CA adds to the OS store rather than replacing it.
#[test]
fn a_corporate_ca_and_the_os_store_are_trusted_in_the_same_run() {
    let public = test_ca_named("openclaw test public root");
    let corporate = test_ca();
    // The public server refuses the key, so the run falls back to the
    // corporate one: both handshakes happen in one process.
    let (public_port, public_served) = https_server_with(public.server_config.clone(), 401);
    let (corp_port, corp_served) = https_server_with(corporate.server_config.clone(), 200);
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{
  models: {{ providers: {{
    public: {{ baseUrl: "https://localhost:{public_port}/v1", apiKey: "k", models: [{{id: "m"}}] }},
    corp: {{ baseUrl: "https://localhost:{corp_port}/v1", apiKey: "k", models: [{{id: "m"}}] }},
  }} }},
  agents: {{ defaults: {{ model: {{ primary: "public/m", fallbacks: ["corp/m"] }} }} }},
}}"#
    ));
    let os_store = env.path("os-store.pem");
    std::fs::write(&os_store, &public.ca_pem).unwrap();
    let corp_bundle = env.path("corp-ca.pem");
    std::fs::write(&corp_bundle, &corporate.ca_pem).unwrap();

    let out = env
        .command(&["infer", "model", "run", "--prompt", "x", "--json"])
        .env("OPENCLAW_TEST_OS_CA_FILE", &os_store)
        .env("SSL_CERT_FILE", &corp_bundle)
        .output()
        .unwrap();
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{envelope}");
    assert_eq!(envelope["outputs"][0]["text"], "over tls");
    assert_eq!(envelope["attempts"][0]["provider"], "public");
    assert_eq!(envelope["attempts"][0]["reason"], "auth", "{envelope}");
    assert_eq!(
        public_served.load(Ordering::SeqCst),
        1,
        "public handshake verified"
    );
    assert_eq!(
        corp_served.load(Ordering::SeqCst),
        1,
        "corporate handshake verified"
    );
}

/// Certificates are read at the first TLS handshake, not before: with an
/// unusable SSL_CERT_FILE and OS store, a plain-HTTP run still succeeds,
/// and only an HTTPS run reports the file (as a config error).
#[tokio::test]
async fn plain_http_runs_read_no_certificate_file() {
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(completion("plain")))
        .mount(&server)
        .await;
    let env = TestEnv::new();
    env.write_config(&format!(
        r#"{{models: {{providers: {{
  plainhttp: {{ baseUrl: "{}/v1", models: [{{id: "m"}}] }},
}}}}}}"#,
        server.uri()
    ));
    let broken = env.path("broken.pem");
    std::fs::write(&broken, "no certificate here").unwrap();
    let run = |model: &str| {
        env.command(&[
            "infer", "model", "run", "--model", model, "--prompt", "x", "--json",
        ])
        .env("SSL_CERT_FILE", &broken)
        .env("SSL_CERT_DIR", env.path("missing-dir"))
        .env("OPENCLAW_TEST_OS_CA_FILE", &broken)
        .output()
        .unwrap()
    };

    let out = run("plainhttp/m");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(envelope["outputs"][0]["text"], "plain");

    let (port, _) = https_server_with(test_ca().server_config, 200);
    env.write_config(&format!(
        r#"{{models: {{providers: {{ remote: {{ baseUrl: "https://localhost:{port}/v1", models: [{{id: "m"}}] }} }}}}}}"#
    ));
    let out = run("remote/m");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let envelope: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(envelope["error"]["reason"], "config");
    assert!(
        envelope["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SSL_CERT_FILE"),
        "{envelope}"
    );
}
