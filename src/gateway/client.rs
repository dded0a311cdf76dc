//! One WebSocket session with a gateway: connect (TCP, optional TLS, the
//! upgrade), the challenge/`connect` handshake, one RPC, close. A gateway
//! still starting (`UNAVAILABLE` with `retryAfterMs`) is retried until the
//! deadline.

use std::cell::Cell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::frames::{self, ErrorShape, Identity, Incoming};
use super::target::{Credential, Target};
use crate::error::{Error, Reason, Result};

/// Larger than the gateway's `policy.maxPayload` (25 MiB).
const MAX_MESSAGE: usize = 64 << 20;
/// The reference client waits this long for the challenge.
const CHALLENGE_WAIT: Duration = Duration::from_secs(15);
const CONNECT_WAIT: Duration = Duration::from_secs(10);

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Socket = WebSocketStream<Box<dyn Io>>;

/// One RPC to make.
pub struct Call<'a> {
    pub identity: Identity,
    pub method: &'a str,
    pub params: Option<Value>,
    /// `agent`: an `accepted` answer comes first; the next one is final.
    pub expect_final: bool,
    pub deadline: Instant,
    /// What the deadline was, for the timeout message.
    pub timeout: Duration,
}

/// The final payload of an `ok:true` answer.
pub async fn call(target: &Target, credential: &Credential, call: &Call<'_>) -> Result<Value> {
    let sent = Cell::new(false);
    let work = run(target, credential, call, &sent);
    match tokio::time::timeout_at(call.deadline.into(), work).await {
        Ok(result) => result,
        Err(_) => Err(timeout_error(target, call, sent.get())),
    }
}

/// The deadline passed; `sent` says whether the request had gone out.
fn timeout_error(target: &Target, call: &Call<'_>, sent: bool) -> Error {
    let mut error = Error::provider(
        Reason::Timeout,
        format!(
            "gateway timeout after {}ms ({} at {})",
            call.timeout.as_millis(),
            call.method,
            target.url
        ),
    );
    if sent {
        error = error.with_hint(
            "the request had reached the gateway, so it may still run there; its outcome is unknown",
        );
    }
    error.with_hint("raise `--timeout-ms`, or check the gateway with `openclaw gateway status`")
}

async fn run(
    target: &Target,
    credential: &Credential,
    call: &Call<'_>,
    sent: &Cell<bool>,
) -> Result<Value> {
    let instance = frames::uuid();
    loop {
        let mut socket = open(&target.url).await?;
        match handshake(&mut socket, credential, &call.identity, &instance).await {
            Ok(()) => {}
            Err(Handshake::Retry(wait)) => {
                close(&mut socket).await;
                let wait = wait.min(call.deadline.saturating_duration_since(Instant::now()));
                tokio::time::sleep(wait).await;
                continue;
            }
            Err(Handshake::Failed(error)) => {
                close(&mut socket).await;
                return Err(error);
            }
        }
        let id = format!("2:{}", frames::uuid());
        send(
            &mut socket,
            frames::request(&id, call.method, call.params.clone()),
        )
        .await?;
        sent.set(true);
        // A signal or the deadline ends the wait here, so the socket is
        // still ours to close properly rather than dropped mid-call.
        let result = tokio::select! {
            result = final_response(&mut socket, &id, call.expect_final) => {
                result.map_err(|shape| rpc_error(call.method, &shape))
            }
            signal = crate::cancel::requested() => Err(Error::cancelled(signal)),
            () = tokio::time::sleep_until(call.deadline.into()) => {
                Err(timeout_error(target, call, true))
            }
        };
        close(&mut socket).await;
        return result;
    }
}

async fn open(url: &str) -> Result<Socket> {
    let parsed =
        url::Url::parse(url).map_err(|_| Error::config(format!("`{url}` is not a gateway URL")))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| Error::config(format!("`{url}` has no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tls = parsed.scheme() == "wss";
    let port = parsed.port().unwrap_or(if tls { 443 } else { 80 });
    let tcp =
        match tokio::time::timeout(CONNECT_WAIT, TcpStream::connect((host.as_str(), port))).await {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(error)) => return Err(unreachable(url, &error.to_string())),
            Err(_) => return Err(unreachable(url, "no answer to the TCP connect")),
        };
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = if tls {
        Box::new(tls_connect(tcp, &host, url).await?)
    } else {
        Box::new(tcp)
    };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    // The request carries only Host and the upgrade headers: an Origin
    // header would mark the socket as a browser's and drop its scopes.
    match tokio_tungstenite::client_async_with_config(url, stream, Some(config)).await {
        Ok((socket, _)) => Ok(socket),
        Err(error) => Err(unreachable(
            url,
            &format!("WebSocket upgrade failed: {error}"),
        )),
    }
}

async fn tls_connect(
    tcp: TcpStream,
    host: &str,
    url: &str,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_platform_verifier())
        .map_err(|error| Error::internal(format!("cannot set up TLS: {error}")))?
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|_| Error::config(format!("`{url}`: `{host}` is not a TLS server name")))?;
    tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|error| unreachable(url, &format!("TLS: {error}")))
}

fn unreachable(url: &str, why: &str) -> Error {
    Error::provider(
        Reason::Unreachable,
        format!("gateway not reachable at {url} ({why})"),
    )
    .with_hint("start it with `openclaw gateway run`, or pass `--local` to run from this process")
}

enum Handshake {
    /// The gateway is starting: try again after this long.
    Retry(Duration),
    Failed(Error),
}

impl From<Error> for Handshake {
    fn from(error: Error) -> Handshake {
        Handshake::Failed(error)
    }
}

async fn handshake(
    socket: &mut Socket,
    credential: &Credential,
    identity: &Identity,
    instance: &str,
) -> Result<(), Handshake> {
    // The gateway speaks first; its nonce matters only to signed devices.
    let challenge = async {
        loop {
            match next_frame(socket).await? {
                Incoming::Event { event, .. } if event == "connect.challenge" => {
                    return Ok::<(), Error>(());
                }
                _ => {}
            }
        }
    };
    match tokio::time::timeout(CHALLENGE_WAIT, challenge).await {
        Ok(result) => result?,
        Err(_) => {
            return Err(Handshake::Failed(Error::provider(
                Reason::Timeout,
                "the gateway sent no connect challenge within 15 s",
            )));
        }
    }
    let auth = match credential {
        Credential::Token(token) => json!({"token": token}),
        Credential::Password(password) => json!({"password": password}),
    };
    let id = format!("1:{}", frames::uuid());
    let params = frames::connect_params(identity, auth, instance);
    send(socket, frames::request(&id, "connect", Some(params))).await?;
    let hello = match final_response(socket, &id, false).await {
        Ok(hello) => hello,
        Err(shape) if shape.code == "UNAVAILABLE" && shape.retry_after_ms.is_some() => {
            let wait = shape.retry_after_ms.unwrap_or(500).clamp(50, 30_000);
            return Err(Handshake::Retry(Duration::from_millis(wait)));
        }
        Err(shape) => return Err(Handshake::Failed(connect_error(&shape))),
    };
    // A socket the gateway silently downgraded would fail every call.
    if let Some(granted) = hello.pointer("/auth/scopes").and_then(Value::as_array) {
        let has = |scope: &str| granted.iter().any(|g| g == scope || g == "operator.admin");
        if let Some(missing) = identity.scopes.iter().find(|s| !has(s)) {
            return Err(Handshake::Failed(Error::provider(
                Reason::Forbidden,
                format!("the gateway did not grant scope {missing} to this connection"),
            )));
        }
    }
    Ok(())
}

/// Read until the `res` with `id` that settles the call: events and other
/// ids are skipped, and so is an `accepted` acknowledgement when a final
/// answer is expected.
async fn final_response(
    socket: &mut Socket,
    id: &str,
    expect_final: bool,
) -> Result<Value, ErrorShape> {
    loop {
        let frame = next_frame(socket).await.map_err(|error| ErrorShape {
            code: "CLOSED".into(),
            message: error.message().to_owned(),
            ..ErrorShape::default()
        })?;
        let Incoming::Response {
            id: got,
            ok,
            payload,
            error,
        } = frame
        else {
            continue;
        };
        if got != id {
            continue;
        }
        if ok {
            if expect_final && payload.get("status").and_then(Value::as_str) == Some("accepted") {
                continue;
            }
            return Ok(payload);
        }
        return Err(error.unwrap_or_default());
    }
}

/// The next text frame. Pings are answered by the library while we read.
async fn next_frame(socket: &mut Socket) -> Result<Incoming> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Ok(frames::parse(text.as_str())),
            Some(Ok(Message::Close(frame))) => {
                let why = frame
                    .map(|f| format!("{} {}", u16::from(f.code), f.reason))
                    .unwrap_or_else(|| "no status".into());
                return Err(Error::provider(
                    Reason::Network,
                    format!("the gateway closed the connection ({why})"),
                ));
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                return Err(Error::provider(
                    Reason::Network,
                    format!("gateway connection failed: {error}"),
                ));
            }
            None => {
                return Err(Error::provider(
                    Reason::Network,
                    "the gateway closed the connection",
                ));
            }
        }
    }
}

async fn send(socket: &mut Socket, text: String) -> Result<()> {
    socket.send(Message::text(text)).await.map_err(|error| {
        Error::provider(
            Reason::Network,
            format!("cannot send to the gateway: {error}"),
        )
    })
}

/// A normal close; the gateway's echo is awaited briefly, not required.
async fn close(socket: &mut Socket) {
    let frame = CloseFrame {
        code: CloseCode::Normal,
        reason: "".into(),
    };
    let _ = tokio::time::timeout(Duration::from_millis(500), async {
        if socket.send(Message::Close(Some(frame))).await.is_ok() {
            while let Some(Ok(_)) = socket.next().await {}
        }
    })
    .await;
}

/// A refused `connect`.
fn connect_error(shape: &ErrorShape) -> Error {
    let auth = shape.code == "NOT_PAIRED"
        || shape.message.starts_with("unauthorized")
        || shape
            .details_code
            .as_deref()
            .is_some_and(|c| c.starts_with("AUTH_") || c.starts_with("DEVICE_"));
    if auth {
        return Error::provider(Reason::Auth, shape.message.clone()).with_hint(
            "use the gateway's gateway.auth.token (config or OPENCLAW_GATEWAY_TOKEN), or pass `--local`",
        );
    }
    rpc_error("connect", shape)
}

/// A refused or failed RPC.
fn rpc_error(method: &str, shape: &ErrorShape) -> Error {
    let reason = match shape.code.as_str() {
        "FORBIDDEN" => Reason::Forbidden,
        "INVALID_REQUEST" if shape.message.contains("not authorized") => Reason::Forbidden,
        "INVALID_REQUEST" => Reason::Format,
        "CLOSED" => Reason::Network,
        "UNAVAILABLE" if method == "agent" => Reason::Provider,
        "UNAVAILABLE" => Reason::Overloaded,
        _ if method == "agent" => Reason::Provider,
        _ => Reason::Unknown,
    };
    Error::provider(reason, shape.message.clone())
}

#[cfg(test)]
pub(crate) mod tests;
