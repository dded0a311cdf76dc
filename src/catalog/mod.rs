//! The provider and model catalog bundled into the binary
//! (`catalog.json`), parsed on first use only.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

mod apis;

pub use apis::{
    Apis, EmbeddingProtocol, ImageFamily, SpeechProtocol, TranscriptionProtocol, VideoFamily,
};

/// The wire protocol a provider speaks. Many vendors share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum Api {
    #[serde(rename = "openai-completions")]
    OpenAiCompletions,
    #[serde(rename = "openai-responses")]
    OpenAiResponses,
    #[serde(rename = "anthropic-messages")]
    AnthropicMessages,
    #[serde(rename = "google-generative-ai")]
    GoogleGenerativeAi,
    #[serde(rename = "ollama")]
    Ollama,
    /// GGUF models run inside this process (the `local-llm` feature).
    #[serde(rename = "local")]
    Local,
    /// A provider with no chat API (media or embedding only).
    #[serde(rename = "none")]
    None,
}

impl Api {
    pub fn as_str(self) -> &'static str {
        match self {
            Api::OpenAiCompletions => "openai-completions",
            Api::OpenAiResponses => "openai-responses",
            Api::AnthropicMessages => "anthropic-messages",
            Api::GoogleGenerativeAi => "google-generative-ai",
            Api::Ollama => "ollama",
            Api::Local => "local",
            Api::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Modality {
    Text,
    Image,
    Audio,
    Video,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    #[default]
    Chat,
    Embedding,
    Transcription,
    Tts,
    Image,
    Video,
}

/// Prices in US dollars per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cost {
    #[serde(default)]
    pub input: f64,
    #[serde(default)]
    pub output: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_read: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
}

/// What an endpoint accepts where APIs of one family differ: a catalog
/// row's or a config's `compat` block. Keys this tool does not act on are
/// read and ignored, so a block written for the reference tool loads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Compat {
    /// Which output-cap field an OpenAI-compatible chat endpoint reads.
    pub max_tokens_field: Option<MaxTokensField>,
}

impl Compat {
    /// `self`'s settings, with `fallback`'s where `self` has none.
    pub fn or(self, fallback: Compat) -> Compat {
        Compat {
            max_tokens_field: self.max_tokens_field.or(fallback.max_tokens_field),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum MaxTokensField {
    #[serde(rename = "max_tokens")]
    MaxTokens,
    #[serde(rename = "max_completion_tokens")]
    MaxCompletionTokens,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogProvider {
    pub id: String,
    pub name: String,
    pub base_url: String,
    /// Where the API lives below a configured origin (`/v1` for ClawRouter):
    /// a `baseUrl` from the config is the origin, with or without it.
    #[serde(default)]
    pub api_path: Option<String>,
    pub api: Api,
    /// The API per capability other than chat, where the row names one;
    /// the registry derives the rest from `api`.
    #[serde(default)]
    pub apis: Apis,
    /// Endpoint quirks that hold for this vendor id whatever its host.
    #[serde(default)]
    pub compat: Compat,
    #[serde(default)]
    pub env_vars: Vec<String>,
    #[serde(default)]
    pub key_optional: bool,
    /// Default model id per capability kind (`chat`, `embedding`, ...).
    #[serde(default)]
    pub defaults: BTreeMap<ModelKind, String>,
    #[serde(default)]
    pub models: Vec<CatalogModel>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CatalogModel {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub kind: ModelKind,
    pub context_window: Option<u64>,
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub reasoning: bool,
    #[serde(default = "text_only")]
    pub input: Vec<Modality>,
    pub cost: Option<Cost>,
    pub dimensions: Option<u64>,
}

pub fn text_only() -> Vec<Modality> {
    vec![Modality::Text]
}

#[derive(Debug, Deserialize)]
struct CatalogFile {
    providers: Vec<CatalogProvider>,
}

const CATALOG_JSON: &str = include_str!("catalog.json");

/// The bundled providers, in catalog order.
pub fn providers() -> &'static [CatalogProvider] {
    static CATALOG: OnceLock<Vec<CatalogProvider>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        serde_json::from_str::<CatalogFile>(CATALOG_JSON)
            .expect("the bundled catalog.json is valid (checked by a unit test)")
            .providers
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_catalog_is_valid() {
        let providers = providers();
        for required in [
            "openai",
            "anthropic",
            "google",
            "groq",
            "mistral",
            "cerebras",
            "deepseek",
            "together",
            "xai",
            "openrouter",
            "huggingface",
            "ollama",
            "local",
        ] {
            assert!(
                providers.iter().any(|p| p.id == required),
                "missing provider {required}"
            );
        }
        for provider in providers {
            assert_eq!(provider.id, provider.id.to_ascii_lowercase());
            for (kind, model) in &provider.defaults {
                assert!(
                    provider
                        .models
                        .iter()
                        .any(|m| &m.id == model && m.kind == *kind),
                    "{}: default {kind:?} model {model} is not a listed {kind:?} model",
                    provider.id
                );
            }
        }
    }

    #[test]
    fn key_env_vars_follow_the_spec_order() {
        let find = |id: &str| providers().iter().find(|p| p.id == id).unwrap();
        assert_eq!(
            find("huggingface").env_vars,
            ["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"]
        );
        assert_eq!(
            find("google").env_vars,
            ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        );
        assert!(find("ollama").key_optional);
        assert!(find("local").key_optional);
        assert_eq!(find("local").api, Api::Local);
    }
}
