//! The client against an in-process WebSocket server that plays the
//! gateway's side frame by frame.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use super::{Call, call};
use crate::error::Reason;
use crate::gateway::frames::Identity;
use crate::gateway::target::{Credential, Source, Target};

pub type Server = WebSocketStream<TcpStream>;

/// Serve each connection with `script(connection number, socket)`.
#[allow(
    clippy::result_large_err,
    reason = "the handshake callback's error type is tungstenite's, not ours"
)]
async fn serve<F, Fut>(script: F) -> (Target, Arc<AtomicUsize>)
where
    F: Fn(usize, Server) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let check = |request: &Request, response: Response| {
                assert!(
                    request.headers().get("origin").is_none(),
                    "no Origin header"
                );
                Ok(response)
            };
            let socket = tokio_tungstenite::accept_hdr_async(tcp, check)
                .await
                .unwrap();
            tokio::spawn(script(n, socket));
        }
    });
    let target = Target {
        url: format!("ws://127.0.0.1:{port}"),
        source: Source::Loopback,
        credential: None,
    };
    (target, count)
}

async fn send(socket: &mut Server, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next request frame from the client (pongs and others skipped).
async fn request(socket: &mut Server) -> Value {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(_)) => {}
            other => panic!("client went away: {other:?}"),
        }
    }
}

/// Challenge, then the `connect` request answered with hello-ok.
async fn accept(socket: &mut Server, scopes: Value) -> Value {
    send(
        socket,
        json!({"type": "event", "event": "connect.challenge", "payload": {"nonce": "n", "ts": 1}}),
    )
    .await;
    let connect = request(socket).await;
    assert_eq!(connect["method"], "connect");
    send(
        socket,
        json!({"type": "res", "id": connect["id"], "ok": true, "payload": {
            "type": "hello-ok", "protocol": 4, "auth": {"role": "operator", "scopes": scopes}}}),
    )
    .await;
    connect
}

fn agent_call(identity: Identity) -> Call<'static> {
    Call {
        identity,
        method: "agent",
        params: Some(json!({"message": "hi"})),
        expect_final: true,
        deadline: Instant::now() + Duration::from_secs(10),
        timeout: Duration::from_secs(10),
    }
}

fn token() -> Credential {
    Credential::Token("tok".into())
}

fn final_ok(id: &Value) -> Value {
    json!({"type": "res", "id": id, "ok": true, "payload": {"status": "ok", "result": {
        "payloads": [{"text": "done", "mediaUrl": null}],
        "meta": {"agentMeta": {"provider": "p", "model": "m"}}}}})
}

#[tokio::test]
async fn handshake_then_accepted_and_final_with_events_between() {
    let (target, _) = serve(|_, mut socket| async move {
        let connect = accept(&mut socket, json!(["operator.write"])).await;
        let params = &connect["params"];
        assert_eq!(params["minProtocol"], 4);
        assert_eq!(params["client"]["id"], "cli");
        assert_eq!(params["client"]["mode"], "cli");
        assert_eq!(params["auth"], json!({"token": "tok"}));
        assert_eq!(params["scopes"], json!(["operator.write"]));
        send(&mut socket, json!({"type": "event", "event": "tick", "payload": {"ts": 2}})).await;
        let rpc = request(&mut socket).await;
        assert_eq!(rpc["method"], "agent");
        assert_eq!(rpc["params"]["message"], "hi");
        let id = rpc["id"].clone();
        send(&mut socket, json!({"type": "res", "id": id, "ok": true, "payload": {"status": "accepted"}})).await;
        send(&mut socket, json!({"type": "event", "event": "agent", "payload": {"delta": "x"}})).await;
        send(&mut socket, json!({"type": "res", "id": "other", "ok": false, "error": {"code": "X", "message": "not mine"}})).await;
        send(&mut socket, json!("not an object")).await;
        send(&mut socket, final_ok(&id)).await;
        // The client closes normally.
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(Some(frame)))) => {
                    assert_eq!(u16::from(frame.code), 1000);
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    })
    .await;
    let payload = call(&target, &token(), &agent_call(Identity::cli_agent("hi")))
        .await
        .unwrap();
    assert_eq!(payload["status"], "ok");
    assert_eq!(payload["result"]["payloads"][0]["text"], "done");
}

#[tokio::test]
async fn pings_are_answered_while_waiting() {
    let (target, _) = serve(|_, mut socket| async move {
        accept(&mut socket, json!(["operator.write"])).await;
        let rpc = request(&mut socket).await;
        socket
            .send(Message::Ping(b"are-you-there".to_vec().into()))
            .await
            .unwrap();
        // The final answer comes only after the pong.
        loop {
            match socket.next().await {
                Some(Ok(Message::Pong(data))) => {
                    assert_eq!(&data[..], b"are-you-there");
                    break;
                }
                Some(Ok(_)) => {}
                other => panic!("no pong: {other:?}"),
            }
        }
        send(&mut socket, final_ok(&rpc["id"])).await;
        let _ = socket.next().await;
    })
    .await;
    let payload = call(&target, &token(), &agent_call(Identity::cli_agent("hi")))
        .await
        .unwrap();
    assert_eq!(payload["status"], "ok");
}

#[tokio::test]
async fn a_starting_gateway_is_retried() {
    let (target, count) = serve(|n, mut socket| async move {
        send(
            &mut socket,
            json!({"type": "event", "event": "connect.challenge", "payload": {}}),
        )
        .await;
        let connect = request(&mut socket).await;
        if n == 0 {
            send(
                &mut socket,
                json!({"type": "res", "id": connect["id"], "ok": false, "error": {
                "code": "UNAVAILABLE", "message": "gateway starting; retry shortly",
                "retryable": true, "retryAfterMs": 50}}),
            )
            .await;
            return;
        }
        send(
            &mut socket,
            json!({"type": "res", "id": connect["id"], "ok": true, "payload": {
            "type": "hello-ok", "auth": {"scopes": ["operator.admin"]}}}),
        )
        .await;
        let rpc = request(&mut socket).await;
        send(&mut socket, final_ok(&rpc["id"])).await;
        let _ = socket.next().await;
    })
    .await;
    let payload = call(&target, &token(), &agent_call(Identity::admin_agent()))
        .await
        .unwrap();
    assert_eq!(payload["status"], "ok");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

/// The error one scripted answer maps to.
async fn error_for(at_connect: bool, error: Value, payload: Option<Value>) -> crate::error::Error {
    let (target, _) = serve(move |_, mut socket| {
        let error = error.clone();
        let payload = payload.clone();
        async move {
            if at_connect {
                send(
                    &mut socket,
                    json!({"type": "event", "event": "connect.challenge", "payload": {}}),
                )
                .await;
                let connect = request(&mut socket).await;
                send(
                    &mut socket,
                    json!({"type": "res", "id": connect["id"], "ok": false, "error": error}),
                )
                .await;
            } else {
                accept(&mut socket, json!(["operator.write"])).await;
                let rpc = request(&mut socket).await;
                let mut frame =
                    json!({"type": "res", "id": rpc["id"], "ok": false, "error": error});
                if let Some(payload) = payload {
                    frame["payload"] = payload;
                }
                send(&mut socket, frame).await;
            }
            let _ = socket.next().await;
        }
    })
    .await;
    call(&target, &token(), &agent_call(Identity::cli_agent("hi")))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn each_error_frame_is_mapped() {
    let mismatch = error_for(true, json!({"code": "INVALID_REQUEST",
        "message": "unauthorized: gateway token mismatch (use this gateway's gateway.auth.token or pair the device)",
        "details": {"code": "AUTH_TOKEN_MISMATCH"}}), None).await;
    assert_eq!(mismatch.reason(), Reason::Auth);
    assert!(mismatch.message().contains("token mismatch"));
    assert_eq!(mismatch.exit_code(), 1);

    let unpaired = error_for(
        true,
        json!({"code": "NOT_PAIRED", "message": "device identity required",
        "details": {"code": "DEVICE_IDENTITY_REQUIRED"}}),
        None,
    )
    .await;
    assert_eq!(unpaired.reason(), Reason::Auth);

    let protocol = error_for(
        true,
        json!({"code": "INVALID_REQUEST", "message": "protocol mismatch",
        "details": {"code": "PROTOCOL_MISMATCH"}}),
        None,
    )
    .await;
    assert_eq!(protocol.reason(), Reason::Format);

    let scope = error_for(
        false,
        json!({"code": "FORBIDDEN", "message": "missing scope: operator.write",
        "details": {"code": "MISSING_SCOPE"}}),
        None,
    )
    .await;
    assert_eq!(scope.reason(), Reason::Forbidden);

    let overrides = error_for(
        false,
        json!({"code": "INVALID_REQUEST",
        "message": "provider/model overrides are not authorized for this caller."}),
        None,
    )
    .await;
    assert_eq!(overrides.reason(), Reason::Forbidden);

    let provider = error_for(
        false,
        json!({"code": "UNAVAILABLE",
        "message": "stub/fail401 request failed (authentication failed, HTTP 401)."}),
        Some(json!({"status": "error", "summary": "failed"})),
    )
    .await;
    assert_eq!(provider.reason(), Reason::Provider);
    assert!(provider.message().contains("HTTP 401"));

    let invalid = error_for(
        false,
        json!({"code": "INVALID_REQUEST",
        "message": "invalid agent params: unknown agent id \"ghost\""}),
        None,
    )
    .await;
    assert_eq!(invalid.reason(), Reason::Format);
}

#[tokio::test]
async fn a_downgraded_socket_is_refused_before_the_call() {
    let (target, _) = serve(|_, mut socket| async move {
        accept(&mut socket, json!([])).await;
        // Nothing more: the client must not send the RPC.
        if let Some(Ok(Message::Text(text))) = socket.next().await {
            panic!("unexpected request {text}");
        }
    })
    .await;
    let error = call(&target, &token(), &agent_call(Identity::cli_agent("hi")))
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Reason::Forbidden);
}

#[tokio::test]
async fn nothing_listening_fails_at_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let target = Target {
        url: format!("ws://127.0.0.1:{port}"),
        source: Source::Loopback,
        credential: None,
    };
    let started = Instant::now();
    let error = call(&target, &token(), &agent_call(Identity::cli_agent("hi")))
        .await
        .unwrap_err();
    assert_eq!(error.reason(), Reason::Unreachable);
    assert!(error.hints().iter().any(|h| h.contains("--local")));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_silent_gateway_times_out_at_the_deadline() {
    let (target, _) = serve(|_, mut socket| async move {
        accept(&mut socket, json!(["operator.write"])).await;
        let _rpc = request(&mut socket).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut rpc = agent_call(Identity::cli_agent("hi"));
    rpc.deadline = Instant::now() + Duration::from_millis(400);
    rpc.timeout = Duration::from_millis(400);
    let started = Instant::now();
    let error = call(&target, &token(), &rpc).await.unwrap_err();
    assert_eq!(error.reason(), Reason::Timeout);
    assert!(error.message().contains("gateway timeout after 400ms"));
    assert!(
        error
            .hints()
            .iter()
            .any(|h| h.contains("outcome is unknown"))
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn params_are_left_out_for_reads() {
    let (target, _) = serve(|_, mut socket| async move {
        let connect = accept(&mut socket, json!(["operator.read"])).await;
        assert_eq!(
            connect["params"]["client"]["displayName"],
            "gateway:tts.status"
        );
        assert_eq!(connect["params"]["scopes"], json!(["operator.read"]));
        let rpc = request(&mut socket).await;
        assert_eq!(rpc["method"], "tts.status");
        assert!(rpc.get("params").is_none());
        send(
            &mut socket,
            json!({"type": "res", "id": rpc["id"], "ok": true, "payload": {"enabled": true}}),
        )
        .await;
        let _ = socket.next().await;
    })
    .await;
    let rpc = Call {
        identity: Identity::backend("tts.status", "operator.read"),
        method: "tts.status",
        params: None,
        expect_final: false,
        deadline: Instant::now() + Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    };
    let payload = call(&target, &token(), &rpc).await.unwrap();
    assert_eq!(payload["enabled"], true);
}
