//! `--batch` and its companions: run a leaf once per line of a JSONL file.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::common::positive_u64;

/// Flags shared by every leaf that can run from a JSONL file.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Batch options")]
pub struct BatchArgs {
    /// Run once per line of this JSONL file (`-` for stdin); each line's keys are this command's flags in camelCase, plus an optional `id`
    #[arg(long, value_name = "FILE|-")]
    pub batch: Option<String>,

    /// Append one envelope a line to this file instead of stdout
    #[arg(long = "output", value_name = "FILE", requires = "batch")]
    pub batch_output: Option<PathBuf>,

    /// Report invalid lines as failed records instead of stopping before any request
    #[arg(long, requires = "batch")]
    pub keep_going: bool,

    /// Print records in input order (default: as they complete)
    #[arg(long, requires = "batch")]
    pub ordered: bool,

    /// How many lines run at once (default: 4 for local servers, 8 for clouds)
    #[arg(long, value_name = "N", value_parser = positive_u64, requires = "batch")]
    pub concurrency: Option<u64>,

    /// At most this many requests a minute to each provider
    #[arg(long, value_name = "N", value_parser = positive_u64, requires = "batch")]
    pub rpm: Option<u64>,

    /// At most this many tokens a minute across the batch
    #[arg(long, value_name = "N", value_parser = positive_u64, requires = "batch")]
    pub tpm: Option<u64>,

    /// Skip ids already recorded as ok in the `--output` file
    #[arg(long, requires = "batch_output")]
    pub resume: bool,

    /// Where the batch runs: here, one request per line (default), or the provider's own batch API
    #[arg(long, value_enum, value_name = "WHERE", requires = "batch")]
    pub via: Option<BatchVia>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BatchVia {
    /// One request per line from this process
    Direct,
    /// The provider's own batch API (not available in this build yet)
    ProviderBatch,
}
