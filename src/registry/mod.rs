//! The provider registry: the bundled catalog with the config's
//! `models.providers` merged over it, and model-ref resolution.

pub mod discovery;
mod resolve;

use std::collections::BTreeMap;

use serde_json::Value;
use std::time::Duration;

use serde::Serialize;

use crate::catalog::{self, Api, Apis, Compat, Cost, Modality, ModelKind};
use crate::config::{Config, MergeMode, ModelConfig, ProviderConfig};
use crate::error::{Error, Result};

pub use resolve::{ModelRef, Resolved};

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub base_url: String,
    /// The chat API.
    pub api: Api,
    /// The API for every other capability, resolved once when the registry
    /// is built (the catalog's `apis`, gaps filled from `api`).
    pub apis: Apis,
    pub env_vars: Vec<String>,
    pub key_optional: bool,
    /// `apiKey` from the config, already `${VAR}`-substituted.
    pub config_key: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub request_timeout: Option<Duration>,
    pub proxy: Option<String>,
    pub streaming: bool,
    /// The catalog row's `compat`, overridden key by key by the config's.
    pub compat: Compat,
    /// CPU threads for in-process models (0: every available core).
    pub threads: Option<u32>,
    pub defaults: BTreeMap<ModelKind, String>,
    pub models: Vec<Model>,
    pub in_catalog: bool,
    pub in_config: bool,
}

/// Providers whose model ids take a routing-policy suffix
/// (`org/model:fastest`, `:cheapest`, `:<backend>`), sent unchanged.
const SUFFIX_PROVIDERS: &[&str] = &["huggingface"];

impl Provider {
    /// `org/model:policy` as its own entry, with the base model's metadata.
    pub fn variant(&self, id: &str) -> Option<Model> {
        if !SUFFIX_PROVIDERS.contains(&self.id.as_str()) {
            return None;
        }
        let (base, suffix) = id.rsplit_once(':')?;
        if base.is_empty() || suffix.is_empty() || suffix.contains('/') {
            return None;
        }
        let base = self
            .models
            .iter()
            .find(|m| m.id == base)
            .or_else(|| self.models.iter().find(|m| m.id.eq_ignore_ascii_case(base)))?;
        let mut model = base.clone();
        model.id = format!("{}:{suffix}", base.id);
        model.name = format!("{} ({suffix})", base.name);
        model.alias = None;
        Some(model)
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Model {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub kind: ModelKind,
    pub context_window: Option<u64>,
    pub max_tokens: Option<u64>,
    pub reasoning: bool,
    pub input: Vec<Modality>,
    pub cost: Option<Cost>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    #[serde(skip)]
    pub temperature: Option<f64>,
    #[serde(skip)]
    pub context_tokens: Option<u64>,
    /// The config's `compat` for this model (over the provider's).
    #[serde(skip)]
    pub compat: Compat,
    /// The config's `params` for this model (engine options).
    #[serde(skip)]
    pub params: BTreeMap<String, Value>,
    /// Where `cost` came from: `catalog` or `config`.
    #[serde(skip)]
    pub cost_source: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// False when neither the catalog nor the config lists the id.
    pub known: bool,
}

impl Model {
    /// Metadata for an id the catalog does not know yet (new models ship
    /// before catalogs list them).
    pub fn unlisted(provider: &str, id: &str, kind: ModelKind) -> Model {
        Model {
            id: id.to_owned(),
            name: id.to_owned(),
            provider: provider.to_owned(),
            kind,
            context_window: None,
            max_tokens: None,
            reasoning: false,
            input: catalog::text_only(),
            cost: None,
            dimensions: None,
            alias: None,
            temperature: None,
            context_tokens: None,
            params: BTreeMap::new(),
            compat: Compat::default(),
            cost_source: "catalog",
            path: None,
            known: false,
        }
    }

    pub fn accepts(&self, modality: Modality) -> bool {
        self.input.contains(&modality)
    }

    pub fn reference(&self) -> String {
        format!("{}/{}", self.provider, self.id)
    }

    fn apply(&mut self, config: &ModelConfig) {
        if let Some(name) = &config.name {
            self.name = name.clone();
        }
        if let Some(input) = &config.input {
            self.input = input.clone();
        }
        self.context_window = config.context_window.or(self.context_window);
        self.max_tokens = config.max_tokens.or(self.max_tokens);
        self.reasoning = config.reasoning.unwrap_or(self.reasoning);
        if config.cost.is_some() {
            self.cost = config.cost;
            self.cost_source = "config";
        }
        self.temperature = config.temperature.or(self.temperature);
        self.context_tokens = config.context_tokens.or(self.context_tokens);
        self.compat = config.compat.or(self.compat);
        if !config.params.is_empty() {
            self.params = config.params.clone();
        }
        if config.alias.is_some() {
            self.alias = config.alias.clone();
        }
        if let Some(path) = &config.path {
            self.path = Some(path.0.clone());
        }
        if let Some(kind) = config.kind {
            self.kind = kind;
        }
        self.known = true;
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    pub providers: Vec<Provider>,
    /// Lower-cased alias -> (alias as written, `provider/model`).
    aliases: BTreeMap<String, (String, String)>,
}

impl Registry {
    pub fn build(config: &Config) -> Result<Registry> {
        let mut providers: Vec<Provider> = match config.models.mode {
            MergeMode::Merge => catalog::providers().iter().map(from_catalog).collect(),
            MergeMode::Replace => Vec::new(),
        };
        for (id, settings) in &config.models.providers {
            let id = id.to_ascii_lowercase();
            match providers.iter_mut().find(|provider| provider.id == id) {
                Some(provider) => merge(provider, settings),
                None => providers.push(from_config(&id, settings)?),
            }
        }

        for provider in &mut providers {
            provider.apis = resolve_apis(provider);
        }

        let mut aliases = BTreeMap::new();
        for provider in &providers {
            for model in &provider.models {
                if let Some(alias) = &model.alias {
                    aliases.insert(alias.to_lowercase(), (alias.clone(), model.reference()));
                }
            }
        }
        for (reference, settings) in &config.agents.defaults.models {
            if let Some(alias) = &settings.alias {
                aliases.insert(alias.to_lowercase(), (alias.clone(), reference.clone()));
            }
            add_variant(&mut providers, reference);
        }
        if let Some(selection) = &config.agents.defaults.model {
            for reference in selection
                .primary()
                .into_iter()
                .chain(selection.fallbacks().iter().map(String::as_str))
            {
                add_variant(&mut providers, reference);
            }
        }
        let mut registry = Registry { providers, aliases };
        registry.attach_aliases();
        Ok(registry)
    }

    /// Show each alias on the model it names, for `model list`.
    fn attach_aliases(&mut self) {
        let pairs: Vec<(String, String)> = self.aliases.values().cloned().collect();
        for (alias, reference) in pairs {
            let Some((provider_id, model_id)) = reference.split_once('/') else {
                continue;
            };
            if let Some(model) = self
                .providers
                .iter_mut()
                .find(|p| p.id.eq_ignore_ascii_case(provider_id))
                .and_then(|p| p.models.iter_mut().find(|m| m.id == model_id))
            {
                model.alias = Some(alias);
            }
        }
    }

    pub fn provider(&self, id: &str) -> Option<&Provider> {
        self.providers.iter().find(|p| p.id == id).or_else(|| {
            self.providers
                .iter()
                .find(|p| p.id.eq_ignore_ascii_case(id))
        })
    }

    pub fn alias_target(&self, alias: &str) -> Option<&str> {
        self.aliases
            .get(&alias.trim().to_lowercase())
            .map(|(_, reference)| reference.as_str())
    }

    pub fn provider_ids(&self) -> Vec<&str> {
        self.providers.iter().map(|p| p.id.as_str()).collect()
    }

    /// Every listed model, in provider order.
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.providers.iter().flat_map(|p| p.models.iter())
    }
}

/// A configured `provider/org/model:suffix` becomes a listed entry of its
/// own (so it shows in `model list` and carries its alias).
fn add_variant(providers: &mut [Provider], reference: &str) {
    let Some((provider_id, model_id)) = reference.split_once('/') else {
        return;
    };
    let Some(provider) = providers
        .iter_mut()
        .find(|p| p.id.eq_ignore_ascii_case(provider_id))
    else {
        return;
    };
    if provider.models.iter().any(|m| m.id == model_id) {
        return;
    }
    if let Some(model) = provider.variant(model_id) {
        provider.models.push(model);
    }
}

fn from_catalog(entry: &catalog::CatalogProvider) -> Provider {
    Provider {
        id: entry.id.clone(),
        name: entry.name.clone(),
        base_url: entry.base_url.clone(),
        api: entry.api,
        apis: entry.apis,
        env_vars: entry.env_vars.clone(),
        key_optional: entry.key_optional,
        config_key: None,
        headers: BTreeMap::new(),
        request_timeout: None,
        proxy: None,
        streaming: true,
        compat: entry.compat,
        threads: None,
        defaults: entry.defaults.clone(),
        models: entry
            .models
            .iter()
            .map(|m| Model {
                id: m.id.clone(),
                name: m.name.clone(),
                provider: entry.id.clone(),
                kind: m.kind,
                context_window: m.context_window,
                max_tokens: m.max_tokens,
                reasoning: m.reasoning,
                input: m.input.clone(),
                cost: m.cost,
                dimensions: m.dimensions,
                alias: None,
                temperature: None,
                context_tokens: None,
                params: BTreeMap::new(),
                compat: Compat::default(),
                cost_source: "catalog",
                path: None,
                known: true,
            })
            .collect(),
        in_catalog: true,
        in_config: false,
    }
}

fn from_config(id: &str, settings: &ProviderConfig) -> Result<Provider> {
    let Some(base_url) = settings
        .base_url
        .as_ref()
        .filter(|url| !url.trim().is_empty())
    else {
        return Err(Error::config(format!(
            "provider `{id}` in `models.providers` has no `baseUrl`"
        ))
        .with_hint("set `models.providers.<id>.baseUrl`, e.g. \"http://127.0.0.1:8080/v1\""));
    };
    let mut provider = Provider {
        id: id.to_owned(),
        name: id.to_owned(),
        base_url: base_url.0.clone(),
        api: settings.api.unwrap_or(Api::OpenAiCompletions),
        // A config provider named like a catalog vendor (the catalog replaced)
        // still speaks that vendor's media APIs.
        apis: catalog_row(id).map(|entry| entry.apis).unwrap_or_default(),
        env_vars: Vec::new(),
        // A self-hosted endpoint may need no key; if it does, its 401 says so.
        key_optional: true,
        config_key: None,
        headers: BTreeMap::new(),
        request_timeout: None,
        proxy: None,
        streaming: true,
        compat: catalog_row(id)
            .map(|entry| entry.compat)
            .unwrap_or_default(),
        threads: None,
        defaults: BTreeMap::new(),
        models: Vec::new(),
        in_catalog: false,
        in_config: true,
    };
    merge(&mut provider, settings);
    Ok(provider)
}

fn catalog_row(id: &str) -> Option<&'static catalog::CatalogProvider> {
    catalog::providers().iter().find(|entry| entry.id == id)
}

/// The provider's API per capability: what it names, the rest implied by
/// its chat API (after the config has had its say on both).
fn resolve_apis(provider: &Provider) -> Apis {
    let lists_speech_model = provider.defaults.contains_key(&ModelKind::Tts)
        || provider.models.iter().any(|m| m.kind == ModelKind::Tts);
    provider.apis.or_from_chat(provider.api, lists_speech_model)
}

/// A configured `baseUrl` for a vendor whose API lives under a fixed path
/// of its origin (the catalog's `apiPath`): the path is added unless the
/// URL already ends in it, as the reference tool does.
fn with_api_path(id: &str, base_url: &str) -> String {
    let api_path = catalog_row(id).and_then(|entry| entry.api_path.as_deref());
    let Some(api_path) = api_path else {
        return base_url.to_owned();
    };
    let origin = base_url.trim_end_matches('/');
    let origin = origin.strip_suffix(api_path).unwrap_or(origin);
    format!("{origin}{api_path}")
}

/// The output cap the reference tool gives a config-declared model that
/// names no `maxTokens`.
const CONFIG_MODEL_MAX_TOKENS: u64 = 8192;

/// `https://api.openai.com` itself (with or without `/v1`), not a proxy.
fn is_openai_platform(base_url: &str) -> bool {
    reqwest::Url::parse(base_url.trim()).is_ok_and(|url| {
        url.host_str().is_some_and(|host| {
            host.trim_end_matches('.')
                .eq_ignore_ascii_case("api.openai.com")
        }) && matches!(url.path(), "/" | "/v1" | "/v1/")
    })
}

fn merge(provider: &mut Provider, settings: &ProviderConfig) {
    provider.in_config = true;
    if let Some(url) = settings
        .base_url
        .as_ref()
        .filter(|url| !url.trim().is_empty())
    {
        provider.base_url = with_api_path(&provider.id, &url.0);
        // OpenAI's Responses API is only assumed on OpenAI's own host: a
        // proxy or Azure endpoint configured without `api` speaks chat
        // completions, as the reference tool routes it.
        if provider.id == "openai" && settings.api.is_none() && !is_openai_platform(&url.0) {
            provider.api = Api::OpenAiCompletions;
        }
    }
    if let Some(api) = settings.api {
        provider.api = api;
    }
    if let Some(key) = settings
        .api_key
        .as_ref()
        .filter(|key| !key.trim().is_empty())
    {
        provider.config_key = Some(key.0.clone());
    }
    for (name, value) in &settings.headers {
        provider.headers.insert(name.clone(), value.0.clone());
    }
    if let Some(seconds) = settings.timeout_seconds.filter(|s| *s > 0.0) {
        provider.request_timeout = Some(crate::config::bounds::seconds(
            seconds,
            Duration::from_secs(60),
        ));
    }
    if let Some(proxy) = &settings.proxy {
        provider.proxy = Some(proxy.0.clone());
    }
    if let Some(streaming) = settings.streaming {
        provider.streaming = streaming;
    }
    if settings.threads.is_some() {
        provider.threads = settings.threads;
    }
    provider.compat = settings.compat.or(provider.compat);
    for model_config in &settings.models {
        match provider.models.iter_mut().find(|m| m.id == model_config.id) {
            Some(model) => model.apply(model_config),
            None => {
                let mut model = provider.variant(&model_config.id).unwrap_or_else(|| {
                    Model::unlisted(&provider.id, &model_config.id, ModelKind::Chat)
                });
                model.apply(model_config);
                // A chat model declared in config without `maxTokens` and
                // unknown to the catalog gets the reference tool's default
                // output cap, so both send the same request.
                if model.max_tokens.is_none() && model.kind == ModelKind::Chat {
                    model.max_tokens = Some(CONFIG_MODEL_MAX_TOKENS);
                }
                provider.models.push(model);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn registry(text: &str) -> Registry {
        Registry::build(&config::parse(text).unwrap()).unwrap()
    }

    #[test]
    fn config_provider_is_added_with_its_models() {
        let registry = registry(
            r#"{models: {providers: {myllm: {baseUrl: "http://127.0.0.1:9/v1",
                models: [{id: "m1", name: "M1", input: ["text", "image"], contextWindow: 32768}]}}}}"#,
        );
        let provider = registry.provider("myllm").unwrap();
        assert_eq!(provider.api, Api::OpenAiCompletions);
        assert!(provider.models[0].accepts(Modality::Image));
        assert!(
            registry.provider("openai").is_some(),
            "merge keeps the catalog"
        );
    }

    #[test]
    fn openai_off_its_own_host_speaks_chat_completions_unless_told() {
        let api = |provider: &str| {
            let text = format!("{{models: {{providers: {{openai: {provider}}}}}}}");
            registry(&text).provider("openai").unwrap().api
        };
        assert_eq!(
            api(r#"{baseUrl: "http://127.0.0.1:9/v1"}"#),
            Api::OpenAiCompletions
        );
        assert_eq!(
            api(r#"{baseUrl: "https://x.openai.azure.com"}"#),
            Api::OpenAiCompletions
        );
        assert_eq!(
            api(r#"{baseUrl: "https://api.openai.com/v1"}"#),
            Api::OpenAiResponses
        );
        assert_eq!(
            api(r#"{baseUrl: "http://127.0.0.1:9/v1", api: "openai-responses"}"#),
            Api::OpenAiResponses
        );
    }

    #[test]
    fn a_config_model_without_max_tokens_gets_the_default_cap() {
        let registry = registry(
            r#"{models: {providers: {myllm: {baseUrl: "http://127.0.0.1:9/v1",
                models: [{id: "m1"}, {id: "m2", maxTokens: 100}]}}}}"#,
        );
        let models = &registry.provider("myllm").unwrap().models;
        assert_eq!(models[0].max_tokens, Some(8192));
        assert_eq!(models[1].max_tokens, Some(100));
    }

    #[test]
    fn replace_mode_drops_the_catalog() {
        let registry = registry(
            r#"{models: {mode: "replace", providers: {x: {baseUrl: "http://127.0.0.1:9"}}}}"#,
        );
        assert_eq!(registry.provider_ids(), ["x"]);
    }

    #[test]
    fn config_overrides_catalog_fields_and_models() {
        let registry = registry(
            r#"{models: {providers: {groq: {baseUrl: "http://127.0.0.1:9/v1", apiKey: "k",
                models: [{id: "brand-new", name: "Brand New"}]}}}}"#,
        );
        let groq = registry.provider("groq").unwrap();
        assert_eq!(groq.base_url, "http://127.0.0.1:9/v1");
        assert_eq!(groq.config_key.as_deref(), Some("k"));
        assert_eq!(groq.env_vars, ["GROQ_API_KEY"]);
        assert!(
            groq.models
                .iter()
                .any(|m| m.id == "brand-new" && m.name == "Brand New")
        );
    }

    #[test]
    fn clawrouter_origin_gets_its_api_path_once() {
        for base in [
            "http://127.0.0.1:9",
            "http://127.0.0.1:9/",
            "http://127.0.0.1:9/v1",
        ] {
            let text =
                format!(r#"{{models: {{providers: {{clawrouter: {{baseUrl: "{base}"}}}}}}}}"#);
            let registry = registry(&text);
            assert_eq!(
                registry.provider("clawrouter").unwrap().base_url,
                "http://127.0.0.1:9/v1"
            );
        }
    }

    #[test]
    fn base_url_spelled_like_the_openai_sdk_is_read() {
        let registry =
            registry(r#"{models: {providers: {ollama: {baseURL: "http://127.0.0.1:9"}}}}"#);
        assert_eq!(
            registry.provider("ollama").unwrap().base_url,
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn catalog_rows_carry_their_media_apis() {
        use crate::catalog::{
            EmbeddingProtocol, ImageFamily, SpeechProtocol, TranscriptionProtocol, VideoFamily,
        };
        let registry = registry("{}");
        let apis = |id: &str| registry.provider(id).unwrap().apis;
        let fal = apis("fal");
        assert_eq!(fal.image, Some(ImageFamily::Fal));
        assert_eq!(fal.video, Some(VideoFamily::Fal));
        assert_eq!(fal.embedding, None);
        let xai = apis("xai");
        assert_eq!(xai.image, Some(ImageFamily::Xai));
        assert_eq!(xai.video, Some(VideoFamily::Xai));
        assert_eq!(
            xai.embedding,
            Some(EmbeddingProtocol::OpenAi),
            "from its chat api"
        );
        assert_eq!(apis("google").video, Some(VideoFamily::Google));
        assert_eq!(apis("google").speech, None);
        assert_eq!(apis("openrouter").image, Some(ImageFamily::OpenRouter));
        assert_eq!(apis("openrouter").video, None);
        assert_eq!(apis("openrouter").speech, Some(SpeechProtocol::OpenAi));
        assert_eq!(apis("huggingface").image, Some(ImageFamily::HuggingFace));
        assert_eq!(apis("voyage").embedding, Some(EmbeddingProtocol::Voyage));
        assert_eq!(
            apis("deepgram").transcription,
            Some(TranscriptionProtocol::Deepgram)
        );
        let elevenlabs = apis("elevenlabs");
        assert_eq!(
            elevenlabs.transcription,
            Some(TranscriptionProtocol::ElevenLabs)
        );
        assert_eq!(elevenlabs.speech, Some(SpeechProtocol::ElevenLabs));
        assert_eq!(apis("ollama").embedding, Some(EmbeddingProtocol::Ollama));
        let groq = apis("groq");
        assert_eq!(groq.transcription, Some(TranscriptionProtocol::OpenAi));
        assert_eq!(groq.speech, None, "groq lists no speech model");
        assert_eq!(apis("anthropic"), Apis::default());
    }

    #[test]
    fn config_providers_take_their_media_apis_from_their_chat_api() {
        use crate::catalog::{
            EmbeddingProtocol, ImageFamily, SpeechProtocol, TranscriptionProtocol,
        };
        let registry = registry(
            r#"{models: {providers: {
                compat: {baseUrl: "http://127.0.0.1:9/v1"},
                speaker: {baseUrl: "http://127.0.0.1:9/v1",
                    models: [{id: "voice-1", kind: "tts"}]},
                gem: {baseUrl: "http://127.0.0.1:9", api: "google-generative-ai"},
                claude: {baseUrl: "http://127.0.0.1:9", api: "anthropic-messages"},
                groq: {baseUrl: "http://127.0.0.1:9/v1", models: [{id: "s", kind: "tts"}]}}}}"#,
        );
        let apis = |id: &str| registry.provider(id).unwrap().apis;
        let compat = apis("compat");
        assert_eq!(compat.image, Some(ImageFamily::OpenAi));
        assert_eq!(compat.transcription, Some(TranscriptionProtocol::OpenAi));
        assert_eq!(compat.embedding, Some(EmbeddingProtocol::OpenAi));
        assert_eq!((compat.speech, compat.video), (None, None));
        assert_eq!(apis("speaker").speech, Some(SpeechProtocol::OpenAi));
        assert_eq!(apis("gem").image, Some(ImageFamily::Google));
        assert_eq!(apis("gem").embedding, Some(EmbeddingProtocol::Gemini));
        assert_eq!(apis("claude"), Apis::default());
        assert_eq!(
            apis("groq").speech,
            Some(SpeechProtocol::OpenAi),
            "a speech model added by the config opens the speech route"
        );
    }

    #[test]
    fn a_replaced_catalog_keeps_a_vendor_api_by_name() {
        use crate::catalog::{ImageFamily, VideoFamily};
        let registry = registry(
            r#"{models: {mode: "replace", providers: {fal: {baseUrl: "http://127.0.0.1:9"}}}}"#,
        );
        let fal = registry.provider("fal").unwrap().apis;
        assert_eq!(fal.image, Some(ImageFamily::Fal));
        assert_eq!(fal.video, Some(VideoFamily::Fal));
    }

    #[test]
    fn config_provider_without_base_url_is_an_error() {
        let config = config::parse(r#"{models: {providers: {nowhere: {}}}}"#).unwrap();
        let error = Registry::build(&config).unwrap_err();
        assert!(error.message().contains("nowhere"));
    }
}
