//! `~/.openclaw/agents/<agent>/agent/auth-profiles.json`: saved API keys,
//! keyed `provider:default`. Written atomically with mode 0600.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AuthProfiles {
    #[serde(default = "version_one")]
    pub version: u32,
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Keys this tool does not use are written back unchanged.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    #[serde(rename = "type")]
    pub kind: String,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

fn version_one() -> u32 {
    1
}

impl AuthProfiles {
    /// Read the file; a missing file is an empty set.
    pub fn load(path: &Path) -> Result<AuthProfiles> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let profiles: AuthProfiles = serde_json::from_str(&text).map_err(|error| {
                    Error::config(format!(
                        "invalid auth profiles {}:{}:{}: {error}",
                        path.display(),
                        error.line(),
                        error.column()
                    ))
                })?;
                for key in profiles.profiles.values().filter_map(|p| p.key.as_deref()) {
                    crate::redact::register(key);
                }
                Ok(profiles)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                Ok(AuthProfiles::default())
            }
            Err(error) => Err(Error::io(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    /// The provider's `provider:default` API key, else any of its API keys.
    pub fn key_for(&self, provider: &str) -> Option<(&str, &str)> {
        let default_id = format!("{provider}:default");
        fn usable<'p>(
            provider: &str,
            id: &'p str,
            profile: &'p Profile,
        ) -> Option<(&'p str, &'p str)> {
            let matches =
                profile.provider.eq_ignore_ascii_case(provider) && profile.kind == "api_key";
            let key = profile.key.as_deref().filter(|key| !key.is_empty())?;
            matches.then_some((id, key))
        }
        self.profiles
            .get_key_value(&default_id)
            .and_then(|(id, profile)| usable(provider, id, profile))
            .or_else(|| {
                self.profiles
                    .iter()
                    .find_map(|(id, profile)| usable(provider, id, profile))
            })
    }

    pub fn set_api_key(&mut self, provider: &str, key: &str) -> String {
        let id = format!("{provider}:default");
        self.profiles.insert(
            id.clone(),
            Profile {
                kind: "api_key".to_owned(),
                provider: provider.to_owned(),
                key: Some(key.to_owned()),
                other: BTreeMap::new(),
            },
        );
        id
    }

    /// Remove every profile of the provider; returns the removed ids.
    pub fn remove_provider(&mut self, provider: &str) -> Vec<String> {
        let removed: Vec<String> = self
            .profiles
            .iter()
            .filter(|(_, p)| p.provider.eq_ignore_ascii_case(provider))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &removed {
            self.profiles.remove(id);
        }
        removed
    }

    pub fn save(&self, path: &Path) -> Result<PathBuf> {
        let text = serde_json::to_string_pretty(self).expect("profiles serialize") + "\n";
        crate::media::write_atomic(path, text.as_bytes(), Some(0o600))?;
        Ok(path.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_reference_shape() {
        let profiles: AuthProfiles = serde_json::from_str(
            r#"{"version":1,"profiles":{"openai:default":{"type":"api_key","provider":"openai","key":"sk-1"},
                "anthropic:work":{"type":"api_key","provider":"anthropic","key":"sk-2"},
                "google:oauth":{"type":"oauth","provider":"google","access":"x"}}}"#,
        )
        .unwrap();
        assert_eq!(profiles.key_for("openai"), Some(("openai:default", "sk-1")));
        assert_eq!(
            profiles.key_for("anthropic"),
            Some(("anthropic:work", "sk-2"))
        );
        assert_eq!(profiles.key_for("google"), None);
    }

    #[test]
    fn set_and_remove() {
        let mut profiles = AuthProfiles::default();
        profiles.set_api_key("groq", "k");
        assert_eq!(profiles.key_for("groq"), Some(("groq:default", "k")));
        assert_eq!(profiles.remove_provider("groq"), ["groq:default"]);
        assert!(profiles.key_for("groq").is_none());
    }
}
