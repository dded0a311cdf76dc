//! The gateway's JSON text frames: requests we send, responses and events
//! we read, and the `connect` parameters for each caller identity.

use serde_json::{Map, Value, json};

/// Protocol version an operator must speak (min = max).
pub const PROTOCOL: u64 = 4;
/// `client.version` sent in `connect`; free text for the gateway.
pub const CLIENT_VERSION: &str = concat!("openclaw-rs/", env!("CARGO_PKG_VERSION"));

/// Who this socket claims to be: the two identities whose scopes a
/// device-less loopback socket keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub client_id: &'static str,
    pub mode: &'static str,
    pub display_name: Option<String>,
    pub scopes: Vec<&'static str>,
}

impl Identity {
    /// `model run` without an override: the CLI identity with write scope
    /// (admin for the `/new` and `/reset` session commands).
    pub fn cli_agent(prompt: &str) -> Identity {
        Identity {
            client_id: "cli",
            mode: "cli",
            display_name: None,
            scopes: vec![if is_session_command(prompt) {
                "operator.admin"
            } else {
                "operator.write"
            }],
        }
    }

    /// `model run --model`: the override needs admin on the socket.
    pub fn admin_agent() -> Identity {
        Identity {
            client_id: "gateway-client",
            mode: "backend",
            display_name: Some("gateway:agent".to_owned()),
            scopes: vec!["operator.admin"],
        }
    }

    /// A `tts.*` (or `health`) call with the given least scope.
    pub fn backend(method: &str, scope: &'static str) -> Identity {
        Identity {
            client_id: "gateway-client",
            mode: "backend",
            display_name: Some(format!("gateway:{method}")),
            scopes: vec![scope],
        }
    }
}

/// `/new` or `/reset`, alone or followed by white space and more.
fn is_session_command(prompt: &str) -> bool {
    let lower = prompt.to_ascii_lowercase();
    ["/new", "/reset"].iter().any(|command| {
        lower
            .strip_prefix(command)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
    })
}

/// A `req` frame; `params` is left out when `None`.
pub fn request(id: &str, method: &str, params: Option<Value>) -> String {
    let mut frame = json!({"type": "req", "id": id, "method": method});
    if let Some(params) = params {
        frame["params"] = params;
    }
    frame.to_string()
}

/// The `connect` parameters for `identity` with a shared secret.
pub fn connect_params(identity: &Identity, auth: Value, instance_id: &str) -> Value {
    let mut client = Map::new();
    client.insert("id".into(), json!(identity.client_id));
    if let Some(name) = &identity.display_name {
        client.insert("displayName".into(), json!(name));
    }
    client.insert("version".into(), json!(CLIENT_VERSION));
    client.insert("platform".into(), json!(std::env::consts::OS));
    client.insert("deviceFamily".into(), json!(device_family()));
    client.insert("mode".into(), json!(identity.mode));
    client.insert("instanceId".into(), json!(instance_id));
    json!({
        "minProtocol": PROTOCOL,
        "maxProtocol": PROTOCOL,
        "client": client,
        "caps": [],
        "auth": auth,
        "role": "operator",
        "scopes": identity.scopes,
    })
}

fn device_family() -> &'static str {
    match std::env::consts::OS {
        "linux" => "Linux",
        "macos" => "Mac",
        "windows" => "Windows",
        _ => "Unknown",
    }
}

/// `{code, message, retryAfterMs, ...}` of an `ok:false` response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ErrorShape {
    pub code: String,
    pub message: String,
    pub details_code: Option<String>,
    pub retry_after_ms: Option<u64>,
}

impl ErrorShape {
    fn from_value(value: Option<&Value>) -> ErrorShape {
        let text = |key: &str| {
            value
                .and_then(|v| v.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        ErrorShape {
            code: text("code").unwrap_or_default(),
            message: text("message").unwrap_or_else(|| "the gateway refused the request".into()),
            details_code: value
                .and_then(|v| v.pointer("/details/code"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            retry_after_ms: value
                .and_then(|v| v.get("retryAfterMs"))
                .and_then(Value::as_u64),
        }
    }
}

/// What one text frame from the gateway is.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Response {
        id: String,
        ok: bool,
        payload: Value,
        error: Option<ErrorShape>,
    },
    Event {
        event: String,
        payload: Value,
    },
    /// Not JSON, or a shape we do not know: ignored.
    Other,
}

pub fn parse(text: &str) -> Incoming {
    let Ok(Value::Object(mut frame)) = serde_json::from_str::<Value>(text) else {
        return Incoming::Other;
    };
    match frame.get("type").and_then(Value::as_str) {
        Some("res") => {
            let Some(id) = frame.get("id").and_then(Value::as_str).map(str::to_owned) else {
                return Incoming::Other;
            };
            let ok = frame.get("ok").and_then(Value::as_bool).unwrap_or(false);
            let error = (!ok).then(|| ErrorShape::from_value(frame.get("error")));
            Incoming::Response {
                id,
                ok,
                payload: frame.remove("payload").unwrap_or(Value::Null),
                error,
            }
        }
        Some("event") => Incoming::Event {
            event: frame
                .get("event")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            payload: frame.remove("payload").unwrap_or(Value::Null),
        },
        _ => Incoming::Other,
    }
}

/// A random version-4 UUID, as the gateway's ids and keys look.
pub fn uuid() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        // Uniqueness, not secrecy, is what matters here.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (nanos ^ (u128::from(std::process::id()) << 64)).to_le_bytes();
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_frame_matches_the_reference_shape() {
        let identity = Identity::admin_agent();
        let params = connect_params(&identity, json!({"token": "t"}), "i-1");
        let frame: Value = serde_json::from_str(&request("1:x", "connect", Some(params))).unwrap();
        assert_eq!(frame["type"], "req");
        assert_eq!(frame["params"]["minProtocol"], 4);
        assert_eq!(frame["params"]["client"]["id"], "gateway-client");
        assert_eq!(frame["params"]["client"]["mode"], "backend");
        assert_eq!(frame["params"]["client"]["displayName"], "gateway:agent");
        assert_eq!(frame["params"]["scopes"], json!(["operator.admin"]));
        assert_eq!(frame["params"]["role"], "operator");
        assert!(frame["params"].get("device").is_none());
        let keys: Vec<&String> = frame["params"]["client"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys[0], "id");
    }

    #[test]
    fn params_can_be_left_out() {
        let frame: Value = serde_json::from_str(&request("2", "tts.status", None)).unwrap();
        assert!(frame.get("params").is_none());
    }

    #[test]
    fn session_commands_need_admin() {
        assert_eq!(Identity::cli_agent("hi").scopes, ["operator.write"]);
        assert_eq!(Identity::cli_agent("/new").scopes, ["operator.admin"]);
        assert_eq!(
            Identity::cli_agent("/RESET please").scopes,
            ["operator.admin"]
        );
        assert_eq!(Identity::cli_agent("/newline").scopes, ["operator.write"]);
    }

    #[test]
    fn frames_parse_into_responses_events_and_noise() {
        let res = parse(
            r#"{"type":"res","id":"2","ok":false,"error":{"code":"UNAVAILABLE","message":"m","retryAfterMs":500,"details":{"code":"X"}}}"#,
        );
        let Incoming::Response { id, ok, error, .. } = res else {
            panic!("not a response")
        };
        assert_eq!(id, "2");
        assert!(!ok);
        let error = error.unwrap();
        assert_eq!(error.code, "UNAVAILABLE");
        assert_eq!(error.retry_after_ms, Some(500));
        assert_eq!(error.details_code.as_deref(), Some("X"));
        assert!(matches!(
            parse(r#"{"type":"event","event":"tick","payload":{"ts":1}}"#),
            Incoming::Event { .. }
        ));
        assert_eq!(parse("not json"), Incoming::Other);
        assert_eq!(parse("[1]"), Incoming::Other);
        assert_eq!(parse(r#"{"type":"res","ok":true}"#), Incoming::Other);
    }

    #[test]
    fn uuids_look_like_version_4() {
        let id = uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert_ne!(id, uuid());
    }
}
