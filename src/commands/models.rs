//! `openclaw models list | status`: the reference's top-level inventory and
//! default-model status, printed in its shapes. `infer model auth status
//! --json` prints the same status object, as the reference's does.

use std::process::ExitCode;

use serde_json::{Value, json};

use super::{Failure, Report};
use crate::auth::{self, Source};
use crate::cli::models::{ModelsCommand, ModelsListArgs};
use crate::context::Context;
use crate::envelope::{Envelope, Transport};
use crate::error::Result;
use crate::output::Diagnostics;
use crate::registry::Model;

pub fn run(command: ModelsCommand, ctx: &Context, diagnostics: &Diagnostics) -> ExitCode {
    let (capability, result) = match command {
        ModelsCommand::List(args) => ("models.list", list(ctx, &args)),
        ModelsCommand::Status(_) => ("models.status", status(ctx)),
    };
    super::finish(
        ctx,
        diagnostics,
        capability,
        Transport::Local,
        result.map_err(Failure::from),
    )
}

/// The configured models (the default, its fallbacks, the image model,
/// every `agents.defaults.models` key and every model of a provider in the
/// config); `--all` adds the whole catalog.
fn list(ctx: &Context, args: &ModelsListArgs) -> Result<Report> {
    let registry = ctx.registry()?;
    let config = ctx.config()?;
    let defaults = &config.agents.defaults;
    let primary = defaults.model.as_ref().and_then(|m| m.primary());
    let fallbacks = defaults
        .model
        .as_ref()
        .map(|m| m.fallbacks().to_vec())
        .unwrap_or_default();
    let image = defaults.image_model.as_ref().and_then(|m| m.primary());
    let mut wanted: Vec<String> = Vec::new();
    wanted.extend(primary.map(str::to_owned));
    wanted.extend(fallbacks.iter().cloned());
    wanted.extend(image.map(str::to_owned));
    wanted.extend(defaults.models.keys().cloned());
    let profiles = ctx.profiles()?;
    let mut rows: Vec<Value> = Vec::new();
    let mut text = String::new();
    let provider_filter = args.provider.as_deref().map(str::to_ascii_lowercase);
    for provider in &registry.providers {
        if provider_filter
            .as_deref()
            .is_some_and(|wanted| wanted != provider.id)
        {
            continue;
        }
        let available = auth::lookup(provider, profiles).is_some() || provider.key_optional;
        for model in &provider.models {
            let key = model.reference();
            let listed = args.all
                || provider_filter.is_some()
                || provider.in_config
                || wanted.iter().any(|w| w == &key);
            if !listed {
                continue;
            }
            let mut tags = Vec::new();
            if primary == Some(key.as_str()) {
                tags.push("default".to_owned());
            }
            if let Some(i) = fallbacks.iter().position(|f| f == &key) {
                tags.push(format!("fallback#{}", i + 1));
            }
            if image == Some(key.as_str()) {
                tags.push("image".to_owned());
            }
            let alias = defaults.models.get(&key).and_then(|s| s.alias.clone());
            if let Some(alias) = &alias {
                tags.push(format!("alias:{alias}"));
            }
            text.push_str(&if args.plain {
                format!("{key}\n")
            } else {
                format!("{key:48} {:>7}  {}\n", context_label(model), tags.join(","))
            });
            let local = local_endpoint(provider);
            rows.push(row(model, &key, available, local, tags, alias));
        }
    }
    let data = json!({"count": rows.len(), "models": rows});
    Ok(Report::data(
        Envelope::success("models.list", Transport::Local),
        data,
        text,
    ))
}

/// Whether a provider runs on this machine: in-process models, and
/// configured providers whose URL is a loopback host. Catalog providers
/// are null, as the reference prints them.
fn local_endpoint(provider: &crate::registry::Provider) -> Option<bool> {
    if provider.id == crate::engines::local_models::PROVIDER {
        return Some(true);
    }
    if !provider.in_config {
        return None;
    }
    let host = reqwest::Url::parse(&provider.base_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some(
        host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback()),
    )
}

fn context_label(model: &Model) -> String {
    model
        .context_window
        .map_or("-".to_owned(), |c| format!("{}k", c / 1000))
}

/// One `models list` row: the reference's keys, then the catalog row's own.
fn row(
    model: &Model,
    key: &str,
    available: bool,
    local: Option<bool>,
    tags: Vec<String>,
    alias: Option<String>,
) -> Value {
    let input = model
        .input
        .iter()
        .map(|i| format!("{i:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join("+");
    let mut value = json!({
        "key": key,
        "name": model.name,
        "input": input,
        "contextWindow": model.context_window,
        "local": local,
        "available": available,
        "tags": tags,
        "missing": false,
    });
    if let Some(alias) = alias {
        value["alias"] = json!(alias);
    }
    value
}

/// The default model, its fallbacks, aliases and where each provider's
/// credential comes from. Secrets never appear: a credential's `detail`
/// names where it was found, not any part of it.
pub fn status(ctx: &Context) -> Result<Report> {
    let registry = ctx.registry()?;
    let config = ctx.config()?;
    let profiles = ctx.profiles()?;
    let defaults = &config.agents.defaults;
    let primary = defaults
        .model
        .as_ref()
        .and_then(|m| m.primary())
        .map(str::to_owned);
    let resolved = primary.as_deref().and_then(|p| {
        registry
            .resolve(p, crate::catalog::ModelKind::Chat)
            .ok()
            .map(|r| format!("{}/{}", r.provider.id, r.model.id))
    });
    let fallbacks = defaults
        .model
        .as_ref()
        .map(|m| m.fallbacks().to_vec())
        .unwrap_or_default();
    let image = defaults
        .image_model
        .as_ref()
        .and_then(|m| m.primary())
        .map(str::to_owned);
    let image_fallbacks = defaults
        .image_model
        .as_ref()
        .map(|m| m.fallbacks().to_vec())
        .unwrap_or_default();
    let aliases: serde_json::Map<String, Value> = defaults
        .models
        .iter()
        .filter_map(|(key, settings)| Some((settings.alias.clone()?, json!(key))))
        .collect();
    let in_use: Vec<String> = primary
        .iter()
        .chain(fallbacks.iter())
        .filter_map(|r| r.split_once('/').map(|(p, _)| p.to_ascii_lowercase()))
        .collect();
    let mut providers = Vec::new();
    let mut missing = Vec::new();
    let mut text = format!(
        "default: {}\nfallbacks: {}\n",
        primary.as_deref().unwrap_or("(none)"),
        if fallbacks.is_empty() {
            "(none)".to_owned()
        } else {
            fallbacks.join(", ")
        }
    );
    for provider in &registry.providers {
        let credential = auth::lookup(provider, profiles);
        let source = credential.map_or(Source::None, |c| c.source);
        let saved = profiles
            .profiles
            .values()
            .filter(|p| p.provider.eq_ignore_ascii_case(&provider.id))
            .count();
        if source == Source::None {
            if in_use.contains(&provider.id) && !provider.key_optional {
                missing.push(provider.id.clone());
            }
            continue;
        }
        let (kind, detail) = match &source {
            Source::Env { name } => ("env", name.clone()),
            Source::Config => ("models.json", "models.providers apiKey".to_owned()),
            Source::Profile { id } => ("profiles", id.clone()),
            Source::None => unreachable!("skipped above"),
        };
        let mut row = json!({
            "provider": provider.id,
            "effective": {"kind": kind, "detail": detail},
            "profiles": {"count": saved, "oauth": 0, "token": 0, "apiKey": saved, "labels": []},
            "source": source,
        });
        match &source {
            Source::Env { name } => {
                row["env"] = json!({"value": name, "source": format!("env: {name}")});
            }
            Source::Config => {
                row["modelsJson"] = json!({
                    "value": format!("models.providers.{}.apiKey", provider.id),
                    "source": format!("config: {}", ctx.paths.config_file.display()),
                });
            }
            _ => {}
        }
        text.push_str(&format!("auth {:14} {source}\n", provider.id));
        providers.push(row);
    }
    for id in &missing {
        text.push_str(&format!("auth {id:14} missing\n"));
    }
    let agent_dir = ctx.paths.agent_dir(ctx.agent());
    let data = json!({
        "configPath": ctx.paths.config_file.display().to_string(),
        "agentId": ctx.agent(),
        "agentDir": agent_dir.display().to_string(),
        "defaultModel": primary,
        "resolvedDefault": resolved,
        "fallbacks": fallbacks,
        "imageModel": image,
        "imageFallbacks": image_fallbacks,
        // This tool has no separate utility model.
        "utilityModel": {"ref": null, "source": "none"},
        "modelConfig": {
            "defaultSource": if primary.is_some() { "defaults" } else { "none" },
            "fallbacksSource": if fallbacks.is_empty() { "none" } else { "defaults" },
        },
        "aliases": aliases,
        "allowed": [],
        "auth": {
            "storePath": ctx.paths.auth_profiles_file(ctx.agent()).display().to_string(),
            "shellEnvFallback": {"enabled": false, "appliedKeys": []},
            "providersWithOAuth": [],
            "missingProvidersInUse": missing,
            "modelRouteIssues": [],
            "runtimeAuthRoutes": [],
            "providers": providers,
            "unusableProfiles": [],
            "oauth": {"warnAfterMs": 86_400_000u64, "profiles": [], "providers": []},
        },
    });
    Ok(Report::data(
        Envelope::success("models.status", Transport::Local),
        data,
        text,
    ))
}
