//! `openclaw infer video ...`

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::common::{
    StreamFormat, aspect_ratio, dimensions, non_blank, positive_seconds, timeout_ms,
};

#[derive(Debug, Subcommand)]
pub enum VideoCommand {
    /// Generate a video from a prompt (a long-running provider job)
    Generate(VideoGenerateArgs),
    /// Describe a video file
    Describe(VideoDescribeArgs),
    /// Video providers and their capabilities
    Providers,
}

#[derive(Debug, Args)]
pub struct VideoGenerateArgs {
    /// What to film
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub prompt: String,

    /// The model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,

    /// Size as WxH
    #[arg(long, value_name = "WxH", value_parser = dimensions)]
    pub size: Option<String>,

    /// Aspect ratio as W:H
    #[arg(long, value_name = "W:H", value_parser = aspect_ratio)]
    pub aspect_ratio: Option<String>,

    /// Resolution class (case-insensitive)
    #[arg(long, value_enum, ignore_case = true)]
    pub resolution: Option<VideoResolution>,

    /// Length in seconds
    #[arg(long, value_name = "SECONDS", value_parser = positive_seconds)]
    pub duration: Option<f64>,

    /// Ask for a sound track
    #[arg(long)]
    pub audio: bool,

    /// Ask for a provider watermark
    #[arg(long)]
    pub watermark: bool,

    /// Give up after this many milliseconds
    #[arg(long, value_name = "MS", value_parser = timeout_ms)]
    pub timeout_ms: Option<u64>,

    /// Where to write the video
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Print the job's progress as it is polled, one JSON object a line; the last line is the envelope
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub stream: Option<StreamFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VideoResolution {
    #[value(name = "360P")]
    P360,
    #[value(name = "480P")]
    P480,
    #[value(name = "540P")]
    P540,
    #[value(name = "720P")]
    P720,
    #[value(name = "768P")]
    P768,
    #[value(name = "1080P")]
    P1080,
}

#[derive(Debug, Args)]
pub struct VideoDescribeArgs {
    /// The video file
    #[arg(long, value_name = "PATH")]
    pub file: PathBuf,

    /// A video-capable model as `provider/model`
    #[arg(long, value_name = "PROVIDER/MODEL")]
    pub model: Option<String>,
}
