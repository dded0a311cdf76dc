//! `openclaw infer web ...`

use clap::{Args, Subcommand};

use super::batch::BatchArgs;
use super::common::{non_blank, positive_u64};
pub use crate::web::FetchFormat;

#[derive(Debug, Subcommand)]
pub enum WebCommand {
    /// Search the web
    Search(WebSearchArgs),
    /// Fetch a page and extract its readable text
    Fetch(WebFetchArgs),
    /// Search and fetch providers: available, configured, selected
    Providers,
}

#[derive(Debug, Args)]
pub struct WebSearchArgs {
    /// What to search for
    #[arg(long, value_name = "TEXT", value_parser = non_blank)]
    pub query: String,

    /// Search provider id (default: the first configured, else duckduckgo)
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// At most this many results
    #[arg(long, value_name = "N", value_parser = positive_u64)]
    pub limit: Option<u64>,
}

#[derive(Debug, Clone, Args)]
pub struct WebFetchArgs {
    /// The http(s) URL to fetch
    #[arg(long, value_name = "URL", value_parser = non_blank, required_unless_present = "batch")]
    pub url: Option<String>,

    /// Extraction provider id (default: the built-in fetcher)
    #[arg(long, value_name = "ID")]
    pub provider: Option<String>,

    /// Shape of the extracted text
    #[arg(long, value_enum, default_value_t = FetchFormat::Markdown)]
    pub format: FetchFormat,

    #[command(flatten)]
    pub batch: BatchArgs,
}
