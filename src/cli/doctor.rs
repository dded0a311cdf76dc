//! `openclaw doctor`

use clap::Args;

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also send one minimal real request to every configured model
    #[arg(long)]
    pub online: bool,

    /// Print one JSON document instead of a table
    #[arg(long)]
    pub json: bool,

    /// Check this agent's saved credentials (default agent when absent)
    #[arg(long, value_name = "ID")]
    pub agent: Option<String>,
}
