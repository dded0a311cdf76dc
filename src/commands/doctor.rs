//! `openclaw doctor`: is this machine ready? Offline it checks the config,
//! the default model chain, where each provider's key comes from, the
//! network route to each provider, and local engines on PATH. `--online`
//! sends one minimal request to every configured model, a few at a time,
//! so "does my key work for every model I configured" is one command.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::json;

use crate::auth;
use crate::capabilities::model_run::{self, RunEvent, RunRequest};
use crate::catalog::ModelKind;
use crate::context::Context;
use crate::output;
use crate::proxy::ProxyRules;
use crate::registry::Registry;

const ONLINE_PROMPT: &str = "Reply with exactly: ok";
const ONLINE_TIMEOUT: Duration = Duration::from_secs(60);
/// Programs other capabilities call when present.
const ENGINES: &[&str] = &["espeak-ng", "piper", "ffmpeg", "sox"];

#[derive(Debug, Serialize)]
struct Check {
    check: String,
    status: Status,
    detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Ok,
    Warn,
    Fail,
    Info,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelProbe {
    model: String,
    ok: bool,
    took_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub async fn run(ctx: &Context, online: bool) -> ExitCode {
    let mut checks = Vec::new();
    let config_ok = match ctx.config() {
        Ok(_) => {
            let exists = ctx.paths.config_file.exists();
            let detail = if exists {
                "loaded"
            } else {
                "not found: using defaults"
            };
            checks.push(check(
                "config",
                Status::Ok,
                format!("{} ({detail})", ctx.paths.config_file.display()),
            ));
            true
        }
        Err(error) => {
            checks.push(check("config", Status::Fail, error.message().to_owned()));
            false
        }
    };
    let registry = if config_ok {
        ctx.registry().map_err(|e| e.message().to_owned())
    } else {
        Err("config not loaded".into())
    };
    let mut probes = Vec::new();
    match registry {
        Err(message) => checks.push(check("providers", Status::Fail, message)),
        Ok(registry) => {
            let chain = model_chain(ctx);
            offline_checks(ctx, registry, &chain, &mut checks);
            if online {
                probes = probe_models(ctx, registry, &chain).await;
            }
        }
    }
    let ok = checks.iter().all(|c| c.status != Status::Fail) && probes.iter().all(|p| p.ok);
    if ctx.json {
        let document = json!({"ok": ok, "checks": checks, "models": probes});
        output::stdout(&(serde_json::to_string_pretty(&document).expect("json") + "\n"));
    } else {
        output::stdout(&render(&checks, &probes, online));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn check(name: &str, status: Status, detail: String) -> Check {
    Check {
        check: name.to_owned(),
        status,
        detail,
    }
}

/// Every model reference the config names: the default chain, then the
/// per-model settings, without repeats.
fn model_chain(ctx: &Context) -> Vec<String> {
    let Ok(config) = ctx.config() else {
        return Vec::new();
    };
    let defaults = &config.agents.defaults;
    let mut chain: Vec<String> = Vec::new();
    if let Some(selection) = &defaults.model {
        chain.extend(selection.primary().map(str::to_owned));
        chain.extend(selection.fallbacks().iter().cloned());
    }
    chain.extend(defaults.models.keys().cloned());
    let mut seen = std::collections::HashSet::new();
    chain.retain(|reference| seen.insert(reference.to_lowercase()));
    chain
}

fn offline_checks(ctx: &Context, registry: &Registry, chain: &[String], checks: &mut Vec<Check>) {
    if chain.is_empty() {
        checks.push(check(
            "default model",
            Status::Warn,
            "none configured: pass `--model` or set `agents.defaults.model`".into(),
        ));
    }
    let mut providers: Vec<&str> = Vec::new();
    for reference in chain {
        match registry.resolve(reference, ModelKind::Chat) {
            Ok(resolved) => {
                let known = if resolved.model.known {
                    ""
                } else {
                    " (not in the catalog: default metadata)"
                };
                checks.push(check("model", Status::Ok, format!("{reference}{known}")));
                providers.push(&resolved.provider.id);
            }
            Err(error) => checks.push(check(
                "model",
                Status::Fail,
                format!("{reference}: {}", error.message()),
            )),
        }
    }
    providers.extend(
        registry
            .providers
            .iter()
            .filter(|p| p.in_config)
            .map(|p| p.id.as_str()),
    );
    let mut seen = std::collections::HashSet::new();
    providers.retain(|id| seen.insert(*id));

    let profiles = match ctx.profiles() {
        Ok(profiles) => Some(profiles),
        Err(error) => {
            checks.push(check(
                "auth profiles",
                Status::Fail,
                error.message().to_owned(),
            ));
            None
        }
    };
    let environment = ProxyRules::from_env();
    for id in providers {
        let Some(provider) = registry.provider(id) else {
            continue;
        };
        let credential = profiles.and_then(|profiles| auth::lookup(provider, profiles));
        let (status, detail) = match (&credential, provider.key_optional) {
            (Some(credential), _) => (Status::Ok, format!("{id}: key from {}", credential.source)),
            (None, true) => (Status::Ok, format!("{id}: no key needed")),
            (None, false) => {
                let hint = provider.env_vars.first().map_or_else(
                    || "set `apiKey` in the config".to_owned(),
                    |v| format!("set {v}"),
                );
                (Status::Fail, format!("{id}: no key ({hint})"))
            }
        };
        checks.push(check("credentials", status, detail));
        let rules = match &provider.proxy {
            Some(proxy) => ProxyRules::fixed(proxy).unwrap_or_else(|| environment.clone()),
            None => environment.clone(),
        };
        match reqwest::Url::parse(&provider.base_url) {
            Ok(url) => {
                let host = url.host_str().unwrap_or("?").to_owned();
                checks.push(check(
                    "route",
                    Status::Info,
                    format!("{id}: {host} -> {}", rules.route(&url).describe()),
                ));
            }
            Err(_) => checks.push(check(
                "route",
                Status::Fail,
                format!("{id}: invalid baseUrl `{}`", provider.base_url),
            )),
        }
    }
    for engine in ENGINES {
        match find_on_path(engine) {
            Some(path) => checks.push(check(
                "engine",
                Status::Info,
                format!("{engine}: {}", path.display()),
            )),
            None => checks.push(check(
                "engine",
                Status::Info,
                format!("{engine}: not on PATH"),
            )),
        }
    }
}

fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

async fn probe_models(ctx: &Context, registry: &Registry, chain: &[String]) -> Vec<ModelProbe> {
    // `--online` has loaded the config by now; the fallback is never used.
    let concurrency = ctx.concurrency(None).unwrap_or(8);
    let probes = futures_util::stream::iter(chain.iter().enumerate())
        .map(|(index, reference)| async move { (index, probe(ctx, registry, reference).await) })
        .buffer_unordered(concurrency)
        .collect::<Vec<_>>()
        .await;
    let mut probes = probes;
    probes.sort_by_key(|(index, _)| *index);
    probes.into_iter().map(|(_, probe)| probe).collect()
}

async fn probe(ctx: &Context, registry: &Registry, reference: &str) -> ModelProbe {
    let started = Instant::now();
    let failed = |message: String, reason: String| ModelProbe {
        model: reference.to_owned(),
        ok: false,
        took_ms: started.elapsed().as_millis() as u64,
        error: Some(message),
        reason: Some(reason),
    };
    let resolved = match registry.resolve(reference, ModelKind::Chat) {
        Ok(resolved) => resolved,
        Err(error) => return failed(error.message().to_owned(), error.reason().to_string()),
    };
    let request = RunRequest {
        prompt: ONLINE_PROMPT,
        images: &[],
        thinking: None,
        deadline: Some(Instant::now() + ONLINE_TIMEOUT),
        schema: None,
    };
    let mut ignore = |_: RunEvent<'_>| {};
    match model_run::run(ctx, std::slice::from_ref(&resolved), &request, &mut ignore).await {
        Ok(_) => ModelProbe {
            model: reference.to_owned(),
            ok: true,
            took_ms: started.elapsed().as_millis() as u64,
            error: None,
            reason: None,
        },
        Err(failure) => failed(
            failure.error.message().to_owned(),
            failure.error.reason().to_string(),
        ),
    }
}

fn render(checks: &[Check], probes: &[ModelProbe], online: bool) -> String {
    let mut text = String::new();
    for check in checks {
        let mark = match check.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Info => "    ",
        };
        text.push_str(&format!("{mark}  {:12} {}\n", check.check, check.detail));
    }
    if online {
        text.push('\n');
        if probes.is_empty() {
            text.push_str("no configured models to try\n");
        }
        let width = probes.iter().map(|p| p.model.len()).max().unwrap_or(0);
        for probe in probes {
            let result = match (&probe.error, &probe.reason) {
                (Some(error), Some(reason)) => format!("FAIL  {reason}: {error}"),
                _ => "ok".to_owned(),
            };
            text.push_str(&format!(
                "{:width$}  {:>6} ms  {result}\n",
                probe.model, probe.took_ms
            ));
        }
    }
    text
}
