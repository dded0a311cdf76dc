//! Turning what the user typed (`provider/model`, an alias, or nothing)
//! into a provider and model.

use crate::catalog::ModelKind;
use crate::error::{Error, Result};

use super::{Model, Provider, Registry};

/// `provider/model`, split at the FIRST `/`: `huggingface/deepseek-ai/DeepSeek-R1`
/// is provider `huggingface`, model `deepseek-ai/DeepSeek-R1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    pub provider: String,
    pub model: String,
}

impl ModelRef {
    pub fn parse(reference: &str) -> Result<ModelRef> {
        let trimmed = reference.trim();
        match trimmed.split_once('/') {
            Some((provider, model)) if !provider.is_empty() && !model.trim().is_empty() => {
                Ok(ModelRef {
                    provider: provider.to_owned(),
                    model: model.to_owned(),
                })
            }
            _ => Err(Error::usage(format!(
                "`--model` must be `<provider/model>`, got `{trimmed}`"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Resolved<'r> {
    pub provider: &'r Provider,
    pub model: Model,
}

impl Registry {
    /// Resolve a model ref or alias. An id the provider does not list is
    /// accepted with default metadata; an unknown provider is an error.
    pub fn resolve(&self, reference: &str, kind: ModelKind) -> Result<Resolved<'_>> {
        let reference = self.alias_target(reference).unwrap_or(reference);
        let parsed = ModelRef::parse(reference).map_err(|error| {
            match self
                .models()
                .find(|m| m.id.eq_ignore_ascii_case(reference.trim()))
            {
                Some(model) => error.with_hint(format!("did you mean `{}`?", model.reference())),
                None => error,
            }
        })?;
        let Some(provider) = self.provider(&parsed.provider) else {
            return Err(self.unknown_provider(&parsed.provider));
        };
        let model = provider
            .models
            .iter()
            .find(|m| m.id == parsed.model)
            .or_else(|| {
                provider
                    .models
                    .iter()
                    .find(|m| m.id.eq_ignore_ascii_case(&parsed.model))
            })
            .cloned()
            .or_else(|| provider.variant(&parsed.model))
            .unwrap_or_else(|| Model::unlisted(&provider.id, &parsed.model, kind));
        Ok(Resolved { provider, model })
    }

    /// The provider's default model for a capability kind.
    pub fn default_for(&self, provider_id: &str, kind: ModelKind) -> Result<Resolved<'_>> {
        let provider = self
            .provider(provider_id)
            .ok_or_else(|| self.unknown_provider(provider_id))?;
        let model_id = provider
            .defaults
            .get(&kind)
            .cloned()
            .or_else(|| {
                provider
                    .models
                    .iter()
                    .find(|m| m.kind == kind)
                    .map(|m| m.id.clone())
            })
            .ok_or_else(|| {
                Error::usage(
                    format!("provider `{}` has no default {kind:?} model", provider.id)
                        .to_lowercase(),
                )
                .with_hint("pass `--model <provider/model>`")
            })?;
        self.resolve(&format!("{}/{model_id}", provider.id), kind)
    }

    pub fn unknown_provider(&self, id: &str) -> Error {
        let close = self
            .providers
            .iter()
            .map(|p| p.id.as_str())
            .filter(|known| similar(known, id))
            .collect::<Vec<_>>();
        let error = Error::usage(format!("unknown provider `{id}`"));
        if close.is_empty() {
            error.with_hint(format!(
                "known providers: {}; add others under `models.providers` in the config",
                self.provider_ids().join(", ")
            ))
        } else {
            error.with_hint(format!("did you mean `{}`?", close.join("`, `")))
        }
    }

    /// `model inspect`: an exact `provider/id` first, then a bare id.
    /// A routing-suffixed id (`huggingface/org/model:fastest`) is found
    /// with its base model's metadata.
    pub fn find(&self, query: &str) -> Option<std::borrow::Cow<'_, Model>> {
        use std::borrow::Cow;
        let query = self.alias_target(query).unwrap_or(query);
        if let Ok(parsed) = ModelRef::parse(query) {
            if let Some(provider) = self.provider(&parsed.provider) {
                if let Some(model) = provider
                    .models
                    .iter()
                    .find(|m| m.id.eq_ignore_ascii_case(&parsed.model))
                {
                    return Some(Cow::Borrowed(model));
                }
                if let Some(model) = provider.variant(&parsed.model) {
                    return Some(Cow::Owned(model));
                }
            }
        }
        self.models()
            .find(|m| m.id == query)
            .or_else(|| self.models().find(|m| m.id.eq_ignore_ascii_case(query)))
            .map(Cow::Borrowed)
    }
}

/// A cheap "did you mean": same prefix, or one edit apart.
fn similar(known: &str, typed: &str) -> bool {
    let typed = typed.to_ascii_lowercase();
    if typed.len() >= 3 && (known.starts_with(&typed) || typed.starts_with(known)) {
        return true;
    }
    strsim::levenshtein(known, &typed) <= 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;

    fn registry(text: &str) -> Registry {
        Registry::build(&config::parse(text).unwrap()).unwrap()
    }

    #[test]
    fn splits_at_the_first_slash() {
        let parsed = ModelRef::parse("huggingface/deepseek-ai/DeepSeek-R1").unwrap();
        assert_eq!(parsed.provider, "huggingface");
        assert_eq!(parsed.model, "deepseek-ai/DeepSeek-R1");
        assert!(ModelRef::parse("gpt-5").is_err());
        assert!(ModelRef::parse("openai/").is_err());
        assert!(ModelRef::parse("/x").is_err());
    }

    #[test]
    fn case_only_differences_are_corrected() {
        let registry = registry("{}");
        let resolved = registry
            .resolve("HuggingFace/deepseek-ai/deepseek-r1", ModelKind::Chat)
            .unwrap();
        assert_eq!(resolved.provider.id, "huggingface");
        assert_eq!(resolved.model.id, "deepseek-ai/DeepSeek-R1");
        assert!(resolved.model.known);
    }

    #[test]
    fn unlisted_model_of_known_provider_is_accepted() {
        let registry = registry("{}");
        let resolved = registry
            .resolve("openai/gpt-99-preview", ModelKind::Chat)
            .unwrap();
        assert_eq!(resolved.model.id, "gpt-99-preview");
        assert!(!resolved.model.known);
        let resolved = registry
            .resolve("openai/new-embedder", ModelKind::Embedding)
            .unwrap();
        assert_eq!(resolved.model.kind, ModelKind::Embedding);
    }

    #[test]
    fn unknown_provider_suggests_a_close_one() {
        let registry = registry("{}");
        let error = registry
            .resolve("opnai/gpt-5", ModelKind::Chat)
            .unwrap_err();
        assert!(error.message().contains("opnai"));
        assert!(error.hints()[0].contains("openai"), "{:?}", error.hints());
    }

    #[test]
    fn aliases_from_config_resolve() {
        let registry = registry(
            r#"{agents: {defaults: {models: {"huggingface/deepseek-ai/DeepSeek-R1": {alias: "DeepSeek R1"}}}}}"#,
        );
        let resolved = registry.resolve("deepseek r1", ModelKind::Chat).unwrap();
        assert_eq!(
            resolved.model.reference(),
            "huggingface/deepseek-ai/DeepSeek-R1"
        );
        assert_eq!(resolved.model.alias.as_deref(), Some("DeepSeek R1"));
    }

    #[test]
    fn bare_id_without_slash_is_a_usage_error_with_a_hint() {
        let registry = registry("{}");
        let error = registry
            .resolve("deepseek-ai/DeepSeek-R1x", ModelKind::Chat)
            .unwrap_err();
        assert!(error.message().contains("unknown provider"));
        let error = registry.resolve("gpt-5.4", ModelKind::Chat).unwrap_err();
        assert!(
            error.hints().iter().any(|h| h.contains("openai/gpt-5.4")),
            "{:?}",
            error.hints()
        );
    }

    #[test]
    fn inspect_matches_full_ref_then_bare_id() {
        let registry = registry("{}");
        assert_eq!(registry.find("openai/gpt-5.4").unwrap().provider, "openai");
        assert_eq!(registry.find("gpt-5.4").unwrap().provider, "openai");
        assert!(registry.find("nothing-like-this").is_none());
    }

    #[test]
    fn routing_suffixes_resolve_with_base_metadata_and_own_alias() {
        let registry = registry(
            r#"{agents: {defaults: {models: {
                "huggingface/deepseek-ai/DeepSeek-R1": {alias: "DeepSeek R1 (fast)"},
                "huggingface/deepseek-ai/DeepSeek-R1:cheapest": {alias: "DeepSeek R1 (cheap)"}}}}}"#,
        );
        let cheap = registry
            .resolve("DeepSeek R1 (cheap)", ModelKind::Chat)
            .unwrap();
        assert_eq!(cheap.model.id, "deepseek-ai/DeepSeek-R1:cheapest");
        assert_eq!(cheap.model.context_window, Some(131072));
        assert!(cheap.model.known && cheap.model.reasoning);
        assert_eq!(cheap.model.alias.as_deref(), Some("DeepSeek R1 (cheap)"));
        let base = registry
            .resolve("DeepSeek R1 (fast)", ModelKind::Chat)
            .unwrap();
        assert_eq!(base.model.id, "deepseek-ai/DeepSeek-R1");
        let together = registry
            .resolve(
                "huggingface/deepseek-ai/DeepSeek-R1:together",
                ModelKind::Chat,
            )
            .unwrap();
        assert_eq!(together.model.id, "deepseek-ai/DeepSeek-R1:together");
        assert_eq!(together.model.max_tokens, Some(32768));
        assert!(registry.find("huggingface/Qwen/Qwen3-8B:fastest").is_some());
        // Other providers keep colons as part of the id.
        let other = registry
            .resolve("openai/gpt-5.4:fastest", ModelKind::Chat)
            .unwrap();
        assert!(!other.model.known);
        assert_eq!(
            registry
                .models()
                .filter(|m| m.id == "deepseek-ai/DeepSeek-R1:cheapest")
                .count(),
            1,
            "a configured suffix is its own listed entry"
        );
    }

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(strsim::levenshtein("openai", "opnai"), 1);
        assert_eq!(strsim::levenshtein("groq", "grok"), 1);
        assert!(strsim::levenshtein("anthropic", "ollama") > 2);
        // What the suggestion rule makes of those distances.
        assert!(similar("openai", "opnai") && similar("groq", "grok"));
        assert!(!similar("anthropic", "ollama"));
    }
}
