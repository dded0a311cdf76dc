//! `--batch` and its companions: run a leaf once per line of a JSONL file.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

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

    /// With `--via provider-batch`: wait for the job and print its records instead of the job id
    #[arg(long, requires = "via")]
    pub wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BatchVia {
    /// One request per line from this process
    Direct,
    /// The provider's own batch API (`model run`: OpenAI-compatible, Anthropic, Gemini; `embedding create`: OpenAI-style)
    ProviderBatch,
}

/// `infer batch ...`: jobs submitted with `--via provider-batch`.
#[derive(Debug, Subcommand)]
pub enum BatchJobCommand {
    /// Show a job's state at the provider, or list the recorded jobs
    Status(BatchStatusArgs),
    /// Print a finished job's results, one envelope per input id
    Fetch(BatchFetchArgs),
    /// Ask the provider to stop a job
    Cancel(BatchJobArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BatchStatusArgs {
    /// The job id printed at submission (omit to list the recorded jobs)
    #[arg(value_name = "JOB-ID")]
    pub job: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct BatchFetchArgs {
    /// The job id printed at submission
    #[arg(value_name = "JOB-ID")]
    pub job: String,

    /// Poll (with backoff) until the job has ended, then print its records
    #[arg(long)]
    pub wait: bool,

    /// Append the records to this file instead of stdout
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BatchJobArgs {
    /// The job id printed at submission
    #[arg(value_name = "JOB-ID")]
    pub job: String,
}
