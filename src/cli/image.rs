//! `openclaw infer image ...`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::batch::BatchArgs;
use super::common::{aspect_ratio, dimensions, non_blank, positive_u64, timeout_ms};

#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Generate images from a prompt
    Generate(ImageGenerateArgs),
    /// Edit existing images with a prompt
    Edit(ImageEditArgs),
    /// Describe one image (path or http(s) URL)
    Describe(ImageDescribeArgs),
    /// Describe several images, each on its own
    DescribeMany(ImageDescribeManyArgs),
    /// Image generation and edit capabilities per provider
    Providers,
}

#[derive(Debug, Args)]
pub struct ImageGenerateArgs {
    /// What to draw
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub prompt: String,

    #[command(flatten)]
    pub options: ImageOptions,
}

#[derive(Debug, Args)]
pub struct ImageEditArgs {
    /// An input image (repeatable, at least one)
    #[arg(long = "file", value_name = "PATH", required = true)]
    pub files: Vec<PathBuf>,

    /// The change to make
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub prompt: String,

    #[command(flatten)]
    pub options: ImageOptions,
}

/// Hints shared by generate and edit; a provider that cannot honour one
/// reports it in `ignoredOverrides`.
#[derive(Debug, Args)]
pub struct ImageOptions {
    /// The model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    /// How many images to make
    #[arg(long, value_name = "N", value_parser = positive_u64)]
    pub count: Option<u64>,

    /// Size as WxH, e.g. 1024x1536
    #[arg(long, value_name = "WxH", value_parser = dimensions)]
    pub size: Option<String>,

    /// Aspect ratio as W:H, e.g. 16:9
    #[arg(long, value_name = "W:H", value_parser = aspect_ratio)]
    pub aspect_ratio: Option<String>,

    /// Resolution class
    #[arg(long, value_enum, ignore_case = true)]
    pub resolution: Option<ImageResolution>,

    /// Encoding of the written files
    #[arg(long, value_enum)]
    pub output_format: Option<ImageFormat>,

    /// Background handling
    #[arg(long, value_enum)]
    pub background: Option<Background>,

    /// OpenAI-specific spelling of `--background`
    #[arg(long, value_enum, value_name = "BACKGROUND")]
    pub openai_background: Option<Background>,

    /// OpenAI moderation strictness
    #[arg(long, value_enum)]
    pub openai_moderation: Option<Moderation>,

    /// Quality tier
    #[arg(long, value_enum)]
    pub quality: Option<Quality>,

    /// Give up after this many milliseconds
    #[arg(long, value_name = "MS", value_parser = timeout_ms)]
    pub timeout_ms: Option<u64>,

    /// Where to write the image (numbered when several)
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageResolution {
    #[value(name = "1K")]
    OneK,
    #[value(name = "2K")]
    TwoK,
    #[value(name = "4K")]
    FourK,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Background {
    Transparent,
    Opaque,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Moderation {
    Low,
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Quality {
    Low,
    Medium,
    High,
    Xhigh,
    Max,
    Auto,
}

#[derive(Debug, Clone, Args)]
pub struct ImageDescribeArgs {
    /// The image: a local path or an http(s) URL
    #[arg(long, value_name = "PATH|URL", required_unless_present = "batch")]
    pub file: Option<String>,

    #[command(flatten)]
    pub options: DescribeOptions,

    #[command(flatten)]
    pub batch: BatchArgs,
}

#[derive(Debug, Args)]
pub struct ImageDescribeManyArgs {
    /// An image to describe (repeatable, at least one)
    #[arg(long = "file", value_name = "PATH|URL", required = true)]
    pub files: Vec<String>,

    /// Images described at once (default: agents.defaults.maxConcurrent)
    #[arg(long, value_name = "N")]
    pub concurrency: Option<std::num::NonZeroUsize>,

    /// Send every image in one request and get one answer about all of them
    /// (to compare screenshots, say); by default each is described on its own
    #[arg(long)]
    pub together: bool,

    #[command(flatten)]
    pub options: DescribeOptions,
}

#[derive(Debug, Clone, Args)]
pub struct DescribeOptions {
    /// What to look for (default: a general description)
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub prompt: Option<String>,

    /// An image-capable model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    /// Give up after this many milliseconds
    #[arg(long, value_name = "MS", value_parser = timeout_ms)]
    pub timeout_ms: Option<u64>,
}
