//! Which models a media command tries: `--model` alone, else the
//! configured chain (`mediaModels.<kind>` or the older
//! `imageGenerationModel` / `videoGenerationModel`), else every provider
//! that has a key and a catalog default for the kind, in catalog order.

use std::time::Duration;

use crate::auth;
use crate::catalog::ModelKind;
use crate::config::{Config, MediaModelSelection, ModelSelection};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::registry::{Provider, Registry, Resolved};

pub struct Selection<'r> {
    pub candidates: Vec<Resolved<'r>>,
    /// `mediaModels.<kind>.timeoutMs` when configured.
    pub configured_timeout: Option<Duration>,
}

fn configured(
    config: &Config,
    kind: ModelKind,
) -> (Option<&MediaModelSelection>, Option<&ModelSelection>) {
    let defaults = &config.agents.defaults;
    match kind {
        ModelKind::Image => (
            defaults.media_models.image.as_ref(),
            defaults.image_generation_model.as_ref(),
        ),
        _ => (
            defaults.media_models.video.as_ref(),
            defaults.video_generation_model.as_ref(),
        ),
    }
}

pub fn select<'r>(
    ctx: &Context,
    registry: &'r Registry,
    model: Option<&str>,
    kind: ModelKind,
    supported: impl Fn(&Provider) -> bool,
) -> Result<Selection<'r>> {
    let config = ctx.config()?;
    let (media, legacy) = configured(config, kind);
    let configured_timeout = media
        .and_then(|m| m.timeout_ms)
        .filter(|ms| *ms > 0)
        .map(crate::config::bounds::millis);
    if let Some(reference) = model {
        return Ok(Selection {
            candidates: vec![registry.resolve(reference, kind)?],
            configured_timeout,
        });
    }
    let (key, selection) = match (media, legacy) {
        (Some(media), _) if media.primary.is_some() => (
            format!("agents.defaults.mediaModels.{}", kind_name(kind)),
            media.selection(),
        ),
        (_, Some(legacy)) if legacy.primary().is_some() => (
            format!("agents.defaults.{}GenerationModel", kind_name(kind)),
            legacy.clone(),
        ),
        _ => {
            return auto_detect(ctx, registry, kind, supported).map(|candidates| Selection {
                candidates,
                configured_timeout,
            });
        }
    };
    let mut candidates = Vec::new();
    if let Some(primary) = selection.primary() {
        candidates.push(
            registry
                .resolve(primary, kind)
                .map_err(|e| e.context(format!("{key}.primary")))?,
        );
    }
    for fallback in selection.fallbacks() {
        candidates.push(
            registry
                .resolve(fallback, kind)
                .map_err(|e| e.context(format!("{key}.fallbacks")))?,
        );
    }
    Ok(Selection {
        candidates,
        configured_timeout,
    })
}

fn kind_name(kind: ModelKind) -> &'static str {
    match kind {
        ModelKind::Image => "image",
        _ => "video",
    }
}

fn auto_detect<'r>(
    ctx: &Context,
    registry: &'r Registry,
    kind: ModelKind,
    supported: impl Fn(&Provider) -> bool,
) -> Result<Vec<Resolved<'r>>> {
    let profiles = ctx.profiles()?;
    let mut candidates = Vec::new();
    let mut env_hints = Vec::new();
    for provider in &registry.providers {
        if !provider.defaults.contains_key(&kind) || !supported(provider) {
            continue;
        }
        if auth::lookup(provider, profiles).is_some() {
            candidates.push(registry.default_for(&provider.id, kind)?);
        } else if let Some(var) = provider.env_vars.first() {
            env_hints.push(format!("{} ({var})", provider.id));
        }
    }
    if candidates.is_empty() {
        let name = kind_name(kind);
        return Err(Error::usage(format!(
            "no {name} generation provider has a key, and no {name} model is configured"
        ))
        .with_hint(format!(
            "set a key for one of: {}; or pass `--model <provider/model>`",
            env_hints.join(", ")
        ))
        .with_hint(format!(
            "or set `agents.defaults.mediaModels.{name}.primary` in the config"
        )));
    }
    Ok(candidates)
}
