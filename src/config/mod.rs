//! The user's JSON5 config (`~/.openclaw/openclaw.json`): typed views of
//! the keys openclaw acts on. Unknown keys are kept out of the way, not
//! rejected, so a config shared with the reference tool loads unchanged.

pub mod bounds;
pub mod edit;
pub mod env;
mod env_string;
pub(crate) mod load;
pub mod lock;
pub mod paths;
pub mod schema;
mod text_error;
pub mod validate;

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

pub use env_string::EnvString;
pub use load::load;
#[cfg(test)]
pub use load::parse;
pub use paths::Paths;
pub use text_error::TextError;

use crate::catalog::{Api, Cost, Modality};

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub agents: Agents,
    #[serde(default)]
    pub models: Models,
    // Sections owned by other capabilities, kept raw until they are needed.
    // (No `#[serde(flatten)]` anywhere here: it buffers input and loses the
    // line and column of errors.)
    pub tools: Option<Value>,
    pub plugins: Option<Value>,
    /// `gateway.{mode, port, auth, remote}`: where `--gateway` connects.
    pub gateway: Option<Value>,
    pub messages: Option<Value>,
    /// `memory.search.{provider, model}`: the embedding defaults.
    pub memory: Option<Value>,
}

impl Config {
    /// Tell `redact` every secret the file holds: provider keys, header
    /// values, URL userinfo, and any string under a secret-looking key in
    /// the raw sections (`tools.web.search.apiKey`, `gateway.auth.token`...).
    pub fn register_secrets(&self) {
        for provider in self.models.providers.values() {
            if let Some(key) = &provider.api_key {
                crate::redact::register(key);
            }
            for value in provider.headers.values() {
                crate::redact::register(value);
            }
            for url in provider.base_url.iter().chain(provider.proxy.iter()) {
                crate::redact::register_url(url);
            }
        }
        let raw = [
            &self.tools,
            &self.plugins,
            &self.gateway,
            &self.messages,
            &self.memory,
        ];
        for section in raw.into_iter().flatten() {
            register_raw(section, false);
        }
    }
}

fn register_raw(value: &Value, secret: bool) {
    match value {
        // A bare `${VAR}` reference is not the secret; the variable's
        // value is registered when it is read.
        Value::String(text) if text.starts_with("${") && text.ends_with('}') => {}
        Value::String(text) if secret => crate::redact::register(text),
        Value::String(text) if text.contains("://") && text.contains('@') => {
            crate::redact::register_url(text);
        }
        Value::Object(map) => {
            for (key, value) in map {
                let secret = secret || key == "headers" || crate::redact::is_secret_name(key);
                register_raw(value, secret);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| register_raw(item, secret)),
        _ => {}
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Agents {
    #[serde(default)]
    pub defaults: AgentDefaults,
    /// Per-agent overrides keyed by agent id (`agents.entries.<id>`).
    #[serde(default)]
    pub entries: BTreeMap<String, AgentEntry>,
    /// The older roster spelling: `agents.list: [{ id, model, default }]`.
    #[serde(default)]
    pub list: Vec<AgentListEntry>,
}

/// What one agent overrides; only the model choice matters to this tool
/// (its saved auth lives in its own directory).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentEntry {
    pub model: Option<ModelSelection>,
    pub image_model: Option<ModelSelection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentListEntry {
    pub id: String,
    #[serde(default)]
    pub default: bool,
    pub model: Option<ModelSelection>,
    pub image_model: Option<ModelSelection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemAgent {
    pub agent_id: Option<String>,
}

impl Agents {
    /// Every configured agent id, entries first.
    pub fn ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.entries.keys().map(String::as_str).collect();
        for entry in &self.list {
            if !ids.contains(&entry.id.as_str()) {
                ids.push(&entry.id);
            }
        }
        ids
    }

    /// The agent a command acts for: `explicit` (`--agent`), else
    /// `agents.defaults.systemAgent.agentId`, else the one marked `default`,
    /// else the sole configured agent, else `None` (the default agent).
    pub fn resolve(&self, explicit: Option<&str>) -> Option<String> {
        let explicit = explicit.map(str::trim).filter(|id| !id.is_empty());
        if let Some(id) = explicit {
            return Some(id.to_owned());
        }
        let system = self
            .defaults
            .system_agent
            .as_ref()
            .and_then(|system| system.agent_id.as_deref())
            .map(str::trim)
            .filter(|id| !id.is_empty());
        if let Some(id) = system {
            return Some(id.to_owned());
        }
        if let Some(marked) = self.list.iter().find(|entry| entry.default) {
            return Some(marked.id.clone());
        }
        match self.ids().as_slice() {
            [sole] => Some((*sole).to_owned()),
            _ => None,
        }
    }

    /// Put agent `id`'s own model choices in place of the defaults, so
    /// every command that reads `agents.defaults` acts for that agent.
    pub fn apply_agent(&mut self, id: &str) {
        let (model, image_model) = match self.entries.get(id) {
            Some(entry) => (entry.model.clone(), entry.image_model.clone()),
            None => match self.list.iter().find(|entry| entry.id == id) {
                Some(entry) => (entry.model.clone(), entry.image_model.clone()),
                None => return,
            },
        };
        if model.is_some() {
            self.defaults.model = model;
        }
        if image_model.is_some() {
            self.defaults.image_model = image_model;
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentDefaults {
    pub model: Option<ModelSelection>,
    /// `systemAgent.agentId`: the agent commands act for without `--agent`.
    pub system_agent: Option<SystemAgent>,
    /// Per-model settings keyed by `provider/model`, e.g. display aliases.
    #[serde(default)]
    pub models: BTreeMap<String, ModelSettings>,
    pub image_model: Option<ModelSelection>,
    pub image_generation_model: Option<ModelSelection>,
    pub video_generation_model: Option<ModelSelection>,
    /// `mediaModels.image` / `mediaModels.video`: generation models with
    /// fallbacks and a timeout (the reference tool's spelling).
    #[serde(default)]
    pub media_models: MediaModels,
    /// Largest generated video kept, in MB (default 16).
    #[serde(default, deserialize_with = "bounds::opt_megabytes")]
    pub media_max_mb: Option<f64>,
    /// Deadline for a whole run, in seconds.
    #[serde(default, deserialize_with = "bounds::opt_seconds")]
    pub timeout_seconds: Option<f64>,
    /// How many requests a fan-out command keeps in flight at once.
    pub max_concurrent: Option<std::num::NonZeroUsize>,
    /// `{provider, model, ...}`: which embedding provider/model to use by default.
    pub memory_search: Option<Value>,
}

/// `"provider/model"` or `{ primary, fallbacks }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ModelSelection {
    Ref(String),
    Chain {
        primary: Option<String>,
        #[serde(default)]
        fallbacks: Vec<String>,
    },
}

impl ModelSelection {
    pub fn primary(&self) -> Option<&str> {
        match self {
            ModelSelection::Ref(reference) => Some(reference.as_str()),
            ModelSelection::Chain { primary, .. } => primary.as_deref(),
        }
        .filter(|reference| !reference.trim().is_empty())
    }

    pub fn fallbacks(&self) -> &[String] {
        match self {
            ModelSelection::Ref(_) => &[],
            ModelSelection::Chain { fallbacks, .. } => fallbacks,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaModels {
    pub image: Option<MediaModelSelection>,
    pub video: Option<MediaModelSelection>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MediaModelSelection {
    pub primary: Option<String>,
    #[serde(default)]
    pub fallbacks: Vec<String>,
    /// Deadline for one generation, in milliseconds.
    #[serde(default, deserialize_with = "bounds::opt_millis")]
    pub timeout_ms: Option<u64>,
}

impl MediaModelSelection {
    /// As a plain selection (primary + fallbacks).
    pub fn selection(&self) -> ModelSelection {
        ModelSelection::Chain {
            primary: self.primary.clone(),
            fallbacks: self.fallbacks.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelSettings {
    pub alias: Option<String>,
    /// Parsed so a malformed value is reported; no capability applies it yet.
    #[serde(default)]
    #[allow(dead_code)]
    pub params: BTreeMap<String, Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Models {
    #[serde(default)]
    pub mode: MergeMode,
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
}

/// Whether configured providers add to the bundled catalog or replace it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MergeMode {
    #[default]
    Merge,
    Replace,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfig {
    /// `baseURL` (the OpenAI SDK's spelling) is accepted as the reference's
    /// docs say, so such a config never falls back to a default URL.
    #[serde(alias = "baseURL")]
    pub base_url: Option<EnvString>,
    pub api_key: Option<EnvString>,
    pub api: Option<Api>,
    #[serde(default)]
    pub headers: BTreeMap<String, EnvString>,
    #[serde(default)]
    pub models: Vec<ModelConfig>,
    /// Deadline for one model HTTP request, in seconds.
    #[serde(default, deserialize_with = "bounds::opt_seconds")]
    pub timeout_seconds: Option<f64>,
    /// Proxy URL for this provider's requests.
    pub proxy: Option<EnvString>,
    /// Ask for a streamed answer (default true).
    pub streaming: Option<bool>,
    /// CPU threads for in-process models (`local`); default 1, 0 = all cores.
    pub threads: Option<u32>,
    #[serde(default)]
    pub compat: crate::catalog::Compat,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelConfig {
    pub id: String,
    pub name: Option<String>,
    pub input: Option<Vec<Modality>>,
    pub context_window: Option<u64>,
    /// A runtime cap on the context below `contextWindow` (Ollama's
    /// `num_ctx` when `params` does not set one).
    pub context_tokens: Option<u64>,
    pub max_tokens: Option<u64>,
    pub reasoning: Option<bool>,
    pub cost: Option<Cost>,
    /// Engine options passed through as given (Ollama's `options` keys and
    /// `keep_alive`/`format`/`truncate`/`shift`).
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
    #[serde(default)]
    pub compat: crate::catalog::Compat,
    #[serde(default, deserialize_with = "bounds::opt_finite")]
    pub temperature: Option<f64>,
    pub alias: Option<String>,
    /// A model file on disk (in-process providers).
    pub path: Option<EnvString>,
    /// What the model does (`chat` when absent): `embedding`, `transcription`, `tts`...
    pub kind: Option<crate::catalog::ModelKind>,
}
