//! `openclaw infer embedding ...`

use clap::{Args, Subcommand};

use super::batch::BatchArgs;
use super::common::non_blank;

#[derive(Debug, Subcommand)]
pub enum EmbeddingCommand {
    /// Create one vector per `--text`
    Create(EmbeddingCreateArgs),
    /// Embedding providers and their state
    Providers,
}

#[derive(Debug, Clone, Args)]
pub struct EmbeddingCreateArgs {
    /// A text to embed (repeatable, at least one)
    #[arg(long = "text", value_name = "TEXT", required_unless_present = "batch", value_parser = non_blank)]
    pub texts: Vec<String>,

    /// The model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    /// Provider id; without `--model` its default embedding model is used
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    #[command(flatten)]
    pub batch: BatchArgs,
}
