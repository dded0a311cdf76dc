//! `infer tts ...`: convert text to an audio file, list voices and
//! providers, and the persisted enabled/provider state.
//!
//! Locally the state lives in `<state>/tts-state.json`; with `--gateway`
//! (and for `status` whenever a gateway is configured) the command is one
//! `tts.*` RPC to the gateway instead.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use super::providers::{self, ProviderRow};
use super::{Failure, Report};
use crate::capabilities::tts::{
    self, SpeechProtocol, SpeechRequest, TtsConfig, TtsState, normalize,
};
use crate::cli::tts::{
    TtsCommand, TtsConvertArgs, TtsSetPersonaArgs, TtsSetProviderArgs, TtsVoicesArgs,
};
use crate::context::Context;
use crate::envelope::{Envelope, Timings, Transport};
use crate::error::{Error, Result};

/// Channels whose voice notes want Ogg/Opus.
const VOICE_NOTE_CHANNELS: [&str; 4] = ["telegram", "whatsapp", "matrix", "feishu"];

/// Whether this `tts` leaf runs on the gateway: `--gateway` forces it,
/// `--local` forbids it, and `status` goes there by default when a
/// gateway is configured.
pub fn goes_to_gateway(ctx: &Context, command: &TtsCommand) -> Result<bool> {
    Ok(match command {
        TtsCommand::Status(args) if args.gateway => true,
        TtsCommand::Status(args) if args.local => false,
        TtsCommand::Status(_) => crate::gateway::configured(ctx)?,
        TtsCommand::Convert(args) => args.transport.gateway,
        TtsCommand::Providers(args) | TtsCommand::Enable(args) | TtsCommand::Disable(args) => {
            args.transport.gateway
        }
        TtsCommand::SetProvider(args) => args.transport.gateway,
        TtsCommand::Voices(_) | TtsCommand::Personas | TtsCommand::SetPersona(_) => false,
    })
}

pub async fn on_gateway(ctx: &Context, command: &TtsCommand) -> Result<Report, Failure> {
    use crate::gateway::TtsCall;
    let call = match command {
        TtsCommand::Status(_) => TtsCall::Status,
        TtsCommand::Providers(_) => TtsCall::Providers,
        TtsCommand::Enable(_) => TtsCall::Enable,
        TtsCommand::Disable(_) => TtsCall::Disable,
        TtsCommand::SetProvider(args) => {
            let provider = args.provider.trim();
            if provider.is_empty() {
                return Err(Error::usage("`--provider` must not be blank").into());
            }
            TtsCall::SetProvider(provider)
        }
        TtsCommand::Convert(args) => TtsCall::Convert {
            text: &args.text,
            provider: args.provider.as_deref(),
            model: args.model.as_deref(),
            voice: args.voice.as_deref(),
            channel: args.channel.as_deref(),
            output: args.output.as_deref(),
        },
        TtsCommand::Voices(_) | TtsCommand::Personas | TtsCommand::SetPersona(_) => {
            return Err(Error::internal("this tts command has no gateway form").into());
        }
    };
    let capability = call.capability();
    match crate::gateway::tts(ctx, call, None).await {
        Ok((envelope, text)) => Ok(Report::new(envelope, text)),
        Err(error) => Err(Failure::with(
            error,
            Envelope::success(capability, Transport::Gateway),
        )),
    }
}

pub async fn convert(ctx: &Context, args: TtsConvertArgs) -> Result<Report, Failure> {
    let settings = tts::Settings::resolve(
        ctx,
        tts::Flags {
            text: &args.text,
            provider: args.provider.as_deref(),
            model: args.model.as_deref(),
            voice: args.voice.as_deref(),
        },
    )?;
    let (provider, protocol) = (&settings.provider, settings.protocol);

    let voice_note = args
        .channel
        .as_deref()
        .is_some_and(|c| VOICE_NOTE_CHANNELS.contains(&normalize(c).as_str()));
    let (path, format) = output_target(args.output.as_deref(), protocol, voice_note)?;
    if protocol == SpeechProtocol::Local {
        tts::local::converter(&format)?;
    }

    let started = std::time::Instant::now();
    let mut envelope = Envelope::success("tts.convert", Transport::Local);
    envelope.provider = Some(provider.clone());
    envelope.model = settings.model_flag.clone();
    let request = SpeechRequest {
        provider,
        model: settings.model.as_deref(),
        voice: settings.voice.as_deref(),
        text: &args.text,
        format: &format,
    };
    let speech = match tts::synthesize(ctx, &settings.config, &request).await {
        Ok(speech) => speech,
        Err(error) => {
            return Err(Failure::with(error, envelope));
        }
    };
    envelope.model = Some(speech.model.clone());

    // When the bytes are another type than the extension asked for, the extension follows the bytes.
    let (path, format) = match actual_format(&speech.bytes, &format) {
        Some(actual) if actual != format => (path.with_extension(actual), actual.to_owned()),
        _ => (path, format),
    };
    crate::media::write_atomic(&path, &speech.bytes, None)?;
    let mut output = json!({
        "path": path.display().to_string(),
        "format": format,
        "mimeType": tts::mime_for(&format),
        "size": speech.bytes.len(),
        "voiceCompatible": is_ogg_opus(&speech.bytes),
        "voice": speech.voice,
    });
    if format == "wav" {
        if let Some(seconds) = tts::wav::duration_seconds(&speech.bytes) {
            output["durationSeconds"] = json!((seconds * 1000.0).round() / 1000.0);
        }
    }
    envelope.outputs = vec![output];
    envelope.timings = Some(Timings::since(started));
    Ok(Report::new(envelope, format!("{}\n", path.display())))
}

/// The file to write and its format (from the extension; a default when
/// there is no `--output` or it has no extension).
fn output_target(
    output: Option<&Path>,
    protocol: SpeechProtocol,
    voice_note: bool,
) -> Result<(PathBuf, String)> {
    let default = if voice_note
        && (protocol != SpeechProtocol::Local || tts::local::converter("ogg").is_ok())
    {
        "ogg"
    } else if protocol == SpeechProtocol::Local {
        "wav"
    } else {
        "mp3"
    };
    let Some(path) = output else {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        return Ok((
            PathBuf::from(format!("tts-{millis}.{default}")),
            default.to_owned(),
        ));
    };
    if path.as_os_str().is_empty() || path.to_string_lossy().ends_with('/') || path.is_dir() {
        return Err(Error::usage(format!(
            "`--output {}` must be a file path",
            path.display()
        )));
    }
    let Some(extension) = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
    else {
        return Ok((path.with_extension(default), default.to_owned()));
    };
    let format = if extension == "mpeg" {
        "mp3".to_owned()
    } else {
        extension
    };
    if !protocol.formats().contains(&format.as_str()) {
        return Err(Error::usage(format!(
            "`--output {}`: this provider cannot write `.{format}`; it writes {}",
            path.display(),
            protocol.formats().join(", ")
        )));
    }
    Ok((path.to_path_buf(), format))
}

/// Voice notes (Telegram, WhatsApp...) need Opus in an Ogg container;
/// the first Ogg page of such a file carries the `OpusHead` packet.
fn is_ogg_opus(bytes: &[u8]) -> bool {
    bytes.starts_with(b"OggS")
        && bytes
            .iter()
            .take(200)
            .collect::<Vec<_>>()
            .windows(8)
            .any(|w| w.iter().copied().eq(b"OpusHead".iter()))
}

/// The format the bytes really are, when recognisable.
fn actual_format(bytes: &[u8], asked: &str) -> Option<&'static str> {
    match crate::media::sniff(bytes)? {
        "audio/mpeg" => Some("mp3"),
        "audio/x-wav" => Some("wav"),
        "audio/x-flac" => Some("flac"),
        "audio/aac" => Some("aac"),
        "audio/ogg" if asked == "opus" => Some("opus"),
        "audio/ogg" => Some("ogg"),
        _ => None,
    }
}

pub async fn voices(ctx: &Context, args: TtsVoicesArgs) -> Result<Report> {
    let config = TtsConfig::load(ctx)?;
    let provider = match args.provider.as_deref() {
        Some(provider) => normalize(provider),
        None => tts::active_provider(ctx, &config, &TtsState::load(&TtsState::path(ctx))?)?.0,
    };
    let list = tts::voices(ctx, &config, &provider).await?;
    let outputs: Vec<Value> = list
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name, "provider": provider}))
        .collect();
    let text: String = list
        .iter()
        .map(|(id, name)| format!("{id:32} {name}\n"))
        .collect();
    // `--json` prints the voice rows themselves, as the reference does.
    let data = Value::Array(outputs.clone());
    let mut envelope = Envelope::success("tts.voices", Transport::Local).with_outputs(outputs);
    envelope.provider = Some(provider);
    Ok(Report::data(envelope, data, text))
}

pub fn providers(ctx: &Context) -> Result<Report> {
    let config = TtsConfig::load(ctx)?;
    let state = TtsState::load(&TtsState::path(ctx))?;
    let (active, _) = tts::active_provider(ctx, &config, &state)?;
    let registry = ctx.registry()?;
    let mut ids: Vec<String> = registry
        .providers
        .iter()
        .filter(|p| SpeechProtocol::for_provider(registry, &p.id).is_some())
        .map(|p| p.id.clone())
        .collect();
    if !ids.iter().any(|id| id == "local") {
        ids.push("local".to_owned());
    }
    let mut outputs = Vec::new();
    let mut text = String::new();
    for id in ids {
        let protocol = SpeechProtocol::for_provider(registry, &id).expect("filtered above");
        let available = tts::available(ctx, &config, &id)?;
        let default_model = match protocol {
            SpeechProtocol::Local => tts::local_engine_name(&config).map(str::to_owned),
            _ => registry
                .default_for(&id, crate::catalog::ModelKind::Tts)
                .ok()
                .map(|r| r.model.id),
        };
        let row = ProviderRow {
            available,
            configured: config.providers.contains_key(&id) || available,
            selected: id == active,
            detail: SpeechProvider {
                id: id.clone(),
                name: registry
                    .provider(&id)
                    .map_or_else(|| id.clone(), |p| p.name.clone()),
                models: registry
                    .provider(&id)
                    .map(|p| {
                        p.models
                            .iter()
                            .filter(|m| m.kind == crate::catalog::ModelKind::Tts)
                            .map(|m| m.id.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                voices: [],
                provider: id.clone(),
                default_model: default_model.clone(),
                formats: protocol.formats(),
            },
        };
        text.push_str(&row.line(&[
            (&id, providers::ID),
            (default_model.as_deref().unwrap_or("-"), providers::MODEL),
        ]));
        outputs.push(row.to_value());
    }
    let data = json!({"providers": outputs, "active": active});
    Ok(Report::data(
        Envelope::success("tts.providers", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}

/// A speech provider's own keys in `tts providers`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpeechProvider {
    id: String,
    name: String,
    models: Vec<String>,
    voices: [String; 0],
    provider: String,
    default_model: Option<String>,
    formats: &'static [&'static str],
}

/// The persona's settings when they apply to `provider` (a persona without
/// a provider applies to whichever is used).
pub fn personas(ctx: &Context) -> Result<Report> {
    let config = TtsConfig::load(ctx)?;
    let state = TtsState::load(&TtsState::path(ctx))?;
    let active = tts::active_persona(&config, &state)?.map(|(id, _)| id.to_owned());
    let mut outputs = Vec::new();
    let mut text = String::new();
    for (id, persona) in &config.personas {
        let is_active = active.as_deref() == Some(id.as_str());
        let mut row = serde_json::to_value(persona).expect("persona serializes");
        row["id"] = json!(id);
        row["active"] = json!(is_active);
        outputs.push(row);
        text.push_str(&format!(
            "{}{id}  {}\n",
            if is_active { "* " } else { "  " },
            persona
                .label
                .as_deref()
                .or(persona.description.as_deref())
                .unwrap_or("")
        ));
    }
    if config.personas.is_empty() {
        text.push_str("no personas configured (messages.tts.personas)\n");
    }
    let data = json!({"active": active, "personas": outputs});
    Ok(Report::data(
        Envelope::success("tts.personas", Transport::Local).with_outputs(outputs),
        data,
        text,
    ))
}

pub fn set_persona(ctx: &Context, args: &TtsSetPersonaArgs) -> Result<Report> {
    let config = TtsConfig::load(ctx)?;
    let chosen = match (&args.persona, args.off) {
        (_, true) => String::new(),
        (Some(id), false) => {
            let id = id.trim().to_owned();
            if !config.personas.contains_key(&id) {
                let known: Vec<&str> = config.personas.keys().map(String::as_str).collect();
                let hint = if known.is_empty() {
                    "define personas under `messages.tts.personas` in the config".to_owned()
                } else {
                    format!("known personas: {}", known.join(", "))
                };
                return Err(Error::usage(format!("unknown persona `{id}`")).with_hint(hint));
            }
            id
        }
        (None, false) => return Err(Error::usage("pass `--persona ID` or `--off`")),
    };
    let path = TtsState::path(ctx);
    TtsState::update(&path, |state| state.persona = Some(chosen.clone()))?;
    let persona = (!chosen.is_empty()).then_some(chosen);
    let text = match &persona {
        Some(id) => format!("speech persona: {id}\n"),
        None => "speech persona: off\n".to_owned(),
    };
    let value = json!({"persona": persona, "statePath": path.display().to_string()});
    Ok(Report::new(
        Envelope::success("tts.set-persona", Transport::Local).with_outputs(vec![value]),
        text,
    ))
}

pub fn status(ctx: &Context) -> Result<Report> {
    let config = TtsConfig::load(ctx)?;
    let path = TtsState::path(ctx);
    let state = TtsState::load(&path)?;
    let enabled = state.enabled.or(config.enabled()).unwrap_or(false);
    let (provider, source) = tts::active_provider(ctx, &config, &state)?;
    let value = json!({
        "enabled": enabled,
        "provider": provider,
        "providerSource": source,
        "statePath": path.display().to_string(),
        // Which side answered: `gateway` when the status came from one.
        "transport": "local",
    });
    let text = format!(
        "{} · provider {provider} ({source})\n",
        if enabled { "enabled" } else { "disabled" }
    );
    let mut envelope =
        Envelope::success("tts.status", Transport::Local).with_outputs(vec![value.clone()]);
    envelope.provider = Some(provider);
    Ok(Report::data(envelope, value, text))
}

pub fn set_enabled(ctx: &Context, enabled: bool) -> Result<Report> {
    let path = TtsState::path(ctx);
    TtsState::update(&path, |state| state.enabled = Some(enabled))?;
    let capability = if enabled { "tts.enable" } else { "tts.disable" };
    let value = json!({"enabled": enabled, "statePath": path.display().to_string()});
    let text = format!("speech {}\n", if enabled { "enabled" } else { "disabled" });
    Ok(Report::new(
        Envelope::success(capability, Transport::Local).with_outputs(vec![value]),
        text,
    ))
}

pub fn set_provider(ctx: &Context, args: &TtsSetProviderArgs) -> Result<Report> {
    let provider = normalize(&args.provider);
    if provider.is_empty() {
        return Err(Error::usage("`--provider` must not be blank"));
    }
    let registry = ctx.registry()?;
    if SpeechProtocol::for_provider(registry, &provider).is_none() {
        return Err(tts::unknown_speech_provider(&provider));
    }
    let path = TtsState::path(ctx);
    TtsState::update(&path, |state| state.provider = Some(provider.clone()))?;
    let value = json!({"provider": provider, "statePath": path.display().to_string()});
    let mut envelope =
        Envelope::success("tts.set-provider", Transport::Local).with_outputs(vec![value]);
    envelope.provider = Some(provider.clone());
    Ok(Report::new(
        envelope,
        format!("speech provider: {provider}\n"),
    ))
}
