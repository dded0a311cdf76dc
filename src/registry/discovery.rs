//! Hugging Face model discovery: `GET {baseUrl}/models` on the router,
//! merged with the built-in list and cached on disk for six hours.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Model, Provider};
use crate::auth;
use crate::catalog::{Modality, ModelKind};
use crate::context::Context;
use crate::http;

/// How long a discovered list is reused before asking the router again.
pub const CACHE_TTL: Duration = Duration::from_secs(6 * 60 * 60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One model the router lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Discovered {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u64>,
    #[serde(default)]
    pub input: Vec<Modality>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CacheFile {
    fetched_at: u64,
    base_url: String,
    authenticated: bool,
    models: Vec<Discovered>,
}

pub fn cache_path(ctx: &Context, provider: &str) -> PathBuf {
    ctx.paths
        .state_dir
        .join("cache")
        .join(format!("{provider}-models.json"))
}

/// `deepseek-ai/DeepSeek-R1` -> `DeepSeek R1`.
pub fn display_name(id: &str) -> String {
    let base = id.rsplit('/').next().unwrap_or(id);
    let words: Vec<&str> = base
        .split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        id.to_owned()
    } else {
        words.join(" ")
    }
}

/// The router's OpenAI-style list: `{object: "list", data: [{id, ...}]}`.
/// Models that do not answer in text (image or speech only) are left out.
pub fn parse_models(body: &Value) -> Vec<Discovered> {
    let Some(items) = body.get("data").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut found: Vec<Discovered> = Vec::new();
    for item in items {
        let Some(id) = item
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.trim().is_empty())
        else {
            continue;
        };
        let modalities = |key: &str| -> Option<Vec<String>> {
            let list = item.get("architecture")?.get(key)?.as_array()?;
            Some(
                list.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_ascii_lowercase)
                    .collect(),
            )
        };
        if modalities("output_modalities").is_some_and(|out| !out.iter().any(|m| m == "text")) {
            continue;
        }
        let name = ["name", "title", "display_name"]
            .iter()
            .find_map(|key| {
                item.get(*key)
                    .and_then(Value::as_str)
                    .filter(|n| !n.trim().is_empty())
            })
            .map_or_else(|| display_name(id), str::to_owned);
        let context_window = item
            .get("context_length")
            .and_then(Value::as_u64)
            .or_else(|| {
                item.get("providers")?
                    .as_array()?
                    .iter()
                    .filter_map(|p| p.get("context_length").and_then(Value::as_u64))
                    .max()
            });
        let mut input = vec![Modality::Text];
        if modalities("input_modalities").is_some_and(|inputs| inputs.iter().any(|m| m == "image"))
        {
            input.push(Modality::Image);
        }
        if !found.iter().any(|d| d.id == id) {
            found.push(Discovered {
                id: id.to_owned(),
                name,
                context_window,
                input,
            });
        }
    }
    found
}

/// The provider's models with the discovered ones added: what the
/// catalog and config say about a model wins; new ids get defaults.
pub fn merge(provider: &Provider, discovered: &[Discovered]) -> Vec<Model> {
    let mut models = provider.models.clone();
    for found in discovered {
        if models.iter().any(|m| m.id.eq_ignore_ascii_case(&found.id)) {
            continue;
        }
        let mut model = Model::unlisted(&provider.id, &found.id, ModelKind::Chat);
        model.name = found.name.clone();
        model.context_window = found.context_window;
        model.input = found.input.clone();
        model.known = true;
        models.push(model);
    }
    models
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Why discovery gave nothing; shown as a one-line note in text mode,
/// after which callers show the built-in list.
#[derive(Debug, thiserror::Error)]
pub enum Skipped {
    #[error("no {provider} token ({vars}); showing the built-in model list")]
    NoToken { provider: String, vars: String },
    #[error("{provider} model discovery failed ({why}); showing the built-in model list")]
    Failed { provider: String, why: String },
    /// The profiles or the HTTP client could not be set up.
    #[error("{0}")]
    Setup(String),
}

/// The discovered list: from the cache when fresh, else from the router.
pub async fn discover(ctx: &Context, provider: &Provider) -> Result<Vec<Discovered>, Skipped> {
    let profiles = ctx
        .profiles()
        .map_err(|e| Skipped::Setup(e.message().to_owned()))?;
    let Some(credential) = auth::lookup(provider, profiles) else {
        return Err(Skipped::NoToken {
            provider: provider.name.clone(),
            vars: provider.env_vars.join(" or "),
        });
    };
    discover_with_key(ctx, provider, credential.secret.expose()).await
}

/// Discovery with a key in hand (onboarding has one before it is saved).
pub async fn discover_with_key(
    ctx: &Context,
    provider: &Provider,
    key: &str,
) -> Result<Vec<Discovered>, Skipped> {
    let path = cache_path(ctx, &provider.id);
    if let Some(cached) = read_cache(&path, &provider.base_url) {
        return Ok(cached);
    }
    let url = format!("{}/models", provider.base_url.trim_end_matches('/'));
    let client = ctx
        .client()
        .map_err(|e| Skipped::Setup(e.message().to_owned()))?;
    let mut request = client.get(&url).timeout(REQUEST_TIMEOUT).bearer_auth(key);
    for (name, value) in &provider.headers {
        request = request.header(name, value);
    }
    let failed = |why: String| Skipped::Failed {
        provider: provider.name.clone(),
        why,
    };
    let response = request
        .send()
        .await
        .map_err(|e| failed(http::transport_error(e, &url).message().to_owned()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(failed(format!("HTTP {}", status.as_u16())));
    }
    let text = http::read_text(response, http::ANSWER_LIMIT, &url)
        .await
        .map_err(|e| failed(e.message().to_owned()))?;
    let body: Value =
        serde_json::from_str(&text).map_err(|e| failed(format!("unreadable answer: {e}")))?;
    if body.get("data").and_then(Value::as_array).is_none() {
        return Err(failed("the answer has no `data` list".to_owned()));
    }
    let models = parse_models(&body);
    let cache = CacheFile {
        fetched_at: now(),
        base_url: provider.base_url.clone(),
        authenticated: true,
        models,
    };
    // A cache that cannot be written only costs a request next time.
    let text = serde_json::to_string_pretty(&cache).expect("cache serializes");
    let _ = crate::media::write_atomic(&path, text.as_bytes(), Some(0o600));
    Ok(cache.models)
}

fn read_cache(path: &std::path::Path, base_url: &str) -> Option<Vec<Discovered>> {
    let text = std::fs::read_to_string(path).ok()?;
    let cache: CacheFile = serde_json::from_str(&text).ok()?;
    let age = now().checked_sub(cache.fetched_at)?;
    (cache.base_url == base_url && cache.authenticated && age < CACHE_TTL.as_secs())
        .then_some(cache.models)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_come_from_the_answer_or_the_id() {
        assert_eq!(display_name("deepseek-ai/DeepSeek-R1"), "DeepSeek R1");
        assert_eq!(
            display_name("meta-llama/Llama-3.3-70B-Instruct"),
            "Llama 3.3 70B Instruct"
        );
        assert_eq!(display_name("plain"), "plain");
        let found = parse_models(&json!({"object": "list", "data": [
            {"id": "a/One", "name": "Named"},
            {"id": "b/Two", "title": "Titled"},
            {"id": "c/Three", "display_name": "Displayed"},
            {"id": "Qwen/Qwen3-8B", "owned_by": "Qwen",
             "architecture": {"input_modalities": ["text", "image"], "output_modalities": ["text"]},
             "providers": [{"provider": "a", "context_length": 32768}, {"provider": "b", "context_length": 40960}]},
            {"id": "x/image-maker", "architecture": {"input_modalities": ["text"], "output_modalities": ["image"]}},
            {"object": "model"}
        ]}));
        let names: Vec<&str> = found.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Named", "Titled", "Displayed", "Qwen3 8B"]);
        assert_eq!(found[3].context_window, Some(40960));
        assert_eq!(found[3].input, [Modality::Text, Modality::Image]);
    }

    #[test]
    fn catalog_and_config_win_over_discovery() {
        let config = crate::config::parse(
            r#"{models: {providers: {huggingface: {models: [{id: "org/Mine", name: "My Name", alias: "mine"}]}}}}"#,
        )
        .unwrap();
        let registry = super::super::Registry::build(&config).unwrap();
        let provider = registry.provider("huggingface").unwrap();
        let merged = merge(
            provider,
            &[
                Discovered {
                    id: "deepseek-ai/DeepSeek-R1".into(),
                    name: "Other".into(),
                    context_window: Some(1),
                    input: vec![Modality::Text],
                },
                Discovered {
                    id: "org/Mine".into(),
                    name: "Discovered Name".into(),
                    context_window: None,
                    input: vec![Modality::Text],
                },
                Discovered {
                    id: "new/Model-X".into(),
                    name: "Model X".into(),
                    context_window: None,
                    input: vec![Modality::Text],
                },
            ],
        );
        let r1 = merged
            .iter()
            .find(|m| m.id == "deepseek-ai/DeepSeek-R1")
            .unwrap();
        assert_eq!(
            (r1.name.as_str(), r1.context_window),
            ("DeepSeek R1", Some(131072))
        );
        let mine = merged.iter().find(|m| m.id == "org/Mine").unwrap();
        assert_eq!(
            (mine.name.as_str(), mine.alias.as_deref()),
            ("My Name", Some("mine"))
        );
        let new = merged.iter().find(|m| m.id == "new/Model-X").unwrap();
        assert_eq!(new.name, "Model X");
        assert_eq!(merged.len(), provider.models.len() + 1);
    }
}
