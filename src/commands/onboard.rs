//! `openclaw onboard`: pick a provider, save its credential, and make one
//! of its models the default, editing the config without losing comments.
//! Interactive on a terminal; `--non-interactive` takes everything from
//! flags and the environment.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::auth::profiles::Profile;
use crate::catalog::{Modality, ModelKind};
use crate::cli::onboard::{Compatibility, OnboardArgs, OnboardMode, SecretInputMode};
use crate::config::edit::{self, Segment};
use crate::config::env;
use crate::context::Context;
use crate::envelope::{Envelope, Transport};
use crate::error::{Error, Result};
use crate::output::{self, Diagnostics};
use crate::registry::{Model, discovery};

/// What an auth choice sets up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A catalog provider and its API key.
    ApiKey {
        provider: &'static str,
        label: &'static str,
        env: &'static [&'static str],
    },
    Ollama,
    LmStudio,
    LlamaCpp,
    Custom,
    Skip,
}

const CHOICES: &[(&str, Kind)] = &[
    (
        "huggingface-api-key",
        Kind::ApiKey {
            provider: "huggingface",
            label: "Hugging Face",
            env: &["HUGGINGFACE_HUB_TOKEN", "HF_TOKEN"],
        },
    ),
    (
        "openai-api-key",
        Kind::ApiKey {
            provider: "openai",
            label: "OpenAI",
            env: &["OPENAI_API_KEY"],
        },
    ),
    (
        "anthropic-api-key",
        Kind::ApiKey {
            provider: "anthropic",
            label: "Anthropic",
            env: &["ANTHROPIC_API_KEY"],
        },
    ),
    (
        "gemini-api-key",
        Kind::ApiKey {
            provider: "google",
            label: "Google Gemini",
            env: &["GEMINI_API_KEY", "GOOGLE_API_KEY"],
        },
    ),
    (
        "openrouter-api-key",
        Kind::ApiKey {
            provider: "openrouter",
            label: "OpenRouter",
            env: &["OPENROUTER_API_KEY"],
        },
    ),
    (
        "mistral-api-key",
        Kind::ApiKey {
            provider: "mistral",
            label: "Mistral",
            env: &["MISTRAL_API_KEY"],
        },
    ),
    ("ollama", Kind::Ollama),
    ("lmstudio", Kind::LmStudio),
    ("llama-cpp-existing-server", Kind::LlamaCpp),
    ("custom-api-key", Kind::Custom),
    ("skip", Kind::Skip),
];

fn choice_label(id: &str, kind: Kind) -> String {
    match kind {
        Kind::ApiKey { label, .. } => format!("{label} API key ({id})"),
        Kind::Ollama => "Ollama (ollama)".to_owned(),
        Kind::LmStudio => "LM Studio (lmstudio)".to_owned(),
        Kind::LlamaCpp => "llama.cpp server already running (llama-cpp-existing-server)".to_owned(),
        Kind::Custom => {
            "Custom OpenAI- or Anthropic-compatible endpoint (custom-api-key)".to_owned()
        }
        Kind::Skip => "Skip for now (skip)".to_owned(),
    }
}

fn find_choice(id: &str) -> Option<(&'static str, Kind)> {
    let id = id.trim();
    let id = if id.eq_ignore_ascii_case("apiKey") {
        "anthropic-api-key"
    } else {
        id
    };
    CHOICES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(id))
        .copied()
}

/// What onboarding wrote, for `--json` and the text summary.
struct Outcome {
    choice: &'static str,
    provider: Option<String>,
    model: Option<String>,
    profile: Option<Value>,
    config_paths: Vec<String>,
    notes: Vec<String>,
}

/// One config edit: the path, the value, and whether an existing value at
/// that path is merged into rather than replaced.
struct ConfigSet {
    path: Vec<Segment>,
    value: Value,
    merge: bool,
}

impl ConfigSet {
    fn set(path_text: &str, value: Value) -> Self {
        ConfigSet {
            path: path(path_text),
            value,
            merge: false,
        }
    }

    fn merge(path_text: &str, value: Value) -> Self {
        ConfigSet {
            path: path(path_text),
            value,
            merge: true,
        }
    }
}

/// Everything an auth choice decided, before anything is written.
struct Plan {
    provider: Option<String>,
    model_ref: Option<String>,
    sets: Vec<ConfigSet>,
    profile: Option<(String, Profile)>,
}

impl Plan {
    fn skip() -> Self {
        Plan {
            provider: None,
            model_ref: None,
            sets: Vec::new(),
            profile: None,
        }
    }
}

pub fn run(args: OnboardArgs, ctx: &Context, diagnostics: &Diagnostics) -> ExitCode {
    let json = args.json;
    match super::block_on(onboard(&args, ctx, diagnostics)) {
        Ok(outcome) => {
            render(&outcome, ctx, json);
            ExitCode::SUCCESS
        }
        Err(error) => {
            if json {
                output::stdout(
                    &(Envelope::failure("onboard", Transport::Local, &error).to_json() + "\n"),
                );
            }
            diagnostics.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn render(outcome: &Outcome, ctx: &Context, json: bool) {
    if json {
        let value = json!({
            "ok": true,
            "mode": "local",
            "authChoice": outcome.choice,
            "provider": outcome.provider,
            "model": outcome.model,
            "configPath": ctx.paths.config_file.display().to_string(),
            "configChanges": outcome.config_paths,
            "authProfile": outcome.profile,
            "notes": outcome.notes,
        });
        output::stdout(&(serde_json::to_string_pretty(&value).expect("json") + "\n"));
        return;
    }
    let mut text = String::new();
    match &outcome.model {
        Some(model) => text.push_str(&format!("Default model: {model}\n")),
        None => text.push_str("No model was configured (skipped)\n"),
    }
    if let Some(profile) = &outcome.profile {
        text.push_str(&format!(
            "Saved credential {} in {}\n",
            profile["id"].as_str().unwrap_or(""),
            profile["path"].as_str().unwrap_or("")
        ));
    }
    if !outcome.config_paths.is_empty() {
        text.push_str(&format!("Updated {}\n", ctx.paths.config_file.display()));
    }
    output::stdout(&text);
}

async fn onboard(args: &OnboardArgs, ctx: &Context, diagnostics: &Diagnostics) -> Result<Outcome> {
    if args.mode == OnboardMode::Remote {
        return Err(
            Error::unsupported("`--mode remote`: this build has no gateway to connect to")
                .with_hint("use `--mode local` (the default); inference runs in-process"),
        );
    }
    let interactive = !args.non_interactive;
    if interactive && !std::io::stdin().is_terminal() {
        return Err(Error::usage("interactive onboarding needs a terminal")
            .with_hint("for scripts: `openclaw onboard --non-interactive --accept-risk --auth-choice <choice> ...`"));
    }
    let mut notes = Vec::new();
    let absent = args.absent.given();
    if !absent.is_empty() {
        let note = format!(
            "{} accepted: this build has no gateway, daemon, channels, skills or UI to set up",
            absent.join(", ")
        );
        diagnostics.info(&format!("note: {note}"));
        notes.push(note);
    }
    let (choice, kind) = resolve_choice(args, interactive)?;
    edit::ensure_writable(&ctx.paths.config_file)?;
    let plan = match kind {
        Kind::Skip => Plan::skip(),
        Kind::ApiKey {
            provider,
            label,
            env,
        } => {
            plan_api_key(
                args,
                ctx,
                diagnostics,
                interactive,
                choice,
                (provider, label, env),
            )
            .await?
        }
        Kind::Ollama => plan_ollama(args, ctx, interactive)?,
        Kind::LmStudio | Kind::LlamaCpp | Kind::Custom => plan_endpoint(args, kind, interactive)?,
    };
    let (config_paths, profile) = write_plan(ctx, plan.sets, plan.profile, &plan.model_ref)?;
    Ok(Outcome {
        choice,
        provider: plan.provider,
        model: plan.model_ref,
        profile,
        config_paths,
        notes,
    })
}

/// The auth choice from `--auth-choice`, or from a menu on a terminal.
fn resolve_choice(args: &OnboardArgs, interactive: bool) -> Result<(&'static str, Kind)> {
    match args.auth_choice.as_deref() {
        Some(id) => find_choice(id).ok_or_else(|| {
            Error::usage(format!("unknown `--auth-choice {id}`")).with_hint(format!(
                "choices: {}, apiKey",
                CHOICES
                    .iter()
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }),
        None if interactive => {
            let labels: Vec<String> = CHOICES
                .iter()
                .map(|(id, kind)| choice_label(id, *kind))
                .collect();
            Ok(CHOICES[menu("How should openclaw reach a model?", &labels, 0)?])
        }
        None => Err(
            Error::usage("`--auth-choice` is required with `--non-interactive`").with_hint(
                "e.g. `--auth-choice huggingface-api-key --huggingface-api-key \"$HF_TOKEN\"`",
            ),
        ),
    }
}

/// A catalog provider: its key becomes an auth profile and its default (or
/// picked) chat model the default model.
async fn plan_api_key(
    args: &OnboardArgs,
    ctx: &Context,
    diagnostics: &Diagnostics,
    interactive: bool,
    choice: &str,
    (provider, label, vars): (&'static str, &'static str, &'static [&'static str]),
) -> Result<Plan> {
    let flag = match provider {
        "huggingface" => &args.huggingface_api_key,
        "openai" => &args.openai_api_key,
        "anthropic" => &args.anthropic_api_key,
        "google" => &args.gemini_api_key,
        "openrouter" => &args.openrouter_api_key,
        _ => &args.mistral_api_key,
    };
    let env_hit = vars
        .iter()
        .find_map(|name| env::var(name).map(|value| (*name, value)));
    let key = match (flag.as_deref().filter(|k| !k.trim().is_empty()), &env_hit) {
        (Some(key), _) => key.trim().to_owned(),
        (None, Some((_, value))) if !interactive => value.clone(),
        (None, env_hit) if interactive => {
            prompt_key(label, env_hit.as_ref().map(|(name, _)| *name))?
                .or_else(|| env_hit.as_ref().map(|(_, value)| value.clone()))
                .ok_or_else(|| Error::usage(format!("no {label} key given")))?
        }
        (None, _) => {
            return Err(Error::usage(format!(
                "no {label} key: pass `--{choice}` or set {}",
                vars.join(" or ")
            ))
            .with_hint("nothing was written"));
        }
    };
    let registry = ctx.registry()?;
    let entry = registry
        .provider(provider)
        .ok_or_else(|| registry.unknown_provider(provider))?;
    let profile = if args.secret_input_mode == Some(SecretInputMode::Ref) {
        let Some((name, _)) = env_hit else {
            return Err(Error::usage(format!(
                "`--secret-input-mode ref` stores a reference to {}, which is not set",
                vars.join(" or ")
            ))
            .with_hint(format!("export {}=... and run onboarding again", vars[0])));
        };
        let mut other = BTreeMap::new();
        other.insert(
            "keyRef".to_owned(),
            json!({"source": "env", "provider": "default", "id": name}),
        );
        Profile {
            kind: "api_key".to_owned(),
            provider: provider.to_owned(),
            key: None,
            other,
        }
    } else {
        Profile {
            kind: "api_key".to_owned(),
            provider: provider.to_owned(),
            key: Some(key.clone()),
            other: BTreeMap::new(),
        }
    };
    let default_id = entry
        .defaults
        .get(&ModelKind::Chat)
        .cloned()
        .unwrap_or_default();
    let model_id = if interactive {
        let models = if provider == "huggingface" {
            match discovery::discover_with_key(ctx, entry, &key).await {
                Ok(found) => discovery::merge(entry, &found),
                Err(note) => {
                    diagnostics.info(&format!("note: {note}"));
                    entry.models.clone()
                }
            }
        } else {
            entry.models.clone()
        };
        pick_model(label, &models, &default_id)?
    } else {
        default_id
    };
    if model_id.is_empty() {
        return Err(Error::usage(format!(
            "provider `{provider}` has no default chat model"
        )));
    }
    Ok(Plan {
        provider: Some(provider.to_owned()),
        model_ref: Some(format!("{provider}/{model_id}")),
        sets: Vec::new(),
        profile: Some((format!("{provider}:default"), profile)),
    })
}

/// A local Ollama: its base URL and one model go into the config.
fn plan_ollama(args: &OnboardArgs, ctx: &Context, interactive: bool) -> Result<Plan> {
    let base = args
        .custom_base_url
        .clone()
        .unwrap_or_else(|| "http://127.0.0.1:11434".to_owned());
    let registry = ctx.registry()?;
    let default_id = registry
        .provider("ollama")
        .and_then(|p| p.defaults.get(&ModelKind::Chat).cloned())
        .unwrap_or_else(|| "llama3.2".to_owned());
    let model = match &args.custom_model_id {
        Some(id) => id.clone(),
        None if interactive => {
            prompt_line(&format!("Ollama model id [{default_id}]: "))?.unwrap_or(default_id)
        }
        None => default_id,
    };
    Ok(Plan {
        provider: Some("ollama".to_owned()),
        model_ref: Some(format!("ollama/{model}")),
        sets: vec![
            ConfigSet::set("models.providers.ollama.baseUrl", json!(base)),
            ConfigSet::merge("models.providers.ollama.models", json!([{"id": model}])),
        ],
        profile: None,
    })
}

/// An OpenAI- or Anthropic-compatible endpoint (LM Studio, a running
/// llama.cpp server, or a custom one): a provider block in the config.
fn plan_endpoint(args: &OnboardArgs, kind: Kind, interactive: bool) -> Result<Plan> {
    let (id, default_base, key_flag, key_env) = match kind {
        Kind::LmStudio => (
            "lmstudio".to_owned(),
            Some("http://127.0.0.1:1234/v1"),
            &args.lmstudio_api_key,
            "LM_API_TOKEN",
        ),
        Kind::LlamaCpp => (
            "llama-cpp".to_owned(),
            Some("http://127.0.0.1:8080/v1"),
            &args.llama_server_api_key,
            "LLAMA_SERVER_API_KEY",
        ),
        _ => (
            args.custom_provider_id
                .clone()
                .unwrap_or_else(|| "custom".to_owned())
                .trim()
                .to_ascii_lowercase(),
            None,
            &args.custom_api_key,
            "CUSTOM_API_KEY",
        ),
    };
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::usage(format!(
            "`--custom-provider-id {id}`: use letters, digits, `-` and `_`"
        )));
    }
    let base = match (&args.custom_base_url, default_base) {
        (Some(url), _) => url.clone(),
        (None, _) if interactive => prompt_line(&format!(
            "Base URL{}: ",
            default_base.map(|d| format!(" [{d}]")).unwrap_or_default()
        ))?
        .or(default_base.map(str::to_owned))
        .ok_or_else(|| Error::usage("a base URL is required"))?,
        (None, Some(default)) => default.to_owned(),
        (None, None) => {
            return Err(Error::usage(
                "`--custom-base-url` is required with `--auth-choice custom-api-key`",
            ));
        }
    };
    if !(base.starts_with("http://") || base.starts_with("https://")) {
        return Err(Error::usage(format!(
            "`--custom-base-url {base}` must start with http:// or https://"
        )));
    }
    let model = match &args.custom_model_id {
        Some(model) if !model.trim().is_empty() => model.trim().to_owned(),
        _ if interactive => {
            prompt_line("Model id: ")?.ok_or_else(|| Error::usage("a model id is required"))?
        }
        _ => {
            return Err(Error::usage(
                "`--custom-model-id` is required for this auth choice",
            ));
        }
    };
    let key = key_flag
        .clone()
        .filter(|k| !k.trim().is_empty())
        .or_else(|| env::var(key_env));
    let api = match (
        kind,
        args.custom_compatibility.unwrap_or(Compatibility::Openai),
    ) {
        (Kind::Custom, Compatibility::OpenaiResponses) => "openai-responses",
        (Kind::Custom, Compatibility::Anthropic) => "anthropic-messages",
        _ => "openai-completions",
    };
    let image = if args.custom_image_input {
        true
    } else if args.custom_text_input {
        false
    } else {
        looks_like_vision(&model)
    };
    let input = if image {
        json!(["text", "image"])
    } else {
        json!(["text"])
    };
    let prefix = format!(
        "models.providers[{}]",
        serde_json::to_string(&id).expect("string")
    );
    let mut sets = vec![
        ConfigSet::set(&format!("{prefix}.baseUrl"), json!(base)),
        ConfigSet::set(&format!("{prefix}.api"), json!(api)),
    ];
    if let Some(key) = key {
        let stored = if args.secret_input_mode == Some(SecretInputMode::Ref) {
            if env::var(key_env).is_none() {
                return Err(Error::usage(format!(
                    "`--secret-input-mode ref` stores ${{{key_env}}}, which is not set"
                ))
                .with_hint(format!("export {key_env}=... and run onboarding again")));
            }
            format!("${{{key_env}}}")
        } else {
            key
        };
        sets.push(ConfigSet::set(&format!("{prefix}.apiKey"), json!(stored)));
    }
    sets.push(ConfigSet::merge(
        &format!("{prefix}.models"),
        json!([{"id": model, "input": input}]),
    ));
    Ok(Plan {
        provider: Some(id.clone()),
        model_ref: Some(format!("{id}/{model}")),
        sets,
        profile: None,
    })
}

/// Write the credential and the config edits. The whole read-modify-write
/// holds the config's lock, so a concurrent `config set` or onboarding is
/// not lost. Returns the changed config paths and the saved profile.
fn write_plan(
    ctx: &Context,
    mut sets: Vec<ConfigSet>,
    profile: Option<(String, Profile)>,
    model_ref: &Option<String>,
) -> Result<(Vec<String>, Option<Value>)> {
    let config_file = &ctx.paths.config_file;
    crate::config::lock::with_lock(config_file, || {
        let original = crate::config::load::read_text(config_file)?.unwrap_or_default();
        let current = edit::parse_value(&original).map_err(|error| {
            Error::config(format!(
                "invalid config {}:{}",
                config_file.display(),
                error.message()
            ))
        })?;
        if let Some(reference) = model_ref {
            // A string default model is replaced by an object; an object
            // keeps its other keys.
            match edit::get(&current, &path("agents.defaults.model")) {
                Some(Value::Object(_)) | None => sets.push(ConfigSet::set(
                    "agents.defaults.model.primary",
                    json!(reference),
                )),
                Some(_) => sets.push(ConfigSet::set(
                    "agents.defaults.model",
                    json!({"primary": reference}),
                )),
            }
        }
        sets.push(ConfigSet::set("gateway.mode", json!("local")));
        let (text, changed_paths) = apply_sets(&original, &sets)?;
        crate::config::load::parse(&text).map_err(|problem| {
            Error::config(format!(
                "the onboarded config would not load ({problem}); nothing was written"
            ))
        })?;
        let profile_shown = match profile {
            Some((id, profile)) => Some(save_profile(ctx, id, profile)?),
            None => None,
        };
        if text != original {
            edit::write(config_file, &text)?;
        }
        Ok((changed_paths, profile_shown))
    })
}

/// The config text with every edit applied, and the paths that changed.
fn apply_sets(original: &str, sets: &[ConfigSet]) -> Result<(String, Vec<String>)> {
    let mut text = original.to_owned();
    let mut changed_paths = Vec::new();
    for set in sets {
        let before = edit::parse_value(&text)?;
        if edit::get(&before, &set.path) == Some(&set.value) {
            continue;
        }
        text = if set.merge && edit::get(&before, &set.path).is_some() {
            edit::merge(&text, &set.path, &set.value)?
        } else {
            edit::set(&text, &set.path, &set.value)?
        };
        changed_paths.push(edit::display_path(&set.path));
    }
    Ok((text, changed_paths))
}

/// Save one auth profile; returns how it is shown in the summary.
fn save_profile(ctx: &Context, id: String, profile: Profile) -> Result<Value> {
    let profiles_path = ctx.paths.auth_profiles_file(ctx.agent());
    let storage = if profile.key.is_some() {
        "plaintext"
    } else {
        "ref"
    };
    let provider = profile.provider.clone();
    // Read again under the profiles' lock: a login may have saved a key
    // since this run started.
    crate::config::lock::with_lock(&profiles_path, || {
        let mut profiles = crate::auth::AuthProfiles::load(&profiles_path)?;
        profiles.version = profiles.version.max(1);
        profiles.profiles.insert(id.clone(), profile);
        profiles.save(&profiles_path)
    })?;
    Ok(json!({
        "id": id,
        "provider": provider,
        "storage": storage,
        "path": profiles_path.display().to_string(),
    }))
}

fn path(text: &str) -> Vec<Segment> {
    edit::parse_path(text).expect("a valid built-in path")
}

/// Common vision model families are marked image-capable.
fn looks_like_vision(model: &str) -> bool {
    let id = model.to_ascii_lowercase();
    [
        "gpt-4o",
        "gpt-4.1",
        "gpt-5",
        "claude-3",
        "claude-4",
        "claude-opus",
        "claude-sonnet",
        "gemini",
        "-vl",
        "vl-",
        "llava",
        "pixtral",
        "vision",
    ]
    .iter()
    .any(|family| id.contains(family))
}

// ---------------------------------------------------------------------------
// Prompts: a numbered menu on stderr, answers read a line at a time.

fn read_line() -> Result<Option<String>> {
    let mut line = String::new();
    let read = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| Error::usage(format!("cannot read the answer: {error}")))?;
    if read == 0 {
        return Err(Error::usage("onboarding cancelled (end of input)"));
    }
    let line = line.trim().to_owned();
    Ok((!line.is_empty()).then_some(line))
}

fn prompt_line(question: &str) -> Result<Option<String>> {
    output::stderr_prompt(question);
    read_line()
}

/// Show `options` numbered from 1; Enter takes `default`.
fn menu(title: &str, options: &[String], default: usize) -> Result<usize> {
    output::stderr_line(title);
    for (i, option) in options.iter().enumerate() {
        output::stderr_line(&format!("  {:>2}) {option}", i + 1));
    }
    for _ in 0..3 {
        let Some(answer) = prompt_line(&format!("Choose 1-{} [{}]: ", options.len(), default + 1))?
        else {
            return Ok(default);
        };
        match answer.parse::<usize>() {
            Ok(n) if (1..=options.len()).contains(&n) => return Ok(n - 1),
            _ => output::stderr_line(&format!(
                "Please type a number from 1 to {}.",
                options.len()
            )),
        }
    }
    Err(Error::usage("no valid choice was made"))
}

/// The key, typed hidden. `None` when Enter is pressed and `env_name` has one.
fn prompt_key(label: &str, env_name: Option<&str>) -> Result<Option<String>> {
    let question = match env_name {
        Some(name) => format!("{label} API key (input hidden; Enter uses ${name}): "),
        None => format!("{label} API key (input hidden): "),
    };
    let key = rpassword::prompt_password(question)
        .map_err(|error| Error::usage(format!("cannot read the key: {error}")))?;
    let key = key.trim().to_owned();
    if key.is_empty() {
        return if env_name.is_some() {
            Ok(None)
        } else {
            Err(Error::usage(format!("no {label} key given")))
        };
    }
    Ok(Some(key))
}

/// Up to 40 models (the default first), or a typed `org/model` id.
fn pick_model(label: &str, models: &[Model], default_id: &str) -> Result<String> {
    let mut chat: Vec<&Model> = models
        .iter()
        .filter(|m| m.kind == ModelKind::Chat)
        .collect();
    if let Some(position) = chat.iter().position(|m| m.id == default_id) {
        let default = chat.remove(position);
        chat.insert(0, default);
    }
    chat.truncate(40);
    if chat.is_empty() {
        return Ok(default_id.to_owned());
    }
    let options: Vec<String> = chat
        .iter()
        .map(|m| {
            let image = if m.accepts(Modality::Image) {
                ", images"
            } else {
                ""
            };
            format!("{} ({}{image})", m.name, m.id)
        })
        .collect();
    output::stderr_line(&format!(
        "Default {label} model (or type a model id; add :fastest or :cheapest to let the router choose):"
    ));
    for (i, option) in options.iter().enumerate() {
        output::stderr_line(&format!("  {:>2}) {option}", i + 1));
    }
    for _ in 0..3 {
        let Some(answer) = prompt_line(&format!("Choose 1-{} [1]: ", options.len()))? else {
            return Ok(chat[0].id.clone());
        };
        match answer.parse::<usize>() {
            Ok(n) if (1..=chat.len()).contains(&n) => return Ok(chat[n - 1].id.clone()),
            Err(_) if !answer.contains(char::is_whitespace) => return Ok(answer),
            _ => output::stderr_line(&format!(
                "Please type a number from 1 to {}, or a model id.",
                chat.len()
            )),
        }
    }
    Err(Error::usage("no valid model was chosen"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_and_aliases() {
        assert_eq!(find_choice("apiKey").unwrap().0, "anthropic-api-key");
        assert_eq!(
            find_choice("HUGGINGFACE-API-KEY").unwrap().0,
            "huggingface-api-key"
        );
        assert!(find_choice("carrier-pigeon").is_none());
    }

    #[test]
    fn vision_guess() {
        assert!(looks_like_vision("gpt-4o-mini"));
        assert!(looks_like_vision("Qwen/Qwen2.5-VL-7B-Instruct"));
        assert!(!looks_like_vision("foo-large"));
    }
}
