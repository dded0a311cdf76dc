//! `openclaw infer`: the capability families and the two introspection
//! commands, `list` and `inspect`.

use clap::{Args, Subcommand};

use super::{audio, embedding, image, model, tts, video, web};

#[derive(Debug, Args)]
pub struct InferArgs {
    #[command(flatten)]
    pub output: OutputArgs,

    #[command(subcommand)]
    pub command: InferCommand,
}

/// Flags every leaf accepts; given on a group they apply to its leaves.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Print one JSON envelope on stdout instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// Use this agent's config and saved credentials (default agent when absent)
    #[arg(long, global = true, value_name = "ID")]
    pub agent: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum InferCommand {
    /// List the capabilities with their transports and a description
    List,
    /// Show one capability: flags, transports and result shape
    Inspect(InspectArgs),
    /// Text model runs and model/provider inspection
    #[command(subcommand)]
    Model(model::ModelCommand),
    /// Image generation, editing and description
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Audio file transcription
    #[command(subcommand)]
    Audio(audio::AudioCommand),
    /// Text-to-speech and its persisted state
    #[command(subcommand)]
    Tts(tts::TtsCommand),
    /// Video generation and description
    #[command(subcommand)]
    Video(video::VideoCommand),
    /// Web search and page fetching
    #[command(subcommand)]
    Web(web::WebCommand),
    /// Vector embeddings
    #[command(subcommand)]
    Embedding(embedding::EmbeddingCommand),
    /// Jobs submitted to a provider's batch API (`--via provider-batch`)
    #[command(subcommand)]
    Batch(super::batch::BatchJobCommand),
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Capability id, e.g. `model.run` or `image.generate`
    #[arg(long, value_name = "CAPABILITY")]
    pub name: String,
}
