//! `openclaw infer audio ...`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::batch::BatchArgs;
use super::common::non_blank;

#[derive(Debug, Subcommand)]
pub enum AudioCommand {
    /// Transcribe an audio file to text
    Transcribe(AudioTranscribeArgs),
    /// Transcription providers and their state
    Providers,
}

#[derive(Debug, Clone, Args)]
pub struct AudioTranscribeArgs {
    /// The audio file
    #[arg(long, value_name = "PATH", required_unless_present = "batch")]
    pub file: Option<PathBuf>,

    /// Spoken language as an ISO-639-1 code, e.g. `en`
    #[arg(long, value_name = "CODE", value_parser = non_blank)]
    pub language: Option<String>,

    /// Context that helps recognition (names, terms)
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub prompt: Option<String>,

    /// The model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    #[command(flatten)]
    pub batch: BatchArgs,
}
