//! `openclaw infer tts ...`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::common::{TransportArgs, non_blank};

#[derive(Debug, Subcommand)]
pub enum TtsCommand {
    /// Turn text into a speech audio file
    Convert(TtsConvertArgs),
    /// List a provider's voices
    Voices(TtsVoicesArgs),
    /// Speech providers and their state
    Providers(TransportOnly),
    /// List speaking personas
    Personas,
    /// Show whether speech is enabled and which provider is active
    Status(TtsStatusArgs),
    /// Turn speech on
    Enable(TransportOnly),
    /// Turn speech off
    Disable(TransportOnly),
    /// Choose the active speech provider
    SetProvider(TtsSetProviderArgs),
    /// Choose the active persona
    SetPersona(TtsSetPersonaArgs),
}

#[derive(Debug, Args)]
pub struct TtsConvertArgs {
    /// The text to speak
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub text: String,

    /// Where to write the audio; the extension picks the format
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Voice id or name
    #[arg(long, value_name = "VOICE")]
    pub voice: Option<String>,

    /// Provider id; must agree with the provider of `--model`
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// The model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    /// Delivery channel hint (selects a voice-note friendly format)
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,

    #[command(flatten)]
    pub transport: TransportArgs,
}

#[derive(Debug, Args)]
pub struct TtsVoicesArgs {
    /// Provider id (default: the active one)
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,
}

#[derive(Debug, Args)]
pub struct TransportOnly {
    #[command(flatten)]
    pub transport: TransportArgs,
}

#[derive(Debug, Args)]
pub struct TtsStatusArgs {
    /// Read this machine's state even when a gateway is configured
    #[arg(long, conflicts_with = "gateway")]
    pub local: bool,

    /// Read the state of a running gateway (the default when one is configured)
    #[arg(long)]
    pub gateway: bool,
}

#[derive(Debug, Args)]
pub struct TtsSetProviderArgs {
    /// Provider id
    #[arg(long, value_name = "ID")]
    pub provider: String,

    #[command(flatten)]
    pub transport: TransportArgs,
}

#[derive(Debug, Args)]
pub struct TtsSetPersonaArgs {
    /// Persona id
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "off",
        required_unless_present = "off"
    )]
    pub persona: Option<String>,

    /// Clear the active persona
    #[arg(long)]
    pub off: bool,
}
