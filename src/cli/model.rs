//! `openclaw infer model ...`

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::batch::BatchArgs;
use super::common::{StreamFormat, TransportArgs, timeout_ms};
use crate::thinking::ThinkingLevel;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Send one prompt (and optional images) to a model and print its answer
    Run(ModelRunArgs),
    /// List the models of the catalog and the config
    List,
    /// Show one model's catalog row
    Inspect(ModelInspectArgs),
    /// Summarise providers: models, defaults, credentials
    Providers,
    /// Manage saved provider API keys
    #[command(subcommand)]
    Auth(AuthCommand),
}

#[derive(Debug, Clone, Args)]
pub struct ModelRunArgs {
    /// The prompt: text, `-` to read standard input, or `@FILE` to read a file
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,

    /// An image to send with the prompt (repeatable)
    #[arg(long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,

    /// The model as `provider/model`; defaults to the configured primary
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    /// Reasoning effort: off, minimal, low, medium, high, adaptive, xhigh, max
    #[arg(long, value_name = "LEVEL")]
    pub thinking: Option<ThinkingLevel>,

    /// Give up after this many milliseconds (default: config `timeoutSeconds`)
    #[arg(long, value_name = "MS", value_parser = timeout_ms)]
    pub timeout_ms: Option<u64>,

    /// Print events as they happen, one JSON object a line; the last line is the envelope
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub stream: Option<StreamFormat>,

    /// Run only the first candidate model, never its fallbacks
    #[arg(long)]
    pub no_fallback: bool,

    /// A JSON Schema (inline `{...}` or a file) the answer must match; the parsed answer is `outputs[0].json`
    #[arg(long, value_name = "FILE|JSON")]
    pub schema: Option<String>,

    #[command(flatten)]
    pub transport: TransportArgs,

    #[command(flatten)]
    pub batch: BatchArgs,
}

#[derive(Debug, Args)]
pub struct ModelInspectArgs {
    /// The model as `provider/model`, or a bare model id
    #[arg(long, value_name = "MODEL")]
    pub model: String,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Save an API key for a provider (read from standard input or a prompt)
    Login(AuthLoginArgs),
    /// Remove a provider's saved keys
    Logout(AuthProviderArgs),
    /// Show where each provider's credential comes from (never the secret)
    Status,
}

#[derive(Debug, Args)]
pub struct AuthLoginArgs {
    /// Provider id, e.g. `openai`
    #[arg(long, value_name = "ID")]
    pub provider: String,

    /// Authentication method (only `api-key` is supported)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
}

#[derive(Debug, Args)]
pub struct AuthProviderArgs {
    /// Provider id, e.g. `openai`
    #[arg(long, value_name = "ID")]
    pub provider: String,
}
