//! Proxies: the environment's proxies must see the request; `NO_PROXY`
//! keeps matching hosts direct; `socks5h://` resolves names at the proxy.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{TestEnv, completion};

async fn provider() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(completion("ok")))
        .mount(&server)
        .await;
    server
}

/// A minimal SOCKS5 proxy (no auth, CONNECT only) that sends every
/// connection to `target` and records the host name the client asked for.
fn socks5_proxy(target: SocketAddr) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let record = asked.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let record = record.clone();
            std::thread::spawn(move || {
                let mut client = client;
                let mut greeting = [0u8; 2];
                client.read_exact(&mut greeting).unwrap();
                let mut methods = vec![0u8; greeting[1] as usize];
                client.read_exact(&mut methods).unwrap();
                client.write_all(&[5, 0]).unwrap();
                let mut head = [0u8; 4];
                client.read_exact(&mut head).unwrap();
                let host = match head[3] {
                    3 => {
                        let mut length = [0u8; 1];
                        client.read_exact(&mut length).unwrap();
                        let mut name = vec![0u8; length[0] as usize];
                        client.read_exact(&mut name).unwrap();
                        String::from_utf8(name).unwrap()
                    }
                    1 => {
                        let mut ip = [0u8; 4];
                        client.read_exact(&mut ip).unwrap();
                        format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3])
                    }
                    other => panic!("address type {other}"),
                };
                let mut port = [0u8; 2];
                client.read_exact(&mut port).unwrap();
                record.lock().unwrap().push(host);
                let upstream = TcpStream::connect(target).unwrap();
                client.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).unwrap();
                let (mut client_read, mut upstream_write) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let forward = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut client_read, &mut upstream_write);
                });
                let (mut upstream_read, mut client_write) = (upstream, client);
                let _ = std::io::copy(&mut upstream_read, &mut client_write);
                let _ = forward.join();
            });
        }
    });
    (format!("socks5h://{address}"), asked)
}

#[tokio::test]
async fn socks5h_proxy_sees_the_host_name() {
    let server = provider().await;
    let (proxy, asked) = socks5_proxy(*server.address());
    let env = TestEnv::new().env("ALL_PROXY", &proxy).env("NO_PROXY", "");
    env.write_config(r#"{models: {providers: {far: {baseUrl: "http://llm.far-away.example/v1", models: [{id: "m"}]}}}}"#);
    let out = env.run(&[
        "infer", "model", "run", "--model", "far/m", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        *asked.lock().unwrap(),
        ["llm.far-away.example"],
        "the name is resolved by the proxy"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn no_proxy_cidr_and_loopback_entries_go_direct() {
    let server = provider().await;
    for no_proxy in [
        "127.0.0.0/8",
        "localhost,127.0.0.1",
        "example.com, 127.0.0.1",
    ] {
        // The proxy is dead: only a direct connection can answer.
        let env = TestEnv::new()
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("NO_PROXY", no_proxy);
        env.write_config(&format!(
            r#"{{models: {{providers: {{near: {{baseUrl: "http://127.0.0.1:{}/v1", models: [{{id: "m"}}]}}}}}}}}"#,
            server.address().port()
        ));
        let out = env.run(&[
            "infer", "model", "run", "--model", "near/m", "--prompt", "x", "--json",
        ]);
        assert_eq!(out.code, 0, "NO_PROXY={no_proxy}: {out:?}");
    }
    let env = TestEnv::new()
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "10.0.0.0/8");
    env.write_config(&format!(
        r#"{{models: {{providers: {{near: {{baseUrl: "http://127.0.0.1:{}/v1", models: [{{id: "m"}}]}}}}}}}}"#,
        server.address().port()
    ));
    let out = env.run(&[
        "infer", "model", "run", "--model", "near/m", "--prompt", "x", "--json",
    ]);
    assert_eq!(
        out.code, 1,
        "a non-matching NO_PROXY leaves the (dead) proxy in the way"
    );
    assert_eq!(out.json()["error"]["reason"], "network");
}

#[tokio::test]
async fn provider_proxy_setting_wins_over_the_environment() {
    let server = provider().await;
    let env = TestEnv::new()
        .env("HTTP_PROXY", "http://127.0.0.1:9")
        .env("NO_PROXY", "");
    env.write_config(&format!(
        r#"{{models: {{providers: {{far: {{baseUrl: "http://llm.elsewhere.example/v1", proxy: "{}", models: [{{id: "m"}}]}}}}}}}}"#,
        server.uri()
    ));
    let out = env.run(&[
        "infer", "model", "run", "--model", "far/m", "--prompt", "x", "--json",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let request = &server.received_requests().await.unwrap()[0];
    assert_eq!(
        request.headers.get("host").unwrap(),
        "llm.elsewhere.example"
    );
}
