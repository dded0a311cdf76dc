//! Provider credentials: where a key comes from (env var, config, saved
//! profile) and a `Secret` type that never prints its value.

pub mod profiles;

use std::fmt;

use serde::Serialize;

use crate::config::env;
use crate::error::{Error, Reason};
use crate::registry::Provider;

pub use profiles::AuthProfiles;

/// A credential value. `Debug` and `Display` show `[redacted]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value is registered with `redact`, so no printed string shows it.
    pub fn new(value: impl Into<String>) -> Secret {
        let value = value.into();
        crate::redact::register(&value);
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Where a provider's credential was found. Serialized for `auth status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    Env { name: String },
    Config,
    Profile { id: String },
    None,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Env { name } => write!(f, "env {name}"),
            Source::Config => f.write_str("config apiKey"),
            Source::Profile { id } => write!(f, "profile {id}"),
            Source::None => f.write_str("none"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Credential {
    pub secret: Secret,
    pub source: Source,
}

/// Env vars in catalog order, then the config's `apiKey`, then a saved profile.
pub fn lookup(provider: &Provider, profiles: &AuthProfiles) -> Option<Credential> {
    for name in &provider.env_vars {
        if let Some(value) = env::var(name) {
            return Some(Credential {
                secret: Secret::new(value),
                source: Source::Env { name: name.clone() },
            });
        }
    }
    if let Some(key) = &provider.config_key {
        return Some(Credential {
            secret: Secret::new(key.clone()),
            source: Source::Config,
        });
    }
    profiles.key_for(&provider.id).map(|(id, key)| Credential {
        secret: Secret::new(key),
        source: Source::Profile { id: id.to_owned() },
    })
}

/// The credential a request needs, or an auth error that says how to add one.
/// Providers that work without a key (local runtimes) get `None`.
pub fn require(provider: &Provider, profiles: &AuthProfiles) -> Result<Option<Credential>, Error> {
    match lookup(provider, profiles) {
        Some(credential) => Ok(Some(credential)),
        None if provider.key_optional => Ok(None),
        None => {
            let mut error = Error::provider(
                Reason::Auth,
                format!("no API key for provider `{}`", provider.id),
            );
            if let Some(first) = provider.env_vars.first() {
                error = error.with_hint(format!(
                    "set `{first}`, or run `openclaw infer model auth login --provider {}`",
                    provider.id
                ));
            } else {
                error = error.with_hint(format!(
                    "set `models.providers.{}.apiKey` in the config",
                    provider.id
                ));
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("sk-very-secret");
        assert_eq!(format!("{secret} {secret:?}"), "[redacted] [redacted]");
    }
}
