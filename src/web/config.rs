//! Typed views of the web settings inside the raw `tools` and `plugins`
//! config sections: `tools.web.{search,fetch}` and
//! `plugins.entries.<id>.config.{webSearch,webFetch}`. A value of the wrong
//! type is a config error naming its key path.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::{Config, EnvString, env};
use crate::error::{Error, Result};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchSettings {
    pub enabled: Option<bool>,
    pub provider: Option<String>,
    pub max_chars: Option<u64>,
    pub max_chars_cap: Option<u64>,
    pub max_response_bytes: Option<u64>,
    #[serde(default, deserialize_with = "crate::config::bounds::opt_seconds")]
    pub timeout_seconds: Option<f64>,
    pub max_redirects: Option<u32>,
    pub readability: Option<bool>,
    pub user_agent: Option<EnvString>,
    pub ssrf_policy: Option<SsrfPolicySettings>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SsrfPolicySettings {
    #[serde(default)]
    pub dangerously_allow_private_network: bool,
    #[serde(default)]
    pub allowed_hostnames: Vec<String>,
    #[serde(default)]
    pub blocked_hostnames: Vec<String>,
    #[serde(default)]
    pub allow_rfc2544_benchmark_range: bool,
    #[serde(default)]
    pub allow_ipv6_unique_local_range: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchSettings {
    pub enabled: Option<bool>,
    pub provider: Option<String>,
    pub max_results: Option<u64>,
    #[serde(default, deserialize_with = "crate::config::bounds::opt_seconds")]
    pub timeout_seconds: Option<f64>,
}

/// A key written inline, or a SecretRef `{source: "env", id: "NAME"}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SecretValue {
    Inline(EnvString),
    Reference { source: String, id: String },
}

impl SecretValue {
    /// The value, or a config error for a reference that cannot be read here.
    pub fn resolve(&self, key: &str) -> Result<Option<String>> {
        let value = self.resolve_unregistered(key)?;
        if let Some(value) = &value {
            crate::redact::register(value);
        }
        Ok(value)
    }

    fn resolve_unregistered(&self, key: &str) -> Result<Option<String>> {
        match self {
            SecretValue::Inline(text) => Ok(Some(text.0.clone()).filter(|v| !v.trim().is_empty())),
            SecretValue::Reference { source, id } if source == "env" => Ok(env::var(id)),
            SecretValue::Reference { source, .. } => Err(Error::config(format!(
                "{key}: secret references with source `{source}` are not supported; use a string or {{source: \"env\", id: \"NAME\"}}"
            ))),
        }
    }
}

/// `plugins.entries.<id>.config.webSearch` / `.webFetch`: the keys every
/// provider shares; provider-specific keys stay in `extra`.
#[derive(Debug, Default, Clone)]
pub struct PluginSettings {
    pub enabled: Option<bool>,
    pub api_key: Option<SecretValue>,
    pub base_url: Option<EnvString>,
    pub extra: Value,
    /// Where these settings live, for error messages.
    pub path: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SharedPluginKeys {
    api_key: Option<SecretValue>,
    base_url: Option<EnvString>,
}

impl PluginSettings {
    /// A provider-specific string option (`region`, `safeSearch`, ...).
    pub fn string(&self, key: &str) -> Result<Option<String>> {
        match self.extra.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(_) => Err(Error::config(format!(
                "{}.{key}: expected a string",
                self.path
            ))),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.extra.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(_) => Err(Error::config(format!(
                "{}.{key}: expected true or false",
                self.path
            ))),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>> {
        match self.extra.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_f64()
                .map(Some)
                .ok_or_else(|| Error::config(format!("{}.{key}: expected a number", self.path))),
        }
    }

    pub fn api_key(&self) -> Result<Option<String>> {
        match &self.api_key {
            Some(secret) => secret.resolve(&format!("{}.apiKey", self.path)),
            None => Ok(None),
        }
    }

    pub fn base_url(&self) -> Option<String> {
        self.base_url
            .as_ref()
            .map(|url| url.0.trim().to_owned())
            .filter(|url| !url.is_empty())
    }
}

/// Deserialize `value` (found at `path`) into `T`, reporting the failing key.
fn typed<T: DeserializeOwned + Default>(value: Option<&Value>, path: &str) -> Result<T> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(T::default());
    };
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let at = if inner == "." || inner.is_empty() {
            path.to_owned()
        } else {
            format!("{path}.{inner}")
        };
        Error::config(format!("{at}: {}", error.inner()))
    })
}

fn web_section<'a>(config: &'a Config, part: &str) -> Option<&'a Value> {
    config.tools.as_ref()?.get("web")?.get(part)
}

pub fn fetch_settings(config: &Config) -> Result<FetchSettings> {
    typed(web_section(config, "fetch"), "tools.web.fetch")
}

pub fn search_settings(config: &Config) -> Result<SearchSettings> {
    typed(web_section(config, "search"), "tools.web.search")
}

/// `plugins.entries.<plugin>` with `config.<section>` (`webSearch` / `webFetch`).
pub fn plugin_settings(config: &Config, plugin: &str, section: &str) -> Result<PluginSettings> {
    let entry = config
        .plugins
        .as_ref()
        .and_then(|p| p.get("entries"))
        .and_then(|e| e.get(plugin));
    let path = format!("plugins.entries.{plugin}.config.{section}");
    let Some(entry) = entry.filter(|e| !e.is_null()) else {
        return Ok(PluginSettings {
            path,
            ..Default::default()
        });
    };
    let enabled = match entry.get("enabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(flag)) => Some(*flag),
        Some(_) => {
            return Err(Error::config(format!(
                "plugins.entries.{plugin}.enabled: expected true or false"
            )));
        }
    };
    let block = entry
        .get("config")
        .and_then(|c| c.get(section))
        .filter(|b| !b.is_null());
    let Some(block) = block else {
        return Ok(PluginSettings {
            enabled,
            path,
            ..Default::default()
        });
    };
    if !block.is_object() {
        return Err(Error::config(format!("{path}: expected an object")));
    }
    let shared: SharedPluginKeys = serde_path_to_error::deserialize(block)
        .map_err(|error| Error::config(format!("{path}.{}: {}", error.path(), error.inner())))?;
    Ok(PluginSettings {
        enabled,
        api_key: shared.api_key,
        base_url: shared.base_url,
        extra: block.clone(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        crate::config::parse(text).unwrap()
    }

    fn parsed(text: &str) -> Config {
        config(text)
    }

    #[test]
    fn fetch_keys_are_read() {
        let config = config(
            r#"{ tools: { web: { fetch: { maxChars: 100, maxResponseBytes: 4096, timeoutSeconds: 2.5, maxRedirects: 1,
                 ssrfPolicy: { allowedHostnames: ["localhost"], dangerouslyAllowPrivateNetwork: true } } } } }"#,
        );
        let fetch = fetch_settings(&config).unwrap();
        assert_eq!(fetch.max_chars, Some(100));
        assert_eq!(fetch.max_response_bytes, Some(4096));
        assert_eq!(fetch.max_redirects, Some(1));
        let policy = fetch.ssrf_policy.unwrap();
        assert_eq!(policy.allowed_hostnames, ["localhost"]);
        assert!(policy.dangerously_allow_private_network);
    }

    #[test]
    fn wrong_types_name_the_key() {
        let config = config(r#"{ tools: { web: { fetch: { maxChars: "many" } } } }"#);
        let error = fetch_settings(&config).unwrap_err();
        assert!(
            error.message().starts_with("tools.web.fetch.maxChars:"),
            "{}",
            error.message()
        );
        assert_eq!(error.exit_code(), 2);
        let config = parsed(
            r#"{ plugins: { entries: { brave: { config: { webSearch: { apiKey: 42 } } } } } }"#,
        );
        let error = plugin_settings(&config, "brave", "webSearch").unwrap_err();
        assert!(
            error
                .message()
                .contains("plugins.entries.brave.config.webSearch.apiKey"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn plugin_keys_and_extras() {
        let config = config(
            r#"{ plugins: { entries: { duckduckgo: { config: { webSearch: { region: "de-de", baseUrl: "http://x" } } } } } }"#,
        );
        let settings = plugin_settings(&config, "duckduckgo", "webSearch").unwrap();
        assert_eq!(settings.base_url().as_deref(), Some("http://x"));
        assert_eq!(settings.string("region").unwrap().as_deref(), Some("de-de"));
        assert_eq!(settings.api_key().unwrap(), None);
        let missing = plugin_settings(&config, "brave", "webSearch").unwrap();
        assert!(missing.base_url().is_none());
    }
}
