//! Which gateway `--gateway` talks to and with which shared secret, resolved
//! the way the reference CLI does: env URL (env credentials only), else a
//! remote config URL, else loopback on the env/config/default port.

use std::path::Path;

use serde_json::Value;

use crate::config::env;
use crate::error::{Error, Result};

pub const DEFAULT_PORT: u16 = 18789;

/// Where the target came from; decides which credentials may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `OPENCLAW_GATEWAY_URL`.
    EnvUrl,
    /// `gateway.mode: "remote"` with `gateway.remote.url`.
    Remote,
    /// `ws://127.0.0.1:<port>`.
    Loopback,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::EnvUrl => "env OPENCLAW_GATEWAY_URL",
            Source::Remote => "config gateway.remote.url",
            Source::Loopback => "local loopback",
        }
    }
}

/// The shared secret sent in `connect.params.auth`.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    Token(String),
    Password(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        match self {
            Credential::Token(_) => f.write_str("Token(***)"),
            Credential::Password(_) => f.write_str("Password(***)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Target {
    pub url: String,
    pub source: Source,
    pub credential: Option<Credential>,
}

/// Environment values the resolution reads (passed in so tests need no
/// process environment).
#[derive(Debug, Default, Clone)]
pub struct EnvValues {
    pub url: Option<String>,
    pub port: Option<String>,
    pub token: Option<String>,
    pub password: Option<String>,
}

impl EnvValues {
    pub fn from_process() -> EnvValues {
        let read = |name: &str| {
            env::var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        EnvValues {
            url: read(env::GATEWAY_URL),
            port: read(env::GATEWAY_PORT),
            token: read(env::GATEWAY_TOKEN),
            password: read(env::GATEWAY_PASSWORD),
        }
    }
}

fn string_at<'v>(section: Option<&'v Value>, path: &[&str]) -> Option<&'v str> {
    let mut value = section?;
    for key in path {
        value = value.get(key)?;
    }
    value.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// Whether anything names a gateway: an env URL, port or token, or a
/// `gateway` config section with a URL, port or token. `tts status` asks
/// the gateway by default only then.
pub fn configured(gateway: Option<&Value>, env: &EnvValues) -> bool {
    env.url.is_some()
        || env.port.is_some()
        || env.token.is_some()
        || env.password.is_some()
        || gateway.and_then(|g| g.get("port")).is_some()
        || string_at(gateway, &["remote", "url"]).is_some()
        || string_at(gateway, &["auth", "token"]).is_some()
        || string_at(gateway, &["auth", "password"]).is_some()
}

pub fn resolve(gateway: Option<&Value>, env: &EnvValues) -> Result<Target> {
    if let Some(url) = &env.url {
        check_url(url, "OPENCLAW_GATEWAY_URL")?;
        // An explicit URL never receives the config's secrets.
        let credential = env
            .token
            .clone()
            .map(Credential::Token)
            .or_else(|| env.password.clone().map(Credential::Password));
        return Ok(Target {
            url: url.clone(),
            source: Source::EnvUrl,
            credential,
        });
    }
    let remote = string_at(gateway, &["mode"]) == Some("remote");
    if remote {
        if let Some(url) = string_at(gateway, &["remote", "url"]) {
            check_url(url, "gateway.remote.url")?;
            let credential = string_at(gateway, &["remote", "token"])
                .map(|t| Credential::Token(t.to_owned()))
                .or_else(|| {
                    string_at(gateway, &["remote", "password"])
                        .map(|p| Credential::Password(p.to_owned()))
                })
                .or_else(|| env.token.clone().map(Credential::Token))
                .or_else(|| env.password.clone().map(Credential::Password));
            return Ok(Target {
                url: url.to_owned(),
                source: Source::Remote,
                credential,
            });
        }
    }
    let port = match &env.port {
        Some(port) => parse_port(port, "OPENCLAW_GATEWAY_PORT")?,
        None => match gateway.and_then(|g| g.get("port")) {
            None | Some(Value::Null) => DEFAULT_PORT,
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|n| *n > 0)
                .ok_or_else(|| Error::config(format!("gateway.port: {n} is not a TCP port")))?,
            Some(Value::String(s)) => parse_port(s, "gateway.port")?,
            Some(other) => {
                return Err(Error::config(format!(
                    "gateway.port: {other} is not a TCP port"
                )));
            }
        },
    };
    // For the local gateway the config's secret comes first.
    let credential = string_at(gateway, &["auth", "token"])
        .map(|t| Credential::Token(t.to_owned()))
        .or_else(|| env.token.clone().map(Credential::Token))
        .or_else(|| {
            string_at(gateway, &["auth", "password"]).map(|p| Credential::Password(p.to_owned()))
        })
        .or_else(|| env.password.clone().map(Credential::Password));
    Ok(Target {
        url: format!("ws://127.0.0.1:{port}"),
        source: Source::Loopback,
        credential,
    })
}

fn parse_port(value: &str, name: &str) -> Result<u16> {
    value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| Error::config(format!("{name}: `{value}` is not a TCP port")))
}

fn check_url(url: &str, name: &str) -> Result<()> {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "ws" | "wss") && parsed.host().is_some() => Ok(()),
        _ => Err(Error::config(format!(
            "{name}: `{url}` is not a ws:// or wss:// URL"
        ))),
    }
}

/// The credential, or the error the reference gives before opening a socket.
pub fn require_credential<'t>(
    target: &'t Target,
    method: &str,
    config_path: &Path,
) -> Result<&'t Credential> {
    if let Some(credential) = &target.credential {
        return Ok(credential);
    }
    let error = if target.source == Source::EnvUrl {
        Error::config(format!(
            "gateway url override requires explicit credentials (OPENCLAW_GATEWAY_URL is set; config credentials are not reused for it); config: {}",
            config_path.display()
        ))
        .with_hint("set OPENCLAW_GATEWAY_TOKEN or OPENCLAW_GATEWAY_PASSWORD alongside OPENCLAW_GATEWAY_URL, or pass `--local` to run from this process")
    } else {
        Error::config(format!(
            "gateway {method} requires credentials before opening a websocket; config: {}",
            config_path.display()
        ))
        .with_hint("set gateway.auth.token (or gateway.auth.password) in the config or OPENCLAW_GATEWAY_TOKEN, or pass `--local` to run from this process")
    };
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(url: Option<&str>, port: Option<&str>, token: Option<&str>) -> EnvValues {
        EnvValues {
            url: url.map(str::to_owned),
            port: port.map(str::to_owned),
            token: token.map(str::to_owned),
            password: None,
        }
    }

    #[test]
    fn default_is_loopback_on_18789_without_credentials() {
        let target = resolve(None, &EnvValues::default()).unwrap();
        assert_eq!(target.url, "ws://127.0.0.1:18789");
        assert_eq!(target.source, Source::Loopback);
        assert!(target.credential.is_none());
        assert!(!configured(None, &EnvValues::default()));
    }

    #[test]
    fn env_url_uses_only_env_credentials() {
        let gateway = json!({"auth": {"token": "config-token"}});
        let target = resolve(Some(&gateway), &env(Some("ws://10.0.0.2:1"), None, None)).unwrap();
        assert_eq!(target.source, Source::EnvUrl);
        assert!(target.credential.is_none());
        let error = require_credential(&target, "agent", Path::new("/c.json")).unwrap_err();
        assert!(
            error
                .message()
                .contains("url override requires explicit credentials")
        );
        let target = resolve(
            Some(&gateway),
            &env(Some("ws://10.0.0.2:1"), None, Some("e")),
        )
        .unwrap();
        assert_eq!(target.credential, Some(Credential::Token("e".into())));
    }

    #[test]
    fn local_token_is_config_first_and_port_env_first() {
        let gateway = json!({"port": 18790, "auth": {"token": "config-token"}});
        let target = resolve(Some(&gateway), &env(None, Some("18795"), Some("env-token"))).unwrap();
        assert_eq!(target.url, "ws://127.0.0.1:18795");
        assert_eq!(
            target.credential,
            Some(Credential::Token("config-token".into()))
        );
        let target = resolve(Some(&gateway), &EnvValues::default()).unwrap();
        assert_eq!(target.url, "ws://127.0.0.1:18790");
        let target = resolve(None, &env(None, None, Some("env-token"))).unwrap();
        assert_eq!(
            target.credential,
            Some(Credential::Token("env-token".into()))
        );
    }

    #[test]
    fn remote_mode_uses_the_remote_url_and_token() {
        let gateway =
            json!({"mode": "remote", "remote": {"url": "wss://gw.example/", "token": "r"}});
        let target = resolve(Some(&gateway), &EnvValues::default()).unwrap();
        assert_eq!(target.url, "wss://gw.example/");
        assert_eq!(target.source, Source::Remote);
        assert_eq!(target.credential, Some(Credential::Token("r".into())));
        assert!(configured(Some(&gateway), &EnvValues::default()));
    }

    #[test]
    fn bad_values_are_config_errors() {
        assert!(resolve(None, &env(Some("http://x"), None, None)).is_err());
        assert!(resolve(None, &env(None, Some("99999"), None)).is_err());
        assert!(resolve(Some(&json!({"port": "abc"})), &EnvValues::default()).is_err());
    }

    #[test]
    fn no_credential_names_the_fix() {
        let target = resolve(None, &EnvValues::default()).unwrap();
        let error = require_credential(&target, "tts.status", Path::new("/c.json")).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(
            error
                .message()
                .contains("requires credentials before opening a websocket")
        );
        assert!(
            error
                .hints()
                .iter()
                .any(|h| h.contains("gateway.auth.token"))
        );
        assert!(format!("{:?}", Credential::Token("s3cret".into())).contains("***"));
    }
}
