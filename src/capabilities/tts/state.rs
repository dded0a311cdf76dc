//! What `tts enable|disable|set-provider|set-persona` saved, and the
//! provider and persona in force when the flags do not choose.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::available;
use super::config::{Persona, TtsConfig};
use crate::context::Context;
use crate::error::{Error, Result};

/// `<state>/tts-state.json`: what `enable`, `disable` and `set-provider` saved.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TtsState {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The persona chosen with `set-persona`; `""` means turned off (which
    /// also overrides `messages.tts.persona`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persona: Option<String>,
}

impl TtsState {
    pub fn path(ctx: &Context) -> PathBuf {
        ctx.paths.state_dir.join("tts-state.json")
    }

    pub fn load(path: &Path) -> Result<TtsState> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|error| Error::config(format!("invalid {}: {error}", path.display()))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(TtsState::default()),
            Err(error) => Err(Error::io(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    /// Load, change and save under the state file's lock, so two commands
    /// run at once both take effect.
    pub fn update(path: &Path, change: impl FnOnce(&mut TtsState)) -> Result<()> {
        crate::config::lock::with_lock(path, || {
            let mut state = TtsState::load(path)?;
            change(&mut state);
            state.save(path)
        })
    }

    fn save(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).expect("state serializes") + "\n";
        crate::media::write_atomic(path, text.as_bytes(), Some(0o600))
    }
}

/// The active persona: the one saved by `set-persona` (unless turned off),
/// else `messages.tts.persona`. A name the config does not define is an error.
pub fn active_persona<'c>(
    config: &'c TtsConfig,
    state: &TtsState,
) -> Result<Option<(&'c str, &'c Persona)>> {
    let chosen = match state.persona.as_deref() {
        Some("") => return Ok(None),
        Some(id) => Some(id),
        None => config.persona.as_deref().filter(|id| !id.trim().is_empty()),
    };
    let Some(id) = chosen else { return Ok(None) };
    match config.personas.get_key_value(id) {
        Some((id, persona)) => Ok(Some((id.as_str(), persona))),
        None => Err(Error::config(format!(
            "the active speech persona `{id}` is not defined under `messages.tts.personas`"
        ))
        .with_hint("define it, or run `openclaw infer tts set-persona --off`")),
    }
}

/// The provider used when `--provider`/`--model` do not pick one: saved
/// state, then `messages.tts.provider`, then the first with a key, then local.
pub fn active_provider(
    ctx: &Context,
    config: &TtsConfig,
    state: &TtsState,
) -> Result<(String, &'static str)> {
    if let Some(provider) = state.provider.as_deref().filter(|p| !p.is_empty()) {
        return Ok((provider.to_owned(), "state"));
    }
    if let Some(provider) = config
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        return Ok((provider.to_ascii_lowercase(), "config"));
    }
    for id in ["openai", "elevenlabs"] {
        if available(ctx, config, id)? {
            return Ok((id.to_owned(), "auto"));
        }
    }
    Ok(("local".to_owned(), "auto"))
}
