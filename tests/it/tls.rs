//! TLS trust: the OS store plus `SSL_CERT_FILE` / `SSL_CERT_DIR`, the way a
//! corporate CA is added. The test runs its own HTTPS server on loopback
//! with a certificate from a CA it makes.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

use crate::support::{TestEnv, completion};

struct TestCa {
    ca_pem: String,
    server_config: Arc<rustls::ServerConfig>,
}

fn test_ca() -> TestCa {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "openclaw test corporate CA");
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
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = config.clone();
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
                let answer = completion("over tls").to_string();
                let _ = write!(
                    tls,
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = tls.flush();
            });
        }
    });
    port
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
